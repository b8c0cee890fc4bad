"""`DepthExplorer`: how deep can the gradient go?  Notebook 09's widget.

A depth slider, the hidden activation and the initial weight range ±s choose a network
`models.MLP(2, [units] * L, activation=…, seed=…, scale=s)`; a bar chart shows, on a log scale,
the size of dJ/dW for each layer's weights (α⁽¹⁾ … α⁽ᴸ⁾ and β) on a fixed, seeded batch (the
training half of the moons data), from `depth.layer_gradient_norms`.  Train runs Algorithm 1
(`training.sgd`, the same call as ``bp.sgd``) for a few epochs and redraws the loss curve after
every epoch, with progress; any change of depth, activation or ±s makes that curve stale and clears
it ("not trained yet").  The readout under the figure holds every number, in a fixed format
(`text`).  The figure and readout are a `figure_view.FigureView`, as in `widgets` and `panels`.
"""
import math
import time

import ipywidgets as widgets
import numpy as np

from . import data, depth, models, training
from .activations import ACTIVATIONS
from .figure_view import FigureView
from .module_graph import symbol
from .panels import NOT_TRAINED, choice_slider
from .plots import LossCurves
from .presentation import WIDGET_CLASS

__all__ = ["DepthExplorer", "DEPTHS", "SCALES", "bar_label"]

DEPTHS = (1, 6)                                  # the slider's range of hidden layers L
SCALES = (0.25, 0.5, 1.0, 2.0, 4.0)              # the initial weight ranges ±s offered
NORM_RANGE = (1e-10, 1e5)                        # the bars' fixed log scale: every setting on one ruler


bar_label = symbol      # a bar's label: the lecture's symbol for its weights ('alpha3' → 'α⁽³⁾', 'theta' → 'θ')


class DepthExplorer:
    """Per-layer gradient sizes of a deep network, and a short training run, for 1–6 hidden layers.

    ``DepthExplorer(hidden_layers=4, activation="sigmoid", init_scale=1.0, hidden_units=8,
    learning_rate=0.1, epochs=30, n=200, seed=0)``.

    Controls: hidden layers L (slider, 1–6), activation (sigmoid, the lecture's; tanh; ReLU), initial
    weight range ±s (0.25 … 4), Train and Reset.  Every move recomputes ``result`` (J and the norm
    ‖dJ/dW‖ of every layer's weights at initialisation, on the training half of the seeded moons data)
    and redraws the bars.  `train()` (the Train button) runs `training.sgd` on that network with γ =
    `learning_rate` for `epochs` epochs and redraws the train/test loss curves after each; then
    `history` and `summary` hold the run.  Code drives it as a hand would:
    ``explorer.hidden_layers.value = 6; explorer.result``.

    Start state: the constructor's controls, bars for that network, no curve, "not trained yet".
    """

    def __init__(self, hidden_layers=4, activation="sigmoid", init_scale=1.0, hidden_units=8,
                 learning_rate=0.1, epochs=30, n=200, seed=0):
        lo, hi = DEPTHS
        if isinstance(hidden_layers, bool) or not isinstance(hidden_layers, (int, np.integer)) \
                or not lo <= hidden_layers <= hi:
            raise ValueError(f"DepthExplorer: hidden_layers must be a whole number from {lo} to {hi}, "
                             f"got {hidden_layers!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"DepthExplorer: activation must be one of {', '.join(ACTIVATIONS)}, "
                             f"got {activation!r}")
        if isinstance(init_scale, bool) or not isinstance(init_scale, (int, float, np.number)) \
                or not 0 < init_scale < math.inf:
            raise ValueError(f"DepthExplorer: init_scale must be a positive finite number, got {init_scale!r}")
        if isinstance(hidden_units, bool) or not isinstance(hidden_units, (int, np.integer)) \
                or not 1 <= hidden_units <= 64:
            raise ValueError(f"DepthExplorer: hidden_units must be a whole number from 1 to 64, "
                             f"got {hidden_units!r}")
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or not 1 <= epochs <= 200:
            raise ValueError(f"DepthExplorer: epochs must be a whole number from 1 to 200, got {epochs!r}")
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float, np.number)) \
                or not 0 < learning_rate < math.inf:
            raise ValueError(f"DepthExplorer: learning_rate must be a positive finite number, "
                             f"got {learning_rate!r}")
        self.units, self.learning_rate, self.epochs, self.seed = int(hidden_units), float(learning_rate), \
            int(epochs), seed
        self.split = data.load_dataset("moons", n=n, seed=seed)
        self._start = (int(hidden_layers), activation, float(init_scale))

        self.hidden_layers = widgets.IntSlider(value=hidden_layers, min=lo, max=hi, description="hidden layers",
                                               style={"description_width": "initial"}, continuous_update=True)
        self.activation = widgets.Dropdown(options=tuple(ACTIVATIONS), value=activation, description="activation")
        self.init_scale = choice_slider(SCALES, init_scale, "init ±")
        self.train_button = widgets.Button(description="Train", button_style="primary", icon="play")
        self.reset_button = widgets.Button(description="Reset", icon="undo", tooltip="back to the start state")
        self.progress = widgets.IntProgress(value=0, min=0, max=self.epochs, description="epoch 0",
                                            layout=widgets.Layout(width="300px"))
        self.view = view = FigureView(9.0, 3.5, ncols=2, width_ratios=(1.2, 1.0), description=(
            "left: bars, on a log scale, of the size of the loss gradient for each layer's weights, first hidden "
            "layer on the left, output weights β on the right; right: the mean cross-entropy per epoch of the "
            "last training run, train solid and test dashed"))
        self.widget = widgets.VBox([widgets.HBox([self.hidden_layers, self.activation, self.init_scale]),
                                    widgets.HBox([self.train_button, self.reset_button, self.progress]),
                                    *view.parts])
        self.widget.add_class(WIDGET_CLASS)

        self.bar_ax, self.loss_ax = view.axes
        style = view.style
        bottom = NORM_RANGE[0]
        self.bars = self.bar_ax.bar(np.arange(hi + 1), np.zeros(hi + 1), bottom=bottom,
                                    color=style.colors["loss"], width=0.7)
        self.bar_ax.set_yscale("log")
        self.bar_ax.set_ylim(*NORM_RANGE)                          # fixed limits: the axes are never redrawn,
        self.bar_ax.set_xlim(-0.6, hi + 0.6)                       # only the bars, their labels and the title
        self.bar_ax.set_xticks([])
        self.bar_ax.set_ylabel("‖dJ/dW‖")
        self.bar_ax.grid(alpha=0.3, axis="y")
        self.labels = [self.bar_ax.text(i, -0.03, "", transform=self.bar_ax.get_xaxis_transform(), ha="center",
                                        va="top", fontsize=style.font_size) for i in range(hi + 1)]
        self.loss_curves = LossCurves(self.loss_ax, self.epochs, style=style)
        self.loss_ax.legend(loc="upper right", fontsize=style.font_size - 1)
        self.loss_ax.set_title("mean cross-entropy J per epoch", fontsize=style.title_size)
        pad = style.font_size / 10.0
        view.lay_out(left=0.09 * pad, right=0.98, bottom=0.15 * pad, top=1 - 0.1 * pad, wspace=0.3)

        self.result = self.history = self.model = None
        self.summary = ""
        self.last_update_seconds = None
        self._holding = False
        for control in (self.hidden_layers, self.activation, self.init_scale):
            control.observe(self._changed, names="value")
        self.train_button.on_click(self._on_click)
        self.reset_button.on_click(lambda _: self.reset())
        self.reset()

    # ----------------------------------------------------------------- numbers
    def make_model(self):
        """A fresh network as the controls describe it (seeded: the same controls give the same weights)."""
        return models.MLP(2, [self.units] * self.hidden_layers.value, activation=self.activation.value,
                          init="random", seed=self.seed, scale=self.init_scale.value)

    def _compute(self):
        net = self.make_model()
        J = net.mean_cross_entropy(self.split.X_train, self.split.y_train)
        return {"hidden_layers": net.depth, "activation": net.activation.name, "init_scale": self.init_scale.value,
                "J": J, "norms": depth.layer_gradient_norms(net, self.split.X_train, self.split.y_train)}

    @property
    def text(self):
        """The readout as plain text: the network, J, one ‖dJ/dW‖ per layer, and the training status."""
        return self.view.text

    def _readout(self):
        r = self.result
        norms = "  ".join(f"{name} = {value:.4e}" for name, value in r["norms"].items())
        first, last = list(r["norms"].values())[0], list(r["norms"].values())[-1]
        ratio = f"{first / last:.4e}" if last > 0 else "undefined"
        return (f"L = {r['hidden_layers']} hidden layer{'' if r['hidden_layers'] == 1 else 's'} of {self.units}, {r['activation']}, init ±{r['init_scale']:g}"
                f"  J = {r['J']:.4f}\n‖dJ/dW‖:  {norms}\nfirst layer / output layer = {ratio}\n"
                f"{self.summary or NOT_TRAINED}")

    # ----------------------------------------------------------------- display
    def _draw_bars(self):
        """A bar and a label for each layer of the current depth (the others hidden), on the fixed log scale
        (a norm below its bottom shows no bar; the readout has it)."""
        r, style = self.result, self.view.style
        names, values = list(r["norms"]), list(r["norms"].values())
        bottom = NORM_RANGE[0]
        for i, (bar, label) in enumerate(zip(self.bars, self.labels)):
            shown = i < len(values)
            bar.set_visible(shown)
            label.set_text(bar_label(names[i]) if shown else "")
            if shown:
                bar.set_height(max(values[i], bottom) - bottom)
        self.bar_ax.set_title(f"‖dJ/dW‖ per layer: {r['activation']}, init ±{r['init_scale']:g}",
                              fontsize=style.title_size)

    def render(self):
        self.view.render([*self.bars, *self.labels, self.bar_ax.title, *self.loss_curves.artists()])

    def update(self):
        """Recompute the norms for the controls' network, redraw, refresh the readout; returns `result`."""
        start = time.perf_counter()
        self.result = self._compute()
        self._draw_bars()
        self.view.show_text(self._readout())
        self.render()
        self.last_update_seconds = time.perf_counter() - start
        return self.result

    def _repr_mimebundle_(self, **kwargs):
        return self.view.mimebundle(self.widget, type(self).__name__, **kwargs)

    # ----------------------------------------------------------------- state
    def _changed(self, _change=None):
        """A control moved: new bars, and the last run no longer applies."""
        if not self._holding:
            self._forget_run()
            self.update()

    def _forget_run(self):
        self.history, self.model, self.summary = None, None, ""
        self.progress.max, self.progress.value, self.progress.description = self.epochs, 0, "epoch 0"
        self.loss_curves.reset(self.epochs)

    def reset(self):
        """Back to the start state: the constructor's controls, untrained."""
        self._holding = True
        try:
            for control, value in zip((self.hidden_layers, self.activation, self.init_scale), self._start):
                control.value = value
        finally:
            self._holding = False
        self._forget_run()
        self.view.start_over()
        return self.update()

    # ----------------------------------------------------------------- training
    def _on_click(self, _button):
        """The Train button: as `train()`, but a failure is shown in the readout, not lost in a log."""
        try:
            self.train()
        except ValueError as err:
            self.view.show_text(f"training stopped: {err}")

    def train(self):
        """Algorithm 1 (`training.sgd`) on the network of the controls, redrawn after every epoch; returns the
        history (also in `history`)."""
        model = self.make_model()
        self._forget_run()

        def on_epoch(epoch, history):
            self.progress.value, self.progress.description = epoch, f"epoch {epoch}"
            self.loss_curves.update(history)
            self.render()

        self.train_button.disabled = self.reset_button.disabled = True
        try:
            history = training.sgd(model, self.split.X_train, self.split.y_train, self.split.X_test,
                                   self.split.y_test, epochs=self.epochs, lr=self.learning_rate, callback=on_epoch)
        finally:
            self.train_button.disabled = self.reset_button.disabled = False
        self.history, self.model = history, model
        last = history[-1]
        self.summary = (f"epoch {last['epoch']}/{self.epochs}  γ = {self.learning_rate:g}  "
                        f"train J = {last['train_cross_entropy']:.4f}  test J = {last['test_cross_entropy']:.4f}  "
                        f"train error = {last['train_error']:.3f}  test error = {last['test_error']:.3f}")
        self.view.show_text(self._readout())
        return history
