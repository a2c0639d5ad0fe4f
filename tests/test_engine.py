"""Is a question judged from plain observations alone, with the right status and reason?"""

import numpy as np
import pytest

from autograder.student import plain
from autograder.judge.compare import expect_close
from autograder.judge.engine import judge, plan, requests_for
from autograder.judge.expectation import Expect
from autograder.student.probes import run_call
from autograder.judge.question import Assignment, Case

TOY = Assignment("99_toy", "toy.ipynb", "A toy assignment")


@TOY.question(points=2, functions=("double",))
def double(rng, hidden):
    """double(x) returns 2 * x."""
    for n in (3, 4) if not hidden else (int(rng.integers(1, 9)),):
        x = rng.normal(size=n)
        yield Case(f"x of length {n}", "double", (x,), check=lambda got, o, x=x: expect_close(got, 2 * x, "double(x)", reveal=o.reveal))


def results_for(namespace_source: str, hidden_seed=None):
    namespace = {"np": np}
    exec(namespace_source, namespace)
    planned = plan(TOY, list(TOY), hidden_seed)
    observations = [run_call(namespace, r) for r in requests_for(planned)]
    return judge(TOY["double"], planned, observations, reference=None)


def test_correct_answer_gets_all_points_on_every_case():
    result = results_for("def double(x):\n    return 2 * x\n", hidden_seed=5)
    assert (result.status, result.points, result.cases_passed, result.cases_total) == ("passed", 2, 3, 3)


@pytest.mark.parametrize("source, status, words", [
    ("def double(x):\n    raise NotImplementedError()\n", "not_implemented", "not implemented yet"),
    ("def twice(x):\n    return 2 * x\n", "missing", "`double` is not defined"),
    ("double = 2\n", "missing", "not a function"),
    ("def double(x):\n    return x[10]\n", "error", "IndexError"),
    ("def double(x):\n    return 3 * x\n", "failed", "entries differ"),
    ("def double(x):\n    return (2 * x)[:-1]\n", "failed", "shape"),
    ("def double(x):\n    x *= 2\n    return x\n", "failed", "modified its input"),
    ("def double(x):\n    return [object()]\n", "failed", "object"),
])
def test_each_kind_of_wrong_answer_gets_zero_and_its_reason(source, status, words):
    result = results_for(source)
    assert result.status == status and result.points == 0
    assert words in result.reason


def test_student_traceback_shows_student_code_only():
    result = results_for("def double(x):\n    return helper(x)\n\ndef helper(x):\n    return 1 / 0 + x\n")
    assert result.status == "error"
    assert "helper" in result.traceback and "ZeroDivisionError" in result.traceback
    assert "autograder" not in result.traceback


def test_visible_cases_do_not_depend_on_the_grading_seed():
    first = [p.case.label for p in plan(TOY, list(TOY), None)]
    assert first == [p.case.label for p in plan(TOY, list(TOY), 123) if not p.hidden]
    hidden = [plain.dumps(list(p.case.args)) for p in plan(TOY, list(TOY), 1) if p.hidden]
    assert hidden != [plain.dumps(list(p.case.args)) for p in plan(TOY, list(TOY), 2) if p.hidden]


def test_a_check_that_chokes_on_an_odd_answer_fails_the_question_not_the_run():
    fragile = Assignment("98_fragile", "f.ipynb", "f")

    @fragile.question(points=1, functions=("pair",))
    def pair(rng, hidden):
        """pair() returns two numbers."""
        yield Case("pair", "pair", (), check=lambda got, o: got[0] + got[1])

    planned = plan(fragile, list(fragile), None)
    result = judge(fragile["pair"], planned, [run_call({"pair": lambda: 5}, r) for r in requests_for(planned)], None)
    assert result.status == "failed" and "could not be checked" in result.reason


def test_a_case_without_a_check_is_refused_when_planned_rather_than_passing_every_answer():
    forgetful = Assignment("97_forgetful", "f.ipynb", "f")

    @forgetful.question(points=1, functions=("anything",))
    def anything(rng, hidden):
        """anything() is never judged."""
        yield Case("no check given", "anything", (1,))

    with pytest.raises(TypeError, match="'no check given' .* needs exactly one of expect= and a callable check="):
        plan(forgetful, list(forgetful), None)
    with pytest.raises(TypeError, match="needs exactly one of"):
        Case("a check that is not callable", "f", (), check="expect_close")
    with pytest.raises(TypeError, match="needs exactly one of"):
        Case("two judgements", "f", (), check=lambda got, oracles: None, expect=Expect("f()", definition=lambda: 1.0))


def test_every_declared_case_has_a_check():
    """Every case the course plans, visible and hidden, is judged by something."""
    from autograder import course

    for assignment in course.assignments().values():
        planned = plan(assignment, list(assignment), 7)
        assert planned and all(callable(p.case.check) or isinstance(p.case.expect, (Expect, tuple)) for p in planned), assignment.name
