"""Evaluating one notebook file: the step shared by ``autograder check`` and the grader.

read the notebook -> pick the cells to run -> run every case in the sandbox ->
judge in this process -> one :class:`~autograder.results.SubmissionResult` (and, when asked,
the figures its plot cells draw, for the feedback).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Mapping, Sequence

from .sandbox import bans
from .outputs import figures
from .course import notebook as nb
from .judge.engine import call_bans, judge_all, plan, requests_for
from .judge.question import Assignment
from .results import QuestionResult, SubmissionResult
from .sandbox.isolation import Isolation, detect
from .sandbox import Limits, SandboxRunner, launch

__all__ = ["evaluate", "unanswered"]


def unanswered(assignment: Assignment, status: str, reason: str) -> list[QuestionResult]:
    """Zero for every question, with one reason (an unreadable or missing notebook)."""
    return [
        QuestionResult(q.name, q.title, 0.0, q.points, "manual" if q.manual else status, "graded by hand in formgrader" if q.manual else reason)
        for q in assignment
    ]


def _missing_function_hints(cells: list[nb.CodeCell], release_cells: list[nb.CodeCell], errors: Mapping[str, dict]) -> dict[str, str]:
    """For each function defined in a cell that failed, a sentence pointing at that cell."""
    release_names = {c.label: nb.defined_names(c.source) or set() for c in release_cells}
    hints = {}
    for cell in cells:
        error = errors.get(cell.label)
        if error is None:
            continue
        names = nb.defined_names(cell.source) or release_names.get(cell.label) or nb.intended_names(cell.source)
        line = f"Its cell '{cell.label}' stopped with {error.get('type')}: {error.get('message')}"
        for name in names:
            hints[name] = line + (f"\n{error['traceback']}" if error.get("traceback") else "")
    return hints


def evaluate(
    path: str | Path,
    assignment: Assignment,
    release: Any | None = None,
    hidden_seed: int | None = None,
    reference: Mapping[str, Any] | None = None,
    student: str = "",
    limits: Limits = Limits(),
    isolation: Isolation | None = None,
    hide: Sequence[Path] = (),
    figures_folder: Path | None = None,
) -> SubmissionResult:
    """Grade one notebook file against an assignment's declarations.

    Args:
        path: the student's notebook.
        assignment: its declarations.
        release: the released notebook whose setup cells are trusted; None uses the
            submission's own (fine on a student's machine, never for grading).
        hidden_seed: draw hidden cases from this seed; None runs visible cases only.
        reference: the reference namespace, required for hidden cases that use it.
        student: the student's identifier, recorded in the result.
        isolation: kernel protections for the child (default: whatever this machine allows).
        hide: instructor paths the child must not see.
        figures_folder: also draw the notebook's plots with the student's functions and save
            them there (see :mod:`autograder.outputs.figures`).
    """
    isolation = isolation if isolation is not None else detect()
    start = time.monotonic()
    result = SubmissionResult(student=student, assignment=assignment.name, notebook=str(path), seed=hidden_seed, sandbox=isolation.describe())
    # the student's process starts (interpreter, NumPy, sandbox) while the notebook is read and the cases drawn,
    # without the libraries a case forbids too: the one child needed when no cell names them (see SandboxRunner)
    launched = launch(limits, isolation, hide, (*assignment.forbidden_libraries, *call_bans(assignment)))
    try:
        submission = nb.read(path)
    except nb.BadNotebook as bad:
        launched.close()
        result.questions = unanswered(assignment, "not_run", str(bad))
        result.notes.append(str(bad))
        return result
    try:
        release = release if release is not None else submission
        result.notes += nb.cell_report(submission, release)
        setup, answers = nb.setup_cells(release), nb.answer_cells(submission, release)
        runner = SandboxRunner(setup + answers, limits, isolation=isolation, hide=hide, banned=assignment.forbidden_libraries, launched=launched)
        planned = plan(assignment, list(assignment), hidden_seed)
        observations = runner([{**r, "group": p.question.name} for r, p in zip(requests_for(planned), planned)])
    finally:
        launched.close()  # the runner closes what it takes; closing again does nothing
    hints = _missing_function_hints(answers, nb.solution_cells(release), runner.cell_errors)
    banned = {name for cell in answers if runner.cell_errors.get(cell.label, {}).get("type") == bans.CELL_ERROR
              for name in nb.defined_names(cell.source) or ()}
    result.questions = judge_all(list(assignment), planned, observations, reference, hints, banned)
    result.notes += runner.notes
    for label, error in runner.cell_errors.items():
        if label in {c.label for c in setup}:
            result.notes.append(f"A provided setup cell ('{label}') failed: {error.get('type')}: {error.get('message')}")
    result.seconds = time.monotonic() - start
    if figures_folder is not None:
        drawn, notes = figures.draw(submission, release, limits, isolation, hide)
        result.figures = figures.save(drawn, figures_folder, assignment.name)
        result.notes += notes
    return result
