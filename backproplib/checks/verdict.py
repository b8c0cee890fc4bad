"""The verdict machinery shared by every check, and the public API for writing new ones.

A check prints one verdict and returns it as a `CheckResult`:

* ``✓ …`` (status "pass") the answer is right;
* ``✗ …`` (status "fail") it is wrong: which entry, by how much, and — only where the evidence
  supports one — the likely cause;
* ``✗ …`` (status "error") the learner's function raised: the exception and the learner's line,
  no traceback (or, should it ever happen, the check itself failed);
* ``○ not implemented yet — …`` (status "todo") the answer is still the generated stub (``None``, or a
  function that raises ``NotImplementedError``), so a blank exercise notebook runs from top to bottom.

Every result is appended to `RESULTS`.  In strict mode (``BACKPROPLIB_STRICT=1`` in the
environment, or ``set_strict(True)``) a result other than "pass" raises ``AssertionError(message)``
after it is printed, so pytest and nbgrader can grade a notebook.

Writing a check (course staff, in a solution notebook): `check_value` compares a value with a
reference, `check_function` compares a function's outputs with a reference function's at given
inputs, and `expect` turns a block of plain ``assert`` statements into a verdict.  Each takes
optional ``mistakes``: (wrong value or wrong function, likely cause) pairs.
"""
import contextlib
import dataclasses
import functools
import inspect
import math
import os
import re
import sys
import sysconfig
import textwrap
import traceback
import warnings
from pathlib import Path

import numpy as np

from .. import engine

OK, WRONG, TODO = "✓", "✗", "○ not implemented yet"     # how each verdict line starts
WIDTH = 96      # printed verdicts wrap here, between words: a notebook at laptop width breaks long lines mid-word

DENOMINATOR = ("in denominator layout (this course's convention) a gradient has the shape of the "
               "variable it differentiates with respect to")
CHECK_FAILED = "the check itself failed on this answer"


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: what it printed, and the points it gives."""
    id: str              # stable: the check's name ("check_chain_rule_1d"), or the title's slug
    title: str           # for people
    status: str          # "pass" | "fail" | "todo" | "error"
    message: str         # the printed verdict
    earned: float
    possible: float = 1.0

    def as_dict(self):
        return dataclasses.asdict(self)

    def _ipython_display_(self):
        """Display nothing: the verdict is printed already, so a check cell gets no Out[…]."""


RESULTS = []            # every CheckResult, in the order the checks ran
_strict = None          # set_strict's choice; None: the environment decides


def reset_results():
    """Forget the results collected so far in `RESULTS`."""
    RESULTS.clear()


def set_strict(flag=True):
    """Strict mode on (True) or off (False); None leaves it to ``BACKPROPLIB_STRICT`` again."""
    global _strict
    _strict = flag


def strict():
    """Whether a result that is not a pass raises AssertionError."""
    if _strict is not None:
        return bool(_strict)
    return os.environ.get("BACKPROPLIB_STRICT", "").strip().lower() not in ("", "0", "false", "no", "off")


# ------------------------------------------------------------------- how a check ends

class Todo(Exception):
    """The answer is still the generated stub."""


class Wrong(Exception):
    """The answer is wrong; the message says where and why."""


class Raised(Exception):
    """The learner's code raised; the message names the exception and the learner's line."""


def slug(title):
    return re.sub(r"[^0-9a-z]+", "-", title.lower()).strip("-") or "check"


def run(check_id, title, judge, possible=1.0):
    """Judge an answer (judge() returns the sentence after ✓ or raises), print and return the verdict."""
    try:
        praise = judge()
    except Todo as todo:
        status, message = "todo", f"{TODO} — {todo}"
    except Wrong as wrong:
        status, message = "fail", f"{WRONG} {wrong}"
    except Raised as raised:
        status, message = "error", f"{WRONG} {raised}"
    except Exception as err:               # a bug in the check: a short line, never a traceback
        status, message = "error", f"{WRONG} {CHECK_FAILED} ({_exception_text(err)}); please report it."
    else:
        status, message = "pass", f"{OK} {praise}"
    result = CheckResult(check_id, title, status, message, float(possible) if status == "pass" else 0.0,
                         float(possible))
    print(wrapped(message) if _notebook_output() else message)
    RESULTS.append(result)
    if status != "pass" and strict():
        raise AssertionError(message) from None
    return result


def wrapped(message, width=WIDTH):
    """The verdict as printed: lines of at most `width` characters, broken between words, continuation
    lines indented by two spaces (a word longer than a line, such as a path, is kept whole)."""
    return "\n".join(textwrap.fill(line, width, subsequent_indent="  ", break_long_words=False,
                                    break_on_hyphens=False) if len(line) > width else line
                      for line in message.split("\n"))


def _notebook_output():
    """True when printing goes to a notebook (an ipykernel stream): there a long line is broken by the
    page, mid-word, so verdicts are wrapped between words first.  Elsewhere (a terminal, a test's
    captured output) the verdict is printed exactly as `CheckResult.message` holds it."""
    return type(sys.stdout).__module__.split(".")[0] == "ipykernel"


def checker(title):
    """Decorate a check (takes the answer, returns a success sentence or raises Todo/Wrong/Raised)."""
    def decorate(check):
        signature = inspect.signature(check)

        @functools.wraps(check)
        def run_check(*args, **kwargs):
            def judge():
                try:
                    signature.bind(*args, **kwargs)
                except TypeError as err:
                    raise Raised(f"{check.__name__} was called with the wrong arguments: {err}; call it "
                                 "as the exercise does") from None
                return check(*args, **kwargs)
            return run(check.__name__, title, judge)
        return run_check
    return decorate


# ------------------------------------------------------------------- the learner's code

_LIBRARY = tuple({str(Path(__file__).resolve().parents[1])} |
                 {str(Path(p).resolve()) for k, p in sysconfig.get_paths().items()
                  if k in ("stdlib", "platstdlib", "purelib", "platlib")})


def _exception_text(err, limit=200):
    text = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _learner_frame(err):
    """The innermost frame of the traceback that is the learner's code (not numpy, not this package)."""
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if not f.filename.startswith("<frozen") and not str(Path(f.filename).resolve()).startswith(_LIBRARY)]
    return frames[-1] if frames else None


def where(err):
    """A second line, 'at line N of `function`: code', naming the learner's innermost line in err's traceback."""
    frame = _learner_frame(err)
    if frame is None:
        return ""
    place = "your cell" if frame.name == "<module>" else f"`{frame.name}`"
    code = f": {frame.line.strip()}" if frame.line else ""
    return f"\n  at line {frame.lineno} of {place}{code}"


def name_of(fn, default="your function"):
    name = getattr(fn, "__name__", None)
    return name if isinstance(name, str) and name.isidentifier() else default


def call(fn, *args):
    """fn(*args); the stub (NotImplementedError) becomes 'not implemented yet', any other exception a short ✗."""
    if fn is None:
        raise Todo("the function is None: define it in the cell above and run that cell")
    if not callable(fn):
        raise Wrong(f"expected a function, got {describe(fn)} (pass the function itself, without calling it)")
    try:
        with np.errstate(all="ignore"):
            return fn(*args)
    except NotImplementedError as err:
        raise Todo(_stub_text(err, fn)) from None
    except Exception as err:
        raise Raised(f"{name_of(fn)} raised {_exception_text(err)}{where(err)}") from None


def _stub_text(err, fn):
    name = str(err) or name_of(fn)                     # the stub names its function
    return (f"replace the stub in `{name}` (`# YOUR CODE HERE` and the `raise NotImplementedError` line) "
            "with your code, run that cell, then run this check again")


def learner_does(what, action):
    """action() on an object the learner built (a graph, say); an exception becomes a short ✗."""
    try:
        with np.errstate(all="ignore"):
            return action()
    except Exception as err:
        raise Raised(f"{what} failed: {_exception_text(err)}") from None


def given(**answers):
    """The answers, unless one is still None (the stub for a value)."""
    missing = [name for name, value in answers.items() if value is None]
    if missing:
        names = ", ".join(f"`{n}`" if n.isidentifier() else n for n in missing)
        raise Todo(f"{names} {'is' if len(missing) == 1 else 'are'} still None: replace None with "
                   "your answer, run that cell, then run this check again")
    return answers.values()


def describe(value, limit=60):
    """'a dict {…}', 'the string "abc"': what the learner gave, for a message."""
    text = repr(value)
    text = text if len(text) <= limit else text[:limit - 1] + "…"
    if isinstance(value, str):
        return f"the string {text}"
    return f"{type(value).__name__} {text}"


# ------------------------------------------------------------------- values as arrays

def kind(a):
    return "a number" if np.ndim(a) == 0 else f"an array of shape {np.shape(a)}"


_NOT_NUMBERS = {"b": "True/False values", "c": "complex numbers", "U": "text", "S": "bytes",
                "m": "time differences", "M": "dates", "V": "raw bytes"}


def as_array(label, got, expected):
    """The answer as a float64 array of real numbers, or a Wrong saying what was expected and what came."""
    want = kind(expected)
    if got is None:
        raise Wrong(f"{label} is None — did the function forget to `return` its result?")
    if isinstance(got, engine.Var):
        got = got.value
    if isinstance(got, (str, bytes, bool, np.bool_, complex, np.complexfloating, dict, set)):
        raise Wrong(f"{label} should be {want} of real numbers, got {describe(got)}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")     # numpy < 1.24 only warns on ragged lists, then makes objects
            a = np.asarray(got)
    except Exception:          # ragged nested lists, or an object that cannot be read as an array
        raise Wrong(f"{label} should be {want}, got {describe(got)}, which is not a regular array "
                    "(are its rows of different lengths?)") from None
    if a.dtype.kind in _NOT_NUMBERS:
        raise Wrong(f"{label} should be {want} of real numbers, got {_NOT_NUMBERS[a.dtype.kind]} "
                    f"({describe(got)})")
    if a.dtype.kind not in "iuf":
        raise Wrong(f"{label} should be {want} of real numbers, got {describe(got)}")
    return a.astype(np.float64)


def close(got, ref, rtol, atol):
    with np.errstate(all="ignore"):
        return (got.shape == ref.shape and bool(np.all(np.isfinite(got)))
                and bool(np.allclose(got, ref, rtol=rtol, atol=atol)))


def _index_text(idx):
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def _simple_factor(ratio):
    """True for ±k or ±1/k with k a whole number from 2 to 1000: the factors a slip in a formula makes."""
    if not math.isfinite(ratio) or ratio == 0:
        return False
    for r in (abs(ratio), 1 / abs(ratio)):
        k = round(r)
        if 2 <= k <= 1000 and math.isclose(r, k, rel_tol=1e-6):
            return True
    return False


def likely_cause(got, expected, mistakes, dtype=None):
    """The first typical mistake that reproduces `got`, else a pattern the entries prove; None if none does.

    A constant factor is named only when at least two nonzero entries share one ratio, and that ratio is
    a whole number or its reciprocal: two single numbers always differ by *some* factor.
    """
    for value, cause in mistakes:
        value = np.asarray(value, dtype=np.float64)
        if value.shape == got.shape and np.allclose(got, value, rtol=1e-6, atol=1e-9, equal_nan=True):
            return cause
    if got.ndim == 2 and got.shape == expected.shape[::-1] and got.shape[0] != got.shape[1]:
        return f"transposed — {DENOMINATOR}" if close(got.T, expected, 1e-6, 1e-9) else None
    if got.shape != expected.shape or not np.all(np.isfinite(got)):
        return None
    if dtype is not None and np.dtype(dtype).itemsize < 8 and close(got, expected, 1e-3, 1e-6):
        return f"computed in {np.dtype(dtype).name}, which keeps about {np.finfo(dtype).precision} digits; use float64"
    if np.any(np.abs(expected) > 1e-12) and close(got, -expected, 1e-6, 1e-9):
        return f"wrong sign: {'every entry has' if expected.ndim else 'it has'} the right size but the opposite sign"
    if expected.ndim == 2 and expected.shape[0] == expected.shape[1] and close(got, expected.T, 1e-6, 1e-9):
        return f"transposed — {DENOMINATOR}"
    nonzero = np.abs(expected) > 1e-12
    if nonzero.sum() >= 2:
        ratio = float(np.median(got[nonzero] / expected[nonzero]))
        if _simple_factor(ratio) and close(got, ratio * expected, 1e-6, 1e-9):
            return (f"off by a constant factor of {ratio:.4g} in all {int(nonzero.sum())} nonzero entries — look "
                    "for a missing or extra factor (2, N, 1/N, γ) in an otherwise right formula")
    return None


def compare(label, got, expected, mistakes=(), hint=None, at=None, rtol=1e-7, atol=1e-10):
    """Pass silently if `got` ≈ `expected`; otherwise raise Wrong naming the worst entry and, if proven, the cause.

    mistakes: (value, cause) pairs, typical wrong answers computed on the same inputs.
    at(index) -> text names the input behind an entry (e.g. 'b = 2.5').
    """
    expected = np.asarray(expected, dtype=np.float64)
    dtype = getattr(got, "dtype", None)
    dtype = dtype if isinstance(dtype, np.dtype) and dtype.kind == "f" else None    # a float16 or float32 answer
    got = as_array(label, got, expected)
    if close(got, expected, rtol, atol):
        return
    with np.errstate(all="ignore"):
        if got.shape != expected.shape:
            text = f"{label} has shape {got.shape} but should have shape {expected.shape}"
            if got.ndim == 0 or expected.ndim == 0:
                text = f"{label} should be {kind(expected)}, got {kind(got)}"
        else:
            text = _mismatch(label, got, expected, at, rtol, atol)
        cause = likely_cause(got, expected, mistakes, dtype)
    if cause:
        text += f"\n  Likely cause: {cause}."
    elif hint:
        text += f"\n  Hint: {hint}"
    raise Wrong(text)


def _mismatch(label, got, expected, at, rtol, atol):
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol) | ~np.isfinite(got)
    gap = np.where(bad, np.abs(got - expected), 0.0)
    gap[bad & ~np.isfinite(gap)] = np.inf
    if expected.ndim == 0:
        place = f" at {at(())}" if at else ""
        return f"{label} is {float(got):.6g}{place} but should be {float(expected):.6g}" + _by(got, expected)
    idx = np.unravel_index(int(np.argmax(gap)), expected.shape)
    place = f" ({at(idx)})" if at else ""
    return (f"{label}: {int(bad.sum())} of {bad.size} entries are wrong; the worst is entry "
            f"{_index_text(idx)}{place}: {got[idx]:.6g} instead of {expected[idx]:.6g}" + _by(got[idx], expected[idx]))


def _by(got, expected):
    return f" (off by {abs(float(got) - float(expected)):.3g})" if np.isfinite(got) else ""


def compare_rows(label, got, rows, first_wrong_note, entry="{label}[{key!r}]"):
    """Compare a dict of named values row by row (rows: (key, expected, mistakes)); stop at the first wrong row."""
    keys = ", ".join(repr(k) for k, _, _ in rows)
    if not isinstance(got, dict):
        raise Wrong(f"{label} should return a dict with the keys {keys}; got {describe(got)}")
    missing = [k for k, _, _ in rows if k not in got]
    if missing:
        raise Wrong(f"{label} has no entry for {', '.join(repr(k) for k in missing)} (expected keys: {keys})")
    for key, expected, mistakes in rows:
        try:
            compare(entry.format(label=label, key=key), got[key], expected, mistakes)
        except Wrong as wrong:
            raise Wrong(f"{wrong}\n  {first_wrong_note}") from None


def pair(label, got, names):
    """The two results of a function that returns a pair."""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Wrong(f"{label} should return a pair ({names[0]}, {names[1]}), got {describe(got)}")
    return got


# ------------------------------------------------------------------- the public API for new checks

def check_value(title, got, expected, *, mistakes=(), hint=None, rtol=1e-7, atol=1e-10, points=1, id=None):
    """Compare the answer `got` (a number or an array) with the reference `expected`; print and return the verdict.

    mistakes: (wrong value, likely cause) pairs — if the answer equals a wrong value, its cause is printed.
    hint: printed under a wrong answer when no cause is known.  The verdict is "todo" while `got` is None.
    """
    def judge():
        (value,) = given(**{"the answer": got})
        compare(title, value, expected, mistakes, hint, rtol=rtol, atol=atol)
        return f"{title} is right."
    return run(id or slug(title), title, judge, points)


def check_function(title, fn, reference, inputs, *, mistakes=(), hint=None, rtol=1e-7, atol=1e-10, points=1,
                   id=None):
    """Compare fn(*args) with reference(*args) for every argument tuple in `inputs`; print and return the verdict.

    An entry of `inputs` that is not a tuple is the single argument.  mistakes: (wrong function, likely cause)
    pairs, evaluated at the same inputs.  Arrays passed to fn are copies, so fn may change them.
    When every output is a number they are compared together, so a wrong entry names its input.
    """
    cases = [args if isinstance(args, tuple) else (args,) for args in inputs]

    def judge():
        expected = _outputs(reference, cases)
        got = [call(fn, *_copies(args)) for args in cases]
        wrongs = [(_outputs(m, cases), cause) for m, cause in mistakes]
        label = f"{name_of(fn)}(…)"
        if all(e.ndim == 0 for e in expected):
            compare(label, [as_array(label, g, 0.0) for g in got], expected, wrongs, hint,
                    at=lambda i: f"input {_args_text(cases[i[0]])}", rtol=rtol, atol=atol)
        else:
            for i, (g, e) in enumerate(zip(got, expected)):
                compare(f"{name_of(fn)}{_args_text(cases[i], brackets=True)}", g, e,
                        [(w[i], cause) for w, cause in wrongs], hint, rtol=rtol, atol=atol)
        return f"{title}: right at all {len(cases)} inputs."
    return run(id or slug(title), title, judge, points)


def _copies(args):
    return tuple(np.copy(a) if isinstance(a, np.ndarray) else a for a in args)


def _outputs(fn, cases):
    with np.errstate(all="ignore"):
        return [np.asarray(fn(*_copies(args)), dtype=np.float64) for args in cases]


def _args_text(args, brackets=False):
    text = ", ".join(f"{a:g}" if isinstance(a, (int, float, np.number)) else f"an array of shape {np.shape(a)}"
                     for a in args)
    return f"({text})" if brackets else text


@contextlib.contextmanager
def expect(title, points=1, id=None, **answers):
    """A check written as plain ``assert`` statements in a ``with`` block; print and keep its verdict.

        with bp.checks.expect("the slope of x² at x = 1", slope=slope) as verdict:
            assert abs(slope - 2) < 1e-9, "the slope of x² at x = 1 is 2"

    An answer named in the call that is still None, or a NotImplementedError (a stub) in the block, gives
    "○ not implemented yet"; a failed assert gives ✗ with its message (or its line); another exception
    ✗ with the exception and your line.  `verdict.result` is the CheckResult.
    """
    holder = _Verdict()
    caught = None
    try:
        yield holder
    except Exception as err:               # the verdict replaces the exception (strict mode re-raises)
        caught = err

    def judge():
        given(**answers)
        if caught is None:
            return f"{title}."
        if isinstance(caught, NotImplementedError):
            raise Todo(_stub_text(caught, None))
        if isinstance(caught, AssertionError):
            raise Wrong(f"{title}: {caught}" if str(caught) else f"{title}: the assertion failed{where(caught)}")
        raise Raised(f"{title}: {_exception_text(caught)}{where(caught)}")
    holder.result = run(id or slug(title), title, judge, points)


class _Verdict:
    """What `expect` yields: its `.result` is set when the block ends."""
    result = None
