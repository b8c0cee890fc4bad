"""Random sequences of user actions on every widget and panel: after every action, what the widget shows
(its figure's artists, readout, status line, progress, sliders) is the state computed here independently,
from closed forms, `functional` and a direct `training.sgd` run.

Each example starts with Reset, which must bring back the picture and text of the freshly made widget.
"""
import matplotlib

matplotlib.use("Agg")

import functools
import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import backproplib as bp
from backproplib import data, models, tables, training, widgets
from backproplib import functional as F
from backproplib.panels import ThetaSliders, TrainingPanel
from test_panels import browser_snap, oracle_J

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])
SIX = 5.1e-7                            # numbers printed with six decimals


def numbers(text):
    """{'name': value} for the 'name = value' pairs of a readout (pairs two or more spaces apart)."""
    found = {}
    for chunk in re.split(r"\s{2,}|\n", text):
        match = re.fullmatch(r"\s*(?:[^=]*:\s+)?(.+?)\s+=\s+(-?\d+\.\d+)\s*", chunk)
        if match:
            found[match.group(1)] = float(match.group(2))
    return found


def start_state(widget):
    """What a widget shows: picture, readout or status, every control's value and the progress bar."""
    return bytes(widget.view.image.value), widget.view.text, [
        (type(w).__name__, w.value, getattr(w, "description", None), getattr(w, "max", None))
        for w in all_children(widget.widget) if isinstance(getattr(w, "value", None), (int, float, str))]


def all_children(w):
    yield w
    for child in getattr(w, "children", ()):
        yield from all_children(child)


def check_reset(widget, fresh):
    widget.reset()
    assert start_state(widget) == fresh, "Reset did not bring back the start state"


def slope_of(line):
    (x0, x1), (y0, y1) = line.get_data()
    return (y1 - y0) / (x1 - x0), (x0 + x1) / 2, (y0 + y1) / 2


# ------------------------------------------------------------------ explorers

def lecture_J(x):
    inner = math.sin(x * x) + 3 * x * x
    return math.cos(inner), -math.sin(inner) * (2 * x * math.cos(x * x) + 6 * x)


X_VALUES = st.one_of(st.floats(-3.0, 3.0), st.integers(-250, 250).map(lambda k: k / 100),
                     st.sampled_from([-2.5, 0.0, 1.0, 2.5]))
EXPLORER_ACTIONS = st.lists(st.one_of(st.tuples(st.just("slider"), X_VALUES), st.tuples(st.just("set_x"), X_VALUES),
                                      st.tuples(st.just("echo"), st.none()), st.tuples(st.just("reset"), st.none())),
                            max_size=8)


@functools.cache
def tangent():
    w = widgets.TangentExplorer(lambda x: bp.cos(bp.sin(x**2) + 3 * x**2), x_range=(-2.5, 2.5), x=1.0)
    return w, start_state(w)


@functools.cache
def chain():
    w = widgets.ChainRuleExplorer(h=lambda x: x**2, g=bp.sin, x_range=(-2.5, 2.5), x=1.5)
    return w, start_state(w)


def drive_explorer(w, action, value):
    """Do one action; returns the x the widget must show now."""
    if action == "slider":
        w.slider.value = value
    elif action == "set_x":
        w.set_x(value)
    elif action == "echo":                 # the browser sends back the value rounded to the step
        w.slider.set_state({"value": browser_snap(w.slider, w.slider.value)})
    else:
        w.reset_button.click()
        return w.start_x
    return w.slider.value


@settings(max_examples=120, **SETTINGS)
@given(actions=EXPLORER_ACTIONS)
def test_tangent_explorer_always_shows_its_x(actions):
    w, fresh = tangent()
    check_reset(w, fresh)
    for action, value in actions:
        x = drive_explorer(w, action, value)
        assert -2.5 <= x <= 2.5
        J, dJ = lecture_J(x)
        shown = numbers(w.text)
        assert abs(shown["x"] - x) <= SIX and abs(shown["J(x)"] - J) <= SIX
        assert abs(shown["dJ/dx"] - dJ) <= SIX and abs(shown["finite difference"] - dJ) <= 1e-5
        assert w.text in w.readout.value
        slope, mid_x, mid_y = slope_of(w.panel.tangent)
        assert slope == pytest.approx(dJ, rel=1e-9, abs=1e-9)
        assert mid_x == pytest.approx(x, abs=1e-12) and mid_y == pytest.approx(J, abs=1e-12)
        assert list(w.panel.point.get_data()[0]) == [x]


@settings(max_examples=100, **SETTINGS)
@given(actions=EXPLORER_ACTIONS)
def test_chain_rule_explorer_always_shows_its_x(actions):
    w, fresh = chain()
    check_reset(w, fresh)
    for action, value in actions:
        x = drive_explorer(w, action, value)
        u = x * x
        expected = {"x": x, "u": u, "y": math.sin(u), "du/dx": 2 * x, "dy/du": math.cos(u),
                    "(dy/du)(du/dx)": 2 * x * math.cos(u)}
        shown = numbers(w.text)
        for name, value_ in expected.items():
            assert abs(shown[name] - value_) <= SIX, (name, shown, x)
        for panel, (px, py, slope) in zip(w.panels, [(x, u, 2 * x), (u, math.sin(u), math.cos(u)),
                                                     (x, math.sin(u), 2 * x * math.cos(u))]):
            got_slope, mid_x, mid_y = slope_of(panel.tangent)
            assert got_slope == pytest.approx(slope, rel=1e-9, abs=1e-9)
            assert (mid_x, mid_y) == (pytest.approx(px, abs=1e-12), pytest.approx(py, abs=1e-12))


# ------------------------------------------------------------------ stepper

def lecture_graph():
    x = bp.Var(2.0, name="x")
    t = (x**2).named("t")
    u = (bp.sin(t).named("u1") + (3 * t).named("u2")).named("u")
    return bp.cos(u).named("J")


@functools.cache
def stepper():
    w = widgets.BackwardStepper(lecture_graph(), version="B")
    return w, start_state(w), list(tables.backward_steps(lecture_graph(), "B")), {}


@settings(max_examples=200, **SETTINGS)
@given(actions=st.lists(st.one_of(st.sampled_from(["next", "prev", "reset"]).map(lambda a: (a, None)),
                                  st.tuples(st.sampled_from(["go", "slider"]), st.integers(-2, 8))), max_size=10))
def test_stepper_always_shows_its_step(actions):
    w, fresh, steps, pictures = stepper()
    check_reset(w, fresh)
    k = 0
    for action, value in actions:
        if action == "next":
            w.step_button.click()
            k = min(k + 1, len(steps))
        elif action == "prev":
            w.back_button.click()
            k = max(k - 1, 0)
        elif action == "reset":
            w.reset_button.click()
            k = 0
        elif action == "go":
            w.go(value)
            k = min(max(value, 0), len(steps))
        else:
            w.slider.value = value                 # the slider clamps to 0..steps
            k = min(max(value, 0), len(steps))
        assert w.slider.value == k and w.result.step == k
        lines = w.text.splitlines()
        assert lines[0].startswith(f"step {k} of {len(steps)}: ")
        adjoints = {} if k == 0 else {steps[k - 1].names[v]: g for v, g in steps[k - 1].adjoints.items()}
        known = numbers(lines[-1].removeprefix("known so far: "))
        expected = {"dJ/dJ": 1.0} if k == 0 else {f"dJ/d{name}": g for name, g in adjoints.items()}
        assert known.keys() == expected.keys()
        assert all(abs(known[name] - g) <= SIX for name, g in expected.items())
        picture = bytes(w.view.image.value)
        assert pictures.setdefault(k, picture) == picture      # one picture per step, whatever the route
    assert len(set(pictures.values())) == len(pictures)


# ------------------------------------------------------------------ θ sliders

@functools.cache
def theta_panel():
    X, y = data.make_blobs(n=40, noise=1.0, classes=2, seed=3)
    split = data.train_test_split(X, y, seed=3)
    w = ThetaSliders(split, theta=(0.4, -1.3, 0.7), learning_rate=0.1, epochs=2)
    return w, start_state(w), split


GRID_VALUES = st.integers(-120, 120).map(lambda k: round(k * 0.05, 10))          # what a person can pick
THETA_ACTIONS = st.lists(st.one_of(
    st.tuples(st.just("move"), st.tuples(st.integers(0, 2), GRID_VALUES)),
    st.tuples(st.just("revisit"), st.integers(0, 2)),           # a person moves back to a value seen before
    st.tuples(st.just("echo"), st.integers(0, 2)),              # the browser sends back the value shown
    st.tuples(st.just("set_theta"), st.tuples(*[st.floats(-4, 4)] * 3)),
    st.tuples(st.just("gamma"), st.sampled_from([0.01, 0.1, 0.5])),
    st.tuples(st.just("epochs"), st.integers(1, 3)),
    st.tuples(st.just("train"), st.none()),
    st.tuples(st.just("reset"), st.none()),
), max_size=6)


def grid_value(slider, value):
    return slider.min + round((value - slider.min) / slider.step) * slider.step


@settings(max_examples=60, **SETTINGS)
@given(actions=THETA_ACTIONS)
def test_theta_sliders_always_show_the_model(actions):
    w, fresh, split = theta_panel()
    check_reset(w, fresh)
    theta, history, seen = np.array([0.4, -1.3, 0.7]), None, [[s.value] for s in w.sliders]
    gamma, epochs = 0.1, 2
    for action, arg in actions:
        if action in ("move", "revisit"):
            j, value = arg if action == "move" else (arg, seen[arg][len(seen[arg]) // 2])
            slider = w.sliders[j]
            if abs(value - slider.value) > 1e-9:    # a move to where the handle is would be no move
                slider.set_state({"value": value})
                theta[j], history = value, None
        elif action == "echo":
            slider = w.sliders[arg]
            slider.set_state({"value": browser_snap(slider, slider.value)})
        elif action == "set_theta":
            w.set_theta(arg)
            theta, history = np.array(arg), None
        elif action == "gamma":
            w.learning_rate.value = arg
            if arg != gamma:
                gamma, history = arg, None
        elif action == "epochs":
            w.epochs.value = arg
            if arg != epochs:
                epochs, history = arg, None
        elif action == "train":
            model = models.LogisticRegression(2)
            model.params["theta"][...] = theta
            expected = training.sgd(model, *split, epochs=epochs, lr=gamma)
            assert w.train() == expected
            theta, history = model.params["theta"].copy(), expected
        else:
            w.reset_button.click()
            theta, history, gamma, epochs = np.array([0.4, -1.3, 0.7]), None, 0.1, 2
        for s, seen_values in zip(w.sliders, seen):
            seen_values.append(s.value)
        check_theta_panel(w, split, theta, history, gamma, epochs)


def check_theta_panel(w, split, theta, history, gamma, epochs):
    assert np.array_equal(w.model.params["theta"], theta) and np.array_equal(w.result["theta"], theta)
    for slider, value in zip(w.sliders, theta):
        assert abs(slider.value - grid_value(slider, value)) <= 1e-9 and slider.min <= value <= slider.max
    assert (w.learning_rate.value, w.epochs.value) == (gamma, epochs)
    J = oracle_J(theta, split.X_train, split.y_train)
    p = F.sigmoid(theta[0] + w.boundary.grid.points @ theta[1:]).reshape(w.boundary.grid.shape)
    assert np.allclose(np.asarray(w.boundary.image.get_array()), p, rtol=0, atol=1e-12)
    assert (w.boundary.boundary is not None) == (p.min() < 0.5 < p.max())
    error = np.mean((F.sigmoid(theta[0] + split.X_train @ theta[1:]) >= 0.5) != split.y_train)   # ŷ = 1 iff σ ≥ ½
    assert w.boundary_ax.get_title() == f"J = {J:.4f}   training error = {error:.3f}"
    first, second = w.status_text.splitlines()
    assert first == w.text and numbers(first)["J"] == pytest.approx(J, abs=5.1e-5)
    assert f"θ = ({', '.join(f'{v:.2f}' for v in theta)})" in first
    curve = w.loss_curves.train_line.get_ydata()
    if history is None:
        assert second.startswith("not trained yet: press Train") and w.history is None
        assert w.progress.value == 0 and len(curve) == 0
    else:
        last = history[-1]
        assert second == w.summary and second.startswith(f"epoch {epochs}/{epochs}  γ = {gamma:g}  ")
        assert f"train J = {last['train_cross_entropy']:.4f}" in second
        assert w.progress.value == epochs == w.progress.max
        assert list(curve) == [r["train_cross_entropy"] for r in history]


# ------------------------------------------------------------------ training panel

PANEL_START = dict(dataset="xor", hidden_layers=1, activation="sigmoid", hidden_units=3, learning_rate=0.5, epochs=2,
                   init_scale=1.0)


@functools.cache
def training_panel():
    w = TrainingPanel(**PANEL_START, n=40, seed=1)
    return w, start_state(w)


PANEL_ACTIONS = st.lists(st.one_of(
    st.tuples(st.just("dataset"), st.sampled_from(["xor", "moons", "spirals"])),
    st.tuples(st.just("hidden_layers"), st.sampled_from([1, 2, 3, 4])),
    st.tuples(st.just("activation"), st.sampled_from(["sigmoid", "tanh", "relu"])),
    st.tuples(st.just("hidden_units"), st.integers(1, 4)),
    st.tuples(st.just("init_scale"), st.sampled_from([0.0, 0.5, 1.0])),
    st.tuples(st.just("learning_rate"), st.sampled_from([0.1, 0.5, 2.0])),
    st.tuples(st.just("epochs"), st.integers(1, 3)),
    st.tuples(st.just("train"), st.none()),
    st.tuples(st.just("reset"), st.none()),
), max_size=6)


@settings(max_examples=50, **SETTINGS)
@given(actions=PANEL_ACTIONS)
def test_training_panel_never_shows_a_stale_run(actions):
    w, fresh = training_panel()
    check_reset(w, fresh)
    controls, model, history = dict(PANEL_START), None, None
    for action, arg in actions:
        if action == "train":
            split = data.load_dataset(controls["dataset"], n=40, seed=1)
            units, scale = controls["hidden_units"], controls["init_scale"]
            init = {"init": "zeros"} if scale == 0 else {"seed": 1, "scale": scale}
            L, activation = controls["hidden_layers"], controls["activation"]
            if L == 1:                                      # the lecture's nets keep their class
                model = models.OneHiddenLayerNet(2, units, activation=activation, **init)
            elif L == 2:
                model = models.TwoHiddenLayerNet(2, units, units, activation=activation, **init)
            else:
                model = models.MLP(2, [units] * L, activation=activation, **init)
            try:
                history = training.sgd(model, *split, epochs=controls["epochs"], lr=controls["learning_rate"])
            except ValueError as err:                       # diverged (γ = 2 and a deep ReLU net): so does the panel
                with pytest.raises(ValueError, match=re.escape(str(err))):
                    w.train()
                model, history = None, None
            else:
                assert w.train() == history
                assert type(w.model) is type(model) and w.model.activation.name == activation
        elif action == "reset":
            w.reset_button.click()
            controls, model, history = dict(PANEL_START), None, None
        else:
            getattr(w, action).value = arg
            if controls[action] != arg:
                controls[action], model, history = arg, None, None
        check_training_panel(w, controls, model, history)


def check_training_panel(w, controls, model, history):
    assert {name: getattr(w, name).value for name in controls} == controls
    split = data.load_dataset(controls["dataset"], n=40, seed=1)
    assert np.array_equal(w.split.X_train, split.X_train)
    assert np.array_equal(w.boundary.points[1].get_offsets(), split.X_train[split.y_train == 1])
    image = np.asarray(w.boundary.image.get_array())
    curve = w.loss_curves.test_line.get_ydata()
    if history is None:
        assert w.status_text == "not trained yet: press Train" and w.history is None and w.model is None
        assert np.all(image == 0.5) and w.boundary.boundary is None
        assert w.progress.value == 0 and len(curve) == 0
        assert w.boundary_ax.get_title() == f"{controls['dataset']}: training points"
    else:
        for name, value in model.params.items():
            assert np.array_equal(w.model.params[name], value)
        p = np.asarray(model.predict_proba(w.boundary.grid.points))
        p = (p[:, 1] if p.ndim == 2 else p).reshape(w.boundary.grid.shape)
        assert np.array_equal(image, p)
        last = history[-1]
        assert w.status_text == w.summary and w.summary.startswith(f"epoch {controls['epochs']}/")
        assert f"test J = {last['test_cross_entropy']:.4f}" in w.summary
        assert w.progress.value == controls["epochs"] and list(curve) == [r["test_cross_entropy"] for r in history]
        assert w.boundary_ax.get_title() == (f"{controls['dataset']}, epoch {controls['epochs']}: "
                                             f"test error {last['test_error']:.3f}")
