"""A question's points and test-cell id come from its declaration; the build writes them into the notebook.

Each question is declared once, in :mod:`autograder.questions` (``@ASSIGNMENT.question(points=...)``).
nbgrader's gradebook and ``nbgrader export`` read points from the notebook's cell metadata
instead, so :func:`stamp` (run by ``autograder build`` on the solution notebook before
nbgrader generates the student's) writes them there:

- the code cell whose first ``check("<question>")`` call names a question becomes its test
  cell: ``grade``, ``locked``, ``grade_id`` ``test_<question>``, the declared ``points``;
- a manually graded question's cell is the one whose ``grade_id`` is the question's name; it
  gets the declared ``points``.

:func:`check_points` refuses, at grading time, a released notebook built from other
declarations (the kit's totals and nbgrader's would drift apart silently).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import notebook as nb
from ..judge.question import Assignment, Question

__all__ = ["PointsMismatch", "TEST_CELL_PREFIX", "test_cell_id", "notebook_points", "disagreements", "check_points", "stamp", "stamp_file"]

TEST_CELL_PREFIX = "test_"
NBGRADER_SCHEMA_VERSION = 3


class PointsMismatch(ValueError):
    """A notebook's grade cells do not match the declarations; the message lists each difference."""


def test_cell_id(question: str) -> str:
    """The ``grade_id`` (and cell id) of ``question``'s test cell."""
    return f"{TEST_CELL_PREFIX}{question}"


test_cell_id.__test__ = False  # a name pytest would otherwise collect


def _graded_question(cell: Any) -> str | None:
    """The question a grade cell grades: the first ``check("...")`` of a code cell, else its ``grade_id``."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if cell.get("cell_type") == "code":
        return nb.checked_question(cell.get("source", "")) or (meta.get("grade_id") if meta.get("solution") else None)
    return meta.get("grade_id")


def notebook_points(notebook: Any) -> dict[str, float]:
    """Question name -> the sum of ``points`` of its nbgrader grade cells in ``notebook``."""
    found: dict[str, float] = {}
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        name = _graded_question(cell) if meta.get("grade") else None
        if name is not None:
            found[name] = found.get(name, 0.0) + float(meta.get("points") or 0)
    return found


def disagreements(assignment: Assignment, notebook: Any) -> list[str]:
    """One sentence per question whose declared points differ from the notebook's (or that has no grade cell)."""
    in_notebook = notebook_points(notebook)
    problems = []
    for question in assignment:
        if question.name not in in_notebook:
            problems.append(f"{question.name}: declared {question.points:g} points, but no grade cell of the notebook grades it")
        elif abs(in_notebook[question.name] - question.points) > 1e-9:
            problems.append(f"{question.name}: declared {question.points:g} points, the notebook's grade cells give {in_notebook[question.name]:g}")
    return problems


def check_points(assignment: Assignment, path: Path, notebook: Any | None = None) -> None:
    """Raise :class:`PointsMismatch` when the notebook at ``path`` (already read: ``notebook``)
    and the declarations disagree."""
    problems = disagreements(assignment, notebook if notebook is not None else nb.read(path))
    if problems:
        raise PointsMismatch(f"the points of {assignment.name} in {path} disagree with its declarations "
                             f"(autograder/questions/): " + "; ".join(problems) + ". Run `autograder build`, then grade again.")


def _test_cell_metadata(question: Question, old: dict) -> dict:
    return {**old, "grade": True, "solution": False, "locked": True, "grade_id": test_cell_id(question.name),
            "points": question.points, "schema_version": old.get("schema_version", NBGRADER_SCHEMA_VERSION)}


def stamp(assignment: Assignment, notebook: Any, where: str = "the solution notebook") -> bool:
    """Write each question's points and test-cell id into ``notebook`` (in place) from the declarations.

    Returns:
        Whether anything changed.

    Raises:
        PointsMismatch: a test cell checks an undeclared question, a question has two test cells
            or none, or a grade cell grades nothing declared; nothing is changed then.
    """
    declared = {q.name: q for q in assignment}
    written = {q.name for q in assignment if q.manual}
    changes: list[tuple[Any, dict, str | None]] = []
    problems, seen = [], set()
    for cell in notebook.cells:
        meta = dict(cell.get("metadata", {}).get("nbgrader", {}))
        checked = nb.checked_question(cell.get("source", "")) if cell.get("cell_type") == "code" else None
        if checked is not None:
            name = checked
        elif meta.get("grade_id") in written:  # a written answer's cell, marked as graded or not yet
            name = meta["grade_id"]
        elif meta.get("grade"):
            problems.append(f"the grade cell {meta.get('grade_id', '?')!r} neither calls check(\"<question>\") nor is a written answer")
            continue
        else:
            continue
        question = declared.get(name)
        if question is None:
            problems.append(f"a cell checks {name!r}, which {assignment.name} does not declare")
            continue
        if name in seen:
            problems.append(f"{name!r} has more than one test cell")
            continue
        seen.add(name)
        if question.manual:
            changes.append((cell, {**meta, "grade": True, "points": question.points}, None))
        else:
            changes.append((cell, _test_cell_metadata(question, meta), test_cell_id(name)))
    problems += [f"{name}: declared {q.points:g} points, but no cell of the notebook grades it" for name, q in declared.items() if name not in seen]
    if problems:
        raise PointsMismatch(f"{where} of {assignment.name} does not match its declarations (autograder/questions/): " + "; ".join(problems)
                             + ". Each automatic question needs one code cell calling check(\"<question>\"); a written one, a cell whose grade_id is its name.")
    changed = False
    for cell, meta, cell_id in changes:
        if cell.get("metadata", {}).get("nbgrader") != meta:
            cell.setdefault("metadata", {})["nbgrader"] = meta
            changed = True
        if cell_id is not None and cell.get("id") != cell_id:
            cell["id"] = cell_id
            changed = True
    return changed


def stamp_file(assignment: Assignment, path: Path) -> bool:
    """:func:`stamp` the notebook at ``path`` and save it when that changed anything; return whether it did."""
    import nbformat

    notebook = nb.read(path)
    if not stamp(assignment, notebook, where=str(path)):
        return False
    nbformat.write(notebook, path)
    return True
