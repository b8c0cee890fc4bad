"""Exercise set 01, the chain rule by hand: one path, then two paths summed."""
import math
from types import SimpleNamespace

import numpy as np

from .verdict import as_array, call, checker, compare, given

POINTS = np.array([-1.3, -0.6, 0.4, 0.9, 1.4])      # where df_dx is tried


@checker("df/dx of sin(x³)")
def check_chain_rule_1d(df_dx):
    """df_dx(x) for f(x) = sin(x³): the chain rule gives cos(x³) · 3x²."""
    x = POINTS
    got = [as_array("df_dx(x)", call(df_dx, float(v)), 0.0) for v in x]
    compare("df_dx(x)", got, 3 * x**2 * np.cos(x**3), [
        (np.cos(x**3), "forgot the inner derivative: the chain rule multiplies the outer derivative "
                       "cos(x³) by the inner one, d(x³)/dx = 3x²"),
        (np.cos(3 * x**2), "the inner derivative went *inside* cos; the chain rule multiplies "
                           "df/du · du/dx, it does not substitute du/dx into f′"),
        (-3 * x**2 * np.sin(x**3), "d sin(u)/du is cos(u), not −sin(u) (that is the derivative of cos)"),
        (-3 * x**2 * np.cos(x**3), "wrong sign: d sin(u)/du = +cos(u)"),
    ], at=lambda i: f"x = {x[i[0]]:g}")
    return f"df_dx(x) = cos(x³) · 3x² at all {x.size} test points."


def two_paths(x, z):
    """y = u1² + u1·u2 with u1 = x·z, u2 = sin(x): the local derivatives and both answers."""
    u1, u2 = x * z, math.sin(x)
    dy_du1, dy_du2 = 2 * u1 + u2, u1
    return SimpleNamespace(x=x, z=z, u1=u1, u2=u2, dy_du1=dy_du1, dy_du2=dy_du2,
                           dy_dx=dy_du1 * z + dy_du2 * math.cos(x), dy_dz=dy_du1 * x)


@checker("dy/dx and dy/dz on two paths")
def check_multivariate_chain_rule(dy_dx, dy_dz, *, x, z):
    """dy/dx and dy/dz at the exercise's x and z for y = u1² + u1·u2, u1 = x·z, u2 = sin(x)."""
    dy_dx, dy_dz = given(dy_dx=dy_dx, dy_dz=dy_dz)
    r = two_paths(float(x), float(z))
    one_path = "x is an input of both u1 = x·z and u2 = sin(x); the chain rule sums over both"
    swapped = "dy_dx and dy_dz are swapped"
    not_both = "dy/du1 is 2·u1 + u2, not 2·u1: u1 appears in both terms of y"
    compare("dy_dx", dy_dx, r.dy_dx, [
        (r.dy_dz, swapped),
        (r.dy_du1 * r.z, f"you kept only the path through u1 — {one_path}"),
        (r.dy_du2 * math.cos(r.x), f"you kept only the path through u2 — {one_path}"),
        (2 * r.u1 * r.z + r.dy_du2 * math.cos(r.x), not_both),
        (r.dy_du1 * r.z - r.dy_du2 * math.cos(r.x), "d sin(x)/dx = +cos(x)"),
    ], hint="write dy/du1, dy/du2, du1/dx, du2/dx separately, then sum the products.")
    compare("dy_dz", dy_dz, r.dy_dz, [
        (r.dy_dx, swapped),
        (2 * r.u1 * r.x, not_both),
        (r.dy_du1 * r.z, "du1/dz = x (u1 = x·z), not z"),
    ])
    return f"dy/dx = {r.dy_dx:.4f} and dy/dz = {r.dy_dz:.4f}: both paths from x are summed."
