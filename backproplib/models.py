"""The lecture's three models, in its notation: logistic regression and 1- and 2-hidden-layer nets.

Parameters are dicts of float64 arrays, named and shaped as on the slides
(M inputs, D hidden units, K classes):

==================== =========================================================================
LogisticRegression   θ: ``theta`` (M+1,), with x_0 = 1 folded in (Case 1); or (K, M+1)
OneHiddenLayerNet    α: ``alpha`` (D, M+1), β: ``beta`` (D+1,) or (K, D+1); x_0 = z_0 = 1 (Case 2)
TwoHiddenLayerNet    ``alpha1`` (M, D1), ``b1`` (D1,), ``alpha2`` (D1, D2), ``b2`` (D2,),
                     ``beta`` (D2,) with ``beta0`` (), or (D2, K) with (K,)
==================== =========================================================================

A 1-D θ or β (and a scalar β_0) gives the binary sigmoid output
ŷ = σ(b) = P(y = 1 | x) with labels y* ∈ {0, 1}; the 2-D form gives the
K-class softmax output with labels 0..K-1.  The loss J is the mean
cross-entropy: the *negative* mean log-likelihood, which SGD minimises.

Each model offers NNFORWARD / NNBACKWARD of Algorithm 1 twice over:

* ``nn_forward(x, y, params)`` → a record o = (x, a, z, b, ŷ, J) and
  ``nn_backward(x, y, params, o)`` → {name: gradient}: checked, on raw features;
* ``model.prepare(X, y)`` once, then ``model.forward_prepared(x, y)`` and
  ``model.backward_prepared(x, y, o)`` (a tuple of gradients in the order of
  ``model.param_names``): no checks, for training loops.

``model.engine_loss(X, y)`` builds the same J out of ``Var`` operations, so
the engine's reverse mode gives a second, independent route to the gradients.
"""
from collections import namedtuple

import numpy as np

from . import engine as bp
from . import functional as F
from .modules import (
    affine_backward, affine_forward, linear_backward, linear_forward, prepend_one,
    sigmoid_backward, sigmoid_cross_entropy_backward, sigmoid_cross_entropy_forward, sigmoid_forward,
    softmax_cross_entropy_backward, softmax_cross_entropy_forward,
)

__all__ = [
    "LogisticRegression", "OneHiddenLayerNet", "TwoHiddenLayerNet",
    "LogisticForward", "NNForward", "NN2Forward",
    "init_params", "model_from_params", "nn_forward", "nn_backward",
]

LogisticForward = namedtuple("LogisticForward", "x a y_hat J")
LogisticForward.__doc__ = """Case 1's forward quantities: x (with x_0 = 1), a = θᵀx, ŷ and J (None without y)."""
NNForward = namedtuple("NNForward", "x a z b y_hat J")
NNForward.__doc__ = """The object o of Algorithm 1; x and z include x_0 = 1 and z_0 = 1; J is None without y."""
NN2Forward = namedtuple("NN2Forward", "x a1 z1 a2 z2 b y_hat J")
NN2Forward.__doc__ = """Forward quantities of the 2-hidden-layer net; J is None without labels."""

_Output = namedtuple("_Output", "loss_forward loss_backward probabilities engine_loss")
_SIGMOID = _Output(sigmoid_cross_entropy_forward, sigmoid_cross_entropy_backward, F.sigmoid,
                   bp.sigmoid_cross_entropy)
_SOFTMAX = _Output(softmax_cross_entropy_forward, softmax_cross_entropy_backward, F.softmax,
                   bp.softmax_cross_entropy)


class _Model:
    """Shared machinery; subclasses define the parameters and the layers up to the scores b."""

    kind = None           # the name init_params knows the class by
    param_names = ()
    size_names = ()       # the sizes init_params takes, as the slides name them
    Record = None
    _folds_x0 = False     # does the first layer read x_0 = 1 (bias folded into its weights)?
    _bias_columns = ()    # parameters whose column 0 multiplies x_0 = 1 or z_0 = 1
    _bias_arrays = ()     # parameters that are biases throughout

    @classmethod
    def from_params(cls, params):
        """Wrap existing parameters (float64 arrays are used in place, not copied) after checking shapes."""
        model = cls.__new__(cls)
        model.set_params(params)
        return model

    def set_params(self, params):
        """Check names and shapes and store the arrays; sets M, K and the hidden sizes from their shapes."""
        name = type(self).__name__
        if set(params) != set(self.param_names):
            raise ValueError(f"{name}: parameters must be named {sorted(self.param_names)}, "
                             f"got {sorted(params)}")
        arrays = {n: np.asarray(params[n], dtype=np.float64) for n in self.param_names}
        sizes = self._sizes(arrays)
        expected = self.shapes(*sizes)
        for n in self.param_names:
            if arrays[n].shape != expected[n]:
                shown = ", ".join(f"{n2} {arrays[n2].shape}" for n2 in self.param_names)
                raise ValueError(f"{name}: {n} has shape {arrays[n].shape} but {expected[n]} is needed "
                                 f"to fit the others ({shown})")
            F.check_finite(name, **{n: arrays[n]})
        self.params = arrays
        self.sizes = dict(zip(self.size_names, sizes))
        self.M, self.K = sizes[0], sizes[-1]
        self._output = _SIGMOID if self.K is None else _SOFTMAX

    def copy(self):
        """An independent model with copies of the parameters."""
        return type(self).from_params({n: p.copy() for n, p in self.params.items()})

    @property
    def output(self):
        """'sigmoid' (binary, K is None) or 'softmax' (K classes)."""
        return "sigmoid" if self.K is None else "softmax"

    def __repr__(self):
        shapes = ", ".join(f"{n}={p.shape}" for n, p in self.params.items())
        return f"{type(self).__name__}({shapes}, output={self.output!r})"

    # ------------------------------------------------------------ boundary: checks, done once
    def prepare(self, X, y=None, operation=None):
        """Check X (and labels y) against this model once; return (x, y) for the *_prepared methods.

        X: (M,) for one example or (N, M); x gets x_0 = 1 prepended where the
        first layer folds its bias.  Softmax labels become integers 0..K-1;
        binary labels must be exactly 0 or 1 and become floats y*.
        """
        operation = operation or f"{type(self).__name__}"
        if X is None:
            raise ValueError(f"{operation}: x is None; give one example of shape ({self.M},) or a batch "
                             f"of shape (N, {self.M})")
        X = np.asarray(X, dtype=np.float64)
        if X.ndim not in (1, 2) or X.shape[-1] != self.M:
            raise ValueError(f"{operation}: x has shape {X.shape}, but this model takes M = {self.M} "
                             f"features: shape ({self.M},) or (N, {self.M})")
        if X.ndim == 2 and len(X) == 0:
            raise ValueError(f"{operation}: x must be a non-empty batch, got shape {X.shape} (no examples: "
                             "a mean over them is undefined)")
        F.check_finite(operation, x=X)
        x = prepend_one(X) if self._folds_x0 else X
        if y is None:
            return x, None
        if self.K is not None:
            labels = F.check_labels(operation, y, X.shape[:-1] + (self.K,))
            return x, (int(labels) if labels.ndim == 0 else labels)
        y_star = np.asarray(y)
        if y_star.shape != X.shape[:-1]:
            raise ValueError(f"{operation}: x has shape {X.shape}, so labels need shape {X.shape[:-1]}, "
                             f"got {y_star.shape}")
        if y_star.dtype.kind not in "biuf":
            raise ValueError(f"{operation}: binary labels y* must be the numbers 0 or 1, "
                             f"got dtype {y_star.dtype}")
        is_label = (y_star == 0) | (y_star == 1)
        if not np.all(is_label):
            raise ValueError(f"{operation}: binary labels y* must be 0 or 1, got {np.unique(y_star[~is_label])[:5]}")
        y_star = y_star.astype(np.float64)
        return x, (float(y_star) if y_star.ndim == 0 else y_star)

    # ------------------------------------------------------------ NNFORWARD / NNBACKWARD, unchecked
    def forward_prepared(self, x, y):
        """NNFORWARD on prepared input: the layers up to the scores b, then ŷ and J (None if y is None)."""
        h = self._scores_forward(x)
        if y is None:
            return self.Record(*h, self._output.probabilities(h[-1]), None)
        J, (y_hat, _) = self._output.loss_forward(h[-1], y)
        return self.Record(*h, y_hat, J)

    def backward_prepared(self, x, y, o, g_J=1.0):
        """NNBACKWARD on prepared input: the gradients, a tuple in the order of param_names.

        The backward pass starts from dJ/dJ = g_J; with g_J = γ every gradient
        comes out already multiplied by the learning rate (sgd uses this).
        """
        g_b = self._output.loss_backward((o.y_hat, y), g_J)     # dJ/db = ŷ − y* (/ N for a batch)
        return self._scores_backward(x, o, g_b)

    def decide(self, y_hat):
        """Predicted labels from ŷ: 1 where ŷ ≥ 0.5 (binary), else the most probable class."""
        if self.K is None:
            return (np.asarray(y_hat) >= 0.5).astype(np.int64)
        return np.argmax(y_hat, axis=-1)

    # ------------------------------------------------------------ checked, user-facing
    def forward(self, X, y=None):
        """NNFORWARD(x, y, params): the record of every intermediate quantity (J needs y)."""
        x, y = self.prepare(X, y, f"{type(self).__name__}.forward")
        return self.forward_prepared(x, y)

    def backward(self, X, y, o, operation=None):
        """NNBACKWARD(x, y, params, o): {name: dJ/dparam}, shaped like the parameters.

        `o` must be the record that forward returned for this very x: a record of another input
        (another shape or other values) is refused, since its gradients would belong to that input.
        """
        operation = operation or f"{type(self).__name__}.backward"
        x, y = self.prepare(X, y, operation)
        if type(o) is not self.Record:
            raise ValueError(f"{operation}: o must be the {self.Record.__name__} that forward returned for "
                             f"this x, got {type(o).__name__}")
        if np.shape(o.x) != np.shape(x):
            with_x0 = " (with x_0 = 1)" if self._folds_x0 else ""
            raise ValueError(f"{operation}: o is the {self.Record.__name__} of an x of shape {np.shape(o.x)}"
                             f"{with_x0}, but this x has shape {np.shape(x)}{with_x0}; run forward on this x "
                             "first")
        if not np.array_equal(o.x, x):
            where = tuple(int(i) for i in np.argwhere(np.asarray(o.x) != x)[0])
            raise ValueError(f"{operation}: o is the {self.Record.__name__} of another x (o.x{list(where)} = "
                             f"{float(o.x[where])!r} but the x given has {float(x[where])!r} there, counting "
                             "x_0 = 1 where it is added); run forward on this x first")
        return dict(zip(self.param_names, self.backward_prepared(x, y, o)))

    def loss_and_gradients(self, X, y):
        """(J, {name: dJ/dparam}) for the mean cross-entropy J, by the hand-written backward pass."""
        x, y = self.prepare(X, y, f"{type(self).__name__}.loss_and_gradients")
        o = self.forward_prepared(x, y)
        return float(o.J), dict(zip(self.param_names, self.backward_prepared(x, y, o)))

    def engine_loss(self, X, y):
        """(J, {name: Var}): the same J built from engine operations; J.backward() fills each Var's .grad."""
        x, y = self.prepare(X, y, f"{type(self).__name__}.engine_loss")
        V = {n: bp.Var(p, name=n) for n, p in self.params.items()}
        return self._output.engine_loss(self._engine_scores(x, V), y).named("J"), V

    def mean_cross_entropy(self, X, y):
        """J_D: the mean over the examples of -log P(y* | x), the quantity SGD minimises."""
        x, y = self.prepare(X, y, f"{type(self).__name__}.mean_cross_entropy")
        return float(self.forward_prepared(x, y).J)

    def predict_proba(self, X):
        """ŷ: P(y = 1 | x) of shape (N,) for the binary output, or class probabilities (N, K)."""
        x, _ = self.prepare(X, None, f"{type(self).__name__}.predict_proba")
        return self.forward_prepared(x, None).y_hat

    def predict(self, X):
        """Predicted labels (integers): threshold ŷ at 0.5, or argmax over the K classes."""
        return self.decide(self.predict_proba(X))

    def error_rate(self, X, y):
        """The fraction of examples whose predicted label differs from y."""
        x, y = self.prepare(X, y, f"{type(self).__name__}.error_rate")
        return float(np.mean(self.decide(self.forward_prepared(x, None).y_hat) != y))


class LogisticRegression(_Model):
    """Case 1: ŷ = σ(a), a = Σ_{j=0}^{M} θ_j x_j with x_0 = 1 (or softmax over K rows of θ).

    ``LogisticRegression(M, K=None, init="zeros", seed=0)``; K=None is the binary model.
    """

    kind = "logistic"
    param_names = ("theta",)
    size_names = ("M",)
    Record = LogisticForward
    _folds_x0 = True
    _bias_columns = ("theta",)

    def __init__(self, M, K=None, init="zeros", seed=0, scale=0.1):
        self.set_params(init_params(self.kind, M, K=K, init=init, seed=seed, scale=scale))

    @staticmethod
    def shapes(M, K=None):
        """Parameter shapes for M features and K classes (None: binary)."""
        return {"theta": (M + 1,) if K is None else (K, M + 1)}

    @staticmethod
    def _sizes(p):
        theta = p["theta"]
        if theta.ndim not in (1, 2) or theta.shape[-1] < 2:
            raise ValueError(f"LogisticRegression: theta must have shape (M+1,) or (K, M+1), got {theta.shape}")
        return theta.shape[-1] - 1, (theta.shape[0] if theta.ndim == 2 else None)

    def _scores_forward(self, x):
        a, _ = linear_forward(x, self.params["theta"])        # a = Σ_j θ_j x_j
        return x, a

    def _scores_backward(self, x, o, g_a):
        _, g_theta = linear_backward(g_a, (x, self.params["theta"]), need_g_x=False)   # dJ/dθ_j = dJ/da · x_j
        return (g_theta,)

    def _engine_scores(self, x, V):
        return (x @ V["theta"].T).named("a")


class OneHiddenLayerNet(_Model):
    """Case 2: a = α x, z = σ(a), b = β z (x_0 = z_0 = 1), ŷ = σ(b) or softmax(b).

    ``OneHiddenLayerNet(M, D, K=None, init="random", seed=0)``; K=None is the binary model.
    """

    kind = "one_hidden"
    param_names = ("alpha", "beta")
    size_names = ("M", "D")
    Record = NNForward
    _folds_x0 = True
    _bias_columns = ("alpha", "beta")

    def __init__(self, M, D, K=None, init="random", seed=0, scale=0.1):
        self.set_params(init_params(self.kind, M, D, K=K, init=init, seed=seed, scale=scale))

    @staticmethod
    def shapes(M, D, K=None):
        """Parameter shapes for M features, D hidden units and K classes (None: binary)."""
        return {"alpha": (D, M + 1), "beta": (D + 1,) if K is None else (K, D + 1)}

    @staticmethod
    def _sizes(p):
        alpha, beta = p["alpha"], p["beta"]
        if alpha.ndim != 2 or alpha.shape[1] < 2 or beta.ndim not in (1, 2):
            raise ValueError(f"OneHiddenLayerNet: alpha must be (D, M+1) and beta (D+1,) or (K, D+1), "
                             f"got {alpha.shape} and {beta.shape}")
        return alpha.shape[1] - 1, alpha.shape[0], (beta.shape[0] if beta.ndim == 2 else None)

    def _scores_forward(self, x):
        a, _ = linear_forward(x, self.params["alpha"])       # a_j = Σ_i α_ji x_i
        z, _ = sigmoid_forward(a)                             # z_j = σ(a_j)
        z = prepend_one(z)                                    # z_0 = 1
        b, _ = linear_forward(z, self.params["beta"])        # b = Σ_j β_j z_j
        return x, a, z, b

    def _scores_backward(self, x, o, g_b):
        g_z, g_beta = linear_backward(g_b, (o.z, self.params["beta"]))            # dJ/dβ, dJ/dz
        g_a = sigmoid_backward(g_z[..., 1:], o.z[..., 1:])                        # z_0 = 1 is constant
        _, g_alpha = linear_backward(g_a, (x, self.params["alpha"]), need_g_x=False)  # dJ/dα
        return g_alpha, g_beta

    def _engine_scores(self, x, V):
        z = bp.sigmoid(x @ V["alpha"].T).named("z")
        beta = V["beta"]
        return (z @ beta[..., 1:].T + beta[..., 0]).named("b")


class TwoHiddenLayerNet(_Model):
    """z1 = σ(α1ᵀ x + b1), z2 = σ(α2ᵀ z1 + b2), ŷ = σ(βᵀ z2 + β0) (or softmax), as on the slide.

    ``TwoHiddenLayerNet(M, D1, D2, K=None, init="random", seed=0)``; K=None is the binary model.
    """

    kind = "two_hidden"
    param_names = ("alpha1", "b1", "alpha2", "b2", "beta", "beta0")
    size_names = ("M", "D1", "D2")
    Record = NN2Forward
    _bias_arrays = ("b1", "b2", "beta0")

    def __init__(self, M, D1, D2, K=None, init="random", seed=0, scale=0.1):
        self.set_params(init_params(self.kind, M, D1, D2, K=K, init=init, seed=seed, scale=scale))

    @staticmethod
    def shapes(M, D1, D2, K=None):
        """Parameter shapes for M features, D1 and D2 hidden units and K classes (None: binary)."""
        return {"alpha1": (M, D1), "b1": (D1,), "alpha2": (D1, D2), "b2": (D2,),
                "beta": (D2,) if K is None else (D2, K), "beta0": () if K is None else (K,)}

    @staticmethod
    def _sizes(p):
        alpha1, alpha2, beta = p["alpha1"], p["alpha2"], p["beta"]
        if alpha1.ndim != 2 or alpha2.ndim != 2 or beta.ndim not in (1, 2):
            raise ValueError(f"TwoHiddenLayerNet: alpha1 must be (M, D1), alpha2 (D1, D2) and beta (D2,) or "
                             f"(D2, K), got {alpha1.shape}, {alpha2.shape} and {beta.shape}")
        return (alpha1.shape[0], alpha1.shape[1], alpha2.shape[1],
                beta.shape[1] if beta.ndim == 2 else None)

    def _scores_forward(self, x):
        p = self.params
        a1, _ = affine_forward(x, p["alpha1"], p["b1"])       # a1 = α1ᵀ x + b1
        z1, _ = sigmoid_forward(a1)
        a2, _ = affine_forward(z1, p["alpha2"], p["b2"])      # a2 = α2ᵀ z1 + b2
        z2, _ = sigmoid_forward(a2)
        b, _ = affine_forward(z2, p["beta"], p["beta0"])      # b = βᵀ z2 + β0
        return x, a1, z1, a2, z2, b

    def _scores_backward(self, x, o, g_b):
        p = self.params
        g_z2, g_beta, g_beta0 = affine_backward(g_b, (o.z2, p["beta"]))
        g_a2 = sigmoid_backward(g_z2, o.z2)
        g_z1, g_alpha2, g_b2 = affine_backward(g_a2, (o.z1, p["alpha2"]))
        g_a1 = sigmoid_backward(g_z1, o.z1)
        _, g_alpha1, g_b1 = affine_backward(g_a1, (x, p["alpha1"]), need_g_x=False)
        return g_alpha1, g_b1, g_alpha2, g_b2, g_beta, g_beta0

    def _engine_scores(self, x, V):
        z1 = bp.sigmoid(x @ V["alpha1"] + V["b1"]).named("z1")
        z2 = bp.sigmoid(z1 @ V["alpha2"] + V["b2"]).named("z2")
        return (z2 @ V["beta"] + V["beta0"]).named("b")


_KINDS = {cls.kind: cls for cls in (LogisticRegression, OneHiddenLayerNet, TwoHiddenLayerNet)}


def init_params(kind, *sizes, K=None, init="random", seed=0, scale=0.1):
    """Parameters for `kind` ('logistic', 'one_hidden', 'two_hidden') and sizes (M,), (M, D) or (M, D1, D2).

    init='zeros': every entry 0 (then all hidden units compute the same thing
    and stay identical under SGD).  init='random': weights drawn from
    U(-scale, scale) with a generator seeded by `seed`, biases 0.
    """
    if kind not in _KINDS:
        raise ValueError(f"init_params: kind must be one of {sorted(_KINDS)}, got {kind!r}")
    if init not in ("zeros", "random"):
        raise ValueError(f"init_params: init must be 'zeros' or 'random', got {init!r}")
    cls = _KINDS[kind]
    if K is not None and not (isinstance(K, (int, np.integer)) and K >= 2):
        raise ValueError(f"init_params: K must be an integer >= 2 (or None for a binary output), got {K!r}")
    if len(sizes) != len(cls.size_names) or not all(isinstance(n, (int, np.integer)) and n >= 1 for n in sizes):
        raise ValueError(f"init_params: {kind} takes positive integer sizes {', '.join(cls.size_names)}, "
                         f"got {sizes}")
    if not (isinstance(scale, (int, float, np.number)) and 0 < scale < np.inf):
        raise ValueError(f"init_params: scale must be a positive finite number, got {scale!r}")
    shapes = cls.shapes(*sizes, K=K)
    if init == "zeros":
        return {n: np.zeros(s) for n, s in shapes.items()}
    rng = np.random.default_rng(seed)
    params = {n: rng.uniform(-scale, scale, s) for n, s in shapes.items()}
    for n in cls._bias_columns:
        params[n][..., 0] = 0.0
    for n in cls._bias_arrays:
        params[n][...] = 0.0
    return params


def model_from_params(params):
    """The model whose parameter names these are, wrapping the arrays (no copy)."""
    for cls in _KINDS.values():
        if set(params) == set(cls.param_names):
            return cls.from_params(params)
    raise ValueError(f"model_from_params: parameter names {sorted(params)} match no model; expected one of "
                     + "; ".join(str(sorted(c.param_names)) for c in _KINDS.values()))


def nn_forward(x, y, params):
    """NNFORWARD(x, y, α, β) of Algorithm 1: the record o of intermediate quantities and J.

    x: one example (M,) or a batch (N, M) of raw features; x_0 = 1 is added
    where the model folds it.  The architecture is read from the names in params.
    """
    return model_from_params(params).forward(x, y)


def nn_backward(x, y, params, o):
    """NNBACKWARD(x, y, α, β, o) of Algorithm 1: {name: dJ/dparam}, each shaped like its parameter.

    `o` must be what nn_forward returned for this x; a record of another x is refused.
    """
    return model_from_params(params).backward(x, y, o, "nn_backward")
