"""The package as its users get it (`make test-dist`; needs PyPI, or pip's cache, and a few minutes).

Builds the sdist and, from it, the wheel (python -m build) into a temporary folder, then checks:

* the wheel carries the lecture notebooks, their live copies, the exercises, LICENSE and the digits
  data's attribution, and not solutions/; the sdist carries what its own tests need;
* in a fresh virtual environment outside the repository holding the wheel, pytest, nbval and
  ipykernel, `backproplib notebooks DEST` copies the suite (a second run refuses and changes nothing),
  and every copied notebook passes nbval there, run from a folder outside the repository;
* in a second fresh environment holding only ipykernel, nbclient and nbformat, a copied notebook's
  setup cell installs the wheel named by BACKPROPLIB_SOURCE, and the notebook runs without error.
"""
import ast
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SUITE_PATTERNS = ("notebooks/*.ipynb", "notebooks/live/*.ipynb", "exercises/*.ipynb")
SUITE = sorted(p.relative_to(REPO).as_posix() for pattern in SUITE_PATTERNS for p in REPO.glob(pattern))
# The notebook whose setup cell is tried in a bare kernel: short, and it imports backproplib at once.
SETUP_NOTEBOOK = "notebooks/03_backprop_by_hand.ipynb"
BIN = "Scripts" if os.name == "nt" else "bin"


def run(command, cwd, env=None, timeout=900):
    """Run `command`; on a non-zero exit fail with the tail of its output."""
    result = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} exited {result.returncode}:\n"
                    f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}", pytrace=False)
    return result


def clean_env(venv=None, **extra):
    """The environment with nothing pointing back into the repository or the project venv."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "JUPYTER_PATH", "PYTHONSTARTUP"}}
    if venv is not None:
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = f"{venv / BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def make_venv(path, *packages, cwd):
    """A fresh virtual environment at `path` with `packages` installed; returns its python."""
    run([sys.executable, "-m", "venv", path], cwd=cwd)
    python = path / BIN / "python"
    run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile", *packages],
        cwd=cwd, env=clean_env(path))                 # --no-compile: only what is imported gets compiled
    return python


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dist")
    assert REPO not in folder.resolve().parents, "the work folder must be outside the repository"
    return folder


@pytest.fixture(scope="module")
def dists(work):
    """(wheel, sdist) built from the repository: the sdist first, then the wheel from the sdist."""
    out = work / "built"
    run([sys.executable, "-m", "build", "--outdir", out, REPO], cwd=work)
    wheels, sdists = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    return wheels[0], sdists[0]


@pytest.fixture(scope="module")
def installed(work, dists):
    """A fresh venv outside the repository with the wheel, pytest, nbval and ipykernel."""
    return make_venv(work / "venv", dists[0], "pytest>=7", "nbval>=0.10", "ipykernel>=6", cwd=work)


@pytest.fixture(scope="module")
def copied(work, installed):
    """The suite copied by `backproplib notebooks DEST` from the installed wheel; (DEST, stdout)."""
    dest = work / "course"
    venv = installed.parent.parent
    result = run([venv / BIN / "backproplib", "notebooks", dest], cwd=work, env=clean_env(venv))
    return dest, result.stdout


def test_the_suite_is_in_the_repository():
    assert len([f for f in SUITE if f.startswith("notebooks/live/")]) >= 8
    assert len([f for f in SUITE if f.startswith("exercises/")]) >= 8


def test_wheel_carries_the_suite_and_the_licences_but_not_solutions(dists):
    wheel = dists[0]
    names = zipfile.ZipFile(wheel).namelist()
    suite = sorted(n[len("backproplib/_suite/"):] for n in names if n.startswith("backproplib/_suite/"))
    assert suite == SUITE
    assert not [n for n in names if "solutions/" in n or ".ipynb_checkpoints" in n]
    info = next(n for n in names if n.endswith(".dist-info/METADATA")).rsplit("/", 1)[0]
    assert {f"{info}/licenses/LICENSE", f"{info}/licenses/backproplib/data/DIGITS-LICENSE.md",
            "backproplib/data/DIGITS-LICENSE.md", "backproplib/data/digits.csv.gz", "backproplib/suite.py",
            "backproplib/cli.py"} <= set(names)
    metadata = zipfile.ZipFile(wheel).read(f"{info}/METADATA").decode()
    assert re.search(r"^License-Expression: MIT\b", metadata, re.M)
    assert "CC BY 4.0" in zipfile.ZipFile(wheel).read("backproplib/data/DIGITS-LICENSE.md").decode()
    for extra in ("authoring", "test", "dist"):
        assert f"Provides-Extra: {extra}\n" in metadata
    assert re.search(r"^Project-URL: Repository, https://", metadata, re.M)


def test_sdist_carries_what_its_own_tests_need(dists):
    sdist = dists[1]
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    needed = ["Makefile", "pyproject.toml", "README.md", "LICENSE", "CITATION.cff", "CHANGELOG.md",
              "tests/nbval_sanitize.cfg", "backproplib/data/digits.csv.gz", "backproplib/data/DIGITS-LICENSE.md"]
    for pattern in ("tests/**/*.py", "notebooks/**/*.ipynb", "exercises/*.ipynb", "solutions/*.ipynb",
                    "benchmarks/*.py", "benchmarks/*.md", "backproplib/*.py"):
        needed += [p.relative_to(REPO).as_posix() for p in REPO.glob(pattern) if ".ipynb_checkpoints" not in p.parts]
    assert not [n for n in needed if n not in names]


def test_notebooks_command_copies_the_suite_from_the_wheel_and_refuses_a_second_time(work, dists, installed,
                                                                                      copied):
    where = run([installed, "-c", "import backproplib.suite as s; print(s.suite_root())"], cwd=work,
                env=clean_env(installed.parent.parent)).stdout.strip()
    assert Path(where).is_relative_to(work / "venv"), where          # the wheel's copy, not the repository's
    run([installed, "-m", "backproplib.authoring", "--help"], cwd=work, env=clean_env(installed.parent.parent))
    dest, out = copied
    files = snapshot(dest)
    assert sorted(files) == SUITE
    wheel = zipfile.ZipFile(dists[0])
    assert all(files[f][0] == wheel.read(f"backproplib/_suite/{f}") for f in SUITE)
    assert (dest / "my-work").is_dir()
    assert f"jupyter lab {dest}" in out
    again = subprocess.run([installed.parent / "backproplib", "notebooks", dest], cwd=work, capture_output=True,
                           text=True, env=clean_env(installed.parent.parent), timeout=120)
    assert again.returncode == 2 and again.stdout == ""
    assert again.stderr.count("\n") == 1 and "nothing was copied" in again.stderr
    assert snapshot(dest) == files


def pyproject_filterwarnings():
    """pyproject.toml's [tool.pytest.ini_options] filterwarnings (a list of strings)."""
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r"^filterwarnings\s*=\s*(\[.*?\])", text, re.M | re.S)
    return ast.literal_eval(match.group(1)) if match else []


def run_in_bare_kernel(work, wheel, notebook):
    """Execute `notebook` with nbclient in a fresh venv holding only ipykernel, nbclient and nbformat, with
    BACKPROPLIB_SOURCE naming `wheel`; returns where backproplib is installed afterwards."""
    if '"setup"' not in notebook.read_text(encoding="utf-8"):
        pytest.fail(f"{SETUP_NOTEBOOK} has no code cell tagged `setup`", pytrace=False)
    venv = work / "bare"
    python = make_venv(venv, "ipykernel>=6", "nbclient>=0.7", "nbformat>=5.7", cwd=work)
    env = clean_env(venv, BACKPROPLIB_SOURCE=wheel, JUPYTER_DATA_DIR=work / "jupyter-data")
    missing = subprocess.run([python, "-c", "import backproplib"], cwd=work, env=env, capture_output=True)
    assert missing.returncode != 0, "the bare environment must not have backproplib before the setup cell"
    run([python, "-c", EXECUTE, notebook, work / "executed.ipynb"], cwd=work, env=env, timeout=900)
    return run([python, "-c", WHERE], cwd=work, env=env).stdout.splitlines()


@pytest.fixture(scope="module")
def bare_kernel_run(work, dists, copied):
    """run_in_bare_kernel, started in a thread as soon as the suite is copied so that it runs while nbval
    does (most of its time is pip's); the future's result() waits for it and re-raises its failure."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool.submit(run_in_bare_kernel, work, dists[0], copied[0] / SETUP_NOTEBOOK)


def test_copied_notebooks_pass_nbval_in_the_fresh_environment(work, installed, copied, bare_kernel_run):
    dest, _ = copied
    ini = work / "pytest.ini"                     # rootdir and options here, not the repository's pyproject
    ini.write_text("[pytest]\nfilterwarnings =\n" + "".join(f"    {w}\n" for w in pyproject_filterwarnings()))
    result = run([installed, "-m", "pytest", dest, "-c", ini, "--rootdir", work, "-p", "no:cacheprovider",
                  "--nbval", "--nbval-current-env", "--nbval-sanitize-with", REPO / "tests" / "nbval_sanitize.cfg",
                  "-q"], cwd=work, env=clean_env(installed.parent.parent), timeout=1800)
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary


def test_setup_cell_installs_the_wheel_in_a_bare_kernel(work, dists, bare_kernel_run):
    where, origin = bare_kernel_run.result(timeout=1800)
    assert Path(where).is_relative_to(work / "bare"), where       # installed by the setup cell ...
    assert dists[0].name in origin, origin                          # ... from the wheel BACKPROPLIB_SOURCE names


WHERE = """\
import importlib.metadata, backproplib
print(backproplib.__file__)
print(importlib.metadata.distribution("backproplib").read_text("direct_url.json"))
"""


EXECUTE = """\
import sys
from pathlib import Path
import nbformat
from nbclient import NotebookClient
source, target = Path(sys.argv[1]), Path(sys.argv[2])
nb = nbformat.read(source, as_version=4)
setup = [i for i, c in enumerate(nb.cells) if "setup" in c.metadata.get("tags", [])]
assert setup and all(c.cell_type == "markdown" for c in nb.cells[:setup[0]]), "setup is not the first code cell"
NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(source.parent)}}).execute()
errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
assert not errors, errors
nbformat.write(nb, target)
"""
