"""Notebook authoring for course staff: stored outputs, exercises from solutions, live-coding copies.

    python -m backproplib.authoring execute NOTEBOOK...   run notebooks, store outputs in place
    python -m backproplib.authoring exercises [--check]   solutions/*.ipynb -> exercises/*.ipynb
    python -m backproplib.authoring live [--check]        notebooks/NN_*.ipynb -> notebooks/live/
    python -m backproplib.authoring setup [--check]       the setup cell of every source notebook
    python -m backproplib.authoring generate [--check]    all three (`make exercises`)

Every notebook is executed in a fresh kernel from its own folder and saved with no
timestamps, so regenerating unchanged sources rewrites the same bytes.  A cell tagged ``timing``
(it prints or plots wall-clock times) runs like any other, but its outputs are not stored.

Exercises.  Each solution notebook marks its answers with whole-line markers
``### BEGIN SOLUTION`` / ``### END SOLUTION``.  In the exercise copy each region becomes a stub
at the marker's indentation:

* inside a function body:  ``# YOUR CODE HERE`` and ``raise NotImplementedError("<function>")``;
* at the top level of a cell:  ``<name> = None  # YOUR ANSWER HERE`` for every name the region
  assigns, in order (so later check cells still run);
* in a markdown cell:  ``*Your answer here.*``.

A cell tagged ``solution-only`` is left out of the exercise.  The job first executes each
solution in place and stops if any check in it does not print ✓; then the blank copy is executed
and stored: its check cells print "not implemented yet", and nbval verifies it like any notebook.

Live copies.  In each lecture notebook ``notebooks/NN_name.ipynb`` the code cells tagged ``live``
(the code the lecturer derives and types in class) are emptied in its copy ``notebooks/live/NN_name.ipynb``.
Blank n is marked twice: a markdown banner above it (tag ``live-banner``, id ``type-here-n``),

    ✍ TYPE HERE n · <the cell's first leading comment line: what to write>
    Type the next cell in class … The full cell is cell `<id>` (code cell N, section “<heading>”) of
    [<notebook title>](../NN_name.ipynb).  Until it has run, the cells below that need `a`, `b` print
    “⏸ Waiting for …” instead of running.

and the blank itself, which keeps ``# ✍ TYPE HERE n · <title>``, where the full cell is, the names later
cells need from it, and the cell's other leading comment lines.  So write each live cell's first line as
a comment that names what it computes (``# Module backward (Case 2): dJ/dβ, dJ/dz, dJ/da, dJ/dα``).

Later cells may depend on a blank.  `live_dependencies` reads every code cell with
`backproplib.live.usage` (the names it reads before binding them, the names it binds, the names it
changes in place); a name's value at a cell comes from the last cell above that binds it.  A later cell
*waits* if it reads a name last bound by a blank, or by a cell that itself waits (transitively).  If any
cell waits, a cell tagged ``live-wait`` right after the setup cell calls
``backproplib.live.wait_for({"TYPE HERE n · …": [names]})``: in the kernel, a cell that reads one of
those names while it is undefined prints "⏸ Waiting for dJ_dy from TYPE HERE 1 above (…). Type that cell
and run it, then run the cells from there down to this one." and does nothing else; once the lecturer has
run the typed cell, the names exist and the cells run normally (see backproplib.live).  The copy is
executed and stored like any generated notebook, waiting messages included.  Notebooks without live cells
get no copy.

Refusal rule: a live cell is refused, naming the notebook, both cells (cell number and id) and the name,
and nothing is written, when a later cell cannot do without it because

* the later cell that would wait is tagged ``setup`` or ``check`` (it must run, not wait);
* the later cell that would wait shows a widget (in the lecture notebook's stored outputs): the copy
  would lack it;
* a cell above the blank already binds the name the later cell needs (the blank rebinds it), so while
  the blank is empty the later cell would silently run with the older value instead of waiting;
* the blank (or a cell that waits for it) changes a name in place that it did not bind
  (``x[i] = …``, ``x.a = …``) and a later cell reads that name: same silent difference;
* the blank does not parse, or uses ``from … import *`` (its names cannot be listed);
* the executed copy still fails (e.g. a name read through ``eval``, ``globals()`` or a magic's text, which
  the analysis cannot see): the failing cell is named, and for a NameError also the blank that binds it.

A change made by calling a method (``net.train()`` in a blank) cannot be seen; a live cell should not
change objects that later cells use, only bind new names.

Setup cells.  Every lecture notebook and solution (and so every exercise and live copy) starts,
after its title, with a code cell tagged ``setup`` that does nothing where backproplib is
importable and otherwise pip-installs it (on Colab or a bare kernel) from
``$BACKPROPLIB_SOURCE``, by default the repository address set in pyproject.toml
(``[project.urls] Repository``), then checks the version it got.  The ``setup`` job writes that
cell from `setup_source()` and re-executes a notebook only when its cell changed.

Safety.  Generation is all or nothing: every notebook is executed in memory first, and a failing
cell (named: notebook, cell number and id), a failing check or a refused live cell writes nothing.
Then every new text is written in full to a temporary file beside its target, and only when all
are written are they renamed over their targets (a failure while writing removes them all).  Each generated
notebook records the hash of its own content (``metadata.backproplib.generated_sha256``); a file
in ``exercises/`` or ``notebooks/live/`` is overwritten or removed only if that hash still matches,
i.e. the generator wrote it and nobody changed it since.  Anything else — a filled-in exercise, a
copy, a draft — stops generation with one message listing the files; ``--force`` first copies
them to ``build/authoring-backup/<time>/`` and says so.

``--check`` writes nothing and exits with status 1 if a generated notebook is missing, left
over, not executed, or differs from its source in any cell's type, id, source or metadata, or
if a solution is not executed or stores a failing check.  Stored outputs themselves are
verified by nbval, which re-runs every notebook under ``make test``.
"""
import argparse
import ast
import copy
import re
import sys
from pathlib import Path

from .files import _umask, write_atomically
from .live import WAITING as WAITING_TEXT

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
SOLUTION_ONLY, LIVE, SETUP = "solution-only", "live", "setup"
CHECK = "check"        # a cell that checks an answer: graded by `backproplib grade` and nbgrader
TIMING = "timing"      # a cell that measures this machine's clock: it runs, but its outputs are not stored
MARKDOWN_STUB = "*Your answer here.*"
LIVE_LABEL = "TYPE HERE"         # blank n of a live copy is "TYPE HERE n · what to write"
LIVE_PROMPT = "# ✍"              # a blank cell in a live copy starts "# ✍ TYPE HERE n · what to write"
LIVE_BANNER = "live-banner"      # tag of the markdown banner above a blank
LIVE_WAIT = "live-wait"          # id and tag of the cell that makes later cells wait (backproplib.live)

RECORD = "generated_sha256"        # notebook metadata backproplib.generated_sha256: the generator wrote this


class AuthoringError(ValueError):
    """A source notebook breaks a convention (unbalanced markers, a stub that cannot be made)."""


# --------------------------------------------------------------------- execution

# What JupyterLab writes into a notebook it opens with the ipykernel `python3` kernel: storing exactly
# this keeps opening a notebook from marking it modified.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _execute(nb, folder, timeout=600):
    """Run every cell of `nb` in a fresh kernel started in `folder`; outputs are stored in `nb`."""
    from nbclient import NotebookClient

    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(folder)}})
    client.execute()
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [] if TIMING in _tags(cell) else _merged_streams(cell.outputs)
    return _renumber_widgets(nb)


def _merged_streams(outputs):
    """Join consecutive stdout (or stderr) chunks: how the kernel split them depends on timing."""
    merged = []
    for out in outputs:
        previous = merged[-1] if merged else None
        if (out.output_type == "stream" and previous is not None and previous.output_type == "stream"
                and previous.name == out.name):
            previous.text += out.text
        else:
            merged.append(out)
    return merged


def _renumber_widgets(nb):
    """Replace ipywidgets' random model ids by 1, 2, 3, … (as 32 hex digits) in order of appearance.

    Without this every execution rewrites the saved widget state and outputs
    with new random ids, and the notebook file churns though nothing changed.
    """
    import json

    import nbformat

    key = "application/vnd.jupyter.widget-state+json"
    state = nb.metadata.get("widgets", {}).get(key, {}).get("state")
    if not state:
        return nb
    text = json.dumps(nb)
    ids = sorted(state, key=text.find)
    for number, old in enumerate(ids, start=1):
        text = text.replace(old, f"{number:032x}")
    renumbered = nbformat.from_dict(json.loads(text))
    widget_state = renumbered.metadata["widgets"][key]
    widget_state["state"] = dict(sorted(widget_state["state"].items()))
    return renumbered


def execute_notebook(path, timeout=600):
    """Run every cell of the notebook at `path` in a fresh kernel and save its outputs in place."""
    import nbformat

    path = Path(path)
    nb = _execute(nbformat.read(path, as_version=4), path.parent, timeout)
    write_atomically(path, _notebook_text(nb))
    return nb


def _notebook_text(nb):
    """The file nbformat.write would write for `nb`."""
    import nbformat

    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


# --------------------------------------------------------------------- exercises

def _tags(cell):
    return cell.metadata.get("tags", [])


def _indent(line):
    return line[:len(line) - len(line.lstrip())]


def _regions(lines, where):
    """(begin, end) line numbers of each BEGIN/END SOLUTION pair, checked for balance."""
    regions, begin = [], None
    for i, line in enumerate(lines):
        marker = line.strip()
        if marker == BEGIN:
            if begin is not None:
                raise AuthoringError(f"{where}: line {i + 1}: {BEGIN} inside another solution region")
            begin = i
        elif marker == END:
            if begin is None:
                raise AuthoringError(f"{where}: line {i + 1}: {END} without a {BEGIN}")
            regions.append((begin, i))
            begin = None
    if begin is not None:
        raise AuthoringError(f"{where}: line {begin + 1}: {BEGIN} is never closed")
    return regions


def _enclosing_function(lines, begin):
    """The name of the function whose body holds line `begin`, else None (top level)."""
    depth = len(_indent(lines[begin]))
    for line in reversed(lines[:begin]):
        if line.strip() and len(_indent(line)) < depth:
            match = re.match(r"\s*(?:async\s+)?def\s+(\w+)", line)
            return match.group(1) if match else None
    return None


def _assigned_names(body, where):
    """Names assigned at the top level of a region, in order of first assignment."""
    try:
        tree = ast.parse("\n".join(body))
    except SyntaxError as err:
        raise AuthoringError(f"{where}: the solution region does not parse: {err.msg}") from None
    names = []
    for node in tree.body:
        targets = {ast.Assign: lambda n: n.targets, ast.AugAssign: lambda n: [n.target],
                   ast.AnnAssign: lambda n: [n.target]}.get(type(node), lambda n: [])(node)
        for target in targets:
            for leaf in ast.walk(target):
                if isinstance(leaf, ast.Name) and leaf.id not in names:
                    names.append(leaf.id)
    if not names:
        raise AuthoringError(f"{where}: a top-level solution region must assign the answer names "
                             "(they become `name = None` in the exercise)")
    return names


def stub_code(source, where="cell"):
    """The exercise version of a code cell's source: each solution region replaced by its stub."""
    lines = source.split("\n")
    out, last = [], 0
    for begin, end in _regions(lines, where):
        out.extend(lines[last:begin])
        indent = _indent(lines[begin])
        function = _enclosing_function(lines, begin)
        if function:
            out += [f"{indent}# YOUR CODE HERE", f'{indent}raise NotImplementedError("{function}")']
        elif indent:
            raise AuthoringError(f"{where}: line {begin + 1}: an indented solution region must be inside "
                                 "a function body (or put the markers at the top level)")
        else:
            out += [f"{name} = None  # YOUR ANSWER HERE"
                    for name in _assigned_names(lines[begin + 1:end], where)]
        last = end + 1
    out.extend(lines[last:])
    return "\n".join(out)


def stub_markdown(source, where="cell"):
    """The exercise version of a markdown cell: each solution region becomes `*Your answer here.*`."""
    lines = source.split("\n")
    out, last = [], 0
    for begin, end in _regions(lines, where):
        out += lines[last:begin] + [MARKDOWN_STUB]
        last = end + 1
    return "\n".join(out + lines[last:])


def _blank(cell):
    """A copy of `cell` with no outputs, no execution count and no execution metadata."""
    cell = copy.deepcopy(cell)
    cell.metadata.pop("execution", None)
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell


def _derived(nb, cells, source_name, command):
    nb = copy.deepcopy(nb)
    nb.cells = cells
    nb.metadata["backproplib"] = {"generated_from": source_name,
                                  "regenerate_with": f"python -m backproplib.authoring {command}"}
    return nb


def exercise_from_solution(nb, source_name):
    """The unexecuted exercise notebook for a solution notebook (stubs in, solution-only cells out)."""
    cells = []
    for i, cell in enumerate(nb.cells):
        if SOLUTION_ONLY in _tags(cell):
            continue
        cell = _blank(cell)
        where = f"{source_name}, cell {i}"
        if cell.cell_type == "code":
            cell.source = stub_code(cell.source, where)
        elif cell.cell_type == "markdown":
            cell.source = stub_markdown(cell.source, where)
        cells.append(cell)
    return _derived(nb, cells, source_name, "exercises")


# --------------------------------------------------------------------- live copies

class LiveRefused(AuthoringError):
    """A live cell that a later cell cannot do without (see the module docstring's refusal rule)."""


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _comment_lines(source):
    """The cell's leading comment lines (a `#` in the first column), as written."""
    comments = []
    for line in source.split("\n"):
        if not line.startswith("#"):
            break
        comments.append(line)
    return comments


def live_title(source):
    """What to write, in words: the first leading comment line of a live cell without its `#`, or ''."""
    comments = _comment_lines(source)
    return comments[0].lstrip("#").strip() if comments else ""


def live_prompt(source, label, where="", needed=()):
    """What stays of a live cell: the TYPE HERE banner comment (its `label`, `where` the full cell is,
    the names later cells need from it) and the cell's leading comment lines after its title."""
    lines = [f"{LIVE_PROMPT} {label}"]
    if where:
        lines.append(f"# The full cell: {where}.")
    if needed:
        lines.append(f"# Later cells need from it: {', '.join(needed)}.")
    comments = _comment_lines(source)
    return "\n".join(lines + comments[1 if live_title(source) else 0:])


def one_folder_down(markdown):
    """`markdown` with its relative links made to work from a subfolder (`](x.ipynb` -> `](../x.ipynb`)."""
    return re.sub(r"\]\((?![a-z][a-z0-9+.-]*:|/|#)", "](../", markdown)


def _python(source, where):
    """The `live.usage` of a code cell (IPython syntax translated first); None if it is not Python."""
    from IPython.core.inputtransformer2 import TransformerManager

    from .live import usage

    try:
        return usage(TransformerManager().transform_cell(source))
    except SyntaxError:
        return None
    except RecursionError:                                 # pathological nesting: treat as opaque
        raise AuthoringError(f"{where}: the cell is too deeply nested to analyse") from None


def _heading(cells, index):
    """The last markdown heading above cell `index`, or ''."""
    for cell in reversed(cells[:index]):
        if cell.cell_type == "markdown":
            headings = re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", cell.source, flags=re.M)
            if headings:
                return headings[-1]
    return ""


def _describe(nb, index, number, name):
    """'notebooks/05_x.ipynb code cell 8 (cell 8, id c07)': a cell, by every handle."""
    return f"{name} code cell {number} (cell {index}, id {nb.cells[index].get('id')})"


def live_dependencies(nb, source_name):
    """The blanks of a lecture notebook and the later cells that wait for them, or LiveRefused.

    Returns (blanks, waiting): blanks is [(cell index, label, [names later cells wait for because of it],
    [those of them it binds itself])] in order,
    waiting is {cell index of a later cell: [(name, label of the blank it waits for)]}.  Every cell's code
    is read by `backproplib.live.usage`; a name's value at a later cell comes from the last cell above
    that binds it, so a later cell *waits* when it reads a name whose last binder is a blank or a cell
    that itself waits."""
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    number = {i: k + 1 for k, i in enumerate(code)}
    blanks = [i for i in code if LIVE in _tags(nb.cells[i])]
    label = {}
    for k, i in enumerate(blanks, start=1):
        title = live_title(nb.cells[i].source) or (f"the cell under “{_heading(nb.cells, i)}”"
                                                   if _heading(nb.cells, i) else f"code cell {number[i]}")
        label[i] = f"{LIVE_LABEL} {k} · {title}"
    describe = lambda i: _describe(nb, i, number[i], source_name)            # noqa: E731

    provider = {}            # name -> (cell that last bound it, blank it waits for or None, cell it shadows)
    changed = {}             # name -> (cell that changed it in place while waiting/empty, its blank)
    needed = {i: [] for i in blanks}
    binds = {}
    waiting = {}
    for i in code:
        cell = nb.cells[i]
        where = describe(i)
        use = _python(cell.source, where)
        if i in blanks:
            if use is None:
                raise LiveRefused(f"{where}: a live cell must be Python that can be analysed (it does not "
                                  "parse).  Nothing was written.")
            if use.star_import:
                raise LiveRefused(f"{where}: a live cell cannot use `from … import *` (the names it "
                                  "defines cannot be listed, so later cells could not wait for them).  "
                                  "Nothing was written.")
            root, binder = i, i
            binds[i] = use.binds
        elif use is None:
            continue
        else:
            waits = [(n, provider[n]) for n in use.loads if n in provider and provider[n][1] is not None]
            altered = [(n, changed[n]) for n in use.loads if n in changed]
            if altered:
                n, (changer, blank) = altered[0]
                raise LiveRefused(
                    f"{where} reads `{n}`, which {describe(changer)} changes in place"
                    + ("" if changer == blank else f" (it waits for {describe(blank)})")
                    + f"; while {label[blank]} ({describe(blank)}) is empty the later cell would silently "
                    f"use the unchanged `{n}`, and waiting cannot cover that.  Make the live cell bind a new "
                    "name instead, or do not tag it `live`.  Nothing was written.")
            if not waits:
                for n in use.binds:
                    provider[n] = (i, None, None)
                    changed.pop(n, None)
                continue
            n, (binder_cell, blank, shadowed) = waits[0]
            pair = f"{where} needs `{n}` from {label[blank]} ({describe(blank)})"
            for tag in (SETUP, CHECK):
                if tag in _tags(cell):
                    raise LiveRefused(f"{pair}, but a cell tagged `{tag}` must run, not wait.  "
                                      "Do not tag that live cell `live`.  Nothing was written.")
            if any(WIDGET_VIEW in o.get("data", {}) for o in cell.get("outputs", [])):
                raise LiveRefused(f"{pair}, but it shows a widget, which the live copy would then lack.  "
                                  "Do not tag that live cell `live`.  Nothing was written.")
            for n, (_, blank_n, shadowed) in waits:
                if shadowed is not None:
                    raise LiveRefused(
                        f"{where} needs `{n}` from {label[blank_n]} ({describe(blank_n)}), but "
                        f"{describe(shadowed)} binds `{n}` before it, so while the live cell is empty the "
                        f"later cell would silently use that older `{n}` instead of waiting.  Give the live "
                        "cell's result a new name, or do not tag it `live`.  Nothing was written.")
            waiting[i] = [(n, label[blank_n]) for n, (_, blank_n, _) in waits]
            for n, (_, blank_n, _) in waits:
                if n not in needed[blank_n]:
                    needed[blank_n].append(n)
            root, binder = waits[0][1][1], i
        for n in use.binds:
            before = provider.get(n)
            shadowed = None if before is None else (before[0] if before[1] is None else before[2])
            provider[n] = (binder, root, shadowed)
        for n in use.mutates:
            changed[n] = (binder, root)
    return [(i, label[i], needed[i], [n for n in needed[i] if n in binds[i]]) for i in blanks], waiting


def _new_id(nb, wanted):
    """`wanted`, or `wanted-2`, … : a cell id that `nb` does not use yet."""
    taken = {c.get("id") for c in nb.cells}
    candidate, k = wanted, 1
    while candidate in taken:
        k += 1
        candidate = f"{wanted}-{k}"
    return candidate


def waiting_cell_source(blanks):
    """The cell that makes later cells wait for the blanks (see backproplib.live)."""
    entries = [f"    {label!r}: {names!r}," for _, label, names, _ in blanks if names]
    return "\n".join(["# Live copy: a cell that needs a TYPE HERE cell says it is waiting for it, until you have typed "
                      "and run that cell.", "import backproplib.live", "backproplib.live.wait_for({",
                      *entries, "})"])


def live_banner(label, where, needed):
    """The markdown cell above a blank: what to type, where the full cell is, who waits for it."""
    head, _, title = label.partition(" · ")
    text = [f"> **✍ {head} · {title}**" if title else f"> **✍ {head}**", ">",
            f"> Type the next cell in class: it is empty in this copy. The full cell is {where}."]
    if needed:
        text.append(f"> Until it has run, the cells below that need {', '.join(f'`{n}`' for n in needed)} "
                    f"print “{WAITING_TEXT} …” instead of running.")
    return "\n".join(text)


def live_from_lecture(nb, source_name):
    """The unexecuted live-coding copy of a lecture notebook, or None if it has no live cells.
    It lives one folder down from its source, so relative links gain a `../`; each blank gets a
    TYPE HERE banner, and later cells that need it wait for it (see the module docstring)."""
    import nbformat

    if not any(c.cell_type == "code" and LIVE in _tags(c) for c in nb.cells):
        return None
    blanks, _ = live_dependencies(nb, source_name)
    info = {i: (label, direct) for i, label, _, direct in blanks}
    name = Path(source_name).name
    title = next((re.sub(r"^#+\s*", "", c.source.split("\n")[0]) for c in nb.cells
                  if c.cell_type == "markdown" and c.source.startswith("#")), name)
    cells, number, k = [], 0, 0
    for i, cell in enumerate(nb.cells):
        cell = _blank(cell)
        if cell.cell_type == "markdown":
            cell.source = one_folder_down(cell.source)
        elif cell.cell_type == "code":
            number += 1
            if i in info:
                label, needed = info[i]
                k += 1
                section = _heading(nb.cells, i)
                in_words = (f"cell `{cell.get('id')}` (code cell {number}"
                            + (f", section “{section}”" if section else "") + ")")
                cells.append(nbformat.v4.new_markdown_cell(
                    live_banner(label, f"{in_words} of [{title}](../{name})", needed),
                    id=_new_id(nb, f"type-here-{k}"), metadata={"tags": [LIVE_BANNER]}))
                cell.source = live_prompt(cell.source, label, f"cell id {cell.get('id')} (code cell {number}) of "
                                                              f"../{name}", needed)
        cells.append(cell)
    if any(names for _, _, names, _ in blanks):
        setup = next((k + 1 for k, c in enumerate(cells) if SETUP in _tags(c)),
                     next(k for k, c in enumerate(cells) if c.cell_type == "code"))
        cells.insert(setup, nbformat.v4.new_code_cell(waiting_cell_source(blanks), id=_new_id(nb, LIVE_WAIT),
                                                      metadata={"tags": [LIVE_WAIT]}))
    return _derived(nb, cells, source_name, "live")


# --------------------------------------------------------------------- setup cells

SETUP_TEMPLATE = """\
# Setup: nothing happens where backproplib is installed; on Colab or a bare kernel it is installed first.
import importlib.util, os, subprocess, sys
if importlib.util.find_spec("backproplib") is None:
    source = os.environ.get("BACKPROPLIB_SOURCE", "backproplib @ git+REPOSITORY")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", source], check=True)
import backproplib
if backproplib.__version__ != "VERSION":
    print(f"Note: written for backproplib VERSION; this kernel has {backproplib.__version__}.")"""


def project_metadata(root):
    """(version, repository address) from `root`/pyproject.toml: the one place where each is set."""
    try:
        import tomllib
    except ModuleNotFoundError:                  # Python 3.10: the `authoring` extra brings tomli
        import tomli as tomllib
    project = tomllib.loads((Path(root) / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return project["version"], project["urls"]["Repository"]


def setup_source(version, repository):
    """The source of the setup cell for backproplib `version` installed from `repository`."""
    return SETUP_TEMPLATE.replace("VERSION", version).replace("REPOSITORY", repository)


def with_setup_cell(nb, source):
    """`nb` with its setup cell (tag `setup`, right after the title cell) holding `source`, or None
    if it already does.  A notebook without code cells (a contents page) needs none: also None."""
    import nbformat

    if not any(c.cell_type == "code" for c in nb.cells):
        return None
    nb = copy.deepcopy(nb)
    setups = [i for i, c in enumerate(nb.cells) if SETUP in _tags(c)]
    if setups == [1] and nb.cells[1].source == source and nb.cells[1].cell_type == "code":
        return None
    for i in reversed(setups):
        del nb.cells[i]
    nb.cells.insert(1, nbformat.v4.new_code_cell(source, id=SETUP, metadata={"tags": [SETUP]}))
    return nb


def _setup_sources(root):
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted((root / "solutions").glob("*.ipynb"))


def setup_plan(root):
    """{notebook path: the notebook with its setup cell made current} for every source notebook that needs it."""
    import nbformat

    source = setup_source(*project_metadata(root))
    plan = {}
    for path in _setup_sources(root):
        nb = with_setup_cell(nbformat.read(path, as_version=4), source)
        if nb is not None:
            plan[path] = nb
    return plan


# --------------------------------------------------------------------- exercises and live copies

JOBS = {
    # job: (source folder, source glob, target folder, transform, sources are executed and must pass)
    "exercises": ("solutions", "*.ipynb", "exercises", exercise_from_solution, True),
    "live": ("notebooks", "[0-9][0-9]_*.ipynb", "notebooks/live", live_from_lecture, False),
}


def _sources(job, root):
    source_dir, pattern = JOBS[job][:2]
    return sorted((root / source_dir).glob(pattern))


def _not_executed(nb):
    return any(c.cell_type == "code" and c.execution_count is None for c in nb.cells)


def failed_checks(nb):
    """The stored verdicts of `nb` that are not a pass: lines starting with ✗ or "○ not implemented yet"."""
    from .checks import TODO, WRONG

    return [line for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "stream"
            for line in o.text.splitlines() if line.startswith((WRONG, TODO))]


def planned(job, root, sources=None):
    """{target path: unexecuted notebook} for one job under the repository `root`.  A source notebook
    found in `sources` ({path: notebook}, e.g. just executed in memory) is taken from there."""
    import nbformat

    source_dir, _, target_dir, transform, _ = JOBS[job]
    plan = {}
    for source in _sources(job, root):
        nb = (sources or {}).get(source) or nbformat.read(source, as_version=4)
        nb = transform(nb, f"{source_dir}/{source.name}")
        if nb is not None:
            plan[root / target_dir / source.name] = nb
    return plan


# --------------------------------------------------------------------- whose file is it?

def content_hash(nb):
    """SHA-256 of the notebook as nbformat writes it, leaving out its own record of that hash."""
    import hashlib

    import nbformat

    nb = copy.deepcopy(nb)
    nb.metadata.get("backproplib", {}).pop(RECORD, None)
    return hashlib.sha256(nbformat.writes(nb).encode("utf-8")).hexdigest()


def _stamped(nb):
    """`nb` carrying the hash of its own content: the generator's mark that it wrote exactly this."""
    nb.metadata.setdefault("backproplib", {})[RECORD] = content_hash(nb)
    return nb


def untouched(path, wanted=None):
    """True if the generator wrote the notebook at `path` and nobody changed it since: its content still
    has the hash it recorded.  A notebook from before hashes were recorded counts as untouched when its
    cells are exactly those of `wanted` (the notebook the generator would write now)."""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:                             # not a notebook any more: somebody's file
        return False
    record = nb.metadata.get("backproplib", {}).get(RECORD)
    if record is not None:
        return record == content_hash(nb)
    return wanted is not None and _first_difference(_inputs(nb), _inputs(wanted)) == ""


def _inputs(nb):
    """What a generated notebook must share with its source: every cell's type, id, source, metadata."""
    cells = [(c.cell_type, c.get("id"), c.source, {k: v for k, v in c.metadata.items() if k != "execution"})
             for c in nb.cells]
    meta = {k: v for k, v in nb.metadata.get("backproplib", {}).items() if k != RECORD}
    return cells, meta or None


def _first_difference(stored, wanted):
    """Where two `_inputs` records first differ, in words; '' if they are equal."""
    (cells, meta), (want_cells, want_meta) = stored, wanted
    if meta != want_meta:
        return "notebook metadata"
    for i, (have, want) in enumerate(zip(cells, want_cells)):
        if have != want:
            part = next(p for p, a, b in zip(("type", "id", "source", "metadata"), have, want) if a != b)
            return f"cell {i}: {part}"
    return f"{len(cells)} cells instead of {len(want_cells)}" if len(cells) != len(want_cells) else ""


def stale(job, root):
    """Problems with the stored output of `job`, one line each; empty when it is up to date."""
    import nbformat

    if job == SETUP:
        return [f"{path.relative_to(root)}: its setup cell is missing or out of date" for path in setup_plan(root)]
    try:
        plan = planned(job, root)
    except AuthoringError as err:                # e.g. a live cell that later cells cannot do without
        return [str(err).replace("  Nothing was written.", "")]
    target_dir = root / JOBS[job][2]
    problems = [f"{p.relative_to(root)}: left over (no source produces it)"
                for p in sorted(target_dir.glob("*.ipynb")) if p not in plan]
    if JOBS[job][4]:
        for source in _sources(job, root):
            nb = nbformat.read(source, as_version=4)
            failures = failed_checks(nb)
            if _not_executed(nb) or failures:
                problems.append(f"{source.relative_to(root)}: " + (f"a check does not pass: {failures[0]}"
                                                                   if failures else "not executed"))
    for path, nb in plan.items():
        name = path.relative_to(root)
        if not path.exists():
            problems.append(f"{name}: missing")
            continue
        stored = nbformat.read(path, as_version=4)
        difference = _first_difference(_inputs(stored), _inputs(nb))
        if difference:
            problems.append(f"{name}: differs from {nb.metadata['backproplib']['generated_from']} ({difference})")
        elif _not_executed(stored):
            problems.append(f"{name}: not executed")
        elif not untouched(path, nb):
            problems.append(f"{name}: changed since it was generated")
    return problems


# --------------------------------------------------------------------- generation, all or nothing

class GenerationRefused(AuthoringError):
    """Generation would overwrite or delete files that the generator did not write (or that changed since)."""


def _run(nb, path, root):
    """`nb` executed in memory as if it were at `path`; a failing cell raises AuthoringError naming it."""
    from nbclient.exceptions import CellExecutionError

    path.parent.mkdir(parents=True, exist_ok=True)          # the kernel starts there; no file is written
    try:
        return _execute(nb, path.parent)
    except CellExecutionError as err:
        code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        failed = next((i for i in code for o in nb.cells[i].get("outputs", []) if o.output_type == "error"), None)
        where = "a cell" if failed is None else \
            f"code cell {code.index(failed) + 1} (cell {failed}, id {nb.cells[failed].get('id')})"
        error = next((f"{o.ename}: {o.evalue}" for o in nb.cells[failed].outputs if o.output_type == "error"),
                     str(err).strip().splitlines()[-1]) if failed is not None else str(err).strip().splitlines()[-1]
        blame = _live_blame(nb, failed, error, root) if failed is not None else ""
        raise AuthoringError(f"{path.relative_to(root)}: {where} failed: {error}{blame}; nothing was written") from None


def _live_blame(nb, failed, error, root):
    """For a live copy whose cell `failed` raised NameError for a name a blank binds: which blank, in words."""
    import nbformat

    origin = nb.metadata.get("backproplib", {})
    match = re.match(r"NameError: name '(\w+)' is not defined", error)
    if not match or not origin.get("regenerate_with", "").endswith(" live"):
        return ""
    source_name = origin["generated_from"]
    try:
        lecture = nbformat.read(Path(root) / source_name, as_version=4)
    except OSError:
        return ""
    code = [i for i, c in enumerate(lecture.cells) if c.cell_type == "code"]
    blanks = [i for i in code if LIVE in _tags(lecture.cells[i])]
    failed_id = nb.cells[failed].get("id")
    later = next((i for i in code if lecture.cells[i].get("id") == failed_id), len(lecture.cells))
    for k, i in reversed(list(enumerate(blanks, start=1))):
        use = _python(lecture.cells[i].source, source_name)
        if i < later and use is not None and match.group(1) in use.binds:
            return (f": it needs `{match.group(1)}` from {LIVE_LABEL} {k} "
                    f"({_describe(lecture, i, code.index(i) + 1, source_name)}), which is empty in the live "
                    "copy, and the waiting could not see that need (a name read through eval, globals() or a "
                    "magic's text); do not tag that cell `live`, or read the name directly")
    return ""


def build(jobs, root, log=print):
    """Everything `jobs` would write, computed in memory: ({path: executed notebook}, [paths to remove],
    {path: notebook the generator would write, for generated targets}).  Writes nothing."""
    sources, targets, removals = {}, {}, []
    for job in (job for job in JOBS if job in jobs and not JOBS[job][4]):
        planned(job, root)          # a refused live blank stops here, before any notebook is executed
    if SETUP in jobs:
        for path, nb in setup_plan(root).items():
            log(f"executing {path.relative_to(root)} (its setup cell changed)")
            sources[path] = _run(nb, path, root)
    for job in (job for job in JOBS if job in jobs):
        if JOBS[job][4]:
            import nbformat

            for source in _sources(job, root):
                log(f"executing {source.relative_to(root)}")
                nb = _run(sources.get(source) or nbformat.read(source, as_version=4), source, root)
                failures = failed_checks(nb)
                if failures:
                    raise AuthoringError(f"{source.relative_to(root)}: a solution must pass its checks, but:\n  "
                                         + "\n  ".join(failures) + "\nnothing was written")
                sources[source] = nb
        plan = planned(job, root, sources)
        removals += [p for p in sorted((root / JOBS[job][2]).glob("*.ipynb")) if p not in plan]
        for path, nb in plan.items():
            log(f"executing {path.relative_to(root)}")
            targets[path] = _stamped(_run(nb, path, root))
    return sources, targets, removals


def _backup(paths, root):
    """Copy `paths` into a new folder build/authoring-backup/<time>/ (same relative layout); returns it."""
    import shutil
    import time

    folder = root / "build" / "authoring-backup" / time.strftime("%Y%m%d-%H%M%S")
    while folder.exists():
        folder = folder.with_name(folder.name + "+")
    for path in paths:
        target = folder / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    return folder


def generate(jobs, root, log=print, force=False):
    """Run `jobs` (names from SETUP and JOBS) all or nothing.  Every notebook is executed in memory first;
    a failure writes nothing.  A generated notebook is overwritten or removed only if the generator wrote
    it and nobody changed it since (`untouched`); otherwise GenerationRefused lists those files and nothing
    is written, unless `force`, which first copies them to build/authoring-backup/.  Returns the paths written."""
    jobs = [jobs] if isinstance(jobs, str) else list(jobs)
    root = Path(root)
    sources, targets, removals = build(jobs, root, log)
    in_the_way = [p for p in sorted(targets) if p.exists() and not untouched(p, targets[p])]
    in_the_way += [p for p in removals if not untouched(p)]
    if in_the_way:
        names = "\n  ".join(str(p.relative_to(root)) for p in in_the_way)
        if not force:
            raise GenerationRefused(
                f"these notebooks were not written by the generator, or were changed since it wrote them:\n  {names}\n"
                "Nothing was written.  Move them elsewhere (students: to my-work/) and run again, or run again "
                "with --force, which first copies them to build/authoring-backup/.")
        log(f"--force: copied these to {_backup(in_the_way, root).relative_to(root)}/ first:\n  {names}")
    changes = {}
    for path, nb in {**sources, **targets}.items():
        text = _notebook_text(nb)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            changes[path] = text
    _commit(changes, removals, root, log)
    return list(changes)


def _commit(changes, removals, root, log):
    """Write every {path: text} of `changes` and remove `removals`, as nearly all at once as a file system
    allows: each new text is first written in full to a temporary file beside its target (a failure
    there removes them all and changes nothing), then each is renamed over its target."""
    import os
    import tempfile

    staged = []
    try:
        for path, text in changes.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
    except BaseException:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
        raise
    for tmp, path in staged:
        log(f"writing {path.relative_to(root)}")
        os.replace(tmp, path)
    for path in removals:
        log(f"removing {path.relative_to(root)} (its source is gone)")
        path.unlink()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m backproplib.authoring",
                                     description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("execute", help="execute notebooks and store their outputs in place")
    run.add_argument("notebooks", nargs="+", type=Path)
    for command, text in [("setup", "write the setup cell of every lecture notebook and solution"),
                          ("exercises", "make exercises/ from solutions/"),
                          ("live", "make notebooks/live/ from the lecture notebooks"),
                          ("generate", "all three: setup cells, exercises and live copies")]:
        job = sub.add_parser(command, help=text)
        job.add_argument("--check", action="store_true",
                         help="write nothing; exit 1 if any generated notebook is stale")
        job.add_argument("--force", action="store_true",
                         help="overwrite or remove changed or unknown notebooks, after copying them to "
                              "build/authoring-backup/")
        job.add_argument("--root", type=Path, default=Path("."), help="the repository (default: .)")
    args = parser.parse_args(argv)
    if args.command == "execute":
        for nb in args.notebooks:
            print(f"executing {nb}", file=sys.stderr)
            execute_notebook(nb)
        return 0
    jobs = [SETUP, *JOBS] if args.command == "generate" else [args.command]
    if args.check:
        problems = [p for job in jobs for p in stale(job, args.root)]
        for problem in problems:
            print(f"stale: {problem}", file=sys.stderr)
        if problems:
            print("run `make exercises` (python -m backproplib.authoring generate) and commit the result",
                  file=sys.stderr)
        return 1 if problems else 0
    log = lambda text: print(text, file=sys.stderr)                       # noqa: E731
    try:
        generate(jobs, args.root, log=log, force=args.force)
        if "exercises" in jobs:                           # nbgrader's course, under build/ (see nbgrader_export)
            from .nbgrader_export import export as export_nbgrader

            export_nbgrader(args.root, log=log)
    except AuthoringError as err:
        print(f"{parser.prog}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
