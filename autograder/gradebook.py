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

    from autograder import gradebook
    gradebook.write_scores(results, "sqlite:///gradebook.db")
    results = gradebook.include_manual(results, "sqlite:///gradebook.db")
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Iterator, Sequence

from . import course
from .results import SubmissionResult

__all__ = ["GradebookError", "db_url", "question_cells", "write_scores", "manual_scores", "include_manual"]

_CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([^"']+)["']""")


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
            names = _CHECK_CALL.findall(sources.get(cell.name, ""))
            name = names[0] if names else None
        else:
            name = cell.name
        if name is not None:
            linked.setdefault(name, []).append(cell)
    return linked


def _gradebook(url: str):
    from nbgrader.api import Gradebook

    return Gradebook(db_url(url))


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
    """(student, question, points, max_points) for every hand-graded question formgrader has graded."""
    with _gradebook(str(url)) as gb:
        cells = question_cells(gb, assignment_name)
        manual = {q.name for q in course.get_assignment(assignment_name) if q.manual}
        notebook = _notebook_id(assignment_name)
        for student in sorted(s.student.id for s in gb.find_assignment(assignment_name).submissions):
            grades = {g.name: g for g in gb.find_submission_notebook(notebook, assignment_name, student).grades}
            for question in sorted(manual):
                linked = [grades[c.name] for c in cells.get(question, [])]
                if linked and all(g.manual_score is not None for g in linked):
                    yield (student, question, sum(g.manual_score + (g.extra_credit or 0) for g in linked),
                           sum(g.max_score for g in linked))


def include_manual(results: Sequence[SubmissionResult], url: str | Path) -> list[SubmissionResult]:
    """The results with each hand-graded question that formgrader has graded counted in the totals.

    A graded written answer becomes ``passed`` (full marks) or ``failed`` with its points,
    its reason saying it was graded by hand; ungraded ones stay ``manual`` (not in the total).
    """
    graded: dict[tuple[str, str, str], tuple[float, float]] = {}
    for name in {r.assignment for r in results}:
        for student, question, points, top in manual_scores(url, name):
            graded[(student, name, question)] = (points, top)
    updated = []
    for result in results:
        questions = []
        for q in result.questions:
            hand = graded.get((result.student, result.assignment, q.question)) if q.status == "manual" else None
            if hand is not None:
                points, top = hand
                q = dataclasses.replace(q, points=points, max_points=top, status="passed" if points >= top else "failed",
                                        reason=f"graded by hand in formgrader: {points:g}/{top:g}")
            questions.append(q)
        updated.append(dataclasses.replace(result, questions=questions, notes=list(result.notes)))
    return updated
