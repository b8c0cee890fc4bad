"""Exercise set 05: logistic-regression gradients, for one example and a batch, and one SGD step."""
import numpy as np

from .. import functional as F
from .verdict import call, checker, compare

SEED, M, LABELS = 5, 3, (1.0, 0.0, 0.0, 1.0, 1.0)     # the test data: one example per label, M features
LEARNING_RATE = 0.5

LOG_LIKELIHOOD_SIGN = ("wrong sign — this is the gradient of the slides' log-likelihood "
                       "y* log y + (1 − y*) log(1 − y); we minimise its negative, the cross-entropy, "
                       "so dJ/db = y − y*")


def logistic_data():
    """θ of shape (M+1,), examples x with x_0 = 1 of shape (N, M+1), labels y* of shape (N,)."""
    rng = np.random.default_rng(SEED)
    X = np.hstack([np.ones((len(LABELS), 1)), rng.normal(size=(len(LABELS), M))])
    return rng.normal(size=M + 1), X, np.array(LABELS)


def _mistakes(theta, x, y_star, g):
    """Typical wrong dJ/dθ for one example (or a batch mean), given the right one g."""
    y = F.sigmoid(x @ theta)
    d = y * (1 - y)
    n = max(np.size(y), 1)
    return [
        (-g, LOG_LIKELIHOOD_SIGN + " and dJ/dθ_j = (y − y*) x_j"),
        (np.tensordot((y - y_star) * d, x, axes=np.ndim(y)) / n,
         "multiplied by σ′(a) = y(1 − y) again: dJ/da = y − y* already includes it"),
        (np.tensordot((y - y_star) / d, x, axes=np.ndim(y)) / n,
         "forgot σ′(a): dJ/da = dJ/dy · dy/da, and dy/da = y(1 − y)"),
        (np.tensordot(x @ theta - y_star, x, axes=np.ndim(y)) / n,
         "used a = θᵀx where the prediction y = σ(a) belongs"),
        (np.tensordot(y, x, axes=np.ndim(y)) / n, "the label y* is missing: dJ/da = y − y*"),
    ]


@checker("dJ/dθ for one example")
def check_logistic_gradient(grad_theta):
    """grad_theta(theta, x, y_star) -> dJ/dθ = (σ(θᵀx) − y*) x for one example (J = cross-entropy)."""
    theta, X, Y = logistic_data()
    for i, (x, y_star) in enumerate(zip(X, Y)):
        g = (F.sigmoid(x @ theta) - y_star) * x
        compare(f"grad_theta for example {i} (y* = {y_star:g})", call(grad_theta, theta.copy(), x.copy(), y_star),
                g, _mistakes(theta, x, y_star, g))
    return f"dJ/dθ = (y − y*) x for all {len(Y)} examples."


@checker("dJ/dθ for a batch")
def check_logistic_batch_gradient(grad_theta_batch):
    """grad_theta_batch(theta, X, y_star) -> mean gradient Xᵀ(σ(Xθ) − y*) / N."""
    theta, X, Y = logistic_data()
    n = len(Y)
    g = X.T @ (F.sigmoid(X @ theta) - Y) / n
    compare("grad_theta_batch", call(grad_theta_batch, theta.copy(), X.copy(), Y.copy()), g,
            [(n * g, f"summed over the N = {n} examples instead of averaging: J is the *mean* "
                     "cross-entropy, so its gradient carries a factor 1/N")]
            + _mistakes(theta, X, Y, g))
    return f"the mean gradient Xᵀ(y − y*)/N is right for N = {n} examples."


@checker("one SGD step")
def check_logistic_sgd_step(sgd_step):
    """sgd_step(theta, x, y_star, lr) -> θ − γ (y − y*) x (Algorithm 1, one update)."""
    theta, X, Y = logistic_data()
    lr = LEARNING_RATE
    for i, (x, y_star) in enumerate(zip(X, Y)):
        g = (F.sigmoid(x @ theta) - y_star) * x
        compare(f"sgd_step for example {i}", call(sgd_step, theta.copy(), x.copy(), y_star, lr),
                theta - lr * g, [
                    (theta + lr * g, "moved uphill: the update is θ ← θ − γ·g (minus: we minimise J)"),
                    (theta - g, "forgot the learning rate γ: θ ← θ − γ·g"),
                    (-lr * g, "returned the step −γ·g; return the updated parameters θ − γ·g"),
                    (theta - lr * _mistakes(theta, x, y_star, g)[2][0],
                     "the gradient inside the step forgot σ′(a) = y(1 − y)"),
                ])
    return "θ ← θ − γ (y − y*) x is right for every example."
