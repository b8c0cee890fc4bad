"""The one figure view behind every widget and panel: a matplotlib Figure shown as PNG, plus a text readout.

The figure lives outside pyplot on its own Agg canvas (headless, whatever the
notebook backend).  It is drawn at ``dpi × pixel_ratio`` of the presentation
style in force when the view is made (`presentation.current()`) and the Image
is given the logical (CSS) size, so on a screen with that device-pixel ratio
every figure pixel is shown and nothing is stretched.

Updates are blitted: the artists that change are drawn over a cached picture
of everything else; for an axes whose limits changed since the cache was drawn,
only its column of the cache is redrawn.  A blitted picture equals a full redraw, pixel
for pixel (tests/test_panels.py holds this).
"""
import base64
import html
import io

import ipywidgets
import numpy as np
import PIL.Image
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from . import presentation

__all__ = ["FigureView", "readout_html"]

KEPT_COLUMNS = 12                # columns of the cache kept for limits seen before (a few MB each at most)
VISUALLY_HIDDEN = "position:absolute; width:1px; height:1px; overflow:hidden; clip-path:inset(50%); white-space:nowrap"


def readout_html(text):
    """Plain text as the HTML of a readout or status line, at the current style's text size."""
    return (f'<pre style="margin:0; font-size:{presentation.current().text_px}px; line-height:1.35">'
            f'{html.escape(text)}</pre>')


class FigureView:
    """A Figure of `ncols` axes side by side (`width` × `height` inches) shown in `image`, with `readout`.

    `description` is the figure's text alternative: `alt`, a visually hidden
    text just before the picture that screen readers read (ipywidgets 8.1
    cannot show an Image that has a tooltip), and part of the text a static
    render shows.  `parts` are the widgets to show, in order.  `zoom` enlarges the whole figure, text
    and all, on the page.
    """

    def __init__(self, width, height, ncols=1, description="", zoom=1.0, **subplots):
        style = self.style = presentation.current()
        with rc_context(style.rc):
            self.figure = Figure(figsize=(width, height), dpi=style.dpi * zoom * style.pixel_ratio)
            self.axes = list(self.figure.subplots(1, ncols, squeeze=False, **subplots)[0])
        self.canvas = FigureCanvasAgg(self.figure)
        self.description = description
        self.css_size = (round(width * style.dpi * zoom), round(height * style.dpi * zoom))
        self.image = ipywidgets.Image(format="png", layout=ipywidgets.Layout(
            width=f"{self.css_size[0]}px", height=f"{self.css_size[1]}px"))
        self.alt = ipywidgets.HTML(f'<span style="{VISUALLY_HIDDEN}">Figure: {html.escape(description)}</span>',
                                   layout=ipywidgets.Layout(height="0px", margin="0px", overflow="hidden"))
        self.readout = ipywidgets.HTML()
        self.parts = (self.alt, self.image, self.readout)
        self.text = ""
        self._background = None
        self._limits = {}               # each axes' limits when the cache was drawn
        self._drawn = {}                # (axes, limits) -> its column of the cache, drawn at those limits
        self._palette = None            # the PNG palette, made anew whenever the cache is redrawn
        self._columns = {}

    def lay_out(self, **adjust):
        """Fix the axes' places once, before the first render: `subplots_adjust(**adjust)`, or a tight layout.

        Each axes then owns a column of pixels, split a quarter of the way across the gap to its neighbour
        (room for the left axes' last tick label, and for the right one's y labels): the part of the cache
        redrawn when its limits change.
        """
        with rc_context(self.style.rc):
            if adjust:
                self.figure.subplots_adjust(**adjust)
            else:
                self.figure.tight_layout()
        axes = sorted(self.axes, key=lambda ax: ax.get_position().x0)
        cuts = [round((a.get_position().x1 + (b.get_position().x0 - a.get_position().x1) / 4)
                      * self.figure.bbox.width) for a, b in zip(axes, axes[1:])]
        self._columns = {ax: slice(lo, hi) for ax, lo, hi in zip(axes, [0, *cuts], [*cuts, None])}
        self._background = None
        self._drawn.clear()

    def start_over(self):
        """Encode the next picture as a new view would (its own palette): a Reset then shows the very PNG
        the widget opened with."""
        self._palette = None

    def render(self, moving):
        """Draw the artists in `moving` over the cached rest of the figure and show the PNG.

        The cache never holds a moving artist: they are marked animated, and images
        among them are also hidden while the cache is drawn, because before
        matplotlib 3.11 an axes draws an animated image all the same (an old
        picture would then show through a semi-transparent new one).
        """
        moving = list(moving)
        for artist in moving:
            artist.set_animated(True)
        stale = [ax for ax in self.axes if (ax.get_xlim(), ax.get_ylim()) != self._limits.get(ax)]
        if self._background is None or stale:
            images = [artist for artist in moving if isinstance(artist, AxesImage)]
            shown = [image.get_visible() for image in images]
            for image in images:
                image.set_visible(False)
            try:
                with rc_context(self.style.rc):
                    self._draw_cache(stale)
            finally:
                for image, visible in zip(images, shown):
                    image.set_visible(visible)
        else:
            self.canvas.restore_region(self._background)
        for artist in moving:
            self.figure.draw_artist(artist)
        self.image.value, self._palette = self._encode(self._palette)

    def _draw_cache(self, stale):
        """Redraw the cache, or only the columns of the `stale` axes.  A column shows nothing but its axes'
        frame, ticks, labels and legend (what changes is drawn over it), so it depends on the limits alone:
        columns are kept by limits, and going back to earlier limits (another data set and back, Reset)
        pastes the column drawn then."""
        full = self._background is None or any(ax not in self._columns for ax in stale)
        if full:
            self.canvas.draw()
        else:
            self.canvas.restore_region(self._background)
        pixels = np.asarray(self.canvas.buffer_rgba())
        face = np.round(255 * np.array(self.figure.get_facecolor()))
        for ax in self._columns if full else stale:
            column, key = self._columns[ax], (ax, ax.get_xlim(), ax.get_ylim())
            if full or key not in self._drawn:
                if not full:
                    pixels[:, column] = face
                    self.figure.draw_artist(ax)             # frame, ticks, labels, legend
                self._drawn[key] = pixels[:, column].copy()
                while len(self._drawn) > KEPT_COLUMNS:
                    del self._drawn[next(iter(self._drawn))]
            else:
                pixels[:, column] = self._drawn[key]
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        self._limits = {ax: (ax.get_xlim(), ax.get_ylim()) for ax in self.axes}
        self._palette = None

    def draw_png(self):
        """Draw the whole figure afresh (no moving parts) and return it PNG-encoded."""
        with rc_context(self.style.rc):
            self.canvas.draw()
        return self.png()

    def png(self):
        """The picture as drawn now, PNG-encoded in a 256-colour palette: smaller than full colour for these
        flat-coloured figures, and quicker to encode."""
        return self._encode()[0]

    def _encode(self, palette=None):
        """(PNG bytes, the palette image used).  `render` passes the palette of its first picture since the
        cache was drawn: the moving artists keep their colours, and mapping to a known palette is about five
        times quicker than making one."""
        width, height = self.canvas.get_width_height(physical=True)
        picture = PIL.Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        picture = picture.convert("RGB")
        if palette is None:
            palette = picture.quantize(256, method=PIL.Image.Quantize.FASTOCTREE, dither=PIL.Image.Dither.NONE)
            colours = np.array(palette.getpalette(), dtype=np.int64).reshape(-1, 3)
            for pure in (0, 255):               # the octree averages white and black away (254 on 255)
                colours[np.abs(colours - pure).max(axis=1) <= 4] = pure
            palette.putpalette(colours.ravel().tolist())
        picture = picture.quantize(palette=palette, dither=PIL.Image.Dither.NONE)    # the same pixels, the same PNG
        buffer = io.BytesIO()
        picture.save(buffer, format="png", compress_level=1)
        return buffer.getvalue(), palette

    def thicken(self, ax):
        """Give the boxes and arrows other code drew on `ax` (a computation graph) this style's line widths."""
        for text in ax.texts:
            for patch in (text.get_bbox_patch(), getattr(text, "arrow_patch", None)):
                if patch is not None:
                    patch.set_linewidth(self.style.lw(patch.get_linewidth()))

    def show_text(self, text):
        """Put plain `text` in the readout (kept in `text` for code and tests)."""
        self.text = text
        self.readout.value = readout_html(text)

    def mimebundle(self, root, name, **kwargs):
        """The display of a widget whose root view is `root`: the live view, its picture now as image/png
        (what a static or untrusted render shows), and a short plain text with the figure's description."""
        data = root._repr_mimebundle_(**kwargs) or {}
        data["image/png"] = base64.b64encode(bytes(self.image.value)).decode("ascii")
        data["text/plain"] = f"{name}: run the notebook to use it. Figure: {self.description}"
        width, height = self.css_size
        return data, {"image/png": {"width": width, "height": height}}
