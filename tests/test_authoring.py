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
    check_output = _outputs(exercise)[2]
    assert check_output.startswith("○ not implemented yet") and "`sigmoid_prime`" in check_output
    assert _outputs(live) == ["", "", "21\n"]
    assert authoring.main(["generate", "--check", "--root", str(repo)]) == 0

    first = exercise.read_bytes(), live.read_bytes()
    authoring.generate("exercises", repo, log=lambda _: None)
    authoring.generate("live", repo, log=lambda _: None)
    assert (exercise.read_bytes(), live.read_bytes()) == first                      # byte-identical

    sol = nbformat.read(repo / "solutions" / "01_demo.ipynb", as_version=4)
    sol.cells[3].source = "bp.checks.check_tanh_derivative(sigmoid_prime)"
    nbformat.write(sol, repo / "solutions" / "01_demo.ipynb")
    (repo / "exercises" / "99_orphan.ipynb").write_text(first[0].decode())
    capsys.readouterr()
    assert authoring.main(["exercises", "--check", "--root", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "exercises/01_demo.ipynb: differs from solutions/01_demo.ipynb (cell 3: source)" in err
    assert "exercises/99_orphan.ipynb: left over" in err

    nb = nbformat.read(live, as_version=4)
    nb.cells[2].execution_count = None
    nbformat.write(nb, live)
    assert authoring.stale("live", repo) == ["notebooks/live/01_demo.ipynb: not executed"]


def test_a_solution_whose_check_fails_stops_generation_and_is_stale(repo):
    sol = nbformat.read(repo / "solutions" / "01_demo.ipynb", as_version=4)
    sol.cells[2].source = sol.cells[2].source.replace("1 - s", "1 + s")
    nbformat.write(sol, repo / "solutions" / "01_demo.ipynb")
    with pytest.raises(AuthoringError, match="must pass its checks, but:\n  ✗ sigmoid_prime"):
        authoring.generate("exercises", repo, log=lambda _: None)
    assert authoring.stale("exercises", repo)[0].startswith("solutions/01_demo.ipynb: a check does not pass: ✗")


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
