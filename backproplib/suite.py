"""Where the notebook suite is, and copying it out: ``backproplib notebooks DEST``.

The suite is the lecture notebooks (``notebooks/*.ipynb``), their live-coding copies
(``notebooks/live/*.ipynb``) and the exercise sets (``exercises/*.ipynb``); ``solutions/`` is
course staff's and never part of it.  It is found in one of two places:

* an installed wheel carries it inside the package, as ``backproplib/_suite/notebooks/...`` and
  ``backproplib/_suite/exercises/...`` (pyproject.toml, ``[tool.hatch.build.targets.wheel]``);
* a checkout of the repository (an editable install, ``pip install -e .``, or ``PYTHONPATH=.``)
  uses the repository's own ``notebooks/`` and ``exercises/`` beside the package folder.

:func:`copy_suite` copies it with the same relative layout, so links such as
``../exercises/01_chain_rule_by_hand.ipynb`` from a lecture notebook keep working, and
never overwrites a file: if any target exists, nothing is copied.
"""
import shutil
from pathlib import Path

__all__ = ["SuiteNotFound", "SuiteInTheWay", "suite_root", "suite_files", "copy_suite", "PATTERNS"]

PATTERNS = ("notebooks/*.ipynb", "notebooks/live/*.ipynb", "exercises/*.ipynb")
WORK_FOLDER = "my-work"          # created empty beside them: notebooks/00_start_here.ipynb asks for it

_PACKAGE = Path(__file__).resolve().parent


class SuiteNotFound(LookupError):
    """Neither a packaged suite nor a repository checkout around the package."""


class SuiteInTheWay(FileExistsError):
    """Some target files already exist; ``.paths`` lists them, relative to the destination."""

    def __init__(self, paths):
        self.paths = list(paths)
        super().__init__("already there: " + ", ".join(self.paths))


def suite_root():
    """The folder holding ``notebooks/`` and ``exercises/``: the packaged copy, else the checkout's."""
    candidates = (_PACKAGE / "_suite", _PACKAGE.parent)
    for root in candidates:
        if (root / "notebooks").is_dir() and (root / "exercises").is_dir():
            return root
    raise SuiteNotFound("the notebook suite is not installed with backproplib (looked in "
                        + " and ".join(str(c) for c in candidates) + ")")


def suite_files(root=None):
    """The suite's notebooks as sorted relative paths (``notebooks/01_...ipynb``, ...) under `root`."""
    root = suite_root() if root is None else Path(root)
    return sorted(p.relative_to(root).as_posix() for pattern in PATTERNS for p in root.glob(pattern))


def copy_suite(dest, root=None):
    """Copy the suite into `dest` (created if needed); returns the relative paths copied.

    Raises SuiteInTheWay, having copied nothing, if any of the target files already exists.
    """
    root = suite_root() if root is None else Path(root)
    dest = Path(dest)
    files = suite_files(root)
    if not files:
        raise SuiteNotFound(f"no notebooks found under {root}")
    if dest.exists() and not dest.is_dir():
        raise NotADirectoryError(f"{dest} exists and is not a folder")
    in_the_way = [f for f in files if (dest / f).exists() or (dest / f).is_symlink()]
    if in_the_way:
        raise SuiteInTheWay(in_the_way)
    for f in files:
        target = dest / f
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(root / f, "rb") as src, open(target, "xb") as out:      # "x": never overwrite
            shutil.copyfileobj(src, out)
    if not (dest / WORK_FOLDER).exists():
        (dest / WORK_FOLDER).mkdir()
    return files
