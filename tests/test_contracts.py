"""Every clause of every student function's contract is checked by a case, and by a visible one."""

from __future__ import annotations

import pytest

from autograder import course
from autograder.judge.compare import expect_close
from autograder.judge.contracts import coverage, problems
from autograder.judge.question import Assignment, Case

NAMES = sorted(course.assignments())


@pytest.mark.parametrize("name", NAMES)
def test_every_clause_has_a_visible_case(name):
    assert problems(course.get_assignment(name), hidden_seed=20261202) == []


@pytest.mark.parametrize("name", NAMES)
def test_contracts_have_clauses_and_sentences(name):
    assignment = course.get_assignment(name)
    for fn, clauses in assignment.contracts.items():
        assert clauses, f"{name}: the contract of {fn} declares no clause"
        assert all(sentence.strip() for sentence in clauses.values())


def _toy(case_clauses, question_clauses=(), hidden_clauses=()):
    toy = Assignment("00_toy", "toy.ipynb", "toy")
    toy.contract("f", shape="f returns (n,)", dtype="f returns float64", copy="f does not change x")

    @toy.question(points=1, functions=("f",), clauses=question_clauses)
    def q(rng, hidden):
        yield Case("a", "f", (), check=lambda got, oracles: expect_close(got, 1.0, "f()"), clauses=hidden_clauses if hidden else case_clauses)

    return toy


def test_a_clause_no_case_checks_is_reported():
    found = problems(_toy(("f.shape",), question_clauses=("f.dtype",)))
    assert found == ["00_toy: no case checks 'f.copy' (f does not change x)"]


def test_a_clause_only_hidden_cases_check_is_reported():
    found = problems(_toy(("f.shape", "f.dtype"), hidden_clauses=("f.copy",)))
    assert len(found) == 1 and "only hidden cases check 'f.copy'" in found[0]


def test_an_unknown_clause_and_a_missing_contract_are_reported():
    toy = _toy(("f.shape", "f.dtype", "f.copy", "f.typo"))
    toy.question(points=1, functions=("g",))(lambda rng, hidden: iter(()))
    found = problems(toy)
    assert any("'f.typo', which no contract declares" in p for p in found)
    assert any("`g` is exercised by a question but has no declared contract" in p for p in found)
    toy.contract("h", value="h returns 1")
    assert any("declared for `h`, which no question exercises" in p for p in problems(toy))


def test_coverage_counts_visible_and_hidden_cases():
    rows = {r.clause: (r.visible, r.hidden) for r in coverage(_toy(("f.shape",), question_clauses=("f.dtype",), hidden_clauses=("f.copy",)))}
    assert rows == {"f.shape": (1, 0), "f.dtype": (1, 1), "f.copy": (0, 1)}


# --- wrong answers to clauses no case used to check: each fails, named; correct variants pass unnamed ---

import numpy as np  # noqa: E402
from conftest import ROOT  # noqa: E402

from autograder.course import notebook as nb  # noqa: E402
from autograder.judge.engine import judge_all, plan, requests_for  # noqa: E402
from autograder.student.probes import run_call  # noqa: E402


def _solution_cell(assignment, grade_id: str) -> str:
    cells = {c.label: c.source for c in nb.solution_cells(nb.read(course.solution_path(assignment, ROOT)))}
    return "\n".join(line for line in cells[grade_id].splitlines() if "SOLUTION" not in line)


def judged(name: str, question: str, grade_id: str, *changes: tuple[str, str], hidden_seed: int | None = 20261202, only_hidden: bool = False,
           with_reference: bool = True):
    """The result of ``question`` for the reference with ``grade_id``'s cell changed by ``changes`` (in-process): visible
    cases, plus hidden ones from ``hidden_seed`` (``only_hidden``: those alone); ``with_reference=False`` judges as a
    student's notebook does, where the reference (and with it every fingerprint) is absent."""
    assignment = course.get_assignment(name)
    full = course.reference(name, ROOT)
    source = _solution_cell(assignment, grade_id)
    for old, new in changes:
        assert old in source, old
        source = source.replace(old, new)
    namespace = dict(full)  # the provided cells' names; every answer cell is run again here, so each function's globals are this namespace
    for cell in nb.solution_cells(nb.read(course.solution_path(assignment, ROOT))):
        exec(source if cell.label == grade_id else _solution_cell(assignment, cell.label), namespace)
    questions = [assignment[question]]
    planned = [p for p in plan(assignment, questions, hidden_seed) if p.hidden or not only_hidden]
    (result,) = judge_all(questions, planned, [run_call(namespace, r) for r in requests_for(planned)], full if with_reference else None)
    return result


def _visible_only(*args, **kwargs):
    return judged(*args, **kwargs, hidden_seed=None)


WRONG = [  # (assignment, question, cell, changes, catalogue key or None, words the reason must contain)
    ("05_softmax", "classifier_step", "train_classifier", [("b -= lr * db", "b -= lr * (db + l2 * b)")], "biases regularised", "shrinks the biases"),
    ("05_softmax", "classifier_step", "train_classifier", [("b -= lr * db", "b *= 1.0 - lr * l2\n                b -= lr * db")], "biases regularised",
     "shrinks the biases"),
    ("04_backprop", "train_convention", "train", [("rows_in_order = shuffler.permutation(n)", "rows_in_order = np.arange(n)")],
     "mini-batches not shuffled", "not shuffled"),
    ("04_backprop", "train_convention", "train",
     [("rows_in_order = shuffler.permutation(n)", "rows_in_order = np.random.default_rng(seed).permutation(n)")], "one permutation for every epoch", "permutation"),
    ("04_backprop", "train_convention", "train", [("shuffler = np.random.default_rng(seed)", "shuffler = np.random.default_rng()")], None,
     "rng.permutation(n)"),
    ("05_softmax", "classifier_step", "train_classifier", [("order = shuffler.permutation(n)", "order = np.arange(n)")], "mini-batches not shuffled",
     "in their given order"),
    ("05_softmax", "classifier_step", "train_classifier", [("order = shuffler.permutation(n)", "order = np.random.default_rng(seed).permutation(n)")],
     "the same order every epoch", "the same shuffled order"),
    ("05_softmax", "classifier_step", "train_classifier", [("shuffler = np.random.default_rng(seed)", "shuffler = np.random.default_rng()")], None,
     "two runs with the same seed differ"),
    ("04_backprop", "activations", "ACTIVATIONS", [("return 0.5 * (1.0 + np.tanh(0.5 * z))", "return 1.0 / (1.0 + np.exp(-z))")], None,
     "FloatingPointError: overflow encountered in exp"),
    ("01_gates", "step", "step", [(".astype(np.float64)", "")], None, "dtype bool; the contract says float64"),
    ("01_gates", "step", "step", [(".astype(np.float64)", ".astype(int)")], None, "dtype int64; the contract says float64"),
]


@pytest.mark.parametrize("name, question, cell, changes, named, words", WRONG, ids=[f"{w[1]}-{i}" for i, w in enumerate(WRONG)])
def test_wrong_answers_fail_on_visible_cases_with_a_reason(name, question, cell, changes, named, words):
    """A student sees these fail in the notebook already (visible cases only), for the right reason."""
    result = _visible_only(name, question, cell, *changes)
    assert result.status in ("failed", "error") and result.misconception == named and words in result.reason, (result.misconception, result.reason)


CORRECT = [  # written differently from the reference: must pass, visible and hidden, with nothing named
    ("05_softmax", "classifier_step", "train_classifier", [("W *= 1.0 - lr * l2               # \"weight decay\": the L2 term shrinks W\n"
                                                          "                W -= lr * dW", "W -= lr * (dW + l2 * W)")]),
    ("04_backprop", "train_convention", "train", [("rows = rows_in_order[start:start + batch_size]",
                                                   "rows = rows_in_order[start:min(start + batch_size, n)]")]),
    ("01_gates", "step", "step", [("return (np.asarray(z) > 0).astype(np.float64)", "return np.where(np.asarray(z) > 0, 1.0, 0.0)")]),
    # another valid shuffle (one index array shuffled in place every epoch) and the 04 initialisation instead of He's
    ("05_softmax", "classifier_step", "train_classifier", [("order = shuffler.permutation(n)", "order = rows_to_shuffle; shuffler.shuffle(order)"),
                                                           ("n = X.shape[0]", "n = X.shape[0]\n    rows_to_shuffle = np.arange(n)")]),
    ("05_softmax", "classifier_step", "backprop_pieces", [("np.sqrt(2.0 / fan_in)", "np.sqrt(1.0 / fan_in)")]),
    ("04_backprop", "activations", "ACTIVATIONS", [("return 0.5 * (1.0 + np.tanh(0.5 * z))", "return np.exp(-np.logaddexp(0.0, -z))")]),
]


@pytest.mark.parametrize("name, question, cell, changes", CORRECT, ids=[c[1] for c in CORRECT])
def test_correct_variants_pass_with_nothing_named(name, question, cell, changes):
    result = judged(name, question, cell, *changes)
    assert result.status == "passed" and result.misconception is None, result.reason


def test_the_graders_sgd_follows_the_reference_on_the_shuffle_case():
    """The oracle that names shuffling mistakes implements the contract: with the contract's order it is the reference."""
    from autograder.questions import backprop as B

    X, Y, setup, seed = B.shuffle_case()
    mine = B.sgd_training(X, Y, setup, seed, B.SHUFFLE_ORDERS[None](np.random.default_rng(seed), len(X), setup["epochs"]))[1]
    theirs = course.reference("04_backprop", ROOT)["train"](X, Y, seed=seed, **setup)[1]
    np.testing.assert_allclose(mine, theirs, rtol=1e-10)
