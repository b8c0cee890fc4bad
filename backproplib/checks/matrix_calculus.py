"""Exercise set 10: gradients of squared errors in denominator layout, and the chain rule for Jacobians."""
from types import SimpleNamespace

import numpy as np

from .verdict import DENOMINATOR, call, checker, compare

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
