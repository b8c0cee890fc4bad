"""The widgets as a class sees them, in the Voilà apps of `make demo` (issue 12): every app opens in its
widgets' start state, Reset brings it back, the θ sliders respond after Train, and with `make demo PRESENT=1`
the text is at least 20 CSS px and every figure has at least as many pixels as a 2× screen shows.

Screenshots (build/browser/classroom-*.png): the apps at laptop size (1280×720) and on a projector
(1920×1080, presentation mode, device-pixel ratio 2).
"""
import re
import sys

import pytest

from . import dom, oracles, servers
from .conftest import EXPECTED_BLOCKED
from .servers import SCREENSHOTS
from .test_voila_widgets import NOTEBOOKS, WITH_WIDGETS, stored_widget_views

MIN_TEXT_PX = 20
THETA = ("θ₀ (bias)", "θ₁", "θ₂")
# What a person does to change each kind of widget (then Reset must undo it).
MOVES = {
    "chain_rule": lambda root: dom.press(dom.slider(root, "x"), "End"),
    "tangent": lambda root: dom.press(dom.slider(root, "x"), "Home"),
    "stepper": lambda root: root.locator("button:has-text('step ▶')").click(),
    "theta": lambda root: dom.press(dom.slider(root, "θ₁"), "ArrowRight", times=3),
    "layout": lambda root: root.locator(".widget-toggle-buttons button:has-text('numerator')").click(),
    "depth": lambda root: dom.press(dom.slider(root, "hidden layers"), "ArrowRight"),
    "training": lambda root: other_data_set(root.locator(".widget-dropdown").filter(has_text="data set")
                                            .locator("select")),
}


def other_data_set(select):
    """Choose a data set other than the one chosen."""
    select.select_option("xor" if select.input_value() != "xor" else "moons")


@pytest.fixture(scope="module")
def present_server():
    """Voilà as `make demo PRESENT=1` starts it."""
    server = servers.Server(["sh", str(servers.DEMO), "--no-browser", "--Voila.token={token}",
                             "--show_tracebacks=True"], cwd=servers.DEMO.parent,
                            log_path=SCREENSHOTS / "voila-present.log", ready_path="/",
                            env={"VENV": sys.prefix, "PORT": "{port}", "PRESENT": "1"})
    yield server
    server.stop()


@pytest.fixture
def projector_page(chromium):
    """A page of 1920×1080 CSS px at device-pixel ratio 2, no request leaving 127.0.0.1, no page error."""
    context = chromium.new_context(viewport={"width": 1920, "height": 1080}, device_scale_factor=2)
    context.set_default_timeout(30_000)
    blocked, errors = [], []
    servers.block_remote(context, blocked)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not [url for url in blocked if not url.startswith(EXPECTED_BLOCKED)], blocked
    assert not errors, f"uncaught errors in the page: {errors}"


def open_app(page, server, notebook):
    page.goto(server.url(f"voila/render/{notebook}.ipynb"), timeout=180_000)
    roots = dom.wait_rendered(page, stored_widget_views(NOTEBOOKS / f"{notebook}.ipynb"), timeout=120)
    return roots, [dom.kind_of(root) for root in roots]


def shown(root):
    """Everything a widget shows that Reset must restore: readout or status, controls, picture."""
    return dom.readout(root), dom.control_values(root), dom.picture(root)


def act(root, action, what):
    """Do `action()` and wait until the widget's readout or picture has changed and settled."""
    def state():
        return dom.readout(root), dom.image_src(root)
    before = state()
    action()
    dom.wait_change(state, before, what)
    dom.settled(state, what)


# ----------------------------------------------------------------- start state and Reset

@pytest.mark.parametrize("notebook", WITH_WIDGETS)
def test_each_app_opens_in_its_start_state_and_reset_returns_to_it(notebook, voila_server, new_page, report):
    page = new_page(1280, 720)
    roots, kinds = open_app(page, voila_server, notebook)
    page.screenshot(path=SCREENSHOTS / f"classroom-laptop-{notebook}.png")
    for i, (root, kind) in enumerate(zip(roots, kinds)):
        what = f"{notebook} widget {i} ({kind})"
        start = shown(root)
        if kind == "stepper":
            assert start[0].startswith("step 0 of "), f"{what} opens at {start[0].splitlines()[0]!r}, not step 0"
        if kind in ("theta", "training"):
            assert "not trained yet" in start[0], f"{what} opens trained: {start[0]!r}"
        act(root, lambda: MOVES[kind](root), f"{what}: a move")
        act(root, lambda: root.locator("button:has-text('Reset')").click(), f"{what}: Reset")
        after = shown(root)
        assert after[0] == start[0], f"{what}: after Reset the readout is {after[0]!r}, it opened with {start[0]!r}"
        assert after[1] == start[1], f"{what}: after Reset the controls are {after[1]}, they opened at {start[1]}"
        assert after[2] == start[2], f"{what}: after Reset the picture differs from the one it opened with"
        report(f"Voilà {notebook} widget {i} ({kind}): opens in its start state "
               f"({start[0].splitlines()[-1][:60]!r}); a move then Reset restores readout, controls and picture")


# ----------------------------------------------------------------- θ sliders after Train

def theta_in(text):
    return [float(v) for v in re.search(r"θ = \(([^)]*)\)", text).group(1).split(",")]


def test_theta_sliders_respond_after_training(voila_server, new_page, report):
    """Notebook 04's training panel: Train, then the keyboard on θ₀'s handle and a value typed into θ₁'s
    readout each move θ (the other θ keep their trained values) and J is Algorithm 1's θ's, recomputed."""
    page = new_page(1280, 900)
    roots, kinds = open_app(page, voila_server, "04_logistic_regression")
    root = roots[kinds.index("theta", 1)]                              # the panel set up for training
    split = oracles.blobs_split()
    start = [dom.slider_value(dom.slider(root, label)) for label in THETA]
    epochs = int(dom.slider_value(dom.slider(root, "epochs")))
    lr = float(dom.slider_readout(dom.slider(root, "γ")))
    _, trained = oracles.sgd_logistic(split, start, lr, epochs)
    _, status = dom.train(root, epochs)
    assert theta_in(status) == [round(v, 2) + 0.0 for v in trained], status

    def check(theta, what):
        text = dom.settled(lambda: dom.readout(root), what)
        expected = oracles.logistic(theta, split.X_train, split.y_train)
        assert theta_in(text) == [round(v, 2) + 0.0 for v in theta], f"{what}: {text!r}, θ = {theta}"
        assert abs(float(re.search(r"J = (\d+\.\d+)", text).group(1)) - expected["J"]) <= 6e-5, (what, text)
        assert "not trained yet" in text, f"{what}: the status still shows the last run: {text!r}"
        return text

    theta = trained.copy()
    theta_0 = dom.slider(root, THETA[0])
    for key in ("ArrowRight", "ArrowLeft", "ArrowLeft"):            # the second ArrowLeft revisits a value
        dom.interact(root, lambda: dom.press(theta_0, key), f"{key} on θ₀ after Train")
        theta[0] = dom.slider_value(theta_0)
        check(theta, f"{key} on θ₀ after Train")
    theta_1 = dom.slider(root, THETA[1])
    dom.interact(root, lambda: dom.type_value(theta_1, 1.0), "θ₁ typed as 1.0")
    theta[1] = 1.0
    text = check(theta, "θ₁ typed as 1.0")
    assert dom.slider_value(theta_1) == 1.0
    dom.screenshot(root, "classroom-theta-after-train")
    report(f"Voilà 04: after Train (θ = {trained.round(4).tolist()}), ArrowRight/ArrowLeft ×2 on θ₀ and 1.0 "
           f"typed into θ₁ each moved θ, the other θ kept their trained values; J matches NumPy: "
           f"{text.splitlines()[0]}")


# ----------------------------------------------------------------- presentation mode

@pytest.mark.parametrize("notebook", ["03_backprop_by_hand", "05_one_hidden_layer"])
def test_presentation_mode_is_legible_and_sharp(notebook, present_server, projector_page, report):
    page = projector_page
    roots, kinds = open_app(page, present_server, notebook)
    page.screenshot(path=SCREENSHOTS / f"classroom-projector-{notebook}.png")
    for root, kind in zip(roots, kinds):
        dom.screenshot(root, f"classroom-projector-{notebook}-{kind}")
    texts = {
        "readouts and status lines": ".widget-html-content pre",
        "control labels": ".widget-label",
        "slider readouts": ".widget-readout",
        "buttons": "button",
        "notebook text": ".jp-RenderedMarkdown p, .jp-RenderedMarkdown li",
    }
    for what, selector in texts.items():
        sizes = dom.font_sizes(page, selector)
        assert sizes, f"{notebook}: no {what} ({selector}) on the page"
        small = [(size, text) for size, text in sizes if size < MIN_TEXT_PX]
        assert not small, f"{notebook}: {what} under {MIN_TEXT_PX} px: {small[:5]}"
    densities = [dom.pixel_density(root) for root in roots]
    ratio, figures = densities[0][0], [figure for _, found in densities for figure in found]
    assert ratio == 2 and len(figures) == len(roots)
    for natural_w, natural_h, client_w, client_h in figures:
        assert client_w > 0 and natural_w >= client_w * ratio and natural_h >= client_h * ratio, (
            f"{notebook}: a figure of {natural_w}×{natural_h} pixels is shown at {client_w}×{client_h} CSS px "
            f"on a {ratio}× screen")
    report(f"Voilà {notebook} with PRESENT=1 at 1920×1080, DPR 2: readouts, labels, buttons and text ≥ "
           f"{MIN_TEXT_PX} px; figures {[f[:2] for f in figures]} pixels for {[f[2:] for f in figures]} CSS px")
