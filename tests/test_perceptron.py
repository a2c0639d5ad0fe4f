"""02_perceptron: the solution scores full marks everywhere, the stub scores nothing,
typical wrong answers fail the right questions for a named reason, and the oracles agree."""

from __future__ import annotations

import numpy as np
import pytest

from autograder import course
from autograder.questions import perceptron as P

from conftest import ROOT, by_question, grade

NAME = "02_perceptron"
ASSIGNMENT = course.get_assignment(NAME)
AUTOMATIC = [q.name for q in ASSIGNMENT if not q.manual]


@pytest.fixture(scope="module")
def reference():
    return course.reference(NAME, ROOT)


def assert_only_fail(result, failing: dict[str, list[str]]):
    """Questions in ``failing`` failed with 0 points and a reason containing each word; every other one passed."""
    questions = by_question(result)
    for name in AUTOMATIC:
        q = questions[name]
        if name in failing:
            assert q.status == "failed" and q.points == 0, (name, q.status, q.reason)
            for word in failing[name]:
                assert word.lower() in q.reason.lower(), (name, word, q.reason)
        else:
            assert q.passed, (name, q.status, q.reason)


# ---------------------------------------------------------------- the solution and the stub


@pytest.mark.parametrize("seed", range(40))
def test_reference_passes_hidden_cases_for_many_seeds(reference, seed):
    """Is every hidden case, for any grading seed, passed by the reference itself (no flaky cases)?"""
    from autograder.engine import judge_all, plan, requests_for
    from autograder.probes import run_call

    questions = [q for q in ASSIGNMENT if not q.manual]
    planned = plan(ASSIGNMENT, questions, seed * 7919 + 1)
    results = judge_all(questions, planned, [run_call(reference, r) for r in requests_for(planned)], reference)
    assert all(q.passed for q in results), [(q.question, q.reason) for q in results if not q.passed]


# ---------------------------------------------------------------- oracle agreement


def test_digests_agree_with_reference(reference):
    """Were the visible cases' salted digests made by the current reference?"""
    assert P.expected_digests(reference["perceptron_train"]) == P.DIGESTS


def test_novikoff_definition_agrees_with_reference_and_data(reference):
    """Do the check's definitions of margin, radius and the bound agree with the reference and with the shipped gamma?"""
    for name in P.SEPARABLE:
        X_h, y, w_star = P.shipped(name)
        bound = P.novikoff(X_h, y, w_star)
        assert bound == pytest.approx(reference["novikoff_bound"](X_h, y, w_star), rel=1e-12)
        R = np.linalg.norm(X_h, axis=1).max()
        assert reference["margin"](X_h, y, w_star) == pytest.approx(float(np.load(ROOT / "datasets" / f"{name}.npz")["gamma"]), rel=1e-12)
        assert reference["radius"](X_h) == pytest.approx(R, rel=1e-12)
        run = reference["perceptron_train"](X_h, y, max_epochs=1000)
        assert run["converged"] and run["mistakes"] <= bound


def test_worked_properties_of_reference(reference):
    """Does the reference behave as the prose claims: XOR never converges, eta only scales w?"""
    X_h = P.homogeneous(np.load(ROOT / "datasets" / "xor.npz")["X"])
    y = np.load(ROOT / "datasets" / "xor.npz")["y_sign"]
    run = reference["perceptron_train"](X_h, y, max_epochs=20)
    assert not run["converged"] and run["epochs"] == 20
    X_h, y, _ = P.shipped("separable_medium")
    one, other = (reference["perceptron_train"](X_h, y, eta=eta) for eta in (1.0, 0.3))
    assert one["mistakes"] == other["mistakes"] and np.allclose(other["w"], 0.3 * one["w"], rtol=1e-12)


# ---------------------------------------------------------------- realistic wrong answers

TRAIN = '''def perceptron_train(X_h, y, eta=1.0, max_epochs=100):
    w = np.zeros(X_h.shape[1])
    history = []
{body}
'''

STRICT = TRAIN.format(body='''    for epoch in range(1, max_epochs + 1):
        updated = False
        for i in range(len(y)):
            if y[i] * (w @ X_h[i]) < 0:
                w = w + eta * y[i] * X_h[i]
                history.append(w.copy())
                updated = True
        if not updated:
            return {"w": w, "mistakes": len(history), "epochs": epoch, "converged": True, "history": history}
    return {"w": w, "mistakes": len(history), "epochs": max_epochs, "converged": False, "history": history}''')

SHUFFLED = TRAIN.format(body='''    rng = np.random.default_rng(0)
    for epoch in range(1, max_epochs + 1):
        updated = False
        for i in rng.permutation(len(y)):
            if y[i] * (w @ X_h[i]) <= 0:
                w = w + eta * y[i] * X_h[i]
                history.append(w.copy())
                updated = True
        if not updated:
            return {"w": w, "mistakes": len(history), "epochs": epoch, "converged": True, "history": history}
    return {"w": w, "mistakes": len(history), "epochs": max_epochs, "converged": False, "history": history}''')

EPOCHS_OFF_BY_ONE = TRAIN.format(body='''    converged = False
    for epoch in range(max_epochs):
        updated = False
        for i in range(len(y)):
            if y[i] * (w @ X_h[i]) <= 0:
                w = w + eta * y[i] * X_h[i]
                history.append(w.copy())
                updated = True
        if not updated:
            converged = True
            break
    return {"w": w, "mistakes": len(history), "epochs": epoch, "converged": converged, "history": history}''')

ALIASED_HISTORY = TRAIN.format(body='''    for epoch in range(1, max_epochs + 1):
        updated = False
        for i in range(len(y)):
            if y[i] * (w @ X_h[i]) <= 0:
                w += eta * y[i] * X_h[i]
                history.append(w)
                updated = True
        if not updated:
            return {"w": w, "mistakes": len(history), "epochs": epoch, "converged": True, "history": history}
    return {"w": w, "mistakes": len(history), "epochs": max_epochs, "converged": False, "history": history}''')

RESTART_AFTER_UPDATE = TRAIN.format(body='''    epochs = 0
    while epochs < max_epochs:
        epochs += 1
        for i in range(len(y)):
            if y[i] * (w @ X_h[i]) <= 0:
                w = w + eta * y[i] * X_h[i]
                history.append(w.copy())
                break  # start the sweep again from sample 0
        else:
            return {"w": w, "mistakes": len(history), "epochs": epochs, "converged": True, "history": history}
    return {"w": w, "mistakes": len(history), "epochs": epochs, "converged": False, "history": history}''')

RANDOM_START = TRAIN.format(body='''    w = np.random.default_rng(0).normal(scale=0.01, size=X_h.shape[1])  # "small random weights", as for networks
    for epoch in range(1, max_epochs + 1):
        updated = False
        for i in range(len(y)):
            if y[i] * (w @ X_h[i]) <= 0:
                w = w + eta * y[i] * X_h[i]
                history.append(w.copy())
                updated = True
        if not updated:
            return {"w": w, "mistakes": len(history), "epochs": epoch, "converged": True, "history": history}
    return {"w": w, "mistakes": len(history), "epochs": max_epochs, "converged": False, "history": history}''')


def test_sign_conventions_and_norms(submit):
    """Bias column last, np.sign(0) = 0 and a margin not divided by ||w||: each named (novikoff_bound reuses margin)."""
    result = grade(submit(
        NAME,
        add_bias="def add_bias(X):\n    return np.hstack([X, np.ones((X.shape[0], 1))])\n",
        predict="def predict(X_h, w):\n    return np.sign(X_h @ w)\n",
        margin="def margin(X_h, y, w):\n    return np.min(y * (X_h @ w))\n",
    ), NAME)
    assert_only_fail(result, {"add_bias": ["last"], "predict": ["np.sign", "-1"], "margin": ["dividing by ||w||"], "novikoff_bound": ["differ"]})
    q = by_question(result)
    assert (q["predict"].misconception, q["margin"].misconception) == ("np.sign(0) = 0", "margin not normalised")


def test_strict_inequality_labels01_squared_radius(submit):
    """Update on < 0 (never starts from w = 0), labels {0, 1} from predict, radius with squared norms."""
    result = grade(submit(
        NAME,
        perceptron_train=STRICT,
        predict="def predict(X_h, w):\n    return (X_h @ w > 0).astype(float)\n",
        radius="def radius(X_h):\n    return float(np.max(np.sum(X_h**2, axis=1)))\n",
    ), NAME)
    assert_only_fail(result, {
        "perceptron_train": ["no update", "< 0"], "perceptron_xor": ["converged is true"], "eta_invariance": ["no update"],
        "predict": ["{0, 1}"], "radius": ["squared"], "novikoff_bound": ["differ"],
    })
    q = by_question(result)
    assert q["perceptron_train"].misconception == "strict inequality"
    assert q["predict"].misconception == "labels {0,1}"
    assert q["radius"].misconception == "squared norm"


def test_shuffled_sweep_and_unsquared_bound(submit):
    """A perceptron that shuffles the samples, and R / gamma without the square. The shuffle is
    perceptron_train's exactness clause alone: on XOR a shuffled run still never converges, so the
    XOR question (its own clause) passes rather than charging the shuffle a second time."""
    result = grade(submit(
        NAME,
        perceptron_train=SHUFFLED,
        novikoff_bound="def novikoff_bound(X_h, y, w_star):\n    return radius(X_h) / margin(X_h, y, w_star)\n",
    ), NAME)
    assert_only_fail(result, {"perceptron_train": ["order"], "novikoff_bound": ["square"]})
    assert by_question(result)["perceptron_train"].misconception == "sweep order"


def test_epochs_off_by_one(submit):
    """epochs taken from a 0-based loop index: one too few (also on XOR, where it should be max_epochs)."""
    result = grade(submit(NAME, perceptron_train=EPOCHS_OFF_BY_ONE), NAME)
    assert_only_fail(result, {"perceptron_train": ["off by one"], "perceptron_xor": ["off by one"]})
    assert by_question(result)["perceptron_train"].misconception == "epochs off by one"


def test_history_aliasing(submit):
    """history.append(w) with an in-place update: every entry is the final w."""
    result = grade(submit(NAME, perceptron_train=ALIASED_HISTORY), NAME)
    assert_only_fail(result, {"perceptron_train": ["same vector", "copy"], "perceptron_xor": ["copy"]})
    assert by_question(result)["perceptron_train"].misconception == "history aliasing"


def test_random_start_fails_eta_invariance(submit):
    """Small random initial weights: the mistakes then depend on eta, and the exact checks fail too."""
    result = grade(submit(NAME, perceptron_train=RANDOM_START), NAME)
    q = by_question(result)
    assert q["eta_invariance"].status == "failed" and q["eta_invariance"].points == 0
    assert "eta" in q["eta_invariance"].reason


def test_restarting_the_sweep_after_each_update(submit, reference):
    """Valid updates, but the sweep restarts at sample 0 after each one: caught by the digests (visible) and the reference (hidden)."""
    result = grade(submit(NAME, perceptron_train=RESTART_AFTER_UPDATE), NAME)
    q = by_question(result)["perceptron_train"]
    assert q.status == "failed" and q.points == 0 and q.misconception == "sweep order"
    assert "then differs at update" in q.reason and "does not update on it there" in q.reason
    namespace = {"np": np}
    exec(RESTART_AFTER_UPDATE, namespace)
    X_h, y, w_star = P.random_separable(np.random.default_rng(5), 30, 2, 0.05)
    check = P._train_check(X_h, y, 1.0, 100, w_star, None)
    from autograder.question import Oracles

    with pytest.raises(P.Mismatch, match="then differs"):
        check(namespace["perceptron_train"](X_h, y), Oracles(reference, reveal=False))
