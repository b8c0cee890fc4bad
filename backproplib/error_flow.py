"""Errors flowing back through a network, as a picture: the lecture's backpropagation of errors, step by step.

`error_flow(params, x, y)` computes the numbers of every frame for one example:
the forward values on the nodes (x; a and z on each hidden unit; b and ŷ at the
output; J), then the backward pass one row at a time, output first:

* the error at the output, dJ/db = ŷ − y* (the fused sigmoid or softmax and
  cross-entropy rows of Case 2);
* across a row of weights: each edge i → k carries w_ik · dJ/d(out_k) back to
  its input node, which sums what reaches it (dJ/dz_i = Σ_k w_ik dJ/d(out_k));
  the same step puts the weight's gradient on the edge, dJ/dw_ik = in_i · dJ/d(out_k);
* through the hidden activation: dJ/da_j = dJ/dz_j · σ′(a_j), with σ′(a) = z(1 − z).

The bias is drawn as a node holding the constant 1 (x₀ = 1, z₀ = 1 as in Case 2; for the
2-hidden-layer net the same picture of b⁽ˡ⁾ and β₀): its edge gets a gradient, but the node
itself has no input, so nothing flows on below it.

`ErrorFlowExplorer` shows those frames with step ▶ / ◀ back / a slider / Reset, like
`widgets.BackwardStepper`; the frames are drawn once, when it is made, so a step only swaps a
picture.  It takes a 1-hidden-layer net (α, β: `OneHiddenLayerNet`) or a 2-hidden-layer one
(α⁽¹⁾, b⁽¹⁾, α⁽²⁾, b⁽²⁾, β, β₀: `TwoHiddenLayerNet`), binary or K-class.  Every gradient
equals `models.nn_backward`'s (tests/test_error_flow.py).  J is the mean cross-entropy the package
minimises (the negative of the slides' log-likelihood), so every error below is the slides' with
its sign flipped.
"""
import re
import time
from typing import NamedTuple

import ipywidgets
import numpy as np
from matplotlib.patches import FancyArrowPatch

from . import presentation
from .figure_view import FigureView
from .models import model_from_params
from .module_graph import symbol as param_symbol    # alpha → α, alpha1 → α⁽¹⁾, b2 → b⁽²⁾, beta0 → β₀
from .presentation import WIDGET_CLASS

__all__ = ["error_flow", "ErrorFlow", "FlowStep", "ErrorFlowExplorer", "readout_numbers"]

MAX_UNITS = 6          # units per layer the picture has room for
UNIT_SPACING = 1.04    # inches between the units of a layer (at 9 pt text; scaled with the text)
BELOW_NODES = 2.85     # inches of the picture besides the units' spacing: margins, bias nodes, gradients
AXES_TOP = 0.92        # the title above


class Row(NamedTuple):
    """One row of weights, drawn as edges from the n_in nodes below (and the bias node 1) to the n_out above.

    `weight[i][k]` and `bias[k]` are (parameter name, index) into the model's parameters."""
    W: np.ndarray         # (n_in, n_out): W[i, k] multiplies input i into output k
    weight: list
    bias: list


class FlowStep(NamedTuple):
    """One frame: what the backward pass knows after it, and what moved at it."""
    step: int
    title: str            # a short heading drawn on the figure
    text: str             # the readout: what flows where, with the numbers
    errors: dict          # node -> dJ/d(node) known so far; a node is ('x', i), ('a', l, j), ('z', l, j), ('b', k)
    gradients: dict       # (row, i, k) -> dJ/dw shown on that edge so far (i = n_in is the bias edge)
    flowing: int          # the row whose edges carry errors at this step (None: none)


class ErrorFlow(NamedTuple):
    """The numbers of every frame for one example (see `error_flow`)."""
    depth: int                # L, the number of hidden layers
    sizes: tuple              # (M, H1, …, HL, number of output nodes)
    activation: str
    x: np.ndarray
    y: object                 # y*
    a: list                   # a⁽ˡ⁾ for l = 1 … L
    z: list                   # z⁽ˡ⁾ (without z₀)
    b: np.ndarray             # the output scores, shape (1,) for the binary output
    y_hat: np.ndarray
    J: float
    rows: list                # Row for each row of weights, input to output
    g_b: np.ndarray           # dJ/db
    g_z: list                 # dJ/dz⁽ˡ⁾
    g_a: list                 # dJ/da⁽ˡ⁾
    g_x: np.ndarray           # dJ/dx (the lecture computes it too; nothing is updated with it)
    messages: list            # per row, (n_in, n_out): W[i, k] · dJ/d(out_k), what edge i → k carries back
    edge_gradients: list      # per row, (n_in + 1, n_out): dJ/dW[i, k], the last row for the bias
    gradients: dict           # {name: dJ/dparam} shaped like the parameters, as nn_backward returns them
    steps: list               # FlowStep 0 … 2L + 2


def _rows(model):
    """The rows of weights of a 1- or 2-hidden-layer model in one layout, W (n_in, n_out), bias apart."""
    p, L = model.params, model.depth
    rows = []
    for r in range(L + 1):
        out = r == L
        if L == 1:
            name = "beta" if out else "alpha"
            folded = p[name] if p[name].ndim == 2 else p[name][None, :]   # (n_out, n_in + 1), x₀ / z₀ first
            index = (lambda k, i: (i,)) if p[name].ndim == 1 else (lambda k, i: (k, i))
            W = folded[:, 1:].T
            weight = [[(name, index(k, i + 1)) for k in range(W.shape[1])] for i in range(W.shape[0])]
            bias = [(name, index(k, 0)) for k in range(W.shape[1])]
        else:
            name, bias_name = ("beta", "beta0") if out else (f"alpha{r + 1}", f"b{r + 1}")
            binary = p[name].ndim == 1
            W = p[name][:, None] if binary else p[name]
            weight = [[(name, (i,) if binary else (i, k)) for k in range(W.shape[1])] for i in range(W.shape[0])]
            bias = [(bias_name, () if binary else (k,)) for k in range(W.shape[1])]
        rows.append(Row(W, weight, bias))
    return rows


def error_flow(params, x, y):
    """The frames' numbers for one example x (shape (M,)) with label y*, for a 1- or 2-hidden-layer net.

    `params` are a model's parameters (or the model): the forward values are `models.nn_forward`'s; the
    backward pass is recomputed here edge by edge (lecture, Case 2: dJ/db = ŷ − y*, dJ/dz_j = Σ_k β_kj dJ/db_k,
    dJ/da_j = dJ/dz_j σ′(a_j), dJ/dα_ji = dJ/da_j x_i), and its parameter gradients equal `nn_backward`'s.
    """
    operation = "error_flow"
    model = model_from_params(params)
    L = model.depth
    if L not in (1, 2):
        raise ValueError(f"{operation}: the picture is drawn for 1 or 2 hidden layers, got a network with {L} "
                         f"(parameters {sorted(model.params)})")
    X = np.asarray(x, dtype=np.float64)
    if X.shape != (model.M,):
        raise ValueError(f"{operation}: x must be one example of shape ({model.M},), got shape {X.shape}; "
                         "the picture follows a single example through the network")
    if y is None:
        raise ValueError(f"{operation}: the label y* is needed: the backward pass starts from the loss J")
    rows = _rows(model)
    sizes = (model.M, *model.hidden, rows[-1].W.shape[1])
    if max(sizes) > MAX_UNITS:
        raise ValueError(f"{operation}: layers of at most {MAX_UNITS} units fit the picture, got sizes {sizes} "
                         "(M, hidden layers, outputs)")
    o = model.forward(X, y)                                       # checks the label y*
    y = float(y) if model.K is None else int(y)
    fields = o._asdict()
    a = [np.asarray(fields["a"] if L == 1 else fields[f"a{l}"]) for l in range(1, L + 1)]
    z = [np.asarray(fields["z"][1:] if L == 1 else fields[f"z{l}"]) for l in range(1, L + 1)]
    b, y_hat = np.atleast_1d(o.b), np.atleast_1d(o.y_hat)
    target = np.eye(len(b))[int(y)] if len(b) > 1 else np.array([float(y)])
    g_b = y_hat - target                                          # dJ/db = ŷ − y*
    inputs = [X, *z]                                              # what each row multiplies
    g_out, g_z, g_a, messages, edge_gradients = g_b, [None] * L, [None] * L, [None] * (L + 1), [None] * (L + 1)
    slopes = [model.activation.backward(np.ones_like(a_l), model.activation.forward(a_l)[1]) for a_l in a]
    for r in range(L, -1, -1):
        row = rows[r]
        messages[r] = row.W * g_out                              # edge i → k carries w_ik · dJ/d(out_k)
        edge_gradients[r] = np.outer(np.append(inputs[r], 1.0), g_out)   # dJ/dw_ik = in_i · dJ/d(out_k)
        g_in = messages[r].sum(axis=1)
        if r:
            g_z[r - 1] = g_in
            g_a[r - 1] = g_out = g_in * slopes[r - 1]             # dJ/da = dJ/dz · σ′(a)
    g_x = g_in
    gradients = {n: np.zeros_like(v) for n, v in model.params.items()}
    for row, g in zip(rows, edge_gradients):
        for i, names in enumerate(row.weight + [row.bias]):
            for k, (name, index) in enumerate(names):
                gradients[name][index] = g[i, k]
    flow = ErrorFlow(L, sizes, model.activation.name, X, y, a, z, b, y_hat, float(o.J), rows, g_b, g_z, g_a,
                     g_x, messages, edge_gradients, gradients, [])
    flow.steps.extend(_steps(flow, slopes))
    return flow


# ------------------------------------------------------------------------- the frames, in words

def _f(value):
    """A number in the readout: six decimals, never -0.000000."""
    return f"{round(float(value), 6) + 0.0:.6f}"


def readout_numbers(text):
    """{'dJ/d…': value} for every error and gradient a readout states (the last number of its equation), so
    code and browser tests can read the widget's text back."""
    chains = re.findall(r"(dJ/d\S+) = (.*?)(?=  dJ/d|\n|$)", text)
    return {name: float(re.findall(r"-?\d+\.\d{6}", chain)[-1]) for name, chain in chains
            if re.search(r"\d\.\d{6}", chain)}


def _vector(name, v):
    """'name = [v₁, v₂, …]' with six decimals each."""
    return f"{name} = [{', '.join(_f(e) for e in v)}]"


def _sub(n):
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _sup(l):
    return "⁽" + str(l).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")) + "⁾"


def node_name(flow, node):
    """A node's name as the lecture writes it: x_i, a_j, z_j, b (or b_k), with ⁽ˡ⁾ for two hidden layers."""
    kind, *where = node
    if kind == "x":
        return f"x{_sub(where[0] + 1)}"
    if kind == "b":
        return "b" if flow.sizes[-1] == 1 else f"b{_sub(where[0] + 1)}"
    layer = _sup(where[0] + 1) if flow.depth > 1 else ""
    return f"{kind}{layer}{_sub(where[1] + 1)}"


def _row_nodes(flow, r):
    """(names of the inputs of row r, names of its outputs)."""
    L = flow.depth
    below = [("x", i) for i in range(flow.sizes[0])] if r == 0 else [("z", r - 1, j) for j in range(flow.sizes[r])]
    above = [("b", k) for k in range(flow.sizes[-1])] if r == L else [("a", r, j) for j in range(flow.sizes[r + 1])]
    return below, above


def edge_name(flow, r, i, k):
    """The parameter on edge i → k of row r as the lecture writes it, 1-based (i = n_in: the bias edge).

    One hidden layer: α_j,i (j = 1 … D, i = 0 … M with x₀ = 1) and β_j (or β_k,j), bias index 0.
    Two: α⁽ˡ⁾_i,k (input i, unit k), b⁽ˡ⁾_k, β_k (or β_k,c) and β₀ (or β₀,c).
    """
    name, index = flow.rows[r].weight[i][k] if i < len(flow.rows[r].W) else flow.rows[r].bias[k]
    if flow.depth == 1:
        one_based = index[:-1] and (index[0] + 1,)           # the unit (or class) row; the column counts x₀ / z₀
        symbol, index = param_symbol(name), (*one_based, index[-1])
    elif name == "beta0":
        symbol, index = ("β₀", ()) if not index else ("β", (0, index[0] + 1))
    else:
        symbol = param_symbol(name)
        index = tuple(n + 1 for n in index)
    return symbol + ",".join(_sub(n) for n in index) if index else symbol


def row_symbol(flow, r):
    """The weights of row r as the lecture names them: α, β (one hidden layer); α⁽¹⁾, α⁽²⁾, β (two)."""
    return param_symbol(flow.rows[r].weight[0][0][0])


def _steps(flow, slopes):
    L = flow.depth

    def names(node):
        return node_name(flow, node)

    last = 2 * L + 2
    values = [_vector("x", flow.x)]
    for l in range(L):
        sup = _sup(l + 1) if L > 1 else ""
        values.append(f"{_vector('a' + sup, flow.a[l])}  {_vector('z' + sup, flow.z[l])}")
    values.append(f"{_vector('b', flow.b)}  {_vector('ŷ', flow.y_hat)}  J = {_f(flow.J)} (y* = {flow.y:g})")
    errors, gradients = {}, {}
    yield FlowStep(0, "forward pass done: values on the nodes",
                   f"step 0 of {last}: forward pass done; the backward pass starts from dJ/dJ = 1\n  "
                   + "\n  ".join(values),
                   {}, {}, None)
    out = [("b", k) for k in range(flow.sizes[-1])]
    for k, node in enumerate(out):
        errors[node] = flow.g_b[k]
    index = [_sub(k + 1) if len(out) > 1 else "" for k in range(len(out))]
    lines = [f"  dJ/d{names(node)} = ŷ{index[k]} − y*{index[k]} = {_f(flow.y_hat[k])} − "
             f"{_f(flow.y_hat[k] - flow.g_b[k])} = {_f(flow.g_b[k])}" for k, node in enumerate(out)]
    yield FlowStep(1, "the error at the output: dJ/db = ŷ − y*",
                   f"step 1 of {last}: the error at the output\n" + "\n".join(lines), dict(errors), {}, None)
    step = 2
    for r in range(L, -1, -1):
        below, above = _row_nodes(flow, r)
        row_msgs = flow.messages[r]
        for i in range(len(below) + 1):
            for k in range(len(above)):
                gradients[(r, i, k)] = flow.edge_gradients[r][i, k]
        order = [len(below), *range(len(below))] if L == 1 else range(len(below) + 1)    # α_j,0 first
        grad_lines = ["    " + "  ".join(f"dJ/d{edge_name(flow, r, i, k)} = {_f(flow.edge_gradients[r][i, k])}"
                                          for i in order) for k in range(len(above))]
        lines = []
        for i, node in enumerate(below):
            errors[node] = row_msgs[i].sum()
            terms = " + ".join(f"{_f(flow.rows[r].W[i, k])} × {_f(errors[above[k]])}" for k in range(len(above)))
            lines.append(f"  dJ/d{names(node)} = {terms} = {_f(errors[node])}")
        w, error = row_symbol(flow, r), "dJ/db" if r == L else f"dJ/da{_sup(r + 1) if L > 1 else ''}"
        what = "the inputs x" if r == 0 else f"the hidden units z{_sup(r) if L > 1 else ''}"
        first = f"step {step} of {last}: back across {w} into {what}: each edge carries {w} × the {error} above it"
        note = ("\n  (dJ/dx changes no parameter; the lecture computes it all the same"
                + (", summing over j = 1 … D only: the bias unit z₀ = 1 has no a₀ to send an error down)"
                   if L == 1 else ")") if r == 0
                else "\n  (the bias node 1 receives nothing: it has no input to pass a gradient to)")
        yield FlowStep(step, f"back across {w}: each edge carries {w} × {error}; dJ/d{w} appear below",
                       "\n".join([first, *lines, f"  the gradients of {w}, each its input × the error above it:",
                                  *grad_lines])
                       + note, dict(errors), dict(gradients), r)
        step += 1
        if r:
            l = r - 1
            lines = []
            for j, node in enumerate(below):
                errors[("a", l, j)] = flow.g_a[l][j]
                lines.append(f"  dJ/d{names(('a', l, j))} = dJ/d{names(node)} × σ′ = {_f(flow.g_z[l][j])} × "
                             f"{_f(slopes[l][j])} = {_f(flow.g_a[l][j])}")
            derivative = "z(1 − z)" if flow.activation == "sigmoid" else f"the {flow.activation} derivative"
            yield FlowStep(step, f"through the activation: dJ/da = dJ/dz · σ′(a), σ′ = {derivative}",
                           f"step {step} of {last}: through the activation of each hidden unit, σ′(a) = {derivative}\n"
                           + "\n".join(lines), dict(errors), dict(gradients), None)
            step += 1


# ------------------------------------------------------------------------- the picture

def _box(node):
    """The node whose box shows `node`: a hidden unit's a and z share one box (drawn as the z node)."""
    return ("z", *node[1:]) if node[0] == "a" else node


class ErrorFlowExplorer:
    """Step through the backward pass of one example on a picture of the network (buttons or slider).

    ``ErrorFlowExplorer(params, x, y)`` for a 1- or 2-hidden-layer net (at most six units a layer).
    Nodes are boxes, inputs on the left, J on the right, each with its forward values, and a node holding
    1 at the foot of each layer for the bias.  As the backward pass reaches a node its error dJ/d(node)
    appears under it; the edges of the row the errors are crossing turn into arrows pointing back,
    coloured by the sign of what each carries (weight × the error above it: orange positive, blue
    negative) and as wide as its size; the gradients dJ/dweight of that row then appear under it.  The
    readout says in words what flows where, with the numbers.

    `width` is in inches at the notebook's text size; in presentation mode (`bp.present()`) the text, and
    the picture with it, are a third larger.  The height follows from the widest layer.

    Start state: step 0, the forward pass done and no error known yet.  ``go(k)`` moves to step k,
    ``reset()`` (or Reset) back to 0; ``flow`` holds every number (`error_flow`).
    """

    def __init__(self, params, x, y, width=11.0):
        self.flow = error_flow(params, x, y)
        self.steps = self.flow.steps
        style = presentation.current()
        self._points = style.font_size * (1.0 if style.presenting else 0.9)     # the text on the picture
        self._scale = self._points / 9                                          # boxes grow with the text
        tall = (BELOW_NODES + UNIT_SPACING * (max(self.flow.sizes) - 1)) * self._scale
        # whole twentieths of an inch: whole CSS pixels (80 or 100 a notebook inch), each pixel_ratio figure pixels
        self.view = FigureView(round(width * self._scale * 20) / 20, round(tall / AXES_TOP * 20) / 20,
                               description=self._description())
        self.view.lay_out(left=0.0, right=1.0, bottom=0.0, top=AXES_TOP)
        self._places = self._layout()
        self._frames = [self._draw_frame(step) for step in self.steps]
        self.slider = ipywidgets.IntSlider(value=0, min=0, max=len(self.steps) - 1, description="step",
                                           layout=ipywidgets.Layout(width="360px"))
        self.reset_button = ipywidgets.Button(description="Reset", icon="undo", tooltip="back to step 0",
                                              layout=ipywidgets.Layout(width="auto"))
        self.back_button = ipywidgets.Button(description="◀ back", layout=ipywidgets.Layout(width="auto"))
        self.step_button = ipywidgets.Button(description="step ▶", layout=ipywidgets.Layout(width="auto"))
        self.reset_button.on_click(lambda _: self.reset())
        self.back_button.on_click(lambda _: self.go(self.slider.value - 1))
        self.step_button.on_click(lambda _: self.go(self.slider.value + 1))
        controls = ipywidgets.HBox([self.reset_button, self.back_button, self.step_button, self.slider])
        self.widget = ipywidgets.VBox([controls, *self.view.parts])
        self.widget.add_class(WIDGET_CLASS)
        self.slider.observe(lambda change: self._show(change["new"]), names="value")
        self.last_update_seconds = None
        self._show(0)

    @property
    def step(self):
        """The step shown now (0 … 2L + 2)."""
        return self.slider.value

    @property
    def text(self):
        """The readout as plain text."""
        return self.view.text

    def go(self, k):
        """Move to step k (clamped to 0 … the last step); returns that FlowStep."""
        k = min(max(int(k), 0), len(self.steps) - 1)
        if self.slider.value == k:
            self._show(k)
        self.slider.value = k
        return self.steps[k]

    def reset(self):
        """Back to the start state, step 0."""
        return self.go(0)

    def _show(self, k):
        start = time.perf_counter()
        self.view.image.value = self._frames[k]
        self.view.show_text(self.steps[k].text)
        self.last_update_seconds = time.perf_counter() - start

    def _repr_mimebundle_(self, **kwargs):
        return self.view.mimebundle(self.widget, type(self).__name__, **kwargs)

    def _description(self):
        sizes = self.flow.sizes
        positive, negative = ("yellow", "dark blue") if presentation.current().high_contrast else ("orange", "blue")
        layers = " and ".join(str(h) for h in sizes[1:-1])
        return (f"a network drawn left to right: {sizes[0]} inputs, hidden layers of {layers} units, "
                f"{sizes[-1]} output node{'s' if sizes[-1] > 1 else ''} and the loss J, with a node holding 1 "
                "at the foot of each layer for the bias. Each node shows its forward values; as the backward "
                "pass reaches a node its error dJ/d(node) appears under it, the edges the errors cross become "
                f"arrows pointing back, coloured by the sign of what they carry ({positive} positive, "
                f"{negative} negative) and as wide as its size, and the weights' gradients appear under the row")

    # ------------------------------------------------------------ drawing
    def _layout(self):
        """Node centres in axes units: a column per layer (x, hidden …, b) and one for J; the bias node 1 at
        the foot of every column but the last two."""
        flow, places = self.flow, {}
        n = len(flow.sizes)
        inch = self._scale / (self.view.figure.get_size_inches()[1] * AXES_TOP)    # an inch at 9 pt, in axes units
        spacing, top = UNIT_SPACING * inch, 1 - 0.55 * inch
        middle = top - spacing * (max(flow.sizes) - 1) / 2
        xs = [0.07 + 0.78 * c / (n - 1) for c in range(n)] + [0.955]
        for c, units in enumerate(flow.sizes):
            for j in range(units):
                y = middle + ((units - 1) / 2 - j) * spacing
                places[("x", j) if c == 0 else ("b", j) if c == n - 1 else ("z", c - 1, j)] = (xs[c], y)
        ones = middle - spacing * (max(flow.sizes) - 1) / 2 - 1.0 * inch
        for c in range(n - 1):
            places[("one", c)] = (xs[c], ones)
        places[("J",)] = (xs[-1], middle)
        self._block_top = ones - 0.2 * inch
        return places

    def _node_text(self, node):
        flow, kind = self.flow, node[0]
        if kind == "one":
            return "1"
        if kind == "J":
            return f"J = {flow.J:.4f}"
        if kind == "x":
            return f"{node_name(flow, node)} = {flow.x[node[1]]:.3f}"
        if kind == "b":
            k = node[1]
            y_hat = "ŷ" + (_sub(k + 1) if flow.sizes[-1] > 1 else "")
            return f"{node_name(flow, node)} = {flow.b[k]:.3f}\n{y_hat} = {flow.y_hat[k]:.3f}"
        l, j = node[1:]
        return f"{node_name(flow, ('a', l, j))} = {flow.a[l][j]:.3f}\n{node_name(flow, node)} = {flow.z[l][j]:.3f}"

    def _errors_of(self, node, step):
        """The errors shown under a node: dJ/dz and dJ/da under a hidden unit, dJ/dx or dJ/db, the seed under J."""
        if node[0] == "J":
            return ["dJ/dJ = 1"]
        names = [("z", *node[1:]), ("a", *node[1:])] if node[0] == "z" else [node]
        return [f"dJ/d{node_name(self.flow, n)} = {step.errors[n]:.4f}" for n in names if n in step.errors]

    def _clip(self, p0, p1, half):
        """Where the segment p0 → p1 leaves the box of half-size `half` (axes units) around p0."""
        d = np.subtract(p1, p0)
        t = min(half[0] / abs(d[0]) if d[0] else np.inf, half[1] / abs(d[1]) if d[1] else np.inf)
        return tuple(np.add(p0, min(t, 0.45) * d))

    def _half_size(self, node):
        """A node box's half width and height in axes units, from its text (a close estimate)."""
        lines = self._node_text(node).split("\n")
        inches = self.view.figure.get_size_inches()
        points = self._points
        return ((max(map(len, lines)) * 0.56 * points + 8) / 72 / inches[0] / 2,
                (len(lines) * 1.25 * points + 8) / 72 / (inches[1] * AXES_TOP) / 2)

    def _draw_frame(self, step):
        flow, places, style = self.flow, self._places, self.view.style
        ax = self.view.axes[0]
        ax.clear()
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.axis("off")
        sign = {True: style.colors["class1"], False: style.colors["class0"]}
        size = self._points
        ax.set_title(f"step {step.step} of {len(self.steps) - 1}: {step.title}", fontsize=style.title_size)
        for r in range(len(flow.rows)):
            below, above = _row_nodes(flow, r)
            biggest = max(np.abs(flow.messages[r]).max(), 1e-12)
            tops = [_box(n) for n in above]
            for i, source in enumerate(below + [("one", r)]):
                for k, top in enumerate(tops):
                    p0, p1 = places[source], places[top]
                    if step.flowing == r and i < len(below):
                        carried = flow.messages[r][i, k]
                        ax.add_patch(FancyArrowPatch(self._clip(p1, p0, self._half_size(top)),
                                                     self._clip(p0, p1, self._half_size(source)),
                                                     arrowstyle="-|>", mutation_scale=12 + 4 * style.line_scale,
                                                     color=sign[carried > 0], zorder=2,
                                                     lw=style.lw(0.8 + 5.0 * abs(carried) / biggest)))
                    else:
                        ax.plot(*zip(p0, p1), color="0.65", lw=style.lw(0.8), ls=":" if i == len(below) else "-",
                                zorder=1)
            if (r, 0, 0) in step.gradients:
                self._gradient_block(ax, r, size)
        for k in range(flow.sizes[-1]):
            ax.plot(*zip(places[("b", k)], places[("J",)]), color="0.65", lw=style.lw(0.8), zorder=1)
        for node, (x, y) in places.items():
            known = self._errors_of(node, step)
            ax.text(x, y, self._node_text(node), ha="center", va="center", fontsize=size, zorder=5,
                    bbox=dict(boxstyle="round,pad=0.3", fc="#f2f2f2", ec="black" if known else "0.55",
                              lw=style.lw(1.3 if known else 0.8)))
            if known and node[0] != "one":
                error = step.errors.get(("a", *node[1:]) if node[0] == "z" else node, 1.0)
                ax.text(x, y - self._half_size(node)[1] - 0.015, "\n".join(known), ha="center", va="top",
                        fontsize=size, zorder=5, bbox=dict(boxstyle="round,pad=0.2", fc="white",
                                                           ec=sign[error > 0], lw=style.lw(1.6)))
        return self.view.draw_png()

    def _gradient_block(self, ax, r, size):
        """Row r's gradients in the gap under its edges, as the arrays `nn_backward` returns them."""
        flow, row = self.flow, self.flow.rows[r]
        names = dict.fromkeys([row.weight[0][0][0], row.bias[0][0]])
        lines = []
        for name in names:
            g = np.atleast_2d(flow.gradients[name])
            numbers = ["  ".join(f"{v:+.3f}" for v in g_row) for g_row in g]
            lines += ([f"dJ/d{param_symbol(name)}: {numbers[0]}"] if len(g) == 1
                      else [f"dJ/d{param_symbol(name)}:", *numbers])
        below, above = _row_nodes(flow, r)
        x = (self._places[below[0]][0] + self._places[_box(above[0])][0]) / 2
        ax.text(x, self._block_top, "\n".join(lines), ha="center", va="top", fontsize=size * 0.95, zorder=5,
                linespacing=1.25, bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="0.4",
                                            lw=self.view.style.lw(0.8)))
