"""One cause, one charge: declared dependencies between questions, partial credit, and the
rule that breaking a dependency on purpose never raises a total."""

from __future__ import annotations


import numpy as np
import pytest
from conftest import by_question, grade
from fixtures import textbook_softmax as S

from autograder import course
from autograder.judge.engine import attribute, judge_all, plan, requests_for, with_dependencies
from autograder.student.probes import run_call
from autograder.judge.question import Assignment, Case
from autograder.results import QuestionResult
from autograder.judge.compare import expect_close


# ---------------------------------------------------------------- declarations


def test_every_declared_dependency_is_an_earlier_question_and_every_shows_as_is_catalogued():
    for assignment in course.assignments().values():
        names = [q.name for q in assignment]
        for i, question in enumerate(assignment):
            assert set(question.depends_on) <= set(names[:i]), (assignment.name, question.name, question.depends_on)
            assert not any(assignment[d].manual for d in question.depends_on)
        for entry in assignment.misconceptions.values():
            assert set(entry.shows_as) <= set(assignment.misconceptions), (assignment.name, entry.key)


def test_a_dependency_on_an_unknown_or_later_name_is_refused():
    toy = Assignment("97_toy", "toy.ipynb", "toy")

    @toy.question(points=1, functions=("f",))
    def first(rng, hidden):
        """f."""
        yield Case("f", "f", ())

    with pytest.raises(ValueError, match="neither an earlier question"):
        @toy.question(points=1, functions=("g",), depends_on=("later",))
        def second(rng, hidden):
            """g."""
            yield Case("g", "g", ())

    with pytest.raises(ValueError, match="on_dependency_failure"):
        @toy.question(points=1, functions=("g",), depends_on=("f",), on_dependency_failure="forgive")
        def third(rng, hidden):
            """g."""
            yield Case("g", "g", ())

    @toy.question(points=1, functions=("h",), depends_on=("f",))
    def fourth(rng, hidden):
        """A function name stands for the earlier questions exercising it."""
        yield Case("h", "h", ())

    assert toy["fourth"].depends_on == ("first",)


# ---------------------------------------------------------------- partial credit and the excuse, on a toy


TOY = Assignment("96_toy", "toy.ipynb", "toy")


@TOY.question(points=2, functions=("double",), partial=True)
def double(rng, hidden):
    """double(x) = 2 x, on three vectors."""
    for n in (1, 2, 3):
        x = np.arange(1.0, n + 1)
        yield Case(f"x of length {n}", "double", (x,), check=lambda got, o, x=x: expect_close(got, 2 * x, "double(x)", reveal=o.reveal))


@TOY.question(points=3, functions=("quadruple",), depends_on=("double",), on_dependency_failure="excuse")
def quadruple(rng, hidden):
    """quadruple(x) = double(double(x)), on two vectors."""
    for n in (1, 4):
        x = np.arange(1.0, n + 1)
        yield Case(f"x of length {n}", "quadruple", (x,), check=lambda got, o, x=x: expect_close(got, 4 * x, "quadruple(x)", reveal=o.reveal))


def toy_results(source: str) -> dict[str, QuestionResult]:
    namespace = {"np": np}
    exec(source, namespace)
    questions = list(TOY)
    planned = plan(TOY, questions, None)
    return {r.question: r for r in judge_all(questions, planned, [run_call(namespace, r) for r in requests_for(planned)], None)}


QUADRUPLE = "def quadruple(x):\n    return double(double(x))\n"


def test_partial_credit_is_the_share_of_cases_passed():
    got = toy_results("def double(x):\n    return 2 * x if len(x) < 3 else x\n" + QUADRUPLE)["double"]
    assert (got.status, got.cases_passed, got.cases_total, got.points) == ("failed", 2, 3, round(2 * 2 / 3, 2))


def test_a_dependent_failure_names_its_cause_first_and_gets_back_at_most_the_cause_s_charge():
    results = toy_results("def double(x):\n    return 2 * x if len(x) < 3 else x\n" + QUADRUPLE)
    d, q = results["double"], results["quadruple"]
    assert q.caused_by == "double" and q.reason.startswith("Fails because of `double`")
    assert d.reason.splitlines()[0] in q.reason  # the dependency's own reason, said first
    charge = d.max_points - d.points
    assert q.excused == pytest.approx(min(charge, q.max_points)) and q.points == pytest.approx(q.excused)
    assert "Not charged twice" in q.reason


def test_a_kit_wide_name_of_the_dependent_s_value_does_not_hide_the_failed_dependency():
    """double adds 1 on long vectors, so quadruple's value there is 4 x + 3: "off by a constant" describes that value, but
    the constant comes from double, which is charged first (a name from quadruple's own catalogue would be its own)."""
    results = toy_results("def double(x):\n    return 2 * x if len(x) < 3 else 2 * x + 1\n" + QUADRUPLE)
    q = results["quadruple"]
    assert q.misconception == "off by a constant" and q.caused_by == "double" and q.reason.startswith("Fails because of `double`"), q.reason
    assert q.excused > 0


def test_no_excuse_without_a_case_passed_of_its_own():
    wrong_everywhere = toy_results("def double(x):\n    return x\n" + QUADRUPLE)
    assert wrong_everywhere["quadruple"].points == 0 and wrong_everywhere["quadruple"].caused_by == "double"
    not_written = toy_results("def double(x):\n    raise NotImplementedError()\n" + QUADRUPLE)
    assert not_written["quadruple"].status == "not_implemented" and not_written["quadruple"].points == 0
    assert not_written["quadruple"].reason.startswith("Fails because of `double`") and "not implemented yet" in not_written["quadruple"].reason


def test_checking_one_question_can_take_its_dependencies_along():
    perceptron = course.get_assignment("02_perceptron")
    assert [q.name for q in with_dependencies(perceptron, [perceptron["perceptron_xor"]])] == ["predict", "perceptron_train", "perceptron_xor"]
    assert [q.name for q in with_dependencies(TOY, [TOY["double"]])] == ["double"]


def test_a_right_question_is_never_touched_by_a_failed_dependency():
    results = toy_results("def double(x):\n    return x\ndef quadruple(x):\n    return 4 * x\n")
    assert results["quadruple"].passed and results["quadruple"].caused_by is None and results["quadruple"].points == 3


# ---------------------------------------------------------------- breaking a dependency never pays (property)


def _random_course(rng: np.random.Generator, size: int) -> list:
    toy = Assignment("95_random", "r.ipynb", "random")
    for i in range(size):
        deps = tuple(f"q{j}" for j in range(i) if rng.random() < 0.4)
        policy = "excuse" if rng.random() < 0.7 else "charge"

        def generate(rng, hidden):
            yield Case("c", "f", ())

        generate.__name__, generate.__doc__ = f"q{i}", f"question {i}"
        toy.question(points=float(rng.integers(1, 5)), functions=(f"f{i}",), partial=bool(rng.random() < 0.5),
                     depends_on=deps, on_dependency_failure=policy)(generate)
    return list(toy)


def _result(question, rng: np.random.Generator, worse_than: QuestionResult | None = None) -> QuestionResult:
    """A random own result; with ``worse_than``, one that earns no more and passes no more cases."""
    total = 5
    top = total if worse_than is None else worse_than.cases_passed - (worse_than.status == "passed")
    passed = int(rng.integers(0, max(top, 0) + 1))
    if passed == total:
        return QuestionResult(question.name, "", question.points, question.points, "passed", cases_passed=total, cases_total=total)
    status = str(rng.choice(["failed", "failed", "error", "not_implemented"]))
    points = round(question.points * passed / total, 2) if question.partial else 0.0
    return QuestionResult(question.name, "", points, question.points, status, "wrong", cases_passed=passed, cases_total=total)


def test_breaking_any_question_on_purpose_never_raises_the_total():
    """Honest results, then one question made worse on purpose (its dependents unchanged: the worst
    case, where each has its own copy of the code): the total after attribution never rises."""
    for trial in range(1000):
        _one_trial(np.random.default_rng(trial))


def _one_trial(rng: np.random.Generator) -> None:
    questions = _random_course(rng, int(rng.integers(2, 7)))
    honest = [_result(q, rng) for q in questions]
    broken = list(honest)
    k = int(rng.integers(len(questions)))
    broken[k] = _result(questions[k], rng, worse_than=honest[k])
    if rng.random() < 0.5:  # dependents may get worse too, never better
        for i in range(k + 1, len(questions)):
            if questions[k].name in questions[i].depends_on and rng.random() < 0.5:
                broken[i] = _result(questions[i], rng, worse_than=honest[i])
    total = lambda results: sum(r.points for r in attribute(questions, results))
    assert total(broken) <= total(honest) + 1e-9
    for result in attribute(questions, broken):
        assert 0 <= result.points <= result.max_points + 1e-9


# ---------------------------------------------------------------- 05_softmax: one_hot off by one, graded


SOFTMAX = course.get_assignment("05_softmax")


@pytest.fixture(scope="module")
def off_by_one(tmp_path_factory):
    from autograder.course import simulate
    from conftest import ROOT

    def graded(student: str, **cells):
        path = simulate.write(simulate.fill(SOFTMAX, ROOT, base="solution", replace=cells), tmp_path_factory.mktemp(student) / "submitted", student, SOFTMAX)
        return grade(path, SOFTMAX.name)

    return {
        "off_by_one": graded("off", one_hot=S.ONE_HOT_FROM_ONE, train_classifier=S.TRAIN_WITH_ONE_HOT),
        "right": graded("right", one_hot=S.ONE_HOT_BY_COMPARISON, train_classifier=S.TRAIN_WITH_ONE_HOT),
        "uphill": graded("uphill", train_classifier=S.TRAIN_UPHILL),
        "uphill_and_off_by_one": graded("both", one_hot=S.ONE_HOT_FROM_ONE, train_classifier=S.TRAIN_UPHILL),
    }


def test_a_classifier_built_on_one_hot_written_differently_passes_naming_nothing(off_by_one):
    result = off_by_one["right"]
    assert all(q.passed and q.caused_by is None and q.misconception is None for q in result.questions if q.status != "manual"), \
        [(q.question, q.reason) for q in result.questions if not q.passed]


def test_one_hot_off_by_one_is_named_first_in_the_training_questions(off_by_one):
    q = by_question(off_by_one["off_by_one"])
    assert q["one_hot"].misconception == "one_hot off by one"
    for name in ("classifier_step", "digits"):
        assert q[name].status == "failed" and q[name].caused_by == "one_hot", (name, q[name].reason)
        first = q[name].reason.splitlines()[0]
        assert first.startswith("Fails because of `one_hot`") and "fix `one_hot` first" in first
        # digits has no hint of its own: the root's; the training step's trace names what the root's mistake produces there
        assert q[name].misconception == {"digits": "one_hot off by one", "classifier_step": "wrong output gradient in the loop"}[name]
        assert q[name].reason.index("one_hot(labels") < q[name].reason.index("This question's own check")
    digits = q["digits"].reason
    assert digits.index("one_hot(labels") < digits.index("initialisation scale")  # the cause first, then the question's own advice
    charge = q["one_hot"].max_points - q["one_hot"].points
    assert sum(q[n].excused for n in ("cross_entropy_grad", "classifier_step", "digits")) <= charge + 1e-9


def test_breaking_one_hot_on_purpose_never_raises_the_total(off_by_one):
    """A wrong training step of its own, with a right one_hot and with one_hot broken on purpose:
    the excuse cannot make the broken one worth more."""
    honest, broken = off_by_one["uphill"], off_by_one["uphill_and_off_by_one"]
    assert by_question(honest)["classifier_step"].misconception == "update with + instead of -"
    assert broken.score <= honest.score
    q = by_question(broken)
    assert q["classifier_step"].excused + q["digits"].excused <= q["one_hot"].max_points - q["one_hot"].points + 1e-9


def test_hidden_and_visible_digits_failures_of_a_dependency_read_alike(off_by_one):
    q = by_question(off_by_one["off_by_one"])["digits"]
    assert "expected" not in q.reason.split("This question's own check")[1]
