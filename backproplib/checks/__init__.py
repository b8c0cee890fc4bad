"""Feedback for the exercise notebooks: is the learner's answer right, and if not, why not?

Every ``check_*`` function takes the learner's answer (a function, a value or a graph), judges it
against independent values computed from the exercise's parameters (closed forms, or the package's
engine and models), prints one verdict and returns it as a `CheckResult`:

* ``✓ …`` the answer is right;
* ``✗ …`` it is wrong: which entry, by how much, and the likely cause where the evidence shows
  one (wrong sign, transposed, missing the sum over consumers, forgot σ′, used β after the update,
  numerator instead of denominator layout, a constant factor shared by several entries, …);
  or the learner's function raised: the exception and the learner's line, without a traceback;
* ``○ not implemented yet — …`` the answer is still the generated stub, so a blank exercise
  notebook runs from top to bottom.

Results are collected in `RESULTS`; in strict mode (``BACKPROPLIB_STRICT=1`` or
``set_strict(True)``) a verdict other than ✓ raises AssertionError, for pytest and nbgrader.
Course staff write new checks with `check_value`, `check_function` and `expect` (see `verdict`).
The modules: `verdict` (the shared machinery and the public API), then one module per topic:
`chain_rule` (set 01), `tables` (02, 03), `activations` (04), `logistic` (05), `layers` (06),
`networks` (07, 08), `gradcheck` (09), `matrix_calculus` (10), `version_a` (11), `depth` (12).
"""
from .activations import check_sigmoid_derivative, check_tanh_derivative
from .chain_rule import check_chain_rule_1d, check_multivariate_chain_rule
from .gradcheck import check_found_bug, check_numerical_gradient, check_relative_error, mystery_gradients
from .layers import check_linear_backward, check_sigmoid_backward, check_softmax_ce_backward
from .logistic import check_logistic_batch_gradient, check_logistic_gradient, check_logistic_sgd_step
from .matrix_calculus import (check_chain_rule_layout, check_derivative_shapes, check_least_squares_gradient,
                              check_matrix_gradient, check_quadratic_form_gradient)
from .networks import (check_nn_backward, check_nn_forward, check_nn_sgd_step, check_sgd_epoch,
                       check_two_hidden_backward)
from .tables import (check_backward_table, check_forward_graph, check_forward_values, check_quiz,
                     check_topological_order)
from .verdict import (OK, RESULTS, TODO, WRONG, CheckResult, check_function, check_value, expect,
                      reset_results, set_strict, strict)
from .version_a import check_version_a

__all__ = [
    "CheckResult", "RESULTS", "reset_results", "set_strict", "strict", "OK", "WRONG", "TODO",
    "check_value", "check_function", "expect",
    "check_chain_rule_1d", "check_multivariate_chain_rule",
    "check_forward_values", "check_forward_graph", "check_topological_order", "check_quiz", "check_backward_table",
    "check_sigmoid_derivative", "check_tanh_derivative",
    "check_logistic_gradient", "check_logistic_batch_gradient", "check_logistic_sgd_step",
    "check_linear_backward", "check_sigmoid_backward", "check_softmax_ce_backward",
    "check_nn_forward", "check_nn_backward", "check_nn_sgd_step", "check_sgd_epoch", "check_two_hidden_backward",
    "check_numerical_gradient", "check_relative_error", "check_found_bug", "mystery_gradients",
    "check_least_squares_gradient", "check_matrix_gradient", "check_chain_rule_layout", "check_derivative_shapes",
    "check_quadratic_form_gradient",
    "check_version_a",
]
