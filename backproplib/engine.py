"""Reverse-mode automatic differentiation on a computation graph.

Lecture 13, "The Backpropagation Algorithm":

* **Forward computation.** Writing y = f(x) with `Var`s builds a directed
  acyclic graph: every intermediate variable u_i = g_i(v_1, ..., v_N) is a node
  that stores its value, its inputs (in order) and its operation.
* **Backward computation.** Visiting the nodes in reverse topological order,
  each operation supplies its *local* derivatives du_i/dv_j, and the chain rule
  dy/dv_j = Σ_i (dy/du_i)(du_i/dv_j) assembles the gradient.
  Version B (the default) pushes (dy/du_i)(du_i/dv_j) from each node into its
  inputs; Version A pulls, summing over each node's consumers.

Every primitive is an `Op`: its forward function and, for each input, the
local derivative, written next to each other.  A value is a Python float
(scalar graphs, fast path) or a float64 numpy array (vectorised networks).

Gradient rule: ``backward`` *sets* ``.grad`` on every node of the graph to
dy/d(node) (constants excepted: their .grad stays None); it never adds to
gradients left by an earlier call.  Calling it twice gives the same gradients
twice.  Every node owns its gradient (no two nodes share one array), and a
backward pass that fails leaves every gradient as it was before the call.

Numeric policy, the same for Python floats and arrays: every value is a
finite float64.  A NaN or infinite input, constant or seed is refused, and an
operation whose result or derivative overflows to ±inf or turns into NaN
raises a ValueError naming the operation and the values (scalars) or shapes
(arrays) at fault.  It is enforced where numbers enter (leaves, constants,
seeds, a primitive's results) and by numpy raising on overflow, division by
zero and NaN during array arithmetic; Python floats are checked as they go,
since their arithmetic does not raise.  `under_numeric_policy` sets numpy's
error state once for a whole function that builds many operations.
"""
import contextvars
import functools
import itertools
import math
import operator

import numpy as np

from . import functional as F
from . import modules

__all__ = [
    "Var", "Op", "primitive", "backward", "under_numeric_policy", "topological_order", "constant",
    "contribution", "consumers",
    "exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "power",
    "sum", "mean", "transpose", "reshape", "matmul", "take",
    "softmax_cross_entropy", "sigmoid_cross_entropy",
]

_creation_counter = itertools.count()


class Op:
    """A primitive operation: its forward function and, per input, its local derivative.

    ``Op(name, fmt, forward, (label_1, vjp_1)[, (label_2, vjp_2)])``, one pair per input v_j:

    * `fmt` prints the forward equation from the inputs' labels ({0}, {1}) and
      the op's fixed argument ({aux});
    * ``op.labels[j]`` prints du/dv_j for the tables; besides {0}, {1} and {aux}
      it may use the node's own label ({out}), the exponent minus one
      ({aux_minus_1}), a reduction's axis ({axis}) and an index ({index}); a label
      containing {g} (the incoming dy/du) prints the whole product instead, for
      array operations where it is not a plain multiplication;
    * ``op.vjps[j](node, g)`` returns g·(du/dv_j), the contribution of node u to
      dy/dv_j (for arrays, a vector-Jacobian product laid out like v_j).

    `primitive` builds an Op (and the function that applies it) from a forward
    and one elementwise derivative per input; this class is the general form.
    """

    __slots__ = ("name", "fmt", "forward", "labels", "vjps")

    def __init__(self, name, fmt, forward, *partials):
        if len(partials) > 2:
            raise ValueError(f"Op {name!r}: a node has at most two inputs (v1, v2), got {len(partials)} partials")
        self.name, self.fmt, self.forward = name, fmt, forward
        self.labels = tuple(label for label, _ in partials)
        self.vjps = tuple(vjp for _, vjp in partials)

    @property
    def partials(self):
        """The pairs (labels[j], vjps[j]), one per input: `label, vjp = op.partials[j]`."""
        return tuple(zip(self.labels, self.vjps))

    def __repr__(self):
        return f"Op({self.name!r})"


CONSTANT = Op("constant", "{aux}", None)


class Var:
    """A node of the computation graph: a float64 value, its inputs and, after backward, `.grad`.

    >>> x = Var(2.0, name="x")
    >>> J = cos(sin(x**2) + 3 * x**2)
    >>> J.backward()
    >>> round(x.grad, 6)
    9.099149
    """

    # One object per node (no separate tuple of inputs): the inputs are v1 and v2, the lecture's
    # v_1, v_2 (None where absent), and `inputs` lists them.  Fewer objects per node means less work
    # for Python's garbage collector, a third to a half of all the time on graphs of 10⁵–10⁶ nodes.
    __slots__ = ("value", "grad", "op", "v1", "v2", "aux", "name", "_index")
    __array_ufunc__ = None      # numpy defers to Var: ndarray * Var calls Var.__rmul__

    def __init__(self, value, name=None):
        self.value = _as_float64(value, "Var", name=name)
        self.grad = None
        self.op = None
        self.v1 = self.v2 = None
        self.aux = None
        self.name = name
        self._index = next(_creation_counter)

    def named(self, name):
        """Give this node a name for tables and drawings; returns the node itself."""
        self.name = name
        return self

    @property
    def inputs(self):
        """The nodes this one is computed from, in order: (), (v1,) or (v1, v2)."""
        if self.v1 is None:
            return ()
        return (self.v1,) if self.v2 is None else (self.v1, self.v2)

    @property
    def shape(self):
        return _shape(self.value)

    def __repr__(self):
        label = f"{self.name} = " if self.name else ""
        grad = "" if self.grad is None else f", grad={self.grad!r}"
        return f"Var({label}{self.value!r}{grad})"

    def __float__(self):
        return float(self.value)

    def backward(self, version="B", seed=None):
        """Set .grad of every node to d(self)/d(node); see `backward`."""
        backward(self, version=version, seed=seed)

    # Python numbers and numpy arrays mix in as constants: 3 * t, 1 - y, X @ w
    def __add__(self, other):
        return _binary(ADD, self, other)

    def __radd__(self, other):
        return _binary(ADD, other, self)

    def __sub__(self, other):
        return _binary(SUB, self, other)

    def __rsub__(self, other):
        return _binary(SUB, other, self)

    def __mul__(self, other):
        return _binary(MUL, self, other)

    def __rmul__(self, other):
        return _binary(MUL, other, self)

    def __truediv__(self, other):
        return _binary(DIV, self, other)

    def __rtruediv__(self, other):
        return _binary(DIV, other, self)

    def __neg__(self):
        return _unary(NEG, self)

    def __pow__(self, p):
        return power(self, p)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    def __getitem__(self, index):
        return take(self, index)

    @property
    def T(self):
        return transpose(self)

    def sum(self, axis=None):
        return sum(self, axis)

    def mean(self, axis=None):
        return mean(self, axis)

    def reshape(self, *shape):
        return reshape(self, shape[0] if len(shape) == 1 else shape)


def _as_float64(value, operation, what="value", name=None):
    """A Python float for a scalar, else a float64 array (a copy); anything else, NaN or ±inf is an error.

    Messages begin with `operation`, followed by `name` if given (a Var's: "Var 'x'"), built only then.
    """
    if type(value) is float:
        if value - value:               # inf - inf and nan - nan are nan: not finite
            raise ValueError(f"{_label(operation, name)}: the {what} {value!r} is not a finite number; every "
                             "value must be finite")
        return value
    if type(value) is int:
        try:
            return float(value)
        except OverflowError:
            raise ValueError(f"{_label(operation, name)}: the {what} {value} is too large for float64") from None
    if type(value) is np.ndarray and value.dtype == np.float64 and value.ndim:
        arr = value.copy(order="K")     # the common case (parameters, data): straight to the finiteness check
    else:
        if isinstance(value, Var):
            raise TypeError(f"{_label(operation, name)}: got a Var where a number or an array was expected")
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{_label(operation, name)}: values must be real numbers, got dtype {arr.dtype}")
        if arr.ndim == 0:
            return _as_float64(float(arr), operation, what, name)
        arr = np.array(arr, dtype=np.float64)
    _refuse_non_finite(arr, operation, what, name)
    return arr


def _label(operation, name):
    return operation if name is None else f"{operation} {name!r}"


def _refuse_non_finite(arr, operation, what, name=None):
    """Raise ValueError naming the operation, the shape and the first entry of the array `arr` that is ±inf or NaN."""
    if not F.all_finite(arr):
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise ValueError(f"{_label(operation, name)}: the {what} of shape {arr.shape} holds "
                         f"{float(arr[where])!r} at index {where}; every value must be finite")


def _shape(value):
    """The shape of a node's value: an array's, or () for a Python float (the only other kind)."""
    return value.shape if type(value) is np.ndarray else ()


def constant(value, operation="constant"):
    """A leaf for a fixed number, such as the 3 in u2 = 3t; tables print it by its value."""
    value = _as_float64(value, operation, "constant")
    return _node(value, CONSTANT, None, None, value)


def _node_of(x, operation):
    return x if type(x) is Var else constant(x, operation)


_new_var = object.__new__


def _node(value, op, v1, v2=None, aux=None):
    """The node u = op(v1, v2) holding `value`, built without __init__'s checks (the hot path)."""
    node = _new_var(Var)
    node.value = value
    node.grad = None
    node.op = op
    node.v1 = v1
    node.v2 = v2
    node.aux = aux
    node.name = None
    node._index = next(_creation_counter)
    return node


def _array_node(value, op, v1, v2=None, aux=None):
    """`_node` for a numpy result: a 0-d result becomes a Python float (the scalar fast path)."""
    if type(value) is not np.ndarray or value.ndim == 0:
        value = float(value)
    return _node(value, op, v1, v2, aux)


# ------------------------------------------------------------ forward machinery

_NO_AUX = object()      # an op without a fixed argument (None is a real one: sum over all axes)


_RAISE = dict(over="raise", divide="raise", invalid="raise")
_under_policy = contextvars.ContextVar("backproplib_engine_policy", default=False)


@np.errstate(**_RAISE)
def _raising(fn, *args):
    """fn(*args) with numpy's overflow, division by zero and invalid values raised as FloatingPointError.

    A decorated function rather than a `with np.errstate` block, which would build a new errstate
    object on every call (a good part of a small op's cost).
    """
    return fn(*args)


def _strict(fn, *args):
    """fn(*args) under the numeric policy: `_raising`, unless `under_numeric_policy` already set it."""
    return fn(*args) if _under_policy.get() else _raising(fn, *args)


def under_numeric_policy(fn):
    """Decorate a function that builds many operations (a model's loss, a training step) to run them
    all under one setting of the numeric policy.

    Every operation already raises on overflow, division by zero and NaN by itself; inside `fn` it
    finds the policy set and skips setting it again (about a microsecond an operation).  Numbers and
    errors are the same with or without it.  Like numpy's errstate, it holds for the current thread
    (or asyncio task) only.
    """
    @functools.wraps(fn)
    def under_policy(*args):
        token = _under_policy.set(True)
        try:
            return _raising(fn, *args)
        finally:
            _under_policy.reset(token)
    return under_policy


def _not_finite(result):
    """What a float result that is not finite means, in numpy's words for the same event on arrays."""
    if result != result:
        return "invalid value encountered (the result is nan)"
    return f"overflow encountered (the result is {result!r})"


def _unary(op, x, aux=_NO_AUX):
    """u = op(x): Python floats take the fast path; both kinds raise on overflow or NaN."""
    if type(x) is not Var:
        x = constant(x, op.name)
    v = x.value
    if type(v) is float:
        try:
            r = op.forward(v) if aux is _NO_AUX else op.forward(v, aux)
        except OverflowError:
            raise ValueError(f"{op.name}: overflow encountered (the result is too large for float64) "
                             f"at input {v!r}") from None
        except (ValueError, ZeroDivisionError) as err:
            raise ValueError(f"{op.name}: {err} at input {v!r}") from None
        if type(r) is float:
            if r - r:                   # ±inf or nan
                raise ValueError(f"{op.name}: {_not_finite(r)} at input {v!r}")
            return _node(r, op, x, None, None if aux is _NO_AUX else aux)
        # a float reshaped into an array: checked below like any array result
    try:
        r = _strict(op.forward, v) if aux is _NO_AUX else _strict(op.forward, v, aux)
    except FloatingPointError as err:
        raise ValueError(f"{op.name}: {err} for an input of shape {np.shape(v)}") from None
    return _array_node(r, op, x, None, None if aux is _NO_AUX else aux)


def _binary(op, a, b):
    """u = op(a, b) with numpy broadcasting, allowed only where the result has an operand's shape."""
    if type(a) is not Var:              # a finite Python float (3.0 * t) needs none of constant()'s checks
        a = _node(a, CONSTANT, None, None, a) if type(a) is float and a - a == 0.0 else constant(a, op.name)
    if type(b) is not Var:
        b = _node(b, CONSTANT, None, None, b) if type(b) is float and b - b == 0.0 else constant(b, op.name)
    av, bv = a.value, b.value
    if type(av) is float and type(bv) is float:
        try:
            r = op.forward(av, bv)
        except ZeroDivisionError:
            raise ValueError(f"{op.name}: division by zero at inputs {av!r} and {bv!r}") from None
        if r - r:                       # ±inf or nan, where numpy would raise for arrays
            raise ValueError(f"{op.name}: {_not_finite(r)} at inputs {av!r} and {bv!r}")
        return _node(r, op, a, b)
    _check_broadcast(op.name, _shape(av), _shape(bv))
    try:
        r = _strict(op.forward, av, bv)
    except FloatingPointError as err:
        raise ValueError(f"{op.name}: {err} for shapes {np.shape(av)} and {np.shape(bv)}") from None
    return _array_node(r, op, a, b)


def _check_broadcast(operation, sa, sb):
    """(N, H) + (H,) is a bias and fine; (3,) + (3, 1) silently making (3, 3) is an error."""
    if sa == sb or not sb or (len(sb) <= len(sa) and sa[len(sa) - len(sb):] == sb) or not sa:
        return                          # the common cases, decided without numpy: the result has shape sa (or sb)
    try:
        out = np.broadcast_shapes(sa, sb)
    except ValueError:
        raise ValueError(f"{operation}: shapes {sa} and {sb} cannot be broadcast together") from None
    if out != sa and out != sb:
        raise ValueError(f"{operation}: shapes {sa} and {sb} would broadcast to {out}, larger than "
                         "either operand; reshape one of them explicitly if you mean that")


def _fit(c, shape):
    """Sum a gradient contribution over the axes that broadcasting added, back to `shape`."""
    if not shape:
        return float(np.add.reduce(c, axis=None))       # np.sum(c), without its Python wrapper
    extra = (c.ndim if type(c) is np.ndarray else np.ndim(c)) - len(shape)
    if extra == 1 and c.shape[1:] == shape:             # a bias added to every row of a batch: one sum
        return np.add.reduce(c, axis=0)
    if extra:
        c = np.add.reduce(c, axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and c.shape[i] != 1)
    return np.add.reduce(c, axis=stretched, keepdims=True) if stretched else c


def _scalar_or_array(math_fn, numpy_fn):
    """One forward for both kinds of value: math.* on floats (fast), numpy on arrays."""
    def forward(v):
        return math_fn(v) if type(v) is float else numpy_fn(v)
    forward.__name__ = numpy_fn.__name__
    return forward


_sin = _scalar_or_array(math.sin, np.sin)
_cos = _scalar_or_array(math.cos, np.cos)
_exp = _scalar_or_array(math.exp, np.exp)
_log = _scalar_or_array(math.log, np.log)
_tanh = _scalar_or_array(math.tanh, np.tanh)


# ------------------------------------------- primitives: forward | local derivative per input

ADD = Op("add", "{0} + {1}", operator.add,
         ("1", lambda n, g: g),
         ("1", lambda n, g: g))

SUB = Op("sub", "{0} − {1}", operator.sub,
         ("1", lambda n, g: g),
         ("−1", lambda n, g: -g))

MUL = Op("mul", "{0}·{1}", operator.mul,
         ("{1}", lambda n, g: g * n.v2.value),
         ("{0}", lambda n, g: g * n.v1.value))

DIV = Op("div", "{0} / {1}", operator.truediv,
         ("1/{1}", lambda n, g: g / n.v2.value),
         ("−{0}/{1}²", lambda n, g: -g * n.value / n.v2.value))

NEG = Op("neg", "−{0}", operator.neg,
         ("−1", lambda n, g: -g))

EXP = Op("exp", "exp({0})", _exp,
         ("exp({0})", lambda n, g: g * n.value))

LOG = Op("log", "log({0})", _log,
         ("1/{0}", lambda n, g: g / n.v1.value))

SIN = Op("sin", "sin({0})", _sin,
         ("cos({0})", lambda n, g: g * _cos(n.v1.value)))

COS = Op("cos", "cos({0})", _cos,
         ("−sin({0})", lambda n, g: -g * _sin(n.v1.value)))

TANH = Op("tanh", "tanh({0})", _tanh,
          ("1 − {out}²", lambda n, g: g * (1.0 - n.value * n.value)))

SIGMOID = Op("sigmoid", "σ({0})", F.sigmoid,
             ("{out}(1 − {out})", lambda n, g: g * n.value * (1.0 - n.value)))

RELU = Op("relu", "relu({0})", lambda v: (0.0 if v < 0.0 else v) if type(v) is float else np.maximum(v, 0.0),
          ("[{0} > 0]", lambda n, g: g * (n.v1.value > 0)))


def _pow_vjp(n, g):
    p = n.aux
    if p == 0:                          # d(x⁰)/dx = 0, also at x = 0 where 0·0⁻¹ would divide by zero
        return g * 0.0
    return g * p * n.v1.value ** (p - 1)


POW = Op("pow", "{0}^{aux}", lambda v, p: v ** p,
         ("{aux}·{0}^{aux_minus_1}", _pow_vjp))

TRANSPOSE = Op("transpose", "{0}ᵀ", np.transpose,
               ("({g})ᵀ", lambda n, g: np.transpose(g)))

RESHAPE = Op("reshape", "reshape({0}, {aux})", lambda v, shape: np.reshape(v, shape),
             ("reshape({g}, shape of {0})", lambda n, g: np.reshape(g, n.v1.shape)))


def _sum_forward(v, axis=None):
    return np.sum(v, axis=axis)


def _spread(n, g):
    """The gradient of a sum: copy g back along the summed axis."""
    shape = n.v1.shape
    if n.aux is not None:
        g = np.expand_dims(g, n.aux)
    return np.broadcast_to(g, shape).copy()


SUM = Op("sum", "sum({0}{axis})", _sum_forward,
         ("1", _spread))

MEAN = Op("mean", "mean({0}{axis})", lambda v, axis=None: np.mean(v, axis=axis),
          ("1/n", lambda n, g: _spread(n, g) * (np.prod(np.shape(n.value)) / np.size(n.v1.value))))


def _take_vjp(n, g):
    out = np.zeros(n.v1.shape)
    np.add.at(out, n.aux, g)
    return out


TAKE = Op("index", "{0}[{index}]", lambda v, index: (np.asarray(v) if type(v) is float else v)[index],
          ("{g} scattered into {0}[{index}]", _take_vjp))


def _matmul_forward(a, b):
    return a @ b


def _matmul_left(n, g):
    """dJ/dA for u = A @ B (denominator layout: the shape of A)."""
    a, b = n.v1.value, n.v2.value
    if b.ndim == 1:
        return np.multiply.outer(g, b) if a.ndim == 2 else g * b
    return b @ g if a.ndim == 1 else g @ b.T


def _matmul_right(n, g):
    """dJ/dB for u = A @ B (the shape of B)."""
    a, b = n.v1.value, n.v2.value
    if a.ndim == 1:
        return np.multiply.outer(a, g) if b.ndim == 2 else g * a
    return a.T @ g


MATMUL = Op("matmul", "{0} @ {1}", _matmul_forward,
            ("{g} @ {1}ᵀ", _matmul_left),
            ("{0}ᵀ @ {g}", _matmul_right))


def _softmax_ce_vjp(n, g):
    return modules.softmax_cross_entropy_backward(g, n.aux)        # aux = (ŷ, labels), the module's cache


SOFTMAX_CE = Op("softmax_cross_entropy", "CE(softmax({0}), y*)", None,
                ("(ŷ − y*)/N", _softmax_ce_vjp))


def _sigmoid_ce_vjp(n, g):
    y, y_star = n.aux
    return g * (y - y_star) / (y.size if type(y) is np.ndarray else 1)      # N ≥ 1: an empty batch is refused


SIGMOID_CE = Op("sigmoid_cross_entropy", "CE(σ({0}), y*)", None,
                ("(y − y*)/N", _sigmoid_ce_vjp))


# --------------------------------------------------------------------- public functions

def exp(x):
    """u = exp(x);  du/dx = exp(x)."""
    return _unary(EXP, x)


def log(x):
    """u = log(x) (natural log);  du/dx = 1/x.  Raises ValueError for x <= 0."""
    x = _node_of(x, "log")
    if np.any(np.asarray(x.value) <= 0):
        raise ValueError(f"log: input must be positive, got minimum {float(np.min(x.value))!r}")
    return _unary(LOG, x)


def sin(x):
    """u = sin(x);  du/dx = cos(x)."""
    return _unary(SIN, x)


def cos(x):
    """u = cos(x);  du/dx = -sin(x)."""
    return _unary(COS, x)


def tanh(x):
    """u = tanh(x);  du/dx = 1 - tanh(x)²."""
    return _unary(TANH, x)


def sigmoid(x):
    """z = σ(a) = 1/(1 + exp(-a)), stable for any a;  dz/da = z(1 - z) (lecture eq. 9)."""
    return _unary(SIGMOID, x)


def relu(x):
    """u = max(x, 0);  du/dx = 1 where x > 0, else 0."""
    return _unary(RELU, x)


def power(x, p):
    """u = x^p for a constant, finite number p (int, float or a numpy scalar);  du/dx = p·x^(p-1)."""
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"pow: the exponent must be a constant number, got {type(p).__name__}; "
                        "for a variable exponent write exp(p * log(x))")
    p = int(p) if isinstance(p, (int, np.integer)) else float(p)
    if type(p) is float and not math.isfinite(p):
        raise ValueError(f"pow: the exponent must be a finite number, got {p!r}")
    x = _node_of(x, "pow")
    if type(x.value) is float and x.value < 0 and p != int(p):
        raise ValueError(f"pow: {x.value!r} ** {p!r} is not a real number")
    return _unary(POW, x, p)


def transpose(x):
    """u = xᵀ (reverses the axes; a 1-D array is unchanged)."""
    return _unary(TRANSPOSE, x)


def reshape(x, shape):
    """u = x with a new shape and the same entries."""
    x = _node_of(x, "reshape")
    try:
        np.empty(np.shape(x.value)).reshape(shape)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape an array of shape {x.shape} into {shape}") from None
    return _unary(RESHAPE, x, shape)


def sum(x, axis=None):
    """u = Σ x (over all entries, or along `axis`);  du/dx_i = 1."""
    return _reduce(SUM, x, axis)


def mean(x, axis=None):
    """u = (1/n) Σ x;  du/dx_i = 1/n."""
    return _reduce(MEAN, x, axis)


def _reduce(op, x, axis):
    x = _node_of(x, op.name)
    axis = _axes(op.name, axis, x.shape)
    if op is MEAN and type(x.value) is not float:
        axes = range(x.value.ndim) if axis is None else axis if type(axis) is tuple else (axis,)
        if math.prod(x.shape[a] for a in axes) == 0:
            raise ValueError(f"mean: the mean over no entries is undefined (an empty batch?): input of shape "
                             f"{x.shape}" + ("" if axis is None else f", axis {axis}"))
    if type(x.value) is float:
        return _node(x.value, op, x, None, axis)
    return _unary(op, x, axis)


def _axes(operation, axis, shape):
    """`axis` checked against `shape`: None, an int, or a tuple of distinct ints (made non-negative)."""
    if axis is None:
        return None
    many = isinstance(axis, tuple)
    for a in (axis if many else (axis,)):
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"{operation}: axis must be an integer or a tuple of integers, got {axis!r}")
        if not -len(shape) <= a < len(shape):
            raise ValueError(f"{operation}: axis {a} is out of range for shape {shape}")
    if not many:
        return int(axis)
    axes = tuple(sorted(int(a) % len(shape) for a in axis))
    if len(set(axes)) != len(axes):
        raise ValueError(f"{operation}: axis {axis} names an axis twice (shape {shape})")
    return axes


def take(x, index):
    """u = x[index] (numpy indexing);  the gradient scatters back to the picked entries."""
    x = _node_of(x, "index")
    try:
        np.empty(np.shape(x.value))[index]
    except IndexError as err:
        raise ValueError(f"index: {err} (array of shape {x.shape})") from None
    return _unary(TAKE, x, index)


def matmul(a, b):
    """u = A @ B for 1-D or 2-D arrays;  dJ/dA = (dJ/du) Bᵀ, dJ/dB = Aᵀ (dJ/du)."""
    a, b = _node_of(a, "matmul"), _node_of(b, "matmul")
    av, bv = a.value, b.value
    sa, sb = _shape(av), _shape(bv)
    if not (1 <= len(sa) <= 2 and 1 <= len(sb) <= 2):
        raise ValueError(f"matmul: needs 1-D or 2-D arrays, got shapes {sa} and {sb}")
    inner_a, inner_b = sa[-1], sb[0]
    if inner_a != inner_b:
        raise ValueError(f"matmul: shapes {sa} and {sb} are not aligned "
                         f"(inner dimensions {inner_a} and {inner_b} differ)")
    try:
        r = _strict(_matmul_forward, av, bv)
    except FloatingPointError as err:
        raise ValueError(f"matmul: {err} for shapes {sa} and {sb}") from None
    return _array_node(r, MATMUL, a, b)


def softmax_cross_entropy(a, labels):
    """J = mean over examples of -log ŷ_{y*}, ŷ = softmax(a); dJ/da = (ŷ - onehot(y*))/N.

    `a`: scores of shape (N, K) (or (K,) for one example); `labels`: integers
    0..K-1.  The negative of the log-likelihood, so that we minimise it.  J and ŷ
    come from `functional.softmax_cross_entropy_with_probs`, the routine the hand-written
    `modules.softmax_cross_entropy_forward` uses too, so the two agree bit for bit.
    """
    a = _node_of(a, "softmax_cross_entropy")       # a node's value is finite (the numeric policy)
    losses, probs, labels = F.softmax_cross_entropy_with_probs(a.value, labels, "softmax_cross_entropy")
    loss = losses if probs.ndim == 1 else F.mean(losses)
    return _node(loss, SOFTMAX_CE, a, None, (probs, labels))


def sigmoid_cross_entropy(b, y_star):
    """J = mean of -[y* log y + (1-y*) log(1-y)], y = σ(b);  dJ/db = (y - y*)/N.

    The lecture's J is the log-likelihood y* log y + (1-y*) log(1-y); this is its
    negative mean (the cross-entropy), the quantity we minimise.  Stable for
    any finite b and labels exactly 0 or 1.
    """
    b = _node_of(b, "sigmoid_cross_entropy")
    if type(b.value) is np.ndarray and b.value.size == 0:
        raise ValueError(f"sigmoid_cross_entropy: the batch is empty (logits of shape {b.shape}); the mean "
                         "loss over no examples is undefined")
    y_star_arr = np.asarray(y_star, dtype=np.float64)
    loss = F.mean(F.binary_cross_entropy_with_logits(b.value, y_star_arr, "sigmoid_cross_entropy"))
    y = F.sigmoid(b.value)
    return _node(loss, SIGMOID_CE, b, None, (y, y_star_arr if y_star_arr.ndim else float(y_star_arr)))


def primitive(name, forward, *derivatives, fmt=None, labels=None):
    """A new primitive operation u = f(v1) or u = f(v1, v2), from its forward and its local derivatives.

    The lecture's backward computation needs nothing else from an operation:
    its value, and for each input v_j the local derivative du/dv_j.  Give

    * `forward(v1[, v2])`: the value u, for Python floats and for float64 arrays
      (elementwise; numpy functions such as np.logaddexp serve both);
    * one `derivative(v1[, v2])` per input: du/dv_j at those inputs, elementwise,
      shaped like u (the chain rule then multiplies it by dy/du);
    * `fmt` (default "name({0})" or "name({0}, {1})"): the forward equation for
      tables and drawings, with {0}, {1} for the inputs' labels;
    * `labels` (default "∂name/∂v1", ...): how the tables print each du/dv_j,
      with the same fields ({0}, {1}, and {out} for u itself).

    Returns the function that applies it to Vars (numbers and arrays become
    constants, as for the built-in operations), with the `Op` as its `.op`.
    Its nodes take part in everything the built-ins do: `backward` Versions A
    and B, `forward_backward_table`, `backward_steps` and `draw_graph`, and the
    numeric policy (a result or derivative that is not finite is an error
    naming `name`).

    For example softplus, u = log(1 + e^v) with du/dv = σ(v):

        softplus = primitive("softplus", lambda v: np.logaddexp(0.0, v), functional.sigmoid,
                             labels=["σ({0})"])
        J = softplus(Var(2.0, name="x"));  J.backward()      # x.grad == σ(2)
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"primitive: name must be a non-empty string, got {name!r}")
    if not callable(forward):
        raise TypeError(f"primitive {name!r}: forward must be a function, got {type(forward).__name__}")
    if len(derivatives) not in (1, 2) or not all(callable(d) for d in derivatives):
        raise ValueError(f"primitive {name!r}: give one derivative function per input (one or two inputs), "
                         f"got {len(derivatives)} of types {[type(d).__name__ for d in derivatives]}")
    n_inputs = len(derivatives)
    if labels is None:
        labels = [f"∂{name}/∂v{j + 1}" for j in range(n_inputs)] if n_inputs == 2 else [f"{name}′({{0}})"]
    labels = list(labels)
    if len(labels) != n_inputs or not all(isinstance(label, str) for label in labels):
        raise ValueError(f"primitive {name!r}: labels must be {n_inputs} string(s), one per derivative, "
                         f"got {labels!r}")
    if fmt is None:
        fmt = f"{name}({{0}})" if n_inputs == 1 else f"{name}({{0}}, {{1}})"
    derivatives = [_finite_derivative(name, d) for d in derivatives]
    if n_inputs == 1:
        d1, = derivatives
        op = Op(name, fmt, forward, (labels[0], lambda n, g: g * d1(n.v1.value)))

        def apply(x):
            return _finite_result(_unary(op, x))
    else:
        d1, d2 = derivatives
        op = Op(name, fmt, forward, (labels[0], lambda n, g: g * d1(n.v1.value, n.v2.value)),
                (labels[1], lambda n, g: g * d2(n.v1.value, n.v2.value)))

        def apply(a, b):
            return _finite_result(_binary(op, a, b))
    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"u = {fmt.format('v1', 'v2')}, a primitive defined with engine.primitive."
    apply.op = op
    return apply


# ---------------------------------------------------------------------------- backward

def _finite_derivative(name, derivative):
    """`derivative`, raising FloatingPointError where it gives ±inf or NaN (the backward pass then names
    the primitive): numpy may not signal it (np.where(v == 0, np.inf, 1 / v) is silent), and the chain
    rule would carry it on unnoticed."""
    def checked(*values):
        d = derivative(*values)
        if not F.all_finite(d):
            raise FloatingPointError(f"the derivative of {name} is not finite")
        return d
    return checked


def _finite_result(u):
    """u, once its array value is checked finite: a primitive's forward may build ±inf or NaN without
    numpy raising (np.full(shape, np.inf), say), where a built-in operation cannot."""
    if type(u.value) is not float:
        _refuse_non_finite(u.value, u.op.name, "result")
    return u


def topological_order(y):
    """All nodes that y depends on, each after its inputs (iterative: no recursion limit).

    A node can only be built from nodes that already exist, so the order in
    which nodes were created is a topological order: collect the nodes
    reachable from y breadth-first, then sort them by creation.
    """
    seen = {y}
    nodes = [y]
    for u in nodes:                     # the list grows as we go: a breadth-first sweep
        v1, v2 = u.v1, u.v2
        if v1 is not None and v1 not in seen:
            seen.add(v1)
            nodes.append(v1)
        if v2 is not None and v2 not in seen:
            seen.add(v2)
            nodes.append(v2)
    nodes.sort(key=_creation_index)     # found from y backwards, so nearly sorted already
    return nodes


_creation_index = operator.attrgetter("_index")


def _order_for_backward(y):
    """`topological_order(y)` with every node's .grad reset to None, as backward begins, and the
    pairs (node, old .grad) of the nodes that had one, to put back if the backward pass fails.

    The same sweep, but a node found is marked in its .grad (which backward is
    about to reset anyway) instead of being added to a set: on a graph of 10⁵
    nodes that makes the whole backward pass about a tenth quicker.
    """
    found = object()                    # a marker no gradient can be
    saved = [] if y.grad is None else [(y, y.grad)]
    y.grad = found
    nodes = [y]
    for u in nodes:
        v1, v2 = u.v1, u.v2
        if v1 is not None and v1.grad is not found:
            if v1.grad is not None:
                saved.append((v1, v1.grad))
            v1.grad = found
            nodes.append(v1)
        if v2 is not None and v2.grad is not found:
            if v2.grad is not None:
                saved.append((v2, v2.grad))
            v2.grad = found
            nodes.append(v2)
    nodes.sort(key=_creation_index)
    for node in nodes:
        node.grad = None
    return nodes, saved


def _seed(y, seed):
    if seed is None:
        if y.shape:
            raise ValueError(f"backward: the output has shape {y.shape}; backward needs a scalar J "
                             "(sum or mean it first) or an explicit seed of that shape")
        return 1.0
    seed = _as_float64(seed, "backward", "seed")
    if np.shape(seed) != y.shape:
        raise ValueError(f"backward: seed has shape {np.shape(seed)} but the output has shape {y.shape}")
    return seed


def backward(y, version="B", seed=None):
    """Reverse-mode autodiff: set node.grad = dy/d(node) for every node y depends on.

    Constants (fixed numbers such as the 3 in 3x², or a batch of data) are the
    exception: nothing is differentiated with respect to them, so their .grad
    stays None and the work of computing it is skipped.

    version="B" (default): visit nodes in reverse topological order; each node u
    adds (dy/du)(du/dv_j) into the adjoint of each input v_j.
    version="A": visit nodes in reverse topological order; each node v sums
    (dy/du_i)(du_i/dv) over all the nodes u_i that consume it.
    Both add the same terms in the same order, so their results are identical.
    Gradients are *set*, not accumulated: a second call gives the same result.
    Each node gets an array of its own.  If a derivative overflows or is NaN
    (log or √ at 0, say), a ValueError names the operation and every .grad is
    left as it was before the call.  Returns the topological order used.
    """
    if not isinstance(y, Var):
        raise TypeError(f"backward: expected a Var, got {type(y).__name__}")
    if version not in ("A", "B"):
        raise ValueError(f"backward: version must be 'A' or 'B', got {version!r}")
    seed = _seed(y, seed)
    order, saved = _order_for_backward(y)
    try:
        _strict(_backward_b if version == "B" else _backward_a, y, order, seed)
    except BaseException:
        for node in order:              # no gradient half-set: put back what was there
            node.grad = None
        for node, grad in saved:
            node.grad = grad
        raise
    return order


def _backward_error(order, u, err):
    """The ValueError for a backward pass that met a derivative that is ±inf or NaN, or a division by zero.

    `u` is the node being differentiated when numpy or Python raised.  A NaN or ±inf spreads from where
    it arises to every node below, so the culprit is a consumer of the first node, from y down, whose
    gradient is not finite: the one whose contribution is not finite, or else their sum overflowed.
    """
    v = next((v for v in reversed(order) if not _is_finite(v.grad)), None)
    if v is not None:
        for w in order:                         # the consumers of v
            for slot, x in enumerate(w.inputs):
                if x is v and w.grad is not None:
                    try:
                        with np.errstate(all="ignore"):
                            c = np.ravel(contribution(w, slot, w.grad))
                    except (ZeroDivisionError, OverflowError) as exc:
                        return _differentiating(w, exc)
                    if not _is_finite(c):
                        return _differentiating(w, _not_finite(float(c[~np.isfinite(c)][0])))
        return ValueError(f"backward: overflow encountered: the contributions to the gradient of the node "
                          f"{_value_text(v)} add up to more than float64 holds")
    return _differentiating(u, err)


def _differentiating(u, err):
    inputs = " and ".join(_value_text(v) for v in u.inputs)
    return ValueError(f"backward: {err} while differentiating {u.op.name} at input {inputs} (check the "
                      "inputs for values where a derivative is infinite, such as log at 0)")


def _value_text(v):
    return repr(v.value) if type(v.value) is float else f"of shape {v.shape}"


def _is_finite(value):
    return value is None or bool(np.all(np.isfinite(value)))


def _own(c, g):
    """An array contribution that no other node holds: add, sub, transpose and reshape pass g itself
    or a view of it on, so those are copied."""
    return c.copy() if type(c) is not float and (c is g or c.base is not None) else c


def _check_float(g):
    """Raise FloatingPointError if g is a Python float that is ±inf or NaN.

    Why this is the only check a backward pass needs: every value in the graph is finite (checked where
    it enters: leaves, constants, seeds and primitives' results), and array arithmetic runs with numpy
    raising on overflow, division by zero and NaN, so no array gradient can stop being finite unnoticed.
    Python's float arithmetic does not raise (1e308 * 10 is inf), so a float gradient is checked where
    it ends (at a leaf) and before it spreads into an array (`_owned`, `_backward_a`), where
    multiplying by a finite number would carry an inf on without a signal.
    """
    if type(g) is float and g - g:
        raise FloatingPointError(_not_finite(g))


def _fitted(c, v):
    """The contribution c summed back to v's shape if broadcasting stretched v
    (and made a Python float again where v holds a float)."""
    value = v.value
    if type(value) is float or type(c) is not np.ndarray or c.shape != value.shape:
        return _fit(c, _shape(value))
    return c


def contribution(u, slot, g):
    """(dy/du)(du/dv_j) for v_j = u.inputs[slot], given g = dy/du: one term of dy/dv_j.

    Summed back to v_j's shape exactly as both backward versions add it (the
    step-by-step tables replay the backward pass with it).
    """
    c = u.op.vjps[slot](u, g)
    return c if type(c) is float else _fitted(c, u.inputs[slot])


def _owned(c, v, g):
    """An array contribution c = (dy/du)(du/dv) made fit to add into v.grad: summed back to v's shape if
    broadcasting stretched v, and copied if it is g itself or a view of it (add, sub, transpose and
    reshape pass g on), so that every node owns its gradient; a float g is checked first (`_check_float`)."""
    _check_float(g)
    return _own(_fitted(c, v), g)


def _backward_b(y, order, seed):
    y.grad = seed
    u = None
    try:
        for u in reversed(order):
            g = u.grad
            v = u.v1
            if v is None:               # a leaf or a constant: nothing to pass on, but check its gradient
                if type(g) is float and g - g:      # `_check_float`, inline: the scalar hot path
                    raise FloatingPointError(_not_finite(g))
                continue
            vjps = u.op.vjps
            if v.op is not CONSTANT:    # nothing is differentiated with respect to a constant
                c = vjps[0](u, g)       # (dy/du)(du/dv1)
                if type(c) is not float:
                    c = _owned(c, v, g)
                v.grad = c if v.grad is None else v.grad + c
            v = u.v2
            if v is not None and v.op is not CONSTANT:
                c = vjps[1](u, g)       # (dy/du)(du/dv2)
                if type(c) is not float:
                    c = _owned(c, v, g)
                v.grad = c if v.grad is None else v.grad + c
    except (FloatingPointError, ZeroDivisionError, OverflowError) as err:
        raise _backward_error(order, u, err) from None


def consumers(order):
    """For each node of `order`, the pairs (u_i, slot) of the nodes u_i that take it as an input.

    Listed in the order Version B visits them (later nodes first, input slots
    in order), so that Version A adds the same terms in the same order as B.
    """
    users = {node: [] for node in order}
    for u in reversed(order):
        for slot, v in enumerate(u.inputs):
            users[v].append((u, slot))
    return users


def _backward_a(y, order, seed):
    users = consumers(order)
    u = None
    try:
        for v in reversed(order):
            if v is y:
                v.grad = seed
            elif v.op is CONSTANT:
                continue                # nothing is differentiated with respect to a constant
            else:
                total = None
                for u, slot in users[v]:
                    _check_float(u.grad)
                    c = contribution(u, slot, u.grad)
                    total = _own(c, u.grad) if total is None else total + c
                v.grad = total
            if v.v1 is None:
                u = v
                _check_float(v.grad)
    except (FloatingPointError, ZeroDivisionError, OverflowError) as err:
        raise _backward_error(order, u, err) from None
