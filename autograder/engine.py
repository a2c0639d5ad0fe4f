"""Turning declarations and observations into results.

``plan`` draws the cases of every question (visible ones from a fixed seed, hidden
ones from the grading seed); some *runner* performs the calls and returns one
observation per case (plain data, see :mod:`autograder.probes`); ``judge`` compares
in the grader's process and produces a :class:`~autograder.results.QuestionResult`.
The notebook's ``check``, ``autograder check`` and ``autograder grade`` differ only in
the runner they use and in whether hidden cases and the reference take part.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from . import plain
from .compare import Mismatch
from .question import Assignment, Case, Oracles, Question, ReferenceUnavailable
from .results import QuestionResult

__all__ = ["PlannedCase", "plan", "requests_for", "judge", "judge_all", "visible_seed"]

@dataclass(frozen=True)
class PlannedCase:
    """A case together with whether it is hidden (its expected values are never shown)."""

    question: Question
    case: Case
    hidden: bool


def visible_seed(assignment: str, question: str) -> int:
    """The fixed seed of a question's visible cases (stable when other questions change)."""
    return zlib.crc32(f"{assignment}/{question}".encode())


def plan(assignment: Assignment, questions: Sequence[Question], hidden_seed: int | None) -> list[PlannedCase]:
    """Draw the cases to run: the visible ones, plus hidden ones when ``hidden_seed`` is given."""
    planned = []
    for question in questions:
        planned += [PlannedCase(question, c, False) for c in question.cases(visible_seed(assignment.name, question.name), False)]
        if hidden_seed is not None:
            seed = [hidden_seed, visible_seed(assignment.name, question.name)]
            planned += [PlannedCase(question, c, True) for c in question.cases(seed, True)]
    return planned


def _failure(question: Question, status: str, case: Case, reason: str, **extra: Any) -> QuestionResult:
    return QuestionResult(question.name, question.title, 0.0, question.points, status, reason, case=case.label, **extra)


def _unusable(question: Question, planned: PlannedCase, observation: Mapping[str, Any], hints: Mapping[str, str]) -> QuestionResult | None:
    """A result for an observation whose call did not return normally, else None."""
    case, status = planned.case, observation.get("status")
    if status == "ok":
        return None
    error = observation.get("error") or {}
    where = f" (case: {case.label})"
    if status == "missing":
        hint = hints.get(case.fn) or f"Define a function named `{case.fn}` in its answer cell; did you rename or delete it?"
        return _failure(question, "missing", case, f"{error.get('message', case.fn + ' is not defined')}. {hint}")
    if status == "not_implemented":
        return _failure(question, "not_implemented", case, f"`{case.fn}` is not implemented yet: replace `raise NotImplementedError()` in its answer cell with your code.")
    if status == "timeout":
        return _failure(question, "timeout", case, f"`{case.fn}` did not finish within its limit of {case.timeout:g} s of CPU time{where}: "
                        f"{error.get('message', 'stopped')}. Is there an infinite loop, or a loop over samples that should be vectorised?")
    if status == "error":
        reason = f"`{case.fn}` raised {error.get('type', 'an error')}: {error.get('message', '')}{where}"
        return _failure(question, "error", case, reason, traceback=error.get("traceback"))
    return _failure(question, "not_run", case, f"`{case.fn}` could not be run{where}: {error.get('message', 'the student process stopped')}")


def judge(
    question: Question,
    cases: Sequence[PlannedCase],
    observations: Sequence[Mapping[str, Any]],
    reference: Mapping[str, Any] | None,
    hints: Mapping[str, str] | None = None,
) -> QuestionResult:
    """Compare every observation of one question with its case's check.

    Args:
        question: the declaration.
        cases: this question's planned cases, in order.
        observations: one per case, as returned by :func:`autograder.probes.run_call`
            (``value`` still encoded).
        reference: the reference solution's namespace, or None where it is absent.
        hints: an extra sentence per function for a ``missing`` result (for example,
            that the cell defining it stopped with a syntax error).

    Returns:
        Full points if every case passed, else 0 with the first failure's reason.
    """
    if question.manual:
        return QuestionResult(question.name, question.title, 0.0, question.points, "manual", "graded by hand in formgrader")
    first: QuestionResult | None = None
    passed = 0
    for planned, observation in zip(cases, observations):
        outcome = _unusable(question, planned, observation, hints or {})
        if outcome is None:
            outcome = _check(question, planned, observation, reference)
        if outcome is None:
            passed += 1
        elif first is None:
            first = outcome
    if first is None:
        return QuestionResult(question.name, question.title, question.points, question.points, "passed", cases_passed=passed, cases_total=len(cases))
    first.cases_passed, first.cases_total = passed, len(cases)
    return first


def _check(question: Question, planned: PlannedCase, observation: Mapping[str, Any], reference: Mapping[str, Any] | None) -> QuestionResult | None:
    case = planned.case
    if observation.get("mutated"):
        changed = ", ".join(observation["mutated"])
        return _failure(question, "failed", case, f"`{case.fn}` modified its input ({changed}) in place (case: {case.label}). Functions must not change their arguments: work on a copy.")
    got = plain.decode(observation.get("value"))
    try:
        case.check(got, Oracles(reference, reveal=not planned.hidden))
    except Mismatch as wrong:
        kind = "hidden case" if planned.hidden else "case"
        known = question.misconceptions.get(wrong.misconception) if wrong.misconception else None
        return _failure(question, "failed", case, f"{wrong.message}\n(in the {kind} '{case.label}')",
                        misconception=known.name if known else wrong.misconception, hint=known.hint if known else None)
    except ReferenceUnavailable:
        raise
    except Exception as exc:  # a malformed answer the check did not anticipate
        return _failure(question, "failed", case, f"case '{case.label}': the result of `{case.fn}` could not be checked ({type(exc).__name__}: {exc}). Check its type and shape against the docstring.")
    return None


def requests_for(planned: Sequence[PlannedCase]) -> list[dict]:
    """The call requests (plain data) that a runner performs, one per planned case."""
    return [{**p.case.call(), "args": plain.encode(list(p.case.args)), "kwargs": plain.encode(dict(p.case.kwargs))} for p in planned]


def judge_all(
    questions: Sequence[Question],
    planned: Sequence[PlannedCase],
    observations: Sequence[Mapping[str, Any]],
    reference: Mapping[str, Any] | None,
    hints: Mapping[str, str] | None = None,
) -> list[QuestionResult]:
    """Judge each question on its own planned cases and their observations."""
    results = []
    for question in questions:
        index = [i for i, p in enumerate(planned) if p.question is question]
        results.append(judge(question, [planned[i] for i in index], [observations[i] for i in index], reference, hints))
    return results
