"""The lecture's networks in its notation: one model, `MLP`, of any depth, and its three special cases.

Parameters are dicts of float64 arrays, named and shaped as on the slides
(M inputs, hidden layers of H_1 … H_L units, K classes).  L, the number of
hidden layers, decides how the biases are written, exactly as the lecture does:

==================== ===== ====================================================================
LogisticRegression   L = 0 θ: ``theta`` (M+1,), with x_0 = 1 folded in (Case 1); or (K, M+1)
OneHiddenLayerNet    L = 1 α: ``alpha`` (D, M+1), β: ``beta`` (D+1,) or (K, D+1); x_0 = z_0 = 1 (Case 2)
TwoHiddenLayerNet    L = 2 ``alpha1`` (M, D1), ``b1`` (D1,), ``alpha2`` (D1, D2), ``b2`` (D2,),
                           ``beta`` (D2,) with ``beta0`` (), or (D2, K) with (K,)
MLP(M, [H1..HL], K)  any   as above for L ≤ 2; for L ≥ 3 the 2-hidden-layer naming continued:
                           ``alpha1`` (M, H1), ``b1``, …, ``alphaL`` (H_{L−1}, H_L), ``bL``, ``beta``, ``beta0``
==================== ===== ====================================================================

so z⁽ˡ⁾ = act(α⁽ˡ⁾ᵀ z⁽ˡ⁻¹⁾ + b⁽ˡ⁾) (z⁽⁰⁾ = x) and b = βᵀ z⁽ᴸ⁾ + β₀ for L ≥ 2.
The hidden activation is the lecture's σ by default, or tanh or ReLU
(`activations`); a model carries it, and so do its parameters (`Parameters`),
so `nn_forward(x, y, tanh_net.params)` computes the tanh network.

A 1-D θ or β (and a scalar β_0) gives the binary sigmoid output
ŷ = σ(b) = P(y = 1 | x) with labels y* ∈ {0, 1}; the 2-D form gives the
K-class softmax output with labels 0..K-1.  The loss J is the mean
cross-entropy: the *negative* mean log-likelihood, which SGD minimises.

Each model offers NNFORWARD / NNBACKWARD of Algorithm 1 twice over:

* ``nn_forward(x, y, params)`` → a record o = (x, a, z, b, ŷ, J) and
  ``nn_backward(x, y, params, o)`` → {name: gradient}: checked, on raw features;
* ``model.prepare(X, y)`` once, then ``model.forward_prepared(x, y)`` and
  ``model.backward_prepared(x, y, o)`` (a tuple of gradients in the order of
  ``model.param_names``): no checks, for training loops.  These, with
  ``params``, ``param_names``, ``set_params`` and ``decide``, are the protocol
  `sgd` trains any model by (see `protocol.Trainable`).

The record o carries the modules' caches (``o.caches``), and the backward pass
runs on them, row by row, as the lecture's backward equations do.
``model.engine_loss(X, y)`` builds the same J out of ``Var`` operations, so
the engine's reverse mode gives a second, independent route to the gradients.
"""
from collections import namedtuple

import numpy as np

from . import engine as bp
from . import functional as F
from .activations import activation as _activation
from .modules import (
    affine_backward, affine_forward, linear_backward, linear_forward, prepend_one,
    sigmoid_cross_entropy_backward, sigmoid_cross_entropy_forward,
    softmax_cross_entropy_backward, softmax_cross_entropy_forward,
)

__all__ = [
    "MLP", "LogisticRegression", "OneHiddenLayerNet", "TwoHiddenLayerNet", "Parameters",
    "LogisticForward", "NNForward", "NN2Forward", "record_type",
    "init_params", "model_from_params", "nn_forward", "nn_backward",
]


def _record(name, fields, doc):
    """A namedtuple of the forward quantities that can also hold the modules' caches (``o.caches``)."""
    return type(name, (namedtuple(name, fields),), {"__doc__": doc, "__module__": __name__, "caches": None})


LogisticForward = _record("LogisticForward", "x a y_hat J",
                          "Case 1's forward quantities: x (with x_0 = 1), a = θᵀx, ŷ and J (None without y).")
NNForward = _record("NNForward", "x a z b y_hat J",
                    "The object o of Algorithm 1; x and z include x_0 = 1 and z_0 = 1; J is None without y.")
NN2Forward = _record("NN2Forward", "x a1 z1 a2 z2 b y_hat J",
                     "Forward quantities of the 2-hidden-layer net; J is None without labels.")
_RECORDS = {0: LogisticForward, 1: NNForward, 2: NN2Forward}


def record_type(L):
    """The record of a network with L hidden layers: fields x, a⁽ˡ⁾, z⁽ˡ⁾ for each layer, b, y_hat, J."""
    if L not in _RECORDS:
        fields = ["x"] + [f"{v}{l}" for l in range(1, L + 1) for v in ("a", "z")] + ["b", "y_hat", "J"]
        _RECORDS[L] = _record(f"NN{L}Forward", " ".join(fields),
                              f"Forward quantities of a {L}-hidden-layer net; J is None without labels.")
    return _RECORDS[L]


_Output = namedtuple("_Output", "loss_forward loss_backward probabilities engine_loss")
_SIGMOID = _Output(sigmoid_cross_entropy_forward, sigmoid_cross_entropy_backward, F.sigmoid,
                   bp.sigmoid_cross_entropy)
_SOFTMAX = _Output(softmax_cross_entropy_forward, softmax_cross_entropy_backward, F.softmax,
                   bp.softmax_cross_entropy)


class _Folded:
    """A Linear row with its bias folded in as input 0 (Case 2): a = W [1, h], W of shape (out, in+1).

    Reads h with its 1 already in front (x_0 = 1 from `prepare`, z_0 = 1 from the layer below).
    """

    folded = True

    def __init__(self, weight):
        self.weight, self.names = weight, (weight,)

    def shapes(self, n_in, n_out):
        return {self.weight: (n_in + 1,) if n_out is None else (n_out, n_in + 1)}

    def engine(self, h, V, has_one):
        W = V[self.weight]
        return h @ W.T if has_one else h @ W[..., 1:].T + W[..., 0]


class _Affine:
    """A layer of the 2-hidden-layer slide: a = wᵀ h + bias, w of shape (in, out), the bias kept apart."""

    folded = False

    def __init__(self, weight, bias):
        self.weight, self.bias, self.names = weight, bias, (weight, bias)

    def shapes(self, n_in, n_out):
        return {self.weight: (n_in,) if n_out is None else (n_in, n_out),
                self.bias: () if n_out is None else (n_out,)}

    def engine(self, h, V, has_one):
        return h @ V[self.weight] + V[self.bias]


def _layers(L):
    """The Linear rows of a net with L hidden layers, input to output, named as the lecture names them."""
    if L == 0:
        return (_Folded("theta"),)
    if L == 1:
        return (_Folded("alpha"), _Folded("beta"))
    return tuple(_Affine(f"alpha{l}", f"b{l}") for l in range(1, L + 1)) + (_Affine("beta", "beta0"),)


def _param_names(L):
    return tuple(n for layer in _layers(L) for n in layer.names)


def _depth_of(names):
    """L for a set of parameter names, or None if they name no network."""
    names = set(names)
    for L in (0, 1):
        if names == set(_param_names(L)):
            return L
    L = sum(1 for n in names if n.startswith("alpha"))
    return L if L >= 2 and names == set(_param_names(L)) else None


class Parameters(dict):
    """A model's parameters by name (float64 arrays, updated in place by training), marked with the
    hidden activation of the model they belong to, so that `nn_forward` and `model_from_params`
    rebuild that model and not a sigmoid one."""

    def __init__(self, arrays, activation="sigmoid"):
        super().__init__(arrays)
        self.activation = activation

    def __repr__(self):
        return f"Parameters({dict.__repr__(self)}, activation={self.activation!r})"


class MLP:
    """A network with L ≥ 0 hidden layers in the lecture's notation: the one model of this module.

    ``MLP(M, hidden=[H1, …, HL], K=None, activation="sigmoid", init="random", seed=0, scale=0.1)``:
    M input features, L hidden layers of H_l ≥ 1 units with the activation 'sigmoid' (the lecture's),
    'tanh' or 'relu' (see `activations`), and K classes (None: the binary sigmoid output).
    init='random' draws the weights from U(−scale, scale) seeded by `seed`, biases 0; init='zeros'
    sets everything to 0 (see `init_params`).  Parameter names and shapes: the module docstring.

    Forward, layer l = 1 … L:  a⁽ˡ⁾ = Linear(z⁽ˡ⁻¹⁾), z⁽ˡ⁾ = act(a⁽ˡ⁾), with z⁽⁰⁾ = x; then
    b = Linear(z⁽ᴸ⁾), ŷ = σ(b) or softmax(b), J = cross-entropy.  Backward: the same rows in reverse,
    each module's backward (g_out, cache) → gradients on the cache its forward kept.
    `LogisticRegression` (L = 0), `OneHiddenLayerNet` (L = 1) and `TwoHiddenLayerNet` (L = 2) are
    this model with the lecture's argument names; `MLP(M, [D], K)` computes exactly what
    `OneHiddenLayerNet(M, D, K)` computes.
    """

    kind = "mlp"              # the name init_params knows the class by

    def __init__(self, M, hidden=(), K=None, activation="sigmoid", init="random", seed=0, scale=0.1):
        act = _activation(activation, type(self).__name__)
        if isinstance(hidden, (int, np.integer)) or not all(isinstance(h, (int, np.integer)) for h in hidden):
            raise ValueError(f"{type(self).__name__}: hidden must be a list of layer sizes [H1, …, HL], "
                             f"got {hidden!r}")
        self.set_params(init_params("mlp", M, *hidden, K=K, init=init, seed=seed, scale=scale), act)

    # ------------------------------------------------------------ architecture
    @classmethod
    def shapes(cls, M, *hidden, K=None):
        """Parameter shapes for M features, hidden layers of the sizes given, and K classes (None: binary),
        in the order of the parameter names."""
        sizes = (M, *hidden, K)
        shapes = {}
        for layer, n_in, n_out in zip(_layers(len(hidden)), sizes, sizes[1:]):
            shapes.update(layer.shapes(n_in, n_out))
        return shapes

    @classmethod
    def from_params(cls, params, activation=None):
        """Wrap existing parameters (float64 arrays are used in place, not copied) after checking them.

        `activation` defaults to the one the parameters carry (`Parameters`), else 'sigmoid'; parameters
        of a model with another activation are refused.
        """
        model = cls.__new__(cls)
        model.set_params(params, activation)
        return model

    def set_params(self, params, activation=None):
        """Check names and shapes and store the arrays; sets M, K, the hidden sizes and the activation."""
        name = type(self).__name__
        carried = getattr(params, "activation", None)
        if activation is None:
            activation = carried or getattr(getattr(self, "activation", None), "name", "sigmoid")
        act = _activation(activation, name)
        if carried is not None and carried != act.name:
            raise ValueError(f"{name}: these parameters belong to a {carried} network, not a {act.name} one; "
                             f"wrap them with activation={carried!r} (or copy them into a new model)")
        L = _depth_of(params)
        fixed = getattr(type(self), "depth", None)
        if L is None or (fixed is not None and L != fixed):
            expected = (sorted(_param_names(fixed)) if fixed is not None
                        else "theta; alpha, beta; or alpha1, b1, …, alphaL, bL, beta, beta0")
            raise ValueError(f"{name}: parameters must be named {expected}, got {sorted(params)}")
        arrays = {n: np.asarray(params[n], dtype=np.float64) for n in _param_names(L)}
        sizes = self._sizes(arrays, L)
        expected = MLP.shapes(sizes[0], *sizes[1:-1], K=sizes[-1])
        for n in expected:
            if arrays[n].shape != expected[n]:
                shown = ", ".join(f"{n2} {arrays[n2].shape}" for n2 in expected)
                raise ValueError(f"{name}: {n} has shape {arrays[n].shape} but {expected[n]} is needed "
                                 f"to fit the others ({shown})")
            F.check_finite(name, **{n: arrays[n]})
        self.params = Parameters(arrays, act.name)
        self.param_names = tuple(expected)
        self.activation = act
        self.depth = L
        self.layers = _layers(L)
        rows = [(layer.weight, None if layer.folded else layer.bias) for layer in self.layers]
        self._hidden_rows, self._output_row = rows[:-1], rows[-1]   # (weight, bias or None): the forward's plan
        self._z0 = self.layers[-1].folded and L > 0      # hidden z gets z_0 = 1 (L = 1, Case 2)
        self.Record = record_type(L)
        self.size_names = getattr(type(self), "size_names", None) or ("M", *(f"H{l}" for l in range(1, L + 1)))
        self.sizes = dict(zip(self.size_names, sizes[:-1]))
        self.hidden = tuple(sizes[1:-1])
        self.M, self.K = sizes[0], sizes[-1]
        self._folds_x0 = self.layers[0].folded
        self._output = _SIGMOID if self.K is None else _SOFTMAX

    def _sizes(self, p, L):
        """(M, H1, …, HL, K) read from the arrays' shapes, after checking each has the right rank."""
        name = type(self).__name__
        layers = _layers(L)
        for layer in layers:
            w = p[layer.weight]
            last = layer is layers[-1]
            if w.ndim != 2 and not (last and w.ndim == 1):
                binary = " (or 1-D, for the binary output)" if last else ""
                raise ValueError(f"{name}: {layer.weight} must be a 2-D array{binary}, got shape {w.shape}")
            if layer.folded and w.shape[-1] < 2:
                raise ValueError(f"{name}: {layer.weight} must have at least 2 columns (column 0 multiplies "
                                 f"the constant 1), got shape {w.shape}")
        out = p[layers[-1].weight]
        binary = out.ndim == 1
        if L == 0:
            return out.shape[-1] - 1, (None if binary else out.shape[0])
        if L == 1:
            alpha = p["alpha"]
            return alpha.shape[1] - 1, alpha.shape[0], (None if binary else out.shape[0])
        return (p["alpha1"].shape[0], *(p[f"alpha{l}"].shape[1] for l in range(1, L + 1)),
                None if binary else out.shape[1])

    def copy(self):
        """An independent model with copies of the parameters."""
        return type(self).from_params({n: p.copy() for n, p in self.params.items()}, self.activation.name)

    @property
    def output(self):
        """'sigmoid' (binary, K is None) or 'softmax' (K classes)."""
        return "sigmoid" if self.K is None else "softmax"

    def __repr__(self):
        shapes = ", ".join(f"{n}={p.shape}" for n, p in self.params.items())
        act = "" if self.activation.name == "sigmoid" else f", activation={self.activation.name!r}"
        return f"{type(self).__name__}({shapes}, output={self.output!r}{act})"

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
        """NNFORWARD on prepared input: every layer up to the scores b, then ŷ and J (None if y is None).

        The record's ``caches`` keeps each module's cache, input to output, for `backward_prepared`.
        """
        p, act_forward, z0 = self.params, self.activation.forward, self._z0
        values, caches = [x], []
        h = x
        for weight, bias in self._hidden_rows:
            if bias is None:
                a, linear_cache = linear_forward(h, p[weight])           # a_j = Σ_i α_ji x_i (x_0 = 1)
            else:
                a, linear_cache = affine_forward(h, p[weight], p[bias])  # a = αᵀ z + b
            z, act_cache = act_forward(a)                                # z = act(a), elementwise
            h = prepend_one(z) if z0 else z                              # z_0 = 1 where β folds it
            values += (a, h)
            caches += (linear_cache, act_cache)
        weight, bias = self._output_row
        if bias is None:
            scores, linear_cache = linear_forward(h, p[weight])
        else:
            scores, linear_cache = affine_forward(h, p[weight], p[bias])
        caches.append(linear_cache)
        if y is None:
            o = self.Record(*values, scores, self._output.probabilities(scores), None)
        else:
            J, y_hat, _ = self._output.loss_forward(scores, y)
            o = self.Record(*values, scores, y_hat, J)
        o.caches = caches
        return o

    def backward_prepared(self, x, y, o, g_J=1.0):
        """NNBACKWARD on prepared input: the gradients, a tuple in the order of param_names.

        The backward pass starts from dJ/dJ = g_J; with g_J = γ every gradient
        comes out already multiplied by the learning rate (sgd uses this).  It
        runs on the caches of the record o, output row first.
        """
        caches, act_backward = o.caches, self.activation.backward
        g = self._output.loss_backward(g_J, (o.y_hat, y))               # dJ/db = ŷ − y* (/ N for a batch)
        grads = []                                                       # filled output first, then reversed
        l = self.depth
        for layer in reversed(self.layers):
            if layer.folded:
                g_h, g_w = linear_backward(g, caches[2 * l], l > 0)       # dJ/dα_ji = dJ/da_j z_i
                grads.append(g_w)
                if l:
                    g_h = g_h[..., 1:]                                   # z_0 = 1 is a constant
            else:
                g_h, g_w, g_bias = affine_backward(g, caches[2 * l], l > 0)
                grads += (g_bias, g_w)
            if l:
                g = act_backward(g_h, caches[2 * l - 1])                 # dJ/da = dJ/dz · act′(a)
            l -= 1
        grads.reverse()
        return tuple(grads)

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
        if type(o) is not self.Record or o.caches is None:
            raise ValueError(f"{operation}: o must be the {self.Record.__name__} that forward returned for "
                             f"this x, got {type(o).__name__}" + ("" if type(o) is not self.Record else
                                                                " without its caches"))
        used = [c[1] for c in o.caches[::2]]                         # each Linear row's cache: (input, weight)
        mine = [self.params[layer.weight] for layer in self.layers]
        if any(u is not w for u, w in zip(used, mine)):
            raise ValueError(f"{operation}: o was computed with other parameters than these (another model's, "
                             "or a copy); its gradients would belong to those: run forward with these parameters")
        if len(o.caches) > 1 and not _cache_fits(self.activation.name, o.caches[1]):
            raise ValueError(f"{operation}: o was computed by a network with another activation than this "
                             f"{self.activation.name} network")
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
        return self.engine_loss_prepared(*self.prepare(X, y, f"{type(self).__name__}.engine_loss"))

    @bp.under_numeric_policy
    def engine_loss_prepared(self, x, y):
        """`engine_loss` on input from `prepare` (checked once there, as for forward_prepared): for loops."""
        V = {n: bp.Var(p, name=n) for n, p in self.params.items()}
        h, has_one = x, self._folds_x0
        for l in range(self.depth):
            h = self.activation.engine(self.layers[l].engine(h, V, has_one)).named(f"z{l + 1}" if self.depth > 1
                                                                                  else "z")
            has_one = False                                           # the engine adds z_0 = 1 as a bias
        scores = self.layers[-1].engine(h, V, has_one).named("a" if self.depth == 0 else "b")
        return self._output.engine_loss(scores, y).named("J"), V

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


def _cache_fits(activation, cache):
    """Does an activation's cache look like the one `activation` keeps (a boolean mask for ReLU)?"""
    return (np.asarray(cache).dtype == np.bool_) == (activation == "relu")


class LogisticRegression(MLP):
    """Case 1: ŷ = σ(a), a = Σ_{j=0}^{M} θ_j x_j with x_0 = 1 (or softmax over K rows of θ): an MLP with L = 0.

    ``LogisticRegression(M, K=None, init="zeros", seed=0)``; K=None is the binary model.
    """

    kind = "logistic"
    depth = 0
    size_names = ("M",)

    def __init__(self, M, K=None, init="zeros", seed=0, scale=0.1):
        super().__init__(M, (), K=K, init=init, seed=seed, scale=scale)

    @classmethod
    def shapes(cls, M, K=None):
        """Parameter shapes for M features and K classes (None: binary)."""
        return MLP.shapes(M, K=K)


class OneHiddenLayerNet(MLP):
    """Case 2: a = α x, z = σ(a), b = β z (x_0 = z_0 = 1), ŷ = σ(b) or softmax(b): an MLP with L = 1.

    ``OneHiddenLayerNet(M, D, K=None, init="random", seed=0, activation="sigmoid")``; K=None is the
    binary model.
    """

    kind = "one_hidden"
    depth = 1
    size_names = ("M", "D")

    def __init__(self, M, D, K=None, init="random", seed=0, scale=0.1, activation="sigmoid"):
        super().__init__(M, (D,), K=K, activation=activation, init=init, seed=seed, scale=scale)

    @classmethod
    def shapes(cls, M, D, K=None):
        """Parameter shapes for M features, D hidden units and K classes (None: binary)."""
        return MLP.shapes(M, D, K=K)


class TwoHiddenLayerNet(MLP):
    """z1 = σ(α1ᵀ x + b1), z2 = σ(α2ᵀ z1 + b2), ŷ = σ(βᵀ z2 + β0) (or softmax), as on the slide:
    an MLP with L = 2.

    ``TwoHiddenLayerNet(M, D1, D2, K=None, init="random", seed=0, activation="sigmoid")``; K=None is
    the binary model.
    """

    kind = "two_hidden"
    depth = 2
    size_names = ("M", "D1", "D2")

    def __init__(self, M, D1, D2, K=None, init="random", seed=0, scale=0.1, activation="sigmoid"):
        super().__init__(M, (D1, D2), K=K, activation=activation, init=init, seed=seed, scale=scale)

    @classmethod
    def shapes(cls, M, D1, D2, K=None):
        """Parameter shapes for M features, D1 and D2 hidden units and K classes (None: binary)."""
        return MLP.shapes(M, D1, D2, K=K)


_KINDS = {cls.kind: cls for cls in (LogisticRegression, OneHiddenLayerNet, TwoHiddenLayerNet, MLP)}
_BY_DEPTH = {cls.depth: cls for cls in (LogisticRegression, OneHiddenLayerNet, TwoHiddenLayerNet)}


def init_params(kind, *sizes, K=None, init="random", seed=0, scale=0.1):
    """Parameters for `kind` and its sizes: 'logistic' (M,), 'one_hidden' (M, D), 'two_hidden' (M, D1, D2),
    or 'mlp' (M, H1, …, HL) for any number L ≥ 0 of hidden layers.

    init='zeros': every entry 0 (then all hidden units compute the same thing
    and stay identical under SGD).  init='random': weights drawn from
    U(-scale, scale) with a generator seeded by `seed`, in the order of the
    parameter names, biases 0 (the bias column of a folded α or β too).
    """
    if kind not in _KINDS:
        raise ValueError(f"init_params: kind must be one of {sorted(_KINDS)}, got {kind!r}")
    if init not in ("zeros", "random"):
        raise ValueError(f"init_params: init must be 'zeros' or 'random', got {init!r}")
    cls = _KINDS[kind]
    if K is not None and not (isinstance(K, (int, np.integer)) and not isinstance(K, bool) and K >= 2):
        raise ValueError(f"init_params: K must be an integer >= 2 (or None for a binary output), got {K!r}")
    names = ("M", "H1", "…") if cls is MLP else cls.size_names
    if (cls is not MLP and len(sizes) != len(cls.size_names)) or not sizes:
        raise ValueError(f"init_params: {kind} takes positive integer sizes {', '.join(names)}, got {sizes}")
    for i, n in enumerate(sizes):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            what = "M, the number of features," if i == 0 else f"hidden layer {i}"
            raise ValueError(f"init_params: {what} must be a positive whole number of units, got {n!r} "
                             f"(sizes {sizes}); a hidden layer of 0 units would cut the network in two")
    if not (isinstance(scale, (int, float, np.number)) and 0 < scale < np.inf):
        raise ValueError(f"init_params: scale must be a positive finite number, got {scale!r}")
    shapes = MLP.shapes(*sizes, K=K)
    if init == "zeros":
        return {n: np.zeros(s) for n, s in shapes.items()}
    rng = np.random.default_rng(seed)
    params = {n: rng.uniform(-scale, scale, s) for n, s in shapes.items()}
    for layer in _layers(len(sizes) - 1):
        if layer.folded:
            params[layer.weight][..., 0] = 0.0
        else:
            params[layer.bias][...] = 0.0
    return params


def model_from_params(params, activation=None):
    """The model whose parameter names these are, wrapping the arrays (no copy): LogisticRegression,
    OneHiddenLayerNet or TwoHiddenLayerNet for L ≤ 2 hidden layers, else an MLP.

    The activation is the one the parameters carry (a model's ``params``), else `activation`, else
    'sigmoid'; a model passed instead of parameters is returned as it is.
    """
    if isinstance(params, MLP):
        if activation is not None and activation != params.activation.name:
            raise ValueError(f"model_from_params: the model is a {params.activation.name} network, "
                             f"not {activation}")
        return params
    L = _depth_of(params)
    if L is None:
        raise ValueError(f"model_from_params: parameter names {sorted(params)} match no model; expected one of "
                         + "; ".join(str(sorted(_param_names(L))) for L in (0, 1, 2))
                         + "; or alpha1, b1, …, alphaL, bL, beta, beta0 for L ≥ 3 hidden layers")
    return _BY_DEPTH.get(L, MLP).from_params(params, activation)


def nn_forward(x, y, params):
    """NNFORWARD(x, y, α, β) of Algorithm 1: the record o of intermediate quantities and J.

    x: one example (M,) or a batch (N, M) of raw features; x_0 = 1 is added
    where the model folds it.  The architecture is read from the names in params, the activation
    from the model they belong to (a model's ``params`` carry it; a plain dict means sigmoid);
    `params` may also be the model itself.
    """
    return model_from_params(params).forward(x, y)


def nn_backward(x, y, params, o):
    """NNBACKWARD(x, y, α, β, o) of Algorithm 1: {name: dJ/dparam}, each shaped like its parameter.

    `o` must be what nn_forward returned for this x with these parameters; a record of another x,
    of other parameters or of a network with another activation is refused.
    """
    return model_from_params(params).backward(x, y, o, "nn_backward")
