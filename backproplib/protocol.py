"""The protocol a model follows to be trained by `sgd` and checked by `check_model`: written down once, here.

Every network of `models` (`MLP` and its special cases) follows it; a model of
your own that provides these members trains and checks the same way, with no
base class to inherit from.
"""
__all__ = ["Trainable", "missing_members"]


class Trainable:
    """What `training.sgd`, `gradcheck.check_model` and `gradcheck.gradcheck` need from a model.

    Parameters
        ``params``: dict name → float64 ndarray, the model's parameters; training
        updates these arrays **in place** (p -= γ g), gradient checks perturb and
        restore them in place, so the model must read them through this dict.
        ``param_names``: tuple, the order in which `backward_prepared` returns the gradients.
        ``set_params(params)``: check the arrays (names, shapes, finite) and store them.
        ``M``: the number of input features (for messages).

    Training (Algorithm 1; no checks inside, they run once in `prepare`)
        ``prepare(X, y, operation)`` → (x, y): X (N, M) and its labels checked against the model
        once, converted to what the two methods below take; errors name `operation`.
        ``forward_prepared(x, y)`` → o, NNFORWARD: a record with at least ``o.y_hat`` (the output
        ŷ) and ``o.J`` (the mean cross-entropy, None when y is None), and whatever the backward
        pass needs from the forward one.
        ``backward_prepared(x, y, o, g_J)`` → a tuple of gradients, NNBACKWARD: g_J · dJ/dθ for
        each parameter in the order of ``param_names``, shaped like it, starting from dJ/dJ = g_J
        (sgd passes g_J = γ and subtracts the results).
        ``decide(y_hat)`` → the predicted labels, for the error rate.

    Checking (only `check_model` needs these)
        ``loss_and_gradients(X, y)`` → (J, {name: dJ/dθ}) by the hand-written backward pass.
        ``engine_loss(X, y)`` → (J, {name: Var}): the same J built from engine operations on Vars
        wrapping ``params`` (only for route="engine").
    """

    TRAINING = ("params", "param_names", "set_params", "M", "prepare", "forward_prepared",
                "backward_prepared", "decide")
    CHECKING = ("params", "loss_and_gradients")


def missing_members(model, members):
    """The members of the protocol `model` lacks, in the order listed (empty if it has them all)."""
    return [m for m in members if not hasattr(model, m)]
