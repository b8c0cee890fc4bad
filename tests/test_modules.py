"""The hand-written forward/backward pairs of backproplib.modules.

Every backward is held against two independent oracles: the engine's reverse
mode on the same function built from Var operations, and central finite
differences of sixth order.  Both must agree to 1e-10 relative (the engine
per gradient array, finite differences relative to the largest gradient entry).
"""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backproplib.engine as bp
from backproplib import functional as F
from backproplib.modules import (
    affine_backward, affine_forward, linear_backward, linear_forward, prepend_one, sigmoid_backward,
    sigmoid_cross_entropy_backward, sigmoid_cross_entropy_forward, sigmoid_forward,
    softmax_cross_entropy_backward, softmax_cross_entropy_forward,
)

TOL = 1e-10
FAST = settings(max_examples=20, deadline=None)
sizes = st.integers(1, 4)
batch = st.sampled_from([None, 1, 3])       # None: a single example (vectors, not a batch)
seeds = st.integers(0, 2**32 - 1)


# ------------------------------------------------------------------ oracles (shared with test_models)

def numerical_gradient(f, arr, h=1e-2):
    """dJ/darr by the sixth-order central difference, perturbing `arr` in place and restoring it.

    Truncation error is O(h^6) and rounding error about 2e-16·|J|/h, so with
    h = 1e-2 both sit far below 1e-10 of any gradient that is not itself tiny.
    The tests therefore draw scores of moderate size (|a| <= 4), where no unit
    saturates; saturated units are checked exactly by the stability tests.
    """
    grad = np.zeros(arr.shape)
    for idx in np.ndindex(arr.shape):
        old = arr[idx]
        f_at = {}
        for step in (-3, -2, -1, 1, 2, 3):
            arr[idx] = old + step * h
            f_at[step] = f()
        arr[idx] = old
        grad[idx] = (45 * (f_at[1] - f_at[-1]) - 9 * (f_at[2] - f_at[-2]) + (f_at[3] - f_at[-3])) / (60 * h)
    return grad


def rel_error(a, b):
    """max |a - b| over the entries, relative to the largest entry of either."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0))
    return 0.0 if scale == 0 else float(np.max(np.abs(a - b)) / scale)


def engine_graph(arrays, build):
    """(J, {name: Var}): J = build(V) on fresh engine leaves holding copies of `arrays`."""
    V = {n: bp.Var(v, name=n) for n, v in arrays.items()}
    return build(V), V


def assert_three_routes(arrays, hand, engine, loss):
    """hand[name] == engine reverse mode == finite differences, to TOL, for each array.

    engine: (J Var, {name: Var}) for the same function; loss(): J as a float,
    reading `arrays` in place (so finite differences can perturb them).
    The engine must match each gradient array to TOL relative to its largest
    entry.  Finite differences carry an absolute error of about 1e-14·|J|, so
    they are held to TOL relative to the largest entry of the whole gradient.
    """
    J, V = engine
    assert math.isclose(float(J.value), loss(), rel_tol=1e-12, abs_tol=1e-14)
    J.backward()
    scale = max(np.max(np.abs(hand[n]), initial=0.0) for n in arrays)
    for n, arr in arrays.items():
        assert np.shape(hand[n]) == arr.shape, n
        assert rel_error(hand[n], V[n].grad) < TOL, (n, hand[n], V[n].grad)
        numeric = numerical_gradient(loss, arr)
        assert np.max(np.abs(hand[n] - numeric), initial=0.0) <= TOL * scale, (n, hand[n], numeric)


def assert_value_error(call, words):
    """call() raises a ValueError whose message contains every one of `words`."""
    with pytest.raises(ValueError) as err:
        call()
    for word in words:
        assert word in str(err.value), (word, str(err.value))


def shape_of(n, k):
    """(n, k), (k,) for a single example, or () for a single example with one output."""
    return tuple(s for s in (n, k) if s is not None)


# ------------------------------------------------------------------ each module, three routes

@FAST
@given(n=batch, n_in=sizes, n_out=st.sampled_from([None, 1, 3]), seed=seeds)
def test_linear_three_routes(n, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    arrays = {"x": rng.normal(size=shape_of(n, n_in)), "alpha": rng.normal(size=shape_of(n_out, n_in))}
    w = rng.normal(size=shape_of(n, n_out))          # J = Σ w ⊙ a, so dJ/da = w
    a, cache = linear_forward(arrays["x"], arrays["alpha"])
    assert np.shape(a) == w.shape
    g_x, g_alpha = linear_backward(w, cache)
    assert_three_routes(arrays, {"x": g_x, "alpha": g_alpha},
                        engine_graph(arrays, lambda V: bp.sum((V["x"] @ V["alpha"].T) * w)),
                        lambda: float(np.sum(linear_forward(arrays["x"], arrays["alpha"])[0] * w)))


@FAST
@given(n=batch, n_in=sizes, n_out=st.sampled_from([None, 1, 3]), seed=seeds)
def test_affine_three_routes(n, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    arrays = {"x": rng.normal(size=shape_of(n, n_in)), "w": rng.normal(size=shape_of(n_in, n_out)),
              "bias": rng.normal(size=shape_of(None, n_out))}
    w_out = rng.normal(size=shape_of(n, n_out))

    def loss():
        return float(np.sum(affine_forward(arrays["x"], arrays["w"], arrays["bias"])[0] * w_out))

    _, cache = affine_forward(arrays["x"], arrays["w"], arrays["bias"])
    g_x, g_w, g_bias = affine_backward(w_out, cache)
    assert_three_routes(arrays, {"x": g_x, "w": g_w, "bias": g_bias},
                        engine_graph(arrays, lambda V: bp.sum((V["x"] @ V["w"] + V["bias"]) * w_out)), loss)
    assert affine_backward(w_out, cache, need_g_x=False)[0] is None


@FAST
@given(n=batch, k=sizes, scale=st.floats(0.1, 4.0), seed=seeds)
def test_sigmoid_three_routes(n, k, scale, seed):
    rng = np.random.default_rng(seed)
    arrays = {"a": rng.uniform(-scale, scale, size=shape_of(n, k))}
    w = rng.normal(size=arrays["a"].shape)
    z, cache = sigmoid_forward(arrays["a"])
    assert np.max(np.abs(z - F.sigmoid(arrays["a"]))) <= 2.3e-16
    assert_three_routes(arrays, {"a": sigmoid_backward(w, cache)},
                        engine_graph(arrays, lambda V: bp.sum(bp.sigmoid(V["a"]) * w)),
                        lambda: float(np.sum(sigmoid_forward(arrays["a"])[0] * w)))


@FAST
@given(n=batch, k=st.integers(2, 5), g_J=st.sampled_from([1.0, -0.7, 2.5]), seed=seeds)
def test_softmax_cross_entropy_three_routes(n, k, g_J, seed):
    rng = np.random.default_rng(seed)
    arrays = {"b": rng.uniform(-2, 2, size=shape_of(n, k))}
    labels = int(rng.integers(k)) if n is None else rng.integers(0, k, n)
    J, y_hat, cache = softmax_cross_entropy_forward(arrays["b"], labels)
    assert J == np.mean(F.softmax_cross_entropy(arrays["b"], labels)) == bp.softmax_cross_entropy(arrays["b"], labels).value
    assert np.array_equal(y_hat, F.softmax(arrays["b"])) and y_hat is cache[0]
    assert math.isclose(J, np.mean(-np.log(F.softmax(arrays["b"])[..., labels] if n is None else
                                           F.softmax(arrays["b"])[np.arange(n), labels])), rel_tol=1e-12,
                        abs_tol=1e-15)
    assert_three_routes(arrays, {"b": softmax_cross_entropy_backward(g_J, cache)},
                        engine_graph(arrays, lambda V: g_J * bp.softmax_cross_entropy(V["b"], labels)),
                        lambda: g_J * softmax_cross_entropy_forward(arrays["b"], labels)[0])


@FAST
@given(n=batch, soft=st.booleans(), g_J=st.sampled_from([1.0, -0.7, 2.5]), seed=seeds)
def test_sigmoid_cross_entropy_three_routes(n, soft, g_J, seed):
    rng = np.random.default_rng(seed)
    arrays = {"b": np.asarray(rng.uniform(-4, 4, size=shape_of(n, None)))}
    y_star = rng.uniform(size=arrays["b"].shape) if soft else rng.integers(0, 2, arrays["b"].shape) * 1.0
    J, y_hat, cache = sigmoid_cross_entropy_forward(arrays["b"], y_star)
    assert np.array_equal(y_hat, F.sigmoid(arrays["b"])) and y_hat is cache[0]
    y = 1 / (1 + np.exp(-arrays["b"]))                          # the lecture's formula, fine at |b| <= 4
    log_likelihood = y_star * np.log(y) + (1 - y_star) * np.log(1 - y)
    assert math.isclose(J, -np.mean(log_likelihood), rel_tol=1e-12)
    assert_three_routes(arrays, {"b": sigmoid_cross_entropy_backward(g_J, cache)},
                        engine_graph(arrays, lambda V: g_J * bp.sigmoid_cross_entropy(V["b"], y_star)),
                        lambda: g_J * sigmoid_cross_entropy_forward(arrays["b"], y_star)[0])


# ------------------------------------------------------------------ the lecture's own formulas

def test_case1_chain_multiplies_out_to_y_minus_y_star():
    """dJ/dy · dy/db from the slides (for the log-likelihood) is y* - y; we return its negative."""
    b = np.array([-2.0, -0.3, 0.4, 1.7])
    y_star = np.array([1.0, 0.0, 1.0, 0.0])
    _, y, cache = sigmoid_cross_entropy_forward(b, y_star)
    dJ_dy = y_star / y + (1 - y_star) / (y - 1)
    dy_db = np.exp(-b) / (np.exp(-b) + 1) ** 2                   # lecture eq. (2)
    np.testing.assert_allclose(sigmoid_cross_entropy_backward(1.0, cache) * len(b), -(dJ_dy * dy_db), rtol=1e-13)


def test_sigmoid_backward_is_lecture_eq_2():
    a = np.linspace(-6, 6, 13)
    z, cache = sigmoid_forward(a)
    np.testing.assert_allclose(sigmoid_backward(np.ones_like(a), cache), np.exp(-a) / (np.exp(-a) + 1) ** 2,
                               rtol=1e-13)


def test_linear_is_the_slide_sum():
    """a_j = Σ_i α_ji x_i and dJ/dα_ji = dJ/da_j x_i, written out with loops."""
    x = np.array([1.0, 0.5, -2.0])
    alpha = np.arange(6.0).reshape(2, 3) - 2.5
    a, cache = linear_forward(x, alpha)
    assert a.tolist() == [sum(alpha[j, i] * x[i] for i in range(3)) for j in range(2)]
    g_a = np.array([0.3, -1.1])
    g_x, g_alpha = linear_backward(g_a, cache)
    assert g_alpha.tolist() == [[g_a[j] * x[i] for i in range(3)] for j in range(2)]
    assert np.allclose(g_x, [sum(g_a[j] * alpha[j, i] for j in range(2)) for i in range(3)], rtol=1e-15)


def test_batch_gradients_are_sums_of_per_example_gradients():
    rng = np.random.default_rng(3)
    x, alpha, g_a = rng.normal(size=(4, 3)), rng.normal(size=(2, 3)), rng.normal(size=(4, 2))
    _, g_alpha = linear_backward(g_a, linear_forward(x, alpha)[1])
    per_example = sum(linear_backward(g_a[n], linear_forward(x[n], alpha)[1])[1] for n in range(4))
    np.testing.assert_allclose(g_alpha, per_example, rtol=1e-13)


def test_prepend_one():
    assert prepend_one(np.array([2.0, 3.0])).tolist() == [1.0, 2.0, 3.0]
    assert prepend_one(np.array([[2.0], [3.0]])).tolist() == [[1.0, 2.0], [1.0, 3.0]]


# ------------------------------------------------------------------ stability: |a| up to 1e4, labels 0/1

@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            yield


def test_sigmoid_saturates_exactly(no_warnings):
    a = np.array([-1e4, -800.0, -40.0, 0.0, 40.0, 800.0, 1e4])
    z, cache = sigmoid_forward(a)
    assert z[0] == 0.0 and z[-1] == 1.0 and z[3] == 0.5
    assert np.all(np.diff(z) >= 0)
    assert np.all(sigmoid_backward(np.ones_like(a), cache)[[0, 1, -2, -1]] == 0.0)


def test_log_sigmoid_is_finite_and_matches_closed_forms(no_warnings):
    """log σ(b): the literal formula where it is safe, -b deep in the negative tail, and the cross-entropy's
    own value -BCE(b, y* = 1), exactly; floats and arrays give the same bits."""
    b = np.array([-1e4, -800.0, -30.0, -1.5, 0.0, 2.0, 30.0, 800.0, 1e4])
    log_s = F.log_sigmoid(b)
    assert np.all(np.isfinite(log_s)) and np.all(log_s <= 0.0)
    assert log_s[0] == -1e4 and log_s[1] == -800.0 and log_s[-1] == 0.0
    for k in (3, 4, 5):                  # |b| small: the literal formula is accurate
        assert log_s[k] == pytest.approx(math.log(1.0 / (1.0 + math.exp(-b[k]))), rel=1e-14)
    e = math.exp(-30.0)                  # log σ(±30) = -log(1 + e^-30) (- 30 for -30): series in e
    assert log_s[6] == pytest.approx(-e + e * e / 2, rel=1e-15)
    assert log_s[2] == pytest.approx(-30.0 - e, rel=1e-15)
    np.testing.assert_array_equal(log_s, -F.binary_cross_entropy_with_logits(b, np.ones_like(b)))
    np.testing.assert_array_equal(log_s, [F.log_sigmoid(float(v)) for v in b])


def test_sigmoid_cross_entropy_extreme_scores(no_warnings):
    b = np.array([1e4, 1e4, -1e4, -1e4])
    y_star = np.array([1.0, 0.0, 1.0, 0.0])
    J, _, cache = sigmoid_cross_entropy_forward(b, y_star)
    assert J == pytest.approx((0 + 1e4 + 1e4 + 0) / 4, rel=1e-15)
    assert sigmoid_cross_entropy_backward(1.0, cache).tolist() == [0.0, 0.25, -0.25, 0.0]
    J1, y1, cache1 = sigmoid_cross_entropy_forward(-1e4, 1.0)       # one example, a plain float
    assert J1 == 1e4 and y1 == 0.0 and sigmoid_cross_entropy_backward(1.0, cache1) == -1.0


def test_softmax_cross_entropy_extreme_scores(no_warnings):
    b = np.array([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0]])
    J, _, cache = softmax_cross_entropy_forward(b, np.array([0, 1]))
    assert J == pytest.approx(2e4 / 2, rel=1e-15)
    np.testing.assert_array_equal(softmax_cross_entropy_backward(1.0, cache), [[0, 0, 0], [0.5, -0.5, 0]])
    J1, _, _ = softmax_cross_entropy_forward(b[0], 2)
    assert J1 == 1e4


def test_one_example_and_a_batch_follow_the_same_label_rule():
    """Whole-number floats (labels read from a CSV file) are accepted alike, one example or a batch."""
    b = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -2.0]])
    for row, label in zip(b, [2, 0]):
        assert softmax_cross_entropy_forward(row, float(label))[0] == softmax_cross_entropy_forward(row, label)[0]
        assert softmax_cross_entropy_forward(row, np.float64(label))[2][1] == label
    assert (softmax_cross_entropy_forward(b, np.array([2.0, 0.0]))[0]
            == softmax_cross_entropy_forward(b, np.array([2, 0]))[0])


# ------------------------------------------------------------------ bad input: ValueError naming the operation

@pytest.mark.parametrize("call, words", [
    (lambda: linear_forward(np.ones(3), np.ones((2, 4))), ["linear_forward", "(3,)", "(2, 4)"]),
    (lambda: linear_forward(np.ones((5, 3)), np.ones(4)), ["linear_forward", "(5, 3)", "(4,)"]),
    (lambda: affine_forward(np.ones(3), np.ones((3, 2)), np.ones(3)), ["affine_forward", "(3,)", "(2,)"]),
    (lambda: softmax_cross_entropy_forward(np.ones(3), 3), ["softmax_cross_entropy_forward", "0..2", "3"]),
    (lambda: softmax_cross_entropy_forward(np.ones(3), -1), ["softmax_cross_entropy_forward", "-1"]),
    (lambda: softmax_cross_entropy_forward(np.ones(3), 1.5), ["softmax_cross_entropy_forward", "1.5"]),
    (lambda: softmax_cross_entropy_forward(np.ones(3), True), ["softmax_cross_entropy_forward", "True"]),
    (lambda: softmax_cross_entropy_forward(np.ones((2, 3)), np.array([True, False])), ["integers", "bool"]),
    (lambda: softmax_cross_entropy_forward(np.ones((2, 3)), np.array([0.0, 1.5])), ["whole numbers", "1.5"]),
    (lambda: softmax_cross_entropy_forward(np.ones((2, 3)), np.array([0, 3])), ["0..2", "3"]),
    (lambda: softmax_cross_entropy_forward(np.ones((2, 3)), np.array([0, 1, 2])), ["(2, 3)", "(3,)"]),
    (lambda: sigmoid_cross_entropy_forward(np.ones((4, 1)), np.ones(4)),
     ["sigmoid_cross_entropy_forward", "(4, 1)", "(4,)"]),
    (lambda: sigmoid_cross_entropy_forward(np.ones(2), np.array([0.0, 2.0])), ["[0, 1]", "2.0"]),
    (lambda: sigmoid_cross_entropy_forward(0.3, -0.5), ["[0, 1]", "-0.5"]),
])
def test_bad_input_names_operation_and_values(call, words):
    assert_value_error(call, words)
