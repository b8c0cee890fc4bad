"""Hidden-unit activations as modules: the lecture's sigmoid, and tanh and ReLU beside it.

Lecture 13's networks use z = σ(a) in every hidden layer (Case 2, Sigmoid row:
forward z_j = σ(a_j), backward dJ/da_j = dJ/dz_j · z_j(1 − z_j), eq. 9).  Any
elementwise function with a derivative can take that row's place; each one
here is the same three things:

* a hand-written module pair from `modules`: ``z, cache = forward(a)`` and
  ``g_a = backward(g_z, cache)``;
* the engine operation that builds the same z as a `Var` (a second,
  independent route to the gradients, by reverse-mode autodiff);
* its derivative in words, for tables and messages.

=========  ===================  ==============================  ======================
name       z                    dz/da                           cache
=========  ===================  ==============================  ======================
sigmoid    1 / (1 + e^−a)       z (1 − z)          (eq. 9)      z
tanh       tanh a               1 − z²                          z
relu       max(a, 0)            [a > 0]                         the mask [a > 0]
=========  ===================  ==============================  ======================
"""
from dataclasses import dataclass
from typing import Callable

from . import engine
from . import modules

__all__ = ["Activation", "ACTIVATIONS", "activation"]


@dataclass(frozen=True)
class Activation:
    """One hidden-unit activation: its name, hand-written forward/backward, engine op and derivative."""

    name: str
    forward: Callable        # a → (z, cache)
    backward: Callable       # (g_z, cache) → g_a
    engine: Callable         # Var a → Var z
    derivative: str          # dz/da, in words

    def __repr__(self):
        return f"Activation({self.name!r}: dz/da = {self.derivative})"


ACTIVATIONS = {
    "sigmoid": Activation("sigmoid", modules.sigmoid_forward, modules.sigmoid_backward, engine.sigmoid,
                          "z(1 − z)"),
    "tanh": Activation("tanh", modules.tanh_forward, modules.tanh_backward, engine.tanh, "1 − z²"),
    "relu": Activation("relu", modules.relu_forward, modules.relu_backward, engine.relu, "[a > 0]"),
}


def activation(name, operation="activation"):
    """The Activation called `name` ('sigmoid', 'tanh' or 'relu'); an Activation is returned as it is."""
    if isinstance(name, Activation):
        return name
    if isinstance(name, str) and name in ACTIVATIONS:
        return ACTIVATIONS[name]
    raise ValueError(f"{operation}: activation must be one of {', '.join(map(repr, ACTIVATIONS))}, "
                     f"got {name!r}")
