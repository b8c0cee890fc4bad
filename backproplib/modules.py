"""Hand-written layers: each one a forward that keeps a cache and a backward that uses it.

Lecture 13, Case 2, splits the neural network into rows (Loss, Sigmoid, Linear,
Sigmoid, Linear); each row has one forward equation and one backward equation.
Here every row is a pair of functions, in the style of CS231n's layers.py:

    a, cache = linear_forward(x, alpha)          # compute a; remember what backward needs
    g_x, g_alpha = linear_backward(g_a, cache)   # dJ/da in; dJ/dx and dJ/dα out

One API for every row: ``forward(inputs) → (output, cache)`` and
``backward(g_out, cache) → gradients``, the incoming dJ/d(output) first.  The
loss rows also hand back ŷ, which the lecture's Loss row needs to report:
``J, y_hat, cache = softmax_cross_entropy_forward(b, labels)`` and
``g_b = softmax_cross_entropy_backward(g_J, cache)`` (g_J = dJ/dJ = 1, or the
learning rate γ to get γ·dJ/db in one step).

Conventions:

* ``g_v`` is dJ/dv, laid out like v (the lecture's denominator layout).
* Inputs are one example (a vector) or a batch whose rows are examples.
* J is the mean over the batch of the cross-entropy, i.e. the *negative*
  log-likelihood: the slides' J = y* log y + (1-y*) log(1-y) is to be maximised,
  so we minimise -J averaged over the examples.
* Arguments are float64 numpy arrays.  The checks made here cost O(1) per
  example (shapes, label ranges), so these functions can sit in a per-example
  training loop; the models check whole data sets once, at their boundary.
"""
import numpy as np

from . import functional as F

__all__ = [
    "linear_forward", "linear_backward", "affine_forward", "affine_backward",
    "sigmoid_forward", "sigmoid_backward", "tanh_forward", "tanh_backward", "relu_forward", "relu_backward",
    "prepend_one",
    "softmax_cross_entropy_forward", "softmax_cross_entropy_backward",
    "sigmoid_cross_entropy_forward", "sigmoid_cross_entropy_backward",
]

_ONE = np.ones(1)


def linear_forward(x, alpha):
    """a_j = Σ_i α_ji x_i (Case 2, Linear row); for a batch, a = x αᵀ.

    x: (in,) or (N, in).  alpha: (out, in), or (in,) for a single output unit
    (then a is a scalar per example).  The cache is (x, alpha).
    """
    try:
        return x @ alpha.T, (x, alpha)
    except ValueError:
        raise ValueError(f"linear_forward: x of shape {np.shape(x)} does not fit alpha of shape "
                         f"{np.shape(alpha)} (a_j = Σ_i α_ji x_i needs their last axes to agree)") from None


def linear_backward(g_a, cache, need_g_x=True):
    """dJ/dα_ji = (dJ/da_j) x_i and dJ/dx_i = Σ_j (dJ/da_j) α_ji (Case 2, Linear row).

    For a batch the per-example terms are summed (g_α = g_aᵀ x), so a mean in J
    arrives here already divided by N through g_a.  Returns (g_x, g_alpha);
    g_x is None if not `need_g_x` (the first layer: x is data, not a parameter).
    """
    x, alpha = cache
    g_alpha = np.multiply.outer(g_a, x) if x.ndim == 1 else g_a.T @ x
    if not need_g_x:
        return None, g_alpha
    return (g_a @ alpha if alpha.ndim == 2 else np.multiply.outer(g_a, alpha)), g_alpha


def affine_forward(x, w, bias):
    """a = wᵀ x + bias, the layer of the 2-hidden-layer slide (z⁽¹⁾ = σ((α⁽¹⁾)ᵀ x + b⁽¹⁾)).

    w: (in, out) or (in,) for one output; bias: (out,) or ().  This is the
    Linear row with α = wᵀ and the bias kept apart instead of folded as x_0 = 1:
    for a batch, a = x w + bias.  The cache is (x, w).
    """
    if (bias.shape if type(bias) is np.ndarray else np.shape(bias)) != w.shape[1:]:   # np.shape is slower
        raise ValueError(f"affine_forward: bias of shape {np.shape(bias)} does not fit w of shape {w.shape} "
                         f"(needs shape {w.shape[1:]})")
    try:
        return x @ w + bias, (x, w)
    except ValueError:
        raise ValueError(f"affine_forward: x of shape {np.shape(x)} does not fit w of shape {w.shape} "
                         "(a = wᵀ x + bias needs x's last axis to match w's first)") from None


def affine_backward(g_a, cache, need_g_x=True):
    """dJ/dw = x (dJ/da)ᵀ, dJ/dbias = dJ/da (summed over a batch), dJ/dx = w dJ/da.

    The Linear row's backward (`linear_backward`) with α = wᵀ.
    Returns (g_x, g_w, g_bias); g_x is None if not `need_g_x`.
    """
    x, w = cache
    if x.ndim == 1:
        g_w, g_bias = np.multiply.outer(x, g_a), np.asarray(g_a)
    else:
        g_w, g_bias = (g_a.T @ x).T, np.asarray(g_a.sum(axis=0))
    if not need_g_x:
        return None, g_w, g_bias
    return (g_a @ w.T if w.ndim == 2 else np.multiply.outer(g_a, w)), g_w, g_bias


def sigmoid_forward(a):
    """z = σ(a) = 1 / (1 + exp(-a)) (Case 2, Sigmoid row); the cache is z itself.

    Uses the stable `functional.sigmoid`: finite for every a, no warnings,
    and accurate to a few ulps even deep in the tails.
    """
    z = F.sigmoid(a)
    return z, z


def sigmoid_backward(g_z, z):
    """dJ/da = dJ/dz · z(1 - z): the derivative of the sigmoid, lecture eq. (9)."""
    return g_z * z * (1.0 - z)


def tanh_forward(a):
    """z = tanh(a) = (e^a − e^−a) / (e^a + e^−a), elementwise (a hidden unit other than the lecture's σ).

    np.tanh is finite for every a (it saturates at ±1); the cache is z itself.
    """
    z = np.tanh(a)
    return z, z


def tanh_backward(g_z, z):
    """dJ/da = dJ/dz · (1 − z²): tanh′(a) = 1 − tanh(a)², from z alone, as σ′ = z(1 − z) is."""
    return g_z * (1.0 - z * z)


def relu_forward(a):
    """z = max(a, 0), elementwise (the rectified linear unit); the cache is the mask [a > 0]."""
    positive = a > 0
    return a * positive, positive


def relu_backward(g_z, positive):
    """dJ/da = dJ/dz · [a > 0]: slope 1 where the unit is on, 0 where it is off (0 at the kink a = 0)."""
    return g_z * positive


def prepend_one(v):
    """[1, v]: the constant x_0 = 1 (or z_0 = 1) that folds a bias into α (or β).

    Its backward simply drops the first entry, dJ/dv = (dJ/d[1, v])[..., 1:].
    """
    if v.ndim == 1:
        return np.concatenate((_ONE, v))
    return np.concatenate((np.ones((v.shape[0], 1)), v), axis=1)


def softmax_cross_entropy_forward(b, labels):
    """J = mean over examples of −log ŷ_{y*}, with ŷ_k = exp(b_k) / Σ_l exp(b_l); returns (J, ŷ, cache).

    The K-class output layer: the negative log-likelihood of the true class.
    b: (K,) with one integer label, or (N, K) with labels of shape (N,).
    Computed by `functional.softmax_cross_entropy_with_probs` (log Σ_l exp(b_l − m) + m − b_{y*}
    with m = max b), so no exp overflows and J is finite even when ŷ_{y*}
    underflows to 0.  The cache is (ŷ, labels).
    """
    losses, y_hat, labels = F.softmax_cross_entropy_with_probs(b, labels, "softmax_cross_entropy_forward")
    return (losses if b.ndim == 1 else F.mean(losses)), y_hat, (y_hat, labels)


def softmax_cross_entropy_backward(g_J, cache):
    """dJ/db_k = g_J · (ŷ_k − [k = y*]) / N: the softmax and the log-loss differentiated together."""
    y_hat, labels = cache
    g_b = y_hat.copy()
    if g_b.ndim == 1:
        g_b[labels] -= 1.0
    else:
        g_b[np.arange(g_b.shape[0]), labels] -= 1.0
        g_b /= g_b.shape[0]
    if g_J != 1.0:
        g_b *= g_J
    return g_b


def sigmoid_cross_entropy_forward(b, y_star):
    """J = mean of −[y* log ŷ + (1 − y*) log(1 − ŷ)], ŷ = σ(b) (Case 1/Case 2 Loss and Sigmoid rows).

    Returns (J, ŷ, cache).  The slides' J is the log-likelihood; this is its
    negative mean, which we minimise.  b and y* are both scalars (one example)
    or both of shape (N,); y* lies in [0, 1].  The loss comes from
    `functional.binary_cross_entropy_with_logits`, which never forms log ŷ from
    ŷ, so J is finite and accurate for any finite b and labels exactly 0 or 1.
    The cache is (ŷ, y*).
    """
    if np.size(b) == 0:
        raise ValueError(f"sigmoid_cross_entropy_forward: the batch is empty (logits of shape {np.shape(b)}); "
                         "the mean loss over no examples is undefined")
    J = F.mean(F.binary_cross_entropy_with_logits(b, y_star, "sigmoid_cross_entropy_forward"))
    if np.ndim(b) == 0:
        y_hat = F.sigmoid(float(b))
        return J, y_hat, (y_hat, float(y_star))
    y_hat = F.sigmoid(b)
    return J, y_hat, (y_hat, np.asarray(y_star, dtype=np.float64))


def sigmoid_cross_entropy_backward(g_J, cache):
    """dJ/db = g_J · (ŷ − y*) / N.

    Case 1 writes it as a chain: dJ/dy = y*/y + (1-y*)/(y-1) times
    dy/db = y(1 - y), which multiplies out to y* - y for the log-likelihood,
    so y - y* for the cross-entropy we minimise.  Taking the product in one
    step avoids dividing by y = 0 or 1 - y = 0 when the sigmoid saturates.
    """
    y_hat, y_star = cache
    return (y_hat - y_star) * (g_J / np.size(y_hat))
