"""Expected numbers for the widgets, computed here from closed forms or from the library's
training loop directly (not through the widgets), to compare with what the browser shows."""
import math

import numpy as np

import backproplib as bp
from backproplib import data, models, training


def lecture_J(x):
    """J = cos(sin(x²) + 3x²) and its closed-form derivative (the lecture's simple example)."""
    inner = math.sin(x * x) + 3 * x * x
    return math.cos(inner), -math.sin(inner) * (2 * x * math.cos(x * x) + 6 * x)


def tangent_lecture_J(x):
    """What TangentExplorer prints for the lecture's J at x."""
    J, dJ = lecture_J(x)
    return {"x": x, "J(x)": J, "dJ/dx": dJ, "finite difference": dJ}


def chain_rule_sin_of_square(x):
    """What ChainRuleExplorer(h = x², g = sin) prints at x: u = x², y = sin u and the local slopes."""
    u = x * x
    return {"x": x, "u": u, "y": math.sin(u), "du/dx": 2 * x, "dy/du": math.cos(u),
            "(dy/du)(du/dx)": math.cos(u) * 2 * x, "finite difference": math.cos(u) * 2 * x}


def lecture_graph():
    """The lecture's graph for J at x = 2, named as notebooks 03 and 07 name it."""
    x = bp.Var(2.0, name="x")
    t = (x**2).named("t")
    u = (bp.sin(t).named("u1") + (3 * t).named("u2")).named("u")
    return bp.cos(u).named("J")


def lecture_final():
    """What the lecture graph's stepper shows at its last step: dJ/dx by the closed form, and the seed."""
    return {"dJ/dx": lecture_J(2.0)[1], "dJ/dJ": 1.0}


def module_graph_05():
    """Notebook 05's network as a module-level graph: OneHiddenLayerNet(2, 3, seed 0, scale 1) at x = (1, −0.5), y* = 1."""
    from backproplib import module_graph
    net = bp.OneHiddenLayerNet(2, 3, seed=0, scale=1.0)
    return module_graph.network_graph(net, np.array([1.0, -0.5]), 1.0).J


def module_graph_06():
    """Notebook 06's network as a module-level graph: TwoHiddenLayerNet(2, 4, 3, seed 0, scale 1) at x = (0.5, −1), y* = 1."""
    from backproplib import module_graph
    net = bp.TwoHiddenLayerNet(2, 4, 3, seed=0, scale=1.0)
    return module_graph.network_graph(net, np.array([0.5, -1.0]), 1.0).J


def output_error_final(net_args, x):
    """The last step's dJ/db = ŷ − y* (y* = 1) for a sigmoid output, from the closed form σ(b) − 1 of NNFORWARD's b."""
    def final():
        net = (bp.OneHiddenLayerNet if len(net_args) == 2 else bp.TwoHiddenLayerNet)(*net_args, seed=0, scale=1.0)
        b = float(net.forward(np.array(x), 1.0).b)
        return {"dJ/dJ": 1.0, "dJ/db": 1.0 / (1.0 + math.exp(-b)) - 1.0}
    return final


def blobs_split(seed=0):
    """Notebook 04's data: make_blobs(n=160, noise=1.0, classes=2) split with the same seed."""
    X, y = data.make_blobs(n=160, noise=1.0, classes=2, seed=seed)
    return data.train_test_split(X, y, seed=seed)


def logistic(theta, X, y):
    """Mean cross-entropy of σ(θ₀ + θ₁x₁ + θ₂x₂), its gradient and the error rate, in plain NumPy."""
    theta = np.asarray(theta, dtype=np.float64)
    a = theta[0] + X @ theta[1:]
    p = 0.5 * (1 + np.tanh(a / 2))                                   # σ(a), without overflow
    J = np.mean(np.logaddexp(0.0, a) - y * a)
    residual = (p - y) / len(y)
    gradient = np.concatenate([[residual.sum()], X.T @ residual])
    return {"J": J, "gradient": gradient, "error": np.mean((a > 0) != (y == 1))}


def sgd_logistic(split, theta, lr, epochs):
    """The last epoch's record of Algorithm 1 for logistic regression started at θ, and the final θ."""
    model = models.LogisticRegression(2)
    model.params["theta"][...] = theta
    history = training.sgd(model, split.X_train, split.y_train, split.X_test, split.y_test,
                           epochs=epochs, lr=lr)
    return history[-1], model.params["theta"].copy()


def sgd_network(dataset, hidden_layers, units, init_scale, lr, epochs, n=200, seed=0):
    """The last epoch's record of Algorithm 1 for the network a TrainingPanel with these controls builds."""
    split = data.load_dataset(dataset, n=n, seed=seed)
    if hidden_layers == 1:
        model = models.OneHiddenLayerNet(2, units, seed=seed, scale=init_scale)
    else:
        model = models.TwoHiddenLayerNet(2, units, units, seed=seed, scale=init_scale)
    history = training.sgd(model, split.X_train, split.y_train, split.X_test, split.y_test, epochs=epochs, lr=lr)
    return history[-1]


def layout_derivative(kind, layout, eps=1e-6):
    """The matrix LayoutToggle shows for `kind` in `layout`, by central differences of the widget's own
    function (D[i, j] = ∂y_j/∂x_i, denominator layout; numerator layout is its transpose)."""
    from backproplib.layout_toggle import DERIVATIVES
    d = DERIVATIVES[kind]
    x0 = np.atleast_1d(np.asarray(d.x0, dtype=float))
    rows = []
    for i in range(x0.size):
        step = np.zeros_like(x0)
        step[i] = eps
        up, down = (x0 + step, x0 - step) if np.ndim(d.x0) else (float(x0[0] + eps), float(x0[0] - eps))
        rows.append(np.atleast_1d((d.f(up) - d.f(down)) / (2 * eps)))
    D = np.array(rows)
    return D if layout == "denominator" else D.T
