"""Gradient checking: hold a backpropagated gradient against finite differences.

For every entry θ_i of every parameter, the central difference

    dJ/dθ_i ≈ (J(θ + ε e_i) − J(θ − ε e_i)) / 2ε

costs two evaluations of J and needs no calculus, so it is an independent
oracle for the gradient that backpropagation computes.  Each probed entry is
put back exactly as it was.

Agreement is measured by the relative error (the CS231n convention)

    |a − n| / max(|a|, |n|)        a: analytic (backprop), n: numeric,

after discounting the rounding noise of the difference quotient itself,
ρ = 10 · u · (|J(θ+εe_i)| + |J(θ−εe_i)|) / 2ε, u = 2.2e-16 the machine
epsilon of float64: a
disagreement that rounding in J alone can produce (about 5e-10 for J ≈ 2,
ε = 1e-6) does not count against the gradient.  Bands, per entry:

    < 1e-7       ok            the gradient is right
    1e-7 .. 1e-4 suspicious    right only if J has kinks (relu) near θ
    > 1e-4       WRONG         a bug in the backward pass

A parameter passes if its largest relative error is below `threshold`
(default 1e-7).  For models too big to probe entry by entry,
`directional_check` compares the derivative along a few random unit
directions d, (J(θ + εd) − J(θ − εd)) / 2ε, with the analytic ⟨∇J, d⟩.
"""
import html
import math
from dataclasses import dataclass

import numpy as np

from .engine import Var, backward

__all__ = [
    "check_gradients", "directional_check", "check_model", "relative_error",
    "GradCheckReport", "ParamCheck", "FINE", "WRONG",
]

FINE = 1e-7             # below: the gradient is right
WRONG = 1e-4            # above: the backward pass has a bug; in between: suspicious
ROUNDING_FACTOR = 10.0  # safety factor on the rounding noise of one central difference
_MACHINE_EPSILON = np.finfo(np.float64).eps


def relative_error(analytic, numeric, noise=0.0):
    """max(|a − n| − noise, 0) / max(|a|, |n|), elementwise; 0 where a = n = 0."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    excess = np.maximum(np.abs(a - n) - noise, 0.0)
    return excess / np.maximum(np.maximum(np.abs(a), np.abs(n)), np.finfo(np.float64).tiny)


@dataclass(frozen=True)
class ParamCheck:
    """The verdict for one parameter: its worst entry (or direction) and the values there."""

    name: str
    shape: tuple
    rel_error: float                 # the largest relative error (noise discounted)
    where: object                    # worst entry: an index tuple; or a direction number
    analytic: float                  # the analytic (backprop) derivative there
    numeric: float                   # the finite-difference derivative there
    passed: bool
    problem: str = None              # set when a value is NaN/inf or a shape is wrong
    noise: float = 0.0               # the rounding noise discounted at the worst entry

    @property
    def verdict(self):
        if self.problem:
            return "PROBLEM"
        if self.rel_error < FINE:
            return "ok"
        return "suspicious" if self.rel_error < WRONG else "WRONG"

    @property
    def where_text(self):
        """'[1, 2]' for an entry, '' for a scalar parameter, '3' for random direction 3."""
        if isinstance(self.where, tuple):
            return f"[{', '.join(map(str, self.where))}]" if self.where else ""
        return str(self.where)

    @property
    def location(self):
        """'alpha[1, 2]', 'beta0' (a scalar) or 'alpha along random direction 3'."""
        if isinstance(self.where, tuple):
            return self.name + self.where_text
        return f"{self.name} along random direction {self.where}"

    def describe(self):
        """One sentence for a failure message."""
        if self.problem:
            return f"{self.location}: {self.problem}"
        ratio = f", analytic/numeric = {self.analytic / self.numeric:.6g}" if self.numeric else ""
        return (f"{self.location}: analytic {self.analytic:.10g} vs numeric {self.numeric:.10g} "
                f"(relative error {self.rel_error:.2e} after discounting rounding noise "
                f"{self.noise:.1e}{ratio})")


class GradCheckReport:
    """Per-parameter results of a gradient check, indexed by parameter name.

    `str()` is a text table (`_repr_html_` in a notebook); `bool(report)` is
    `report.passed`; `.assert_ok()` raises an AssertionError naming each
    failing parameter and entry.
    """

    def __init__(self, checks, kind, eps, threshold):
        self.checks = {c.name: c for c in checks}
        self.kind, self.eps, self.threshold = kind, eps, threshold

    @property
    def passed(self):
        return all(c.passed for c in self.checks.values())

    @property
    def failures(self):
        return [c for c in self.checks.values() if not c.passed]

    def __getitem__(self, name):
        return self.checks[name]

    def __iter__(self):
        return iter(self.checks.values())

    def __len__(self):
        return len(self.checks)

    def __bool__(self):
        return self.passed

    def _title(self):
        method = "central differences" if self.kind == "entry" else "random directions"
        return (f"gradient check ({method}, ε = {self.eps:g}, pass if relative error < {self.threshold:g}): "
                + ("PASSED" if self.passed else "FAILED"))

    _HEADER = ("parameter", "shape", "max rel. error", "worst {kind}", "analytic", "numeric", "verdict")

    def _rows(self):
        header = tuple(h.format(kind=self.kind) for h in self._HEADER)
        rows = [(c.name, str(c.shape), f"{c.rel_error:.2e}", c.where_text or "–",
                 f"{c.analytic:.6e}", f"{c.numeric:.6e}", c.verdict) for c in self.checks.values()]
        return header, rows

    def _notes(self):
        return [c.describe() for c in self.failures]

    def __str__(self):
        header, rows = self._rows()
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines = [self._title()] + ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip()
                                   for r in [header, *rows]]
        return "\n".join(lines + self._notes())

    def __repr__(self):
        return f"<GradCheckReport {'passed' if self.passed else 'FAILED'}: {', '.join(self.checks)}>"

    def _repr_html_(self):
        header, rows = self._rows()
        colour = {"ok": "#1a7f37", "suspicious": "#9a6700", "WRONG": "#cf222e", "PROBLEM": "#cf222e"}

        def row_html(cells, tag="td"):
            style = f' style="color:{colour.get(cells[-1], "inherit")};font-weight:bold"' if tag == "td" else ""
            body = "".join(f"<{tag}>{html.escape(c)}</{tag}>" for c in cells[:-1])
            return f"<tr>{body}<{tag}{style}>{html.escape(cells[-1])}</{tag}></tr>"

        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self._notes())
        return (f"<p><b>{html.escape(self._title())}</b></p><table>{row_html(header, 'th')}"
                + "".join(row_html(r) for r in rows) + "</table>" + (f"<ul>{notes}</ul>" if notes else ""))

    def assert_ok(self):
        """Raise AssertionError naming each failing parameter and entry; return the report if it passed."""
        if not self.passed:
            raise AssertionError("gradient check failed:\n  " + "\n  ".join(self._notes()))
        return self


# ------------------------------------------------------------------ parameters in place

class _Slot:
    """One named parameter, perturbed in place and restored exactly.

    An ndarray (or an array-valued Var) is changed in place, so `f` sees the
    change through whatever reference it holds; a Python float (in the dict or
    in a scalar Var) is written back where it came from.
    """

    def __init__(self, params, name):
        holder = params[name]
        value = holder.value if isinstance(holder, Var) else holder
        if isinstance(value, np.ndarray):
            if value.dtype != np.float64:
                raise ValueError(f"check_gradients: parameter {name!r} has dtype {value.dtype}; finite "
                                 "differences need float64 arrays (an integer array would truncate ε)")
            if not value.flags.writeable:
                raise ValueError(f"check_gradients: parameter {name!r} is a read-only array")
            self.array, self._write_back = value, None
        elif isinstance(value, (float, int, np.floating)) and not isinstance(value, bool):
            self.array = np.array(float(value))
            self._write_back = ((lambda v: setattr(holder, "value", v)) if isinstance(holder, Var)
                                else (lambda v: params.__setitem__(name, v)))
        else:
            raise ValueError(f"check_gradients: parameter {name!r} must be a float64 array, a float or "
                             f"a Var, got {type(holder).__name__}")
        self.name, self.shape = name, self.array.shape

    def set(self, index, value):
        self.array[index] = value
        if self._write_back:
            self._write_back(float(self.array))


def _scalar(value, what):
    """J as a Python float; f must return a scalar (a number, a 0-d array or a scalar Var)."""
    if isinstance(value, Var):
        value = value.value
    if np.ndim(value) != 0:
        raise ValueError(f"check_gradients: {what} must return a scalar J, got an array of shape "
                         f"{np.shape(value)}")
    return float(value)


def _central_difference(f, slot, index, step, eps):
    """(J(θ + step) − J(θ − step)) / 2ε at slot.array[index], its rounding noise, and a problem
    message if J is not finite there.  The entries are restored exactly, even if f raises."""
    original = np.array(slot.array[index])
    try:
        slot.set(index, original + step)
        j_plus = _scalar(f(), "f")
        slot.set(index, original - step)
        j_minus = _scalar(f(), "f")
    finally:
        slot.set(index, original)
    if not (math.isfinite(j_plus) and math.isfinite(j_minus)):
        return math.nan, 0.0, f"J is not finite after this perturbation: J(θ+ε) = {j_plus}, J(θ−ε) = {j_minus}"
    noise = ROUNDING_FACTOR * _MACHINE_EPSILON * (abs(j_plus) + abs(j_minus)) / (2 * eps)
    return (j_plus - j_minus) / (2 * eps), noise, None


def _analytic_gradients(f, params, analytic):
    """The analytic gradients as float64 arrays: from `analytic`, or by backward through f()."""
    if analytic is None:
        if not all(isinstance(p, Var) for p in params.values()):
            raise ValueError("check_gradients: pass analytic={name: gradient} for parameters that are "
                             "not Vars (only Var parameters get their gradients from backward)")
        J = f()
        if not isinstance(J, Var):
            raise ValueError("check_gradients: f() returned a plain number; with Var parameters and no "
                             "analytic gradients f must return the Var J so that backward can run")
        _scalar(J, "f")
        for p in params.values():
            p.grad = None                       # a parameter J does not reach keeps grad None
        backward(J)
        analytic = {name: np.zeros(np.shape(p.value)) if p.grad is None else p.grad
                    for name, p in params.items()}
    unknown = set(analytic) - set(params)
    if unknown:
        raise ValueError(f"check_gradients: analytic gradients for unknown parameters {sorted(unknown)}; "
                         f"the parameters are {list(params)}")
    missing = [name for name in params if name not in analytic]
    if missing:
        raise ValueError(f"check_gradients: no analytic gradient for {missing}")
    return {name: np.array(g.value if isinstance(g, Var) else g, dtype=np.float64)
            for name, g in analytic.items()}


def _problem(slot, gradient, J):
    """A failed ParamCheck if J(θ) or the analytic gradient is NaN/inf or has the wrong shape, else None."""
    message, where = None, ()
    if not math.isfinite(J):
        message = f"J(θ) = {J} before any perturbation"
    elif gradient.shape != slot.shape:
        message = (f"the analytic gradient has shape {gradient.shape} but the parameter has shape "
                   f"{slot.shape}" + (" (transposed?)" if gradient.shape == slot.shape[::-1] else ""))
    elif not np.all(np.isfinite(gradient)):
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(gradient))[0])
        message = f"the analytic gradient is {gradient[where]} here"
    if message is None:
        return None
    return ParamCheck(slot.name, slot.shape, math.inf, where, math.nan, math.nan, False, message)


def _check_slot(f, slot, probes, eps, threshold):
    """Run the probes (where, analytic value, index, step) of one parameter; keep the worst."""
    results = []
    for where, a, index, step in probes:
        n, rho, problem = _central_difference(f, slot, index, step, eps)
        if problem:
            return ParamCheck(slot.name, slot.shape, math.inf, where, float(a), n, False, problem)
        results.append((where, float(a), n, rho))
    if not results:                             # a parameter with no entries
        return ParamCheck(slot.name, slot.shape, 0.0, (), 0.0, 0.0, True)
    places, analytic, numeric, noise = zip(*results)
    rel = relative_error(analytic, numeric, noise)
    worst = int(np.lexsort((relative_error(analytic, numeric), rel))[-1])   # ties: the larger raw error
    passed = bool(rel[worst] < threshold)
    problem = None
    if not passed and not any(numeric):
        problem = (f"analytic {analytic[worst]:.10g} but every numeric derivative is exactly 0: J does not "
                   "change with this parameter (does f read the arrays in params, not copies of them?)")
    return ParamCheck(slot.name, slot.shape, float(rel[worst]), places[worst], analytic[worst],
                      numeric[worst], passed, problem, float(noise[worst]))


def _run(f, params, analytic, eps, threshold, kind, probes):
    """Check each parameter with the probes that `probes(slot, gradient)` yields."""
    if not callable(f):
        raise TypeError(f"check_gradients: f must be a function of no arguments, got {type(f).__name__}")
    if not isinstance(params, dict) or not params:
        raise ValueError("check_gradients: params must be a non-empty dict name → array, float or Var")
    for label, value in (("eps", eps), ("threshold", threshold)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ValueError(f"check_gradients: {label} must be a positive number, got {value!r}")
    slots = [_Slot(params, name) for name in params]
    gradients = _analytic_gradients(f, params, analytic)
    J = _scalar(f(), "f")
    checks = [_problem(slot, gradients[slot.name], J)
              or _check_slot(f, slot, probes(slot, gradients[slot.name]), eps, threshold) for slot in slots]
    return GradCheckReport(checks, kind, eps, threshold)


def check_gradients(f, params, analytic=None, eps=1e-6, threshold=FINE):
    """Check every entry of every parameter by central differences; returns a GradCheckReport.

    f: a function of no arguments returning the scalar J (a number or a scalar
    Var), reading `params` by reference.  params: dict name → float64 array,
    float or Var; each entry is perturbed in place by ±eps and restored.
    analytic: dict name → gradient (same shape as the parameter); if None and
    the parameters are Vars, backward(f()) supplies it.  Costs 2 evaluations of
    J per entry: for big models use `directional_check`.
    """
    def entries(slot, gradient):
        for index in np.ndindex(slot.shape):
            yield index, gradient[index], index, eps
    return _run(f, params, analytic, eps, threshold, "entry", entries)


def directional_check(f, params, analytic=None, n_directions=3, seed=0, eps=1e-6, threshold=FINE):
    """Compare ⟨∇J, d⟩ with (J(θ+εd) − J(θ−εd)) / 2ε for `n_directions` random unit directions d per
    parameter (seeded): 2 · n_directions evaluations of J per parameter, whatever its size.

    Arguments as for `check_gradients`; a failure names the parameter and the direction (1, 2, ...).
    """
    if isinstance(n_directions, bool) or not isinstance(n_directions, int) or n_directions < 1:
        raise ValueError(f"directional_check: n_directions must be a positive whole number, "
                         f"got {n_directions!r}")
    rng = np.random.default_rng(seed)

    def directions(slot, gradient):
        for k in range(1, n_directions + 1):
            d = np.asarray(rng.standard_normal(slot.shape))
            d = d / np.linalg.norm(d) if d.size else d
            yield k, np.sum(gradient * d), ..., eps * d
    return _run(f, params, analytic, eps, threshold, "direction", directions)


def check_model(model, X, y, route="backward", n_directions=None, eps=1e-6, threshold=FINE):
    """Check a model's gradients on the batch (X, y), in place on `model.params`.

    route="backward": the hand-written `model.loss_and_gradients(X, y)`;
    route="engine": backward through `model.engine_loss(X, y)`.
    n_directions=None checks every entry; a number runs `directional_check` instead.
    """
    if route == "backward":
        analytic = model.loss_and_gradients(X, y)[1]

        def f():
            return model.loss_and_gradients(X, y)[0]
    elif route == "engine":
        J, variables = model.engine_loss(X, y)
        backward(J)
        analytic = {name: v.grad for name, v in variables.items()}

        def f():
            return model.engine_loss(X, y)[0]
    else:
        raise ValueError(f"check_model: route must be 'backward' or 'engine', got {route!r}")
    if n_directions is None:
        return check_gradients(f, model.params, analytic, eps=eps, threshold=threshold)
    return directional_check(f, model.params, analytic, n_directions=n_directions, eps=eps,
                             threshold=threshold)
