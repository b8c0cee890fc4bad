"""The exercise / live-copy generator: stub rules, conventions enforced, a fixture run end to end
(executed, deterministic bytes, staleness detected), and the repository's own generated notebooks
are up to date (so `make test` fails when exercises/ or notebooks/live/ are stale)."""
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from backproplib import authoring
from backproplib.authoring import AuthoringError, stub_code, stub_markdown

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ stub rules

def test_function_region_becomes_raise_at_marker_indentation():
    src = ('def f(x):\n    """doc"""\n    y = 2\n    ### BEGIN SOLUTION\n    return x * y\n'
           '    ### END SOLUTION\n\nprint("after")')
    assert stub_code(src) == ('def f(x):\n    """doc"""\n    y = 2\n    # YOUR CODE HERE\n'
                              '    raise NotImplementedError("f")\n\nprint("after")')


def test_top_level_region_sets_every_assigned_name_to_none_in_order():
    src = "x = 1\n### BEGIN SOLUTION\na, (b, c) = 1, (2, 3)\nd: float = 4\na += 1\nprint(a)\n### END SOLUTION"
    assert stub_code(src) == ("x = 1\na = None  # YOUR ANSWER HERE\nb = None  # YOUR ANSWER HERE\n"
                              "c = None  # YOUR ANSWER HERE\nd = None  # YOUR ANSWER HERE")


def test_two_regions_in_one_cell_and_nested_function():
    src = ("def outer():\n    def inner():\n        ### BEGIN SOLUTION\n        return 1\n        ### END SOLUTION\n"
           "    return inner\n### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION")
    assert stub_code(src) == ('def outer():\n    def inner():\n        # YOUR CODE HERE\n'
                              '        raise NotImplementedError("inner")\n    return inner\n'
                              'answer = None  # YOUR ANSWER HERE')


def test_markdown_region_becomes_answer_prompt():
    assert stub_markdown("Q?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION\nMore.") == \
        "Q?\n\n*Your answer here.*\nMore."


def test_cells_without_markers_are_unchanged():
    src = "print('### BEGIN SOLUTION is only a marker on its own line')"
    assert stub_code(src) == src


@pytest.mark.parametrize("src, words", [
    ("### BEGIN SOLUTION\nx = 1", "never closed"),
    ("x = 1\n### END SOLUTION", "without a"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "inside another"),
    ("for i in range(3):\n    ### BEGIN SOLUTION\n    x = i\n    ### END SOLUTION", "inside a function body"),
    ("### BEGIN SOLUTION\nprint(1)\n### END SOLUTION", "must assign"),
    ("### BEGIN SOLUTION\nx = (\n### END SOLUTION", "does not parse"),
])
def test_broken_conventions_are_reported_with_place(src, words):
    with pytest.raises(AuthoringError, match=words) as err:
        stub_code(src, where="solutions/99_x.ipynb, cell 3")
    assert "solutions/99_x.ipynb, cell 3" in str(err.value)


def test_live_prompt_keeps_leading_comments_only():
    assert authoring.live_prompt("# check the slope\n# numerically\nprint(1)\n# tail", "code cell 2 of ../x") == \
        f"{authoring.LIVE_PROMPT} The full cell is code cell 2 of ../x.\n# check the slope\n# numerically"
    assert authoring.live_prompt("print(1)") == authoring.LIVE_PROMPT


# ------------------------------------------------------------------ notebook transforms

def _notebook(cells):
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                               "language": "python"}})
    nb.cells = cells
    return nb


def _solution():
    return _notebook([
        new_markdown_cell("# Demo\n### BEGIN SOLUTION\nsecret prose\n### END SOLUTION", id="m0"),
        new_code_cell("import backproplib as bp", id="c1"),
        new_code_cell('def sigmoid_prime(b):\n    ### BEGIN SOLUTION\n    s = bp.functional.sigmoid(b)\n'
                      '    return s * (1 - s)\n    ### END SOLUTION', id="c2",
                      outputs=[new_output("stream", name="stdout", text="old\n")], execution_count=3),
        new_code_cell("bp.checks.check_sigmoid_derivative(sigmoid_prime)", id="c3"),
        new_code_cell("print('secret')", id="c4", metadata={"tags": ["solution-only"]}),
    ])


def test_exercise_transform_drops_solutions_and_outputs_keeps_ids():
    ex = authoring.exercise_from_solution(_solution(), "solutions/01_demo.ipynb")
    assert [c.id for c in ex.cells] == ["m0", "c1", "c2", "c3"]
    text = "\n".join(c.source for c in ex.cells)
    assert "secret" not in text and "bp.functional.sigmoid" not in text
    assert all(c.outputs == [] and c.execution_count is None for c in ex.cells if c.cell_type == "code")
    assert ex.metadata["backproplib"]["generated_from"] == "solutions/01_demo.ipynb"


def test_live_transform_empties_only_tagged_code_cells():
    lecture = _notebook([new_code_cell("x = 1", id="a"),
                         new_code_cell("# show x\nprint(x)", id="b", metadata={"tags": ["live"]}),
                         new_code_cell("print(x + 1)", id="c")])
    live = authoring.live_from_lecture(lecture, "notebooks/01_demo.ipynb")
    assert [c.source for c in live.cells] == [
        "x = 1", f"{authoring.LIVE_PROMPT} The full cell is code cell 2 of ../01_demo.ipynb.\n# show x", "print(x + 1)"]
    assert live.cells[1].metadata["tags"] == ["live"]
    assert authoring.live_from_lecture(_notebook([new_code_cell("x = 1")]), "n") is None


# ------------------------------------------------------------------ end to end on a fixture

@pytest.fixture
def repo(tmp_path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "notebooks").mkdir()
    import backproplib
    (tmp_path / "pyproject.toml").write_text(f'[project]\nversion = "{backproplib.__version__}"\n'
                                             '[project.urls]\nRepository = "https://example.org/demo"\n')
    nbformat.write(_solution(), tmp_path / "solutions" / "01_demo.ipynb")
    lecture = _notebook([new_code_cell("x = 21", id="a"),
                         new_code_cell("# double it\nprint(2 * x)", id="b", metadata={"tags": ["live"]}),
                         new_code_cell("print(x)", id="c")])
    nbformat.write(lecture, tmp_path / "notebooks" / "01_demo.ipynb")
    nbformat.write(_notebook([new_code_cell("y = 1", id="a")]), tmp_path / "notebooks" / "02_nolive.ipynb")
    return tmp_path


def _outputs(path):
    nb = nbformat.read(path, as_version=4)
    return ["".join(o.get("text", "") for o in c.outputs) for c in nb.cells if c.cell_type == "code"]


def test_generate_executes_blank_copies_deterministically_and_check_detects_staleness(repo, capsys):
    assert authoring.main(["generate", "--check", "--root", str(repo)]) == 1       # nothing generated yet
    assert "exercises/01_demo.ipynb: missing" in capsys.readouterr().err

    assert authoring.main(["generate", "--root", str(repo)]) == 0
    exercise, live = repo / "exercises" / "01_demo.ipynb", repo / "notebooks" / "live" / "01_demo.ipynb"
    assert not (repo / "notebooks" / "live" / "02_nolive.ipynb").exists()
    check_output = _outputs(exercise)[3]                # after the setup cell, the imports, the stub
    assert check_output.startswith("○ not implemented yet") and "`sigmoid_prime`" in check_output
    assert _outputs(live) == ["", "", "", "21\n"]
    assert nbformat.read(live, as_version=4).cells[1].metadata["tags"] == ["setup"]
    assert authoring.main(["generate", "--check", "--root", str(repo)]) == 0

    first = exercise.read_bytes(), live.read_bytes()
    authoring.generate("exercises", repo, log=lambda _: None)
    authoring.generate("live", repo, log=lambda _: None)
    assert (exercise.read_bytes(), live.read_bytes()) == first                      # byte-identical

    sol = nbformat.read(repo / "solutions" / "01_demo.ipynb", as_version=4)
    sol.cells[4].source = "bp.checks.check_tanh_derivative(sigmoid_prime)"
    nbformat.write(sol, repo / "solutions" / "01_demo.ipynb")
    (repo / "exercises" / "99_orphan.ipynb").write_text(first[0].decode())
    capsys.readouterr()
    assert authoring.main(["exercises", "--check", "--root", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "exercises/01_demo.ipynb: differs from solutions/01_demo.ipynb (cell 4: source)" in err
    assert "exercises/99_orphan.ipynb: left over" in err

    nb = nbformat.read(live, as_version=4)
    nb.cells[2].execution_count = None
    nbformat.write(nb, live)
    assert authoring.stale("live", repo) == ["notebooks/live/01_demo.ipynb: not executed"]


def _snapshot(root):
    return {p: p.read_bytes() for p in sorted(Path(root).rglob("*")) if p.is_file()}


def test_a_solution_whose_check_fails_stops_generation_and_writes_nothing(repo):
    authoring.generate(["exercises", "live"], repo, log=lambda _: None)
    sol = nbformat.read(repo / "solutions" / "01_demo.ipynb", as_version=4)
    sol.cells[2].source = sol.cells[2].source.replace("1 - s", "1 + s")
    nbformat.write(sol, repo / "solutions" / "01_demo.ipynb")
    before = _snapshot(repo)
    with pytest.raises(AuthoringError, match="must pass its checks, but:\n  ✗ sigmoid_prime"):
        authoring.generate(["exercises", "live"], repo, log=lambda _: None)
    assert _snapshot(repo) == before


def test_a_cell_that_fails_midway_is_named_and_nothing_is_written(repo):
    authoring.generate(["exercises", "live"], repo, log=lambda _: None)
    lecture = nbformat.read(repo / "notebooks" / "01_demo.ipynb", as_version=4)
    lecture.cells[2].source = "print(undefined_name)"
    nbformat.write(lecture, repo / "notebooks" / "01_demo.ipynb")
    before = _snapshot(repo)
    with pytest.raises(AuthoringError) as err:
        authoring.generate(["exercises", "live"], repo, log=lambda _: None)
    assert str(err.value) == ("notebooks/live/01_demo.ipynb: code cell 3 (cell 2, id c) failed: "
                              "NameError: name 'undefined_name' is not defined; nothing was written")
    assert _snapshot(repo) == before


def test_an_edited_exercise_and_an_unknown_notebook_stop_generation(repo, capsys):
    assert authoring.main(["generate", "--root", str(repo)]) == 0
    exercise = repo / "exercises" / "01_demo.ipynb"
    nb = nbformat.read(exercise, as_version=4)
    nb.cells[3].source = nb.cells[3].source.replace("# YOUR CODE HERE", "return 42  # my answer")
    nbformat.write(nb, exercise)                                        # a student's work, saved by Jupyter
    (repo / "exercises" / "12_my_draft.ipynb").write_text(exercise.read_text())
    (repo / "exercises" / "01_demo-Copy1.ipynb").write_text("not even a notebook")
    before = _snapshot(repo)
    capsys.readouterr()
    assert authoring.main(["generate", "--root", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "exercises/01_demo.ipynb\n" in err and "exercises/12_my_draft.ipynb" in err
    assert "exercises/01_demo-Copy1.ipynb" in err and "--force" in err and "Nothing was written" in err
    assert _snapshot(repo) == before

    assert authoring.main(["generate", "--force", "--root", str(repo)]) == 0
    err = capsys.readouterr().err
    backup = next((repo / "build" / "authoring-backup").iterdir())
    assert f"copied these to build/authoring-backup/{backup.name}/" in err
    for name in ("01_demo.ipynb", "12_my_draft.ipynb", "01_demo-Copy1.ipynb"):
        assert (backup / "exercises" / name).read_bytes() == before[repo / "exercises" / name]
    assert not (repo / "exercises" / "12_my_draft.ipynb").exists()
    assert "my answer" not in exercise.read_text() and authoring.untouched(exercise)


def test_generation_twice_changes_no_byte_and_records_what_it_wrote(repo):
    authoring.generate([authoring.SETUP, "exercises", "live"], repo, log=lambda _: None)
    first = _snapshot(repo)
    assert authoring.generate([authoring.SETUP, "exercises", "live"], repo, log=lambda _: None) == []
    assert _snapshot(repo) == first
    for path in [*(repo / "exercises").glob("*.ipynb"), *(repo / "notebooks" / "live").glob("*.ipynb")]:
        assert authoring.untouched(path)
        nb = nbformat.read(path, as_version=4)
        nb.cells[0].source += " "
        nbformat.write(nb, path)
        assert not authoring.untouched(path)


def test_a_live_cell_that_later_cells_need_fails_generation(repo):
    lecture = _notebook([new_code_cell("x = 21", id="a", metadata={"tags": ["live"]}),
                         new_code_cell("print(x)", id="b")])
    nbformat.write(lecture, repo / "notebooks" / "01_demo.ipynb")
    with pytest.raises(Exception, match="NameError"):
        authoring.generate("live", repo, log=lambda _: None)


# ------------------------------------------------------------------ this repository

@pytest.mark.parametrize("job", sorted(authoring.JOBS))
def test_repository_generated_notebooks_are_up_to_date(job):
    problems = authoring.stale(job, ROOT)
    assert not problems, ("generated notebooks are stale; run `make exercises` "
                          "(python -m backproplib.authoring generate):\n" + "\n".join(problems))


def test_repository_has_an_exercise_per_solution():
    solutions = sorted(p.name for p in (ROOT / "solutions").glob("*.ipynb"))
    assert len(solutions) >= 8
    assert solutions == sorted(p.name for p in (ROOT / "exercises").glob("*.ipynb"))


# ------------------------------------------------------------------ setup cells and live links

SETUP_SOURCE = authoring.setup_source("9.8.7", "https://example.org/repo")


def test_setup_source_names_the_version_and_the_repository():
    assert 'git+https://example.org/repo"' in SETUP_SOURCE
    assert SETUP_SOURCE.count("9.8.7") == 2 and "VERSION" not in SETUP_SOURCE and "REPOSITORY" not in SETUP_SOURCE
    compile(SETUP_SOURCE, "setup", "exec")


def _run_setup(monkeypatch, importable):
    import importlib.util
    import subprocess

    calls = []
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: find_spec(name, *a) if importable or name != "backproplib" else None)
    monkeypatch.setattr(subprocess, "run", lambda argv, check: calls.append(argv))
    exec(SETUP_SOURCE, {})
    return calls


def test_setup_cell_installs_only_where_backproplib_is_missing(monkeypatch, capsys):
    import sys

    import backproplib

    monkeypatch.setattr(backproplib, "__version__", "9.8.7")
    assert _run_setup(monkeypatch, importable=True) == []
    monkeypatch.delenv("BACKPROPLIB_SOURCE", raising=False)
    assert _run_setup(monkeypatch, importable=False) == [
        [sys.executable, "-m", "pip", "install", "--quiet", "backproplib @ git+https://example.org/repo"]]
    monkeypatch.setenv("BACKPROPLIB_SOURCE", "/tmp/backproplib-9.8.7-py3-none-any.whl")
    assert _run_setup(monkeypatch, importable=False)[0][-1] == "/tmp/backproplib-9.8.7-py3-none-any.whl"
    assert capsys.readouterr().out == ""                       # the right version: silent


def test_setup_cell_says_when_the_installed_version_differs(monkeypatch, capsys):
    import backproplib

    monkeypatch.setattr(backproplib, "__version__", "0.0.1")
    _run_setup(monkeypatch, importable=True)
    assert capsys.readouterr().out == "Note: written for backproplib 9.8.7; this kernel has 0.0.1.\n"


def test_setup_cell_goes_right_after_the_title_once_and_is_idempotent():
    nb = _notebook([new_markdown_cell("# Title"), new_code_cell("x = 1", id="a")])
    with_setup = authoring.with_setup_cell(nb, SETUP_SOURCE)
    assert [c.source for c in with_setup.cells] == ["# Title", SETUP_SOURCE, "x = 1"]
    assert with_setup.cells[1].metadata["tags"] == ["setup"]
    assert authoring.with_setup_cell(with_setup, SETUP_SOURCE) is None              # already current
    newer = authoring.with_setup_cell(with_setup, SETUP_SOURCE + "\n# v2")
    assert [c.source for c in newer.cells] == ["# Title", SETUP_SOURCE + "\n# v2", "x = 1"]
    assert authoring.with_setup_cell(_notebook([new_markdown_cell("# Contents")]), SETUP_SOURCE) is None


def test_every_source_notebook_has_a_current_setup_cell():
    problems = authoring.stale("setup", ROOT)
    assert not problems, "run `make exercises` (python -m backproplib.authoring generate):\n" + "\n".join(problems)
    version, repository = authoring.project_metadata(ROOT)
    import backproplib
    assert version == backproplib.__version__, "pyproject.toml and backproplib/__init__.py disagree on the version"
    assert repository.startswith("https://")


def test_live_copies_keep_relative_links_working_one_folder_down():
    text = "[a](01_x.ipynb), [b](../exercises/e.ipynb), [c](https://x.org/y), [d](#top), [e](/abs), [f](mailto:a@b)"
    assert authoring.one_folder_down(text) == ("[a](../01_x.ipynb), [b](../../exercises/e.ipynb), "
                                               "[c](https://x.org/y), [d](#top), [e](/abs), [f](mailto:a@b)")
