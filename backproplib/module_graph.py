"""The network as the lecture draws it before its backward pass: one graph node per module.

Lecture 13 writes the 1-hidden-layer network as a chain of modules,
x → a = αx → z = σ(a) → b = βz → ŷ = σ(b) → J, and derives NNBACKWARD by
walking that chain backwards.  `network_graph(net, x, y)` builds exactly that
chain with the engine, from any `models.MLP`:

* one leaf per input: x and each parameter, named as the model names them
  (`net.param_names`) and labelled in the lecture's symbols (α, β, α⁽¹⁾, b⁽¹⁾, β₀);
* one node per module: a = α x (Linear, x₀ = 1 folded in as the model does),
  z = σ(a) (the model's activation: σ, tanh or relu), b = β z (z₀ = 1), then
  ŷ = σ(b) or softmax(b), and J = CE(ŷ, y*), the negative mean log-likelihood
  (the slides' J is the log-likelihood itself; we minimise its negative).

The activations, ŷ = σ(b) and a bias sum are the engine's own operations; the
Linear row, the product wᵀh, softmax and the cross-entropy are `engine.Op`s
defined here, with the modules' own backward (`modules.linear_backward`,
`modules.affine_backward`) or the slide's derivative as their vector-Jacobian
products.  Every node is an ordinary `engine.Var`, so ``J.backward()``,
`tables.forward_backward_table`, `tables.backward_steps`, `draw.draw_graph`
(``layout="chain"``) and `widgets.BackwardStepper` all run on it unchanged.

The engine gives a node at most two inputs, so where the model keeps a bias
apart (2 or more hidden layers: a⁽¹⁾ = α⁽¹⁾ᵀ x + b⁽¹⁾) its Linear module is two
nodes, the product s⁽¹⁾ = α⁽¹⁾ᵀ x and the sum a⁽¹⁾ = s⁽¹⁾ + b⁽¹⁾.

ŷ and J are separate nodes, as in the lecture (dJ/dŷ, then dJ/db), not the
fused, saturation-proof loss of `engine_loss`: where ŷ rounds to exactly 0 or 1,
dJ/dŷ divides by zero and the backward pass raises a ValueError saying so.
"""
from typing import NamedTuple

import numpy as np

from . import engine, models, modules
from . import functional as F

__all__ = ["network_graph", "ModuleGraph", "symbol", "LINEAR", "PRODUCT", "SOFTMAX",
           "BINARY_CROSS_ENTROPY", "CLASS_CROSS_ENTROPY"]

_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_GREEK = {"theta": "θ", "alpha": "α", "beta": "β", "y_hat": "ŷ"}


def symbol(name):
    """The lecture's symbol for a model's name: 'alpha' → 'α', 'alpha2' → 'α⁽²⁾', 'b1' → 'b⁽¹⁾',
    'beta0' → 'β₀', 'y_hat' → 'ŷ'; other names ('x', 'a', 'J') as they are."""
    if name in _GREEK:
        return _GREEK[name]
    if name == "beta0":
        return "β₀"
    stem = name.rstrip("0123456789")
    layer = name[len(stem):]
    if layer and stem in ("alpha", "a", "z", "b", "s"):
        return f"{_GREEK.get(stem, stem)}⁽{layer.translate(_SUPERSCRIPT)}⁾"
    return name


class ModuleGraph(NamedTuple):
    """The module-level graph: its output J and every node by the model's name for it.

    `nodes` runs in forward order: 'x', the parameters (`net.param_names`), then
    the record's quantities ('a', 'z', 'b', 'y_hat', 'J'; 'a1', 'z1', … for 2 or
    more hidden layers, with the products 's1', …, 's' before each sum).  The
    leaves hold copies of x and of the parameters: the graph is a snapshot.
    """
    J: engine.Var
    nodes: dict


# ------------------------------------------------------------------ the modules as engine operations

def _folded_parts(n):
    """The cache of the Linear row a = W [1, h] (x₀ = 1 or z₀ = 1 prepended): ([1, h], W)."""
    return modules.prepend_one(np.asarray(n.v2.value)), np.asarray(n.v1.value)


def _linear_forward(W, h):
    return modules.linear_forward(modules.prepend_one(np.asarray(h)), W)[0]


LINEAR = engine.Op(
    "linear", "{0} {1}", _linear_forward,
    ("{g} [1, {1}]ᵀ", lambda n, g: modules.linear_backward(g, _folded_parts(n), False)[1]),
    ("({0}ᵀ {g}) without row 0", lambda n, g: modules.linear_backward(g, _folded_parts(n))[0][..., 1:]))
"""a = W [1, h]: the Linear row with its bias folded in as input 0 (Case 2); inputs (W, h)."""


def _product_vjps(n, g):
    return modules.affine_backward(g, (np.asarray(n.v1.value), np.asarray(n.v2.value)))


PRODUCT = engine.Op(
    "product", "{1}ᵀ{0}", lambda h, w: np.asarray(h) @ w,
    ("{1} {g}", lambda n, g: _product_vjps(n, g)[0]),
    ("{0} {g}ᵀ", lambda n, g: _product_vjps(n, g)[1]))
"""s = wᵀ h: the weights of a layer that keeps its bias apart (2-hidden-layer slide); inputs (h, w)."""

def _softmax_vjp(n, g):
    y_hat = n.value
    return y_hat * (g - np.sum(g * y_hat, axis=-1, keepdims=True))


SOFTMAX = engine.Op(
    "softmax", "softmax({0})", F.softmax,
    ("{out} ⊙ ({g} − {g}·{out})", _softmax_vjp))
"""ŷ = softmax(b), the K-class output; dJ/db = ŷ ⊙ (dJ/dŷ − Σ_k dJ/dŷ_k ŷ_k)."""


def _binary_cross_entropy_vjp(n, g):
    y_hat, y_star = n.v1.value, n.aux
    return g * ((1.0 - y_star) / (1.0 - y_hat) - y_star / y_hat) / np.size(y_hat)


def _class_cross_entropy_vjp(n, g):
    y_hat, labels = n.v1.value, n.aux
    onehot = np.zeros_like(y_hat)
    onehot[(np.arange(len(labels)), labels) if y_hat.ndim == 2 else labels] = 1.0
    return -g * onehot / y_hat / (len(labels) if y_hat.ndim == 2 else 1)


BINARY_CROSS_ENTROPY = engine.Op(
    "cross_entropy", "CE({0}, y*)", None,
    ("((1 − y*)/(1 − {0}) − y*/{0}) / N", _binary_cross_entropy_vjp))
"""J = −mean[y* log ŷ + (1 − y*) log(1 − ŷ)]: the slides' Loss row, negated; dJ/dŷ as on the slide."""

CLASS_CROSS_ENTROPY = engine.Op(
    "cross_entropy", "CE({0}, y*)", None,
    ("−[k = y*]/{0} / N", _class_cross_entropy_vjp))
"""J = −mean log ŷ_{y*} over K classes; dJ/dŷ_k = −[k = y*]/ŷ_k / N."""


# ------------------------------------------------------------------ the graph

def _node(key, value, op, v1, v2=None, aux=None):
    """A node u = op(v1[, v2]) holding `value`, labelled with the lecture's symbol for `key`."""
    node = engine.Var(value, name=symbol(key))
    node.op, node.v1, node.v2, node.aux = op, v1, v2, aux
    return node


def _apply(op, key, v1, v2=None):
    """The node op(v1, v2), its value computed by the op's own forward."""
    operation = f"network_graph: {symbol(key)} = {op.fmt.format(v1.name, v2.name if v2 else '')}"
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            value = op.forward(v1.value) if v2 is None else op.forward(v1.value, v2.value)
        except FloatingPointError as err:
            raise ValueError(f"{operation}: {err}") from None
    return _node(key, value, op, v1, v2)


def network_graph(net, x, y):
    """The module-level computation graph of `net` on example(s) x with label(s) y: a `ModuleGraph`.

    x: one example (M,) or a batch (N, M) of raw features (x₀ = 1 is folded in
    by the Linear module, as the model does); y: the label(s) J needs (0 or 1 for
    a binary net, 0..K−1 for K classes).  Checked by `net.prepare`.  The nodes'
    values equal `nn_forward`'s record and, after ``J.backward()``, their .grad
    equal `nn_backward`'s gradients (dJ/dx too, which NNBACKWARD does not need).
    """
    if not isinstance(net, models.MLP):
        raise TypeError(f"network_graph: expected a network from backproplib.models (OneHiddenLayerNet, "
                        f"TwoHiddenLayerNet, LogisticRegression, MLP), got {type(net).__name__}")
    if y is None:
        raise ValueError("network_graph: labels y are needed: J = CE(ŷ, y*) compares the output with them")
    x_in, y_in = net.prepare(x, y, "network_graph")
    folds_x0 = net.layers[0].folded
    nodes = {"x": engine.Var(x_in[..., 1:] if folds_x0 else x_in, name="x")}
    nodes.update((n, engine.Var(net.params[n], name=symbol(n))) for n in net.param_names)
    h = nodes["x"]
    for l, layer in enumerate(net.layers, start=1):
        last = l == len(net.layers)
        key = ("a" if net.depth == 0 else "b") if last else ("a" if net.depth == 1 else f"a{l}")
        if layer.folded:
            nodes[key] = _apply(LINEAR, key, nodes[layer.weight], h)
        else:
            product = "s" if last else f"s{l}"
            nodes[product] = _apply(PRODUCT, product, h, nodes[layer.weight])
            nodes[key] = (nodes[product] + nodes[layer.bias]).named(symbol(key))
        if not last:
            z_key = "z" if net.depth == 1 else f"z{l}"
            h = nodes[z_key] = net.activation.engine(nodes[key]).named(symbol(z_key))
    scores = nodes[key]
    if net.K is None:
        J = modules.sigmoid_cross_entropy_forward(scores.value, y_in)[0]
        nodes["y_hat"] = engine.sigmoid(scores).named("ŷ")        # ŷ = σ(b), dŷ/db = ŷ(1 − ŷ) (eq. 9)
        loss = BINARY_CROSS_ENTROPY
    else:
        J = modules.softmax_cross_entropy_forward(np.asarray(scores.value), y_in)[0]
        nodes["y_hat"] = _apply(SOFTMAX, "y_hat", scores)
        loss = CLASS_CROSS_ENTROPY
    nodes["J"] = _node("J", float(J), loss, nodes["y_hat"], aux=y_in)
    return ModuleGraph(nodes["J"], nodes)
