"""Every engine operation's gradient against central finite differences (an independent oracle).

For an output u = f(x_1, ..., x_n) of any shape we seed backward with fixed
weights w and compare each x_k.grad with the numerical derivative of Σ w·f,
so each test checks the vector-Jacobian product of the whole operation,
including the sums over axes that broadcasting stretched.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import backproplib as bp

FAST = settings(max_examples=20, deadline=None)


def _leaf(value):
    """A Var for a value: 0-d becomes a Python float (the engine's scalar fast path)."""
    return bp.Var(float(value) if value.ndim == 0 else value)


def _weights(shape):
    """Fixed, uneven weights for the seed, so that no entry's gradient is left out."""
    return np.cos(np.arange(1, int(np.prod(shape)) + 1) * 1.3).reshape(shape)


def _numeric_gradient(f, values, k, w):
    """d/dx_k of Σ w·f(x_1, ..., x_n) by central differences, entry by entry."""
    def objective(vals):
        return float(np.sum(w * np.asarray(f(*[_leaf(v) for v in vals]).value)))

    x = values[k]
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        h = 1e-6 * max(1.0, abs(x[idx]))
        plus, minus = x.copy(), x.copy()
        plus[idx] += h
        minus[idx] -= h
        up = objective(values[:k] + [plus] + values[k + 1:])
        down = objective(values[:k] + [minus] + values[k + 1:])
        grad[idx] = (up - down) / (plus[idx] - minus[idx])
    return grad


def check_gradients(f, *values):
    """Backward through f at `values` equals finite differences, with each input's shape and type."""
    values = [np.asarray(v, dtype=np.float64) for v in values]
    leaves = [_leaf(v) for v in values]
    out = f(*leaves)
    w = _weights(out.shape)
    out.backward(seed=w if out.shape else float(w))
    for k, (leaf, value) in enumerate(zip(leaves, values)):
        numeric = _numeric_gradient(f, values, k, w)
        assert np.shape(leaf.grad) == value.shape, f"input {k}: grad shape {np.shape(leaf.grad)}"
        if value.ndim == 0:
            assert type(leaf.grad) is float, f"input {k}: a scalar's grad is {type(leaf.grad)}"
        scale = max(1.0, float(np.max(np.abs(numeric), initial=0.0)))
        np.testing.assert_allclose(leaf.grad, numeric, rtol=1e-5, atol=1e-6 * scale, err_msg=f"input {k}")
    return out


def arrays(lo, hi, shapes=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)):
    return hnp.arrays(np.float64, shapes, elements=st.floats(lo, hi))


# ------------------------------------------------------------------ elementwise unary operations

UNARY = {
    "neg": (lambda x: -x, np.negative, -3.0, 3.0),
    "exp": (bp.exp, np.exp, -3.0, 3.0),
    "log": (bp.log, np.log, 0.2, 5.0),
    "sin": (bp.sin, np.sin, -4.0, 4.0),
    "cos": (bp.cos, np.cos, -4.0, 4.0),
    "tanh": (bp.tanh, np.tanh, -3.0, 3.0),
    "sigmoid": (bp.sigmoid, lambda v: 1 / (1 + np.exp(-v)), -6.0, 6.0),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@FAST
@given(data=st.data())
def test_unary_gradient_matches_finite_differences(name, data):
    op, reference, lo, hi = UNARY[name]
    x = data.draw(arrays(lo, hi))
    out = check_gradients(op, x)
    np.testing.assert_allclose(out.value, reference(x), rtol=1e-12, atol=1e-300)


@FAST
@given(x=arrays(-3.0, 3.0).filter(lambda a: np.all(np.abs(a) > 1e-2)))
def test_relu_gradient_matches_finite_differences(x):
    out = check_gradients(bp.relu, x)
    np.testing.assert_array_equal(out.value, np.maximum(x, 0.0))


@FAST
@given(p=st.sampled_from([1, 2, 3, -1, -2, 0.5, 1.5, 2.0]), data=st.data())
def test_power_gradient_matches_finite_differences(p, data):
    # negative bases only for integer exponents, where x^p is real
    lo = -3.0 if float(p).is_integer() and data.draw(st.booleans()) else 0.3
    x = data.draw(arrays(lo, lo + 2.7))
    out = check_gradients(lambda v: v ** p, x)
    np.testing.assert_allclose(out.value, x ** p, rtol=1e-12)


# ------------------------------------------------------------------ binary operations and broadcasting

@st.composite
def broadcast_pairs(draw):
    """Two shapes where one broadcasts to the other: (N, H) & (H,), (N, H) & (N, 1), () & (N, H), ..."""
    big = draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
    small = tuple(1 if draw(st.booleans()) else n for n in big[draw(st.integers(0, len(big))):])
    return (big, small) if draw(st.booleans()) else (small, big)


BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@FAST
@given(shapes=broadcast_pairs(), data=st.data())
def test_binary_gradient_with_broadcasting_matches_finite_differences(name, shapes, data):
    op, reference = BINARY[name]
    a = data.draw(hnp.arrays(np.float64, shapes[0], elements=st.floats(-3.0, 3.0)))
    b = data.draw(hnp.arrays(np.float64, shapes[1], elements=st.floats(0.5, 3.0)))   # b ≠ 0 for div
    b = b * data.draw(st.sampled_from([1.0, -1.0]))
    out = check_gradients(op, a, b)
    np.testing.assert_allclose(out.value, reference(a, b), rtol=1e-12)


@pytest.mark.parametrize("scalar_first", [True, False])
def test_python_numbers_mix_in_as_constants(scalar_first):
    x = bp.Var(np.array([1.0, -2.0, 4.0]))
    y = (3.0 * x if scalar_first else x * 3.0) - 1
    y = (1 - y / 2).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad, [-1.5, -1.5, -1.5])


def test_bias_add_sums_the_gradient_over_the_batch():
    """a = X θ + b with b of shape (H,) added to every row of (N, H): dJ/db = Σ_n dJ/da_n."""
    rng = np.random.default_rng(0)
    xa, b = rng.normal(size=(5, 3)), bp.Var(rng.normal(size=3))
    a = bp.Var(xa) + b
    seed = rng.normal(size=(5, 3))
    a.backward(seed=seed)
    np.testing.assert_allclose(b.grad, seed.sum(axis=0), rtol=1e-15)
    check_gradients(lambda x, bias: bp.sigmoid(x + bias), xa, rng.normal(size=3))


def test_scalar_times_array_sums_the_gradient_into_a_float():
    s, v = bp.Var(2.0), bp.Var(np.array([[1.0, 2.0], [3.0, 4.0]]))
    (s * v).sum().backward()
    assert type(s.grad) is float and s.grad == 10.0
    np.testing.assert_array_equal(v.grad, np.full((2, 2), 2.0))


# ------------------------------------------------------------------ matmul, reductions, shape changes

@pytest.mark.parametrize("shape_a, shape_b", [
    ((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((1, 1), (1, 1)), ((4,), (4, 1))])
def test_matmul_gradient_matches_finite_differences(shape_a, shape_b):
    rng = np.random.default_rng(len(shape_a) * 10 + len(shape_b))
    a, b = rng.normal(size=shape_a), rng.normal(size=shape_b)
    out = check_gradients(bp.matmul, a, b)
    np.testing.assert_allclose(out.value, a @ b, rtol=1e-14)


@FAST
@given(dims=st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4)),
       ndim=st.sampled_from([(1, 1), (1, 2), (2, 1), (2, 2)]), data=st.data())
def test_matmul_any_1d_2d_combination_matches_finite_differences(dims, ndim, data):
    m, k, n = dims
    shape_a = (k,) if ndim[0] == 1 else (m, k)
    shape_b = (k,) if ndim[1] == 1 else (k, n)
    a = data.draw(hnp.arrays(np.float64, shape_a, elements=st.floats(-2, 2)))
    b = data.draw(hnp.arrays(np.float64, shape_b, elements=st.floats(-2, 2)))
    check_gradients(lambda p, q: p @ q, a, b)


@pytest.mark.parametrize("reduce", [bp.sum, bp.mean])
@FAST
@given(x=arrays(-3.0, 3.0, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)), data=st.data())
def test_sum_and_mean_gradients_match_finite_differences(reduce, x, data):
    axis = data.draw(st.none() | st.integers(-x.ndim, x.ndim - 1) if x.ndim else st.none())
    out = check_gradients(lambda v: reduce(v, axis=axis), x)
    reference = np.sum if reduce is bp.sum else np.mean
    np.testing.assert_allclose(out.value, reference(x, axis=axis), rtol=1e-13)


@FAST
@given(x=arrays(-3.0, 3.0, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)))
def test_transpose_and_reshape_gradients_match_finite_differences(x):
    check_gradients(lambda v: bp.sin(bp.transpose(v)) * np.transpose(x), x)
    flat = check_gradients(lambda v: bp.cos(bp.reshape(v, (x.size,))), x)
    assert flat.shape == (x.size,)
    check_gradients(lambda v: bp.exp(v.reshape(1, x.size)), x)


@pytest.mark.parametrize("index", [1, -1, slice(1, 3), np.array([0, 2, 2, 0]), (1, slice(None)), (slice(None), 2)])
def test_indexing_gradient_scatters_back_and_adds_repeats(index):
    x = np.arange(12.0).reshape(4, 3) / 7 if isinstance(index, tuple) else np.arange(4.0) / 3
    check_gradients(lambda v: bp.sin(v[index]), x)


def test_repeated_index_accumulates():
    x = bp.Var(np.array([1.0, 2.0, 3.0]))
    x[np.array([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])


# ------------------------------------------------------------------ the two losses

@FAST
@given(n=st.integers(1, 4), k=st.integers(2, 4), batched=st.booleans(), data=st.data())
def test_softmax_cross_entropy_gradient_matches_finite_differences(n, k, batched, data):
    shape = (n, k) if batched else (k,)
    a = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-5, 5)))
    labels = data.draw(hnp.arrays(np.int64, shape[:-1], elements=st.integers(0, k - 1)))
    out = check_gradients(lambda s: bp.softmax_cross_entropy(s, labels), a)
    logp = a - np.log(np.sum(np.exp(a), axis=-1, keepdims=True))
    picked = np.take_along_axis(logp, np.reshape(labels, shape[:-1] + (1,)), axis=-1)
    assert out.value == pytest.approx(-np.mean(picked), rel=1e-12)


@FAST
@given(data=st.data(), x=arrays(-5.0, 5.0, hnp.array_shapes(min_dims=0, max_dims=2, max_side=4)))
def test_sigmoid_cross_entropy_gradient_matches_finite_differences(data, x):
    y_star = data.draw(hnp.arrays(np.float64, x.shape, elements=st.sampled_from([0.0, 1.0, 0.25])))
    out = check_gradients(lambda b: bp.sigmoid_cross_entropy(b, y_star), x)
    y = 1 / (1 + np.exp(-x))
    assert out.value == pytest.approx(-np.mean(y_star * np.log(y) + (1 - y_star) * np.log(1 - y)), rel=1e-10)


def test_composite_network_gradient_matches_finite_differences():
    """A 1-hidden-layer net as the lecture's Case 2, but batched: every parameter at once."""
    rng = np.random.default_rng(1)
    x, labels = rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])

    def net(alpha, b1, beta, b2):
        z = bp.sigmoid(bp.Var(x) @ alpha.T + b1)
        return bp.softmax_cross_entropy(z @ beta.T + b2, labels)

    check_gradients(net, rng.normal(size=(5, 3)), rng.normal(size=5), rng.normal(size=(3, 5)), rng.normal(size=3))
