"""Interactive panels for notebooks 04–06: θ sliders and a training control panel.

``ThetaSliders``   logistic regression (Case 1): one slider per θ_j redraws the
                   decision boundary θᵀx = 0 and the loss; Train runs SGD from
                   the sliders' θ and the sliders follow it.
``TrainingPanel``  a 1- or 2-hidden-layer network: data set, hidden units,
                   learning rate γ, epochs and a Train button; the loss curves
                   and the boundary are redrawn as it learns, with progress.

Both are ordinary objects that code can drive exactly as a hand on the mouse
would: ``panel.hidden_units.value = 8; panel.train(); panel.history``.  The
final numbers are in ``panel.summary`` (plain text, fixed format), also shown
under the figure.  Training is `training.sgd` (Algorithm 1) itself, called with
a per-epoch callback that redraws; no second training loop lives here.

The figure is a matplotlib ``Figure`` outside pyplot, rendered to PNG into an
``ipywidgets.Image``; updates reuse its artists.  Works in Jupyter, Voilà and
headless tests alike.

A browser rounds a float slider's value to the slider's step and sends the
rounded value back as if a person had moved it.  So γ and the initial weight
range are chosen from a list (`choice_slider`: the browser only moves an index,
the values stay exact), and the θ sliders, which Train sets to values off their
grid, tell such an echo from a person's move (`ThetaSliders._on_slider`).
"""
import html
import io
import math
import time

import IPython.display
import ipywidgets as widgets
import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from . import data, models, training
from .plots import BoundaryView, LossCurves

__all__ = ["ThetaSliders", "TrainingPanel", "PANEL_DATASETS", "LEARNING_RATES", "INIT_SCALES", "choice_slider"]

PANEL_DATASETS = ("xor", "moons", "spirals")
LEARNING_RATES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
INIT_SCALES = tuple(k / 10 for k in range(21))          # 0.0, 0.1, …, 2.0
DPI = 80
MAX_REDRAWS = 40          # a long run is redrawn every k epochs, about this many times in all


def _png(rgba):
    """PNG bytes of an RGBA pixel array, in a 256-colour palette: about 4× smaller than full
    colour for these smooth backgrounds, and quicker to encode (a few ms)."""
    picture = PIL.Image.fromarray(np.ascontiguousarray(rgba[..., :3]))
    picture = picture.quantize(256, method=PIL.Image.Quantize.FASTOCTREE, dither=PIL.Image.Dither.NONE)
    buffer = io.BytesIO()
    picture.save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def choice_slider(choices, value, description):
    """A slider over the numbers `choices` (plus `value` if it is not among them, in order) set to `value`.

    Its value is always exactly one of the numbers: the browser moves an index, so it
    cannot round the value the way it rounds a FloatSlider's to the slider's step.
    """
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{description}: needs a finite number, got {value}")
    return widgets.SelectionSlider(options=sorted({*choices, value}), value=value, description=description,
                                   style={"description_width": "initial"})


class _LivePanel:
    """What both panels share: a boundary + loss-curve figure in an Image, progress, status, Train."""

    def __init__(self, controls, learning_rate, epochs):
        self.figure = Figure(figsize=(9.0, 3.5), dpi=DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        self._background = None
        self._stale = set()
        self.boundary_ax, self.loss_ax = self.figure.subplots(1, 2, width_ratios=(1.0, 1.15))
        self.figure.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.35)
        # Each axes owns a column of pixels, split a quarter of the way across the gap between them:
        # room for the boundary's last x tick label on the left, for the loss axis' labels on the right.
        left, right = self.boundary_ax.get_position().x1, self.loss_ax.get_position().x0
        split = round((left + (right - left) / 4) * self.figure.bbox.width)
        self._columns = {self.boundary_ax: slice(0, split), self.loss_ax: slice(split, None)}
        self.learning_rate = choice_slider(LEARNING_RATES, learning_rate, "γ")
        self.epochs = widgets.IntSlider(value=epochs, min=1, max=200, description="epochs")
        self.train_button = widgets.Button(description="Train", button_style="primary", icon="play")
        self.progress = widgets.IntProgress(value=0, min=0, max=epochs, description="epoch 0",
                                            layout=widgets.Layout(width="300px"))
        self.image = widgets.Image(format="png")
        self.status = widgets.HTML()
        self.train_button.on_click(self._on_click)
        self.widget = widgets.VBox([*controls, widgets.HBox([self.learning_rate, self.epochs]),
                                    widgets.HBox([self.train_button, self.progress]),
                                    self.image, self.status])
        self.history = None
        self.summary = ""
        self.seconds_per_epoch = None
        self.loss_curves = LossCurves(self.loss_ax, epochs)
        self.loss_ax.legend(loc="upper right", fontsize=9)
        self.loss_ax.set_title("mean cross-entropy J per epoch", fontsize=10)

    # ----------------------------------------------------------------- display
    def render(self):
        """Show the figure as PNG in the widget.

        The axes, ticks and labels are drawn once and cached; an update redraws
        only the artists that change (background, boundary, points, curves,
        titles) over that cache.  Axes whose limits changed (in `_stale`) have
        their column of the cache redrawn first; the first call draws it all.
        The cache never holds a changing artist: they are marked `animated`, and
        the background image is also hidden while the cache is drawn, because
        before matplotlib 3.11 an axes draws an animated image all the same (the
        old picture then showed through the semi-transparent new one).
        """
        moving = [*self.boundary.artists(), self.boundary_ax.title,
                  *self.loss_curves.artists(), self.loss_ax.title]
        for artist in moving:
            artist.set_animated(True)
        if self._background is None or self._stale:
            images = [artist for artist in moving if isinstance(artist, AxesImage)]
            shown = [image.get_visible() for image in images]
            for image in images:
                image.set_visible(False)
            try:
                if self._background is None:
                    self.canvas.draw()
                else:
                    self.canvas.restore_region(self._background)
                    for ax in self._stale:
                        pixels = np.asarray(self.canvas.buffer_rgba())
                        pixels[:, self._columns[ax]] = np.round(255 * np.array(self.figure.get_facecolor()))
                        self.figure.draw_artist(ax)             # frame, ticks, labels, legend
            finally:
                for image, visible in zip(images, shown):
                    image.set_visible(visible)
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self._stale.clear()
        else:
            self.canvas.restore_region(self._background)
        for artist in moving:
            self.figure.draw_artist(artist)
        self.image.value = _png(np.asarray(self.canvas.buffer_rgba()))

    def snapshot(self):
        """The figure as it is now, as a static image for notebook output."""
        return IPython.display.Image(data=bytes(self.image.value), format="png")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _set_status(self, text):
        self.status.value = f'<pre style="margin:0; font-size:13px">{html.escape(text)}</pre>'

    # ----------------------------------------------------------------- training
    def _on_click(self, _button):
        """The Train button: as `train()`, but a failure is shown in the status line, not lost in a log."""
        try:
            self.train()
        except ValueError as err:
            self._set_status(f"training stopped: {err}")

    def _run_sgd(self, model, split):
        """Algorithm 1 (`training.sgd`) on `split`, redrawing the figure every k epochs."""
        epochs, lr = self.epochs.value, self.learning_rate.value
        every = max(1, math.ceil(epochs / MAX_REDRAWS))
        self.loss_curves.reset(epochs)
        self._stale.add(self.loss_ax)           # new x-range: its axis is redrawn at the first epoch
        self.progress.max, self.progress.value = epochs, 0
        drawing = 0.0

        def on_epoch(epoch, history):
            nonlocal drawing
            start = time.perf_counter()
            self.progress.value = epoch
            self.progress.description = f"epoch {epoch}"
            if epoch % every == 0 or epoch == epochs:
                self._show_epoch(model, history)
            drawing += time.perf_counter() - start

        self.train_button.disabled = True
        start = time.perf_counter()
        try:
            history = training.sgd(model, split.X_train, split.y_train, split.X_test, split.y_test,
                                   epochs=epochs, lr=lr, callback=on_epoch)
        finally:
            self.train_button.disabled = False
        self.seconds_per_epoch = (time.perf_counter() - start - drawing) / epochs
        self.history = history
        last = history[-1]
        self.summary = (f"epoch {last['epoch']}/{epochs}  γ = {lr:g}  "
                        f"train J = {last['train_cross_entropy']:.4f}  "
                        f"test J = {last['test_cross_entropy']:.4f}  "
                        f"train error = {last['train_error']:.3f}  test error = {last['test_error']:.3f}")
        self._set_status(self.summary)
        return history

    def _show_epoch(self, model, history):
        """Redraw loss curves and boundary after an epoch (subclasses add their readouts)."""
        if self.loss_curves.update(history):
            self._stale.add(self.loss_ax)
        self.boundary.update(model.predict_proba(self.boundary.grid.points))
        self.render()


class ThetaSliders(_LivePanel):
    """Logistic regression y = σ(θ₀ + θ₁x₁ + θ₂x₂) on 2-D data, one slider per θ_j.

    Moving a slider (or `set_theta`) redraws p(y = 1 | x) and the boundary
    θᵀx = 0 over the training points and stores in `result` the mean
    cross-entropy J, its gradient ∇_θ J and the training error, shown in the
    first line of `status`.  `train()` runs Algorithm 1 from the current θ with
    the chosen γ and epochs; the sliders, boundary and loss curve follow it epoch
    by epoch, and its `summary` stays in the second line until the next run.
    """

    def __init__(self, split, theta=(0.0, 1.0, 0.0), limit=6.0, learning_rate=0.1, epochs=20):
        self.split = split
        self.model = models.LogisticRegression(2)
        self.sliders = tuple(
            widgets.FloatSlider(value=0.0, min=-limit, max=limit, step=0.05, description=label,
                                continuous_update=True, readout_format=".2f")
            for label in ("θ₀ (bias)", "θ₁", "θ₂"))
        super().__init__([widgets.HBox(list(self.sliders))], learning_rate, epochs)
        self.boundary = BoundaryView(self.boundary_ax, split.X_train, split.y_train)
        self.result = None
        self.last_update_seconds = None
        self._holding = False
        self._placed = [[] for _ in self.sliders]    # values the panel put on each slider since a person moved one
        for slider in self.sliders:
            slider.observe(self._on_slider, names="value")
        self.set_theta(theta)

    def _on_slider(self, change):
        """A slider moved: recompute and redraw, unless the new value is the browser's echo of a value the
        panel itself placed (Train, `set_theta`), rounded to the slider's step: that is no person's move,
        and taking it would replace the exact θ by a rounded one."""
        if self._holding or self._is_echo(change["owner"], change["new"]):
            return
        self._placed = [[] for _ in self.sliders]
        self.update()

    def _is_echo(self, slider, value):
        placed = self._placed[self.sliders.index(slider)]
        return any(abs(value - v) <= slider.step / 2 + 1e-9 for v in placed)

    def set_theta(self, theta):
        """Move all three sliders to θ (widening a slider's range if θ_j lies outside); one redraw."""
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (3,):
            raise ValueError(f"ThetaSliders.set_theta: θ must have 3 entries (θ₀, θ₁, θ₂), "
                             f"got shape {theta.shape}")
        self._move_sliders(theta)
        return self.update(theta)

    def _move_sliders(self, theta):
        """Put the sliders at θ without triggering a redraw per slider."""
        self._holding = True
        try:
            for slider, placed, value in zip(self.sliders, self._placed, theta):
                slider.min, slider.max = min(slider.min, math.floor(value)), max(slider.max, math.ceil(value))
                slider.value = float(value)
                placed.append(float(value))
        finally:
            self._holding = False

    def update(self, theta=None):
        """Recompute J, ∇_θ J and the error at θ (default: the sliders'), redraw; returns `result`."""
        start = time.perf_counter()
        if theta is None:
            theta = [slider.value for slider in self.sliders]
        self.model.params["theta"][...] = theta
        self.result = self._evaluate()
        self.boundary.update(self.model.predict_proba(self.boundary.grid.points))
        r = self.result
        self.boundary_ax.set_title(f"J = {r['J']:.4f}   training error = {r['error']:.3f}", fontsize=10)
        self._set_status("\n".join(filter(None, [self.text, self.summary])))
        self.render()
        self.last_update_seconds = time.perf_counter() - start
        return self.result

    def _evaluate(self):
        J, grads = self.model.loss_and_gradients(self.split.X_train, self.split.y_train)
        theta = self.model.params["theta"].copy()
        error = self.model.error_rate(self.split.X_train, self.split.y_train)
        return {"theta": theta, "J": float(J), "gradient": grads["theta"].copy(), "error": error}

    @property
    def text(self):
        """The readout under the figure: θ, J, ∇_θ J and the training error, fixed format."""
        r = self.result
        fmt = ", ".join
        return (f"θ = ({fmt(f'{v:.2f}' for v in r['theta'])})   J = {r['J']:.4f}   "
                f"∇θ J = ({fmt(f'{v:+.4f}' for v in r['gradient'])})   training error = {r['error']:.3f}")

    def train(self):
        """Run SGD from the sliders' θ; returns the history (also in `history`).

        The summary line gives the trained θ too (the sliders show it rounded to their step).
        """
        self.model.params["theta"][...] = [slider.value for slider in self.sliders]
        self._placed = [[] for _ in self.sliders]
        history = self._run_sgd(self.model, self.split)
        theta = self.model.params["theta"].copy()
        self.summary += f"  θ = ({', '.join(f'{v:.2f}' for v in theta)})"
        self.set_theta(theta)
        return history

    def _show_epoch(self, model, history):
        theta = model.params["theta"]
        self._move_sliders(theta)
        self.boundary_ax.set_title(f"epoch {history[-1]['epoch']}: θ = "
                                   f"({', '.join(f'{v:.2f}' for v in theta)})", fontsize=10)
        super()._show_epoch(model, history)


class TrainingPanel(_LivePanel):
    """Train a 1- or 2-hidden-layer sigmoid network on a 2-D data set, watching it learn.

    Controls: data set (XOR, moons, spirals), hidden layers (1 or 2), hidden units
    per layer, the initial weight range ±s, learning rate γ, epochs, Train.  Every
    k epochs the train/test loss curves and the decision boundary are redrawn and
    the progress bar moves.
    After `train()`: `history`, `model`, `split`, `summary`, `seconds_per_epoch`.
    """

    def __init__(self, dataset="moons", hidden_layers=1, hidden_units=8, learning_rate=0.5, epochs=30,
                 init_scale=1.0, n=200, seed=0):
        if dataset not in PANEL_DATASETS:
            raise ValueError(f"TrainingPanel: dataset must be one of {', '.join(PANEL_DATASETS)}, "
                             f"got {dataset!r}")
        self.n, self.seed = n, seed
        self.dataset = widgets.Dropdown(options=PANEL_DATASETS, value=dataset, description="data set")
        wide = {"description_width": "initial"}
        self.hidden_layers = widgets.Dropdown(options=(1, 2), value=hidden_layers, description="hidden layers",
                                              style=wide)
        self.hidden_units = widgets.IntSlider(value=hidden_units, min=1, max=32, description="hidden units",
                                              style=wide)
        self.init_scale = choice_slider(INIT_SCALES, init_scale, "init ±")
        super().__init__([widgets.HBox([self.dataset, self.hidden_layers]),
                          widgets.HBox([self.hidden_units, self.init_scale])], learning_rate, epochs)
        self.model = None
        self.split = None
        self.boundary = None
        self.dataset.observe(self._on_dataset, names="value")
        self._show_data()

    def _on_dataset(self, _change):
        self._show_data()

    def _show_data(self):
        """Load the chosen data set and draw it with an untrained (p = ½ everywhere) background."""
        self.split = data.load_dataset(self.dataset.value, n=self.n, seed=self.seed)
        if self.boundary is None:
            self.boundary = BoundaryView(self.boundary_ax, self.split.X_train, self.split.y_train)
        else:
            self.boundary.set_data(self.split.X_train, self.split.y_train)
        self.boundary_ax.set_title(f"{self.dataset.value}: training points", fontsize=10)
        self.loss_curves.clear()                # the last run's curves; the axis waits for the next run
        self._stale.add(self.boundary_ax)       # new limits
        self.render()

    def make_model(self):
        """A freshly initialised network as the controls describe it (seeded: same controls, same start).

        Weights are drawn from U(−s, s) with s the "init ±" control (s = 0: all zeros), biases 0.
        """
        units, scale = self.hidden_units.value, self.init_scale.value
        start = {"init": "zeros"} if scale == 0 else {"init": "random", "seed": self.seed, "scale": scale}
        if self.hidden_layers.value == 1:
            return models.OneHiddenLayerNet(2, units, **start)
        return models.TwoHiddenLayerNet(2, units, units, **start)

    def train(self):
        """Build the network, run Algorithm 1, redraw as it goes; returns the history."""
        self.model = self.make_model()
        return self._run_sgd(self.model, self.split)

    def _show_epoch(self, model, history):
        self.boundary_ax.set_title(f"{self.dataset.value}, epoch {history[-1]['epoch']}: "
                                   f"test error {history[-1]['test_error']:.3f}", fontsize=10)
        super()._show_epoch(model, history)
