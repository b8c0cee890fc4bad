"""The lecture's forward/backward table, written out for any small computation graph.

Lecture 13 differentiates J = cos(sin(x²) + 3x²) with a two-column table: each
forward equation (t = x², u1 = sin(t), u2 = 3t, u = u1 + u2, J = cos(u)) sits
next to the backward updates it causes, such as dJ/dt += (dJ/du1)(du1/dt) with
du1/dt = cos(t).  `forward_backward_table(J)` builds that table from the graph
behind J: forward rows in topological order, backward rows in the order
Version B performs them, each with its numbers.  `backward_steps(J)` replays
the backward pass one node visit at a time, for step-through widgets.

The symbols come from the operations themselves (`engine.Op.fmt` and the
labels of the local derivatives); the numbers are exactly those of
`engine.backward`.  Constants are numbers, not variables: they are printed by
value and get no adjoint rows.
"""
import html
import itertools
import re
from typing import NamedTuple

import numpy as np

from . import engine

__all__ = [
    "forward_backward_table", "backward_steps", "node_names", "equation", "format_value", "short_value",
    "is_inline_constant",
    "Table", "ForwardRow", "BackwardRow", "Step", "TextTable", "backward_versions",
]


class ForwardRow(NamedTuple):
    """A forward equation u = g(v_1, ..., v_N) with its value (for a leaf, just its name)."""
    node: engine.Var
    name: str
    equation: str
    value: object


class BackwardRow(NamedTuple):
    """One update dy/dv += (dy/du)(du/dv): u is the node visited, v the input whose adjoint grows."""
    target: engine.Var
    source: engine.Var
    text: str       # "dJ/dt += dJ/du1 · cos(t)"
    local: object   # du/dv at the current values; None where u is an array (a Jacobian)
    term: object    # (dy/du)(du/dv), the amount added
    total: object   # dy/dv after this update


class Step(NamedTuple):
    """One node visit of the backward pass and every adjoint dy/d(node) known after it."""
    index: int
    version: str
    output: engine.Var
    node: engine.Var
    equation: str
    updates: tuple      # BackwardRows
    adjoints: dict      # node -> dy/d(node) so far (a snapshot)
    names: dict         # node -> label, shared by all steps

    def __str__(self):
        y = self.names[self.output]
        lines = [f"step {self.index + 1} (Version {self.version}): visit {self.equation}"]
        if not self.updates:
            lines.append(f"  d{y}/d{y} = {format_value(self.adjoints[self.node])} (the seed)")
        for row in self.updates:
            local = "" if row.local is None else f"local {format_value(row.local)}, "
            lines.append(f"  {row.text}   ({local}term {format_value(row.term)}, "
                         f"now {_adjoint(y, self.names[row.target])} = {format_value(row.total)})")
        return "\n".join(lines)

    def _repr_html_(self):
        """The same lines as `str`, fixed-width and unwrapped (a wide line scrolls, it never breaks)."""
        return _html_pre(str(self))


# ------------------------------------------------------------------ names and symbols

def node_names(y, order=None):
    """A label for every node y depends on: its given name; a small constant's value;
    an unnamed output 'y'; other unnamed nodes v1, v2, ... in topological order."""
    order = engine.topological_order(y) if order is None else order
    taken = {v.name for v in order if v.name}
    fresh = (f"v{k}" for k in itertools.count(1) if f"v{k}" not in taken)
    names = {}
    for v in order:
        if v.name:
            names[v] = v.name
        elif is_inline_constant(v):
            names[v] = _constant_text(v.value)
        elif v is y and "y" not in taken:
            names[v] = "y"
        else:
            names[v] = next(fresh)
    return names


def is_inline_constant(node):
    """An unnamed constant small enough to be written by its value (3, [1, 2]) instead of as a node."""
    return node.op is engine.CONSTANT and node.name is None and np.size(node.value) <= 3


def equation(node, names):
    """The forward equation of `node`, such as 't = x²'; for a leaf, just its name."""
    if not node.inputs:
        return names[node]
    return f"{names[node]} = {_render(node.op.fmt, node, names)}"


def format_value(value):
    """A number to 6 significant digits; a short 1-D array as [a, b, c]; a larger one by its shape."""
    if value is None:
        return ""
    if np.ndim(value) == 0:
        return _number(value)
    if np.ndim(value) == 1 and np.size(value) <= 4:
        return "[" + ", ".join(_number(v) for v in value) + "]"
    return f"shape {np.shape(value)}"


def short_value(value, digits=3):
    """A number or array short enough for a box of a drawing: 3 significant digits (4 for a number);
    a 1-D array in full up to 3 entries, else its first two ([0.5, −0.25, …]); a 2-D array by the first
    two entries of its first row ([[0.5, 1, …], …])."""
    if np.ndim(value) == 0:
        return f"{float(value):.{digits + 1}g}".replace("-", "−")
    entries = np.ravel(value[0] if np.ndim(value) > 1 else value)
    shown = entries if np.ndim(value) == 1 and entries.size <= 3 else entries[:2]
    text = ", ".join(f"{float(v):.{digits}g}" for v in shown).replace("-", "−")
    text = f"[{text}{', …' if entries.size > shown.size else ''}]"
    return text if np.ndim(value) == 1 else f"[{text}, …]" if len(value) > 1 else f"[{text}]"


def _number(v):
    return f"{float(v):.6g}"


def _symbol(v):
    """A number inside an equation, with a unicode minus."""
    return _number(v).replace("-", "−")


def _constant_text(value):
    """A constant as it stands in an equation: 3, (−2), [1, 2]."""
    if np.ndim(value):
        return "[" + ", ".join(_symbol(v) for v in np.ravel(value)) + "]"
    text = _symbol(value)
    return f"({text})" if text.startswith("−") else text


def _index_text(index):
    """x[0, 1:3] style text for a numpy index."""
    if isinstance(index, tuple):
        return ", ".join(_index_text(i) for i in index)
    if isinstance(index, slice):
        parts = ["" if p is None else str(p) for p in (index.start, index.stop, index.step)]
        return ":".join(parts if index.step is not None else parts[:2])
    if index is Ellipsis:
        return "..."
    if np.ndim(index):
        return "[" + ", ".join(str(i) for i in np.ravel(index)) + "]"
    return str(index)


def _is_number(aux):
    return isinstance(aux, (int, float)) and not isinstance(aux, bool)


# The fields an Op's labels may use besides the inputs' labels {0}, {1} (see engine.Op).
_FIELDS = {
    "aux": lambda node, names: _symbol(node.aux) if _is_number(node.aux) else str(node.aux),
    "aux_minus_1": lambda node, names: _symbol(node.aux - 1),
    "axis": lambda node, names: "" if node.aux is None else f", axis={node.aux}",
    "index": lambda node, names: _index_text(node.aux),
    "out": lambda node, names: names[node],
}

_POWER = re.compile(r"\^(−?\d+)(?![\d.])")
_SUPERSCRIPTS = str.maketrans("0123456789−", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _superscript(match):
    exponent = match.group(1)
    return "" if exponent == "1" else exponent.translate(_SUPERSCRIPTS)


def _render(template, node, names, g=""):
    """Fill an Op label for `node`; integer powers become superscripts (x^2 → x², t^1 → t)."""
    fields = {key: field(node, names) for key, field in _FIELDS.items() if "{" + key + "}" in template}
    text = template.format(*(names[v] for v in node.inputs), g=g, **fields)
    return _POWER.sub(_superscript, text)


def _adjoint(y_name, v_name):
    return f"d{y_name}/d{v_name}"


def _parenthesised(label):
    """(−sin(u)) and (1 − z²) need brackets after a product sign; cos(t) and z(1 − z) do not."""
    depth = 0
    for previous, ch in zip(" " + label, label):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch in "+−" and depth == 0 and previous == " ":
            return f"({label})"
    return label


def _update_text(u, slot, names, y):
    """'dJ/dt += dJ/du1 · cos(t)' for the input `slot` of u (y: the output's label)."""
    label = u.op.labels[slot]
    source = _adjoint(y, names[u])
    rhs = (_render(label, u, names, g=source) if "{g}" in label
           else f"{source} · {_parenthesised(_render(label, u, names))}")
    return f"{_adjoint(y, names[u.inputs[slot]])} += {rhs}"


# ------------------------------------------------------------------ the backward pass, step by step

def backward_steps(y, version="B", seed=None):
    """Replay the backward pass of y one node visit at a time: an iterator of `Step`s.

    Version B (default) visits each node u in reverse topological order and adds
    (dy/du)(du/dv_j) into each input's adjoint: a step per node with inputs.
    Version A visits each node v and sums (dy/du_i)(du_i/dv) over its consumers
    u_i: a step per variable, starting with the seed dy/dy.  Each step carries a
    snapshot of all adjoints so far; the last one equals the .grad values that
    `engine.backward` sets (it is run first, so bad input fails here, at once).
    """
    order = engine.backward(y, version=version, seed=seed)
    names = node_names(y, order)
    visits = _visits_b(order) if version == "B" else _visits_a(order)
    return _steps(y, version, visits, names)


def _visits_b(order):
    for u in reversed(order):
        slots = tuple(slot for slot, v in enumerate(u.inputs) if v.op is not engine.CONSTANT)
        if slots:
            yield u, tuple((u, slot) for slot in slots)


def _visits_a(order):
    users = engine.consumers(order)
    for v in reversed(order):
        if v.op is not engine.CONSTANT:
            yield v, tuple(users[v])


def _steps(y, version, visits, names):
    adjoints = {y: y.grad}
    for index, (node, edges) in enumerate(visits):
        updates = []
        for u, slot in edges:
            v = u.inputs[slot]
            term = engine.contribution(u, slot, adjoints[u])
            adjoints[v] = term if v not in adjoints else adjoints[v] + term
            local = engine.contribution(u, slot, 1.0) if type(u.value) is float else None
            text = _update_text(u, slot, names, names[y])
            updates.append(BackwardRow(v, u, text, local, term, adjoints[v]))
        yield Step(index, version, y, node, equation(node, names), tuple(updates), dict(adjoints), names)


# ------------------------------------------------------------------ the table

def forward_backward_table(y, seed=None):
    """The lecture's forward/backward table for the graph behind y (runs backward, Version B).

    >>> import backproplib as bp
    >>> x = bp.Var(2.0, name="x")
    >>> t = (x**2).named("t")
    >>> J = bp.cos(bp.sin(t).named("u1") + (3 * t).named("u2")).named("J")
    >>> [row.equation for row in forward_backward_table(J).forward_rows][:2]
    ['t = x²', 'u1 = sin(t)']
    """
    return Table(y, seed)


class Table:
    """Forward equations with values, and the backward += updates with their numbers.

    `forward_rows`: the computed nodes in topological order; `inputs`: the leaves;
    `backward_rows`: every update in the order Version B makes it; `steps`: the
    same grouped by node visit; `gradients`: dy/d(leaf) by name.  `str()` and the
    notebook forms pair each forward equation with its updates, as the lecture
    does: the output on top, so the forward column reads upwards and the
    backward column downwards.
    """

    def __init__(self, y, seed=None):
        self.steps = list(backward_steps(y, "B", seed))
        order = engine.topological_order(y)
        self.output = y
        self.names = node_names(y, order)
        variables = [v for v in order if not is_inline_constant(v)]
        rows = [ForwardRow(v, self.names[v], equation(v, self.names), v.value) for v in variables]
        self.forward_rows = [row for row in rows if row.node.inputs]
        self.inputs = [row for row in rows if not row.node.inputs]
        self.backward_rows = [row for step in self.steps for row in step.updates]
        self.gradients = {row.name: row.node.grad for row in self.inputs if row.node.op is not engine.CONSTANT}

    def _paired(self):
        """(forward row, its updates) from the output down to the leaves, as in the lecture."""
        updates = {step.node: step.updates for step in self.steps}
        for row in self.forward_rows[::-1] + self.inputs[::-1]:
            yield row, updates.get(row.node, ())

    def _cells(self):
        """The table as rows of six strings: forward, value, backward, local, term, total."""
        y = self.names[self.output]
        header = ("forward", "value", "backward (Version B)", "local du/dv", "term", f"{_adjoint(y, 'v')} so far")
        body = []
        for row, updates in self._paired():
            kind = "constant" if row.node.op is engine.CONSTANT else "input"
            left = (row.equation if row.node.inputs else f"{row.equation} ({kind})", format_value(row.value))
            if not updates:
                body.append(left + ("",) * 4)
            for k, update in enumerate(updates):
                body.append((left if k == 0 else ("", "")) + (
                    update.text, format_value(update.local), format_value(update.term),
                    format_value(update.total)))
        return header, body

    def _footer(self):
        y = self.names[self.output]
        return [f"{_adjoint(y, name)} = {format_value(grad)}" for name, grad in self.gradients.items()]

    def __str__(self):
        header, body = self._cells()
        widths = [max(len(r[i]) for r in [header] + body) for i in range(6)]

        def line(cells):
            left = "  ".join(c.ljust(w) for c, w in zip(cells[:2], widths[:2]))
            right = "  ".join(c.ljust(w) for c, w in zip(cells[2:], widths[2:]))
            return f"{left} | {right}".rstrip()

        rule = "-" * (widths[0] + widths[1] + 3) + "+" + "-" * (sum(widths[2:]) + 7)
        return "\n".join([line(header), rule] + [line(r) for r in body] + [""] + self._footer())

    __repr__ = __str__

    def _repr_markdown_(self):
        header, body = self._cells()
        lines = ["| " + " | ".join(_markdown(c) for c in header) + " |", "|" + "---|" * 6]
        lines += ["| " + " | ".join(_markdown(c) for c in r) + " |" for r in body]
        return "\n".join(lines + [""] + [_markdown(f) + "  " for f in self._footer()])

    def _repr_html_(self):
        header, body = self._cells()
        footer = "<br>".join(html.escape(f) for f in self._footer())
        return (_html_table(header, body, numeric=(1, 3, 4, 5), divider=2)
                + f'<p style="font-family: monospace; margin-top: 0.3em">{footer}</p>')


# ------------------------------------------------------------------ any small table of text

class TextTable:
    """A small table of strings that looks the same in a terminal and in a notebook.

    `str()` pads every column to a fixed width (cells may hold several lines, e.g. a matrix);
    in a notebook the table is HTML in a fixed-width font, each column aligned (`align`: one "l"
    or "r" per column; numbers read best right-aligned) and no cell wrapping inside a number or
    an array — a table wider than the page scrolls sideways instead.
    """

    def __init__(self, header, rows, align=None, notes=()):
        self.header = tuple(str(h) for h in header)
        self.rows = [tuple("" if c is None else str(c) for c in row) for row in rows]
        if any(len(row) != len(self.header) for row in self.rows):
            raise ValueError(f"every row needs {len(self.header)} cells, as many as the header")
        self.align = tuple(align or "l" * len(self.header))
        self.notes = [str(n) for n in notes]

    def __str__(self):
        columns = range(len(self.header))
        widths = [max(len(line) for row in [self.header] + self.rows for line in row[i].split("\n"))
                  for i in columns]

        def lines(row):
            cells = [cell.split("\n") for cell in row]
            for k in range(max(len(c) for c in cells)):
                parts = [(c[k] if k < len(c) else "") for c in cells]
                yield "  ".join(p.rjust(w) if a == "r" else p.ljust(w)
                                for p, w, a in zip(parts, widths, self.align)).rstrip()

        rule = "  ".join("-" * w for w in widths)
        out = [*lines(self.header), rule]
        for row in self.rows:
            out += lines(row)
        return "\n".join(out + self.notes)

    __repr__ = __str__

    def _repr_html_(self):
        numeric = tuple(i for i, a in enumerate(self.align) if a == "r")
        notes = "".join(f'<p style="font-family: monospace; margin-top: 0.3em">{html.escape(n)}</p>'
                        for n in self.notes)
        return _html_table(self.header, self.rows, numeric=numeric) + notes


def backward_versions(y):
    """Versions B and A of the backward pass of y side by side, one row per node, in visiting order.

    Both versions visit the nodes in reverse topological order.  In row v, Version B's column holds
    the terms v *pushes* into its inputs and Version A's the terms v *pulls* from its users, so the
    two columns stay in step however many terms a row has.
    """
    pushes = {step.node: step for step in backward_steps(y, "B")}
    pulls = {step.node: step for step in backward_steps(y, "A")}
    names = next(iter(pulls.values())).names
    y_name = names[y]
    rows = []
    for node in reversed(engine.topological_order(y)):
        if node.op is engine.CONSTANT:
            continue
        b, a = pushes.get(node), pulls.get(node)
        push = "\n".join(row.text for row in b.updates) if b else "(an input: nothing to push)"
        if a is None:
            pull = ""
        elif a.updates:
            pull = "\n".join(row.text for row in a.updates)
        else:
            pull = f"d{y_name}/d{y_name} = 1 (the seed)"
        rows.append((equation(node, names), push, pull))
    return TextTable(("visit", "Version B: push into the inputs", "Version A: pull from the users"), rows)


def _html_pre(text):
    return ('<pre class="backproplib-text" style="white-space: pre; overflow-x: auto">'
            f"{html.escape(text)}</pre>")


_CELL = "white-space: pre; font-family: monospace; vertical-align: top; padding-top: 0.1em; " \
        "padding-bottom: 0.1em; padding-left: 0.4em; padding-right: 0.8em; text-align: {}"


def _html_table(header, body, numeric=(), divider=None):
    """A fixed-width, unwrapped HTML table in a sideways-scrolling box; `numeric` columns right-aligned,
    a rule before column `divider` (the forward | backward line of the lecture's table)."""
    def style(i):
        rule = "; border-left: 1px solid #888" if i == divider else ""
        return _CELL.format("right" if i in numeric else "left") + rule

    def row(tag, cells):
        return "<tr>" + "".join(f'<{tag} style="{style(i)}">{html.escape(c)}</{tag}>'
                                for i, c in enumerate(cells)) + "</tr>"
    rows = [row("th", header)] + [row("td", r) for r in body]
    return ('<div style="overflow-x: auto">'
            '<table class="backproplib-table" style="font-family: monospace; border-collapse: collapse">'
            f'<thead>{rows[0]}</thead><tbody>{"".join(rows[1:])}</tbody></table></div>')


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_|<])")


def _markdown(text):
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
