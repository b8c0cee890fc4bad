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
"""
import functools

from . import engine, tables
from .tables import Step

__all__ = ["draw_graph", "graph_layout"]

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


def draw_graph(y, ax=None, show_values=True, show_grads=True, highlight=None, grads=None):
    """Draw the graph behind y; returns the matplotlib Axes.

    highlight: a node, a node's label, a list of either, or a `tables.Step`
    (its node and the arrows along which it sends or gathers adjoints).
    grads: {node: dy/d(node)} to show instead of each node's `.grad`, such as
    `step.adjoints` while stepping through `tables.backward_steps`; a node
    without an entry shows '?'.
    """
    place, paths = _layout(y)
    names = tables.node_names(y)
    nodes = [v for v in place if not isinstance(v, _Bend)]
    labels = {v: _label(v, names, names[y], show_values, show_grads, grads) for v in nodes}
    marked, marked_edges = _highlighted(highlight, names)

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

    if ax is None:
        import matplotlib.pyplot as plt
        _, ax = plt.subplots(figsize=(max(total_width, 2.0), max(total_height, 1.2)))
    boxes = {}
    for v in nodes:
        is_marked = v in marked
        boxes[v] = ax.text(*xy[v], labels[v], ha="center", va="center", fontsize=9, zorder=3,
                           bbox=dict(boxstyle="round,pad=0.4",
                                     fc=_HIGHLIGHT["face"] if is_marked else _COLOURS[_kind(v, y)],
                                     ec=_HIGHLIGHT["edge"] if is_marked else "0.3",
                                     lw=2.5 if is_marked else 1.0))
    arrow = _arrow_class()
    for (u, slot), path in paths.items():
        v = u.inputs[slot]
        is_marked = (v, u) in marked_edges
        # b = a + a: two arrows, bent apart
        bend = 0.3 * (u.inputs[:slot].count(v) - (u.inputs.count(v) - 1) / 2) if len(path) == 2 else 0.0
        for a, b in zip(path, path[1:]):
            ax.add_artist(arrow(boxes.get(a), xy[a], boxes.get(b), xy[b], head=b is u,
                                color=_HIGHLIGHT["edge"] if is_marked else "0.35",
                                lw=2.2 if is_marked else 1.0, connectionstyle=f"arc3,rad={bend}"))
    ax.set_xlim(-0.1, total_width + 0.1)
    ax.set_ylim(-total_height / 2, total_height / 2)
    ax.axis("off")
    return ax


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
