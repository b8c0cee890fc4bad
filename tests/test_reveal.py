"""bp.reveal (answers hidden until asked for) and bp.show_figure (figures with alt text), and the lecture
notebooks' use of them: every prediction is followed by a hidden answer, every figure has a description."""
import base64
import importlib
import json
import re
from pathlib import Path

import matplotlib
import pytest

import backproplib as bp
reveal_module = importlib.import_module("backproplib.reveal")   # bp.reveal is the function
from backproplib import tables

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
LECTURES = sorted((ROOT / "notebooks").glob("0[1-9]_*.ipynb"))
ALL_NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


# ------------------------------------------------------------------ reveal

def test_a_reveal_is_a_closed_details_element_whose_text_holds_the_same_numbers():
    r = bp.reveal("dy/dx = -1.884521", summary="Show the sign")
    bundle = r._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    assert bundle["text/plain"] == "▸ Show the sign\ndy/dx = -1.884521"
    page = bundle["text/html"]
    assert page.startswith('<details class="bp-reveal">') and page.endswith("</details>")
    assert "<details open" not in page                                   # closed until the learner opens it
    assert re.search(r"<summary[^>]*>Show the sign</summary>", page)
    assert "dy/dx = -1.884521" in page.split("</summary>")[1]            # the answer is inside, after the summary
    assert repr(r) == bundle["text/plain"]
    assert bp.reveal("x")._repr_mimebundle_() == bp.reveal("x")._repr_mimebundle_()     # deterministic


def test_a_reveal_escapes_text_and_uses_an_objects_own_html():
    table = tables.TextTable(("a", "b"), [("1", "<2>")])
    page = bp.reveal("a < b & c", table).html()
    assert "a &lt; b &amp; c" in page and "&lt;2&gt;" in page and 'class="backproplib-table"' in page
    text = bp.reveal("a < b", table).text()
    assert text.splitlines()[1] == "a < b" and str(table) in text
    assert bp.reveal().text() == "▸ Show the answer"


def test_a_reveal_as_a_context_manager_hides_what_the_block_prints(monkeypatch, capsys):
    shown = []
    monkeypatch.setattr(reveal_module, "_display", shown.append)
    with bp.reveal(summary="Show the numbers") as r:
        print("J = 0.245100")
        print("dJ/dx = 9.099149")
    assert capsys.readouterr().out == ""                                 # nothing printed openly
    assert shown == [r] and r.text() == "▸ Show the numbers\nJ = 0.245100\ndJ/dx = 9.099149"
    assert "dJ/dx = 9.099149" in r.html()


def test_an_error_inside_a_reveal_shows_what_was_printed_and_propagates(monkeypatch, capsys):
    shown = []
    monkeypatch.setattr(reveal_module, "_display", shown.append)
    with pytest.raises(ZeroDivisionError):
        with bp.reveal():
            print("before the error")
            1 / 0
    assert capsys.readouterr().out == "before the error\n" and shown == []


def test_reveal_without_ipython_prints_its_text(monkeypatch, capsys):
    monkeypatch.setitem(__import__("sys").modules, "IPython.display", None)
    with bp.reveal():
        print("42")
    assert capsys.readouterr().out == "▸ Show the answer\n42\n"


# ------------------------------------------------------------------ figures with alt text

def test_show_figure_displays_an_img_with_alt_text_and_closes_the_figure(monkeypatch):
    import matplotlib.pyplot as plt
    shown = []
    monkeypatch.setattr(reveal_module, "_display", shown.append)
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, 1])
    assert bp.show_figure('A rising line: "y = x"', fig) is None
    assert not plt.fignum_exists(fig.number)
    [figure] = shown
    bundle = figure._repr_mimebundle_()
    assert bundle["text/plain"] == '[figure: A rising line: "y = x"]'
    page = bundle["text/html"]
    assert page.startswith('<img class="bp-figure" alt="A rising line: &quot;y = x&quot;" src="data:image/png;base64,')
    png = base64.b64decode(page.split("base64,")[1].rstrip('">'))
    assert png.startswith(b"\x89PNG") and b"Matplotlib" not in png       # no version stamp: stable bytes
    with pytest.raises(ValueError, match="alt text"):
        reveal_module.Figure(png, "  ")
    plt.subplots(figsize=(2, 1))
    bp.show_figure("an empty frame", summary="Show the picture")   # an answer: the figure hidden in a reveal
    hidden = shown[-1]
    assert isinstance(hidden, reveal_module.Reveal)
    assert hidden.text() == "▸ Show the picture\n[figure: an empty frame]"
    assert '<img class="bp-figure" alt="an empty frame"' in hidden.html().split("</summary>")[1]


# ------------------------------------------------------------------ the notebooks

def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell):
    return "".join(cell["source"])


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def _hidden(cell):
    """Does the cell hide an answer: a markdown <details>, or a code cell whose output is a closed reveal?"""
    if cell["cell_type"] == "markdown":
        return "<details>" in _source(cell) and "</details>" in _source(cell)
    return any('<details class="bp-reveal">' in "".join(out.get("data", {}).get("text/html", ""))
               for out in cell.get("outputs", []))


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.name)
def test_every_prediction_is_followed_by_a_hidden_answer(path):
    cells = _cells(path)
    predicts = [i for i, c in enumerate(cells) if "predict" in _tags(c)]
    assert predicts, "a lecture notebook asks for predictions"
    for i, cell in enumerate(cells):
        if "Predict first" in _source(cell):
            assert "predict" in _tags(cell), f"cell {i} asks for a prediction but is not tagged predict"
    for k, i in enumerate(predicts):
        end = predicts[k + 1] if k + 1 < len(predicts) else len(cells)
        reveals = [j for j in range(i + 1, end) if "reveal" in _tags(cells[j])]
        assert reveals, f"cell {i} (predict) has no cell tagged reveal before the next prediction"
        assert any(_hidden(cells[j]) for j in reveals), f"cell {i}: no answer is hidden after it"


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.name)
def test_reveal_cells_hide_their_answers(path):
    for i, cell in enumerate(_cells(path)):
        if "reveal" in _tags(cell):
            assert _hidden(cell), f"cell {i} is tagged reveal but hides nothing"
            if cell["cell_type"] == "code":
                streams = [out for out in cell.get("outputs", []) if out["output_type"] == "stream"]
                assert not streams, f"cell {i} is tagged reveal but prints its answer openly"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_has_alt_text(path):
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] == "markdown":
            for alt in re.findall(r"!\[([^\]]*)\]\(", _source(cell)):
                assert alt.strip(), f"cell {i}: a markdown image without alt text"
            for tag in re.findall(r"<img\b[^>]*>", _source(cell)):
                assert re.search(r'alt="[^"]+"', tag), f"cell {i}: an <img> without alt text"
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data:
                continue                           # a widget: its picture is the widget's own (widgets.py)
            assert "image/png" not in data and "image/jpeg" not in data and "image/svg+xml" not in data, (
                f"cell {i}: a figure output without alt text (show it with bp.show_figure(alt))")
            for tag in re.findall(r"<img\b[^>]*>", "".join(data.get("text/html", ""))):
                assert re.search(r'alt="[^"]+"', tag), f"cell {i}: an <img> output without alt text"
