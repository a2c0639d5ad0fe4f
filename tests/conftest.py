"""Shared fixtures: the course root, building submissions, grading them as the grader does."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import course, simulate
from autograder.results import SubmissionResult
from autograder.submission import evaluate

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same global NumPy state."""
    np.random.seed(0)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def grade(path: Path, assignment_name: str, seed: int = 20261123) -> SubmissionResult:
    """Grade one notebook exactly as ``autograder grade`` does: release setup, sandbox, hidden cases, reference."""
    assignment = course.get_assignment(assignment_name)
    release = nbformat.read(course.release_path(assignment, ROOT), as_version=4)
    return evaluate(path, assignment, release=release, hidden_seed=seed, reference=course.reference(assignment.name, ROOT), student=path.parent.parent.name)


@pytest.fixture
def submit(tmp_path):
    """``submit(assignment, base="solution", **{grade_id: source})`` writes a submission and returns its path."""

    def make(assignment_name: str, base: str = "solution", student: str = "student", **replace: str) -> Path:
        assignment = course.get_assignment(assignment_name)
        return simulate.write(simulate.fill(assignment, ROOT, base=base, replace=replace), tmp_path / "submitted", student, assignment)

    return make


def by_question(result: SubmissionResult) -> dict:
    """Question name -> QuestionResult."""
    return {q.question: q for q in result.questions}


def execute(path: Path) -> list:
    """Run a notebook top to bottom in a real kernel (errors allowed); return (cell id, error output) pairs."""
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, allow_errors=True, resources={"metadata": {"path": str(path.parent)}}).execute()
    return [(cell.get("id"), out) for cell in notebook.cells for out in cell.get("outputs", []) if out.output_type == "error"]
