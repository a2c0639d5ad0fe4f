"""What every assignment promises, checked for each one through every path.

The solution earns full marks in the grader (sandbox, hidden cases, reference) and in the
student's `autograder check` (visible cases, no reference); the untouched student notebook
earns 0 with "not implemented yet" on every question; both notebooks run top to bottom in a
real kernel, the student one failing only in its check cells; the sample mistakes used by the
demo lose points, the same ones whatever seed the student's hidden cases are drawn from.
"""

import pytest
from conftest import ROOT, execute, grade

from autograder import course
from autograder.course import notebook as nb
from autograder.submission import evaluate

ASSIGNMENTS = list(course.assignments().values())
ids = [a.name for a in ASSIGNMENTS]


def automatic(assignment):
    return {q.name: q.points for q in assignment if not q.manual}


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=ids)
def test_solution_scores_full_marks_in_the_grader(assignment, submit):
    result = grade(submit(assignment.name), assignment.name)
    assert [(q.question, q.reason) for q in result.questions if q.status not in ("passed", "manual")] == []
    assert result.score == sum(automatic(assignment).values()) and result.notes == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=ids)
def test_solution_scores_full_marks_in_the_student_check(assignment, submit):
    result = evaluate(submit(assignment.name, student="cli"), assignment)
    assert [(q.question, q.reason) for q in result.questions if q.status not in ("passed", "manual")] == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=ids)
def test_untouched_notebook_scores_zero_saying_not_implemented(assignment, submit):
    result = grade(submit(assignment.name, base="stub"), assignment.name)
    assert result.score == 0
    for q in result.questions:
        if q.status != "manual":
            assert q.status == "not_implemented" and "not implemented yet" in q.reason, (q.question, q.status, q.reason)


@pytest.mark.parametrize("assignment", [a for a in ASSIGNMENTS if a.sample_mistakes], ids=lambda a: a.name)
def test_the_demo_s_sample_mistakes_lose_points_with_reasons(assignment, submit):
    result = grade(submit(assignment.name, student="ben", **assignment.sample_mistakes), assignment.name)
    lost = [q for q in result.questions if q.status not in ("passed", "manual")]
    # all or nothing, unless declared partial or given back because a dependency is charged already
    assert lost and all(q.reason and q.points < q.max_points and (q.points == 0 or assignment[q.question].partial or q.excused) for q in lost)


@pytest.mark.parametrize("assignment", [a for a in ASSIGNMENTS if a.sample_mistakes], ids=lambda a: a.name)
def test_the_same_wrong_code_earns_the_same_marks_whatever_the_students_seed(assignment, submit):
    """Hidden cases are drawn per student; identical code must still get identical marks."""
    path = submit(assignment.name, student="ben", **assignment.sample_mistakes)
    outcomes = {tuple((q.question, q.points) for q in grade(path, assignment.name, seed=seed).questions) for seed in (11, 22, 33)}
    assert len(outcomes) == 1, outcomes


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=ids)
def test_solution_notebook_runs_top_to_bottom_with_every_check_passing(assignment):
    assert [(cell, error.ename, error.evalue[:300]) for cell, error in execute(course.solution_path(assignment, ROOT))] == []


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=ids)
def test_student_notebook_runs_top_to_bottom_and_only_its_checks_fail(assignment):
    errors = execute(course.release_path(assignment, ROOT))
    test_cells = {c.get("id") for c in nb.read(course.release_path(assignment, ROOT)).cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}
    assert {cell for cell, _ in errors} == test_cells
    for _, error in errors:
        assert error.ename == "CheckFailed" and "not implemented yet" in error.evalue
