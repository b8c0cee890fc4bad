"""The backward pass: lecture examples against closed forms, Versions A and B, reuse, the gradient rule, size."""
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import backproplib as bp
from backproplib.engine import CONSTANT

REPO = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ the lecture's examples

def lecture_graph(x_value):
    """J = cos(u), u = u1 + u2, u1 = sin(t), u2 = 3t, t = x², named as on the slide."""
    x = bp.Var(x_value, name="x")
    t = (x ** 2).named("t")
    u1 = bp.sin(t).named("u1")
    u2 = (3 * t).named("u2")
    u = (u1 + u2).named("u")
    return {"x": x, "t": t, "u1": u1, "u2": u2, "u": u, "J": bp.cos(u).named("J")}


@pytest.mark.parametrize("version", ["A", "B"])
@settings(max_examples=25, deadline=None)
@given(x=st.floats(-3.0, 3.0))
def test_simple_example_matches_closed_form(version, x):
    g = lecture_graph(x)
    bp.backward(g["J"], version=version)
    u = math.sin(x * x) + 3 * x * x
    assert g["J"].value == pytest.approx(math.cos(u), rel=1e-12, abs=1e-12)
    dj_du = -math.sin(u)
    assert g["u"].grad == pytest.approx(dj_du, rel=1e-12, abs=1e-12)
    assert g["u1"].grad == g["u2"].grad == g["u"].grad
    assert g["t"].grad == pytest.approx(dj_du * (math.cos(x * x) + 3), rel=1e-12, abs=1e-12)
    assert g["x"].grad == pytest.approx(-math.sin(u) * (2 * x * math.cos(x * x) + 6 * x), rel=1e-12, abs=1e-12)


def test_simple_example_at_x_equals_2():
    g = lecture_graph(2.0)
    g["J"].backward()
    assert g["x"].grad == pytest.approx(9.0991485448, abs=1e-9)


def quiz(version):
    """y = exp(xz) + xz/log(x) + sin(log(x))/(xz) at x = 2, z = 3 (differentiation quiz #1)."""
    x, z = bp.Var(2.0, name="x"), bp.Var(3.0, name="z")
    xz = x * z
    y = bp.exp(xz) + xz / bp.log(x) + bp.sin(bp.log(x)) / xz
    bp.backward(y, version=version)
    return y, x.grad, z.grad


@pytest.mark.parametrize("version", ["A", "B"])
def test_differentiation_quiz_matches_closed_form(version):
    y, dy_dx, dy_dz = quiz(version)
    x, z = 2.0, 3.0
    lx = math.log(x)
    assert y.value == pytest.approx(math.exp(x * z) + x * z / lx + math.sin(lx) / (x * z), rel=1e-15)
    closed_dx = (z * math.exp(x * z) + z / lx - z / lx ** 2
                 + math.cos(lx) / (x * x * z) - math.sin(lx) / (x * x * z))
    closed_dz = x * math.exp(x * z) + x / lx - math.sin(lx) / (x * z * z)
    assert dy_dx == pytest.approx(closed_dx, rel=1e-14)
    assert dy_dz == pytest.approx(closed_dz, rel=1e-14)
    assert (round(dy_dx), round(dy_dz)) == (1208, 810)     # the quiz's rounded answers


# ------------------------------------------------------------------ Version A and Version B

LEAVES = (lambda: bp.Var(0.3), lambda: bp.Var(np.array([[0.5, -1.0, 2.0], [0.1, 0.2, -0.7]])),
          lambda: bp.Var(np.array([1.5, -0.25, 0.75])))

# operations that keep values bounded whatever the program, so no overflow can occur
OPERATIONS = (
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: bp.tanh(a) * b,
    lambda a, b: b / (2.0 + bp.sin(a)),
    lambda a, b: bp.sin(a),
    lambda a, b: bp.sigmoid(a),
    lambda a, b: -a,
    lambda a, b: bp.tanh(a) ** 2,
    lambda a, b: bp.tanh(a.sum()) * b,
)


def random_graph(program):
    """Leaves of shapes (), (2, 3), (3,); each instruction (op, i, j) makes a node from two earlier ones
    (often the same one, or one used many times), so the graph reuses nodes and broadcasts."""
    nodes = [make() for make in LEAVES]
    for op, i, j in program:
        nodes.append(OPERATIONS[op](nodes[i % len(nodes)], nodes[j % len(nodes)]))
    y = nodes[-1].sum()
    for node in nodes[len(LEAVES):-1]:
        y = y + node.mean()
    return y


PROGRAMS = st.lists(st.tuples(st.integers(0, len(OPERATIONS) - 1), st.integers(0, 99), st.integers(0, 99)),
                    min_size=1, max_size=25)


def gradients(y, version):
    order = bp.backward(y, version=version)
    return [np.asarray(node.grad).tobytes() for node in order], order


@settings(max_examples=100, deadline=None)
@given(program=PROGRAMS)
def test_versions_a_and_b_give_bitwise_identical_gradients(program):
    y = random_graph(program)
    grads_b, order = gradients(y, "B")
    grads_a, _ = gradients(y, "A")
    assert grads_a == grads_b
    assert all((node.grad is None) == (node.op is CONSTANT and node is not y) for node in order)   # constants: None


def test_versions_agree_where_the_order_of_additions_matters():
    """x feeds w (visited first) and both inputs of x − x: B adds 1 + k then − k, which rounds
    differently from 1 − k then + k.  Version A must add in B's order to agree to the bit."""
    x = bp.Var(1.0)
    u = x - x
    w = x + 0.0
    y = 0.7e-16 * u + w
    bp.backward(y, version="B")
    from_b = x.grad
    bp.backward(y, version="A")
    assert x.grad == from_b == 0.9999999999999999


@settings(max_examples=15, deadline=None)
@given(program=PROGRAMS)
def test_backward_twice_gives_the_same_gradients(program):
    y = random_graph(program)
    first, _ = gradients(y, "B")
    assert gradients(y, "B")[0] == first
    assert gradients(y, "A")[0] == first


def test_reused_nodes():
    a = bp.Var(1.5)
    b = a + a
    c = b + b
    for version in "AB":
        bp.backward(c, version=version)
        assert (a.grad, b.grad, c.grad) == (4.0, 2.0, 1.0)


def test_gradients_are_set_not_accumulated():
    """The documented rule: each backward sets dy/d(node); nothing from an earlier call remains."""
    x = bp.Var(2.0)
    t = x * x
    y1, y2 = 3 * t, bp.sin(t)
    y1.backward()
    assert x.grad == 12.0
    y2.backward()
    assert x.grad == pytest.approx(math.cos(4.0) * 4.0, rel=1e-15)
    y1.backward()
    assert x.grad == 12.0


def test_backward_returns_a_topological_order():
    g = lecture_graph(2.0)
    order = bp.backward(g["J"])
    position = {node: i for i, node in enumerate(order)}
    assert order[-1] is g["J"] and len(order) == 7      # x, t, u1, the constant 3, u2, u, J
    for node in order:
        assert all(position[v] < position[node] for v in node.inputs)


@settings(max_examples=30, deadline=None)
@given(program=PROGRAMS)
def test_backward_visits_the_public_topological_order_and_leaves_other_nodes_alone(program):
    """backward finds its nodes by marking .grad instead of using a set: the order must be the
    same as topological_order's, no marker may survive, and nodes outside y's graph keep their grad."""
    y = random_graph(program)
    outside = bp.Var(5.0) * 2.0
    outside.backward()
    assert bp.topological_order(y) == bp.backward(y)
    assert all(node.grad is None if node.op is CONSTANT else type(node.grad) in (float, np.ndarray)
               for node in bp.topological_order(y))
    assert outside.grad == 1.0 and outside.inputs[0].grad == 2.0


def test_topological_order_does_not_touch_gradients():
    g = lecture_graph(2.0)
    g["J"].backward()
    before = {name: node.grad for name, node in g.items()}
    bp.topological_order(g["J"])
    assert {name: node.grad for name, node in g.items()} == before


def test_inputs_are_v1_then_v2():
    x, w = bp.Var(1.0), bp.Var(2.0)
    assert x.inputs == () and (x.v1, x.v2) == (None, None)
    assert bp.sin(x).inputs == (x,)
    assert (w - x).inputs == (w, x)
    both = x * x
    assert both.inputs == (x, x) and both.v1 is both.v2 is x
    assert (3.0 * x).inputs[0].op is bp.engine.CONSTANT


def test_an_op_takes_at_most_two_inputs():
    with pytest.raises(ValueError, match="at most two inputs"):
        bp.Op("three", "{0}{1}{2}", None, ("1", None), ("1", None), ("1", None))


def test_explicit_seed_gives_a_vector_jacobian_product():
    x = bp.Var(np.array([1.0, 2.0, 3.0]))
    y = x * x
    y.backward(seed=np.array([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, -6.0])


# ------------------------------------------------------------------ a million nodes

CHAIN = """
import gc, math, resource, time
import backproplib as bp
n = 10**6
start = time.perf_counter()
x = bp.Var(0.5)
u = x
for _ in range(n):
    u = bp.tanh(u)
built = time.perf_counter()
u.backward()
done = time.perf_counter()
value, derivative = 0.5, 1.0                   # the same chain by hand: d tanh(v)/dv = 1 - tanh(v)^2
for _ in range(n):
    value = math.tanh(value)
    derivative *= 1.0 - value * value
assert u.value == value, (u.value, value)
assert abs(x.grad - derivative) <= 1e-9 * abs(derivative), (x.grad, derivative)
assert x.grad > 0
del u, x
gc.collect()
left = sum(isinstance(o, bp.Var) for o in gc.get_objects())
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"build {built - start:.2f} s, backward {done - built:.2f} s, peak {peak:.0f} MB, Vars left {left}")
"""


def test_million_node_chain_backpropagates_and_is_freed():
    """No RecursionError (a recursive pass would exceed Python's limit of ~1000 a thousand times
    over), the right derivative, and freeing the chain does not crash (run in a separate process)."""
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(CHAIN)], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    report = result.stdout.split()
    build, backward, peak, left = float(report[1]), float(report[4]), float(report[7]), int(report[-1])
    print(result.stdout)
    assert left == 0
    assert build + backward < 20.0, result.stdout
    assert peak < 1500, result.stdout
