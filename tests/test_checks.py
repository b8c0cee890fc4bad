"""Every exercise check can fail: the stub says "not implemented yet", typical wrong answers get
their specific diagnosis, the solution passes; each check returns the CheckResult it printed; and
each checker's right answer agrees with central finite differences (an oracle independent of the
closed forms in backproplib.checks).  The wrong-answer catalogue is in test_checks_catalogue.py."""
import functools
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import backproplib as bp
from backproplib import checks
from backproplib import functional as F
from backproplib.checks import chain_rule, gradcheck, layers, logistic, matrix_calculus, networks, tables, verdict

OK, WRONG, TODO = "✓", "✗", "○ not implemented yet"
STATUS_OF = {OK: "pass", TODO: "todo"}
X1, Z1 = 1.5, -0.7          # a point of the tests' own for exercise 1.2 (the check takes x and z as parameters)


@pytest.fixture(autouse=True)
def lenient(monkeypatch):
    """Strict mode off unless a test turns it on (BACKPROPLIB_STRICT may be set for grading); RESULTS empty."""
    monkeypatch.delenv("BACKPROPLIB_STRICT", raising=False)
    checks.set_strict(None)
    checks.reset_results()
    yield
    checks.set_strict(None)


def run_check(capsys, check, *args, **kwargs):
    """Run a check; return its CheckResult after asserting it printed exactly its message, once."""
    result = check(*args, **kwargs)
    assert isinstance(result, checks.CheckResult) and checks.RESULTS[-1] is result
    assert capsys.readouterr().out == result.message + "\n"
    assert result.status == STATUS_OF.get(result.message[:len(TODO)], STATUS_OF.get(result.message[0], "fail")) \
        or result.status == "error" and result.message.startswith(WRONG)
    assert result.earned == (result.possible if result.status == "pass" else 0.0)
    return result


def verdict_text(capsys, check, *args, **kwargs):
    return run_check(capsys, check, *args, **kwargs).message


def stub(*args):
    raise NotImplementedError("answer")


def fd(f, x, eps=1e-6):
    """Central differences of a scalar f at a float64 array x (not modified)."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def fd_in_place(f, arr, eps=1e-6):
    """Central differences of a zero-argument f that reads `arr` by reference; arr is restored."""
    saved = arr.copy()

    def at(v):
        arr[...] = v
        return f()
    g = fd(at, saved, eps)
    arr[...] = saved
    return g


# ------------------------------------------------------------ student-level solutions

def sigmoid_prime(b):
    s = F.sigmoid(b)
    return s * (1 - s)


def tanh_prime(a):
    return 1 - np.tanh(a) ** 2


def forward(x, z):
    t = x * z
    v = x ** 2
    w = 1 + v
    return {"t": t, "u1": math.sin(t), "v": v, "w": w, "u2": t / w, "J": math.sin(t) + t / w}


def build_graph(x, z, detach=None):
    """The graph of exercise 2.3; detach="u1" or "v" makes that node a new Var from a number (a typical slip)."""
    t = (x * z).named("t")
    u1 = (bp.Var(math.sin(t.value)) if detach == "u1" else bp.sin(t)).named("u1")
    v = (bp.Var(x.value ** 2) if detach == "v" else x ** 2).named("v")
    w = (1 + v).named("w")
    u2 = (t / w).named("u2")
    return (u1 + u2).named("J")


def backward_table(x, z, sum_consumers=True, cos_sign=1.0):
    t = x * z
    u1 = math.sin(t)
    g = {"J": 1.0, "u3": 1.0, "u2": 1.0}
    g["u1"] = g["u2"] * x
    g["t"] = g["u1"] * cos_sign * math.cos(t) + (g["u3"] * 2 * t if sum_consumers else 0.0)
    g["z"] = g["t"] * x
    g["x"] = g["u2"] * u1 + g["t"] * z
    return g


def grad_theta(theta, x, y_star):
    return (F.sigmoid(x @ theta) - y_star) * x


def grad_theta_batch(theta, X, y_star):
    return X.T @ (F.sigmoid(X @ theta) - y_star) / len(y_star)


def logistic_sgd_step(theta, x, y_star, lr):
    return theta - lr * grad_theta(theta, x, y_star)


def linear_backward(g_a, x, alpha):
    return g_a @ alpha, g_a.T @ x


def sigmoid_backward(g_z, z):
    return g_z * z * (1 - z)


def softmax_ce_backward(b, labels):
    e = np.exp(b - b.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1
    return p / len(labels)


def nn_backward(x, y_star, alpha, beta, o, hidden_prime=True, keep_bias=False):
    g_b = o.y_hat - y_star
    g_beta = g_b * o.z
    g_z = g_b * (beta if keep_bias else beta[1:])
    z = o.z if keep_bias else o.z[1:]
    g_a = g_z * z * (1 - z) if hidden_prime else g_z
    return np.outer(g_a, x), g_beta


def nn_sgd_step(x, y_star, alpha, beta, lr, late_beta=False):
    o = bp.models.nn_forward(x, y_star, {"alpha": alpha, "beta": beta})
    g_alpha, g_beta = nn_backward(o.x, y_star, alpha, beta, o)
    new_beta = beta - lr * g_beta
    if late_beta:
        g_alpha, _ = nn_backward(o.x, y_star, alpha, new_beta, o)
    return alpha - lr * g_alpha, new_beta


def backward_2hidden(x, y_star, p, o, layer1_prime=True, transpose=False):
    g_b = o.y_hat - y_star
    g_a2 = g_b * p["beta"] * o.z2 * (1 - o.z2)
    g_z1 = p["alpha2"] @ g_a2
    g_a1 = g_z1 * o.z1 * (1 - o.z1) if layer1_prime else g_z1
    outer = (lambda u, v: np.outer(v, u)) if transpose else np.outer
    return {"beta0": g_b, "beta": g_b * o.z2, "b2": g_a2, "alpha2": outer(o.z1, g_a2),
            "b1": g_a1, "alpha1": outer(x, g_a1)}


def numerical_gradient(f, theta, eps=1e-5, lo=-1, hi=1, divisor=2):
    g = np.zeros_like(theta)
    for i in np.ndindex(theta.shape):
        old = theta[i]
        theta[i] = old + hi * eps
        f_hi = f()
        theta[i] = old + lo * eps
        f_lo = f()
        theta[i] = old
        g[i] = (f_hi - f_lo) / (divisor * eps)
    return g


def numerical_gradient_no_restore(f, theta, eps=1e-5):
    g = np.zeros_like(theta)
    for i in np.ndindex(theta.shape):
        theta[i] += eps
        f_hi = f()
        theta[i] -= 2 * eps
        g[i] = (f_hi - f()) / (2 * eps)
    return g


def relative_error(a, n):
    return np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), np.finfo(float).tiny)


def backward_version_a(y, sum_consumers=True):
    order = bp.topological_order(y)
    consumers = {v: [] for v in order}
    for u in order:
        for slot, v in enumerate(u.inputs):
            consumers[v].append((u, slot))
    for v in reversed(order):
        if v is y:
            v.grad = 1.0
            continue
        v.grad = 0.0
        for u, slot in consumers[v]:
            term = u.op.vjps[slot](u, u.grad)
            v.grad = v.grad + term if sum_consumers else term


def version_a_without_seed(y):
    backward_version_a(y)
    y.grad = 0.0


def found_bug():
    f, params, grads = checks.mystery_gradients()
    worst = {name: relative_error(grads[name], numerical_gradient(f, params[name])) for name in params}
    name = max(worst, key=lambda n: worst[n].max())
    return name, np.unravel_index(np.argmax(worst[name]), worst[name].shape)


GRAPH = {"J": ["y_hat", "y_star"], "z": ["a"], "b": ["beta", "z"], "a": ["alpha", "x"], "y_hat": ["b"],
         "x": [], "alpha": [], "beta": [], "y_star": []}          # the graph of exercise 2.4
ORDER = ["x", "alpha", "a", "z", "beta", "b", "y_hat", "y_star", "J"]


def quiz_table(x, z, skip=None, lecture=False):
    """Exercise 2.5 by hand; skip names a (node, consumer) arrow left out of the backward pass (a slip)."""
    if lecture:
        x, z = 2.0, 3.0
    u1, u2 = x * z, math.log(x)
    u3, u4, u5 = math.exp(u1), u1 / u2, math.sin(u2)
    u6 = u5 / u1
    u7, y = u3 + u4, u3 + u4 + u6
    term = {("u1", "u6"): -u5 / u1**2, ("u1", "u4"): 1 / u2, ("u1", "u3"): u3,
            ("u2", "u5"): math.cos(u2) / u1, ("u2", "u4"): -u1 / u2**2, ("x", "u1"): None, ("x", "u2"): None}
    g_u1 = sum(v for k, v in term.items() if k[0] == "u1" and k != skip)
    g_u2 = sum(v for k, v in term.items() if k[0] == "u2" and k != skip)
    dy_dx = (g_u1 * z if skip != ("x", "u1") else 0.0) + (g_u2 / x if skip != ("x", "u2") else 0.0)
    return {"u1": u1, "u2": u2, "u3": u3, "u4": u4, "u5": u5, "u6": u6, "u7": u7, "y": y,
            "dy_dx": dy_dx, "dy_dz": g_u1 * x}


def nn_forward_softmax(x, y, alpha, beta, slip=None):
    """Exercise 7.1; slip: "no x0", "no z0", "alpha.T", "sigmoid" or "log-likelihood" (typical mistakes)."""
    x1 = x if slip == "no x0" else np.concatenate(([1.0], x))
    a = alpha[:, 1:] @ x if slip == "no x0" else (alpha.T if slip == "alpha.T" else alpha) @ x1
    h = F.sigmoid(a)
    z = h if slip == "no z0" else np.concatenate(([1.0], h))
    b = beta[:, 1:] @ z if slip == "no z0" else beta @ z
    y_hat = F.sigmoid(b) if slip == "sigmoid" else F.softmax(b)
    J = np.sum(y * np.log(y_hat)) * (1 if slip == "log-likelihood" else -1)
    return {"x": x1, "a": a, "z": z, "b": b, "y_hat": y_hat, "J": J}


def one_epoch(X, y, X_test, y_test, alpha, beta, lr, slip=None):
    """Exercise 7.4 on nn_sgd_step; slip: "uphill", "batch", "late beta", "before last update", "running mean"."""
    seen, before_last = [], (alpha, beta)
    if slip == "batch":
        grads = [nn_backward(o.x, y_i, alpha, beta, o) for o, y_i in
                 ((bp.models.nn_forward(x_i, y_i, {"alpha": alpha, "beta": beta}), y_i) for x_i, y_i in zip(X, y))]
        alpha = alpha - lr * np.mean([g[0] for g in grads], axis=0)
        beta = beta - lr * np.mean([g[1] for g in grads], axis=0)
    for x_i, y_i in ([] if slip == "batch" else zip(X, y)):
        before_last = alpha, beta
        seen.append(bp.models.nn_forward(x_i, y_i, {"alpha": alpha, "beta": beta}).J)
        alpha, beta = nn_sgd_step(x_i, y_i, alpha, beta, -lr if slip == "uphill" else lr, late_beta=slip == "late beta")
    if slip == "before last update":
        alpha, beta = before_last

    def mean_J(X, y):
        return np.mean([bp.models.nn_forward(x_i, y_i, {"alpha": alpha, "beta": beta}).J for x_i, y_i in zip(X, y)])
    return (np.mean(seen) if slip == "running mean" else mean_J(X, y)), mean_J(X_test, y_test)


QUANTITIES = {"s": (), "J": (), "x": (3,), "y": (2,), "W": (2, 3)}      # exercise 10.4
SHAPES = {"dJ/dx": (3,), "dJ/dW": (2, 3), "dy/dx": (3, 2), "dy/ds": (2,), "dW/ds": (2, 3), "dy/dW": (2, 3, 2)}


def two_paths(x, z):
    """(dy/dx, dy/dz) for y = u1² + u1·u2, u1 = x·z, u2 = sin(x), and the local derivatives."""
    u1, u2 = x * z, math.sin(x)
    dy_du1, dy_du2 = 2 * u1 + u2, u1
    return dy_du1 * z + dy_du2 * math.cos(x), dy_du1 * x, dy_du1, dy_du2


# ------------------------------------------------------------ the table of cases
# (check, solution args, stub args, [(wrong args, words the diagnosis must contain), ...])

def _sp(expr):
    return lambda b: expr(F.sigmoid(b), b)


_DY_DX, _DY_DZ, _DY_DU1, _DY_DU2 = two_paths(X1, Z1)

CASES = {
    "chain_rule_1d": (checks.check_chain_rule_1d, (lambda x: 3 * x**2 * math.cos(x**3),), (stub,), [
        ((lambda x: math.cos(x**3),), "forgot the inner derivative"),
        ((lambda x: math.cos(3 * x**2),), "*inside* cos"),
        ((lambda x: -3 * x**2 * math.cos(x**3),), "wrong sign"),
    ]),
    "multivariate_chain_rule": (functools.partial(checks.check_multivariate_chain_rule, x=X1, z=Z1),
                                (_DY_DX, _DY_DZ), (None, None), [
        ((_DY_DU1 * Z1, _DY_DZ), "only the path through u1"),
        ((_DY_DU2 * math.cos(X1), _DY_DZ), "only the path through u2"),
        ((_DY_DX, 2 * X1 * Z1 * X1), "2·u1 + u2"),
        ((_DY_DZ, _DY_DX), "swapped"),
    ]),
    "forward_values": (checks.check_forward_values, (forward,), (stub,), [
        ((lambda x, z: {**forward(x, z), "u1": math.sin(math.radians(x * z))},), "radians"),
        ((lambda x, z: {**forward(x, z), "w": x * x},), "the 1 is missing"),
        ((lambda x, z: {k: v for k, v in forward(x, z).items() if k != "J"},), "no entry for 'J'"),
    ]),
    "forward_graph": (checks.check_forward_graph, (build_graph,), (stub,), [
        ((lambda x, z: bp.sin(x * z) + x * z / (1 + x ** 2),), "computed 2 times"),
        ((lambda x, z: bp.sin((x * z).named("t")) + (x * z).named("t") / (1 + x ** 2),), "computed 2 times"),
        ((lambda x, z: (lambda t: bp.sin(t) + t / (1 + x ** 2))((x * z).named("t")),), "no node is named"),
        ((lambda x, z: 1.0,), "should return the Var J"),
        ((lambda x, z: build_graph(x, z, detach="v"),), "new Var made from a number"),
        ((lambda x, z: build_graph(x, z, detach="u1"),), "new Var made from a number"),
        ((lambda x, z: build_graph(bp.Var(x.value), bp.Var(z.value)),), "does not depend on the x and z"),
    ]),
    "topological_order": (functools.partial(checks.check_topological_order, graph=GRAPH), (ORDER,), (None,), [
        ((ORDER[::-1],), "the edge"),
        ((["x", "a", "alpha", "z", "beta", "b", "y_hat", "y_star", "J"],), "the edge alpha → a goes backwards"),
        ((ORDER[:-1],), "'J' is missing"),
        ((ORDER + ["x"],), "'x' appears 2 times"),
        ((ORDER[:2] + ["theta"] + ORDER[2:],), "'theta' is not a node"),
        (("x alpha a z beta b y_hat y_star J",), "should be a list of node names"),
    ]),
    "quiz": (checks.check_quiz, (quiz_table,), (stub,), [
        ((lambda x, z: quiz_table(x, z, lecture=True),), "the lecture's numbers at x = 2, z = 3"),
        ((lambda x, z: quiz_table(x, z, skip=("u1", "u4")),), "the term through u4 is missing"),
        ((lambda x, z: quiz_table(x, z, skip=("u2", "u5")),), "the term through u5 is missing"),
        ((lambda x, z: quiz_table(x, z, skip=("x", "u2")),), "x feeds u1, u2"),
        ((lambda x, z: {**quiz_table(x, z), "u2": math.log10(x)},), "natural logarithm"),
        ((lambda x, z: {**quiz_table(x, z), "dy_dx": quiz_table(x, z)["dy_dz"],
                        "dy_dz": quiz_table(x, z)["dy_dx"]},), "swapped"),
    ]),
    "backward_table": (checks.check_backward_table, (backward_table,), (stub,), [
        ((lambda x, z: backward_table(x, z, sum_consumers=False),), "missing the sum over consumers: t"),
        ((lambda x, z: {**backward_table(x, z), "x": math.sin(x * z)},), "missing the sum over consumers: x"),
        ((lambda x, z: backward_table(x, z, cos_sign=-1.0),), "+cos(t)"),
    ]),
    "sigmoid_derivative": (checks.check_sigmoid_derivative, (sigmoid_prime,), (stub,), [
        ((_sp(lambda s, b: s),), "σ(b) itself"),
        ((_sp(lambda s, b: 1 - s**2),), "tanh pattern"),
        ((_sp(lambda s, b: -s * (1 - s)),), "wrong sign"),
        ((lambda b: np.exp(-b) / (np.exp(-b) + 1) ** 2,), "overflowed"),
    ]),
    "tanh_derivative": (checks.check_tanh_derivative, (tanh_prime,), (stub,), [
        ((lambda a: 1 - np.tanh(a),), "forgot the square"),
        ((lambda a: 2 * F.sigmoid(2 * a) * (1 - F.sigmoid(2 * a)),), "factor of 2"),
        ((lambda a: np.tanh(a) * (1 - np.tanh(a)),), "sigmoid's pattern"),
        ((lambda a: 4 * np.exp(2 * a) / (np.exp(2 * a) + 1) ** 2,), "overflowed"),
    ]),
    "logistic_gradient": (checks.check_logistic_gradient, (grad_theta,), (stub,), [
        ((lambda t, x, y: -grad_theta(t, x, y),), "log-likelihood"),
        ((lambda t, x, y: grad_theta(t, x, y) / (F.sigmoid(x @ t) * (1 - F.sigmoid(x @ t))),), "forgot σ′"),
        ((lambda t, x, y: grad_theta(t, x, y) * F.sigmoid(x @ t) * (1 - F.sigmoid(x @ t)),), "again"),
        ((lambda t, x, y: F.sigmoid(x @ t) - y,), "should be an array of shape (4,)"),
    ]),
    "logistic_batch_gradient": (checks.check_logistic_batch_gradient, (grad_theta_batch,), (stub,), [
        ((lambda t, X, y: len(y) * grad_theta_batch(t, X, y),), "instead of averaging"),
        ((lambda t, X, y: -grad_theta_batch(t, X, y),), "log-likelihood"),
        ((lambda t, X, y: X.T @ (X @ t - y) / len(y),), "used a = θᵀx"),
    ]),
    "logistic_sgd_step": (checks.check_logistic_sgd_step, (logistic_sgd_step,), (stub,), [
        ((lambda t, x, y, lr: t + lr * grad_theta(t, x, y),), "moved uphill"),
        ((lambda t, x, y, lr: t - grad_theta(t, x, y),), "learning rate"),
        ((lambda t, x, y, lr: -lr * grad_theta(t, x, y),), "returned the step"),
    ]),
    "linear_backward": (checks.check_linear_backward, (linear_backward,), (stub,), [
        ((lambda g, x, a: (g @ a, x.T @ g),), "numerator-layout"),
        ((lambda g, x, a: (g @ a, g.T @ x / len(x)),), "divided by N"),
        ((lambda g, x, a: (g.T @ x, g @ a),), "swapped"),
        ((lambda g, x, a: g @ a,), "should return a pair"),
    ]),
    "sigmoid_backward": (checks.check_sigmoid_backward, (sigmoid_backward,), (stub,), [
        ((lambda g, z: g,), "forgot σ′"),
        ((lambda g, z: g * F.sigmoid(z) * (1 - F.sigmoid(z)),), "applied σ′ to z"),
        ((lambda g, z: z * (1 - z),), "incoming gradient"),
    ]),
    "softmax_ce_backward": (checks.check_softmax_ce_backward, (softmax_ce_backward,), (stub,), [
        ((lambda b, y: len(y) * softmax_ce_backward(b, y),), "no 1/N"),
        ((lambda b, y: -softmax_ce_backward(b, y),), "wrong sign"),
        ((lambda b, y: (b - np.eye(3)[y]) / len(y),), "scores b"),
        ((lambda b, y: (F.softmax(b, axis=0) - np.eye(3)[y]) / len(y),), "wrong axis"),
    ]),
    "nn_forward": (checks.check_nn_forward, (nn_forward_softmax,), (stub,), [
        ((lambda *a: nn_forward_softmax(*a, slip="no x0"),), "forgot x₀ = 1"),
        ((lambda *a: nn_forward_softmax(*a, slip="no z0"),), "forgot z₀ = 1"),
        ((lambda *a: nn_forward_softmax(*a, slip="alpha.T"),), "α transposed"),
        ((lambda *a: nn_forward_softmax(*a, slip="sigmoid"),), "applied σ to each b_k"),
        ((lambda *a: nn_forward_softmax(*a, slip="log-likelihood"),), "log-likelihood"),
    ]),
    "nn_backward": (checks.check_nn_backward, (nn_backward,), (stub,), [
        ((lambda *a: nn_backward(*a, hidden_prime=False),), "forgot σ′ at the hidden layer"),
        ((lambda *a: nn_backward(*a, keep_bias=True),), "kept the bias unit"),
        ((lambda *a: (nn_backward(*a)[0].T, nn_backward(*a)[1]),), "transposed"),
        ((lambda *a: tuple(-g for g in nn_backward(*a)),), "log-likelihood"),
    ]),
    "nn_sgd_step": (checks.check_nn_sgd_step, (nn_sgd_step,), (stub,), [
        ((lambda *a: nn_sgd_step(*a, late_beta=True),), "used β after the update"),
        ((lambda x, y, al, be, lr: nn_sgd_step(x, y, al, be, -lr),), "moved uphill"),
        ((lambda x, y, al, be, lr: nn_sgd_step(x, y, al, be, 1.0),), "learning rate"),
    ]),
    "sgd_epoch": (checks.check_sgd_epoch, (one_epoch,), (stub,), [
        ((lambda *a: one_epoch(*a, slip="uphill"),), "moved uphill"),
        ((lambda *a: one_epoch(*a, slip="batch"),), "batch gradient descent"),
        ((lambda *a: one_epoch(*a, slip="late beta"),), "used β after its update"),
        ((lambda *a: one_epoch(*a, slip="before last update"),), "before the epoch's last update"),
        ((lambda *a: one_epoch(*a, slip="running mean"),), "while the parameters were still changing"),
        ((lambda *a: one_epoch(*a)[::-1],), "swapped"),
        ((lambda X, y, Xt, yt, al, be, lr: one_epoch(X[-1:], y[-1:], X, y, al, be, lr)[1:] +
          one_epoch(X[-1:], y[-1:], Xt, yt, al, be, lr)[1:],), "only the last example's update survived"),
    ]),
    "two_hidden_backward": (checks.check_two_hidden_backward, (backward_2hidden,), (stub,), [
        ((lambda *a: backward_2hidden(*a, layer1_prime=False),), "forgot σ′ at layer 1"),
        ((lambda *a: backward_2hidden(*a, transpose=True),), "transposed"),
        ((lambda *a: {k: -v for k, v in backward_2hidden(*a).items()},), "log-likelihood"),
        ((lambda *a: {k: v for k, v in backward_2hidden(*a).items() if k != "b1"},), "no entry for 'b1'"),
    ]),
    "numerical_gradient": (checks.check_numerical_gradient, (numerical_gradient,), (stub,), [
        ((lambda f, t, e: numerical_gradient(f, t, e, lo=0, divisor=1),), "one-sided"),
        ((lambda f, t, e: numerical_gradient(f, t, e, divisor=1),), "instead of 2ε"),
        ((numerical_gradient_no_restore,), "θ was changed"),
        ((lambda f, t, e: numerical_gradient(f, t.copy(), e),), "in place"),
    ]),
    "relative_error": (checks.check_relative_error, (relative_error,), (stub,), [
        ((lambda a, n: np.abs(a - n) / (np.abs(a) + np.abs(n)),), "|a| + |n|"),
        ((lambda a, n: np.abs(a - n) / np.maximum(np.abs(a), np.abs(n)),), "0/0"),
        ((lambda a, n: (a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), 1e-300),), "never negative"),
    ]),
    "found_bug": (checks.check_found_bug, found_bug(), (None, None), [
        (("alpha", (0, 0)), "other one"),
        (("beta", 2), "near 1"),
        (("theta", 0), "'alpha' or 'beta'"),
        (("beta", 0.7), "should be an integer"),
        (("beta", (0, 0)), "has 1 dimension"),
        (("beta", -1), "outside beta"),
    ]),
    "least_squares_gradient": (checks.check_least_squares_gradient, (lambda A, x, t: 2 * A.T @ (A @ x - t),),
                               (stub,), [
        ((lambda A, x, t: A.T @ (A @ x - t),), "factor of 2"),
        ((lambda A, x, t: 2 * A.T @ (t - A @ x),), "wrong sign"),
        ((lambda A, x, t: 2 * A.T @ A @ x,), "target t is missing"),
    ]),
    "matrix_gradient": (checks.check_matrix_gradient, (lambda W, x, t: np.outer(W @ x - t, x),), (stub,), [
        ((lambda W, x, t: np.outer(x, W @ x - t),), "numerator-layout"),
        ((lambda W, x, t: 2 * np.outer(W @ x - t, x),), "½ in J"),
        ((lambda W, x, t: W @ x - t,), "outer product"),
    ]),
    "chain_rule_layout": (checks.check_chain_rule_layout, (lambda du_dx, dy_du: du_dx @ dy_du,), (stub,), [
        ((lambda du_dx, dy_du: dy_du.T @ du_dx.T,), "numerator-layout"),
        ((lambda du_dx, dy_du: 2 * du_dx @ dy_du,), "constant factor of 2"),
    ]),
    "derivative_shapes": (functools.partial(checks.check_derivative_shapes, quantities=QUANTITIES), (SHAPES,),
                          (None,), [
        (({**SHAPES, "dy/dx": (2, 3)},), "numerator layout"),
        (({**SHAPES, "dy/dW": (2, 2, 3)},), "numerator layout"),
        (({**SHAPES, "dJ/dW": (3, 2)},), "dimensions of the denominator are swapped"),
        (({**SHAPES, "dy/dW": (3, 2, 2)},), "dimensions of the denominator are swapped"),
        (({k: v for k, v in SHAPES.items() if k != "dW/ds"},), "no entry for 'dW/ds'"),
        (({**SHAPES, "dy/ds": (2.0,)},), "should be a shape"),
    ]),
    "quadratic_form_gradient": (checks.check_quadratic_form_gradient, (lambda B, x: (B + B.T) @ x,), (stub,), [
        ((lambda B, x: 2 * B @ x,), "2Bx is true only for a symmetric B"),
        ((lambda B, x: 2 * B.T @ x,), "2Bᵀx is true only for a symmetric B"),
        ((lambda B, x: B @ x,), "Bx is the derivative through the first x only"),
        ((lambda B, x: B.T @ x,), "Bᵀx is the derivative through the second x only"),
    ]),
    "version_a": (checks.check_version_a, (backward_version_a,), (stub,), [
        ((lambda y: backward_version_a(y, sum_consumers=False),), "missing the sum over consumers"),
        ((version_a_without_seed,), "initialise dy/dy = 1"),
        ((lambda y: setattr(y, "grad", 1.0),), "has no .grad"),
    ]),
}


def check_name(check):
    return getattr(check, "func", check).__name__


@pytest.mark.parametrize("name", sorted(CASES))
def test_solution_passes(capsys, name):
    check, solution, _, _ = CASES[name]
    result = run_check(capsys, check, *solution)
    assert result.status == "pass" and result.id == check_name(check) and result.earned == 1.0, result.message


@pytest.mark.parametrize("name", sorted(CASES))
def test_stub_is_not_implemented_yet(capsys, name):
    check, _, blank, _ = CASES[name]
    assert run_check(capsys, check, *blank).status == "todo"


@pytest.mark.parametrize("name, k", [(n, k) for n in sorted(CASES) for k in range(len(CASES[n][3]))])
def test_typical_mistake_is_diagnosed(capsys, name, k):
    check, _, _, wrongs = CASES[name]
    args, words = wrongs[k]
    result = run_check(capsys, check, *args)
    assert result.status == "fail" and words in result.message, result.message


def test_every_public_check_has_cases():
    public = {n for n in checks.__all__ if n.startswith("check_") and n not in ("check_value", "check_function")}
    assert public == {check_name(CASES[n][0]) for n in CASES}
    assert all(len(CASES[n][3]) >= 2 for n in CASES)


def test_the_learners_exception_is_a_short_verdict_with_the_learners_line(capsys):
    def buggy(b):
        return undefined_name * b  # noqa: F821
    result = run_check(capsys, checks.check_sigmoid_derivative, buggy)
    assert result.status == "error"
    assert result.message.startswith("✗ buggy raised NameError: name 'undefined_name' is not defined")
    assert "of `buggy`: return undefined_name * b" in result.message and "Traceback" not in result.message
    result = run_check(capsys, checks.check_chain_rule_1d, lambda x: 1 / 0)
    assert result.status == "error" and "ZeroDivisionError" in result.message


def test_a_shape_error_in_nnforward_gets_the_bias_hint(capsys):
    result = run_check(capsys, checks.check_nn_forward, lambda x, y, alpha, beta: {"a": alpha @ x})
    assert result.status == "error" and "alpha @ x" in result.message and "put x₀ = 1 in front of x" in result.message
    result = run_check(capsys, checks.check_nn_forward, lambda x, y, alpha, beta: {}["a"])
    assert result.status == "error" and "Hint" not in result.message


def test_a_check_called_with_wrong_arguments_says_so(capsys):
    result = run_check(capsys, checks.check_multivariate_chain_rule, 1.0, 2.0)
    assert result.status == "error" and "'x'" in result.message


def test_stub_inside_a_called_function_names_that_function(capsys):
    def nn_backward_stub(*args):
        raise NotImplementedError("nn_backward")
    text = verdict_text(capsys, checks.check_nn_sgd_step, lambda *a: nn_backward_stub())
    assert text.startswith(TODO) and "`nn_backward`" in text


def test_missing_return_is_reported(capsys):
    text = verdict_text(capsys, checks.check_tanh_derivative, lambda a: None)
    assert text.startswith(WRONG) and "forget to `return`" in text


def test_diagnosis_names_worst_entry_and_size(capsys):
    text = verdict_text(capsys, checks.check_matrix_gradient,
                        lambda W, x, t: np.outer(W @ x - t, x) + [[0, 0], [0, 0.5], [0, 0]])
    assert "1 of 6 entries are wrong; the worst is entry [1, 1]" in text and "off by 0.5" in text


def test_check_output_is_deterministic(capsys):
    first = verdict_text(capsys, checks.check_nn_backward, lambda *a: nn_backward(*a, hidden_prime=False))
    assert verdict_text(capsys, checks.check_nn_backward, lambda *a: nn_backward(*a, hidden_prime=False)) == first


@settings(max_examples=25, deadline=None)
@given(st.floats(-3, 3), st.floats(-3, 3))
def test_two_paths_check_follows_the_exercises_x_and_z(x, z):
    """The check takes x and z from the exercise: any point works, judged against finite differences."""
    def y(v):
        u1 = v[0] * v[1]
        return u1**2 + u1 * math.sin(v[0])
    dy_dx, dy_dz = fd(y, [x, z])
    assert checks.check_multivariate_chain_rule(*two_paths(x, z)[:2], x=x, z=z).status == "pass"
    assert np.allclose(two_paths(x, z)[:2], (dy_dx, dy_dz), rtol=1e-6, atol=1e-6)
    wrong = checks.check_multivariate_chain_rule(dy_dx + 0.1, dy_dz, x=x, z=z)
    assert wrong.status == "fail" and "Likely cause" not in wrong.message


# ------------------------------------------------------------ the right answers vs finite differences

def test_chain_rule_references_match_finite_differences():
    x = chain_rule.POINTS
    assert np.allclose([fd(lambda v: math.sin(v[()] ** 3), xi) for xi in x], 3 * x**2 * np.cos(x**3))
    r = chain_rule.two_paths(X1, Z1)
    assert np.allclose([r.dy_dx, r.dy_dz], two_paths(X1, Z1)[:2], rtol=1e-12)


def test_table_references_match_finite_differences():
    for x, z in tables.BACKWARD_POINTS:
        rows = {k: v for k, v, _ in tables.backward_rows(x, z)}
        g = fd(lambda v: v[0] * math.sin(v[0] * v[1]) + (v[0] * v[1]) ** 2, [x, z])
        assert np.allclose([rows["x"], rows["z"]], g, rtol=1e-7)
        assert np.isclose(rows["t"], fd(lambda t: x * math.sin(t[()]) + t[()] ** 2, x * z), rtol=1e-7)
    for x, z in tables.FORWARD_POINTS:
        J = lambda v: math.sin(v[0] * v[1]) + v[0] * v[1] / (1 + v[0] ** 2)  # noqa: E731
        assert np.isclose(tables.forward_rows(x, z)[-1][1], J([x, z]))
        assert np.allclose(tables.forward_gradients(x, z), fd(J, [x, z]), rtol=1e-7)


def test_logistic_references_match_finite_differences():
    theta, X, Y = logistic.logistic_data()

    def J(t):
        return np.mean(F.binary_cross_entropy_with_logits(X @ t, Y))
    assert np.allclose(fd(J, theta), grad_theta_batch(theta, X, Y), rtol=1e-6)
    assert np.allclose(fd(lambda t: F.binary_cross_entropy_with_logits(X[0] @ t, Y[0]), theta),
                       grad_theta(theta, X[0], Y[0]), rtol=1e-6)


def test_module_references_match_finite_differences():
    d = layers.module_data()
    g_x, g_alpha = linear_backward(d.g_a, d.x, d.alpha)
    assert np.allclose(fd(lambda a: np.sum(d.g_a * (d.x @ a.T)), d.alpha), g_alpha)
    assert np.allclose(fd(lambda x: np.sum(d.g_a * (x @ d.alpha.T)), d.x), g_x)
    a = np.log(d.z / (1 - d.z))
    assert np.allclose(fd(lambda v: np.sum(d.g_z * F.sigmoid(v)), a), sigmoid_backward(d.g_z, d.z), rtol=1e-6)
    J = lambda b: np.mean(F.softmax_cross_entropy(b, d.labels))  # noqa: E731
    assert np.allclose(fd(J, d.b), softmax_ce_backward(d.b, d.labels), rtol=1e-6)


def test_network_references_match_finite_differences():
    X, Y, alpha, beta = networks.nn_data(**networks.ONE_HIDDEN)
    o = networks.one_hidden(X[0], Y[0], alpha, beta)
    g_alpha, g_beta = networks.nn_backward(o, Y[0], beta)
    assert np.allclose(fd(lambda a: networks.one_hidden(X[0], Y[0], a, beta).J, alpha), g_alpha, rtol=1e-6)
    assert np.allclose(fd(lambda b: networks.one_hidden(X[0], Y[0], alpha, b).J, beta), g_beta, rtol=1e-6)
    X2, Y2, p = networks.two_hidden_data(**networks.TWO_HIDDEN)
    o2 = bp.models.nn_forward(X2[0], Y2[0], p)
    for key, expected, _ in networks.two_hidden_rows(o2, Y2[0], p):
        def J(v, key=key):
            return bp.models.nn_forward(X2[0], Y2[0], {**p, key: v}).J
        assert np.allclose(fd(J, p[key]), expected, rtol=1e-6, atol=1e-9), key


def test_gradcheck_and_matrix_references():
    theta, f, grad = gradcheck.gradcheck_problem()
    assert np.allclose(fd_in_place(f, theta), grad(), rtol=1e-7)
    d = matrix_calculus.matrix_data()
    assert np.allclose(fd(lambda x: np.sum((d.A @ x - d.t) ** 2), d.x), 2 * d.A.T @ (d.A @ d.x - d.t))
    assert np.allclose(fd(lambda W: 0.5 * np.sum((W @ d.x - d.t) ** 2), d.W), np.outer(d.W @ d.x - d.t, d.x))
    # denominator layout: entry [p, n] of ∂y/∂x is ∂y_n/∂x_p; y = V u with u = U x has ∂u/∂x = Uᵀ, ∂y/∂u = Vᵀ
    U, V = d.du_dx.T, d.dy_du.T
    rows = np.array([fd(lambda x, n=n: (V @ U @ x)[n], np.ones(4)) for n in range(2)]).T
    assert np.allclose(rows, d.du_dx @ d.dy_du)


def test_quiz_references_match_the_formula_and_finite_differences():
    def y(v):
        x, z = v
        return math.exp(x * z) + x * z / math.log(x) + math.sin(math.log(x)) / (x * z)
    for x, z in tables.QUIZ_POINTS + (tables.LECTURE_POINT,):
        ref = tables.quiz_by_engine(x, z)
        assert math.isclose(ref["y"], y([x, z]), rel_tol=1e-12)
        assert np.allclose([ref["dy_dx"], ref["dy_dz"]], fd(y, [x, z]), rtol=1e-7)
        assert np.allclose(tables.quiz_by_hand(x, z), [ref["dy_dx"], ref["dy_dz"]], rtol=1e-12)
        assert np.allclose([quiz_table(x, z)[k] for k in ref], list(ref.values()), rtol=1e-12)
    lecture = tables.quiz_by_engine(*tables.LECTURE_POINT)                 # the lecture's answers: 1208 and 810
    assert (round(lecture["dy_dx"]), round(lecture["dy_dz"])) == (1208, 810)


def test_nn_forward_reference_is_the_softmax_network_by_hand():
    X, Y, alpha, beta = networks.softmax_net(**networks.SOFTMAX_NET)
    assert alpha.shape[0] == alpha.shape[1], "α square, so that αᵀx runs and the transpose can be diagnosed"
    for x, y in zip(X, Y):
        rows = {k: v for k, v, _ in networks.nn_forward_rows(x, y, alpha, beta)}
        mine = nn_forward_softmax(x, y, alpha, beta)
        assert all(np.allclose(rows[k], mine[k], rtol=1e-12) for k in rows)
        assert math.isclose(rows["y_hat"].sum(), 1.0) and math.isclose(rows["J"], -math.log(rows["y_hat"][y.argmax()]))


def test_one_epoch_reference_is_per_example_sgd_by_hand():
    X, y, X_test, y_test, alpha, beta = networks.epoch_data(**networks.EPOCH)
    lr = networks.LEARNING_RATE
    model = bp.models.model_from_params({"alpha": alpha.copy(), "beta": beta.copy()})
    row = bp.sgd(model, X, y, X_test, y_test, epochs=1, lr=lr)[0]
    assert np.allclose(one_epoch(X, y, X_test, y_test, alpha, beta, lr),
                       (row["train_cross_entropy"], row["test_cross_entropy"]), rtol=1e-12)
    (a, b), _, slips = networks.epoch_slips(X, y, alpha, beta, lr)
    assert np.allclose(a, model.params["alpha"], rtol=1e-12) and np.allclose(b, model.params["beta"], rtol=1e-12)
    wrong = [networks.mean_J(X, y, *params) for params, _ in slips]
    assert min(abs(v - row["train_cross_entropy"]) for v in wrong) > 1e-4, "each slip gives another number"


def test_quadratic_form_reference_matches_finite_differences_on_non_symmetric_matrices():
    for B, x in matrix_calculus.quadratic_data():
        assert not np.allclose(B, B.T)
        g = fd(lambda v: v @ B @ v, x)
        assert np.allclose(g, (B + B.T) @ x, rtol=1e-7) and not np.allclose(g, 2 * B @ x)


def test_derivative_shapes_are_those_of_central_differences_in_denominator_layout():
    rng = np.random.default_rng(0)

    def derivative_shape(num, den):
        C = rng.normal(size=(int(np.prod(num)), int(np.prod(den))))
        f = lambda v: np.sin(C @ np.ravel(v)).reshape(num)  # noqa: E731
        v = rng.normal(size=den)
        D = np.zeros(den + num)
        for i in np.ndindex(den):
            e = np.zeros(den)
            e[i] = 1e-6
            D[i] = (f(v + e) - f(v - e)) / 2e-6
        return D.shape
    for question in matrix_calculus.SHAPE_QUESTIONS:
        num, den = question[1:].split("/d")
        assert derivative_shape(QUANTITIES[num], QUANTITIES[den]) == SHAPES[question], question


def _valid(order):
    position = {v: i for i, v in enumerate(order)}
    return all(position[u] < position[v] for v in GRAPH for u in GRAPH[v])


@settings(max_examples=60, deadline=None)
@given(st.permutations(ORDER))
def test_any_valid_topological_order_passes_and_an_invalid_one_names_a_backward_edge(order):
    result = checks.check_topological_order(order, graph=GRAPH)
    assert (result.status == "pass") == _valid(order), result.message
    if not _valid(order):
        u, v = re.search(r"the edge (\w+) → (\w+) goes backwards", result.message).groups()
        assert u in GRAPH[v] and order.index(u) > order.index(v)


def test_several_valid_topological_orders_pass(capsys):
    rng = np.random.default_rng(1)
    seen = set()
    for _ in range(20):                          # Kahn's algorithm with random choices among the ready nodes
        order = []
        while len(order) < len(GRAPH):
            ready = sorted(v for v in GRAPH if v not in order and all(u in order for u in GRAPH[v]))
            order.append(ready[rng.integers(len(ready))])
        seen.add(tuple(order))
        assert run_check(capsys, checks.check_topological_order, order, graph=GRAPH).status == "pass"
    assert len(seen) >= 10
    assert run_check(capsys, checks.check_topological_order, tuple(ORDER), graph=GRAPH).status == "pass"
    assert run_check(capsys, checks.check_topological_order, np.array(ORDER), graph=GRAPH).status == "pass"


def test_mystery_bug_is_where_the_check_says():
    f, params, grads = checks.mystery_gradients()
    for name in params:
        numeric = fd_in_place(f, params[name])
        bad = ~np.isclose(grads[name], numeric, rtol=1e-6, atol=1e-9)
        assert [tuple(i) for i in np.argwhere(bad)] == ([gradcheck.BUG[1]] if name == gradcheck.BUG[0] else [])


# ------------------------------------------------------------ the generic diagnosis, on random arrays

_arrays = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=4),
                     elements=st.floats(0.5, 3.0) | st.floats(-3.0, -0.5))


@settings(max_examples=40, deadline=None)
@given(_arrays, st.sampled_from([-1.0, 2.0, 0.5, 5.0, -3.0, 0.9936, 1.7]))
def test_generic_diagnosis_names_sign_and_only_whole_factors(expected, factor):
    verdict.compare("g", expected.copy(), expected)          # right: no verdict raised
    with pytest.raises(verdict.Wrong) as wrong:
        verdict.compare("g", factor * expected, expected)
    text = str(wrong.value)
    named = f"constant factor of {factor:.4g}" in text
    if factor == -1:
        assert "wrong sign" in text
    else:
        assert named == (expected.size >= 2 and factor in (2.0, 0.5, 5.0, -3.0)), text
    assert f"{expected.size} of {expected.size} entries are wrong" in text or expected.size == 1


@settings(max_examples=40, deadline=None)
@given(_arrays, st.data())
def test_worst_entry_is_the_one_changed_most(expected, data):
    idx = data.draw(st.tuples(*[st.integers(0, n - 1) for n in expected.shape]))
    got = expected.copy()
    got[idx] += 10.0
    with pytest.raises(verdict.Wrong, match=re.escape(f"1 of {expected.size} entries are wrong; the worst is "
                                                      f"entry {verdict._index_text(idx)}")):
        verdict.compare("g", got, expected)
