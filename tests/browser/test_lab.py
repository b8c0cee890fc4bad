"""One lecture notebook in JupyterLab, the lecturer's everyday environment: Run → Run All Cells on a
copy (Lab autosaves), then its widgets must render and respond as they do in Voilà."""
import re
from pathlib import Path

import nbformat
from playwright.sync_api import expect

from . import checks, dom, oracles, servers
from .test_voila_widgets import NOTEBOOKS, SPECS

NOTEBOOK = "03_backprop_by_hand"


def fresh_copy(source, folder):
    """The notebook without outputs or saved widget state, so every widget on the page comes from this run."""
    nb = nbformat.read(source, as_version=4)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    target = Path(folder) / source.name
    nbformat.write(nb, target)
    return target


def test_run_all_in_jupyterlab(tmp_path, new_page, report):
    work = tmp_path / "notebooks"
    work.mkdir()
    fresh_copy(NOTEBOOKS / f"{NOTEBOOK}.ipynb", work)
    server = servers.jupyter_lab(work, tmp_path / "jupyter", servers.SCREENSHOTS / "lab.log")
    try:
        page = new_page(1400, 1000)
        page.goto(server.url(f"lab/tree/{NOTEBOOK}.ipynb"), timeout=120_000)
        # the kernel is connected once the status bar names it and says Idle; Run All before that is lost
        ready = page.locator(".jp-StatusBar-Widget", has_text=re.compile(r"Python 3 \(ipykernel\) \| Idle"))
        expect(ready).to_be_visible(timeout=60_000)
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        roots = dom.wait_rendered(page, len(SPECS[NOTEBOOK]), timeout=90)
        expect(page.locator(".jp-InputPrompt", has_text="[*]")).to_have_count(0, timeout=60_000)
        errors = page.locator("[data-mime-type='application/vnd.jupyter.error']")
        assert errors.count() == 0, f"a cell failed in JupyterLab: {errors.first.inner_text()}"
        assert [dom.kind_of(root) for root in roots] == ["tangent", "stepper"]
        roots[0].scroll_into_view_if_needed()
        page.screenshot(path=servers.SCREENSHOTS / f"lab-{NOTEBOOK}-page.png")
        report(f"JupyterLab {NOTEBOOK} (Run All Cells on a fresh copy): both widgets render; widget 0 (tangent): "
               + checks.explorer(roots[0], f"lab-{NOTEBOOK}-0-tangent", oracles.tangent_lecture_J))
        report(f"JupyterLab {NOTEBOOK} widget 1 (stepper): "
               + checks.stepper(roots[1], f"lab-{NOTEBOOK}-1-stepper", version="B"))
    finally:
        server.stop()
