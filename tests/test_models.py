"""The three models of backproplib.models: gradients by three routes, the slides' formulas, checks."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backproplib.models import (
    LogisticRegression, NN2Forward, NNForward, OneHiddenLayerNet, TwoHiddenLayerNet, init_params,
    model_from_params, nn_backward, nn_forward,
)
from test_modules import FAST, assert_three_routes, assert_value_error, batch, seeds, shape_of

CLASSES = {"logistic": LogisticRegression, "one_hidden": OneHiddenLayerNet, "two_hidden": TwoHiddenLayerNet}


def random_model(kind, sizes, K, rng):
    """A model whose every entry (biases too) is drawn from U(-1, 1)."""
    cls = CLASSES[kind]
    return cls.from_params({n: rng.uniform(-1, 1, s) for n, s in cls.shapes(*sizes, K=K).items()})


def random_labels(K, n, rng):
    classes = 2 if K is None else K
    return int(rng.integers(classes)) if n is None else rng.integers(0, classes, n)


@FAST
@given(kind=st.sampled_from(sorted(CLASSES)), sizes=st.lists(st.integers(1, 3), min_size=3, max_size=3),
       K=st.sampled_from([None, 2, 3]), n=batch, seed=seeds)
def test_three_routes_agree(kind, sizes, K, n, seed):
    """Hand-written backward == engine autodiff == finite differences, both outputs, batch or one example."""
    rng = np.random.default_rng(seed)
    model = random_model(kind, sizes[:len(CLASSES[kind].size_names)], K, rng)
    X = rng.uniform(-1.5, 1.5, size=shape_of(n, sizes[0]))
    y = random_labels(K, n, rng)
    J, grads = model.loss_and_gradients(X, y)
    x, y_prepared = model.prepare(X, y)
    assert J == model.mean_cross_entropy(X, y)
    assert_three_routes(model.params, grads, model.engine_loss(X, y),
                        lambda: model.forward_prepared(x, y_prepared).J)


# ------------------------------------------------------------------ NNFORWARD / NNBACKWARD

def test_nn_forward_record_one_hidden():
    rng = np.random.default_rng(0)
    params = init_params("one_hidden", 3, 4, K=5, init="random", seed=1)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 5, 6)
    o = nn_forward(X, y, params)
    assert type(o) is NNForward and o._fields == ("x", "a", "z", "b", "y_hat", "J")
    assert o.x.shape == (6, 4) and np.all(o.x[:, 0] == 1) and np.array_equal(o.x[:, 1:], X)
    assert o.a.shape == (6, 4) and o.z.shape == (6, 5) and np.all(o.z[:, 0] == 1)
    np.testing.assert_allclose(o.z[:, 1:], 1 / (1 + np.exp(-o.a)), rtol=1e-14)
    assert o.b.shape == (6, 5) and np.allclose(o.y_hat.sum(axis=1), 1)
    assert o.J == pytest.approx(-np.mean(np.log(o.y_hat[np.arange(6), y])), rel=1e-13)
    grads = nn_backward(X, y, params, o)
    assert {n: g.shape for n, g in grads.items()} == {"alpha": (4, 4), "beta": (5, 5)}
    J, expected = OneHiddenLayerNet.from_params(params).loss_and_gradients(X, y)
    assert J == o.J and all(np.array_equal(grads[n], expected[n]) for n in params)


def test_nn_forward_dispatches_on_parameter_names():
    rng = np.random.default_rng(1)
    x = rng.normal(size=3)
    assert nn_forward(x, 1, init_params("logistic", 3)).a.shape == ()
    o = nn_forward(x, 1.0, init_params("two_hidden", 3, 4, 2, seed=2))
    assert type(o) is NN2Forward and o.z1.shape == (4,) and o.z2.shape == (2,) and np.ndim(o.y_hat) == 0
    assert nn_forward(x, None, init_params("one_hidden", 3, 2)).J is None
    with pytest.raises(ValueError, match="model_from_params.*match no model"):
        nn_forward(x, 1, {"alpha": np.zeros((2, 4))})


def test_case_2_written_out_as_on_the_slides():
    """One example through the slides' Case 2 loops, forward and backward; we return the negatives."""
    rng = np.random.default_rng(2)
    M, D = 3, 4
    params = {"alpha": rng.uniform(-1, 1, (D, M + 1)), "beta": rng.uniform(-1, 1, D + 1)}
    x = np.concatenate(([1.0], rng.normal(size=M)))              # x_0 = 1
    y_star = 1.0
    a = [sum(params["alpha"][j, i] * x[i] for i in range(M + 1)) for j in range(D)]
    z = [1.0] + [1 / (1 + math.exp(-a_j)) for a_j in a]           # z_0 = 1
    b = sum(params["beta"][j] * z[j] for j in range(D + 1))
    y = 1 / (1 + math.exp(-b))
    J = y_star * math.log(y) + (1 - y_star) * math.log(1 - y)
    dJ_dy = y_star / y + (1 - y_star) / (y - 1)
    dJ_db = dJ_dy * math.exp(-b) / (math.exp(-b) + 1) ** 2
    dJ_dbeta = [dJ_db * z[j] for j in range(D + 1)]
    dJ_dz = [dJ_db * params["beta"][j] for j in range(D + 1)]
    dJ_da = [dJ_dz[j + 1] * math.exp(-a[j]) / (math.exp(-a[j]) + 1) ** 2 for j in range(D)]
    dJ_dalpha = [[dJ_da[j] * x[i] for i in range(M + 1)] for j in range(D)]

    o = nn_forward(x[1:], y_star, params)
    np.testing.assert_allclose(o.a, a, rtol=1e-13)
    assert o.J == pytest.approx(-J, rel=1e-13) and o.y_hat == pytest.approx(y, rel=1e-13)
    grads = nn_backward(x[1:], y_star, params, o)
    np.testing.assert_allclose(grads["beta"], -np.array(dJ_dbeta), rtol=1e-12)
    np.testing.assert_allclose(grads["alpha"], -np.array(dJ_dalpha), rtol=1e-12)


def test_two_hidden_layers_as_on_the_slide():
    """z1 = σ(α1ᵀx + b1), z2 = σ(α2ᵀz1 + b2), y = σ(βᵀz2 + β0)."""
    params = init_params("two_hidden", 3, 4, 2, seed=3, scale=1.0)
    params["b1"][:] = [0.1, -0.2, 0.3, 0.0]
    params["beta0"][...] = 0.4
    x = np.array([0.5, -1.0, 2.0])
    sigma = lambda v: 1 / (1 + np.exp(-v))                      # noqa: E731
    z1 = sigma(params["alpha1"].T @ x + params["b1"])
    z2 = sigma(params["alpha2"].T @ z1 + params["b2"])
    o = nn_forward(x, 1, params)
    np.testing.assert_allclose(o.z1, z1, rtol=1e-14)
    assert o.y_hat == pytest.approx(sigma(params["beta"] @ z2 + params["beta0"]), rel=1e-14)


@pytest.mark.parametrize("kind, sizes, K", [("logistic", (3,), None), ("one_hidden", (3, 2), 4),
                                            ("two_hidden", (3, 2, 2), None), ("two_hidden", (3, 2, 3), 3)])
def test_batch_is_the_mean_of_its_examples(kind, sizes, K):
    rng = np.random.default_rng(4)
    model = random_model(kind, sizes, K, rng)
    X, y = rng.normal(size=(5, 3)), random_labels(K, 5, rng)
    J, grads = model.loss_and_gradients(X, y)
    per_example = [model.loss_and_gradients(X[n], y[n]) for n in range(5)]
    assert J == pytest.approx(np.mean([j for j, _ in per_example]), rel=1e-13)
    for name in grads:
        np.testing.assert_allclose(grads[name], np.mean([g[name] for _, g in per_example], axis=0),
                                   rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------ initialisation and parameters

BIASES = {"logistic": lambda p: [p["theta"][..., 0]],
          "one_hidden": lambda p: [p["alpha"][:, 0], p["beta"][..., 0]],
          "two_hidden": lambda p: [p["b1"], p["b2"], p["beta0"]]}
WEIGHTS = {"logistic": lambda p: [p["theta"][..., 1:]],
           "one_hidden": lambda p: [p["alpha"][:, 1:], p["beta"][..., 1:]],
           "two_hidden": lambda p: [p["alpha1"], p["alpha2"], p["beta"]]}


@pytest.mark.parametrize("kind, sizes", [("logistic", (3,)), ("one_hidden", (3, 4)), ("two_hidden", (3, 4, 2))])
@pytest.mark.parametrize("K", [None, 3])
def test_init(kind, sizes, K):
    zeros = init_params(kind, *sizes, K=K, init="zeros")
    assert all(np.all(p == 0) for p in zeros.values())
    rand = init_params(kind, *sizes, K=K, init="random", seed=7, scale=0.2)
    assert {n: p.shape for n, p in rand.items()} == {n: p.shape for n, p in zeros.items()}
    again = init_params(kind, *sizes, K=K, init="random", seed=7, scale=0.2)
    other = init_params(kind, *sizes, K=K, init="random", seed=8, scale=0.2)
    assert all(np.array_equal(rand[n], again[n]) for n in rand)
    assert all(not np.array_equal(w, w_other) for w, w_other in zip(WEIGHTS[kind](rand), WEIGHTS[kind](other)))
    weights = np.concatenate([w.ravel() for w in WEIGHTS[kind](rand)])
    assert np.all(np.abs(weights) <= 0.2) and np.all(weights != 0) and np.std(weights) > 0.05
    assert all(np.all(bias == 0) for bias in BIASES[kind](rand))


def test_model_constructors_and_sizes():
    m = TwoHiddenLayerNet(5, 4, 3, K=6, seed=1)
    assert m.sizes == {"M": 5, "D1": 4, "D2": 3} and m.K == 6 and m.output == "softmax"
    assert OneHiddenLayerNet(2, 3).output == "sigmoid" and OneHiddenLayerNet(2, 3).params["beta"].shape == (4,)
    assert np.all(LogisticRegression(4).params["theta"] == 0)
    assert "alpha=(3, 3)" in repr(OneHiddenLayerNet(2, 3))


def test_from_params_uses_arrays_in_place_and_copy_does_not():
    params = init_params("one_hidden", 2, 3, seed=0)
    model = model_from_params(params)
    assert type(model) is OneHiddenLayerNet and model.params["alpha"] is params["alpha"]
    twin = model.copy()
    params["alpha"] += 1.0
    assert np.array_equal(model.params["alpha"], params["alpha"])
    assert not np.array_equal(twin.params["alpha"], params["alpha"])


@pytest.mark.parametrize("call, words", [
    (lambda: init_params("three_hidden", 2), ["init_params", "three_hidden"]),
    (lambda: init_params("one_hidden", 2), ["init_params", "M, D", "(2,)"]),
    (lambda: init_params("one_hidden", 2, 0), ["positive", "(2, 0)"]),
    (lambda: init_params("logistic", 2, K=1), ["K", "1"]),
    (lambda: init_params("logistic", 2, init="ones"), ["'ones'"]),
    (lambda: init_params("logistic", 2, scale=-0.1), ["scale", "-0.1"]),
    (lambda: OneHiddenLayerNet.from_params({"alpha": np.zeros((2, 3))}), ["alpha", "beta"]),
    (lambda: OneHiddenLayerNet.from_params({"alpha": np.zeros((2, 3)), "beta": np.zeros(4)}),
     ["beta", "(4,)", "(3,)", "alpha (2, 3)"]),
    (lambda: TwoHiddenLayerNet.from_params({**init_params("two_hidden", 2, 3, 2, K=4), "beta0": np.zeros(3)}),
     ["beta0", "(3,)", "(4,)"]),
    (lambda: LogisticRegression.from_params({"theta": np.array([0.0, np.nan])}), ["NaN", "theta"]),
])
def test_bad_parameters(call, words):
    assert_value_error(call, words)


@pytest.mark.parametrize("K, X, y, words", [
    (None, np.zeros((4, 2)), np.zeros(4), ["M = 3", "(4, 2)"]),
    (None, np.zeros((4, 3)), np.array([0, 1, 2, 1]), ["0 or 1", "2"]),
    (None, np.zeros((4, 3)), np.array([0, 0.5, 1, 1]), ["0 or 1", "0.5"]),
    (None, np.zeros((4, 3)), np.zeros(3), ["(4,)", "(3,)"]),
    (None, np.zeros((4, 3)), np.array(["a", "b", "a", "b"]), ["0 or 1", "<U1"]),
    (3, np.zeros((4, 3)), np.array([0, 1, 3, 1]), ["0..2", "3"]),
    (3, np.zeros((4, 3)), np.array([0, -1, 2, 1]), ["0..2", "-1"]),
    (3, np.zeros(3), 5, ["0..2", "5"]),
    (3, np.full((2, 3), np.inf), np.array([0, 1]), ["inf", "x"]),
])
def test_bad_data_named_in_the_error(K, X, y, words):
    model = OneHiddenLayerNet(3, 2, K=K)
    assert_value_error(lambda: model.loss_and_gradients(X, y), words + ["OneHiddenLayerNet.loss_and_gradients"])


def test_backward_needs_the_record_of_this_input():
    model = OneHiddenLayerNet(2, 3, K=3)
    X, y = np.ones((4, 2)), np.array([0, 1, 2, 0])
    with pytest.raises(ValueError, match="NNForward"):
        model.backward(X, y, model.forward(X[:2], y[:2]))


# ------------------------------------------------------------------ predictions and stability

def test_predictions():
    X = np.array([[2.0, 1.0], [1.0, 2.0], [0.5, 0.5], [-1.0, 3.0]])
    binary = LogisticRegression.from_params({"theta": np.array([0.0, 1.0, -1.0])})      # ŷ = σ(x1 - x2)
    p = binary.predict_proba(X)
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-(X[:, 0] - X[:, 1]))), rtol=1e-15)
    assert binary.predict(X).tolist() == [1, 0, 1, 0]                        # ŷ = 0.5 counts as 1
    assert binary.error_rate(X, [1, 1, 1, 0]) == 0.25
    multi = LogisticRegression.from_params({"theta": np.array([[0, 1, 0], [0, 0, 1], [0.7, 0, 0]])})
    P = multi.predict_proba(X)
    assert P.shape == (4, 3) and np.allclose(P.sum(axis=1), 1)
    assert multi.predict(X).tolist() == [0, 1, 2, 1] and multi.predict(X[0]) == 0
    assert multi.error_rate(X, np.array([0, 1, 1, 1])) == 0.25


@pytest.mark.parametrize("K", [None, 3])
def test_saturated_network_is_finite_and_silent(K):
    """Scores up to 1e4, labels exactly 0/1: finite loss and gradients, no numpy warning."""
    rng = np.random.default_rng(6)
    model = random_model("one_hidden", (2, 3), K, rng)
    for p in model.params.values():
        p *= 3e3
    X = rng.normal(size=(8, 2))
    y = random_labels(K, 8, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            o = model.forward(X, y)
            J, grads = model.loss_and_gradients(X, y)
            J_engine, _ = model.engine_loss(X, y)
    assert np.max(np.abs(o.a)) > 1e3 and np.max(np.abs(o.b)) > 1e3 and J > 1e2
    assert J == pytest.approx(J_engine.value, rel=1e-12)
    assert all(np.all(np.isfinite(g)) for g in grads.values())
