"""Do the mutation operators make valid wrong programs, and does the calibration classify them right?"""

from __future__ import annotations

import ast
import dataclasses
import random

import numpy as np
import pytest

from autograder import course
from autograder.judge.compare import Mismatch, expect_close
from autograder.mutation import OPERATORS, generate, judge_mutant, mutants_of_cell, run, summarise
from autograder.mutation.calibrate import questions_for
from autograder.course.notebook import CodeCell
from autograder.judge.question import Assignment, Case

# One cell with every construct some operator changes, between the solution markers.
EVERY_CONSTRUCT = '''def f(X, w, labels, n):
    """Docstring: left alone."""
    ### BEGIN SOLUTION
    X = X - 1.0
    Z = (X @ w.T) * 2 / n + np.sum(X, axis=1, keepdims=True)
    total = 0
    for i in range(0, n):
        if Z[i, 0] > 0 and not labels[i] == 0:
            total += -Z[i, 0] ** 2 % 3 // 1
    Y = Z.copy()
    np.mean(Y)
    return Y[1:n], total, True
    ### END SOLUTION
'''


def test_every_operator_makes_compilable_programs_that_differ_from_the_original():
    original = ast.unparse(ast.parse(EVERY_CONSTRUCT))
    for name in OPERATORS:
        found = mutants_of_cell("99_toy", "f", EVERY_CONSTRUCT, {name: OPERATORS[name]})
        assert found, f"operator {name} changed nothing in a cell with every construct"
        for mutant in found:
            compile(mutant.source, "<mutant>", "exec")
            assert mutant.source != original and mutant.operator == name and mutant.function == "f"
            assert '"""Docstring: left alone."""' in mutant.source or "'Docstring: left alone.'" in mutant.source
        assert len({m.source for m in found}) == len(found), f"operator {name} made the same program twice"


def test_only_the_solution_lines_are_changed():
    cell = "def g(x):\n    y = x + 1\n    ### BEGIN SOLUTION\n    return y * 2\n    ### END SOLUTION\n"
    found = mutants_of_cell("99_toy", "g", cell)
    assert found and {m.line for m in found} == {4}
    assert all("y = x + 1" in m.source for m in found)


def _namespace(source: str) -> dict:
    namespace = {"np": np}
    exec(source, namespace)
    return namespace


def test_operators_change_behaviour_in_the_expected_way():
    cell = "def h(a, b):\n    ### BEGIN SOLUTION\n    return np.sum(a - b, axis=0)\n    ### END SOLUTION\n"
    by_description = {m.description: _namespace(m.source)["h"] for m in mutants_of_cell("99_toy", "h", cell)}
    a, b = np.arange(6.0).reshape(2, 3), np.ones((2, 3))
    np.testing.assert_allclose(by_description["- -> +"](a, b), np.sum(a + b, axis=0))
    np.testing.assert_allclose(by_description["axis=0 -> axis=1"](a, b), np.sum(a - b, axis=1))
    np.testing.assert_allclose(by_description["sum -> mean"](a, b), np.mean(a - b, axis=0))
    np.testing.assert_allclose(by_description["a - b -> b - a"](a, b), np.sum(b - a, axis=0))


# --- the calibration on a toy assignment whose checks are known ---------------------

TOY = Assignment("99_toy", "toy.ipynb", "A toy assignment")
TOY.misconception("halved", "half of the answer", "the answer is twice x, not x / 2.", "relation", ("double", "shape_only"))


def _double_check(x):
    def check(got, oracles):
        if np.allclose(got, x / 2):
            raise Mismatch("double(x) is x / 2", misconception="halved")
        expect_close(got, oracles.reference("double")(x) if oracles.has_reference and not oracles.reveal else 2 * x, "double(x)")
    return check


@TOY.question(points=1, functions=("double",))
def double(rng, hidden):
    """double(x) returns 2 * x, for x of any length."""
    x = rng.normal(size=int(rng.integers(2, 6)))
    yield Case("x", "double", (x,), check=_double_check(x))


@TOY.question(points=1, functions=("rectify",))
def rectify(rng, hidden):
    """rectify(z) is max(z, 0) elementwise, with z unchanged."""
    z = rng.normal(size=5)
    yield Case("z", "rectify", (z,), check=lambda got, o, z=z: expect_close(got, np.maximum(z, 0.0), "rectify(z)"))


@TOY.question(points=1, functions=("shape_only",))
def shape_only(rng, hidden):
    """A weak check: only the shape of shape_only(x) is checked."""
    x = rng.normal(size=4)
    yield Case("x", "shape_only", (x,), check=lambda got, o: None if np.shape(got) == (4,) else (_ for _ in ()).throw(Mismatch("shape")))


TOY_CELLS = [
    CodeCell("double", "def double(x):\n    ### BEGIN SOLUTION\n    return x * 2\n    ### END SOLUTION\n"),
    CodeCell("rectify", "def rectify(z):\n    ### BEGIN SOLUTION\n    z = z.copy()\n    z[z < 0] = 0.0\n    return np.maximum(z, 0.0)\n"
                        "    ### END SOLUTION\n"),
    CodeCell("shape_only", "def shape_only(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n"),
]
TOY_SETUP = [CodeCell("imports", "import numpy as np\n")]


def _toy_outcome(cell: str, description: str):
    source = next(c.source for c in TOY_CELLS if c.label == cell)
    mutant = next(m for m in mutants_of_cell(TOY.name, cell, source) if m.description == description)
    reference = _namespace("\n".join(c.source for c in TOY_CELLS))
    return judge_mutant(mutant, TOY, reference, TOY_SETUP, TOY_CELLS)


def test_a_wrong_mutant_is_caught_and_its_mistake_named():
    outcome = _toy_outcome("double", "*: keep the left operand only")  # returns x: wrong, not catalogued, named by the kit-wide rule for a factor 1/2
    assert (outcome.verdict, outcome.question, outcome.status, outcome.misconception, outcome.named) == ("caught", "double", "failed", "half the right value", True)
    halved = _toy_outcome("double", "* -> /")  # x / 2: the catalogued mistake
    assert (halved.verdict, halved.misconception, halved.named) == ("caught", "half of the answer", True)
    unnamed = dataclasses.replace(outcome, misconception=None)  # a failure no relation explains (the summary's arithmetic)
    summary = summarise([unnamed, halved])["99_toy"]
    assert (summary.caught, summary.named, summary.named_share) == (2, 1, 0.5)


def test_a_mutant_that_changes_its_argument_in_place_is_caught():
    outcome = _toy_outcome("rectify", "drop .copy()")
    assert outcome.verdict == "caught" and "modified its input" in outcome.detail


def test_a_mutant_identical_to_the_reference_is_equivalent_not_scored():
    outcome = _toy_outcome("rectify", "swap the first two arguments")  # np.maximum(0.0, z)
    assert outcome.verdict == "equivalent"
    summary = summarise([outcome, _toy_outcome("double", "* -> /")])["99_toy"]
    assert (summary.generated, summary.equivalent, summary.caught, summary.score) == (2, 1, 1, 1.0)


def test_a_mutant_the_checks_let_through_is_a_survivor_and_lowers_the_score():
    outcome = _toy_outcome("shape_only", "+ -> -")
    assert outcome.verdict == "survivor" and "different values" in outcome.detail
    summary = summarise([outcome, _toy_outcome("double", "* -> /")])["99_toy"]
    assert summary.score == 0.5 and summary.survivors == [outcome]


def test_questions_for_a_helper_nobody_names_are_all_questions():
    assert [q.name for q in questions_for(TOY, "double")] == ["double"]
    assert [q.name for q in questions_for(TOY, "helper")] == ["double", "rectify", "shape_only"]


# --- the real assignments: a small sample, run as the benchmark runs them ---------------

SAMPLE_OPERATORS = ("binary_operator", "drop_term", "axis")


@pytest.mark.parametrize("name", list(course.assignments()))
def test_a_sample_of_each_assignments_mutants_is_caught(name, root):
    """Three mutants per assignment (a swapped operator, a dropped term, another axis), run as the
    benchmark runs them: none survives the checks, and those that compute something else are caught."""
    assignment = course.get_assignment(name)
    candidates = [m for m in generate(assignment, root) if m.operator in SAMPLE_OPERATORS]
    sample = random.Random(name).sample(candidates, 3)
    outcomes = run(sample, root, jobs=1)
    verdicts = [o.verdict for o in outcomes]
    assert "survivor" not in verdicts and "caught" in verdicts, [(o.mutant.key, o.verdict, o.detail) for o in outcomes]
    for outcome in outcomes:
        if outcome.verdict == "caught":
            assert outcome.status and outcome.detail, outcome


def test_a_mutant_of_a_function_whose_values_are_left_open_is_judged_by_the_checks_alone(root):
    """05's init_params fixes only shapes ("random initial parameters"): biases started at one instead
    of zero is equivalent (the checks pass, though the training runs' outputs differ from the
    reference's), while a mutant that breaks the shapes is still caught."""
    assignment = course.get_assignment("05_softmax")
    mutants = [m for m in generate(assignment, root) if m.function == "init_params"]
    ones = [m for m in mutants if m.description == "zeros -> ones"]
    shapes = [m for m in mutants if m.operator == "index_shift"]  # zip(layer_sizes[:-1], layer_sizes[1:]) misaligned: wrong shapes
    assert ones and shapes, sorted({(m.operator, m.description) for m in mutants})
    outcomes = run([ones[0], shapes[0]], root, jobs=1)
    assert [o.verdict for o in outcomes] == ["equivalent", "caught"], [(o.mutant.key, o.verdict, o.detail) for o in outcomes]


@pytest.mark.slow
def test_the_whole_calibration_meets_its_goals(root):
    """Every mutant of every assignment, as `benchmarks/bench_mutation.py` runs them: at least 98% of the non-equivalent
    ones caught and at least 90% of the caught ones named, on each assignment."""
    mutants = [m for name in course.assignments() for m in generate(course.get_assignment(name), root)]
    for name, summary in summarise(run(mutants, root, jobs=2)).items():
        assert summary.score >= 0.98 and summary.named_share >= 0.90, (name, summary.score, summary.named_share, summary.survivors)
