"""Grading submitted exercise notebooks: ``python -m backproplib grade SUBMISSION.ipynb ...``.

Each submission is judged by the *original* check cells of the exercise it came from (found by
``metadata.backproplib.generated_from``, else by file name, in the suite's ``exercises/``):

1. Everything is read into memory first: the submissions, the original exercises.  A
   submission's code can therefore change no verdict by rewriting files on disk.
2. The graded notebook is the submission with every check cell (tag ``check``, matched by cell
   id) replaced by the original, and any deleted one put back after the cell that preceded it.
   Each original check cell runs through `run_check`, which first re-imports
   ``backproplib.checks`` from disk, so a check function that the submission redefined or
   monkeypatched in an earlier cell is not the one that judges it.
3. It runs in a fresh kernel, in a scratch folder holding a copy of the submission's folder
   (its other notebooks left out), with a time limit per notebook and a cap on each cell's
   output.  A first, grader-written cell installs a Python audit hook (which nothing can remove)
   that refuses writes outside the scratch folder, deleting or renaming files there, and starting
   processes.  This is a guard against accidents and casual tampering, not a security boundary:
   grade untrusted work on a machine or container of its own.
4. Each check's result is read from the output of its own check cell, tagged with a secret
   made for this run; a result printed by any other cell does not count.

Points: each `CheckResult` carries them (1 by default).  What a check is worth, and which checks
an exercise has, comes from grading the blank exercise itself first, so a check that never ran
(the submission crashed before it) still shows, with 0 points.
"""
import copy
import csv
import io
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .authoring import CHECK, _tags
from .files import write_atomically

__all__ = ["grade", "grade_notebook", "run_check", "write_json", "write_csv", "add_grade", "GRADE_MIME"]

GRADE_MIME = "application/vnd.backproplib.grade+json"
OUTPUT_CAP = 100_000          # characters of output kept per cell
DEFAULT_TIMEOUT = 300         # seconds per notebook

# Written into the first cell of every graded notebook; SCRATCH is replaced by the scratch folder.
GUARD = '''\
# grader: imports first, then an audit hook that keeps this kernel's writes inside its scratch folder
import numpy, matplotlib.pyplot, backproplib, backproplib.checks
__import__("backproplib.grading", fromlist=["guard"]).guard(SCRATCH)'''


def guard(scratch):
    """Install an audit hook: writes only inside `scratch`, no deletions or renames outside it, no new
    processes, no ctypes.  Audit hooks cannot be removed once added (PEP 578)."""
    root = os.path.realpath(scratch)
    writing_flags = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC

    def inside(path):
        if isinstance(path, int):
            return True                     # an already open descriptor
        try:
            real = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            return False
        return real == root or real.startswith(root + os.sep)

    path_events = {"os.remove", "os.rmdir", "os.rename", "os.truncate", "os.chmod", "os.chown", "os.link",
                   "os.symlink", "os.mkdir", "os.utime", "shutil.rmtree", "shutil.move", "os.chflags"}
    forbidden = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                 "os.forkpty", "pty.spawn", "ctypes.dlopen", "ctypes.dlsym", "ctypes.cdata", "os.kill",
                 "os.killpg", "signal.pthread_kill"}

    def hook(event, args):
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None, 0))[:3]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool((flags or 0) & writing_flags)
            if writing and not inside(path):
                raise PermissionError(f"grading: writing {path!r} outside the scratch folder is not allowed")
        elif event in path_events:
            for path in args:
                if isinstance(path, (str, bytes, os.PathLike)) and not inside(path):
                    raise PermissionError(f"grading: {event} on {path!r} is not allowed")
        elif event in forbidden:
            raise PermissionError(f"grading: {event} is not allowed")

    sys.addaudithook(hook)


def run_check(namespace, source, cell_id, nonce):
    """Run an original check cell's `source` in the notebook's `namespace` with freshly imported checks;
    display the results (tagged with `nonce` and `cell_id`) as this cell's output.  Never raises."""
    for name in [m for m in sys.modules if m == "backproplib.checks" or m.startswith("backproplib.checks.")]:
        del sys.modules[name]
    import importlib

    import backproplib

    checks = importlib.import_module("backproplib.checks")
    backproplib.checks = checks
    namespace["bp"] = backproplib
    checks.reset_results()
    checks.set_strict(False)
    error = None
    try:
        exec(compile(source, f"<check cell {cell_id}>", "exec"), namespace)
    except BaseException as exc:                       # the learner's NameError, a stub, anything
        error = f"{type(exc).__name__}: {exc}"[:500]
    payload = {"nonce": nonce, "cell": cell_id, "error": error,
               "results": [r.as_dict() for r in checks.RESULTS]}
    from IPython.display import display

    display({GRADE_MIME: payload}, raw=True)


# ------------------------------------------------------------------------- building the graded notebook

def exercise_name(nb, path):
    """The exercise a notebook came from: the stem of ``generated_from``, else the file's own stem."""
    source = nb.get("metadata", {}).get("backproplib", {}).get("generated_from")
    return Path(source).stem if isinstance(source, str) else Path(path).stem


def graded_notebook(submission, original, scratch, nonce):
    """The notebook to execute: the guard cell, then the submission's cells with each original check
    cell (matched by id) in place of the submission's as a `run_check` call; a check cell the submission
    deleted goes back after the nearest cell that preceded it in the original.  Returns (notebook, ids
    of the check cells)."""
    import nbformat

    checks = {c.get("id"): c for c in original.cells if c.cell_type == "code" and CHECK in _tags(c)}

    def call(check):
        return nbformat.v4.new_code_cell(
            f"__import__('backproplib.grading', fromlist=['run_check']).run_check("
            f"globals(), {check.source!r}, {check.get('id')!r}, {nonce!r})", id=check.get("id"))

    cells = [call(checks[c.get("id")]) if c.get("id") in checks else copy.deepcopy(c) for c in submission.cells]
    for i, cell in enumerate(original.cells):
        if cell.get("id") in checks and all(c.get("id") != cell.get("id") for c in cells):
            ids = [c.get("id") for c in cells]
            before = [c.get("id") for c in original.cells[:i] if c.get("id") in ids]
            cells.insert(ids.index(before[-1]) + 1 if before else len(cells), call(cell))
    guard_cell = nbformat.v4.new_code_cell(GUARD.replace("SCRATCH", repr(str(scratch))), id="grader-guard")
    nb = nbformat.v4.new_notebook(metadata=copy.deepcopy(original.metadata))
    nb.cells = [guard_cell, *cells]
    return nb, list(checks)


# ------------------------------------------------------------------------- running one notebook

def _execute_capped(nb, scratch, cell_timeout, kernel_pid_file=None):
    """Execute `nb` (in this process) with every cell's output capped at OUTPUT_CAP characters;
    grader outputs (GRADE_MIME) are always kept.  Errors in cells do not stop the run.  The kernel's
    process id goes to `kernel_pid_file` as soon as it starts, so the grader can end a kernel that
    outlives this process (its own session, out of reach of this process group)."""
    from nbclient import NotebookClient

    class CappedClient(NotebookClient):
        async def async_start_new_kernel_client(self):
            client = await super().async_start_new_kernel_client()
            pid = getattr(getattr(self.km, "provisioner", None), "pid", None)
            if kernel_pid_file and pid:
                Path(kernel_pid_file).write_text(str(pid))
            return client

        def output(self, outs, msg, display_id, cell_index):
            out = super().output(outs, msg, display_id, cell_index)
            if out is None or GRADE_MIME in out.get("data", {}):
                return out
            used = sum(len(json.dumps(o)) for o in outs)
            if used + len(json.dumps(out)) <= OUTPUT_CAP:
                return out
            if not any(o.get("name") == "grader" for o in outs):
                outs.append(_note(f"[grader: output beyond {OUTPUT_CAP:,} characters dropped]"))
            return None

    CappedClient(nb, timeout=cell_timeout, allow_errors=True, kernel_name="python3", record_timing=False,
                 resources={"metadata": {"path": str(scratch)}}).execute()
    return nb


def _note(text):
    import nbformat

    return nbformat.v4.new_output("stream", name="grader", text=text + "\n")


def _child_main(argv):
    """``python -m backproplib.grading _execute IN OUT SCRATCH CELL_TIMEOUT KERNEL_PID_FILE``: the process that
    runs one graded notebook, so a hang can be ended by killing its process group."""
    import nbformat

    source, target, scratch, cell_timeout, kernel_pid_file = argv
    nb = _execute_capped(nbformat.read(source, as_version=4), scratch, float(cell_timeout), kernel_pid_file)
    nbformat.write(nb, target)
    return 0


def _copy_folder(folder, scratch):
    """The submission's folder, its plain files only, without notebooks (other submissions) or big files."""
    for path in Path(folder).iterdir():
        if path.is_file() and not path.is_symlink() and path.suffix != ".ipynb" and path.stat().st_size < 50e6:
            shutil.copy2(path, scratch / path.name)


def _run_isolated(build, folder, timeout):
    """Execute the notebook `build(scratch)` makes, in a child process with a fresh scratch folder (a copy
    of `folder`'s plain files); returns (executed notebook or None, problem or None)."""
    import nbformat

    with tempfile.TemporaryDirectory(prefix="backproplib-grade-") as private:
        private = Path(private)
        scratch = private / "scratch"
        for sub in ("", "home", "tmp"):
            (scratch / sub).mkdir(parents=True, exist_ok=True)
        if folder is not None:
            _copy_folder(folder, scratch)
        nb = build(scratch)
        source, target = private / "in.ipynb", private / "out.ipynb"
        nbformat.write(nb, source)
        env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "BACKPROPLIB_STRICT")}
        env.update(HOME=str(scratch / "home"), TMPDIR=str(scratch / "tmp"), MPLCONFIGDIR=str(scratch / "home"),
                   IPYTHONDIR=str(scratch / "home" / ".ipython"), JUPYTER_RUNTIME_DIR=str(private / "runtime"),
                   JUPYTER_PATH=os.pathsep.join(filter(None, [str(Path(sys.prefix) / "share" / "jupyter"),
                                                              os.environ.get("JUPYTER_PATH")])))
        kernel_pid_file = private / "kernel.pid"
        argv = [sys.executable, "-m", "backproplib.grading", "_execute", str(source), str(target), str(scratch),
                str(timeout), str(kernel_pid_file)]
        # stderr goes to a file, not a pipe: a kernel that outlives the child (one stuck in its own shutdown)
        # would hold a pipe open, and reading it to the end would wait for ever.
        with open(private / "stderr", "w+b") as err_file:
            child = subprocess.Popen(argv, env=env, cwd=scratch, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=err_file, start_new_session=True)
            try:
                child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                return None, f"timed out after {timeout:g} s"
            finally:
                if child.poll() is None:
                    os.killpg(child.pid, 9)
                    child.wait()
                _end_kernel(kernel_pid_file, child.pid)
            err_file.seek(0)
            err = err_file.read()
        if child.returncode != 0 or not target.exists():
            last = err.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
            return None, f"the notebook could not be run: {last[0][:300]}"
        return nbformat.read(target, as_version=4), None


def _end_kernel(pid_file, parent_pid):
    """Kill the graded notebook's kernel (and its process group) if it is still running after its parent,
    the child process, has ended.  On Linux the process is first confirmed to be that kernel (its
    JPY_PARENT_PID is the child's), so a recycled process id is never touched."""
    try:
        pid = int(pid_file.read_text())
    except (OSError, ValueError):
        return
    environ = Path(f"/proc/{pid}/environ")
    try:
        if Path("/proc/self/environ").exists() and \
                f"JPY_PARENT_PID={parent_pid}".encode() not in environ.read_bytes().split(b"\0"):
            return
        os.killpg(pid, 9)
    except OSError:                     # gone already, or not ours to signal
        pass


def _check_outputs(nb, check_ids, nonce):
    """{check cell id: payload} read from each check cell's own outputs, with this run's nonce."""
    found = {}
    for cell in nb.cells:
        if cell.get("id") in check_ids and cell.cell_type == "code":
            for out in cell.get("outputs", []):
                payload = out.get("data", {}).get(GRADE_MIME)
                if isinstance(payload, dict) and payload.get("nonce") == nonce and payload.get("cell") == cell.id:
                    found[cell.id] = payload
    return found


def _judge(submission, original, folder, timeout):
    """{check cell id: payload} for `submission` judged by `original`'s check cells, or (None, problem)."""
    nonce = secrets.token_hex(16)
    check_ids = []

    def build(scratch):
        nb, ids = graded_notebook(submission, original, scratch, nonce)
        check_ids.extend(ids)
        return nb

    executed, problem = _run_isolated(build, folder, timeout)
    if executed is None:
        return None, problem
    return _check_outputs(executed, check_ids, nonce), None


# ------------------------------------------------------------------------- verdicts

def expected_checks(original, timeout=DEFAULT_TIMEOUT):
    """[(cell id, result as dict)] of the blank exercise `original`: which checks it has and their points."""
    found, problem = _judge(original, original, None, timeout)
    if found is None:
        raise RuntimeError(f"the exercise itself could not be run: {problem}")
    expected = []
    for cell in original.cells:
        for result in found.get(cell.get("id"), {}).get("results", []):
            expected.append((cell.get("id"), result))
    return expected


def _unique_ids(expected):
    seen, ids = {}, []
    for _, result in expected:
        seen[result["id"]] = seen.get(result["id"], 0) + 1
        ids.append(result["id"] if seen[result["id"]] == 1 else f"{result['id']}#{seen[result['id']]}")
    return ids


def grade_notebook(submission, original, expected, folder=None, timeout=DEFAULT_TIMEOUT):
    """(checks, problem): one dict per expected check — id, title, status, earned, possible, message."""
    found, problem = _judge(submission, original, folder, timeout)
    checks, position = [], {}
    for (cell_id, want), check_id in zip(expected, _unique_ids(expected)):
        entry = {"id": check_id, "title": want["title"], "possible": want["possible"], "earned": 0.0}
        payload = (found or {}).get(cell_id)
        index = position.get(cell_id, 0)
        position[cell_id] = index + 1
        results = payload["results"] if payload else []
        got = next((r for r in results[index:] if r.get("id") == want["id"]), None)
        if got is not None:
            entry.update(status=got["status"], message=got["message"],
                         earned=float(want["possible"]) if got["status"] == "pass" else 0.0)
        elif payload and payload.get("error"):
            entry.update(status="error", message=f"the check cell stopped: {payload['error']}")
        else:
            entry.update(status="error", message=problem or "the check did not run")
        checks.append(entry)
    return checks, problem


def _read(path):
    import nbformat

    try:
        return nbformat.reads(Path(path).read_text(encoding="utf-8"), as_version=4), None
    except Exception as exc:                                   # unreadable, not JSON, not a notebook
        return None, f"not a notebook ({type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''})"


def grade(paths, exercises_dir=None, timeout=DEFAULT_TIMEOUT, jobs=None, log=lambda text: None):
    """Grade the notebooks at `paths`, `jobs` at a time (default: one per core); returns
    {"submissions": [row per path, in order]} as described in the module docstring."""
    from concurrent.futures import ThreadPoolExecutor

    if exercises_dir is None:
        from .suite import suite_root

        exercises_dir = suite_root() / "exercises"
    exercises_dir = Path(exercises_dir)
    submissions = [(Path(p), *_read(p)) for p in paths]              # everything read before anything runs
    rows, work, originals = [], [], {}
    for path, nb, problem in submissions:
        row = {"path": str(path), "exercise": None, "status": "graded", "message": "", "earned": 0.0,
               "possible": 0.0, "checks": []}
        rows.append(row)
        if nb is None:
            row.update(status="not a notebook", message=problem)
            continue
        row["exercise"] = name = exercise_name(nb, path)
        if name not in originals:
            original_path = exercises_dir / f"{name}.ipynb"
            originals[name] = _read(original_path)[0] if original_path.is_file() else None
        if originals[name] is None:
            row.update(status="not an exercise", message=f"no exercise {name}.ipynb in {exercises_dir}")
            continue
        work.append((row, nb, originals[name], path.parent))
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        names = sorted({row["exercise"] for row, *_ in work})
        log(f"learning the checks of {', '.join(names)} from the blank exercises")
        expected = dict(zip(names, pool.map(lambda n: expected_checks(originals[n], timeout), names)))

        def one(item):
            row, nb, original, folder = item
            log(f"grading {row['path']}")
            row["checks"], problem = grade_notebook(nb, original, expected[row["exercise"]], folder, timeout)
            if problem:
                row.update(status="timed out" if problem.startswith("timed out") else "failed", message=problem)
            row["earned"] = sum(c["earned"] for c in row["checks"])
            row["possible"] = sum(float(c["possible"]) for c in row["checks"])

        list(pool.map(one, work))
    return {"submissions": rows}


# ------------------------------------------------------------------------- reports

def write_json(report, path):
    write_atomically(path, json.dumps(report, indent=1, ensure_ascii=False) + "\n")


def write_csv(report, path):
    """One row per submission: path, exercise, status, earned, possible, then the points of each check."""
    columns = []
    for row in report["submissions"]:
        columns += [c["id"] for c in row["checks"] if c["id"] not in columns]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["path", "exercise", "status", "earned", "possible", *columns])
    for row in report["submissions"]:
        points = {c["id"]: c["earned"] for c in row["checks"]}
        writer.writerow([row["path"], row["exercise"] or "", row["status"], row["earned"], row["possible"],
                         *[points.get(c, "") for c in columns]])
    write_atomically(path, text.getvalue())


# ------------------------------------------------------------------------- the command

def add_grade(subparsers):
    """The `grade` subcommand of `python -m backproplib`."""
    parser = subparsers.add_parser(
        "grade", help="grade exercise notebooks by their original checks",
        description="Run each submitted exercise notebook in a fresh kernel, judge it by the original check "
                    "cells of its exercise, print a summary and optionally write JSON and CSV reports. "
                    "Exit status 0 when every submission was graded, 1 when some could not be "
                    "(each still gets a row saying why), 2 for a usage error.")
    parser.add_argument("submissions", metavar="SUBMISSION.ipynb", nargs="+", type=Path)
    parser.add_argument("--json", metavar="OUT.json", type=Path, help="write the full report as JSON")
    parser.add_argument("--csv", metavar="OUT.csv", type=Path, help="write one row per submission as CSV")
    parser.add_argument("--timeout", metavar="S", type=float, default=DEFAULT_TIMEOUT,
                        help=f"time limit per notebook in seconds (default {DEFAULT_TIMEOUT})")
    parser.add_argument("--jobs", metavar="N", type=int, default=None,
                        help="notebooks graded at once (default: one per core)")
    parser.add_argument("--exercises", metavar="DIR", type=Path,
                        help="the folder of the original exercises (default: the suite's exercises/)")
    parser.set_defaults(run=_run_grade)


def _run_grade(args):
    from .cli import CommandError

    inputs = {p.resolve() for p in args.submissions}
    for option, out in (("--json", args.json), ("--csv", args.csv)):
        if out is not None and (out.resolve() in inputs or out.suffix == ".ipynb"):
            raise CommandError(f"{option} {out}: would overwrite a submission; name another file")
        if out is not None and not out.resolve().parent.is_dir():
            raise CommandError(f"{option} {out}: no folder {out.parent}")
    if not args.timeout > 0:
        raise CommandError(f"--timeout: expected a positive number of seconds, got {args.timeout}")
    if args.jobs is not None and args.jobs < 1:
        raise CommandError(f"--jobs: expected a whole number >= 1, got {args.jobs}")
    report = grade(args.submissions, args.exercises, args.timeout, args.jobs, log=lambda text: print(text, file=sys.stderr))
    for row in report["submissions"]:
        detail = f"{row['earned']:g}/{row['possible']:g}" if row["status"] == "graded" else row["message"]
        print(f"{row['path']}: {row['exercise'] or '-'}: {row['status']}: {detail}")
    if args.json:
        write_json(report, args.json)
    if args.csv:
        write_csv(report, args.csv)
    return 0 if all(row["status"] == "graded" for row in report["submissions"]) else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["_execute"]:
        sys.exit(_child_main(sys.argv[2:]))
    from .cli import main

    sys.exit(main(["grade", *sys.argv[1:]], prog="python -m backproplib.grading"))
