"""Shared fixtures: the course root, building submissions, grading them as the grader does."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import course
from autograder.course import simulate
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


def solution_source(assignment_name: str, grade_id: str) -> str:
    """An answer cell of the solution notebook, without the nbgrader markers."""
    from autograder.course import notebook as nb

    assignment = course.get_assignment(assignment_name)
    cells = {c.label: c.source for c in nb.solution_cells(nb.read(course.solution_path(assignment, ROOT)))}
    return "\n".join(line for line in cells[grade_id].splitlines() if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)


def mutate(assignment_name: str, grade_id: str, old: str, new: str) -> str:
    """The solution's answer cell with one typical mistake written in: ``old`` replaced by ``new``."""
    source = solution_source(assignment_name, grade_id)
    assert old in source, f"{old!r} not in the solution of {grade_id}"
    return source.replace(old, new)


def assert_outcome(result: SubmissionResult, failed: dict[str, str], passing: list[str],
                   misconceptions: dict[str, str] | None = None, statuses: tuple[str, ...] = ("failed",)) -> None:
    """Each question in ``failed`` scores 0 with one of ``statuses`` and its word in what the student
    reads (the reason, then the recognised mistake's name and hint); each in ``misconceptions`` names
    that mistake; each in ``passing`` passes."""
    questions = by_question(result)
    for name, word in failed.items():
        q = questions[name]
        assert q.status in statuses and q.points == 0, (name, q.status, q.reason)
        said = " ".join(filter(None, (q.reason, q.misconception, q.hint)))
        assert word.lower() in said.lower(), (name, said)
    for name, misconception in (misconceptions or {}).items():
        assert questions[name].misconception == misconception, (name, questions[name].misconception, questions[name].reason)
    for name in passing:
        assert questions[name].status == "passed", (name, questions[name].reason)


def keep_artifacts(name: str, *paths: Path) -> None:
    """Copy screenshots and other files (or folders) to ``$TEST_ARTIFACTS/<name>``, where CI collects them."""
    import os
    import shutil

    if not os.environ.get("TEST_ARTIFACTS"):
        return
    target = Path(os.environ["TEST_ARTIFACTS"]) / name
    target.mkdir(parents=True, exist_ok=True)
    for path in paths:
        if Path(path).is_dir():
            shutil.copytree(path, target, dirs_exist_ok=True)
        else:
            shutil.copy(path, target)
