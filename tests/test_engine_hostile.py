"""Issue 16: the engine's edge cases, one numeric policy for floats and arrays, gradients each node owns."""
import math
import operator
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import backproplib as bp
from test_engine_backward import PROGRAMS, random_graph
from test_engine_errors import numpy_warnings_are_errors  # noqa: F401  (autouse: any warning fails a test)


def message(call):
    """The message of the ValueError that call() raises."""
    with pytest.raises(ValueError) as err:
        call()
    return str(err.value)


BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv}


# ------------------------------------------------------------------ one numeric policy: forward

@pytest.mark.parametrize("name, a, b", [
    ("mul", 1e200, 1e200), ("mul", -1e200, 1e200), ("add", 1e308, 1e308), ("sub", -1e308, 1e308),
    ("div", 1e300, 1e-10), ("div", 1.0, 1e-310),
])
def test_float_overflow_raises_like_arrays(name, a, b):
    fn = BINARY[name]
    scalar = message(lambda: fn(bp.Var(a), bp.Var(b)))
    array = message(lambda: fn(bp.Var(np.array([a])), bp.Var(np.array([b]))))
    for text in (scalar, array):
        assert text.startswith(f"{name}: overflow encountered"), text
    assert f"at inputs {a!r} and {b!r}" in scalar
    assert "for shapes (1,) and (1,)" in array


def test_unary_overflow_on_the_fast_path_names_the_op_and_input():
    assert message(lambda: bp.exp(bp.Var(710.0))) == (
        "exp: overflow encountered (the result is too large for float64) at input 710.0")
    assert message(lambda: bp.Var(1e200) ** 2).startswith("pow: overflow encountered")
    assert message(lambda: bp.Var(np.array([1e200])) ** 2).startswith("pow: overflow encountered")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_inf_inputs_are_refused_for_floats_and_arrays(bad):
    assert message(lambda: bp.Var(bad)) == (
        f"Var: the value {bad!r} is not a finite number; every value must be finite")
    assert message(lambda: bp.Var(np.array([1.0, bad]))) == (
        f"Var: the value of shape (2,) holds {bad!r} at index (1,); every value must be finite")
    assert message(lambda: bp.Var(np.float64(bad), name="w")).startswith(f"Var 'w': the value {bad!r}")
    x = bp.Var(2.0)
    for call in (lambda: x * bad, lambda: bad * x, lambda: x + np.array([bad])):
        assert re.match(r"(mul|add): the constant (nan|-?inf is not a finite|of shape \(1,\) holds)",
                        message(call))
    assert message(lambda: bp.log(bad)).startswith("log: the constant")


def test_a_nan_seed_is_refused_and_changes_nothing():
    x = bp.Var(np.ones(2))
    y = x * 3.0
    assert message(lambda: y.sum().backward(seed=math.nan)).startswith("backward: the seed nan is not a finite")
    assert message(lambda: y.backward(seed=np.array([1.0, math.nan]))).startswith(
        "backward: the seed of shape (2,) holds nan at index (1,)")
    assert x.grad is None


def test_huge_python_int_is_a_clear_error():
    assert message(lambda: bp.Var(10 ** 400)) == "Var: the value " + str(10 ** 400) + " is too large for float64"


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(BINARY)),
       a=st.floats(allow_nan=False, allow_infinity=False), b=st.floats(allow_nan=False, allow_infinity=False))
def test_fast_path_follows_the_array_policy(name, a, b):
    """For every pair of finite floats: the float fast path gives the same value as a 1-element array,
    or both raise a ValueError naming the op (overflow; division by zero)."""
    fn = BINARY[name]
    try:
        scalar = fn(bp.Var(a), bp.Var(b)).value
    except ValueError as err:
        scalar = str(err)
    try:
        array = fn(bp.Var(np.array([a])), bp.Var(np.array([b]))).value
    except ValueError as err:
        array = str(err)
    if isinstance(scalar, str) or isinstance(array, str):
        assert isinstance(scalar, str) and isinstance(array, str), (scalar, array)
        kind = "division by zero" if b == 0 and name == "div" else "overflow encountered"
        assert scalar.startswith(f"{name}: {kind}"), scalar
        assert array.startswith(f"{name}: ") and ("overflow" in array or "divide by zero" in array
                                                 or "invalid value" in array), array
    else:
        assert type(scalar) is float and math.isfinite(scalar) and scalar == array[0]


@settings(max_examples=200, deadline=None)
@given(x=st.floats(-1e308, 1e308), scale=st.floats(-1e308, 1e308))
def test_fast_path_backward_never_hands_out_inf_or_nan(x, scale):
    """y = scale · exp-free chain: every gradient it hands out is finite, or backward raises and
    leaves no gradient behind."""
    v = bp.Var(x)
    try:
        y = (v * scale + v) * 2.0
    except ValueError as err:
        assert re.match(r"(mul|add): overflow encountered", str(err))
        return
    try:
        y.backward()
    except ValueError as err:
        assert str(err).startswith("backward: overflow encountered")
        assert v.grad is None and y.grad is None
        return
    assert math.isfinite(v.grad) and v.grad == pytest.approx(2.0 * (scale + 1.0), rel=1e-12)


# ------------------------------------------------------------------ backward: failures

OVERFLOWING_BACKWARDS = {          # x, then y(x): forward values are finite, a derivative is not
    "log at the smallest float": (5e-324, bp.log, "backward: overflow encountered (the result is inf) while "
                                  "differentiating log at input 5e-324 (check the inputs for values where a "
                                  "derivative is infinite, such as log at 0)"),
    "contributions adding up beyond float64": (1e-10, lambda x: x * 1e308 + x * 1e308, "backward: overflow "
                                               "encountered: the contributions to the gradient of the node 1e-10 "
                                               "add up to more than float64 holds"),
}


@pytest.mark.parametrize("version", ["A", "B"])
@pytest.mark.parametrize("case", OVERFLOWING_BACKWARDS)
def test_a_derivative_that_overflows_is_an_error(case, version):
    value, f, text = OVERFLOWING_BACKWARDS[case]
    x = bp.Var(value)
    y = f(x)
    assert math.isfinite(y.value)
    assert message(lambda: bp.backward(y, version=version)) == text
    assert x.grad is None


@pytest.mark.parametrize("version", ["A", "B"])
def test_failed_backward_leaves_every_gradient_as_it_was(version):
    x = bp.Var(0.0)
    y = x ** 0.5 + x * 3
    assert message(lambda: bp.backward(y, version=version)).startswith(
        "backward: 0.0 cannot be raised to a negative power while differentiating pow at input 0.0")
    assert x.grad is None and y.grad is None
    assert all(node.grad is None for node in bp.topological_order(y))
    x.grad, y.grad = 7.0, -1.0                     # gradients left by some earlier pass are kept too
    with pytest.raises(ValueError):
        bp.backward(y, version=version)
    assert (x.grad, y.grad) == (7.0, -1.0)


@pytest.mark.parametrize("version", ["A", "B"])
def test_array_backward_failure_restores_earlier_gradients(version):
    x = bp.Var(np.array([1.0, 4.0]))
    J = (x ** 0.5).sum()
    J.backward(version=version)
    before = x.grad.copy()
    x.value[0] = 0.0                                # now √x has no derivative at x[0]
    J = (x ** 0.5).sum()
    assert message(lambda: J.backward(version=version)).startswith(
        "backward: divide by zero encountered in power while differentiating pow at input of shape (2,)")
    assert np.array_equal(x.grad, before) and J.grad is None


@pytest.mark.parametrize("version", ["A", "B"])
def test_a_float_overflow_reaching_an_array_names_its_source(version):
    x = bp.Var(1e-300)
    a = bp.Var(np.ones(3))
    J = ((1.0 / x) * a).sum()                       # dJ/dx = -3e600: too large
    assert message(lambda: bp.backward(J, version=version)).startswith(
        "backward: overflow encountered (the result is -inf) while differentiating div at input 1.0 and 1e-300")
    assert x.grad is None and a.grad is None


def test_matmul_overflow_is_named_like_every_other_array_op():
    big = bp.Var(np.full((2, 2), 1e200))
    assert message(lambda: big @ big).startswith("matmul: overflow encountered in matmul for shapes (2, 2) and (2, 2)")


def test_a_function_under_the_numeric_policy_gives_the_same_numbers_and_errors_and_leaves_it_unset():
    """under_numeric_policy sets numpy's error state once for a whole function; inside it each op skips
    its own setting.  Same numbers, same messages (not a bare FloatingPointError), nothing left behind."""
    from backproplib import engine

    def build(w, scale):
        x = bp.Var(np.array([[0.5, -1.0], [2.0, 0.25]]), name="x")
        return (bp.sigmoid(x @ bp.Var(w) + 1.0) * scale).sum(), x

    w = np.array([[0.3, -0.2], [0.1, 0.4]])
    (J1, x1), (J2, x2) = build(w, 2.0), engine.under_numeric_policy(build)(w, 2.0)
    J1.backward()
    J2.backward()
    assert J1.value == J2.value and np.array_equal(x1.grad, x2.grad)
    before = np.geterr()
    for bad, op in ((lambda: build(np.full((2, 2), 1e308), 1.0), "matmul"), (lambda: build(w, 1e308), "sum")):
        plain = message(bad)
        assert message(lambda: engine.under_numeric_policy(bad)()) == plain
        assert plain.startswith(f"{op}: overflow encountered"), plain
    assert np.geterr() == before and engine._under_policy.get() is False


# ------------------------------------------------------------------ every node owns its gradient

def test_add_sub_transpose_reshape_hand_on_copies():
    x, w = bp.Var(np.ones(3)), bp.Var(np.ones(3))
    J = ((x + w) * 2.0).sum()
    J.backward()
    assert x.grad is not w.grad
    x.grad *= 0
    assert np.array_equal(w.grad, [2.0, 2.0, 2.0])
    m = bp.Var(np.ones((2, 3)))
    J = (m.T.reshape(6) - m.reshape(6)).sum() + m.T.sum()
    J.backward()
    assert np.array_equal(m.grad, np.ones((2, 3)))


def _arrays(order):
    return [node for node in order if isinstance(node.grad, np.ndarray)]


@pytest.mark.parametrize("version", ["A", "B"])
@settings(max_examples=40, deadline=None)
@given(program=PROGRAMS)
def test_mutating_one_gradient_in_place_changes_no_other(version, program):
    y = random_graph(program)
    order = bp.backward(y, version=version)
    nodes = _arrays(order)
    for node in nodes:
        before = [other.grad.copy() for other in nodes]
        node.grad += 1.0                            # an in-place change, as a user's optimiser makes
        for other, old in zip(nodes, before):
            if other is not node:
                assert np.array_equal(other.grad, old), "two nodes share one gradient array"
        node.grad -= 1.0


def test_network_gradients_are_all_distinct_arrays():
    model = bp.OneHiddenLayerNet(3, 4, K=3, seed=0, scale=1.0)
    X, y = np.random.default_rng(0).normal(size=(5, 3)), np.array([0, 1, 2, 0, 1])
    J, V = model.engine_loss(X, y)
    order = bp.backward(J)
    grads = [node.grad for node in order if isinstance(node.grad, np.ndarray)]
    assert len({id(g) for g in grads}) == len(grads)
    assert not any(np.shares_memory(g, h) for i, g in enumerate(grads) for h in grads[i + 1:])


# ------------------------------------------------------------------ power

def test_zero_to_the_zero_has_derivative_zero():
    for x in (bp.Var(0.0), bp.Var(np.zeros(2))):
        y = x ** 0
        np.testing.assert_array_equal(y.value, np.ones(np.shape(x.value)))
        y.sum().backward() if np.ndim(x.value) else y.backward()
        np.testing.assert_array_equal(x.grad, np.zeros(np.shape(x.value)))


@pytest.mark.parametrize("p", [np.int64(2), np.int32(2), np.float64(2.0), np.float32(2.0), 2, 2.0])
def test_numpy_scalar_exponents(p):
    x = bp.Var(3.0)
    y = x ** p
    y.backward()
    assert (y.value, x.grad) == (9.0, 6.0) and type(y.aux) in (int, float)


@pytest.mark.parametrize("p, text", [
    (math.inf, "pow: the exponent must be a finite number, got inf"),
    (-math.inf, "pow: the exponent must be a finite number, got -inf"),
    (math.nan, "pow: the exponent must be a finite number, got nan"),
    (np.float64(math.inf), "pow: the exponent must be a finite number, got inf"),
])
def test_non_finite_exponent_is_a_clear_error(p, text):
    assert message(lambda: bp.Var(-2.0) ** p) == text


@pytest.mark.parametrize("p", [True, np.bool_(True), None, [2]])
def test_non_numeric_exponents_are_refused(p):
    with pytest.raises(TypeError, match=r"^pow: the exponent must be a constant number, got"):
        bp.Var(2.0) ** p


def test_zero_to_a_negative_power_names_the_op():
    assert message(lambda: bp.Var(0.0) ** -1) == "pow: 0.0 cannot be raised to a negative power at input 0.0"
    assert message(lambda: bp.Var(np.zeros(2)) ** -1).startswith("pow: divide by zero encountered")


# ------------------------------------------------------------------ indexing and reductions

def test_indexing_with_newaxis():
    x = bp.Var(np.arange(4.0))
    y = x[None]
    assert y.shape == (1, 4)
    (y * np.array([[1.0, 2.0, 3.0, 4.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 3.0, 4.0])
    z = x[None, 1:3]
    assert z.shape == (1, 2)
    s = bp.Var(2.0)
    t = s[None]
    assert t.shape == (1,)
    (t * 5.0).sum().backward()
    assert s.grad == 5.0 and type(s.grad) is float


@pytest.mark.parametrize("axis", [(0, 1), (1, 0), (-1, 0), (0,), (2, 0), ()])
@pytest.mark.parametrize("reduce", [bp.sum, bp.mean])
def test_reductions_over_several_axes(reduce, axis):
    values = np.arange(24.0).reshape(2, 3, 4)
    x = bp.Var(values)
    y = reduce(x, axis=axis)
    expected = (np.sum if reduce is bp.sum else np.mean)(values, axis=axis)
    np.testing.assert_allclose(y.value, expected)
    weights = np.arange(np.size(expected), dtype=float).reshape(np.shape(expected)) + 1
    (y * weights).sum().backward()
    count = np.prod([values.shape[a % 3] for a in axis]) if axis else 1
    spread = np.broadcast_to(np.expand_dims(weights, tuple(sorted(a % 3 for a in axis))), values.shape)
    np.testing.assert_allclose(x.grad, spread / (count if reduce is bp.mean else 1))


@pytest.mark.parametrize("axis, text", [
    ((0, 3), "sum: axis 3 is out of range for shape (2, 3, 4)"),
    ((0, -4), "sum: axis -4 is out of range for shape (2, 3, 4)"),
    ((1, -2), "sum: axis (1, -2) names an axis twice (shape (2, 3, 4))"),
])
def test_bad_axes_are_named(axis, text):
    assert message(lambda: bp.Var(np.ones((2, 3, 4))).sum(axis=axis)) == text


@pytest.mark.parametrize("axis", [1.0, "0", [0, 1], True, (0, None)])
def test_axis_of_the_wrong_type_is_a_type_error(axis):
    with pytest.raises(TypeError, match=r"^sum: axis must be an integer or a tuple of integers, got"):
        bp.Var(np.ones((2, 3))).sum(axis=axis)


# ------------------------------------------------------------------ empty batches and labels

@pytest.mark.parametrize("shape, axis, text", [
    ((0, 3), None, "mean: the mean over no entries is undefined (an empty batch?): input of shape (0, 3)"),
    ((0, 3), 0, "mean: the mean over no entries is undefined (an empty batch?): input of shape (0, 3), axis 0"),
    ((0,), None, "mean: the mean over no entries is undefined (an empty batch?): input of shape (0,)"),
])
def test_mean_of_nothing_is_an_error(shape, axis, text):
    assert message(lambda: bp.Var(np.ones(shape)).mean(axis=axis)) == text


def test_mean_along_a_nonempty_axis_of_an_empty_array_is_fine():
    y = bp.Var(np.ones((0, 3))).mean(axis=1)
    assert y.shape == (0,)
    assert bp.Var(np.ones((0, 3))).sum().value == 0.0


def test_empty_batches_in_the_losses_are_errors():
    assert message(lambda: bp.softmax_cross_entropy(bp.Var(np.ones((0, 3))), np.zeros(0, int))) == (
        "softmax_cross_entropy: the batch is empty (scores of shape (0, 3)); the mean loss over no examples "
        "is undefined")
    assert message(lambda: bp.sigmoid_cross_entropy(bp.Var(np.ones(0)), np.zeros(0))) == (
        "sigmoid_cross_entropy: the batch is empty (logits of shape (0,)); the mean loss over no examples "
        "is undefined")


@pytest.mark.parametrize("label", [math.nan, np.array([0.0, math.nan]), -0.5, 2.0])
def test_nan_and_out_of_range_binary_labels_are_refused(label):
    b = bp.Var(np.zeros(np.shape(label))) if np.ndim(label) else bp.Var(0.5)
    text = message(lambda: bp.sigmoid_cross_entropy(b, label))
    bad = float(np.ravel(label)[-1])
    assert text == f"sigmoid_cross_entropy: labels y* must lie in [0, 1], got {bad!r}"


def test_nan_class_label_is_refused():
    assert message(lambda: bp.softmax_cross_entropy(bp.Var(np.zeros((2, 3))), np.array([0.0, math.nan]))) \
        .startswith("softmax_cross_entropy: class labels must be whole numbers, got [ 0. nan]")
