"""Gradient checking: hold a backpropagated gradient against finite differences.

For every entry θ_i of every parameter, the central difference

    dJ/dθ_i ≈ n = (J(θ + ε e_i) − J(θ − ε e_i)) / 2ε

costs two evaluations of J and needs no calculus, so it is an independent
oracle for the gradient a that backpropagation computes.  Each probed entry is
put back exactly as it was.

Agreement is measured by the relative error (the CS231n convention, the
formula of notebook 04 and exercise 9.2)

    |a − n| / max(|a|, |n|)        a: analytic (backprop), n: numeric.

n itself is only as good as J's rounding: J(θ ± εe_i) are float64 numbers, so
n carries an error up to about ρ = 10 · u · (|J(θ+εe_i)| + |J(θ−εe_i)|) / 2ε
(u = 2.2e-16, the machine epsilon), and it moves in steps of ulp(J)/2ε.  The
report calls ρ / max(|a|, |n|) the *allowance*: the relative error that
rounding alone can produce at that entry.  Verdicts, per entry:

    ok            relative error < 1e-7; or |a − n| ≤ ρ with an allowance below 1e-4
                  (they agree as closely as rounding lets the check see, and
                  any bug would show)
    inconclusive  |a − n| ≤ ρ, but the allowance is 1e-4 or more: rounding noise
                  is comparable to the derivative (or n is quantised), so the
                  check cannot tell a right gradient from a wrong one.  Fails.
    suspicious    1e-7 .. 1e-4 beyond the allowance, or any size when a lies
                  between the one-sided slopes (J(θ+ε) − J(θ))/ε and
                  (J(θ) − J(θ−ε))/ε and these differ: J has a kink (relu, max,
                  |·|) within ±ε of θ.  Right only if J has a kink there.
    WRONG         > 1e-4 beyond the allowance, not explained by a kink: a bug
                  in the backward pass

(An entry where a = n = 0 exactly is judged against the largest derivative
of the check: ok if ρ is below 1e-4 of it, else inconclusive.)

A parameter passes if each of its entries is ok, or suspicious with a relative
error below `threshold` (default 1e-7, so by default suspicious fails too); its
row in the report shows its worst entry, with the plain relative error, the
allowance and the verdict.  For models too big to probe entry by entry,
`directional_check` compares the derivative along a few random unit
directions d, (J(θ + εd) − J(θ − εd)) / 2ε, with the analytic ⟨∇J, d⟩, and
judges each direction the same way.
"""
import html
import math
from collections import Counter, namedtuple
from dataclasses import dataclass

import numpy as np

from .engine import Var, backward
from .protocol import Trainable, missing_members

__all__ = [
    "check_gradients", "directional_check", "check_model", "relative_error",
    "GradCheckReport", "ParamCheck", "FINE", "WRONG", "RESOLUTION",
]

FINE = 1e-7             # below: the gradient is right
WRONG = 1e-4            # above (beyond the rounding allowance): the backward pass has a bug
RESOLUTION = WRONG      # an agreement within rounding counts only if that allowance is below this
ROUNDING_FACTOR = 10.0  # safety factor on the rounding noise of one difference quotient
_MACHINE_EPSILON = float(np.finfo(np.float64).eps)

# verdicts from best to worst; a parameter shows its worst entry
_SEVERITY = {"ok": 0, "suspicious": 1, "inconclusive": 2, "WRONG": 3, "PROBLEM": 4}


def relative_error(analytic, numeric):
    """|a − n| / max(|a|, |n|), elementwise; 0 where a = n = 0.  No allowance is subtracted."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    return np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), np.finfo(np.float64).tiny)


_Probe = namedtuple("_Probe", "where analytic numeric j_plus j_minus")


@dataclass(frozen=True)
class _Judgement:
    """The verdict on one entry (or direction) and why."""

    verdict: str
    reason: str            # 'agree', 'noise', 'inconclusive', 'kink', 'band', 'wrong'
    rel_error: float       # the plain relative error |a − n| / max(|a|, |n|)
    noise: float           # ρ, the rounding allowance of the central difference (absolute)
    allowance: float       # ρ relative to the derivative: the relative error rounding alone can produce
    slopes: tuple          # the one-sided slopes ((J(θ+ε) − J(θ))/ε, (J(θ) − J(θ−ε))/ε)
    passed: bool


def _judge(probe, j0, eps, threshold, largest):
    """Judge one probe: the plain relative error, the rounding allowance, a kink test, the verdict.

    `largest` is the largest |a| or |n| over the whole check, the yardstick for entries where
    a = n = 0 exactly (J did not move at all, and backprop says it should not).
    """
    a, n, jp, jm = probe.analytic, probe.numeric, probe.j_plus, probe.j_minus
    gap, size = abs(a - n), max(abs(a), abs(n))
    rel = gap / size if size else 0.0
    noise = ROUNDING_FACTOR * _MACHINE_EPSILON * (abs(jp) + abs(jm)) / (2 * eps)
    yardstick = size if size else largest
    allowance = noise / yardstick if yardstick else math.inf
    d_plus, d_minus = (jp - j0) / eps, (j0 - jm) / eps
    one_sided_noise = ROUNDING_FACTOR * _MACHINE_EPSILON * (abs(jp) + 2 * abs(j0) + abs(jm)) / (2 * eps)
    if size == 0.0:
        verdict, reason = ("ok", "agree") if allowance < RESOLUTION else ("inconclusive", "inconclusive")
    elif rel < FINE:
        verdict, reason = "ok", "agree"
    elif gap <= noise:
        verdict, reason = ("ok", "noise") if allowance < RESOLUTION else ("inconclusive", "inconclusive")
    elif (abs(d_plus - d_minus) > 4 * one_sided_noise
          and min(d_plus, d_minus) - one_sided_noise <= a <= max(d_plus, d_minus) + one_sided_noise):
        verdict, reason = "suspicious", "kink"
    elif rel < WRONG:
        verdict, reason = "suspicious", "band"
    else:
        verdict, reason = "WRONG", "wrong"
    passed = ((verdict == "ok" and (rel < threshold or reason != "agree" or size == 0.0))
              or (verdict == "suspicious" and rel < threshold))
    return _Judgement(verdict, reason, rel, noise, allowance, (d_plus, d_minus), passed)


@dataclass(frozen=True)
class ParamCheck:
    """The verdict for one parameter: its worst entry (or direction) and the values there."""

    name: str
    shape: tuple
    rel_error: float                 # the plain relative error |a − n| / max(|a|, |n|) at the worst entry
    where: object                    # worst entry: an index tuple; or a direction number
    analytic: float                  # the analytic (backprop) derivative there
    numeric: float                   # the finite-difference derivative there
    passed: bool
    problem: str = None              # set when a value is NaN/inf or a shape is wrong
    noise: float = 0.0               # ρ there: the rounding allowance of the central difference (absolute)
    verdict: str = "ok"              # 'ok', 'suspicious', 'inconclusive', 'WRONG' or 'PROBLEM'
    reason: str = "agree"            # why: 'agree', 'noise', 'inconclusive', 'kink', 'band', 'wrong', 'problem'
    allowance: float = 0.0           # ρ / max(|a|, |n|): the relative error rounding alone can produce there
    slopes: tuple = None             # one-sided slopes there: (J(θ+ε) − J(θ))/ε, (J(θ) − J(θ−ε))/ε
    counts: tuple = ()               # (verdict, number of entries) over all the entries, worst first
    J: float = math.nan              # J(θ), unperturbed
    eps: float = None

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
        """One or two sentences: the values at the worst entry, the verdict and what it means."""
        if self.problem:
            return f"{self.location}: {self.problem}"
        ratio = (f", analytic/numeric = {self.analytic / self.numeric:.6g}"
                 if self.numeric and self.reason == "wrong" else "")
        head = (f"{self.location}: analytic {self.analytic:.10g} vs numeric {self.numeric:.10g}, relative error "
                f"{self.rel_error:.2e} (rounding allowance {_allowance_text(self.allowance)}{ratio})")
        return f"{head}: {self.verdict} — {self._meaning()}{self._others()}"

    def _meaning(self):
        eps = self.eps
        if self.reason == "agree":
            return "they agree."
        if self.reason == "noise":
            return (f"|a − n| = {abs(self.analytic - self.numeric):.2g} is within the {self.noise:.2g} that "
                    f"rounding in J produces at ε = {eps:g}: they agree as closely as this check can see.")
        if self.reason == "inconclusive":
            bigger = (f", or use a larger ε (ε = 1e-4 makes the allowance {1e-4 / eps:.3g}× smaller)"
                      if eps < 1e-4 else "")
            return (f"rounding in J (J ≈ {self.J:.3g}) makes the numeric derivative uncertain by "
                    f"{self.noise:.2g}, comparable to the derivative itself, so this check cannot tell a right "
                    "gradient from a wrong one here. Make J smaller relative to its derivatives (no large "
                    f"constant part; a mean over a few examples rather than a sum over many){bigger}.")
        if self.reason == "kink":
            d_plus, d_minus = self.slopes
            return (f"the one-sided slopes differ, (J(θ+ε) − J(θ))/ε = {d_plus:.6g} and (J(θ) − J(θ−ε))/ε "
                    f"= {d_minus:.6g}, and the analytic value lies between them: J has a kink (relu, max, |·|) "
                    "within ±ε of θ. Right if the kink is real; move θ off it or use a smaller ε to be sure.")
        if self.reason == "band":
            return (f"between {FINE:.0e} and {WRONG:.0e}, and beyond the rounding allowance: right only if J has "
                    "a kink (relu, max, |·|) near θ; otherwise look for a small error in the backward pass.")
        return f"above {WRONG:.0e}, and beyond the rounding allowance: a bug in the backward pass."

    def _others(self):
        """' (others: 3 inconclusive, 1 suspicious)': the verdicts of the other entries that are not ok."""
        rest = [f"{k - (v == self.verdict)} {v}" for v, k in self.counts
                if v != "ok" and k - (v == self.verdict)]
        return f" (others: {', '.join(rest)})" if rest else ""


def _allowance_text(allowance):
    return "∞" if math.isinf(allowance) else f"{allowance:.1e}"


class GradCheckReport:
    """Per-parameter results of a gradient check, indexed by parameter name.

    `str()` is a text table (`_repr_html_` in a notebook); `bool(report)` is
    `report.passed`; `report.status` is 'PASSED', 'FAILED' or 'INCONCLUSIVE'
    (nothing wrong found, but rounding hid some derivatives); `.assert_ok()`
    raises an AssertionError naming each parameter and entry that did not pass.
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

    @property
    def status(self):
        if self.passed:
            return "PASSED"
        return "INCONCLUSIVE" if all(c.verdict == "inconclusive" for c in self.failures) else "FAILED"

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
        return (f"gradient check ({method}, ε = {self.eps:g}; pass: relative error < {self.threshold:g}, or "
                f"within a rounding allowance < {RESOLUTION:.0e}): {self.status}")

    _HEADER = ("parameter", "shape", "worst {kind}", "analytic", "numeric", "rel. error", "allowance", "verdict")

    def _rows(self):
        header = tuple(h.format(kind=self.kind) for h in self._HEADER)
        rows = [(c.name, str(c.shape), c.where_text or "–", f"{c.analytic:.6e}", f"{c.numeric:.6e}",
                 f"{c.rel_error:.2e}", _allowance_text(c.allowance), c.verdict) for c in self.checks.values()]
        return header, rows

    def _notes(self):
        return [c.describe() for c in self.checks.values() if not c.passed or c.reason != "agree"]

    def __str__(self):
        header, rows = self._rows()
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines = [self._title()] + ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip()
                                   for r in [header, *rows]]
        return "\n".join(lines + self._notes())

    def __repr__(self):
        status = "passed" if self.passed else self.status
        return f"<GradCheckReport {status}: {', '.join(self.checks)}>"

    def _repr_html_(self):
        header, rows = self._rows()
        colour = {"ok": "#1a7f37", "suspicious": "#9a6700", "inconclusive": "#0969da", "WRONG": "#cf222e",
                  "PROBLEM": "#cf222e"}

        def row_html(cells, tag="td"):
            style = f' style="color:{colour.get(cells[-1], "inherit")};font-weight:bold"' if tag == "td" else ""
            body = "".join(f"<{tag}>{html.escape(c)}</{tag}>" for c in cells[:-1])
            return f"<tr>{body}<{tag}{style}>{html.escape(cells[-1])}</{tag}></tr>"

        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self._notes())
        return (f"<p><b>{html.escape(self._title())}</b></p><table>{row_html(header, 'th')}"
                + "".join(row_html(r) for r in rows) + "</table>" + (f"<ul>{notes}</ul>" if notes else ""))

    def assert_ok(self):
        """Raise AssertionError naming each parameter that did not pass; return the report if it passed."""
        if not self.passed:
            raise AssertionError(f"gradient check {self.status}:\n  "
                                 + "\n  ".join(c.describe() for c in self.failures))
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


def _central_difference(f, slot, index, step, eps, where, a):
    """A _Probe at slot.array[index]: J(θ ± step) and (J(θ + step) − J(θ − step)) / 2ε; or a problem
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
        return f"J is not finite after this perturbation: J(θ+ε) = {j_plus}, J(θ−ε) = {j_minus}"
    return _Probe(where, float(a), (j_plus - j_minus) / (2 * eps), j_plus, j_minus)


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
    return _failed(slot, where, math.nan, math.nan, message, J)


def _failed(slot, where, analytic, numeric, message, J):
    return ParamCheck(slot.name, slot.shape, math.inf, where, analytic, numeric, False, message,
                      verdict="PROBLEM", reason="problem", allowance=math.nan, J=J)


def _probe_slot(f, slot, probes, eps, J):
    """Run the probes (where, analytic value, index, step) of one parameter: a list of _Probe, or a
    failed ParamCheck as soon as J is not finite at one of them."""
    results = []
    for where, a, index, step in probes:
        probe = _central_difference(f, slot, index, step, eps, where, a)
        if isinstance(probe, str):
            return _failed(slot, where, float(a), math.nan, probe, J)
        results.append(probe)
    return results


def _verdict_of(slot, probes, J, eps, threshold, largest):
    """The ParamCheck of one parameter from its probes: every entry judged, the worst one shown."""
    if not probes:                              # a parameter with no entries
        return ParamCheck(slot.name, slot.shape, 0.0, (), 0.0, 0.0, True, J=J, eps=eps)
    judged = [(_judge(p, J, eps, threshold, largest), p) for p in probes]
    j, p = max(judged, key=lambda jp: (_SEVERITY[jp[0].verdict], not jp[0].passed, jp[0].rel_error,
                                       jp[0].allowance))
    counts = Counter(jj.verdict for jj, _ in judged)
    passed = all(jj.passed for jj, _ in judged)
    problem = None
    if j.verdict == "WRONG" and not any(pp.numeric for _, pp in judged):
        problem = (f"analytic {p.analytic:.10g} but every numeric derivative is exactly 0: J does not "
                   "change with this parameter (does f read the arrays in params, not copies of them?)")
    return ParamCheck(slot.name, slot.shape, j.rel_error, p.where, p.analytic, p.numeric, passed, problem,
                      j.noise, "PROBLEM" if problem else j.verdict, "problem" if problem else j.reason,
                      j.allowance, j.slopes, tuple(sorted(counts.items(), key=lambda vk: -_SEVERITY[vk[0]])),
                      J, eps)


def _run(f, params, analytic, eps, threshold, kind, probes):
    """Check each parameter with the probes that `probes(slot, gradient)` yields."""
    if not callable(f):
        raise TypeError(f"check_gradients: f must be a function of no arguments, got {type(f).__name__}")
    if not isinstance(params, dict) or not params:
        raise ValueError("check_gradients: params must be a non-empty dict name → array, float or Var")
    for label, value in (("eps", eps), ("threshold", threshold)):
        if isinstance(value, bool) or not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ValueError(f"check_gradients: {label} must be a positive number, got {value!r}")
    slots = [_Slot(params, name) for name in params]
    gradients = _analytic_gradients(f, params, analytic)
    J = _scalar(f(), "f")
    found = [_problem(slot, gradients[slot.name], J)
             or _probe_slot(f, slot, probes(slot, gradients[slot.name]), eps, J) for slot in slots]
    largest = max((max(abs(p.analytic), abs(p.numeric)) for probed in found if isinstance(probed, list)
                   for p in probed), default=0.0)
    checks = [probed if isinstance(probed, ParamCheck) else _verdict_of(slot, probed, J, eps, threshold, largest)
              for slot, probed in zip(slots, found)]
    return GradCheckReport(checks, kind, eps, threshold)


def check_gradients(f, params, analytic=None, eps=1e-6, threshold=FINE):
    """Check every entry of every parameter by central differences; returns a GradCheckReport.

    f: a function of no arguments returning the scalar J (a number or a scalar
    Var), reading `params` by reference.  params: dict name → float64 array,
    float or Var; each entry is perturbed in place by ±eps and restored.
    analytic: dict name → gradient (same shape as the parameter); if None and
    the parameters are Vars, backward(f()) supplies it.  threshold: the largest
    relative error that passes (see the module docstring for the verdicts; an
    entry rounding hides is inconclusive, never passed).  Costs 2 evaluations
    of J per entry: for big models use `directional_check`.
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

    `model`: any model following the checking part of `protocol.Trainable` (every model of `models`).

    route="backward": the hand-written `model.loss_and_gradients(X, y)`;
    route="engine": backward through `model.engine_loss(X, y)`.
    n_directions=None checks every entry; a number runs `directional_check` instead.
    """
    if route not in ("backward", "engine"):
        raise ValueError(f"check_model: route must be 'backward' or 'engine', got {route!r}")
    missing = missing_members(model, Trainable.CHECKING + (("engine_loss",) if route == "engine" else ()))
    if missing:
        raise TypeError(f"check_model: model must follow the checking protocol of backproplib.protocol.Trainable; "
                        f"{type(model).__name__} lacks {', '.join(missing)}")
    if route == "backward":
        analytic = model.loss_and_gradients(X, y)[1]

        def f():
            return model.loss_and_gradients(X, y)[0]
    else:
        J, variables = model.engine_loss(X, y)
        backward(J)
        analytic = {name: v.grad for name, v in variables.items()}

        def f():
            return model.engine_loss(X, y)[0]
    if n_directions is None:
        return check_gradients(f, model.params, analytic, eps=eps, threshold=threshold)
    return directional_check(f, model.params, analytic, n_directions=n_directions, eps=eps,
                             threshold=threshold)
