"""engine.primitive: a learner's own operation from its forward and one local derivative per input.

Softplus and leaky ReLU (one input) and a two-input op are checked against finite differences, in both
backward versions, in the forward/backward table, step by step and in a drawing.
"""
import math

import matplotlib
import numpy as np
import pytest

import backproplib as bp
from backproplib import functional as F
from backproplib.gradcheck import check_gradients

matplotlib.use("Agg")

softplus = bp.primitive("softplus", lambda v: np.logaddexp(0.0, v), F.sigmoid, labels=["σ({0})"])
leaky_relu = bp.primitive("leaky_relu", lambda v: np.where(v > 0, v, 0.01 * v),
                          lambda v: np.where(v > 0, 1.0, 0.01), labels=["[{0} > 0] + 0.01·[{0} ≤ 0]"])
hypot = bp.primitive("hypot", np.hypot, lambda a, b: a / np.hypot(a, b), lambda a, b: b / np.hypot(a, b),
                     labels=["{0}/{out}", "{1}/{out}"])


def central(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("op, f", [(softplus, lambda v: math.log1p(math.exp(v))),
                                   (leaky_relu, lambda v: v if v > 0 else 0.01 * v)])
@pytest.mark.parametrize("x0", [-1.3, -0.2, 0.4, 2.5])
@pytest.mark.parametrize("version", ["A", "B"])
def test_scalar_derivative_matches_finite_differences(op, f, x0, version):
    x = bp.Var(x0, name="x")
    J = (op(x * x) * 3.0).named("J")                   # the chain rule through the new op
    bp.backward(J, version=version)
    assert J.value == pytest.approx(3 * f(x0 * x0), rel=1e-15)
    assert x.grad == pytest.approx(central(lambda v: 3 * f(v * v), x0), rel=1e-8)


@pytest.mark.parametrize("version", ["A", "B"])
def test_arrays_and_two_inputs_match_finite_differences(version):
    rng = np.random.default_rng(0)
    params = {"w": bp.Var(rng.normal(size=(3, 4)), name="w"), "v": bp.Var(rng.normal(size=4), name="v")}

    def f():
        a = params["v"] @ params["w"].T
        return bp.sum(softplus(a) + leaky_relu(a - 0.3)) + bp.sum(hypot(params["w"], params["v"]))
    J = f()
    bp.backward(J, version=version)
    analytic = {n: p.grad for n, p in params.items()}
    assert check_gradients(f, params, analytic).passed


def test_versions_a_and_b_agree_bit_for_bit():
    grads = {}
    for version in ("A", "B"):
        x = bp.Var(np.array([-0.5, 0.25, 1.5]), name="x")
        J = bp.sum(softplus(leaky_relu(x) * x) + hypot(x, 2.0))
        bp.backward(J, version=version)
        grads[version] = x.grad
    assert np.array_equal(grads["A"], grads["B"])


def test_table_steps_and_drawing_show_the_new_op():
    x = bp.Var(0.5, name="x")
    u = softplus(x).named("u")
    J = leaky_relu(u - 1.0).named("J")
    table = bp.forward_backward_table(J)
    text = str(table)
    assert "u = softplus(x)" in text and "dJ/dx += dJ/du · σ(x)" in text
    assert "J = leaky_relu(" in text
    assert table.gradients["x"] == pytest.approx(0.01 * F.sigmoid(0.5), rel=1e-15)
    steps_a = list(bp.backward_steps(J, version="A"))
    assert steps_a[-1].adjoints == list(bp.backward_steps(J, version="B"))[-1].adjoints
    ax = bp.draw_graph(J)
    assert any("softplus" in t.get_text() for t in ax.texts)


def test_a_derivative_that_is_not_finite_is_named():
    bad = bp.primitive("sqrt_like", np.sqrt, lambda v: 0.5 / np.sqrt(v))
    J = bad(bp.Var(0.0, name="x"))
    with pytest.raises(ValueError, match="sqrt_like"):
        J.backward()
    with pytest.raises(ValueError, match="log_of_negative"):
        bp.primitive("log_of_negative", np.log, lambda v: 1 / v)(bp.Var(np.array([-1.0, 1.0])))


@pytest.mark.parametrize("version", ["A", "B"])
def test_inf_that_numpy_does_not_signal_is_refused_forward_and_backward(version):
    """np.full(…, inf) and np.where(…, inf, …) raise no floating-point signal: the primitive's own result
    and derivative are checked, so an inf cannot enter the graph or its gradients unnoticed."""
    wall = bp.primitive("wall", lambda v: np.full_like(v, np.inf), lambda v: np.ones_like(v))
    with pytest.raises(ValueError, match=r"wall: the result of shape \(2,\) holds inf at index \(0,\)"):
        wall(bp.Var(np.zeros(2)))
    kink = bp.primitive("kink", np.abs, lambda v: np.where(v == 0, np.inf, np.sign(v)))
    x = bp.Var(np.array([0.0, 2.0]), name="x")
    J = (kink(x) * 3.0).sum()
    with pytest.raises(ValueError, match="the derivative of kink is not finite while differentiating kink"):
        J.backward(version=version)
    assert x.grad is None and J.grad is None


@pytest.mark.parametrize("args, message", [
    (("", np.exp, np.exp), "name must be a non-empty string"),
    (("f", None, np.exp), "forward must be a function"),
    (("f", np.exp), "one derivative function per input"),
    (("f", np.exp, np.exp, np.exp, np.exp), "one derivative function per input"),
])
def test_bad_definitions_are_refused(args, message):
    with pytest.raises((ValueError, TypeError), match=message):
        bp.primitive(*args)


def test_labels_must_match_the_derivatives():
    with pytest.raises(ValueError, match="labels must be 1 string"):
        bp.primitive("f", np.exp, np.exp, labels=["a", "b"])
    op = bp.primitive("f2", np.add, lambda a, b: 1.0, lambda a, b: 1.0).op
    assert op.labels == ("∂f2/∂v1", "∂f2/∂v2") and op.partials[0] == (op.labels[0], op.vjps[0])
