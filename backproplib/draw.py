"""A drawing of the computation graph with each node's value and gradient (matplotlib only).

The lecture draws y = f(x) as a directed acyclic graph: one node per
variable, an arrow from each input v_j to the node u_i = g_i(v_1, ..., v_N)
that uses it.  `draw_graph(J)` lays the graph out in columns, left to right:
a node's column is the length of the longest path reaching it from a leaf, so
every arrow points rightwards and J stands alone on the right.  An arrow that
skips columns bends through a free slot in each column it crosses, so it never
hides behind a box.  Each box shows the node's equation (`u1 = sin(t)`), its
value and dJ/d(node).  Small constants appear by value inside the equations,
not as boxes.  The layout is deterministic: the same graph gives the same picture.

`draw_graph(J, layout="chain")` draws a graph whose operations form one chain,
such as a network module by module (x → a = αx → z = σ(a) → b = βz → ŷ → J,
from `module_graph.network_graph`): the chain in a row (or two), each
parameter next to the module that uses it, each box with the node's shape
too, the whole fitted to the axes (9 × 3.2 in by default) without overlaps.
"""
import functools

import numpy as np

from . import engine, tables
from .tables import Step

__all__ = ["draw_graph", "graph_layout", "chain_layout"]

_CHAR_WIDTH = 0.075     # inches per character at font size 9
_LINE_HEIGHT = 0.2      # inches per text line
_GAP = 0.5              # inches between columns
_COLOURS = {"input": "#dbe9f6", "constant": "#eeeeee", "op": "#ffffff", "output": "#e3f2d9"}
_HIGHLIGHT = {"face": "#ffe9a8", "edge": "#d95f02"}


class _Bend:
    """Where an arrow that skips columns crosses one of them."""
    __slots__ = ()


def graph_layout(y):
    """{node: (column, row)} for the nodes `draw_graph` shows.

    column = the longest path from a leaf; rows within a column follow the mean
    row of the inputs, then of the consumers (fewer crossings), ties broken by
    creation order.  Arrows that skip columns take rows of their own.
    """
    place, _ = _layout(y)
    return {v: place[v] for v in place if not isinstance(v, _Bend)}


def _layout(y):
    """Places of the nodes and bends, and each arrow's path {(node, slot): [input, bends..., node]}."""
    order = [v for v in engine.topological_order(y) if v is y or not tables.is_inline_constant(v)]
    column, before, after, paths = {}, {}, {}, {}
    for u in order:
        shown = [(slot, v) for slot, v in enumerate(u.inputs) if v in column]
        column[u] = 1 + max((column[v] for _, v in shown), default=-1)
        before[u], after[u] = [], []
        for slot, v in shown:
            path = [v] + [_Bend() for _ in range(column[u] - column[v] - 1)] + [u]
            for k, bend in enumerate(path[1:-1], start=1):
                column[bend], before[bend], after[bend] = column[v] + k, [], []
            for a, b in zip(path, path[1:]):
                after[a].append(b)
                before[b].append(a)
            paths[u, slot] = path
    columns = [[] for _ in range(max(column.values()) + 1)]
    for item in column:             # nodes and bends, in the order they were made
        columns[column[item]].append(item)
    row = {item: i for items in columns for i, item in enumerate(items)}
    for neighbours, sweep in ((before, columns[1:]), (after, columns[-2::-1])):
        for items in sweep:
            key = {item: (sum(row[w] for w in neighbours[item]) / len(neighbours[item])
                          if neighbours[item] else row[item], row[item]) for item in items}
            items.sort(key=key.__getitem__)
            row.update((item, i) for i, item in enumerate(items))
    return {item: (column[item], row[item]) for item in column}, paths


def draw_graph(y, ax=None, show_values=True, show_grads=True, highlight=None, grads=None, layout="columns"):
    """Draw the graph behind y; returns the matplotlib Axes.

    highlight: a node, a node's label, a list of either, or a `tables.Step`
    (its node and the arrows along which it sends or gathers adjoints).
    grads: {node: dy/d(node)} to show instead of each node's `.grad`, such as
    `step.adjoints` while stepping through `tables.backward_steps`; a node
    without an entry shows '?'.
    layout: "columns" (any graph, see `graph_layout`) or "chain", for a graph
    whose operations form one chain, such as a network drawn module by module
    (`module_graph.network_graph`): see `chain_layout`.  A chain is drawn to
    fit the axes (9 × 3.2 in when `ax` is None), its text shrunk if need be,
    and each box also shows its node's shape.
    """
    if layout not in ("columns", "chain"):
        raise ValueError(f"draw_graph: layout must be 'columns' or 'chain', got {layout!r}")
    names = tables.node_names(y)
    marked, marked_edges = _highlighted(highlight, names)
    if layout == "chain":
        return _draw_chain(y, ax, names, marked, marked_edges, show_values, show_grads, grads)
    place, paths = _layout(y)
    nodes = [v for v in place if not isinstance(v, _Bend)]
    labels = {v: _label(v, names, names[y], show_values, show_grads, grads) for v in nodes}
    xy, (total_width, total_height) = _column_geometry(place, nodes, labels)
    if ax is None:
        import matplotlib.pyplot as plt
        _, ax = plt.subplots(figsize=(max(total_width, 2.0), max(total_height, 1.2)))
    boxes = {}
    for v in nodes:
        face, edge, lw = _box_style(v, y, marked)
        boxes[v] = ax.text(*xy[v], labels[v], ha="center", va="center", fontsize=9, zorder=3,
                           bbox=dict(boxstyle="round,pad=0.4", fc=face, ec=edge, lw=lw))
    arrow = _arrow_class()
    for (u, slot), path in paths.items():
        v = u.inputs[slot]
        # b = a + a: two arrows, bent apart
        bend = 0.3 * (u.inputs[:slot].count(v) - (u.inputs.count(v) - 1) / 2) if len(path) == 2 else 0.0
        for a, b in zip(path, path[1:]):
            ax.add_artist(arrow(boxes.get(a), xy[a], boxes.get(b), xy[b], head=b is u,
                                connectionstyle=f"arc3,rad={bend}", **_arrow_style((v, u) in marked_edges)))
    ax.set_xlim(-0.1, total_width + 0.1)
    ax.set_ylim(-total_height / 2, total_height / 2)
    ax.axis("off")
    return ax


def _box_style(v, y, marked):
    """(face colour, edge colour, line width) of the box of node v."""
    if v in marked:
        return _HIGHLIGHT["face"], _HIGHLIGHT["edge"], 2.5
    return _COLOURS[_kind(v, y)], "0.3", 1.0


def _arrow_style(is_marked):
    return dict(color=_HIGHLIGHT["edge"], lw=2.2) if is_marked else dict(color="0.35", lw=1.0)


def _column_geometry(place, nodes, labels):
    """Centres of the boxes and bends of the column layout, in inches at font size 9, and the total size."""
    n_columns = 1 + max(c for c, _ in place.values())
    widths = [0.6 + _CHAR_WIDTH * max(len(line) for v in nodes if place[v][0] == c
                                      for line in labels[v].split("\n")) for c in range(n_columns)]
    heights = [sum(1 for c, _ in place.values() if c == k) for k in range(n_columns)]
    row_height = 0.45 + _LINE_HEIGHT * max(label.count("\n") + 1 for label in labels.values())
    total_width = sum(widths) + _GAP * (n_columns - 1)
    total_height = row_height * max(heights)
    lefts = [sum(widths[:c]) + _GAP * c for c in range(n_columns)]
    xy = {item: (lefts[c] + widths[c] / 2, ((heights[c] - 1) / 2 - r) * row_height)
          for item, (c, r) in place.items()}
    return xy, (total_width, total_height)


# ------------------------------------------------------------------ the chain layout

_CHAIN_FIGSIZE = (9.0, 3.2)
_CHAIN_GAP = 0.3        # inches between boxes of a chain, at font size 9
_CHAIN_MARGIN = 0.05    # inches left free around the drawing, at font size 9
_CHAIN_PAD = 0.16       # inches a box adds around its text (pad 0.4 em on each side), at font size 9


def chain_layout(y, rows=1):
    """{node: (column, row)} for a graph whose operations form one chain, as `draw_graph(layout="chain")` draws it.

    The chain: the oldest input of the first operation, then every operation in
    topological order, each an input of the next; it runs left to right in row 0
    (rows=1), or its first half does and the second half goes on from the left in
    row 1 (rows=2).  Every other input is drawn next to the operation that uses
    it: above it in row −1, or below it in row 2 in the second half.  (`draw_graph`
    takes the number of rows that lets the text be larger.)  Raises ValueError for
    a graph whose operations do not form a chain.
    """
    if rows not in (1, 2):
        raise ValueError(f"chain_layout: rows must be 1 or 2, got {rows!r}")
    order = [v for v in engine.topological_order(y) if v is y or not tables.is_inline_constant(v)]
    operations = [v for v in order if v.inputs]
    if not operations:
        raise ValueError("draw_graph: layout='chain' needs a graph with at least one operation")
    for previous, u in zip(operations, operations[1:]):
        if previous not in u.inputs:
            names = tables.node_names(y)
            raise ValueError(f"draw_graph: layout='chain' needs operations that form one chain, but "
                             f"{names[u]} does not use {names[previous]}; use layout='columns'")
    head = [v for v in order if not v.inputs and v in operations[0].inputs][:1]     # the oldest: order is by age
    chain = head + operations
    per_row = -(-len(chain) // rows)
    place = {v: (k % per_row, k // per_row) for k, v in enumerate(chain)}
    for u in operations:                # each has one input besides the chain at most (two inputs in all)
        column, row = place[u]
        place.update((v, (column, 2 if row else -1)) for v in u.inputs if v in order and v not in place)
    return place


def _draw_chain(y, ax, names, marked, marked_edges, show_values, show_grads, grads):
    """`draw_graph(layout="chain")`: boxes of a fixed size (the size of their text with every adjoint known,
    so that the steps of a backward pass share one picture), straight arrows from edge to edge."""
    from matplotlib.patches import FancyBboxPatch
    if ax is None:
        import matplotlib.pyplot as plt
        ax = plt.figure(figsize=_CHAIN_FIGSIZE).add_axes((0.0, 0.0, 1.0, 1.0))
    nodes = list(chain_layout(y))
    labels = {v: _chain_label(v, names, names[y], show_values, show_grads, grads) for v in nodes}
    sizes = _text_sizes(ax, {v: _chain_label(v, names, names[y], show_values, show_grads, None)
                             if v.grad is not None else labels[v] for v in nodes})
    # the chain in one row or folded into two, whichever gives the larger text
    xy, (width, height), fontsize, paths = max(
        (_chain_geometry(chain_layout(y, rows), sizes, ax) for rows in (1, 2)), key=lambda g: g[2])
    half = {v: ((w + _CHAIN_PAD) / 2, (h + _CHAIN_PAD) / 2) for v, (w, h) in sizes.items()}
    for v in nodes:
        face, edge, lw = _box_style(v, y, marked)
        (x0, y0), (w, h) = xy[v], half[v]
        ax.add_patch(FancyBboxPatch((x0 - w, y0 - h), 2 * w, 2 * h, boxstyle="round,pad=0,rounding_size=0.06",
                                    fc=face, ec=edge, lw=lw, zorder=3))
        ax.text(x0, y0, labels[v], ha="center", va="center", fontsize=fontsize, zorder=4)
    for (u, slot), path in paths.items():
        style = _arrow_style((u.inputs[slot], u) in marked_edges)
        for a, b in zip(path, path[1:]):
            ax.annotate("", xy=_edge_point(xy[b], xy[a], half.get(b)), xytext=_edge_point(xy[a], xy[b], half.get(a)),
                        zorder=2, arrowprops=dict(arrowstyle="-|>" if b is u else "-", shrinkA=0, shrinkB=0, **style))
    ax.set_xlim(0.0, width)
    ax.set_ylim(-height / 2, height / 2)
    ax.axis("off")
    return ax


def _edge_point(p, q, half, gap=0.03):
    """Where the segment from p to q leaves the box of half-sizes `half` centred at p (and `gap` beyond);
    p itself where there is no box (a bend)."""
    if half is None:
        return p
    dx, dy = q[0] - p[0], q[1] - p[1]
    t = min(half[0] / abs(dx) if dx else np.inf, half[1] / abs(dy) if dy else np.inf)
    t += gap / np.hypot(dx, dy)
    return p[0] + t * dx, p[1] + t * dy


def _chain_geometry(place, size, ax):
    """Where the boxes of `chain_layout` go, given the size of each label's text (`_text_sizes`): their
    centres and the extent the axes show (in inches at font size 9), the font size that makes the drawing
    fit the axes (at most 9), and each arrow's path.

    An arrow from the end of the first row to the start of the second runs through the gap between them.
    """
    columns = 1 + max(c for c, _ in place.values())
    rows = sorted({r for _, r in place.values()})
    widths = [max(size[v][0] for v in place if place[v][0] == c) + _CHAIN_PAD for c in range(columns)]
    heights = {r: max(size[v][1] for v in place if place[v][1] == r) + _CHAIN_PAD for r in rows}
    natural = (sum(widths) + (columns - 1) * _CHAIN_GAP + 2 * _CHAIN_MARGIN,
               sum(heights.values()) + (len(rows) - 1) * _CHAIN_GAP + 2 * _CHAIN_MARGIN)
    position = ax.get_position()
    box = (position.width * ax.figure.get_figwidth(), position.height * ax.figure.get_figheight())
    scale = min(1.0, box[0] / natural[0], box[1] / natural[1])
    shown = (box[0] / scale, box[1] / scale)
    centre, top = {}, natural[1] / 2 - _CHAIN_MARGIN
    for r in rows:
        centre[r] = top - heights[r] / 2
        top -= heights[r] + _CHAIN_GAP
    left = (shown[0] - natural[0]) / 2 + _CHAIN_MARGIN
    lefts = [left + sum(widths[:c]) + c * _CHAIN_GAP for c in range(columns)]
    xy = {v: (lefts[c] + widths[c] / 2, centre[r]) for v, (c, r) in place.items()}
    paths = {}
    for u in place:
        for slot, v in enumerate(u.inputs):
            if v not in place:
                continue
            path = [v, u]
            if place[v][1] == 0 and place[u][1] == 1:           # down to the second row, through the gap
                y_gap = centre[0] - heights[0] / 2 - _CHAIN_GAP / 2
                path = [v, _Bend(), _Bend(), u]
                xy[path[1]], xy[path[2]] = (xy[v][0], y_gap), (xy[u][0], y_gap)
            paths[u, slot] = path
    return xy, shown, 9 * scale, paths


@functools.cache
def _arrow_class():
    """A line between two points, clipped at the text boxes standing there (matplotlib imported lazily)."""
    from matplotlib.text import Annotation

    class BoxArrow(Annotation):
        def __init__(self, source, source_xy, target, target_xy, head, **arrowprops):
            self.boxes = [box for box in (source, target) if box is not None]
            patch_a, patch_b = (None if box is None else box.get_bbox_patch() for box in (source, target))
            super().__init__("", xy=target_xy, xytext=source_xy, zorder=2, arrowprops=dict(
                arrowstyle="-|>" if head else "-", shrinkA=0 if patch_a is None else 2,
                shrinkB=0 if patch_b is None else 2, patchA=patch_a, patchB=patch_b, **arrowprops))

        def draw(self, renderer):
            # a box learns its size when drawn, after the arrows beneath it: size it first
            for box in self.boxes:
                box.update_bbox_position_size(renderer)
            super().draw(renderer)

    return BoxArrow


def _kind(v, y):
    if v is y:
        return "output"
    if v.op is engine.CONSTANT:
        return "constant"
    return "op" if v.inputs else "input"


def _text_sizes(ax, labels):
    """{node: (width, height)} of each label's text in inches at font size 9, measured by the renderer."""
    figure = ax.figure
    sizes = {}
    for v, label in labels.items():
        text = ax.text(0, 0, label, fontsize=9, ha="center", va="center")
        extent = text.get_window_extent()           # in pixels, at the figure's dpi
        text.remove()
        sizes[v] = (extent.width / figure.dpi, extent.height / figure.dpi)
    return sizes


def _chain_label(v, names, y_name, show_values, show_grads, grads):
    """A box of the chain layout, one short line each: the equation, the shape, the value, and the adjoint
    in two lines (its name, then its value)."""
    lines = [tables.equation(v, names), "scalar" if np.ndim(v.value) == 0 else f"shape {np.shape(v.value)}"]
    if show_values:
        lines.append(f"value {tables.short_value(v.value)}")
    if show_grads:
        grad = v.grad if grads is None else grads.get(v)
        lines += [f"d{y_name}/d{names[v]} =", "?" if grad is None else tables.short_value(grad)]
    return "\n".join(lines)


def _label(v, names, y_name, show_values, show_grads, grads):
    lines = [tables.equation(v, names)]
    if show_values:
        lines.append(f"value {tables.format_value(v.value)}")
    if show_grads and v.op is not engine.CONSTANT:
        grad = v.grad if grads is None else grads.get(v)
        lines.append(f"d{y_name}/d{names[v]} = {'?' if grad is None else tables.format_value(grad)}")
    return "\n".join(lines)


def _highlighted(highlight, names):
    """The nodes and the (input, node) arrows to mark."""
    if highlight is None:
        return set(), set()
    if isinstance(highlight, Step):
        return {highlight.node}, {(row.target, row.source) for row in highlight.updates}
    items = highlight if isinstance(highlight, (list, tuple, set)) else [highlight]
    by_name = {name: v for v, name in names.items()}
    unknown = [item for item in items if isinstance(item, str) and item not in by_name]
    if unknown:
        raise ValueError(f"draw_graph: no node is labelled {unknown[0]!r}; labels are {sorted(by_name)}")
    return {by_name[item] if isinstance(item, str) else item for item in items}, set()
