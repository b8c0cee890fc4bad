"""Interactive panels for notebooks 04–06: θ sliders and a training control panel.

``ThetaSliders``   logistic regression (Case 1): one slider per θ_j redraws the
                   decision boundary θᵀx = 0 and the loss; Train runs SGD from
                   the current θ and the sliders show the trained θ.
``TrainingPanel``  a network of 1–4 hidden layers (`models.MLP`): data set (or
                   your own, ``data=``), depth, activation, hidden units,
                   learning rate γ, epochs and a Train button; the loss curves
                   and the boundary are redrawn as it learns, with progress.

Both are ordinary objects that code can drive exactly as a hand on the mouse
would: ``panel.hidden_units.value = 8; panel.train(); panel.history``.  The
final numbers are in ``panel.summary`` (plain text, fixed format), also shown
under the figure.  Training is `training.sgd` (Algorithm 1) itself, called with
a per-epoch callback that redraws; no second training loop lives here.  Each
panel opens in the start state its constructor describes (untrained), and
``reset()`` or its Reset button returns to it; any change that makes the last
run's curve stale (data set, depth, activation, hidden units, initial weights,
θ, γ, epochs) clears it, and the status line says "not trained yet".

The figure and the status line are a `figure_view.FigureView`.

A browser rounds a float slider's value to the slider's step and may send it
back.  So γ and the initial weight range are chosen from a list
(`choice_slider`: the browser only moves an index, the values stay exact), and
the θ sliders only ever show values on their grid, at most once per action,
keeping the exact θ in the model (see `ThetaSliders`).
"""
import math
import time

import ipywidgets as widgets
import numpy as np

from . import data, models, training
from .activations import ACTIVATIONS
from .figure_view import FigureView
from .plots import BoundaryView, LossCurves
from .presentation import WIDGET_CLASS

__all__ = ["ThetaSliders", "TrainingPanel", "PANEL_DATASETS", "PANEL_DEPTHS", "PANEL_ACTIVATIONS", "YOUR_DATA",
           "LEARNING_RATES", "INIT_SCALES", "choice_slider"]

PANEL_DATASETS = ("xor", "moons", "spirals")
PANEL_DEPTHS = (1, 2, 3, 4)                             # hidden layers
PANEL_ACTIVATIONS = tuple(ACTIVATIONS)                  # 'sigmoid' (the lecture's), 'tanh', 'relu'
YOUR_DATA = "your data"                                 # the data-set choice of TrainingPanel(data=...)
LEARNING_RATES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
INIT_SCALES = tuple(k / 10 for k in range(21))          # 0.0, 0.1, …, 2.0
MAX_REDRAWS = 40          # a long run is redrawn every k epochs, about this many times in all
NOT_TRAINED = "not trained yet: press Train"


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
    """What both panels share: a boundary + loss-curve figure, progress, status line, Train and Reset.

    Subclasses call `_changed` on every control that makes the last run stale.
    """

    def __init__(self, controls, learning_rate, epochs, description):
        self.view = view = FigureView(9.0, 3.5, ncols=2, width_ratios=(1.0, 1.15), description=description)
        self.figure, self.image, self.status = view.figure, view.image, view.readout
        self.boundary_ax, self.loss_ax = view.axes
        self.start_learning_rate, self.start_epochs = float(learning_rate), int(epochs)
        self.learning_rate = choice_slider(LEARNING_RATES, learning_rate, "γ")
        self.epochs = widgets.IntSlider(value=epochs, min=1, max=200, description="epochs")
        self.train_button = widgets.Button(description="Train", button_style="primary", icon="play")
        self.reset_button = widgets.Button(description="Reset", icon="undo", tooltip="back to the start state")
        self.progress = widgets.IntProgress(value=0, min=0, max=epochs, description="epoch 0",
                                            layout=widgets.Layout(width="300px"))
        self.train_button.on_click(self._on_click)
        self.reset_button.on_click(lambda _: self.reset())
        self.widget = widgets.VBox([*controls, widgets.HBox([self.learning_rate, self.epochs]),
                                    widgets.HBox([self.train_button, self.reset_button, self.progress]),
                                    *view.parts])
        self.widget.add_class(WIDGET_CLASS)
        self.history = None
        self.summary = ""
        self.seconds_per_epoch = None
        self._holding = False           # True while the panel sets several controls itself
        self.loss_curves = LossCurves(self.loss_ax, epochs, style=view.style)
        self.loss_ax.legend(loc="upper right", fontsize=view.style.font_size - 1)
        self.loss_ax.set_title("mean cross-entropy J per epoch", fontsize=view.style.title_size)
        pad = view.style.font_size / 10.0
        view.lay_out(left=0.07 * pad, right=0.98, bottom=0.15 * pad, top=1 - 0.1 * pad, wspace=0.35)
        for control in (self.learning_rate, self.epochs):
            control.observe(self._changed, names="value")

    # ----------------------------------------------------------------- display
    def render(self):
        """Show the figure: boundary, points, its title and the curves drawn over the cached axes."""
        self.view.render([*self.boundary.artists(), self.boundary_ax.title, *self.loss_curves.artists()])

    @property
    def status_text(self):
        """The status line as plain text."""
        return self.view.text

    def _repr_mimebundle_(self, **kwargs):
        return self.view.mimebundle(self.widget, type(self).__name__, **kwargs)

    def _changed(self, _change=None):
        """A control changed: unless the panel set it itself, the last run no longer applies."""
        if not self._holding:
            self._forget_run()
            self._redraw()

    def _forget_run(self):
        """Drop the last run: no history, summary or progress, empty curves over the planned epochs."""
        self.history, self.summary, self.seconds_per_epoch = None, "", None
        self.progress.max, self.progress.value, self.progress.description = self.epochs.value, 0, "epoch 0"
        self.loss_curves.reset(self.epochs.value)
        self._show_status()

    def _set_controls(self, values):
        """Set controls {widget: value} as one change, without a redraw per control."""
        self._holding = True
        try:
            for control, value in values.items():
                control.value = value
        finally:
            self._holding = False

    def reset(self):
        """Back to the start state (the constructor's arguments), untrained."""
        self._set_controls({self.learning_rate: self.start_learning_rate, self.epochs: self.start_epochs,
                            **self._start_controls()})
        self._restart()
        self._forget_run()
        self.view.start_over()
        self._redraw()

    # ----------------------------------------------------------------- training
    def _on_click(self, _button):
        """The Train button: as `train()`, but a failure is shown in the status line, not lost in a log."""
        try:
            self.train()
        except ValueError as err:
            self.view.show_text(f"training stopped: {err}")

    def _run_sgd(self, model, split):
        """Algorithm 1 (`training.sgd`) on `split`, redrawing the figure every k epochs."""
        epochs, lr = self.epochs.value, self.learning_rate.value
        every = max(1, math.ceil(epochs / MAX_REDRAWS))
        self._forget_run()
        self.view.show_text(f"training: {epochs} epochs, γ = {lr:g}")
        drawing = 0.0

        def on_epoch(epoch, history):
            nonlocal drawing
            start = time.perf_counter()
            self.progress.value = epoch
            self.progress.description = f"epoch {epoch}"
            if epoch % every == 0 or epoch == epochs:
                self._show_epoch(model, history)
            drawing += time.perf_counter() - start

        self.train_button.disabled = self.reset_button.disabled = True
        start = time.perf_counter()
        try:
            history = training.sgd(model, split.X_train, split.y_train, split.X_test, split.y_test,
                                   epochs=epochs, lr=lr, callback=on_epoch)
        except ValueError:
            self._forget_run()
            raise
        finally:
            self.train_button.disabled = self.reset_button.disabled = False
        self.seconds_per_epoch = (time.perf_counter() - start - drawing) / epochs
        self.history = history
        last = history[-1]
        self.summary = (f"epoch {last['epoch']}/{epochs}  γ = {lr:g}  "
                        f"train J = {last['train_cross_entropy']:.4f}  "
                        f"test J = {last['test_cross_entropy']:.4f}  "
                        f"train error = {last['train_error']:.3f}  test error = {last['test_error']:.3f}")
        return history

    def _show_epoch(self, model, history):
        """Redraw loss curves and boundary after an epoch (subclasses set the boundary's title first)."""
        self.loss_curves.update(history)
        self.boundary.update(model.predict_proba(self.boundary.grid.points))
        self.render()


class ThetaSliders(_LivePanel):
    """Logistic regression y = σ(θ₀ + θ₁x₁ + θ₂x₂) on 2-D data, one slider per θ_j.

    Moving a slider (or `set_theta`) redraws p(y = 1 | x) and the boundary
    θᵀx = 0 over the training points and stores in `result` the mean
    cross-entropy J, its gradient ∇_θ J and the training error, shown in the
    first line of the status.  `train()` runs Algorithm 1 from the current θ with
    the chosen γ and epochs, redrawing the boundary and the loss curve epoch by
    epoch; then the sliders show the trained θ and its `summary` is the second
    line, until θ, γ or the epochs change.

    Start state: θ = `theta`, γ = `learning_rate`, `epochs`, sliders over ±`limit`, untrained.

    The exact θ lives in the model; a slider shows θ_j rounded to its step (so a
    browser has nothing to round and send back), set once per action.  A slider
    value that differs from the one shown by more than float noise is a
    person's move and sets that θ_j alone; anything else (a browser's echo of
    the value shown) leaves the exact θ as it is.
    """

    STEP = 0.05

    def __init__(self, split, theta=(0.0, 1.0, 0.0), limit=6.0, learning_rate=0.1, epochs=20):
        self.split = split
        self.limit = float(limit)
        self.start_theta = self._checked(theta, "ThetaSliders")
        self.model = models.LogisticRegression(2)
        self.sliders = tuple(
            widgets.FloatSlider(value=0.0, min=-limit, max=limit, step=self.STEP, description=label,
                                continuous_update=True, readout_format=".2f")
            for label in ("θ₀ (bias)", "θ₁", "θ₂"))
        super().__init__([widgets.HBox(list(self.sliders))], learning_rate, epochs, description=(
            "left: the training points (blue y* = 0, orange y* = 1) over the model's p(y = 1 | x) in bands of 0.1, "
            "with the decision boundary θᵀx = 0 as a black line; right: the mean cross-entropy per epoch of the "
            "last training run, train solid and test dashed"))
        self.boundary = BoundaryView(self.boundary_ax, split.X_train, split.y_train, style=self.view.style)
        self.result = None
        self.last_update_seconds = None
        for slider in self.sliders:
            slider.observe(self._on_slider, names="value")
        self.reset()

    @staticmethod
    def _checked(theta, operation):
        theta = np.array(theta, dtype=np.float64)
        if theta.shape != (3,) or not np.all(np.isfinite(theta)):
            raise ValueError(f"{operation}: θ must be 3 finite numbers (θ₀, θ₁, θ₂), got {theta.tolist()!r}")
        return theta

    def _start_controls(self):
        return {}

    def _restart(self):
        self._show_theta(self.start_theta)

    def _redraw(self):
        self.update()

    def _on_slider(self, change):
        """A slider moved.  Within float noise of the value shown it is a browser's echo: ignored.
        Otherwise a person moved it: θ_j becomes the slider's value, the other θ stay exact."""
        slider, new, old = change["owner"], change["new"], change["old"]
        if self._holding or abs(new - old) <= 1e-6 * slider.step:
            return
        theta = self.model.params["theta"].copy()
        theta[self.sliders.index(slider)] = new
        self.model.params["theta"][...] = theta
        self._forget_run()
        self.update()

    def set_theta(self, theta):
        """Set θ exactly (the sliders show it rounded to their step, widening their range if θ_j lies
        outside); one redraw; returns `result`.  The last run no longer applies."""
        theta = self._checked(theta, "ThetaSliders.set_theta")
        self._show_theta(theta)
        self._forget_run()
        return self.update()

    def _show_theta(self, theta):
        """Put θ in the model and, rounded to their grid, on the sliders (no redraw per slider)."""
        self.model.params["theta"][...] = theta
        self._holding = True
        try:
            for slider, value in zip(self.sliders, theta):
                lo, hi = min(-self.limit, math.floor(value)), max(self.limit, math.ceil(value))
                with slider.hold_trait_notifications():
                    slider.min, slider.max = lo, hi
                    slider.value = round(lo + round((value - lo) / slider.step) * slider.step, 10)
        finally:
            self._holding = False

    def update(self, theta=None):
        """Recompute J, ∇_θ J and the error at θ (default: the model's), redraw; returns `result`."""
        start = time.perf_counter()
        if theta is not None:
            self.model.params["theta"][...] = self._checked(theta, "ThetaSliders.update")
        self.result = self._evaluate()
        self.boundary.update(self.model.predict_proba(self.boundary.grid.points))
        r = self.result
        self.boundary_ax.set_title(f"J = {r['J']:.4f}   training error = {r['error']:.3f}",
                                   fontsize=self.view.style.title_size)
        self._show_status()
        self.render()
        self.last_update_seconds = time.perf_counter() - start
        return self.result

    def _show_status(self):
        if self.result is not None:
            self.view.show_text(f"{self.text}\n{self.summary or NOT_TRAINED + ' to run SGD from this θ'}")

    def _evaluate(self):
        J, grads = self.model.loss_and_gradients(self.split.X_train, self.split.y_train)
        theta = self.model.params["theta"].copy()
        error = self.model.error_rate(self.split.X_train, self.split.y_train)
        return {"theta": theta, "J": float(J), "gradient": grads["theta"].copy(), "error": error}

    @property
    def text(self):
        """The first status line: θ, J, ∇_θ J and the training error, fixed format."""
        r = self.result
        fmt = ", ".join
        return (f"θ = ({fmt(f'{v:.2f}' for v in r['theta'])})   J = {r['J']:.4f}   "
                f"∇θ J = ({fmt(f'{v:+.4f}' for v in r['gradient'])})   training error = {r['error']:.3f}")

    def train(self):
        """Run SGD from the current θ; returns the history (also in `history`).

        The summary line gives the trained θ too (the sliders show it rounded to their step).
        """
        start = self.model.params["theta"].copy()
        try:
            history = self._run_sgd(self.model, self.split)
        except ValueError:                        # diverged or refused: back to the θ it started from
            self._show_theta(start)
            self.update()
            raise
        theta = self.model.params["theta"].copy()
        self.summary += f"  θ = ({', '.join(f'{v:.2f}' for v in theta)})"
        self._show_theta(theta)
        self.update()
        return history

    def _show_epoch(self, model, history):
        self.boundary_ax.set_title(f"epoch {history[-1]['epoch']}: θ = "
                                   f"({', '.join(f'{v:.2f}' for v in model.params['theta'])})",
                                   fontsize=self.view.style.title_size)
        super()._show_epoch(model, history)


class TrainingPanel(_LivePanel):
    """Train a network of 1–4 hidden layers on a 2-D data set, watching it learn.

    Controls: data set (XOR, moons, spirals; or "your data"), hidden layers (1–4),
    the hidden units' activation (sigmoid, the lecture's; tanh; ReLU), hidden units
    per layer, the initial weight range ±s, learning rate γ, epochs, Train.  Every
    k epochs the train/test loss curves and the decision boundary are redrawn and
    the progress bar moves.  The network is `models.MLP(2, [units] * layers,
    activation=...)` with one sigmoid output, as the lecture's `OneHiddenLayerNet` /
    `TwoHiddenLayerNet` for 1 or 2 hidden layers (the same numbers as those classes).
    After `train()`: `history`, `model`, `split`, `summary`, `seconds_per_epoch`.

    ``data=``: your own data instead of the built-in sets, a `data.Split` or
    ``(X_train, y_train, X_test, y_test)``, with 2 features per row and labels 0 or 1
    (checked: a clear error names the array at fault and its shape); the data-set
    control then starts at "your data" (the built-in sets stay one click away).

    Start state: the constructor's controls, the data set's points over an untrained
    (p = ½) background, no curves, "not trained yet".
    """

    def __init__(self, dataset=None, hidden_layers=1, hidden_units=8, learning_rate=0.5, epochs=30,
                 init_scale=1.0, n=200, seed=0, activation="sigmoid", data=None):
        self.user_split = None if data is None else self._checked_split(data)
        if dataset is None:
            dataset = "moons" if data is None else YOUR_DATA
        choices = PANEL_DATASETS if data is None else (YOUR_DATA, *PANEL_DATASETS)
        if dataset not in choices:
            raise ValueError(f"TrainingPanel: dataset must be one of {', '.join(choices)}, got {dataset!r}"
                             + (f" (\"{YOUR_DATA}\" needs data=...)" if dataset == YOUR_DATA else ""))
        if hidden_layers not in PANEL_DEPTHS:
            raise ValueError(f"TrainingPanel: hidden_layers must be one of {', '.join(map(str, PANEL_DEPTHS))}, "
                             f"got {hidden_layers!r}")
        if activation not in PANEL_ACTIVATIONS:
            raise ValueError(f"TrainingPanel: activation must be one of {', '.join(PANEL_ACTIVATIONS)}, "
                             f"got {activation!r}")
        self.n, self.seed = n, seed
        self.dataset = widgets.Dropdown(options=choices, value=dataset, description="data set")
        wide = {"description_width": "initial"}
        self.hidden_layers = widgets.Dropdown(options=PANEL_DEPTHS, value=hidden_layers,
                                              description="hidden layers", style=wide)
        self.activation = widgets.Dropdown(options=PANEL_ACTIVATIONS, value=activation, description="activation",
                                           style=wide)
        self.hidden_units = widgets.IntSlider(value=hidden_units, min=1, max=32, description="hidden units",
                                              style=wide)
        self.init_scale = choice_slider(INIT_SCALES, init_scale, "init ±")
        self._start = {self.dataset: dataset, self.hidden_layers: hidden_layers, self.activation: activation,
                       self.hidden_units: hidden_units, self.init_scale: float(init_scale)}
        super().__init__([widgets.HBox([self.dataset, self.hidden_layers, self.activation]),
                          widgets.HBox([self.hidden_units, self.init_scale])], learning_rate, epochs, description=(
            "left: the training points (blue y* = 0, orange y* = 1) over the network's p(y = 1 | x) in bands of "
            "0.1, with its decision boundary as a black line; right: the mean cross-entropy per epoch, train "
            "solid and test dashed"))
        self.model = None
        self.split = None
        self.boundary = None
        self.dataset.observe(self._on_dataset, names="value")
        for control in (self.hidden_layers, self.activation, self.hidden_units, self.init_scale):
            control.observe(self._changed, names="value")
        self.reset()

    @staticmethod
    def _checked_split(data_):
        """`data_` as a `data.Split` of float64 (N, 2) inputs and int64 labels 0/1, or a ValueError naming
        TrainingPanel and the array at fault."""
        if isinstance(data_, dict) or isinstance(data_, (str, bytes)) or not hasattr(data_, "__len__") \
                or len(data_) != 4:
            raise ValueError("TrainingPanel: data= must be a data.Split or a tuple (X_train, y_train, X_test, "
                             f"y_test), got {type(data_).__name__}"
                             + (f" of length {len(data_)}" if hasattr(data_, "__len__") else ""))
        parts = {}
        for which in ("train", "test"):
            X, y = data_[0 if which == "train" else 2], data_[1 if which == "train" else 3]
            try:
                X = np.array(X, dtype=np.float64)
                y_raw = np.array(y, dtype=np.float64)
            except (TypeError, ValueError) as err:
                raise ValueError(f"TrainingPanel: X_{which} and y_{which} must be arrays of numbers ({err})") from None
            if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
                raise ValueError(f"TrainingPanel: X_{which} must have shape (N, 2), N ≥ 1 rows of 2 features (the "
                                 f"panel draws the plane x₁, x₂), got shape {X.shape}")
            if y_raw.shape != (len(X),):
                raise ValueError(f"TrainingPanel: y_{which} must have shape ({len(X)},), one label per row of "
                                 f"X_{which} {X.shape}, got shape {y_raw.shape}")
            if not np.all(np.isfinite(X)):
                row = int(np.argwhere(~np.isfinite(X))[0][0])
                raise ValueError(f"TrainingPanel: X_{which} {X.shape} must be finite numbers, row {row} is "
                                 f"{X[row].tolist()}")
            wrong = ~((y_raw == 0) | (y_raw == 1))
            if wrong.any():
                i = int(np.argmax(wrong))
                raise ValueError(f"TrainingPanel: y_{which} {y_raw.shape} must hold the labels 0 and 1 (the "
                                 f"network has one sigmoid output, p(y = 1 | x)), got {y_raw[i]:g} at index {i}")
            parts[f"X_{which}"], parts[f"y_{which}"] = X, y_raw.astype(np.int64)
        return data.Split(**parts)

    def _start_controls(self):
        return self._start

    def _redraw(self):
        self.render()

    def _on_dataset(self, _change):
        if not self._holding:
            self._restart()
            self._changed()

    def _restart(self):
        """Load the chosen data set and draw it over an untrained (p = ½ everywhere) background."""
        if self.dataset.value == YOUR_DATA:
            self.split = self.user_split
        else:
            self.split = data.load_dataset(self.dataset.value, n=self.n, seed=self.seed)
        if self.boundary is None:
            self.boundary = BoundaryView(self.boundary_ax, self.split.X_train, self.split.y_train,
                                         style=self.view.style)

    def _forget_run(self):
        """Also drop the trained network: the boundary goes back to an untrained background."""
        self.model = None
        self.boundary.set_data(self.split.X_train, self.split.y_train)
        self.boundary_ax.set_title(f"{self.dataset.value}: training points", fontsize=self.view.style.title_size)
        super()._forget_run()

    def _show_status(self):
        self.view.show_text(self.summary or NOT_TRAINED)

    def make_model(self):
        """A freshly initialised network as the controls describe it (seeded: same controls, same start).

        `models.MLP(2, [units] * layers, activation=...)`, wrapped as the lecture's `OneHiddenLayerNet` or
        `TwoHiddenLayerNet` for 1 or 2 hidden layers (the same parameters, the same numbers).
        Weights are drawn from U(−s, s) with s the "init ±" control (s = 0: all zeros), biases 0.
        """
        units, scale = self.hidden_units.value, self.init_scale.value
        start = {"init": "zeros"} if scale == 0 else {"init": "random", "seed": self.seed, "scale": scale}
        network = models.MLP(2, [units] * self.hidden_layers.value, activation=self.activation.value, **start)
        return models.model_from_params(network.params)

    def train(self):
        """Build the network, run Algorithm 1, redraw as it goes; returns the history."""
        model = self.make_model()
        history = self._run_sgd(model, self.split)
        self.model = model
        self._show_status()
        return history

    def _show_epoch(self, model, history):
        self.boundary_ax.set_title(f"{self.dataset.value}, epoch {history[-1]['epoch']}: "
                                   f"test error {history[-1]['test_error']:.3f}", fontsize=self.view.style.title_size)
        super()._show_epoch(model, history)
