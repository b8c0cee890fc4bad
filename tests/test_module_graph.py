"""The network as a module-level computation graph: one node per module, the record's values, NNBACKWARD's
gradients (and finite differences), both backward versions, the step-through widget and a drawing without
overlaps."""
import itertools

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.text import Annotation  # noqa: E402

import backproplib as bp  # noqa: E402
from backproplib import draw, models, module_graph, tables, widgets  # noqa: E402

rng = np.random.default_rng(0)
X_BATCH = rng.normal(size=(4, 2))
NETS = {   # name: (model, x, y)
    "1 hidden, sigmoid, binary, one example": (models.OneHiddenLayerNet(2, 3, seed=0, scale=1.0),
                                               np.array([1.0, -0.5]), 1.0),
    "1 hidden, tanh, 3 classes, batch": (models.OneHiddenLayerNet(2, 3, K=3, seed=1, scale=1.0, activation="tanh"),
                                         X_BATCH, np.array([0, 2, 1, 2])),
    "1 hidden, relu, binary, batch": (models.OneHiddenLayerNet(2, 4, seed=2, scale=1.0, activation="relu"),
                                      X_BATCH, np.array([0.0, 1.0, 1.0, 0.0])),
    "2 hidden, sigmoid, binary, one example": (models.TwoHiddenLayerNet(2, 4, 3, seed=0, scale=1.0),
                                               np.array([0.5, -1.0]), 1.0),
    "2 hidden, tanh, 3 classes, one example": (models.TwoHiddenLayerNet(2, 4, 3, K=3, seed=3, scale=1.0,
                                                                       activation="tanh"), np.array([0.5, -1.0]), 2),
    "2 hidden, relu, 3 classes, batch": (models.TwoHiddenLayerNet(2, 4, 3, K=3, seed=4, scale=1.0, activation="relu"),
                                         X_BATCH, np.array([1, 0, 2, 2])),
    "logistic regression, binary, batch": (models.LogisticRegression(2, init="random", seed=5),
                                           X_BATCH, np.array([1.0, 0.0, 0.0, 1.0])),
    "3 hidden layers, sigmoid, binary, batch": (models.MLP(2, [3, 3, 2], seed=6, scale=1.0),
                                                X_BATCH, np.array([1.0, 0.0, 1.0, 1.0])),
}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(params=list(NETS))
def case(request):
    net, x, y = NETS[request.param]
    graph = module_graph.network_graph(net, x, y)
    graph.J.backward()
    return net, x, y, graph


def record_fields(net):
    """The quantities of nn_forward's record the graph has a node for (all but x)."""
    return [f for f in net.Record._fields if f != "x"]


# ------------------------------------------------------------------ one node per module

def test_one_node_per_module_one_hidden_layer():
    net, x, y = NETS["1 hidden, sigmoid, binary, one example"]
    graph = module_graph.network_graph(net, x, y)
    assert list(graph.nodes) == ["x", "alpha", "beta", "a", "z", "b", "y_hat", "J"]
    assert [v.name for v in graph.nodes.values()] == ["x", "α", "β", "a", "z", "b", "ŷ", "J"]
    order = bp.topological_order(graph.J)
    assert order == list(graph.nodes.values())                # no other node: no constants, no slices
    names = tables.node_names(graph.J)
    assert [tables.equation(v, names) for v in order if v.inputs] == [
        "a = α x", "z = σ(a)", "b = β z", "ŷ = σ(b)", "J = CE(ŷ, y*)"]


def test_two_hidden_layers_split_each_affine_module_in_two_nodes():
    net, x, y = NETS["2 hidden, sigmoid, binary, one example"]
    graph = module_graph.network_graph(net, x, y)
    assert list(graph.nodes) == ["x", "alpha1", "b1", "alpha2", "b2", "beta", "beta0",
                                 "s1", "a1", "z1", "s2", "a2", "z2", "s", "b", "y_hat", "J"]
    order = bp.topological_order(graph.J)
    assert set(order) == set(graph.nodes.values()) and len(order) == 17
    names = tables.node_names(graph.J)
    assert [tables.equation(v, names) for v in order if v.inputs] == [
        "s⁽¹⁾ = α⁽¹⁾ᵀx", "a⁽¹⁾ = s⁽¹⁾ + b⁽¹⁾", "z⁽¹⁾ = σ(a⁽¹⁾)", "s⁽²⁾ = α⁽²⁾ᵀz⁽¹⁾", "a⁽²⁾ = s⁽²⁾ + b⁽²⁾",
        "z⁽²⁾ = σ(a⁽²⁾)", "s = βᵀz⁽²⁾", "b = s + β₀", "ŷ = σ(b)", "J = CE(ŷ, y*)"]


def test_leaves_follow_the_models_parameter_names(case):
    net, _, _, graph = case
    leaves = [k for k, v in graph.nodes.items() if not v.inputs]
    assert leaves == ["x", *net.param_names]
    for name in net.param_names:
        assert graph.nodes[name].name == module_graph.symbol(name)
        np.testing.assert_array_equal(graph.nodes[name].value, net.params[name])


def test_the_activation_and_the_output_are_the_models():
    net, x, y = NETS["2 hidden, tanh, 3 classes, one example"]
    names = tables.node_names(module_graph.network_graph(net, x, y).J)
    equations = [tables.equation(v, names) for v in names if v.inputs]
    assert "z⁽¹⁾ = tanh(a⁽¹⁾)" in equations and "ŷ = softmax(b)" in equations


def test_symbols():
    assert [module_graph.symbol(n) for n in ("alpha", "alpha12", "b3", "beta0", "theta", "y_hat", "x", "J")] == [
        "α", "α⁽¹²⁾", "b⁽³⁾", "β₀", "θ", "ŷ", "x", "J"]


# ------------------------------------------------------------------ values and adjoints

def test_values_equal_nn_forwards_record(case):
    net, x, y, graph = case
    o = models.nn_forward(x, y, net.params)
    for field in record_fields(net):
        expected = getattr(o, field)
        if field == "z" and net.depth == 1:
            expected = expected[..., 1:]                          # the record keeps z_0 = 1; the node is σ(a)
        np.testing.assert_allclose(graph.nodes[field].value, expected, rtol=1e-13, atol=1e-15, err_msg=field)
    np.testing.assert_array_equal(graph.nodes["x"].value, x)


def test_adjoints_equal_nn_backwards_gradients(case):
    net, x, y, graph = case
    o = models.nn_forward(x, y, net.params)
    grads = models.nn_backward(x, y, net.params, o)
    for name in net.param_names:
        np.testing.assert_allclose(graph.nodes[name].grad, grads[name], rtol=1e-9, atol=1e-15, err_msg=name)
        assert np.shape(graph.nodes[name].grad) == net.params[name].shape


def _finite_difference(f, value, eps=1e-6):
    """Central differences of the scalar f at every entry of `value` (an independent oracle)."""
    value = np.array(value, dtype=np.float64)
    grad = np.zeros_like(value)
    for i in np.ndindex(value.shape):
        up, down = value.copy(), value.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (f(up) - f(down)) / (2 * eps)
    return grad


def test_adjoints_equal_finite_differences(case):
    net, x, y, graph = case
    for name in net.param_names:
        def J_at(p, name=name):
            params = dict(net.params, **{name: p})
            return module_graph.network_graph(models.model_from_params(
                models.Parameters(params, net.activation.name)), x, y).J.value
        np.testing.assert_allclose(graph.nodes[name].grad, _finite_difference(J_at, net.params[name]),
                                   rtol=1e-5, atol=1e-8, err_msg=name)
    dJ_dx = _finite_difference(lambda xx: module_graph.network_graph(net, xx, y).J.value, x)
    np.testing.assert_allclose(graph.nodes["x"].grad, dJ_dx, rtol=1e-5, atol=1e-8)


def test_versions_a_and_b_agree(case):
    _, _, _, graph = case
    b = {k: np.copy(v.grad) for k, v in graph.nodes.items()}
    graph.J.backward(version="A")
    for k, v in graph.nodes.items():
        np.testing.assert_array_equal(v.grad, b[k], err_msg=k)


def test_table_and_versions_run_on_the_graph(case):
    net, _, _, graph = case
    table = bp.forward_backward_table(graph.J)
    assert [row.name for row in table.inputs] == [module_graph.symbol(n) for n in ("x", *net.param_names)]
    assert len(table.forward_rows) == len(graph.nodes) - 1 - len(net.param_names)
    text = str(tables.backward_versions(graph.J))
    assert "dJ/dŷ +=" in text and "(an input: nothing to push)" in text


# ------------------------------------------------------------------ the step-through widget

@pytest.mark.parametrize("name", ["1 hidden, sigmoid, binary, one example", "2 hidden, sigmoid, binary, one example"])
@pytest.mark.parametrize("version", ["B", "A"])
def test_backward_stepper_runs_through_every_step(name, version):
    net, x, y = NETS[name]
    graph = module_graph.network_graph(net, x, y)
    stepper = widgets.BackwardStepper(graph.J, version=version, layout="chain")
    operations = sum(1 for v in graph.nodes.values() if v.inputs)
    assert len(stepper.steps) == (operations if version == "B" else len(graph.nodes))
    assert stepper.result.step == 0 and stepper.result.adjoints == {"J": 1.0}
    for k in range(1, len(stepper.steps) + 1):
        result = stepper.go(k)
        assert result.step == k and f"step {k} of {len(stepper.steps)}" in stepper.text
    assert set(result.adjoints) == {v.name for v in graph.nodes.values()}
    for v in graph.nodes.values():
        np.testing.assert_array_equal(result.adjoints[v.name], v.grad)
    assert stepper.reset().step == 0
    assert len({png for png in stepper._frames}) == len(stepper.steps) + 1     # every step a picture of its own


# ------------------------------------------------------------------ the drawing

def box_extents(ax):
    """The window extents of the boxes, after checking that every label lies inside its box."""
    ax.figure.canvas.draw()
    labels = [t for t in ax.texts if not isinstance(t, Annotation)]
    boxes = [p.get_window_extent() for p in ax.patches]
    assert len(labels) == len(boxes)
    for text, box in zip(labels, boxes):
        inner = text.get_window_extent()
        assert box.x0 < inner.x0 and inner.x1 < box.x1 and box.y0 < inner.y0 and inner.y1 < box.y1, text.get_text()
    return boxes


def assert_no_overlaps(ax):
    extents = box_extents(ax)
    figure_box = ax.figure.bbox
    for e in extents:
        assert figure_box.x0 <= e.x0 and e.x1 <= figure_box.x1 and figure_box.y0 <= e.y0 and e.y1 <= figure_box.y1
    for e, f in itertools.combinations(extents, 2):
        assert not e.overlaps(f), (e, f)
    return extents


def arrow_ends_touch_boxes(ax):
    """Every arrow starts and ends within 4 pixels of a box's edge or at a bend (another arrow's end)."""
    ax.figure.canvas.draw()
    boxes = [p.get_window_extent() for p in ax.patches]
    ends = [ax.transData.transform(point) for a in ax.texts if isinstance(a, Annotation) for point in (a.xy, a.xyann)]
    for x, y in ends:
        near_box = any(b.x0 - 4 <= x <= b.x1 + 4 and b.y0 - 4 <= y <= b.y1 + 4 for b in boxes)
        shared = sum(np.hypot(x - x2, y - y2) < 0.5 for x2, y2 in ends) > 1
        assert near_box or shared, (x, y)
        assert not any(b.x0 + 1 < x < b.x1 - 1 and b.y0 + 1 < y < b.y1 - 1 for b in boxes)   # never inside one


@pytest.mark.parametrize("name", list(NETS))
def test_chain_drawing_has_no_overlapping_boxes(name):
    net, x, y = NETS[name]
    graph = module_graph.network_graph(net, x, y)
    graph.J.backward()
    ax = bp.draw_graph(graph.J, layout="chain")
    assert tuple(ax.figure.get_size_inches()) == (9.0, 3.2)
    extents = assert_no_overlaps(ax)
    assert len(extents) == len(graph.nodes)
    arrow_ends_touch_boxes(ax)
    if net.depth <= 2:
        assert ax.texts[0].get_fontsize() >= 5.0               # readable at 9 × 3.2 in
    first = ax.texts[0].get_text().split("\n")
    assert first[0] == "x" and first[1] == f"shape {np.shape(x)}" and first[3] == "dJ/dx ="


def test_chain_boxes_show_shape_value_and_adjoint():
    net, x, y = NETS["1 hidden, sigmoid, binary, one example"]
    graph = module_graph.network_graph(net, x, y)
    graph.J.backward()
    boxes = {t.get_text().split("\n")[0]: t.get_text().split("\n")
             for t in bp.draw_graph(graph.J, layout="chain").texts if not isinstance(t, Annotation)}
    a = graph.nodes["a"]
    assert boxes["a = α x"] == ["a = α x", "shape (3,)", f"value {tables.short_value(a.value)}", "dJ/da =",
                                tables.short_value(a.grad)]
    assert boxes["J = CE(ŷ, y*)"][1:] == ["scalar", f"value {graph.J.value:.4g}", "dJ/dJ =", "1"]


def test_chain_layout_places():
    net, x, y = NETS["1 hidden, sigmoid, binary, one example"]
    n = module_graph.network_graph(net, x, y).nodes
    place = draw.chain_layout(n["J"])
    assert [place[n[k]] for k in ("x", "a", "z", "b", "y_hat", "J")] == [(c, 0) for c in range(6)]
    assert place[n["alpha"]] == (1, -1) and place[n["beta"]] == (3, -1)
    net, x, y = NETS["2 hidden, sigmoid, binary, one example"]
    n = module_graph.network_graph(net, x, y).nodes
    place = draw.chain_layout(n["J"], rows=2)
    assert place[n["a2"]] == (5, 0) and place[n["z2"]] == (0, 1) and place[n["J"]] == (4, 1)
    assert place[n["alpha1"]] == (1, -1) and place[n["beta"]] == (1, 2) and place[n["beta0"]] == (2, 2)


def test_stepper_frames_share_one_layout_and_have_no_overlaps():
    net, x, y = NETS["2 hidden, sigmoid, binary, one example"]
    J = module_graph.network_graph(net, x, y).J
    stepper = widgets.BackwardStepper(J, layout="chain")
    ax = stepper.view.axes[0]
    last = assert_no_overlaps(ax)                              # the last frame drawn
    stepper._draw_frame(0)
    first = assert_no_overlaps(ax)
    assert [(e.x0, e.y0, e.x1, e.y1) for e in first] == [(e.x0, e.y0, e.x1, e.y1) for e in last]


def test_the_column_layout_is_unchanged_by_default():
    x = bp.Var(2.0, name="x")
    J = bp.cos(bp.sin(x ** 2) + 3 * x ** 2).named("J")
    J.backward()
    ax = bp.draw_graph(J)
    label, = (t.get_text() for t in ax.texts if t.get_text().startswith("J = cos("))
    assert label.split("\n")[1:] == [f"value {tables.format_value(J.value)}", "dJ/dJ = 1"]
    assert tuple(ax.figure.get_size_inches()) != (9.0, 3.2)     # sized to the graph, as before
    assert all(t.get_fontsize() == 9 for t in ax.texts if not isinstance(t, Annotation))


def test_short_value():
    assert tables.short_value(0.59994) == "0.5999"
    assert tables.short_value(np.array([1.0, -0.5])) == "[1, −0.5]"
    assert tables.short_value(np.array([0.123456, -2.0, 3.0, 4.0])) == "[0.123, −2, …]"
    assert tables.short_value(np.arange(6.0).reshape(2, 3)) == "[[0, 1, …], …]"
    assert tables.short_value(np.array([[1.0, 2.0]])) == "[[1, 2]]"


# ------------------------------------------------------------------ bad input

def test_bad_input_gives_clear_errors():
    net, x, y = NETS["1 hidden, sigmoid, binary, one example"]
    with pytest.raises(TypeError, match="network_graph: expected a network .* got Parameters"):
        module_graph.network_graph(net.params, x, y)
    with pytest.raises(ValueError, match=r"network_graph: x has shape \(3,\), but this model takes M = 2"):
        module_graph.network_graph(net, [1.0, 2.0, 3.0], y)
    with pytest.raises(ValueError, match="network_graph: labels y are needed"):
        module_graph.network_graph(net, x, None)
    with pytest.raises(ValueError, match="network_graph: binary labels y\\* must be 0 or 1"):
        module_graph.network_graph(net, x, 2)
    with pytest.raises(ValueError, match="network_graph: x contains NaN or inf"):
        module_graph.network_graph(net, [np.nan, 1.0], y)
    huge = models.OneHiddenLayerNet.from_params({"alpha": np.full((3, 3), 1e300), "beta": np.ones(4)})
    with pytest.raises(ValueError, match=r"network_graph: a = α x: overflow"):
        module_graph.network_graph(huge, [1e10, 1e10], 1.0)
    J = module_graph.network_graph(net, x, y).J
    with pytest.raises(ValueError, match="draw_graph: layout must be 'columns' or 'chain', got 'tree'"):
        bp.draw_graph(J, layout="tree")
    with pytest.raises(ValueError, match="chain_layout: rows must be 1 or 2"):
        draw.chain_layout(J, rows=3)


def test_a_graph_that_is_not_a_chain_is_refused():
    x = bp.Var(1.0, name="x")
    J = (bp.sin(x) * bp.cos(x)).named("J")
    with pytest.raises(ValueError, match="layout='chain' needs operations that form one chain"):
        bp.draw_graph(J, layout="chain")


def test_a_saturated_output_makes_dJ_dy_hat_fail_loudly():
    net = models.LogisticRegression.from_params({"theta": np.array([0.0, 100.0])})
    graph = module_graph.network_graph(net, [1.0], 0.0)           # ŷ = σ(100) rounds to exactly 1
    assert graph.nodes["y_hat"].value == 1.0 and np.isfinite(graph.J.value)
    with pytest.raises(ValueError, match="backward: .*cross_entropy"):
        graph.J.backward()
    assert graph.nodes["theta"].grad is None                   # nothing half-set
