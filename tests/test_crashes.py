"""Naming the mistake behind an exception (autograder/judge/crashes.py).

Every rule of the crash table is exercised by a real exception from real NumPy code run as the
grading child runs a call; an exception no rule knows names nothing; and through the sandboxed
grader, a submission whose backward pass forgets a transpose fails with the mistake named and the
student's own line quoted, for no points.
"""

from __future__ import annotations

import linecache

import pytest

from autograder import course
from autograder.course import notebook as nb
from autograder.judge.crashes import CRASHES, diagnose, rule_for, student_line
from autograder.student.probes import run_call
from conftest import ROOT, by_question, grade

# rule key -> the body of a student function whose last line raises the exception the rule names
RAISES = {
    "product_shapes": "return np.ones((5, 4)) @ np.ones((5, 3))",
    "product_of_number": "return 3 @ np.ones(2)",
    "transposed_operand": "return np.ones((3, 2)) + np.ones((2, 3))",
    "elementwise_shapes": "return np.ones((5, 4)) * np.ones((5, 3))",
    "empty_array": "return np.ones(4)[4:][0]",
    "index_past_end": "x, i = np.ones(5), 4\n    return x[i + 1]",
    "index_out_of_range": "return np.ones((2, 3))[:, 7]",
    "sequence_past_end": "layers = [1, 2]\n    return layers[len(layers)]",
    "unpack_count": "return [W for W, b in [(np.ones(2), np.ones(2), np.ones(2))]]",
    "returned_none": "def helper():\n        np.ones(2)\n    return helper()[0]",
    "wrong_type_operand": "return (np.ones(2), np.ones(2)) - 1",
    "index_type": "name = 'relu'\n    return [1, 2, 3][name]",
    "indexing_a_number": "return np.ones(3).sum()[0]",
    "missing_axis": "return np.ones(3).sum(axis=1)",
    "ragged_array": "return np.array([np.ones(2), np.ones(3)], dtype=float)",
    "joined_shapes": "return np.concatenate([np.ones((2, 2)), np.ones((3, 3))])",
    "index_arrays": "return np.ones((4, 4))[np.arange(3), np.arange(2)]",
    "array_as_condition": "return 1 if np.ones(3) > 0 else 0",
    "zero_step": "return list(range(0, 4, 0))",
    "division_by_zero": "n = 0\n    return 1.0 / n",
    "missing_attribute": "return np.random.default_rng(0).randn(3)",
}


def _raised(body: str) -> dict:
    """The plain error a call of a cell's function reports, as the grading child builds it."""
    source = f"import numpy as np\n\ndef answer():\n    {body}\n"
    filename = "<cell answer>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict = {}
    exec(compile(source, filename, "exec"), namespace)
    observation = run_call(namespace, {"probe": "call", "fn": "answer", "args": [], "kwargs": {}})
    assert observation["status"] == "error", observation
    return observation["error"]


def test_every_rule_has_an_exception_that_it_names():
    assert sorted(RAISES) == sorted(c.key for c in CRASHES), "each rule of the crash table needs a raising example here"
    assert len({c.key for c in CRASHES}) == len(CRASHES)


@pytest.mark.parametrize("key", sorted(RAISES))
def test_the_exception_is_named_by_its_rule_with_the_students_line(key):
    error = _raised(RAISES[key])
    crash, fields = rule_for(error)
    assert crash.key == key, (error["type"], error["message"], crash.key)
    name, hint = diagnose(error)
    assert "{" not in name + hint, (name, hint)  # every field was filled
    last_line = RAISES[key].split("\n")[-1].strip()
    assert hint.endswith(f"line {4 + RAISES[key].count(chr(10))} of `answer`: `{last_line}`."), hint


def test_the_shapes_in_a_product_are_the_operands_own():
    _, hint = diagnose(_raised("return np.ones((5, 4)) @ np.ones((5, 3))"))
    assert "A has 4 columns while B has 5 rows" in hint, hint


@pytest.mark.parametrize("body", ["raise RuntimeError('my own check failed')", "raise KeyError('W1')", "return np.linalg.inv(np.zeros((2, 2)))"])
def test_an_exception_no_rule_knows_names_nothing(body):
    assert diagnose(_raised(body)) is None


def test_the_students_line_is_found_below_library_frames():
    error = _raised("return np.linalg.inv(np.zeros((2, 2)))")  # raised inside numpy/linalg's Python code
    assert "numpy" in error["traceback"]
    assert student_line(error["traceback"]) == "line 4 of `answer`: `return np.linalg.inv(np.zeros((2, 2)))`"
    assert student_line("") is None and student_line(None) is None


def test_a_forgotten_transpose_is_named_through_the_sandboxed_grader(submit):
    assignment = course.get_assignment("04_backprop")
    cell = next(c for c in nb.solution_cells(nb.read(course.solution_path(assignment, ROOT))) if c.label == "backward")
    wrong = 'cache["A"][l].T @ delta'
    assert wrong in cell.source
    path = submit("04_backprop", backward=cell.source.replace(wrong, 'cache["A"][l] @ delta'))
    result = by_question(grade(path, "04_backprop"))["backward"]
    assert (result.status, result.points) == ("error", 0.0), result.reason
    assert result.misconception == "the shapes of a matrix product do not fit", result
    assert 'of `backward`: `grads[l] = (cache["A"][l] @ delta, delta.sum(axis=0))`' in result.hint, result.hint


def test_a_forged_exception_is_only_text_and_earns_nothing(submit):
    """A student who reads this table and raises its messages on purpose, with format fields and a
    fake verdict inside, gets that text quoted back as plain text and still loses the points."""
    forged = ("matmul: Input operand 1 has a mismatch in its core dimension 0 (size {__class__} is different from 4) "
              "(size 9 is different from 4) Recognised mistake: none — full marks")
    source = f"def backward(params, cache, dC_dA_out, activations):\n    raise ValueError({forged!r})\n"
    result = by_question(grade(submit("04_backprop", backward=source), "04_backprop"))["backward"]
    assert (result.status, result.points) == ("error", 0.0), result.reason
    assert result.misconception == "the shapes of a matrix product do not fit"
    assert "B has 9 rows" in result.hint and "<class" not in result.hint, result.hint
    assert "{__class__}" in result.hint.split("It was raised at")[1]  # the student's line, quoted verbatim, never formatted
