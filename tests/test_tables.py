"""The forward/backward table and the step-by-step backward pass, against the lecture and the engine."""
import html
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings

import backproplib as bp
from backproplib import tables
from test_engine_backward import PROGRAMS, lecture_graph, random_graph

LECTURE_TABLE = """\
forward      value     | backward (Version B)        local du/dv  term       dJ/dv so far
-----------------------+-----------------------------------------------------------------
J = cos(u)   0.2451    | dJ/du += dJ/dJ · (−sin(u))  0.969498     0.969498   0.969498
u = u1 + u2  11.2432   | dJ/du1 += dJ/du · 1         1            0.969498   0.969498
                       | dJ/du2 += dJ/du · 1         1            0.969498   0.969498
u2 = 3·t     12        | dJ/dt += dJ/du2 · 3         3            2.90849    2.90849
u1 = sin(t)  -0.756802 | dJ/dt += dJ/du1 · cos(t)    -0.653644    -0.633706  2.27479
t = x²       4         | dJ/dx += dJ/dt · 2·x        4            9.09915    9.09915
x (input)    2         |

dJ/dx = 9.09915"""


@pytest.fixture
def lecture():
    return lecture_graph(2.0)


def test_lecture_table_text(lecture):
    table = tables.forward_backward_table(lecture["J"])
    assert str(table) == LECTURE_TABLE
    assert repr(table) == LECTURE_TABLE


def test_forward_rows_follow_topological_order_with_values(lecture):
    rows = tables.forward_backward_table(lecture["J"]).forward_rows
    assert [row.equation for row in rows] == ["t = x²", "u1 = sin(t)", "u2 = 3·t", "u = u1 + u2", "J = cos(u)"]
    t = 4.0
    u = math.sin(t) + 3 * t
    assert [row.value for row in rows] == pytest.approx([t, math.sin(t), 3 * t, u, math.cos(u)], rel=1e-15)


def test_backward_rows_follow_version_b_with_their_numbers(lecture):
    table = tables.forward_backward_table(lecture["J"])
    assert [row.text for row in table.backward_rows] == [
        "dJ/du += dJ/dJ · (−sin(u))",
        "dJ/du1 += dJ/du · 1",
        "dJ/du2 += dJ/du · 1",
        "dJ/dt += dJ/du2 · 3",        # u2 was made after u1, so Version B visits it first
        "dJ/dt += dJ/du1 · cos(t)",
        "dJ/dx += dJ/dt · 2·x",
    ]
    t = 4.0
    u = math.sin(t) + 3 * t
    dj_du = -math.sin(u)
    locals_ = [-math.sin(u), 1.0, 1.0, 3.0, math.cos(t), 4.0]
    terms = [dj_du, dj_du, dj_du, 3 * dj_du, math.cos(t) * dj_du, 4.0 * dj_du * (3 + math.cos(t))]
    totals = [dj_du, dj_du, dj_du, 3 * dj_du, dj_du * (3 + math.cos(t)), terms[-1]]
    assert [row.local for row in table.backward_rows] == pytest.approx(locals_, rel=1e-14)
    assert [row.term for row in table.backward_rows] == pytest.approx(terms, rel=1e-14)
    assert [row.total for row in table.backward_rows] == pytest.approx(totals, rel=1e-14)
    assert table.gradients == {"x": lecture["x"].grad}
    assert lecture["x"].grad == table.backward_rows[-1].total       # the same bits as the engine


def test_backward_steps_version_b_visits_each_computed_node(lecture):
    steps = list(tables.backward_steps(lecture["J"]))
    assert [step.equation for step in steps] == ["J = cos(u)", "u = u1 + u2", "u2 = 3·t", "u1 = sin(t)", "t = x²"]
    assert [len(step.updates) for step in steps] == [1, 2, 1, 1, 1]
    named = [{step.names[v]: g for v, g in step.adjoints.items()} for step in steps]
    assert sorted(named[0]) == ["J", "u"]
    assert sorted(named[2]) == ["J", "t", "u", "u1", "u2"]
    assert named[2]["t"] == 3 * named[2]["u2"]           # only u2's share so far
    assert named[-1] == {name: lecture[name].grad for name in named[-1]}
    assert sorted(named[-1]) == ["J", "t", "u", "u1", "u2", "x"]   # the constant 3 gets no adjoint


def test_backward_steps_version_a_gathers_from_consumers(lecture):
    steps = list(tables.backward_steps(lecture["J"], version="A"))
    assert [step.names[step.node] for step in steps] == ["J", "u", "u2", "u1", "t", "x"]
    assert steps[0].updates == () and steps[0].adjoints == {lecture["J"]: 1.0}
    for step in steps[1:]:
        assert all(row.target is step.node for row in step.updates)
    assert [row.text for row in steps[4].updates] == ["dJ/dt += dJ/du2 · 3", "dJ/dt += dJ/du1 · cos(t)"]
    assert steps[-1].adjoints[lecture["x"]] == lecture["x"].grad


def test_steps_print_what_happens(lecture):
    first, second = list(tables.backward_steps(lecture["J"], version="A"))[:2]
    assert str(first) == "step 1 (Version A): visit J = cos(u)\n  dJ/dJ = 1 (the seed)"
    assert str(second) == ("step 2 (Version A): visit u = u1 + u2\n  dJ/du += dJ/dJ · (−sin(u))   "
                           "(local 0.969498, term 0.969498, now dJ/du = 0.969498)")


def test_step_snapshots_are_not_changed_by_later_steps(lecture):
    steps = tables.backward_steps(lecture["J"])
    first = next(steps)
    snapshot = dict(first.adjoints)
    list(steps)
    assert first.adjoints == snapshot


@pytest.mark.parametrize("version", ["A", "B"])
@settings(max_examples=15, deadline=None)
@given(program=PROGRAMS)
def test_replayed_adjoints_equal_the_engine_bit_for_bit(version, program):
    y = random_graph(program)
    last = list(tables.backward_steps(y, version=version))[-1]
    for node, adjoint in last.adjoints.items():
        assert np.asarray(adjoint).tobytes() == np.asarray(node.grad).tobytes()
    variables = [v for v in bp.topological_order(y) if v.op is not bp.engine.CONSTANT]
    assert set(last.adjoints) == set(variables)


def test_bad_input_fails_when_the_steps_are_asked_for():
    with pytest.raises(ValueError, match="backward: the output has shape"):
        tables.backward_steps(bp.Var(np.ones(2)) * 2)


# ------------------------------------------------------------------ names and symbols

def test_unnamed_nodes_get_v1_v2_and_the_output_y():
    x, z = bp.Var(2.0, name="x"), bp.Var(3.0, name="z")
    y = bp.exp(x * z) + x * z / bp.log(x) + bp.sin(bp.log(x)) / (x * z)
    table = tables.forward_backward_table(y)
    assert [row.equation for row in table.forward_rows][:4] == ["v1 = x·z", "v2 = exp(v1)", "v3 = x·z", "v4 = log(x)"]
    assert table.forward_rows[-1].equation.startswith("y = ")
    assert table.gradients["x"] == x.grad and table.gradients["z"] == z.grad
    assert (round(table.gradients["x"]), round(table.gradients["z"])) == (1208, 810)


def test_given_names_are_never_reused():
    v1, x = bp.Var(1.0, name="v1"), bp.Var(2.0)
    y = (x * v1).named("y") + x
    names = tables.node_names(y)
    assert names[x] == "v2" and names[y.inputs[0]] == "y" and names[y] == "v3"


def test_constants_appear_by_value():
    x = bp.Var(0.5, name="x")
    y = ((1 - x) * -2.0 + np.array([1.0, 2.0])).named("y")
    y = y.sum() + bp.Var(np.ones(4)).named("w").sum() + bp.constant(np.ones(5)) @ bp.Var(np.ones(5), name="p")
    table = tables.forward_backward_table(y)
    equations = [row.equation for row in table.forward_rows]
    assert "v1 = 1 − x" in equations and "v2 = v1·(−2)" in equations and "y = v2 + [1, 2]" in equations
    assert [(row.equation, row.node.op is bp.engine.CONSTANT) for row in table.inputs] == [
        ("x", False), ("w", False), ("v6", True), ("p", False)]
    assert "v6 (constant)" in str(table) and "dv8/dv6" not in str(table)


@pytest.mark.parametrize("p, forward, local", [
    (2, "v = x²", "2·x"), (3, "v = x³", "3·x²"), (-1, "v = x⁻¹", "(−1·x⁻²)"),
    (0.5, "v = x^0.5", "0.5·x^−0.5"), (12, "v = x¹²", "12·x¹¹"), (1, "v = x", "1·x⁰")])
def test_powers_print_as_superscripts(p, forward, local):
    x = bp.Var(1.5, name="x")
    v = (x ** p).named("v")
    table = tables.forward_backward_table(v)
    assert table.forward_rows[0].equation == forward
    assert table.backward_rows[0].text == f"dv/dx += dv/dv · {local}"
    assert table.backward_rows[0].local == pytest.approx(p * 1.5 ** (p - 1), rel=1e-15)


def test_local_derivative_labels_of_each_operation():
    a, b = bp.Var(0.5, name="a"), bp.Var(2.0, name="b")
    nodes = [(a - b).named("s"), (a / b).named("q"), bp.sigmoid(a).named("z"), bp.tanh(a).named("h"),
             bp.relu(a).named("r"), (-a).named("n"), bp.exp(a).named("e"), bp.log(b).named("l")]
    y = nodes[0]
    for node in nodes[1:]:
        y = y + node
    texts = {row.text for row in tables.forward_backward_table(y.named("J")).backward_rows}
    for text in ["dJ/da += dJ/ds · 1", "dJ/db += dJ/ds · (−1)", "dJ/da += dJ/dq · 1/b",
                 "dJ/db += dJ/dq · (−a/b²)", "dJ/da += dJ/dz · z(1 − z)", "dJ/da += dJ/dh · (1 − h²)",
                 "dJ/da += dJ/dr · [a > 0]", "dJ/da += dJ/dn · (−1)", "dJ/da += dJ/de · exp(a)",
                 "dJ/db += dJ/dl · 1/b"]:
        assert text in texts


def test_array_graph_shows_shapes_and_vector_jacobian_products():
    x = np.arange(6.0).reshape(3, 2)
    w, b = bp.Var(np.full((2, 4), 0.1), name="W"), bp.Var(np.zeros(4), name="b")
    a = (bp.Var(x, name="X") @ w + b).named("a")
    z = bp.sigmoid(a).named("z")
    q = z[1:, 0].named("q")
    J = (bp.mean(z.T, axis=0).sum() + bp.softmax_cross_entropy(z.reshape((4, 3)), [0, 1, 2, 1]) + q.sum()).named("J")
    table = tables.forward_backward_table(J)
    equations = [row.equation for row in table.forward_rows]
    assert equations[:5] == ["v1 = X @ W", "a = v1 + b", "z = σ(a)", "q = z[1:, 0]", "v2 = zᵀ"]
    assert "v3 = mean(v2, axis=0)" in equations and "v4 = sum(v3)" in equations
    assert "v5 = reshape(z, (4, 3))" in equations and "v6 = CE(softmax(v5), y*)" in equations
    texts = [row.text for row in table.backward_rows]
    for text in ["dJ/dW += Xᵀ @ dJ/dv1", "dJ/dX += dJ/dv1 @ Wᵀ", "dJ/dz += (dJ/dv2)ᵀ",
                 "dJ/dz += reshape(dJ/dv5, shape of z)", "dJ/dz += dJ/dq scattered into z[1:, 0]",
                 "dJ/dv5 += dJ/dv6 · (ŷ − y*)/N", "dJ/dv2 += dJ/dv3 · 1/n"]:
        assert text in texts
    rows = {row.text: row for row in table.backward_rows}
    assert rows["dJ/dz += (dJ/dv2)ᵀ"].local is None                  # an array node: a Jacobian
    assert np.shape(rows["dJ/dv5 += dJ/dv6 · (ŷ − y*)/N"].local) == (4, 3)
    assert "shape (3, 4)" in str(table) and "q = z[1:, 0]              [0.622459, 0.71095]" in str(table)
    np.testing.assert_array_equal(table.gradients["W"], w.grad)


def test_markdown_and_html(lecture):
    J = bp.sigmoid_cross_entropy(bp.Var(np.array([0.5, -0.5]), name="b_1"), np.array([0.0, 1.0]))
    markdown = tables.forward_backward_table(J)._repr_markdown_()
    assert "CE(σ(b\\_1), y\\*)" in markdown and "dy/db\\_1 = [0.31123, -0.31123]" in markdown
    lines = tables.forward_backward_table(lecture["J"])._repr_markdown_().splitlines()
    assert lines[0] == "| forward | value | backward (Version B) | local du/dv | term | dJ/dv so far |"
    assert lines[4] == "|  |  | dJ/du2 += dJ/du · 1 | 1 | 0.969498 | 0.969498 |"
    assert len(lines) == 2 + 7 + 2
    page = tables.forward_backward_table(bp.sin(bp.Var(1.0, name="a<b")))._repr_html_()
    assert '<table class="backproplib-table"' in page and page.count("<tr>") == 3
    assert "a&lt;b" in page and "a<b" not in page


def test_html_tables_keep_numbers_unwrapped_and_aligned(lecture):
    page = tables.forward_backward_table(lecture["J"])._repr_html_()
    assert page.startswith('<div style="overflow-x: auto">')          # too wide: scrolls, never wraps
    cells = re.findall(r'<t[dh] style="([^"]*)">', page)
    assert cells and all("white-space: pre" in c and "font-family: monospace" in c for c in cells)
    assert all(c.endswith("text-align: right") for c in cells[1::6])     # the value column
    assert all(c.endswith("text-align: left") for c in cells[0::6])      # the equations
    assert all(c.endswith("border-left: 1px solid #888") for c in cells[2::6])   # forward | backward
    assert "9.09915" in page


def test_text_table_is_fixed_width_as_text_and_an_aligned_table_as_html():
    t = tables.TextTable(("name", "value"), [("a", "1.5"), ("longer name", "-22.25"), ("m", "[[1 2]\n [3 4]]")],
                         align="lr", notes=["a note"])
    assert str(t).splitlines() == [
        "name           value",
        "-----------  -------",
        "a                1.5",
        "longer name   -22.25",
        "m             [[1 2]",
        "              [3 4]]",
        "a note",
    ]
    assert repr(t) == str(t)
    page = t._repr_html_()
    assert page.count("<tr>") == 4 and "[[1 2]\n [3 4]]" in page and "a note" in page
    assert 'text-align: right">-22.25</td>' in page
    with pytest.raises(ValueError, match="2 cells"):
        tables.TextTable(("a", "b"), [("only one",)])


def test_versions_a_and_b_side_by_side_stay_in_step(lecture):
    t = tables.backward_versions(lecture["J"])
    visits = [row[0] for row in t.rows]
    assert visits == ["J = cos(u)", "u = u1 + u2", "u2 = 3·t", "u1 = sin(t)", "t = x²", "x"]
    by_visit = {row[0]: row for row in t.rows}
    assert by_visit["J = cos(u)"][2] == "dJ/dJ = 1 (the seed)"
    assert by_visit["t = x²"][1] == "dJ/dx += dJ/dt · 2·x"
    assert by_visit["t = x²"][2].splitlines() == ["dJ/dt += dJ/du2 · 3", "dJ/dt += dJ/du1 · cos(t)"]
    assert by_visit["x"][1] == "(an input: nothing to push)" and by_visit["x"][2] == "dJ/dx += dJ/dt · 2·x"
    # every text line of a row starts at the same height in both columns
    text = str(t).splitlines()
    assert text[0].startswith("visit") and "Version B" in text[0] and "Version A" in text[0]
    assert t._repr_html_().count("<tr>") == 1 + len(t.rows)


def test_a_backward_step_shows_as_unwrapped_fixed_width_text(lecture):
    step = list(tables.backward_steps(lecture["J"]))[-1]
    page = step._repr_html_()
    assert page.startswith('<pre class="backproplib-text" style="white-space: pre; overflow-x: auto">')
    assert html.escape(str(step)) in page


def test_index_and_reshape_text():
    q = bp.Var(np.arange(12.0).reshape(3, 4), name="q")
    picks = [q[1], q[..., ::2], q[np.array([0, 2])], q[:, None]]
    names = tables.node_names(picks[0])
    assert tables.equation(picks[0], names) == "y = q[1]"
    assert [tables.equation(p, tables.node_names(p)).split(" = ")[1] for p in picks[1:]] == [
        "q[..., ::2]", "q[[0, 2]]", "q[:, None]"]


def test_format_value():
    assert tables.format_value(2.0) == "2"
    assert tables.format_value(-1 / 3) == "-0.333333"
    assert tables.format_value(np.array([1.0, 2.5])) == "[1, 2.5]"
    assert tables.format_value(np.zeros((2, 3))) == "shape (2, 3)"
    assert tables.format_value(np.zeros(5)) == "shape (5,)"
    assert tables.format_value(None) == ""
