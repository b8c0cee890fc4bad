"""Algorithm 1 of Lecture 13: stochastic gradient descent with backpropagation.

    for e in 1..E:
        for (x, y) in D:                      # in data order (optionally shuffled)
            o = NNFORWARD(x, y, α, β)
            g_α, g_β = NNBACKWARD(x, y, α, β, o)
            α ← α − γ g_α;  β ← β − γ g_β
        evaluate the mean cross-entropy on the training and the test data

The objective is the mean cross-entropy, the *negative* mean log-likelihood;
each step moves the parameters against its gradient.
"""
import math

import numpy as np

__all__ = ["sgd", "History"]

_KEYS = ("epoch", "train_cross_entropy", "test_cross_entropy", "train_error", "test_error")


class History(list):
    """One dict per finished epoch with the keys epoch, train_cross_entropy,
    test_cross_entropy, train_error and test_error (the test entries are None
    without a test set).  ``stopped_early`` is True if a callback ended training.
    """

    stopped_early = False

    def column(self, key):
        """The values of `key` over the epochs, as a float array (None becomes NaN)."""
        if key not in _KEYS:
            raise ValueError(f"History.column: key must be one of {_KEYS}, got {key!r}")
        return np.array([np.nan if row[key] is None else row[key] for row in self], dtype=np.float64)


def _evaluate(model, x, y):
    """(J, error rate) on prepared data from one batched forward pass."""
    o = model.forward_prepared(x, y)
    return float(o.J), float(np.mean(model.decide(o.y_hat) != y))


def _check_settings(epochs, lr, batch_size):
    if not (isinstance(epochs, (int, np.integer)) and epochs >= 0):
        raise ValueError(f"sgd: epochs must be a non-negative integer, got {epochs!r}")
    if not (isinstance(lr, (int, float, np.number)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"sgd: the learning rate γ must be a positive finite number, got {lr!r}")
    if not (isinstance(batch_size, (int, np.integer)) and batch_size >= 1):
        raise ValueError(f"sgd: batch_size must be a positive integer, got {batch_size!r}")


def sgd(model, X_train, y_train, X_test=None, y_test=None, epochs=10, lr=0.1, shuffle=False, seed=0,
        batch_size=1, callback=None):
    """Train `model` in place by Algorithm 1 and return the History of the epochs.

    batch_size=1 is Algorithm 1 exactly: one update per example, in data order
    (or in a fresh permutation each epoch from a generator seeded by `seed` if
    `shuffle`).  batch_size=B > 1 updates on the mean gradient of each run of
    B examples instead.  After every epoch the mean cross-entropy J_D and the
    error rate are recorded for the training data and, if given, the test
    data; then `callback(epoch, history)` is called, and training stops if it
    returns False.  Inputs are checked once here, never inside the loop.
    """
    _check_settings(epochs, lr, batch_size)
    model.set_params(model.params)
    X, y = model.prepare(X_train, y_train, "sgd (training data)")
    if X.ndim != 2:
        raise ValueError(f"sgd: training data must be a batch of shape (N, {model.M}), got {np.shape(X_train)}")
    test = None if X_test is None else model.prepare(X_test, y_test, "sgd (test data)")
    if test is not None and test[0].ndim != 2:
        raise ValueError(f"sgd: test data must be a batch of shape (N, {model.M}), got {np.shape(X_test)}")
    params = [model.params[n] for n in model.param_names]
    forward, backward = model.forward_prepared, model.backward_prepared
    rng = np.random.default_rng(seed)
    history = History()
    for epoch in range(1, epochs + 1):
        Xe, ye = X, y
        if shuffle:
            order = rng.permutation(len(y))
            Xe, ye = X[order], y[order]
        if batch_size == 1:
            batches = zip(Xe, ye)
        else:
            batches = ((Xe[s:s + batch_size], ye[s:s + batch_size]) for s in range(0, len(ye), batch_size))
        for x_i, y_i in batches:
            o = forward(x_i, y_i)                                 # o = NNFORWARD(x, y, α, β)
            for p, lr_g in zip(params, backward(x_i, y_i, o, lr)):  # γ g = NNBACKWARD(...) seeded with γ
                p -= lr_g                                         # α ← α − γ g_α, β ← β − γ g_β
        train_j, train_err = _evaluate(model, X, y)
        test_j, test_err = (None, None) if test is None else _evaluate(model, *test)
        history.append(dict(zip(_KEYS, (epoch, train_j, test_j, train_err, test_err))))
        if callback is not None and callback(epoch, history) is False:
            history.stopped_early = True
            break
    return history
