"""Exercise set 12: depth and activations — the σ′ product bound, leaky ReLU as a primitive, a layer's norm."""
import numbers

import numpy as np

from .. import data, depth, engine, models
from .verdict import Wrong, call, check_value, checker, compare, describe, given, name_of

__all__ = ["check_sigmoid_factor_bound", "check_layers_below_a_millionth", "check_leaky_relu",
           "check_first_layer_norm", "check_smallest_first_layer", "leaky_relu_reference", "norm_problem"]

DEPTHS = np.arange(1, 9)                         # the L at which sigmoid_factor_bound is tried
LEAK = 0.01                                      # leaky ReLU's slope for v < 0
LEAKY_INPUTS = np.array([-3.0, -0.5, -0.01, 0.2, 1.5, 4.0])
NORM_NETS = (("sigmoid", 1.0), ("tanh", 1.0), ("relu", 0.5))   # 5-layer nets of exercise 12.4: activation, ±s


@checker("the largest product of σ′ over L layers")
def check_sigmoid_factor_bound(sigmoid_factor_bound):
    """sigmoid_factor_bound(L): the largest value σ′(a₁)·…·σ′(a_L) can take, (1/4)^L (σ′ = σ(1 − σ) ≤ 1/4)."""
    got = [call(sigmoid_factor_bound, int(L)) for L in DEPTHS]
    compare(f"{name_of(sigmoid_factor_bound, 'sigmoid_factor_bound')}(L)", _numbers(got), 0.25 ** DEPTHS, [
        (4.0 ** DEPTHS, "upside down: each layer multiplies by at most 1/4, so the bound is (1/4)^L, not 4^L"),
        (0.5 ** DEPTHS, "1/2 is σ(0), the sigmoid's value at 0; its slope there, σ′(0) = σ(0)(1 − σ(0)), is 1/4"),
        (0.25 * DEPTHS, "the layers' factors multiply (the chain rule), they do not add: (1/4)^L"),
        (np.full(DEPTHS.shape, 0.25), "that is one layer's bound; L layers multiply L such factors"),
        (np.ones(DEPTHS.shape), "1 is tanh′(0), the tanh bound; σ′ is at most 1/4"),
        (0.25 ** (DEPTHS - 1), "off by one layer: L layers give L factors of 1/4"),
    ], at=lambda i: f"L = {DEPTHS[i[0]]}", rtol=1e-12, atol=0.0)
    return f"the product of L factors σ′ ≤ 1/4 is at most (1/4)^L (right for L = 1 … {DEPTHS[-1]})."


def check_layers_below_a_millionth(layers):
    """The fewest sigmoid layers whose bound (1/4)^L is below 10⁻⁶: L = 10 (4¹⁰ = 1 048 576)."""
    return check_value("the fewest sigmoid layers with (1/4)^L below one millionth", layers, 10, mistakes=[
        (9, "(1/4)⁹ ≈ 3.8·10⁻⁶ is still above 10⁻⁶; one more layer is needed"),
        (20, "that is the count for a factor of 1/2 per layer; σ′ is at most 1/4"),
        (6, "10⁻⁶ needs (1/4)^L, not (1/10)^L: count powers of 4, 4¹⁰ ≈ 10⁶"),
    ], rtol=0.0, atol=0.0, id="check_layers_below_a_millionth")


def leaky_relu_reference(v):
    """Leaky ReLU u = v (v > 0) or 0.01 v, and du/dv = 1 or 0.01."""
    return np.where(v > 0, v, LEAK * v), np.where(v > 0, 1.0, LEAK)


@checker("leaky ReLU as a primitive")
def check_leaky_relu(leaky_relu):
    """leaky_relu: an engine operation made with `bp.primitive`; its value and the gradient that backward gives."""
    if leaky_relu is not None and not callable(leaky_relu):
        raise Wrong(f"leaky_relu should be the operation bp.primitive returns, got {describe(leaky_relu)}")
    values, slopes = [], []
    for v in LEAKY_INPUTS:
        x = engine.Var(float(v), name="v")
        u = call(leaky_relu, x)
        if not isinstance(u, engine.Var):
            raise Wrong(f"leaky_relu(Var) should give a Var (the node bp.primitive makes), got {describe(u)}")
        call(u.backward)
        values.append(u.value)
        slopes.append(0.0 if x.grad is None else x.grad)
    u_ref, slope_ref = leaky_relu_reference(LEAKY_INPUTS)
    relu = np.maximum(LEAKY_INPUTS, 0.0)
    at = lambda i: f"v = {LEAKY_INPUTS[i[0]]:g}"                      # noqa: E731
    compare("leaky_relu(v)", _numbers(values), u_ref, [
        (relu, "that is ReLU: for v < 0 leaky ReLU gives 0.01·v, not 0"),
        (np.where(LEAKY_INPUTS > 0, LEAK * LEAKY_INPUTS, LEAKY_INPUTS), "the two sides are swapped: v for v > 0, "
                                                                        "0.01·v for v ≤ 0"),
    ], at=at, rtol=1e-12, atol=1e-15)
    compare("dJ/dv for J = leaky_relu(v)", _numbers(slopes), slope_ref, [
        ((LEAKY_INPUTS > 0).astype(float), "the slope for v < 0 is 0.01, not 0 (that is ReLU's derivative)"),
        (np.ones_like(LEAKY_INPUTS), "the derivative is 1 only for v > 0; for v < 0 it is 0.01"),
        (u_ref, "the derivative function returns the forward value; it must return the slope du/dv"),
        (np.where(LEAKY_INPUTS > 0, LEAK, 1.0), "the two slopes are swapped: 1 for v > 0, 0.01 for v ≤ 0"),
    ], at=at, rtol=1e-12, atol=1e-15)
    return (f"leaky_relu gives v or 0.01·v, and backward the slopes 1 or 0.01, at all {LEAKY_INPUTS.size} "
            "inputs.")


def norm_problem():
    """The nets and batch of exercise 12.4: 5 hidden layers of 8 units, moons (the training half)."""
    split = data.load_dataset("moons", n=200, seed=0)
    nets = [models.MLP(2, [8] * 5, activation=act, seed=0, scale=scale) for act, scale in NORM_NETS]
    return nets, split.X_train, split.y_train


@checker("‖dJ/dα⁽¹⁾‖ of a deep network")
def check_first_layer_norm(first_layer_norm):
    """first_layer_norm(net, X, y): the Frobenius norm of dJ/dα⁽¹⁾ for the mean cross-entropy J."""
    nets, X, y = norm_problem()
    got, expected, wrongs = [], [], {}
    for net in nets:
        _, grads = net.loss_and_gradients(X, y)
        got.append(call(first_layer_norm, net.copy(), X.copy(), y.copy()))
        expected.append(depth.layer_gradient_norms(net, X, y)["alpha1"])
        for key, value in (("beta", np.linalg.norm(grads["beta"])),
                           ("squared", np.sum(grads["alpha1"] ** 2)),
                           ("weights", np.linalg.norm(net.params["alpha1"])),
                           ("bias", np.linalg.norm(grads["b1"])),
                           ("sum", np.sum(grads["alpha1"]))):
            wrongs.setdefault(key, []).append(value)
    causes = {"beta": "that is the output layer's ‖dJ/dβ‖; α⁽¹⁾ is the first hidden layer's weights ('alpha1')",
              "squared": "that is the sum of squares; the norm is its square root",
              "weights": "that is the norm of the weights α⁽¹⁾ themselves, not of their gradient dJ/dα⁽¹⁾",
              "bias": "that is the bias gradient dJ/db⁽¹⁾; the weights are 'alpha1'",
              "sum": "the sum of the entries can cancel; the norm is the root of the sum of their squares"}
    compare(f"{name_of(first_layer_norm, 'first_layer_norm')}(net, X, y)", _numbers(got), np.array(expected),
            [(np.array(v), causes[k]) for k, v in wrongs.items()],
            at=lambda i: f"the {NORM_NETS[i[0]][0]} network", rtol=1e-9, atol=0.0)
    return "‖dJ/dα⁽¹⁾‖ is right for the sigmoid, tanh and ReLU networks."


@checker("the activation with the smallest first-layer gradient")
def check_smallest_first_layer(smallest):
    """smallest: 'sigmoid', 'tanh' or 'relu', whichever 5-layer net of `norm_problem` has the smallest ‖dJ/dα⁽¹⁾‖."""
    (answer,) = given(smallest=smallest)
    names = [act for act, _ in NORM_NETS]
    if not isinstance(answer, str) or answer not in names:
        raise Wrong(f"smallest should be one of {', '.join(map(repr, names))}, got {describe(answer)}")
    nets, X, y = norm_problem()
    norms = {net.activation.name: depth.layer_gradient_norms(net, X, y)["alpha1"] for net in nets}
    right = min(norms, key=norms.get)
    if answer != right:
        largest = " — it is the largest of the three" if answer == max(norms, key=norms.get) else ""
        raise Wrong(f"smallest is {answer!r}, whose ‖dJ/dα⁽¹⁾‖ = {norms[answer]:.3e}{largest}; "
                    f"{right!r} has {norms[right]:.3e}. Compare the three numbers first_layer_norm gives")
    return f"{right!r}: ‖dJ/dα⁽¹⁾‖ = {norms[right]:.3e}, the smallest of the three."


def _numbers(values):
    """A list of the learner's scalars as an array (a Var's value is taken), or Wrong naming what came."""
    out = []
    for v in values:
        v = v.value if isinstance(v, engine.Var) else v
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Real, np.floating, np.integer)) \
                and not (isinstance(v, np.ndarray) and v.shape == () and v.dtype.kind in "iuf"):
            raise Wrong(f"expected a number, got {describe(v)}")
        out.append(float(v))
    return np.array(out)
