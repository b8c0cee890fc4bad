"""What is verified for each kind of widget, by driving it in the page like a person would.

Each check takes the widget's root locator and the name for its screenshot (and,
where it applies, the oracle or the values the notebook set), asserts, saves the
screenshot and returns a line for build/browser/report.txt.  Wrong numbers fail at
once; a defect that leaves the rest checkable (a control whose value the browser
changed, a result line that disappears) is appended to `problems`, which the test
asserts empty at the end, so one run lists them all.
"""
import re

import numpy as np


from backproplib import data, depth, models, training
from backproplib.panels import NOT_TRAINED
from backproplib.widgets import BackwardStepper

from . import dom, oracles

SIX_DECIMALS = 1.0e-6            # printed with 6 decimals: half a unit in the last place, plus float noise


def assert_numbers(text, expected, what, tolerance=SIX_DECIMALS):
    shown = dom.numbers(text)
    for name, value in expected.items():
        assert name in shown, f"{what}: {name!r} not in the readout {text!r}"
        assert abs(shown[name] - value) <= tolerance, (
            f"{what}: {name} shows {shown[name]}, expected {value:.8f}; readout {text!r}")


def on_grid(value, step):
    """The slider value rounded to its step (a value from a drag or a key press lies on the grid)."""
    snapped = round(round(value / step) * step, 10)
    assert abs(snapped - value) < 1e-9, f"slider value {value} is not on its step grid {step}"
    return snapped


# ----------------------------------------------------------------- x slider over f(x) with tangents

def explorer(root, name, oracle, step=0.01):
    """Keyboard (End, then ArrowLeft ×3) and mouse (a click on the track) on the x slider; after each
    move the printed numbers must be the oracle's at the slider's new x, and the picture must change."""
    x_slider = dom.slider(root, "x")
    first = dom.numbers(dom.readout(root))      # x as the notebook left it, printed to 6 decimals only
    assert_numbers(dom.readout(root), oracle(first["x"]), f"{name} as rendered", tolerance=1e-4)
    moves = [("End key", lambda: dom.press(x_slider, "End")),
             ("ArrowLeft ×3", lambda: dom.press(x_slider, "ArrowLeft", times=3)),
             ("mouse click on the track", lambda: dom.click_track(x_slider, 0.3))]
    seen = []
    for what, action in moves:
        text, redrawn = dom.interact(root, action, f"{name}: {what}")
        x = on_grid(dom.slider_value(x_slider), step)
        assert_numbers(text, oracle(x), f"{name} after {what} (x = {x})")
        assert dom.slider_readout(x_slider) == f"{x:.2f}"
        assert redrawn, f"{name}: the figure did not change after {what}"
        seen.append(x)
    assert seen[1] == round(seen[0] - 3 * step, 10), f"{name}: three ArrowLeft presses went {seen[0]} -> {seen[1]}"
    dom.screenshot(root, name)
    return (f"x moved to {', '.join(f'{x:g}' for x in seen)} (End key, ArrowLeft ×3, mouse click): every "
            f"printed value matches the closed form, the slider readout agrees, the figure redraws")


# ----------------------------------------------------------------- backward pass step by step

def tour_stepper(root, name, last, move, at_last, first_step=True):
    """The tour every stepper test takes: step ▶ to step 1 (if `first_step`), Reset, step ▶ to the last step
    (then `at_last(its readout)`), ◀ back, the step slider's Home and End keys, and a screenshot.
    `move(action, k, what)` does one move and checks the widget at step k afterwards."""
    step_slider = dom.slider(root, "step")

    def click(label):
        return lambda: root.locator(f"button:has-text('{label}')").click()

    if first_step:
        move(click("step ▶"), 1, "step ▶ to step 1")
    move(click("Reset"), 0, "Reset")
    for k in range(1, last + 1):
        move(click("step ▶"), k, f"step ▶ to step {k}")
    at_last(dom.readout(root))
    move(click("◀ back"), last - 1, "◀ back")
    move(lambda: dom.press(step_slider, "Home"), 0, "Home key on the step slider")
    move(lambda: dom.press(step_slider, "End"), last, "End key on the step slider")
    dom.screenshot(root, name)


def stepper(root, name, version, graph=oracles.lecture_graph, layout="columns", final=oracles.lecture_final):
    """Buttons (reset, step ▶ through every visit, ◀ back) and the step slider (Home, End, ArrowLeft);
    each readout must equal the kernel's text for that step (a stepper built here on `graph()`), each step
    must change the picture, and the last step must show the numbers `final()` gives (closed forms)."""
    reference = BackwardStepper(graph(), version=version, layout=layout)
    last = len(reference.steps)

    def text_at(k):
        reference.go(k)
        return reference.text

    expected = [text_at(k) for k in range(last + 1)]
    step_slider = dom.slider(root, "step")

    def check(action, k, what):
        text, redrawn = dom.interact(root, action, f"{name}: {what}")
        assert text == expected[k], f"{name}: after {what} the readout is\n{text}\nexpected\n{expected[k]}"
        assert int(dom.slider_value(step_slider)) == k
        assert redrawn, f"{name}: the picture did not change after {what}"

    expected_last = final()
    tour_stepper(root, name, last, check,
                 lambda text: assert_numbers(text, expected_last, f"{name} at the last step"),
                 first_step=dom.readout(root) == expected[0])   # reset must change something to be seen working
    check(lambda: dom.press(step_slider, "ArrowLeft"), last - 1, "ArrowLeft on the step slider")
    return (f"steps 0–{last} (version {version}) reached by reset, step ▶, ◀ back and the Home, End and "
            f"ArrowLeft keys: every readout equals the kernel's text and every step redraws; at the end "
            + ", ".join(f"{k} = {v:.6f}" for k, v in expected_last.items()) + " (closed form)")


# ----------------------------------------------------------------- logistic regression θ sliders

THETA = ("θ₀ (bias)", "θ₁", "θ₂")


def theta_shown(text):
    match = re.search(r"θ = \(([^)]*)\)", text)
    return [float(v) for v in match.group(1).split(",")]


def check_theta_readout(text, theta, split, what):
    expected = oracles.logistic(theta, split.X_train, split.y_train)
    assert theta_shown(text) == [round(v, 2) for v in theta], f"{what}: θ shown {text!r}, sliders at {theta}"
    assert_numbers(text, {"J": expected["J"]}, what, tolerance=6e-5)
    assert_numbers(text, {"training error": expected["error"]}, what, tolerance=6e-4)
    gradient = [float(v) for v in re.search(r"∇θ J = \(([^)]*)\)", text).group(1).split(",")]
    assert all(abs(g - e) <= 6e-5 for g, e in zip(gradient, expected["gradient"])), (
        f"{what}: ∇θ J shown {gradient}, expected {expected['gradient']}")


def theta_sliders(root, name, problems, split, lr):
    """Mouse clicks on the three θ tracks, then ArrowRight on θ₁; J, ∇θ J and the training error
    printed must match plain NumPy at the sliders' θ.  Then Train
    (see `check_training`); the sliders must follow the trained θ."""
    sliders = [dom.slider(root, label) for label in THETA]
    moves = [(f"mouse click on {THETA[i]}", lambda s=s, f=f: dom.click_track(s, f))
             for i, (s, f) in enumerate(zip(sliders, (0.5, 0.3, 0.65)))]
    moves.append(("ArrowRight on θ₁", lambda: dom.press(sliders[1], "ArrowRight")))
    for what, action in moves:
        text, redrawn = dom.interact(root, action, f"{name}: {what}")
        theta = [on_grid(dom.slider_value(s), 0.05) for s in sliders]
        check_theta_readout(text, theta, split, f"{name} after {what}")
        assert redrawn, f"{name}: the picture did not change after {what}"
    epochs = int(dom.slider_value(dom.slider(root, "epochs")))
    record, final_theta = oracles.sgd_logistic(split, theta, learning_rate(root, name, lr, problems), epochs)
    report = check_training(root, name, problems, record, epochs)
    for s, value in zip(sliders, final_theta):
        assert abs(dom.slider_value(s) - value) <= 0.025 + 1e-9, (
            f"{name}: slider at {dom.slider_value(s)} after training, Algorithm 1 ends at θ = {final_theta}")
    if theta_shown(dom.readout(root)) != [round(v, 2) + 0.0 for v in final_theta]:
        problems.append(f"{name}: after training the readout shows θ = {theta_shown(dom.readout(root))}, "
                        f"not the trained θ = {final_theta.round(4).tolist()} (the sliders' snap to their "
                        f"0.05 step comes back from the browser as a slider move)")
    return f"θ = {theta} by mouse and key: J, ∇θJ, error match NumPy; " + report


# ----------------------------------------------------------------- training

def choice(root, label):
    """The number chosen on a selection slider (its handle's value is an index; the readout beside it
    prints the chosen number in full)."""
    return float(dom.slider_readout(dom.slider(root, label)))


def learning_rate(root, name, expected, problems):
    """γ from its selection slider; a problem if it is not the γ the notebook set."""
    lr = choice(root, "γ")
    if abs(lr - expected) > 1e-9 * expected:
        problems.append(f"{name}: γ is {lr!r} in the browser but the notebook set γ = {expected}, "
                        f"so Train uses another γ")
    return lr


def check_training(root, name, problems, record, epochs):
    """Press Train.  While it runs the progress label must count up through several epochs to the
    last and the picture (the loss curve) must change several times; the final line must give the
    train/test cross-entropy and error of `record` (the oracle's last epoch) and stay on the page."""
    log, status = dom.train(root, epochs)
    counts = dom.epochs_shown(log)
    pictures = len({entry["src"] for entry in log})
    assert len(counts) >= 3 and counts == sorted(counts), f"{name}: progress seen while training: {counts}"
    assert counts[-1] == epochs, f"{name}: the progress stopped at {counts[-1]} of {epochs} epochs"
    assert pictures >= 3, f"{name}: the loss curve was redrawn only {pictures} times"
    final = f"epoch {epochs}/{epochs}"
    summaries = [entry["status"] for entry in log if final in entry["status"]]
    assert summaries, f"{name}: no final line '{final} …' was ever shown; status now {status!r}"
    summary = summaries[-1]
    assert_numbers(summary, {"train J": record["train_cross_entropy"], "test J": record["test_cross_entropy"]},
                   f"{name} final loss", tolerance=6e-5)
    assert_numbers(summary, {"train error": record["train_error"], "test error": record["test_error"]},
                   f"{name} final error", tolerance=6e-4)
    dom.screenshot(root, name)
    if final not in status:
        problems.append(f"{name}: the final line {summary.splitlines()[-1]!r} was shown, then replaced by "
                        f"{status!r}")
    return (f"Train: the progress label counted up through {len(counts)} values to epoch {epochs} and the "
            f"loss-curve picture changed {pictures} times while it ran; "
            f"final train J = {record['train_cross_entropy']:.4f}, test J = {record['test_cross_entropy']:.4f}, "
            f"errors {record['train_error']:.3f}/{record['test_error']:.3f} match Algorithm 1")


def training_panel(root, name, problems, lr, dataset=None, units_key=None, n=200, seed=0):
    """Optionally pick a data set from the dropdown (the picture must change) and move "hidden units"
    by one key press, then Train with whatever the controls show (see `check_training`)."""
    notes = []
    select = root.locator(".widget-dropdown").filter(has_text="data set").locator("select")
    if dataset is not None:
        before = dom.image_src(root)
        select.select_option(dataset)
        dom.wait_change(lambda: dom.image_src(root), before, f"{name}: the picture after choosing {dataset}")
        notes.append(f"data set → {dataset} redraws")
    units_slider = dom.slider(root, "hidden units")
    if units_key is not None:
        before = dom.slider_value(units_slider)
        dom.press(units_slider, units_key)
        dom.wait_change(lambda: dom.slider_value(units_slider), before, f"{name}: hidden units after {units_key}")
        notes.append(f"hidden units {before:.0f} → {dom.slider_value(units_slider):.0f} by {units_key}")
    controls = dict(
        dataset=select.input_value(),
        hidden_layers=int(root.locator(".widget-dropdown").filter(has_text="hidden layers")
                          .locator("select").input_value()),
        units=int(dom.slider_value(units_slider)),
        init_scale=choice(root, "init ±"),
        lr=learning_rate(root, name, lr, problems),
        epochs=int(dom.slider_value(dom.slider(root, "epochs"))))
    record = oracles.sgd_network(**controls, n=n, seed=seed)
    report = check_training(root, name, problems, record, controls["epochs"])
    return "; ".join([*notes, f"controls {controls}", report])


# ----------------------------------------------------------------- numerator / denominator layout toggle

def layout_matrix_shown(text):
    """(rows, cols) from the readout's 'shape r × c' and the numbers of its 'row k:' lines, row by row."""
    rows, cols = (int(v) for v in re.search(r"layout, shape (\d+) × (\d+)", text).groups())
    lines = [line for line in text.splitlines() if line.startswith("row ")]
    return (rows, cols), [list(dom.numbers(line).values()) for line in lines]


def layout_toggle(root, name, problems=None):
    """Click through every derivative and both layouts, one toggle button at a time; after each click the
    readout must be the kernel's text for that choice, its matrix the finite-difference one in that layout
    (so the two layouts are transposes) with the shape 'r × c' it prints, and the picture must change.
    Then Reset must bring back the start state."""
    from backproplib.layout_toggle import LayoutToggle
    reference = LayoutToggle()
    start = dom.readout(root)
    assert start == reference.text, f"{name} opens with\n{start}\nnot the start state\n{reference.text}"
    clicks = [("numerator", "vector by vector", "numerator"), ("scalar by vector", "scalar by vector", "numerator"),
              ("denominator", "scalar by vector", "denominator"), ("vector by scalar", "vector by scalar", "denominator"),
              ("numerator", "vector by scalar", "numerator")]            # (button, kind, layout): all six states
    seen = []
    for button, kind, layout in clicks:
        what = f"{name}: click {button!r}"
        text, redrawn = dom.interact(
            root, lambda: root.locator(f".widget-toggle-buttons button:has-text('{button}')").click(), what)
        assert redrawn, f"{what}: the picture did not change"
        reference.show(kind, layout)
        assert text == reference.text, f"{what}: the readout is\n{text}\nexpected\n{reference.text}"
        expected = oracles.layout_derivative(kind, layout)
        shape, numbers = layout_matrix_shown(text)
        assert shape == expected.shape and np.allclose(numbers, expected, atol=SIX_DECIMALS), (
            f"{what}: shape {shape}, numbers {numbers}; finite differences {expected}")
        seen.append(f"{kind}/{layout} {shape[0]}×{shape[1]}")
    dom.screenshot(root, name)
    text, _ = dom.interact(root, lambda: root.locator("button:has-text('Reset')").click(), f"{name}: Reset")
    assert text == start, f"{name}: after Reset the readout is\n{text}\nnot the start\n{start}"
    return (f"opened on vector by vector/denominator 3×2; clicked to {', '.join(seen)}: each readout equals the "
            f"kernel's, its matrix the finite differences in that layout (numerator = denominator transposed), "
            f"each click redraws; Reset returns to the start")


# ----------------------------------------------------------------- per-layer gradient norms (notebook 09)

def depth_controls(root):
    """(hidden layers, activation, init ±s) as the page shows them."""
    layers = int(dom.slider_value(dom.slider(root, "hidden layers")))
    activation = root.locator(".widget-dropdown").filter(has_text="activation").locator("select").input_value()
    return layers, activation, choice(root, "init ±")


def depth_network(layers, activation, scale, units=8, seed=0):
    return models.MLP(2, [units] * layers, activation=activation, seed=seed, scale=scale)


def check_depth_norms(text, controls, what, n=200, seed=0):
    """The readout's ‖dJ/dW‖ per layer (4 significant digits) must be `depth.layer_gradient_norms` of the
    network the controls describe, on the training half of the moons data."""
    split = data.load_dataset("moons", n=n, seed=seed)
    expected = depth.layer_gradient_norms(depth_network(*controls, seed=seed), split.X_train, split.y_train)
    shown = dom.numbers(text)
    for name, value in expected.items():
        assert name in shown, f"{what}: {name!r} not in the readout {text!r}"
        assert abs(shown[name] - value) <= 6e-5 * value, f"{what}: {name} shows {shown[name]}, expected {value:.6e}"
    assert not set(shown) & {f"alpha{l}" for l in range(len(expected), 12)}, f"{what}: too many layers in {text!r}"
    return expected


def depth_explorer(root, name, problems, lr, epochs, n=200, seed=0):
    """The numbers as rendered; the depth slider one step right by keyboard and a click on its track, and
    the activation drop-down: each time the per-layer norms must be the library's for the network shown and
    the bars redrawn.  Then Train (see `check_training`), and a move after it makes the run stale."""
    layers_slider = dom.slider(root, "hidden layers")
    seen = [depth_controls(root)]
    check_depth_norms(dom.readout(root), seen[0], f"{name} as rendered", n, seed)
    moves = [("ArrowRight", lambda: dom.press(layers_slider, "ArrowRight")),
             ("a click on the track", lambda: dom.click_track(layers_slider, 0.1)),
             ("activation → tanh", lambda: root.locator(".widget-dropdown").filter(has_text="activation")
              .locator("select").select_option("tanh"))]
    for what, action in moves:
        text, redrawn = dom.interact(root, action, f"{name}: {what}")
        controls = depth_controls(root)
        check_depth_norms(text, controls, f"{name} after {what} {controls}", n, seed)
        assert redrawn, f"{name}: the bars were not redrawn after {what}"
        seen.append(controls)
    assert seen[1][0] == seen[0][0] + 1, f"{name}: ArrowRight moved the depth {seen[0][0]} -> {seen[1][0]}"
    split = data.load_dataset("moons", n=n, seed=seed)
    record = training.sgd(depth_network(*seen[-1], seed=seed), *split, epochs=epochs, lr=lr)[-1]
    report = check_training(root, name, problems, record, epochs)
    text, _ = dom.interact(root, lambda: dom.press(layers_slider, "ArrowRight"), f"{name}: a move after Train")
    if not text.endswith(NOT_TRAINED):
        problems.append(f"{name}: after training, a depth move left the old run on show: {text!r}")
    return (f"controls {seen}: every ‖dJ/dW‖ shown matches depth.layer_gradient_norms and the bars redraw; "
            f"{report}; a move after it says {NOT_TRAINED!r}")
