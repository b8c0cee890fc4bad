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

from .protocol import Trainable, missing_members

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


def _is_count(v, least):
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= least


def _check_settings(model, epochs, lr, batch_size, shuffle, seed, callback):
    missing = missing_members(model, Trainable.TRAINING)
    if missing:
        hint = "; for a dict of parameters pass bp.model_from_params(params)" if isinstance(model, dict) else ""
        raise TypeError(f"sgd: model must follow the training protocol backproplib.protocol.Trainable, as every "
                        f"model of backproplib.models does; got {type(model).__name__}, which lacks "
                        f"{', '.join(missing)}{hint}")
    if not _is_count(epochs, 0):
        raise ValueError(f"sgd: epochs must be a non-negative integer, got {epochs!r}")
    if isinstance(lr, bool) or not (isinstance(lr, (int, float, np.number)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"sgd: the learning rate γ must be a positive finite number, got {lr!r}")
    if not _is_count(batch_size, 1):
        raise ValueError(f"sgd: batch_size must be a positive integer, got {batch_size!r}")
    if not isinstance(shuffle, (bool, np.bool_)):
        raise ValueError(f"sgd: shuffle must be True or False, got {shuffle!r}")
    if seed is not None and not _is_count(seed, 0):
        raise ValueError(f"sgd: seed must be a non-negative integer (or None), got {seed!r}")
    if callback is not None and not callable(callback):
        raise ValueError(f"sgd: callback must be a function callback(epoch, history) or None, "
                         f"got {type(callback).__name__}")


def _check_pairs(X_train, y_train, X_test, y_test):
    """Each data set needs its labels: one without the other is a mistake, caught before any work."""
    if X_train is None and y_train is None:
        raise ValueError("sgd: X_train and y_train are None; training needs data and its labels")
    for X, y, which in ((X_train, y_train, "train"), (X_test, y_test, "test")):
        if X is not None and y is None:
            raise ValueError(f"sgd: X_{which} is given but y_{which} is None; pass the labels of the {which} "
                             f"set too" + (", or neither" if which == "test" else ""))
        if X is None and y is not None:
            raise ValueError(f"sgd: y_{which} is given but X_{which} is None; pass the {which} features too"
                             + (", or neither" if which == "test" else ""))


def _prepared_set(model, X, y, which):
    """A data set checked once against the model and prepared for the loop (a non-empty batch)."""
    x, y = model.prepare(X, y, f"sgd ({which} data)")
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"sgd: {which} data must be a non-empty batch of shape (N, {model.M}), "
                         f"got shape {np.shape(X)}")
    return x, y


def sgd(model, X_train, y_train, X_test=None, y_test=None, epochs=10, lr=0.1, shuffle=False, seed=0,
        batch_size=1, callback=None):
    """Train `model` in place by Algorithm 1 and return the History of the epochs.

    `model`: any model following `protocol.Trainable` (every model of `models` does).

    batch_size=1 is Algorithm 1 exactly: one update per example, in data order
    (or in a fresh permutation each epoch from a generator seeded by `seed` if
    `shuffle`).  batch_size=B > 1 updates on the mean gradient of each run of
    B examples instead (the last run may be shorter).  The backward pass is
    seeded with dJ/dJ = γ, so the gradients arrive already multiplied by the
    learning rate γ = `lr`.  After every epoch the mean cross-entropy J_D and
    the error rate are recorded for the training data and, if given, the test
    data; then `callback(epoch, history)` is called, and training stops if it
    returns False.  Inputs are checked once here, never inside the loop.
    """
    _check_settings(model, epochs, lr, batch_size, shuffle, seed, callback)
    _check_pairs(X_train, y_train, X_test, y_test)
    model.set_params(model.params)
    X, y = _prepared_set(model, X_train, y_train, "training")
    test = None if X_test is None else _prepared_set(model, X_test, y_test, "test")
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
            o = forward(x_i, None)                                # o = NNFORWARD(x, y, α, β); J is not needed
            for p, lr_g in zip(params, backward(x_i, y_i, o, lr)):  # γ g_α, γ g_β = NNBACKWARD(...)
                p -= lr_g                                         # α ← α − γ g_α, β ← β − γ g_β
        train_j, train_err = _evaluate(model, X, y)
        test_j, test_err = (None, None) if test is None else _evaluate(model, *test)
        history.append(dict(zip(_KEYS, (epoch, train_j, test_j, train_err, test_err))))
        if callback is not None and callback(epoch, history) is False:
            history.stopped_early = True
            break
    return history
