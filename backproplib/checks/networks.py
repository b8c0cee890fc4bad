"""Exercise sets 07 and 08: NNBACKWARD for one hidden layer, one step of Algorithm 1, and two hidden layers."""
import copy

import numpy as np

from .. import models
from .logistic import LOG_LIKELIHOOD_SIGN
from .verdict import DENOMINATOR, call, checker, compare, compare_rows, pair

ONE_HIDDEN = dict(seed=7, m=4, d=3, labels=(1.0, 0.0, 1.0))         # the 07 test network and examples
TWO_HIDDEN = dict(seed=8, m=4, d1=3, d2=2, labels=(1.0, 0.0))       # the 08 test network and examples
LEARNING_RATE = 0.5


# ------------------------------------------------------------- 07 NNBACKWARD, 1 hidden layer

def one_hidden(x_raw, y_star, alpha, beta):
    """NNFORWARD by the package's model: o.x and o.z include x_0 = 1 and z_0 = 1."""
    return models.nn_forward(x_raw, y_star, {"alpha": alpha, "beta": beta})


def nn_backward(o, y_star, beta, forgot_hidden=False, output_prime=False):
    """(g_alpha, g_beta) by the lecture's backward table; flags give two typical mistakes."""
    g_b = o.y_hat - y_star
    if output_prime:                                  # dJ/dy without multiplying by dy/db
        g_b = g_b / (o.y_hat * (1 - o.y_hat))
    g_z = g_b * beta[1:]
    h = o.z[1:]
    g_a = g_z if forgot_hidden else g_z * h * (1 - h)
    return np.outer(g_a, o.x), g_b * o.z


def nn_data(seed, m, d, labels):
    """Raw inputs (N, M) without x_0, labels, α of shape (D, M+1) and β of shape (D+1,)."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(len(labels), m)), np.array(labels), rng.normal(size=(d, m + 1)), rng.normal(size=d + 1)


@checker("NNBACKWARD")
def check_nn_backward(nn_backward_fn):
    """nn_backward(x, y_star, alpha, beta, o) -> (g_alpha, g_beta) for the 1-hidden-layer net (x = o.x, with x_0 = 1)."""
    X, Y, alpha, beta = nn_data(**ONE_HIDDEN)
    for i, (x_raw, y_star) in enumerate(zip(X, Y)):
        o = one_hidden(x_raw, y_star, alpha, beta)
        x = o.x
        g_alpha, g_beta = nn_backward(o, y_star, beta)
        got_alpha, got_beta = pair("nn_backward", call(nn_backward_fn, x.copy(), y_star, alpha.copy(), beta.copy(),
                                                       copy.deepcopy(o)), ("g_alpha", "g_beta"))
        compare(f"g_beta for example {i}", got_beta, g_beta, [
            (-g_beta, LOG_LIKELIHOOD_SIGN),
            (nn_backward(o, y_star, beta, output_prime=True)[1],
             "forgot σ′ at the output: dJ/db = dJ/dy · y(1 − y) = y − y*"),
            (g_beta[1:], "left out β_0: z_0 = 1 has a weight too, and dJ/dβ_0 = dJ/db · z_0 = dJ/db"),
        ])
        compare(f"g_alpha for example {i}", got_alpha, g_alpha, [
            (nn_backward(o, y_star, beta, forgot_hidden=True)[0],
             "forgot σ′ at the hidden layer: dJ/da_j = dJ/dz_j · z_j(1 − z_j)"),
            (np.outer((o.y_hat - y_star) * beta * o.z * (1 - o.z), x),
             "kept the bias unit: z_0 = 1 is a constant with no incoming weights, so only "
             "β_1..β_D carry the gradient back to α (drop β_0)"),
            (g_alpha.T, f"transposed — {DENOMINATOR}: dJ/dα has the shape of α, (D, M+1)"),
            (-g_alpha, LOG_LIKELIHOOD_SIGN),
            (np.outer((o.y_hat - y_star) * beta[1:] * o.a * (1 - o.a), x),
             "used a(1 − a); σ′(a) = z(1 − z) uses the sigmoid's output z"),
        ], hint="follow the backward column: dJ/db, then dJ/dz_j = dJ/db · β_j, dJ/da_j, dJ/dα_ji.")
    return f"NNBACKWARD gives the right g_alpha and g_beta for all {len(Y)} examples."


@checker("one step of Algorithm 1")
def check_nn_sgd_step(sgd_step):
    """sgd_step(x, y_star, alpha, beta, lr) -> (alpha_new, beta_new), lines 6–11 of Algorithm 1 (x: raw features)."""
    X, Y, alpha, beta = nn_data(**ONE_HIDDEN)
    lr = LEARNING_RATE
    late = ("used β after the update: compute g_α and g_β from the same forward pass "
            "(Algorithm 1, line 8) and only then update both parameters (lines 10–11)")
    for i, (x_raw, y_star) in enumerate(zip(X, Y)):
        o = one_hidden(x_raw, y_star, alpha, beta)
        g_alpha, g_beta = nn_backward(o, y_star, beta)
        beta_new = beta - lr * g_beta
        got = pair("sgd_step", call(sgd_step, x_raw.copy(), y_star, alpha.copy(), beta.copy(), lr),
                   ("alpha_new", "beta_new"))
        compare(f"beta_new for example {i}", got[1], beta_new, [
            (beta + lr * g_beta, "moved uphill: β ← β − γ·g_β"),
            (beta - g_beta, "forgot the learning rate γ"),
        ])
        compare(f"alpha_new for example {i}", got[0], alpha - lr * g_alpha, [
            (alpha - lr * nn_backward(o, y_star, beta_new)[0], late),
            (alpha - lr * nn_backward(one_hidden(x_raw, y_star, alpha, beta_new), y_star, beta_new)[0], late),
            (alpha + lr * g_alpha, "moved uphill: α ← α − γ·g_α"),
            (alpha - g_alpha, "forgot the learning rate γ"),
        ])
    return "one SGD step updates α and β from gradients computed before either changes."


# ------------------------------------------------------------- 08 two hidden layers

def two_hidden_data(seed, m, d1, d2, labels):
    """Raw inputs (N, M), labels, and the parameters of a net with hidden layers of sizes d1 and d2."""
    rng = np.random.default_rng(seed)
    params = {"alpha1": rng.normal(size=(m, d1)), "b1": rng.normal(size=d1),
              "alpha2": rng.normal(size=(d1, d2)), "b2": rng.normal(size=d2),
              "beta": rng.normal(size=d2), "beta0": float(rng.normal())}
    return rng.normal(size=(len(labels), m)), np.array(labels), params


def two_hidden_rows(o, y_star, p):
    """Expected gradients, in backward order, each with its typical wrong versions."""
    g_b = o.y_hat - y_star
    g_z2 = g_b * p["beta"]
    g_a2 = g_z2 * o.z2 * (1 - o.z2)
    g_z1 = p["alpha2"] @ g_a2
    g_a1 = g_z1 * o.z1 * (1 - o.z1)
    skip2 = p["alpha2"] @ g_z2 * o.z1 * (1 - o.z1)       # σ′ forgotten at layer 2
    skip1 = g_z1                                         # σ′ forgotten at layer 1
    sigma_of_a = "used a(1 − a); σ′(a) = z(1 − z) uses the sigmoid's output z"
    return [
        ("beta0", g_b, [(-g_b, LOG_LIKELIHOOD_SIGN),
                        (g_b / (o.y_hat * (1 - o.y_hat)), "forgot σ′ at the output: dJ/db = y − y*")]),
        ("beta", g_b * o.z2, [(-g_b * o.z2, LOG_LIKELIHOOD_SIGN)]),
        ("b2", g_a2, [(g_z2, "forgot σ′ at layer 2: dJ/da2 = dJ/dz2 · z2(1 − z2)"),
                      (g_z2 * o.a2 * (1 - o.a2), sigma_of_a)]),
        ("alpha2", np.outer(o.z1, g_a2), [
            (np.outer(g_a2, o.z1), "transposed — the slides write z2 = σ(α2ᵀ z1 + b2), so α2 has "
                                   "shape (D1, D2) and dJ/dα2 = z1 (dJ/da2)ᵀ, an outer product of that shape"),
            (np.outer(o.z1, g_z2), "forgot σ′ at layer 2: dJ/da2 = dJ/dz2 · z2(1 − z2)")]),
        ("b1", g_a1, [(skip1, "forgot σ′ at layer 1: dJ/da1 = dJ/dz1 · z1(1 − z1)"),
                      (skip2, "forgot σ′ at layer 2 on the way down to layer 1"),
                      (g_z1 * o.a1 * (1 - o.a1), sigma_of_a)]),
        ("alpha1", np.outer(o.x, g_a1), [
            (np.outer(g_a1, o.x), "transposed — the slides write z1 = σ(α1ᵀ x + b1), so α1 has "
                                  "shape (M, D1) and dJ/dα1 = x (dJ/da1)ᵀ"),
            (np.outer(o.x, skip1), "forgot σ′ at layer 1: dJ/da1 = dJ/dz1 · z1(1 − z1)")]),
    ]


@checker("backward through two hidden layers")
def check_two_hidden_backward(backward_2hidden):
    """backward_2hidden(x, y_star, params, o) -> dict of gradients with the keys and shapes of params."""
    X, Y, params = two_hidden_data(**TWO_HIDDEN)
    for i, (x, y_star) in enumerate(zip(X, Y)):
        o = models.nn_forward(x, y_star, params)
        copies = {k: np.copy(v) if np.ndim(v) else v for k, v in params.items()}
        compare_rows(f"backward_2hidden for example {i}",
                     call(backward_2hidden, x.copy(), y_star, copies, copy.deepcopy(o)),
                     two_hidden_rows(o, y_star, params),
                     "Fix this one first: the gradients checked after it (lower layers) reuse it.",
                     entry="the gradient {key!r} for example %d" % i)
    examples = "both examples" if len(Y) == 2 else f"all {len(Y)} examples"
    return f"all six gradients (β0, β, b2, α2, b1, α1) are right for {examples}."
