"""The exercise / live-copy generator: stub rules, conventions enforced, a fixture run end to end
(executed, deterministic bytes, staleness detected), live copies whose later cells wait for a blank
(banners, waiting in a real kernel and under nbval, typing the blank, refusals naming both cells),
generation all or nothing, and the repository's own generated notebooks are up to date (so
`make test` fails when exercises/ or notebooks/live/ are stale)."""
import shutil
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


def test_live_prompt_is_a_type_here_banner_that_keeps_the_leading_comments():
    source = "# Module backward: dJ/dβ\n# numerically too\nprint(1)\n# tail"
    label = "TYPE HERE 2 · Module backward: dJ/dβ"
    assert authoring.live_prompt(source, label, "cell id c7 of ../x", ["g", "h"]) == (
        "# ✍ TYPE HERE 2 · Module backward: dJ/dβ\n# The full cell: cell id c7 of ../x.\n"
        "# Later cells need from it: g, h.\n# numerically too")
    assert authoring.live_prompt("print(1)", "TYPE HERE 1 · code cell 3") == "# ✍ TYPE HERE 1 · code cell 3"
    assert authoring.live_title("# Module backward (Case 2): dJ/dz\n# more\nx = 1") == "Module backward (Case 2): dJ/dz"
    assert authoring.live_title("x = 1  # not leading") == ""


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
    assert [c.id for c in live.cells] == ["a", "type-here-1", "b", "c"]           # nothing waits: no wait cell
    assert [c.source for c in live.cells if c.cell_type == "code"] == [
        "x = 1", "# ✍ TYPE HERE 1 · show x\n# The full cell: cell id b (code cell 2) of ../01_demo.ipynb.",
        "print(x + 1)"]
    assert live.cells[2].metadata["tags"] == ["live"]
    assert authoring.live_from_lecture(_notebook([new_code_cell("x = 1")]), "n") is None


def _lecture_with_dependants():
    return _notebook([
        new_markdown_cell("# 01 · Demo lecture", id="title"),
        new_code_cell("x = 20", id="a"),
        new_markdown_cell("## 2 · Add one\n\nText.", id="m"),
        new_code_cell("# Add one: y = x + 1\ny = x + 1", id="b", metadata={"tags": ["live"]}),
        new_code_cell("print('y is', y)", id="c"),                     # needs y directly
        new_code_cell("z = 2 * y", id="d"),                             # needs y, binds z
        new_code_cell("print('z is', z)", id="e"),                     # needs z: waits through d
        new_code_cell("print('x is', x)", id="f"),                     # independent: runs
    ])


def test_live_transform_banners_each_blank_and_makes_its_dependants_wait():
    live = authoring.live_from_lecture(_lecture_with_dependants(), "notebooks/01_demo.ipynb")
    assert [c.id for c in live.cells] == ["title", "live-wait", "a", "m", "type-here-1", "b", "c", "d", "e", "f"]
    banner = live.cells[4]
    assert banner.cell_type == "markdown" and banner.metadata["tags"] == ["live-banner"]
    assert banner.source.startswith("> **✍ TYPE HERE 1 · Add one: y = x + 1**")
    assert ("cell `b` (code cell 2, section “2 · Add one”) of [01 · Demo lecture](../01_demo.ipynb)"
            in banner.source)
    assert "need `y` print “⏸ Waiting for …”" in banner.source
    assert live.cells[5].source.startswith("# ✍ TYPE HERE 1 · Add one: y = x + 1\n")
    assert "y = x + 1" not in live.cells[5].source.split("\n")
    assert "# Later cells need from it: y.\n" in live.cells[5].source + "\n"
    wait = live.cells[1]
    assert wait.metadata["tags"] == ["live-wait"]
    assert "backproplib.live.wait_for({\n    'TYPE HERE 1 · Add one: y = x + 1': ['y', 'z'],\n})" in wait.source
    compile(wait.source, "wait", "exec")
    blanks, waiting = authoring.live_dependencies(_lecture_with_dependants(), "n")
    label = "TYPE HERE 1 · Add one: y = x + 1"
    assert blanks == [(3, label, ["y", "z"], ["y"])]
    assert waiting == {4: [("y", label)], 5: [("y", label)], 6: [("z", label)]}


def test_a_cell_that_binds_the_name_again_after_the_blank_does_not_wait():
    lecture = _lecture_with_dependants()
    lecture.cells[5].source = "y = 5\nz = 2 * y"                       # d no longer needs the blank
    _, waiting = authoring.live_dependencies(lecture, "n")
    assert sorted(waiting) == [4]


# ------------------------------------------------------------------ end to end on a fixture

@pytest.fixture
def repo(tmp_path):
    return _make_repo(tmp_path)


def _make_repo(tmp_path):
    """A small repository: a solution, a lecture notebook with a live cell, one without."""
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
    nb.cells[-1].execution_count = None
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
    assert str(err.value) == ("notebooks/live/01_demo.ipynb: code cell 3 (cell 3, id c) failed: "
                              "NameError: name 'undefined_name' is not defined; nothing was written")
    assert _snapshot(repo) == before


@pytest.fixture(scope="module")
def generated_repo(tmp_path_factory):
    """The small repository after `generate` (setup, exercises, live), made once for the tests that copy it."""
    root = _make_repo(tmp_path_factory.mktemp("generated"))
    authoring.generate([authoring.SETUP, "exercises", "live"], root, log=lambda _: None)
    return root


@pytest.fixture
def repo_generated(generated_repo, tmp_path):
    """A fresh copy of `generated_repo`."""
    return Path(shutil.copytree(generated_repo, tmp_path / "repo"))


def test_an_edited_exercise_and_an_unknown_notebook_stop_generation(repo_generated, capsys):
    repo = repo_generated
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


def test_generation_twice_changes_no_byte_and_records_what_it_wrote(repo_generated):
    repo = repo_generated
    first = _snapshot(repo)
    assert authoring.generate([authoring.SETUP, "exercises", "live"], repo, log=lambda _: None) == []
    assert _snapshot(repo) == first
    for path in [*(repo / "exercises").glob("*.ipynb"), *(repo / "notebooks" / "live").glob("*.ipynb")]:
        assert authoring.untouched(path)
        nb = nbformat.read(path, as_version=4)
        nb.cells[0].source += " "
        nbformat.write(nb, path)
        assert not authoring.untouched(path)


# ------------------------------------------------------------------ live copies whose later cells wait

@pytest.fixture
def live_repo(repo):
    nbformat.write(_lecture_with_dependants(), repo / "notebooks" / "01_demo.ipynb")
    return repo


@pytest.fixture(scope="module")
def generated_live_repo(tmp_path_factory):
    """A live_repo with its exercises and live copies generated, made once for the tests that copy it."""
    root = tmp_path_factory.mktemp("generated")
    _make_repo(root)
    nbformat.write(_lecture_with_dependants(), root / "notebooks" / "01_demo.ipynb")
    authoring.generate(["exercises", "live"], root, log=lambda _: None)
    return root


def _waits(names):
    return (f"⏸ Waiting for {names} from TYPE HERE 1 above (Add one: y = x + 1). Type that cell and run it, "
            "then run the cells from there down to this one.\n")


def _printed(nb):
    """{cell id: everything the code cell printed}; fails on any stored error."""
    cells = [c for c in nb.cells if c.cell_type == "code"]
    assert not [o for c in cells for o in c.outputs if o.output_type == "error"]
    return {c.id: "".join(o.get("text", "") for o in c.outputs) for c in cells}


def test_dependants_of_a_blank_wait_in_the_executed_copy_and_check_mode_sees_a_stale_copy(live_repo):
    authoring.generate("live", live_repo, log=lambda _: None)
    path = live_repo / "notebooks" / "live" / "01_demo.ipynb"
    copy = nbformat.read(path, as_version=4)
    assert _printed(copy) == {"live-wait": "", "a": "", "b": "", "c": _waits("y"), "d": _waits("y"),
                              "e": _waits("z"), "f": "x is 20\n"}
    assert all(c.execution_count for c in copy.cells if c.cell_type == "code")
    assert authoring.stale("live", live_repo) == []
    first = path.read_bytes()
    assert authoring.generate("live", live_repo, log=lambda _: None) == [] and path.read_bytes() == first

    lecture = nbformat.read(live_repo / "notebooks" / "01_demo.ipynb", as_version=4)
    lecture.cells[6].source = "print('z =', z)"
    nbformat.write(lecture, live_repo / "notebooks" / "01_demo.ipynb")
    assert authoring.stale("live", live_repo) == [
        "notebooks/live/01_demo.ipynb: differs from notebooks/01_demo.ipynb (cell 8: source)"]


def _run_in_one_kernel(nb, folder, steps):
    """Run cells of `nb` by id, in the order of `steps`, in one kernel; a step (id, source) first puts
    `source` in that cell (the lecturer typing it).  Returns what each step printed; any error fails."""
    from nbclient import NotebookClient

    client = NotebookClient(nb, kernel_name="python3", timeout=60, resources={"metadata": {"path": str(folder)}})
    index = {c.id: i for i, c in enumerate(nb.cells)}
    printed = []
    with client.setup_kernel():
        for step in steps:
            cell_id, source = step if isinstance(step, tuple) else (step, None)
            cell = nb.cells[index[cell_id]]
            if source is not None:
                cell.source = source
            client.execute_cell(cell, index[cell_id])
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.outputs
            printed.append("".join(o.get("text", "") for o in cell.outputs))
    return printed


def test_after_typing_the_blank_its_dependants_print_the_lecture_outputs_in_any_order_and_twice(live_repo):
    authoring.generate("live", live_repo, log=lambda _: None)
    folder = live_repo / "notebooks" / "live"
    copy = nbformat.read(folder / "01_demo.ipynb", as_version=4)
    lecture = authoring._execute(_lecture_with_dependants(), live_repo / "notebooks")
    expected = _printed(lecture)
    code = [c.id for c in copy.cells if c.cell_type == "code"]
    typed = _lecture_with_dependants().cells[3].source
    printed = _run_in_one_kernel(copy, folder, [*code, *code,                 # Run All, twice, blank empty
                                                "e", "c",                       # out of order
                                                ("b", typed),                   # the lecturer types the blank
                                                "e",                            # d has not run again: z missing
                                                "c", "d", "e", "c", "f", "live-wait", "e"])
    n = len(code)
    assert printed[:n] == printed[n:2 * n] == [_printed(nbformat.read(folder / "01_demo.ipynb", as_version=4))[i]
                                                for i in code]
    assert printed[2 * n:] == [_waits("z"), _waits("y"), "", _waits("z"),
                               expected["c"], "", expected["e"], expected["c"], expected["f"], "", expected["e"]]
    assert expected["c"] == "y is 21\n" and expected["e"] == "z is 42\n"


def test_the_copy_with_waiting_cells_passes_nbval(live_repo):
    import subprocess
    import sys

    authoring.generate("live", live_repo, log=lambda _: None)
    run = subprocess.run([sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "-p", "no:cacheprovider",
                          "-o", "addopts=", "-q", "notebooks/live/01_demo.ipynb"],
                         cwd=live_repo, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " passed" in run.stdout and "failed" not in run.stdout


def _widget_output():
    return new_output("display_data", data={"text/plain": "VBox()", authoring.WIDGET_VIEW:
                                            {"model_id": "1" * 32, "version_major": 2, "version_minor": 0}})


C, B = "notebooks/01_demo.ipynb code cell 3 (cell 4, id c)", "notebooks/01_demo.ipynb code cell 2 (cell 3, id b)"
F = "notebooks/01_demo.ipynb code cell 6 (cell 7, id f)"


def _tag(cell, tag):
    cell.metadata["tags"] = [tag]


@pytest.mark.parametrize("change, words", [
    (lambda nb: _tag(nb.cells[4], "check"),
     f"{C} needs `y` from TYPE HERE 1 · Add one: y = x + 1 ({B}), but a cell tagged `check` must run, not wait"),
    (lambda nb: _tag(nb.cells[4], "setup"), f"{C} needs `y` from TYPE HERE 1 · Add one: y = x + 1 ({B}), but a "
                                            "cell tagged `setup` must run"),
    (lambda nb: nb.cells[4].outputs.append(_widget_output()),
     f"{C} needs `y` from TYPE HERE 1 · Add one: y = x + 1 ({B}), but it shows a widget"),
    (lambda nb: setattr(nb.cells[3], "source", "# Add one\ny = x + 1\nx = 0"),
     f"{F} needs `x` from TYPE HERE 1 · Add one ({B}), but notebooks/01_demo.ipynb code cell 1 (cell 1, id a) "
     "binds `x` before it"),
    (lambda nb: setattr(nb.cells[3], "source", "# Add one\ny = x + 1\nbox[0] = y") or
     setattr(nb.cells[1], "source", "x = 20\nbox = [0]") or setattr(nb.cells[7], "source", "print(box)"),
     f"{F} reads `box`, which {B} changes in place; while TYPE HERE 1 · Add one ({B}) is empty"),
    (lambda nb: setattr(nb.cells[3], "source", "# Add one\nfrom math import *\ny = x + 1"),
     f"{B}: a live cell cannot use `from … import *`"),
])
def test_a_blank_that_a_later_cell_cannot_do_without_is_refused_naming_both_and_nothing_is_written(
        generated_live_repo, tmp_path, change, words, capsys):
    live_repo = tmp_path / "repo"
    shutil.copytree(generated_live_repo, live_repo)            # exercises and live copies: must not change
    lecture = _lecture_with_dependants()
    change(lecture)
    nbformat.write(lecture, live_repo / "notebooks" / "01_demo.ipynb")
    before = _snapshot(live_repo)
    with pytest.raises(authoring.LiveRefused) as err:
        authoring.generate(["exercises", "live"], live_repo, log=lambda _: None)
    assert words in str(err.value) and str(err.value).endswith("Nothing was written.")
    assert _snapshot(live_repo) == before
    assert any(words in problem for problem in authoring.stale("live", live_repo))             # --check agrees
    capsys.readouterr()
    assert authoring.main(["live", "--root", str(live_repo)]) == 1
    assert words in capsys.readouterr().err and _snapshot(live_repo) == before


def test_a_dependant_the_analysis_cannot_see_fails_execution_naming_both_cells_and_nothing_is_written(live_repo):
    authoring.generate("live", live_repo, log=lambda _: None)
    lecture = _lecture_with_dependants()
    lecture.cells[4].source = "print('y is', eval('y'))"
    nbformat.write(lecture, live_repo / "notebooks" / "01_demo.ipynb")
    before = _snapshot(live_repo)
    with pytest.raises(AuthoringError) as err:
        authoring.generate("live", live_repo, log=lambda _: None)
    assert str(err.value).startswith(
        "notebooks/live/01_demo.ipynb: code cell 4 (cell 6, id c) failed: NameError: name 'y' is not defined: "
        f"it needs `y` from TYPE HERE 1 ({B}), which is empty in the live copy")
    assert str(err.value).endswith("; nothing was written")
    assert _snapshot(live_repo) == before


def test_a_write_that_fails_halfway_changes_no_file(repo_generated, monkeypatch):
    import tempfile

    repo = repo_generated
    sol = nbformat.read(repo / "solutions" / "01_demo.ipynb", as_version=4)
    sol.cells[0].source += "\n\nMore."
    nbformat.write(sol, repo / "solutions" / "01_demo.ipynb")
    lecture = nbformat.read(repo / "notebooks" / "01_demo.ipynb", as_version=4)
    lecture.cells[2].source = "print(x, 'again')"
    nbformat.write(lecture, repo / "notebooks" / "01_demo.ipynb")
    before = _snapshot(repo)
    real, calls = tempfile.mkstemp, []

    def full_disk(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)
    monkeypatch.setattr(tempfile, "mkstemp", full_disk)
    with pytest.raises(OSError):
        authoring.generate(["exercises", "live"], repo, log=lambda _: None)
    assert len(calls) == 2 and _snapshot(repo) == before                  # no file changed, no temporary left
    monkeypatch.setattr(tempfile, "mkstemp", real)
    assert len(authoring.generate(["exercises", "live"], repo, log=lambda _: None)) == 2


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
