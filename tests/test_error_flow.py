"""The error-flow picture (error_flow.py): every number against nn_backward and finite differences, the
steps in order, the widget's controls, Reset, speed, display, and clear errors for what it cannot draw."""
import base64

import numpy as np
import pytest

import backproplib as bp
from backproplib import error_flow as ef
from backproplib import models

X = np.array([0.8, -0.4])
NETS = {
    "one hidden, binary": (models.OneHiddenLayerNet(2, 3, seed=1, scale=1.0), 1.0),
    "one hidden, K = 2": (models.OneHiddenLayerNet(2, 3, K=2, seed=2, scale=1.0), 0),
    "one hidden, tanh": (models.OneHiddenLayerNet(2, 3, seed=3, scale=1.0, activation="tanh"), 0.0),
    "two hidden, binary": (models.TwoHiddenLayerNet(2, 3, 2, seed=4, scale=1.0), 0.0),
    "two hidden, K = 3": (models.TwoHiddenLayerNet(2, 3, 2, K=3, seed=5, scale=1.0), 2),
    "two hidden, relu": (models.TwoHiddenLayerNet(2, 3, 2, seed=6, scale=1.0, activation="relu"), 1.0),
}


def central(f, array, eps=1e-6):
    """The central finite-difference gradient of f() with respect to `array`, changed in place."""
    g = np.zeros_like(array)
    for i in np.ndindex(array.shape):
        keep = array[i]
        array[i] = keep + eps
        up = f()
        array[i] = keep - eps
        down = f()
        array[i] = keep
        g[i] = (up - down) / (2 * eps)
    return g


@pytest.mark.parametrize("name", NETS)
def test_gradients_are_nn_backwards(name):
    net, y = NETS[name]
    flow = ef.error_flow(net.params, X, y)
    o = bp.nn_forward(X, y, net.params)
    expected = bp.nn_backward(X, y, net.params, o)
    assert set(flow.gradients) == set(expected)
    for param, g in expected.items():
        np.testing.assert_allclose(flow.gradients[param], g, rtol=1e-12, atol=1e-15, err_msg=param)
    assert flow.J == pytest.approx(float(o.J), rel=1e-15)


@pytest.mark.parametrize("name", NETS)
def test_gradients_and_dJ_dx_against_finite_differences(name):
    net, y = NETS[name]
    flow = ef.error_flow(net.params, X, y)
    params = {n: p.copy() for n, p in net.params.items()}
    model = models.model_from_params(params, net.activation.name)
    for param, array in params.items():
        fd = central(lambda: float(model.forward(X, y).J), array)
        np.testing.assert_allclose(flow.gradients[param], fd, rtol=1e-5, atol=1e-8, err_msg=param)
    x = X.copy()
    np.testing.assert_allclose(flow.g_x, central(lambda: float(model.forward(x, y).J), x), rtol=1e-5, atol=1e-8)


def test_each_edge_carries_weight_times_the_error_above_and_each_node_sums_them():
    net, y = NETS["two hidden, binary"]
    flow = ef.error_flow(net.params, X, y)
    p = net.params
    np.testing.assert_allclose(flow.messages[2][:, 0], p["beta"] * flow.g_b[0])
    np.testing.assert_allclose(flow.messages[1], p["alpha2"] * flow.g_a[1])
    np.testing.assert_allclose(flow.g_z[1], flow.messages[2].sum(axis=1))
    np.testing.assert_allclose(flow.g_z[0], p["alpha2"] @ flow.g_a[1])
    z = flow.z[0]
    np.testing.assert_allclose(flow.g_a[0], flow.g_z[0] * z * (1 - z))         # σ′(a) = z(1 − z), eq. 9
    np.testing.assert_allclose(flow.g_b, flow.y_hat - y)                       # dJ/db = ŷ − y*


def test_one_hidden_layer_reads_the_folded_layout():
    """α is (D, M+1) with column 0 the bias (x₀ = 1): the bias node's edges carry α_j,0, and α[j, 1:] the rest."""
    net, y = NETS["one hidden, binary"]
    flow = ef.error_flow(net.params, X, y)
    alpha, beta = net.params["alpha"], net.params["beta"]
    np.testing.assert_array_equal(flow.rows[0].W, alpha[:, 1:].T)
    np.testing.assert_array_equal(flow.rows[1].W[:, 0], beta[1:])
    assert ef.edge_name(flow, 0, 2, 1) == "α₂,₀" and ef.edge_name(flow, 0, 0, 2) == "α₃,₁"
    assert ef.edge_name(flow, 1, 3, 0) == "β₀" and ef.edge_name(flow, 1, 1, 0) == "β₂"
    two = ef.error_flow(NETS["two hidden, K = 3"][0].params, X, 2)
    assert ef.edge_name(two, 0, 1, 2) == "α⁽¹⁾₂,₃" and ef.edge_name(two, 1, 3, 0) == "b⁽²⁾₁"
    assert ef.edge_name(two, 2, 2, 1) == "β₀,₂"


@pytest.mark.parametrize("name", NETS)
def test_steps_reveal_the_errors_output_first(name):
    net, y = NETS[name]
    flow = ef.error_flow(net.params, X, y)
    L = flow.depth
    assert [s.step for s in flow.steps] == list(range(2 * L + 3))
    assert flow.steps[0].errors == {} and flow.steps[0].gradients == {}
    assert set(flow.steps[1].errors) == {("b", k) for k in range(flow.sizes[-1])}
    for before, after in zip(flow.steps, flow.steps[1:]):
        assert set(before.errors) < set(after.errors)                        # each step learns something new
        assert set(before.gradients) <= set(after.gradients)
        assert all(after.errors[n] == before.errors[n] for n in before.errors)
    last = flow.steps[-1]
    edges = sum((len(row.W) + 1) * row.W.shape[1] for row in flow.rows)
    assert len(last.gradients) == edges == sum(p.size for p in net.params.values())
    assert [s.flowing for s in flow.steps if s.flowing is not None] == list(range(L, -1, -1))
    np.testing.assert_allclose([last.errors[("x", i)] for i in range(2)], flow.g_x)


def test_readout_numbers_are_the_librarys():
    net, y = NETS["one hidden, binary"]
    flow = ef.error_flow(net.params, X, y)
    g = bp.nn_backward(X, y, net.params, bp.nn_forward(X, y, net.params))
    shown = {}
    for step in flow.steps:
        shown.update(ef.readout_numbers(step.text))
    assert shown["dJ/db"] == pytest.approx(flow.g_b[0], abs=5e-7)
    for j in range(3):
        assert shown[f"dJ/da{ef._sub(j + 1)}"] == pytest.approx(flow.g_a[0][j], abs=5e-7)
        for i in range(3):
            assert shown[f"dJ/dα{ef._sub(j + 1)},{ef._sub(i)}"] == pytest.approx(g["alpha"][j, i], abs=5e-7)
    for j in range(4):
        assert shown[f"dJ/dβ{ef._sub(j)}"] == pytest.approx(g["beta"][j], abs=5e-7)
    np.testing.assert_allclose([shown["dJ/dx₁"], shown["dJ/dx₂"]], flow.g_x, atol=5e-7)
    assert len(shown) == 1 + 3 + 3 + 9 + 4 + 2                    # b, z, a, α, β, x: nothing else, nothing less


@pytest.fixture(scope="module")
def explorer():
    net, y = NETS["two hidden, binary"]
    return ef.ErrorFlowExplorer(net.params, X, y)


def test_explorer_starts_at_step_0_and_steps_with_its_buttons(explorer):
    explorer.reset()
    assert explorer.step == 0 and explorer.text == explorer.steps[0].text
    assert explorer.text.startswith("step 0 of 6: forward pass done")
    start_picture = bytes(explorer.view.image.value)
    explorer.step_button.click()
    explorer.step_button.click()
    assert explorer.step == 2 and explorer.text == explorer.steps[2].text
    assert bytes(explorer.view.image.value) != start_picture
    explorer.back_button.click()
    assert explorer.step == 1
    explorer.slider.value = 5
    assert explorer.text == explorer.steps[5].text
    assert explorer.go(99).step == 6 and explorer.go(-3).step == 0          # clamped
    explorer.go(4)
    explorer.reset_button.click()
    assert explorer.step == 0 and bytes(explorer.view.image.value) == start_picture


def test_every_step_is_a_new_picture_and_quick(explorer):
    pictures = set()
    for k in range(len(explorer.steps)):
        explorer.go(k)
        assert explorer.last_update_seconds < 0.1
        pictures.add(bytes(explorer.view.image.value))
    assert len(pictures) == len(explorer.steps)


def test_display_bundle_has_a_picture_and_a_description(explorer):
    data, meta = explorer._repr_mimebundle_()
    assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG\r\n\x1a\n")
    assert data["text/plain"].startswith("ErrorFlowExplorer: run the notebook to use it. Figure: a network")
    assert "application/vnd.jupyter.widget-view+json" in data
    assert meta["image/png"]["width"] == explorer.view.css_size[0]


def test_presentation_mode_draws_a_larger_sharper_picture():
    net, y = NETS["one hidden, binary"]
    small = ef.ErrorFlowExplorer(net.params, X, y)
    bp.present()
    try:
        big = ef.ErrorFlowExplorer(net.params, X, y)
    finally:
        bp.present(False)
    assert big.view.css_size[0] > small.view.css_size[0] >= 800
    assert big.view.figure.dpi >= 2 * small.view.figure.dpi
    for view in (small, big):                              # every CSS pixel gets whole figure pixels
        ratio = view.view.figure.dpi / view.view.style.dpi
        assert view.view.canvas.get_width_height() == tuple(round(ratio * c) for c in view.view.css_size)


@pytest.mark.parametrize("params, x, y, message", [
    (models.LogisticRegression(2).params, X, 1.0, "1 or 2 hidden layers, got a network with 0"),
    (models.MLP(2, [2, 2, 2]).params, X, 1.0, "1 or 2 hidden layers, got a network with 3"),
    (NETS["one hidden, binary"][0].params, np.ones((4, 2)), np.ones(4), r"one example of shape \(2,\), got shape \(4, 2\)"),
    (NETS["one hidden, binary"][0].params, np.ones(3), 1.0, r"one example of shape \(2,\), got shape \(3,\)"),
    (NETS["one hidden, binary"][0].params, X, None, "the label y\\* is needed"),
    (NETS["one hidden, binary"][0].params, X, 0.5, "binary labels y\\* must be 0 or 1"),
    (NETS["one hidden, K = 2"][0].params, X, 2, "label"),
    (models.OneHiddenLayerNet(2, 7).params, X, 1.0, r"at most 6 units .* sizes \(2, 7, 1\)"),
    ({"alpha": np.ones((3, 3))}, X, 1.0, "match no model"),
])
def test_bad_input_is_refused_clearly(params, x, y, message):
    with pytest.raises(ValueError, match=message):
        ef.error_flow(params, x, y)


def test_the_picture_grows_with_the_widest_layer_and_names_its_colours():
    net, y = NETS["one hidden, binary"]
    three = ef.ErrorFlowExplorer(net.params, X, y)
    six = ef.ErrorFlowExplorer(models.OneHiddenLayerNet(2, 6, seed=7, scale=1.0).params, X, y)
    assert six.view.css_size[1] > three.view.css_size[1] and six.view.css_size[0] == three.view.css_size[0]
    assert "orange positive, blue negative" in three.view.description
    bp.present(high_contrast=True)
    try:
        contrast = ef.ErrorFlowExplorer(net.params, X, y)
    finally:
        bp.present(False)
    assert "yellow positive, dark blue negative" in contrast.view.description
