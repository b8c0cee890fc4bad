"""The general network (issue 14): any depth, sigmoid / tanh / ReLU, in the lecture's notation.

Three routes hold each other: the hand-written module backward, the engine's reverse mode on the same
J, and sixth-order finite differences (test_modules.assert_three_routes), to 1e-10 relative.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import backproplib as bp
from backproplib import functional as F
from backproplib import modules
from backproplib.activations import ACTIVATIONS, activation
from backproplib.models import MLP, model_from_params, nn_backward, nn_forward
from test_modules import (
    FAST, TOL, assert_three_routes, assert_value_error, engine_graph, numerical_gradient, rel_error, seeds,
)

ACTS = sorted(ACTIVATIONS)


# ------------------------------------------------------------------ activations as modules, three ways

@FAST
@given(name=st.sampled_from(ACTS), n=st.sampled_from([None, 1, 3]), seed=seeds)
def test_each_activation_module_three_routes(name, n, seed):
    """Hand-written backward == engine op == finite differences, for J = Σ w ⊙ act(a)."""
    act = ACTIVATIONS[name]
    rng = np.random.default_rng(seed)
    shape = (4,) if n is None else (n, 4)
    a = rng.uniform(0.1, 2.0, shape) * rng.choice([-1.0, 1.0], shape)     # |a| ≥ 0.1: off ReLU's kink
    w = rng.normal(size=shape)
    arrays = {"a": a}
    z, cache = act.forward(a)
    assert_three_routes(arrays, {"a": act.backward(w, cache)},
                        engine_graph(arrays, lambda V: bp.sum(act.engine(V["a"]) * w)),
                        lambda: float(np.sum(act.forward(arrays["a"])[0] * w)))


def test_activation_forwards_and_derivatives_in_closed_form():
    a = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    g = np.ones(5)
    z, cache = modules.tanh_forward(a)
    assert np.array_equal(z, np.tanh(a)) and np.allclose(modules.tanh_backward(g, cache), 1 / np.cosh(a) ** 2,
                                                         rtol=1e-14)
    z, cache = modules.relu_forward(a)
    assert z.tolist() == [0.0, 0.0, 0.0, 0.5, 3.0]
    assert modules.relu_backward(g, cache).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]     # 0 at the kink a = 0
    z, cache = modules.sigmoid_forward(a)
    assert np.array_equal(modules.sigmoid_backward(g, cache), F.sigmoid_derivative(a))
    assert np.array_equal(modules.tanh_forward(np.array([-1e308, 1e308]))[0], [-1.0, 1.0])


# ------------------------------------------------------------------ every depth and activation

def _pre_activations(model, X):
    o = model.forward(X)
    return [np.asarray(v) for f, v in o._asdict().items() if f.startswith("a") and f != "a" or
            (f == "a" and model.depth == 1)]


def _model_away_from_kinks(M, hidden, K, name, n, seed):
    """A model with every entry from U(-1, 1) and data whose pre-activations keep 0.1 away from 0
    (finite differences with step 3·10⁻² must not cross ReLU's kink); drawn again until they do."""
    rng = np.random.default_rng(seed)
    for _ in range(200):
        shapes = MLP.shapes(M, *hidden, K=K)
        model = model_from_params({p: rng.uniform(-1, 1, s) for p, s in shapes.items()}, name)
        X = rng.uniform(-1.5, 1.5, (n, M))
        if all(np.min(np.abs(a), initial=1.0) > 0.1 for a in _pre_activations(model, X)):
            return model, X, rng
    pytest.skip("no draw kept away from the kinks")


@pytest.mark.parametrize("name", ACTS)
@pytest.mark.parametrize("hidden", [[], [3], [3, 2], [2, 3, 2], [2, 2, 2, 2]])
@pytest.mark.parametrize("K", [None, 3])
def test_every_depth_and_activation_three_routes(hidden, name, K):
    model, X, rng = _model_away_from_kinks(3, hidden, K, name, 4, seed=len(hidden) * 7 + ACTS.index(name))
    y = rng.integers(0, 2 if K is None else K, 4)
    J, grads = model.loss_and_gradients(X, y)
    x, yp = model.prepare(X, y)
    assert J == model.mean_cross_entropy(X, y)
    assert model.param_names == tuple(MLP.shapes(3, *hidden, K=K))
    J_engine, V = model.engine_loss(X, y)
    assert abs(J_engine.value - J) <= 1e-14 * J
    J_engine.backward()
    scale = max(np.max(np.abs(g)) for g in grads.values())
    for n, p in model.params.items():
        assert rel_error(grads[n], V[n].grad) < TOL, n                      # the engine, per array
        numeric = numerical_gradient(lambda: model.forward_prepared(x, yp).J, p, h=3e-3)
        assert np.max(np.abs(grads[n] - numeric)) <= TOL * scale, n        # sixth-order differences
    for route in ("backward", "engine"):       # deep nets' gradients can be too small for ε = 1e-6 to judge
        assert bp.check_model(model, X, y, route=route).status in ("PASSED", "INCONCLUSIVE")


def test_names_continue_the_lecture_and_the_record_names_every_layer():
    model = MLP(4, [5, 3, 2], K=6, activation="tanh")
    assert model.param_names == ("alpha1", "b1", "alpha2", "b2", "alpha3", "b3", "beta", "beta0")
    assert {n: p.shape for n, p in model.params.items()} == {
        "alpha1": (4, 5), "b1": (5,), "alpha2": (5, 3), "b2": (3,), "alpha3": (3, 2), "b3": (2,),
        "beta": (2, 6), "beta0": (6,)}
    o = model.forward(np.ones((7, 4)), np.zeros(7, int))
    assert type(o).__name__ == "NN3Forward" and o._fields == (
        "x", "a1", "z1", "a2", "z2", "a3", "z3", "b", "y_hat", "J")
    assert np.array_equal(o.z2, np.tanh(o.a2)) and model.sizes == {"M": 4, "H1": 5, "H2": 3, "H3": 2}
    assert repr(model).endswith("output='softmax', activation='tanh')")


@pytest.mark.parametrize("cls, hidden", [(bp.LogisticRegression, []), (bp.OneHiddenLayerNet, [4]),
                                         (bp.TwoHiddenLayerNet, [4, 3])])
@pytest.mark.parametrize("K", [None, 3])
def test_the_lecture_models_are_the_mlp_exactly(cls, hidden, K):
    """MLP(M, [..], K) and the named special case: the same parameters, the same numbers, bit for bit."""
    special = cls(3, *hidden, K=K, init="random", seed=4, scale=0.8)
    general = MLP(3, hidden, K=K, init="random", seed=4, scale=0.8)
    assert isinstance(special, MLP) and special.param_names == general.param_names
    assert all(np.array_equal(special.params[n], general.params[n]) for n in special.param_names)
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 2 if K is None else K, 6)
    J1, g1 = special.loss_and_gradients(X, y)
    J2, g2 = general.loss_and_gradients(X, y)
    assert J1 == J2 and all(np.array_equal(g1[n], g2[n]) for n in g1)
    assert type(model_from_params(special.params)) is cls


# ------------------------------------------------------------------ the activation travels with the model

def test_nn_forward_uses_the_models_activation():
    net = bp.OneHiddenLayerNet(2, 3, K=2, activation="tanh", seed=1, scale=1.0)
    x = np.array([0.3, -0.7])
    o = nn_forward(x, 1, net.params)
    assert np.array_equal(o.z[1:], np.tanh(o.a))
    grads = nn_backward(x, 1, net.params, o)
    assert all(np.array_equal(grads[n], g) for n, g in net.loss_and_gradients(x, 1)[1].items())
    assert np.array_equal(nn_forward(x, 1, net).z, o.z)                     # the model itself will do
    copied = net.copy()
    assert copied.activation.name == "tanh" and copied.params.activation == "tanh"


def test_parameters_of_another_model_are_refused():
    tanh_net = bp.OneHiddenLayerNet(2, 3, activation="tanh")
    assert_value_error(lambda: bp.OneHiddenLayerNet.from_params(tanh_net.params, "relu"),
                       ["belong to a tanh network, not a relu one"])
    x = np.array([0.3, -0.7])
    other = bp.OneHiddenLayerNet(2, 3, seed=5)
    o = nn_forward(x, 1, other.params)
    assert_value_error(lambda: nn_backward(x, 1, bp.OneHiddenLayerNet(2, 3, seed=6).params, o),
                       ["nn_backward", "other parameters"])
    relu_o = nn_forward(x, 1, bp.OneHiddenLayerNet.from_params(dict(other.params), "relu"))
    assert_value_error(lambda: nn_backward(x, 1, other.params, relu_o), ["nn_backward", "another activation"])
    assert_value_error(lambda: bp.TwoHiddenLayerNet.from_params(other.params),
                       ["TwoHiddenLayerNet: parameters must be named"])
    assert_value_error(lambda: MLP.from_params({"alpha1": np.ones((2, 3))}), ["parameters must be named"])


@pytest.mark.parametrize("call, words", [
    (lambda: MLP(2, [3], activation="softplus"), ["MLP: activation must be one of 'sigmoid', 'tanh', 'relu'",
                                                  "'softplus'"]),
    (lambda: bp.OneHiddenLayerNet(2, 3, activation=None), ["OneHiddenLayerNet: activation", "None"]),
    (lambda: MLP(2, [3, 0, 2]), ["hidden layer 2 must be a positive whole number of units, got 0",
                                 "(2, 3, 0, 2)"]),
    (lambda: MLP(2, 3), ["hidden must be a list of layer sizes"]),
    (lambda: bp.init_params("mlp", 2, 3, -1), ["hidden layer 2", "-1"]),
    (lambda: bp.init_params("mlp", 0, 3), ["M, the number of features,"]),
    (lambda: bp.init_params("deep", 2, 3), ["kind must be one of"]),
])
def test_bad_combinations_are_named(call, words):
    assert_value_error(call, words)


# ------------------------------------------------------------------ the protocol sgd trains by

class Delegating:
    """A model that is no subclass of MLP: it follows protocol.Trainable by handing each call on."""

    def __init__(self, inner):
        self.inner = inner
        for name in bp.Trainable.TRAINING + bp.Trainable.CHECKING + ("engine_loss",):
            setattr(self, name, getattr(inner, name))


def test_sgd_and_check_model_take_any_model_that_follows_the_protocol():
    split = bp.load_dataset("moons", n=40, seed=0)
    ours, theirs = (bp.MLP(2, [4, 3, 2], activation="tanh", seed=2, scale=1.5) for _ in range(2))
    assert bp.check_model(Delegating(theirs), split.X_train[:5], split.y_train[:5]).passed
    h1 = bp.sgd(ours, split.X_train, split.y_train, epochs=2, lr=0.3)
    h2 = bp.sgd(Delegating(theirs), split.X_train, split.y_train, epochs=2, lr=0.3)
    assert h1 == h2 and all(np.array_equal(ours.params[n], theirs.params[n]) for n in ours.params)


@pytest.mark.parametrize("name", ACTS)
@pytest.mark.parametrize("hidden", [[8], [8, 8], [8, 8, 8], [8, 8, 8, 8]])
def test_sgd_lowers_the_loss_at_every_depth(hidden, name):
    split = bp.load_dataset("moons", n=100, seed=1)
    model = MLP(2, hidden, activation=name, seed=0, scale=1.0)
    history = bp.sgd(model, split.X_train, split.y_train, epochs=15, lr=0.2)
    assert history[-1]["train_cross_entropy"] < history[0]["train_cross_entropy"]


def test_activation_lookup():
    assert activation("tanh") is ACTIVATIONS["tanh"] and activation(ACTIVATIONS["relu"]) is ACTIVATIONS["relu"]
    assert repr(ACTIVATIONS["sigmoid"]) == "Activation('sigmoid': dz/da = z(1 − z))"
