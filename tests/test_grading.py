"""`python -m backproplib grade`: right, wrong, blank, tampered, crashing, hanging and foreign submissions of
exercise set 01, graded in one run by the original check cells; the JSON and CSV reports; nothing outside
the scratch folder written by a submission."""
import copy
import csv
import json
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from backproplib import authoring, cli, grading

ROOT = Path(__file__).resolve().parents[1]
SET = "01_chain_rule_by_hand"


def _with(nb, replace=(), insert_before=(), drop=()):
    """A copy of `nb` with cell sources replaced ({id: source}), cells inserted before ids, ids dropped."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        for before, source in insert_before:
            if cell.id == before:
                cells.append(new_code_cell(source))
        if cell.id in drop:
            continue
        if cell.id in dict(replace):
            cell.source = dict(replace)[cell.id]
        cells.append(cell)
    nb.cells = cells
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("grading")
    solution = nbformat.read(ROOT / "solutions" / f"{SET}.ipynb", as_version=4)
    exercise = authoring.exercise_from_solution(solution, f"solutions/{SET}.ipynb")
    (base / "exercises").mkdir()
    nbformat.write(exercise, base / "exercises" / f"{SET}.ipynb")
    answers = {c.id: c.source for c in solution.cells if c.id in {"c03", "c08"}}
    wrong = {"c03": "def df_dx(x):\n    return np.cos(x**3)",                     # forgot the inner 3x²
             "c08": "x, z = 2.0, 3.0\ndy_dx, dy_dz = 25.8186, 36.2310"}             # swapped
    tamper = ("import backproplib, backproplib.checks\n"
              "backproplib.checks.check_chain_rule_1d = lambda *a, **k: print('✓ fine')\n"
              "backproplib.checks.check_multivariate_chain_rule = lambda *a, **k: print('✓ fine')\n"
              f"open({str(base / 'exercises' / 'planted.txt')!r}, 'w').write('x')")
    escape = (f"import os, subprocess, shutil\nresults = []\n"
              f"for attempt in (lambda: open({str(base / 'exercises' / f'{SET}.ipynb')!r}, 'w'),\n"
              f"                lambda: os.remove({str(base / 'exercises' / f'{SET}.ipynb')!r}),\n"
              f"                lambda: subprocess.run(['true']),\n"
              f"                lambda: shutil.rmtree({str(base / 'exercises')!r})):\n"
              "    try:\n        attempt(); results.append('done')\n"
              "    except PermissionError:\n        results.append('refused')\n"
              "open('inside-scratch.txt', 'w').write('allowed')\nprint(results)")
    subs = base / "submitted"
    subs.mkdir()
    notebooks = {
        "right": _with(exercise, replace=answers, insert_before=[("c04", escape)]),
        "wrong": _with(exercise, replace=wrong),
        "blank": exercise,
        "tampered": _with(exercise, replace={**wrong, "c09": "print('✓ all good')"},
                          insert_before=[("c04", tamper)], drop={"c04"}),
        "crashing": _with(exercise, replace={**answers, "c08": "import os\nos._exit(3)"}),
        "hanging": _with(exercise, replace={**answers, "c08": "while True:\n    pass"}),
        "foreign": new_notebook(cells=[new_code_cell("1 + 1")]),
    }
    for name, nb in notebooks.items():
        nbformat.write(nb, subs / f"{name}.ipynb")
    (subs / "junk.ipynb").write_text("this is not JSON")
    paths = [subs / f"{name}.ipynb" for name in [*notebooks, "junk"]]
    before = {p: p.read_bytes() for p in base.rglob("*") if p.is_file()}
    out_json, out_csv = base / "grades.json", base / "grades.csv"
    status = cli.main(["grade", *map(str, paths), "--exercises", str(base / "exercises"), "--timeout", "20",
                       "--json", str(out_json), "--csv", str(out_csv)])
    report = json.loads(out_json.read_text())
    rows = {Path(r["path"]).stem: r for r in report["submissions"]}
    return {"status": status, "rows": rows, "csv": list(csv.DictReader(out_csv.open())), "base": base,
            "before": before}


def points(row):
    return [(c["id"], c["status"], c["earned"]) for c in row["checks"]]


def test_right_answers_earn_every_point(graded):
    row = graded["rows"]["right"]
    assert (row["status"], row["exercise"], row["earned"], row["possible"]) == ("graded", SET, 2.0, 2.0)
    assert points(row) == [("check_chain_rule_1d", "pass", 1.0), ("check_multivariate_chain_rule", "pass", 1.0)]


def test_wrong_answers_and_blanks_earn_nothing(graded):
    assert points(graded["rows"]["wrong"]) == [("check_chain_rule_1d", "fail", 0.0),
                                               ("check_multivariate_chain_rule", "fail", 0.0)]
    assert points(graded["rows"]["blank"]) == [("check_chain_rule_1d", "todo", 0.0),
                                               ("check_multivariate_chain_rule", "todo", 0.0)]
    assert graded["rows"]["wrong"]["checks"][0]["message"].startswith("✗")


def test_a_tampered_submission_is_judged_by_the_original_checks(graded):
    # redefined check functions, an edited check cell and a deleted one: the originals still judge it
    assert points(graded["rows"]["tampered"]) == [("check_chain_rule_1d", "fail", 0.0),
                                                  ("check_multivariate_chain_rule", "fail", 0.0)]
    assert not (graded["base"] / "exercises" / "planted.txt").exists()


def test_crashing_and_hanging_notebooks_get_a_row_that_says_so(graded):
    crashing, hanging = graded["rows"]["crashing"], graded["rows"]["hanging"]
    assert crashing["status"] == "failed" and crashing["earned"] == 0 and len(crashing["checks"]) == 2
    assert hanging["status"] == "timed out" and hanging["message"] == "timed out after 20 s"
    assert graded["rows"]["foreign"]["status"] == "not an exercise"
    assert graded["rows"]["junk"]["status"] == "not a notebook"
    assert graded["status"] == 1                          # some submissions could not be graded


def test_the_submissions_code_changed_no_file_outside_its_scratch_folder(graded):
    after = {p: p.read_bytes() for p in graded["base"].rglob("*") if p.is_file()}
    assert {p: after[p] for p in graded["before"]} == graded["before"]
    assert not list(graded["base"].rglob("inside-scratch.txt"))


def test_csv_has_a_row_per_submission_and_a_column_per_check(graded):
    rows = {Path(r["path"]).stem: r for r in graded["csv"]}
    assert list(graded["csv"][0]) == ["path", "exercise", "status", "earned", "possible",
                                      "check_chain_rule_1d", "check_multivariate_chain_rule"]
    assert (rows["right"]["earned"], rows["right"]["check_chain_rule_1d"]) == ("2.0", "1.0")
    assert rows["junk"]["status"] == "not a notebook" and rows["junk"]["check_chain_rule_1d"] == ""


def test_reports_may_not_overwrite_a_submission(tmp_path, capsys):
    sub = tmp_path / "a.ipynb"
    sub.write_text("{}")
    assert cli.main(["grade", str(sub), "--json", str(sub)]) == 2
    assert "would overwrite a submission" in capsys.readouterr().err
    assert sub.read_text() == "{}"


def test_the_guard_cell_refuses_writes_outside_scratch_in_a_subprocess(tmp_path):
    import subprocess
    import sys

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    code = (f"from backproplib import grading; grading.guard({str(scratch)!r})\n"
            f"open({str(scratch / 'ok.txt')!r}, 'w').write('ok')\n"
            f"try:\n    open({str(tmp_path / 'no.txt')!r}, 'w')\nexcept PermissionError as e:\n    print('refused:', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "refused: grading: writing" in out and (scratch / "ok.txt").exists()
    assert not (tmp_path / "no.txt").exists()


def _sleeper(tmp_path, parent_pid):
    """A process in a session of its own, like a kernel, claiming `parent_pid` as its JPY_PARENT_PID."""
    import os
    import sys
    env = dict(os.environ, JPY_PARENT_PID=str(parent_pid))
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env=env,
                            start_new_session=True)
    (tmp_path / "kernel.pid").write_text(str(proc.pid))
    return proc


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="the kernel is identified through /proc")
def test_a_kernel_left_behind_by_its_parent_is_ended_and_nothing_else_is(tmp_path):
    # a kernel stuck in its own shutdown once held the grader's stderr pipe open for ever: it must be ended
    kernel = _sleeper(tmp_path, parent_pid=4242)
    grading._end_kernel(tmp_path / "kernel.pid", 4242)
    assert kernel.wait(timeout=10) == -9
    # a process that is not that child's kernel (a recycled pid) is left alone
    other = _sleeper(tmp_path, parent_pid=4343)
    try:
        grading._end_kernel(tmp_path / "kernel.pid", 4242)
        with pytest.raises(subprocess.TimeoutExpired):
            other.wait(timeout=0.5)
    finally:
        other.kill()
        other.wait()
    grading._end_kernel(tmp_path / "missing.pid", 4242)      # no pid file: nothing to do, no error
