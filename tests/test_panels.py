"""Tests for backproplib.panels, driven from code as a notebook or browser would drive them.

Oracles: the mean cross-entropy and error of logistic regression recomputed
from functional.binary_cross_entropy_with_logits; its gradient by central
differences of that oracle; training histories from a direct `training.sgd`
run with the same seed; the drawn boundary read back from the figure.
"""
import matplotlib

matplotlib.use("Agg")

import math
import time

import ipywidgets as widgets
import numpy as np
import pytest

from backproplib import data, models, training
from backproplib import functional as F
from backproplib.panels import INIT_SCALES, LEARNING_RATES, ThetaSliders, TrainingPanel

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def blobs():
    X, y = data.make_blobs(n=80, noise=1.0, classes=2, seed=3)
    return data.train_test_split(X, y, seed=3)


def oracle_J(theta, X, y):
    """Mean cross-entropy of logistic regression, written independently of models.py."""
    return float(np.mean(F.binary_cross_entropy_with_logits(theta[0] + X @ theta[1:], y)))


def browser_snap(slider, value):
    """What a browser's slider (noUiSlider) sends back for `value`: the nearest point of the slider's
    grid min + k·step (for a log slider, the grid of the exponent)."""
    if isinstance(slider, widgets.FloatLogSlider):
        exponent = math.log(value, slider.base)
        return slider.base ** (slider.min + round((exponent - slider.min) / slider.step) * slider.step)
    return slider.min + round((value - slider.min) / slider.step) * slider.step


def all_widgets(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from all_widgets(child)


def shown_by_a_browser(panel):
    """Every float slider of the panel gets back what a browser would send when it shows the value."""
    for w in all_widgets(panel.widget):
        if isinstance(w, (widgets.FloatSlider, widgets.FloatLogSlider)):
            w.set_state({"value": browser_snap(w, w.value)})    # as a message from the front end arrives


# ------------------------------------------------------------------ showing a panel changes nothing

@pytest.mark.parametrize("make", [
    lambda split: ThetaSliders(split),                                           # notebook 04 defaults
    lambda split: ThetaSliders(split, theta=(0.4, -1.3, 0.7), learning_rate=0.005),
    lambda split: TrainingPanel("xor", hidden_units=4, learning_rate=0.5, epochs=20),          # 05
    lambda split: TrainingPanel("moons", learning_rate=2.0, init_scale=0.75),
    lambda split: TrainingPanel("spirals", hidden_layers=2, learning_rate=0.5, init_scale=2.0),  # 06
    lambda split: TrainingPanel("xor", learning_rate=0.0123, init_scale=0.3),
])
def test_showing_a_panel_in_a_browser_changes_no_control(blobs, make):
    def numbers():
        return [w.value for w in all_widgets(panel.widget) if isinstance(getattr(w, "value", None), (int, float))]

    panel = make(blobs)
    before, texts = numbers(), (panel.status.value, bytes(panel.image.value))
    theta = panel.result["theta"] if isinstance(panel, ThetaSliders) else None
    shown_by_a_browser(panel)
    assert numbers() == pytest.approx(before, rel=1e-15, abs=1e-15)  # only float noise (0.4 = -6 + 128·0.05)
    assert (panel.status.value, bytes(panel.image.value)) == texts
    if theta is not None:
        assert np.array_equal(panel.result["theta"], theta)          # and θ stays exact


@pytest.mark.parametrize("gamma", [0.5, 2.0, 0.005, 0.1, 0.0123, 7.0])
def test_gamma_is_exactly_the_given_value_and_one_of_the_choices(gamma):
    panel = TrainingPanel("xor", learning_rate=gamma, epochs=2)
    control = panel.learning_rate
    assert control.value == gamma and type(control.value) is float
    assert control.options[control.index] == gamma                  # the index the browser moves maps to γ
    assert list(control.options) == sorted({*LEARNING_RATES, gamma})
    control.set_state({"index": control.index})                      # the browser shows it and echoes
    panel.train()
    assert f"γ = {gamma:g}  " in panel.summary
    assert panel.learning_rate.value == gamma


def test_init_scale_choices_are_exact():
    panel = TrainingPanel("xor", init_scale=0.75, epochs=2)
    assert panel.init_scale.value == 0.75
    assert list(panel.init_scale.options) == sorted({*INIT_SCALES, 0.75})
    assert [f"{v:.1f}" for v in INIT_SCALES] == [str(v) for v in INIT_SCALES]   # 0.3 is 0.3, not 0.30000000000000004
    with pytest.raises(ValueError, match="init ±: needs a finite number, got nan"):
        TrainingPanel("xor", init_scale=float("nan"))


# ------------------------------------------------------------------ ThetaSliders

def test_theta_sliders_numbers_match_the_oracle(blobs):
    panel = ThetaSliders(blobs, theta=(0.0, 1.0, 0.0))
    theta = np.array([0.4, -1.3, 0.7])
    r = panel.set_theta(theta)
    X, y = blobs.X_train, blobs.y_train
    assert np.array_equal(r["theta"], theta)
    assert r["J"] == pytest.approx(oracle_J(theta, X, y), rel=1e-12)
    assert r["error"] == np.mean(((theta[0] + X @ theta[1:]) > 0) != y)
    h = 1e-6
    numeric = [(oracle_J(theta + h * e, X, y) - oracle_J(theta - h * e, X, y)) / (2 * h) for e in np.eye(3)]
    assert np.allclose(r["gradient"], numeric, rtol=1e-6, atol=1e-9)
    assert panel.text.startswith("θ = (0.40, -1.30, 0.70)   J = ")
    assert f"J = {r['J']:.4f}" in panel.status.value


def test_moving_a_slider_recomputes_and_redraws_fast(blobs):
    panel = ThetaSliders(blobs, theta=(0.0, 1.0, 0.0))
    before, image_before = panel.result["J"], bytes(panel.image.value)
    seconds = []
    for value in (0.5, 1.0, 1.5, -2.0):
        panel.sliders[0].value = value
        seconds.append(panel.last_update_seconds)
        assert panel.result["theta"][0] == value
        assert panel.result["J"] == pytest.approx(oracle_J(np.array([value, 1.0, 0.0]), blobs.X_train,
                                                           blobs.y_train), rel=1e-12)
    assert panel.result["J"] != before
    assert bytes(panel.image.value).startswith(PNG_MAGIC) and bytes(panel.image.value) != image_before
    assert np.median(seconds) < 0.5          # generous; the real median is reported by the benchmark


def test_boundary_drawn_where_theta_x_is_zero(blobs):
    panel = ThetaSliders(blobs)
    theta = np.array([0.5, 1.0, -1.0])
    panel.set_theta(theta)
    vertices = np.concatenate([p.vertices for p in panel.boundary.boundary.get_paths()])
    assert np.abs(theta[0] + vertices @ theta[1:]).max() / np.linalg.norm(theta[1:]) < 0.01


def test_set_theta_widens_a_slider_instead_of_clamping(blobs):
    panel = ThetaSliders(blobs, limit=2.0)
    r = panel.set_theta([0.0, 7.3, -9.6])
    assert panel.sliders[1].value == 7.3 and panel.sliders[2].value == -9.6
    assert panel.sliders[1].max >= 7.3 and panel.sliders[2].min <= -9.6
    assert np.array_equal(r["theta"], [0.0, 7.3, -9.6])
    with pytest.raises(ValueError, match=r"ThetaSliders.set_theta: θ must be 3 finite numbers"):
        panel.set_theta([1.0, 2.0])
    with pytest.raises(ValueError, match=r"ThetaSliders: θ must be 3 finite numbers .*nan"):
        ThetaSliders(blobs, theta=(0.0, float("nan"), 1.0))


def test_theta_training_is_algorithm_1_from_the_sliders(blobs):
    panel = ThetaSliders(blobs, theta=(1.0, 0.5, 0.5), epochs=6)
    panel.learning_rate.value = 0.2
    history = panel.train()
    model = models.LogisticRegression(2)
    model.params["theta"][...] = [1.0, 0.5, 0.5]
    direct = training.sgd(model, *blobs, epochs=6, lr=0.2)
    assert history == direct
    assert history[-1]["train_cross_entropy"] < history[0]["train_cross_entropy"]
    assert np.allclose([s.value for s in panel.sliders], model.params["theta"], rtol=0, atol=0.025 + 1e-12)
    assert np.array_equal(panel.model.params["theta"], model.params["theta"])     # exact in the model
    assert panel.result["J"] == pytest.approx(direct[-1]["train_cross_entropy"], rel=1e-12)
    assert panel.progress.value == 6
    assert f"train J = {direct[-1]['train_cross_entropy']:.4f}" in panel.summary


def on_grid(slider, value):
    """True if `value` is min + k·step, up to float noise: nothing for a browser to round."""
    k = (value - slider.min) / slider.step
    return abs(k - round(k)) < 1e-9


def test_browser_echoes_after_training_leave_theta_and_summary(blobs):
    """Train puts the trained θ on the sliders once, on their grid; the browser's answer (the value it
    shows, up to float noise) is no person's move: θ, J and the summary stay those of Algorithm 1."""
    panel = ThetaSliders(blobs, theta=(2.0, 1.0, 2.0), learning_rate=0.005, epochs=20)
    sent = []
    for slider in panel.sliders:
        slider.observe(lambda change: sent.append((change["owner"], change["new"])), names="value")
    history = panel.train()
    trained = panel.model.params["theta"].copy()
    assert 1 <= len(sent) <= 3                                       # once per slider, at the end
    assert all(on_grid(slider, value) for slider, value in sent)
    status, result = panel.status.value, dict(panel.result)
    for slider, value in list(sent):                                 # the browser's answers, in order
        slider.set_state({"value": browser_snap(slider, value)})
    assert np.array_equal(panel.model.params["theta"], trained)
    assert np.array_equal(panel.result["theta"], trained) and panel.result["J"] == result["J"]
    assert panel.result["J"] == pytest.approx(history[-1]["train_cross_entropy"], rel=1e-12)
    assert panel.status.value == status
    readout, summary = panel.status_text.splitlines()
    assert readout == panel.text and summary == panel.summary
    assert f"train J = {history[-1]['train_cross_entropy']:.4f}" in summary
    assert summary.endswith(f"  θ = ({', '.join(f'{v:.2f}' for v in trained)})")


def test_the_issue_12_sequence_moves_theta_after_training(blobs):
    """ex.learning_rate.value = 0.005; ex.set_theta((2, 1, 2)); ex.train(); ex.sliders[0].value = v moves θ₀
    to v for every v, the θ visited during training among them; θ₁ and θ₂ stay exact."""
    panel = ThetaSliders(blobs)
    for value in (1.0, 0.85, 1.3, 1.6, 2.0):
        panel.reset()
        panel.learning_rate.value = 0.005
        panel.set_theta((2, 1, 2))
        panel.train()
        trained = panel.model.params["theta"].copy()
        if panel.sliders[0].value == value:                          # already shown there: no move to make
            continue
        panel.sliders[0].value = value
        assert panel.model.params["theta"][0] == value
        assert np.array_equal(panel.model.params["theta"][1:], trained[1:])
        assert panel.result["J"] == pytest.approx(oracle_J(panel.model.params["theta"], blobs.X_train,
                                                           blobs.y_train), rel=1e-12)


def test_a_person_moving_a_slider_after_training_makes_the_run_stale(blobs):
    panel = ThetaSliders(blobs, theta=(2.0, 1.0, 2.0), learning_rate=0.005, epochs=5)
    panel.train()
    assert panel.progress.value == 5 and len(panel.loss_curves.train_line.get_xdata()) == 5
    panel.sliders[1].set_state({"value": -2.5})                      # a click on the track: far from θ₁
    assert panel.result["theta"][1] == -2.5
    assert panel.result["J"] == pytest.approx(oracle_J(panel.result["theta"], blobs.X_train, blobs.y_train),
                                              rel=1e-12)
    readout, last_line = panel.status_text.splitlines()
    assert readout == panel.text and ", -2.50, " in panel.text
    assert last_line.startswith("not trained yet: press Train")      # the last run was from another θ
    assert panel.summary == "" and panel.history is None
    assert panel.progress.value == 0 and len(panel.loss_curves.train_line.get_xdata()) == 0
    panel.sliders[1].set_state({"value": -2.45})                     # the next step: also a person's move
    assert panel.result["theta"][1] == -2.45


def test_set_theta_then_its_browser_echo_keeps_the_exact_theta(blobs):
    panel = ThetaSliders(blobs)
    theta = np.array([0.123, -1.318, 0.4])
    panel.set_theta(theta)
    for slider in panel.sliders:
        slider.set_state({"value": browser_snap(slider, slider.value)})
    assert np.array_equal(panel.result["theta"], theta)


# ------------------------------------------------------------------ TrainingPanel

def test_panel_training_equals_a_direct_sgd_run():
    panel = TrainingPanel("moons", epochs=8)
    panel.hidden_units.value = 6
    panel.learning_rate.value = 0.5
    history = panel.train()
    split = data.load_dataset("moons", n=200, seed=0)
    model = models.OneHiddenLayerNet(2, 6, seed=0, scale=1.0)
    direct = training.sgd(model, *split, epochs=8, lr=0.5)
    assert history == direct
    assert panel.history is history
    for name in model.params:
        assert np.array_equal(panel.model.params[name], model.params[name])
    last = direct[-1]
    assert panel.summary == (f"epoch 8/8  γ = 0.5  train J = {last['train_cross_entropy']:.4f}  "
                             f"test J = {last['test_cross_entropy']:.4f}  "
                             f"train error = {last['train_error']:.3f}  test error = {last['test_error']:.3f}")
    assert panel.summary in panel.status.value.replace("&quot;", '"')


@pytest.mark.parametrize("dataset", ["xor", "moons"])
def test_panel_learns_and_draws_a_correct_boundary(dataset):
    panel = TrainingPanel(dataset, hidden_units=8, learning_rate=0.5, epochs=25)
    history = panel.train()
    assert history[-1]["train_cross_entropy"] < 0.5 * history[0]["train_cross_entropy"]
    assert history[-1]["test_error"] <= 0.08
    # read the boundary back from the drawn image: nearest grid cell to each test point
    grid = panel.boundary.grid
    image = np.asarray(panel.boundary.image.get_array())
    x0, x1, y0, y1 = grid.extent
    X = panel.split.X_test
    cols = np.round((X[:, 0] - x0) / (x1 - x0) * (grid.shape[1] - 1)).astype(int)
    rows = np.round((X[:, 1] - y0) / (y1 - y0) * (grid.shape[0] - 1)).astype(int)
    inside = (cols >= 0) & (cols < grid.shape[1]) & (rows >= 0) & (rows < grid.shape[0])
    assert inside.mean() >= 0.9                      # the grid (over the training points) covers the test points
    drawn_label = image[rows[inside], cols[inside]] > 0.5
    assert np.mean(drawn_label == panel.split.y_test[inside]) >= 0.9


def test_panel_redraws_every_epoch_or_every_k(monkeypatch):
    panel = TrainingPanel("xor", epochs=5)
    calls = []
    monkeypatch.setattr(panel, "render", lambda full=False: calls.append(panel.progress.value))
    panel.train()
    assert calls == [1, 2, 3, 4, 5]
    panel.epochs.value = 90                  # many epochs: redraw every ceil(90 / 40) = 3
    calls.clear()
    panel.train()
    assert calls == list(range(3, 91, 3))
    assert panel.progress.value == 90 and panel.progress.max == 90


def test_train_button_runs_training():
    panel = TrainingPanel("xor", epochs=3)
    panel.train_button.click()
    assert len(panel.history) == 3
    assert not panel.train_button.disabled


def test_train_button_reports_a_failure_in_the_status_line(monkeypatch):
    panel = TrainingPanel("xor", epochs=3)

    def failing_sgd(*args, **kwargs):
        raise ValueError("sgd: the learning rate γ must be a positive finite number, got nan")

    monkeypatch.setattr(training, "sgd", failing_sgd)
    panel.train_button.click()
    assert "training stopped: sgd: the learning rate γ must be a positive finite number" in panel.status.value
    assert not panel.train_button.disabled
    with pytest.raises(ValueError, match="learning rate"):       # called from code, the error propagates
        panel.train()


def test_two_hidden_layers_and_dataset_switch():
    panel = TrainingPanel("moons", epochs=2)
    panel.dataset.value = "spirals"
    assert np.array_equal(panel.split.X_train, data.load_dataset("spirals", n=200, seed=0).X_train)
    panel.hidden_layers.value = 2
    panel.hidden_units.value = 5
    panel.train()
    assert isinstance(panel.model, models.TwoHiddenLayerNet)
    assert panel.model.params["alpha1"].shape == (2, 5) and panel.model.params["alpha2"].shape == (5, 5)
    assert panel.seconds_per_epoch > 0


def test_zero_initialisation_keeps_hidden_units_identical():
    panel = TrainingPanel("xor", hidden_units=4, epochs=5)
    panel.init_scale.value = 0.0
    panel.train()
    alpha = panel.model.params["alpha"]
    assert np.abs(alpha).max() > 0                           # the units did learn something...
    assert np.all(alpha == alpha[0])                         # ...but all the same thing


def test_panel_rejects_unknown_dataset():
    with pytest.raises(ValueError, match="dataset must be one of xor, moons, spirals, got 'circles'"):
        TrainingPanel("circles")


def test_partial_redraws_equal_a_full_redraw():
    """A data-set change redraws only the boundary's column of the cached figure, a rescaled loss axis only
    its own; the picture must be the same, pixel for pixel, as drawing the whole figure afresh."""
    panel = TrainingPanel("moons", epochs=6)

    def assert_same_as_full_redraw():
        partial = np.asarray(panel.view.canvas.buffer_rgba()).copy()
        panel.view._background = None
        panel.render()
        assert np.array_equal(partial, np.asarray(panel.view.canvas.buffer_rgba()))

    seconds = []
    for dataset in ("xor", "spirals", "moons"):
        start = time.perf_counter()
        panel.dataset.value = dataset
        seconds.append(time.perf_counter() - start)
        assert_same_as_full_redraw()
    panel.train()
    assert_same_as_full_redraw()
    panel.dataset.value = "xor"                                      # after training: curves cleared
    assert len(panel.loss_curves.train_line.get_xdata()) == 0
    assert_same_as_full_redraw()
    assert np.median(seconds) < 0.5          # generous; the real median is reported by the benchmark


def test_theta_redraws_show_the_background_once_over_a_cache_without_it(blobs):
    """Each θ is drawn over the cached axes: the picture must be a full redraw's, pixel for pixel, and the
    shaded p(y = 1 | x) blended once, at its alpha, over the white figure — no earlier θ's picture showing
    through it (matplotlib < 3.11 draws an animated image into the cache) and no double blend."""
    panel = ThetaSliders(blobs, theta=(0.0, 1.0, 0.0))
    box = panel.boundary_ax.bbox
    height = np.asarray(panel.view.canvas.buffer_rgba()).shape[0]
    inside = (slice(height - int(box.y1) + 3, height - int(box.y0) - 3), slice(int(box.x0) + 3, int(box.x1) - 3))
    for theta in [(6.0, 0.0, 0.0), (-6.0, 0.0, 0.0), (0.4, -1.3, 0.7)]:
        panel.set_theta(theta)
        partial = np.asarray(panel.view.canvas.buffer_rgba()).copy()
        if theta[1:] == (0.0, 0.0):          # p the same everywhere: one colour fills the axes but for the points
            colours, counts = np.unique(partial[inside].reshape(-1, 4), axis=0, return_counts=True)
            p = F.sigmoid(np.array(theta[0]))
            image = panel.boundary.image
            shade = image.get_alpha() * np.array(image.cmap(p)[:3]) + (1 - image.get_alpha())   # over white
            assert np.abs(colours[np.argmax(counts)][:3] - 255 * shade).max() <= 2
        panel.view._background = None
        panel.render()
        assert np.array_equal(partial, np.asarray(panel.view.canvas.buffer_rgba()))


def test_panel_update_timing_is_recorded(blobs):
    panel = ThetaSliders(blobs)
    start = time.perf_counter()
    panel.update()
    assert 0 < panel.last_update_seconds <= time.perf_counter() - start



# ------------------------------------------------------------------ depth, activation and your own data

def test_every_depth_and_activation_is_the_mlp_the_controls_describe():
    panel = TrainingPanel("xor", hidden_units=3, epochs=1, n=40)
    assert panel.hidden_layers.options == (1, 2, 3, 4)
    assert panel.activation.options == ("sigmoid", "tanh", "relu") and panel.activation.value == "sigmoid"
    for L in (1, 2, 3, 4):
        for activation in ("sigmoid", "tanh", "relu"):
            panel.hidden_layers.value, panel.activation.value = L, activation
            model = panel.make_model()
            expected = models.MLP(2, [3] * L, activation=activation, seed=0, scale=1.0)
            assert model.activation.name == activation and model.param_names == expected.param_names
            for name in expected.param_names:
                assert np.array_equal(model.params[name], expected.params[name]), (L, activation, name)
    panel.activation.value = "sigmoid"
    for L, lecture in ((1, models.OneHiddenLayerNet), (2, models.TwoHiddenLayerNet)):
        panel.hidden_layers.value = L                       # the lecture's nets, as before issue 14
        assert type(panel.make_model()) is lecture


def test_depth_3_relu_trains_and_the_loss_goes_down():
    panel = TrainingPanel("moons", learning_rate=0.1, epochs=20)
    panel.hidden_layers.value = 3
    panel.activation.value = "relu"
    assert panel.status_text == "not trained yet: press Train"
    history = panel.train()
    split = data.load_dataset("moons", n=200, seed=0)
    direct = training.sgd(models.MLP(2, [8, 8, 8], activation="relu", seed=0, scale=1.0), *split, epochs=20,
                          lr=0.1)
    assert history == direct
    assert type(panel.model) is models.MLP and panel.model.activation.name == "relu"
    assert history[-1]["train_cross_entropy"] < 0.2 * history[0]["train_cross_entropy"]
    assert history[-1]["test_error"] <= 0.05
    assert panel.summary in panel.status_text


def test_a_change_of_depth_or_activation_in_the_constructor_is_its_start_state():
    panel = TrainingPanel("xor", hidden_layers=4, activation="tanh", hidden_units=3, epochs=2, n=40)
    panel.train()
    assert len(panel.model.param_names) == 10 and panel.model.activation.name == "tanh"
    panel.hidden_layers.value, panel.activation.value = 1, "relu"
    panel.reset()
    assert (panel.hidden_layers.value, panel.activation.value) == (4, "tanh")


@pytest.fixture
def your_data():
    X, y = data.make_blobs(n=60, noise=0.8, classes=2, seed=5)
    return data.train_test_split(X, y, seed=5)


@pytest.mark.parametrize("as_given", [lambda s: s, tuple, lambda s: tuple(a.tolist() for a in s),
                                      lambda s: (s[0], s[1].astype(float), s[2], s[3] == 1)],
                         ids=["Split", "tuple", "lists", "float and bool labels"])
def test_your_own_data_trains_like_a_direct_sgd_run(your_data, as_given):
    panel = TrainingPanel(data=as_given(your_data), hidden_layers=3, activation="relu", hidden_units=4,
                          learning_rate=0.1, epochs=6)
    assert panel.dataset.value == "your data"
    assert panel.dataset.options == ("your data", "xor", "moons", "spirals")
    for got, want in zip(panel.split, your_data):
        assert np.array_equal(got, want)
    assert panel.split.y_train.dtype == np.int64
    history = panel.train()
    direct = training.sgd(models.MLP(2, [4, 4, 4], activation="relu", seed=0, scale=1.0), *your_data,
                          epochs=6, lr=0.1)
    assert history == direct
    assert panel.boundary_ax.get_title().startswith("your data, epoch 6")


def test_your_data_stays_one_choice_among_the_built_in_sets(your_data):
    panel = TrainingPanel(data=your_data, epochs=2)
    panel.dataset.value = "xor"
    assert np.array_equal(panel.split.X_train, data.load_dataset("xor", n=200, seed=0).X_train)
    panel.dataset.value = "your data"
    assert panel.split.X_train is panel.user_split.X_train
    panel.dataset.value = "spirals"
    panel.reset()
    assert panel.dataset.value == "your data" and np.array_equal(panel.split.X_test, your_data.X_test)
    assert panel.status_text == "not trained yet: press Train"
    assert TrainingPanel(data=your_data, dataset="moons").split.X_train.shape == (150, 2)


@pytest.mark.parametrize("bad, message", [
    (lambda s: (s.X_train[:, :1], s.y_train, s.X_test, s.y_test),
     r"TrainingPanel: X_train must have shape \(N, 2\).*got shape \(45, 1\)"),
    (lambda s: (s.X_train, s.y_train, np.c_[s.X_test, s.X_test], s.y_test),
     r"TrainingPanel: X_test must have shape \(N, 2\).*got shape \(15, 4\)"),
    (lambda s: (s.X_train, s.y_train[:-1], s.X_test, s.y_test),
     r"TrainingPanel: y_train must have shape \(45,\), one label per row of X_train \(45, 2\), "
     r"got shape \(44,\)"),
    (lambda s: (s.X_train, s.y_train, s.X_test, s.y_test[:, None]),
     r"TrainingPanel: y_test must have shape \(15,\).*got shape \(15, 1\)"),
    (lambda s: (s.X_train, np.where(s.y_train == 1, 2, 0), s.X_test, s.y_test),
     r"TrainingPanel: y_train \(45,\) must hold the labels 0 and 1 .*got 2 at index 0"),
    (lambda s: (s.X_train, s.y_train, np.where(s.X_test > 1, np.nan, s.X_test), s.y_test),
     r"TrainingPanel: X_test \(15, 2\) must be finite numbers, row \d+ is"),
    (lambda s: (s.X_train[:0], s.y_train[:0], s.X_test, s.y_test),
     r"TrainingPanel: X_train must have shape \(N, 2\), N ≥ 1 .*got shape \(0, 2\)"),
    (lambda s: (s.X_train, s.y_train), r"TrainingPanel: data= must be a data.Split or a tuple .*tuple of length 2"),
    (lambda s: {"X_train": s.X_train}, r"TrainingPanel: data= must be a data.Split .*got dict"),
    (lambda s: (s.X_train, ["a"] * 45, s.X_test, s.y_test), r"TrainingPanel: X_train and y_train must be arrays"),
], ids=["one feature", "four features", "a label short", "labels as a column", "label 2", "nan", "empty",
        "two arrays", "dict", "text labels"])
def test_bad_data_is_refused_naming_the_panel_and_the_shapes(your_data, bad, message):
    assert your_data.X_train.shape == (45, 2)
    with pytest.raises(ValueError, match=message):
        TrainingPanel(data=bad(your_data))


@pytest.mark.parametrize("kwargs, message", [
    ({"hidden_layers": 5}, "TrainingPanel: hidden_layers must be one of 1, 2, 3, 4, got 5"),
    ({"activation": "softplus"}, "TrainingPanel: activation must be one of sigmoid, tanh, relu, got 'softplus'"),
    ({"dataset": "your data"}, 'dataset must be one of xor, moons, spirals, got .your data. .*needs data='),
])
def test_bad_depth_activation_or_data_choice_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainingPanel(**kwargs)


# ------------------------------------------------------------------ start state, stale runs, Reset

def test_a_panel_opens_untrained_and_every_change_of_configuration_makes_the_run_stale():
    panel = TrainingPanel("xor", hidden_units=3, epochs=2, n=60)
    assert panel.status_text == "not trained yet: press Train" and panel.progress.value == 0
    changes = [(panel.dataset, "spirals"), (panel.hidden_layers, 2), (panel.activation, "tanh"),
               (panel.hidden_layers, 3), (panel.activation, "relu"), (panel.hidden_units, 5),
               (panel.init_scale, 0.5), (panel.learning_rate, 0.2), (panel.epochs, 3)]
    for control, value in changes:
        panel.train()
        assert panel.status_text == panel.summary and panel.progress.value == panel.epochs.value
        control.value = value
        assert panel.status_text == "not trained yet: press Train", control.description
        assert panel.history is None and panel.model is None and panel.summary == ""
        assert panel.progress.value == 0 and len(panel.loss_curves.train_line.get_xdata()) == 0
        assert np.all(np.asarray(panel.boundary.image.get_array()) == 0.5) and panel.boundary.boundary is None


@pytest.mark.parametrize("make", [
    lambda split: ThetaSliders(split, theta=(0.4, -1.3, 0.7), learning_rate=0.005, epochs=3),
    lambda split: TrainingPanel("moons", hidden_units=3, learning_rate=2.0, epochs=3, init_scale=0.75, n=60),
], ids=["theta", "training"])
def test_reset_returns_a_panel_to_its_start_state_exactly(blobs, make):
    panel = make(blobs)

    def state():
        controls = [w.value for w in all_widgets(panel.widget)
                    if isinstance(getattr(w, "value", None), (int, float, str))]
        return controls, panel.status_text, np.asarray(panel.view.canvas.buffer_rgba()).copy(), panel.progress.max

    fresh = state()
    panel.train()
    for w in all_widgets(panel.widget):
        if isinstance(w, widgets.FloatSlider):
            w.value = 2.5
    if isinstance(panel, TrainingPanel):
        panel.dataset.value, panel.hidden_units.value = "xor", 7
    panel.epochs.value = 9
    panel.reset_button.click()
    controls, status, pixels, progress_max = state()
    assert controls == fresh[0] and status == fresh[1] and progress_max == fresh[3]
    assert np.array_equal(pixels, fresh[2])
    assert "Start state:" in type(panel).__doc__
