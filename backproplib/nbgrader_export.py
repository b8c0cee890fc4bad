"""An nbgrader course from solutions/: one assignment per solution notebook.

    python -m backproplib.nbgrader_export [--root .] [--dest build/nbgrader]

writes ``<dest>/source/<set>/<set>.ipynb`` for every ``solutions/<set>.ipynb`` and
``<dest>/nbgrader_config.py``; nbgrader itself is not needed for this (``pip install
'backproplib[nbgrader]'`` for the rest).  Staff then run nbgrader in ``<dest>``::

    nbgrader generate_assignment <set>      # source/ -> release/, solutions removed
    nbgrader autograde <set>                # submitted/<student>/<set>/ -> autograded/, gradebook.db

Each cell gets ``metadata.nbgrader`` (schema_version 3; keys as in nbgrader's
``nbgrader/utils.py`` and its docs, "Developer: metadata"), ``grade_id`` = the cell id:

* a code cell with ``### BEGIN SOLUTION`` / ``### END SOLUTION`` regions: an autograded answer
  (``solution: true, grade: false, locked: false``);
* a markdown cell with regions: a manually graded answer (``solution: true, grade: true, points``);
* a cell tagged ``check``: an autograder test (``grade: true, solution: false, locked: true, points``);
* every other cell: read-only (``locked: true``); cells tagged ``solution-only`` are left out.

``points`` is ``metadata.backproplib.points`` of the cell, by default 1.  A read-only cell
``strict`` after the setup and import cells turns on the checks' strict mode
(``bp.checks.set_strict(True)``): a check that prints ✗ or ○ raises AssertionError, which nbgrader
counts as a failed test (0 points); printed text alone would score full marks.

Stubs.  nbgrader replaces every region by one stub string, ``ClearSolutions.code_stub`` (default
``# YOUR CODE HERE`` + ``raise NotImplementedError()``: at the top level of a cell that raises and
leaves the answer names undefined for later cells).  The config sets it to ``# YOUR CODE HERE``
alone, and the export writes the suite's own stub lines outside each region, where nbgrader keeps
them and the solution overrides them: ``name = None  # YOUR ANSWER HERE`` before a top-level region
for each name it assigns, and ``raise NotImplementedError("<function>")`` after a region in a
function body when the solution never reaches it: the region ends in ``return`` or ``raise``, or
it ends the function and gets a ``return`` (as falling off the end).  A blank release thus runs like
the suite's exercises: each check prints ○ and scores 0.  (A region followed by more of its function,
as in set 03, keeps only the comment: its blank check prints ✗, and scores 0 all the same.)
"""
import argparse
import ast
import copy
import sys
import textwrap
from pathlib import Path

from . import authoring as A

CHECK, STRICT_ID, SCHEMA = A.CHECK, "strict", 3
MARKERS = ("BEGIN SOLUTION", "END SOLUTION")     # nbgrader matches these anywhere in a line
STRICT_SOURCE = """\
# Grading (nbgrader): from here on a check that does not print ✓ raises AssertionError, so its test
# cell scores 0.  This cell is read-only: nbgrader restores it, and every check cell, when grading.
import backproplib as bp
bp.checks.set_strict(True)"""
CONFIG = '''\
# nbgrader configuration written by `python -m backproplib.nbgrader_export` (do not edit: it is rewritten).
# Run nbgrader in this folder: `nbgrader generate_assignment <set>`, `nbgrader autograde <set>`, ...
c = get_config()
c.CourseDirectory.course_id = "backproplib"
# One stub for every solution region.  The suite's own stub lines (`name = None  # YOUR ANSWER HERE`,
# `raise NotImplementedError("<function>")`) sit outside the regions, written there by the export.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE"}
c.ClearSolutions.text_stub = "%s"
''' % A.MARKDOWN_STUB


def _grading(cell, *, solution=False, grade=False, locked=False):
    """Set cell.metadata.nbgrader for one role (see the module docstring)."""
    meta = {"schema_version": SCHEMA, "grade_id": cell.id, "solution": solution, "grade": grade, "locked": locked}
    if grade:
        meta["points"] = cell.metadata.get("backproplib", {}).get("points", 1)
    cell.metadata["nbgrader"] = meta
    return cell


def _ends_in_exit(region):
    """Whether the region (its lines, indented) ends in a `return` or `raise` statement."""
    last = ast.parse(textwrap.dedent("\n".join(region))).body[-1]
    return isinstance(last, (ast.Return, ast.Raise))


def _ends_body(lines, end):
    """Whether the function body ends with the region closed at line `end` (no statement of it follows)."""
    following = [line for line in lines[end + 1:] if line.strip()]
    return not following or len(A._indent(following[0])) < len(A._indent(lines[end]))


def answer_source(source, where="cell"):
    """A code answer's source with the suite's stub lines written outside its solution regions."""
    A.stub_code(source, where)                   # the suite's own rules: balanced, parsable, stub-able regions
    lines = source.split("\n")
    out, last = [], 0
    for begin, end in A._regions(lines, where):
        function = A._enclosing_function(lines, begin)
        region = lines[begin + 1:end]
        out += lines[last:begin]
        if not function:
            out += [f"{name} = None  # YOUR ANSWER HERE" for name in A._assigned_names(region, where)]
        indent, exits = A._indent(lines[begin]), function and _ends_in_exit(region)
        if function and not exits and _ends_body(lines, end):
            region, exits = region + [f"{indent}return"], True     # as falling off the end of the function
        out += [lines[begin], *region, lines[end]]
        if exits:
            out.append(f'{indent}raise NotImplementedError("{function}")')
        last = end + 1
    return "\n".join(out + lines[last:])


def _has_regions(cell, where):
    lines = cell.source.split("\n")
    loose = [i + 1 for i, line in enumerate(lines)
             if any(m in line for m in MARKERS) and line.strip() not in (A.BEGIN, A.END)]
    if loose:
        raise A.AuthoringError(f"{where}: line {loose[0]}: nbgrader would take this line for a solution "
                               f"marker; markers are the whole lines {A.BEGIN!r} and {A.END!r}")
    return bool(A._regions(lines, where))


def _strict_position(cells):
    """Right after the setup cell and the imports cell after it (the leading code cells, answers excepted)."""
    position = 0
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        if CHECK in A._tags(cell) or A.BEGIN in cell.source:
            break
        position = i + 1
        if A.SETUP not in A._tags(cell):
            break
    return position


def nbgrader_source(nb, source_name):
    """The nbgrader source notebook for a solution notebook (unexecuted, nbgrader metadata on every cell)."""
    import nbformat

    cells = []
    for i, cell in enumerate(nb.cells):
        tags, where = A._tags(cell), f"{source_name}, cell {i} ({cell.get('id')})"
        if A.SOLUTION_ONLY in tags:
            continue
        cell = A._blank(cell)
        answer = _has_regions(cell, where)
        if answer and (CHECK in tags or cell.cell_type not in ("code", "markdown")):
            raise A.AuthoringError(f"{where}: solution markers belong in a code or markdown cell not tagged {CHECK!r}")
        if CHECK in tags:
            _grading(cell, grade=True, locked=True)
        elif answer and cell.cell_type == "code":
            cell.source = answer_source(cell.source, where)
            _grading(cell, solution=True)
        elif answer:
            _grading(cell, solution=True, grade=True)          # nbgrader: markdown answers are graded by hand
        else:
            _grading(cell, locked=True)
        cells.append(cell)
    if any(c.id == STRICT_ID for c in cells):
        raise A.AuthoringError(f"{source_name}: the cell id {STRICT_ID!r} is reserved for the grading cell")
    strict = _grading(nbformat.v4.new_code_cell(STRICT_SOURCE, id=STRICT_ID), locked=True)
    cells.insert(_strict_position(cells), strict)
    nb = copy.deepcopy(nb)
    nb.cells = cells
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(A.KERNELSPEC)
    nb.metadata["backproplib"] = {"generated_from": source_name,
                                  "regenerate_with": "python -m backproplib.nbgrader_export"}
    return nb


def export(root=".", dest=None, log=None):
    """Write `dest` (default `root`/build/nbgrader): source/<set>/<set>.ipynb per solutions/<set>.ipynb, and
    nbgrader_config.py.  Files whose content is unchanged are not rewritten; returns the paths written."""
    import nbformat

    root = Path(root)
    dest = Path(dest) if dest is not None else root / "build" / "nbgrader"
    texts = {dest / "nbgrader_config.py": CONFIG}
    for path in sorted((root / "solutions").glob("*.ipynb")):
        nb = nbgrader_source(nbformat.read(path, as_version=4), f"solutions/{path.name}")
        text = nbformat.writes(nb)
        texts[dest / "source" / path.stem / path.name] = text if text.endswith("\n") else text + "\n"
    written = []
    for path, text in texts.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
            if log:
                log(f"writing {path}")
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m backproplib.nbgrader_export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path("."), help="the repository (default: .)")
    parser.add_argument("--dest", type=Path, help="the course folder (default: ROOT/build/nbgrader)")
    args = parser.parse_args(argv)
    try:
        export(args.root, args.dest, log=lambda text: print(text, file=sys.stderr))
    except A.AuthoringError as err:
        print(f"{parser.prog}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
