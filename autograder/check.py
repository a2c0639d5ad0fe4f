"""``check(...)`` in a notebook: the student's own kernel runs the declared cases.

In the notebook's first code cell::

    from autograder import checker
    check = checker("01_gates", globals())

and in each test cell::

    check("step")

Visible cases use only what a student may see (properties, autograd, SymPy). On
success the cell shows what passed; on failure it raises :class:`CheckFailed`, which
Jupyter shows as the plain explanation, without a traceback through the kit's code
(and which nbgrader counts as a failed test).
"""

from __future__ import annotations

import secrets
from typing import Any, MutableMapping

from . import course
from .engine import judge_all, plan, requests_for
from .misconceptions import recognised
from .probes import run_call
from .results import STATUS_TEXT, QuestionResult

__all__ = ["CheckFailed", "Checker", "checker"]


class CheckFailed(AssertionError):
    """A check did not pass; its message says why, for the student."""

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of printing a traceback through the kit's frames.
        return ["\x1b[31m" + line + "\x1b[0m" if i == 0 else line for i, line in enumerate(str(self).splitlines())]


def _headline(result: QuestionResult) -> str:
    mark = "✔" if result.passed else "✘"
    return f"{mark} {result.question}: {STATUS_TEXT[result.status]} ({result.points:g}/{result.max_points:g} points) — {result.title}"


def explain(result: QuestionResult) -> str:
    """The text a student reads for one question."""
    lines = [_headline(result)]
    if not result.passed and result.reason:
        lines += ["", result.reason]
    if not result.passed and result.misconception:
        lines += ["", recognised(result.misconception, result.hint)]
    if result.traceback:
        lines += ["", "Your code's traceback:", result.traceback.rstrip()]
    return "\n".join(lines)


class Checker:
    """Runs an assignment's questions against the functions in a namespace.

    Args:
        assignment: the assignment's name, e.g. ``"01_gates"``.
        namespace: where the student's functions live (pass ``globals()``).
    """

    def __init__(self, assignment: str, namespace: MutableMapping[str, Any]):
        self.assignment = course.get_assignment(assignment)
        self.namespace = namespace

    def _run(self, requests: list[dict]) -> list[dict]:
        return [run_call(self.namespace, request) for request in requests]

    def results(self, *names: str, hidden: bool = False, seed: int | None = None) -> list[QuestionResult]:
        """Judge the named questions (all automatic ones if none are named)."""
        questions = [self.assignment[n] for n in names] if names else [q for q in self.assignment if not q.manual]
        reference = None
        if hidden:
            root = course.find_course_root()
            if root is None:
                raise CheckFailed("Hidden checks run only where the course's solutions/ folder is present (when grading).")
            reference = course.reference(self.assignment.name, root)
        planned = plan(self.assignment, questions, seed if seed is not None else secrets.randbits(32) if hidden else None)
        if hidden:
            planned = [p for p in planned if p.hidden]
        return judge_all(questions, planned, self._run(requests_for(planned)), reference)

    def __call__(self, name: str, hidden: bool = False) -> QuestionResult:
        """Check one question; raise :class:`CheckFailed` with the reason if it does not pass."""
        (result,) = self.results(name, hidden=hidden)
        if not result.passed:
            raise CheckFailed(explain(result))
        return result

    def all(self) -> list[QuestionResult]:
        """Check every automatic question and print one line each (never raises)."""
        results = self.results()
        for result in results:
            print(_headline(result))
        return results


def checker(assignment: str, namespace: MutableMapping[str, Any]) -> Checker:
    """The ``check`` function of a notebook: ``check = checker("01_gates", globals())``."""
    return Checker(assignment, namespace)
