"""07_generalisation — L2, validation splits, the grid search, early stopping, dropout,
batch normalisation and the universal approximation theorem.

Oracles. The recipes the notebook states exactly (the dropout mask, the split, the
early-stopping rule, the running average, the batch-normalisation forward pass) are written
here as plain NumPy definitions for visible cases; hidden cases compare with the reference
from the solution notebook (for a part of a structured result, a layer's dW or
batchnorm_forward's out, that part of the reference's result), and a test asserts both
agree. Batch normalisation's three
gradients come from autograd differentiating the forward definition. The grid search trains
with the notebook's *provided* ``train_classifier`` (a setup cell, run by the grader and by
the reference alike), so its cells are reproducible exactly: visible cases compare salted
digests of the reference's correct counts (:func:`expected_digests`; a test asserts they
agree), hidden ones the reference itself. The universal fit is judged by the mean squared
error of the returned parameters, computed here.

Typical mistakes are named from tables (:class:`~autograder.judge.expectation.Mistake`
entries, tried in order): each entry is a catalogue key and the wrong variant of the
definition it stands for; a wrong answer that equals a variant on the case is named.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..judge.digests import visible
from ..judge.compare import Mismatch, expect_array, expect_close, expect_scalar, expect_true, salted_digest
from ..judge.expectation import Expect, Mistake
from ..judge.relations import column_relation, describe, other_part
from ..judge.training_trace import Recipe, explained, relation_table
from ..student.probes import each_run
from ..data import load
from ..judge.misconceptions import close, locate, relation
from ..judge.networks import flat_pairs, forward_pass, layer_pairs, sizes_of
from ..judge.laws import degree, identity, law_case
from ..judge.question import Assignment, Case

ASSIGNMENT = Assignment("07_generalisation", "generalisation.ipynb", "Generalisation: regularisation, dropout, batch normalisation")

# --- the mistakes this assignment's checks can name ------------------------------
BIASES = ASSIGNMENT.misconception("biases_regularised", "biases regularised", "the L2 penalty and its gradient involve the weights W only; the biases get no penalty and a zero gradient.",
            "relation", ("l2_penalty", "l2_penalty_grad"))
NO_HALF = ASSIGNMENT.misconception("l2_without_half", "penalty without the 1/2", "the penalty is l2 / 2 times the sum of squared weights, so that its gradient is l2 * W.", "relation", ("l2_penalty",))
PENALTY_FACTOR = ASSIGNMENT.misconception("l2_penalty_factor", "a factor of the penalty missing or dividing",
                                          "the penalty is the product of l2, 1/2 and the sum over layers of sum(W**2): each factor once, multiplying.",
                                          "relation", ("l2_penalty",))
GRAD_FACTOR = ASSIGNMENT.misconception("l2_grad_factor", "L2 gradient off by a factor", "the gradient of l2/2 * sum(W**2) with respect to W is l2 * W, no more and no less.", "relation", ("l2_penalty_grad",))
SPLIT_LAST = ASSIGNMENT.misconception("split_last_indices", "validation from the end", "the validation indices are the FIRST round(n * val_fraction) entries of the permutation.", "relation", ("train_val_split",))
SPLIT_UNSHUFFLED = ASSIGNMENT.misconception("split_not_shuffled", "split not shuffled", "draw one permutation with np.random.default_rng(seed).permutation(n) and cut it; do not cut 0..n-1 itself.",
                      "relation", ("train_val_split",))
SPLIT_TRUNCATED = ASSIGNMENT.misconception("split_truncated", "validation size truncated", "the validation set has round(n * val_fraction) samples; int() rounds down.", "relation", ("train_val_split",))
SPLIT_SWAPPED = ASSIGNMENT.misconception("split_swapped", "train and validation swapped", "return (train_idx, val_idx) in this order.", "relation", ("train_val_split",))
LAST_BEST = ASSIGNMENT.misconception("early_last_best", "latest of tied epochs", "an epoch improves only when its loss is strictly lower; with ties the EARLIEST epoch is the best one.",
               "relation", ("early_stopping",))
PATIENCE = ASSIGNMENT.misconception("early_patience_off_by_one", "patience off by one", "stop at the first epoch t with t - best_epoch == patience (patience 0 stops at epoch 0).",
              "relation", ("early_stopping",))
AFTER_STOP = ASSIGNMENT.misconception("early_best_after_stop", "best epoch looked up after stopping", "the epochs after stop_epoch are never trained: take the best among epochs 0..stop_epoch only.",
                "relation", ("early_stopping",))
ONE_BASED = ASSIGNMENT.misconception("early_one_based", "epochs counted from 1", "epochs are the indices of val_losses: the first one is epoch 0.", "relation", ("early_stopping",))
GRID_T = ASSIGNMENT.misconception("grid_transposed", "grid transposed", "rows belong to the learning rates and columns to the L2 strengths: shape (len(lrs), len(l2s)).",
            "relation", ("grid_search", "l2_helps"))
GRID_TRAIN = ASSIGNMENT.misconception("grid_training_accuracy", "scored on the training set", "the grid chooses hyper-parameters by the accuracy on the VALIDATION set (X_val, y_val).",
                "fingerprint", ("grid_search", "l2_helps"))
GRID_SEED = ASSIGNMENT.misconception("grid_seed_varies", "a different seed per cell", "train every cell from the same seed, so that the cells differ only in (lr, l2).", "fingerprint", ("grid_search", "l2_helps"))
NOT_SCALED = ASSIGNMENT.misconception("dropout_not_scaled", "dropout not scaled", "inverted dropout divides the kept activations by 1 - p, so the expected output equals the input.",
                "relation", ("dropout_forward", "dropout_mean"))
SCALED_P = ASSIGNMENT.misconception("dropout_scaled_by_p", "scaled by 1/p", "a unit is KEPT with probability 1 - p, so the kept ones are divided by 1 - p, not by p.",
              "relation", ("dropout_forward", "dropout_mean"))
MASK_FLIPPED = ASSIGNMENT.misconception("dropout_mask_flipped", "mask drawn with < instead of >=", "keep = rng.random(A.shape) >= p keeps a unit with probability 1 - p; with < p you keep it with probability p.",
                  "relation", ("dropout_forward", "dropout_mean"))
AT_INFERENCE = ASSIGNMENT.misconception("dropout_at_inference", "dropout applied at inference", "with training=False (or p == 0) dropout does nothing: out = A and mask = ones.",
                  "relation", ("dropout_forward",))
BACKWARD_NO_MASK = ASSIGNMENT.misconception("dropout_backward_without_mask", "backward without the mask", "out = A * mask, so dC/dA = d_out * mask: dropped units get no gradient.", "relation", ("dropout_backward",))
BACKWARD_UNSCALED = ASSIGNMENT.misconception("dropout_backward_unscaled", "backward without the 1/(1 - p)", "multiply by the mask itself (which holds 1/(1 - p) for kept units), not by the 0/1 keep pattern.",
                       "relation", ("dropout_backward",))
UNBIASED = ASSIGNMENT.misconception("bn_unbiased_variance", "unbiased variance", "batch normalisation uses the batch's own variance, divided by n (np.var's default ddof=0), not by n - 1.",
              "relation", ("batchnorm_forward", "batchnorm_backward"))
EPS_OUTSIDE = ASSIGNMENT.misconception("bn_eps_outside_root", "eps outside the square root", "divide by sqrt(var + eps); eps belongs under the root.", "relation",
                 ("batchnorm_forward", "batchnorm_backward", "batchnorm_inference"))
NO_EPS = ASSIGNMENT.misconception("bn_no_eps", "eps missing", "a column with equal values has variance 0: divide by sqrt(var + eps), never by sqrt(var).", ("relation", "property"), ("batchnorm_forward",))
BN_AXIS = ASSIGNMENT.misconception("bn_wrong_axis", "normalised over the wrong axis", "statistics are per column (one unit), over the batch: axis=0.", "relation",
                                   ("batchnorm_forward", "batchnorm_backward"))
CONSTANT_STATS = ASSIGNMENT.misconception("bn_backward_constant_stats", "batch statistics treated as constants", "the mean and the variance depend on every Z of the column: backpropagate through both.",
                    "relation", ("batchnorm_backward",))
NO_VAR_PATH = ASSIGNMENT.misconception("bn_backward_no_variance_path", "no gradient through the variance", "besides the mean, sigma^2 depends on Z too: subtract Z_hat * mean(g_hat * Z_hat).",
                 "relation", ("batchnorm_backward",))
DZ_TERM = ASSIGNMENT.misconception("bn_backward_term", "a term of dZ with the wrong sign or weight",
                                   "dZ = (g_hat - mean(g_hat) - Z_hat * mean(g_hat * Z_hat)) / sqrt(var + eps), every mean over the batch (axis 0): compare term by term.",
                                   "relation", ("batchnorm_backward",))
PARAM_AVERAGED = ASSIGNMENT.misconception("bn_param_grads_averaged", "dgamma and dbeta averaged", "every sample contributes to gamma and beta: sum over the rows, do not average.", "relation", ("batchnorm_backward",))
BATCH_STATS = ASSIGNMENT.misconception("bn_inference_batch_stats", "inference with batch statistics", "at inference normalise with running_mean and running_var, not with the statistics of Z.",
                 "relation", ("batchnorm_inference",))
MOMENTUM_SWAPPED = ASSIGNMENT.misconception("running_momentum_swapped", "momentum weights swapped", "the old value keeps the weight momentum (0.9) and the new batch value gets 1 - momentum.",
                      "relation", ("update_running",))
HALF_MSE = ASSIGNMENT.misconception("universal_mse_misreported", "final_mse is not the mean squared error", "report mean((network(x) - y) ** 2) of the returned parameters (no 1/2, not the loss before the last step).",
              "relation", ("universal_fit",))
UNIVERSAL_STEP = ASSIGNMENT.misconception("universal_step_factor", "gradient step off by a factor", "one step is W <- W - lr * dC/dW with C = mean((y_hat - y)**2), "
                    "whose gradient at the output is 2 (y_hat - y) / n.", "relation", ("universal_fit",))
UNIVERSAL_BATCH = ASSIGNMENT.misconception("universal_not_full_batch", "a step not on every point", "full-batch gradient descent: every step runs forward on all n points x.",
                                           "relation", ("universal_fit",))
UNIVERSAL_GRADIENT = ASSIGNMENT.misconception("universal_output_gradient", "wrong output gradient", "each step passes backward the gradient of mean((y_hat - y)**2) at the "
                                              "output forward returned: 2 (y_hat - y) / n.", "relation", ("universal_fit",))
UNIVERSAL_UPDATE = ASSIGNMENT.misconception("universal_update_rule", "update rule", "each step moves every parameter by minus the learning rate times the gradient backward "
                                            "returned: W <- W - lr * dW, b <- b - lr * db.", "relation", ("universal_fit",))

SPLIT_CUT = ASSIGNMENT.misconception("split_cut_mismatch", "the two slices do not meet at k",
                                   "val_idx = order[:k] and train_idx = order[k:] cut the permutation at the same k, so every index is in exactly one of them.",
                                   "relation", ("train_val_split",))
NEVER_STOPPED = ASSIGNMENT.misconception("early_stop_past_the_end", "stop_epoch not the last epoch",
                                         "epochs are the indices 0 .. len(val_losses) - 1: when patience never runs out, stop_epoch is the last one, "
                                         "len(val_losses) - 1.", "relation", ("early_stopping",))
DROPOUT_SKIPPED = ASSIGNMENT.misconception("dropout_skipped_in_training", "dropout not applied in training",
                                           "with training=True and p > 0 units must be dropped; out = A and mask = ones only for training=False or p == 0.",
                                           "relation", ("dropout_forward",))
SCALE_SHIFT = ASSIGNMENT.misconception("bn_scale_shift_missing", "gamma or beta left out or subtracted",
                                       "after normalising, scale by gamma and shift by beta: out = gamma * Z_hat + beta, both per column.",
                                       "relation", ("batchnorm_forward", "batchnorm_inference"))
BN_CENTRE = ASSIGNMENT.misconception("bn_centre_wrong", "the wrong mean subtracted",
                                     "each column is off by a constant of its own: subtract the column's mean before dividing, the batch mean "
                                     "Z.mean(axis=0) in training and running_mean at inference.", "relation", ("batchnorm_forward", "batchnorm_inference"))
BN_DIVISOR = ASSIGNMENT.misconception("bn_divisor_wrong", "the normalisation's divisor wrong",
                                      "each column is centred right but divided by the wrong amount: divide by sqrt(var + eps), var the column's "
                                      "variance (the mean of its squared deviations from the mean) in training and running_var at inference.",
                                      "relation", ("batchnorm_forward", "batchnorm_inference"))
RUNNING_TERM = ASSIGNMENT.misconception("running_term_missing", "a term of the running average missing, subtracted or weighted wrong",
                                        "the running average keeps momentum * running AND adds (1 - momentum) * batch_value, each weight written as it is.",
                                        "relation", ("update_running",))

EPS = 1e-5
RTOL = 1e-7  # batch normalisation's gradients against autograd


def _close(got: Any, expected: Any, rtol: float = 1e-9, atol: float = 1e-12) -> bool:
    """:func:`~autograder.judge.misconceptions.close` with this assignment's tolerances unless a call gives others."""
    return close(got, expected, rtol, atol)


def _name(got: Any, variants: dict[str, Callable[[], Any]], what: str, text: dict[str, str], compare=_close) -> None:
    """Raise the Mismatch of the first variant (catalogue key, or ``key/variant`` for one of several of a key
    -> its wrong value) that ``got`` equals."""
    for key, wrong in variants.items():
        try:
            value = wrong()
        except (ValueError, IndexError, ZeroDivisionError, FloatingPointError):
            continue
        if value is not None and compare(got, value):
            raise Mismatch(f"{what}: {text[key]}", misconception=key.split("/")[0])


def _pair(got: Any, what: str, names: tuple[str, str]) -> tuple[Any, Any]:
    if not isinstance(got, (list, tuple)) or len(got) != 2:
        raise Mismatch(f"{what} should return a pair ({names[0]}, {names[1]}), but it returned {type(got).__name__}"
                       f"{' of length ' + str(len(got)) if isinstance(got, (list, tuple)) else ''}.")
    return got[0], got[1]


def _random_params(rng, sizes: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(rng.normal(size=(a, b)), rng.normal(size=b)) for a, b in zip(sizes[:-1], sizes[1:])]


# --- L2 ------------------------------------------------------------------------------

def l2_penalty_definition(params, l2: float) -> float:
    """l2 / 2 times the sum of the squared weights W of every layer; the biases b are not penalised."""
    return 0.5 * l2 * sum(float(np.sum(W ** 2)) for W, _ in params)


L2_PENALTY = Expect("l2_penalty(params, l2)", l2_penalty_definition, reference="l2_penalty", result="scalar", rtol=1e-10, atol=1e-14,
                    factors=lambda params, l2: {"l2": l2, "1/2": 0.5, "the sum of W**2": sum(float(np.sum(W ** 2)) for W, _ in params)}, mistakes=(
    Mistake(BIASES, lambda params, l2: 0.5 * l2 * sum(float(np.sum(W ** 2) + np.sum(b ** 2)) for W, b in params)),
    Mistake(NO_HALF, lambda params, l2: 2.0 * l2_penalty_definition(params, l2)),
))


L2_SUM_LAW = identity("two copies of every weight matrix side by side double l2_penalty (a sum over every weight)",
                      transform=lambda params, l2: [[(np.hstack([W, W]), b) for W, b in params], l2], image=lambda value, *args: 2.0 * value,
                      relation="law:sum:entries", clause="l2_penalty.value")


def _scaled_weights(args, c):
    """(params, l2) with every weight matrix multiplied by c (the biases kept)."""
    params, l2 = args
    return [[(c * W, b) for W, b in params], l2]


def l2_laws(fn: str, k: int, part=None) -> tuple:
    """What every right l2_penalty (k = 2) and l2_penalty_grad (k = 1, ``part`` reading its entries) obey: degree k in the
    weights, degree 1 in l2."""
    return (degree(fn, "the weights W", k, _scaled_weights, c=2.0, part=part, clause=f"{fn}.value"),
            degree(fn, "l2", 1, lambda args, c: [args[0], c * args[1]], c=2.0, part=part, clause=f"{fn}.value"))


@ASSIGNMENT.question(points=1, functions=("l2_penalty",))
def l2_penalty(rng, hidden):
    """l2_penalty(params, l2) is l2/2 times the sum of the squared weights of every layer, biases excluded."""
    layouts = [([3, 4, 2], 0.1), ([5, 1], 2.0), ([2, 3, 3, 4], 1e-3)] if not hidden else \
        [([int(v) for v in rng.integers(1, 7, size=int(rng.integers(2, 5)))], float(rng.uniform(1e-3, 1.0))) for _ in range(3)]
    for sizes, l2 in layouts:
        params = _random_params(rng, sizes)
        yield Case(f"layer sizes {sizes}, l2 = {l2:.3g} (biases nonzero)", "l2_penalty", (params, l2), expect=L2_PENALTY)
    params = _random_params(rng, [3, 2])
    yield Case("l2 = 0", "l2_penalty", (params, 0.0), expect=L2_PENALTY)
    yield law_case("l2_penalty's laws, layer sizes [3, 4, 2], l2 = 0.3", "l2_penalty", (_random_params(rng, [3, 4, 2]), 0.3),
                   l2_laws("l2_penalty", 2) + (L2_SUM_LAW,))


def _l2_grad_layer(l: int) -> tuple[Expect, Expect]:
    """The two parts of layer l (from 0) in l2_penalty_grad's list of (dW, db): db, exactly zeros like b, then dW = l2 * W."""
    def part(k: int):
        return lambda got, params, l2: layer_pairs(got, sizes_of(params), "l2_penalty_grad(params, l2)", names=("dW", "db"))[l][k]

    return (Expect(f"db of layer {l + 1} (the biases are not penalised)", lambda params, l2: np.zeros_like(params[l][1]), rtol=0, atol=0, read=part(1),
                   reference="l2_penalty_grad", mistakes=(Mistake(BIASES, lambda params, l2: l2 * params[l][1]),)),
            Expect(f"dW of layer {l + 1}", lambda params, l2: l2 * params[l][0], rtol=1e-12, atol=1e-15, read=part(0),
                   reference="l2_penalty_grad", mistakes=(Mistake(GRAD_FACTOR, lambda params, l2: 2.0 * l2 * params[l][0]), Mistake(GRAD_FACTOR, lambda params, l2: 0.5 * l2 * params[l][0]))))


@ASSIGNMENT.question(points=1, functions=("l2_penalty_grad",))
def l2_penalty_grad(rng, hidden):
    """l2_penalty_grad(params, l2) is the list of (l2 * W, zeros like b): the biases get no gradient."""
    layouts = [([3, 4, 2], 0.1), ([2, 5, 1], 1.5)] if not hidden else \
        [([int(v) for v in rng.integers(1, 7, size=int(rng.integers(2, 5)))], float(rng.uniform(1e-3, 1.0))) for _ in range(3)]
    for sizes, l2 in layouts:
        params = _random_params(rng, sizes)
        yield Case(f"layer sizes {sizes}, l2 = {l2:.3g}", "l2_penalty_grad", (params, l2), expect=tuple(e for l in range(len(params)) for e in _l2_grad_layer(l)))
    yield law_case("l2_penalty_grad's laws, layer sizes [3, 4, 2], l2 = 0.3", "l2_penalty_grad", (_random_params(rng, [3, 4, 2]), 0.3),
                   l2_laws("l2_penalty_grad", 1, part=flat_pairs))


# --- the validation split -----------------------------------------------------------------

def split_definition(n: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The contract's recipe: one permutation, its first round(n * val_fraction) entries validate."""
    validation, training = np.split(np.random.default_rng(seed).permutation(n), [round(n * val_fraction)])
    return training, validation


def _split_check(n: int, val_fraction: float, seed: int):
    order, k = np.random.default_rng(seed).permutation(n), round(n * val_fraction)

    def check(got, oracles):
        what = f"train_val_split({n}, {val_fraction:g}, seed={seed})"
        train, val = _pair(got, what, ("train_idx", "val_idx"))
        train, val = np.asarray(train), np.asarray(val)
        expected = split_definition(n, val_fraction, seed)
        reference = oracles.hidden_reference("train_val_split", n, val_fraction, seed)
        if reference is not None:
            expected = tuple(np.asarray(r) for r in reference)
        same = lambda g, e: all(np.asarray(a).shape == np.asarray(b).shape and np.array_equal(a, b) for a, b in zip(g, e))
        got_pair = (train, val)
        t = int(n * val_fraction)
        _name(got_pair, {
            SPLIT_SWAPPED: lambda: expected[::-1] if 0 < k < n else None,  # an empty part cannot tell a swap from a wrong size
            SPLIT_LAST: lambda: (order[:n - k], order[n - k:]),
            SPLIT_UNSHUFFLED: lambda: (np.arange(k, n), np.arange(k)),
            SPLIT_TRUNCATED: lambda: (order[t:], order[:t]) if t != k else None,
        }, what, {
            SPLIT_SWAPPED: "you returned (val_idx, train_idx); the training indices come first.",
            SPLIT_LAST: "your validation indices are the LAST entries of the permutation; take the first round(n * val_fraction).",
            SPLIT_UNSHUFFLED: "your split is not shuffled: validation is 0, 1, 2, ...; cut the permutation default_rng(seed).permutation(n) instead.",
            SPLIT_TRUNCATED: f"your validation set has int(n * val_fraction) = {t} indices; the recipe takes round(n * val_fraction).",
        }, compare=lambda g, v: same(g, v) and not same(v, expected))
        same_part = lambda g, e: g.shape == e.shape and np.array_equal(g, e)
        for cut in (k - 1, k + 1):
            if 0 <= cut <= n and ((same_part(val, expected[1]) and same_part(train, order[cut:])) or
                                  (same_part(train, expected[0]) and same_part(val, order[:cut]))):
                raise Mismatch(f"{what}: your validation and training slices cut the permutation at different places (k and {cut - k:+d}); "
                               "val_idx = order[:k], train_idx = order[k:].", misconception=SPLIT_CUT)
        for part, g, e in (("val_idx", val, expected[1]), ("train_idx", train, expected[0])):
            expect_true(g.shape == e.shape, f"{what}: {part} has {g.size} entries, expected {e.size} (round(n * val_fraction) = {k} for validation, the rest for training).")
            expect_true(g.dtype.kind in "iu" or (g.size == 0), f"{what}: {part} should hold integer indices, not {g.dtype}.")
            expect_true(np.array_equal(g, e), f"{what}: {part} differs from the recipe (one permutation from default_rng(seed), the first round(n * val_fraction) "
                        "entries for validation, the rest for training, in the order of the permutation)"
                        + (f"; expected {e.tolist()[:8]}{'...' if e.size > 8 else ''}, got {g.tolist()[:8]}{'...' if g.size > 8 else ''}." if oracles.reveal else "."))

    return check


@ASSIGNMENT.question(points=1, functions=("train_val_split",))
def train_val_split(rng, hidden):
    """train_val_split(n, val_fraction, seed): one permutation from default_rng(seed); its first round(n * val_fraction) entries validate."""
    cases = [(10, 0.3, 0), (7, 0.5, 3), (50, 0.2, 11), (6, 0.0, 2), (4, 1.0, 5)] if not hidden else \
        [(int(rng.integers(5, 300)), float(rng.uniform(0.05, 0.6)), int(rng.integers(2**31))) for _ in range(4)]
    for n, fraction, seed in cases:
        yield Case(f"n = {n}, val_fraction = {fraction:.3g}, seed {seed}", "train_val_split", (n, fraction, seed), check=_split_check(n, fraction, seed))


# --- early stopping ---------------------------------------------------------------------------

def early_definition(losses, patience: int, ties_improve: bool = False, offset: int = 0, global_best: bool = False) -> tuple[int, int]:
    """The stated rule (defaults), or one of its typical variants.

    ties_improve: a tie counts as an improvement (the latest tied epoch wins); offset: the
    stop condition is t - best == patience + offset; global_best: best over every epoch.
    """
    best, stop = 0, len(losses) - 1
    for t, loss in enumerate(losses):
        if loss < losses[best] or (ties_improve and loss <= losses[best]):
            best = t
        if t - best == patience + offset:
            stop = t
            break
    if global_best:
        best = int(np.argmin(losses))
    return best, stop


def _early_check(losses: list[float], patience: int):
    def check(got, oracles):
        what = f"early_stopping({losses if len(losses) <= 12 else 'val_losses of ' + str(len(losses)) + ' epochs'}, patience={patience})"
        best, stop = _pair(got, what, ("best_epoch", "stop_epoch"))
        values = []
        for name, v in (("best_epoch", best), ("stop_epoch", stop)):
            v = expect_scalar(v, f"{what}: {name}")
            expect_true(float(v).is_integer(), f"{what}: {name} should be an integer epoch index, not {v}.")
            values.append(int(v))
        got_pair = tuple(values)
        expected = early_definition(losses, patience)
        reference = oracles.hidden_reference("early_stopping", list(losses), patience)
        if reference is not None:
            expected = (int(reference[0]), int(reference[1]))
        _name_early(got_pair, expected, losses, patience, what)
        shown = f"expected {expected}, got {got_pair}" if oracles.reveal else f"got {got_pair}"
        expect_true(got_pair == expected, f"{what}: (best_epoch, stop_epoch) differs from the rule: {shown}.")

    return check


_EARLY_VARIANTS = (
    (ONE_BASED, lambda e, losses, p: (e[0] + 1, e[1] + 1), "both epochs are one too large: epochs are the indices of val_losses, starting at 0."),
    (LAST_BEST, lambda e, losses, p: early_definition(losses, p, ties_improve=True),
     "with tied losses you kept the LATEST tied epoch (so a tie restarted your patience); a tie is not an improvement, and the earliest epoch wins."),
    (PATIENCE, lambda e, losses, p: early_definition(losses, p, offset=1), "you stopped one epoch too late: stop as soon as t - best_epoch == patience."),
    (PATIENCE, lambda e, losses, p: early_definition(losses, p, offset=-1) if p > 0 else None, "you stopped one epoch too early: stop when t - best_epoch == patience."),
    (AFTER_STOP, lambda e, losses, p: early_definition(losses, p, global_best=True),
     "your best_epoch is the lowest loss over ALL epochs, including those after stop_epoch, which training never reaches."),
)


def _name_early(got: tuple[int, int], expected: tuple[int, int], losses, patience: int, what: str) -> None:
    if got == expected:
        return
    last = len(losses) - 1
    for key, variant, text in _EARLY_VARIANTS:
        # stopping one epoch too late, at the last epoch, cannot be told from a loop that never stops
        if variant(expected, losses, patience) == got and not (key == PATIENCE and got[1] == last == expected[1] + 1):
            raise Mismatch(f"{what}: {text}", misconception=key)
    if got[0] == expected[0] and expected[1] == last and (got[1] > last or got[1] == last - 1):
        raise Mismatch(f"{what}: your stop_epoch is {got[1]}, but patience never ran out, so training stops at the last epoch, index {last}.",
                       misconception=NEVER_STOPPED)


EARLY_VISIBLE = [
    ([5.0, 3.0, 4.0, 3.0, 6.0, 1.0], 2),          # the notebook's example: the tie at epoch 3 is no improvement
    ([4.0, 3.0, 3.0, 3.0, 3.0, 2.0], 2),          # ties: the earliest best, and ties do not reset patience
    ([2.0, 1.0, 3.0, 0.5], 0),                    # patience 0: stop at once
    ([1.0, 2.0, 3.0, 4.0, 5.0], 3),               # no improvement at all
    ([3.0, 2.0, 2.5, 2.4, 1.0], 3),               # improvement at the last epoch: never stopped
    ([1.0, 1.0, 1.0], 1),                         # all equal
    ([0.9, 0.7, 0.6, 0.65, 0.62, 0.61, 0.64, 0.5, 0.7, 0.8, 0.9], 3),
]


@ASSIGNMENT.question(points=2, functions=("early_stopping",))
def early_stopping(rng, hidden):
    """early_stopping(val_losses, patience) -> (best_epoch, stop_epoch): earliest strict best, stop when patience epochs passed without improvement."""
    if not hidden:
        cases = EARLY_VISIBLE
    else:
        cases = []
        for _ in range(6):
            losses = [float(v) for v in rng.integers(0, 6, size=int(rng.integers(1, 20)))]  # small integers: many ties
            cases.append((losses, int(rng.integers(0, 5))))
        cases.append(([float(v) for v in np.sort(rng.uniform(size=int(rng.integers(2, 15))))[::-1]], int(rng.integers(1, 4))))
    for losses, patience in cases:
        yield Case(f"{len(losses)} epochs, patience {patience}" + (f": {losses}" if not hidden else ""), "early_stopping", (list(losses), patience),
                   check=_early_check(list(losses), patience))


# --- the grid search ---------------------------------------------------------------------------

SALT = "07_generalisation/grid"
GRID_VISIBLE = {"train_rows": 60, "val_rows": 100, "lrs": [0.1, 0.5], "l2s": [0.0, 0.01, 0.1], "hidden": [8], "epochs": 10, "batch_size": 10, "seed": 3}
# L2 must help on the small noisy set: the best lambda > 0 of this grid beats lambda = 0 (a test
# checks it for the reference from every seed used, with a margin).
L2_HELPS = {"lrs": [0.2], "l2s": [0.0, 0.03], "hidden": [64], "epochs": 100, "batch_size": 20}
L2_HELPS_SEEDS = (1, 2, 3, 4)


def overfit_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_small, y_small, X_small_val, y_small_val) of the notebook: 100 images with 40% wrong labels, 300 validation images."""
    digits, small = load("digits"), load("digits_overfit")
    X = digits["images"].astype(np.float64) / 16.0
    return X[small["train_index"]], small["train_labels"].astype(np.int64), X[small["val_index"]], digits["labels"][small["val_index"]].astype(np.int64)


def grid_arguments(train_rows: int, val_rows: int, **run) -> tuple:
    """The positional arguments of grid_search for the first rows of the small noisy set."""
    X_a, y_a, X_b, y_b = overfit_split()
    return (X_a[:train_rows], y_a[:train_rows], X_b[:val_rows], y_b[:val_rows], run["lrs"], run["l2s"], run["hidden"], run["epochs"], run["batch_size"], run["seed"])


def grid_digest(scores: np.ndarray, m: int) -> str:
    """Salted digest of a grid's correct counts (accuracy * m, rounded), never of the accuracies shown."""
    return salted_digest(SALT, np.asarray(scores).shape, np.rint(np.asarray(scores) * m).astype(int).tolist(), length=16)


def expected_digests(reference: dict) -> dict[str, str]:
    """The digests of the reference's grids on the visible cases (pass the reference namespace)."""
    table = {"grid_search": grid_digest(reference["grid_search"](*grid_arguments(**GRID_VISIBLE)), GRID_VISIBLE["val_rows"])}
    for seed in L2_HELPS_SEEDS:
        table[f"l2_helps/{seed}"] = grid_digest(reference["grid_search"](*grid_arguments(100, 300, seed=seed, **L2_HELPS)), 300)
    return table


# Fixed cases are judged by digest (the reference is trained only when a grid differs, to name the mistake).
DIGESTS = visible(ASSIGNMENT.name)


def _reference_grids(oracles, args: tuple, seed_per_cell: bool = False) -> dict[str, np.ndarray]:
    """The reference's validation and training accuracies on this grid (or with seed + cell index)."""
    X_a, y_a, X_b, y_b, lrs, l2s, hidden, epochs, batch_size, seed = args
    train, predict, accuracy = (oracles.reference(n) for n in ("train_classifier", "predict", "accuracy"))
    val, on_train = np.zeros((len(lrs), len(l2s))), np.zeros((len(lrs), len(l2s)))
    for i, lr in enumerate(lrs):
        for j, l2 in enumerate(l2s):
            params, _ = train(X_a, y_a, hidden, lr, epochs, batch_size, l2, seed + (i * len(l2s) + j if seed_per_cell else 0))
            val[i, j], on_train[i, j] = accuracy(predict(params, X_b), y_b), accuracy(predict(params, X_a), y_a)
    return {"val": val, "train": on_train}


def _grid_check(args: tuple, digest_key: str | None, property_check: Callable[[np.ndarray, Any], None] | None = None):
    lrs, l2s, m = args[4], args[5], len(args[3])
    shape = (len(lrs), len(l2s))

    def check(got, oracles):
        what = "grid_search(...)"
        if isinstance(got, (np.ndarray, list)) and np.shape(got) == shape[::-1] and shape[0] != shape[1]:
            raise Mismatch(f"{what} has shape {np.shape(got)}; rows belong to the {len(lrs)} learning rates and columns to the {len(l2s)} L2 strengths: "
                           f"shape {shape}.", misconception=GRID_T)
        scores = expect_array(got, shape, what)
        counts = scores * m
        valid = bool(np.all((scores >= 0) & (scores <= 1)) and np.allclose(counts, np.rint(counts), atol=1e-6))
        expect_true(valid or oracles.has_reference, f"{what}: every entry should be an accuracy on the {m} validation samples (a multiple of 1/{m} between 0 and 1).")
        if digest_key is not None and grid_digest(scores, m) == DIGESTS[digest_key]:
            pass  # exactly the reference's grid
        elif oracles.has_reference:
            grids = _reference_grids(oracles, args)
            if not np.array_equal(scores, grids["val"]):
                if np.array_equal(scores, grids["train"]):
                    raise Mismatch(f"{what}: your accuracies are those on the training set (X_train, y_train); the grid is scored on (X_val, y_val).", misconception=GRID_TRAIN)
                if shape[0] == shape[1] and np.array_equal(scores, grids["val"].T):
                    raise Mismatch(f"{what} is transposed: entry [i, j] belongs to lrs[i] and l2s[j].", misconception=GRID_T)
                if np.array_equal(scores, _reference_grids(oracles, args, seed_per_cell=True)["val"]):
                    raise Mismatch(f"{what}: each of your cells trains from a different seed; every cell must use the same seed.", misconception=GRID_SEED)
                expect_true(valid, f"{what}: every entry should be an accuracy on the {m} validation samples (a multiple of 1/{m} between 0 and 1).")
                shown = f"; expected {grids['val'].tolist()}, got {scores.tolist()}" if oracles.reveal else ""
                raise Mismatch(f"{what}: some cells differ from the validation accuracies of the provided train_classifier trained with that (lr, l2) from the same seed{shown}.")
        elif digest_key is not None:
            expect_true(grid_digest(scores, m) == DIGESTS[digest_key],
                        f"{what}: your grid {np.round(scores, 4).tolist()} is not the grid of validation accuracies of the provided train_classifier "
                        "(entry [i, j]: trained with lrs[i] and l2s[j], the same seed for every cell, scored with predict and accuracy on (X_val, y_val)).")
        if property_check is not None:
            property_check(scores, oracles)

    return check


@ASSIGNMENT.question(points=2, functions=("grid_search",))
def grid_search(rng, hidden):
    """grid_search returns the (len(lrs), len(l2s)) validation accuracies of train_classifier, the same seed in every cell."""
    if not hidden:
        args = grid_arguments(**GRID_VISIBLE)
        yield Case("a 2 x 3 grid on 60 noisy digits, 100 validation digits", "grid_search", args, check=_grid_check(args, "grid_search"), timeout=30.0)
        return
    for rows, lrs, l2s in ((int(rng.integers(30, 80)), [float(rng.choice([0.05, 0.1, 0.3, 0.5]))], [0.0, float(rng.choice([1e-3, 1e-2, 0.1]))]),
                           (int(rng.integers(30, 80)), sorted(float(v) for v in rng.choice([0.05, 0.1, 0.3, 0.5], size=2, replace=False)), [float(rng.choice([0.0, 1e-2]))])):
        run = {"lrs": lrs, "l2s": l2s, "hidden": [int(rng.integers(4, 12))], "epochs": int(rng.integers(5, 12)), "batch_size": int(rng.choice([8, 16])),
               "seed": int(rng.integers(2**31))}
        args = grid_arguments(rows, int(rng.integers(50, 150)), **run)
        yield Case(f"a {len(lrs)} x {len(l2s)} grid on {rows} noisy digits", "grid_search", args, check=_grid_check(args, None), timeout=30.0)


def _l2_helps(scores: np.ndarray, oracles) -> None:
    expect_true(scores[0, 1:].max() > scores[0, 0],
                f"on the small noisy set, the validation accuracy with lambda = {L2_HELPS['l2s'][1]:g} ({scores[0, 1]:.3f}) should beat lambda = 0 ({scores[0, 0]:.3f}).")


@ASSIGNMENT.question(points=1, functions=("grid_search",))
def l2_helps(rng, hidden):
    """On 100 digits with 40% wrong labels, your grid shows that lambda = 0.03 beats lambda = 0 on the validation set."""
    seed = L2_HELPS_SEEDS[0] if not hidden else int(rng.choice(L2_HELPS_SEEDS[1:]))
    args = grid_arguments(100, 300, seed=seed, **L2_HELPS)
    yield Case(f"lr = {L2_HELPS['lrs'][0]:g}, lambda in {{0, {L2_HELPS['l2s'][1]:g}}}, {L2_HELPS['hidden'][0]} hidden units, {L2_HELPS['epochs']} epochs, "
               f"batches of {L2_HELPS['batch_size']}, seed {seed}", "grid_search", args,
               check=_grid_check(args, f"l2_helps/{seed}", _l2_helps), timeout=60.0)


# --- dropout ---------------------------------------------------------------------------------

def dropout_definition(A: np.ndarray, p: float, seed: int, training: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The stated recipe of inverted dropout: (out, mask)."""
    if not training or p == 0:
        return A.copy(), np.ones_like(A)
    mask = (np.random.default_rng(seed).random(A.shape) >= p) / (1.0 - p)
    return A * mask, mask


def _kept(A: np.ndarray, p: float, seed: int) -> np.ndarray:
    """The recipe's 0/1 keep pattern: default_rng(seed).random(A.shape) >= p."""
    return (np.random.default_rng(seed).random(A.shape) >= p).astype(float)


def _dropout_pair(got, A: np.ndarray, p: float, seed: int, training: bool = True) -> np.ndarray:
    """The student's (out, mask), both of A's shape, as one array of shape (2, *A.shape): a wrong
    variant is one (out, mask) pair, named only when both parts are the variant's."""
    what = f"dropout_forward(A, p={p:g}, seed={seed}, training={training})"
    out, mask = _pair(got, what, ("out", "mask"))
    return np.stack((expect_array(out, A.shape, f"{what}: out"), expect_array(mask, A.shape, f"{what}: mask")))


def _masked(A: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return A * mask, mask


DROPOUT_MISTAKES = (  # (out, mask) with one typical mistake; None where the mistake does not apply to the case
    Mistake(AT_INFERENCE, lambda A, p, seed, training=True: dropout_definition(A, p, seed)),  # the training recipe, whatever training says
    Mistake(AT_INFERENCE, lambda A, p, seed, training=True: (A, np.zeros_like(A)) if not training or p == 0 else None),
    Mistake(AT_INFERENCE, lambda A, p, seed, training=True: _masked(A, np.full_like(A, 1 - p)) if not training else None),
    Mistake(DROPOUT_SKIPPED, lambda A, p, seed, training=True: _masked(A, np.ones_like(A))),
    Mistake(NOT_SCALED, lambda A, p, seed, training=True: _masked(A, _kept(A, p, seed)) if training else None),
    Mistake(SCALED_P, lambda A, p, seed, training=True: _masked(A, _kept(A, p, seed) / p) if training and p else None),
    Mistake(MASK_FLIPPED, lambda A, p, seed, training=True: _masked(A, (1 - _kept(A, p, seed)) / (1 - p)) if training else None),
    Mistake(MASK_FLIPPED, lambda A, p, seed, training=True: _masked(A, 1 - _kept(A, p, seed)) if training else None),
)
DROPOUT = Expect("dropout_forward's (out, mask)", dropout_definition, reference="dropout_forward", rtol=1e-12, atol=1e-12, read=_dropout_pair,
                 mistakes=DROPOUT_MISTAKES)


DROPOUT_LAWS = (
    identity("out = A * mask", image=lambda value, A, p, seed: A * np.asarray(value[1], dtype=float), measure=lambda value, *args: value[0],
             clause="dropout_forward.recipe"),
    identity("every entry of mask is 0 (dropped) or 1 / (1 - p) (kept, scaled up so that the mean of out is A's)",
             image=lambda value, A, p, seed: (np.asarray(value[1], dtype=float) != 0).astype(float),
             measure=lambda value, A, p, seed: np.where(np.asarray(value[1], dtype=float) != 0, np.asarray(value[1], dtype=float) * (1 - p), 0.0),
             relation="law:scale", clause="dropout_forward.recipe"),
)
"""What every right dropout_forward's (out, mask) obey in training, whatever units the seed drops."""


@ASSIGNMENT.question(points=2, functions=("dropout_forward",))
def dropout_forward(rng, hidden):
    """dropout_forward follows the recipe: keep = default_rng(seed).random(A.shape) >= p, mask = keep / (1 - p), out = A * mask; identity at inference."""
    cases = [((5, 4), 0.5, 0, True), ((3, 7), 0.2, 12, True), ((6, 3), 0.8, 5, True), ((4, 4), 0.0, 1, True), ((4, 5), 0.5, 2, False)] if not hidden else \
        [((int(rng.integers(1, 30)), int(rng.integers(1, 20))), float(rng.uniform(0.05, 0.9)), int(rng.integers(2**31)), bool(k < 3)) for k in range(4)]
    for shape, p, seed, training in cases:
        A = rng.normal(size=shape)
        yield Case(f"A of shape {shape}, p = {p:.3g}, seed {seed}, training={training}", "dropout_forward", (A, p, seed), kwargs={"training": training},
                   expect=DROPOUT)
    yield law_case("dropout_forward's laws on A of shape (6, 5), p = 0.3, seed 3", "dropout_forward", (rng.normal(size=(6, 5)), 0.3, 3), DROPOUT_LAWS,
                   judgeable=lambda value, *args: _pair(value, "dropout_forward", ("out", "mask")))


def _dropout_mean_check(A: np.ndarray, p: float, seeds: list[int]):
    def check(got, oracles):
        if not isinstance(got, list) or len(got) != len(seeds):
            raise Mismatch("the check could not read your dropout outputs.")
        outs = [expect_array(_pair(g, "dropout_forward", ("out", "mask"))[0], A.shape, f"dropout_forward(A, p={p:g}, seed={s})[0]") for g, s in zip(got, seeds)]
        ratio = float(np.mean([o.mean() for o in outs]) / A.mean())
        # E[out] = A: with A constant, each entry of out / A is 0 or 1/(1-p), of variance p / (1 - p)
        tolerance = 6.0 * np.sqrt(p / (1 - p) / (A.size * len(seeds)))
        if abs(ratio - 1) > tolerance:
            key = NOT_SCALED if abs(ratio - (1 - p)) <= tolerance * (1 - p) + 1e-12 else SCALED_P if abs(ratio - (1 - p) / p) <= tolerance * 2 else \
                MASK_FLIPPED if abs(ratio - p / (1 - p)) <= tolerance * 2 else None
            raise Mismatch(f"with p = {p:g}, the mean of dropout_forward(A) over {len(seeds)} seeds is {ratio:.4f} times the mean of A; inverted dropout preserves "
                           f"the mean in expectation (1 within {tolerance:.3g} here).", misconception=key)

    return check


@ASSIGNMENT.question(points=1, functions=("dropout_forward",))
def dropout_mean(rng, hidden):
    """Inverted dropout preserves the mean in expectation: E[dropout_forward(A)[0]] = A, for every p."""
    for p in ([0.2, 0.5, 0.75] if not hidden else [float(rng.uniform(0.1, 0.9)) for _ in range(2)]):
        A = np.full((60, 50), 2.0)
        seeds = [int(s) for s in rng.integers(2**31, size=4)]
        yield Case(f"A = 2 everywhere (60 x 50), p = {p:.3g}, 4 seeds", "dropout_forward", (A, p), kwargs={"each": [{"seed": s} for s in seeds]},
                   probe="call_each", check=_dropout_mean_check(A, p, seeds))


DROPOUT_BACKWARD = Expect("dropout_backward(d_out, mask)", lambda d_out, mask: d_out * mask, rtol=1e-12, atol=1e-15, mistakes=(
    Mistake(BACKWARD_NO_MASK, lambda d_out, mask: d_out),
    Mistake(BACKWARD_UNSCALED, lambda d_out, mask: d_out * (mask > 0)),
))


@ASSIGNMENT.question(points=1, functions=("dropout_backward",))
def dropout_backward(rng, hidden):
    """dropout_backward(d_out, mask) = d_out * mask: the gradient flows only through the kept units, scaled like them."""
    for shape, p in ([((4, 6), 0.5), ((7, 3), 0.25)] if not hidden else [((int(rng.integers(1, 30)), int(rng.integers(1, 20))), float(rng.uniform(0.05, 0.9))) for _ in range(3)]):
        _, mask = dropout_definition(np.ones(shape), p, int(rng.integers(2**31)))
        d_out = rng.normal(size=shape)
        yield Case(f"d_out of shape {shape}, a mask with p = {p:.3g}", "dropout_backward", (d_out, mask), expect=DROPOUT_BACKWARD)


# --- batch normalisation ----------------------------------------------------------------------

def batchnorm_definition(Z, gamma, beta, eps: float = EPS, ddof: int = 0, eps_outside: bool = False, axis: int = 0, xp: Any = np,
                         mean_over_all: bool = False, var_over_all: bool = False, scale: bool = True, shift: bool = True):
    """The stated forward pass (defaults), or a variant; ``xp`` is NumPy or autograd.numpy. ``mean_over_all`` /
    ``var_over_all`` take that one statistic over every entry of Z (the variance about its own mean);
    ``scale`` / ``shift`` False leave out gamma / beta."""
    mean_axis, var_axis = (None if mean_over_all else axis), (None if var_over_all else axis)
    mean = xp.mean(Z, axis=mean_axis, keepdims=True)
    count = Z.size if var_axis is None else Z.shape[var_axis]
    var = xp.sum((Z - xp.mean(Z, axis=var_axis, keepdims=True)) ** 2, axis=var_axis, keepdims=True) / (count - ddof)
    root = xp.sqrt(var) + eps if eps_outside else xp.sqrt(var + eps)
    return (gamma if scale else 1.0) * (Z - mean) / root + (beta if shift else 0.0)


def batchnorm_gradients_autograd(Z, gamma, beta, eps, d_out) -> dict[str, np.ndarray]:
    """dZ, dgamma, dbeta of sum(d_out * out) by autograd through the forward definition."""
    import autograd
    import autograd.numpy as anp

    cost = lambda Z, gamma, beta: anp.sum(d_out * batchnorm_definition(Z, gamma, beta, eps, xp=anp))
    return {name: autograd.grad(cost, k)(Z, gamma, beta) for k, name in enumerate(("dZ", "dgamma", "dbeta"))}


def _bn_inputs(rng, n: int, h: int, kind: str = "random") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    Z = rng.normal(loc=rng.normal(size=h), scale=rng.uniform(0.5, 3.0, size=h), size=(n, h))
    if kind == "equal":
        Z[:, 0] = rng.normal()                                          # a constant column: variance 0
    if kind == "tiny":
        Z[:, 0] = rng.normal() + 1e-4 * rng.normal(size=n)              # variance ~1e-8, far below eps
    return Z, rng.uniform(0.5, 2.0, size=h), rng.normal(size=h)


def _bn_forward_out(got, Z, gamma, beta, eps: float = EPS) -> np.ndarray:
    """The student's out from batchnorm_forward's (out, cache); NaN or inf there is the variance divided by
    n - 1 = 0 on a batch of one, else eps missing on a column of equal values."""
    what = f"batchnorm_forward(Z, gamma, beta, eps={eps:g}) on a batch of {len(Z)}"
    out, _ = _pair(got, what, ("out", "cache"))
    if isinstance(out, np.ndarray) and out.shape == Z.shape and not np.all(np.isfinite(out)):
        if len(Z) == 1 and np.all(np.isnan(out)):  # 0 / 0 in every entry; a division by a zero Z_hat gives inf instead
            raise Mismatch(f"{what}: NaN or inf for a single sample; the variance of a batch of one is 0 when divided by n (you divided by n - 1 = 0).", misconception=UNBIASED)
        raise Mismatch(f"{what}: NaN or inf where a column has equal values (variance 0): divide by sqrt(var + eps).", misconception=NO_EPS)
    return expect_array(out, Z.shape, f"{what}: out")


BN_FORWARD_MISTAKES = (  # out with one typical mistake; None where the mistake does not apply to the case
    Mistake(UNBIASED, lambda Z, gamma, beta, eps=EPS: batchnorm_definition(Z, gamma, beta, eps, ddof=1) if len(Z) > 1 else None),
    Mistake(EPS_OUTSIDE, lambda Z, gamma, beta, eps=EPS: batchnorm_definition(Z, gamma, beta, eps, eps_outside=True)),
    Mistake(BN_AXIS, lambda Z, gamma, beta, eps=EPS: batchnorm_definition(Z, gamma, beta, eps, axis=1) if Z.shape[1] > 1 else None),
    Mistake(NO_EPS, lambda Z, gamma, beta, eps=EPS: batchnorm_definition(Z, gamma, beta, 0.0) if np.all(Z.var(axis=0) > 0) else None),
    Mistake(BN_AXIS, lambda Z, gamma, beta, eps=EPS: batchnorm_definition(Z, gamma, beta, eps, mean_over_all=True) if Z.shape[1] > 1 else None),
    Mistake(BN_AXIS, lambda Z, gamma, beta, eps=EPS: batchnorm_definition(Z, gamma, beta, eps, var_over_all=True) if Z.shape[1] > 1 else None),
    Mistake(SCALE_SHIFT, lambda Z, gamma, beta, eps=EPS: batchnorm_definition(Z, gamma, beta, eps, scale=False)),
    Mistake(SCALE_SHIFT, lambda Z, gamma, beta, eps=EPS: batchnorm_definition(Z, gamma, beta, eps, shift=False)),
)


def _bn_beta(Z, gamma, beta, *statistics, **options) -> dict[str, np.ndarray]:
    """The additive term beta of out = gamma * Z_hat + beta, so beta missing, twice or subtracted is found."""
    return {"beta": beta}


def _bn_by_parts(out, expected, Z, gamma, beta, *statistics, **options):
    """Which per-column statistic of out = gamma * Z_hat + beta is wrong, compared on Z_hat = (out - beta) / gamma:
    a constant of each column (the mean subtracted) or a factor of each column (the divisor)."""
    return column_relation((np.asarray(out, dtype=float) - beta) / gamma, (np.asarray(expected, dtype=float) - beta) / gamma, rtol=1e-7, atol=1e-9)


def _bn_forward_expect(Z, gamma, beta, eps: float) -> Expect:
    """out of batchnorm_forward, with an absolute tolerance that grows with the largest |out|."""
    scale = max(1.0, float(np.max(np.abs(batchnorm_definition(Z, gamma, beta, eps)))))
    return Expect(f"batchnorm_forward(Z, gamma, beta, eps={eps:g}) on a batch of {len(Z)}: out", batchnorm_definition, rtol=1e-8, atol=1e-10 * scale,
                  reference="batchnorm_forward", read=_bn_forward_out, mistakes=BN_FORWARD_MISTAKES, terms=_bn_beta, explain=_bn_by_parts)


BN_SHAPES = [((5, 3), "random", EPS), ((1, 4), "random", EPS), ((6, 3), "equal", EPS), ((8, 2), "tiny", EPS), ((7, 4), "random", 1e-2)]


def _bn_shapes(rng, hidden: bool):
    if not hidden:
        return BN_SHAPES
    kinds = ["random", "equal", "tiny", "random"]
    return [((int(rng.integers(2, 20)), int(rng.integers(1, 8))), kind, float(rng.choice([EPS, 1e-3]))) for kind in kinds] + [((1, int(rng.integers(1, 6))), "random", EPS)]


@ASSIGNMENT.question(points=2, functions=("batchnorm_forward",))
def batchnorm_forward(rng, hidden):
    """batchnorm_forward normalises each column with the batch mean and biased variance, then scales by gamma and shifts by beta."""
    for (n, h), kind, eps in _bn_shapes(rng, hidden):
        Z, gamma, beta = _bn_inputs(rng, n, h, kind)
        label = {"random": "", "equal": ", one column of equal values", "tiny": ", one column of variance ~1e-8 (eps matters)"}[kind]
        yield Case(f"Z of shape {(n, h)}{label}, eps = {eps:g}", "batchnorm_forward", (Z, gamma, beta), kwargs={} if eps == EPS else {"eps": eps},
                   expect=_bn_forward_expect(Z, gamma, beta, eps))


def _bn_round_trip(got, Z, gamma, beta, eps) -> list:
    """batchnorm_backward's three arrays from the batchnorm_round_trip probe's value, where the student's batchnorm_forward
    is right on the call (its cache is what backward reads); else a Mismatch saying which to fix."""
    if not isinstance(got, dict):
        raise Mismatch("the check could not read your batch normalisation results.")
    out = expect_array(_pair(got["forward"], "batchnorm_forward", ("out", "cache"))[0], Z.shape, "batchnorm_forward(...)[0]", finite=False)
    if not _close(out, batchnorm_definition(Z, gamma, beta, eps), 1e-8, 1e-10 * max(1.0, float(np.max(np.abs(beta))) + float(np.max(np.abs(gamma))) * 3)):
        raise Mismatch("your batchnorm_forward's output is wrong on this case, so its backward pass cannot be checked: fix batchnorm_forward first.")
    grads = got["backward"]
    if not isinstance(grads, (list, tuple)) or len(grads) != 3:
        raise Mismatch("batchnorm_backward should return three arrays (dZ, dgamma, dbeta).")
    return grads


def _bn_backward_check(Z, gamma, beta, eps, d_out):
    def check(got, oracles):
        grads = _bn_round_trip(got, Z, gamma, beta, eps)
        n = Z.shape[0]
        names = ("dZ", "dgamma", "dbeta")
        Z_hat = (Z - Z.mean(axis=0)) / np.sqrt(Z.var(axis=0) + eps)
        for name, g, summed in (("dgamma", grads[1], d_out * Z_hat), ("dbeta", grads[2], d_out)):
            for axis in (1, None):
                wrong = summed.sum(axis=axis)
                if np.shape(wrong) != (Z.shape[1],) and isinstance(g, (np.ndarray, float)) and not isinstance(g, bool) and _close(g, wrong):
                    raise Mismatch(f"batchnorm_backward(...): your {name} has shape {np.shape(g)}: it sums over {'each row' if axis == 1 else 'every entry'}; "
                                   "sum over the batch, axis=0, one entry per column.", misconception=BN_AXIS)
        got_t = {name: expect_array(g, s, f"batchnorm_backward(...): {name}") for name, g, s in zip(names, grads, (Z.shape, gamma.shape, beta.shape))}
        expected = batchnorm_gradients_autograd(Z, gamma, beta, eps, d_out)
        reference = oracles.hidden_reference("batchnorm_backward", d_out, oracles.reference("batchnorm_forward")(np.copy(Z), gamma, beta, eps)[1]) \
            if oracles.judges_by_reference else None
        checks = [expected] + ([dict(zip(names, (np.asarray(r, dtype=float) for r in reference)))] if reference is not None else [])
        for oracle in checks:
            located, wrong = locate(got_t, oracle, n=n, rtol=RTOL, atol=1e-12)
            if not wrong:
                continue
            key = _bn_backward_mistake(got_t, wrong, Z, gamma, eps, d_out)
            first = next(iter(wrong))
            found = describe(got_t["dZ"], oracle["dZ"], n=n, terms=_dz_terms(Z, gamma, eps, d_out)) if key is None and first == "dZ" else None
            if key is None and found is None:
                swapped = other_part(got_t[first], {name: oracle[name] for name in names if name != first}, rtol=RTOL)
                found = (swapped.key, swapped) if swapped else None
            try:
                scale = float(np.max(np.abs(oracle[first]))) if oracle[first].size else 0.0
                expect_close(got_t[first], oracle[first], f"{first} (compared with autograd)", rtol=RTOL, atol=1e-12 * max(scale, 1.0), reveal=oracles.reveal)
                detail = ""
            except Mismatch as mismatch:
                detail = "\n" + mismatch.message
            raise Mismatch(f"your batchnorm_backward, compared with autograd on a batch of {n}: {located}{detail}"
                           + (f"\n  your {first} is {found[1].text}." if found else ""), misconception=key, relation=found[0] if found else None)

    return check


def _dz_terms(Z, gamma, eps, d_out) -> dict[str, np.ndarray]:
    """The three terms of dZ = (g_hat - mean(g_hat) - Z_hat * mean(g_hat * Z_hat)) / std, g_hat = d_out * gamma (each (n, h))."""
    std = np.sqrt(Z.var(axis=0) + eps)
    Z_hat, g_hat = (Z - Z.mean(axis=0)) / std, d_out * gamma
    return {"g_hat / std": g_hat / std, "mean(g_hat) / std": -np.broadcast_to(g_hat.mean(axis=0), Z.shape) / std,
            "Z_hat * mean(g_hat * Z_hat) / std": -Z_hat * (g_hat * Z_hat).mean(axis=0) / std}


def _bn_backward_mistake(got: dict, wrong: dict, Z, gamma, eps, d_out) -> str | None:
    """The catalogue key of a recognised wrong backward pass, from its dZ (or its parameter gradients)."""
    mean, var = Z.mean(axis=0), Z.var(axis=0)
    inv_std, Z_hat = 1 / np.sqrt(var + eps), (Z - mean) / np.sqrt(var + eps)
    g_hat = d_out * gamma
    if "dZ" in wrong:
        variants = {CONSTANT_STATS: g_hat * inv_std, NO_VAR_PATH: inv_std * (g_hat - g_hat.mean(axis=0)),
                    f"{BN_AXIS}/mean of g_hat": inv_std * (g_hat - g_hat.mean() - Z_hat * (g_hat * Z_hat).mean(axis=0)),
                    f"{BN_AXIS}/mean of g_hat * Z_hat": inv_std * (g_hat - g_hat.mean(axis=0) - Z_hat * (g_hat * Z_hat).mean())}
        found = next((key for key, value in variants.items() if _close(got["dZ"], value, 1e-7, 1e-12)), None)
        return found.split("/")[0] if found else None
    if set(wrong) <= {"dgamma", "dbeta"} and Z.shape[0] > 1 and all(r is not None and r.factor == 1 / Z.shape[0] for r in wrong.values()):
        return PARAM_AVERAGED
    return None


def _dZ(value, *args) -> np.ndarray:
    """dZ from the batchnorm_round_trip probe's value."""
    return np.asarray(value["backward"][0], dtype=float)


def _dZ_size(value, Z, *args) -> float:
    """The size of a sum over the rows of dZ times an entry of Z - mean: n * max|dZ| * max|Z - mean|."""
    return Z.shape[0] * float(np.max(np.abs(_dZ(value)))) * float(np.max(np.abs(Z - Z.mean(axis=0))))


BN_TINY_EPS = 1e-12
"""The eps of the law case: small enough that batch normalisation's output is, to 1e-9, unchanged by shifting or scaling a column."""
BATCHNORM_LAWS = (
    identity("the columns of dZ sum to zero (shifting a column of Z by a constant changes no output of batch normalisation)",
             image=lambda value, *args: np.zeros(np.shape(_dZ(value))[1:]), measure=lambda value, *args: _dZ(value).sum(axis=0),
             scale=lambda value, Z, *args: Z.shape[0] * float(np.max(np.abs(_dZ(value)))), clause="batchnorm_backward.value"),
    identity("each column of dZ is orthogonal to that column of Z minus its mean (scaling a column of Z changes no output)",
             image=lambda value, *args: np.zeros(np.shape(_dZ(value))[1:]),
             measure=lambda value, Z, *args: (_dZ(value) * (Z - Z.mean(axis=0))).sum(axis=0), scale=_dZ_size, clause="batchnorm_backward.value"),
    degree("dZ", "Z", -1, lambda args, c: [c * args[0], *args[1:]], c=2.0, part=_dZ, clause="batchnorm_backward.value"),
)
"""What every right batchnorm_backward obeys (with eps ~ 0): batch normalisation's output does not change when a column of Z
is shifted or scaled, so neither does the cost, and dZ is orthogonal to both directions."""


def _bn_judgeable(value, Z, gamma, beta, d_out) -> None:
    """The laws judge dZ only where :func:`_bn_round_trip` can read it (the student's forward pass right on the call)."""
    _bn_round_trip(value, Z, gamma, beta, BN_TINY_EPS)


@ASSIGNMENT.question(points=3, functions=("batchnorm_forward", "batchnorm_backward"))
def batchnorm_backward(rng, hidden):
    """batchnorm_backward's dZ, dgamma, dbeta agree with autograd (relative error below 1e-7), through the batch mean and variance."""
    for (n, h), kind, eps in _bn_shapes(rng, hidden):
        Z, gamma, beta = _bn_inputs(rng, n, h, kind)
        d_out = rng.normal(size=(n, h))
        label = {"random": "", "equal": ", one column of equal values", "tiny": ", one column of variance ~1e-8 (eps matters)"}[kind]
        yield Case(f"Z of shape {(n, h)}{label}, eps = {eps:g} (compared with autograd)", "batchnorm_backward", (Z, gamma, beta, d_out), kwargs={"eps": eps},
                   probe="batchnorm_round_trip", check=_bn_backward_check(Z, gamma, beta, eps, d_out))
    Z, gamma, beta = _bn_inputs(rng, 8, 3)
    yield law_case(f"batchnorm_backward's laws on Z of shape (8, 3), eps = {BN_TINY_EPS:g}", "batchnorm_backward", (Z, gamma, beta, rng.normal(size=(8, 3))),
                   BATCHNORM_LAWS, what="dZ", probe="batchnorm_round_trip", kwargs={"eps": BN_TINY_EPS}, judgeable=_bn_judgeable)


def batchnorm_inference_definition(Z, gamma, beta, running_mean, running_var, eps: float = EPS) -> np.ndarray:
    """gamma * (Z - running_mean) / sqrt(running_var + eps) + beta: Z (n, h), the others (h,)."""
    return gamma * (Z - running_mean) / np.sqrt(running_var + eps) + beta


BN_INFERENCE = Expect("batchnorm_inference(Z, gamma, beta, running_mean, running_var)", batchnorm_inference_definition, reference="batchnorm_inference",
                      rtol=1e-9, atol=1e-12, terms=_bn_beta, explain=_bn_by_parts, mistakes=(
    Mistake(BATCH_STATS, lambda Z, gamma, beta, mean, var, eps=EPS: batchnorm_definition(Z, gamma, beta, eps)),
    Mistake(EPS_OUTSIDE, lambda Z, gamma, beta, mean, var, eps=EPS: gamma * (Z - mean) / (np.sqrt(var) + eps) + beta),
    Mistake(SCALE_SHIFT, lambda Z, gamma, beta, mean, var, eps=EPS: (Z - mean) / np.sqrt(var + eps) + beta),
    Mistake(SCALE_SHIFT, lambda Z, gamma, beta, mean, var, eps=EPS: gamma * (Z - mean) / np.sqrt(var + eps)),
))


BN_INFERENCE_LAWS = (
    identity("where Z equals running_mean, out = beta", transform=lambda Z, g, b, m, v: [np.broadcast_to(m, Z.shape).copy(), g, b, m, v],
             image=lambda value, Z, g, b, m, v: np.broadcast_to(b, Z.shape), clause="batchnorm_inference.value"),
    identity("out - beta is proportional to Z - running_mean: doubling Z - running_mean doubles out - beta",
             transform=lambda Z, g, b, m, v: [m + 2.0 * (Z - m), g, b, m, v], measure=lambda value, Z, g, b, m, v: np.asarray(value, dtype=float) - b,
             image=lambda value, Z, g, b, m, v: 2.0 * (np.asarray(value, dtype=float) - b), relation="law:degree:Z - running_mean:1",
             clause="batchnorm_inference.value"),
)
"""What every right batchnorm_inference obeys."""


@ASSIGNMENT.question(points=1, functions=("batchnorm_inference",))
def batchnorm_inference(rng, hidden):
    """batchnorm_inference normalises with the running mean and variance: gamma * (Z - running_mean) / sqrt(running_var + eps) + beta."""
    for n, h in ([(5, 3), (1, 4), (8, 2)] if not hidden else [(int(rng.integers(1, 20)), int(rng.integers(1, 8))) for _ in range(3)]):
        Z, gamma, beta = _bn_inputs(rng, n, h)
        mean, var = rng.normal(size=h), rng.uniform(1e-6, 2.0, size=h)
        var[0] = 1e-7  # eps matters
        yield Case(f"Z of shape {(n, h)}", "batchnorm_inference", (Z, gamma, beta, mean, var), expect=BN_INFERENCE)
    Z, gamma, beta = _bn_inputs(rng, 6, 3)
    yield law_case("batchnorm_inference's laws on Z of shape (6, 3)", "batchnorm_inference", (Z, gamma, beta, rng.normal(size=3), rng.uniform(0.5, 2.0, size=3)),
                   BN_INFERENCE_LAWS)


def running_definition(running, batch_value, momentum: float = 0.9):
    """momentum * running + (1 - momentum) * batch_value, for arrays of one shape or floats."""
    return momentum * np.asarray(running) + (1 - momentum) * np.asarray(batch_value)


UPDATE_RUNNING = Expect("update_running(running, batch_value, momentum)", running_definition, reference="update_running", rtol=1e-12, atol=1e-15,
                        terms=lambda running, batch_value, momentum=0.9: {"momentum * running": momentum * np.asarray(running),
                                                                          "(1 - momentum) * batch_value": (1 - momentum) * np.asarray(batch_value)},
                        mistakes=(Mistake(MOMENTUM_SWAPPED, lambda running, batch_value, momentum=0.9: running_definition(batch_value, running, momentum)),))


RUNNING_LAWS = (
    identity("an average of two equal values is that value: update_running(r, r, momentum) = r (the weights momentum and "
             "1 - momentum add up to 1)", transform=lambda running, batch: [running, running], image=lambda value, running, batch: running,
             relation="law:average", clause="update_running.value"),
)


@ASSIGNMENT.question(points=1, functions=("update_running",))
def update_running(rng, hidden):
    """update_running(running, batch_value, momentum) = momentum * running + (1 - momentum) * batch_value."""
    for shape, momentum in ([((4,), 0.9), ((3,), 0.7), ((), 0.9)] if not hidden else [((int(rng.integers(1, 10)),), float(rng.uniform(0.6, 0.99))) for _ in range(2)]):
        running, batch = rng.normal(size=shape), rng.normal(size=shape)
        if shape == ():
            running, batch = float(running), float(batch)
        yield Case(f"{'arrays of shape ' + str(shape) if shape else 'two floats'}, momentum {momentum:g}", "update_running", (running, batch),
                   kwargs={} if momentum == 0.9 else {"momentum": momentum}, expect=UPDATE_RUNNING)
    yield law_case("update_running's law on arrays of shape (4,), momentum 0.8", "update_running", (rng.normal(size=4), rng.normal(size=4)),
                   RUNNING_LAWS, kwargs={"momentum": 0.8})


# --- universal approximation -----------------------------------------------------------------

UNIVERSAL = {"epochs": 1000, "lr": 0.15}
UNIVERSAL_MSE = {"visible": 0.01, "hidden": 0.05}  # the largest final MSE allowed with 10 units (the reference: 0.002 visible, rarely above 0.02 hidden)
UNIVERSAL_WIDTHS = (1, 10)


def universal_target(rng=None) -> tuple[np.ndarray, np.ndarray]:
    """(x, y), 80 points on [-1, 1]: the notebook's curve, or a random smooth one."""
    x = np.linspace(-1.0, 1.0, 80)[:, None]
    if rng is None:
        return x, np.sin(np.pi * x) + 0.5 * np.cos(2 * np.pi * x)
    return x, rng.uniform(0.8, 1.5) * np.sin(np.pi * rng.uniform(0.6, 1.6) * x + rng.uniform(0, 2 * np.pi)) + rng.uniform(-0.3, 0.3) * x


def tanh_network(params, x: np.ndarray) -> np.ndarray:
    """The output of a network with a tanh hidden layer and an identity output."""
    return forward_pass(params, x, ["tanh", "identity"])[0]


def universal_recipes(y: np.ndarray, kwargs: dict) -> list[Recipe]:
    """Every step of each universal_fit run of a case, for the trace (:mod:`autograder.judge.training_trace`): the output
    gradient of mean((y_hat - y)**2) is 2 (y_hat - y) / n, then p <- p - lr * dp; full batch."""
    def gradient(output, rows):
        n = len(rows)
        return 2.0 * (output - y[rows]) / n, {"2 y_hat / n": 2.0 * output / n, "2 y / n": -2.0 * y[rows] / n}

    return [Recipe(gradient, run["lr"], len(y), len(y), run["epochs"]) for run in each_run(kwargs)]


def _universal_check(x: np.ndarray, y: np.ndarray, threshold: float):
    def check(got, oracles):
        if not isinstance(got, list) or len(got) != len(UNIVERSAL_WIDTHS):
            raise Mismatch("the check could not read your fits.")
        mses = []
        for width, run in zip(UNIVERSAL_WIDTHS, got):
            what = f"universal_fit(width={width}, ...)"
            params, reported = _pair(run, what, ("params", "final_mse"))
            pairs = layer_pairs(params, [1, width, 1], f"{what}: params")
            mse = float(np.mean((tanh_network(pairs, x) - y) ** 2))
            reported = expect_scalar(reported, f"{what}: final_mse")
            if not np.isclose(reported, mse, rtol=1e-6, atol=1e-12):
                factor = reported / mse if mse else None
                raise Mismatch(f"{what}: final_mse is {reported:.6g}, but the mean squared error of the returned parameters, measured here, is {mse:.6g}"
                               f"{' (half of it: the MSE has no 1/2)' if factor and np.isclose(factor, 0.5, rtol=1e-6) else ''}.", misconception=HALF_MSE)
            mses.append(mse)
        expect_true(mses[1] <= threshold,
                    f"with 10 tanh units, {UNIVERSAL['epochs']} steps and lr = {UNIVERSAL['lr']}, your fit's mean squared error is {mses[1]:.4g}; "
                    f"at most {threshold:g} is required (y varies with variance {np.var(y):.3g}). Check the gradient of the MSE (2 (y_hat - y) / n), "
                    "the update's sign, and the initial weights (spread the first layer, keep the output weights small).")
        expect_true(mses[1] < mses[0], f"a wider network should fit better: 10 units give MSE {mses[1]:.4g}, 1 unit {mses[0]:.4g}.")

    return check


@ASSIGNMENT.question(points=2, functions=("universal_fit",))
def universal_fit(rng, hidden):
    """universal_fit fits one hidden tanh layer by gradient descent: with 10 units the error is small, and smaller than with 1; final_mse is honest."""
    x, y = universal_target(None if not hidden else rng)
    seed = 0 if not hidden else int(rng.integers(2**31))
    fits = {"x": x, "y": y, "seed": seed, **UNIVERSAL, "each": [{"width": w} for w in UNIVERSAL_WIDTHS]}
    yield Case(f"widths {list(UNIVERSAL_WIDTHS)} on {'sin(pi x) + cos(2 pi x) / 2' if not hidden else 'a random smooth curve'}, seed {seed}", "universal_fit", (),
               kwargs=fits, probe="traced_each", check=explained(_universal_check(x, y, UNIVERSAL_MSE["hidden" if hidden else "visible"]), universal_recipes(y, fits)),
               timeout=30.0)
    step = {"x": x, "y": y, "seed": seed, "width": 4, "lr": UNIVERSAL["lr"], "each": [{"epochs": 0}, {"epochs": 1}]}
    yield Case(f"one gradient step from the initial weights (epochs 0, then 1), width 4, seed {seed}", "universal_fit", (),
               kwargs=step, probe="traced_each", check=explained(_one_step_check(x, y, 4, UNIVERSAL["lr"]), universal_recipes(y, step)))


def tanh_network_grads(pairs, x: np.ndarray, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """d mean((tanh_network(pairs, x) - y)**2) / d(W, b) for both layers, in plain NumPy."""
    (W1, b1), (W2, b2) = pairs
    H = np.tanh(x @ W1 + b1)
    d_out = 2.0 * (H @ W2 + b2 - y) / len(x)
    d_z1 = (d_out @ W2.T) * (1.0 - H ** 2)
    return [(x.T @ d_z1, d_z1.sum(axis=0)), (H.T @ d_out, d_out.sum(axis=0))]


def _one_step_check(x: np.ndarray, y: np.ndarray, width: int, lr: float):
    """The second call's parameters are one gradient step of the MSE from the first call's (the same seed)."""
    def check(got, oracles):
        before, after = (layer_pairs(_pair(run, f"universal_fit(epochs={e}, ...)", ("params", "final_mse"))[0], [1, width, 1], f"universal_fit(epochs={e}, ...): params")
                         for e, run in enumerate(got))
        for l, ((W0, b0), (W1, b1), (dW, db)) in enumerate(zip(before, after, tanh_network_grads(before, x, y)), start=1):
            for name, step, grad in ((f"W{l}", W1 - W0, dW), (f"b{l}", b1 - b0, db)):
                if not np.allclose(step, -lr * grad, rtol=1e-6, atol=1e-12):
                    found = relation(step, -lr * grad)
                    raise Mismatch(f"with the same seed, universal_fit(epochs=1) should be one step from universal_fit(epochs=0): "
                                   f"{name} changed by something other than -lr * dC/d{name}" + (f" ({found.text})." if found else "."),
                                   misconception=UNIVERSAL_STEP if found and found.kind == "factor" else None)
    return check


ASSIGNMENT.manual("train_inference_written", points=2, title="Explain why dropout and batch normalisation behave differently at training and inference time.")

ASSIGNMENT.sample_mistakes.update({
    # the biases are penalised too
    "l2_penalty": "def l2_penalty(params, l2):\n    return 0.5 * l2 * sum(np.sum(W ** 2) + np.sum(b ** 2) for W, b in params)\n",
    # the kept activations are not scaled by 1 / (1 - p)
    "dropout_forward": ("def dropout_forward(A, p, seed, training=True):\n    if not training or p == 0:\n        return A.copy(), np.ones_like(A)\n"
                        "    keep = (np.random.default_rng(seed).random(A.shape) >= p).astype(float)\n    return A * keep, keep\n"),
    # a tie counts as an improvement
    "early_stopping": ("def early_stopping(val_losses, patience):\n    best = 0\n    for t, loss in enumerate(val_losses):\n        if loss <= val_losses[best]:\n"
                       "            best = t\n        if t - best == patience:\n            return best, t\n    return best, len(val_losses) - 1\n"),
})

# --- the contract: the clauses of each student function's docstring, and the questions that check them ---
ASSIGNMENT.contract("l2_penalty", value="Returns a float: l2 / 2 * (sum over layers of the sum of W**2).", biases="Biases are not penalised.")
ASSIGNMENT.checks("l2_penalty", "l2_penalty.value", "l2_penalty.biases")
ASSIGNMENT.contract("l2_penalty_grad", value="A list of (dW, db), one per layer: dW = l2 * W (the shape of W).", biases="db = zeros shaped like b.")
ASSIGNMENT.checks("l2_penalty_grad", "l2_penalty_grad.value", "l2_penalty_grad.biases")
ASSIGNMENT.contract("train_val_split", value="order = default_rng(seed).permutation(n), k = round(n * val_fraction); val_idx = order[:k], train_idx = order[k:].",
                    types="Returns (train_idx, val_idx), integer arrays.")
ASSIGNMENT.checks("train_val_split", "train_val_split.value", "train_val_split.types")
ASSIGNMENT.contract("early_stopping", stop="stop_epoch is the first epoch t with t - best == patience, else the last epoch.",
                    best="best_epoch is the earliest epoch with the lowest loss among epochs 0..stop_epoch.", types="Returns (best_epoch, stop_epoch), integers.")
ASSIGNMENT.checks("early_stopping", "early_stopping.stop", "early_stopping.best", "early_stopping.types")
ASSIGNMENT.contract("grid_search", shape="Returns an array of shape (len(lrs), len(l2s)).",
                    value="Entry [i, j] is the validation accuracy of train_classifier with lr = lrs[i] and l2 = l2s[j], the same seed in every cell.",
                    helps="On a small overfitted training set a well-chosen lambda beats lambda = 0.")
ASSIGNMENT.checks("grid_search", "grid_search.shape", "grid_search.value")
ASSIGNMENT.checks("l2_helps", "grid_search.helps")
ASSIGNMENT.contract("dropout_forward", recipe="keep = default_rng(seed).random(A.shape) >= p, mask = keep / (1 - p), out = A * mask; both (n, h).",
                    inference="With training=False or p == 0, out = A and mask = ones.", mean="Inverted dropout preserves the mean in expectation.")
ASSIGNMENT.checks("dropout_forward", "dropout_forward.recipe", "dropout_forward.inference")
ASSIGNMENT.checks("dropout_mean", "dropout_forward.mean")
ASSIGNMENT.contract("dropout_backward", value="Returns dC/dA: (n, h) = d_out * mask.")
ASSIGNMENT.checks("dropout_backward", "dropout_backward.value")
ASSIGNMENT.contract("batchnorm_forward", value="out (n, h) = gamma * (Z - mean) / sqrt(var + eps) + beta, per column.",
                    biased="The column variances are biased (divided by n); eps is added to the variance.")
ASSIGNMENT.checks("batchnorm_forward", "batchnorm_forward.value", "batchnorm_forward.biased")
ASSIGNMENT.contract("batchnorm_backward", value="Returns (dZ, dgamma, dbeta): dZ (n, h), dgamma (h,), dbeta (h,), through the batch mean and variance.")
ASSIGNMENT.checks("batchnorm_backward", "batchnorm_backward.value", "batchnorm_forward.value")
ASSIGNMENT.contract("batchnorm_inference", value="out (n, h) = gamma * (Z - running_mean) / sqrt(running_var + eps) + beta.")
ASSIGNMENT.checks("batchnorm_inference", "batchnorm_inference.value")
ASSIGNMENT.contract("update_running", value="Returns momentum * running + (1 - momentum) * batch_value, for arrays or floats.")
ASSIGNMENT.checks("update_running", "update_running.value")
ASSIGNMENT.contract("universal_fit", shapes="params = [(W1 (1, width), b1 (width,)), (W2 (width, 1), b2 (1,))].",
                    mse="final_mse = mean((network(x) - y) ** 2) for the returned params.", fits="More hidden units fit better: 10 units beat 1.")
ASSIGNMENT.checks("universal_fit", "universal_fit.shapes", "universal_fit.mse", "universal_fit.fits")
ASSIGNMENT.relations("update_running", {f"{kind}:{term}": RUNNING_TERM for kind in ("missing", "flipped", "scaled") for term in ("momentum * running", "(1 - momentum) * batch_value")})
ASSIGNMENT.relations("universal_fit", relation_table(UNIVERSAL_BATCH, UNIVERSAL_GRADIENT, UNIVERSAL_UPDATE, terms=("2 y_hat / n", "2 y / n"),
                                                   named=dict.fromkeys(("gradient:factor:2", "gradient:factor:1/2", "gradient:factor:n", "gradient:factor:1/n"), UNIVERSAL_STEP)))
ASSIGNMENT.relations("l2_penalty", {kind: PENALTY_FACTOR for kind in ("missing_factor", "inverted_factor", "extra_factor")})
ASSIGNMENT.relations("batchnorm_backward", {**{f"{kind}:{term}": DZ_TERM for kind in ("missing", "extra", "flipped", "scaled")
                                               for term in ("g_hat / std", "mean(g_hat) / std", "Z_hat * mean(g_hat * Z_hat) / std")},
                                            "missing:Z_hat * mean(g_hat * Z_hat) / std": NO_VAR_PATH})
for _question in ("batchnorm_forward", "batchnorm_inference"):
    ASSIGNMENT.relations(_question, {"column_shift": BN_CENTRE, "column_factor": BN_DIVISOR, "flipped:beta": SCALE_SHIFT})
