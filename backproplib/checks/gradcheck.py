"""Exercise set 09: central differences, the relative error, and a bug hunt with both."""
import numbers

import numpy as np

from .networks import ONE_HIDDEN, nn_backward, nn_data, one_hidden
from .verdict import Wrong, call, checker, compare, describe, given

SEED, SHAPE, EPS = 9, (2, 3), 1e-5           # θ for numerical_gradient, and the ε it is called with
MYSTERY_SEED = 90
BUG = ("beta", (0,))                         # the planted bug: dJ/dβ_0 (the bias weight's gradient) left at 0


def gradcheck_problem():
    """f(θ) = Σ sin(θ)·θ² + θ[0,0]·θ[1,2] on a (2, 3) array, with its gradient."""
    theta = np.random.default_rng(SEED).uniform(-1.5, 1.5, size=SHAPE)

    def f():
        return float(np.sum(np.sin(theta) * theta**2) + theta[0, 0] * theta[1, 2])

    def grad():
        g = np.cos(theta) * theta**2 + 2 * theta * np.sin(theta)
        g[0, 0] += theta[1, 2]
        g[1, 2] += theta[0, 0]
        return g

    return theta, f, grad


def _difference(f, theta, eps, steps):
    """Finite differences (f(θ + s1·ε) − f(θ + s0·ε)) / ((s1 − s0)·ε) per entry, for the typical variants."""
    out = np.zeros_like(theta)
    for idx in np.ndindex(theta.shape):
        old = theta[idx]
        values = []
        for s in steps:
            theta[idx] = old + s * eps
            values.append(f())
        theta[idx] = old
        out[idx] = (values[1] - values[0]) / ((steps[1] - steps[0]) * eps)
    return out


@checker("central differences")
def check_numerical_gradient(numerical_gradient):
    """numerical_gradient(f, theta, eps) -> central differences, shape of θ, θ restored afterwards."""
    theta, f, grad = gradcheck_problem()
    saved = theta.copy()
    got = call(numerical_gradient, f, theta, EPS)
    if not np.allclose(theta, saved, rtol=0, atol=1e-12):
        raise Wrong("θ was changed by numerical_gradient: put each entry back after probing it "
                    "(save old = θ[i], set θ[i] = old ± ε, evaluate f, then θ[i] = old); otherwise every "
                    "later difference is taken at the wrong point")
    theta[...] = saved
    expected = grad()
    one_sided = "a one-sided difference; the central difference (f(θ+ε) − f(θ−ε)) / 2ε is far more accurate"
    compare("numerical_gradient(f, θ)", got, expected, [
        (_difference(f, theta, EPS, (0, 1)), "(f(θ+ε) − f(θ))/ε is " + one_sided),
        (_difference(f, theta, EPS, (-1, 0)), "(f(θ) − f(θ−ε))/ε is " + one_sided),
        (2 * expected, "divided by ε instead of 2ε: the two probes are 2ε apart"),
        (-expected, "subtracted in the wrong order: (f(θ+ε) − f(θ−ε)) / 2ε"),
        (np.zeros_like(expected), "f() never saw the perturbation: f reads θ by reference, so "
                                  "perturb the array you were given in place (not a copy)"),
    ], rtol=1e-6, atol=1e-8, hint="perturb one entry at a time, in place, by ±ε; use np.ndindex(θ.shape).")
    return "central differences agree with the true gradient to 1e-6, and θ is left unchanged."


@checker("relative error")
def check_relative_error(relative_error):
    """relative_error(a, n) -> |a − n| / max(|a|, |n|, tiny), elementwise (0 where a = n = 0)."""
    a = np.array([1.0, -2.0, 0.0, 1e-8, 3.0, 0.5])
    n = np.array([1.0 + 1e-9, -2.2, 0.0, 2e-8, -3.0, 0.0])
    tiny = np.finfo(np.float64).tiny
    scale = np.maximum(np.maximum(np.abs(a), np.abs(n)), tiny)
    sum_of_sizes = "divided by |a| + |n|; the convention used here is max(|a|, |n|)"
    with np.errstate(all="ignore"):
        expected = np.abs(a - n) / scale
        mistakes = [
            (np.abs(a - n) / (np.abs(a) + np.abs(n)), sum_of_sizes),
            (np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), tiny), sum_of_sizes),
            ((a - n) / scale, "no absolute value on top: a relative error is never negative"),
            (np.abs(a - n) / np.maximum(np.abs(a), np.abs(n)),
             "where a = n = 0 this is 0/0: put a tiny floor in the maximum, "
             "max(|a|, |n|, np.finfo(float).tiny), so it gives 0"),
        ]
    compare("relative_error(a, n)", call(relative_error, a.copy(), n.copy()), expected, mistakes,
            at=lambda i: f"a = {a[i[0]]:g}, n = {n[i[0]]:g}",
            hint="divide |a − n| by the larger of |a| and |n| (with a tiny floor); where a = n = 0 the answer is 0.")
    return "relative_error is |a − n| / max(|a|, |n|) and gives 0 where both are 0."


def mystery_gradients():
    """A 1-hidden-layer net's loss f() and gradients with one planted bug, for the bug hunt in exercise 09.

    Returns (f, params, grads): f() reads params by reference; grads has the keys of params.
    """
    X, Y, alpha, beta = nn_data(**{**ONE_HIDDEN, "seed": MYSTERY_SEED})
    params = {"alpha": alpha, "beta": beta}
    x, y_star = X[0], Y[0]

    def f():
        return float(one_hidden(x, y_star, params["alpha"], params["beta"]).J)

    grads = dict(zip(("alpha", "beta"), (g.copy() for g in nn_backward(one_hidden(x, y_star, alpha, beta),
                                                                         y_star, beta))))
    grads[BUG[0]][BUG[1]] = 0.0
    return f, params, grads


def _is_integer(i):
    return isinstance(i, (numbers.Integral, np.integer)) and not isinstance(i, (bool, np.bool_))


def entry_index(index, shape, name):
    """`index` as a tuple of ints naming one entry of an array of `shape`, or a Wrong saying what was expected."""
    want = ("an integer" if len(shape) == 1 else f"a tuple of {len(shape)} integers") + \
        f" (the entry of {name}, shape {shape})"
    if isinstance(index, np.ndarray) and index.ndim <= 1:
        index = index.tolist() if index.dtype.kind in "iu" else index
    parts = tuple(index) if isinstance(index, (tuple, list)) else (index,)
    if not all(_is_integer(i) for i in parts):
        raise Wrong(f"buggy_index should be {want}, got {describe(index)}")
    if len(parts) != len(shape):
        raise Wrong(f"buggy_index should be {want}: {name} has {len(shape)} dimension"
                    f"{'s' if len(shape) > 1 else ''}, you gave {len(parts)} numbers")
    for i, n in zip(parts, shape):
        if not 0 <= i < n:
            raise Wrong(f"buggy_index {describe(index)} is outside {name}: each index runs from 0 to its "
                        f"length − 1 (shape {shape})")
    return tuple(int(i) for i in parts)


@checker("the planted bug")
def check_found_bug(parameter, index):
    """Which parameter's gradient from mystery_gradients() is wrong, and at which entry?"""
    parameter, index = given(buggy_parameter=parameter, buggy_index=index)
    _, params, _ = mystery_gradients()
    names = " or ".join(repr(k) for k in params)
    if not isinstance(parameter, str) or parameter not in params:
        raise Wrong(f"buggy_parameter should be {names}, got {describe(parameter)}")
    entry = entry_index(index, np.shape(params[parameter]), parameter)
    if parameter != BUG[0]:
        raise Wrong(f"the gradient of {parameter!r} agrees with finite differences in every entry "
                    "(relative errors near 1e-10); compute the relative error of the other one")
    if entry != BUG[1]:
        raise Wrong(f"{parameter}[{', '.join(map(str, entry))}] agrees with finite differences; look for "
                    "the entry whose relative error is near 1 (np.argmax of the relative errors)")
    return ("the bug is in dJ/dβ_0: the bias weight's gradient was left at 0. Its relative error is 1, "
            "every other entry agrees to about 1e-10.")
