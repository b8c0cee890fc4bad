"""backproplib.slides: the slideshow tagger, its --check, the cut at late headings, output trimming, and
the lecture notebooks kept in step with the tagger.  The decks themselves are built and opened in
Chromium by tests/browser/test_slides.py (`make test-browser`)."""
import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from backproplib import slides

ROOT = Path(__file__).resolve().parents[1]


def notebook(*cells):
    return new_notebook(cells=list(cells), metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                    "language": "python"}})


def md(text, tags=()):
    cell = new_markdown_cell(text)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def code(text, tags=(), outputs=()):
    cell = new_code_cell(text, outputs=list(outputs))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def lecture():
    """A small notebook with every structure the rules know."""
    return notebook(
        md("# 01 · Title\n\nIntro."),                             # 0 slide
        code("install()", tags=["setup"]),                         # 1 skip
        code("%matplotlib inline"),                                # 2 -
        md("## 1 · First section"),                                # 3 slide
        md("**Predict first:** what is 2 + 2?", tags=["predict"]),  # 4 -
        code("2 + 2", tags=["reveal"]),                            # 5 fragment
        md("It is 4.", tags=["reveal"]),                           # 6 - (same fragment)
        md("More text."),                                          # 7 -
        md("### A subsection"),                                    # 8 subslide
        code("time_it()", tags=["timing", "nbval-ignore-output"]),  # 9 skip
        md("Answer two.", tags=["reveal"]),                        # 10 fragment (a new run)
        md("Closing words.\n\n## 2 · Second section\n\nBody."),    # 11 slide (heading below text)
        md("```\n## not a heading (code)\n```"),                   # 12 -
    )


def test_rules():
    assert slides.slide_types(lecture()) == ["slide", "skip", "-", "slide", "-", "fragment", "-", "-",
                                             "subslide", "skip", "fragment", "slide", "-"]


def test_first_shown_cell_is_a_slide_and_skipped_cells_do_not_count():
    nb = notebook(code("setup()", tags=["setup"]), md("No heading here."), md("Still the first slide."))
    assert slides.slide_types(nb) == ["skip", "slide", "-"]


def test_a_skipped_cell_does_not_break_a_reveal_run():
    nb = notebook(md("# T"), code("a", tags=["reveal"]), code("t", tags=["timing"]), md("b", tags=["reveal"]))
    assert slides.slide_types(nb) == ["slide", "fragment", "skip", "-"]


def test_heading_inside_a_reveal_cell_wins():
    nb = notebook(md("# T"), md("answer\n\n### next", tags=["reveal"]))
    assert slides.slide_types(nb) == ["slide", "subslide"]


def test_tag_writes_only_slideshow_and_keeps_other_keys():
    nb = lecture()
    nb.cells[5].outputs = [new_output("execute_result", data={"text/plain": "4"}, execution_count=1)]
    nb.cells[7].metadata["slideshow"] = {"slide_type": "notes", "data": {"x": 1}}
    nb.cells[7].metadata["custom"] = {"keep": True}
    before = json.loads(json.dumps(nb))
    assert slides.tag_notebook(nb) == len(nb.cells)
    after = json.loads(json.dumps(nb))
    for old, new in zip(before["cells"], after["cells"]):
        show = new["metadata"].pop("slideshow")
        assert show.pop("slide_type") in {"slide", "subslide", "fragment", "skip", "-"}
        kept = old["metadata"].pop("slideshow", {})
        kept.pop("slide_type", None)
        assert show == kept               # other slideshow keys (data-*) kept
        assert new == old                 # source, outputs, ids, other metadata: untouched
    assert after["metadata"] == before["metadata"]
    assert after["cells"][7]["metadata"]["custom"] == {"keep": True}
    assert slides.tag_notebook(nb) == 0                                  # a second run changes nothing


def test_tag_and_check_on_files(tmp_path, capsys):
    path = tmp_path / "01_x.ipynb"
    nbformat.write(lecture(), path)
    assert slides.main(["tag", "--check", str(path)]) == 1
    assert "slideshow metadata out of date" in capsys.readouterr().err
    text = path.read_text()
    assert slides.main(["tag", "--check", str(path)]) == 1 and path.read_text() == text   # --check writes nothing
    assert slides.main(["tag", str(path)]) == 0
    written = path.read_text()
    assert slides.main(["tag", "--check", str(path)]) == 0
    stat = path.stat().st_mtime_ns
    assert slides.main(["tag", str(path)]) == 0
    assert path.read_text() == written and path.stat().st_mtime_ns == stat   # unchanged: not rewritten
    nb = nbformat.read(path, as_version=4)
    nb.cells[3].metadata.slideshow.slide_type = "-"                          # someone edits it by hand
    nbformat.write(nb, path)
    assert slides.main(["tag", "--check", str(path)]) == 1
    assert "cell 3" in capsys.readouterr().err


def test_tag_output_is_what_nbformat_writes(tmp_path):
    """The tagged file is byte for byte what nbformat (and backproplib.authoring) would write."""
    path = tmp_path / "01_x.ipynb"
    nbformat.write(lecture(), path)
    slides.main(["tag", str(path)])
    text = nbformat.writes(nbformat.read(path, as_version=4))
    assert path.read_text() == (text if text.endswith("\n") else text + "\n")


def test_split_at_late_headings():
    nb = lecture()
    slides.tag_notebook(nb)
    split = slides.split_at_headings(nb)
    sources = [cell.source for cell in split.cells]
    assert sources[11:14] == ["Closing words.", "## 2 · Second section\n\nBody.", "```\n## not a heading (code)\n```"]
    kinds = [cell.metadata.slideshow.slide_type for cell in split.cells]
    assert kinds[11:13] == ["-", "slide"]                   # the text above stays on the slide before
    assert len({cell.id for cell in split.cells}) == len(split.cells)
    assert len(nb.cells) == 13                              # the original is not changed


def test_split_keeps_a_fragment_above_a_subheading():
    nb = notebook(md("# T"), md("answer\n\n### next\n\nmore", tags=["reveal"]))
    nb.cells[1].metadata["slideshow"] = {"slide_type": "fragment"}
    split = slides.split_at_headings(nb)
    assert [(c.source, c.metadata.slideshow.slide_type) for c in split.cells[1:]] == [
        ("answer", "fragment"), ("### next\n\nmore", "subslide")]


@pytest.mark.parametrize("lines, kept", [(3, "a\nb\nc\n"), (5, "a\nb\nc\n"), (2, "a\nb\n… (1 more lines in the notebook)\n")])
def test_trim_text(lines, kept):
    assert slides.trim_text("a\nb\nc\n", lines) == kept


def test_trim_preprocessor_trims_streams_and_plain_text_only():
    long = "".join(f"line {i}\n" for i in range(40))
    cell = code("x", outputs=[new_output("stream", name="stdout", text=long),
                              new_output("execute_result", data={"text/plain": long}, execution_count=1),
                              new_output("display_data", data={"text/plain": long, "text/html": "<b>x</b>"})])
    cell, _ = slides._trim_preprocessor(10).preprocess_cell(cell, {}, 0)
    assert cell.outputs[0].text.count("\n") == 11 and "30 more lines" in cell.outputs[0].text
    assert cell.outputs[1].data["text/plain"].startswith("line 0\n") and "30 more lines" in cell.outputs[1].data["text/plain"]
    assert cell.outputs[2].data["text/plain"] == long               # it has a richer form, shown instead


def test_pinned_packages_and_deck_files_agree():
    assert set(package for package, _, _ in slides.DECK_FILES) == set(slides.PACKAGES)
    for version, integrity in slides.PACKAGES.values():
        assert integrity.startswith("sha512-") and version[0].isdigit()
    assert not any(url.startswith(("http:", "https:", "//")) for url in map(str, slides.DECK_OPTIONS.values()))


def test_templates_ship_with_the_package():
    template = slides.TEMPLATES / "slides" / "offline_reveal.html.j2"
    assert "html_head_js_mermaidjs" in template.read_text()
    voila = slides.TEMPLATES / "voila" / "reveal_offline"
    assert json.loads((voila / "conf.json").read_text())["base_template"] == "reveal"
    assert "fontawesome" not in (voila / "index.html.j2").read_text().replace("Font Awesome", "")


def test_lecture_notebooks_carry_the_taggers_metadata():
    """`python -m backproplib.slides tag notebooks/0[1-9]_*.ipynb` has been run since the last edit."""
    paths = slides.lecture_notebooks(ROOT)
    assert len(paths) == 9
    stale = {path.name: len(slides.untagged_cells(nbformat.read(path, as_version=4))) for path in paths}
    stale = {name: count for name, count in stale.items() if count}
    assert not stale, ("slideshow metadata out of date (cells to change per notebook: "
                       f"{stale}); run `python -m backproplib.slides tag notebooks/0[1-9]_*.ipynb`")
