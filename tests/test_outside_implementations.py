"""Implementations written the way well-known public code writes them (tests/fixtures), graded as a
class would be: the same marks on every run, whatever the hidden seed and the machine's load, and
the only points lost are those of the clause each one really breaks."""

import subprocess
import sys

import pytest

from conftest import by_question, grade
from fixtures import outside_backprop as B
from fixtures import textbook_perceptrons as T

from autograder import course

pytestmark = pytest.mark.slow

RUNS = 3
SEEDS = (20261123, 7, 2**100 + 3)

# fixture -> (assignment, answer cells, {question that fails: the mistake it is named by})
OUTSIDE = {
    "nielsen": ("04_backprop", B.NIELSEN, {"vectorised": "loop over samples"}),
    "cs231n": ("04_backprop", B.CS231N, {}),
    "micrograd": ("04_backprop", B.MICROGRAD, {}),
    "textbook perceptron": ("02_perceptron", T.CORRECT_TEXTBOOK, {}),
    "perceptron via predict": ("02_perceptron", T.CORRECT_VIA_PREDICT, {}),
}


@pytest.fixture
def busy_core():
    """One core kept busy while grading, as on a shared CI machine."""
    load = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    yield
    load.kill()
    load.wait()


@pytest.mark.parametrize("fixture", list(OUTSIDE))
def test_outside_implementations_get_the_same_marks_every_run_and_lose_only_what_they_break(submit, busy_core, fixture):
    assignment_name, cells, fails = OUTSIDE[fixture]
    path = submit(assignment_name, student=fixture.replace(" ", "_"), **cells)
    runs = [grade(path, assignment_name, seed=SEEDS[k % len(SEEDS)]) for k in range(RUNS)]
    marks = [[(q.question, q.points, q.status) for q in result.questions] for result in runs]
    assert all(m == marks[0] for m in marks[1:]), marks
    assignment = course.get_assignment(assignment_name)
    for question, result in by_question(runs[0]).items():
        if assignment[question].manual:
            continue
        if question in fails:
            assert result.points == 0 and result.status == "failed" and result.misconception == fails[question], (question, result.reason)
        else:
            assert result.passed and result.misconception is None and result.caused_by is None, (question, result.status, result.reason)
