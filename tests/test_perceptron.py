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
    from autograder.judge.engine import judge_all, plan, requests_for
    from autograder.student.probes import run_call

    questions = [q for q in ASSIGNMENT if not q.manual]
    planned = plan(ASSIGNMENT, questions, seed * 7919 + 1)
    results = judge_all(questions, planned, [run_call(reference, r) for r in requests_for(planned)], reference)
    assert all(q.passed for q in results), [(q.question, q.reason) for q in results if not q.passed]


# ---------------------------------------------------------------- oracle agreement


def test_digests_agree_with_reference(reference):
    """Were the visible cases' salted digests made by the current reference?"""
    assert P.expected_digests(reference) == P.DIGESTS


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
    assert_only_fail(result, {"add_bias": ["entries differ"], "predict": ["np.sign", "-1"], "margin": ["margin(X_h, y, w) is", "differs"], "novikoff_bound": ["differ"]})
    q = by_question(result)
    assert (q["add_bias"].misconception, q["predict"].misconception, q["margin"].misconception) == ("bias column last", "np.sign(0) = 0", "margin not normalised")


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
        "predict": ["{0, 1}"], "radius": ["radius(X_h) is", "differs"], "novikoff_bound": ["differ"],
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
    assert_only_fail(result, {"perceptron_train": ["order"], "novikoff_bound": ["novikoff_bound(X_h, y, w_star) is", "differs"]})
    q = by_question(result)
    assert (q["perceptron_train"].misconception, q["novikoff_bound"].misconception) == ("sweep order", "bound not squared")


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
    from autograder.judge.question import Oracles

    with pytest.raises(P.Mismatch, match="then differs"):
        check(namespace["perceptron_train"](X_h, y), Oracles(reference, reveal=False))


# ---------------------------------------------------------------- textbook perceptrons: the tie rule, named and charged once

from fixtures import textbook_perceptrons as T  # noqa: E402


def _points(name: str) -> float:
    return ASSIGNMENT[name].points


def test_zero_score_labelled_plus_one_in_predict_is_charged_in_predict_and_training_says_so(submit):
    """A textbook predict (net input >= 0 -> +1) used by the training loop: predict is named by its tie
    rule; perceptron_train fails because of predict, is named by the training tie rule (never "do not
    shuffle") and is charged only what predict was not; XOR and eta invariance, whose own clauses
    hold, pass."""
    result = grade(submit(NAME, **T.ZERO_GOES_TO_PLUS), NAME)
    q = by_question(result)
    assert q["predict"].misconception == "0 counts as +1" and q["predict"].points == 0
    train = q["perceptron_train"]
    assert train.status == "failed" and train.caused_by == "predict"
    assert train.reason.startswith("Fails because of `predict`") and train.misconception == "strict inequality"
    assert "scores y_i (w . x_i) = 0 exactly" in train.reason and "shuffle" not in train.reason
    assert train.excused == pytest.approx(min(_points("predict"), _points("perceptron_train")))
    assert train.points == pytest.approx(train.excused)
    for name in ("perceptron_xor", "eta_invariance", "add_bias", "margin", "radius", "novikoff_bound"):
        assert q[name].passed, (name, q[name].reason)
    lost = ASSIGNMENT.max_points - _points("eta_written") - result.score
    assert lost == pytest.approx(max(_points("predict"), _points("perceptron_train")))  # one cause, one charge
    again = grade(submit(NAME, student="again", **T.ZERO_GOES_TO_PLUS), NAME, seed=77)
    assert [(r.question, r.points) for r in again.questions] == [(r.question, r.points) for r in result.questions]


def test_update_when_the_prediction_is_wrong_is_the_training_tie_rule_charged_in_training_alone(submit):
    """predict as the course defines it, and training on ``predict(x_i) != y_i``: a zero score counts as
    correct for -1 samples. Named by the tie rule where it lives (perceptron_train), nowhere else."""
    result = grade(submit(NAME, **T.PREDICTION_IS_WRONG), NAME)
    assert_only_fail(result, {"perceptron_train": ["= 0 exactly", "label -1"]})
    train = by_question(result)["perceptron_train"]
    assert train.misconception == "strict inequality" and train.caused_by is None and "shuffle" not in train.reason


def test_np_sign_that_never_updates_names_predict_first_everywhere(submit):
    """np.sign as predict, and an update only on the opposite sign: sign(0) = 0 is 'correct', so from
    w = 0 nothing is ever updated. Each training question says it fails because of predict, keeping
    its own recognised mistake (the training tie rule, convergence claimed on XOR)."""
    result = grade(submit(NAME, **T.SIGN_OPPOSITE), NAME)
    q = by_question(result)
    assert q["predict"].misconception == "np.sign(0) = 0"
    for name, own in (("perceptron_train", "strict inequality"), ("perceptron_xor", "converged on XOR"), ("eta_invariance", "strict inequality")):
        assert q[name].caused_by == "predict" and q[name].reason.startswith("Fails because of `predict`"), (name, q[name].reason)
        assert q[name].misconception == own
    assert "(through `perceptron_train`)" in q["perceptron_xor"].reason.splitlines()[0]


@pytest.mark.parametrize("variant", ["CORRECT_TEXTBOOK", "CORRECT_VIA_PREDICT"])
def test_textbook_perceptrons_written_right_pass_naming_nothing(submit, variant):
    result = grade(submit(NAME, student=variant.lower(), **getattr(T, variant)), NAME)
    assert_only_fail(result, {})
    assert all(q.misconception is None and q.caused_by is None for q in result.questions)


def _tie_case(rng, label: float):
    """Random separable data whose sample 0 is labelled ``label`` (so w = 0 ties on it first)."""
    while True:
        X_h, y, w_star = P.random_separable(rng, 25, 2, 0.05)
        if y[0] == label:
            return X_h, y, w_star


@pytest.mark.parametrize("fixture, label", [("ZERO_GOES_TO_PLUS", 1.0), ("PREDICTION_IS_WRONG", -1.0)])
def test_hidden_cases_name_the_first_difference_with_the_reference_without_values(reference, fixture, label):
    """On a hidden case the tie rule reads as on a visible one: how many updates agree with the
    reference, then the cause of the first difference; no sample index, no reference value."""
    from autograder.judge.question import Oracles

    namespace = {"np": np, "predict": reference["predict"]}
    for source in getattr(T, fixture).values():
        exec(source, namespace)
    X_h, y, w_star = _tie_case(np.random.default_rng(3), label)
    with pytest.raises(P.Mismatch) as failure:
        P._train_check(X_h, y, 1.0, 100, w_star, None)(namespace["perceptron_train"](X_h, y), Oracles(reference, reveal=False))
    message = failure.value.message
    assert failure.value.misconception == "strict_inequality"
    assert "from its first update on" in message or "agrees with the reference for the first" in message
    assert "reference" in message and "sample 0" not in message and "scores y_i (w . x_i) = 0 exactly" in message
    expected = reference["perceptron_train"](X_h, y)
    assert str(expected["mistakes"]) not in message.replace(str(len(y)), "")


def test_a_tie_later_in_the_run_is_found_where_it_happens(reference):
    """Integer data make a zero score possible after the start: the walk finds the first update where
    the tie-rule run and the rule part, and the visible message counts the agreeing updates."""
    namespace = {"np": np}
    exec(T.PREDICTION_IS_WRONG["perceptron_train"], namespace)
    X_h = P.homogeneous(np.array([[2.0, 1.0], [0.0, -1.0], [-1.0, -2.0], [-2.0, -2.0], [-2.0, 2.0], [1.0, 2.0]]))
    y = np.array([1.0, 1.0, 1.0, 1.0, -1.0, -1.0])  # separated by w = (0.5, 1, -1); sample 5 ties after 3 updates
    run = P.read_run(namespace["perceptron_train"](X_h, y), 3)
    expected = P.read_run(reference["perceptron_train"](X_h, y), 3)
    order, expected_order = P.updates_of(run, X_h, y, 1.0), P.updates_of(expected, X_h, y, 1.0)
    assert order != expected_order
    k = next(i for i, (a, b) in enumerate(zip(order + [None], expected_order + [None])) if a != b)
    found = P.sweep_walk(order, run, X_h, y, 1.0, 100)
    assert found is not None and found[0] == k and found[1] == P.ZERO_SCORE
    named = P.departure(order, run, X_h, y, 1.0, 100, reveal=True)
    assert named.misconception == "strict_inequality"
    assert k == 3 and "for the first 3 update(s), then differs at update 4, which your run never makes: sample 5, labelled -1" in named.message
