"""Per-layer gradient norms (backproplib.depth) and the DepthExplorer widget of notebook 09.

Oracles: the mean cross-entropy of the network written out again in numpy here (not models.py), its
gradient by central differences, and the engine's reverse mode on `engine_loss`; the widget's training
run against a direct `training.sgd` call from the same seed.
"""
import matplotlib

matplotlib.use("Agg")

import base64
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from backproplib import data, depth, models, training
from backproplib import functional as F
from backproplib.depth_explorer import NORM_RANGE, SCALES, DepthExplorer, bar_label
from backproplib.panels import NOT_TRAINED

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ACT = {"sigmoid": F.sigmoid, "tanh": np.tanh, "relu": lambda a: np.maximum(a, 0.0)}


@pytest.fixture(scope="module")
def moons():
    return data.load_dataset("moons", n=200, seed=0)


def oracle_J(params, L, activation, X, y):
    """Mean binary cross-entropy of the network, from the lecture's equations, independent of models.py."""
    act = ACT[activation]
    if L == 1:                                                         # Case 2: x_0 = z_0 = 1 folded in
        z = act(np.c_[np.ones(len(X)), X] @ params["alpha"].T)
        b = np.c_[np.ones(len(X)), z] @ params["beta"]
    else:
        h = X
        for l in range(1, L + 1):
            h = act(h @ params[f"alpha{l}"] + params[f"b{l}"])
        b = h @ params["beta"] + params["beta0"]
    return float(np.mean(np.logaddexp(0.0, b) - y * b))               # −[y log σ(b) + (1 − y) log(1 − σ(b))]


def oracle_norms(net, X, y, eps=1e-6):
    """‖dJ/dW‖ per weight matrix by central differences of oracle_J (bias column of a folded W left out)."""
    params = {n: p.copy() for n, p in net.params.items()}
    names = ("alpha", "beta") if net.depth == 1 else tuple(f"alpha{l}" for l in range(1, net.depth + 1)) + ("beta",)
    norms = {}
    for name in names:
        W = params[name]
        g = np.zeros_like(W)
        for i in np.ndindex(W.shape):
            keep = W[i]
            W[i] = keep + eps
            up = oracle_J(params, net.depth, net.activation.name, X, y)
            W[i] = keep - eps
            down = oracle_J(params, net.depth, net.activation.name, X, y)
            W[i] = keep
            g[i] = (up - down) / (2 * eps)
        if net.depth == 1:
            g = g[..., 1:]
        norms[name] = float(np.linalg.norm(g))
    return norms


@pytest.mark.parametrize("L", [1, 2, 4])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_layer_norms_match_finite_differences_of_an_independent_loss(moons, L, activation):
    net = models.MLP(2, [5] * L, activation=activation, seed=3, scale=1.0)
    X, y = moons.X_train[:30], moons.y_train[:30]
    assert oracle_J(net.params, L, activation, X, y) == pytest.approx(net.mean_cross_entropy(X, y), rel=1e-12)
    got = depth.layer_gradient_norms(net, X, y)
    want = oracle_norms(net, X, y)
    assert list(got) == list(want)                                     # input to output
    for name in want:
        assert got[name] == pytest.approx(want[name], rel=1e-6, abs=1e-10), name


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_layer_norms_match_the_engines_reverse_mode(moons, activation):
    net = models.MLP(2, [6] * 5, activation=activation, seed=1, scale=0.7)
    X, y = moons.X_train, moons.y_train
    J, V = net.engine_loss(X, y)
    J.backward()
    got = depth.layer_gradient_norms(net, X, y)
    assert list(got) == ["alpha1", "alpha2", "alpha3", "alpha4", "alpha5", "beta"]
    for name, value in got.items():
        assert value == pytest.approx(np.linalg.norm(V[name].grad), rel=1e-10), name


def test_the_sigmoid_gradient_shrinks_toward_the_input_and_a_wide_relu_start_explodes(moons):
    X, y = moons.X_train, moons.y_train
    sig = list(depth.layer_gradient_norms(models.MLP(2, [8] * 6, seed=0, scale=0.5), X, y).values())
    assert all(a < b for a, b in zip(sig, sig[1:]))                   # every layer smaller than the one above
    assert sig[0] / sig[-1] < 1e-4
    relu = depth.layer_gradient_norms(models.MLP(2, [8] * 6, activation="relu", seed=0, scale=4.0), X, y)
    assert min(relu.values()) > 1e3


def test_layer_weights_and_bad_input():
    assert depth.layer_weights(models.MLP(2, [3], seed=0)) == ("alpha", "beta")
    assert depth.layer_weights(models.MLP(2, [], seed=0)) == ("theta",)
    assert depth.layer_weights(models.MLP(2, [3, 3, 3], seed=0)) == ("alpha1", "alpha2", "alpha3", "beta")
    with pytest.raises(TypeError, match="layer_gradient_norms: net must be a backproplib model.*dict"):
        depth.layer_gradient_norms({"alpha": np.zeros((2, 3))}, np.zeros((1, 2)), [0])
    with pytest.raises(ValueError, match=r"x has shape \(4, 3\).*M = 2"):
        depth.layer_gradient_norms(models.MLP(2, [3, 3], seed=0), np.zeros((4, 3)), [0, 1, 0, 1])


def test_bar_labels_use_the_lectures_symbols():
    assert [bar_label(n) for n in ("alpha1", "alpha12", "alpha", "beta", "theta")] == \
        ["α⁽¹⁾", "α⁽¹²⁾", "α", "β", "θ"]


# ------------------------------------------------------------------ the widget

def norms_in(text):
    """The ‖dJ/dW‖ line of the readout as {name: value}."""
    line = next(line for line in text.splitlines() if line.startswith("‖dJ/dW‖:"))
    return {name: float(value) for name, value in re.findall(r"(\w+) = ([0-9.e+-]+)", line)}


def test_the_explorer_opens_in_its_documented_start_state(moons):
    explorer = DepthExplorer()
    assert (explorer.hidden_layers.value, explorer.activation.value, explorer.init_scale.value) == (4, "sigmoid", 1.0)
    assert explorer.history is None and explorer.text.endswith(NOT_TRAINED)
    net = models.MLP(2, [8] * 4, seed=0, scale=1.0)
    want = depth.layer_gradient_norms(net, moons.X_train, moons.y_train)
    assert explorer.result["norms"] == want
    shown = norms_in(explorer.text)
    assert list(shown) == list(want)
    for name in want:
        assert shown[name] == pytest.approx(want[name], rel=1e-4)
    assert f"J = {net.mean_cross_entropy(moons.X_train, moons.y_train):.4f}" in explorer.text
    heights = [bar.get_height() + NORM_RANGE[0] for bar in explorer.bars if bar.get_visible()]
    assert heights == pytest.approx(list(want.values()), rel=1e-12)
    assert [t.get_text() for t in explorer.labels if t.get_text()] == ["α⁽¹⁾", "α⁽²⁾", "α⁽³⁾", "α⁽⁴⁾", "β"]


@pytest.mark.parametrize("control, value, network", [
    ("hidden_layers", 6, dict(hidden=[8] * 6)),
    ("hidden_layers", 1, dict(hidden=[8])),
    ("activation", "relu", dict(hidden=[8] * 4, activation="relu")),
    ("init_scale", 0.25, dict(hidden=[8] * 4, scale=0.25)),
])
def test_each_control_move_shows_the_norms_of_the_network_it_describes(moons, control, value, network):
    explorer = DepthExplorer()
    before = dict(explorer.result["norms"])
    getattr(explorer, control).value = value
    net = models.MLP(2, network.pop("hidden"), **{"scale": 1.0, **network}, seed=0)
    want = depth.layer_gradient_norms(net, moons.X_train, moons.y_train)
    assert explorer.result["norms"] == want != before
    assert list(norms_in(explorer.text)) == list(want)
    assert sum(bar.get_visible() for bar in explorer.bars) == len(want)
    assert explorer.last_update_seconds < 1.0                          # generous here; measured ~20 ms


def test_train_gives_the_losses_of_sgd_from_the_same_seed_and_a_change_makes_it_stale(moons):
    explorer = DepthExplorer(hidden_layers=2, activation="tanh", epochs=5, learning_rate=0.2)
    history = explorer.train()
    oracle = training.sgd(models.MLP(2, [8, 8], activation="tanh", seed=0, scale=1.0), *moons, epochs=5, lr=0.2)
    assert [r["train_cross_entropy"] for r in history] == [r["train_cross_entropy"] for r in oracle]
    assert [r["test_cross_entropy"] for r in history] == [r["test_cross_entropy"] for r in oracle]
    assert explorer.progress.value == 5
    assert list(explorer.loss_curves.train_line.get_ydata()) == [r["train_cross_entropy"] for r in oracle]
    assert f"train J = {oracle[-1]['train_cross_entropy']:.4f}" in explorer.text
    explorer.hidden_layers.value = 3
    assert explorer.history is None and explorer.text.endswith(NOT_TRAINED)
    assert len(explorer.loss_curves.train_line.get_xdata()) == 0 and explorer.progress.value == 0


def test_reset_returns_to_the_start_state_and_its_picture(moons):
    explorer = DepthExplorer(hidden_layers=3, activation="relu", init_scale=0.5, epochs=3)
    start_text, start_png = explorer.text, bytes(explorer.view.image.value)
    explorer.hidden_layers.value = 5
    explorer.init_scale.value = 4.0
    explorer.train()
    assert explorer.text != start_text
    explorer.reset_button.click()
    assert (explorer.hidden_layers.value, explorer.activation.value, explorer.init_scale.value) == (3, "relu", 0.5)
    assert explorer.text == start_text and explorer.history is None
    assert bytes(explorer.view.image.value) == start_png


def test_the_display_bundle_has_the_picture_and_a_text():
    explorer = DepthExplorer(hidden_layers=2)
    data_, metadata = explorer._repr_mimebundle_()
    png = base64.b64decode(data_["image/png"])
    assert png.startswith(PNG_MAGIC) and png == bytes(explorer.view.image.value)
    assert data_["text/plain"].startswith("DepthExplorer: run the notebook to use it. Figure: left: bars")
    assert "application/vnd.jupyter.widget-view+json" in data_
    assert set(metadata["image/png"]) == {"width", "height"}


@pytest.mark.parametrize("kwargs, message", [
    (dict(hidden_layers=0), "hidden_layers must be a whole number from 1 to 6, got 0"),
    (dict(hidden_layers=7), "hidden_layers must be a whole number from 1 to 6, got 7"),
    (dict(hidden_layers=2.0), "hidden_layers must be a whole number from 1 to 6, got 2.0"),
    (dict(activation="softplus"), "activation must be one of sigmoid, tanh, relu, got 'softplus'"),
    (dict(init_scale=0), "init_scale must be a positive finite number, got 0"),
    (dict(init_scale=float("nan")), "init_scale must be a positive finite number, got nan"),
    (dict(hidden_units=0), "hidden_units must be a whole number from 1 to 64, got 0"),
    (dict(epochs=0), "epochs must be a whole number from 1 to 200, got 0"),
    (dict(learning_rate=-1), "learning_rate must be a positive finite number, got -1"),
])
def test_bad_settings_are_refused_with_a_message_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(f"DepthExplorer: {message}")):
        DepthExplorer(**kwargs)


# ------------------------------------------------------------------ random sequences of a person's actions

ACTIONS = st.one_of(
    st.tuples(st.just("hidden_layers"), st.integers(1, 6)),
    st.tuples(st.just("activation"), st.sampled_from(["sigmoid", "tanh", "relu"])),
    st.tuples(st.just("init_scale"), st.sampled_from(SCALES)),
    st.tuples(st.just("train"), st.none()),
    st.tuples(st.just("reset"), st.none()),
)


@pytest.fixture(scope="module")
def shared_explorer():
    explorer = DepthExplorer(hidden_layers=2, activation="tanh", init_scale=0.5, epochs=2, learning_rate=0.2)
    return explorer, explorer.text, bytes(explorer.view.image.value)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(actions=st.lists(ACTIONS, min_size=1, max_size=6))
def test_after_every_action_the_explorer_shows_the_network_its_controls_describe(moons, shared_explorer, actions):
    explorer, start_text, start_png = shared_explorer
    explorer.reset()
    assert explorer.text == start_text and bytes(explorer.view.image.value) == start_png
    trained = None                                     # the controls of the run on show, if any
    for action, value in actions:
        controls = (explorer.hidden_layers.value, explorer.activation.value, explorer.init_scale.value)
        if action == "train":
            history = explorer.train()
            net = models.MLP(2, [8] * controls[0], activation=controls[1], seed=0, scale=controls[2])
            oracle = training.sgd(net, *moons, epochs=2, lr=0.2)
            assert history == oracle
            trained = controls
        elif action == "reset":
            explorer.reset_button.click()
            assert explorer.text == start_text and bytes(explorer.view.image.value) == start_png
            trained = None
        else:
            getattr(explorer, action).value = value
            now = (explorer.hidden_layers.value, explorer.activation.value, explorer.init_scale.value)
            if now != controls:
                trained = None                          # a real change makes the run stale
        layers, activation, scale = (explorer.hidden_layers.value, explorer.activation.value,
                                     explorer.init_scale.value)
        net = models.MLP(2, [8] * layers, activation=activation, seed=0, scale=scale)
        want = depth.layer_gradient_norms(net, moons.X_train, moons.y_train)
        assert explorer.result["norms"] == want
        assert list(norms_in(explorer.text)) == list(want)
        assert (explorer.history is None) == (trained is None)
        assert explorer.text.endswith(NOT_TRAINED) == (trained is None)
