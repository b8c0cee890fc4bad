"""Issue 16: the gradient checker never passes what it cannot see.

Wrong gradients (sign flips, scaled gradients, one wrong entry among large ones) at many loss
scales fail or are inconclusive, never pass; kinks are 'suspicious' with their explanation; the
report shows the plain relative error beside the allowance and the verdict.
"""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from backproplib.functional import binary_cross_entropy_with_logits, sigmoid
from backproplib.gradcheck import FINE, RESOLUTION, WRONG, check_gradients, directional_check, relative_error


def quadratic(scale=1.0, offset=0.0, shape=(3, 4), seed=0):
    """J = offset + scale · (Σ C ⊙ W² + Σ B ⊙ W), with its gradient scale · (2 C ⊙ W + B)."""
    rng = np.random.default_rng(seed)
    W, C, B = rng.uniform(-2, 2, shape), rng.uniform(0.5, 2, shape), rng.uniform(1, 3, shape)
    params = {"W": W}

    def f():
        return offset + scale * float(np.sum(C * params["W"] ** 2) + np.sum(B * params["W"]))
    return f, params, scale * (2 * C * W + B)


MISTAKES = {
    "sign flip": lambda g: -g,
    "doubled": lambda g: 2 * g,
    "halved": lambda g: 0.5 * g,
    "scaled by 1 + 1e-3": lambda g: g * (1 + 1e-3),
    "one entry flipped": lambda g: np.where(np.arange(g.size).reshape(g.shape) == 5, -g, g),
    "one entry off by 1%": lambda g: np.where(np.arange(g.size).reshape(g.shape) == 7, 1.01 * g, g),
}
SCALES = [1e-8, 1e-3, 1.0, 1e3, 1e8]


# ------------------------------------------------------------------ the two reports

def test_sign_flip_under_a_large_constant_is_inconclusive_not_ok():
    t = np.ones(4)
    report = check_gradients(lambda: float(1e10 + t.sum()), {"t": t}, analytic={"t": -np.ones(4)})
    check = report["t"]
    assert not report.passed and report.status == "INCONCLUSIVE" and check.verdict == "inconclusive"
    assert check.rel_error == pytest.approx(relative_error(check.analytic, check.numeric)) and check.rel_error > 1
    assert check.allowance > 1 and check.noise > 2
    text = check.describe()
    assert text.startswith("t[0]: analytic -1 vs numeric 1.907348633, relative error 1.52e+00 (rounding "
                           "allowance 1.2e+01): inconclusive — rounding in J (J ≈ 1e+10) makes the numeric "
                           "derivative uncertain by 22, comparable to the derivative itself")
    assert "a mean over a few examples rather than a sum over many" in text
    assert "ε = 1e-4 makes the allowance 100× smaller" in text and text.endswith("(others: 3 inconclusive)")
    assert repr(report) == "<GradCheckReport INCONCLUSIVE: t>"
    with pytest.raises(AssertionError, match=r"^gradient check INCONCLUSIVE:\n  t\[0\]: analytic -1"):
        report.assert_ok()
    directional = directional_check(lambda: float(1e10 + t.sum()), {"t": t}, analytic={"t": -np.ones(4)})
    assert directional.status == "INCONCLUSIVE"


def rows_problem(rows=slice(None), n=200_000, seed=0):
    """A logistic regression's loss summed over n rows, θ with a fourth weight whose gradient over all of
    them is 8.75e-5; `rows` picks the examples J sums over."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = (rng.random(n) < 0.5).astype(float)
    theta = np.array([0.1, -0.2, 0.05, 0.0])
    e = sigmoid(X @ theta) - y                          # dJ/db per row
    f4 = X[:, 3]
    X[:, 3] = f4 - (e @ f4 - 8.75e-5) / (e @ e) * e     # now Σ e_i x_i3 = 8.75e-5
    X, y = X[rows], y[rows]
    params = {"theta": theta}

    def J():
        return float(np.sum(binary_cross_entropy_with_logits(X @ params["theta"], y)))
    return J, params, X.T @ (sigmoid(X @ theta) - y)


def test_a_tiny_gradient_of_a_loss_summed_over_200k_rows_is_inconclusive_either_way():
    J, params, grad = rows_problem()
    assert grad[3] == pytest.approx(8.75e-5, rel=1e-6)
    flipped = grad.copy()
    flipped[3] = -flipped[3]
    for analytic in (grad, flipped):                    # right or wrong, the check cannot see it
        report = check_gradients(J, params, {"theta": analytic})
        assert not report.passed and report.status == "INCONCLUSIVE"
        assert report["theta"].where == (3,) and report["theta"].verdict == "inconclusive"
        assert report["theta"].allowance > RESOLUTION
    big_flip = grad.copy()
    big_flip[0] = -big_flip[0]                          # a flipped entry that is large is seen: WRONG
    report = check_gradients(J, params, {"theta": big_flip})
    assert report.status == "FAILED" and report["theta"].where == (0,) and report["theta"].verdict == "WRONG"


def test_the_advice_works_fewer_rows_make_the_same_check_decisive():
    J, params, grad = rows_problem(slice(0, 200))
    assert check_gradients(J, params, {"theta": grad}).passed
    flipped = grad.copy()
    flipped[3] = -flipped[3]
    report = check_gradients(J, params, {"theta": flipped})
    assert report["theta"].verdict == "WRONG" and report["theta"].where == (3,)


# ------------------------------------------------------------------ mistakes at many loss scales

@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("mistake", MISTAKES)
def test_wrong_gradients_fail_at_every_loss_scale(mistake, scale):
    f, params, grad = quadratic(scale)
    report = check_gradients(f, params, {"W": MISTAKES[mistake](grad)})
    assert not report.passed and report.status == "FAILED" and report["W"].verdict == "WRONG", str(report)
    wrong = MISTAKES[mistake](grad)
    assert report["W"].rel_error == pytest.approx(relative_error(wrong, grad).max(), rel=1e-5)
    if mistake.startswith("one entry"):
        assert np.ravel_multi_index(report["W"].where, grad.shape) == (5 if "flipped" in mistake else 7)
        assert dict(report["W"].counts) == {"WRONG": 1, "ok": grad.size - 1}


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("offset", [1e6, 1e12])
@pytest.mark.parametrize("mistake", MISTAKES)
def test_wrong_gradients_under_a_large_constant_never_pass(mistake, offset, scale):
    f, params, grad = quadratic(scale, offset * scale)
    report = check_gradients(f, params, {"W": MISTAKES[mistake](grad)})
    assert not report.passed and report.status in ("FAILED", "INCONCLUSIVE"), str(report)
    if report.status == "INCONCLUSIVE":
        assert report["W"].allowance >= RESOLUTION


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("offset", [0.0, 1e6, 1e12])
def test_right_gradients_never_fail(offset, scale):
    f, params, grad = quadratic(scale, offset * scale)
    report = check_gradients(f, params, {"W": grad})
    assert report.status != "FAILED", str(report)
    assert report.passed or (offset and report["W"].allowance >= RESOLUTION)
    assert report.passed or offset


def test_one_wrong_entry_hidden_among_large_ones():
    """Entries near 100 and one of 1e-2 whose sign is wrong: seen at J ≈ 1e3, and named."""
    W = np.full((4, 5), 10.0)
    W[2, 3] = 1e-3
    params = {"W": W}
    grad = 10 * W
    wrong = grad.copy()
    wrong[2, 3] = -wrong[2, 3]
    report = check_gradients(lambda: 5 * float(np.sum(params["W"] ** 2)), params, {"W": wrong})
    assert report["W"].verdict == "WRONG" and report["W"].where == (2, 3)
    assert report["W"].describe().startswith("W[2, 3]: analytic -0.01 vs numeric 0.00999")
    # a constant of 1e9 buries that entry in rounding: inconclusive, still not passed
    report = check_gradients(lambda: 1e9 + 5 * float(np.sum(params["W"] ** 2)), params, {"W": wrong})
    assert report["W"].verdict == "inconclusive" and report["W"].where == (2, 3) and not report.passed


@settings(max_examples=60, deadline=None)
@given(scale=st.sampled_from(SCALES), offset=st.sampled_from([0.0, 1.0, 1e4, 1e8, 1e14]),
       factor=st.one_of(st.floats(-3, 1 - 2 * WRONG), st.floats(1 + 2 * WRONG, 3)),
       entry=st.integers(0, 11), seed=st.integers(0, 5))
def test_no_entry_off_by_more_than_the_bug_line_ever_passes(scale, offset, factor, entry, seed):
    f, params, grad = quadratic(scale, offset * scale, seed=seed)
    wrong = grad.copy()
    wrong.flat[entry] *= factor
    report = check_gradients(f, params, {"W": wrong})
    assert not report.passed, str(report)
    assert report.status == "FAILED" or report["W"].allowance >= RESOLUTION


# ------------------------------------------------------------------ kinks

@pytest.mark.parametrize("J, theta, slopes", [
    (lambda w: max(w, 0.0), 3e-7, (1.0, 0.3)),              # relu, kink at 0 within ε
    (lambda w: abs(w), 2e-7, (1.0, -0.6)),                 # |w|
    (lambda w: max(w, 0.5), 0.5 + 4e-7, (1.0, 0.4)),       # max with a constant
])
def test_a_kink_is_suspicious_with_its_explanation(J, theta, slopes):
    w = np.array([theta])
    report = check_gradients(lambda: float(J(w[0])), {"w": w}, {"w": np.array([1.0])})
    check = report["w"]
    assert check.verdict == "suspicious" and check.reason == "kink" and not report.passed
    assert check.slopes == pytest.approx(slopes, rel=1e-6, abs=1e-9)
    assert check.rel_error > WRONG                          # far outside the band, but a kink explains it
    assert ("the one-sided slopes differ, (J(θ+ε) − J(θ))/ε = 1 and (J(θ) − J(θ−ε))/ε = "
            f"{slopes[1]:.6g}, and the analytic value lies between them: J has a kink") in check.describe()
    assert check_gradients(lambda: float(J(w[0])), {"w": w}, {"w": np.array([1.0])}, threshold=1.0).passed


def test_a_kink_does_not_excuse_a_gradient_outside_the_one_sided_slopes():
    w = np.array([3e-7])
    report = check_gradients(lambda: max(float(w[0]), 0.0), {"w": w}, {"w": np.array([-1.0])})
    assert report["w"].verdict == "WRONG"


def test_relu_network_at_a_kink_in_the_engine():
    import backproplib as bp
    x = bp.Var(np.array([0.0, 1.0, -2.0]))
    report = check_gradients(lambda: bp.relu(x).sum(), {"x": x})
    assert report["x"].verdict == "suspicious" and report["x"].where == (0,) and report["x"].reason == "kink"


# ------------------------------------------------------------------ the report

def test_agreement_within_rounding_shows_its_plain_error_and_allowance():
    """Notebook 06's case: −3.443176e−05 against −3.443185e−05 is ok, and the table says why."""
    w = np.array([0.3])
    slope = -3.443185e-05
    report = check_gradients(lambda: 0.8 + slope * float(w[0]), {"w": w}, {"w": np.array([-3.443176e-05])})
    check = report["w"]
    assert report.passed and check.verdict == "ok" and check.reason == "noise"
    assert check.rel_error == pytest.approx(2.6e-6, rel=0.05) and FINE < check.rel_error < check.allowance
    assert check.allowance < RESOLUTION
    lines = str(report).splitlines()
    assert lines[0] == ("gradient check (central differences, ε = 1e-06; pass: relative error < 1e-07, or "
                        "within a rounding allowance < 1e-04): PASSED")
    assert lines[1].split() == ["parameter", "shape", "worst", "entry", "analytic", "numeric", "rel.", "error",
                                "allowance", "verdict"]
    assert lines[2].split()[-3:] == [f"{check.rel_error:.2e}", f"{check.allowance:.1e}", "ok"]
    assert "is within the" in lines[3] and "as closely as this check can see" in lines[3]
    html = report._repr_html_()
    assert "<th>rel. error</th><th>allowance</th>" in html and f"<td>{check.rel_error:.2e}</td>" in html


def test_exact_zeros_are_judged_against_the_largest_derivative():
    x, unused = np.array([1.5]), np.zeros(2)
    params = {"x": x, "unused": unused}
    report = check_gradients(lambda: float(x[0] ** 2), params, {"x": 2 * x, "unused": np.zeros(2)})
    assert report.passed and report["unused"].verdict == "ok"
    report = check_gradients(lambda: 1e10 + 1e-3 * float(unused[0]), {"unused": unused},
                             {"unused": np.zeros(2)})   # a forgotten term too small to move J at all
    assert report["unused"].verdict == "inconclusive" and not report.passed


def test_html_colours_each_verdict():
    t = np.ones(2)
    report = check_gradients(lambda: float(1e10 + t.sum()), {"t": t}, analytic={"t": -np.ones(2)})
    assert 'style="color:#0969da;font-weight:bold">inconclusive' in report._repr_html_()
    assert "<li>t[0]: analytic -1" in report._repr_html_()
