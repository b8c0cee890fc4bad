"""Figures for notebooks 04–06: decision boundaries, loss curves, digits, confusion matrices.

A view draws its figure once and afterwards only changes its artists
(``set_data``), so a slider or a training loop can redraw it many times a
second.  Every view draws into an ``ax`` you give it; nothing here calls
``plt.show()`` or creates pyplot figures.  Views take their colours and line
widths from a `presentation.Style` (by default the one in force).
"""
import functools

from collections import namedtuple

import numpy as np
from matplotlib.artist import Artist
from matplotlib.colors import LinearSegmentedColormap, ListedColormap
from matplotlib.ticker import MaxNLocator

from . import presentation

__all__ = [
    "CLASS_COLORS", "PROBABILITY_CMAP", "probability_cmap", "Grid", "grid_over", "BoundaryView", "LossCurves",
    "plot_digits", "confusion_matrix", "plot_confusion_matrix",
]

CLASS_COLORS = (presentation.NOTEBOOK_COLORS["class0"], presentation.NOTEBOOK_COLORS["class1"])
# y* = 0 blue, y* = 1 orange: a colour-blind-safe pair


@functools.cache
def probability_cmap(low, high):
    """p(y = 1 | x) in ten bands of 0.1, from the colour of class 0 through white to that of class 1:
    level sets are easy to read off."""
    return LinearSegmentedColormap.from_list("p_y1", [low, "#ffffff", high], N=10)


PROBABILITY_CMAP = probability_cmap(*CLASS_COLORS)

Grid = namedtuple("Grid", "points shape extent")
Grid.__doc__ = """Points covering a 2-D data set: `points` (G, 2) row by row, the image `shape`
(rows, columns) and its `extent` (x_min, x_max, y_min, y_max) for imshow."""


def grid_over(X, steps=100, margin=0.3):
    """A steps × steps grid of points spanning X's two columns plus `margin` on every side.

    Computed once per data set and reused for every redraw of a boundary.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError(f"grid_over: needs points of shape (N, 2), got {X.shape}")
    (x0, y0), (x1, y1) = X.min(axis=0) - margin, X.max(axis=0) + margin
    xs, ys = np.linspace(x0, x1, steps), np.linspace(y0, y1, steps)
    xx, yy = np.meshgrid(xs, ys)
    return Grid(np.column_stack([xx.ravel(), yy.ravel()]), xx.shape, (x0, x1, y0, y1))


def _positive_class_probability(proba, grid):
    """p(y = 1 | x) on the grid as an image, from (G,) or (G, 2) model output."""
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim == 2 and p.shape[1] == 2:
        p = p[:, 1]
    if p.shape != (len(grid.points),):
        raise ValueError(f"BoundaryView.update: needs p(y=1|x) for the {len(grid.points)} grid points, "
                         f"shape ({len(grid.points)},) or ({len(grid.points)}, 2); got {np.shape(proba)}")
    return p.reshape(grid.shape)


class BoundaryView:
    """Two-class data over the model's p(y = 1 | x), with the decision boundary p = 0.5 drawn as a line.

    The background shows p in bands of 0.1: pale next to the boundary, the deeper
    the colour the surer the model.
    Call `update(model.predict_proba(view.grid.points))` after every change of parameters.
    """

    def __init__(self, ax, X, y, grid=None, steps=100, style=None):
        self.ax, self.steps = ax, steps
        self.style = style = presentation.current() if style is None else style
        colors = [style.colors["class0"], style.colors["class1"]]
        self.image = ax.imshow(np.full((2, 2), 0.5), origin="lower", cmap=probability_cmap(*colors), vmin=0.0,
                               vmax=1.0, alpha=style.background_alpha, interpolation="bilinear",
                               interpolation_stage="data", aspect="auto")
        self.points = [ax.scatter(np.empty(0), np.empty(0), s=14 * style.line_scale, color=colors[label],
                                  edgecolors="black", linewidths=style.lw(0.4), label=f"y* = {label}")
                       for label in (0, 1)]
        self.boundary = None
        ax.set_xlabel("x₁")
        ax.set_ylabel("x₂")
        self.set_data(X, y, grid)

    def set_data(self, X, y, grid=None):
        """Show another data set over a blank p = ½ background, reusing the artists (no new figure, no
        `ax.clear()`): new points, a new grid over them and new axes limits."""
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
        if X.ndim != 2 or X.shape[1] != 2 or y.shape != (len(X),):
            raise ValueError(f"BoundaryView: needs X of shape (N, 2) and N labels, "
                             f"got {X.shape} and {y.shape}")
        if not np.all((y == 0) | (y == 1)):
            raise ValueError(f"BoundaryView: draws two classes, labels 0 and 1; got labels {np.unique(y)}")
        self.grid = grid_over(X, self.steps) if grid is None else grid
        self.image.set_data(np.full(self.grid.shape, 0.5))
        self.image.set_extent(self.grid.extent)
        for label, points in enumerate(self.points):
            points.set_offsets(X[y == label])
        self._remove_boundary()
        self.ax.set_xlim(self.grid.extent[:2])
        self.ax.set_ylim(self.grid.extent[2:])

    def update(self, proba):
        """Show new probabilities (one per grid point) and redraw the p = 0.5 line."""
        p = _positive_class_probability(proba, self.grid)
        self.image.set_data(p)
        self._remove_boundary()
        if p.min() < 0.5 < p.max():
            lines = self.ax.contour(p, levels=[0.5], origin="lower", extent=self.grid.extent,
                                    colors=self.style.colors["boundary"], linewidths=self.style.lw(1.5))
            # matplotlib ≥ 3.8: the ContourSet is itself the line artist (paths, remove, draw); before,
            # it was a plain object holding one LineCollection per level, and that one is the artist.
            self.boundary = lines if isinstance(lines, Artist) else lines.collections[0]
        return p

    def _remove_boundary(self):
        if self.boundary is not None:
            self.boundary.remove()
            self.boundary = None

    def artists(self):
        """Everything an update changes, bottom to top: background, boundary line, points over them."""
        return [self.image, *([self.boundary] if self.boundary is not None else []), *self.points]


class LossCurves:
    """Mean cross-entropy per epoch (train solid, test dashed), redrawn from a training history.

    `history` is what `training.sgd` returns (or what its callback receives): one
    record per epoch with "epoch", "train_cross_entropy" and "test_cross_entropy".
    The x-range covers the planned `epochs`; the y-range starts at 0 and only
    grows, so a live redraw rarely has to redraw the axes themselves.  Several
    LossCurves may share one ax (give each a `label` and a `color`).
    """

    def __init__(self, ax, epochs=None, label="", color=None, style=None):
        self.ax = ax
        style = presentation.current() if style is None else style
        color = style.colors["loss"] if color is None else color
        prefix = f"{label}: " if label else ""
        (self.train_line,) = ax.plot([], [], "-", color=color, lw=style.lw(1.8), label=f"{prefix}train")
        (self.test_line,) = ax.plot([], [], "--", color=color, lw=style.lw(1.8), label=f"{prefix}test")
        ax.set_xlabel("epoch")
        ax.set_ylabel("mean cross-entropy")
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        self.reset(epochs)

    def clear(self):
        """Empty both curves (the axes' limits stay)."""
        for line in (self.train_line, self.test_line):
            line.set_data([], [])

    def reset(self, epochs=None):
        """Empty curves over `epochs` planned epochs, for a new run on the same axes (artists reused)."""
        self.clear()
        self.ax.set_xlim(0.5, (epochs or 1) + 0.5)
        self.ax.set_ylim(0.0, 1e-3)

    def update(self, history):
        """Redraw both curves from `history`; returns True if the axes' limits had to change."""
        epochs = [record["epoch"] for record in history]
        train = [record["train_cross_entropy"] for record in history]
        test = [record["test_cross_entropy"] for record in history]
        self.train_line.set_data(epochs, train)
        self.test_line.set_data(*((epochs, test) if None not in test else ([], [])))
        highest = max([*train, *(t for t in test if t is not None)], default=0.0)
        return self._grow_limits(max(epochs, default=1), highest)

    def _grow_limits(self, last_epoch, highest):
        changed = False
        if last_epoch + 0.5 > self.ax.get_xlim()[1]:
            self.ax.set_xlim(0.5, last_epoch + 0.5)
            changed = True
        if highest > self.ax.get_ylim()[1]:
            self.ax.set_ylim(0.0, 1.1 * highest)
            changed = True
        return changed

    def artists(self):
        """The two curves: what an update changes."""
        return [self.train_line, self.test_line]


def plot_digits(axes, images, y_true, y_pred):
    """Show 8×8 digit images, one per ax, titled 'predicted / true'; wrong predictions in red."""
    axes = np.ravel(axes)
    if not len(images) == len(y_true) == len(y_pred) == len(axes):
        raise ValueError(f"plot_digits: {len(axes)} axes for {len(images)} images, {len(y_true)} true "
                         f"and {len(y_pred)} predicted labels; the four counts must match")
    for ax, image, true, pred in zip(axes, images, y_true, y_pred):
        ax.imshow(np.reshape(image, (8, 8)), cmap="gray_r", vmin=0.0, vmax=1.0)
        ax.set_title(f"ŷ {pred} / y* {true}", color="black" if pred == true else "crimson", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])


def confusion_matrix(y_true, y_pred, classes):
    """C[i, j] = how many examples of true class i were predicted as class j."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"confusion_matrix: true labels {y_true.shape} and predictions {y_pred.shape} "
                         "must be 1-D of the same length")
    for name, labels in (("true labels", y_true), ("predictions", y_pred)):
        if labels.size and (labels.min() < 0 or labels.max() >= classes):
            raise ValueError(f"confusion_matrix: {name} must lie in 0..{classes - 1}, "
                             f"got {labels.min()}..{labels.max()}")
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


def plot_confusion_matrix(ax, counts):
    """Draw a confusion matrix with its counts written in the cells (zeros left blank)."""
    counts = np.asarray(counts)
    k = len(counts)
    off_diagonal = np.where(np.eye(k, dtype=bool), 0, counts)
    cmap = ListedColormap(["#ffffff", "#fde0c5", "#f5a05a", "#d0581a"])
    ax.imshow(np.minimum(off_diagonal, 3), cmap=cmap, vmin=0, vmax=3)
    for (i, j), c in np.ndenumerate(counts):
        if c:
            ax.text(j, i, str(c), ha="center", va="center", fontsize=8,
                    fontweight="bold" if i == j else "normal", color="#1a5e1a" if i == j else "black")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xlabel("predicted class ŷ")
    ax.set_ylabel("true class y*")
