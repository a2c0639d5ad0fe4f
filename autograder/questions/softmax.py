"""05_softmax — softmax, cross-entropy, and a digits classifier.

Oracles: the definitions written here in plain (stable) NumPy for values; autograd for
the cross-entropy gradient and the softmax Jacobian; properties (rows sum to one,
shift invariance, finite results on extreme logits, two classes = sigmoid); and the
reference from the solution notebook on hidden cases. The trained classifier is
evaluated here, in the grader, with a plain forward pass through the returned
``(W, b)`` list, so a student's code cannot report its own accuracy.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from ..judge.compare import Mismatch, expect_array, expect_close, expect_close_in_z, expect_scalar, expect_true
from ..data import load
from ..judge.expectation import Expect, Mistake
from ..judge.training_trace import Recipe, batches, explained, relation_table
from ..student.probes import each_run
from ..judge.misconceptions import close
from ..judge.networks import LAYER_SKIPPED_HINT, autograd_grads, compare_forward, compare_gradients, forward_pass, layer_pairs
from ..judge.laws import identity, law_case, repeated
from ..judge.question import Assignment, Case
from ..judge.relations import describe, normalised_axis

ASSIGNMENT = Assignment("05_softmax", "softmax.ipynb", "Softmax and cross-entropy")

# The digits run: hidden layers use ReLU, the output layer is the identity (logits).
DIGITS_RUN = {"hidden": [128], "lr": 0.2, "epochs": 40, "batch_size": 32, "l2": 1e-3}
DIGITS_ACCURACY = 0.95
EXTREME = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0], [1000.0, 1000.0, 999.0], [-1000.0, 1000.0, -999.0]])


# --- the mistakes this assignment's checks can name ------------------------------
ASSIGNMENT.misconception("one_hot_width", "one_hot width", "the number of columns is num_classes, whatever labels happen to occur.", "relation", ("one_hot",))
ASSIGNMENT.misconception("one_hot_off_by_one", "one_hot off by one", "labels are already 0..C-1: label k goes to column k.", "relation", ("one_hot",))
ASSIGNMENT.misconception("unstable_softmax", "unstable softmax", "exp overflows for large logits: subtract each row's maximum first, which leaves the softmax unchanged.",
   "property", ("softmax_stable", "softmax_jacobian"))
ASSIGNMENT.misconception("softmax_wrong_axis", "softmax over the wrong axis", "each row is one sample: normalise along axis=1 (with keepdims=True).", "relation",
   ("softmax", "softmax_stable"))
ASSIGNMENT.misconception("softmax_global_max", "not shift invariant", "subtract each row's own maximum, not the maximum of the whole array.", "relation", ("softmax_stable",))
ASSIGNMENT.misconception("log_of_softmax", "log of softmax", "np.log(softmax(Z)) takes the log of probabilities that underflow to 0: use log-sum-exp.", "property", ("log_softmax",))
ASSIGNMENT.misconception("log_softmax_normaliser", "log-sum-exp term wrong", "log_softmax subtracts the log of each row's normaliser: (z - m) - log(sum(exp(z - m))), each term with its sign.",
   "relation", ("log_softmax",))
ASSIGNMENT.misconception("log_softmax_wrong_axis", "log-softmax over the wrong axis", "the log-sum-exp runs over each row (axis=1), one sample at a time.", "relation", ("log_softmax",))
ASSIGNMENT.misconception("unstable_cross_entropy", "unstable cross-entropy", "compute the cost from log_softmax(Z), never from np.log(softmax(Z)).", "property", ("cross_entropy",))
ASSIGNMENT.misconception("ce_sum", "sum instead of mean", "the cost is the mean over the n rows.", "relation", ("cross_entropy", "classifier_step"))
ASSIGNMENT.misconception("ce_sign", "cross-entropy with the wrong sign", "the cost is the NEGATIVE log-probability of the true class, so it is >= 0.", "relation",
   ("cross_entropy", "classifier_step"))
ASSIGNMENT.misconception("ce_wrong_class", "wrong class probability", "in row i take the entry of the true class labels[i]: P[np.arange(n), labels].", "relation",
   ("cross_entropy", "cross_entropy_grad"))
ASSIGNMENT.misconception("ce_grad_sign", "cross-entropy gradient with the wrong sign", "raising the true class's logit lowers the cost: the gradient is p - y, not y - p.",
   "relation", ("cross_entropy_grad", "classifier_step"))
ASSIGNMENT.misconception("ce_grad_factor_n", "cross-entropy gradient not divided by n", "the cost is a mean over the rows, so its gradient carries the factor 1/n.",
   "relation", ("cross_entropy_grad", "classifier_step"))
ASSIGNMENT.misconception("ce_grad_missing_y", "one-hot labels not subtracted once", "the gradient of the cost with respect to the logits is (softmax(Z) - Y) / n.", "relation",
   ("cross_entropy_grad", "classifier_step"))
ASSIGNMENT.misconception("jacobian_missing_diag", "Jacobian without its diagonal term", "d p_i / d z_i has an extra p_i from the numerator: J = diag(p) - p p^T.", "relation",
   ("softmax_jacobian",))
ASSIGNMENT.misconception("jacobian_inner", "inner instead of outer product", "the second term is the (C, C) outer product p p^T, with entries p_i p_j.", "relation",
   ("softmax_jacobian",))
ASSIGNMENT.misconception("jacobian_sign", "Jacobian with the wrong sign", "the diagonal entries p_i (1 - p_i) are positive.", "relation", ("softmax_jacobian",))
ASSIGNMENT.misconception("jacobian_missing_offdiag", "Jacobian without its off-diagonal terms", "every p_i depends on every z_j through the denominator.", "relation",
   ("softmax_jacobian",))
ASSIGNMENT.misconception("accuracy_percentage", "accuracy as a percentage", "return the fraction of correct predictions, between 0 and 1.", "relation", ("accuracy",))
ASSIGNMENT.misconception("accuracy_count", "accuracy as a count", "divide the number of correct predictions by the number of samples.", "relation", ("accuracy",))
ASSIGNMENT.misconception("accuracy_onehot", "compared one-hot entries", "compare the predicted and true labels, one comparison per sample.", "relation", ("accuracy",))
ASSIGNMENT.misconception("transposed_w", "transposed W", "W has shape (n_in, n_out): one row per input, one column per output.", "relation", ("classifier_step", "digits"))
ASSIGNMENT.misconception("layer_skipped", "a layer the loop never reached", LAYER_SKIPPED_HINT, "relation", ("classifier_step",))
ASSIGNMENT.misconception("transposed_dw", "transposed dW", "dC/dW has the shape of W, (n_in, n_out): A_prev.T @ delta.", "relation", ("classifier_step",))
ASSIGNMENT.misconception("db_averaged", "bias gradient averaged", "dC/db is delta summed over the rows: the 1/n is already inside dC/dA_L.", "relation", ("classifier_step",))
ASSIGNMENT.misconception("classifier_grad_sign", "gradients with the wrong sign", "backward returns dC/dW itself, not the descent direction.", "relation", ("classifier_step",))
ASSIGNMENT.misconception("loss_without_penalty", "loss without the L2 penalty", "the reported loss is the regularised cost: cross-entropy + l2/2 * sum of squared weights.",
   "relation", ("classifier_step",))
ASSIGNMENT.misconception("loss_not_recorded", "the epoch's loss never added up", "inside the loop over the mini-batches, add each batch's cost weighted "
   "by its size to losses[epoch] (losses[epoch] += m * C_batch / n); a loss of 0 means nothing was added, or the loops never ran.", "relation", ("classifier_step",))
ASSIGNMENT.misconception("loss_sign", "the epoch's loss with the wrong sign", "the regularised cost is positive: -mean(log p of the true class) + l2/2 * sum of "
   "squared weights, ADDED to losses[epoch].", "relation", ("classifier_step",))
ASSIGNMENT.misconception("biases_regularised", "biases regularised", "only the weights W are penalised by L2, never the biases.", "relation", ("classifier_step",))
ASSIGNMENT.misconception("l2_gradient", "L2 gradient", "the gradient of l2/2 * sum(W**2) is l2 * W, added to dC/dW before the step.", "relation", ("classifier_step",))
ASSIGNMENT.misconception("batches_not_shuffled", "mini-batches not shuffled", "every epoch visits the rows in a freshly shuffled order, from a generator made once from the seed.",
   "relation", ("classifier_step",))
ASSIGNMENT.misconception("same_order_every_epoch", "the same order every epoch", "make the generator once, before the first epoch, and draw a new order from it at the start of every epoch.",
   "relation", ("classifier_step",))
ASSIGNMENT.misconception("penalty_miscounted", "L2 penalty miscounted in the loss", "the reported loss adds the penalty l2/2 * (sum of squared weights) once, with a plus sign.",
   "relation", ("classifier_step",))
ASSIGNMENT.misconception("parameter_not_updated", "a parameter not updated", "after every mini-batch each W and each b moves by -lr times its gradient.", "relation", ("classifier_step",))
ASSIGNMENT.misconception("uphill_step", "update with + instead of -", "gradient descent subtracts: W <- W - lr * dC/dW.", "relation", ("classifier_step",))

ASSIGNMENT.misconception("loss_cross_entropy_term", "the loss's cross-entropy term", "each batch adds m times its mean cross-entropy to losses[epoch] "
                         "(then divided by n): -sum over the batch's rows of log p[row, label of that row].", "relation", ("classifier_step",))
ASSIGNMENT.misconception("classifier_batches", "mini-batches not one pass over the rows", "each epoch's batches take the shuffled rows in order, batch_size at a time "
                         "(order[start:start + batch_size] for start = 0, batch_size, ... below n): every row exactly once.", "relation", ("classifier_step",))
ASSIGNMENT.misconception("classifier_output_gradient", "wrong output gradient in the loop", "each step passes backward dC/dZ of the batch's mean cross-entropy at the "
                         "logits forward returned: (softmax(Z_batch) - Y_batch) / m, with the labels of the same rows.", "relation", ("classifier_step",))
ASSIGNMENT.misconception("classifier_update_rule", "update rule", "each step moves W by -lr * (dW + l2 * W) and b by -lr * db, with the gradients backward returned.",
                         "relation", ("classifier_step",))

# --- the definitions, in plain NumPy (what the notebook states) ---------------------

def stable_softmax(Z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis`` with the maximum subtracted first."""
    E = np.exp(Z - Z.max(axis=axis, keepdims=True))
    return E / E.sum(axis=axis, keepdims=True)


def stable_log_softmax(Z: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax by log-sum-exp: z - m - log(sum(exp(z - m)))."""
    shifted = Z - np.max(Z, axis=1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def mean_cross_entropy(Z: np.ndarray, labels: np.ndarray) -> float:
    return float(-np.mean(stable_log_softmax(Z)[np.arange(len(labels)), labels]))


def one_hot_rows(labels: np.ndarray, C: int) -> np.ndarray:
    return np.eye(C)[labels]


def sigmoid(t: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -t))


def relu_layers(params) -> list[str]:
    """The activations of this assignment's networks: ReLU hidden layers, an identity output (the logits)."""
    return ["relu"] * (len(params) - 1) + ["identity"]


def relu_network(params, X: np.ndarray) -> np.ndarray:
    """Logits of a network with ReLU hidden layers and an identity output layer."""
    return forward_pass(params, X, relu_layers(params))[0]


def _ce_gradient_autograd(Z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """d/dZ of the mean cross-entropy, by autograd (an oracle independent of the formula)."""
    import autograd
    import autograd.numpy as anp

    Y = one_hot_rows(labels, Z.shape[1])

    def cost(Z):
        m = anp.max(Z, axis=1, keepdims=True)
        log_p = Z - m - anp.log(anp.sum(anp.exp(Z - m), axis=1, keepdims=True))
        return -anp.sum(Y * log_p) / Z.shape[0]

    return autograd.grad(cost)(Z)


def _jacobian_autograd(z: np.ndarray) -> np.ndarray:
    import autograd
    import autograd.numpy as anp

    def softmax(z):
        e = anp.exp(z - anp.max(z))
        return e / anp.sum(e)

    return autograd.jacobian(softmax)(z)


def _network_gradients_autograd(params, X: np.ndarray, labels: np.ndarray):
    """Gradients of the mean cross-entropy of ``relu_network`` with respect to every W and b."""
    import autograd.numpy as anp

    Y = one_hot_rows(labels, params[-1][0].shape[1])

    def cost(flat):
        A = forward_pass(flat, X, relu_layers(flat), anp)[0]
        m = anp.max(A, axis=1, keepdims=True)
        log_p = A - m - anp.log(anp.sum(anp.exp(A - m), axis=1, keepdims=True))
        return -anp.sum(Y * log_p) / X.shape[0]

    return autograd_grads(params, cost)


def _close(got: Any, expected: Any, rtol: float = 1e-8, atol: float = 1e-12) -> bool:
    """:func:`~autograder.judge.misconceptions.close` with this assignment's tolerances unless a call gives others."""
    return close(got, expected, rtol, atol)


def _random_labels(rng, n: int, C: int) -> np.ndarray:
    """n labels in 0..C-1 that use every class when n >= C."""
    labels = rng.integers(0, C, size=n)
    if n >= C:
        labels[rng.choice(n, size=C, replace=False)] = np.arange(C)
    return labels.astype(np.int64)


# --- one_hot ----------------------------------------------------------------------

def _one_hot_read(got, labels: np.ndarray, C: int):
    """one_hot's result, refused when it has another width than num_classes or is not an array of floats."""
    what = f"one_hot(labels, {C})"
    if isinstance(got, np.ndarray) and got.ndim == 2 and got.shape[0] == len(labels) and got.shape[1] != C:
        raise Mismatch(f"{what} has {got.shape[1]} columns; it should have exactly num_classes = {C}, one per class 0..{C - 1}"
                       f"{' (not labels.max() + 1: use the num_classes argument)' if got.shape[1] == labels.max() + 1 else ''}.",
                       misconception="one_hot_width")
    if isinstance(got, np.ndarray) and got.dtype.kind != "f":
        raise Mismatch(f"{what} has dtype {got.dtype}; return float64 (e.g. np.eye(num_classes)[labels]) so it mixes with probabilities.")
    return got


ONE_HOT_MISTAKES = (  # each 1 one column left or right of its label
    Mistake("one_hot_off_by_one", lambda labels, C: one_hot_rows((labels - 1) % C, C)),
    Mistake("one_hot_off_by_one", lambda labels, C: one_hot_rows((labels + 1) % C, C)),
)
ONE_HOT = Expect("one_hot(labels, num_classes)", one_hot_rows, rtol=0, atol=0, read=_one_hot_read, mistakes=ONE_HOT_MISTAKES)


@ASSIGNMENT.question(points=1, functions=("one_hot",))
def one_hot(rng, hidden):
    """one_hot(labels, num_classes) is an (n, num_classes) float64 array with a 1 in column labels[i] of row i."""
    shapes = [(6, 3), (10, 10), (4, 7)] if not hidden else [(int(rng.integers(1, 40)), int(rng.integers(2, 12))) for _ in range(4)]
    for n, C in shapes:
        labels = _random_labels(rng, n, C)
        yield Case(f"{n} labels, {C} classes", "one_hot", (labels, C), expect=ONE_HOT)
    labels = np.array([0, 2, 1, 2], dtype=np.int64)  # class 3 and 4 unused: width comes from num_classes
    yield Case("4 labels, 5 classes (two never used)", "one_hot", (labels, 5), expect=ONE_HOT)


# --- softmax ------------------------------------------------------------------------

def _softmax_check(Z: np.ndarray, what: str, expected_of=None):
    """Check softmax(Z); ``expected_of`` is the input whose softmax ``got`` should equal (shift invariance)."""
    base = Z if expected_of is None else expected_of

    def check(got, oracles):
        if isinstance(got, np.ndarray) and got.shape == Z.shape and not np.all(np.isfinite(got)):
            far = Z.max(axis=1) - Z.max() < -700  # rows whose own maximum lies far below the array's
            if far.any() and np.all(np.isfinite(got[~far])) and _close(got[~far], stable_softmax(Z[~far])):
                raise Mismatch(f"{what} is NaN only in the rows whose largest logit is far below the largest logit of the whole array: "
                               "subtracting one maximum for the whole array underflows those rows to 0 / 0. Subtract each row's own maximum.",
                               misconception="softmax_global_max")
            raise Mismatch(f"{what} contains NaN or inf: exp of a large logit overflows. Subtract each row's maximum before "
                           "exponentiating — it leaves the softmax unchanged (see the derivation) and keeps every exp(.) <= 1.",
                           misconception="unstable_softmax")
        got = expect_array(got, Z.shape, what)
        if Z.shape[0] > 1 and _close(got, stable_softmax(Z, axis=0)) and not _close(got, stable_softmax(Z)):
            raise Mismatch(f"{what}: your columns sum to one, not your rows. Each row is one sample, so normalise along axis=1 "
                           "(and keep the dimension, keepdims=True, so the division broadcasts per row).", misconception="softmax_wrong_axis")
        along = normalised_axis(got, right=1)
        if along is not None:
            raise Mismatch(f"{what}: your rows do not sum to one, your result is {along.text}. Each row is one sample: normalise each row by its own sum.",
                           relation=along.key)
        _rows_sum_to_one(got, what)
        expected = np.asarray(oracles.expected("softmax", lambda: stable_softmax(base), base), dtype=float)
        if expected_of is not None and not _close(got, expected):
            raise Mismatch(f"{what}: adding the same constant to every logit of a row must not change the softmax, but your result changed. "
                           "Subtract each row's own maximum (not the maximum of the whole array).", misconception="softmax_global_max")
        expect_close_in_z(got, lambda c: expected if c == 1.0 else stable_softmax(c * base), what, 1e-9, 1e-15, oracles.reveal)

    return check


def _rows_sum_to_one(P: np.ndarray, what: str) -> None:
    """Each row of a softmax is a probability distribution (the law ``law:normalised``)."""
    sums = P.sum(axis=1)
    if not np.allclose(sums, 1.0, rtol=0, atol=1e-9):
        raise Mismatch(f"{what}: row sums should all be 1 (each row is a probability distribution), but one row sums to "
                       f"{sums[np.argmax(np.abs(sums - 1))]:.6g}.", relation="law:normalised")


@ASSIGNMENT.question(points=1, functions=("softmax",))
def softmax(rng, hidden):
    """softmax(Z) turns each row of logits into probabilities: same shape, non-negative, rows sum to one."""
    shapes = [(4, 3), (1, 5), (6, 10), (3, 2)] if not hidden else [(int(rng.integers(1, 30)), int(rng.integers(2, 12))) for _ in range(5)]
    for shape in shapes:
        Z = rng.normal(scale=3.0, size=shape)
        yield Case(f"Z of shape {shape}", "softmax", (Z,), check=_softmax_check(Z, "softmax(Z)"))


@ASSIGNMENT.question(points=1, functions=("softmax",))
def softmax_stable(rng, hidden):
    """softmax is shift invariant per row and stays finite on logits of +-1000."""
    yield Case("logits of +-1000", "softmax", (EXTREME,), check=_softmax_check(EXTREME, "softmax(Z) on logits of +-1000"))
    n, C = (5, 4) if not hidden else (int(rng.integers(2, 20)), int(rng.integers(2, 10)))
    Z = rng.normal(size=(n, C))
    c = rng.uniform(-1000, 1000, size=(n, 1))
    c[0] = 800.0  # at least one row beyond exp's range (exp(710) overflows)
    yield Case("Z + c with a different large constant c per row", "softmax", (Z + c,),
               check=_softmax_check(Z + c, "softmax(Z + c)", expected_of=Z))
    mixed = rng.normal(size=(n, C))
    mixed[np.arange(n), rng.integers(0, C, size=n)] = rng.choice([-1000.0, 1000.0], size=n)
    yield Case("random logits with one +-1000 per row", "softmax", (mixed,), check=_softmax_check(mixed, "softmax(Z) on mixed logits"))


# --- log_softmax --------------------------------------------------------------------

def _log_softmax_check(Z: np.ndarray):
    def check(got, oracles):
        what = "log_softmax(Z)"
        finite = np.isfinite(got) if isinstance(got, np.ndarray) and got.shape == Z.shape else None
        if finite is not None and not np.all(finite) and _close(got[finite], stable_log_softmax(Z)[finite]):  # right wherever it is finite
            raise Mismatch(f"{what} contains -inf or NaN: np.log(softmax(Z)) fails when a probability underflows to 0 "
                           "(here log p is about -2000, but p = exp(-2000) is 0.0 in float64). Use log-sum-exp: "
                           "z - m - log(sum(exp(z - m))) with m the row maximum, which never takes the log of 0.",
                           misconception="log_of_softmax")
        got = expect_array(got, Z.shape, what)
        expected = np.asarray(oracles.expected("log_softmax", lambda: stable_log_softmax(Z), Z), dtype=float)
        if Z.shape[0] > 1 and _close(got, Z - np.log(np.exp(Z - Z.max(axis=0)).sum(axis=0)) - Z.max(axis=0)):
            raise Mismatch(f"{what}: you normalised each column instead of each row; sum over axis=1.", misconception="log_softmax_wrong_axis")
        along = normalised_axis(np.exp(got), right=1)
        if along is not None:
            raise Mismatch(f"{what}: exp of your result is {along.text}: the log-sum-exp runs over each row.", relation=along.key)
        shifted = Z - Z.max(axis=1, keepdims=True)
        terms = {"log-sum-exp": -np.log(np.exp(shifted).sum(axis=1, keepdims=True)) * np.ones_like(Z)}
        with np.errstate(all="ignore"):
            relation = describe(got, expected, rtol=1e-9, atol=1e-9, terms=terms)
        if relation is None:
            _rows_sum_to_one(np.exp(got), f"exp({what})")
        expect_close_in_z(got, lambda c: expected if c == 1.0 else stable_log_softmax(c * Z), what, 1e-9, 1e-9, oracles.reveal, terms=terms)

    return check


@ASSIGNMENT.question(points=1, functions=("log_softmax",))
def log_softmax(rng, hidden):
    """log_softmax(Z) equals log(softmax(Z)) row-wise, computed stably (finite even for logits of +-1000)."""
    shapes = [(4, 3), (2, 6)] if not hidden else [(int(rng.integers(1, 30)), int(rng.integers(2, 12))) for _ in range(3)]
    for shape in shapes:
        Z = rng.normal(scale=3.0, size=shape)
        yield Case(f"Z of shape {shape}", "log_softmax", (Z,), check=_log_softmax_check(Z))
    yield Case("logits of +-1000", "log_softmax", (EXTREME,), check=_log_softmax_check(EXTREME), clauses=("log_softmax.stable",))


# --- cross_entropy -----------------------------------------------------------------

def _one_cost(got, Z: np.ndarray, labels: np.ndarray) -> float:
    """cross_entropy's result as one finite number; NaN or inf is the log of a probability that underflowed to 0."""
    what = "cross_entropy(Z, labels)"
    if isinstance(got, (float, np.ndarray)) and np.size(got) == 1 and not np.all(np.isfinite(got)):
        raise Mismatch(f"{what} is {float(np.ravel(got)[0])}: the log of a probability that underflowed to 0. "
                       "Compute the cost from log_softmax(Z), not from np.log(softmax(Z)).", misconception="unstable_cross_entropy")
    if isinstance(got, np.ndarray) and got.size > 1:
        raise Mismatch(f"{what} should be one number (the mean over the {len(labels)} rows), but it is an array of shape {got.shape}.")
    return expect_scalar(got, what)


CROSS_ENTROPY_MISTAKES = (
    Mistake("ce_sum", lambda Z, labels: len(labels) * mean_cross_entropy(Z, labels)),
    Mistake("ce_sign", lambda Z, labels: -mean_cross_entropy(Z, labels)),
    Mistake("ce_wrong_class", lambda Z, labels: float(-np.mean(stable_log_softmax(Z)[:, labels]))),  # P[:, labels], an n-by-n block
    Mistake("ce_wrong_class", lambda Z, labels: mean_cross_entropy(Z, (labels + 1) % Z.shape[1])),
    Mistake("ce_wrong_class", lambda Z, labels: mean_cross_entropy(Z, (labels - 1) % Z.shape[1])),
    Mistake("ce_wrong_class", lambda Z, labels: mean_cross_entropy(Z, np.argmax(Z, axis=1))),
)
CROSS_ENTROPY = Expect("cross_entropy(Z, labels)", mean_cross_entropy, reference="cross_entropy", result="scalar", rtol=1e-9, atol=1e-12,
                       read=_one_cost, mistakes=CROSS_ENTROPY_MISTAKES)


@ASSIGNMENT.question(points=1, functions=("cross_entropy",), depends_on=("log_softmax",))
def cross_entropy(rng, hidden):
    """cross_entropy(Z, labels) is the mean over rows of -log softmax(Z)[label], computed from the logits."""
    shapes = [(5, 3), (8, 10), (1, 4)] if not hidden else [(int(rng.integers(1, 40)), int(rng.integers(2, 12))) for _ in range(4)]
    for n, C in shapes:
        Z, labels = rng.normal(scale=2.0, size=(n, C)), _random_labels(rng, n, C)
        yield Case(f"{n} rows, {C} classes", "cross_entropy", (Z, labels), expect=CROSS_ENTROPY)
    labels = np.array([1, 2, 0, 1], dtype=np.int64)
    yield Case("logits of +-1000 (confidently wrong rows cost about 1000-2000)", "cross_entropy", (EXTREME, labels), expect=CROSS_ENTROPY, clauses=("cross_entropy.stable",))


# --- cross_entropy_grad ------------------------------------------------------------

def _targets(Z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The one-hot rows Y of ``labels``, (n, C) for logits Z of shape (n, C)."""
    return one_hot_rows(labels, Z.shape[1])


def _gradient_with(Z: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """(softmax(Z) - Y) / n: the cross-entropy gradient when Y holds the one-hot rows (misplaced ones, for a mistake)."""
    return (stable_softmax(Z) - Y) / len(Z)


CE_GRAD_MISTAKES = (
    Mistake("ce_grad_sign", lambda Z, labels: -_gradient_with(Z, _targets(Z, labels))),
    Mistake("ce_grad_factor_n", lambda Z, labels: len(Z) * _gradient_with(Z, _targets(Z, labels))),
    Mistake("ce_grad_missing_y", lambda Z, labels: stable_softmax(Z) / len(Z)),
    Mistake("ce_grad_missing_y", lambda Z, labels: stable_softmax(Z)),
    Mistake("ce_wrong_class", lambda Z, labels: _gradient_with(Z, _targets(Z, (labels + 1) % Z.shape[1]))),
    Mistake("ce_wrong_class", lambda Z, labels: _gradient_with(Z, _targets(Z, (labels - 1) % Z.shape[1]))),
    Mistake("ce_wrong_class", lambda Z, labels: _gradient_with(Z, np.roll(_targets(Z, labels), 1, axis=0))),
    Mistake("ce_wrong_class", lambda Z, labels: _gradient_with(Z, np.roll(_targets(Z, labels), -1, axis=0))),
)
CE_GRAD = Expect("cross_entropy_grad(Z, labels)", _ce_gradient_autograd, reference="cross_entropy_grad", rtol=1e-7, atol=1e-12,
                 mistakes=CE_GRAD_MISTAKES, terms=lambda Z, labels: {"Y / n": -_targets(Z, labels) / len(Z)})


CE_GRAD_LAWS = (
    repeated("cross_entropy_grad", "mean_gradient", 0, 1, clause="cross_entropy_grad.value"),
    identity("every row of cross_entropy_grad sums to zero (a row of probabilities, summing to 1, minus a one-hot row)",
             image=lambda value, Z, labels: np.zeros(len(Z)), measure=lambda value, *args: np.asarray(value, dtype=float).sum(axis=1),
             scale=lambda value, *args: float(np.max(np.abs(np.asarray(value, dtype=float)))), clause="cross_entropy_grad.value"),
)
"""What every right cross_entropy_grad obeys."""


@ASSIGNMENT.question(points=2, functions=("cross_entropy_grad",), depends_on=("one_hot", "softmax"))
def cross_entropy_grad(rng, hidden):
    """cross_entropy_grad(Z, labels) is the gradient of the mean cross-entropy with respect to the logits, (softmax(Z) - Y) / n."""
    shapes = [(5, 3), (8, 10), (1, 4)] if not hidden else [(int(rng.integers(1, 40)), int(rng.integers(2, 12))) for _ in range(4)]
    for n, C in shapes:
        Z, labels = rng.normal(scale=2.0, size=(n, C)), _random_labels(rng, n, C)
        yield Case(f"{n} rows, {C} classes (compared with autograd)", "cross_entropy_grad", (Z, labels), expect=CE_GRAD)
    labels = np.array([1, 2, 0, 1], dtype=np.int64)
    yield Case("logits of +-1000", "cross_entropy_grad", (EXTREME, labels), expect=CE_GRAD, clauses=("cross_entropy_grad.stable",))
    yield law_case("cross_entropy_grad's laws on 6 rows, 4 classes", "cross_entropy_grad", (rng.normal(scale=2.0, size=(6, 4)), _random_labels(rng, 6, 4)),
                   CE_GRAD_LAWS)


# --- softmax_jacobian --------------------------------------------------------------

def _jacobian_read(got, z: np.ndarray):
    """softmax_jacobian's result; NaN or inf in a (C, C) result is the overflow of an unstable softmax."""
    if isinstance(got, np.ndarray) and got.shape == (len(z), len(z)) and not np.all(np.isfinite(got)):
        raise Mismatch("softmax_jacobian(z) contains NaN or inf: compute p with your stable softmax.", misconception="unstable_softmax")
    return got


def _of_p(jacobian):
    """A Jacobian written in p = softmax(z), as a function of z."""
    return lambda z: jacobian(stable_softmax(z))


JACOBIAN_MISTAKES = (
    Mistake("jacobian_missing_diag", _of_p(lambda p: -np.outer(p, p))),
    Mistake("jacobian_inner", _of_p(lambda p: np.diag(p) - p @ p)),
    Mistake("jacobian_sign", _of_p(lambda p: np.outer(p, p) - np.diag(p))),
    Mistake("jacobian_missing_offdiag", _of_p(np.diag)),
)
JACOBIAN = Expect("softmax_jacobian(z)", _jacobian_autograd, reference="softmax_jacobian", rtol=1e-7, atol=1e-12, read=_jacobian_read,
                  mistakes=JACOBIAN_MISTAKES, terms=lambda z: {"diag(p)": np.diag(stable_softmax(z[None, :])[0]),
                                                              "outer(p, p)": -np.outer(stable_softmax(z[None, :])[0], stable_softmax(z[None, :])[0])})


@ASSIGNMENT.question(points=2, functions=("softmax_jacobian",), depends_on=("softmax",))
def softmax_jacobian(rng, hidden):
    """softmax_jacobian(z) for one row z of C logits is the (C, C) matrix d softmax(z)_i / d z_j = diag(p) - outer(p, p)."""
    sizes = [3, 5, 2] if not hidden else [int(rng.integers(2, 12)) for _ in range(4)]
    for C in sizes:
        z = rng.normal(scale=2.0, size=C)
        yield Case(f"z with {C} logits (compared with autograd.jacobian)", "softmax_jacobian", (z,), expect=JACOBIAN)
    z = np.array([1000.0, -1000.0, 999.0])
    yield Case("z = [1000, -1000, 999]", "softmax_jacobian", (z,), expect=JACOBIAN, clauses=("softmax_jacobian.stable",))


# --- two classes: softmax = sigmoid ------------------------------------------------

def two_class_probabilities(Z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(n, 2): the columns 1 - s and s, s = sigmoid(z_1 - z_0)."""
    s = sigmoid(Z[:, 1] - Z[:, 0])
    return np.column_stack([1 - s, s])


def binary_cross_entropy(Z: np.ndarray, labels: np.ndarray) -> float:
    """-mean(y log s + (1 - y) log(1 - s)) with s = sigmoid(z_1 - z_0) and y = labels, by logaddexp."""
    t, y = Z[:, 1] - Z[:, 0], labels.astype(float)
    return float(np.mean(np.logaddexp(0.0, -t) * y + np.logaddexp(0.0, t) * (1 - y)))


def binary_gradient(Z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(n, 2): the columns -g and g, g = (sigmoid(z_1 - z_0) - y) / n, the sigmoid-with-binary-cross-entropy gradient."""
    g = (sigmoid(Z[:, 1] - Z[:, 0]) - labels) / len(labels)
    return np.column_stack([-g, g])


def _two_class_part(name: str):
    """A ``read=`` for one of the results of the two-class probe, a dict by function name."""
    def read(got, Z, labels):
        if not isinstance(got, dict):
            raise Mismatch("the two-class check could not read your results.")
        return got[name]
    return read


TWO_CLASS = (
    Expect("softmax(Z) with two classes (columns 1 - sigmoid(z_1 - z_0) and sigmoid(z_1 - z_0))", two_class_probabilities,
           rtol=1e-9, atol=1e-15, read=_two_class_part("softmax")),
    Expect("cross_entropy(Z, labels) with two classes (the binary cross-entropy)", binary_cross_entropy, result="scalar",
           rtol=1e-9, atol=1e-12, read=_two_class_part("cross_entropy")),
    Expect("cross_entropy_grad(Z, labels) with two classes (columns -g and g, g = (sigmoid(z_1 - z_0) - y) / n)", binary_gradient,
           rtol=1e-7, atol=1e-12, read=_two_class_part("cross_entropy_grad")),
)


@ASSIGNMENT.question(points=1, functions=("softmax", "cross_entropy", "cross_entropy_grad"), depends_on=("softmax", "cross_entropy", "cross_entropy_grad"))
def two_class(rng, hidden):
    """With two classes, softmax is the sigmoid of z_1 - z_0 and cross-entropy is the binary cross-entropy."""
    for n, offset in ([(6, False), (5, True)] if not hidden else [(int(rng.integers(2, 40)), bool(rng.integers(2))) for _ in range(3)]):
        Z = rng.normal(scale=3.0, size=(n, 2))
        if offset:
            Z[:, 0] = 0.0  # then softmax(Z)[:, 1] is exactly sigmoid(z_1)
        labels = rng.integers(0, 2, size=n).astype(np.int64)
        yield Case(f"{n} two-class rows{' with z_0 = 0' if offset else ''}", "softmax", (Z, labels), probe="two_class_softmax", expect=TWO_CLASS)


# --- accuracy ----------------------------------------------------------------------

def fraction_correct(predicted: np.ndarray, labels: np.ndarray) -> float:
    """The fraction of i with predicted[i] == labels[i]."""
    return int(np.sum(predicted == labels)) / len(labels)


def _one_fraction(got, predicted: np.ndarray, labels: np.ndarray) -> float:
    """accuracy's result as one number."""
    what = "accuracy(predicted, labels)"
    if isinstance(got, np.ndarray) and got.size > 1:
        raise Mismatch(f"{what} should be one number (a fraction between 0 and 1), but it is an array of shape {got.shape}.")
    return expect_scalar(got, what)


def _one_hot_accuracy(predicted: np.ndarray, labels: np.ndarray, extra: int) -> float:
    """The mean agreement of one-hot rows with C = max label + 1 + ``extra`` columns: a wrong row disagrees in 2 of its C entries."""
    C = int(max(predicted.max(), labels.max())) + 1 + extra
    return 1 - 2 * (1 - fraction_correct(predicted, labels)) / C


ACCURACY_MISTAKES = (
    Mistake("accuracy_percentage", lambda predicted, labels: 100 * fraction_correct(predicted, labels)),
    Mistake("accuracy_count", lambda predicted, labels: float(np.sum(predicted == labels))),
    *(Mistake("accuracy_onehot", partial(_one_hot_accuracy, extra=extra)) for extra in range(11)),
)
ACCURACY = Expect("accuracy(predicted, labels)", fraction_correct, result="scalar", rtol=1e-12, atol=1e-12, read=_one_fraction,
                  mistakes=ACCURACY_MISTAKES)


@ASSIGNMENT.question(points=1, functions=("accuracy",))
def accuracy(rng, hidden):
    """accuracy(predicted, labels) is the fraction of samples whose predicted label equals the true label."""
    for n, C, rate in ([(50, 10, 0.7), (7, 3, 1.0), (4, 2, 0.0)] if not hidden else [(int(rng.integers(5, 200)), int(rng.integers(2, 12)), float(rng.uniform(0.3, 0.95))) for _ in range(3)]):
        labels = _random_labels(rng, n, C)
        predicted = np.where(rng.random(n) < rate, labels, (labels + rng.integers(1, C, size=n)) % C).astype(np.int64)
        yield Case(f"{n} predictions, {C} classes", "accuracy", (predicted, labels), expect=ACCURACY)


# --- the classifier: 04_backprop pieces and one SGD step with L2 --------------------

STRUCTURE = {"W": {"transposed": "transposed_w"}, "dW": {"transposed": "transposed_dw", "layer_skipped": "layer_skipped"}}
"""The structural mistakes this assignment names, by what the pairs hold (see :func:`~autograder.judge.networks.layer_pairs`)."""


def _pairs(got, sizes: list[int], what: str, names: tuple[str, str] = ("W", "b")) -> list[tuple[np.ndarray, np.ndarray]]:
    """``got`` read as a list of (W, b) pairs (or (dW, db), per ``names``) for layer sizes ``sizes``."""
    return layer_pairs(got, sizes, what, names, mistakes=STRUCTURE[names[0]])


def _classifier_grad_mistake(wrong, n: int) -> str | None:
    """The catalogue key the relations of the wrong gradients (name -> Relation or None) name, if any."""
    kinds = {r.kind if r else None for r in wrong.values()}
    if kinds == {"transpose"}:
        return "transposed_dw"
    if all(k.startswith("db") for k in wrong) and all(r and r.factor == 1 / n for r in wrong.values()) and n > 1:
        return "db_averaged"
    return "classifier_grad_sign" if kinds == {"sign"} else None


def _forward_backward_check(params, X: np.ndarray, labels: np.ndarray):
    sizes = [X.shape[1]] + [W.shape[1] for W, _ in params]

    def check(got, oracles):
        if not isinstance(got, dict):
            raise Mismatch("the forward/backward check could not read your results.")
        compare_forward(got, params, X, relu_layers(params), "forward's output (relu hidden layers, identity output)", oracles.reveal)
        grads = _pairs(got["grads"], sizes, "backward(...)", names=("dW", "db"))
        compare_gradients(grads, _network_gradients_autograd(params, X, labels), "your backward's gradients (compared with autograd)", 1e-7,
                          oracles.reveal, n=X.shape[0], name=lambda wrong: _classifier_grad_mistake(wrong, X.shape[0]))

    return check


def _sgd_step_check(X: np.ndarray, labels: np.ndarray, hidden: list[int], lr: float, l2: float):
    sizes = [X.shape[1]] + list(hidden) + [int(labels.max()) + 1]

    def check(got, oracles):
        if not isinstance(got, (list, tuple)) or len(got) != 3:
            raise Mismatch("the check could not read your three training runs.")
        runs = []
        for k, run in enumerate(got):
            if not isinstance(run, (list, tuple)) or len(run) != 2:
                raise Mismatch(f"train_classifier should return a pair (params, losses), but it returned {type(run).__name__}"
                               f"{' of length ' + str(len(run)) if isinstance(run, (list, tuple)) else ''}.")
            params = _pairs(run[0], sizes, "the returned params")
            losses = expect_array(run[1], (1,), "the returned losses after 1 epoch")
            runs.append((params, losses))
        (start, losses0), (plain_step, _), (l2_step, _) = runs
        penalty = sum(float(np.sum(W ** 2)) for W, _ in start)
        cost = mean_cross_entropy(relu_network(start, X), labels)
        if np.isclose(losses0[0], cost, rtol=1e-9) and not np.isclose(penalty, 0.0):
            raise Mismatch("with lr = 0 and l2 > 0, the epoch's loss should be the regularised cost, cross-entropy + l2/2 * (sum of squared weights); "
                           "yours leaves out the L2 penalty.", misconception="loss_without_penalty")
        bias_penalty = sum(float(np.sum(b ** 2)) for _, b in start)
        if bias_penalty > 0 and np.isclose(losses0[0], cost + 0.5 * l2 * (penalty + bias_penalty), rtol=1e-9):
            raise Mismatch("your loss includes the biases in the L2 penalty; only the weights W are regularised.", misconception="biases_regularised")
        try:  # term by term: which of the two terms is off, and how
            expect_close(losses0[0], cost + 0.5 * l2 * penalty, "the epoch's loss", rtol=1e-8, atol=1e-12, reveal=oracles.reveal, n=len(X),
                         terms={"penalty": 0.5 * l2 * penalty, "cross-entropy": cost})
        except Mismatch as wrong:
            key, which = wrong.relation, ""
            if key is None:  # the run with l2 = 0 starts from the same parameters: its loss is the cross-entropy term alone
                plain_loss = float(runs[1][1][0])
                if np.isclose(plain_loss, cost, rtol=1e-8, atol=1e-12):
                    key, which = "term:penalty", "With l2 = 0 your loss is the right cross-entropy, so the L2 penalty term is what is wrong."
                else:
                    found = describe(plain_loss, cost, n=len(X))
                    key = found[0] if found else "term:cross-entropy"
                    which = f"With l2 = 0 your loss should be the cross-entropy alone, and it is not{': it is ' + found[1].text if found else ''}."
            raise Mismatch(f"with lr = 0 and l2 = {l2:g} (parameters unchanged), the epoch's loss should be the cost of the initial parameters on the whole "
                           f"training set, cross-entropy + l2/2 * sum of squared weights.\n{wrong.message}" + (f"\n{which}" if which else ""), relation=key) from None
        grads = _network_gradients_autograd(start, X, labels)
        for l, ((W0, b0), (gW, gb), (W1, b1), (W2, b2)) in enumerate(zip(start, grads, plain_step, l2_step)):
            if not (_close(W1, W0 - lr * gW, 1e-7, 1e-12) and _close(b1, b0 - lr * gb, 1e-7, 1e-12)):
                hint = (" It moved uphill: subtract lr * gradient." if _close(W1, W0 + lr * gW, 1e-7, 1e-12) else
                        " Does every run with the same seed start from the same parameters (init_params(sizes, seed))?")
                steps = [(name, describe(got_p - p0, -lr * g, n=len(X))) for name, got_p, p0, g in (("W", W1, W0, gW), ("b", b1, b0, gb))]
                name, found = next(((name, found) for name, found in steps if found is not None and found[0] in STEP_RELATIONS), (None, None))
                if found is not None and "uphill" not in hint:
                    hint = f" Your step of {name} is {found[1].text} compared with -lr * dC/d{name}."
                raise Mismatch(f"one epoch with batch_size = n (a single full-batch step) and l2 = 0 should give W - lr * dC/dW for every layer; layer {l + 1} differs.{hint}",
                               misconception="uphill_step" if "uphill" in hint else STEP_RELATIONS[found[0]] if found is not None else None)
            if _close(b2, b0 - lr * (gb + l2 * b0), 1e-7, 1e-12) and not np.allclose(b0, 0):
                raise Mismatch("your L2 term also shrinks the biases; only the weights W are regularised.", misconception="biases_regularised")
            if not _close(W2, W0 - lr * (gW + l2 * W0), 1e-7, 1e-12):
                guesses = {"divided by the batch size": l2 / len(X), "twice too large (the gradient of l2/2 * W**2 is l2 * W)": 2 * l2,
                           "added with the wrong sign": -l2, "half as large (the gradient of l2/2 * W**2 is l2 * W)": 0.5 * l2}
                reason = next((name for name, alt in guesses.items() if _close(W2, W0 - lr * (gW + alt * W0), 1e-7, 1e-12)), None)
                if _close(W2, W1, 1e-12, 1e-15):
                    reason = "ignored"
                raise Mismatch(f"with l2 = {l2:g}, one full-batch step should give W - lr * (dC/dW + l2 * W); layer {l + 1} differs"
                               f"{': your L2 term is ' + reason if reason else ''}.", misconception="l2_gradient" if reason else None)
            expect_close(b2, b0 - lr * gb, f"b of layer {l + 1} after one step with L2", rtol=1e-7, atol=1e-12)

    return check


STEP_RELATIONS = {"factor:n": "ce_grad_factor_n", "zero": "parameter_not_updated"}
"""What a relation between a full-batch step's change of a parameter and -lr * its gradient means: the catalogue key it names
(a table of its own, since in the same question the loss's relations mean other mistakes)."""


def sgd_training(start, X: np.ndarray, labels: np.ndarray, lr: float, l2: float, orders, batch_size: int, decay_biases: bool = False):
    """(params, losses, terms) of mini-batch SGD from ``start`` with autograd's gradients, one row order per epoch:
    per batch W <- W - lr (dC/dW + l2 W), b <- b - lr dC/db (``decay_biases``: b <- b - lr (dC/db + l2 b), the
    mistake); losses[k] the batches' regularised costs before their updates, weighted by batch size, over n;
    terms the L2 penalty of each loss and what the biases would add to it (to compare the losses term by term)."""
    params, n = [(np.array(W), np.array(b)) for W, b in start], len(X)
    losses, penalties, bias_penalties = np.zeros(len(orders)), np.zeros(len(orders)), np.zeros(len(orders))
    for epoch, order in enumerate(orders):
        for begin in range(0, n, batch_size):
            rows = np.asarray(order[begin:begin + batch_size])
            penalty = 0.5 * l2 * sum(float(np.sum(W ** 2)) for W, _ in params)
            share = len(rows) / n
            losses[epoch] += share * (mean_cross_entropy(relu_network(params, X[rows]), labels[rows]) + penalty)
            penalties[epoch] += share * penalty
            bias_penalties[epoch] += share * 0.5 * l2 * sum(float(np.sum(b ** 2)) for _, b in params)
            grads = _network_gradients_autograd(params, X[rows], labels[rows])
            params = [(W - lr * (gW + l2 * W), b - lr * (gb + (l2 * b if decay_biases else 0.0))) for (W, b), (gW, gb) in zip(params, grads)]
    return params, losses, {"penalty": penalties, "bias_penalty": bias_penalties}


def full_batch_training(start, X: np.ndarray, labels: np.ndarray, lr: float, l2: float, epochs: int, decay_biases: bool = False):
    """:func:`sgd_training` with batch_size = n, where the shuffling changes nothing: what the contract
    prescribes for ``epochs`` full-batch steps, independently of the reference."""
    return sgd_training(start, X, labels, lr, l2, [np.arange(len(X))] * epochs, len(X), decay_biases)


def classifier_recipes(labels: np.ndarray, kwargs: dict) -> list[Recipe]:
    """Every step of each train_classifier run of a case (``kwargs`` with ``each``, or one run), for the trace
    (:mod:`autograder.judge.training_trace`): the output gradient of a batch is (softmax(Z) - Y_batch) / m, then
    W <- W - lr * (dW + l2 * W) and b <- b - lr * db."""
    C = int(labels.max()) + 1

    def gradient(output, rows):
        m, P, Y = len(rows), stable_softmax(output), one_hot_rows(labels[rows], C)
        return (P - Y) / m, {"P / m": P / m, "Y / m": -Y / m}

    return [Recipe(gradient, run["lr"], len(labels), run["batch_size"], run["epochs"], run["l2"]) for run in each_run(kwargs)]


def _read_run(run, sizes: list[int], epochs: int) -> tuple[list, np.ndarray]:
    if not isinstance(run, (list, tuple)) or len(run) != 2:
        raise Mismatch(f"train_classifier should return a pair (params, losses), but it returned {type(run).__name__}"
                       f"{' of length ' + str(len(run)) if isinstance(run, (list, tuple)) else ''}.")
    return _pairs(run[0], sizes, "the returned params"), expect_array(run[1], (epochs,), f"the returned losses after {epochs} epoch(s)")


def _params_differ(got, expected, rtol: float = 1e-7) -> str | None:
    """The first W or b of ``got`` that differs from ``expected``, as a phrase, or None."""
    for l, ((W, b), (eW, eb)) in enumerate(zip(got, expected), start=1):
        for name, g, e in (("W", W, eW), ("b", b, eb)):
            if not _close(g, e, rtol, 1e-12):
                return f"{name} of layer {l}"
    return None


def _epochs_check(X: np.ndarray, labels: np.ndarray, hidden: list[int], lr: float, l2: float, epochs: int):
    """Several full-batch epochs with L2, against :func:`full_batch_training` from the run's own start."""
    sizes = [X.shape[1]] + list(hidden) + [int(labels.max()) + 1]

    def check(got, oracles):
        if not isinstance(got, (list, tuple)) or len(got) != 2:
            raise Mismatch("the check could not read your two training runs.")
        start, _ = _read_run(got[0], sizes, 1)
        params, losses = _read_run(got[1], sizes, epochs)
        expected, expected_losses, terms = full_batch_training(start, X, labels, lr, l2, epochs)
        wrong = _params_differ(params, expected)
        if wrong is None and _close(losses, expected_losses, 1e-7, 1e-12):
            return
        decayed, _, _ = full_batch_training(start, X, labels, lr, l2, epochs, decay_biases=True)
        if _params_differ(params, decayed) is None:
            raise Mismatch(f"after {epochs} full-batch epochs with l2 = {l2:g}, your biases are smaller than they should be: your L2 term also shrinks "
                           "the biases (from the second step on, once they are no longer zero); only the weights W are regularised.",
                           misconception="biases_regularised")
        if wrong is not None:
            raise Mismatch(f"after {epochs} full-batch epochs (batch_size = n) with lr = {lr:g} and l2 = {l2:g}, {wrong} differs from "
                           f"{epochs} steps W <- W - lr * (dC/dW + l2 * W), b <- b - lr * dC/db from your own initial parameters.")
        _expect_losses(losses, expected_losses, terms, oracles, "the regularised cost of the parameters before the update of epoch k + 1 "
                       "(cross-entropy + l2/2 * sum of squared weights)")

    return check


def _expect_losses(losses, expected_losses, terms, oracles, should_be: str) -> None:
    """Compare the returned losses with the expected ones term by term, once the parameters are right;
    a difference says what ``losses[k]`` should be."""
    try:
        expect_close(losses, expected_losses, "losses", rtol=1e-7, atol=1e-12, reveal=oracles.reveal, terms=terms)
    except Mismatch as wrong_losses:
        raise Mismatch(f"your parameters are right, but losses[k] should be {should_be}.\n{wrong_losses.message}", relation=wrong_losses.relation) from None


def shuffle_case(rng=None) -> tuple:
    """A mini-batch run (X, labels, hidden, lr, epochs, batch_size, l2, seed) where the order of the batches matters:
    the fixed visible one, or (given ``rng``) a random hidden one. The rows of X are distinct, so the probe can tell them."""
    fixed, rng = rng is None, rng if rng is not None else np.random.default_rng(505)
    n, d, C = (10, 3, 3) if fixed else (int(rng.integers(8, 30)), int(rng.integers(2, 6)), int(rng.integers(2, 5)))
    X, labels = rng.uniform(0, 1, size=(n, d)), _random_labels(rng, n, C)
    return X, labels, [int(rng.integers(2, 6))], 0.5, int(rng.integers(2, 5)), int(rng.integers(2, 5)), 0.05, int(rng.integers(2**31))


def _epoch_orders(batches: list, n: int, batch_size: int, epochs: int) -> list[np.ndarray]:
    """The row order of each epoch from the calls of forward the probe saw (calls on more rows than a batch
    are evaluations and are skipped); a Mismatch when they are not one pass over the n rows per epoch."""
    per_epoch = -(-n // batch_size)
    seen = [np.asarray(b).tolist() for b in batches if 0 < len(b) <= batch_size]
    if len(seen) != per_epoch * epochs:
        raise Mismatch(f"the check could not follow your mini-batches: with n = {n}, batch_size = {batch_size} and {epochs} epochs, train_classifier should "
                       f"call forward(params, X_batch, activations) on {per_epoch * epochs} mini-batches, {per_epoch} per epoch; it made {len(seen)} such calls.")
    orders = [np.concatenate(seen[e * per_epoch:(e + 1) * per_epoch]) for e in range(epochs)]
    for e, order in enumerate(orders, start=1):
        if sorted(order.tolist()) != list(range(n)):
            raise Mismatch(f"in epoch {e} your mini-batches are not one pass over the {n} rows of X (each row once, in batches of {batch_size}).")
    return orders


def _shuffle_check(args: tuple):
    X, labels, hidden_sizes, lr, epochs, batch_size, l2, seed = args
    sizes = [X.shape[1]] + list(hidden_sizes) + [int(labels.max()) + 1]

    def check(got, oracles):
        if not isinstance(got, list) or len(got) != 3 or not all(isinstance(g, dict) for g in got):
            raise Mismatch("the check could not read your three training runs.")
        (start, _), (params, losses), (again, _) = (_read_run(g["result"], sizes, e) for g, e in zip(got, (1, epochs, epochs)))
        orders = _epoch_orders(batches(got[1]), len(X), batch_size, epochs)
        if all(np.array_equal(o, np.arange(len(X))) for o in orders):
            raise Mismatch(f"your {epochs} epochs all visit the rows in their given order.", misconception="batches_not_shuffled")
        if epochs > 1 and all(np.array_equal(o, orders[0]) for o in orders[1:]):
            raise Mismatch(f"your {epochs} epochs all visit the rows in the same shuffled order.", misconception="same_order_every_epoch")
        if _params_differ(again, params, rtol=1e-12) is not None or not (np.array_equal(got[2]["rows"], got[1]["rows"]) and np.array_equal(got[2]["sizes"], got[1]["sizes"])):
            raise Mismatch("two runs with the same seed differ: make the shuffling generator from the seed, np.random.default_rng(seed), "
                           "so that a run is reproducible.")
        expected, expected_losses, terms = sgd_training(start, X, labels, lr, l2, orders, batch_size)
        wrong = _params_differ(params, expected)
        if wrong is not None:
            raise Mismatch(f"{wrong} after {epochs} epochs differs from mini-batch SGD from your own initial parameters over the batches your "
                           "train_classifier used: W <- W - lr * (dC/dW + l2 * W), b <- b - lr * dC/db after every mini-batch.")
        _expect_losses(losses, expected_losses, terms, oracles, "the mean over the n rows of each mini-batch's regularised cost before its "
                       "update, in epoch k + 1")

    return check


# train_classifier is built on the functions above; a failure they explain is charged to them once.
TRAINING_PIECES = ("one_hot", "softmax", "softmax_stable", "log_softmax", "cross_entropy", "cross_entropy_grad")


@ASSIGNMENT.question(points=2, functions=("forward", "backward", "train_classifier"), depends_on=TRAINING_PIECES, on_dependency_failure="excuse")
def classifier_step(rng, hidden):
    """Your 04_backprop forward/backward give cross-entropy gradients, and train_classifier takes correct SGD steps with L2."""
    for sizes in ([4, 5, 3], [3, 6, 4, 5]) if not hidden else ([int(v) for v in rng.integers(1, 7, size=int(rng.integers(3, 5)))] for _ in range(2)):
        sizes[-1] = max(sizes[-1], 2)
        params = [(rng.normal(size=(a, b)) / np.sqrt(a), 0.1 * rng.normal(size=b)) for a, b in zip(sizes[:-1], sizes[1:])]
        n = int(rng.integers(2, 9))
        X, labels = rng.normal(size=(n, sizes[0])), _random_labels(rng, n, sizes[-1])
        activations = ["relu"] * (len(sizes) - 2) + ["identity"]
        Z = relu_network(params, X)
        dA = (stable_softmax(Z) - one_hot_rows(labels, sizes[-1])) / n
        yield Case(f"forward, then backward of cross_entropy_grad, layer sizes {sizes}", "backward", (params, X, dA, activations),
                   probe="forward_backward_given", check=_forward_backward_check(params, X, labels))
    n, d, C = (24, 5, 3) if not hidden else (int(rng.integers(10, 40)), int(rng.integers(2, 8)), int(rng.integers(2, 6)))
    X, labels = rng.uniform(0, 1, size=(n, d)), _random_labels(rng, n, C)
    hidden_sizes, lr, l2 = [4] if not hidden else [int(rng.integers(2, 8))], 0.5, 0.3
    seed = 7 if not hidden else int(rng.integers(2**31))
    step = {"epochs": 1, "batch_size": n, "seed": seed, "each": [{"lr": 0.0, "l2": l2}, {"lr": lr, "l2": 0.0}, {"lr": lr, "l2": l2}]}
    yield Case(f"one full-batch step (epochs=1, batch_size={n}) with lr = 0, with l2 = 0, and with l2 = {l2}", "train_classifier",
               (X, labels, hidden_sizes), kwargs=step, probe="traced_each",
               check=explained(_sgd_step_check(X, labels, hidden_sizes, lr, l2), classifier_recipes(labels, step), weaker=("term:cross-entropy",)), timeout=20.0,
               clauses=("train_classifier.params", "train_classifier.init", "train_classifier.step", "train_classifier.losses"))
    epochs = 4 if not hidden else int(rng.integers(3, 7))
    several = {"batch_size": n, "seed": seed, "l2": l2, "each": [{"lr": 0.0, "epochs": 1}, {"lr": lr, "epochs": epochs}]}
    yield Case(f"{epochs} full-batch epochs (batch_size={n}) with lr = {lr}, l2 = {l2}: the biases become nonzero and must not be decayed",
               "train_classifier", (X, labels, hidden_sizes), kwargs=several, probe="traced_each",
               check=explained(_epochs_check(X, labels, hidden_sizes, lr, l2, epochs), classifier_recipes(labels, several)), timeout=20.0,
               clauses=("train_classifier.step", "train_classifier.biases", "train_classifier.losses"))
    batch = 7 if not hidden else int(rng.integers(2, n))
    frozen = {"lr": 0.0, "epochs": 2, "batch_size": batch, "l2": 0.0, "seed": seed}
    yield Case(f"two epochs of mini-batches of {batch} (n = {n}) with lr = 0 and l2 = 0: every sample counted once per epoch", "train_classifier",
               (X, labels, hidden_sizes), kwargs=frozen, probe="traced",
               check=explained(_every_sample_check(X, labels, hidden_sizes), classifier_recipes(labels, frozen)), timeout=20.0,
               clauses=("train_classifier.losses",))
    args = shuffle_case(rng if hidden else None)
    X, labels, hidden_sizes, lr, epochs, batch_size, l2, seed = args
    shuffled = {"batch_size": batch_size, "l2": l2, "seed": seed, "each": [{"lr": 0.0, "epochs": 1}, {"lr": lr, "epochs": epochs}, {"lr": lr, "epochs": epochs}]}
    yield Case(f"{epochs} epochs of mini-batches of {batch_size} on {len(X)} {'random' if hidden else 'fixed'} rows (and epochs=1 with lr = 0, "
               "and the same run again): shuffled afresh every epoch, reproducibly", "train_classifier", (X, labels, hidden_sizes),
               kwargs=shuffled, probe="traced_each", check=explained(_shuffle_check(args), classifier_recipes(labels, shuffled), with_traces=True), timeout=30.0,
               clauses=("train_classifier.shuffle", "train_classifier.losses", "train_classifier.step"))


def _every_sample_check(X: np.ndarray, labels: np.ndarray, hidden: list[int]):
    """With lr = 0 the parameters never move, so each epoch's loss is their cost on all n samples."""
    sizes = [X.shape[1]] + list(hidden) + [int(labels.max()) + 1]

    def check(got, oracles):
        if not isinstance(got, (list, tuple)) or len(got) != 2:
            raise Mismatch("train_classifier should return a pair (params, losses).")
        params, losses = _pairs(got[0], sizes, "the returned params"), expect_array(got[1], (2,), "the returned losses after 2 epochs")
        cost = mean_cross_entropy(relu_network(params, X), labels)
        expect_true(np.allclose(losses, cost, rtol=1e-8, atol=1e-12),
                    f"with lr = 0 the parameters never change, so each epoch's loss (the mini-batch costs weighted by batch size, averaged over "
                    f"the n samples) is their cost on the whole training set{f' = {cost:.10g}' if oracles.reveal else ''}, but the losses are "
                    f"{np.array2string(losses, precision=10)}: is every sample in exactly one mini-batch of each epoch?")
    return check


# --- the digits ---------------------------------------------------------------------

def digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, y_train, X_test, y_test): pixels scaled to [0, 1] in float64, labels int64."""
    data = load("digits")
    X, y = data["images"].astype(np.float64) / 16.0, data["labels"].astype(np.int64)
    return X[data["train_index"]], y[data["train_index"]], X[data["test_index"]], y[data["test_index"]]


def _digits_check(epochs: int):
    def check(got, oracles):
        _, _, X_test, y_test = digits_split()
        if not isinstance(got, (list, tuple)) or len(got) != 2:
            raise Mismatch(f"train_classifier should return a pair (params, losses), but it returned {type(got).__name__}.")
        params = _pairs(got[0], [64, *DIGITS_RUN["hidden"], 10], "the returned params")
        losses = expect_array(got[1], (epochs,), "the returned losses (one per epoch)", finite=False)
        predicted = np.argmax(relu_network(params, X_test), axis=1)
        acc = float(np.mean(predicted == y_test))
        expect_true(acc >= DIGITS_ACCURACY,
                    f"your trained network classifies {acc:.1%} of the {len(y_test)} test digits correctly (evaluated here with ReLU hidden layers and "
                    f"an identity output); at least {DIGITS_ACCURACY:.0%} is required. Is the final training loss ({losses[-1]:.3g}) low? "
                    "Check your initialisation scale, the shuffling of mini-batches and the L2 term.")
        expect_true(bool(np.all(np.isfinite(losses))), "the returned losses contain NaN or inf; compute the cost with your stable cross_entropy.")
        expect_true(losses[-1] < losses[0], f"the training loss did not go down: {losses[0]:.4g} after the first epoch, {losses[-1]:.4g} after the last.")

    return check


@ASSIGNMENT.question(points=3, functions=("train_classifier",), depends_on=TRAINING_PIECES, on_dependency_failure="excuse")
def digits(rng, hidden):
    """train_classifier learns the 8x8 digits: at least 95% test accuracy (hidden=[128], lr=0.2, 40 epochs, batches of 32, l2=1e-3)."""
    X_train, y_train, _, _ = digits_split()
    seed = 0 if not hidden else int(rng.integers(2**31))
    run = DIGITS_RUN
    yield Case(f"the digits, seed {seed}" if not hidden else "the digits, a seed drawn at grading time", "train_classifier",
               (X_train, y_train, run["hidden"], run["lr"], run["epochs"], run["batch_size"], run["l2"], seed),
               check=_digits_check(run["epochs"]), timeout=120.0)


ASSIGNMENT.sample_mistakes.update({
    # no max shift: overflows on logits of 1000
    "softmax": "def softmax(Z):\n    return np.exp(Z) / np.sum(np.exp(Z), axis=1, keepdims=True)\n",
    # sign of the gradient flipped
    "cross_entropy_grad": "def cross_entropy_grad(Z, labels):\n    return (one_hot(labels, Z.shape[1]) - softmax(Z)) / Z.shape[0]\n",
    # accuracy as a percentage
    "accuracy": "def accuracy(predicted, labels):\n    return 100.0 * np.mean(np.asarray(predicted) == np.asarray(labels))\n",
})


# --- the contract: the clauses of each student function's docstring, and the questions that check them ---
ASSIGNMENT.contract("one_hot", shape="Returns an (n, C) float64 array, C = num_classes whatever labels occur.",
                    value="Y[i, labels[i]] = 1 and zeros elsewhere.")
ASSIGNMENT.checks("one_hot", "one_hot.shape", "one_hot.value")
ASSIGNMENT.contract("softmax", value="P[i] = exp(Z[i]) / sum(exp(Z[i])), row by row; P has the shape of Z.", rows="Every row sums to 1.",
                    stable="Subtract each row's maximum first: logits of +-1000 give no inf or nan.")
ASSIGNMENT.checks("softmax", "softmax.value", "softmax.rows")
ASSIGNMENT.checks("softmax_stable", "softmax.stable")
ASSIGNMENT.contract("log_softmax", value="(Z - m) - log(sum(exp(Z - m))) per row, m the row maximum, shape (n, C).",
                    stable="Finite even for logits of +-1000.")
ASSIGNMENT.checks("log_softmax", "log_softmax.value")
ASSIGNMENT.contract("cross_entropy", value="Returns a float: -(1/n) * sum_i log softmax(Z)[i, labels[i]] (the mean over rows).",
                    stable="Computed from the logits: finite for logits of +-1000.")
ASSIGNMENT.checks("cross_entropy", "cross_entropy.value")
ASSIGNMENT.contract("cross_entropy_grad", value="Returns dC/dZ: (n, C) = (softmax(Z) - one_hot(labels, C)) / n.",
                    stable="Finite for logits of +-1000.")
ASSIGNMENT.checks("cross_entropy_grad", "cross_entropy_grad.value")
ASSIGNMENT.checks("two_class", "softmax.value", "cross_entropy.value", "cross_entropy_grad.value")
ASSIGNMENT.contract("softmax_jacobian", value="Returns J: (C, C) with J[i, j] = d softmax(z)_i / d z_j = diag(p) - outer(p, p).",
                    stable="Finite for logits of +-1000.")
ASSIGNMENT.checks("softmax_jacobian", "softmax_jacobian.value")
ASSIGNMENT.contract("accuracy", value="Returns a float in [0, 1]: the fraction of i with predicted[i] == labels[i].")
ASSIGNMENT.checks("accuracy", "accuracy.value")
ASSIGNMENT.contract("forward", value="Returns (output, cache): output = A_L of shape (n, n_L), ReLU hidden layers, identity output.")
ASSIGNMENT.contract("backward", value="Returns a list of (dW, db), one per layer, with the shapes of (W, b).")
ASSIGNMENT.contract("train_classifier",
                    params="Returns params, a list of (W, b) (ReLU hidden layers, identity output) with W (n_in, n_out).",
                    init="Starts from init_params(sizes, seed).",
                    step="Each mini-batch: W <- W - lr * (dC/dW + l2 * W), the L2 penalty l2/2 * sum of squared weights, not divided by n.",
                    biases="Biases are not regularised: b <- b - lr * dC/db.",
                    losses="losses: length epochs, the regularised mini-batch costs before each update, weighted by batch size, averaged over n.",
                    shuffle="Batches of batch_size rows in a freshly shuffled order every epoch, from a generator made from the seed (reproducible).",
                    learns="With the digits run it reaches at least 95% test accuracy.")
ASSIGNMENT.checks("classifier_step", "forward.value", "backward.value")
ASSIGNMENT.checks("digits", "train_classifier.params", "train_classifier.learns")
ASSIGNMENT.relations("classifier_step", {"missing:penalty": "loss_without_penalty", "extra:bias_penalty": "biases_regularised", "extra:penalty": "penalty_miscounted",
                                         "flipped:penalty": "penalty_miscounted", "flipped:cross-entropy": "ce_sign", "factor:n": "ce_sum",
                                         "zero": "loss_not_recorded", "sign": "loss_sign", "term:penalty": "penalty_miscounted",
                                         "term:cross-entropy": "loss_cross_entropy_term", **relation_table(
    "classifier_batches", "classifier_output_gradient", "classifier_update_rule", terms=("P / m", "Y / m"),
    named={"gradient:factor:n": "ce_grad_factor_n", "gradient:sign": "ce_grad_sign", "gradient:missing:Y / m": "ce_grad_missing_y",
           "update:uphill": "uphill_step", "update:frozen": "parameter_not_updated", "update:decay_missing": "l2_gradient", "update:decay_sign": "l2_gradient"})})
for _question in ("softmax", "softmax_stable"):
    ASSIGNMENT.relations(_question, {"axis:0": "softmax_wrong_axis", "axis:all": "softmax_wrong_axis"})
ASSIGNMENT.relations("log_softmax", {"axis:0": "log_softmax_wrong_axis", "axis:all": "log_softmax_wrong_axis", "missing:log-sum-exp": "log_softmax_normaliser",
                                     "flipped:log-sum-exp": "log_softmax_normaliser", "scaled:log-sum-exp": "log_softmax_normaliser", "sign": "log_softmax_normaliser"})
ASSIGNMENT.relations("cross_entropy_grad", {"flipped:Y / n": "ce_grad_missing_y", "scaled:Y / n": "ce_grad_missing_y"})
ASSIGNMENT.shows_downstream(TRAINING_PIECES, "classifier_output_gradient")
