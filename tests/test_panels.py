"""Tests for backproplib.panels, driven from code as a notebook or browser would drive them.

Oracles: the mean cross-entropy and error of logistic regression recomputed
from functional.binary_cross_entropy_with_logits; its gradient by central
differences of that oracle; training histories from a direct `training.sgd`
run with the same seed; the drawn boundary read back from the figure.
"""
import matplotlib

matplotlib.use("Agg")

import time

import numpy as np
import pytest

from backproplib import data, models, training
from backproplib import functional as F
from backproplib.panels import ThetaSliders, TrainingPanel

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def blobs():
    X, y = data.make_blobs(n=80, noise=1.0, classes=2, seed=3)
    return data.train_test_split(X, y, seed=3)


def oracle_J(theta, X, y):
    """Mean cross-entropy of logistic regression, written independently of models.py."""
    return float(np.mean(F.binary_cross_entropy_with_logits(theta[0] + X @ theta[1:], y)))


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
    with pytest.raises(ValueError, match=r"θ must have 3 entries"):
        panel.set_theta([1.0, 2.0])


def test_theta_training_is_algorithm_1_from_the_sliders(blobs):
    panel = ThetaSliders(blobs, theta=(1.0, 0.5, 0.5), epochs=6)
    panel.learning_rate.value = 0.2
    history = panel.train()
    model = models.LogisticRegression(2)
    model.params["theta"][...] = [1.0, 0.5, 0.5]
    direct = training.sgd(model, *blobs, epochs=6, lr=0.2)
    assert history == direct
    assert history[-1]["train_cross_entropy"] < history[0]["train_cross_entropy"]
    assert np.allclose([s.value for s in panel.sliders], model.params["theta"])   # the sliders followed
    assert panel.result["J"] == pytest.approx(direct[-1]["train_cross_entropy"], rel=1e-12)
    assert panel.progress.value == 6
    assert f"train J = {direct[-1]['train_cross_entropy']:.4f}" in panel.summary


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
    calls.clear()
    panel.epochs.value = 90                  # many epochs: redraw every ceil(90 / 40) = 3
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


def test_panel_update_timing_is_recorded(blobs):
    panel = ThetaSliders(blobs)
    start = time.perf_counter()
    panel.update()
    assert 0 < panel.last_update_seconds <= time.perf_counter() - start
