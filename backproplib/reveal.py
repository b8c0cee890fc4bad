"""Showing things to learners: answers hidden until asked for, and figures that carry a description.

``reveal`` puts an answer behind a "Show the answer" control, an HTML ``<details>`` element: it
opens on a click in JupyterLab, in Voilà and in a static HTML render (nbconvert), with no
JavaScript and no widget state.  Its plain-text form holds the same numbers, so a notebook test
(nbval compares text/plain and text/html) still checks every one of them::

    bp.reveal(f"dy/dx = {dy_dx:.6f}")             # the cell's last expression: shown hidden

    with bp.reveal("Show the numbers"):           # or hide what a block of code prints
        print(table)
        print(f"dJ/dx = {dJ_dx:.6f}")

``show_figure`` replaces ``plt.show()`` where a figure needs a description for people who cannot
see it: the picture becomes an ``<img>`` with an ``alt`` text (JupyterLab and nbconvert give a plain
PNG output no alt text of its own), and the text form of the output is that description.

Both outputs are deterministic: no random ids, no dates.
"""
import base64
import html
import io
import sys

__all__ = ["reveal", "Reveal", "show_figure", "Figure"]

SUMMARY = "Show the answer"


def _html_of(item):
    """HTML for one item of an answer: text as preformatted text, else the item's own HTML."""
    if isinstance(item, str):
        return _pre(item)
    render = getattr(item, "_repr_html_", None)
    out = render() if callable(render) else None
    return out if out else _pre(str(item))


def _text_of(item):
    return item if isinstance(item, str) else str(item)


def _pre(text):
    # white-space: pre keeps columns and arrays on one line; a wide block scrolls instead of wrapping
    return ('<pre class="bp-reveal-text" style="white-space: pre; overflow-x: auto; margin-top: 0.4em; margin-bottom: 0">'
            f"{html.escape(text.rstrip(chr(10)))}</pre>")


class Reveal:
    """An answer that stays hidden until the learner opens it.

    Display it (as a cell's last expression, or with ``display``) or use it as a context manager,
    which hides everything the block prints and shows it when the block ends.  `items` are strings
    (shown as fixed-width text) or objects with an HTML form (``_repr_html_``), such as the tables of
    `backproplib.tables`.
    """

    def __init__(self, *items, summary=SUMMARY):
        self.items = list(items)
        self.summary = str(summary)
        self._stdout = None

    # ---------------------------------------------------------------- display
    def text(self):
        """The plain-text form: the summary as a heading, then every item."""
        body = "\n".join(_text_of(item).rstrip("\n") for item in self.items)
        return f"▸ {self.summary}\n{body}" if body else f"▸ {self.summary}"

    def html(self):
        body = "".join(_html_of(item) for item in self.items)
        return ('<details class="bp-reveal">'
                '<summary style="cursor: pointer; font-weight: bold">'
                f"{html.escape(self.summary)}</summary>"
                f'<div class="bp-reveal-body">{body}</div></details>')

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": self.text(), "text/html": self.html()}

    def __repr__(self):
        return self.text()

    # ---------------------------------------------------------------- with reveal(...):
    def __enter__(self):
        self._stdout = sys.stdout
        sys.stdout = io.StringIO()
        return self

    def __exit__(self, kind, error, tb):
        captured, sys.stdout = sys.stdout.getvalue(), self._stdout
        self._stdout = None
        if kind is not None:            # an error: show what was printed, openly, and let it propagate
            sys.stdout.write(captured)
            return False
        if captured:
            self.items.append(captured)
        _display(self)
        return False


def reveal(*items, summary=SUMMARY):
    """An answer hidden behind a "Show the answer" control (``summary`` is the control's text).

    ``bp.reveal("text", table, ...)`` as a cell's last expression shows the items hidden;
    ``with bp.reveal(): ...`` hides what the block prints.
    """
    return Reveal(*items, summary=summary)


def _display(obj):
    try:
        from IPython.display import display
    except ImportError:                 # plain Python: print the text form
        print(obj.text())
        return
    display(obj)


# -------------------------------------------------------------------- figures with alt text

class Figure:
    """A PNG picture with its description: an ``<img alt=…>`` in HTML, the description as text."""

    def __init__(self, png, alt, width=None):
        if not alt or not str(alt).strip():
            raise ValueError("a figure needs a description (alt text) for people who cannot see it")
        self.png = bytes(png)
        self.alt = " ".join(str(alt).split())
        self.width = width

    def html(self):
        data = base64.b64encode(self.png).decode("ascii")
        width = f' width="{int(self.width)}"' if self.width else ""
        return (f'<img class="bp-figure" alt="{html.escape(self.alt, quote=True)}"{width} '
                f'src="data:image/png;base64,{data}">')

    def text(self):
        return f"[figure: {self.alt}]"

    def _repr_html_(self):
        return self.html()

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.html(), "text/plain": self.text()}

    def __repr__(self):
        return self.text()


def show_figure(alt, fig=None, dpi=None, summary=None):
    """Show a matplotlib figure (the current one by default) with alt text, and close it.

    Use it where a notebook would call ``plt.show()``.  The PNG is drawn as the inline backend draws
    it (tight bounding box, the figure's dpi) and displayed as ``<img alt="…">``.  With a `summary`
    the figure is an answer: it is shown hidden, as ``reveal(figure, summary=summary)``.
    """
    import matplotlib.pyplot as plt

    fig = plt.gcf() if fig is None else fig
    buffer = io.BytesIO()
    dpi = fig.dpi if dpi is None else dpi
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white",
                metadata={"Software": None})
    plt.close(fig)
    figure = Figure(buffer.getvalue(), alt)
    _display(figure if summary is None else Reveal(figure, summary=summary))
    return None
