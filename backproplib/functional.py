"""Numerically stable building blocks on plain numpy arrays (float64).

The lecture writes the sigmoid as s = 1 / (1 + exp(-b)).  Evaluated literally,
exp(-b) overflows for b < -709; every function here is arranged so that no
intermediate overflows, for any finite input, and no numpy warning is raised.
"""
import math

import numpy as np

__all__ = [
    "sigmoid", "log_sigmoid", "sigmoid_derivative", "softmax", "log_softmax",
    "binary_cross_entropy_with_logits", "softmax_cross_entropy", "softmax_cross_entropy_with_probs",
    "check_finite", "all_finite", "mean",
]


def sigmoid(b):
    """s = 1 / (1 + exp(-b)) (lecture eq. 1), never overflowing.

    1/(1 + exp(-b)) is accurate to a few ulps wherever exp(-b) is finite
    (b >= -708); below that σ(b) = exp(b) exactly in float64.  No warnings.
    Python floats stay Python floats (fast path for the scalar engine).
    """
    if type(b) is float:
        if b >= 0.0:
            return 1.0 / (1.0 + math.exp(-b))
        e = math.exp(b)
        return e / (1.0 + e)
    b = np.asarray(b, dtype=np.float64)
    if b.ndim == 0:
        return sigmoid(float(b))
    tail = b.size and _smallest(b) < -708.0   # exp(-b) would overflow (b < -709.78) or nearly
    e = np.negative(np.maximum(b, -708.0) if tail else b)
    np.exp(e, out=e)
    e += 1.0
    s = np.reciprocal(e, out=e)               # 1 / (1 + exp(-b))
    if tail:                                  # there σ(b) = e^b / (1 + e^b) equals e^b to the last bit
        deep = b < -708.0
        s[deep] = np.exp(b[deep])
    return s


def _smallest(v):
    """min(v) of a non-empty array as a Python float (NaN if v holds one), found by argmin: the same
    number as v.min(), several times quicker on the small arrays of a per-example training loop."""
    return v.item(v.argmin())


def _largest(v):
    """max(v) of a non-empty array (NaN if v holds one), by argmax, as `_smallest` finds min(v)."""
    return v.item(v.argmax())


def sigmoid_derivative(b):
    """ds/db = exp(-b) / (exp(-b) + 1)^2 = s (1 - s) (lecture eqs. 2 and 9)."""
    s = sigmoid(b)
    return s * (1.0 - s)


def log_sigmoid(b):
    """log s(b) = -log(1 + exp(-b)), finite for every finite b."""
    if type(b) is float:
        return -(math.log1p(math.exp(-abs(b))) + max(-b, 0.0))
    b = np.asarray(b, dtype=np.float64)
    return -(np.log1p(np.exp(-np.abs(b))) + np.maximum(-b, 0.0))


def _shifted_exp(a, axis=-1):
    """(m, e, s): m = max a, e = exp(a − m) and s = Σ e along `axis`, the log-sum-exp trick's parts.

    Every exponent is ≤ 0, so nothing overflows, and s ≥ 1 (the largest term is exp(0)), so log s is finite.
    m and s keep the reduced axis; for one example (a 1-D a) they are scalars, the same numbers
    computed without that bookkeeping (the per-example training loop calls this once a step).
    """
    if a.ndim == 1 and axis in (-1, 0):
        m = a[a.argmax()]                     # a.max(), found without a reduction (NaN if a holds one)
        e = np.exp(a - m)
        return m, e, np.add.reduce(e)         # e.sum(), without its Python wrapper
    m = a.max(axis=axis, keepdims=True)
    e = np.exp(a - m)
    return m, e, e.sum(axis=axis, keepdims=True)


def softmax(a, axis=-1):
    """ŷ_k = exp(a_k) / Σ_l exp(a_l), shifted by max(a) so exp never overflows."""
    _, e, s = _shifted_exp(np.asarray(a, dtype=np.float64), axis)
    return e / s


def log_softmax(a, axis=-1):
    """log ŷ_k = a_k − log Σ_l exp(a_l) = (a_k − m) − log Σ_l exp(a_l − m), by the log-sum-exp trick."""
    a = np.asarray(a, dtype=np.float64)
    m, _, s = _shifted_exp(a, axis)
    return (a - m) - np.log(s)


def all_finite(v):
    """True if no entry of the float array (or number) v is NaN or ±inf.

    One elementwise pass, then argmin finds the first False (if any) of the boolean
    array: the same answer as np.isfinite(v).all(), quicker on small arrays.
    """
    finite = np.isfinite(v)
    if finite.ndim == 0:
        return bool(finite)
    return finite.size == 0 or finite.item(finite.argmin())


def mean(v):
    """np.mean(v) of a non-empty array as a Python float: the same number (the same sum, divided by
    the count), without np.mean's layers of Python, which cost more than the sum on a small array."""
    return float(np.add.reduce(v, axis=None)) / v.size


def check_finite(operation, **arrays):
    """Raise ValueError naming `operation` and the argument if any value is NaN or ±inf."""
    for name, value in arrays.items():
        v = np.asarray(value, dtype=np.float64)
        if not all_finite(v):
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(v))[0]) if v.ndim else ()
            raise ValueError(
                f"{operation}: {name} contains NaN or inf (first at index {bad}: {v[bad]!r}); "
                "a NaN here usually comes from a learning rate that is too large or an unstable formula")


def binary_cross_entropy_with_logits(b, y_star, operation="binary cross-entropy"):
    """Per-example loss -[y* log y + (1-y*) log(1-y)] with y = σ(b).

    The lecture's J = y* log y + (1-y*) log(1-y) is a log-likelihood (to be
    maximised); we return its negative, the cross-entropy that we minimise.
    Written with log σ(b) and log(1-σ(b)) = log σ(-b), so y* = 0 or 1 and
    |b| up to 1e300 give finite values.
    """
    b = np.asarray(b, dtype=np.float64)
    y_star = np.asarray(y_star, dtype=np.float64)
    if b.shape != y_star.shape:
        raise ValueError(f"{operation}: logits shape {b.shape} and labels shape {y_star.shape} differ")
    if y_star.size and not (0 <= _smallest(y_star) and _largest(y_star) <= 1):   # NaN fails both tests
        outside = ~((y_star >= 0) & (y_star <= 1))
        raise ValueError(f"{operation}: labels y* must lie in [0, 1], got "
                         f"{', '.join(map(repr, np.unique(y_star[outside])[:5].tolist()))}")
    # -[y* log σ(b) + (1-y*) log σ(-b)] = max(b, 0) - y* b + log(1 + exp(-|b|)), in one stable pass
    return np.maximum(b, 0.0) - y_star * b + np.log1p(np.exp(-np.abs(b)))


def softmax_cross_entropy_with_probs(a, labels, operation="softmax cross-entropy"):
    """(per-example loss −log ŷ_{y*}, ŷ, labels) with ŷ = softmax(a) over the last axis: the one stable routine.

    The K-class output of the lecture's networks, shared by `modules.softmax_cross_entropy_forward` and
    `engine.softmax_cross_entropy`.  With m = max_k a_k and s = Σ_l exp(a_l − m),

        −log ŷ_{y*} = log s + m − a_{y*},        ŷ = exp(a − m) / s,

    so no exp overflows and the loss stays finite even where ŷ_{y*} underflows to 0.
    `a` has shape (N, K) with integer labels 0..K−1 of shape (N,), or (K,) with one label
    (then the loss is a Python float).  Labels are checked here, once, and returned as integers (an int, or
    an int array) for the backward pass; `operation` names the caller in errors.
    """
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        label = check_label(operation, labels, a.shape[0])
        m, e, s = _shifted_exp(a)
        return math.log(s) + float(m) - float(a[label]), e / s, label
    labels = check_labels(operation, labels, a.shape)
    if a.shape[0] == 0:
        raise ValueError(f"{operation}: the batch is empty (scores of shape {a.shape}); the mean loss over no "
                         "examples is undefined")
    m, e, s = _shifted_exp(a)
    return np.log(s[:, 0]) + m[:, 0] - a[np.arange(a.shape[0]), labels], e / s, labels


def softmax_cross_entropy(a, labels):
    """Per-example loss −log ŷ_{y*} with ŷ = softmax(a) over the last axis (`softmax_cross_entropy_with_probs`).

    `a` has shape (N, K) (or (K,) for one example); `labels` are integers
    0..K-1 of shape (N,) (or a single int).
    """
    return softmax_cross_entropy_with_probs(a, labels)[0]


def check_label(operation, label, k):
    """One class label as an int in 0..k-1: an integer, or a float that is a whole number (3.0 from a
    CSV file), the same rule as `check_labels` but quick enough to run once per example."""
    if isinstance(label, np.ndarray) and label.ndim == 0:
        label = label[()]
    if isinstance(label, (float, np.floating)) and float(label).is_integer():
        label = int(label)
    if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, np.integer)) or not 0 <= label < k:
        raise ValueError(f"{operation}: one example with K = {k} scores needs a class label in 0..{k - 1} "
                         f"(a whole number), got {label!r}")
    return int(label)


def check_labels(operation, labels, logits_shape):
    """Return `labels` as an int array after checking it fits logits of `logits_shape`."""
    labels_arr = np.asarray(labels)
    if labels_arr.dtype.kind == "f":
        if not np.all(labels_arr == np.round(labels_arr)):
            raise ValueError(f"{operation}: class labels must be whole numbers, got {labels_arr}")
        labels_arr = labels_arr.astype(np.int64)
    elif labels_arr.dtype.kind not in "iu":
        raise ValueError(f"{operation}: class labels must be integers, got dtype {labels_arr.dtype}")
    if len(logits_shape) not in (1, 2):
        raise ValueError(f"{operation}: scores must have shape (K,) or (N, K), got {logits_shape}")
    expected = logits_shape[:-1]
    if labels_arr.shape != expected:
        raise ValueError(f"{operation}: scores shape {logits_shape} needs labels of shape {expected}, "
                         f"got {labels_arr.shape}")
    k = logits_shape[-1]
    if labels_arr.size and (labels_arr.min() < 0 or labels_arr.max() >= k):
        raise ValueError(f"{operation}: labels must lie in 0..{k - 1} for K = {k} classes, got "
                         f"values from {labels_arr.min()} to {labels_arr.max()}")
    return labels_arr
