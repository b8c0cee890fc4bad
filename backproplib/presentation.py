"""Presentation mode: projector-sized text, figures at the screen's resolution, an optional high contrast.

    import backproplib as bp
    bp.present()                        # every widget and panel made afterwards is projector-sized
    bp.present(high_contrast=True)      # and black on white, thicker lines, the high-contrast palette
    bp.present(False)                   # back to the notebook look

`present` also shows a small ``<style>`` output that sets the widgets' controls,
readouts and the notebook's text to at least 20 CSS px (widgets already on the
page follow it at once; their figures keep the look they were made with).

``BACKPROPLIB_PRESENT=1`` (or ``=high-contrast``) in the environment turns the
mode on when backproplib is imported, and in a Jupyter kernel shows that
``<style>`` in the output of the cell that imports it: ``make demo PRESENT=1``
serves the Voilà apps this way.

Nothing here imports matplotlib or ipywidgets, so ``import backproplib`` stays light.
"""
import math
import os
import sys
import warnings
from typing import NamedTuple

__all__ = ["present", "current", "Style", "css", "ENVIRONMENT"]

ENVIRONMENT = "BACKPROPLIB_PRESENT"
WIDGET_CLASS = "backproplib-widget"        # the CSS class of every widget's and panel's root view
DISPLAY_ID = "backproplib-presentation"    # the style outputs present() shows

# Colour-blind-safe palettes.  The notebook look: matplotlib's blue/red for curves and tangents and the
# blue/orange pair for the two classes.  High contrast: Paul Tol's high-contrast scheme (dark blue, yellow,
# red; distinct in every common colour-vision deficiency and in greyscale) with black on white.
NOTEBOOK_COLORS = {"curve": "tab:blue", "mark": "tab:red", "class0": "#2f6db5", "class1": "#e07b16",
                   "boundary": "black", "loss": "black"}
HIGH_CONTRAST_COLORS = {"curve": "#000000", "mark": "#bb5566", "class0": "#004488", "class1": "#ddaa33",
                        "boundary": "black", "loss": "black"}


class Style(NamedTuple):
    """How figures and text look: a figure inch is `dpi` CSS px, drawn at `dpi` × `pixel_ratio` pixels."""
    presenting: bool
    high_contrast: bool
    pixel_ratio: float
    dpi: float               # CSS pixels per figure inch
    text_px: int             # readouts and status lines, CSS px
    font_size: float         # figure text, points
    title_size: float        # figure titles, points
    line_scale: float        # every line width is multiplied by this
    colors: dict
    background_alpha: float  # the p(y = 1 | x) background of a boundary

    def lw(self, width):
        """A line width of the notebook look, in this style."""
        return width * self.line_scale

    @property
    def rc(self):
        """matplotlib rcParams for figures in this style (tick labels, grid, axes frame)."""
        black = "black"
        return {"font.size": self.font_size, "axes.labelsize": self.font_size, "axes.titlesize": self.title_size,
                "xtick.labelsize": self.font_size, "ytick.labelsize": self.font_size,
                "legend.fontsize": self.font_size - 1, "axes.linewidth": self.lw(0.8),
                "xtick.major.width": self.lw(0.8), "ytick.major.width": self.lw(0.8),
                "lines.linewidth": self.lw(1.5), "grid.linewidth": self.lw(0.8),
                "grid.color": "0.45" if self.high_contrast else "#b0b0b0",
                "axes.edgecolor": black, "text.color": black, "axes.labelcolor": black,
                "xtick.color": black, "ytick.color": black,
                "figure.facecolor": "white", "axes.facecolor": "white", "savefig.facecolor": "white"}


NOTEBOOK = Style(False, False, 1.0, 80.0, 13, 10.0, 10.0, 1.0, NOTEBOOK_COLORS, 0.75)
_state = {"style": NOTEBOOK}


def current():
    """The style in force now (widgets take it when they are made; readouts at every update)."""
    return _state["style"]


def _presenting(high_contrast, pixel_ratio):
    return Style(True, high_contrast, float(pixel_ratio), 100.0, 22, 12.0, 13.0,
                 2.0 if high_contrast else 1.4, HIGH_CONTRAST_COLORS if high_contrast else NOTEBOOK_COLORS,
                 1.0 if high_contrast else 0.75)


def css(style=None):
    """The page CSS for a style: in presentation mode, the widgets' controls and readouts and the
    notebook's text at `text_px` (≥ 20 CSS px), larger slider handles; empty in the notebook look."""
    style = current() if style is None else style
    if not style.presenting:
        return ""
    px, scope = style.text_px, f".{WIDGET_CLASS}"
    colour = "color: #000 !important; background: #fff;" if style.high_contrast else ""
    return (f"{scope} {{ --jp-widgets-font-size: {px}px; --jp-widgets-inline-height: {round(px * 1.7)}px;"
            f" --jp-widgets-inline-label-width: {px * 6}px; --jp-widgets-inline-width: {px * 22}px;"
            f" --jp-widgets-slider-handle-size: {round(px * 0.9)}px; font-size: {px}px; }}\n"
            f"{scope} .widget-label, {scope} .widget-readout, {scope} .widget-html-content, {scope} pre,"
            f" {scope} button, {scope} select, {scope} .widget-inline-hbox {{ font-size: {px}px !important;"
            f" line-height: 1.35; {colour} }}\n"
            f".jp-RenderedMarkdown, .jp-RenderedHTMLCommon, .jp-RenderedText pre, .jp-OutputArea-output pre"
            f" {{ font-size: {px}px; line-height: 1.45; {colour} }}\n"
            f".jp-RenderedHTMLCommon h1 {{ font-size: {round(px * 1.8)}px; }}"
            f" .jp-RenderedHTMLCommon h2 {{ font-size: {round(px * 1.5)}px; }}"
            f" .jp-RenderedHTMLCommon h3 {{ font-size: {round(px * 1.25)}px; }}\n")


def _show_css():
    """Show (or update) the page CSS in the running Jupyter kernel's output; nothing outside a kernel."""
    if "IPython" not in sys.modules:
        return
    import IPython
    shell = IPython.get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return
    from IPython.display import HTML, display, update_display
    style = HTML(f"<style>{css()}</style>")
    if _state.get("shown"):                   # earlier style outputs on the page follow this call too
        update_display(style, display_id=DISPLAY_ID)
    display(style, display_id=DISPLAY_ID)
    _state["shown"] = True


def present(on=True, high_contrast=False, pixel_ratio=2):
    """Turn presentation mode on (or off with ``present(False)``) for every widget and panel made afterwards.

    `pixel_ratio`: the screen's device-pixel ratio to draw figures for (1 to 4; 2 suits a projector
    or a zoomed page).  `high_contrast`: black on white, thicker lines and the high-contrast palette.
    """
    if not isinstance(on, bool) or not isinstance(high_contrast, bool):
        raise ValueError(f"present: on and high_contrast must be True or False, got {on!r} and {high_contrast!r}")
    if isinstance(pixel_ratio, bool) or not isinstance(pixel_ratio, (int, float)) \
            or not math.isfinite(pixel_ratio) or not 1 <= pixel_ratio <= 4:
        raise ValueError(f"present: pixel_ratio must be a number from 1 to 4, got {pixel_ratio!r}")
    if high_contrast and not on:
        raise ValueError("present: high_contrast=True needs on=True")
    _state["style"] = _presenting(high_contrast, pixel_ratio) if on else NOTEBOOK
    _show_css()


def _from_environment():
    """Presentation mode as ``BACKPROPLIB_PRESENT`` asks: 1/on, high-contrast, or 0/off/unset."""
    value = os.environ.get(ENVIRONMENT, "").strip().lower()
    if value in ("", "0", "off"):
        return
    if value not in ("1", "on", "high-contrast"):
        warnings.warn(f"{ENVIRONMENT}={value!r}: expected 1, high-contrast or 0; presentation mode stays off",
                      RuntimeWarning, stacklevel=2)
        return
    present(True, high_contrast=value == "high-contrast")


_from_environment()
