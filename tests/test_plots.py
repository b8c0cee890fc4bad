"""Tests for backproplib.plots: boundaries, loss curves, digits and confusion matrices.

Oracles are independent of the code under test: the boundary of a linear
model is the line θ₀ + θ₁x₁ + θ₂x₂ = 0; probabilities come from
functional.sigmoid; confusion counts are counted by hand or by a Python loop.
"""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from backproplib import functional as F
from backproplib.plots import (
    BoundaryView, LossCurves, confusion_matrix, grid_over, plot_confusion_matrix, plot_digits,
)


@pytest.fixture
def ax():
    return Figure().add_subplot()


def two_class_data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 2))
    return X, (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)


# ------------------------------------------------------------------ grid_over

def test_grid_covers_the_data_with_margin():
    X = np.array([[0.0, -1.0], [2.0, 3.0]])
    grid = grid_over(X, steps=5, margin=0.5)
    assert grid.points.shape == (25, 2)
    assert grid.shape == (5, 5)
    assert grid.extent == (-0.5, 2.5, -1.5, 3.5)
    assert np.allclose(grid.points.min(axis=0), [-0.5, -1.5])
    assert np.allclose(grid.points.max(axis=0), [2.5, 3.5])
    # row-major: the first `steps` points share the lowest x2 and sweep x1
    assert np.allclose(grid.points[:5, 1], -1.5)
    assert np.allclose(grid.points[:5, 0], np.linspace(-0.5, 2.5, 5))


@pytest.mark.parametrize("bad", [np.zeros((4, 3)), np.zeros(4), np.zeros((0, 2))])
def test_grid_rejects_non_2d_points(bad):
    with pytest.raises(ValueError, match=r"grid_over: needs points of shape \(N, 2\)"):
        grid_over(bad)


# ------------------------------------------------------------------ BoundaryView

def test_boundary_image_is_the_given_probability(ax):
    X, y = two_class_data()
    view = BoundaryView(ax, X, y, steps=30)
    theta = np.array([0.3, 1.0, -2.0])
    p = F.sigmoid(theta[0] + view.grid.points @ theta[1:])
    view.update(p)
    assert np.array_equal(np.asarray(view.image.get_array()), p.reshape(30, 30))
    # (N, 2) class probabilities are accepted too, column 1 being p(y = 1)
    view.update(np.column_stack([1 - p, p]))
    assert np.allclose(np.asarray(view.image.get_array()), p.reshape(30, 30))


def test_boundary_line_lies_on_theta_x_equals_zero(ax):
    X, y = two_class_data()
    view = BoundaryView(ax, X, y, steps=80)
    theta = np.array([0.3, 1.0, -2.0])
    view.update(F.sigmoid(theta[0] + view.grid.points @ theta[1:]))
    vertices = np.concatenate([path.vertices for path in view.boundary.get_paths()])
    assert len(vertices) > 10
    # distance of each drawn vertex from the line θ₀ + θ₁x₁ + θ₂x₂ = 0, well within a grid cell
    distance = np.abs(theta[0] + vertices @ theta[1:]) / np.linalg.norm(theta[1:])
    cell = (view.grid.extent[1] - view.grid.extent[0]) / 79
    assert distance.max() < 0.05 * cell


def test_no_boundary_line_when_one_class_everywhere(ax):
    X, y = two_class_data()
    view = BoundaryView(ax, X, y, steps=20)
    view.update(np.full(400, 0.3))
    assert view.boundary is None
    assert view.image in view.artists()
    view.update(F.sigmoid(view.grid.points[:, 0]))
    assert view.boundary is not None and view.boundary in view.artists()
    view.update(np.full(400, 0.9))          # the old line is removed, not left behind
    assert view.boundary is None
    assert len(ax.collections) == 2          # the two scatter clouds only


def test_points_are_drawn_per_class(ax):
    X, y = two_class_data()
    view = BoundaryView(ax, X, y)
    assert [len(p.get_offsets()) for p in view.points] == [int(np.sum(y == 0)), int(np.sum(y == 1))]
    assert np.allclose(view.points[1].get_offsets(), X[y == 1])


def test_boundary_rejects_bad_input(ax):
    X, y = two_class_data()
    with pytest.raises(ValueError, match="labels 0 and 1; got labels"):
        BoundaryView(ax, X, y + 1)
    with pytest.raises(ValueError, match=r"X of shape \(N, 2\) and N labels"):
        BoundaryView(ax, X, y[:-1])
    view = BoundaryView(ax, X, y, steps=10)
    with pytest.raises(ValueError, match="for the 100 grid points"):
        view.update(np.zeros(99))


def test_boundary_view_takes_a_new_data_set_in_place(ax):
    X, y = two_class_data()
    view = BoundaryView(ax, X, y, steps=20)
    view.update(F.sigmoid(view.grid.points @ np.array([1.0, 0.5])))
    image, points = view.image, list(view.points)
    X2 = 3.0 * X[:25] + 10.0
    y2 = (X2[:, 1] > 10.0).astype(int)
    view.set_data(X2, y2)
    assert view.image is image and view.points == points                   # the same artists...
    assert len(ax.images) == 1 and len(ax.collections) == 2                # ...and nothing left over
    assert view.boundary is None
    assert np.array_equal(view.points[0].get_offsets(), X2[y2 == 0])
    assert np.array_equal(view.points[1].get_offsets(), X2[y2 == 1])
    expected = grid_over(X2, steps=20)
    assert np.array_equal(view.grid.points, expected.points)
    assert tuple(image.get_extent()) == pytest.approx(expected.extent)
    assert (*ax.get_xlim(), *ax.get_ylim()) == pytest.approx(expected.extent)
    assert np.all(np.asarray(image.get_array()) == 0.5)
    with pytest.raises(ValueError, match="labels 0 and 1; got labels"):
        view.set_data(X2, y2 + 2)


# ------------------------------------------------------------------ LossCurves

def history(train, test):
    return [{"epoch": e, "train_cross_entropy": a, "test_cross_entropy": b}
            for e, (a, b) in enumerate(zip(train, test), start=1)]


def test_loss_curves_show_the_history(ax):
    curves = LossCurves(ax, epochs=10)
    h = history([0.7, 0.5, 0.4], [0.8, 0.6, 0.55])
    assert curves.update(h) is True            # first data: the y-range must grow
    assert list(curves.train_line.get_xdata()) == [1, 2, 3]
    assert list(curves.train_line.get_ydata()) == [0.7, 0.5, 0.4]
    assert list(curves.test_line.get_ydata()) == [0.8, 0.6, 0.55]
    assert ax.get_xlim() == (0.5, 10.5)        # the planned epochs, from the start
    assert ax.get_ylim()[0] == 0.0 and ax.get_ylim()[1] >= 0.8


def test_loss_curves_rescale_only_when_needed(ax):
    curves = LossCurves(ax, epochs=3)
    curves.update(history([0.7], [0.8]))
    assert curves.update(history([0.7, 0.5], [0.8, 0.6])) is False     # falling loss: same axes
    assert curves.update(history([0.7, 0.5, 2.0], [0.8, 0.6, 0.6])) is True
    assert ax.get_ylim()[1] >= 2.0
    assert curves.update(history([0.1] * 5, [0.1] * 5)) is True        # more epochs than planned
    assert ax.get_xlim()[1] == 5.5


def test_loss_curves_clear_and_reset_reuse_the_lines(ax):
    curves = LossCurves(ax, epochs=3)
    lines = ax.get_lines()
    curves.update(history([0.7, 0.5, 2.0], [0.8, 0.6, 0.6]))
    limits = (ax.get_xlim(), ax.get_ylim())
    curves.clear()
    assert len(curves.train_line.get_xdata()) == 0 and len(curves.test_line.get_ydata()) == 0
    assert (ax.get_xlim(), ax.get_ylim()) == limits                      # clear keeps the axes
    curves.update(history([0.7], [0.8]))
    curves.reset(epochs=8)
    assert len(curves.train_line.get_xdata()) == 0 and len(curves.test_line.get_xdata()) == 0
    assert ax.get_xlim() == (0.5, 8.5) and ax.get_ylim() == (0.0, 1e-3)   # as a new LossCurves
    assert ax.get_lines() == lines


def test_loss_curves_without_test_set(ax):
    curves = LossCurves(ax)
    curves.update(history([0.7, 0.6], [None, None]))
    assert len(curves.test_line.get_xdata()) == 0
    assert list(curves.train_line.get_ydata()) == [0.7, 0.6]


def test_two_loss_curves_share_an_axis(ax):
    one = LossCurves(ax, epochs=2, label="1 hidden layer", color="C0")
    two = LossCurves(ax, epochs=2, label="2 hidden layers", color="C1")
    one.update(history([0.5, 0.4], [0.5, 0.45]))
    two.update(history([3.0, 0.2], [2.5, 0.3]))
    assert ax.get_ylim()[1] >= 3.0
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["1 hidden layer: train", "1 hidden layer: test", "2 hidden layers: train",
                      "2 hidden layers: test"]


# ------------------------------------------------------------------ digits and confusion

def test_plot_digits_titles_and_colours():
    axes = Figure().subplots(1, 3)
    images = np.random.default_rng(0).random((3, 64))
    plot_digits(axes, images, y_true=[1, 2, 3], y_pred=[1, 7, 3])
    assert [ax.get_title() for ax in axes] == ["ŷ 1 / y* 1", "ŷ 7 / y* 2", "ŷ 3 / y* 3"]
    assert axes[1].title.get_color() == "crimson" and axes[0].title.get_color() == "black"
    assert np.array_equal(axes[2].images[0].get_array(), images[2].reshape(8, 8))


def test_plot_digits_rejects_mismatched_counts():
    with pytest.raises(ValueError, match="2 axes for 3 images"):
        plot_digits(Figure().subplots(1, 2), np.zeros((3, 64)), [0, 1, 2], [0, 1, 2])


def test_confusion_matrix_by_hand():
    counts = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], classes=3)
    assert counts.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 6).flatmap(lambda k: st.tuples(
    st.just(k), st.lists(st.tuples(st.integers(0, k - 1), st.integers(0, k - 1)), max_size=40))))
def test_confusion_matrix_counts_every_pair(case):
    k, pairs = case
    true = np.array([t for t, _ in pairs], dtype=int)
    pred = np.array([p for _, p in pairs], dtype=int)
    counts = confusion_matrix(true, pred, k)
    expected = np.zeros((k, k), dtype=int)
    for t, p in pairs:
        expected[t, p] += 1
    assert np.array_equal(counts, expected)
    assert counts.sum() == len(pairs) and np.trace(counts) == int(np.sum(true == pred))


def test_confusion_matrix_rejects_bad_labels():
    with pytest.raises(ValueError, match=r"predictions must lie in 0..2, got 0..3"):
        confusion_matrix([0, 1], [0, 3], classes=3)
    with pytest.raises(ValueError, match="must be 1-D of the same length"):
        confusion_matrix([0, 1], [0], classes=3)


def test_plot_confusion_matrix_writes_nonzero_counts(ax):
    counts = np.array([[5, 0, 1], [0, 4, 0], [2, 0, 3]])
    plot_confusion_matrix(ax, counts)
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == sorted(["5", "1", "4", "2", "3"])
