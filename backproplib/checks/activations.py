"""Exercise set 04: the derivatives of the sigmoid and tanh, right and finite everywhere."""
import numpy as np

from .. import functional as F
from .verdict import Wrong, as_array, call, checker, compare, name_of

SIGMOID_GRID, SIGMOID_PROBES = np.linspace(-8, 8, 33), np.array([-800.0, -50.0, 50.0, 800.0])
TANH_GRID, TANH_PROBES = np.linspace(-4, 4, 33), np.array([-800.0, -30.0, 30.0, 800.0])


def _check_derivative(fn, name, var, grid, expected, mistakes, probe, formula):
    """An elementwise derivative fn(var): right on `grid`, and finite (not overflowing) at the `probe` inputs."""
    label = f"{name_of(fn, name)}({var})"
    compare(label, call(fn, grid.copy()), expected, mistakes, at=lambda i: f"{var} = {grid[i[0]]:g}",
            hint="write the derivative first in terms of the function's own value.")
    far = as_array(label, call(fn, probe.copy()), probe)
    if far.shape != probe.shape or not np.all(np.isfinite(far)):
        bad = probe[~np.isfinite(far)] if far.shape == probe.shape else probe
        raise Wrong(f"{label} is right for moderate inputs but gives inf or nan at {var} = {bad[0]:g}: an "
                    "intermediate such as exp(−x) overflowed. Write the derivative through the "
                    "function's value (it never overflows) instead of raw exponentials.")
    return (f"{label} = {formula} at {grid.size} points in [{grid[0]:g}, {grid[-1]:g}], and it stays "
            f"finite at ±{probe.max():g}.")


@checker("σ′(b)")
def check_sigmoid_derivative(sigmoid_prime):
    """sigmoid_prime(b) for an array b: dσ/db = σ(b)(1 − σ(b)) (lecture eqs. 2–9)."""
    b = SIGMOID_GRID
    s = F.sigmoid(b)
    return _check_derivative(sigmoid_prime, "sigmoid_prime", "b", b, s * (1 - s), [
        (s, "you returned σ(b) itself, not its derivative"),
        (1 - s, "you returned 1 − σ(b); the derivative is σ(b)·(1 − σ(b))"),
        (s * (1 + s), "the second factor is (1 − σ(b)), not (1 + σ(b))"),
        (1 - s**2, "1 − σ² is the tanh pattern (1 − tanh²); for the sigmoid it is σ(1 − σ)"),
        (b * (1 - b), "applied σ(1 − σ) to b itself; s = σ(b) comes first"),
    ], SIGMOID_PROBES, "σ(b)(1 − σ(b))")


@checker("tanh′(a)")
def check_tanh_derivative(tanh_prime):
    """tanh_prime(a) for an array a: d tanh/da = 1 − tanh²(a)."""
    a = TANH_GRID
    th = np.tanh(a)
    s2 = F.sigmoid(2 * a)
    return _check_derivative(tanh_prime, "tanh_prime", "a", a, 1 - th**2, [
        (1 - th, "forgot the square: 1 − tanh²(a)"),
        (1 + th**2, "the sign inside is minus: 1 − tanh²(a)"),
        (th * (1 - th), "σ(1 − σ) is the sigmoid's pattern; for tanh it is 1 − tanh²"),
        (2 * s2 * (1 - s2), "off by a factor of 2: tanh(a) = 2σ(2a) − 1, so the chain rule gives "
                            "2 · σ′(2a) · 2 = 4σ(2a)(1 − σ(2a))"),
        (1 / np.cosh(a), "d tanh/da = sech²(a): the square is missing"),
        (1 - a**2, "applied 1 − tanh² to a itself; compute tanh(a) first"),
    ], TANH_PROBES, "1 − tanh²(a)")
