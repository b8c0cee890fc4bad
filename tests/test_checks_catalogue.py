"""A catalogue of typical wrong answers for every exercise set — sign flips, transposes, off-by-one,
σ′ forgotten, sum over consumers forgotten, zeros, an input returned, the wrong container or dtype,
complex numbers, graphs cut off from their inputs: none gets a ✓, none makes the checker itself fail
(every verdict is a printed line, never a traceback), and the likely cause names a constant factor
only where several entries share one."""
import functools
import math

import numpy as np
import pytest

import backproplib as bp
import test_checks as answers
from backproplib import checks
from backproplib import functional as F
from backproplib.checks.verdict import CHECK_FAILED
from test_checks import lenient  # noqa: F401  (autouse: strict mode off, RESULTS empty)


# ------------------------------------------------------------ slips of one returned value

def _f(v):
    return np.asarray(v.value if isinstance(v, bp.Var) else v, dtype=np.float64)


def _bump(v):
    a = _f(v).copy()
    a.flat[0] += 1e-3 * max(1.0, abs(a.flat[0]))
    return a


def _ragged(v):
    a = np.atleast_1d(_f(v)).ravel().tolist()
    return [a, a[:-1] or [0.0, 0.0]]


SLIPS = {
    "sign flipped": lambda v: -_f(v),
    "transposed": lambda v: _f(v).T,
    "doubled": lambda v: 2 * _f(v),
    "halved": lambda v: _f(v) / 2,
    "off by one": lambda v: _f(v) + 1,
    "one entry slightly off": _bump,
    "zeros": lambda v: np.zeros_like(_f(v)),
    "ones": lambda v: np.ones_like(_f(v)),
    "nan": lambda v: np.full_like(_f(v), np.nan),
    "inf": lambda v: np.full_like(_f(v), np.inf),
    "complex": lambda v: _f(v) + 5j,
    "text": lambda v: str(_f(v).tolist()),
    "text array": lambda v: _f(v).astype(str),
    "booleans": lambda v: _f(v) > 0,
    "None": lambda v: None,
    "ragged list": _ragged,
    "truncated to integers": lambda v: _f(v).astype(int),
    "float16": lambda v: _f(v).astype(np.float16),
    "an extra axis": lambda v: _f(v)[None],
    "last entry dropped": lambda v: _f(v).ravel()[:-1],
    "summed": lambda v: float(np.sum(_f(v))),
    "reversed": lambda v: _f(v)[::-1] if _f(v).ndim else _f(v),
    "in a tuple": lambda v: (v,),
    "in a dict": lambda v: {"value": v},
    "a Var of twice it": lambda v: bp.Var(2 * _f(v)),
    "an object array": lambda v: np.array([v, None], dtype=object),
}


def _same(a, b):
    """Numerically the same answer (so the slip changed nothing and is no wrong answer)."""
    try:
        x, y = _f(a), np.asarray(b.value if isinstance(b, bp.Var) else b)
    except (TypeError, ValueError):
        return False
    return y.dtype.kind in "iuf" and x.shape == y.shape and bool(np.allclose(x, y, rtol=1e-12, atol=1e-15))


class Variant:
    """A wrong answer: `args` for the check; `changed` says whether it differed from the right one."""

    def __init__(self, label, args):
        self.label, self.args, self.changed = label, args, True


def _slipped_function(label, solution, slip, part=None):
    """The solution with one slip applied to its result (or to result[part] of a pair or dict)."""
    variant = Variant(label, None)
    variant.changed = False

    def wrong(*args):
        right = solution(*args)
        if part is None:
            out = slip(right)
            variant.changed |= not _same(right, out)
            return out
        out = dict(right) if isinstance(right, dict) else list(right)
        out[part] = slip(right[part])
        variant.changed |= not _same(right[part], out[part])
        return out if isinstance(right, dict) else type(right)(out)
    variant.args = (wrong,)
    return variant


def _returns_an_input(label, solution, k):
    variant = Variant(label, None)
    variant.changed = False

    def wrong(*args):
        right = solution(*args)
        variant.changed |= isinstance(right, (dict, tuple)) or not _same(right, args[k])
        return args[k]
    variant.args = (wrong,)
    return variant


def _raises(*args):
    return [][1]


def function_variants(solution, parts=(None,), n_args=1):
    """Every slip on every part of the solution's result, each input returned, and a function that raises."""
    out = [_slipped_function(f"{name}{'' if part is None else f' in {part!r}'}", solution, slip, part)
           for part in parts for name, slip in SLIPS.items()]
    out += [_returns_an_input(f"returns input {k}", solution, k) for k in range(n_args)]
    out += [Variant("raises IndexError", (_raises,)), Variant("returns the function", (lambda *a: solution,))]
    return out


# ------------------------------------------------------------ the hand-written wrong answers

def _graphs():
    """build_graph variants: detached nodes, x·z twice or never, wrong values, wrong containers."""
    def built(**nodes):
        def build(x, z):
            t = nodes.get("t", lambda x, z: x * z)(x, z).named("t")
            u1 = nodes.get("u1", lambda t: bp.sin(t))(t).named("u1")
            v = nodes.get("v", lambda x: x ** 2)(x).named("v")
            w = (1 + v).named("w")
            u2 = nodes.get("u2", lambda t, w, x, z: t / w)(t, w, x, z).named("u2")
            return (u1 + u2).named("J")
        return build
    sin_of_number = lambda t: bp.Var(math.sin(t.value))  # noqa: E731
    return {
        "v = bp.Var(x.value**2)": built(v=lambda x: bp.Var(x.value ** 2)),
        "u1 = bp.Var(math.sin(t))": built(u1=lambda t: bp.Var(math.sin(t))),
        "u1 from a number": built(u1=sin_of_number),
        "t from fresh Vars": built(t=lambda x, z: bp.Var(x.value) * bp.Var(z.value)),
        "t a constant": built(t=lambda x, z: bp.constant(x.value * z.value)),
        "t = x + z": built(t=lambda x, z: x + z),
        "u1 = cos t": built(u1=bp.cos),
        "u2 = w / t": built(u2=lambda t, w, x, z: w / t),
        "u2 from x·z again": built(u2=lambda t, w, x, z: (x * z) / w),
        "u2 from z·x again": built(u2=lambda t, w, x, z: (z * x) / w),
        "u2 from the value of t": built(u2=lambda t, w, x, z: bp.Var(t.value) / w),
        "t = exp(log x + log z)": built(t=lambda x, z: bp.exp(bp.log(x) + bp.log(z))),
        "returns J.value": lambda x, z: answers.build_graph(x, z).value,
        "returns (J,)": lambda x, z: (answers.build_graph(x, z),),
        "returns None": lambda x, z: None,
        "returns an array Var": lambda x, z: bp.Var([1.0, 2.0]),
        "own x and z": lambda x, z: answers.build_graph(bp.Var(x.value, name="x"), bp.Var(z.value, name="z")),
        "raises": lambda x, z: _raises(),
    }


def _version_a_slips():
    """backward_version_a, right, then one slip on the grad of the output, a leaf or an inner node."""
    variants = []
    for where, pick in {"output": lambda order: order[-1], "first leaf": lambda order: order[0],
                        "inner node": lambda order: order[len(order) // 2]}.items():
        for name, slip in SLIPS.items():
            variant = Variant(f"{name} on the {where}'s grad", None)
            variant.changed = False

            def wrong(y, pick=pick, slip=slip, variant=variant):
                answers.backward_version_a(y)
                node = pick(bp.topological_order(y))
                right, node.grad = node.grad, slip(node.grad)
                variant.changed |= not _same(right, node.grad)
            variant.args = (wrong,)
            variants.append(variant)

    def forward_order(y):
        order = bp.topological_order(y)
        for v in order:
            v.grad = 1.0 if v is y else 0.0
        for v in order:                         # the wrong order: consumers are not final yet
            for u in order:
                for slot, inp in enumerate(u.inputs):
                    if inp is v:
                        v.grad += u.op.vjps[slot](u, u.grad)

    def last_consumer_only(y):
        answers.backward_version_a(y, sum_consumers=False)

    def only_output(y):
        y.grad = 1.0

    def all_zero(y):
        for v in bp.topological_order(y):
            v.grad = 0.0

    variants += [Variant(f.__name__, (f,)) for f in (forward_order, last_consumer_only, only_output, all_zero,
                                                     answers.version_a_without_seed, _raises)]
    return variants


BUG_ANSWERS = [("beta", 1), ("beta", 3), ("alpha", (0, 0)), ("alpha", (2, 3)), ("beta", 0.7), ("beta", -0.5),
               ("beta", "0"), ("beta", False), ("beta", True), ("beta", (0.0,)), ("beta", "abc"), ("beta", {}),
               ("beta", float("nan")), ("beta", 2**70), ("beta", -1), ("beta", 4), ("beta", (0, 0)),
               ("beta", []), ("beta", np.array([0.0])), ("beta", np.array([[0]])), ("beta", 0j), ("beta", None),
               ("Beta", 0), ("theta", 0), (0, "beta"), (b"beta", 0), ({"beta": 0}, 0), (None, 0),
               (["beta"], 0), ("alpha", 0), ("alpha", (5, 0)), ("alpha", (0.0, 0.0))]


def _two_values(right):
    """Slips of either of two numbers (dy_dx, dy_dz), and the two swapped."""
    out = [Variant("swapped", right[::-1])]
    for k in range(2):
        for name, slip in SLIPS.items():
            wrong = list(right)
            wrong[k] = slip(right[k])
            variant = Variant(f"{name} in answer {k}", tuple(wrong))
            variant.changed = not _same(right[k], wrong[k])
            out.append(variant)
    return out


def _orders():
    """Wrong answers to exercise 2.4: orders with an edge backwards, nodes missing, twice or unknown, wrong types."""
    order = answers.ORDER
    wrong = {
        "reversed": order[::-1], "the graph's own line order": list(answers.GRAPH), "alphabetical": sorted(order),
        "J first": ["J"] + order[:-1], "a before alpha": ["x", "a", "alpha"] + order[3:],
        "y_hat before b": order[:5] + ["y_hat", "b"] + order[7:],
        "without J": order[:-1], "without the leaves": [v for v in order if answers.GRAPH[v]],
        "x twice": order + ["x"], "everything twice": order + order, "unknown node": order[:2] + ["theta"] + order[2:],
        "J in capitals and lower case": order[:-1] + ["j"], "empty": [], "a string": " ".join(order),
        "numbers": list(range(9)), "None inside": order[:-1] + [None], "a dict": dict.fromkeys(order),
        "a set": set(order), "nested": [order], "Vars": [bp.Var(1.0, name=v) for v in order],
        "a 2-D array": np.array([order]), "bytes": [v.encode() for v in order],
    }
    return [Variant(label, (value,)) for label, value in wrong.items()]


def _shapes():
    """Wrong answers to exercise 10.4: layouts, swapped and reversed dimensions, missing keys, wrong types."""
    right, q = answers.SHAPES, answers.QUANTITIES
    numerator = {k: tuple(q[k[1]]) + tuple(q[k.split("/d")[1]]) for k in right}
    wrong = {"numerator layout": numerator, "every shape reversed": {k: v[::-1] for k, v in right.items()},
             "not a dict": list(right.items()), "empty": {}, "a string": str(right)}
    for key, value in right.items():
        for label, slip in {"reversed": value[::-1], "an extra 1": value + (1,), "floats": tuple(map(float, value)),
                            "a string": str(value), "negative": tuple(-n for n in value) or (-1,), "None": None,
                            "True": True, "nested": (value,), "a zero": value + (0,)}.items():
            wrong[f"{label} in {key!r}"] = {**right, key: slip}
        wrong[f"no {key!r}"] = {k: v for k, v in right.items() if k != key}
    out = [Variant(label, (value,)) for label, value in wrong.items()]
    for variant in out:
        variant.changed = variant.args[0] != right
    return out


def catalogue():
    """{check name: (check, [Variant, ...])} for every exercise check."""
    a = answers
    functions = {
        # name: (solution, parts of its result to slip, number of arguments)
        "chain_rule_1d": (lambda x: 3 * x**2 * math.cos(x**3), (None,), 1),
        "forward_values": (a.forward, ("t", "u1", "v", "w", "u2", "J"), 2),
        "backward_table": (a.backward_table, ("J", "u3", "u2", "u1", "t", "z", "x"), 2),
        "sigmoid_derivative": (a.sigmoid_prime, (None,), 1),
        "tanh_derivative": (a.tanh_prime, (None,), 1),
        "logistic_gradient": (a.grad_theta, (None,), 3),
        "logistic_batch_gradient": (a.grad_theta_batch, (None,), 3),
        "logistic_sgd_step": (a.logistic_sgd_step, (None,), 4),
        "linear_backward": (a.linear_backward, (0, 1), 3),
        "sigmoid_backward": (a.sigmoid_backward, (None,), 2),
        "softmax_ce_backward": (a.softmax_ce_backward, (None,), 2),
        "nn_backward": (a.nn_backward, (0, 1), 5),
        "nn_sgd_step": (a.nn_sgd_step, (0, 1), 5),
        "two_hidden_backward": (a.backward_2hidden, ("beta0", "beta", "b2", "alpha2", "b1", "alpha1"), 4),
        "numerical_gradient": (a.numerical_gradient, (None,), 3),
        "relative_error": (a.relative_error, (None,), 2),
        "least_squares_gradient": (lambda A, x, t: 2 * A.T @ (A @ x - t), (None,), 3),
        "matrix_gradient": (lambda W, x, t: np.outer(W @ x - t, x), (None,), 3),
        "chain_rule_layout": (lambda du_dx, dy_du: du_dx @ dy_du, (None,), 2),
        "nn_forward": (a.nn_forward_softmax, ("x", "a", "z", "b", "y_hat", "J"), 4),
        "sgd_epoch": (a.one_epoch, (0, 1), 7),
        "quiz": (a.quiz_table, ("u1", "u2", "u3", "u4", "u5", "u6", "u7", "y", "dy_dx", "dy_dz"), 2),
        "quadratic_form_gradient": (lambda B, x: (B + B.T) @ x, (None,), 2),
    }
    table = {name: (a.CASES[name][0], function_variants(*spec)) for name, spec in functions.items()}
    for name in ("linear_backward", "nn_backward", "nn_sgd_step", "sgd_epoch"):
        solution = functions[name][0]
        table[name][1].extend([Variant("pair swapped", (lambda *args, s=solution: s(*args)[::-1],)),
                               Variant("a list of three", (lambda *args, s=solution: [*s(*args), 0.0],)),
                               Variant("a dict", (lambda *args, s=solution: dict(enumerate(s(*args))),))])
    table["forward_graph"] = (checks.check_forward_graph, [Variant(k, (f,)) for k, f in _graphs().items()])
    table["topological_order"] = (a.CASES["topological_order"][0], _orders())
    table["derivative_shapes"] = (a.CASES["derivative_shapes"][0], _shapes())
    table["version_a"] = (checks.check_version_a, _version_a_slips())
    table["found_bug"] = (checks.check_found_bug, [Variant(repr(b), b) for b in BUG_ANSWERS])
    table["multivariate_chain_rule"] = (a.CASES["multivariate_chain_rule"][0],
                                        _two_values(a.CASES["multivariate_chain_rule"][1]))
    return table


@functools.lru_cache(maxsize=None)
def outcomes(name):
    """(variant label, CheckResult or the exception that escaped, whether the variant was wrong) for each."""
    check, variants = catalogue()[name]
    rows = []
    for variant in variants:
        try:
            result = check(*variant.args)
        except Exception as err:                 # a traceback from the checker: never allowed
            result = err
        rows.append((variant.label, result, variant.changed))
    return rows


@pytest.mark.parametrize("name", sorted(answers.CASES))
def test_no_wrong_answer_passes_and_the_checker_never_fails(capsys, name):
    problems = []
    for label, result, wrong in outcomes(name):
        if isinstance(result, Exception):
            problems.append(f"{label}: the checker raised {type(result).__name__}: {result}")
        elif wrong and result.status == "pass":
            problems.append(f"{label}: false ✓")
        elif CHECK_FAILED in result.message:
            problems.append(f"{label}: {result.message}")
        elif result.status != "pass" and not result.message.startswith(("✗", "○ not implemented yet")):
            problems.append(f"{label}: {result.message}")
    capsys.readouterr()
    assert not problems, "\n".join(problems)


def test_the_catalogue_has_at_least_300_wrong_answers_across_every_set():
    counts = {name: sum(wrong for _, _, wrong in outcomes(name)) for name in answers.CASES}
    assert min(counts.values()) >= 6, counts
    assert sum(counts.values()) >= 300, counts


# ------------------------------------------------------------ the likely cause, only where it is proven

X, Z = answers.X1, answers.Z1


def _text(check, *args):
    result = check(*args)
    assert result.status == "fail", result.message
    return result.message


def multivariate(*values):
    return _text(functools.partial(checks.check_multivariate_chain_rule, x=X, z=Z), *values)


@pytest.mark.parametrize("case, message", [
    ("dy_dx and dy_dz swapped", lambda: multivariate(*answers.two_paths(X, Z)[1::-1])),
    ("dy_dx rounded", lambda: multivariate(round(answers.two_paths(X, Z)[0]), answers.two_paths(X, Z)[1])),
    ("dy_dx a little off", lambda: multivariate(answers.two_paths(X, Z)[0] * 0.9936, answers.two_paths(X, Z)[1])),
    ("y* ignored", lambda: _text(checks.check_logistic_gradient, lambda t, x, y: F.sigmoid(x @ t) * x)),
    ("σ(−a)", lambda: _text(checks.check_logistic_gradient, lambda t, x, y: (F.sigmoid(-(x @ t)) - y) * x)),
    ("σ(−a) in the batch", lambda: _text(checks.check_logistic_batch_gradient,
                                         lambda t, X, y: X.T @ (F.sigmoid(-(X @ t)) - y) / len(y))),
    ("y* ignored in the step", lambda: _text(checks.check_logistic_sgd_step,
                                             lambda t, x, y, lr: t - lr * F.sigmoid(x @ t) * x)),
    ("wrong topological order", lambda: _text(checks.check_version_a, _version_a_slips()[-6].args[0])),
    ("version A off at one node", lambda: _text(checks.check_version_a, lambda y: (
        answers.backward_version_a(y), setattr(bp.topological_order(y)[0], "grad", 36.0)))),
])
def test_no_constant_factor_is_claimed_without_evidence(case, message):
    text = message()
    assert "constant factor" not in text, text
    if case == "dy_dx and dy_dz swapped":
        assert "Likely cause: dy_dx and dy_dz are swapped" in text


def test_a_constant_factor_shared_by_several_entries_is_named():
    text = _text(checks.check_relative_error, lambda a, n: 3 * answers.relative_error(a, n))
    assert "constant factor of 3 in all 5 nonzero entries" in text
    text = _text(checks.check_least_squares_gradient, lambda A, x, t: 4 * A.T @ (A @ x - t))
    assert "constant factor of 2" in text


def test_the_wrong_answers_of_the_issue_get_a_short_verdict(capsys):
    assert "should be an integer" in _text(checks.check_found_bug, "beta", 0.7)
    assert "complex numbers" in _text(checks.check_sigmoid_derivative, lambda b: answers.sigmoid_prime(b) + 5j)
    assert "should be a number, got an array of shape (1,)" in _text(
        checks.check_version_a, lambda y: (answers.backward_version_a(y), setattr(y, "grad", [1.0])))
    assert "not a regular array" in _text(checks.check_linear_backward, lambda g, x, a: ([[1.0, 2.0], [3.0]], g.T @ x))
    assert "new Var made from a number" in _text(checks.check_forward_graph, _graphs()["v = bp.Var(x.value**2)"])
    assert "no node t = x * z" in _text(checks.check_forward_graph, _graphs()["t = exp(log x + log z)"])
    capsys.readouterr()
