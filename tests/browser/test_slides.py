"""The offline slide decks of `make slides` and the interactive slides of `make demo-slides`, in headless
Chromium that can reach nothing but 127.0.0.1.

Decks: built as `make slides` builds them (python -m backproplib.slides build; into build/slides, or from
the notebooks in $BACKPROPLIB_SLIDES_FROM into a scratch folder), served by a local HTTP server.  Every
request is recorded: none may leave 127.0.0.1 and none may fail.  Each deck must initialise, and each of
its (sub)slides must show typeset math (no raw `$`, every TeX source with its rendered twin, no MathJax
error), loaded figures and, on a tall slide, a scroll bar rather than cut-off content.

Voilà: notebook 03 under `make demo-slides` (tests/browser/slides_demo.sh): slides render, math is typeset,
the tangent explorer's slider moves its readout, and no request leaves 127.0.0.1.
"""
import functools
import http.client
import http.server
import os
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from backproplib import slides

from . import servers
from .servers import HOST, SCREENSHOTS

ROOT = Path(__file__).resolve().parents[2]
SHOTS = SCREENSHOTS / "slides"
SOURCE = Path(os.environ["BACKPROPLIB_SLIDES_FROM"]) if os.environ.get("BACKPROPLIB_SLIDES_FROM") else None
NOTEBOOKS = (sorted(SOURCE.glob("0[1-9]_*.ipynb")) if SOURCE else slides.lecture_notebooks(ROOT))
SHOT_SIZES = [(1280, 720), (1920, 1080)]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def decks(tmp_path_factory):
    """(base URL, {stem: deck file name}) of freshly built decks served on 127.0.0.1."""
    out = tmp_path_factory.mktemp("decks") if SOURCE else ROOT / "build" / "slides"
    started = time.monotonic()
    built = slides.build_decks(NOTEBOOKS, out, ROOT / "build" / "slides-cache", log=lambda text: None)
    print(f"\nslides: {len(built)} decks built in {time.monotonic() - started:.1f} s")
    handler = functools.partial(_Quiet, directory=str(out))
    server = http.server.ThreadingHTTPServer((HOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{HOST}:{server.server_address[1]}", {deck.name.split(".")[0]: deck.name for deck in built}
    server.shutdown()
    server.server_close()


def watch(context):
    """Record every request (blocked when not for 127.0.0.1), failed request and HTTP error."""
    seen = {"blocked": [], "failed": [], "errors": [], "requests": 0}

    def count(request):
        seen["requests"] += 1

    def failed(request):
        if request.url not in seen["blocked"]:
            seen["failed"].append(f"{request.url} ({request.failure})")

    def response(resp):
        if resp.status >= 400:
            seen["failed"].append(f"{resp.url} (HTTP {resp.status})")

    servers.block_remote(context, seen["blocked"])
    context.on("request", count)
    context.on("requestfailed", failed)
    context.on("response", response)
    return seen


# The state of the current (sub)slide, read in the page.  MathJax 2 keeps each TeX source in a
# <script type="math/tex"> beside its rendering; the visible text is the slide's text without scripts,
# styles and MathJax's own nodes, so a `$` left in it is math that was never typeset.
SLIDE_STATE = """() => {
  const slide = document.querySelector('.reveal .slides section.present section.present')
             || document.querySelector('.reveal .slides section.present');
  const copy = slide.cloneNode(true);
  copy.querySelectorAll('script, style, .MathJax_Preview, .mjx-chtml, .MJX_Assistive_MathML')
      .forEach(node => node.remove());
  const images = [...slide.querySelectorAll('img')];
  return {
    text: copy.textContent,
    tex: slide.querySelectorAll('script[type^="math/tex"]').length,
    typeset: slide.querySelectorAll('.mjx-chtml.MathJax_CHTML').length,
    blank: [...slide.querySelectorAll('.mjx-chtml.MathJax_CHTML')]
             .filter(e => !e.closest('details:not([open])') && e.getBoundingClientRect().width === 0).length,
    mathErrors: slide.querySelectorAll('.MathJax_Error, .mjx-merror').length,
    images: images.length,
    brokenImages: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 60)),
    fragments: slide.querySelectorAll('.fragment').length,
    wide: [...slide.querySelectorAll('pre, table, img, .jupyter-widgets')]
            .filter(e => !e.closest('details:not([open])') && e.scrollWidth > e.clientWidth + 1
                         && e.clientWidth > 0)
            .map(e => e.tagName + ' ' + e.scrollWidth + ' px in ' + e.clientWidth + ': '
                      + e.textContent.trim().slice(0, 40)),
    height: slide.scrollHeight, shown: slide.clientHeight,
    overflowY: getComputedStyle(slide).overflowY,
  };
}"""

LAYOUT = """() => [...document.querySelectorAll('.reveal .slides > section')]
                  .map(s => Math.max(1, s.querySelectorAll(':scope > section').length))"""


def wait_math(page):
    """Until MathJax has worked through its queue (every typeset call queued so far) and the web fonts
    it asked for have loaded (until then Chromium draws the formulas invisible)."""
    page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.isReady", timeout=30_000)
    page.evaluate("() => new Promise(done => MathJax.Hub.Queue(() => done(true)))")
    page.evaluate("() => document.fonts.ready.then(() => true)")


MATH_FONTS = """() => [...document.fonts].filter(f => f.family.startsWith('MJXc-TeX') && f.status === 'loaded')
                                     .map(f => f.family)"""


# every formula of the slide typeset and drawn (MathJax hides a formula while it re-renders it; one in a
# closed <details>, an answer not yet shown, has no box)
TYPESET = """() => { const s = document.querySelector('.reveal .slides section.present section.present')
                             || document.querySelector('.reveal .slides section.present');
                   const shown = [...s.querySelectorAll('.mjx-chtml.MathJax_CHTML')]
                                   .filter(e => !e.closest('details:not([open])'));
                   return s.querySelectorAll('.mjx-chtml.MathJax_CHTML').length
                          >= s.querySelectorAll('script[type^="math/tex"]').length
                          && shown.every(e => e.getBoundingClientRect().width > 0); }"""


def show(page, h, v):
    """Go to (sub)slide h/v and wait until MathJax has re-rendered its formulas (the deck re-renders a
    slide's math on every slide change; on a busy machine that takes a moment)."""
    page.evaluate(f"() => {{ location.hash = '#/{h}/{v}'; }}")
    page.wait_for_function(
        f"""() => {{ const s = document.querySelectorAll('.reveal .slides > section')[{h}];
                     const sub = s.querySelectorAll(':scope > section')[{v}] || s;
                     return sub.classList.contains('present'); }}""")
    wait_math(page)
    try:
        page.wait_for_function(TYPESET, timeout=20_000)
    except PlaywrightTimeout:
        pass                                          # reported by the test, with the counts


def widget_views(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return sum("application/vnd.jupyter.widget-view+json" in output.get("data", {})
               for cell in nb.cells if cell.metadata.get("slideshow", {}).get("slide_type") != "skip"
               for output in cell.get("outputs", []))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_deck_offline(notebook, decks, chromium, report):
    base, names = decks
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1280, "height": 720})
    context.set_default_timeout(30_000)
    seen = watch(context)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{base}/{urllib.parse.quote(names[notebook.stem])}")
        page.wait_for_selector(".reveal.ready", state="attached")
        wait_math(page)
        layout = page.evaluate(LAYOUT)
        problems, totals = [], {"tex": 0, "typeset": 0, "images": 0, "fragments": 0, "tall": 0}
        for h, count in enumerate(layout):
            for v in range(count):
                show(page, h, v)
                state = page.evaluate(SLIDE_STATE)
                where = f"slide {h}/{v}"
                for key in ("tex", "typeset", "images", "fragments"):
                    totals[key] += state[key]
                if "$" in state["text"]:
                    at = state["text"].index("$")
                    problems.append(f"{where}: raw $ in the visible text: …{state['text'][max(0, at - 40):at + 40]!r}…")
                if state["typeset"] < state["tex"] or state["mathErrors"] or state["blank"]:
                    problems.append(f"{where}: {state['tex']} TeX sources, {state['typeset']} typeset, "
                                    f"{state['blank']} not drawn, {state['mathErrors']} MathJax errors")
                if state["wide"]:
                    problems.append(f"{where}: wider than the slide (cut off on the right): {state['wide']}")
                if state["brokenImages"]:
                    problems.append(f"{where}: pictures not loaded: {state['brokenImages']}")
                if state["height"] > state["shown"] + 2:
                    totals["tall"] += 1
                    if state["overflowY"] not in ("auto", "scroll"):
                        problems.append(f"{where}: {state['height']} px of content in {state['shown']} px, "
                                        "no scroll bar: the rest is cut off")
        widgets = widget_views(notebook)
        if widgets:
            page.wait_for_function(f"() => document.querySelectorAll('.jupyter-widgets.widget-container, "
                                   f".jp-OutputArea-output > .jupyter-widgets').length >= {widgets}")
            handle = page.locator(".noUi-handle").first
            if handle.count():                      # keys on a focused slider move the slider, not the deck
                h = page.evaluate("""(el) => [...document.querySelectorAll('.reveal .slides > section')]
                                             .findIndex(s => s.contains(el))""", handle.element_handle())
                show(page, h, 0)
                where = page.evaluate("() => location.hash")
                handle.focus()
                page.keyboard.press("ArrowLeft")
                page.keyboard.press("ArrowRight")
                assert page.evaluate("() => location.hash") == where, "arrow keys on a widget changed the slide"
        if notebook.stem.startswith(("01", "03", "05")):         # a few slides to look at, two screen sizes
            for width, height in SHOT_SIZES:
                page.set_viewport_size({"width": width, "height": height})
                for h in sorted({0, 1, len(layout) // 2, len(layout) - 2}):
                    if 0 <= h < len(layout):
                        show(page, h, 0)
                        page.screenshot(path=SHOTS / f"{notebook.stem}-{h}-{width}x{height}.png")
        assert totals["tex"] > 0, "no math at all in the deck: is MathJax's source still there?"
        fonts = page.evaluate(MATH_FONTS)
        assert fonts, "MathJax's web fonts never loaded: the formulas would show in a fallback font"
        assert not problems, "\n".join(problems)
        assert not seen["blocked"], f"requests for other hosts (blocked): {seen['blocked']}"
        assert not seen["failed"], f"failed requests: {seen['failed']}"
        assert not errors, f"errors in the page: {errors}"
        report(f"slides {notebook.stem}: {len(layout)} slides, {sum(layout)} (sub)slides, "
               f"{totals['fragments']} fragments, {totals['typeset']}/{totals['tex']} formulas typeset, "
               f"{totals['images']} pictures, {widgets} widgets, {totals['tall']} tall slides scrolled, "
               f"{seen['requests']} requests, 0 blocked, 0 failed")
    finally:
        context.close()


SLIDES_DEMO = Path(__file__).with_name("slides_demo.sh")


class _Server(servers.Server):
    """A server that is stopped, not left running, when it does not come up."""

    def _wait_ready(self, path, timeout=60):
        try:
            super()._wait_ready(path, timeout)
        except Exception:
            self.stop()
            raise


@pytest.fixture(scope="module")
def voila_slides():
    """`make demo-slides` (tests/browser/slides_demo.sh) on a free port.  Voilà may not move to another
    port (port_retries=0): on a busy machine the free port can be taken before Voilà binds it, and then
    the server is simply started again on a new one."""
    for attempt in range(3):
        try:
            server = _Server(["sh", str(SLIDES_DEMO), "--no-browser", "--Voila.token={token}",
                              "--show_tracebacks=True", "--Voila.port_retries=0"],
                             cwd=ROOT, log_path=SCREENSHOTS / "voila-slides.log", ready_path="/",
                             env={"VENV": str(Path(servers.sys.prefix)), "PORT": "{port}",
                                  "NOTEBOOKS": str(SOURCE or ROOT / "notebooks")})
            break
        except (RuntimeError, OSError, http.client.HTTPException):
            if attempt == 2:
                raise
    yield server
    server.stop()


def test_voila_reveal_offline(voila_slides, chromium, report):
    """03 under Voilà's reveal template: slides, typeset math, a live widget, nothing from another host."""
    context = chromium.new_context(viewport={"width": 1280, "height": 720})
    context.set_default_timeout(60_000)
    seen = watch(context)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(voila_slides.url("voila/render/03_backprop_by_hand.ipynb"), wait_until="commit")
        page.wait_for_selector(".reveal.ready", state="attached", timeout=120_000)
        page.wait_for_selector("#rendered_cells", state="visible", timeout=120_000)   # Voilà's spinner gone
        page.wait_for_selector("mjx-container", state="attached")
        sections = page.evaluate("() => document.querySelectorAll('.reveal .slides section').length")
        assert sections > 1, "Voilà rendered a single slide"
        layout = page.evaluate(LAYOUT)
        page.screenshot(path=SHOTS / "voila-03-title-1280x720.png")
        # the tangent explorer: find its slide, press → on its slider, its readout must change
        slider = page.locator(".jp-OutputArea-output > .jupyter-widgets").filter(
            has=page.locator(".widget-html-content pre", has_text="finite difference")).first
        h = page.evaluate("""(el) => [...document.querySelectorAll('.reveal .slides > section')]
                                     .findIndex(s => s.contains(el))""", slider.element_handle())
        v = page.evaluate("""([el, h]) => [...document.querySelectorAll('.reveal .slides > section')[h]
                                            .querySelectorAll(':scope > section')].findIndex(s => s.contains(el))""",
                          [slider.element_handle(), h])
        page.evaluate(f"() => {{ location.hash = '#/{h}/{max(v, 0)}'; }}")
        page.wait_for_timeout(500)
        before = slider.locator(".widget-html-content pre").last.inner_text()
        value = slider.locator(".widget-readout").first.inner_text()
        page.screenshot(path=SHOTS / "voila-03-widget-1280x720.png")
        where = page.evaluate("() => location.hash")
        slider.locator(".noUi-handle").first.focus()
        for _ in range(3):
            page.keyboard.press("ArrowLeft")
        # the slider moves in the page, then the kernel answers with a new readout below the figure
        page.wait_for_function("""([el, text]) => el.querySelector('.widget-readout').innerText !== text""",
                               arg=[slider.element_handle(), value])
        page.wait_for_function("""([el, text]) => {
              const pres = el.querySelectorAll('.widget-html-content pre');
              return pres.length && pres[pres.length - 1].innerText !== text; }""",
                               arg=[slider.element_handle(), before], timeout=30_000)
        after = slider.locator(".widget-html-content pre").last.inner_text()
        assert page.evaluate("() => location.hash") == where, "the arrow keys on the slider changed the slide"
        page.screenshot(path=SHOTS / "voila-03-widget-moved-1280x720.png")
        raw = page.evaluate("""() => { const c = document.querySelector('.reveal .slides').cloneNode(true);
                c.querySelectorAll('script, style, mjx-container').forEach(n => n.remove());
                return (c.textContent.match(/\\$/g) || []).length; }""")
        assert raw == 0, f"{raw} raw $ left in the slides' text"
        for h in range(len(layout)):                  # every slide once: slide changes must not throw
            page.evaluate(f"() => {{ location.hash = '#/{h}/0'; }}")
            page.wait_for_timeout(100)
        assert not errors, f"errors in the page: {errors}"
        assert not seen["blocked"], f"requests for other hosts (blocked): {seen['blocked']}"
        assert not seen["failed"], f"failed requests: {seen['failed']}"
        broken = page.locator(".jupyter-widgets-error-widget").count()
        assert not broken, f"{broken} widgets failed to render (Voilà shows its error icon)"
        report(f"slides under Voilà (03): {len(layout)} slides, {sum(layout)} (sub)slides, math typeset, "
               f"slider {value} -> {slider.locator('.widget-readout').first.inner_text()} changed the kernel's "
               f"readout ({before.splitlines()[0]!r} -> {after.splitlines()[0]!r}), "
               f"{seen['requests']} requests, 0 blocked, 0 failed")
    finally:
        context.close()
