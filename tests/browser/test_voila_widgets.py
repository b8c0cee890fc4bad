"""Every widget of the lecture notebooks, rendered by Voilà (as `make demo` serves them) in headless
Chromium: it renders, its sliders and buttons move it to the right numbers, Train shows a live curve.

SPECS lists, per notebook and in display order, the kind of each widget and its check. A notebook
whose stored outputs display a widget without a check here fails, so new widgets cannot go untested.
"""
import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from . import checks, dom, oracles
from .test_quiz_stepper import quiz_stepper
from .servers import SCREENSHOTS

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def error_flow_check(notebook):
    """The check of a notebook's ErrorFlowExplorer (tests/browser/test_error_flow.py, imported when it runs)."""
    def check(root, name, problems):
        from .test_error_flow import check_error_flow
        return check_error_flow(root, name, problems, notebook)
    return check


SPECS = {
    "01_chain_rule": [
        ("chain_rule", lambda root, name, problems: checks.explorer(root, name, oracles.chain_rule_sin_of_square)),
    ],
    "02_computation_graphs": [
        ("stepper", lambda root, name, problems: quiz_stepper(root, name)),
    ],
    "03_backprop_by_hand": [
        ("tangent", lambda root, name, problems: checks.explorer(root, name, oracles.tangent_lecture_J)),
        ("stepper", lambda root, name, problems: checks.stepper(root, name, version="B")),
    ],
    "04_logistic_regression": [            # the θ explorer (γ = 0.1), then the panel set up for training
        ("theta", lambda root, name, problems: checks.theta_sliders(root, name, problems, oracles.blobs_split(),
                                                                    lr=0.1)),
        ("theta", lambda root, name, problems: checks.theta_sliders(root, name, problems, oracles.blobs_split(),
                                                                    lr=0.005)),
    ],
    "05_one_hidden_layer": [
        ("stepper", lambda root, name, problems: checks.stepper(         # the module-level graph's stepper
            root, name, "B", oracles.module_graph_05, "chain", oracles.output_error_final((2, 3), [1.0, -0.5]))),
        ("stepper", error_flow_check("05_one_hidden_layer")),     # ErrorFlowExplorer (its step ▶: a stepper)
        ("training", lambda root, name, problems: checks.training_panel(
            root, name, problems, lr=0.5, dataset="moons", units_key="ArrowRight")),
    ],
    "06_two_hidden_layers": [
        ("stepper", lambda root, name, problems: checks.stepper(         # the module-level graph's stepper
            root, name, "B", oracles.module_graph_06, "chain", oracles.output_error_final((2, 4, 3), [0.5, -1.0]))),
        ("stepper", error_flow_check("06_two_hidden_layers")),     # ErrorFlowExplorer (its step ▶: a stepper)
        ("training", lambda root, name, problems: checks.training_panel(root, name, problems, lr=0.5)),
    ],
    "07_reverse_mode_autodiff": [
        ("stepper", lambda root, name, problems: checks.stepper(root, name, version="A")),
    ],
    "08_matrix_calculus": [
        ("layout", checks.layout_toggle),
    ],
    "09_depth_and_activations": [
        ("depth", lambda root, name, problems: checks.depth_explorer(root, name, problems, lr=0.1, epochs=30)),
    ],
}


def stored_widget_views(path):
    """How many widget views the notebook's stored outputs display."""
    cells = json.loads(path.read_text())["cells"]
    return sum(WIDGET_VIEW in output.get("data", {}) for cell in cells for output in cell.get("outputs", []))


LECTURE_NOTEBOOKS = sorted(NOTEBOOKS.glob("0*.ipynb"))
WITH_WIDGETS = [path.stem for path in LECTURE_NOTEBOOKS if stored_widget_views(path)]


def test_every_widget_notebook_has_checks():
    for path in LECTURE_NOTEBOOKS:
        count = stored_widget_views(path)
        spec = SPECS.get(path.stem, [])
        assert len(spec) == count, (f"{path.name} displays {count} widgets but tests/browser has checks for "
                                    f"{len(spec)}: add them to SPECS in {Path(__file__).name}")


def test_demo_home_lists_every_notebook(voila_server, new_page):
    """The page `make demo` opens lists every lecture notebook, each linked to its app view."""
    page = new_page()
    page.goto(voila_server.url("/"))
    for path in LECTURE_NOTEBOOKS:
        link = page.locator(f"a[href^='/voila/render/{path.name}?']")
        expect(link).to_have_count(1)
        expect(link).to_have_text(path.name)
    page.screenshot(path=SCREENSHOTS / "voila-home.png")


@pytest.mark.parametrize("notebook", WITH_WIDGETS)
def test_widgets_in_voila(notebook, voila_server, new_page, report):
    page = new_page()
    page.goto(voila_server.url(f"voila/render/{notebook}.ipynb"), timeout=120_000)
    spec = SPECS[notebook]
    roots = dom.wait_rendered(page, len(spec))
    kinds = [dom.kind_of(root) for root in roots]
    assert kinds == [kind for kind, _ in spec], f"{notebook}: widgets on the page are {kinds}"
    problems = []                          # widget defects that do not stop the other checks
    results = [check(root, f"voila-{notebook}-{i}-{kind}", problems)
               for i, (root, (kind, check)) in enumerate(zip(roots, spec))]
    for i, result in enumerate(results):
        report(f"Voilà {notebook} widget {i} ({kinds[i]}): {result}")
    assert not problems, "widget problems:\n" + "\n".join(problems)
