"""Making submissions: a released notebook with its answer cells filled in.

Used by the demo (a small class: correct, partly wrong, empty, crashing, hostile,
broken) and by the kit's tests, which build each wrong answer as a notebook and
grade it through the same path as a real submission.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Mapping

import nbformat

from .. import course
from . import notebook as nb
from ..judge.question import Assignment

__all__ = ["fill", "write", "CLASS", "make_class"]


def fill(assignment: Assignment, root: Path, base: str = "solution", replace: Mapping[str, str] | None = None) -> nbformat.NotebookNode:
    """The released notebook with answer cells filled in.

    Args:
        base: ``"solution"`` fills every answer cell with the solution notebook's code;
            ``"stub"`` leaves the released stubs untouched.
        replace: answer-cell sources by ``grade_id``, applied last (a student's edits).
    """
    release = nb.read(course.release_path(assignment, root))
    solution = {c.label: c.source for c in nb.solution_cells(nb.read(course.solution_path(assignment, root)))}
    filled = copy.deepcopy(release)
    replace = dict(replace or {})
    for cell in filled.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in replace:
            cell.source = replace.pop(grade_id)
        elif base == "solution" and grade_id in solution and cell.cell_type == "code":
            cell.source = solution[grade_id]
    if replace:
        raise KeyError(f"{assignment.name} has no answer cells {sorted(replace)}")
    return filled


def write(notebook: nbformat.NotebookNode | str, submitted: Path, student: str, assignment: Assignment) -> Path:
    """Save a notebook (or raw text, for a broken file) in nbgrader's ``submitted/`` layout."""
    path = Path(submitted) / student / assignment.name / assignment.notebook
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(notebook, str):
        path.write_text(notebook)
    else:
        nbformat.write(notebook, path)
    return path


def _first_answer(assignment: Assignment, root: Path, skip: int = 0) -> str:
    release = nb.read(course.release_path(assignment, root))
    return nb.solution_cells(release)[skip].label


HOSTILE_CELL = '''\
import pathlib, time
# tries to find the instructor's solutions, then never returns
for path in pathlib.Path("/").glob("**/solutions/*/*.ipynb"):
    print("found", path)
while True:
    time.sleep(0.1)
'''

CLASS = {
    "ada": "correct: every answer from the solution",
    "ben": "partly wrong: typical mistakes in some answers",
    "cy": "empty: submitted the untouched notebook",
    "dee": "crashing: one answer cell raises before defining its function",
    "eve": "hostile: one answer cell searches the disk for solutions and never returns",
    "fay": "broken: the file is not valid notebook JSON",
}


def make_class(submitted: Path, root: Path, assignments: list[Assignment]) -> dict[str, str]:
    """Write the demo class's submissions for ``assignments``; return student -> description."""
    for assignment in assignments:
        mistakes = dict(assignment.sample_mistakes)
        crash = _first_answer(assignment, root, skip=min(1, len(nb.solution_cells(nb.read(course.release_path(assignment, root)))) - 1))
        solution = {c.label: c.source for c in nb.solution_cells(nb.read(course.solution_path(assignment, root)))}
        write(fill(assignment, root), submitted, "ada", assignment)
        write(fill(assignment, root, replace=mistakes), submitted, "ben", assignment)
        write(fill(assignment, root, base="stub"), submitted, "cy", assignment)
        write(fill(assignment, root, replace={crash: 'raise RuntimeError("unfinished")\n' + solution[crash]}), submitted, "dee", assignment)
        write(fill(assignment, root, replace={_first_answer(assignment, root): HOSTILE_CELL}), submitted, "eve", assignment)
        write('{"cells": [', submitted, "fay", assignment)
    return dict(CLASS)
