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

from . import data, models, training
from .plots import BoundaryView, LossCurves

__all__ = ["ThetaSliders", "TrainingPanel", "PANEL_DATASETS"]

PANEL_DATASETS = ("xor", "moons", "spirals")
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


class _LivePanel:
    """What both panels share: a boundary + loss-curve figure in an Image, progress, status, Train."""

    def __init__(self, controls, learning_rate, epochs):
        self.figure = Figure(figsize=(9.0, 3.5), dpi=DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        self._background = None
        self.boundary_ax, self.loss_ax = self.figure.subplots(1, 2, width_ratios=(1.0, 1.15))
        self.figure.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.25)
        self.learning_rate = widgets.FloatLogSlider(value=learning_rate, base=10, min=-3, max=1, step=0.1,
                                                    description="γ", readout_format=".3g")
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
        self.loss_curves = None

    # ----------------------------------------------------------------- display
    def render(self, full=False):
        """Show the figure as PNG in the widget.

        The axes, ticks and labels are drawn once and cached; an update redraws
        only the artists that change (background, boundary, points, curves,
        titles) over that cache.  `full=True` (or a change of axes limits)
        redraws everything.
        """
        moving = [*self.boundary.artists(), self.boundary_ax.title,
                  *self.loss_curves.artists(), self.loss_ax.title]
        for artist in moving:
            artist.set_animated(True)
        if full or self._background is None:
            self.canvas.draw()                                  # skips the animated artists
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
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

    def _new_loss_curves(self, epochs):
        self.loss_ax.clear()
        self.loss_curves = LossCurves(self.loss_ax, epochs)
        self.loss_ax.legend(loc="upper right", fontsize=9)
        self.loss_ax.set_title("mean cross-entropy J per epoch", fontsize=10)
        self._background = None

    def _run_sgd(self, model, split):
        """Algorithm 1 (`training.sgd`) on `split`, redrawing the figure every k epochs."""
        epochs, lr = self.epochs.value, self.learning_rate.value
        every = max(1, math.ceil(epochs / MAX_REDRAWS))
        self._new_loss_curves(epochs)
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
        self.summary = (f"epoch {last['epoch']}/{epochs}  γ = {lr:.3g}  "
                        f"train J = {last['train_cross_entropy']:.4f}  "
                        f"test J = {last['test_cross_entropy']:.4f}  "
                        f"train error = {last['train_error']:.3f}  test error = {last['test_error']:.3f}")
        self._set_status(self.summary)
        return history

    def _show_epoch(self, model, history):
        """Redraw loss curves and boundary after an epoch (subclasses add their readouts)."""
        rescaled = self.loss_curves.update(history)
        self.boundary.update(model.predict_proba(self.boundary.grid.points))
        self.render(full=rescaled)


class ThetaSliders(_LivePanel):
    """Logistic regression y = σ(θ₀ + θ₁x₁ + θ₂x₂) on 2-D data, one slider per θ_j.

    Moving a slider (or `set_theta`) redraws p(y = 1 | x) and the boundary
    θᵀx = 0 over the training points and stores in `result` the mean
    cross-entropy J, its gradient ∇_θ J and the training error.  `train()` runs
    Algorithm 1 from the current θ with the chosen γ and epochs; the sliders,
    boundary and loss curve follow it epoch by epoch.
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
        self._new_loss_curves(epochs)
        self.result = None
        self.last_update_seconds = None
        self._holding = False
        for slider in self.sliders:
            slider.observe(self._on_slider, names="value")
        self.set_theta(theta)

    def _on_slider(self, _change):
        if not self._holding:
            self.update()

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
            for slider, value in zip(self.sliders, theta):
                slider.min, slider.max = min(slider.min, math.floor(value)), max(slider.max, math.ceil(value))
                slider.value = float(value)
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
        self._set_status(self.text)
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
        """Run SGD from the sliders' θ; returns the history (also in `history`)."""
        self.model.params["theta"][...] = [slider.value for slider in self.sliders]
        history = self._run_sgd(self.model, self.split)
        self.set_theta(self.model.params["theta"].copy())
        self._set_status(self.text + "\n" + self.summary)
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
        self.hidden_layers = widgets.Dropdown(options=(1, 2), value=hidden_layers,
                                              description="hidden layers")
        self.hidden_units = widgets.IntSlider(value=hidden_units, min=1, max=32, description="hidden units")
        self.init_scale = widgets.FloatSlider(value=init_scale, min=0.0, max=2.0, step=0.1,
                                              description="init ±", readout_format=".1f")
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
        self.boundary_ax.clear()
        self.boundary = BoundaryView(self.boundary_ax, self.split.X_train, self.split.y_train)
        self._background = None
        self.boundary_ax.set_title(f"{self.dataset.value}: training points", fontsize=10)
        self._new_loss_curves(self.epochs.value)
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
