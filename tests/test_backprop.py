"""04_backprop: the solution passes everywhere, the stub scores zero, typical mistakes are caught
for the right reason, and the oracles (autograd, the definitions, the reference) agree."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from autograder import course
from autograder.judge import networks
from autograder.judge.compare import rel_error
from autograder.data import load
from autograder.student.probes.backprop import backprop_test_function
from autograder.questions import backprop as bp
import conftest
from conftest import ROOT, by_question, grade

NAME = "04_backprop"
mutate = partial(conftest.mutate, NAME)
assert_outcome = partial(conftest.assert_outcome, statuses=("failed", "error"))
ASSIGNMENT = course.get_assignment(NAME)
AUTOMATIC = [q.name for q in ASSIGNMENT if not q.manual]


@pytest.fixture(scope="module")
def reference():
    return course.reference(NAME, ROOT)


# --- the solution and the stub --------------------------------------------------------

# --- realistic wrong answers ------------------------------------------------------------

BACKWARD_OK = ["activations", "init_params", "forward", "mse", "numerical_gradient"]


@pytest.mark.parametrize("old, new, word", [
    ('delta = dA * ACTIVATIONS[activations[l]][1](cache["Z"][l])', "delta = dA", "f'(z)"),
    ("dA = delta @ params[l][0].T", "dA = delta @ params[l][0]", "transpose"),
    ("delta.sum(axis=0))", "delta.mean(axis=0))", "summed over the rows"),
    ("delta.sum(axis=0))", "delta)", "summed over the batch"),
    ('(cache["A"][l].T @ delta', '(cache["A"][l + 1].T @ delta', "off by one"),
    ('grads[l] = (cache["A"][l].T @ delta, delta.sum(axis=0))', 'grads[l] = (-(cache["A"][l].T @ delta), -delta.sum(axis=0))', "sign"),
], ids=["missing-fprime", "no-transpose", "db-mean", "db-not-summed", "off-by-one", "sign"])
def test_backward_mistakes(submit, old, new, word):
    """Is each typical backward mistake caught by the backward question, with a reason naming it?"""
    result = grade(submit(NAME, backward=mutate("backward", old, new)), NAME)
    assert_outcome(result, {"backward": word, "gradients": "layer"}, BACKWARD_OK)
    assert by_question(result)["backward"].status == "failed"


def test_cost_not_divided_and_forward_difference(submit):
    """mse_cost without 1/n and a one-sided difference: each fails its own question."""
    result = grade(submit(
        NAME,
        mse_cost=mutate("mse_cost", "0.5 * np.sum((A - Y) ** 2) / A.shape[0]", "0.5 * np.sum((A - Y) ** 2)"),
        numerical_gradient=mutate("numerical_gradient", "P[index] = old - eps\n                f_minus = f(work)", "P[index] = old\n                f_minus = f(work)").replace("/ (2 * eps)", "/ eps"),
    ), NAME)
    assert_outcome(result, {"mse": "a mean over the n rows", "numerical_gradient": "forward"},
                   ["activations", "init_params", "forward", "backward", "gradients", "vectorised", "train_xor"])
    assert by_question(result)["mse"].misconception == "cost not divided by n"
    assert by_question(result)["numerical_gradient"].misconception == "forward difference"


def test_sigmoid_prime_of_a_and_missing_two(submit):
    """sigma'(z) written as z (1 - z), and a central difference divided by eps: both named."""
    result = grade(submit(
        NAME,
        ACTIVATIONS=mutate("ACTIVATIONS", "s = sigmoid(z)\n    return s * (1.0 - s)", "return z * (1.0 - z)"),
        numerical_gradient=mutate("numerical_gradient", "/ (2 * eps)", "/ eps"),
    ), NAME)
    assert_outcome(result, {"activations": "f_prime receives z", "numerical_gradient": "2 * eps", "backward": "layer"},
                   ["init_params", "forward", "mse", "vectorised", "train_regression", "train_convention"])
    assert by_question(result)["activations"].misconception == "f'(a) instead of f'(z)"


def test_relu_prime_wrong_for_negative_z(submit):
    """ReLU's derivative 1 everywhere: the activations question names the negative side."""
    result = grade(submit(NAME, ACTIVATIONS=mutate("ACTIVATIONS", "return np.where(z > 0, 1.0, 0.0)", "return np.ones_like(z)")), NAME)
    assert_outcome(result, {"activations": "z < 0", "backward": "layer"},
                   ["init_params", "forward", "mse", "numerical_gradient", "train_regression", "train_xor", "vectorised"])


LOOP_BACKWARD = '''
def backward(params, cache, dC_dA_out, activations):
    grads = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
    for i in range(dC_dA_out.shape[0]):          # one sample at a time
        dA = dC_dA_out[i]
        for l in reversed(range(len(params))):
            delta = dA * ACTIVATIONS[activations[l]][1](cache["Z"][l][i])
            grads[l] = (grads[l][0] + np.outer(cache["A"][l][i], delta), grads[l][1] + delta)
            dA = params[l][0] @ delta
    return grads
'''


LOOP_FORWARD = '''
def forward(params, X, activations):
    Zs, As = [[] for _ in params], [[] for _ in params]
    for i in range(X.shape[0]):                  # one sample at a time
        a = X[i]
        for l, ((W, b), name) in enumerate(zip(params, activations)):
            z = a @ W + b
            a = ACTIVATIONS[name][0](z)
            Zs[l].append(z)
            As[l].append(a)
    cache = {"Z": [np.array(z) for z in Zs], "A": [X] + [np.array(a) for a in As]}
    return cache["A"][-1], cache
'''


@pytest.mark.parametrize("grade_id, source", [("backward", LOOP_BACKWARD), ("forward", LOOP_FORWARD)], ids=["backward", "forward"])
def test_loop_over_samples_fails_only_vectorised(submit, grade_id, source):
    """A correct but per-sample forward or backward: only the vectorisation question fails, and says the ratio."""
    result = grade(submit(NAME, **{grade_id: source}), NAME)
    others = [name for name in AUTOMATIC if name != "vectorised"]
    assert_outcome(result, {"vectorised": "loop over the samples"}, others)
    assert "x the" in by_question(result)["vectorised"].reason


# --- the oracles ---------------------------------------------------------------------------

def test_autograd_agrees_with_reference_and_hand_backward(reference):
    """On random networks (every activation, depths 1-4), do autograd, the reference and the instructor-only mutant backward (with no mistake) agree?"""
    rng = np.random.default_rng(5)
    for sizes, acts, n in bp._visible_networks() + bp._hidden_networks(rng):
        params, X = bp.random_network(rng, sizes, acts, n)
        G = rng.normal(size=(n, sizes[-1]))
        out, cache = networks.forward_pass(params, X, acts)
        ref_out, ref_cache = reference["forward"](params, X, acts)
        np.testing.assert_allclose(ref_out, out, rtol=1e-12, atol=1e-14)
        expected = bp.linear_cost_grads(params, X, acts, G)
        for got in (reference["backward"](params, ref_cache, G, acts), reference["mistaken_backward"](params, cache, G, acts, "none")):
            for (dW, db), (eW, eb) in zip(got, expected):
                assert rel_error(dW, eW) < 1e-10 and rel_error(db, eb) < 1e-10


def test_kinks_are_avoided():
    """Do the random networks keep ReLU/leaky ReLU/ELU pre-activations away from 0?"""
    rng = np.random.default_rng(11)
    for _ in range(30):
        for sizes, acts, n in bp._hidden_networks(rng):
            params, X = bp.random_network(rng, sizes, acts, n)
            _, cache = networks.forward_pass(params, X, acts)
            for Z, name in zip(cache["Z"], acts):
                assert name not in bp.KINKED or np.min(np.abs(Z)) > bp.KINK_GAP


def test_activation_oracle_matches_table_derivatives(reference):
    """Do autograd's derivatives of the definitions equal the reference's f_prime (z away from kinks)?"""
    z = np.linspace(-4, 4, 81) + 0.013
    for name in networks.ACTIVATION_NAMES:
        f, f_prime = reference["ACTIVATIONS"][name]
        np.testing.assert_allclose(f(z), networks.apply_activation(name, z), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(f_prime(z), networks.activation_prime(name, z), rtol=1e-10, atol=1e-14)


def test_gradient_checker_agrees_with_autograd(reference):
    """Does the reference gradient checker agree with autograd on both test functions (and on the MSE of a network)?"""
    import autograd.numpy as anp

    rng = np.random.default_rng(2)
    params = [(0.5 * rng.normal(size=(3, 4)), 0.5 * rng.normal(size=4)), (0.5 * rng.normal(size=(4, 2)), 0.5 * rng.normal(size=2))]
    for name in ("cubic", "network"):
        numeric = reference["numerical_gradient"](backprop_test_function(name), params)
        exact = networks.autograd_grads(params, backprop_test_function(name, anp))
        for (nW, nb_), (eW, eb) in zip(numeric, exact):
            np.testing.assert_allclose(nW, eW, rtol=1e-6, atol=2e-8)
            np.testing.assert_allclose(nb_, eb, rtol=1e-6, atol=2e-8)
    X, Y, acts = rng.normal(size=(5, 3)), rng.normal(size=(5, 2)), ["elu", "sigmoid"]
    numeric = reference["numerical_gradient"](lambda p: reference["mse_cost"](reference["forward"](p, X, acts)[0], Y), params)
    for (nW, nb_), (eW, eb) in zip(numeric, bp.mse_grads(params, X, Y, acts)):
        np.testing.assert_allclose(nW, eW, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(nb_, eb, rtol=1e-6, atol=1e-8)


def test_full_batch_oracle_matches_reference_train(reference):
    """With batch_size >= n, is the grader's gradient-descent oracle the reference's train?"""
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(12, 3)), rng.normal(size=(12, 2))
    setup = {"layer_sizes": [3, 4, 2], "activations": ["tanh", "identity"], "lr": 0.3, "epochs": 4, "batch_size": 12}
    params, losses = reference["train"](X, Y, seed=9, **setup)
    exp_params, exp_losses = bp._full_batch_descent(X, Y, setup, 9)
    np.testing.assert_allclose(losses, exp_losses, rtol=1e-10)
    for (W, b), (eW, eb) in zip(params, exp_params):
        np.testing.assert_allclose(W, eW, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(b, eb, rtol=1e-10, atol=1e-14)


def test_training_targets_hold_for_the_reference(reference):
    """Does the reference learn XOR from every seed the hidden cases use, and fit the regression from several seeds with margin?"""
    data = load("xor")
    X, Y = data["X"], data["y"][:, None]
    for seed in bp.XOR_SEEDS:
        params, _ = reference["train"](X, Y, seed=seed, **bp.XOR)
        out = reference["forward"](params, X, bp.XOR["activations"])[0]
        assert np.array_equal(out > 0.5, Y > 0.5), seed
    data = load("regression")
    finals = [reference["train"](data["X"], data["Y"], seed=seed, **bp.REGRESSION)[1][-1] for seed in (0, 1, 2, 3, 1234, 9999)]
    assert max(finals) < bp.REGRESSION_THRESHOLD / 2.5, finals


@pytest.mark.parametrize("ratio, measured_again, named", [(1.5, False, None), (6.0, True, "loop_over_samples"), (20.0, False, "loop_over_samples")])
def test_a_timing_pass_near_the_limit_is_confirmed_against_a_new_baseline(monkeypatch, ratio, measured_again, named):
    """The baseline is the best of the grader's measurements; one more is made only for a pass that a
    slow baseline could have given (between VECTORISED_FACTOR / BASELINE_DOUBT and the limit), where a
    better baseline (here half the first) can turn it into the failure it is."""
    from autograder.judge.compare import Mismatch
    from autograder.judge.question import Oracles

    asked = []
    monkeypatch.setattr(bp, "baseline_cpu_seconds", lambda *key, again=False: asked.append(again) or (0.5 if again else 1.0))
    sizes, n, repeats = bp.TIMING["layer_sizes"], bp.TIMING["n"], 5
    _, sums = bp._expected_sums(tuple(sizes), n, repeats, 3)
    check = bp._timing_check(sizes, n, repeats, 3)
    assert 1.5 < bp.VECTORISED_FACTOR / bp.BASELINE_DOUBT < 6.0 < bp.VECTORISED_FACTOR < 12.0
    try:
        check([[W.copy(), b.copy()] for W, b in sums], Oracles(None, True, cpu_seconds=ratio))
        failure = None
    except Mismatch as mismatch:
        failure = mismatch.misconception
    assert asked == [False, True] if measured_again else asked == [False]
    assert failure == named
