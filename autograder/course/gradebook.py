"""The kit's scores in nbgrader's gradebook, and formgrader's hand grades in the kit's totals.

nbgrader keeps one ``Grade`` row per grade cell of each submitted notebook, with an
``auto_score`` (written by ``nbgrader autograde``) and a ``manual_score`` (written by
formgrader; it takes precedence). The kit grades by question, and each question is
linked to the grade cells of the notebook that call ``check("<question>")`` (a manually
graded answer is linked to the grade cell whose ``grade_id`` is the question's name).

:func:`write_scores` stores the kit's automatic scores as ``auto_score`` of those cells, so
``nbgrader export``, ``nbgrader generate_feedback`` and formgrader show them. It never
touches ``manual_score``: a hand grade given in formgrader always wins, and written
answers stay formgrader's. :func:`include_manual` does the opposite direction: the kit's
results with every hand-graded question that formgrader has graded counted in the totals.

    from autograder.course import gradebook
    gradebook.write_scores(results, "sqlite:///gradebook.db")
    results = gradebook.include_manual(results, "sqlite:///gradebook.db")
"""

from __future__ import annotations

import contextlib
import dataclasses
import warnings
from pathlib import Path
from typing import Iterator, Sequence

from .. import course
from . import notebook as nb
from ..results import SubmissionResult

__all__ = ["GradebookError", "db_url", "quiet_sqlalchemy", "question_cells", "write_scores", "manual_scores", "include_manual"]

class GradebookError(RuntimeError):
    """The gradebook cannot take these scores (e.g. the assignment was never generated in it)."""


def db_url(path_or_url: str | Path) -> str:
    """``sqlite:///<absolute path>`` for a path to ``gradebook.db``; a URL is returned unchanged."""
    text = str(path_or_url)
    return text if "://" in text else f"sqlite:///{Path(text).resolve()}"


def _notebook_id(assignment_name: str) -> str:
    return Path(course.get_assignment(assignment_name).notebook).stem


def question_cells(gb, assignment_name: str) -> dict[str, list]:
    """Question name -> the gradebook's ``GradeCell`` objects that grade it, for one assignment."""
    notebook = _notebook_id(assignment_name)
    try:
        master = gb.find_notebook(notebook, assignment_name)
    except Exception as missing:  # nbgrader's MissingEntry
        raise GradebookError(f"{assignment_name}/{notebook} is not in the gradebook; run `autograder build` "
                             f"(nbgrader generate_assignment) with this gradebook first") from missing
    sources = {cell.name: cell.source for cell in master.source_cells}
    linked: dict[str, list] = {}
    for cell in master.grade_cells:
        if cell.cell_type == "code":
            name = nb.checked_question(sources.get(cell.name, ""))
        else:
            name = cell.name
        if name is not None:
            linked.setdefault(name, []).append(cell)
    return linked


@contextlib.contextmanager
def quiet_sqlalchemy() -> Iterator[None]:
    """Silence SQLAlchemy's warnings about nbgrader's own session use (e.g. "Object of type
    <SubmittedAssignment> not in session"): they concern nbgrader's code, not the grades, and
    would otherwise fill the console of every ``--gradebook`` run."""
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        yield


@contextlib.contextmanager
def _gradebook(url: str):
    from nbgrader.api import Gradebook

    with quiet_sqlalchemy(), Gradebook(db_url(url)) as gb:
        yield gb


def _submitted_grades(gb, result: SubmissionResult, create: bool) -> dict[str, object] | None:
    """grade_id -> Grade of one submission, creating the student and the submission if asked."""
    from nbgrader.api import MissingEntry

    notebook = _notebook_id(result.assignment)
    try:
        submitted = gb.find_submission_notebook(notebook, result.assignment, result.student)
    except MissingEntry:
        if not create:
            return None
        gb.update_or_create_student(result.student)
        try:
            gb.find_submission(result.assignment, result.student)
        except MissingEntry:
            gb.add_submission(result.assignment, result.student)
        submitted = gb.find_submission_notebook(notebook, result.assignment, result.student)
    return {grade.name: grade for grade in submitted.grades}


def write_scores(results: Sequence[SubmissionResult], url: str | Path) -> list[str]:
    """Store the kit's automatic scores as nbgrader ``auto_score`` values; return warnings.

    A question's points are shared among its grade cells in proportion to their
    ``points``. Students and submissions missing from the gradebook (e.g. a notebook
    that ``nbgrader autograde`` skipped or could not read) are created. Hand-graded
    questions and every ``manual_score`` are left alone.
    """
    warnings: list[str] = []
    with _gradebook(str(url)) as gb:
        links = {name: question_cells(gb, name) for name in {r.assignment for r in results}}
        for result in results:
            grades = _submitted_grades(gb, result, create=True)
            cells = links[result.assignment]
            for q in result.questions:
                if q.status == "manual":
                    continue
                linked = cells.get(q.question)
                if not linked:
                    warnings.append(f"{result.assignment}: no grade cell calls check({q.question!r}); its score was not stored")
                    continue
                share = q.points / q.max_points if q.max_points else 0.0
                for cell in linked:
                    grade = grades[cell.name]
                    grade.auto_score = share * cell.max_score
                    grade.needs_manual_grade = False
            gb.db.commit()
    return warnings


def manual_scores(url: str | Path, assignment_name: str) -> Iterator[tuple[str, str, float, float]]:
    """(student, question, points, max_points) for every question formgrader has graded by hand:
    a written answer, or an automatic question whose score was overridden (every grade cell
    of the question has a ``manual_score``; extra credit is added)."""
    with _gradebook(str(url)) as gb:
        cells = question_cells(gb, assignment_name)
        questions = [q.name for q in course.get_assignment(assignment_name)]
        notebook = _notebook_id(assignment_name)
        for student in sorted(s.student.id for s in gb.find_assignment(assignment_name).submissions):
            grades = {g.name: g for g in gb.find_submission_notebook(notebook, assignment_name, student).grades}
            for question in questions:
                linked = [grades[c.name] for c in cells.get(question, []) if c.name in grades]
                if linked and all(g.manual_score is not None for g in linked):
                    yield (student, question, sum(g.manual_score + (g.extra_credit or 0) for g in linked),
                           sum(g.max_score for g in linked))


def include_manual(results: Sequence[SubmissionResult], url: str | Path) -> list[SubmissionResult]:
    """The results with every grade given by hand in formgrader: graded written answers are
    counted in the totals, and a hand override of an automatic question replaces the kit's score.

    A graded question becomes ``passed`` (full marks) or ``failed`` with its points, its reason
    saying it was graded by hand (an override keeps the kit's reason below); ungraded written
    answers stay ``manual`` (awaiting hand grading, not in the total).
    """
    graded: dict[tuple[str, str, str], tuple[float, float]] = {}
    for name in {r.assignment for r in results}:
        for student, question, points, top in manual_scores(url, name):
            graded[(student, name, question)] = (points, top)
    updated = []
    for result in results:
        questions = []
        for q in result.questions:
            hand = graded.get((result.student, result.assignment, q.question))
            if hand is not None:
                points, top = hand
                if q.status == "manual":
                    reason = f"graded by hand in formgrader: {points:g}/{top:g}"
                else:
                    reason = f"score set by hand in formgrader: {points:g}/{top:g} (the kit gave {q.points:g})" + (f"\n{q.reason}" if q.reason and not q.passed else "")
                q = dataclasses.replace(q, points=points, max_points=top, status="passed" if points >= top else "failed", reason=reason)
            questions.append(q)
        updated.append(dataclasses.replace(result, questions=questions, notes=list(result.notes)))
    return updated
