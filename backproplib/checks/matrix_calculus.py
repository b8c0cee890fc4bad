"""Exercise set 10: gradients of squared errors in denominator layout, the chain rule for Jacobians, the shapes
of derivatives, and the gradient of a quadratic form."""
from types import SimpleNamespace

import numpy as np

from .verdict import DENOMINATOR, Wrong, call, checker, compare, describe, given

SEED = 10


def matrix_data():
    rng = np.random.default_rng(SEED)
    return SimpleNamespace(A=rng.normal(size=(3, 2)), x=rng.normal(size=2), t=rng.normal(size=3),
                           W=rng.normal(size=(3, 2)), du_dx=rng.normal(size=(4, 3)), dy_du=rng.normal(size=(3, 2)))


@checker("∂‖Ax − t‖²/∂x")
def check_least_squares_gradient(grad_least_squares):
    """grad_least_squares(A, x, t) -> ∂‖Ax − t‖²/∂x = 2Aᵀ(Ax − t), a vector shaped like x."""
    d = matrix_data()
    r = d.A @ d.x - d.t
    compare("grad_least_squares(A, x, t)", call(grad_least_squares, d.A.copy(), d.x.copy(), d.t.copy()),
            2 * d.A.T @ r, [
                (d.A.T @ r, "off by a factor of 2: with r = Ax − t, ∂(rᵀr)/∂r = 2r"),
                (-2 * d.A.T @ r, "wrong sign: the residual is r = Ax − t, and ∂r/∂x = Aᵀ (denominator layout)"),
                (2 * d.A.T @ d.A @ d.x, "the target t is missing from the residual r = Ax − t"),
            ], hint="write r = Ax − t; then ∂J/∂x = (∂r/∂x)(∂J/∂r) with ∂r/∂x = Aᵀ and ∂J/∂r = 2r.")
    return "∂‖Ax − t‖²/∂x = 2Aᵀ(Ax − t): the chain rule through r = Ax − t, in denominator layout."


@checker("∂J/∂W")
def check_matrix_gradient(grad_W):
    """grad_W(W, x, t) -> ∂J/∂W for J = ½‖Wx − t‖²: (Wx − t) xᵀ, with the shape of W."""
    d = matrix_data()
    r = d.W @ d.x - d.t
    compare("grad_W(W, x, t)", call(grad_W, d.W.copy(), d.x.copy(), d.t.copy()), np.outer(r, d.x), [
        (np.outer(d.x, r), f"transposed: x rᵀ is the numerator-layout arrangement; {DENOMINATOR}, "
                           "so ∂J/∂W = r xᵀ is M × P like W"),
        (2 * np.outer(r, d.x), "off by a factor of 2: the ½ in J cancels the 2 from the square"),
        (r, "∂J/∂W needs one entry per weight: ∂J/∂W_mp = r_m x_p, an outer product"),
    ])
    return "∂J/∂W = (Wx − t) xᵀ, the outer product with the shape of W."


@checker("the chain rule in denominator layout")
def check_chain_rule_layout(chain_rule):
    """chain_rule(du_dx, dy_du) -> ∂y/∂x in denominator layout: (∂u/∂x)(∂y/∂u), of shape (P, N)."""
    d = matrix_data()
    expected = d.du_dx @ d.dy_du
    compare("chain_rule(du_dx, dy_du)", call(chain_rule, d.du_dx.copy(), d.dy_du.copy()), expected, [
        (expected.T, "that is the numerator-layout answer (∂y/∂u)(∂u/∂x) with numerator-layout "
                     "factors; in denominator layout the factors multiply in the other order, "
                     "∂y/∂x = (∂u/∂x)(∂y/∂u), of shape P × N"),
    ])
    return "∂y/∂x = (∂u/∂x)(∂y/∂u): in denominator layout the chain runs right to left from y."


# ------------------------------------------------------------- the shapes of derivatives

SHAPE_QUESTIONS = ("dJ/dx", "dJ/dW", "dy/dx", "dy/ds", "dW/ds", "dy/dW")     # "d<numerator>/d<denominator>"


def _shape_of(label, value):
    """A shape as a tuple of whole numbers; a single whole number k is the 1-D shape (k,)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value,)
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = value.tolist()
    if not isinstance(value, (tuple, list)) or not all(
            isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1 for n in value):
        raise Wrong(f"{label} should be a shape, a tuple of whole numbers such as (3, 2), or () for a scalar; "
                    f"got {describe(value)}")
    return tuple(int(n) for n in value)


def shape_slips(num, den):
    """(shape, cause) for the typical wrong shapes of ∂num/∂den, given the shapes of num and den."""
    return [(num + den, "numerator layout: the shape of the numerator first; in denominator layout (the "
                        "course's convention) the denominator's shape comes first"),
            (den[::-1] + num, "the dimensions of the denominator are swapped"),
            ((den + num)[::-1], "the dimensions are in reverse order")]


@checker("the shapes of derivatives")
def check_derivative_shapes(shapes, *, quantities):
    """shapes: {"dy/dx": shape, …} for SHAPE_QUESTIONS; quantities: {name: its shape}. Denominator layout:
    the shape of ∂y/∂x is the shape of x followed by the shape of y."""
    (shapes,) = given(shapes=shapes)
    if not isinstance(shapes, dict):
        raise Wrong(f"shapes should be a dict such as {{\"dJ/dx\": (3,), …}}; got {describe(shapes)}")
    missing = [q for q in SHAPE_QUESTIONS if q not in shapes]
    if missing:
        raise Wrong(f"shapes has no entry for {', '.join(repr(q) for q in missing)}")
    for question in SHAPE_QUESTIONS:
        num_name, den_name = question[1:].split("/d")
        num, den = tuple(quantities[num_name]), tuple(quantities[den_name])
        got, right = _shape_of(f"shapes[{question!r}]", shapes[question]), den + num
        if got != right:
            cause = next((c for s, c in shape_slips(num, den) if s == got and s != right), None)
            text = (f"shapes[{question!r}] is {got} but should be {right}: the shape of {den_name}, {den}, followed "
                    f"by the shape of {num_name}, {num}")
            raise Wrong(text + (f"\n  Likely cause: {cause}." if cause else ""))
    return f"all {len(SHAPE_QUESTIONS)} shapes are right: the denominator's shape first, then the numerator's."


# ------------------------------------------------------------- the gradient of a quadratic form

def quadratic_data():
    """Non-symmetric square matrices B and vectors x: where xᵀBx's gradient (B + Bᵀ)x differs from 2Bx."""
    rng = np.random.default_rng(SEED + 1)
    return [(rng.normal(size=(3, 3)), rng.normal(size=3)) for _ in range(2)] + [
        (np.array([[1.0, 4.0], [0.0, 2.0]]), np.array([1.0, -1.0]))]


@checker("∂(xᵀBx)/∂x")
def check_quadratic_form_gradient(grad_quadratic):
    """grad_quadratic(B, x) -> ∂(xᵀBx)/∂x = (B + Bᵀ)x, for non-symmetric B."""
    symmetric_only = "true only for a symmetric B; for any B, ∂(xᵀBx)/∂x = (B + Bᵀ)x"
    for i, (B, x) in enumerate(quadratic_data()):
        compare(f"grad_quadratic(B, x) for pair {i}", call(grad_quadratic, B.copy(), x.copy()), (B + B.T) @ x, [
            (2 * B @ x, f"2Bx is {symmetric_only}"),
            (2 * B.T @ x, f"2Bᵀx is {symmetric_only}"),
            (B @ x, "Bx is the derivative through the first x only (Bx held fixed); x appears twice in xᵀBx, "
                    "and the second x contributes Bᵀx"),
            (B.T @ x, "Bᵀx is the derivative through the second x only (xᵀB held fixed); the first x "
                      "contributes Bx"),
        ], hint="write xᵀBx = Σ_ij x_i B_ij x_j and differentiate with respect to x_k: both x_i and x_j can be x_k.")
    return "∂(xᵀBx)/∂x = (B + Bᵀ)x, right for non-symmetric B, where it differs from 2Bx."
