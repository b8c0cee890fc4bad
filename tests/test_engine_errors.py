"""Numerical stability at extreme inputs, and clear errors for bad input."""
import warnings

import numpy as np
import pytest

import backproplib as bp


@pytest.fixture(autouse=True)
def numpy_warnings_are_errors():
    """Any warning (numpy's overflow, divide, invalid) fails the test, whatever the pytest configuration."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _finite(value):
    return bool(np.all(np.isfinite(value)))


# ------------------------------------------------------------------ stability

@pytest.mark.parametrize("a", [1e4, -1e4, 800.0, -800.0])
def test_sigmoid_saturates_without_overflow(a):
    for value in (a, np.array([a, -a, 0.0])):
        x = bp.Var(value)
        z = bp.sigmoid(x)
        z.sum().backward()
        assert _finite(z.value) and _finite(x.grad)
        expected = 1.0 if a > 0 else 0.0
        assert np.ravel(z.value)[0] == expected
        assert np.ravel(x.grad)[0] == 0.0


@pytest.mark.parametrize("b", [1e4, -1e4])
@pytest.mark.parametrize("y_star", [0.0, 1.0])
def test_sigmoid_cross_entropy_at_extreme_logits_and_hard_labels(b, y_star):
    x = bp.Var(np.array([b, 0.0]))
    loss = bp.sigmoid_cross_entropy(x, np.array([y_star, y_star]))
    loss.backward()
    wrong_side = (b > 0) != (y_star == 1.0)            # confidently wrong: loss ≈ |b|
    first = abs(b) if wrong_side else 0.0
    assert loss.value == pytest.approx((first + np.log(2.0)) / 2, rel=1e-12)
    sigma = 1.0 if b > 0 else 0.0
    np.testing.assert_allclose(x.grad, [(sigma - y_star) / 2, (0.5 - y_star) / 2], rtol=1e-15)


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_softmax_cross_entropy_at_extreme_scores(scale):
    a = bp.Var(np.array([[scale, 0.0, -scale], [0.0, 0.0, 0.0]]))
    loss = bp.softmax_cross_entropy(a, np.array([2, 1]))
    loss.backward()
    assert _finite(loss.value) and _finite(a.grad)
    first = 2 * scale if scale > 0 else 0.0           # label 2 scored -scale: far below, or on top
    assert loss.value == pytest.approx((first + np.log(3.0)) / 2, rel=1e-12)
    top = 0 if scale > 0 else 2
    expected = np.array([[0.0, 0.0, -1.0], [1 / 3, -2 / 3, 1 / 3]]) / 2
    expected[0, top] += 0.5
    np.testing.assert_allclose(a.grad, expected, atol=1e-15)


def test_sigmoid_then_cross_entropy_ops_compose_stably():
    """Sigmoid at 1e4 feeding a further op: values, grads stay finite, no warnings."""
    x = bp.Var(np.array([-1e4, 1e4]))
    y = bp.log(bp.sigmoid(x) + 1.0).sum()
    y.backward()
    assert _finite(y.value) and _finite(x.grad)


# ------------------------------------------------------------------ bad shapes

@pytest.mark.parametrize("op, name", [(lambda a, b: a + b, "add"), (lambda a, b: a - b, "sub"),
                                      (lambda a, b: a * b, "mul"), (lambda a, b: a / b, "div")])
@pytest.mark.parametrize("shape_a, shape_b", [((3,), (3, 1)), ((2, 3), (4,)), ((2, 1), (1, 3))])
def test_incompatible_or_outer_broadcast_names_the_op_and_both_shapes(op, name, shape_a, shape_b):
    a, b = bp.Var(np.ones(shape_a)), bp.Var(np.ones(shape_b))
    with pytest.raises(ValueError) as error:
        op(a, b)
    message = str(error.value)
    assert message.startswith(f"{name}:")
    assert str(shape_a) in message and str(shape_b) in message


@pytest.mark.parametrize("shape_a, shape_b", [((2, 3), (2, 3)), ((3,), (4,)), ((2, 3), (2,)), ((4,), (3, 4))])
def test_misaligned_matmul_names_both_shapes(shape_a, shape_b):
    with pytest.raises(ValueError, match="matmul") as error:
        bp.Var(np.ones(shape_a)) @ bp.Var(np.ones(shape_b))
    assert str(shape_a) in str(error.value) and str(shape_b) in str(error.value)


@pytest.mark.parametrize("shape_a, shape_b", [((), (3,)), ((2, 2, 2), (2, 2))])
def test_matmul_accepts_only_1d_and_2d(shape_a, shape_b):
    with pytest.raises(ValueError, match=r"matmul: needs 1-D or 2-D arrays"):
        bp.matmul(bp.Var(np.ones(shape_a)), bp.Var(np.ones(shape_b)))


def test_other_shape_errors_name_the_operation():
    x = bp.Var(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"reshape: cannot reshape an array of shape \(2, 3\) into \(4,\)"):
        x.reshape((4,))
    with pytest.raises(ValueError, match=r"sum: axis 2 is out of range for shape \(2, 3\)"):
        x.sum(axis=2)
    with pytest.raises(ValueError, match=r"index: .*shape \(2, 3\)"):
        x[5]
    with pytest.raises(ValueError, match=r"sigmoid_cross_entropy: .*\(2, 3\).*\(3,\)"):
        bp.sigmoid_cross_entropy(x, np.ones(3))
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: labels must lie in 0..2"):
        bp.softmax_cross_entropy(x, np.array([0, 3]))


# ------------------------------------------------------------------ bad values

@pytest.mark.parametrize("value", [0.0, -1.0, np.array([1.0, 0.0]), np.array([[2.0, -3.0]])])
def test_log_of_non_positive_is_a_clear_error(value):
    with pytest.raises(ValueError, match=r"log: input must be positive, got minimum (0\.0|-1\.0|-3\.0)$"):
        bp.log(bp.Var(value))


@pytest.mark.parametrize("numerator, denominator", [(1.0, 0.0), (np.ones(2), np.array([1.0, 0.0])),
                                                    (np.ones(2), 0.0)])
def test_division_by_zero_is_a_clear_error(numerator, denominator):
    with pytest.raises(ValueError, match=r"^div: (division by zero|divide by zero)"):
        bp.Var(numerator) / denominator


@pytest.mark.parametrize("exponent", [lambda: bp.Var(2.0), lambda: np.array([2.0]), lambda: "2"])
def test_non_constant_exponent_is_a_clear_error(exponent):
    with pytest.raises(TypeError, match=r"pow: the exponent must be a constant number.*exp\(p \* log\(x\)\)"):
        bp.Var(3.0) ** exponent()


def test_negative_base_with_fractional_exponent_is_an_error():
    with pytest.raises(ValueError, match=r"pow: -2\.0 \*\* 0\.5 is not a real number"):
        bp.Var(-2.0) ** 0.5
    with pytest.raises(ValueError, match=r"pow: invalid value .*shape \(2,\)"):
        bp.Var(np.array([-2.0, 1.0])) ** 0.5


@pytest.mark.parametrize("value", [0.0, np.zeros(2)])
def test_infinite_derivative_is_reported_by_backward(value):
    """√x is fine at 0 but its derivative is not."""
    x = bp.Var(value)
    y = (x ** 0.5).sum() if np.ndim(value) else x ** 0.5
    assert np.all(np.asarray(y.value) == 0.0)
    with pytest.raises(ValueError, match=r"^backward: .* while differentiating"):
        y.backward()


@pytest.mark.parametrize("value", [1000.0, np.array([1.0, 1000.0])])
def test_exp_overflow_is_a_clear_error(value):
    with pytest.raises(ValueError, match=r"^exp: "):
        bp.exp(bp.Var(value))


def test_backward_needs_a_scalar_or_a_seed_of_the_right_shape():
    y = bp.Var(np.ones(3)) * 2
    with pytest.raises(ValueError, match=r"backward: the output has shape \(3,\); backward needs a scalar J"):
        y.backward()
    with pytest.raises(ValueError, match=r"backward: seed has shape \(2,\) but the output has shape \(3,\)"):
        y.backward(seed=np.ones(2))
    with pytest.raises(ValueError, match=r"backward: version must be 'A' or 'B', got 'C'"):
        bp.backward(y.sum(), version="C")
    with pytest.raises(TypeError, match=r"backward: expected a Var, got float"):
        bp.backward(1.0)


def test_non_numeric_values_are_rejected():
    with pytest.raises(TypeError, match=r"Var: values must be real numbers, got dtype <U1"):
        bp.Var(np.array(["a"]))
    with pytest.raises(TypeError, match=r"Var: got a Var where a number or an array was expected"):
        bp.Var(bp.Var(1.0))
