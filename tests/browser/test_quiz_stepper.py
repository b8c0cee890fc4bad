"""Notebook 02's backward stepper on the differentiation quiz, in Voilà (as `make demo` serves it) in headless
Chromium: stepped with its buttons and its slider's keys, every readout shows the numbers of
`tables.backward_steps` on the quiz's graph (built here, not taken from the widget) — each update's term and
new total, and every adjoint known so far — and the last step shows dy/dx and dy/dz equal to the closed form.
"""
import math

import backproplib as bp
from backproplib import tables

from . import dom
from .checks import assert_numbers, tour_stepper

NOTEBOOK = "02_computation_graphs"


def quiz_graph(x_value=2.0, z_value=3.0):
    """y = exp(xz) + xz/log(x) + sin(log(x))/(xz) as notebook 02 builds and names it."""
    x, z = bp.Var(x_value, name="x"), bp.Var(z_value, name="z")
    u1 = (x * z).named("u1")
    u2 = bp.log(x).named("u2")
    u3 = bp.exp(u1).named("u3")
    u4 = (u1 / u2).named("u4")
    u5 = bp.sin(u2).named("u5")
    u6 = (u5 / u1).named("u6")
    u7 = (u3 + u4).named("u7")
    return (u7 + u6).named("y")


def quiz_derivatives(x, z):
    """(dy/dx, dy/dz) of the quiz's formula, differentiated by hand."""
    log_x = math.log(x)
    dy_dx = (z * math.exp(x * z) + z / log_x - z / log_x**2
             + (math.cos(log_x) - math.sin(log_x)) / (x * x * z))
    dy_dz = x * math.exp(x * z) + x / log_x - math.sin(log_x) / (x * z * z)
    return dy_dx, dy_dz


def assert_step(text, k, steps, what):
    """The readout at step k against steps[k - 1]: heading, one line per update, the adjoints known."""
    head, *updates, known = text.split("\n")
    if k == 0:
        assert head.startswith(f"step 0 of {len(steps)}: forward pass done"), f"{what}: {text!r}"
        assert updates == [], f"{what}: updates shown at step 0: {text!r}"
        assert dom.numbers(known) == {"dy/dy": 1.0}, f"{what}: {known!r}"
        return
    step = steps[k - 1]
    names = step.names
    assert head == f"step {k} of {len(steps)}: visit {step.equation}", f"{what}: heading {head!r}"
    assert len(updates) == len(step.updates), f"{what}: {len(updates)} update lines, expected {len(step.updates)}"
    for line, row in zip(updates, step.updates):
        assert line.strip().startswith(row.text), f"{what}: {line!r} is not {row.text!r}"
        assert_numbers(line, {"term": row.term, f"now dy/d{names[row.target]}": row.total}, what)
    expected = {f"dy/d{names[v]}": g for v, g in step.adjoints.items()}
    assert set(dom.numbers(known)) == set(expected), f"{what}: adjoints shown {known!r}, expected {sorted(expected)}"
    assert_numbers(known, expected, what)


def quiz_stepper(root, name):
    """Reset, step ▶ through every visit, ◀ back, then the slider's Home and End keys; each readout must hold
    the numbers of tables.backward_steps at that step and each move must redraw the graph."""
    steps = list(tables.backward_steps(quiz_graph()))
    last = len(steps)
    step_slider = dom.slider(root, "step")

    def move(action, k, what):
        text, redrawn = dom.interact(root, action, f"{name}: {what}")
        assert_step(text, k, steps, f"{name} after {what}")
        assert int(dom.slider_value(step_slider)) == k, f"{name}: the slider is not at {k} after {what}"
        assert redrawn, f"{name}: the picture did not change after {what}"
        return text

    assert_step(dom.readout(root), 0, steps, f"{name} as rendered")       # the documented start state
    dy_dx, dy_dz = quiz_derivatives(2.0, 3.0)
    tour_stepper(root, name, last, move, lambda text: assert_numbers(
        text.split("\n")[-1], {"dy/dx": dy_dx, "dy/dz": dy_dz}, f"{name} at the last step"))
    return (f"steps 0–{last} reached by Reset, step ▶, ◀ back and the Home and End keys: every readout holds "
            f"tables.backward_steps' terms, totals and adjoints; dy/dx = {dy_dx:.6f}, dy/dz = {dy_dz:.6f} "
            f"at the end (closed form)")


def test_quiz_closed_form_is_independent():
    """The oracle's closed form agrees with central differences of the formula (so it can fail the stepper)."""
    def y(x, z):
        return math.exp(x * z) + x * z / math.log(x) + math.sin(math.log(x)) / (x * z)
    h = 1e-6
    dy_dx, dy_dz = quiz_derivatives(2.0, 3.0)
    assert abs(dy_dx - (y(2 + h, 3) - y(2 - h, 3)) / (2 * h)) < 1e-4 * abs(dy_dx)
    assert abs(dy_dz - (y(2, 3 + h) - y(2, 3 - h)) / (2 * h)) < 1e-4 * abs(dy_dz)
    assert round(dy_dx) == 1208 and round(dy_dz) == 810                  # the quiz's answers


def test_quiz_stepper_in_voila(voila_server, new_page, report):
    page = new_page()
    page.goto(voila_server.url(f"voila/render/{NOTEBOOK}.ipynb"), timeout=120_000)
    (root,) = dom.wait_rendered(page, 1)
    assert dom.kind_of(root) == "stepper"
    report(f"Voilà {NOTEBOOK} quiz stepper: {quiz_stepper(root, f'voila-{NOTEBOOK}-quiz-stepper')}")
