"""Laws a contract implies, checked on the student's own values (autograder/judge/laws.py).

Every law case of every assignment is obeyed by the reference on the visible cases and on hidden
seeds (a law that a right answer can break would fail correct students); a law case that passes
counts for nothing (a function returning 0 obeys "zero where A = Y"); and wrong answers that no
catalogue entry describes, garbled past any relation with the right value, fail with the law they
break named, in the grader and in the student's notebook alike.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder import course
from autograder.judge import laws
from autograder.judge.compare import Mismatch
from autograder.course import notebook as nb
from autograder.judge.engine import judge_all, plan, requests_for, with_dependencies
from autograder.student.probes import run_call
from conftest import ROOT
from test_contracts import judged

WITH_LAWS = ("04_backprop", "05_softmax", "06_optimizers", "07_generalisation")


def _law_cases(name: str, seed: int | None):
    assignment = course.get_assignment(name)
    return assignment, [p for p in plan(assignment, [q for q in assignment if not q.manual], seed) if p.case.diagnostic]


@pytest.mark.parametrize("name", WITH_LAWS)
def test_the_reference_obeys_every_law_on_visible_and_hidden_cases(name):
    reference = course.reference(name, ROOT)
    for seed in (None, 1, 2, 3):
        assignment, planned = _law_cases(name, seed)
        assert planned, name
        observations = [run_call(reference, request) for request in requests_for(planned)]
        for result in judge_all(sorted({p.question for p in planned}, key=list(assignment).index), planned, observations, reference):
            assert result.passed, (seed, result.question, result.reason)


def test_a_law_case_that_passes_counts_for_nothing():
    """mse_cost returning 0 obeys all four of its laws: its question still fails, and a law case is counted only when it fails."""
    assignment, planned = _law_cases("04_backprop", None)
    assert sum(p.question.name == "mse" for p in planned) == 2  # one law case for mse_cost, one for mse_cost_grad
    zero = judged("04_backprop", "mse", "mse_cost", ("return 0.5 * np.sum((A - Y) ** 2) / A.shape[0]", "return 0.0"), hidden_seed=None)
    right = judged("04_backprop", "mse", "mse_cost", hidden_seed=None)
    assert right.passed and (right.cases_passed, right.cases_total) == (6, 6)  # the six value cases
    assert zero.status == "failed" and zero.points == 0 and (zero.cases_passed, zero.cases_total) == (3, 6)  # mse_cost_grad's three


@pytest.mark.parametrize("assignment, question, cell, old, new, name, words", [
    ("04_backprop", "mse", "mse_cost", "np.sum((A - Y) ** 2)", "np.sum(np.abs(A - Y))", "the wrong power of A - Y", "by 0.5**2 = 0.25"),
    ("04_backprop", "mse", "mse_cost", "/ A.shape[0]", "/ np.sqrt(A.shape[0])", "not a mean over the samples", "repeating every sample"),
    ("04_backprop", "mse", "mse_cost", "np.sum((A - Y) ** 2)", "np.sum((A - Y) ** 2 + Y ** 2)", "not zero where the formula is", "A = Y"),
    ("04_backprop", "numerical_gradient", "numerical_gradient", "(f_plus - f_minus) / (2 * eps)", "(f_plus - f_minus) / (2 * eps ** 2)",
     "a difference quotient that depends on its step", "halving eps"),
    ("05_softmax", "softmax", "softmax", "return E / E.sum(axis=1, keepdims=True)", "return E / np.sqrt(E.sum(axis=1, keepdims=True))",
     "rows that do not sum to one", "row sums"),
    ("05_softmax", "accuracy", "accuracy", "==", "!=", "one minus the right value", "accuracy"),
    ("06_optimizers", "adam", "Adam", "(np.sqrt(v_hat) + self.eps)", "(np.sqrt(np.sqrt(v_hat)) + self.eps)", "the wrong power of the gradients", "every gradient"),
    ("06_optimizers", "gradient_descent", "GradientDescent", "return [p - self.lr * g for p, g in zip(params, grads)]",
     "return [p - self.lr * g for p, g in zip(grads, params)]", "the wrong power of lr", "multiplying lr"),
    ("07_generalisation", "batchnorm_backward", "batchnorm_backward", "dZ = inv_std * (g_hat", "dZ = (g_hat", "the wrong power of Z", "by 2**-1 = 0.5"),
    ("07_generalisation", "batchnorm_backward", "batchnorm_backward", "- Z_hat * (g_hat * Z_hat).mean(axis=0))", "- Z_hat * (g_hat * Z_hat).mean(axis=0) ** 2)",
     "an identity of the formula broken", "orthogonal"),
    ("07_generalisation", "update_running", "update_running", "(1.0 - momentum) * batch_value", "(1.0 - momentum) * batch_value ** 2",
     "weights that do not add up to one", "equal values"),
])
def test_a_garbled_formula_fails_with_the_law_it_breaks_named(assignment, question, cell, old, new, name, words):
    for result in (judged(assignment, question, cell, (old, new)), judged(assignment, question, cell, (old, new), hidden_seed=None, with_reference=False)):
        assert result.status == "failed" and result.points == 0, result.reason
        assert result.misconception == name and words in result.reason, (result.misconception, result.reason)


def test_a_wrong_forward_pass_is_not_blamed_on_backward_by_a_law():
    """batchnorm_backward's laws read dZ computed from the student's own forward cache: a wrong forward says so instead."""
    result = judged("07_generalisation", "batchnorm_backward", "batchnorm_forward", ("var = Z.var(axis=0)", "var = Z.var(axis=0, ddof=1)"))
    assert result.status == "failed" and "breaks a law" not in result.reason


def test_a_law_names_the_first_law_broken_and_shows_only_the_students_values():
    law = laws.repeated("cost", "mean", 0, 1)
    case = laws.law_case("the law", "cost", (np.ones((2, 1)), np.zeros((2, 1))), (laws.zero_where("cost", "A = Y", lambda A, Y: [Y, Y]), law))
    summed = lambda A, Y: float(np.sum((A - Y) ** 2))
    with pytest.raises(Mismatch) as broken:
        case.judge([summed(*args) for args in case.args], None)
    assert broken.value.relation == "law:mean" and "Yours gives 4 where the law gives 2" in broken.value.message
    case.judge([float(np.mean((A - Y) ** 2)) for A, Y in case.args], None)  # a right cost: no law broken
    assert case.diagnostic and case.probe == "call_variants"


def test_a_law_broken_because_of_a_failed_dependency_is_charged_to_the_dependency():
    """cross_entropy_grad uses the student's softmax: with rows that sum to 2 there, its own law breaks too (its rows no
    longer sum to zero), but a kit-wide name describes a value, so the failed dependency comes first."""
    assignment = course.get_assignment("05_softmax")
    namespace = dict(course.reference("05_softmax", ROOT))
    cells = {c.label: c.source for c in nb.solution_cells(nb.read(course.solution_path(assignment, ROOT)))}
    for label, source in cells.items():
        exec(source.replace("return E / E.sum(axis=1, keepdims=True)", "return 2.0 * E / E.sum(axis=1, keepdims=True)"), namespace)
    questions = with_dependencies(assignment, [assignment["cross_entropy_grad"]])
    planned = plan(assignment, questions, None)
    results = {r.question: r for r in judge_all(questions, planned, [run_call(namespace, q) for q in requests_for(planned)], None)}
    assert results["softmax"].misconception == "rows that do not sum to one"
    grad = results["cross_entropy_grad"]
    assert grad.status == "failed" and grad.caused_by == "softmax" and "fix `softmax` first" in grad.reason, grad.reason
