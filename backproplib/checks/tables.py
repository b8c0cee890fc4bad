"""Exercise sets 02 and 03: the forward table (as values and as a graph), a topological order, the lecture's
quiz at another point, and the backward table."""
import math

import numpy as np

from .. import engine
from .verdict import Wrong, call, checker, compare, compare_rows, describe, given, learner_does

FORWARD_POINTS = ((2.0, 3.0), (-0.5, 1.2))        # (x, z) where forward and build_graph are tried
BACKWARD_POINTS = ((2.0, 3.0), (-0.7, 1.3))       # (x, z) where backward_table is tried

_FORGOT_SUM = ("missing the sum over consumers: {v} is an input of both {u} and {w}, so dJ/d{v} "
               "adds one term per consumer (chain rule: dy/dv = Σ_i dy/du_i · du_i/dv)")


def _points_text(points):
    return " and ".join(f"({x:g}, {z:g})" for x, z in points).replace("-", "−")


# ------------------------------------------------------------- 02 forward table

def forward_rows(x, z):
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


def forward_gradients(x, z):
    """(dJ/dx, dJ/dz) of J = sin(xz) + xz / (1 + x²), by hand."""
    w = 1 + x * x
    return z * math.cos(x * z) + z * (1 - x * x) / w**2, x * math.cos(x * z) + x / w


@checker("the forward table")
def check_forward_values(forward):
    """forward(x, z) -> {"t", "u1", "v", "w", "u2", "J"} for J = sin(xz) + xz / (1 + x²)."""
    for x, z in FORWARD_POINTS:
        compare_rows(f"forward({x:g}, {z:g})", call(forward, x, z), forward_rows(x, z),
                     "Fix this row first: every row below it is computed from it.")
    return f"every row of the forward table is right at (x, z) = {_points_text(FORWARD_POINTS)}."


def node_label(node):
    if node.name:
        return node.name
    if node.op is engine.CONSTANT:
        return f"the constant {node.aux:g}"
    return f"an unnamed {node.op.name if node.op else 'input'} node"


def _judge_graph(build_graph, x0, z0):
    """One call of build_graph on fresh Vars x, z: value, dependence, gradients, the shared product, names."""
    x, z = engine.Var(x0, name="x"), engine.Var(z0, name="z")
    J = call(build_graph, x, z)
    at = f"at (x, z) = ({x0:g}, {z0:g})"
    if not isinstance(J, engine.Var):
        raise Wrong(f"build_graph should return the Var J, got {describe(J)} — build it from "
                    "x and z with Var arithmetic and bp.sin")
    compare(f"J.value {at}", J.value, forward_rows(x0, z0)[-1][1])
    order = learner_does("reading your graph", lambda: engine.topological_order(J))
    cut = [name for name, v in (("x", x), ("z", z)) if all(n is not v for n in order)]
    if cut:
        raise Wrong(f"J does not depend on the {' and '.join(cut)} you were given: build every node from x and z "
                    "with Var operations (x * z, bp.sin, **, +, /), not from new Vars or plain numbers")
    learner_does("backward on your graph", lambda: engine.backward(J))
    numbers = [n for n in order if n.op is None and n is not x and n is not z]     # Vars made from numbers
    try:
        for name, v, right in zip("xz", (x, z), forward_gradients(x0, z0)):
            compare(f"dJ/d{name} from backward on your graph {at}", v.grad, right)
    except Wrong as wrong:
        why = (f"Likely cause: {', '.join(node_label(n) for n in numbers)} is a new Var made from a number "
               f"({describe(numbers[0].value)}), so backward cannot reach x and z through it — build it from "
               "x and z with Var operations." if numbers else
               "Hint: every path from x and z to J must be made of Var operations (bp.sin, not math.sin).")
        raise Wrong(f"{wrong}\n  {why}") from None
    products = [n for n in order if n.op is engine.MUL and {id(v) for v in n.inputs} == {id(x), id(z)}]
    if not products:
        raise Wrong("the graph has no node t = x * z: compute the product of the x and z you were given once, "
                    "as its own node, and use it in u1 and u2")
    if len(products) > 1:
        raise Wrong(f"x·z is computed {len(products)} times. Compute t = x·z once and use t in both "
                    "u1 and u2: backpropagation is efficient only when the forward pass reuses shared "
                    "computation (and the table then shows t with two consumers).")
    uses = sum(v is products[0] for n in order for v in n.inputs)
    if uses < 2:
        raise Wrong(f"t = x·z is used {uses} time{'s' if uses != 1 else ''}; use t in both u1 = sin(t) and "
                    "u2 = t / w")
    missing = sorted({"t", "u1", "v", "w", "u2"} - {n.name for n in order})
    if missing:
        raise Wrong(f"no node is named {', '.join(missing)}: name them like the table, e.g. "
                    "`t = (x * z).named(\"t\")`, so the forward and backward tables are readable.")


@checker("the forward table as a graph")
def check_forward_graph(build_graph):
    """build_graph(x, z) with Vars: J's value and gradients, x and z as its leaves, x·z computed once, nodes named."""
    for x0, z0 in FORWARD_POINTS:
        _judge_graph(build_graph, x0, z0)
    return ("J has the right value and gradients, every node is named, and t = x·z is computed once and "
            "used twice.")


# ------------------------------------------------------------- 03 backward table

def backward_rows(x, z):
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


@checker("the backward table")
def check_backward_table(backward_table):
    """backward_table(x, z) -> adjoints {"J", "u3", "u2", "u1", "t", "z", "x"} of J = x·sin(xz) + (xz)²."""
    for x, z in BACKWARD_POINTS:
        compare_rows(f"backward_table({x:g}, {z:g})", call(backward_table, x, z), backward_rows(x, z),
                     "Fix this row first: the rows below it reuse it.")
    return "every adjoint in the backward table is right, including the sums over consumers at t and x."


# ------------------------------------------------------------- 02 a topological order of a given graph

def _node_list(order):
    if isinstance(order, np.ndarray) and order.ndim == 1:
        order = order.tolist()
    if isinstance(order, str) or not isinstance(order, (list, tuple)):
        raise Wrong(f"order should be a list of node names such as [\"x\", \"t\", …]; got {describe(order)}")
    strange = [v for v in order if not isinstance(v, str)]
    if strange:
        raise Wrong(f"order should hold node names (strings); {describe(strange[0])} is not one")
    return list(order)


@checker("a topological order")
def check_topological_order(order, *, graph):
    """order: every node of `graph` ({node: [the nodes it is computed from]}) once, each after all of its inputs."""
    given(order=order)
    order = _node_list(order)
    nodes = list(graph)
    names = ", ".join(nodes)
    unknown = [v for v in order if v not in graph]
    if unknown:
        raise Wrong(f"{unknown[0]!r} is not a node of the graph; its nodes are {names}")
    twice = sorted({v for v in order if order.count(v) > 1}, key=order.index)
    if twice:
        raise Wrong(f"{twice[0]!r} appears {order.count(twice[0])} times: list each node exactly once")
    missing = [v for v in nodes if v not in order]
    if missing:
        raise Wrong(f"{', '.join(repr(v) for v in missing)} {'is' if len(missing) == 1 else 'are'} missing: list "
                    "every node, the inputs and parameters (nodes with no inputs) too")
    position = {v: i for i, v in enumerate(order)}
    for v in order:
        for u in graph[v]:
            if position[u] > position[v]:
                raise Wrong(f"the edge {u} → {v} goes backwards: {v} is computed from {u}, so {u} must come "
                            f"before {v} (you put {u} at position {position[u] + 1} and {v} at "
                            f"{position[v] + 1})")
    edges = sum(len(inputs) for inputs in graph.values())
    return f"a valid topological order: all {edges} edges go forward, so every node comes after its inputs."


# ------------------------------------------------------------- 02 the lecture's quiz at another point

QUIZ_POINTS = ((1.5, 0.5), (3.0, -0.4))          # (x, z) where quiz_table is tried; the lecture's is (2, 3)
LECTURE_POINT = (2.0, 3.0)


def quiz_by_engine(x0, z0):
    """y = exp(xz) + xz / log x + sin(log x) / (xz) with Vars: {u1..u7, y, dy_dx, dy_dz} by reverse mode."""
    x, z = engine.Var(x0, name="x"), engine.Var(z0, name="z")
    u = {"u1": x * z, "u2": engine.log(x)}
    u["u3"] = engine.exp(u["u1"])
    u["u4"] = u["u1"] / u["u2"]
    u["u5"] = engine.sin(u["u2"])
    u["u6"] = u["u5"] / u["u1"]
    u["u7"] = u["u3"] + u["u4"]
    u["y"] = u["u7"] + u["u6"]
    engine.backward(u["y"])
    return {**{k: v.value for k, v in u.items()}, "dy_dx": x.grad, "dy_dz": z.grad}


def quiz_by_hand(x, z, skip=None):
    """(dy/dx, dy/dz) by the backward table, one += per arrow; skip=(input, consumer) leaves one arrow out."""
    u1, u2 = x * z, math.log(x)
    u3, u5 = math.exp(u1), math.sin(u2)
    local = [("u7", "y", 1.0), ("u6", "y", 1.0), ("u3", "u7", 1.0), ("u4", "u7", 1.0),
             ("u5", "u6", 1 / u1), ("u1", "u6", -u5 / u1**2), ("u2", "u5", math.cos(u2)),
             ("u1", "u4", 1 / u2), ("u2", "u4", -u1 / u2**2), ("u1", "u3", u3),
             ("x", "u2", 1 / x), ("x", "u1", z), ("z", "u1", x)]       # (input, consumer, d consumer / d input)
    g = dict.fromkeys(("y", "u7", "u6", "u5", "u4", "u3", "u2", "u1", "x", "z"), 0.0)
    g["y"] = 1.0
    for v, u, d in local:                                               # consumers in reverse topological order
        if (v, u) != skip:
            g[v] += g[u] * d
    return g["x"], g["z"]


def quiz_rows(x, z):
    """The rows of the quiz's table at (x, z), each with its typical slips."""
    ref, lecture = quiz_by_engine(x, z), quiz_by_engine(*LECTURE_POINT)
    at_lecture = "these are the lecture's numbers at x = 2, z = 3: compute at the x and z the function is given"
    consumers = {"u1": ("u3", "u4", "u6"), "u2": ("u4", "u5"), "x": ("u1", "u2")}
    forgot = {}
    for v, us in consumers.items():
        for u in us:
            g_x, g_z = quiz_by_hand(x, z, skip=(v, u))
            cause = (f"missing the sum over consumers: {v} feeds {', '.join(us)}, so dy/d{v} adds one term per "
                     f"consumer; the term through {u} is missing")
            forgot.setdefault("dy_dx", []).append((g_x, cause))
            if v == "u1":                                               # z reaches y only through u1
                forgot.setdefault("dy_dz", []).append((g_z, cause))
    rows = [(k, ref[k], [(lecture[k], at_lecture)]) for k in ("u1", "u2", "u3", "u4", "u5", "u6", "u7", "y")]
    rows[1][2].append((math.log10(x), "np.log is the natural logarithm, the lecture's log; log10 is not"))
    return rows + [(k, ref[k], [(lecture[k], at_lecture), (ref["dy_dz" if k == "dy_dx" else "dy_dx"],
                                                          "dy_dx and dy_dz are swapped"), *forgot[k]])
                   for k in ("dy_dx", "dy_dz")]


@checker("the quiz at another point")
def check_quiz(quiz_table):
    """quiz_table(x, z) -> {"u1", …, "u7", "y", "dy_dx", "dy_dz"} for the lecture's quiz function."""
    for x, z in QUIZ_POINTS:
        compare_rows(f"quiz_table({x:g}, {z:g})", call(quiz_table, x, z), quiz_rows(x, z),
                     "Fix this row first: the rows below it use it.")
    return (f"every forward value and both derivatives are right at (x, z) = {_points_text(QUIZ_POINTS)}; "
            "u1 and u2 each collected one term per consumer.")
