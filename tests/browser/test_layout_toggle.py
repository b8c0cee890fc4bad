"""Notebook 08's numerator/denominator layout toggle in Voilà (as `make demo` serves it), driven by clicks:
every derivative in both layouts shows the kernel's readout, the finite-difference matrix in that layout
(numerator = denominator transposed) and its shape, a new picture per click, and Reset returns to the start."""
from . import checks, dom
from .test_voila_widgets import NOTEBOOKS, stored_widget_views

NOTEBOOK = "08_matrix_calculus"


def test_layout_toggle_in_voila(voila_server, new_page, report):
    page = new_page(1280, 1000)
    page.goto(voila_server.url(f"voila/render/{NOTEBOOK}.ipynb"), timeout=120_000)
    roots = dom.wait_rendered(page, stored_widget_views(NOTEBOOKS / f"{NOTEBOOK}.ipynb"))
    toggles = [root for root in roots if dom.kind_of(root) == "layout"]
    assert len(toggles) == 1, f"{NOTEBOOK}: {len(toggles)} layout toggles on the page"
    result = checks.layout_toggle(toggles[0], f"voila-{NOTEBOOK}-layout-toggle")
    report(f"Voilà {NOTEBOOK} layout toggle: {result}")
