"""One number for a question's points: the declaration's must equal the notebook's nbgrader metadata.

A question's points are written twice: in its declaration (``@ASSIGNMENT.question(points=...)``,
what the kit grades with) and in the notebook's nbgrader metadata (``points`` of the grade
cells, what nbgrader's gradebook and ``nbgrader export`` add up). When the two differ the
kit's totals and nbgrader's drift apart silently (9.5/10 in one, 8.5/9 in the other), so
``autograder build`` and ``autograder grade`` refuse with :class:`PointsMismatch`.

A question's grade cells are, as in :mod:`autograder.gradebook`, the code grade cells whose
source calls ``check("<question>")`` (first call in the cell) and, for a question graded by
hand, the grade cell whose ``grade_id`` is the question's name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from . import notebook as nb
from .question import Assignment

__all__ = ["PointsMismatch", "notebook_points", "disagreements", "check_points"]

CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([^"']+)["']""")


class PointsMismatch(ValueError):
    """A declaration's points differ from the notebook's nbgrader metadata; the message lists each."""


def notebook_points(notebook: Any) -> dict[str, float]:
    """Question name -> the sum of ``points`` of its nbgrader grade cells in ``notebook``."""
    found: dict[str, float] = {}
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade"):
            continue
        if cell.get("cell_type") == "code":
            names = CHECK_CALL.findall(cell.get("source", ""))
            name = names[0] if names else None
        else:
            name = meta.get("grade_id")
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
                             f"(autograder/questions/): " + "; ".join(problems)
                             + ". Make them equal (the cell's nbgrader 'points' and the question's points=...), then build again.")
