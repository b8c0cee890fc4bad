"""Exercise set 12 (depth and activations): its checks give ✓ to the right answer, ○ to the blank stub and
✗ to typical wrong answers, each with the likely cause where the exercise knows one.

Oracles: closed forms ((1/4)^L, 4¹⁰ > 10⁶ > 4⁹), leaky ReLU written with np.where here, and central
differences of the network's loss for the first layer's gradient."""
import numpy as np
import pytest

import backproplib as bp
from backproplib import checks
from backproplib.checks import depth as depth_checks
from test_checks import lenient  # noqa: F401  (autouse: strict mode off, RESULTS empty)


def verdict(capsys, check, answer):
    """(status, printed text) of one check."""
    result = check(answer)
    out = capsys.readouterr().out
    assert out.strip() == result.message.strip() and "Traceback" not in out
    return result.status, out


def assert_cross(capsys, check, answer, cause):
    """The check gives ✗ (a wrong answer, or one that raised), naming `cause` if given."""
    status, out = verdict(capsys, check, answer)
    assert status in ("fail", "error") and out.startswith("✗"), out
    if cause:
        assert cause in out, out


def stub(name):
    def blank(*args):
        raise NotImplementedError(name)
    blank.__name__ = name
    return blank


# ------------------------------------------------------------------ 12.1: the σ′ product bound

def test_the_bound_is_a_quarter_to_the_power_L():
    L = np.arange(1, 9)
    s = bp.functional.sigmoid(np.linspace(-8, 8, 16001))
    assert np.isclose((s * (1 - s)).max(), 0.25)                        # the oracle: σ′ ≤ 1/4, attained at 0
    assert np.allclose(depth_checks.DEPTHS, L)


@pytest.mark.parametrize("answer, cause", [
    (lambda L: 4.0 ** L, "upside down"),
    (lambda L: 0.5 ** L, "1/2 is σ(0)"),
    (lambda L: 0.25 * L, "multiply"),
    (lambda L: 0.25, "one layer's bound"),
    (lambda L: 1.0, "tanh"),
    (lambda L: 0.25 ** (L - 1), "off by one layer"),
    (lambda L: 0.25 ** L + 1e-3, None),
    (lambda L: "0.25", None),
])
def test_wrong_bounds_get_a_cross_and_their_cause(capsys, answer, cause):
    assert_cross(capsys, depth_checks.check_sigmoid_factor_bound, answer, cause)


def test_the_bound_check_passes_the_right_answer_and_waits_for_the_stub(capsys):
    assert verdict(capsys, depth_checks.check_sigmoid_factor_bound, lambda L: 0.25 ** L)[0] == "pass"
    for blank in (stub("sigmoid_factor_bound"), None):
        status, out = verdict(capsys, depth_checks.check_sigmoid_factor_bound, blank)
        assert status == "todo" and out.startswith("○ not implemented yet")


@pytest.mark.parametrize("answer, status, cause", [
    (10, "pass", None), (10.0, "pass", None), (None, "todo", None),
    (9, "fail", "still above"), (20, "fail", "factor of 1/2"), (6, "fail", "powers of 4"), (11, "fail", None),
    ("10", "fail", None),
])
def test_the_layer_count(capsys, answer, status, cause):
    assert 0.25 ** 10 < 1e-6 < 0.25 ** 9                                # the oracle
    got, out = verdict(capsys, depth_checks.check_layers_below_a_millionth, answer)
    assert got == status, out
    if cause:
        assert cause in out


# ------------------------------------------------------------------ 12.2: leaky ReLU with bp.primitive

def leaky(forward, derivative):
    return bp.primitive("leaky_relu", forward, derivative)


RIGHT_FORWARD = lambda v: np.where(v > 0, v, 0.01 * v)                 # noqa: E731
RIGHT_SLOPE = lambda v: np.where(v > 0, 1.0, 0.01)                      # noqa: E731


def test_the_reference_is_leaky_relu_and_its_slope_is_the_central_difference():
    v = depth_checks.LEAKY_INPUTS
    u, slope = depth_checks.leaky_relu_reference(v)
    assert np.array_equal(u, RIGHT_FORWARD(v))
    fd = (RIGHT_FORWARD(v + 1e-7) - RIGHT_FORWARD(v - 1e-7)) / 2e-7      # no input sits at the kink 0
    assert np.allclose(slope, fd, rtol=1e-6)


@pytest.mark.parametrize("op, cause", [
    (leaky(RIGHT_FORWARD, lambda v: np.where(v > 0, 1.0, 0.0)), "ReLU's derivative"),
    (leaky(lambda v: np.maximum(v, 0.0), RIGHT_SLOPE), "that is ReLU"),
    (leaky(RIGHT_FORWARD, lambda v: 1.0), "for v < 0 it is 0.01"),
    (leaky(RIGHT_FORWARD, RIGHT_FORWARD), "returns the forward value"),
    (leaky(RIGHT_FORWARD, lambda v: np.where(v > 0, 0.01, 1.0)), "swapped"),
    (leaky(lambda v: np.where(v > 0, 0.01 * v, v), RIGHT_SLOPE), "swapped"),
    (leaky(lambda v: np.where(v > 0, v, 0.1 * v), lambda v: np.where(v > 0, 1.0, 0.1)), None),
    (lambda v: v, None),                                                  # not leaky at all
    (lambda v: 0.5, "should give a Var"),                                 # not an engine operation
    (3, "bp.primitive returns"),
])
def test_wrong_leaky_relus_get_a_cross(capsys, op, cause):
    assert_cross(capsys, depth_checks.check_leaky_relu, op, cause)


def test_the_leaky_relu_check_passes_the_right_primitive_and_waits_for_either_stub(capsys):
    assert verdict(capsys, depth_checks.check_leaky_relu, leaky(RIGHT_FORWARD, RIGHT_SLOPE))[0] == "pass"
    for op, name in ((leaky(stub("leaky_forward"), RIGHT_SLOPE), "leaky_forward"),
                     (leaky(RIGHT_FORWARD, stub("leaky_derivative")), "leaky_derivative"), (None, None)):
        status, out = verdict(capsys, depth_checks.check_leaky_relu, op)
        assert status == "todo" and out.startswith("○ not implemented yet")
        if name:
            assert f"`{name}`" in out


# ------------------------------------------------------------------ 12.3: the first layer's gradient

def fd_first_layer_norm(net, X, y, eps=1e-6):
    """‖dJ/dα⁽¹⁾‖ by central differences of the network's loss (the forward pass only)."""
    W = net.params["alpha1"]
    g = np.zeros_like(W)
    for i in np.ndindex(W.shape):
        keep = W[i]
        W[i] = keep + eps
        up = net.mean_cross_entropy(X, y)
        W[i] = keep - eps
        down = net.mean_cross_entropy(X, y)
        W[i] = keep
        g[i] = (up - down) / (2 * eps)
    return float(np.linalg.norm(g))


def right_norm(net, X, y):
    return float(np.linalg.norm(net.loss_and_gradients(X, y)[1]["alpha1"]))


def test_the_problem_s_norms_match_finite_differences():
    nets, X, y = depth_checks.norm_problem()
    assert [net.activation.name for net in nets] == ["sigmoid", "tanh", "relu"]
    for net in nets:
        assert right_norm(net, X, y) == pytest.approx(fd_first_layer_norm(net, X, y), rel=1e-5)


@pytest.mark.parametrize("answer, cause", [
    (lambda net, X, y: float(np.linalg.norm(net.loss_and_gradients(X, y)[1]["beta"])), "output layer"),
    (lambda net, X, y: float(np.sum(net.loss_and_gradients(X, y)[1]["alpha1"] ** 2)), "square root"),
    (lambda net, X, y: float(np.linalg.norm(net.params["alpha1"])), "weights α⁽¹⁾ themselves"),
    (lambda net, X, y: float(np.linalg.norm(net.loss_and_gradients(X, y)[1]["b1"])), "bias gradient"),
    (lambda net, X, y: float(np.sum(net.loss_and_gradients(X, y)[1]["alpha1"])), "cancel"),
    (lambda net, X, y: float(np.linalg.norm(net.loss_and_gradients(X, y)[1]["alpha2"])), None),
    (lambda net, X, y: net.loss_and_gradients(X, y)[1]["alpha1"], None),        # the matrix, not its norm
    (lambda net, X, y: 2 * right_norm(net, X, y), None),
    (lambda net, X, y: net.params["missing"], None),                           # raises KeyError
])
def test_wrong_first_layer_norms_get_a_cross(capsys, answer, cause):
    assert_cross(capsys, depth_checks.check_first_layer_norm, answer, cause)


def test_the_norm_check_passes_the_right_answer_and_waits_for_the_stub(capsys):
    assert verdict(capsys, depth_checks.check_first_layer_norm, right_norm)[0] == "pass"
    status, out = verdict(capsys, depth_checks.check_first_layer_norm, stub("first_layer_norm"))
    assert status == "todo" and "`first_layer_norm`" in out


@pytest.mark.parametrize("answer, status, cause", [
    ("sigmoid", "pass", None), (None, "todo", None),
    ("tanh", "fail", "the largest of the three"), ("relu", "fail", "'sigmoid' has"),
    ("Sigmoid", "fail", "should be one of"), (0, "fail", "should be one of"),
])
def test_the_smallest_first_layer(capsys, answer, status, cause):
    nets, X, y = depth_checks.norm_problem()
    by_fd = {net.activation.name: fd_first_layer_norm(net, X, y) for net in nets}
    assert min(by_fd, key=by_fd.get) == "sigmoid" and max(by_fd, key=by_fd.get) == "tanh"     # the oracle
    got, out = verdict(capsys, depth_checks.check_smallest_first_layer, answer)
    assert got == status, out
    if cause:
        assert cause in out


def test_strict_mode_turns_a_wrong_answer_into_an_assertion_error(capsys):
    checks.set_strict(True)
    with pytest.raises(AssertionError, match="upside down"):
        depth_checks.check_sigmoid_factor_bound(lambda L: 4.0 ** L)
