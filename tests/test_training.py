"""Algorithm 1 (backproplib.training.sgd): its exact semantics, learning, symmetry, checks, speed."""
import math
import time

import numpy as np
import pytest

from backproplib.data import make_moons, make_xor
from backproplib.models import LogisticRegression, OneHiddenLayerNet, TwoHiddenLayerNet
from backproplib.training import History, sgd
from test_modules import assert_value_error

MODELS = [
    lambda: LogisticRegression(2, K=None, init="random", seed=1, scale=0.5),
    lambda: OneHiddenLayerNet(2, 3, K=3, seed=2, scale=0.5),
    lambda: TwoHiddenLayerNet(2, 3, 2, K=None, seed=3, scale=0.5),
]


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(7, 2)), rng.integers(0, 2, 7), rng.normal(size=(5, 2)), rng.integers(0, 2, 5)


def by_hand(model, X, y, lr, batches):
    """Lines 4-11 of Algorithm 1 written out: for each batch, gradients then α ← α − γ g_α."""
    for rows in batches:
        _, grads = model.loss_and_gradients(X[rows], y[rows])
        for name, g in grads.items():
            model.params[name] -= lr * g


def assert_same_params(a, b, same=True):
    close = all(np.allclose(a.params[n], b.params[n], rtol=1e-12, atol=1e-15) for n in a.params)
    assert close == same, {n: (a.params[n], b.params[n]) for n in a.params}


@pytest.mark.parametrize("make_model", MODELS)
def test_one_epoch_is_per_example_updates_in_data_order(make_model, data):
    X, y, _, _ = data
    model = make_model()
    start = model.copy()
    sgd(model, X, y, epochs=1, lr=0.7)
    in_order, reversed_order = start.copy(), start.copy()
    by_hand(in_order, X, y, 0.7, range(7))                 # one example at a time: x_i is a vector
    by_hand(reversed_order, X, y, 0.7, reversed(range(7)))
    assert_same_params(model, in_order)
    assert_same_params(model, reversed_order, same=False)  # so the order really is tested
    assert_same_params(model, start, same=False)


def test_shuffle_draws_a_fresh_seeded_permutation_each_epoch(data):
    X, y, _, _ = data
    model = MODELS[1]()
    start = model.copy()
    sgd(model, X, y, epochs=2, lr=0.5, shuffle=True, seed=11)
    rng = np.random.default_rng(11)
    expected = start.copy()
    for _ in range(2):
        by_hand(expected, X, y, 0.5, rng.permutation(7))
    assert_same_params(model, expected)
    unshuffled = start.copy()
    sgd(unshuffled, X, y, epochs=2, lr=0.5)
    other_seed = start.copy()
    sgd(other_seed, X, y, epochs=2, lr=0.5, shuffle=True, seed=12)
    assert_same_params(model, unshuffled, same=False)
    assert_same_params(model, other_seed, same=False)


@pytest.mark.parametrize("make_model", MODELS)
def test_minibatches_step_on_the_mean_gradient_of_consecutive_runs(make_model, data):
    X, y, _, _ = data
    model = make_model()
    start = model.copy()
    sgd(model, X, y, epochs=2, lr=0.4, batch_size=3)
    expected = start.copy()
    by_hand(expected, X, y, 0.4, [slice(0, 3), slice(3, 6), slice(6, 7)] * 2)
    assert_same_params(model, expected)
    full = start.copy()
    sgd(full, X, y, epochs=1, lr=0.4, batch_size=100)      # one step of gradient descent on all of D
    expected = start.copy()
    by_hand(expected, X, y, 0.4, [slice(0, 7)])
    assert_same_params(full, expected)


def test_history_records_both_sets_after_every_epoch(data):
    X, y, X_test, y_test = data
    model = MODELS[2]()
    calls = []
    history = sgd(model, X, y, X_test, y_test, epochs=3, lr=0.5,
                  callback=lambda epoch, h: calls.append((epoch, len(h), isinstance(h, History))))
    assert calls == [(1, 1, True), (2, 2, True), (3, 3, True)]
    assert [row["epoch"] for row in history] == [1, 2, 3] and not history.stopped_early
    last = history[-1]
    assert set(last) == {"epoch", "train_cross_entropy", "test_cross_entropy", "train_error", "test_error"}
    assert last["train_cross_entropy"] == pytest.approx(model.mean_cross_entropy(X, y), rel=1e-13)
    assert last["test_cross_entropy"] == pytest.approx(model.mean_cross_entropy(X_test, y_test), rel=1e-13)
    assert last["train_error"] == model.error_rate(X, y) and last["test_error"] == model.error_rate(X_test, y_test)
    assert history.column("train_cross_entropy")[-1] == last["train_cross_entropy"]
    no_test = sgd(model, X, y, epochs=2, lr=0.5)
    assert no_test[0]["test_error"] is None and np.all(np.isnan(no_test.column("test_cross_entropy")))
    with pytest.raises(ValueError, match="History.column.*'loss'"):
        history.column("loss")


def test_callback_returning_false_stops_training(data):
    X, y, _, _ = data
    model = MODELS[1]()
    history = sgd(model, X, y, epochs=10, lr=0.5, callback=lambda epoch, h: epoch < 3)
    assert len(history) == 3 and history.stopped_early
    assert len(sgd(model, X, y, epochs=4, lr=0.5, callback=lambda epoch, h: None)) == 4


def test_zero_epochs_changes_nothing_and_updates_are_in_place(data):
    X, y, _, _ = data
    model = MODELS[1]()
    alpha = model.params["alpha"]
    before = alpha.copy()
    assert len(sgd(model, X, y, epochs=0)) == 0 and np.array_equal(alpha, before)
    sgd(model, X, y, epochs=1, lr=0.5)
    assert model.params["alpha"] is alpha and not np.array_equal(alpha, before)


def test_parameters_replaced_since_construction_are_checked_again(data):
    X, y, _, _ = data
    model = MODELS[1]()
    model.params["beta"] = np.zeros((3, 5))                 # D = 3 hidden units need (K, 4)
    with pytest.raises(ValueError, match=r"beta has shape \(3, 5\).*\(3, 4\)"):
        sgd(model, X, y)
    model.params["beta"] = [[0, 0, 0, 0]] * 3              # a list of ints: taken as float64
    sgd(model, X, y, epochs=1)
    assert model.params["beta"].dtype == np.float64 and np.any(model.params["beta"] != 0)


# ------------------------------------------------------------------ learning

def test_hidden_layer_learns_xor_where_logistic_regression_cannot():
    X, y = make_xor(n=60, noise=0.2, seed=0)
    net = OneHiddenLayerNet(2, 4, seed=0, scale=0.5)
    start = net.mean_cross_entropy(X, y)
    history = sgd(net, X, y, epochs=60, lr=0.5)
    curve = history.column("train_cross_entropy")
    assert curve[-1] < 0.1 * start and history[-1]["train_error"] == 0.0
    assert np.all(np.diff(curve[10:]) < 0)
    linear = LogisticRegression(2)
    assert sgd(linear, X, y, epochs=30, lr=0.5)[-1]["train_error"] >= 0.25


def test_two_hidden_layers_learn_moons_by_minibatches():
    X, y = make_moons(n=100, noise=0.1, seed=0)
    X_test, y_test = make_moons(n=100, noise=0.1, seed=1)
    net = TwoHiddenLayerNet(2, 8, 8, K=2, seed=0, scale=0.5)
    start = net.mean_cross_entropy(X_test, y_test)
    history = sgd(net, X, y, X_test, y_test, epochs=80, lr=1.0, batch_size=5, shuffle=True)
    assert history[-1]["test_cross_entropy"] < 0.4 * start
    assert history[-1]["train_error"] < 0.2 and history[-1]["test_error"] < 0.2


@pytest.mark.parametrize("make_net, tied", [
    (lambda init: OneHiddenLayerNet(2, 4, init=init, seed=0), lambda p: [p["alpha"], p["beta"][1:, None]]),
    (lambda init: TwoHiddenLayerNet(2, 3, 3, K=2, init=init, seed=0),
     lambda p: [p["alpha1"].T, p["b1"][:, None], p["alpha2"].ravel()[:, None], p["b2"][:, None], p["beta"]]),
])
def test_zero_init_keeps_hidden_units_identical_random_init_breaks_symmetry(make_net, tied):
    """With every weight 0, all hidden units of a layer compute and receive the same thing forever."""
    X, y = make_xor(n=40, noise=0.2, seed=1)
    zero = make_net("zeros")
    sgd(zero, X, y, epochs=5, lr=0.5)
    rows = tied(zero.params)                     # one row per hidden unit (or weight of a tied group)
    assert all(np.allclose(r, r[0], rtol=0, atol=1e-13) for r in rows)
    assert any(np.any(r != 0) for r in rows)     # training did move them, all together
    rand = make_net("random")
    sgd(rand, X, y, epochs=5, lr=0.5)
    assert all(np.ptp(r, axis=0).max() > 1e-3 for r in tied(rand.params))


def test_huge_learning_rate_stays_finite_and_silent():
    X, y = make_xor(n=40, noise=0.2, seed=2)
    history = sgd(OneHiddenLayerNet(2, 4, seed=0), X * 100, y, epochs=5, lr=1e3)
    assert all(math.isfinite(row["train_cross_entropy"]) for row in history)
    assert history[-1]["train_cross_entropy"] > 1.0       # saturated units: large but finite losses


def test_per_example_epoch_on_a_digits_sized_problem_is_fast():
    rng = np.random.default_rng(0)
    X, y = rng.random((1300, 64)), rng.integers(0, 10, 1300)
    model = OneHiddenLayerNet(64, 32, K=10, seed=0)
    t0 = time.perf_counter()
    sgd(model, X, y, X[:300], y[:300], epochs=1, lr=0.1)
    assert time.perf_counter() - t0 < 1.0            # typically 0.03 s


# ------------------------------------------------------------------ bad settings and data

@pytest.mark.parametrize("kwargs, words", [
    ({"lr": 0}, ["learning rate", "0"]),
    ({"lr": float("nan")}, ["learning rate", "nan"]),
    ({"lr": "0.1"}, ["learning rate", "'0.1'"]),
    ({"epochs": -1}, ["epochs", "-1"]),
    ({"epochs": 2.5}, ["epochs", "2.5"]),
    ({"batch_size": 0}, ["batch_size", "0"]),
    ({"batch_size": True}, ["batch_size", "True"]),
    ({"X_train": np.zeros((0, 2)), "y_train": np.zeros(0)}, ["training data", "non-empty", "(0, 2)"]),
    ({"X_train": np.zeros(2), "y_train": 1}, ["training data", "(2,)"]),
    ({"y_train": np.array([0, 1, 2, 0, 1, 0, 1])}, ["sgd (training data)", "0 or 1", "2"]),
    ({"X_test": np.zeros((3, 3)), "y_test": np.zeros(3)}, ["sgd (test data)", "(3, 3)", "M = 2"]),
])
def test_bad_settings_fail_before_any_update(kwargs, words, data):
    X, y, _, _ = data
    model = MODELS[0]()
    before = model.copy()
    assert_value_error(lambda: sgd(model, **{"X_train": X, "y_train": y, **kwargs}), words)
    assert_same_params(model, before)
