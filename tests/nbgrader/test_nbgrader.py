"""nbgrader grades the course exported from solutions/ as the suite intends (`make test-nbgrader`).

The export (backproplib.nbgrader_export) goes to a temporary course folder; nbgrader's own command
line generates the release of three sets and autogrades, for each set, these submissions:

* right:       every answer cell holds the solution's code (or text)    -> every check full marks;
* wrong_<id>:  the solution, except a typical mistake in answer cell <id> -> 0 for its check only;
* blank:       the release unchanged                                      -> 0 everywhere;
* tampered:    the release with every check cell and the strict-mode cell edited to pass
               -> nbgrader restores them from the gradebook: 0 everywhere, as blank.

Scores are read from the gradebook (nbgrader.api.Gradebook): `auto_score` per grade cell, None where
the cell is left to a human (a markdown answer the student wrote: `needs_manual_grade`).
"""
import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from backproplib import authoring, nbgrader_export

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

try:
    from nbgrader.api import Gradebook
except ImportError:                    # reported by the `course` fixture, with the cure
    Gradebook = None

# A typical wrong answer for every answer cell of each set: {set: {answer cell id: source}}.
WRONG = {
    "01_chain_rule_by_hand": {
        "c03": 'def df_dx(x):\n    return np.cos(x) * 3 * x**2          # outer derivative at x, not at u = x³',
        "c08": "x, z = 2.0, 3.0\nu1, u2 = x * z, np.sin(x)\ndy_du1 = 2 * u1 + u2\ndy_du2 = u1\n"
               "dy_dx = dy_du1 * z                    # forgot the path through u2\ndy_dz = dy_du1 * x",
    },
    "06_module_backward": {
        "c03": "def linear_backward(g_a, x, alpha):\n    return g_a @ alpha, x.T @ g_a      # dJ/dα transposed",
        "c06": "def sigmoid_backward(g_z, z):\n    return g_z                         # forgot σ′ = z(1 − z)",
        "c09": "def softmax_ce_backward(b, labels):\n"
               "    e = np.exp(b - b.max(axis=1, keepdims=True))\n"
               "    g_b = e / e.sum(axis=1, keepdims=True)\n"
               "    g_b[np.arange(len(labels)), labels] -= 1.0\n"
               "    return g_b                         # forgot the 1/N of the mean",
    },
    "09_gradient_checker": {
        "c03": "def numerical_gradient(f, theta, eps=1e-5):\n"
               "    g, f0 = np.zeros_like(theta), f()\n"
               "    for i in np.ndindex(theta.shape):\n"
               "        theta[i] += eps\n"
               "        g[i] = (f() - f0) / eps         # one-sided difference\n"
               "        theta[i] -= eps\n"
               "    return g",
        "c06": "def relative_error(a, n):\n    return np.abs(a - n) / np.abs(a)   # not symmetric, 0/0 where both are 0",
        "c09": "f, params, grads = bp.checks.mystery_gradients()\n"
               "buggy_parameter = \"alpha\"              # the largest gradient, not the largest relative error\n"
               "buggy_index = np.unravel_index(np.abs(grads['alpha']).argmax(), grads['alpha'].shape)",
        "c11": "Because it is cheaper to use a small ε.",      # markdown: left to a human
    },
}

# What the gradebook must hold: {set: {student: {grade cell: auto_score}}}; None = needs manual grading.
EXPECTED = {
    "01_chain_rule_by_hand": {
        "right":     {"c04": 1, "c09": 1},
        "wrong_c03": {"c04": 0, "c09": 1},
        "wrong_c08": {"c04": 1, "c09": 0},
        "blank":     {"c04": 0, "c09": 0},
        "tampered":  {"c04": 0, "c09": 0},
    },
    "06_module_backward": {
        "right":     {"c04": 1, "c07": 1, "c10": 1},
        "wrong_c03": {"c04": 0, "c07": 1, "c10": 1},
        "wrong_c06": {"c04": 1, "c07": 0, "c10": 1},
        "wrong_c09": {"c04": 1, "c07": 1, "c10": 0},
        "blank":     {"c04": 0, "c07": 0, "c10": 0},
        "tampered":  {"c04": 0, "c07": 0, "c10": 0},
    },
    "09_gradient_checker": {     # c11: the markdown answer (9.4), graded by hand; unanswered it gets 0
        "right":     {"c04": 1, "c07": 1, "c10": 1, "c11": None},
        "wrong_c03": {"c04": 0, "c07": 1, "c10": 1, "c11": None},
        "wrong_c06": {"c04": 1, "c07": 0, "c10": 1, "c11": None},
        "wrong_c09": {"c04": 1, "c07": 1, "c10": 0, "c11": None},
        "wrong_c11": {"c04": 1, "c07": 1, "c10": 1, "c11": None},
        "blank":     {"c04": 0, "c07": 0, "c10": 0, "c11": 0},
        "tampered":  {"c04": 0, "c07": 0, "c10": 0, "c11": 0},
    },
}
TAMPERED_CHECK = "pass  # tampered: no check"
TAMPERED_STRICT = "import backproplib as bp\nbp.checks.set_strict(False)  # tampered"


def _env():
    """nbgrader runs `alembic` by name, and its kernel `python3` must be this venv's (with backproplib)."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               JUPYTER_PATH=str(Path(sys.prefix) / "share" / "jupyter"))
    env.pop("BACKPROPLIB_STRICT", None)
    return env


def nbgrader(course, *args):
    done = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=_env(), capture_output=True, text=True)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def _without_markers(source):
    return "\n".join(line for line in source.split("\n") if line.strip() not in (authoring.BEGIN, authoring.END))


# Answer cells whose solution region is followed by more of its function: no stub `raise` after it.
FALLS_THROUGH = {("03_backward_table", "c04")}


def _released(source, markdown=False):
    """The lines of what nbgrader's ClearSolutions makes of a cell (each region -> the configured stub),
    without `# YOUR CODE HERE` lines: the suite's stubs have them in functions only."""
    out, inside = [], False
    for line in source.split("\n"):
        marker = line.strip()
        if marker == authoring.BEGIN:
            inside = True
            out += [authoring.MARKDOWN_STUB] if markdown else []
        elif marker == authoring.END:
            inside = False
        elif not inside and marker != "# YOUR CODE HERE":
            out.append(line)
    return out


def _solution(name):
    return nbformat.read(ROOT / "solutions" / f"{name}.ipynb", as_version=4)


def _submissions(name, release):
    """{student: notebook} for one set, from its release notebook."""
    answers = {c.id: _without_markers(c.source) for c in _solution(name).cells if authoring.BEGIN in c.source}
    assert set(answers) == set(WRONG[name]), "every answer cell of the set needs a typical wrong answer"

    def filled(changes):
        nb = copy.deepcopy(release)
        for cell in nb.cells:
            cell.source = changes.get(cell.id, cell.source)
        return nb

    students = {"right": filled(answers), "blank": filled({})}
    students.update({f"wrong_{cell}": filled({**answers, cell: wrong}) for cell, wrong in WRONG[name].items()})
    checks = [c.id for c in release.cells if nbgrader_export.CHECK in c.metadata.get("tags", [])]
    students["tampered"] = filled({nbgrader_export.STRICT_ID: TAMPERED_STRICT, **dict.fromkeys(checks, TAMPERED_CHECK)})
    return students


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course folder exported from solutions/, with the sets of EXPECTED released, submitted and autograded."""
    if Gradebook is None or shutil.which("nbgrader", path=str(BIN)) is None:
        pytest.fail("these tests need nbgrader next to this Python: run `make test-nbgrader`, which installs "
                    "'.[nbgrader,test]' into .venv-nbgrader", pytrace=False)
    course = tmp_path_factory.mktemp("course")
    nbgrader_export.export(ROOT, course)
    for name in EXPECTED:
        nbgrader(course, "generate_assignment", name)
        release = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
        for student, nb in _submissions(name, release).items():
            path = course / "submitted" / student / name / f"{name}.ipynb"
            path.parent.mkdir(parents=True)
            nbformat.write(nb, path)
        nbgrader(course, "autograde", name)
    return course


def _scores(course, name):
    """{student: {grade cell: auto_score}} from the gradebook (None: needs manual grading)."""
    table = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        cells = [c.name for c in gradebook.find_notebook(name, name).grade_cells]
        for student in EXPECTED[name]:
            grades = {cell: gradebook.find_grade(cell, name, name, student) for cell in cells}
            assert all(g.needs_manual_grade == (g.auto_score is None) for g in grades.values())
            table[student] = {cell: g.auto_score for cell, g in grades.items()}
    return table


def test_export_marks_every_cell():
    """Without nbgrader: every solution becomes a source notebook with the roles nbgrader needs."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        written = nbgrader_export.export(ROOT, tmp)
        assert nbgrader_export.export(ROOT, tmp) == []                # unchanged content: nothing rewritten
        sources = sorted(Path(tmp, "source").glob("*/*.ipynb"))
        assert [p.stem for p in sources] == sorted(p.stem for p in (ROOT / "solutions").glob("*.ipynb"))
        assert Path(tmp, "nbgrader_config.py") in written
        for path in sources:
            solution, nb = _solution(path.stem), nbformat.read(path, as_version=4)
            dropped = {c.id for c in solution.cells if authoring.SOLUTION_ONLY in c.metadata.get("tags", [])}
            kept = [c.id for c in nb.cells if c.id != nbgrader_export.STRICT_ID]
            assert kept == [c.id for c in solution.cells if c.id not in dropped]
            for cell in nb.cells:
                meta, tags = cell.metadata["nbgrader"], cell.metadata.get("tags", [])
                assert meta["schema_version"] == 3 and meta["grade_id"] == cell.id
                if "check" in tags:
                    assert (meta["grade"], meta["solution"], meta["locked"], meta["points"]) == (True, False, True, 1)
                elif authoring.BEGIN in cell.source:
                    assert meta["solution"] and not meta["locked"]
                    assert meta["grade"] == (cell.cell_type == "markdown")
                else:
                    assert (meta["grade"], meta["solution"], meta["locked"]) == (False, False, True)
            exercise = {c.id: c.source for c in authoring.exercise_from_solution(solution, path.stem).cells}
            for cell in nb.cells:
                if cell.metadata["nbgrader"]["solution"] and (path.stem, cell.id) not in FALLS_THROUGH:
                    assert (_released(cell.source, cell.cell_type == "markdown")
                            == _released(exercise[cell.id])), (path.stem, cell.id)
            ids = [c.id for c in nb.cells]
            strict = ids.index(nbgrader_export.STRICT_ID)
            assert ids[strict - 2:strict] == ["setup", "c01"]         # right after the setup and import cells
            assert "bp.checks.set_strict(True)" in nb.cells[strict].source


def test_release_has_the_suites_stubs(course):
    """The release keeps no solution; its answer cells are the suite's exercise stubs (plus `# YOUR CODE
    HERE` in a top-level region); checks and the strict-mode cell are read-only for nbgrader."""
    for name in EXPECTED:
        release = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
        exercise = {c.id: c for c in authoring.exercise_from_solution(_solution(name), name).cells}
        text = nbformat.writes(release)
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
        for cell in release.cells:
            if cell.id == nbgrader_export.STRICT_ID:
                assert cell.metadata["editable"] is False and cell.metadata["nbgrader"]["locked"]
                continue
            ours = [line for line in cell.source.split("\n") if line.strip() != "# YOUR CODE HERE"]
            theirs = [line for line in exercise[cell.id].source.split("\n") if line.strip() != "# YOUR CODE HERE"]
            assert ours == theirs, f"{name}, cell {cell.id}"
            assert cell.metadata["deletable"] is False


@pytest.mark.parametrize("name", EXPECTED)
def test_autograde_scores(course, name):
    assert _scores(course, name) == EXPECTED[name]


@pytest.mark.parametrize("name", EXPECTED)
def test_tampered_cells_are_restored(course, name):
    """nbgrader graded the tampered submission with the original check and strict-mode cells."""
    release = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
    graded = nbformat.read(course / "autograded" / "tampered" / name / f"{name}.ipynb", as_version=4)
    originals = {c.id: c.source for c in release.cells}
    locked = [c for c in graded.cells
              if nbgrader_export.CHECK in c.metadata.get("tags", []) or c.id == nbgrader_export.STRICT_ID]
    assert locked and all(c.source == originals[c.id] for c in locked)
    for cell in locked:
        if cell.id != nbgrader_export.STRICT_ID:
            assert any(o.output_type == "error" and o.ename == "AssertionError" for o in cell.outputs), cell.id


@pytest.mark.parametrize("name", EXPECTED)
def test_zeros_are_the_checks_verdicts(course, name):
    """Each 0 comes from the check's own verdict raised in strict mode (✗ for a wrong answer, ○ for a
    blank), not from an error elsewhere; each full mark from a ✓ with nothing on stderr."""
    for student, scores in EXPECTED[name].items():
        graded = nbformat.read(course / "autograded" / student / name / f"{name}.ipynb", as_version=4)
        for cell in graded.cells:
            if scores.get(cell.id) == 0 and cell.cell_type == "code":
                errors = [o for o in cell.outputs if o.output_type == "error"]
                verdict = "✗" if student.startswith("wrong") else "○"
                assert [(e.ename, e.evalue[:1]) for e in errors] == [("AssertionError", verdict)], (student, cell.id)
            elif scores.get(cell.id) == 1:
                streams = [(o.name, o.text[:1]) for o in cell.outputs if o.output_type == "stream"]
                assert streams == [("stdout", "✓")], (student, cell.id)
