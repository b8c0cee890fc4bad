"""backproplib: backpropagation as taught in CMU 10-301/601 Lecture 13.

    import backproplib as bp
    x = bp.Var(2.0, name="x")
    J = bp.cos(bp.sin(x**2) + 3 * x**2)
    J.backward()          # reverse mode, Version B
    x.grad                # dJ/dx

`widgets`, `panels` and `plots` (matplotlib, ipywidgets) are imported only when
a notebook asks for them, so `import backproplib` stays fast and headless.
"""
from .engine import (
    Var, Op, primitive, backward, topological_order, constant,
    exp, log, sin, cos, tanh, sigmoid, relu, power,
    sum, mean, transpose, reshape, matmul, take,
    softmax_cross_entropy, sigmoid_cross_entropy,
)
from .tables import forward_backward_table, backward_steps
from .draw import draw_graph
from . import modules
from .models import (
    MLP, LogisticRegression, OneHiddenLayerNet, TwoHiddenLayerNet, NNForward, Parameters,
    init_params, model_from_params, nn_forward, nn_backward,
)
from .activations import ACTIVATIONS, Activation
from .protocol import Trainable
from .training import sgd, History
from .gradcheck import check_gradients, directional_check, check_model, GradCheckReport
from .data import (
    make_xor, make_moons, make_spirals, make_blobs, train_test_split, Split,
    load_dataset, load_digits, load_csv, DataFileError,
)
from . import checks
from .presentation import present
from .reveal import reveal, show_figure

__version__ = "0.1.0"
