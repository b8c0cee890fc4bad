"""Issue 16: training and the models refuse mismatched arguments before any work, naming the argument."""
import numpy as np
import pytest

import backproplib as bp
from backproplib import modules
from backproplib.models import LogisticRegression, OneHiddenLayerNet, nn_backward, nn_forward
from backproplib.training import sgd
from test_training import MODELS, data  # noqa: F401  (data: a fixture)


def refused(call, error=ValueError):
    with pytest.raises(error) as err:
        call()
    return str(err.value)


# ------------------------------------------------------------------ sgd: checked before any work

@pytest.mark.parametrize("make_model", MODELS)
@pytest.mark.parametrize("change, text", [
    ({"y_test": None}, "sgd: X_test is given but y_test is None; pass the labels of the test set too, or neither"),
    ({"X_test": None}, "sgd: y_test is given but X_test is None; pass the test features too, or neither"),
    ({"y_train": None}, "sgd: X_train is given but y_train is None; pass the labels of the train set too"),
    ({"X_train": None, "y_train": None}, "sgd: X_train and y_train are None; training needs data and its labels"),
    ({"callback": "print"}, "sgd: callback must be a function callback(epoch, history) or None, got str"),
    ({"shuffle": "yes"}, "sgd: shuffle must be True or False, got 'yes'"),
    ({"seed": -1}, "sgd: seed must be a non-negative integer (or None), got -1"),
    ({"seed": 1.5}, "sgd: seed must be a non-negative integer (or None), got 1.5"),
    ({"X_test": np.zeros((0, 2)), "y_test": np.zeros(0, int)},
     "sgd (test data): x must be a non-empty batch, got shape (0, 2)"),
    ({"X_test": np.ones((3, 2)), "y_test": np.array([0, 1])}, "sgd (test data)"),
])
def test_mismatched_arguments_fail_before_any_work(make_model, change, text, data):
    X, y, X_test, y_test = data
    model = make_model()
    before = {n: p.copy() for n, p in model.params.items()}
    calls = []
    kwargs = {"X_train": X, "y_train": y, "X_test": X_test, "y_test": y_test, "epochs": 2,
              "callback": lambda epoch, history: calls.append(epoch), **change}
    if model.K == 3:
        kwargs = {k: (v % 3 if k.startswith("y_") and isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}
    assert text in refused(lambda: sgd(model, **kwargs))
    assert calls == [] and all(np.array_equal(model.params[n], before[n]) for n in before)


def test_a_model_that_is_not_one_is_named():
    assert refused(lambda: sgd({"theta": np.zeros(3)}, np.ones((2, 2)), [0, 1]), TypeError) == (
        "sgd: model must follow the training protocol backproplib.protocol.Trainable, as every model of "
        "backproplib.models does; got dict, which lacks params, param_names, set_params, M, prepare, "
        "forward_prepared, backward_prepared, decide; for a dict of parameters pass bp.model_from_params(params)")


def test_seed_none_and_numpy_integers_are_fine(data):
    X, y, _, _ = data
    sgd(MODELS[0](), X, y, epochs=1, shuffle=True, seed=None)
    sgd(MODELS[0](), X, y, epochs=1, shuffle=np.bool_(True), seed=np.int64(3))


# ------------------------------------------------------------------ models: empty batches, records

@pytest.mark.parametrize("make_model", MODELS)
@pytest.mark.parametrize("method", ["forward", "loss_and_gradients", "mean_cross_entropy", "error_rate",
                                    "engine_loss", "predict"])
def test_empty_batches_are_refused_by_every_method(make_model, method):
    model = make_model()
    args = (np.zeros((0, 2)),) if method == "predict" else (np.zeros((0, 2)), np.zeros(0, int))
    name = "predict_proba" if method == "predict" else method
    assert refused(lambda: getattr(model, method)(*args)) == (
        f"{type(model).__name__}.{name}: x must be a non-empty batch, got shape (0, 2) (no examples: a mean "
        "over them is undefined)")


def test_missing_x_is_named():
    assert refused(lambda: OneHiddenLayerNet(2, 3).forward(None)) == (
        "OneHiddenLayerNet.forward: x is None; give one example of shape (2,) or a batch of shape (N, 2)")


@pytest.mark.parametrize("make_model", MODELS)
def test_backward_refuses_the_record_of_another_x(make_model):
    model = make_model()
    rng = np.random.default_rng(1)
    X = rng.normal(size=(4, 2))
    y = np.array([0, 1, 2, 0]) if model.K == 3 else np.array([0, 1, 1, 0])
    o = model.forward(X, y)
    other = X.copy()
    other[2, 1] += 0.25
    record = model.Record.__name__
    shown = 2 if model._folds_x0 else 1                # x_0 = 1 shifts the columns by one
    text = refused(lambda: model.backward(other, y, o))
    assert text == (f"{type(model).__name__}.backward: o is the {record} of another x "
                    f"(o.x[2, {shown}] = {float(o.x[2, shown])!r} but the x given has "
                    f"{float(other[2, 1])!r} there, counting x_0 = 1 where it is added); run forward on this "
                    "x first")
    assert "of an x of shape" in refused(lambda: model.backward(X[:2], y[:2], o))
    assert refused(lambda: model.backward(X, y, tuple(o))) == (
        f"{type(model).__name__}.backward: o must be the {record} that forward returned for this x, got tuple")
    assert model.backward(X, y, o).keys() == model.params.keys()       # its own record is fine


def test_nn_backward_names_itself_and_refuses_another_x():
    params = bp.init_params("one_hidden", 2, 3, K=3)
    X, y = np.ones((4, 2)), np.array([0, 1, 2, 0])
    o = nn_forward(X, y, params)
    other = X.copy()
    other[3, 0] = 0.5
    assert refused(lambda: nn_backward(other, y, params, o)).startswith(
        "nn_backward: o is the NNForward of another x (o.x[3, 1] = 1.0 but the x given has 0.5 there")
    assert refused(lambda: nn_backward(X[:1], y[:1], params, o)) == (
        "nn_backward: o is the NNForward of an x of shape (4, 3) (with x_0 = 1), but this x has shape (1, 3) "
        "(with x_0 = 1); run forward on this x first")


def test_nan_labels_are_refused_by_the_models():
    model = LogisticRegression(2)
    assert "binary labels y* must be 0 or 1, got [nan]" in refused(
        lambda: model.loss_and_gradients(np.ones((2, 2)), np.array([0.0, np.nan])))


# ------------------------------------------------------------------ modules: empty batches and NaN labels

def test_module_losses_refuse_empty_batches():
    assert refused(lambda: modules.softmax_cross_entropy_forward(np.zeros((0, 3)), np.zeros(0, int))) == (
        "softmax_cross_entropy_forward: the batch is empty (scores of shape (0, 3)); the mean loss over no "
        "examples is undefined")
    assert refused(lambda: modules.sigmoid_cross_entropy_forward(np.zeros(0), np.zeros(0))) == (
        "sigmoid_cross_entropy_forward: the batch is empty (logits of shape (0,)); the mean loss over no "
        "examples is undefined")


@pytest.mark.parametrize("y_star", [np.nan, np.array([1.0, np.nan])])
def test_module_and_functional_losses_refuse_nan_labels(y_star):
    b = np.zeros(np.shape(y_star))
    assert refused(lambda: modules.sigmoid_cross_entropy_forward(b, y_star)) == (
        "sigmoid_cross_entropy_forward: labels y* must lie in [0, 1], got nan")
    assert refused(lambda: bp.functional.binary_cross_entropy_with_logits(b, y_star)) == (
        "binary cross-entropy: labels y* must lie in [0, 1], got nan")
