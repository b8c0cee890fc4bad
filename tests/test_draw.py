"""The graph drawing: layout, labels, arrows that reach their boxes, highlighting, lazy matplotlib."""
import subprocess
import sys
import textwrap

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.text import Annotation  # noqa: E402

import backproplib as bp  # noqa: E402
from backproplib import draw, tables  # noqa: E402
from test_engine_backward import REPO, lecture_graph  # noqa: E402

HIGHLIGHT_EDGE = "#d95f02"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def lecture():
    g = lecture_graph(2.0)
    g["J"].backward()
    return g


def boxes_of(ax):
    return {t.get_text().split("\n")[0]: t for t in ax.texts if not isinstance(t, Annotation)}


def arrows_of(ax):
    return [t for t in ax.texts if isinstance(t, Annotation)]


def test_layout_columns_are_longest_paths_from_the_leaves(lecture):
    layout = draw.graph_layout(lecture["J"])
    columns = {name: layout[lecture[name]][0] for name in lecture}
    assert columns == {"x": 0, "t": 1, "u1": 2, "u2": 2, "u": 3, "J": 4}
    assert len(layout) == 6                                  # the constant 3 is not a box
    assert {layout[lecture["u1"]][1], layout[lecture["u2"]][1]} == {0, 1}


def test_rows_follow_the_inputs_so_arrows_do_not_cross():
    a, b = bp.Var(1.0, name="a"), bp.Var(2.0, name="b")
    p = bp.sin(b).named("p")                                  # made first, but fed by the second leaf
    q = bp.cos(a).named("q")
    layout = draw.graph_layout((p * q).named("y"))
    assert (layout[a], layout[b], layout[q], layout[p]) == ((0, 0), (0, 1), (1, 0), (1, 1))


def test_every_arrow_points_to_a_later_column():
    x, z = bp.Var(2.0, name="x"), bp.Var(3.0, name="z")
    y = bp.exp(x * z) + x * z / bp.log(x) + bp.sin(bp.log(x)) / (x * z)
    layout = draw.graph_layout(y)
    assert max(c for c, _ in layout.values()) == layout[y][0]
    for node, (column, _) in layout.items():
        assert all(layout[v][0] < column for v in node.inputs if v in layout)
        assert column == 1 + max((layout[v][0] for v in node.inputs if v in layout), default=-1)
    rows = [(c, r) for c, r in layout.values()]
    assert len(rows) == len(set(rows))


def test_boxes_show_equation_value_and_gradient(lecture):
    ax = draw.draw_graph(lecture["J"])
    boxes = boxes_of(ax)
    assert sorted(boxes) == sorted(["x", "t = x²", "u1 = sin(t)", "u2 = 3·t", "u = u1 + u2", "J = cos(u)"])
    assert boxes["t = x²"].get_text() == "t = x²\nvalue 4\ndJ/dt = 2.27479"
    assert boxes["x"].get_text() == "x\nvalue 2\ndJ/dx = 9.09915"
    assert len(arrows_of(ax)) == 6
    left_to_right = sorted(boxes.values(), key=lambda t: t.get_position()[0])
    assert left_to_right[0] is boxes["x"] and left_to_right[-1] is boxes["J = cos(u)"]


def test_options_hide_values_and_gradients(lecture):
    ax = draw.draw_graph(lecture["J"], show_values=False)
    assert boxes_of(ax)["t = x²"].get_text() == "t = x²\ndJ/dt = 2.27479"
    ax = draw.draw_graph(lecture["J"], show_grads=False)
    assert boxes_of(ax)["t = x²"].get_text() == "t = x²\nvalue 4"


def test_arrows_end_at_the_edge_of_their_boxes(lecture):
    ax = draw.draw_graph(lecture["J"])
    figure = ax.figure
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    pixels = np.asarray(figure.canvas.buffer_rgba())[::-1, :, :3].astype(int)   # row 0 at the bottom
    heads = 0
    for arrow in arrows_of(ax):
        source, target = (box.get_bbox_patch().get_window_extent(renderer) for box in arrow.boxes)
        line = arrow.arrow_patch.get_window_extent(renderer)
        assert source.x1 - 1 <= line.x0 <= source.x1 + 8
        assert target.x0 - 8 <= line.x1 <= target.x0 + 1
        if abs(source.y0 - target.y0) < 1:        # a level arrow: its head, drawn left of the box,
            middle = int((target.y0 + target.y1) / 2)            # is several pixels tall, a line is not
            left = int(target.x0) - 7
            dark = pixels[middle - 6:middle + 7, left:left + 5].sum(axis=2) < 450
            assert dark.any(axis=1).sum() >= 3
            heads += 1
    assert heads == 2                              # x → t and u → J


def test_arrows_that_skip_columns_bend_around_the_boxes():
    x, z = bp.Var(2.0, name="x"), bp.Var(3.0, name="z")
    xz = (x * z).named("xz")
    y = bp.exp(xz) + bp.sin(bp.log(x)) / xz                   # xz → division skips column 2
    layout = draw.graph_layout(y)
    assert layout[xz][0] == 1 and layout[y.inputs[1]][0] == 3    # and exp(xz) in 2 → y in 4
    arrows = arrows_of(ax := draw.draw_graph(y))
    heads = [a for a in arrows if a.arrowprops["arrowstyle"] == "-|>"]
    assert len(heads) == 9                                    # one per edge
    assert len(arrows) == 11                                  # two edges cross a column: one bend each
    bends = [a for a in arrows if len(a.boxes) < 2]
    assert all(a.boxes for a in bends)                        # each segment still starts or ends at a box
    assert len(boxes_of(ax)) == 8


def test_reused_input_gets_two_separate_arrows():
    a = bp.Var(1.5, name="a")
    b = (a + a).named("b")
    c = (b + b).named("c")
    c.backward()
    ax = draw.draw_graph(c)
    bends = sorted(arrow.arrowprops["connectionstyle"] for arrow in arrows_of(ax))
    assert bends == ["arc3,rad=-0.15", "arc3,rad=-0.15", "arc3,rad=0.15", "arc3,rad=0.15"]
    assert boxes_of(ax)["a"].get_text().endswith("dc/da = 4")


def test_highlight_a_node_by_object_or_label(lecture):
    for highlight in (lecture["u1"], "u1", ["u1"]):
        ax = draw.draw_graph(lecture["J"], highlight=highlight)
        edges = {label: matplotlib.colors.to_hex(t.get_bbox_patch().get_edgecolor())
                 for label, t in boxes_of(ax).items()}
        assert edges.pop("u1 = sin(t)") == HIGHLIGHT_EDGE
        assert HIGHLIGHT_EDGE not in edges.values()
    with pytest.raises(ValueError, match="draw_graph: no node is labelled 'w'"):
        draw.draw_graph(lecture["J"], highlight="w")


def test_highlight_a_step_marks_its_arrows_and_shows_its_adjoints(lecture):
    step = list(tables.backward_steps(lecture["J"]))[1]          # visit u: send to u1 and u2
    ax = draw.draw_graph(lecture["J"], highlight=step, grads=step.adjoints)
    marked = [arrow for arrow in arrows_of(ax)
              if matplotlib.colors.to_hex(arrow.arrow_patch.get_edgecolor()) == HIGHLIGHT_EDGE]
    assert sorted(box.get_text().split("\n")[0] for arrow in marked for box in arrow.boxes[:1]) == [
        "u1 = sin(t)", "u2 = 3·t"]
    boxes = boxes_of(ax)
    assert boxes["t = x²"].get_text().endswith("dJ/dt = ?")
    assert boxes["u1 = sin(t)"].get_text().endswith("dJ/du1 = 0.969498")


def test_drawing_is_deterministic_and_saves(tmp_path, lecture):
    pictures = []
    for _ in range(2):
        ax = draw.draw_graph(lecture["J"])
        ax.figure.canvas.draw()
        pictures.append(np.asarray(ax.figure.canvas.buffer_rgba()).copy())
    assert np.array_equal(pictures[0], pictures[1])
    ax.figure.savefig(tmp_path / "graph.png")
    assert (tmp_path / "graph.png").stat().st_size > 1000


def test_draws_into_a_given_axes_and_shows_array_shapes():
    figure, ax = plt.subplots()
    w = bp.Var(np.ones((2, 3)), name="W")
    J = bp.sigmoid_cross_entropy(bp.Var(np.ones((4, 2))) @ w, np.zeros((4, 3))).named("J")
    J.backward()
    assert draw.draw_graph(J, ax=ax) is ax
    assert plt.get_fignums() == [figure.number]
    assert boxes_of(ax)["W"].get_text() == "W\nvalue shape (2, 3)\ndJ/dW = shape (2, 3)"


def test_importing_the_package_does_not_import_matplotlib():
    code = textwrap.dedent("""
        import sys
        import backproplib, backproplib.tables, backproplib.draw
        assert "matplotlib" not in sys.modules, sorted(m for m in sys.modules if "matplotlib" in m)
    """)
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
