"""The layout toggle of notebook 08: its numbers against central differences, the two layouts as
transposes, the shapes, Reset, the display bundle and the speed of a toggle."""
import base64
import re

import numpy as np
import pytest

from backproplib import layout_toggle
from backproplib.layout_toggle import DERIVATIVES, KINDS, LAYOUTS, LayoutToggle, layout_matrix

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SHAPES = {"scalar by vector": (3, 1), "vector by scalar": (1, 2), "vector by vector": (3, 2)}   # denominator


def central_differences(f, x0, eps=1e-6):
    """D[i, j] = (y_j(x + ε e_i) − y_j(x − ε e_i)) / 2ε, a P × M matrix: denominator layout, independently."""
    if np.ndim(x0) == 0:
        return np.atleast_2d((f(x0 + eps) - f(x0 - eps)) / (2 * eps))
    return np.array([np.atleast_1d(f(x0 + eps * e) - f(x0 - eps * e)) / (2 * eps) for e in np.eye(len(x0))])


@pytest.fixture(scope="module")
def toggle():
    return LayoutToggle()


@pytest.mark.parametrize("kind", KINDS)
def test_denominator_layout_matches_central_differences(kind):
    d = DERIVATIVES[kind]
    np.testing.assert_allclose(layout_matrix(kind, "denominator"), central_differences(d.f, d.x0),
                               rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("kind", KINDS)
def test_numerator_layout_is_the_transpose_with_the_shapes_swapped(kind):
    den, num = layout_matrix(kind, "denominator"), layout_matrix(kind, "numerator")
    assert den.shape == SHAPES[kind]
    assert num.shape == SHAPES[kind][::-1]
    np.testing.assert_array_equal(num, den.T)


def test_vector_by_vector_is_A_in_numerator_layout():
    np.testing.assert_array_equal(layout_matrix("vector by vector", "numerator"), layout_toggle.A)


def test_bad_choices_name_the_operation(toggle):
    with pytest.raises(ValueError, match="layout_matrix: kind"):
        layout_matrix("matrix by matrix", "denominator")
    with pytest.raises(ValueError, match="layout_matrix: layout"):
        layout_matrix("vector by vector", "column")
    with pytest.raises(ValueError, match="LayoutToggle.show: layout"):
        toggle.show(layout="row")


def readout_numbers(text):
    return {name: float(value) for name, value in re.findall(r"(∂\S+) = (-?\d+\.\d{6})", text)}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_readout_prints_every_entry_in_its_row_and_the_shape(toggle, kind, layout):
    result = toggle.show(kind, layout)
    assert (toggle.kind_buttons.value, toggle.layout_buttons.value) == (kind, layout)
    rows, cols = result.matrix.shape
    assert f"{layout} layout, shape {rows} × {cols}" in toggle.text
    lines = toggle.text.splitlines()[1:]
    assert len(lines) == rows
    fd = central_differences(DERIVATIVES[kind].f, DERIVATIVES[kind].x0)
    for r, line in enumerate(lines):
        shown = readout_numbers(line)
        assert len(shown) == cols
        for name, value in shown.items():
            j = int(m.group(1)) - 1 if (m := re.search(r"∂y(\d)", name)) else 0
            i = int(m.group(1)) - 1 if (m := re.search(r"∂x(\d)", name)) else 0
            assert abs(value - fd[i, j]) < 1e-6, (kind, layout, line)
            assert r == (i if layout == "denominator" else j), (layout, r, line)     # rows: inputs or outputs


def test_each_choice_shows_its_own_picture(toggle):
    pictures = {}
    for kind in KINDS:
        for layout in LAYOUTS:
            toggle.show(kind, layout)
            picture = bytes(toggle.view.image.value)
            assert picture.startswith(PNG_MAGIC)
            pictures[kind, layout] = picture
    assert len(set(pictures.values())) == len(KINDS) * len(LAYOUTS)


def test_the_toggles_drive_it_like_a_person(toggle):
    toggle.reset()
    toggle.layout_buttons.value = "numerator"
    assert toggle.result.layout == "numerator" and toggle.result.matrix.shape == (2, 3)
    toggle.kind_buttons.value = "scalar by vector"
    assert toggle.result.kind == "scalar by vector" and toggle.result.matrix.shape == (1, 3)


def test_opens_in_its_start_state_and_reset_returns_there():
    fresh = LayoutToggle()
    start = (fresh.text, bytes(fresh.view.image.value))
    assert (fresh.result.kind, fresh.result.layout) == ("vector by vector", "denominator")
    fresh.show("vector by scalar", "numerator")
    assert fresh.text != start[0]
    fresh.reset_button.click()
    assert (fresh.text, bytes(fresh.view.image.value)) == start
    assert (fresh.kind_buttons.value, fresh.layout_buttons.value) == ("vector by vector", "denominator")


def test_display_bundle_has_the_picture_and_a_text(toggle):
    toggle.show("scalar by vector", "numerator")
    data, metadata = toggle._repr_mimebundle_()
    assert base64.b64decode(data["image/png"]) == bytes(toggle.view.image.value)
    assert data["text/plain"].startswith("LayoutToggle: run the notebook to use it. Figure: a heat map")
    assert "application/vnd.jupyter.widget-view+json" in data
    assert metadata["image/png"]["width"] > 0


def test_a_toggle_responds_within_100_ms(toggle):
    seconds = []
    for _ in range(3):
        for kind in KINDS:
            for layout in LAYOUTS:
                toggle.show(kind, layout)
                seconds.append(toggle.last_update_seconds)
    assert max(seconds) < 0.1, f"slowest toggle {max(seconds) * 1000:.1f} ms"
