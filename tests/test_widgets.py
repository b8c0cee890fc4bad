"""Widgets driven from code: their numbers against closed forms and finite differences, their speed."""
import base64
import math
import re
import time

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import backproplib as bp
from backproplib import widgets

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def J_of(x):
    """The lecture's J = cos(sin(x²) + 3x²), on Vars."""
    return bp.cos(bp.sin(x**2) + 3 * x**2)


def J_closed(x):
    return math.cos(math.sin(x * x) + 3 * x * x)


def dJ_closed(x):
    """dJ/dx = −sin(sin(x²) + 3x²) · (cos(x²) · 2x + 6x), by hand."""
    return -math.sin(math.sin(x * x) + 3 * x * x) * (math.cos(x * x) * 2 * x + 6 * x)


def numbers_in(text):
    """{'name': value} for every 'name = value' pair in a readout (pairs are two spaces apart)."""
    return {name: float(value) for name, value in re.findall(r"([^\s=](?:[^\s=]| (?! ))*) = (-?\d+\.\d{6})", text)}


@pytest.fixture(scope="module")
def tangent():
    return widgets.TangentExplorer(J_of, x_range=(-2.5, 2.5), x=1.0)


@pytest.fixture(scope="module")
def chain():
    return widgets.ChainRuleExplorer(h=lambda x: x**2, g=bp.sin, x_range=(-2.5, 2.5), x=1.5)


# ------------------------------------------------------------------ TangentExplorer

@settings(max_examples=25, deadline=None)
@given(x=st.floats(-2.5, 2.5))
def test_tangent_explorer_matches_closed_form_and_finite_difference(tangent, x):
    r = tangent.set_x(x)
    assert r.x == x
    assert r.value == pytest.approx(J_closed(x), rel=1e-12, abs=1e-12)
    assert r.slope == pytest.approx(dJ_closed(x), rel=1e-10, abs=1e-10)
    assert r.fd_slope == pytest.approx(dJ_closed(x), rel=1e-6, abs=1e-6)


def test_tangent_readout_shows_the_numbers_in_a_fixed_format(tangent):
    tangent.set_x(2.0)
    assert tangent.text == ("x = 2.000000  J(x) = 0.245100  dJ/dx = 9.099149  "
                            "finite difference = 9.099149")
    assert tangent.text in tangent.readout.value                  # what the page shows
    shown = numbers_in(tangent.text)
    assert shown["dJ/dx"] == pytest.approx(dJ_closed(2.0), abs=5e-7)


def test_moving_the_slider_updates_like_set_x(tangent):
    tangent.slider.value = 0.75
    assert tangent.result.x == 0.75
    assert tangent.result.slope == pytest.approx(dJ_closed(0.75), rel=1e-12)


def test_set_x_to_the_current_value_still_recomputes(tangent):
    tangent.set_x(1.25)
    tangent.result = None
    assert tangent.set_x(1.25).x == 1.25


def test_slider_clamps_to_its_range(tangent):
    r = tangent.set_x(10.0)
    assert r.x == 2.5
    assert r.slope == pytest.approx(dJ_closed(2.5), rel=1e-12)


def test_image_is_a_png_that_changes_with_x(tangent):
    tangent.set_x(-1.0)
    first = bytes(tangent.view.image.value)
    tangent.set_x(1.0)
    second = bytes(tangent.view.image.value)
    assert first.startswith(PNG_MAGIC) and second.startswith(PNG_MAGIC)
    assert first != second
    data, metadata = tangent._repr_mimebundle_()
    assert base64.b64decode(data["image/png"]) == second              # the picture as shown, for static renders
    assert data["text/plain"].startswith("TangentExplorer: run the notebook to use it. Figure: plot of J(x)")
    assert "application/vnd.jupyter.widget-view+json" in data
    assert metadata["image/png"] == {"width": 480, "height": 256}


def test_tangent_line_has_the_reverse_mode_slope(tangent):
    r = tangent.set_x(0.3)
    (x0, x1), (y0, y1) = tangent.panel.tangent.get_data()
    assert (y1 - y0) / (x1 - x0) == pytest.approx(dJ_closed(0.3), rel=1e-9)
    assert (x0 + x1) / 2 == pytest.approx(0.3) and (y0 + y1) / 2 == pytest.approx(r.value)


def test_constant_function_has_slope_zero():
    w = widgets.TangentExplorer(lambda x: 0 * x + 2.0, x_range=(-1, 1), x=0.5)
    assert w.result.value == 2.0 and w.result.slope == 0.0 and w.result.fd_slope == 0.0
    assert "dJ/dx = 0.000000" in w.text


def test_values_that_round_to_zero_never_print_minus_zero():
    assert widgets._fmt("v", -1e-12) == "v = 0.000000"
    assert widgets._fmt("v", -4e-7) == "v = 0.000000"
    assert widgets._fmt("v", -0.25) == "v = -0.250000"


# ------------------------------------------------------------------ ChainRuleExplorer

@settings(max_examples=25, deadline=None)
@given(x=st.floats(-2.5, 2.5))
def test_chain_rule_explorer_local_derivatives_and_product(chain, x):
    r = chain.set_x(x)
    assert r.u == pytest.approx(x * x, rel=1e-15, abs=0)
    assert r.y == pytest.approx(math.sin(x * x), rel=1e-12, abs=1e-15)
    assert r.du_dx == pytest.approx(2 * x, rel=1e-15, abs=0)
    assert r.dy_du == pytest.approx(math.cos(x * x), rel=1e-12, abs=1e-15)
    exact = 2 * x * math.cos(x * x)
    assert r.product == pytest.approx(exact, rel=1e-12, abs=1e-15)
    assert r.fd_slope == pytest.approx(exact, rel=1e-6, abs=1e-7)


def test_chain_rule_readout(chain):
    chain.set_x(1.5)
    shown = numbers_in(chain.text)
    assert shown == {"x": 1.5, "u": 2.25, "y": 0.778073, "du/dx": 3.0, "dy/du": -0.628174,
                     "(dy/du)(du/dx)": -1.884521, "finite difference": -1.884521}
    assert len(chain.text.splitlines()) == 3


def test_chain_rule_flat_points(chain):
    """Where the composite is flat, one local derivative is zero."""
    assert chain.set_x(0.0).du_dx == 0.0
    assert abs(chain.set_x(math.sqrt(math.pi / 2)).dy_du) < 1e-15


def test_chain_rule_tangents_have_the_three_slopes(chain):
    r = chain.set_x(-0.8)
    for panel, slope in zip(chain.panels, (r.du_dx, r.dy_du, r.product)):
        (x0, x1), (y0, y1) = panel.tangent.get_data()
        assert (y1 - y0) / (x1 - x0) == pytest.approx(slope, rel=1e-9)


# ------------------------------------------------------------------ speed

@pytest.mark.parametrize("make", [
    lambda: widgets.TangentExplorer(J_of, x_range=(-2.5, 2.5), x=1.0),
    lambda: widgets.ChainRuleExplorer(h=lambda x: x**2, g=bp.sin, x_range=(-2.5, 2.5), x=1.5),
], ids=["tangent", "chain"])
def test_slider_update_is_fast(make):
    w = make()
    times = []
    for x in np.linspace(-2.4, 2.4, 15):
        start = time.perf_counter()
        w.set_x(float(x))
        times.append(time.perf_counter() - start)
    assert np.median(times) < 0.5          # generous: the benchmark holds the real claim (well under 50 ms)
    assert w.last_update_seconds is not None


# ------------------------------------------------------------------ BackwardStepper

def lecture_graph(x_value):
    x = bp.Var(x_value, name="x")
    t = (x**2).named("t")
    u = (bp.sin(t).named("u1") + (3 * t).named("u2")).named("u")
    return bp.cos(u).named("J")


def lecture_adjoints(x):
    """Every adjoint of the lecture's graph, by hand."""
    t = x * x
    u = math.sin(t) + 3 * t
    dJ_du = -math.sin(u)
    dJ_dt = dJ_du * math.cos(t) + dJ_du * 3
    return {"J": 1.0, "u": dJ_du, "u1": dJ_du, "u2": dJ_du, "t": dJ_dt, "x": dJ_dt * 2 * x}


@pytest.fixture(scope="module")
def stepper():
    return widgets.BackwardStepper(lecture_graph(2.0))


def test_stepper_starts_with_only_the_seed(stepper):
    r = stepper.go(0)
    assert r.step == 0 and r.visiting == "" and r.adjoints == {"J": 1.0}
    assert stepper.text.splitlines()[0] == "step 0 of 5: forward pass done; backward starts from the seed dJ/dJ = 1"


@pytest.mark.parametrize("version", ["A", "B"])
@pytest.mark.parametrize("x", [2.0, -0.7])
def test_stepper_ends_with_the_closed_form_adjoints(version, x):
    w = widgets.BackwardStepper(lecture_graph(x), version=version)
    final = w.go(len(w.steps)).adjoints
    expected = lecture_adjoints(x)
    assert final.keys() == expected.keys()
    for name, value in expected.items():
        assert final[name] == pytest.approx(value, rel=1e-12, abs=1e-15), name


def test_stepper_accumulates_dJ_dt_over_two_visits(stepper):
    """dJ/dt first holds the u2 path only (3·dJ/du2), then both paths."""
    exact = lecture_adjoints(2.0)
    seen = []
    for k in range(len(stepper.steps) + 1):
        r = stepper.go(k)
        if "t" in r.adjoints and (not seen or seen[-1] != r.adjoints["t"]):
            seen.append(r.adjoints["t"])
    assert seen == [pytest.approx(3 * exact["u2"], rel=1e-12), pytest.approx(exact["t"], rel=1e-12)]


def test_stepper_known_adjoints_only_grow(stepper):
    known = set()
    for k in range(len(stepper.steps) + 1):
        names = set(stepper.go(k).adjoints)
        assert known <= names
        known = names
    assert known == {"J", "u", "u1", "u2", "t", "x"}


def test_stepper_readout_shows_each_update_with_its_numbers(stepper):
    stepper.go(4)
    lines = stepper.text.splitlines()
    assert lines[0] == "step 4 of 5: visit u1 = sin(t)"
    assert lines[1].startswith("  dJ/dt += dJ/du1 · cos(t)")
    exact = lecture_adjoints(2.0)
    term = exact["u1"] * math.cos(4.0)
    assert numbers_in(lines[1]) == {"term": round(term, 6), "now dJ/dt": round(exact["t"], 6)}
    assert lines[2].startswith("known so far: dJ/dJ = 1.000000  dJ/du = ")
    assert stepper.text in stepper.readout.value


def test_stepper_buttons_and_clamping(stepper):
    stepper.go(0)
    stepper.step_button.click()
    stepper.step_button.click()
    assert stepper.result.step == 2 and stepper.slider.value == 2
    stepper.back_button.click()
    assert stepper.result.step == 1
    stepper.reset_button.click()
    assert stepper.result.step == 0
    stepper.back_button.click()
    assert stepper.result.step == 0
    assert stepper.go(99).step == len(stepper.steps)
    stepper.step_button.click()
    assert stepper.result.step == len(stepper.steps)


def test_stepper_frames_are_pngs_one_per_step(stepper):
    frames = []
    for k in range(len(stepper.steps) + 1):
        stepper.go(k)
        frames.append(bytes(stepper.view.image.value))
    assert all(f.startswith(PNG_MAGIC) for f in frames)
    assert len(set(frames)) == len(frames)
    assert base64.b64decode(stepper._repr_mimebundle_()[0]["image/png"]) == frames[-1]


def test_stepper_update_is_fast(stepper):
    times = []
    for k in [3, 0, 5, 1, 4, 2] * 3:
        start = time.perf_counter()
        stepper.go(k)
        times.append(time.perf_counter() - start)
    assert np.median(times) < 0.5


def test_version_a_stepper_starts_with_the_seed_visit():
    w = widgets.BackwardStepper(lecture_graph(2.0), version="A")
    w.go(1)
    assert w.text.splitlines()[:2] == ["step 1 of 6: visit J = cos(u)", "  dJ/dJ = 1 (the seed)"]
    w.go(5)
    lines = w.text.splitlines()
    assert lines[0] == "step 5 of 6: visit t = x²"
    assert [line.split("   ")[0].strip() for line in lines[1:3]] == ["dJ/dt += dJ/du2 · 3", "dJ/dt += dJ/du1 · cos(t)"]


def test_widgets_never_touch_pyplot():
    """Headless-safe: figures live on their own Agg canvas, whatever the notebook backend is."""
    import os
    import subprocess
    import sys
    code = ("import sys, backproplib as bp\n"
            "from backproplib import widgets\n"
            "w = widgets.TangentExplorer(lambda x: bp.sin(x), x=0.5)\n"
            "s = widgets.BackwardStepper(bp.sin(bp.Var(1.0, name='x')).named('J'))\n"
            "s.go(1)\n"
            "print('matplotlib.pyplot' in sys.modules, w.text)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "MPLBACKEND": "module://nonexistent_backend"})
    assert out.stdout.strip() == ("False x = 0.500000  J(x) = 0.479426  dJ/dx = 0.877583  "
                                  "finite difference = 0.877583")


# ------------------------------------------------------------------ start state, Reset, display

def test_explorers_reset_to_their_start_x(tangent, chain):
    for w, start in ((tangent, 1.0), (chain, 1.5)):
        w.set_x(-0.7)
        w.reset_button.click()
        assert w.result.x == start and w.slider.value == start
    assert "Start state: the slider at `x`" in widgets.TangentExplorer.__doc__


def test_a_new_stepper_opens_at_step_0_and_reset_returns_there():
    w = widgets.BackwardStepper(lecture_graph(2.0))
    fresh = (bytes(w.view.image.value), w.text)
    assert w.result.step == 0 and w.slider.value == 0
    w.go(3)
    w.reset()
    assert (bytes(w.view.image.value), w.text) == fresh and w.slider.value == 0


def test_display_carries_the_picture_and_a_short_text_with_the_figure_description(stepper):
    stepper.go(2)
    data, metadata = stepper._repr_mimebundle_()
    assert base64.b64decode(data["image/png"]) == bytes(stepper.view.image.value)
    assert data["text/plain"] == ("BackwardStepper: run the notebook to use it. Figure: "
                                  + stepper.view.description)
    assert stepper.view.description in stepper.view.alt.value          # the text alternative on the page
    assert stepper.widget.children[1] is stepper.view.alt and stepper.widget.children[2] is stepper.view.image


# ------------------------------------------------------------------ presentation mode

@pytest.fixture
def presenting():
    """Turn presentation mode on for one test (the notebook look comes back afterwards)."""
    yield bp.present
    bp.present(False)


def png_size(png):
    import io
    import PIL.Image
    return PIL.Image.open(io.BytesIO(png)).size


@pytest.mark.parametrize("high_contrast", [False, True])
def test_presentation_draws_figures_at_the_pixel_ratio_and_shows_them_at_their_css_size(presenting,
                                                                                         high_contrast):
    presenting(high_contrast=high_contrast, pixel_ratio=2)
    w = widgets.TangentExplorer(J_of, x_range=(-2.5, 2.5), x=1.0, width=6.0, height=3.2)
    assert w.view.css_size == (600, 320)                                   # 100 CSS px per inch
    assert (w.view.image.layout.width, w.view.image.layout.height) == ("600px", "320px")
    assert png_size(bytes(w.view.image.value)) == (1200, 640)             # pixels = CSS px × pixel ratio
    assert 'font-size:22px' in w.readout.value
    assert w.panel.ax.xaxis.label.get_fontsize() == 12.0 and w.panel.ax.title.get_fontsize() == 13.0
    assert w.panel.tangent.get_linewidth() == pytest.approx(2.5 * (2.0 if high_contrast else 1.4))
    numbers = numbers_in(w.text)
    assert numbers["dJ/dx"] == pytest.approx(dJ_closed(1.0), abs=5e-7)     # the same numbers in every look


def test_high_contrast_changes_the_figures_not_only_the_page(presenting):
    from backproplib import panels, plots
    split = bp.load_dataset("xor", n=40, seed=0)
    presenting()
    plain = panels.ThetaSliders(split)
    presenting(high_contrast=True)
    contrast = panels.ThetaSliders(split)
    assert contrast.boundary.image.cmap(0.0) != plain.boundary.image.cmap(0.0)
    assert (plain.boundary.image.get_alpha(), contrast.boundary.image.get_alpha()) == (0.75, 1.0)
    assert contrast.loss_curves.train_line.get_linewidth() > plain.loss_curves.train_line.get_linewidth()
    colours = [tuple(p.get_facecolor()[0]) for p in contrast.boundary.points]
    assert colours != [tuple(p.get_facecolor()[0]) for p in plain.boundary.points]
    assert plots.CLASS_COLORS == ("#2f6db5", "#e07b16")                     # the notebook palette stays


def test_present_checks_its_arguments_and_gives_the_page_css(presenting):
    from backproplib import presentation
    with pytest.raises(ValueError, match=r"present: pixel_ratio must be a number from 1 to 4, got 0"):
        bp.present(pixel_ratio=0)
    with pytest.raises(ValueError, match=r"present: high_contrast=True needs on=True"):
        bp.present(False, high_contrast=True)
    with pytest.raises(ValueError, match=r"present: on and high_contrast must be True or False"):
        bp.present("yes")
    assert presentation.css() == "" and not presentation.current().presenting
    presenting()
    css = presentation.css()
    assert ".backproplib-widget" in css and "font-size: 22px" in css and ".jp-RenderedMarkdown" in css
    w = widgets.TangentExplorer(J_of)
    assert "backproplib-widget" in w.widget._dom_classes


@pytest.mark.parametrize("value, presenting_, high_contrast", [("1", True, False), ("high-contrast", True, True),
                                                                ("0", False, False), ("", False, False)])
def test_the_environment_variable_turns_presentation_on_at_import(value, presenting_, high_contrast):
    import os
    import subprocess
    import sys
    code = "import backproplib.presentation as p; s = p.current(); print(s.presenting, s.high_contrast)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "BACKPROPLIB_PRESENT": value})
    assert out.stdout.split() == [str(presenting_), str(high_contrast)]


def test_an_unknown_environment_value_warns_and_stays_off():
    import os
    import subprocess
    import sys
    code = "import backproplib as bp; print(bp.presentation.current().presenting)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "BACKPROPLIB_PRESENT": "yes"})
    assert out.stdout.strip() == "False"
    assert "BACKPROPLIB_PRESENT='yes': expected 1, high-contrast or 0" in out.stderr
