"""Exercise set 11 (stretch): backward Version A, pulling each node's gradient from its consumers."""
from .. import engine
from .tables import node_label
from .verdict import Wrong, call, checker, compare

START = "initialise dy/dy = 1 (step 1 of Version A)"


def version_a_graphs():
    """(name, build) for the lecture example, the quiz, and a graph with heavy reuse."""
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


@checker("Version A backward")
def check_version_a(backward_version_a):
    """backward_version_a(y) must set .grad = dy/d(node) on every node, pulling from each node's consumers."""
    for title, build in version_a_graphs():
        y = build()
        order = engine.backward(y, version="B")
        expected = {node: node.grad for node in order}
        terms = {node: [engine.contribution(u, slot, u.grad) for u, slot in users]
                 for node, users in engine.consumers(order).items()}
        for node in order:
            node.grad = None
        call(backward_version_a, y)
        try:
            for node in reversed(order):          # the output first
                if node.op is engine.CONSTANT:    # a fixed number: its .grad is never used, set or not
                    continue
                if node.grad is None:
                    raise Wrong(f"{node_label(node)} has no .grad; " + (START if node is y else
                                "visit every node of bp.topological_order(y) in reverse and set its .grad"))
                parts = terms[node]
                mistakes = [(c, f"missing the sum over consumers: {node_label(node)} feeds {len(parts)} nodes "
                                "and dy/dv = Σ_i dy/du_i · du_i/dv adds one term for each")
                            for c in parts] if len(parts) > 1 else []
                compare(f"dy/d({node_label(node)})", node.grad, expected[node], mistakes,
                        hint=START if node is y else None, rtol=1e-10)
        except Wrong as wrong:
            raise Wrong(f"on {title}: {wrong}") from None
    return "Version A sets the same gradients as the engine's backward on all three graphs."
