"""How big is the gradient in each layer?  The numbers behind notebook 09 (depth and activations).

Backward through hidden layer l multiplies the message dJ/dz⁽ˡ⁾ by the activation's
derivative and then by the layer's weights (the lecture's backward row for the
sigmoid, eq. 9: dJ/da_j = dJ/dz_j · z_j(1 − z_j)), so the gradient that reaches the
first layer is a product of one such factor per layer above it.  Since σ′ ≤ 1/4,
sigmoid layers shrink it; tanh′ ≤ 1 and ReLU′ ∈ {0, 1} shrink it less, and large
weights can make it grow instead.

`layer_gradient_norms(net, X, y)` measures this: the Frobenius norm of dJ/dW for the
weights W of each layer, input to output (α⁽¹⁾, …, α⁽ᴸ⁾, then β), for the mean
cross-entropy J (the negative mean log-likelihood of the slides).
"""
import numpy as np

__all__ = ["layer_weights", "layer_gradient_norms"]


def layer_weights(net):
    """The names of the net's weight matrices, input to output: 'alpha1', …, 'alphaL', 'beta' for L ≥ 2
    hidden layers, 'alpha', 'beta' for L = 1, 'theta' for L = 0 (biases are not among them)."""
    return tuple(layer.weight for layer in net.layers)


def layer_gradient_norms(net, X, y):
    """{weight name: ‖dJ/dW‖}, input to output, for the mean cross-entropy J of `net` on the batch (X, y).

    ‖·‖ is the Frobenius norm (the root of the sum of squared entries) of the weights' gradient alone: where
    the lecture folds a bias into the matrix as column 0 (x₀ = z₀ = 1, one hidden layer), that column is left
    out, so every depth measures the same thing.  The gradients are the model's NNBACKWARD
    (`loss_and_gradients`), which checks X and y.
    """
    if not hasattr(net, "layers") or not hasattr(net, "loss_and_gradients"):
        raise TypeError(f"layer_gradient_norms: net must be a backproplib model (models.MLP), "
                        f"got {type(net).__name__}")
    _, grads = net.loss_and_gradients(X, y)
    norms = {}
    for layer in net.layers:
        g = grads[layer.weight]
        if layer.folded:
            g = g[..., 1:]                       # column 0 multiplies the constant 1: a bias
        norms[layer.weight] = float(np.sqrt(np.sum(g * g)))
    return norms
