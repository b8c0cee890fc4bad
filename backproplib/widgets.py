"""Interactive widgets for the lecture notebooks 01, 03, 05, 06 and 07 (ipywidgets + matplotlib).

Every widget is an ordinary object you can drive from code as well as by hand:
``set_x(1.5)`` (or moving the slider) recomputes, redraws and stores the
numbers in ``.result``; ``.text`` holds the same numbers as the plain text the
widget shows under its figure, in a fixed format (one ``name = value`` pair per
quantity, six decimals), so a test or a browser can read them back.  Each
widget opens in the start state its constructor describes, and ``reset()`` (or
its Reset button) returns to it.

The figure and its readout are a `figure_view.FigureView` (outside pyplot,
blitted, PNG in an ``ipywidgets.Image``, sized for the presentation style in
force when the widget is made).

Derivatives come from the engine's reverse mode; each widget also shows a
central finite difference next to them as an independent check.
"""
import time
from typing import NamedTuple

import ipywidgets
import numpy as np

from . import draw, presentation, tables
from .engine import Var
from .figure_view import FigureView
from .presentation import WIDGET_CLASS

__all__ = ["TangentExplorer", "ChainRuleExplorer", "BackwardStepper", "value_and_derivative",
           "central_difference"]

TANGENT_HALF_LENGTH = 0.25      # half the drawn tangent segment, as a fraction of the axes
GRAPH_ZOOM = 1.4                # a computation graph's text is small: in presentation mode it is shown larger


# ------------------------------------------------------------------------- numbers

def value_and_derivative(f, x):
    """f(x) and df/dx at a scalar x, by one forward and one reverse-mode backward pass."""
    v = Var(float(x))
    y = f(v)
    if not isinstance(y, Var):            # f ignores its input: a constant
        return float(y), 0.0
    y.backward()
    return y.value, 0.0 if v.grad is None else v.grad


def central_difference(f, x, eps=1e-6):
    """(f(x + ε) − f(x − ε)) / 2ε with ε scaled to |x|: the finite-difference slope of f at x."""
    h = eps * max(1.0, abs(x))
    return (float(f(Var(x + h))) - float(f(Var(x - h)))) / (2 * h)


def _curve(f, grid):
    """f on a whole grid at once (engine operations are elementwise on arrays)."""
    y = f(Var(grid))
    return np.broadcast_to(np.asarray(y.value if isinstance(y, Var) else y, dtype=np.float64), grid.shape)


# ------------------------------------------------------------------------- drawing

class _TangentPanel:
    """One axes: the curve f over [lo, hi], a point (x, f(x)) and the tangent line of slope f'(x)."""

    def __init__(self, style, ax, f, lo, hi, xlabel, title, n=241):
        grid = np.linspace(lo, hi, n)
        curve = _curve(f, grid)
        bottom, top = float(np.min(curve)), float(np.max(curve))
        margin = 0.08 * (top - bottom) if top > bottom else 1.0
        mark = style.colors["mark"]
        ax.plot(grid, curve, color=style.colors["curve"], lw=style.lw(1.8))
        self.tangent, = ax.plot([], [], color=mark, lw=style.lw(2.5), alpha=1.0 if style.high_contrast else 0.85,
                                solid_capstyle="round")
        self.point, = ax.plot([], [], "o", color=mark, mec="black", mew=style.lw(1.0),
                              ms=9 if style.high_contrast else 7)
        ax.set_xlim(lo, hi)
        ax.set_ylim(bottom - margin, top + margin)
        ax.set_xlabel(xlabel)
        ax.set_title(title, fontsize=style.title_size)
        ax.grid(alpha=0.6 if style.high_contrast else 0.3)
        self.ax = ax

    def show(self, x, value, slope):
        """Move the point to (x, value) and draw the tangent of the given slope through it."""
        (x0, x1), (y0, y1) = self.ax.get_xlim(), self.ax.get_ylim()
        # a segment of fixed length on screen, whatever the slope
        half = TANGENT_HALF_LENGTH / np.hypot(1.0 / (x1 - x0), slope / (y1 - y0))
        self.tangent.set_data([x - half, x + half], [value - slope * half, value + slope * half])
        self.point.set_data([x], [value])


class _Widget:
    """What every widget here shares: a figure view with its readout, a slider and a Reset button (the
    subclass adds them to the controls), the update cycle compute → show → readout, and display."""

    def __init__(self, view):
        self.view = view
        self.figure = view.figure
        self.readout = view.readout
        self.result, self.last_update_seconds = None, None
        self.reset_button = ipywidgets.Button(description="Reset", icon="undo", tooltip="back to the start state",
                                              layout=ipywidgets.Layout(width="auto"))
        self.reset_button.on_click(lambda _: self.reset())

    def _assemble(self, controls):
        """The widget as shown: the controls, the figure and the readout under it."""
        self.widget = ipywidgets.VBox([controls, *self.view.parts])
        self.widget.add_class(WIDGET_CLASS)

    @property
    def text(self):
        """The readout as plain text."""
        return self.view.text

    def _move_slider(self, value):
        """Set the slider (which clamps to its range); recompute even if it is there already."""
        if self.slider.value == value:
            self.update(value)
        self.slider.value = value
        return self.result

    def update(self, value=None):
        """Recompute at `value` (default: the slider's), redraw, refresh the readout; returns the result."""
        start = time.perf_counter()
        self.result = self._compute(self.slider.value if value is None else value)
        self._show(self.result)
        self.view.show_text(self._format(self.result))
        self.last_update_seconds = time.perf_counter() - start
        return self.result

    def _repr_mimebundle_(self, **kwargs):
        return self.view.mimebundle(self.widget, type(self).__name__, **kwargs)


class _Explorer(_Widget):
    """A slider for x over a figure of tangent panels; subclasses compute, draw and format a result.

    Subclasses set up `panels` (and whatever `_compute` needs) on the view before calling this __init__,
    which lays the figure out and shows the result at the start x.
    """

    def __init__(self, view, x_range, x, step, description="x"):
        super().__init__(view)
        lo, hi = x_range
        self.start_x = float(x)
        self.slider = ipywidgets.FloatSlider(value=x, min=lo, max=hi, step=step, description=description,
                                             continuous_update=True, readout_format=".2f",
                                             layout=ipywidgets.Layout(width="420px"))
        self._assemble(ipywidgets.HBox([self.slider, self.reset_button]))
        self.slider.observe(lambda change: self.update(change["new"]), names="value")
        view.lay_out()
        self.update()

    def set_x(self, x):
        """Move the slider to x (clamped to its range); returns the new result."""
        return self._move_slider(float(x))

    def reset(self):
        """Back to the start state: x as the constructor was given it."""
        self.view.start_over()
        return self.set_x(self.start_x)

    def _show(self, result):
        self._draw(result)
        self.view.render(artist for panel in self.panels for artist in (panel.tangent, panel.point))


def _fmt(name, value):
    """'name = value' with six decimals; a value that rounds to zero prints as 0.000000, never -0.000000."""
    return f"{name} = {round(value, 6) + 0.0:.6f}"


# ------------------------------------------------------------------------- tangent of one function

class TangentResult(NamedTuple):
    x: float
    value: float
    slope: float          # df/dx by reverse mode
    fd_slope: float       # central finite difference


class TangentExplorer(_Explorer):
    """A slider for x that redraws f(x) with the tangent line of slope df/dx (reverse mode).

    ``f`` maps a `Var` to a `Var` with elementwise engine operations, e.g.
    ``lambda x: bp.cos(bp.sin(x**2) + 3 * x**2)``.  The readout shows
    ``x = …  J(x) = …  dJ/dx = …  finite difference = …``.  Start state: the slider at `x`.
    """

    def __init__(self, f, x_range=(-2.0, 2.0), x=1.0, step=0.01, name="J", width=6.0, height=3.2):
        self.f, self.name = f, name
        lo, hi = x_range
        view = FigureView(width, height, description=(
            f"plot of {name}(x) for x from {lo:g} to {hi:g}, a red point at the slider's x and the tangent line "
            f"through it, whose slope is d{name}/dx"))
        self.panel = _TangentPanel(view.style, view.axes[0], f, lo, hi, xlabel="x",
                                   title=f"{name}(x) and its tangent, slope d{name}/dx")
        self.panels = (self.panel,)
        super().__init__(view, x_range, x, step)

    def _compute(self, x):
        value, slope = value_and_derivative(self.f, x)
        return TangentResult(x, value, slope, central_difference(self.f, x))

    def _draw(self, r):
        self.panel.show(r.x, r.value, r.slope)

    def _format(self, r):
        n = self.name
        return "  ".join([_fmt("x", r.x), _fmt(f"{n}(x)", r.value), _fmt(f"d{n}/dx", r.slope),
                          _fmt("finite difference", r.fd_slope)])


# ------------------------------------------------------------------------- the scalar chain rule

class ChainRuleResult(NamedTuple):
    x: float
    u: float
    y: float
    du_dx: float          # local derivative of u = h(x)
    dy_du: float          # local derivative of y = g(u)
    product: float        # (dy/du)(du/dx): the chain rule
    fd_slope: float       # central finite difference of y = g(h(x))


class ChainRuleExplorer(_Explorer):
    """y = g(u), u = h(x): three panels with tangents, slopes du/dx, dy/du and their product dy/dx.

    Each local derivative comes from its own little graph (h alone, g alone);
    the product is compared with a finite-difference slope of the composite g(h(x)).
    Start state: the slider at `x`.
    """

    def __init__(self, h, g, x_range=(-2.0, 2.0), x=1.0, step=0.01, width=10.5, height=3.2):
        self.h, self.g = h, g
        self.composite = lambda v: g(h(v))
        view = FigureView(width, height, ncols=3, description=(
            "three plots side by side: u = h(x), y = g(u) and y = g(h(x)), each with a red point at the "
            "slider's value and its tangent line; their slopes are du/dx, dy/du and their product dy/dx"))
        style = view.style
        u_curve = _curve(h, np.linspace(*x_range, 241))
        u_lo, u_hi = float(np.min(u_curve)), float(np.max(u_curve))
        if u_hi - u_lo < 1e-9:
            u_lo, u_hi = u_lo - 1.0, u_hi + 1.0
        self.panels = (
            _TangentPanel(style, view.axes[0], h, *x_range, xlabel="x", title="u = h(x),  slope du/dx"),
            _TangentPanel(style, view.axes[1], g, u_lo, u_hi, xlabel="u", title="y = g(u),  slope dy/du"),
            _TangentPanel(style, view.axes[2], self.composite, *x_range, xlabel="x",
                          title="y = g(h(x)),  slope (dy/du)(du/dx)"),
        )
        super().__init__(view, x_range, x, step)

    def _compute(self, x):
        u, du_dx = value_and_derivative(self.h, x)
        y, dy_du = value_and_derivative(self.g, u)
        return ChainRuleResult(x, u, y, du_dx, dy_du, dy_du * du_dx,
                               central_difference(self.composite, x))

    def _draw(self, r):
        hx, gu, ghx = self.panels
        hx.show(r.x, r.u, r.du_dx)
        gu.show(r.u, r.y, r.dy_du)
        ghx.show(r.x, r.y, r.product)

    def _format(self, r):
        return "\n".join([
            "  ".join([_fmt("x", r.x), _fmt("u", r.u), _fmt("y", r.y)]),
            "  ".join([_fmt("du/dx", r.du_dx), _fmt("dy/du", r.dy_du)]),
            "  ".join([_fmt("(dy/du)(du/dx)", r.product), _fmt("finite difference", r.fd_slope)]),
        ])


# ------------------------------------------------------------------------- the backward pass, step by step

class StepResult(NamedTuple):
    step: int             # 0: forward pass done, only the seed dJ/dJ = 1 known; k: after the k-th visit
    visiting: str         # the equation of the node visited at this step ('' at step 0)
    adjoints: dict        # label -> dJ/d(node) known so far


class BackwardStepper(_Widget):
    """Replay the backward pass of J one node visit at a time (buttons or slider).

    Each step highlights the node visited and the arrows along which its
    adjoint flows, and shows every adjoint known so far (unknown ones as '?'),
    from `tables.backward_steps`.  The frames are drawn once, when the widget is
    built, so stepping only swaps a picture.  ``go(k)`` moves to step k.
    ``layout="chain"`` draws a graph whose operations form one chain, such as a
    network module by module (`module_graph.network_graph`), with `draw.chain_layout`.
    Start state: step 0 (the forward pass done, only the seed dJ/dJ = 1 known).
    """

    def __init__(self, J, version="B", width=9.0, height=3.2, layout="columns"):
        super().__init__(FigureView(width, height, description=(
            "the computation graph of the output, inputs on the left: the node visited at this step and the "
            "arrows its adjoint flows along are highlighted, and each node shows its value and its adjoint "
            "(? while unknown)"), zoom=GRAPH_ZOOM if presentation.current().presenting else 1.0))
        self.output, self.version, self.layout = J, version, layout
        if layout == "chain":                   # a chain is drawn to fit its axes: give it the whole figure
            self.view.axes[0].set_position((0.0, 0.0, 1.0, 1.0))
        self.steps = list(tables.backward_steps(J, version))
        self.names = self.steps[0].names if self.steps else tables.node_names(J)
        self._adjoints = [{J: J.grad}] + [step.adjoints for step in self.steps]
        self._frames = [self._draw_frame(k) for k in range(len(self.steps) + 1)]

        self.slider = ipywidgets.IntSlider(value=0, min=0, max=len(self.steps), description="step",
                                           layout=ipywidgets.Layout(width="420px"))
        self.back_button = ipywidgets.Button(description="◀ back", layout=ipywidgets.Layout(width="auto"))
        self.step_button = ipywidgets.Button(description="step ▶", layout=ipywidgets.Layout(width="auto"))
        self.back_button.on_click(lambda _: self.go(self.slider.value - 1))
        self.step_button.on_click(lambda _: self.go(self.slider.value + 1))
        self._assemble(ipywidgets.HBox([self.reset_button, self.back_button, self.step_button, self.slider]))
        self.slider.observe(lambda change: self.update(change["new"]), names="value")
        self.update(0)

    def _draw_frame(self, k):
        ax = self.view.axes[0]
        ax.clear()
        draw.draw_graph(self.output, ax=ax, highlight=self.steps[k - 1] if k else None, grads=self._adjoints[k],
                        layout=self.layout)
        self.view.thicken(ax)
        for patch in ax.patches:                # the boxes of the chain layout are patches of their own
            patch.set_linewidth(self.view.style.lw(patch.get_linewidth()))
        return self.view.draw_png()

    def go(self, k):
        """Move to step k (clamped to 0..number of steps); returns the result."""
        return self._move_slider(min(max(int(k), 0), len(self.steps)))

    def reset(self):
        """Back to the start state, step 0."""
        return self.go(0)

    def _compute(self, k):
        adjoints = {self.names[v]: g for v, g in self._adjoints[k].items()}
        return StepResult(k, self.steps[k - 1].equation if k else "", adjoints)

    def _show(self, result):
        self.view.image.value = self._frames[result.step]

    def _format(self, result):
        k = result.step
        y = self.names[self.output]
        head = (f"step {k} of {len(self.steps)}: " + (f"visit {self.steps[k - 1].equation}" if k else
                f"forward pass done; backward starts from the seed d{y}/d{y} = 1"))
        updates = [f"  {row.text}   {_fmt_any('term', row.term)}   now "
                   + _fmt_any(f"d{y}/d{self.names[row.target]}", row.total)
                   for row in self.steps[k - 1].updates] if k else []
        if k and not updates:
            updates = [f"  d{y}/d{y} = 1 (the seed)"]
        known = "  ".join(_fmt_any(f"d{y}/d{name}", g) for name, g in result.adjoints.items())
        return "\n".join([head, *updates, f"known so far: {known}"])


def _fmt_any(name, value):
    """_fmt for a number; the package's short array format otherwise."""
    return _fmt(name, value) if np.ndim(value) == 0 else f"{name} = {tables.format_value(value)}"
