"""docs/teaching-guide.md stays in step with the suite: its links lead to files, every notebook section it cites
is a heading of that notebook, every `make` target it names is in the Makefile, every live cell of the lecture
notebooks has its row in the live-coding section, its minutes add up and its reading times are the start page's,
and every piece of check feedback it quotes is in backproplib/checks/."""
import functools
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "teaching-guide.md"
LECTURES = sorted((ROOT / "notebooks").glob("0[1-9]_*.ipynb"))
START = ROOT / "notebooks" / "00_start_here.ipynb"

LINK = re.compile(r"\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
# a reference to a lecture notebook: a link to it (or its live copy), or its number before a cited section
NOTEBOOK_REF = re.compile(r"notebooks/(?:live/)?(0[1-9])_[a-z0-9_]+\.ipynb|\b(0[1-9]) (?=`|§)")
QUOTE = re.compile(r"“([^”]+)”")


def guide():
    return GUIDE.read_text(encoding="utf-8")


def section(title_start):
    """The text of the guide's `## ` section whose title starts with title_start, up to the next `## `."""
    parts = re.split(r"(?m)^(?=## )", guide())
    found = [p for p in parts if p.startswith("## " + title_start)]
    assert len(found) == 1, f"the guide needs exactly one section '## {title_start}…'"
    return found[0]


@functools.lru_cache(maxsize=None)
def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def cells(path):
    return _cells(Path(path))


def source(cell):
    return "".join(cell["source"])


def headings(path):
    """The markdown headings (any level from ##) of a notebook, as written: '## 1 · One input, one output'."""
    return {line.strip() for cell in cells(path) if cell["cell_type"] == "markdown"
            for line in source(cell).splitlines() if re.match(r"#{2,6} ", line)}


def lecture(number):
    found = [p for p in LECTURES if p.name.startswith(number + "_")]
    assert len(found) == 1, f"no lecture notebook {number}_*.ipynb"
    return found[0]


def units(text):
    """Table rows, list items and paragraphs, each as one string (a paragraph or item may span lines)."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            out.append("")
        elif line.startswith("|") or re.match(r"\s*(- |\d+\. )", line) or not out:
            out.append(line)
        else:
            out[-1] += " " + line.strip()
    return [u for u in out if u]


def code_spans(text):
    return [(m.start(), m.group(2).strip()) for m in CODE_SPAN.finditer(text)]


def live_cells():
    """(notebook number, cell, section heading above it) for every cell tagged `live` in a lecture notebook."""
    out = []
    for path in LECTURES:
        heading = None
        for cell in cells(path):
            if cell["cell_type"] == "markdown":
                found = [line.strip() for line in source(cell).splitlines() if line.startswith("## ")]
                heading = found[-1] if found else heading
            elif "live" in cell.get("metadata", {}).get("tags", []):
                out.append((path.name[:2], cell, heading))
    return out


def first_comment(cell):
    """The text of the cell's first line if it is a comment (without the '#'), else None."""
    lines = source(cell).strip().splitlines()
    if lines and lines[0].lstrip().startswith("#"):
        return lines[0].lstrip().lstrip("#").strip()
    return None


# ------------------------------------------------------------------------------------------------ links

def test_every_relative_link_in_the_guide_leads_to_a_file():
    links = [link for link in LINK.findall(guide()) if not re.match(r"[a-z][a-z0-9+.-]*:|#|/", link)]
    assert len(links) >= 20, "the guide should link the notebooks and exercise sets it maps"
    broken = [link for link in links if not (GUIDE.parent / link.split("#")[0]).is_file()]
    assert not broken, f"docs/teaching-guide.md links to missing files: {broken}"


def test_the_map_links_every_lecture_notebook_and_every_exercise_set():
    targets = {(GUIDE.parent / link).resolve() for link in LINK.findall(section("1 · The map"))}
    assert {p.resolve() for p in LECTURES} <= targets
    assert {p.resolve() for p in (ROOT / "exercises").glob("*.ipynb")} <= targets


# ------------------------------------------------------------------------------------------------ headings

def cited_headings():
    """(notebook number, heading) for every `## …` code span, with the notebook named before it in its unit."""
    out = []
    for unit in units(guide()):
        refs = [(m.start(), m.group(1) or m.group(2)) for m in NOTEBOOK_REF.finditer(unit)]
        for start, span in code_spans(unit):
            if re.match(r"#{2,6} ", span):
                before = [number for at, number in refs if at < start]
                assert before, f"the guide cites {span!r} without naming its notebook first: {unit[:120]}…"
                out.append((before[-1], span))
    return out


def test_every_cited_section_is_a_heading_of_its_notebook():
    cited = cited_headings()
    assert len(cited) >= 30
    missing = [f"{number}: {heading}" for number, heading in cited if heading not in headings(lecture(number))]
    assert not missing, "headings the guide cites but its notebooks do not have:\n" + "\n".join(missing)


def test_the_map_cites_a_section_of_every_lecture_notebook():
    numbers = {number for number, _ in cited_headings()}
    assert numbers == {p.name[:2] for p in LECTURES}


# ------------------------------------------------------------------------------------------------ make

def makefile_targets():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"(?m)^([a-z][a-z0-9-]*)\s*:(?!=)", text))


def named_targets():
    out = set()
    for _, span in code_spans(guide()):
        words = span.split()
        if words and words[0] == "make":
            target = next((w for w in words[1:] if "=" not in w), None)
            assert target, f"`{span}` names no target"
            out.add(target)
    return out


def test_every_make_target_the_guide_names_is_in_the_makefile():
    named = named_targets()
    assert {"demo", "slides", "lab", "test"} <= named, named
    missing = sorted(named - makefile_targets())
    assert not missing, f"the guide names make targets the Makefile lacks: {missing}"


# ------------------------------------------------------------------------------------------------ live cells

def live_subsections():
    """{notebook number: text of its ### subsection} in the guide's live-coding section."""
    parts = re.split(r"(?m)^(?=### )", section("2 · Live coding"))
    out = {}
    for part in parts[1:]:
        m = re.match(r"### .*?notebooks/live/(0[1-9])_[a-z0-9_]+\.ipynb", part)
        assert m, f"a live-coding subsection must link its live copy: {part.splitlines()[0]}"
        out[m.group(1)] = part
    return out


def test_there_are_live_cells_to_document():
    assert live_cells(), "no lecture notebook has a cell tagged `live`"


def test_every_live_cell_is_in_the_guide():
    subsections = live_subsections()
    missing = []
    for number, cell, heading in live_cells():
        text = subsections.get(number, "")
        comment = first_comment(cell)
        if comment:
            if comment not in text:
                missing.append(f"{number} cell {cell.get('id')}: first comment line {comment!r}")
        elif heading not in text or cell.get("id", "") not in text:
            missing.append(f"{number} cell {cell.get('id')}: no comment line, so its heading {heading!r} and its id")
    assert not missing, "live cells the guide's live-coding section does not mention:\n" + "\n".join(missing)


def test_the_guide_lists_as_many_live_cells_per_notebook_as_the_notebooks_have():
    counts = {}
    for number, _, _ in live_cells():
        counts[number] = counts.get(number, 0) + 1
    rows = {number: sum(1 for line in text.splitlines() if line.startswith("|")) - 2
            for number, text in live_subsections().items()}
    assert rows == counts, f"rows per notebook in the guide {rows} != live cells per notebook {counts}"


def test_the_live_copies_the_guide_links_exist_for_exactly_the_notebooks_with_live_cells():
    assert set(live_subsections()) == {number for number, _, _ in live_cells()}


# ------------------------------------------------------------------------------------------------ minutes

def table_rows(text):
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in text.splitlines()
            if line.startswith("|") and not re.match(r"\|[-| ]+\|$", line.strip())]


def map_rows():
    rows = [r for r in table_rows(section("1 · The map")) if r and r[0].isdigit() and len(r) == 6]
    assert len(rows) >= 15, "the map should have a row per part of the lecture"
    return rows


def test_the_map_is_an_eighty_minute_lecture():
    total = sum(int(r[-1]) for r in map_rows())
    assert total == 80, f"the map's class minutes add up to {total}, not 80"


def test_minutes_per_notebook_add_up_and_reading_times_are_the_start_pages():
    start = "".join(source(c) for c in cells(START))
    reading = {m.group(1): int(m.group(2))
               for m in re.finditer(r"\]\((0[1-9])_[a-z0-9_]+\.ipynb\)[^\n]*?\| (\d+) min \|", start)}
    assert len(reading) == len(LECTURES)
    per_part = {}
    for row in map_rows():
        for number in set(re.findall(r"notebooks/(0[1-9])_", row[2])):
            per_part[number] = per_part.get(number, 0) + int(row[-1])
    per_notebook = [r for r in table_rows(section("1 · The map")) if len(r) == 4 and "notebooks/" in r[0]]
    assert len(per_notebook) == len(LECTURES)
    for row in per_notebook:
        number = re.search(r"notebooks/(0[1-9])_", row[0]).group(1)
        assert row[1] == f"{reading[number]} min", f"{number}: reading {row[1]}, start page {reading[number]} min"
        assert int(row[2]) == per_part.get(number), f"{number}: {row[2]} class minutes, the map gives {per_part.get(number)}"


# ------------------------------------------------------------------------------------------------ feedback

def test_every_quoted_piece_of_feedback_is_in_the_checks():
    checks = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "backproplib" / "checks").glob("*.py")))
    quoted = [" ".join(q.split()) for q in QUOTE.findall(section("3 · The mistakes"))]   # a quote may wrap
    assert len(quoted) >= 30, "the mistakes section should quote what the checks say"
    missing = [q for q in quoted if q not in checks]
    assert not missing, "quoted feedback not found in backproplib/checks/:\n" + "\n".join(missing)


@pytest.mark.parametrize("name", ["chain_rule", "tables", "activations", "logistic", "layers", "networks",
                                  "gradcheck", "matrix_calculus", "version_a", "depth"])
def test_the_mistakes_section_quotes_every_checks_module(name):
    text = (ROOT / "backproplib" / "checks" / f"{name}.py").read_text(encoding="utf-8")
    assert any(" ".join(q.split()) in text for q in QUOTE.findall(section("3 · The mistakes"))), \
        f"the guide quotes no feedback from backproplib/checks/{name}.py"
