"""Exercise set 06: module backward for Linear, Sigmoid, and softmax + cross-entropy, on a batch."""
from types import SimpleNamespace

import numpy as np

from .. import functional as F
from .verdict import DENOMINATOR, Wrong, as_array, call, checker, compare, pair

SEED = 6


def module_data():
    rng = np.random.default_rng(SEED)
    return SimpleNamespace(x=rng.normal(size=(4, 3)), alpha=rng.normal(size=(2, 3)),
                           g_a=rng.normal(size=(4, 2)), g_z=rng.normal(size=(4, 3)),
                           z=F.sigmoid(rng.normal(size=(4, 3))), b=rng.normal(size=(4, 3)),
                           labels=np.array([0, 2, 1, 2]))


@checker("Linear backward")
def check_linear_backward(linear_backward):
    """linear_backward(g_a, x, alpha) -> (g_x, g_alpha) for a = x @ alphaᵀ, batched over rows."""
    d = module_data()
    n = d.x.shape[0]
    g_x, g_alpha = d.g_a @ d.alpha, d.g_a.T @ d.x
    got_x, got_alpha = pair("linear_backward", call(linear_backward, d.g_a.copy(), d.x.copy(), d.alpha.copy()),
                            ("g_x", "g_alpha"))
    got_x, got_alpha = as_array("g_x", got_x, g_x), as_array("g_alpha", got_alpha, g_alpha)
    if got_x.shape == g_alpha.shape and got_alpha.shape == g_x.shape:
        raise Wrong("the two results are swapped: return (g_x, g_alpha), in that order")
    compare("g_alpha", got_alpha, g_alpha, [
        (d.x.T @ d.g_a, "transposed: xᵀ g_a is the numerator-layout Jacobian; " + DENOMINATOR
                        + ": dJ/dα = g_aᵀ x, of shape (out, in) like α"),
        (g_alpha / n, "divided by N: g_a already carries the mean's 1/N; a linear layer just sums over rows"),
    ], hint="a_nj = Σ_i α_ji x_ni, so dJ/dα_ji = Σ_n (dJ/da_nj) x_ni.")
    compare("g_x", got_x, g_x, [
        (g_x / n, "divided by N: g_a already carries the mean's 1/N"),
    ], hint="dJ/dx_ni = Σ_j (dJ/da_nj) α_ji: a sum over the outputs j each x_i feeds.")
    return "g_x = g_a α and g_alpha = g_aᵀ x, each with the shape of the variable it belongs to."


@checker("Sigmoid backward")
def check_sigmoid_backward(sigmoid_backward):
    """sigmoid_backward(g_z, z) -> g_a = g_z · z(1 − z), with z = σ(a) from the forward pass."""
    d = module_data()
    z, g_z = d.z, d.g_z
    compare("g_a", call(sigmoid_backward, g_z.copy(), z.copy()), g_z * z * (1 - z), [
        (g_z, "forgot σ′: dJ/da = dJ/dz · z(1 − z)"),
        (g_z * F.sigmoid(z) * (1 - F.sigmoid(z)),
         "applied σ′ to z; z is already σ(a), so dz/da = σ′(a) = z(1 − z)"),
        (g_z * z, "σ′(a) = z(1 − z), not z"),
        (z * (1 - z), "forgot the incoming gradient: dJ/da = dJ/dz · dz/da (chain rule)"),
    ])
    return "g_a = g_z · z(1 − z), using the stored forward value z."


@checker("softmax + cross-entropy backward")
def check_softmax_ce_backward(softmax_ce_backward):
    """softmax_ce_backward(b, labels) -> dJ/db = (softmax(b) − onehot(y*)) / N for the mean cross-entropy."""
    d = module_data()
    b, labels = d.b, d.labels
    n = b.shape[0]
    p = F.softmax(b)
    onehot = np.eye(b.shape[1])[labels]
    g = (p - onehot) / n
    compare("g_b", call(softmax_ce_backward, b.copy(), labels.copy()), g, [
        (p - onehot, f"no 1/N: J is the mean over the N = {n} examples, so dJ/db = (ŷ − y*)/N"),
        (-g, "wrong sign: dJ/db = (ŷ − y*)/N, prediction minus one-hot label"),
        (p / n, "forgot to subtract the one-hot label y*"),
        ((b - onehot) / n, "used the scores b where the probabilities ŷ = softmax(b) belong"),
        ((F.softmax(b, axis=0) - onehot) / n,
         "softmax over the wrong axis: each row (one example) is normalised over its K classes"),
    ])
    return "dJ/db = (softmax(b) − onehot(y*)) / N."
