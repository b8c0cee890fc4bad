"""Notebook 09's DepthExplorer in Voilà (as `make demo` serves it), driven by a person's keys and clicks.

The depth slider moved by ArrowRight and by a click on its track, then the activation drop-down: each time
the readout's ‖dJ/dW‖ per layer must be `depth.layer_gradient_norms` of the network the controls show, and
the bars redrawn.  Train: the progress counts to 30 epochs, the loss curve is redrawn as it goes, and the
final numbers are those of `bp.sgd` on the same network from the same seed; a move after it makes the
run stale.  (The same check runs in test_voila_widgets.py with every other widget; this file runs it alone.)
"""
from . import checks, dom
from .servers import SCREENSHOTS

NOTEBOOK = "09_depth_and_activations"


def test_depth_explorer_in_voila(voila_server, new_page, report):
    page = new_page()
    page.goto(voila_server.url(f"voila/render/{NOTEBOOK}.ipynb"), timeout=120_000)
    (root,) = dom.wait_rendered(page, 1)
    assert dom.kind_of(root) == "depth"
    problems = []
    result = checks.depth_explorer(root, f"voila-{NOTEBOOK}-depth", problems, lr=0.1, epochs=30)
    report(f"Voilà {NOTEBOOK} DepthExplorer: {result}")
    page.screenshot(path=SCREENSHOTS / f"voila-{NOTEBOOK}.png", full_page=True)
    assert not problems, "widget problems:\n" + "\n".join(problems)
