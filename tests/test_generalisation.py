"""07_generalisation: the oracles agree with the reference, every catalogued mistake is caught
and named, and correct answers written differently pass with no mistake named."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

import conftest
from conftest import ROOT, by_question, grade

from autograder import course
from autograder.judge.compare import Mismatch, rel_error
from autograder.judge.question import Case, Oracles
from autograder.questions import generalisation as gen

NAME = "07_generalisation"
ASSIGNMENT = course.get_assignment(NAME)
AUTOMATIC = [q.name for q in ASSIGNMENT if not q.manual]
mutate = partial(conftest.mutate, NAME)


@pytest.fixture(scope="module")
def reference():
    return course.reference(NAME, ROOT)


# --- the oracles -------------------------------------------------------------------------------

def graph_batchnorm_backward(d_out, Z, gamma, eps):
    """Backpropagation through the computational graph of the forward pass, one node at a time."""
    n = Z.shape[0]
    mean = Z.mean(axis=0)
    centred = Z - mean
    var = (centred ** 2).mean(axis=0)
    std = np.sqrt(var + eps)
    Z_hat = centred / std
    dbeta, dgamma = d_out.sum(axis=0), (d_out * Z_hat).sum(axis=0)
    dZ_hat = d_out * gamma
    dcentred = dZ_hat / std
    dstd = -(dZ_hat * centred).sum(axis=0) / std ** 2
    dvar = dstd / (2 * std)
    dcentred += dvar * 2 * centred / n
    dZ = dcentred - dcentred.mean(axis=0)
    return dZ, dgamma, dbeta


def test_batchnorm_backward_of_the_reference_autograd_and_the_graph_agree(reference):
    """On random shapes, batches of one, constant columns and tiny variances: three oracles, relative error < 1e-7."""
    rng = np.random.default_rng(7)
    cases = gen.BN_SHAPES + [((int(rng.integers(1, 30)), int(rng.integers(1, 8))), kind, eps) for kind in ("random", "equal", "tiny") for eps in (gen.EPS, 1e-3)]
    for (n, h), kind, eps in cases:
        Z, gamma, beta = gen._bn_inputs(rng, n, h, kind)
        d_out = rng.normal(size=(n, h))
        out, cache = reference["batchnorm_forward"](Z, gamma, beta, eps)
        np.testing.assert_allclose(out, gen.batchnorm_definition(Z, gamma, beta, eps), rtol=1e-12, atol=1e-12)
        exact = gen.batchnorm_gradients_autograd(Z, gamma, beta, eps, d_out)
        for got in (reference["batchnorm_backward"](d_out, cache), graph_batchnorm_backward(d_out, Z, gamma, eps)):
            for g, name in zip(got, ("dZ", "dgamma", "dbeta")):
                scale = max(float(np.max(np.abs(exact[name]))), 1.0)
                assert np.max(np.abs(g - exact[name])) <= 1e-9 * scale, (n, h, kind, name)
                assert rel_error(g[np.abs(exact[name]) > 1e-6 * scale], exact[name][np.abs(exact[name]) > 1e-6 * scale]) < 1e-7


def test_tiny_variances_make_eps_matter_and_batches_of_one_give_zero_dz(reference):
    rng = np.random.default_rng(8)
    Z, gamma, beta = gen._bn_inputs(rng, 8, 2, "tiny")
    assert Z[:, 0].var() < 1e-6 * gen.EPS * 1e3
    assert not np.allclose(gen.batchnorm_definition(Z, gamma, beta), gen.batchnorm_definition(Z, gamma, beta, eps_outside=True))
    Z1, gamma1, beta1 = gen._bn_inputs(rng, 1, 3)
    out, cache = reference["batchnorm_forward"](Z1, gamma1, beta1)
    np.testing.assert_allclose(out, beta1[None, :])
    np.testing.assert_allclose(reference["batchnorm_backward"](rng.normal(size=(1, 3)), cache)[0], 0.0, atol=1e-12)


def test_recipes_in_the_module_agree_with_the_reference(reference):
    """Dropout, the split, early stopping, L2 and its gradient, the running average and batch normalisation at inference: definitions = reference."""
    rng = np.random.default_rng(9)
    for _ in range(20):
        A, p, seed = rng.normal(size=(int(rng.integers(1, 20)), int(rng.integers(1, 9)))), float(rng.uniform(0, 0.9)), int(rng.integers(2**31))
        for training in (True, False):
            for got, exp in zip(reference["dropout_forward"](A, p, seed, training=training), gen.dropout_definition(A, p, seed, training)):
                np.testing.assert_array_equal(got, exp)
        n, fraction = int(rng.integers(1, 200)), float(rng.uniform(0, 1))
        for got, exp in zip(reference["train_val_split"](n, fraction, seed), gen.split_definition(n, fraction, seed)):
            np.testing.assert_array_equal(got, exp)
        losses, patience = [float(v) for v in rng.integers(0, 5, size=int(rng.integers(1, 15)))], int(rng.integers(0, 5))
        assert tuple(reference["early_stopping"](losses, patience)) == gen.early_definition(losses, patience)
        params = gen._random_params(rng, [3, 4, 2])
        assert np.isclose(reference["l2_penalty"](params, 0.3), gen.l2_penalty_definition(params, 0.3))
        assert np.isclose(gen.l2_penalty_definition(params, 0.3), 0.15 * sum(np.sum(W ** 2) for W, _ in params))
        for (dW, db), (W, b) in zip(reference["l2_penalty_grad"](params, 0.3), params):  # the definition of every part of the list
            np.testing.assert_array_equal(dW, 0.3 * W)
            np.testing.assert_array_equal(db, np.zeros_like(b))
        running, batch, momentum = rng.normal(size=4), rng.normal(size=4), float(rng.uniform(0.5, 1))
        np.testing.assert_allclose(reference["update_running"](running, batch, momentum), gen.running_definition(running, batch, momentum), rtol=1e-15)
        Z, gamma, beta = gen._bn_inputs(rng, 5, 3)
        mean, var = rng.normal(size=3), rng.uniform(1e-6, 2.0, size=3)
        np.testing.assert_allclose(reference["batchnorm_inference"](Z, gamma, beta, mean, var), gen.batchnorm_inference_definition(Z, gamma, beta, mean, var), rtol=1e-15)
    assert reference["early_stopping"]([5.0, 3.0, 4.0, 3.0, 6.0, 1.0], 2) == (1, 3)  # the notebook's worked example
    assert reference["early_stopping"]([2.0, 1.0], 0) == (0, 0)
    assert reference["early_stopping"]([3.0, 2.0, 2.5, 2.4, 1.0], 3) == (4, 4)


def test_stored_digests_are_the_reference_grids(reference):
    assert gen.expected_digests(reference) == gen.DIGESTS


def test_l2_helps_the_reference_from_every_seed_used_with_a_margin(reference):
    """The grid on the small noisy split: lambda = 0.03 beats lambda = 0 by at least 3 points from every seed the checks use."""
    for seed in gen.L2_HELPS_SEEDS:
        scores = reference["grid_search"](*gen.grid_arguments(100, 300, seed=seed, **gen.L2_HELPS))
        assert scores[0, 1] - scores[0, 0] >= 0.03, (seed, scores)


def test_the_reference_fits_random_curves_well_within_the_hidden_threshold(reference):
    rng = np.random.default_rng(10)
    x, y = gen.universal_target(None)
    assert reference["universal_fit"](10, x, y, seed=0, **gen.UNIVERSAL)[1] <= 0.3 * gen.UNIVERSAL_MSE["visible"]
    for _ in range(4):
        x, y = gen.universal_target(rng)
        seed = int(rng.integers(2**31))
        fits = [reference["universal_fit"](w, x, y, seed=seed, **gen.UNIVERSAL) for w in gen.UNIVERSAL_WIDTHS]
        assert fits[1][1] <= 0.6 * gen.UNIVERSAL_MSE["hidden"] and fits[1][1] < fits[0][1]
        assert np.isclose(fits[1][1], np.mean((gen.tanh_network(fits[1][0], x) - y) ** 2))


def test_inverted_dropout_preserves_the_mean_and_the_unscaled_one_does_not():
    A = np.full((200, 100), 3.0)
    means = [gen.dropout_definition(A, 0.6, s)[0].mean() for s in range(10)]
    assert abs(np.mean(means) / 3.0 - 1) < 0.02
    unscaled = A * (np.random.default_rng(0).random(A.shape) >= 0.6)
    assert abs(unscaled.mean() / 3.0 - 0.4) < 0.02


def dropout_verdict(got, A, p, training):
    """The misconception key a dropout_forward case names for ``got`` ("passed" when it passes)."""
    try:
        Case("dropout", "dropout_forward", (A, p, 3), kwargs={"training": training}, expect=gen.DROPOUT).judge(got, Oracles(None, reveal=True))
    except Mismatch as wrong:
        return wrong.misconception
    return "passed"


def test_dropout_mistakes_are_named_only_where_they_apply():
    """The unscaled pair (A * keep, keep) is a training mistake: named in training, never at inference, where
    the training recipe itself is the mistake; both parts must be the variant's."""
    A = np.random.default_rng(11).normal(size=(6, 5))
    keep = (np.random.default_rng(3).random(A.shape) >= 0.5).astype(float)
    assert dropout_verdict((A * keep, keep), A, 0.5, True) == "dropout_not_scaled"
    assert dropout_verdict((A * keep, keep), A, 0.5, False) is None
    assert dropout_verdict(gen.dropout_definition(A, 0.5, 3), A, 0.5, False) == "dropout_at_inference"
    assert dropout_verdict((A, np.zeros_like(A)), A, 0.5, True) is None and dropout_verdict((A, np.zeros_like(A)), A, 0.5, False) == "dropout_at_inference"
    assert dropout_verdict((A * keep, 2 * keep), A, 0.5, True) is None
    assert dropout_verdict(gen.dropout_definition(A, 0.5, 3), A, 0.5, True) == "passed"


# --- wrong answers: each catalogued mistake fails with its name ---------------------------------

L2_BIASES = "def l2_penalty(params, l2):\n    return 0.5 * l2 * sum(np.sum(W ** 2) + np.sum(b ** 2) for W, b in params)\n"
L2_GRAD_BIASES = "def l2_penalty_grad(params, l2):\n    return [(l2 * W, l2 * b) for W, b in params]\n"
EARLY_ONE_BASED = "def early_stopping(val_losses, patience):\n    best = 0\n    for t, loss in enumerate(val_losses):\n        if loss < val_losses[best]:\n            best = t\n        if t - best == patience:\n            return best + 1, t + 1\n    return best + 1, len(val_losses)\n"
EARLY_GLOBAL = "def early_stopping(val_losses, patience):\n    best = 0\n    for t, loss in enumerate(val_losses):\n        if loss < val_losses[best]:\n            best = t\n        if t - best == patience:\n            return int(np.argmin(val_losses)), t\n    return int(np.argmin(val_losses)), len(val_losses) - 1\n"
BN_MUTATES = mutate("batchnorm_forward", "    mean = Z.mean(axis=0)\n", "    mean = Z.mean(axis=0)\n    Z -= mean\n    mean = 0.0\n")

# (grade_id -> wrong source, question -> the misconception key it must name), grouped so that each
# submission's mistakes touch different questions.
SUBMISSIONS = {
    "first": ({
        "l2_penalty": L2_BIASES,
        "l2_penalty_grad": L2_GRAD_BIASES,
        "train_val_split": mutate("train_val_split", "return order[k:], order[:k]", "return order[:n - k], order[n - k:]"),
        "early_stopping": mutate("early_stopping", "if loss < val_losses[best]:", "if loss <= val_losses[best]:"),
        "grid_search": mutate("grid_search", "scores = np.zeros((len(lrs), len(l2s)))", "scores = np.zeros((len(l2s), len(lrs)))").replace("scores[i, j]", "scores[j, i]"),
        "dropout_forward": mutate("dropout_forward", "mask = keep / (1.0 - p)", "mask = keep.astype(float)"),
        "dropout_backward": "def dropout_backward(d_out, mask):\n    return d_out.copy()\n",
        "batchnorm_backward": mutate("batchnorm_backward", "dZ = inv_std * (g_hat - g_hat.mean(axis=0) - Z_hat * (g_hat * Z_hat).mean(axis=0))", "dZ = inv_std * g_hat"),
        "batchnorm_inference": "def batchnorm_inference(Z, gamma, beta, running_mean, running_var, eps=1e-5):\n    return gamma * (Z - Z.mean(axis=0)) / np.sqrt(Z.var(axis=0) + eps) + beta\n",
        "update_running": mutate("update_running", "momentum * running + (1.0 - momentum) * batch_value", "(1.0 - momentum) * running + momentum * batch_value"),
        "universal_fit": mutate("universal_fit", "float(np.mean((out - y) ** 2))", "float(0.5 * np.mean((out - y) ** 2))"),
    }, {
        "l2_penalty": "biases_regularised", "l2_penalty_grad": "biases_regularised", "train_val_split": "split_last_indices", "early_stopping": "early_last_best",
        "grid_search": "grid_transposed", "l2_helps": "grid_transposed", "dropout_forward": "dropout_not_scaled", "dropout_mean": "dropout_not_scaled",
        "dropout_backward": "dropout_backward_without_mask", "batchnorm_backward": "bn_backward_constant_stats", "batchnorm_inference": "bn_inference_batch_stats",
        "update_running": "running_momentum_swapped", "universal_fit": "universal_mse_misreported",
    }),
    "second": ({
        "l2_penalty": mutate("l2_penalty", "0.5 * l2 *", "l2 *"),
        "l2_penalty_grad": mutate("l2_penalty_grad", "(l2 * W,", "(2 * l2 * W,"),
        "train_val_split": mutate("train_val_split", "return order[k:], order[:k]", "return np.arange(k, n), np.arange(k)"),
        "early_stopping": mutate("early_stopping", "if t - best == patience:", "if t - best == patience + 1:"),
        "grid_search": mutate("grid_search", "accuracy(predict(params, X_val), y_val)", "accuracy(predict(params, X_train), y_train)"),
        "dropout_forward": mutate("dropout_forward", "mask = keep / (1.0 - p)", "mask = keep / p"),
        "dropout_backward": "def dropout_backward(d_out, mask):\n    return d_out * (mask > 0)\n",
        "batchnorm_forward": mutate("batchnorm_forward", "var = Z.var(axis=0) ", "var = Z.var(axis=0, ddof=1) "),
        "batchnorm_inference": mutate("batchnorm_inference", "np.sqrt(running_var + eps)", "(np.sqrt(running_var) + eps)"),
    }, {
        "l2_penalty": "l2_without_half", "l2_penalty_grad": "l2_grad_factor", "train_val_split": "split_not_shuffled", "early_stopping": "early_patience_off_by_one",
        "grid_search": "grid_training_accuracy", "l2_helps": "grid_training_accuracy", "dropout_forward": "dropout_scaled_by_p", "dropout_mean": "dropout_scaled_by_p",
        "dropout_backward": "dropout_backward_unscaled", "batchnorm_forward": "bn_unbiased_variance", "batchnorm_inference": "bn_eps_outside_root",
    }),
    "third": ({
        "train_val_split": mutate("train_val_split", "k = round(n * val_fraction)", "k = int(n * val_fraction)"),
        "early_stopping": EARLY_GLOBAL,
        "grid_search": mutate("grid_search", "l2, seed)", "l2, seed + i * len(l2s) + j)"),
        "dropout_forward": mutate("dropout_forward", ">= p", "< p"),
        "batchnorm_forward": mutate("batchnorm_forward", "inv_std = 1.0 / np.sqrt(var + eps)", "inv_std = 1.0 / (np.sqrt(var) + eps)"),
        "l2_penalty": mutate("l2_penalty", "0.5 * l2 *", "0.5 / l2 *"),
        "update_running": mutate("update_running", "momentum * running + (1.0 - momentum) * batch_value", "momentum * running - (1.0 - momentum) * batch_value"),
    }, {
        "l2_penalty": "l2_penalty_factor", "update_running": "running_term_missing",
        "train_val_split": "split_truncated", "early_stopping": "early_best_after_stop", "grid_search": "grid_seed_varies", "l2_helps": "grid_seed_varies",
        "dropout_forward": "dropout_mask_flipped", "dropout_mean": "dropout_mask_flipped", "batchnorm_forward": "bn_eps_outside_root",
    }),
    "fourth": ({
        "train_val_split": mutate("train_val_split", "return order[k:], order[:k]", "return order[:k], order[k:]"),
        "early_stopping": EARLY_ONE_BASED,
        "dropout_forward": mutate("dropout_forward", "if not training or p == 0:", "if p == 0:"),
        "batchnorm_forward": mutate("batchnorm_forward", "inv_std = 1.0 / np.sqrt(var + eps)", "inv_std = 1.0 / np.sqrt(var)"),
    }, {
        "train_val_split": "split_swapped", "early_stopping": "early_one_based", "dropout_forward": "dropout_at_inference", "batchnorm_forward": "bn_no_eps",
    }),
    "fifth": ({
        "early_stopping": mutate("early_stopping", "if t - best == patience:", "if t - best == patience - 1 or patience == 0:"),
        "batchnorm_forward": mutate("batchnorm_forward", "mean = Z.mean(axis=0)\n    var = Z.var(axis=0) ", "mean = Z.mean(axis=1, keepdims=True)\n    var = Z.var(axis=1, keepdims=True) "),
        "universal_fit": mutate("universal_fit", "(W - lr * dW, b - lr * db)", "(W + lr * dW, b - lr * db)"),
    }, {
        "early_stopping": "early_patience_off_by_one", "batchnorm_forward": "bn_wrong_axis", "universal_fit": "universal_update_rule",
    }),
    "seventh": ({
        "batchnorm_backward": mutate("batchnorm_backward", "dbeta = d_out.sum(axis=0)\n    dgamma = (d_out * Z_hat).sum(axis=0)", "dbeta = d_out.mean(axis=0)\n    dgamma = (d_out * Z_hat).mean(axis=0)"),
        "universal_fit": mutate("universal_fit", "out, cache = forward(params, x, activations)\n        grads = backward(params, cache, 2.0 * (out - y) / n, activations)",
                                "out, cache = forward(params, x[1:], activations)\n        grads = backward(params, cache, 2.0 * (out - y[1:]) / n, activations)"),
    }, {"batchnorm_backward": "bn_param_grads_averaged", "universal_fit": "universal_not_full_batch"}),
    "sixth": ({
        "batchnorm_backward": mutate("batchnorm_backward", "dZ = inv_std * (g_hat - g_hat.mean(axis=0) - Z_hat * (g_hat * Z_hat).mean(axis=0))", "dZ = inv_std * (g_hat - g_hat.mean(axis=0))"),
        "universal_fit": mutate("universal_fit", "2.0 * (out - y) / n", "(out - y) / n"),
    }, {"batchnorm_backward": "bn_backward_no_variance_path", "universal_fit": "universal_step_factor"}),
    "eighth": ({
        "train_val_split": mutate("train_val_split", "return order[k:], order[:k]", "return order[k + 1:], order[:k]"),
        "early_stopping": mutate("early_stopping", "return best, len(val_losses) - 1", "return best, len(val_losses)"),
        "dropout_forward": mutate("dropout_forward", "if not training or p == 0:", "if training or p == 0:"),
        "batchnorm_forward": mutate("batchnorm_forward", "return gamma * Z_hat + beta,", "return gamma * Z_hat,"),
        "update_running": mutate("update_running", "momentum * running + (1.0 - momentum) * batch_value", "momentum * running"),
        "universal_fit": mutate("universal_fit", "2.0 * (out - y) / n", "2.0 * (y - out) / n"),
    }, {
        "train_val_split": "split_cut_mismatch", "early_stopping": "early_stop_past_the_end", "dropout_forward": "dropout_skipped_in_training",
        "batchnorm_forward": "bn_scale_shift_missing", "update_running": "running_term_missing", "universal_fit": "universal_output_gradient",
    }),
    "ninth": ({
        "batchnorm_backward": mutate("batchnorm_backward", "dbeta = d_out.sum(axis=0)", "dbeta = d_out.sum()"),
        "batchnorm_inference": mutate("batchnorm_inference", "return gamma * (Z - running_mean)", "return (Z - running_mean)"),
    }, {"batchnorm_backward": "bn_wrong_axis", "batchnorm_inference": "bn_scale_shift_missing"}),
    "tenth": ({
        "batchnorm_forward": mutate("batchnorm_forward", "inv_std = 1.0 / np.sqrt(var + eps)", "inv_std = 1.0 / (var + eps)"),
        "batchnorm_inference": mutate("batchnorm_inference", "return gamma * (Z - running_mean)", "return gamma * Z"),
    }, {"batchnorm_forward": "bn_divisor_wrong", "batchnorm_inference": "bn_centre_wrong"}),
    "eleventh": ({
        "batchnorm_backward": mutate("batchnorm_backward", "dZ = inv_std * (g_hat - g_hat.mean(axis=0) -", "dZ = inv_std * (g_hat - g_hat.sum(axis=0) -"),
    }, {"batchnorm_backward": "bn_backward_term"}),
}


@pytest.mark.parametrize("label", list(SUBMISSIONS))
def test_each_typical_mistake_fails_its_questions_and_is_named(submit, label):
    """Every question named fails with its catalogued mistake; every other automatic question passes
    (a wrong batchnorm_forward also fails batchnorm_backward, which says to fix the forward pass first)."""
    sources, named = SUBMISSIONS[label]
    result = grade(submit(NAME, **sources), NAME)
    got = by_question(result)
    catalogue = ASSIGNMENT.misconceptions
    for question, key in named.items():
        assert got[question].status == "failed" and got[question].points == 0, (question, got[question].reason)
        assert (got[question].misconception, got[question].hint) == (catalogue[key].name, catalogue[key].hint), (question, got[question].misconception, got[question].reason)
    spill = {"batchnorm_backward"} if "batchnorm_forward" in sources else set()
    for question in set(AUTOMATIC) - set(named) - spill:
        assert got[question].passed, (question, got[question].reason)
    if spill - set(named):
        assert got["batchnorm_backward"].points == 0 and "fix batchnorm_forward first" in got["batchnorm_backward"].reason


def test_every_catalogued_mistake_is_named_by_a_wrong_answer_above():
    named = {key for _, keys in SUBMISSIONS.values() for key in keys.values()}
    assert named == set(ASSIGNMENT.misconceptions)


def test_an_input_changed_in_place_costs_the_question(submit):
    result = grade(submit(NAME, batchnorm_forward=BN_MUTATES), NAME)
    got = by_question(result)
    assert got["batchnorm_forward"].points == 0 and "modified its input" in got["batchnorm_forward"].reason


# --- correct answers written differently pass with no mistake named -------------------------------

DIFFERENT = {
    "l2_penalty": "def l2_penalty(params, l2):\n    total = 0.0\n    for W, b in params:\n        for w in W.ravel():\n            total += w * w\n    return l2 * total / 2\n",
    "l2_penalty_grad": "def l2_penalty_grad(params, l2):\n    out = []\n    for W, b in params:\n        out.append((W * l2, 0.0 * b))\n    return out\n",
    "train_val_split": ("def train_val_split(n, val_fraction, seed):\n    order = np.random.default_rng(seed).permutation(n)\n"
                        "    val, train = np.split(order, [int(round(n * val_fraction))])\n    return train, val\n"),
    "early_stopping": ("def early_stopping(val_losses, patience):\n    best, since = 0, 0\n    for t in range(len(val_losses)):\n"
                       "        if t > 0 and val_losses[t] < min(val_losses[:t]):\n            best, since = t, 0\n        elif t > 0:\n            since += 1\n"
                       "        if since >= patience:\n            return best, t\n    return best, len(val_losses) - 1\n"),
    "grid_search": ("def grid_search(X_train, y_train, X_val, y_val, lrs, l2s, hidden, epochs, batch_size, seed):\n"
                    "    return np.array([[np.mean(predict(train_classifier(X_train, y_train, hidden, lr, epochs, batch_size, l2, seed)[0], X_val) == y_val)"
                    " for l2 in l2s] for lr in lrs])\n"),
    "dropout_forward": ("def dropout_forward(A, p, seed, training=True):\n    if training and p > 0:\n        u = np.random.default_rng(seed).random(A.shape)\n"
                        "        mask = np.where(u < p, 0.0, 1.0 / (1.0 - p))\n    else:\n        mask = np.ones(A.shape)\n    return A * mask, mask\n"),
    "dropout_backward": "def dropout_backward(d_out, mask):\n    return np.multiply(d_out, mask)\n",
    "batchnorm_forward": ("def batchnorm_forward(Z, gamma, beta, eps=1e-5):\n    n = Z.shape[0]\n    mu = np.sum(Z, axis=0) / n\n    c = Z - mu\n"
                          "    var = np.sum(c * c, axis=0) / n\n    std = np.sqrt(var + eps)\n    return gamma * c / std + beta, (Z, gamma, eps)\n"),
    "batchnorm_backward": ("def batchnorm_backward(d_out, cache):\n    Z, gamma, eps = cache\n    n = Z.shape[0]\n    mean = Z.mean(axis=0)\n    centred = Z - mean\n"
                           "    var = (centred ** 2).mean(axis=0)\n    std = np.sqrt(var + eps)\n    Z_hat = centred / std\n    dZ_hat = d_out * gamma\n"
                           "    dcentred = dZ_hat / std\n    dvar = -(dZ_hat * centred).sum(axis=0) / (2 * std ** 3)\n    dcentred = dcentred + dvar * 2 * centred / n\n"
                           "    dZ = dcentred - dcentred.mean(axis=0)\n    return dZ, (d_out * Z_hat).sum(axis=0), d_out.sum(axis=0)\n"),
    "batchnorm_inference": ("def batchnorm_inference(Z, gamma, beta, running_mean, running_var, eps=1e-5):\n    scale = gamma / np.sqrt(running_var + eps)\n"
                            "    return Z * scale + (beta - running_mean * scale)\n"),
    "update_running": "def update_running(running, batch_value, momentum=0.9):\n    return running + (1 - momentum) * (batch_value - running)\n",
    "universal_fit": ("def universal_fit(width, x, y, epochs, lr, seed):\n    rng = np.random.default_rng(seed)\n    W1, b1 = rng.uniform(-4, 4, size=(1, width)), rng.uniform(-2, 2, size=width)\n"
                      "    W2, b2 = np.zeros((width, 1)), np.zeros(1)\n    n = len(x)\n    for _ in range(epochs):\n        H = np.tanh(x @ W1 + b1)\n        r = H @ W2 + b2 - y\n"
                      "        g = 2 * r / n\n        dH = (g @ W2.T) * (1 - H ** 2)\n        W2, b2, W1, b1 = W2 - lr * H.T @ g, b2 - lr * g.sum(0), W1 - lr * x.T @ dH, b1 - lr * dH.sum(0)\n"
                      "    return [(W1, b1), (W2, b2)], float(np.mean((np.tanh(x @ W1 + b1) @ W2 + b2 - y) ** 2))\n"),
}


def test_correct_answers_written_differently_pass_with_no_mistake_named(submit):
    result = grade(submit(NAME, **DIFFERENT), NAME)
    assert [(q.question, q.reason) for q in result.questions if q.status not in ("passed", "manual")] == []
    assert all(q.misconception is None for q in result.questions)


def test_the_graph_backward_above_is_the_one_in_the_different_answers():
    """The computational-graph backward tested against autograd is the one a student submits above."""
    rng = np.random.default_rng(12)
    Z, gamma, beta = gen._bn_inputs(rng, 5, 3, "tiny")
    d_out = rng.normal(size=(5, 3))
    namespace = {"np": np}
    exec(DIFFERENT["batchnorm_forward"] + DIFFERENT["batchnorm_backward"], namespace)
    _, cache = namespace["batchnorm_forward"](Z, gamma, beta)
    for a, b in zip(namespace["batchnorm_backward"](d_out, cache), graph_batchnorm_backward(d_out, Z, gamma, gen.EPS)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
