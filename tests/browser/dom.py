"""Reading and driving ipywidgets in a page, the way a person does (keyboard, mouse, clicks).

The package's widgets print their numbers as text ("name = value" pairs, fixed
decimals) in an HTML readout under the figure; `numbers()` reads them back.
"""
import re
import time

from playwright.sync_api import expect

from .servers import SCREENSHOTS

WIDGET_ROOTS = ".jp-OutputArea-output > .jupyter-widgets"  # the top-level view of each displayed widget
BROKEN_TEXTS = ("Error displaying widget", "Loading widget", "Model not found", "Failed to load model")
NUMBER = r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?"

# What each kind of widget looks like on the page, by its controls.
KINDS = {
    "chain_rule": ".widget-html-content pre:has-text('du/dx')",
    "tangent": ".widget-html-content pre:has-text('finite difference')",
    "stepper": "button:has-text('step ▶')",
    "theta": ".widget-slider label:has-text('θ₀')",
    "training": ".widget-dropdown label:has-text('data set')",
    "layout": ".widget-toggle-buttons button:has-text('numerator')",
    "depth": ".widget-html-content pre:has-text('‖dJ/dW‖')",
}


def kind_of(root):
    """The kind of a widget root (first match in KINDS order), or None for an unknown widget."""
    for kind, selector in KINDS.items():
        if root.locator(selector).count():
            return kind
    return None


def wait_rendered(page, expected, timeout=60.0):
    """Wait until `expected` top-level widget views are on the page with their pictures loaded;
    fail if a widget shows an error or is still loading at the end."""
    roots = page.locator(WIDGET_ROOTS)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if roots.count() >= expected and all(images_loaded(roots.nth(i)) for i in range(roots.count())):
            break
        time.sleep(0.1)
    body = page.locator("body").inner_text()
    for text in BROKEN_TEXTS:
        assert text not in body, f"the page shows {text!r}:\n{body[:2000]}"
    assert roots.count() == expected, f"{roots.count()} widgets rendered, the notebook displays {expected}"
    for i in range(expected):
        box = roots.nth(i).bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50, f"widget {i} has no size: {box}"
        assert images_loaded(roots.nth(i)), f"widget {i}: a picture did not load"
    return [roots.nth(i) for i in range(expected)]


def images_loaded(root):
    """True when every <img> of the widget has a decoded picture (naturalWidth > 0)."""
    return root.evaluate("r => [...r.querySelectorAll('img')].every(i => i.complete && i.naturalWidth > 0)")


def readout(root):
    """The text of the widget's readout (its last HTML <pre>); '' while it has none."""
    texts = root.locator(".widget-html-content pre")
    return texts.last.inner_text() if texts.count() else ""


def numbers(text):
    """{'name': value} from 'name = value' pairs separated by two or more spaces or newlines
    (a heading ending in ': ' before a pair is dropped; a later pair of the same name wins)."""
    found = {}
    for chunk in re.split(r"\s{2,}|\n", text):
        match = re.fullmatch(rf"\s*(?:[^=]*:\s+)?(.+?)\s+=\s+({NUMBER})\s*", chunk)
        if match:
            found[match.group(1)] = float(match.group(2))
    return found


def image_src(root):
    return root.locator("img.widget-image").first.get_attribute("src")


def slider(root, label):
    """The slider whose description is exactly `label`."""
    found = root.locator(".widget-slider").filter(
        has=root.page.locator("label.widget-label", has_text=re.compile(rf"^{re.escape(label)}$")))
    expect(found).to_have_count(1)
    return found


def slider_value(slider_locator):
    """The slider's value as the handle announces it to screen readers (aria-valuetext: the full
    value; aria-valuenow is rounded)."""
    return float(slider_locator.locator(".noUi-handle").get_attribute("aria-valuetext"))


def slider_readout(slider_locator):
    """The value printed beside the slider, with its typographic minus made ASCII."""
    return slider_locator.locator(".widget-readout").inner_text().replace("\u2212", "-")


def press(slider_locator, key, times=1):
    """Focus the slider's handle and press a key (ArrowRight, ArrowLeft, Home, End, PageUp …)."""
    handle = slider_locator.locator(".noUi-handle")
    handle.focus()
    for _ in range(times):
        handle.press(key)


def click_track(slider_locator, fraction):
    """Click the slider's track with the mouse at `fraction` (0 = left end, 1 = right end), or near
    the end away from the handle if the handle sits there (a click on the handle moves nothing)."""
    base = slider_locator.locator(".noUi-base")
    base.scroll_into_view_if_needed()
    box = base.bounding_box()
    handle = slider_locator.locator(".noUi-handle").bounding_box()
    at = (handle["x"] + handle["width"] / 2 - box["x"]) / box["width"]
    if abs(at - fraction) < 0.15:
        fraction = 0.15 if at > 0.5 else 0.85
    base.page.mouse.click(box["x"] + fraction * box["width"], box["y"] + box["height"] / 2)


def wait_change(get, old, what, timeout=15.0):
    """Poll `get()` until it differs from `old`; returns the new value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = get()
        if new != old:
            return new
        time.sleep(0.05)
    raise AssertionError(f"{what} did not change within {timeout} s (still {old!r})")


def settled(get, what, quiet=0.4, timeout=15.0):
    """Poll `get()` until it stays the same for `quiet` seconds (all updates arrived); returns it."""
    deadline = time.monotonic() + timeout
    value, since = get(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        new = get()
        if new != value:
            value, since = new, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return value
    raise AssertionError(f"{what} kept changing for {timeout} s")


def interact(root, action, what):
    """Do `action()`, then wait until the readout has changed and settled; returns (text, picture changed)."""
    text_before, src_before = readout(root), image_src(root)
    action()
    wait_change(lambda: readout(root), text_before, f"{what}: the readout")
    text = settled(lambda: readout(root), f"{what}: the readout")
    return text, image_src(root) != src_before


RECORDER = """(root) => {
    const log = [];
    const read = () => {
        const texts = root.querySelectorAll('.widget-html-content pre');
        return {
            progress: root.querySelector('.widget-hprogress .widget-label')?.textContent ?? null,
            src: root.querySelector('img.widget-image')?.getAttribute('src') ?? null,
            status: texts.length ? texts[texts.length - 1].textContent : '',
        };
    };
    const observer = new MutationObserver(() => {
        const now = read(), last = log[log.length - 1];
        if (!last || ['progress', 'src', 'status'].some(key => last[key] !== now[key]))
            log.push({...now, t: performance.now()});
    });
    observer.observe(root, {subtree: true, childList: true, attributes: true, characterData: true});
    root.__trainingLog = log;
    root.__stopRecording = () => observer.disconnect();
}"""


def epochs_shown(log):
    """The epoch numbers the progress label showed during the last run, in order, each once
    (entries before the count last went down belong to an earlier run)."""
    counts = [int(entry["progress"].split()[1]) for entry in log
              if re.fullmatch(r"epoch \d+", entry["progress"] or "")]
    restart = max((i for i in range(1, len(counts)) if counts[i] < counts[i - 1]), default=0)
    return list(dict.fromkeys(counts[restart:]))


def train(root, epochs, timeout=120.0):
    """Press Train and wait until the progress label has counted to `epochs`, the button is enabled
    again and the page is quiet; returns (log, final status text).

    The log holds every distinct state (progress label, picture, status text)
    the page went through, recorded by a MutationObserver, so fast updates are
    not missed between two polls.
    """
    root.evaluate(RECORDER)
    button = root.locator("button:has-text('Train')")
    button.click()
    deadline = time.monotonic() + timeout
    while True:
        shown = epochs_shown(root.evaluate("r => r.__trainingLog"))
        if len(shown) >= 2 and shown[-1] == epochs and button.is_enabled():
            break
        assert time.monotonic() < deadline, f"training did not finish in {timeout} s; epochs shown: {shown}"
        time.sleep(0.1)
    status = settled(lambda: readout(root), "the status after training")
    log = root.evaluate("r => { r.__stopRecording(); return r.__trainingLog; }")
    return log, status


def screenshot(root, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    root.scroll_into_view_if_needed()
    root.screenshot(path=path)
    return path


def type_value(slider_locator, value):
    """Set a slider by typing `value` into its editable readout and pressing Enter, as a person can."""
    field = slider_locator.locator(".widget-readout")
    field.click()
    field.press("Control+A")
    field.type(str(value))
    field.press("Enter")


def picture(root):
    """The widget's figure as the page shows it (a PNG screenshot of its first <img>)."""
    image = root.locator("img.widget-image").first
    image.scroll_into_view_if_needed()
    return image.screenshot()


def control_values(root):
    """Every slider's value (aria-valuetext) and every drop-down's choice, in page order."""
    return root.evaluate("""r => [
        ...[...r.querySelectorAll('.noUi-handle')].map(h => h.getAttribute('aria-valuetext')),
        ...[...r.querySelectorAll('select')].map(s => s.value)]""")


def font_sizes(page, selector):
    """[(computed font size in CSS px, the element's first 40 characters)] of the visible elements
    matching `selector` that hold text of their own."""
    return page.evaluate("""selector => [...document.querySelectorAll(selector)]
        .filter(e => e.offsetParent !== null && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
        .map(e => [parseFloat(getComputedStyle(e).fontSize), e.textContent.trim().slice(0, 40)])""", selector)


def pixel_density(root):
    """(devicePixelRatio, [(naturalWidth, naturalHeight, clientWidth, clientHeight)] of the widget's
    figures): a sharp figure has natural ≥ client × devicePixelRatio."""
    return root.evaluate("""r => [window.devicePixelRatio, [...r.querySelectorAll('img.widget-image')]
        .map(i => [i.naturalWidth, i.naturalHeight, i.clientWidth, i.clientHeight])]""")
