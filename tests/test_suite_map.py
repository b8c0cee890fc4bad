"""The suite as a learner finds it: the start page lists every notebook and exercise set, every relative
link in every notebook leads to a file that exists, each lecture notebook points to its exercises, the
README's Binder and Colab links use the repository address set in pyproject.toml, and every notebook
stores the kernelspec JupyterLab writes back (so opening one does not mark it modified)."""
import json
import re
from pathlib import Path

import pytest

from backproplib import authoring

ROOT = Path(__file__).resolve().parents[1]
START = ROOT / "notebooks" / "00_start_here.ipynb"
LECTURES = sorted((ROOT / "notebooks").glob("0[1-9]_*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
ALL = sorted(ROOT.glob("notebooks/*.ipynb")) + sorted(ROOT.glob("notebooks/live/*.ipynb")) + EXERCISES \
    + sorted(ROOT.glob("solutions/*.ipynb"))
LINK = re.compile(r"\]\(([^)\s]+)\)")


def markdown(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def relative_links(path):
    return [link for link in LINK.findall(markdown(path)) if not re.match(r"[a-z][a-z0-9+.-]*:|#|/", link)]


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file(path):
    broken = [link for link in relative_links(path) if not (path.parent / link.split("#")[0]).is_file()]
    assert not broken, f"{path.relative_to(ROOT)} links to missing files: {broken}"


def test_start_page_lists_every_notebook_and_every_exercise_set_in_order():
    links = [(START.parent / link).resolve() for link in relative_links(START)]
    lectures = [p for p in links if p.parent == START.parent]
    assert lectures == LECTURES, "the start page must list the lecture notebooks once each, in order"
    assert sorted({p for p in links if p.parent.name == "exercises"}) == EXERCISES
    text = markdown(START)
    assert len(re.findall(r"\| \d+ min \|", text)) == len(LECTURES), "each notebook needs its reading time"
    assert "my-work/" in text and (ROOT / "my-work" / "README.md").is_file()


def test_each_lecture_notebook_ends_by_pointing_to_its_exercises():
    covered = set()
    for path in LECTURES:
        last = json.loads(path.read_text(encoding="utf-8"))["cells"][-1]
        targets = {(path.parent / link).resolve() for link in LINK.findall("".join(last["source"]))}
        exercises = {t for t in targets if t.parent.name == "exercises"}
        assert exercises, f"{path.name}: its last cell should link to its exercise set"
        assert START.resolve() in targets, f"{path.name}: its last cell should link back to the start page"
        covered |= exercises
    assert sorted(covered) == EXERCISES, "every exercise set should be linked from the notebook it practises"


def test_readme_binder_and_colab_links_use_the_configured_repository():
    _, repository = authoring.project_metadata(ROOT)
    owner_name = re.fullmatch(r"https://github\.com/([^/]+/[^/]+)", repository).group(1)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    binder = re.findall(r"https://mybinder\.org/v2/gh/([^/]+/[^/]+)/", readme)
    colab = re.findall(r"https://colab\.research\.google\.com/github/([^/]+/[^/]+)/blob/[^/]+/(\S+?\.ipynb)", readme)
    assert binder and set(binder) == {owner_name}
    assert colab and {repo for repo, _ in colab} == {owner_name}
    assert all((ROOT / path).is_file() for _, path in colab)
    assert (ROOT / "binder" / "postBuild").stat().st_mode & 0o111, "binder/postBuild must be executable"
    citation = ROOT / "CITATION.cff"
    if citation.exists():
        assert repository in citation.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebooks_store_the_kernelspec_jupyterlab_writes(path):
    assert json.loads(path.read_text(encoding="utf-8"))["metadata"]["kernelspec"] == authoring.KERNELSPEC
