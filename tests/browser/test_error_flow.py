"""The error-flow picture (error_flow.ErrorFlowExplorer) in notebooks 05 and 06, rendered by Voilà in headless
Chromium and driven like a person would: Reset, step ▶ through every step, ◀ back, the slider's Home and End
keys.  Each readout must be the kernel's text for that step, each step must change the picture, and every
error and gradient the readouts print must equal NNBACKWARD's (and dJ/db = ŷ − y*), computed here in
this process from the notebook's own network.  The time from a click to the new readout is reported.
"""
import time

import numpy as np
import pytest

import backproplib as bp
from backproplib import error_flow, models

from . import dom
from .checks import tour_stepper
from .test_voila_widgets import NOTEBOOKS, stored_widget_views

# The network, example and label each notebook gives its ErrorFlowExplorer (the first widget of both).
FLOWS = {
    "05_one_hidden_layer": lambda: (models.OneHiddenLayerNet(2, 3, seed=0, scale=1.0), np.array([1.0, -0.5]), 1.0),
    "06_two_hidden_layers": lambda: (models.TwoHiddenLayerNet(2, 4, 3, seed=0, scale=1.0), np.array([0.5, -1.0]),
                                     1.0),
}
SIX_DECIMALS = 1.0e-6


def expected_numbers(net, x, y):
    """{'dJ/dθ…': value} for every parameter entry, by NNBACKWARD, named as the readout names them;
    and dJ/db = ŷ − y* from NNFORWARD."""
    o = bp.nn_forward(x, y, net.params)
    grads = bp.nn_backward(x, y, net.params, o)
    flow = error_flow.error_flow(net.params, x, y)          # for the edges' names only
    named = {}
    for r, row in enumerate(flow.rows):
        for i, names in enumerate(row.weight + [row.bias]):
            for k, (param, index) in enumerate(names):
                named[f"dJ/d{error_flow.edge_name(flow, r, i, k)}"] = float(grads[param][index])
    named["dJ/db"] = float(o.y_hat - y)
    return named


def check_error_flow(root, name, problems, notebook):
    """Drive one ErrorFlowExplorer; returns a line for the report.  `problems` is unused: any wrong number
    fails at once."""
    net, x, y = FLOWS[notebook]()
    reference = error_flow.ErrorFlowExplorer(net.params, x, y)
    expected = [step.text for step in reference.steps]
    last = len(expected) - 1
    step_slider = dom.slider(root, "step")
    seen, delays = {}, []

    def check(action, k, what):
        started = time.perf_counter()
        text, redrawn = dom.interact(root, action, f"{name}: {what}")
        delays.append(time.perf_counter() - started)
        assert text == expected[k], f"{name}: after {what} the readout is\n{text}\nexpected\n{expected[k]}"
        assert int(dom.slider_value(step_slider)) == k
        assert redrawn, f"{name}: the picture did not change after {what}"
        seen.update(error_flow.readout_numbers(text))

    assert dom.readout(root) == expected[0], f"{name} does not open at step 0: {dom.readout(root)!r}"
    oracle = expected_numbers(net, x, y)

    def all_shown(_text):
        assert set(oracle) <= set(seen), f"{name}: never shown: {sorted(set(oracle) - set(seen))}"
        wrong = {n: (seen[n], v) for n, v in oracle.items() if abs(seen[n] - v) > SIX_DECIMALS}
        assert not wrong, f"{name}: readout numbers (shown, NNBACKWARD) differ: {wrong}"

    tour_stepper(root, name, last, check, all_shown)
    return (f"steps 0–{last} by Reset, step ▶, ◀ back, Home and End: every readout is the kernel's text, every "
            f"step redraws, and all {len(oracle)} gradients and dJ/db shown equal NNBACKWARD's; click to settled "
            f"readout {min(delays):.2f}–{max(delays):.2f} s (including the 0.4 s the test waits for quiet)")


@pytest.mark.parametrize("notebook", sorted(FLOWS))
def test_error_flow_in_voila(notebook, voila_server, new_page, report):
    page = new_page(1280, 1000)
    page.goto(voila_server.url(f"voila/render/{notebook}.ipynb"), timeout=120_000)
    roots = dom.wait_rendered(page, stored_widget_views(NOTEBOOKS / f"{notebook}.ipynb"), timeout=120)
    start = "step 0 of 4" if notebook.startswith("05") else "step 0 of 6"
    flows = [r for r in roots if dom.readout(r).startswith(start)]   # the module-graph stepper comes first
    assert len(flows) == 1, f"{notebook}: expected one error-flow widget opening at {start!r}"
    root = flows[0]
    started = time.perf_counter()
    before = dom.readout(root)
    root.locator("button:has-text('step ▶')").click()
    dom.wait_change(lambda: dom.readout(root), before, f"{notebook}: the first step")
    first_step = time.perf_counter() - started
    root.locator("button:has-text('Reset')").click()
    dom.wait_change(lambda: dom.readout(root) == before, False, f"{notebook}: Reset back to step 0")
    result = check_error_flow(root, f"error-flow-{notebook}", [], notebook)
    report(f"Voilà {notebook} error flow: {result}; one step ▶, click to new readout: {first_step:.2f} s")
    assert first_step < 2.0, f"{notebook}: a step took {first_step:.2f} s to show"
