"""Feedback for the exercise notebooks: is the learner's answer right, and if not, why not?

Every ``check_*`` function takes the learner's answer (a function or a value), compares it
with the lecture's formula on fixed inputs and prints one verdict:

* ``✓ …`` the answer is right;
* ``✗ …`` it is wrong: which entry, by how much, and the likely cause.  The cause is found
  by comparing the answer with the typical wrong answers that the checker computes next to
  the right one (wrong sign, transposed, missing the sum over consumers, forgot σ′, used β
  after the update, numerator instead of denominator layout, off by a factor of 2 or N);
* ``○ not implemented yet — …`` the answer is still the generated stub (``None``, or a
  function that raises ``NotImplementedError``), so a blank exercise notebook runs from top
  to bottom.

Any other exception raised by the learner's code propagates, so a real bug shows its
traceback.  Checkers print and return None.  The right answers are closed forms written
here (the package's models supply only forward passes); the tests hold each one against
central finite differences.
"""
import copy
import functools
import math
from types import SimpleNamespace

import numpy as np

from . import engine, models
from . import functional as F

__all__ = [
    "check_chain_rule_1d", "check_multivariate_chain_rule",
    "check_forward_values", "check_forward_graph", "check_backward_table",
    "check_sigmoid_derivative", "check_tanh_derivative",
    "check_logistic_gradient", "check_logistic_batch_gradient", "check_logistic_sgd_step",
    "check_linear_backward", "check_sigmoid_backward", "check_softmax_ce_backward",
    "check_nn_backward", "check_nn_sgd_step", "check_two_hidden_backward",
    "check_numerical_gradient", "check_relative_error", "check_found_bug", "mystery_gradients",
    "check_least_squares_gradient", "check_matrix_gradient", "check_chain_rule_layout",
    "check_version_a",
]

OK, WRONG, TODO = "✓", "✗", "○ not implemented yet"     # how each verdict line starts

# the lecture's minimised loss: the slides' J is a log-likelihood, we minimise its negative
_LOG_LIKELIHOOD_SIGN = ("wrong sign — this is the gradient of the slides' log-likelihood "
                        "y* log y + (1 − y*) log(1 − y); we minimise its negative, the cross-entropy, "
                        "so dJ/db = y − y*")
_FORGOT_SUM = ("missing the sum over consumers: {v} is an input of both {u} and {w}, so dJ/d{v} "
               "adds one term per consumer (chain rule: dy/dv = Σ_i dy/du_i · du_i/dv)")
_DENOMINATOR = ("in denominator layout (this course's convention) a gradient has the shape of the "
                "variable it differentiates with respect to")


# ------------------------------------------------------------------- verdict machinery

class _Todo(Exception):
    """The answer is still the generated stub."""


class _Wrong(Exception):
    """The answer is wrong; the message says where and why."""


def _checker(check):
    """Turn a check (returns a success sentence, raises _Todo/_Wrong) into one printed verdict."""
    @functools.wraps(check)
    def run(*args, **kwargs):
        try:
            verdict = check(*args, **kwargs)
        except _Todo as todo:
            print(f"{TODO} — {todo}")
        except _Wrong as wrong:
            print(f"{WRONG} {wrong}")
        else:
            print(f"{OK} {verdict}")
    return run


def _given(**answers):
    """The answers, unless one is still None (the stub for a value)."""
    missing = [name for name, value in answers.items() if value is None]
    if missing:
        names = ", ".join(f"`{n}`" for n in missing)
        raise _Todo(f"{names} {'is' if len(missing) == 1 else 'are'} still None: replace None with "
                    "your answer, run that cell, then run this check again")
    return answers.values()


def _call(fn, *args):
    """fn(*args); a NotImplementedError (the stub) becomes 'not implemented yet'."""
    if fn is None:
        raise _Todo("the function is None: define it in the cell above and run that cell")
    if not callable(fn):
        raise _Wrong(f"expected a function, got {type(fn).__name__} (pass the function itself, "
                     "without calling it)")
    try:
        return fn(*args)
    except NotImplementedError as err:
        name = str(err) or getattr(fn, "__name__", "your function")   # the stub names its function
        raise _Todo(f"replace the stub in `{name}` (`# YOUR CODE HERE` and the `raise NotImplementedError` "
                    "line) with your code, run that cell, then run this check again") from None


def _array(label, got, expected):
    """The answer as a float64 array, or a message saying what was expected instead."""
    if got is None:
        raise _Wrong(f"{label} is None — did the function forget to `return` its result?")
    if isinstance(got, engine.Var):
        got = got.value
    try:
        return np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise _Wrong(f"{label} should be {_kind(np.asarray(expected))}, got {type(got).__name__}") from None


def _kind(a):
    return "a number" if a.ndim == 0 else f"an array of shape {a.shape}"


def _close(got, ref, rtol, atol):
    return (got.shape == ref.shape and bool(np.all(np.isfinite(got)))
            and bool(np.allclose(got, ref, rtol=rtol, atol=atol)))


def _index_text(idx):
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def _likely_cause(got, expected, mistakes):
    """The first typical mistake that reproduces `got`, else a generic pattern (sign, transpose, factor)."""
    for value, cause in mistakes:
        value = np.asarray(value, dtype=np.float64)
        if value.shape == got.shape and np.allclose(got, value, rtol=1e-6, atol=1e-9, equal_nan=True):
            return cause
    if got.shape != expected.shape:
        if got.ndim == 2 and got.shape == expected.shape[::-1]:
            return f"it looks transposed — {_DENOMINATOR}"
        return None
    if _close(got, -expected, 1e-6, 1e-9):
        return "wrong sign: every entry has the right size but the opposite sign"
    if expected.ndim == 2 and expected.shape[0] == expected.shape[1] and _close(got, expected.T, 1e-6, 1e-9):
        return f"transposed — {_DENOMINATOR}"
    nonzero = np.abs(expected) > 1e-12
    if nonzero.any() and np.all(np.isfinite(got)):
        ratio = float(np.median(got[nonzero] / expected[nonzero]))
        if abs(ratio - 1) > 1e-6 and ratio != 0 and _close(got, ratio * expected, 1e-6, 1e-9):
            return (f"off by a constant factor of {ratio:.4g} — look for a missing or extra factor "
                    "(2, N, 1/N, γ) in an otherwise right formula")
    return None


def _compare(label, got, expected, mistakes=(), hint=None, at=None, rtol=1e-7, atol=1e-10):
    """Pass silently if `got` ≈ `expected`; otherwise raise _Wrong naming the worst entry and cause.

    mistakes: (value, cause) pairs, typical wrong answers computed on the same inputs.
    at(index) -> text names the input behind an entry (e.g. 'b = 2.5').
    """
    expected = np.asarray(expected, dtype=np.float64)
    got = _array(label, got, expected)
    if _close(got, expected, rtol, atol):
        return
    if got.shape != expected.shape:
        text = f"{label} has shape {got.shape} but should have shape {expected.shape}"
        if got.ndim == 0 or expected.ndim == 0:
            text = f"{label} should be {_kind(expected)}, got {_kind(got)}"
    else:
        text = _mismatch(label, got, expected, at, rtol, atol)
    cause = _likely_cause(got, expected, mistakes)
    if cause:
        text += f"\n  Likely cause: {cause}."
    elif hint:
        text += f"\n  Hint: {hint}"
    raise _Wrong(text)


def _mismatch(label, got, expected, at, rtol, atol):
    with np.errstate(invalid="ignore"):
        bad = ~np.isclose(got, expected, rtol=rtol, atol=atol) | ~np.isfinite(got)
        gap = np.where(bad, np.abs(got - expected), 0.0)
    gap[bad & ~np.isfinite(gap)] = np.inf
    if expected.ndim == 0:
        where = f" at {at(())}" if at else ""
        return f"{label} is {float(got):.6g}{where} but should be {float(expected):.6g}" + _by(got, expected)
    idx = np.unravel_index(int(np.argmax(gap)), expected.shape)
    where = f" ({at(idx)})" if at else ""
    return (f"{label}: {int(bad.sum())} of {bad.size} entries are wrong; the worst is entry "
            f"{_index_text(idx)}{where}: {got[idx]:.6g} instead of {expected[idx]:.6g}" + _by(got[idx], expected[idx]))


def _by(got, expected):
    return f" (off by {abs(float(got) - float(expected)):.3g})" if np.isfinite(got) else ""


def _compare_rows(label, got, rows, first_wrong_note, entry="{label}[{key!r}]"):
    """Compare a dict of named values row by row (rows: (key, expected, mistakes)); stop at the first wrong row."""
    if not isinstance(got, dict):
        raise _Wrong(f"{label} should return a dict with the keys {', '.join(k for k, _, _ in rows)}; "
                     f"got {type(got).__name__}")
    missing = [k for k, _, _ in rows if k not in got]
    if missing:
        raise _Wrong(f"{label} has no entry for {', '.join(repr(k) for k in missing)} "
                     f"(expected keys: {', '.join(repr(k) for k, _, _ in rows)})")
    for key, expected, mistakes in rows:
        try:
            _compare(entry.format(label=label, key=key), got[key], expected, mistakes)
        except _Wrong as wrong:
            raise _Wrong(f"{wrong}\n  {first_wrong_note}") from None


# ------------------------------------------------------------- 01 chain rule by hand

_CHAIN_X = np.array([-1.3, -0.6, 0.4, 0.9, 1.4])


@_checker
def check_chain_rule_1d(df_dx):
    """df_dx(x) for f(x) = sin(x³): the chain rule gives cos(x³) · 3x²."""
    x = _CHAIN_X
    got = [_call(df_dx, float(v)) for v in x]
    _compare("df_dx(x)", [_array("df_dx(x)", g, 0.0) for g in got], 3 * x**2 * np.cos(x**3), [
        (np.cos(x**3), "forgot the inner derivative: the chain rule multiplies the outer derivative "
                       "cos(x³) by the inner one, d(x³)/dx = 3x²"),
        (np.cos(3 * x**2), "the inner derivative went *inside* cos; the chain rule multiplies "
                           "df/du · du/dx, it does not substitute du/dx into f′"),
        (-3 * x**2 * np.cos(x**3), "wrong sign: d sin(u)/du = +cos(u)"),
        (-3 * x**2 * np.sin(x**3), "d sin(u)/du is cos(u), not −sin(u) (that is the derivative of cos)"),
    ], at=lambda i: f"x = {x[i[0]]:g}")
    return f"df_dx(x) = cos(x³) · 3x² at all {x.size} test points."


def _two_paths(x=2.0, z=3.0):
    """y = u1² + u1·u2 with u1 = x·z, u2 = sin(x): the local derivatives and both answers."""
    u1, u2 = x * z, math.sin(x)
    dy_du1, dy_du2 = 2 * u1 + u2, u1
    return SimpleNamespace(x=x, z=z, u1=u1, u2=u2, dy_du1=dy_du1, dy_du2=dy_du2,
                           dy_dx=dy_du1 * z + dy_du2 * math.cos(x), dy_dz=dy_du1 * x)


@_checker
def check_multivariate_chain_rule(dy_dx, dy_dz):
    """dy/dx and dy/dz at x = 2, z = 3 for y = u1² + u1·u2, u1 = x·z, u2 = sin(x)."""
    dy_dx, dy_dz = _given(dy_dx=dy_dx, dy_dz=dy_dz)
    r = _two_paths()
    one_path = "x is an input of both u1 = x·z and u2 = sin(x); the chain rule sums over both"
    _compare("dy_dx", dy_dx, r.dy_dx, [
        (r.dy_du1 * r.z, f"you kept only the path through u1 — {one_path}"),
        (r.dy_du2 * math.cos(r.x), f"you kept only the path through u2 — {one_path}"),
        (2 * r.u1 * r.z + r.dy_du2 * math.cos(r.x),
         "dy/du1 is 2·u1 + u2, not 2·u1: u1 appears in both terms of y"),
        (r.dy_du1 * r.z - r.dy_du2 * math.cos(r.x), "d sin(x)/dx = +cos(x)"),
    ], hint="write dy/du1, dy/du2, du1/dx, du2/dx separately, then sum the products.")
    _compare("dy_dz", dy_dz, r.dy_dz, [
        (2 * r.u1 * r.x, "dy/du1 is 2·u1 + u2, not 2·u1: u1 appears in both terms of y"),
        (r.dy_du1 * r.z, "du1/dz = x (u1 = x·z), not z"),
    ])
    return f"dy/dx = {r.dy_dx:.4f} and dy/dz = {r.dy_dz:.4f}: both paths from x are summed."


# ------------------------------------------------------------- 02 forward table

_FORWARD_POINTS = ((2.0, 3.0), (-0.5, 1.2))


def _forward_rows(x, z):
    """t = x·z, u1 = sin t, v = x², w = 1 + v, u2 = t / w, J = u1 + u2, with typical slips per row."""
    t = x * z
    u1 = math.sin(t)
    v = x * x
    w = 1 + v
    u2 = t / w
    return [
        ("t", t, [(x + z, "t = x·z is a product, not a sum")]),
        ("u1", u1, [(math.sin(math.radians(t)), "np.sin and math.sin take radians; don't convert t to degrees"),
                    (math.cos(t), "u1 = sin(t), not cos(t)")]),
        ("v", v, [(2 * x, "v = x², not 2x (that is its derivative)")]),
        ("w", w, [(v, "w = 1 + v: the 1 is missing")]),
        ("u2", u2, [(t / v, "u2 = t / w with w = 1 + v; you divided by v"),
                    (w / t, "u2 = t / w: numerator and denominator are swapped")]),
        ("J", u1 + u2, [(u1 * u2, "J = u1 + u2, a sum")]),
    ]


@_checker
def check_forward_values(forward):
    """forward(x, z) -> {"t", "u1", "v", "w", "u2", "J"} for J = sin(xz) + xz / (1 + x²)."""
    for x, z in _FORWARD_POINTS:
        _compare_rows(f"forward({x:g}, {z:g})", _call(forward, x, z), _forward_rows(x, z),
                      "Fix this row first: every row below it is computed from it.")
    return "every row of the forward table is right at (x, z) = (2, 3) and (−0.5, 1.2)."


@_checker
def check_forward_graph(build_graph):
    """build_graph(x, z) with Vars must compute J, name its nodes t, u1, v, w, u2, and compute x·z once."""
    x, z = engine.Var(2.0, name="x"), engine.Var(3.0, name="z")
    J = _call(build_graph, x, z)
    if not isinstance(J, engine.Var):
        raise _Wrong(f"build_graph should return the Var J, got {type(J).__name__} — build it from "
                     "x and z with Var arithmetic and bp.sin")
    _compare("J.value", J.value, _forward_rows(2.0, 3.0)[-1][1])
    order = engine.topological_order(J)
    products = [n for n in order if n.op is engine.MUL and {id(v) for v in n.inputs} == {id(x), id(z)}]
    if len(products) > 1:
        raise _Wrong(f"x·z is computed {len(products)} times. Compute t = x·z once and use t in both "
                     "u1 and u2: backpropagation is efficient only when the forward pass reuses shared "
                     "computation (and the table then shows t with two consumers).")
    missing = sorted({"t", "u1", "v", "w", "u2"} - {n.name for n in order})
    if missing:
        raise _Wrong(f"no node is named {', '.join(missing)}: name them like the table, e.g. "
                     "`t = (x * z).named(\"t\")`, so the forward and backward tables are readable.")
    return "J has the right value, every node is named, and t = x·z is computed once and used twice."


# ------------------------------------------------------------- 03 backward table

_BACKWARD_POINTS = ((2.0, 3.0), (-0.7, 1.3))


def _backward_rows(x, z):
    """Adjoints of J = u2 + u3, u2 = x·u1, u1 = sin t, u3 = t², t = x·z in reverse topological order."""
    t = x * z
    u1 = math.sin(t)
    g_u1 = x
    g_t = g_u1 * math.cos(t) + 2 * t
    sum_t = _FORGOT_SUM.format(v="t", u="u1", w="u3")
    sum_x = _FORGOT_SUM.format(v="x", u="t", w="u2")
    return [
        ("J", 1.0, [(0.0, "start the backward pass with dJ/dJ = 1")]),
        ("u3", 1.0, []),
        ("u2", 1.0, []),
        ("u1", g_u1, [(1.0, "forgot the local derivative du2/du1 = x"),
                      (u1, "used du2/dx = u1; for dJ/du1 you need du2/du1 = x")]),
        ("t", g_t, [(g_u1 * math.cos(t), sum_t), (2 * t, sum_t),
                    (-g_u1 * math.cos(t) + 2 * t, "d sin(t)/dt = +cos(t)"),
                    (g_u1 * math.sin(t) + 2 * t, "d sin(t)/dt is cos(t), not sin(t)"),
                    (g_u1 * math.cos(t) + t, "du3/dt = 2t for u3 = t²")]),
        ("z", g_t * x, [(g_t * z, "dt/dz = x (t = x·z), not z")]),
        ("x", u1 + g_t * z, [(u1, sum_x), (g_t * z, sum_x),
                             (u1 + g_t * x, "dt/dx = z (t = x·z), not x")]),
    ]


@_checker
def check_backward_table(backward_table):
    """backward_table(x, z) -> adjoints {"J", "u3", "u2", "u1", "t", "z", "x"} of J = x·sin(xz) + (xz)²."""
    for x, z in _BACKWARD_POINTS:
        _compare_rows(f"backward_table({x:g}, {z:g})", _call(backward_table, x, z), _backward_rows(x, z),
                      "Fix this row first: the rows below it reuse it.")
    return "every adjoint in the backward table is right, including the sums over consumers at t and x."


# ------------------------------------------------------------- 04 sigmoid and tanh

def _check_derivative(fn, var, grid, expected, mistakes, probe, formula):
    """An elementwise derivative fn(var): right on `grid`, and finite (not overflowing) at the `probe` inputs."""
    label = f"{getattr(fn, '__name__', 'your function')}({var})"
    got = _call(fn, grid.copy())
    _compare(label, got, expected, mistakes, at=lambda i: f"{var} = {grid[i[0]]:g}",
             hint="write the derivative first in terms of the function's own value.")
    with np.errstate(all="ignore"):
        far = _array(label, _call(fn, probe.copy()), probe)
    if far.shape != probe.shape or not np.all(np.isfinite(far)):
        bad = probe[~np.isfinite(far)] if far.shape == probe.shape else probe
        raise _Wrong(f"{label} is right for moderate inputs but gives inf or nan at {var} = {bad[0]:g}: an "
                     "intermediate such as exp(−x) overflowed. Write the derivative through the "
                     "function's value (it never overflows) instead of raw exponentials.")
    return (f"{label} = {formula} at {grid.size} points in [{grid[0]:g}, {grid[-1]:g}], and it stays "
            f"finite at ±{probe.max():g}.")


@_checker
def check_sigmoid_derivative(sigmoid_prime):
    """sigmoid_prime(b) for an array b: dσ/db = σ(b)(1 − σ(b)) (lecture eqs. 2–9)."""
    b = np.linspace(-8, 8, 33)
    s = F.sigmoid(b)
    return _check_derivative(sigmoid_prime, "b", b, s * (1 - s), [
        (s, "you returned σ(b) itself, not its derivative"),
        (1 - s, "you returned 1 − σ(b); the derivative is σ(b)·(1 − σ(b))"),
        (s * (1 + s), "the second factor is (1 − σ(b)), not (1 + σ(b))"),
        (1 - s**2, "1 − σ² is the tanh pattern (1 − tanh²); for the sigmoid it is σ(1 − σ)"),
    ], np.array([-800.0, -50.0, 50.0, 800.0]), "σ(b)(1 − σ(b))")


@_checker
def check_tanh_derivative(tanh_prime):
    """tanh_prime(a) for an array a: d tanh/da = 1 − tanh²(a)."""
    a = np.linspace(-4, 4, 33)
    th = np.tanh(a)
    s2 = F.sigmoid(2 * a)
    return _check_derivative(tanh_prime, "a", a, 1 - th**2, [
        (1 - th, "forgot the square: 1 − tanh²(a)"),
        (1 + th**2, "the sign inside is minus: 1 − tanh²(a)"),
        (th * (1 - th), "σ(1 − σ) is the sigmoid's pattern; for tanh it is 1 − tanh²"),
        (2 * s2 * (1 - s2), "off by a factor of 2: tanh(a) = 2σ(2a) − 1, so the chain rule gives "
                            "2 · σ′(2a) · 2 = 4σ(2a)(1 − σ(2a))"),
        (1 / np.cosh(a), "d tanh/da = sech²(a): the square is missing"),
    ], np.array([-800.0, -30.0, 30.0, 800.0]), "1 − tanh²(a)")


# ------------------------------------------------------------- 05 logistic regression

def _logistic_data(n=5, m=3, seed=5):
    """θ of shape (M+1,), examples x with x_0 = 1 of shape (N, M+1), labels 0/1."""
    rng = np.random.default_rng(seed)
    X = np.hstack([np.ones((n, 1)), rng.normal(size=(n, m))])
    return rng.normal(size=m + 1), X, np.array([1.0, 0.0, 0.0, 1.0, 1.0][:n])


def _logistic_mistakes(theta, x, y_star, g):
    """Typical wrong dJ/dθ for one example (or a batch mean), given the right one g."""
    y = F.sigmoid(x @ theta)
    d = y * (1 - y)
    return [
        (-g, _LOG_LIKELIHOOD_SIGN + " and dJ/dθ_j = (y − y*) x_j"),
        (np.tensordot((y - y_star) * d, x, axes=np.ndim(y)) / max(np.size(y), 1),
         "multiplied by σ′(a) = y(1 − y) again: dJ/da = y − y* already includes it"),
        (np.tensordot((y - y_star) / d, x, axes=np.ndim(y)) / max(np.size(y), 1),
         "forgot σ′(a): dJ/da = dJ/dy · dy/da, and dy/da = y(1 − y)"),
        (np.tensordot(x @ theta - y_star, x, axes=np.ndim(y)) / max(np.size(y), 1),
         "used a = θᵀx where the prediction y = σ(a) belongs"),
    ]


@_checker
def check_logistic_gradient(grad_theta):
    """grad_theta(theta, x, y_star) -> dJ/dθ = (σ(θᵀx) − y*) x for one example (J = cross-entropy)."""
    theta, X, Y = _logistic_data()
    for i, (x, y_star) in enumerate(zip(X, Y)):
        g = (F.sigmoid(x @ theta) - y_star) * x
        _compare(f"grad_theta for example {i} (y* = {y_star:g})", _call(grad_theta, theta.copy(), x.copy(), y_star),
                 g, _logistic_mistakes(theta, x, y_star, g))
    return f"dJ/dθ = (y − y*) x for all {len(Y)} examples."


@_checker
def check_logistic_batch_gradient(grad_theta_batch):
    """grad_theta_batch(theta, X, y_star) -> mean gradient Xᵀ(σ(Xθ) − y*) / N."""
    theta, X, Y = _logistic_data()
    n = len(Y)
    g = X.T @ (F.sigmoid(X @ theta) - Y) / n
    _compare("grad_theta_batch", _call(grad_theta_batch, theta.copy(), X.copy(), Y.copy()), g,
             [(n * g, f"summed over the N = {n} examples instead of averaging: J is the *mean* "
                      "cross-entropy, so its gradient carries a factor 1/N")]
             + _logistic_mistakes(theta, X, Y, g))
    return f"the mean gradient Xᵀ(y − y*)/N is right for N = {n} examples."


@_checker
def check_logistic_sgd_step(sgd_step):
    """sgd_step(theta, x, y_star, lr) -> θ − γ (y − y*) x (Algorithm 1, one update)."""
    theta, X, Y = _logistic_data()
    lr = 0.5
    for i, (x, y_star) in enumerate(zip(X, Y)):
        g = (F.sigmoid(x @ theta) - y_star) * x
        _compare(f"sgd_step for example {i}", _call(sgd_step, theta.copy(), x.copy(), y_star, lr),
                 theta - lr * g, [
                     (theta + lr * g, "moved uphill: the update is θ ← θ − γ·g (minus: we minimise J)"),
                     (theta - g, "forgot the learning rate γ: θ ← θ − γ·g"),
                     (-lr * g, "returned the step −γ·g; return the updated parameters θ − γ·g"),
                     (theta - lr * _logistic_mistakes(theta, x, y_star, g)[2][0],
                      "the gradient inside the step forgot σ′(a) = y(1 − y)"),
                 ])
    return "θ ← θ − γ (y − y*) x is right for every example."


# ------------------------------------------------------------- 06 module backward

def _module_data(seed=6):
    rng = np.random.default_rng(seed)
    return SimpleNamespace(x=rng.normal(size=(4, 3)), alpha=rng.normal(size=(2, 3)),
                           g_a=rng.normal(size=(4, 2)), g_z=rng.normal(size=(4, 3)),
                           z=F.sigmoid(rng.normal(size=(4, 3))), b=rng.normal(size=(4, 3)),
                           labels=np.array([0, 2, 1, 2]))


def _pair(label, got, names):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise _Wrong(f"{label} should return a pair ({names[0]}, {names[1]}), got {type(got).__name__}")
    return got


@_checker
def check_linear_backward(linear_backward):
    """linear_backward(g_a, x, alpha) -> (g_x, g_alpha) for a = x @ alphaᵀ, batched over rows."""
    d = _module_data()
    n = d.x.shape[0]
    g_x, g_alpha = d.g_a @ d.alpha, d.g_a.T @ d.x
    got_x, got_alpha = _pair("linear_backward", _call(linear_backward, d.g_a.copy(), d.x.copy(), d.alpha.copy()),
                             ("g_x", "g_alpha"))
    if np.shape(got_x) == g_alpha.shape and np.shape(got_alpha) == g_x.shape:
        raise _Wrong("the two results are swapped: return (g_x, g_alpha), in that order")
    _compare("g_alpha", got_alpha, g_alpha, [
        (d.x.T @ d.g_a, "transposed: xᵀ g_a is the numerator-layout Jacobian; " + _DENOMINATOR
                        + ": dJ/dα = g_aᵀ x, of shape (out, in) like α"),
        (g_alpha / n, "divided by N: g_a already carries the mean's 1/N; a linear layer just sums over rows"),
    ], hint="a_nj = Σ_i α_ji x_ni, so dJ/dα_ji = Σ_n (dJ/da_nj) x_ni.")
    _compare("g_x", got_x, g_x, [
        (g_x / n, "divided by N: g_a already carries the mean's 1/N"),
    ], hint="dJ/dx_ni = Σ_j (dJ/da_nj) α_ji: a sum over the outputs j each x_i feeds.")
    return "g_x = g_a α and g_alpha = g_aᵀ x, each with the shape of the variable it belongs to."


@_checker
def check_sigmoid_backward(sigmoid_backward):
    """sigmoid_backward(g_z, z) -> g_a = g_z · z(1 − z), with z = σ(a) from the forward pass."""
    d = _module_data()
    z, g_z = d.z, d.g_z
    _compare("g_a", _call(sigmoid_backward, g_z.copy(), z.copy()), g_z * z * (1 - z), [
        (g_z, "forgot σ′: dJ/da = dJ/dz · z(1 − z)"),
        (g_z * F.sigmoid(z) * (1 - F.sigmoid(z)),
         "applied σ′ to z; z is already σ(a), so dz/da = σ′(a) = z(1 − z)"),
        (g_z * z, "σ′(a) = z(1 − z), not z"),
        (z * (1 - z), "forgot the incoming gradient: dJ/da = dJ/dz · dz/da (chain rule)"),
    ])
    return "g_a = g_z · z(1 − z), using the stored forward value z."


@_checker
def check_softmax_ce_backward(softmax_ce_backward):
    """softmax_ce_backward(b, labels) -> dJ/db = (softmax(b) − onehot(y*)) / N for the mean cross-entropy."""
    d = _module_data()
    b, labels = d.b, d.labels
    n = b.shape[0]
    p = F.softmax(b)
    onehot = np.eye(b.shape[1])[labels]
    g = (p - onehot) / n
    _compare("g_b", _call(softmax_ce_backward, b.copy(), labels.copy()), g, [
        (p - onehot, f"no 1/N: J is the mean over the N = {n} examples, so dJ/db = (ŷ − y*)/N"),
        (-g, "wrong sign: dJ/db = (ŷ − y*)/N, prediction minus one-hot label"),
        (p / n, "forgot to subtract the one-hot label y*"),
        ((b - onehot) / n, "used the scores b where the probabilities ŷ = softmax(b) belong"),
        ((F.softmax(b, axis=0) - onehot) / n,
         "softmax over the wrong axis: each row (one example) is normalised over its K classes"),
    ])
    return "dJ/db = (softmax(b) − onehot(y*)) / N."


# ------------------------------------------------------------- 07 NNBACKWARD, 1 hidden layer

def _one_hidden(x_raw, y_star, alpha, beta):
    """NNFORWARD by the package's model: o.x and o.z include x_0 = 1 and z_0 = 1."""
    return models.nn_forward(x_raw, y_star, {"alpha": alpha, "beta": beta})


def _nn_backward(o, y_star, beta, forgot_hidden=False, output_prime=False):
    """(g_alpha, g_beta) by the lecture's backward table; flags give two typical mistakes."""
    g_b = o.y_hat - y_star
    if output_prime:                                  # dJ/dy without multiplying by dy/db
        g_b = g_b / (o.y_hat * (1 - o.y_hat))
    g_z = g_b * beta[1:]
    h = o.z[1:]
    g_a = g_z if forgot_hidden else g_z * h * (1 - h)
    return np.outer(g_a, o.x), g_b * o.z


def _nn_data(seed=7, m=4, d=3):
    """Raw inputs (3, M) without x_0, labels, α of shape (D, M+1) and β of shape (D+1,)."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(3, m)), np.array([1.0, 0.0, 1.0]), rng.normal(size=(d, m + 1)), rng.normal(size=d + 1)


@_checker
def check_nn_backward(nn_backward):
    """nn_backward(x, y_star, alpha, beta, o) -> (g_alpha, g_beta) for the 1-hidden-layer net (x = o.x, with x_0 = 1)."""
    X, Y, alpha, beta = _nn_data()
    for i, (x_raw, y_star) in enumerate(zip(X, Y)):
        o = _one_hidden(x_raw, y_star, alpha, beta)
        x = o.x
        g_alpha, g_beta = _nn_backward(o, y_star, beta)
        got_alpha, got_beta = _pair("nn_backward", _call(nn_backward, x.copy(), y_star, alpha.copy(), beta.copy(), copy.deepcopy(o)),
                                    ("g_alpha", "g_beta"))
        _compare(f"g_beta for example {i}", got_beta, g_beta, [
            (-g_beta, _LOG_LIKELIHOOD_SIGN),
            (_nn_backward(o, y_star, beta, output_prime=True)[1],
             "forgot σ′ at the output: dJ/db = dJ/dy · y(1 − y) = y − y*"),
            (g_beta[1:], "left out β_0: z_0 = 1 has a weight too, and dJ/dβ_0 = dJ/db · z_0 = dJ/db"),
        ])
        _compare(f"g_alpha for example {i}", got_alpha, g_alpha, [
            (_nn_backward(o, y_star, beta, forgot_hidden=True)[0],
             "forgot σ′ at the hidden layer: dJ/da_j = dJ/dz_j · z_j(1 − z_j)"),
            (np.outer((o.y_hat - y_star) * beta * o.z * (1 - o.z), x),
             "kept the bias unit: z_0 = 1 is a constant with no incoming weights, so only "
             "β_1..β_D carry the gradient back to α (drop β_0)"),
            (g_alpha.T, f"transposed — {_DENOMINATOR}: dJ/dα has the shape of α, (D, M+1)"),
            (-g_alpha, _LOG_LIKELIHOOD_SIGN),
            (np.outer((o.y_hat - y_star) * beta[1:] * o.a * (1 - o.a), x),
             "used a(1 − a); σ′(a) = z(1 − z) uses the sigmoid's output z"),
        ], hint="follow the backward column: dJ/db, then dJ/dz_j = dJ/db · β_j, dJ/da_j, dJ/dα_ji.")
    return "NNBACKWARD gives the right g_alpha and g_beta for all 3 examples."


@_checker
def check_nn_sgd_step(sgd_step):
    """sgd_step(x, y_star, alpha, beta, lr) -> (alpha_new, beta_new), lines 6–11 of Algorithm 1 (x: raw features)."""
    X, Y, alpha, beta = _nn_data()
    lr = 0.5
    for i, (x_raw, y_star) in enumerate(zip(X, Y)):
        o = _one_hidden(x_raw, y_star, alpha, beta)
        g_alpha, g_beta = _nn_backward(o, y_star, beta)
        beta_new = beta - lr * g_beta
        late = "used β after the update: compute g_α and g_β from the same forward pass " \
               "(Algorithm 1, line 8) and only then update both parameters (lines 10–11)"
        got = _pair("sgd_step", _call(sgd_step, x_raw.copy(), y_star, alpha.copy(), beta.copy(), lr),
                    ("alpha_new", "beta_new"))
        _compare(f"beta_new for example {i}", got[1], beta_new, [
            (beta + lr * g_beta, "moved uphill: β ← β − γ·g_β"),
            (beta - g_beta, "forgot the learning rate γ"),
        ])
        _compare(f"alpha_new for example {i}", got[0], alpha - lr * g_alpha, [
            (alpha - lr * _nn_backward(o, y_star, beta_new)[0], late),
            (alpha - lr * _nn_backward(_one_hidden(x_raw, y_star, alpha, beta_new), y_star, beta_new)[0], late),
            (alpha + lr * g_alpha, "moved uphill: α ← α − γ·g_α"),
            (alpha - g_alpha, "forgot the learning rate γ"),
        ])
    return "one SGD step updates α and β from gradients computed before either changes."


# ------------------------------------------------------------- 08 two hidden layers

def _two_hidden_data(seed=8, m=4, d1=3, d2=2):
    rng = np.random.default_rng(seed)
    params = {"alpha1": rng.normal(size=(m, d1)), "b1": rng.normal(size=d1),
              "alpha2": rng.normal(size=(d1, d2)), "b2": rng.normal(size=d2),
              "beta": rng.normal(size=d2), "beta0": float(rng.normal())}
    return rng.normal(size=(2, m)), np.array([1.0, 0.0]), params


def _two_hidden_rows(o, y_star, p):
    """Expected gradients, in backward order, each with its typical wrong versions."""
    g_b = o.y_hat - y_star
    g_z2 = g_b * p["beta"]
    g_a2 = g_z2 * o.z2 * (1 - o.z2)
    g_z1 = p["alpha2"] @ g_a2
    g_a1 = g_z1 * o.z1 * (1 - o.z1)
    skip2 = p["alpha2"] @ g_z2 * o.z1 * (1 - o.z1)       # σ′ forgotten at layer 2
    skip1 = g_z1                                         # σ′ forgotten at layer 1
    sigma_of_a = "used a(1 − a); σ′(a) = z(1 − z) uses the sigmoid's output z"
    return [
        ("beta0", g_b, [(-g_b, _LOG_LIKELIHOOD_SIGN),
                        (g_b / (o.y_hat * (1 - o.y_hat)), "forgot σ′ at the output: dJ/db = y − y*")]),
        ("beta", g_b * o.z2, [(-g_b * o.z2, _LOG_LIKELIHOOD_SIGN)]),
        ("b2", g_a2, [(g_z2, "forgot σ′ at layer 2: dJ/da2 = dJ/dz2 · z2(1 − z2)"),
                      (g_z2 * o.a2 * (1 - o.a2), sigma_of_a)]),
        ("alpha2", np.outer(o.z1, g_a2), [
            (np.outer(g_a2, o.z1), "transposed — the slides write z2 = σ(α2ᵀ z1 + b2), so α2 has "
                                   "shape (D1, D2) and dJ/dα2 = z1 (dJ/da2)ᵀ, an outer product of that shape"),
            (np.outer(o.z1, g_z2), "forgot σ′ at layer 2: dJ/da2 = dJ/dz2 · z2(1 − z2)")]),
        ("b1", g_a1, [(skip1, "forgot σ′ at layer 1: dJ/da1 = dJ/dz1 · z1(1 − z1)"),
                      (skip2, "forgot σ′ at layer 2 on the way down to layer 1"),
                      (g_z1 * o.a1 * (1 - o.a1), sigma_of_a)]),
        ("alpha1", np.outer(o.x, g_a1), [
            (np.outer(g_a1, o.x), "transposed — the slides write z1 = σ(α1ᵀ x + b1), so α1 has "
                                  "shape (M, D1) and dJ/dα1 = x (dJ/da1)ᵀ"),
            (np.outer(o.x, skip1), "forgot σ′ at layer 1: dJ/da1 = dJ/dz1 · z1(1 − z1)")]),
    ]


@_checker
def check_two_hidden_backward(backward_2hidden):
    """backward_2hidden(x, y_star, params, o) -> dict of gradients with the keys and shapes of params."""
    X, Y, params = _two_hidden_data()
    for i, (x, y_star) in enumerate(zip(X, Y)):
        o = models.nn_forward(x, y_star, params)
        copies = {k: np.copy(v) if np.ndim(v) else v for k, v in params.items()}
        _compare_rows(f"backward_2hidden for example {i}",
                      _call(backward_2hidden, x.copy(), y_star, copies, copy.deepcopy(o)),
                      _two_hidden_rows(o, y_star, params),
                      "Fix this one first: the gradients checked after it (lower layers) reuse it.",
                      entry="the gradient {key!r} for example %d" % i)
    return "all six gradients (β0, β, b2, α2, b1, α1) are right for both examples."


# ------------------------------------------------------------- 09 gradient checking

def _gradcheck_problem(seed=9):
    """f(θ) = Σ sin(θ)·θ² + θ[0,0]·θ[1,2] on a (2, 3) array, with its gradient."""
    theta = np.random.default_rng(seed).uniform(-1.5, 1.5, size=(2, 3))

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


@_checker
def check_numerical_gradient(numerical_gradient):
    """numerical_gradient(f, theta, eps) -> central differences, shape of θ, θ restored afterwards."""
    theta, f, grad = _gradcheck_problem()
    eps = 1e-5
    saved = theta.copy()
    got = _call(numerical_gradient, f, theta, eps)
    if np.max(np.abs(theta - saved)) > 1e-12:
        raise _Wrong("θ was changed by numerical_gradient: put each entry back after probing it "
                     "(save old = θ[i], set θ[i] = old ± ε, evaluate f, then θ[i] = old); otherwise every "
                     "later difference is taken at the wrong point")
    expected = grad()
    one_sided = "a one-sided difference; the central difference (f(θ+ε) − f(θ−ε)) / 2ε is far more accurate"
    _compare("numerical_gradient(f, θ)", got, expected, [
        (_difference(f, theta, eps, (0, 1)), "(f(θ+ε) − f(θ))/ε is " + one_sided),
        (_difference(f, theta, eps, (-1, 0)), "(f(θ) − f(θ−ε))/ε is " + one_sided),
        (2 * expected, "divided by ε instead of 2ε: the two probes are 2ε apart"),
        (-expected, "subtracted in the wrong order: (f(θ+ε) − f(θ−ε)) / 2ε"),
        (np.zeros_like(expected), "f() never saw the perturbation: f reads θ by reference, so "
                                  "perturb the array you were given in place (not a copy)"),
    ], rtol=1e-6, atol=1e-8, hint="perturb one entry at a time, in place, by ±ε; use np.ndindex(θ.shape).")
    return "central differences agree with the true gradient to 1e-6, and θ is left unchanged."


@_checker
def check_relative_error(relative_error):
    """relative_error(a, n) -> |a − n| / max(|a|, |n|, tiny), elementwise (0 where a = n = 0)."""
    a = np.array([1.0, -2.0, 0.0, 1e-8, 3.0, 0.5])
    n = np.array([1.0 + 1e-9, -2.2, 0.0, 2e-8, -3.0, 0.0])
    scale = np.maximum(np.maximum(np.abs(a), np.abs(n)), np.finfo(np.float64).tiny)
    sum_of_sizes = "divided by |a| + |n|; the convention used here is max(|a|, |n|)"
    with np.errstate(all="ignore"):
        got = _call(relative_error, a.copy(), n.copy())
        expected = np.abs(a - n) / scale
        floorless = np.abs(a - n) / np.maximum(np.abs(a), np.abs(n))
        _compare("relative_error(a, n)", got, expected, [
            (np.abs(a - n) / (np.abs(a) + np.abs(n)), sum_of_sizes),
            (np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), np.finfo(np.float64).tiny), sum_of_sizes),
            ((a - n) / scale, "no absolute value on top: a relative error is never negative"),
            (floorless, "where a = n = 0 this is 0/0: put a tiny floor in the maximum, "
                        "max(|a|, |n|, np.finfo(float).tiny), so it gives 0"),
        ], at=lambda i: f"a = {a[i[0]]:g}, n = {n[i[0]]:g}",
            hint="divide |a − n| by the larger of |a| and |n| (with a tiny floor); where a = n = 0 the answer is 0.")
    return "relative_error is |a − n| / max(|a|, |n|) and gives 0 where both are 0."


_BUG = ("beta", 0)        # the planted bug: dJ/dβ_0 (the bias weight's gradient) left at 0


def mystery_gradients():
    """A 1-hidden-layer net's loss f() and gradients with one planted bug, for the bug hunt in exercise 09.

    Returns (f, params, grads): f() reads params by reference; grads has the keys of params.
    """
    X, Y, alpha, beta = _nn_data(seed=90)
    params = {"alpha": alpha, "beta": beta}
    x, y_star = X[0], Y[0]

    def f():
        return float(_one_hidden(x, y_star, params["alpha"], params["beta"]).J)

    g_alpha, g_beta = _nn_backward(_one_hidden(x, y_star, alpha, beta), y_star, beta)
    g_beta = g_beta.copy()
    g_beta[_BUG[1]] = 0.0
    return f, params, {"alpha": g_alpha, "beta": g_beta}


@_checker
def check_found_bug(parameter, index):
    """Which parameter's gradient from mystery_gradients() is wrong, and at which entry?"""
    parameter, index = _given(buggy_parameter=parameter, buggy_index=index)
    if parameter not in ("alpha", "beta"):
        raise _Wrong(f"buggy_parameter should be 'alpha' or 'beta', got {parameter!r}")
    if parameter != _BUG[0]:
        raise _Wrong(f"the gradient of {parameter!r} agrees with finite differences in every entry "
                     "(relative errors near 1e-10); compute the relative error of the other one")
    flat = tuple(np.atleast_1d(np.asarray(index, dtype=int)).tolist())
    if flat != (_BUG[1],):
        raise _Wrong(f"{parameter}[{', '.join(map(str, flat))}] agrees with finite differences; look for "
                     "the entry whose relative error is near 1 (np.argmax of the relative errors)")
    return ("the bug is in dJ/dβ_0: the bias weight's gradient was left at 0. Its relative error is 1, "
            "every other entry agrees to about 1e-10.")


# ------------------------------------------------------------- 10 matrix calculus

def _matrix_data(seed=10):
    rng = np.random.default_rng(seed)
    return SimpleNamespace(A=rng.normal(size=(3, 2)), x=rng.normal(size=2), t=rng.normal(size=3),
                           W=rng.normal(size=(3, 2)), du_dx=rng.normal(size=(4, 3)), dy_du=rng.normal(size=(3, 2)))


@_checker
def check_least_squares_gradient(grad_least_squares):
    """grad_least_squares(A, x, t) -> ∂‖Ax − t‖²/∂x = 2Aᵀ(Ax − t), a vector shaped like x."""
    d = _matrix_data()
    r = d.A @ d.x - d.t
    _compare("grad_least_squares(A, x, t)", _call(grad_least_squares, d.A.copy(), d.x.copy(), d.t.copy()),
             2 * d.A.T @ r, [
                 (d.A.T @ r, "off by a factor of 2: with r = Ax − t, ∂(rᵀr)/∂r = 2r"),
                 (-2 * d.A.T @ r, "wrong sign: the residual is r = Ax − t, and ∂r/∂x = Aᵀ (denominator layout)"),
                 (2 * d.A.T @ d.A @ d.x, "the target t is missing from the residual r = Ax − t"),
             ], hint="write r = Ax − t; then ∂J/∂x = (∂r/∂x)(∂J/∂r) with ∂r/∂x = Aᵀ and ∂J/∂r = 2r.")
    return "∂‖Ax − t‖²/∂x = 2Aᵀ(Ax − t): the chain rule through r = Ax − t, in denominator layout."


@_checker
def check_matrix_gradient(grad_W):
    """grad_W(W, x, t) -> ∂J/∂W for J = ½‖Wx − t‖²: (Wx − t) xᵀ, with the shape of W."""
    d = _matrix_data()
    r = d.W @ d.x - d.t
    _compare("grad_W(W, x, t)", _call(grad_W, d.W.copy(), d.x.copy(), d.t.copy()), np.outer(r, d.x), [
        (np.outer(d.x, r), f"transposed: x rᵀ is the numerator-layout arrangement; {_DENOMINATOR}, "
                           "so ∂J/∂W = r xᵀ is M × P like W"),
        (2 * np.outer(r, d.x), "off by a factor of 2: the ½ in J cancels the 2 from the square"),
        (r, "∂J/∂W needs one entry per weight: ∂J/∂W_mp = r_m x_p, an outer product"),
    ])
    return "∂J/∂W = (Wx − t) xᵀ, the outer product with the shape of W."


@_checker
def check_chain_rule_layout(chain_rule):
    """chain_rule(du_dx, dy_du) -> ∂y/∂x in denominator layout: (∂u/∂x)(∂y/∂u), of shape (P, N)."""
    d = _matrix_data()
    expected = d.du_dx @ d.dy_du
    _compare("chain_rule(du_dx, dy_du)", _call(chain_rule, d.du_dx.copy(), d.dy_du.copy()), expected, [
        (expected.T, "that is the numerator-layout answer (∂y/∂u)(∂u/∂x) with numerator-layout "
                     "factors; in denominator layout the factors multiply in the other order, "
                     "∂y/∂x = (∂u/∂x)(∂y/∂u), of shape P × N"),
    ])
    return "∂y/∂x = (∂u/∂x)(∂y/∂u): in denominator layout the chain runs right to left from y."


# ------------------------------------------------------------- 11 Version A backward

def _version_a_graphs():
    """(name, output) for the lecture example, the quiz, and a graph with heavy reuse."""
    def lecture():
        x = engine.Var(2.0, name="x")
        t = (x ** 2).named("t")
        u = (engine.sin(t).named("u1") + (3 * t).named("u2")).named("u")
        return engine.cos(u).named("J")

    def quiz():
        x, z = engine.Var(2.0, name="x"), engine.Var(3.0, name="z")
        xz = (x * z).named("xz")
        lx = engine.log(x).named("log x")
        return (engine.exp(xz) + xz / lx + engine.sin(lx) / xz).named("y")

    def reuse():
        a = engine.Var(0.7, name="a")
        b = (a + a).named("b")
        c = (b * b + engine.sin(b)).named("c")
        return (c * a).named("y")

    return [("J = cos(sin(x²) + 3x²)", lecture), ("the quiz function y(x, z)", quiz),
            ("y = a·((a+a)² + sin(a+a))", reuse)]


def _node_label(node):
    if node.name:
        return node.name
    if node.op is engine.CONSTANT:
        return f"the constant {node.aux:g}"
    return f"an unnamed {node.op.name if node.op else 'input'} node"


@_checker
def check_version_a(backward_version_a):
    """backward_version_a(y) must set .grad = dy/d(node) on every node, pulling from each node's consumers."""
    for title, build in _version_a_graphs():
        y = build()
        order = engine.backward(y, version="B")
        expected = {node: node.grad for node in order}
        consumers = {node: [] for node in order}
        for u in order:
            for slot, v in enumerate(u.inputs):
                consumers[v].append(u.op.partials[slot][1](u, u.grad))
        for node in order:
            node.grad = None
        _call(backward_version_a, y)
        if y.grad is None or not np.isclose(float(y.grad), 1.0):
            raise _Wrong(f"on {title}: the output's grad is {y.grad!r}; initialise dy/dy = 1 (step 1 of Version A)")
        for node in reversed(order):
            if node.grad is None:
                raise _Wrong(f"on {title}: {_node_label(node)} has no .grad; visit every node of "
                             "bp.topological_order(y) in reverse and set its .grad")
            parts = consumers[node]
            mistakes = [(c, f"missing the sum over consumers: {_node_label(node)} feeds {len(parts)} nodes "
                            "and dy/dv = Σ_i dy/du_i · du_i/dv adds one term for each")
                        for c in parts] if len(parts) > 1 else []
            try:
                _compare(f"dy/d({_node_label(node)})", node.grad, expected[node], mistakes, rtol=1e-10)
            except _Wrong as wrong:
                raise _Wrong(f"on {title}: {wrong}") from None
    return "Version A sets the same gradients as the engine's backward on all three graphs."
