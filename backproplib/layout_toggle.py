"""Numerator vs denominator layout, one derivative at a time (notebook 08, section 2).

`LayoutToggle` shows the matrix of one derivative — scalar by vector, vector by
scalar or vector by vector — in the layout chosen with a toggle.  Both layouts
hold the same numbers ∂y_j/∂x_i; denominator layout (the course's) puts the
input's index i on the rows, numerator layout puts the output's index j there, so
one matrix is the other's transpose.  The picture is a heat map with every entry
written in its cell; the readout below it prints the shape and the entries as
``∂yj/∂xi = value`` pairs (six decimals), row by row, for code, tests and browsers.

Each derivative is a closed form at a fixed point (`DERIVATIVES`); tests compare
it with central differences.  All six pictures are drawn when the widget is made,
so a toggle only swaps a picture.
"""
import time
from typing import NamedTuple

import ipywidgets
import numpy as np

from .figure_view import FigureView
from .presentation import WIDGET_CLASS

__all__ = ["LayoutToggle", "Derivative", "DERIVATIVES", "KINDS", "LAYOUTS", "layout_matrix"]

LAYOUTS = ("denominator", "numerator")
A = np.array([[1.0, 2.0, 3.0],
              [4.0, 5.0, 6.0]])
B = np.array([[2.0, 1.0, 0.0],
              [-1.0, 3.0, 1.0],
              [0.5, 0.0, 1.0]])          # not symmetric: the gradient is (B + Bᵀ)x, not 2Bx
X0 = np.array([1.0, -1.0, 2.0])
T0 = 0.5


class Derivative(NamedTuple):
    """One derivative: y = f(x) at x0, written `formula`, with ∂y/∂x in denominator layout (P × M)."""
    kind: str
    formula: str
    f: object             # numpy function of x (a float or a vector)
    x0: object            # the point: a float (scalar x) or a vector
    jacobian: object      # x0 -> the P × M matrix D[i, j] = ∂y_j/∂x_i (P = 1 for scalar x, M = 1 for scalar y)


DERIVATIVES = {
    "scalar by vector": Derivative(
        "scalar by vector", "y = xᵀBx,  x ∈ ℝ³", lambda x: x @ B @ x, X0,
        lambda x: ((B + B.T) @ x).reshape(-1, 1)),
    "vector by scalar": Derivative(
        "vector by scalar", "y = (x², sin x),  x ∈ ℝ", lambda x: np.array([x**2, np.sin(x)]), T0,
        lambda x: np.array([[2 * x, np.cos(x)]])),
    "vector by vector": Derivative(
        "vector by vector", "y = Ax,  A ∈ ℝ²ˣ³", lambda x: A @ x, X0,
        lambda x: A.T.copy()),
}
KINDS = tuple(DERIVATIVES)


def layout_matrix(kind, layout):
    """The matrix of derivative `kind` in `layout`: denominator P × M (rows: inputs), numerator M × P."""
    if kind not in DERIVATIVES:
        raise ValueError(f"layout_matrix: kind must be one of {list(KINDS)}, got {kind!r}")
    if layout not in LAYOUTS:
        raise ValueError(f"layout_matrix: layout must be one of {list(LAYOUTS)}, got {layout!r}")
    d = DERIVATIVES[kind]
    D = np.asarray(d.jacobian(d.x0), dtype=np.float64)
    return D if layout == "denominator" else D.T


def _entry(kind, i, j):
    """The name of entry ∂y_j/∂x_i, without an index where that side is a scalar."""
    P, M = layout_matrix(kind, "denominator").shape
    y = f"y{j + 1}" if M > 1 else "y"
    x = f"x{i + 1}" if P > 1 else "x"
    return f"∂{y}/∂{x}"


class LayoutResult(NamedTuple):
    kind: str
    layout: str
    matrix: np.ndarray    # the derivative's matrix in this layout
    names: list           # names[r][c]: the entry ∂yj/∂xi at row r, column c


class LayoutToggle:
    """A toggle between numerator and denominator layout for one derivative, chosen among `KINDS`.

    ``show(kind=..., layout=...)`` (or the two toggles) switches; ``.result`` holds the matrix,
    ``.text`` the readout.  Start state: vector by vector (y = Ax), denominator layout.
    ``reset()`` (or the Reset button) returns there.
    """

    start_kind, start_layout = "vector by vector", "denominator"

    def __init__(self, width=5.0, height=3.4):
        self.view = FigureView(width, height, description=(
            "a heat map of the derivative's matrix in the chosen layout, each cell labelled with its "
            "∂yj/∂xi and value; the title gives the function, the layout and the shape"))
        self.result, self.last_update_seconds = None, None
        self.view.figure.subplots_adjust(left=0.12, right=0.98, bottom=0.16, top=0.84)   # one place for every frame
        self._frames = {(kind, layout): self._draw_frame(kind, layout) for kind in KINDS for layout in LAYOUTS}
        self.kind_buttons = ipywidgets.ToggleButtons(options=list(KINDS), value=self.start_kind,
                                                     description="derivative", style={"button_width": "auto"})
        self.layout_buttons = ipywidgets.ToggleButtons(options=list(LAYOUTS), value=self.start_layout,
                                                       description="layout", style={"button_width": "auto"})
        self.reset_button = ipywidgets.Button(description="Reset", icon="undo", tooltip="back to the start state",
                                              layout=ipywidgets.Layout(width="auto"))
        self.reset_button.on_click(lambda _: self.reset())
        self.kind_buttons.observe(lambda change: self.update(), names="value")
        self.layout_buttons.observe(lambda change: self.update(), names="value")
        self.widget = ipywidgets.VBox([ipywidgets.HBox([self.kind_buttons, self.reset_button]),
                                       self.layout_buttons, *self.view.parts])
        self.widget.add_class(WIDGET_CLASS)
        self.update()

    @property
    def text(self):
        """The readout as plain text."""
        return self.view.text

    def _draw_frame(self, kind, layout):
        matrix = layout_matrix(kind, layout)
        rows, cols = matrix.shape
        style = self.view.style
        ax = self.view.axes[0]
        ax.clear()
        bound = max(np.abs(matrix).max(), 1e-12)
        ax.imshow(matrix, cmap="RdBu", vmin=-1.6 * bound, vmax=1.6 * bound)
        for r, c in np.ndindex(matrix.shape):
            i, j = (r, c) if layout == "denominator" else (c, r)
            ax.text(c, r, f"{_entry(kind, i, j)}\n= {matrix[r, c]:.3g}", ha="center", va="center",
                    fontsize=style.rc.get("font.size", 10) * 0.9)
        inputs, outputs = "rows: inputs x", "columns: outputs y"
        if layout == "numerator":
            inputs, outputs = "rows: outputs y", "columns: inputs x"
        ax.set_xticks(range(cols), [str(c + 1) for c in range(cols)])
        ax.set_yticks(range(rows), [str(r + 1) for r in range(rows)])
        ax.set_ylabel(inputs)
        ax.set_xlabel(outputs)
        ax.set_title(f"{DERIVATIVES[kind].formula}\n{layout} layout: {rows} × {cols}", fontsize=style.title_size)
        ax.set_xlim(-0.5, max(cols, 3) - 0.5)
        ax.set_ylim(max(rows, 3) - 0.5, -0.5)
        return self.view.draw_png()

    def show(self, kind=None, layout=None):
        """Choose the derivative and/or the layout (the toggles follow); returns the result."""
        if kind is not None and kind not in KINDS:
            raise ValueError(f"LayoutToggle.show: kind must be one of {list(KINDS)}, got {kind!r}")
        if layout is not None and layout not in LAYOUTS:
            raise ValueError(f"LayoutToggle.show: layout must be one of {list(LAYOUTS)}, got {layout!r}")
        with self.kind_buttons.hold_trait_notifications(), self.layout_buttons.hold_trait_notifications():
            self.kind_buttons.value = kind or self.kind_buttons.value
            self.layout_buttons.value = layout or self.layout_buttons.value
        return self.update()

    def reset(self):
        """Back to the start state: vector by vector, denominator layout."""
        return self.show(self.start_kind, self.start_layout)

    def update(self):
        """Show the derivative and layout the toggles hold; returns the result."""
        start = time.perf_counter()
        kind, layout = self.kind_buttons.value, self.layout_buttons.value
        matrix = layout_matrix(kind, layout)
        names = [[_entry(kind, *((r, c) if layout == "denominator" else (c, r))) for c in range(matrix.shape[1])]
                 for r in range(matrix.shape[0])]
        self.result = LayoutResult(kind, layout, matrix, names)
        self.view.image.value = self._frames[kind, layout]
        self.view.show_text(self._format(self.result))
        self.last_update_seconds = time.perf_counter() - start
        return self.result

    def _format(self, r):
        rows, cols = r.matrix.shape
        other = "numerator" if r.layout == "denominator" else "denominator"
        head = (f"{r.kind}: {DERIVATIVES[r.kind].formula}; {r.layout} layout, shape {rows} × {cols} "
                f"({other} layout: {cols} × {rows}, the transpose)")
        lines = [f"row {k + 1}:  " + "  ".join(f"{name} = {round(value, 6) + 0.0:.6f}"
                                                for name, value in zip(r.names[k], r.matrix[k]))
                 for k in range(rows)]
        return "\n".join([head, *lines])

    def _repr_mimebundle_(self, **kwargs):
        return self.view.mimebundle(self.widget, type(self).__name__, **kwargs)
