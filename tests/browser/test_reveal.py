"""Answers hidden until asked for: a "Predict first" answer (bp.reveal's output, or a markdown <details>) is
closed when the page opens, opens on a click and then shows the answer, with its math rendered — in Voilà
(`make demo`), in JupyterLab (the stored notebook, before any cell runs) and in nbconvert's static HTML."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import expect

from . import servers

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = "01_chain_rule"
CODE_ANSWER = "dy/dx = -1.884521"          # what cell 4's reveal hides
MARKDOWN_ANSWER = "Negative."              # what the markdown answer below it hides
MATH = "mjx-container, .MathJax, .MathJax_Display, .MathJax_Preview, .katex"


def _closed_then_open(page, shot):
    """The first code reveal and the first markdown answer: closed, then opened by a click."""
    code = page.locator("details.bp-reveal").first
    expect(code).to_be_attached(timeout=60_000)
    code.scroll_into_view_if_needed()
    answer = code.locator(".bp-reveal-body")
    assert code.get_attribute("open") is None
    expect(answer).to_be_hidden()
    expect(code.locator("summary")).to_have_text("Show the numbers")
    page.screenshot(path=servers.SCREENSHOTS / f"{shot}-closed.png")
    code.locator("summary").click()
    expect(answer).to_be_visible()
    expect(answer).to_contain_text(CODE_ANSWER)

    markdown = page.locator("details:not(.bp-reveal)").first
    text = markdown.locator(":scope > p", has_text=MARKDOWN_ANSWER)
    expect(text).to_be_attached()
    expect(text).to_be_hidden()
    markdown.locator("summary").click()
    expect(text).to_be_visible()
    page.screenshot(path=servers.SCREENSHOTS / f"{shot}-open.png")
    return markdown


def _math_is_rendered(markdown):
    expect(markdown.locator(MATH).first).to_be_attached(timeout=30_000)
    assert "$" not in markdown.inner_text(), f"raw TeX in an opened answer: {markdown.inner_text()!r}"


def test_reveal_in_voila(voila_server, new_page, report):
    page = new_page(1280, 720)
    page.goto(voila_server.url(f"voila/render/{NOTEBOOK}.ipynb"), timeout=120_000)
    markdown = _closed_then_open(page, f"reveal-voila-{NOTEBOOK}")
    _math_is_rendered(markdown)
    report(f"Voilà {NOTEBOOK}: code and markdown answers closed at first, open on a click, math rendered")


def test_reveal_in_jupyterlab_before_running(tmp_path, new_page, report):
    work = tmp_path / "notebooks"
    work.mkdir()
    shutil.copy(ROOT / "notebooks" / f"{NOTEBOOK}.ipynb", work)
    server = servers.jupyter_lab(work, tmp_path / "jupyter", servers.SCREENSHOTS / "lab-reveal.log")
    try:
        page = new_page(1280, 720)
        page.goto(server.url(f"lab/tree/{NOTEBOOK}.ipynb"), timeout=120_000)
        markdown = _closed_then_open(page, f"reveal-lab-{NOTEBOOK}")
        _math_is_rendered(markdown)
        report(f"JupyterLab {NOTEBOOK} (stored outputs, not run): answers closed, open on a click, math rendered")
    finally:
        server.stop()


def test_reveal_in_static_html(tmp_path, chromium, report):
    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", "--output-dir", str(tmp_path),
                    str(ROOT / "notebooks" / f"{NOTEBOOK}.ipynb")], check=True, capture_output=True)
    page_file = tmp_path / f"{NOTEBOOK}.html"
    context = chromium.new_context(viewport={"width": 1280, "height": 720})
    try:
        # offline: the page's CDN scripts (MathJax, require.js) are refused; details need no script at all
        context.route(re.compile(r"^https?://"), lambda route: route.abort())
        page = context.new_page()
        page.goto(page_file.as_uri())
        _closed_then_open(page, f"reveal-static-{NOTEBOOK}")
        report(f"nbconvert HTML {NOTEBOOK}: answers closed, open on a click (no script needed)")
    finally:
        context.close()
