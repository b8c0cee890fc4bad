"""The gradient checker: it passes right gradients, fails wrong ones at the right entry, restores θ."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import backproplib as bp
from backproplib.gradcheck import (
    FINE, WRONG, GradCheckReport, check_gradients, check_model, directional_check, relative_error,
)
from backproplib.models import OneHiddenLayerNet, TwoHiddenLayerNet


def quadratic(rng, shape=(3, 4)):
    """J = Σ C ⊙ W² + Σ W, with the closed-form gradient 2 C ⊙ W + 1 (an oracle by hand)."""
    W, C = rng.standard_normal(shape), rng.standard_normal(shape)
    params = {"W": W}
    return (lambda: float(np.sum(C * params["W"] ** 2) + np.sum(params["W"]))), params, 2 * C * W + 1


def engine_net(rng, n=6, m=4, d=3, k=3):
    """A 1-hidden-layer softmax network written with Vars: α (d, m+1), β (k, d+1), bias folded."""
    X = np.hstack([np.ones((n, 1)), rng.standard_normal((n, m))])
    y = rng.integers(0, k, n)
    alpha = bp.Var(rng.uniform(-1, 1, (d, m + 1)))
    beta = bp.Var(rng.uniform(-1, 1, (k, d + 1)))

    def f():
        z = bp.sigmoid(X @ alpha.T)
        return bp.softmax_cross_entropy(z @ beta[:, 1:].T + beta[:, 0], y)
    return f, {"alpha": alpha, "beta": beta}


def engine_gradients(f, params):
    J = f()
    J.backward()
    return {name: np.array(p.grad) for name, p in params.items()}


# ------------------------------------------------------------------ right gradients pass

def test_closed_form_gradient_passes_on_plain_arrays():
    f, params, grad = quadratic(np.random.default_rng(0))
    report = check_gradients(f, params, {"W": grad})
    assert report.passed and report["W"].verdict == "ok" and report["W"].rel_error < FINE
    assert report.assert_ok() is report
    assert report["W"].analytic == grad[report["W"].where]


def test_lecture_example_through_the_engine_matches_its_closed_form():
    # J = cos(sin(x²) + 3x²): dJ/dx = -sin(sin(x²) + 3x²) (cos(x²) 2x + 6x).
    x = bp.Var(2.0, name="x")
    report = check_gradients(lambda: bp.cos(bp.sin(x ** 2) + 3 * x ** 2), {"x": x})
    assert report.passed
    closed_form = -math.sin(math.sin(4) + 12) * (math.cos(4) * 4 + 12)
    assert report["x"].analytic == pytest.approx(closed_form, rel=1e-12)
    assert report["x"].numeric == pytest.approx(closed_form, rel=1e-8)
    assert report["x"].where == () and report["x"].location == "x"


def test_engine_network_passes_entry_and_directional_checks():
    f, params = engine_net(np.random.default_rng(1))
    assert check_gradients(f, params).passed
    assert directional_check(f, params, n_directions=4).passed


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, array_shapes(min_dims=0, max_dims=3, max_side=3), elements=st.floats(-3, 3)))
def test_random_shapes_and_values(W):
    C = np.linspace(-2, 2, W.size).reshape(W.shape)
    params = {"W": W}
    grad = C * np.cos(W)
    report = check_gradients(lambda: float(np.sum(C * np.sin(params["W"]))), params, {"W": grad})
    # a right gradient never fails; it is inconclusive only where cos(W) makes it too small to see
    assert report.passed or (report.status == "INCONCLUSIVE" and abs(report["W"].analytic) < 1e-6), str(report)


def test_unused_var_parameter_has_zero_gradient():
    x, unused = bp.Var(1.5), bp.Var(np.ones(2))
    unused.grad = np.full(2, 7.0)                      # a stale gradient must not be used
    report = check_gradients(lambda: x * x, {"x": x, "unused": unused})
    assert report.passed and report["unused"].analytic == 0.0


# ------------------------------------------------------------ θ is restored exactly

def test_every_entry_is_probed_at_plus_and_minus_eps_and_restored():
    W = np.array([[0.1, -2.0], [3.0, 1e-9]])
    original = W.copy()
    params = {"W": W}
    seen = []

    def f():
        seen.append(params["W"].copy())
        return float(np.sum(params["W"] ** 3))
    report = check_gradients(f, params, {"W": 3 * original ** 2}, eps=1e-5)
    assert params["W"] is W and np.array_equal(W, original)
    # dJ/dW[1, 1] = 3e-18 is far below what rounding in J ≈ 26 lets the check see: inconclusive, not passed
    assert report.status == "INCONCLUSIVE" and report["W"].where == (1, 1)
    assert dict(report["W"].counts) == {"inconclusive": 1, "ok": 3}
    probes = [s - original for s in seen if not np.array_equal(s, original)]
    assert len(probes) == 2 * W.size
    for index in np.ndindex(W.shape):
        moved = [p for p in probes if p[index] != 0]
        assert len(moved) == 2 and sorted(p[index] for p in moved) == pytest.approx([-1e-5, 1e-5])
        assert all(np.count_nonzero(p) == 1 for p in moved)


def test_floats_and_scalar_vars_are_restored():
    params = {"a": 0.3, "v": bp.Var(-1.25)}
    check_gradients(lambda: params["a"] ** 2 * params["v"].value, params, {"a": -0.75, "v": 0.09})
    assert params["a"] == 0.3 and params["v"].value == -1.25
    assert type(params["a"]) is float and type(params["v"].value) is float


def test_restored_even_when_f_raises_mid_check():
    W = np.arange(6.0).reshape(2, 3)
    original = W.copy()
    calls = []

    def f():
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("boom")
        return float(np.sum(W ** 2))
    with pytest.raises(RuntimeError, match="boom"):
        check_gradients(f, {"W": W}, {"W": 2 * W})
    assert np.array_equal(W, original)


def test_directional_check_restores_and_costs_two_evaluations_per_direction():
    f0, params, grad = quadratic(np.random.default_rng(2), (30, 30))
    original = params["W"].copy()
    calls = []

    def f():
        calls.append(1)
        return f0()
    report = directional_check(f, params, {"W": grad}, n_directions=3)
    assert report.passed and len(calls) == 1 + 2 * 3      # J(θ), then ± along 3 directions
    assert np.array_equal(params["W"], original)


# ------------------------------------------------------------------- wrong gradients fail

WRONG_GRADIENTS = {
    "wrong sign": lambda g: -g,
    "off by a factor": lambda g: 2 * g,
    "transposed": lambda g: g.T,
}


@pytest.mark.parametrize("mistake", WRONG_GRADIENTS)
def test_wrong_gradients_fail(mistake):
    rng = np.random.default_rng(3)
    f, params, grad = quadratic(rng, (4, 4))
    report = check_gradients(f, params, {"W": WRONG_GRADIENTS[mistake](grad)})
    assert not report.passed and report["W"].verdict == "WRONG"
    worst = report["W"]
    # The entry named is one where analytic and numeric disagree most, relatively.
    wrong = WRONG_GRADIENTS[mistake](grad)
    assert worst.rel_error == pytest.approx(relative_error(wrong, grad).max(), rel=1e-6)
    assert relative_error(wrong[worst.where], grad[worst.where]) == pytest.approx(worst.rel_error, rel=1e-6)
    assert worst.analytic == wrong[worst.where]
    assert worst.numeric == pytest.approx(grad[worst.where], rel=1e-6)
    with pytest.raises(AssertionError, match=rf"W\[{worst.where[0]}, {worst.where[1]}\]"):
        report.assert_ok()
    if mistake == "transposed":
        assert worst.where[0] != worst.where[1]            # the diagonal of gᵀ is right


def test_one_wrong_entry_is_named_and_the_other_parameters_pass():
    f, params = engine_net(np.random.default_rng(4))
    grads = engine_gradients(f, params)
    grads["beta"][2, 1] += 1e-4
    report = check_gradients(f, params, grads)
    assert report["alpha"].passed and not report["beta"].passed
    assert report["beta"].where == (2, 1)
    assert [c.name for c in report.failures] == ["beta"]
    with pytest.raises(AssertionError, match=r"beta\[2, 1\]: analytic") as err:
        report.assert_ok()
    assert "alpha" not in str(err.value)
    assert "beta" in str(report) and "WRONG" in str(report) and "FAILED" in str(report)


def test_factor_shows_in_the_failure_message():
    f, params, grad = quadratic(np.random.default_rng(5))
    report = check_gradients(f, params, {"W": 2 * grad})
    assert "analytic/numeric = 2" in report["W"].describe()


@pytest.mark.parametrize("mistake", ["wrong sign", "off by a factor"])
def test_directional_check_fails_on_wrong_gradients(mistake):
    f, params = engine_net(np.random.default_rng(6))
    grads = engine_gradients(f, params)
    grads["alpha"] = WRONG_GRADIENTS[mistake](grads["alpha"])
    report = directional_check(f, params, grads, n_directions=2)
    assert report["beta"].passed and not report["alpha"].passed
    assert isinstance(report["alpha"].where, int) and 1 <= report["alpha"].where <= 2
    with pytest.raises(AssertionError, match="alpha along random direction"):
        report.assert_ok()


def test_directional_check_catches_one_wrong_entry():
    f, params = engine_net(np.random.default_rng(7))
    grads = engine_gradients(f, params)
    grads["alpha"][1, 3] += 1e-3
    assert not directional_check(f, params, grads)["alpha"].passed


def test_directional_check_is_reproducible():
    f, params = engine_net(np.random.default_rng(8))
    first = directional_check(f, params, seed=5)
    assert [c.numeric for c in first] == [c.numeric for c in directional_check(f, params, seed=5)]
    assert [c.numeric for c in first] != [c.numeric for c in directional_check(f, params, seed=6)]


def test_transposed_rectangular_gradient_is_a_shape_problem():
    f, params, grad = quadratic(np.random.default_rng(9), (2, 5))
    report = check_gradients(f, params, {"W": grad.T})
    assert not report.passed and "(transposed?)" in report["W"].problem
    with pytest.raises(AssertionError, match=r"shape \(5, 2\) but the parameter has shape \(2, 5\)"):
        report.assert_ok()


# --------------------------------------------------------------------- thresholds

def test_relative_error_convention():
    """The plain formula of notebook 04 and exercise 9.2: nothing is subtracted."""
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(1.0, -1.0) == 2.0
    assert relative_error(2.0, 1.0) == 0.5
    assert relative_error(1e-3, 1e-3 + 1e-10) == pytest.approx(1e-10 / (1e-3 + 1e-10))
    with pytest.raises(TypeError):
        relative_error(1.0, 1.5, noise=0.25)


def test_verdict_bands():
    params = {"w": np.array([1.0])}
    f = lambda: float(params["w"][0] ** 2)           # noqa: E731  dJ/dw = 2
    for analytic, verdict in [(2.0, "ok"), (2.0 * (1 + 1e-6), "suspicious"), (2.0 * (1 + 1e-3), "WRONG")]:
        report = check_gradients(f, params, {"w": [analytic]})
        assert report["w"].verdict == verdict and report.passed == (verdict == "ok")
    assert check_gradients(f, params, {"w": [2.0 * (1 + 1e-6)]}, threshold=WRONG).passed


# ------------------------------------------------------------------ NaN and infinity

def test_nan_in_J_is_reported_not_propagated():
    params = {"w": np.ones(2)}
    report = check_gradients(lambda: math.nan, params, {"w": np.zeros(2)})
    assert not report.passed and "J(θ) = nan" in report["w"].problem
    assert "PROBLEM" in str(report)


def test_nan_in_the_analytic_gradient_names_the_entry():
    params = {"w": np.ones(3)}
    report = check_gradients(lambda: float(np.sum(params["w"])), params, {"w": [1.0, np.inf, 1.0]})
    assert not report.passed and report["w"].where == (1,) and "inf" in report["w"].problem
    with pytest.raises(AssertionError, match=r"w\[1\]: the analytic gradient is inf"):
        report.assert_ok()


def test_J_becoming_infinite_under_perturbation_names_the_entry():
    params = {"w": np.array([1.0, 0.0, 2.0])}

    def f():                                          # J = Σ log w, infinite once w ≤ 0
        w = params["w"]
        return math.inf if np.any(w <= 0) else float(np.sum(np.log(w)))
    params["w"][1] = 5e-7
    report = check_gradients(f, params, {"w": 1 / params["w"]})
    assert not report.passed and report["w"].where == (1,)
    assert "J is not finite" in report["w"].problem and params["w"][1] == 5e-7


# ----------------------------------------------------------------------- reporting

def test_report_text_and_html():
    f, params = engine_net(np.random.default_rng(10))
    report = check_gradients(f, params)
    text = str(report)
    assert "PASSED" in text and "alpha" in text and "(3, 5)" in text and "ok" in text
    html = report._repr_html_()
    assert html.count("<tr>") == 3 and "alpha" in html and "PASSED" in html
    assert isinstance(report, GradCheckReport) and len(report) == 2 and "passed" in repr(report)
    assert report and not check_gradients(f, params, {n: -g for n, g in engine_gradients(f, params).items()})


# ----------------------------------------------------------------------- models

class TinyLogisticRegression:
    """A stand-in with the models' interface: params, loss_and_gradients, engine_loss."""

    def __init__(self, theta, wrong_sign=False):
        self.params = {"theta": theta}
        self.sign = -1.0 if wrong_sign else 1.0

    def loss_and_gradients(self, X, y):
        theta = self.params["theta"]
        b = X @ theta
        J = float(np.mean(bp.functional.binary_cross_entropy_with_logits(b, y)))
        return J, {"theta": self.sign * X.T @ (bp.functional.sigmoid(b) - y) / len(y)}

    def engine_loss(self, X, y):
        theta = bp.Var(self.params["theta"])
        return bp.sigmoid_cross_entropy(X @ theta, y), {"theta": theta}


@pytest.mark.parametrize("route", ["backward", "engine"])
@pytest.mark.parametrize("n_directions", [None, 3])
def test_check_model_routes(route, n_directions):
    rng = np.random.default_rng(11)
    X, y = rng.standard_normal((8, 3)), rng.integers(0, 2, 8).astype(float)
    model = TinyLogisticRegression(rng.standard_normal(3))
    original = model.params["theta"].copy()
    assert check_model(model, X, y, route=route, n_directions=n_directions).passed
    assert np.array_equal(model.params["theta"], original)
    bad = check_model(TinyLogisticRegression(original, wrong_sign=True), X, y, n_directions=n_directions)
    assert not bad.passed and bad["theta"].verdict == "WRONG"


@pytest.mark.parametrize("make", [
    lambda: OneHiddenLayerNet(3, 4, K=3, seed=1, scale=1.0),
    lambda: TwoHiddenLayerNet(3, 4, 2, K=None, seed=2, scale=1.0),       # binary: beta0 is 0-d
])
def test_check_model_on_the_lecture_networks(make):
    rng = np.random.default_rng(12)
    model = make()
    X = rng.standard_normal((5, 3))
    y = rng.integers(0, 3 if model.K else 2, 5)
    before = {n: p.copy() for n, p in model.params.items()}
    for route in ("backward", "engine"):
        check_model(model, X, y, route=route).assert_ok()
    assert all(np.array_equal(model.params[n], before[n]) for n in before)


# --------------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, error, match", [
    (lambda: check_gradients(lambda: 0.0, [np.ones(2)], {}), ValueError, "must be a non-empty dict"),
    (lambda: check_gradients(lambda: 0.0, {"w": np.ones(2, int)}, {"w": np.ones(2)}), ValueError, "int64"),
    (lambda: check_gradients(lambda: 0.0, {"w": np.ones(2)}, {"w": np.ones(2)}, eps=-1), ValueError, "eps"),
    (lambda: check_gradients(lambda: 0.0, {"w": np.ones(2)}, {}), ValueError, r"no analytic gradient for \['w'\]"),
    (lambda: check_gradients(lambda: 0.0, {"w": np.ones(2)}, {"w": 0, "v": 0}), ValueError, "unknown parameters"),
    (lambda: check_gradients(lambda: np.ones(2), {"w": np.ones(2)}, {"w": np.ones(2)}), ValueError, r"shape \(2,\)"),
    (lambda: check_gradients(lambda: 0.0, {"w": np.ones(2)}), ValueError, "pass analytic"),
    (lambda: check_gradients(lambda: 0.0, {"w": bp.Var(1.0)}), ValueError, "returned a plain number"),
    (lambda: check_gradients(lambda: 0.0, {"w": "1"}, {"w": 0}), ValueError, "must be a float64 array"),
    (lambda: directional_check(lambda: 0.0, {"w": 1.0}, {"w": 0}, n_directions=0), ValueError, "n_directions"),
    (lambda: check_model(None, None, None, route="forward"), ValueError, "route"),
])
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_f_that_copies_its_parameters_gets_a_hint():
    W = np.ones(3)
    frozen = W.copy()
    report = check_gradients(lambda: float(np.sum(frozen ** 2)), {"W": W}, {"W": 2 * W})
    assert not report.passed and "not copies of them" in report["W"].problem
