"""The peers the benchmark compares backproplib with: the obvious lean numpy code, and PyTorch on the CPU.

Each baseline trains exactly the network backproplib trains in `run.py`, with
the same float64 data, the same initial parameters and the same loss (mean
cross-entropy), so the benchmark can check that they agree before it times them.

* ``NumpyTwoHidden`` / ``NumpyOneHiddenSoftmax``: what one writes by hand in a
  few lines of numpy, without any checks or layers; a step computes only what
  the update needs (not the loss J).
* ``NumpyMLP``: the same for a softmax network of any depth and activation,
  trained one example at a time (Algorithm 1), the loop one writes by hand.
* ``TorchTwoHidden`` / ``TorchOneHiddenSoftmax`` / ``TorchMLP``: tensors with requires_grad,
  loss.backward(), and an update under no_grad (float64, CPU).
* ``BareNode``: not an engine but a floor: the least a Python graph node can
  be, to show what the interpreter and its garbage collector charge per node
  before any engine does any work.
"""
import numpy as np


def _sigmoid(a):
    return 0.5 + 0.5 * np.tanh(0.5 * a)


class NumpyTwoHidden:
    """z1 = σ(x α1 + b1), z2 = σ(z1 α2 + b2), ŷ = σ(z2 β + β0), mean binary cross-entropy."""

    def __init__(self, params):
        self.p = {n: v.copy() for n, v in params.items()}

    def scores(self, X):
        p = self.p
        z1 = _sigmoid(X @ p["alpha1"] + p["b1"])
        z2 = _sigmoid(z1 @ p["alpha2"] + p["b2"])
        return z1, z2, z2 @ p["beta"] + p["beta0"]

    def loss(self, X, y):
        """The mean cross-entropy J (not needed by a step, so `step` does not compute it)."""
        b = self.scores(X)[2]
        return float(np.mean(np.logaddexp(0.0, b) - y * b))

    def step(self, X, y, lr):
        """One SGD step on the batch (X, y)."""
        p = self.p
        z1, z2, b = self.scores(X)
        g_b = (_sigmoid(b) - y) / len(y)
        g_a2 = np.multiply.outer(g_b, p["beta"]) * z2 * (1.0 - z2)
        g_a1 = (g_a2 @ p["alpha2"].T) * z1 * (1.0 - z1)
        p["beta"] -= lr * (z2.T @ g_b)
        p["beta0"] -= lr * g_b.sum()
        p["alpha2"] -= lr * (z1.T @ g_a2)
        p["b2"] -= lr * g_a2.sum(axis=0)
        p["alpha1"] -= lr * (X.T @ g_a1)
        p["b1"] -= lr * g_a1.sum(axis=0)


class NumpyOneHiddenSoftmax:
    """a = α [1, x], z = σ(a), b = β [1, z], ŷ = softmax(b), mean cross-entropy (the lecture's Case 2)."""

    def __init__(self, params):
        self.alpha = params["alpha"].copy()
        self.beta = params["beta"].copy()

    def step(self, x, y, lr):
        """One SGD step on one example (x of shape (M,), int label y) or a batch (x (N, M), y (N,))."""
        alpha, beta = self.alpha, self.beta
        z = _sigmoid(x @ alpha[:, 1:].T + alpha[:, 0])
        b = z @ beta[:, 1:].T + beta[:, 0]
        e = np.exp(b - b.max(axis=-1, keepdims=True))
        g_b = e / e.sum(axis=-1, keepdims=True)
        if x.ndim == 1:
            g_b[y] -= 1.0
            g_a = (g_b @ beta[:, 1:]) * z * (1.0 - z)
            beta[:, 1:] -= lr * np.multiply.outer(g_b, z)
            alpha[:, 1:] -= lr * np.multiply.outer(g_a, x)
        else:
            g_b[np.arange(len(y)), y] -= 1.0
            g_b /= len(y)
            g_a = (g_b @ beta[:, 1:]) * z * (1.0 - z)
            beta[:, 1:] -= lr * (g_b.T @ z)
            alpha[:, 1:] -= lr * (g_a.T @ x)
            g_b, g_a = g_b.sum(axis=0), g_a.sum(axis=0)
        beta[:, 0] -= lr * g_b
        alpha[:, 0] -= lr * g_a

    def evaluate(self, X, y):
        """(mean cross-entropy, error rate) on (X, y)."""
        z = _sigmoid(X @ self.alpha[:, 1:].T + self.alpha[:, 0])
        b = z @ self.beta[:, 1:].T + self.beta[:, 0]
        m = b.max(axis=1, keepdims=True)
        log_p = b - m - np.log(np.exp(b - m).sum(axis=1, keepdims=True))
        return float(-np.mean(log_p[np.arange(len(y)), y])), float(np.mean(b.argmax(axis=1) != y))

    def epoch(self, X, y, lr, batch_size):
        """One epoch of SGD in data order, then the training cross-entropy and error (as `sgd` records)."""
        if batch_size == 1:
            for x_i, y_i in zip(X, y):
                self.step(x_i, y_i, lr)
        else:
            for s in range(0, len(y), batch_size):
                self.step(X[s:s + batch_size], y[s:s + batch_size], lr)
        return self.evaluate(X, y)


_ACTIVATIONS = {                        # z = act(a), and act′(a) from z
    "sigmoid": (_sigmoid, lambda z: z * (1.0 - z)),
    "tanh": (np.tanh, lambda z: 1.0 - z * z),
    "relu": (lambda a: np.maximum(a, 0.0), lambda z: z > 0),
}


def unfolded_layers(params, L):
    """[(w, bias)] per layer, w of shape (in, out): a model's parameters with any folded bias column split off."""
    if L == 1:
        return [(params[n][:, 1:].T.copy(), params[n][:, 0].copy()) for n in ("alpha", "beta")]
    names = [(f"alpha{l}", f"b{l}") for l in range(1, L + 1)] + [("beta", "beta0")]
    return [(params[w].copy(), params[b].copy()) for w, b in names]


class NumpyMLP:
    """z⁽ˡ⁾ = act(z⁽ˡ⁻¹⁾ w_l + b_l), ŷ = softmax(z⁽ᴸ⁾ β + β₀), mean cross-entropy; per-example SGD by hand."""

    def __init__(self, params, L, activation):
        self.layers = unfolded_layers(params, L)
        self.act, self.act_prime = _ACTIVATIONS[activation]

    def step(self, x, y, lr):
        """One SGD step on one example (x of shape (M,), int label y)."""
        act, layers = self.act, self.layers
        hs = [x]
        for w, b in layers[:-1]:
            hs.append(act(hs[-1] @ w + b))
        w, b = layers[-1]
        s = hs[-1] @ w + b
        g = np.exp(s - s.max())
        g /= g.sum()
        g[y] -= 1.0
        for l in range(len(layers) - 1, -1, -1):
            w, b = layers[l]
            if l:
                g_below = (w @ g) * self.act_prime(hs[l])
            w -= lr * np.multiply.outer(hs[l], g)
            b -= lr * g
            if l:
                g = g_below

    def evaluate(self, X, y):
        """(mean cross-entropy, error rate) on (X, y)."""
        h = X
        for w, b in self.layers[:-1]:
            h = self.act(h @ w + b)
        w, b = self.layers[-1]
        s = h @ w + b
        m = s.max(axis=1, keepdims=True)
        log_p = s - m - np.log(np.exp(s - m).sum(axis=1, keepdims=True))
        return float(-np.mean(log_p[np.arange(len(y)), y])), float(np.mean(s.argmax(axis=1) != y))

    def epoch(self, X, y, lr):
        """One epoch of Algorithm 1 in data order, then the training cross-entropy and error."""
        for x_i, y_i in zip(X, y):
            self.step(x_i, y_i, lr)
        return self.evaluate(X, y)


def torch_available():
    """True if PyTorch can be imported (the torch columns are left out otherwise)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


class TorchTwoHidden:
    """The 2-16-16-1 network with torch autograd, float64 on the CPU."""

    def __init__(self, params):
        import torch
        self.torch = torch
        self.p = {n: torch.tensor(v, dtype=torch.float64, requires_grad=True) for n, v in params.items()}

    def step(self, X, y, lr):
        """One SGD step on the batch (X, y); returns J before the step (autograd needs it anyway)."""
        torch, p = self.torch, self.p
        z1 = torch.sigmoid(X @ p["alpha1"] + p["b1"])
        z2 = torch.sigmoid(z1 @ p["alpha2"] + p["b2"])
        J = torch.nn.functional.binary_cross_entropy_with_logits(z2 @ p["beta"] + p["beta0"], y)
        J.backward()
        with torch.no_grad():
            for v in p.values():
                v -= lr * v.grad
                v.grad = None
        return J.item()


class TorchOneHiddenSoftmax:
    """The 1-hidden-layer softmax network with torch autograd, float64 on the CPU."""

    def __init__(self, params):
        import torch
        self.torch = torch
        self.alpha = torch.tensor(params["alpha"], dtype=torch.float64, requires_grad=True)
        self.beta = torch.tensor(params["beta"], dtype=torch.float64, requires_grad=True)

    def _scores(self, x):
        z = self.torch.sigmoid(x @ self.alpha[:, 1:].T + self.alpha[:, 0])
        return z @ self.beta[:, 1:].T + self.beta[:, 0]

    def epoch(self, X, y, lr, batch_size):
        """One epoch as `NumpyOneHiddenSoftmax.epoch`; X float64 and y int64 tensors."""
        torch = self.torch
        ce = torch.nn.functional.cross_entropy
        for s in range(0, len(y), batch_size):
            J = ce(self._scores(X[s:s + batch_size]), y[s:s + batch_size])
            J.backward()
            with torch.no_grad():
                for v in (self.alpha, self.beta):
                    v -= lr * v.grad
                    v.grad = None
        with torch.no_grad():
            b = self._scores(X)
            return float(ce(b, y)), float((b.argmax(dim=1) != y).double().mean())


class TorchMLP:
    """`NumpyMLP` with torch autograd (float64, CPU): forward, loss.backward(), update under no_grad."""

    def __init__(self, params, L, activation):
        import torch
        self.torch = torch
        self.layers = [tuple(torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in pair)
                       for pair in unfolded_layers(params, L)]
        self.act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[activation]

    def _scores(self, x):
        for w, b in self.layers[:-1]:
            x = self.act(x @ w + b)
        w, b = self.layers[-1]
        return x @ w + b

    def epoch(self, X, y, lr):
        """One epoch of per-example SGD; X float64 (N, M) and y int64 (N,) tensors."""
        torch = self.torch
        ce = torch.nn.functional.cross_entropy
        for s in range(len(y)):
            J = ce(self._scores(X[s:s + 1]), y[s:s + 1])
            J.backward()
            with torch.no_grad():
                for pair in self.layers:
                    for v in pair:
                        v -= lr * v.grad
                        v.grad = None
        with torch.no_grad():
            b = self._scores(X)
            return float(ce(b, y)), float((b.argmax(dim=1) != y).double().mean())


class BareNode:
    """A value and up to two inputs, and nothing else: no gradient, no operation, no backward pass.

    Building the section-1 graphs from these costs what any engine with one Python
    object per node must pay at least: allocation, and the garbage collector's
    passes over every live node (which grow with the number of nodes).
    """

    __slots__ = ("value", "v1", "v2")

    def __init__(self, value, v1=None, v2=None):
        self.value, self.v1, self.v2 = value, v1, v2

    def __add__(self, other):
        other = other if type(other) is BareNode else BareNode(other)
        return BareNode(self.value + other.value, self, other)

    def __mul__(self, other):
        other = other if type(other) is BareNode else BareNode(other)
        return BareNode(self.value * other.value, self, other)

    def relu(self):
        return BareNode(max(self.value, 0.0), self)

    def backward(self):
        """Nothing to do: the floor measures building only."""
