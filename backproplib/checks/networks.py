"""Exercise sets 07 and 08: NNFORWARD and NNBACKWARD for one hidden layer, one step and one epoch of
Algorithm 1, and two hidden layers."""
import copy

import numpy as np

from .. import data, models, training
from .. import functional as F
from .logistic import LOG_LIKELIHOOD_SIGN
from .verdict import DENOMINATOR, Raised, call, checker, compare, compare_rows, pair

SOFTMAX_NET = dict(seed=11, m=3, d=4, k=3, labels=(2, 0))           # the 07 NNFORWARD network: α is square
ONE_HIDDEN = dict(seed=7, m=4, d=3, labels=(1.0, 0.0, 1.0))         # the 07 test network and examples
EPOCH = dict(seed=12, n_train=12, n_test=8, d=3)                    # the 07 one-epoch data set and network
TWO_HIDDEN = dict(seed=8, m=4, d1=3, d2=2, labels=(1.0, 0.0))       # the 08 test network and examples
LEARNING_RATE = 0.5


# ------------------------------------------------------------- 07 NNFORWARD, K classes

def softmax_net(seed, m, d, k, labels):
    """Raw inputs (N, M), one-hot labels (N, K), α of shape (D, M+1) and β of shape (K, D+1)."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(len(labels), m)), np.eye(k)[list(labels)], rng.normal(size=(d, m + 1)),
            rng.normal(size=(k, d + 1)))


def nn_forward_rows(x_raw, y, alpha, beta):
    """The record of NNFORWARD by the package's model, row by row, each with its typical slips."""
    o = models.nn_forward(x_raw, int(np.argmax(y)), {"alpha": alpha, "beta": beta})
    h = F.sigmoid(o.a)
    no_bias = ("forgot {0}: NNFORWARD puts the bias unit {0} in front of {1}, and the first column of {2} "
               "is its weight")
    return [
        ("x", o.x, [(x_raw, no_bias.format("x₀ = 1", "the features", "α"))]),
        ("a", o.a, [(alpha[:, 1:] @ x_raw, no_bias.format("x₀ = 1", "the features", "α")),
                    (alpha.T @ o.x, "α transposed: a_j = Σ_i α_ji x_i, so a = α x with α of shape (D, M+1); "
                                    "αᵀ x is the 2-hidden-layer slide's convention, not Case 2's")]),
        ("z", o.z, [(h, no_bias.format("z₀ = 1", "the hidden units", "β")),
                    (np.concatenate(([1.0], o.a)), "forgot σ: z_j = σ(a_j)")]),
        ("b", o.b, [(beta[:, 1:] @ h, no_bias.format("z₀ = 1", "the hidden units", "β"))]),
        ("y_hat", o.y_hat, [(F.sigmoid(o.b), "applied σ to each b_k: with K classes the output is "
                                             "ŷ = softmax(b), whose entries sum to 1"),
                            (o.b, "forgot the softmax: ŷ = softmax(b)")]),
        ("J", o.J, [(-o.J, "wrong sign — that is the log-likelihood Σ_k y_k log ŷ_k; the cross-entropy "
                           "we minimise is its negative, J = −Σ_k y_k log ŷ_k"),
                    (-np.sum(np.log(o.y_hat)), "summed log ŷ_k over every class: only the true class "
                                               "counts, J = −Σ_k y_k log ŷ_k")]),
    ]


@checker("NNFORWARD with a softmax output")
def check_nn_forward(nn_forward_softmax):
    """nn_forward_softmax(x, y, alpha, beta) -> {"x", "a", "z", "b", "y_hat", "J"} for Case 2 with K classes."""
    X, Y, alpha, beta = softmax_net(**SOFTMAX_NET)
    for i, (x_raw, y) in enumerate(zip(X, Y)):
        try:
            got = call(nn_forward_softmax, x_raw.copy(), y.copy(), alpha.copy(), beta.copy())
        except Raised as raised:
            if "mismatch" not in str(raised) and "shapes" not in str(raised):
                raise
            raise Raised(f"{raised}\n  Hint: α is (D, M+1) and β is (K, D+1): put x₀ = 1 in front of x and "
                         "z₀ = 1 in front of σ(a) before multiplying") from None
        compare_rows(f"nn_forward_softmax for example {i}", got, nn_forward_rows(x_raw, y, alpha, beta),
                     "Fix this row first: every row below it is computed from it.")
    return f"NNFORWARD gives x, a, z, b, ŷ and J for all {len(Y)} examples."


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


def epoch_data(seed, n_train, n_test, d):
    """XOR training and test sets, and α (D, 3), β (D+1,) drawn from `seed`."""
    X, y = data.make_xor(n=n_train, noise=0.3, seed=seed)
    X_test, y_test = data.make_xor(n=n_test, noise=0.3, seed=seed + 1)
    rng = np.random.default_rng(seed)
    return (X, y.astype(np.float64), X_test, y_test.astype(np.float64), rng.normal(size=(d, 3)),
            rng.normal(size=d + 1))


def mean_J(X, y, alpha, beta):
    """The mean cross-entropy J_D of a data set (Algorithm 1, lines 12–13)."""
    return float(models.nn_forward(X, y, {"alpha": alpha, "beta": beta}).J)


def epoch_slips(X, y, alpha, beta, lr):
    """(parameters, cause) for the typical wrong epochs of Algorithm 1, each run on the same data."""
    def run(sign=1.0, late=False):
        a, b = alpha.copy(), beta.copy()
        seen, before_last = [], None
        for x_i, y_i in zip(X, y):
            before_last = a.copy(), b.copy()
            o = one_hidden(x_i, y_i, a, b)
            seen.append(o.J)
            g_alpha, g_beta = nn_backward(o, y_i, b)
            b = b - sign * lr * g_beta
            if late:
                g_alpha = nn_backward(o, y_i, b)[0]
            a = a - sign * lr * g_alpha
        return (a, b), before_last, float(np.mean(seen))
    grads = [nn_backward(one_hidden(x_i, y_i, alpha, beta), y_i, beta) for x_i, y_i in zip(X, y)]
    batch = (alpha - lr * np.mean([g for g, _ in grads], axis=0), beta - lr * np.mean([g for _, g in grads], axis=0))
    right, before_last, running = run()
    g_last = nn_backward(one_hidden(X[-1], y[-1], alpha, beta), y[-1], beta)
    return right, running, [
        (run(sign=-1.0)[0], "moved uphill: each step is α ← α − γ·g_α, β ← β − γ·g_β"),
        (batch, "averaged the gradients over the whole epoch and updated once — that is batch gradient "
                "descent; Algorithm 1 updates α and β after every example (lines 4–11)"),
        (run(late=True)[0], "used β after its update to compute g_α of the same example: compute g_α and g_β "
                            "from one forward and backward pass (lines 6–8), then update both"),
        (before_last, "computed the mean cross-entropy before the epoch's last update: evaluate J_D "
                      "after the loop over the examples has finished (lines 12–13)"),
        ((alpha, beta), "evaluated the parameters from before the epoch: J_D is measured after the updates"),
        ((alpha - lr * g_last[0], beta - lr * g_last[1]),
         "every step started from the initial α and β, so only the last example's update survived: carry the "
         "updated parameters into the next step (alpha, beta = sgd_step(…))"),
    ]


@checker("one epoch of Algorithm 1")
def check_sgd_epoch(one_epoch):
    """one_epoch(X_train, y_train, X_test, y_test, alpha, beta, lr) -> (train_J, test_J) after one epoch of
    per-example SGD in data order; compared with `training.sgd` on the same network and data."""
    X, y, X_test, y_test, alpha, beta = epoch_data(**EPOCH)
    lr = LEARNING_RATE
    model = models.model_from_params({"alpha": alpha.copy(), "beta": beta.copy()})
    history = training.sgd(model, X, y, X_test, y_test, epochs=1, lr=lr)
    expected = history[0]["train_cross_entropy"], history[0]["test_cross_entropy"]
    got = pair("one_epoch", call(one_epoch, X.copy(), y.copy(), X_test.copy(), y_test.copy(), alpha.copy(),
                                 beta.copy(), lr), ("train_J", "test_J"))
    right, running, slips = epoch_slips(X, y, alpha, beta, lr)
    sets = (("train_J", X, y), ("test_J", X_test, y_test))
    for k, (name, Xs, ys) in enumerate(sets):
        mistakes = [(mean_J(Xs, ys, *params), cause) for params, cause in slips]
        if k == 0:
            mistakes.append((running, "averaged the J of each example's forward pass during the epoch, while "
                                      "the parameters were still changing: evaluate J_D once after the epoch"))
        mistakes.append((mean_J(*sets[1 - k][1:], *right), "train_J and test_J are swapped"))
        compare(name, got[k], expected[k], mistakes,
                hint="loop over the examples in order, one sgd_step each, then average J over each data set.")
    return (f"after one epoch J_train = {expected[0]:.4f} and J_test = {expected[1]:.4f}, as bp.sgd finds "
            "with the same settings.")


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
