"""The generic engine that runs a case's judgement stated as data (autograder.judge.expectation)."""

import numpy as np
import pytest

from autograder.judge.compare import Mismatch, expect_array
from autograder.judge.expectation import Expect, Mistake
from autograder.judge.question import Case, Oracles

VISIBLE, HIDDEN = Oracles(None, reveal=True), Oracles({"double": lambda x: 2.0 * x + 1.0}, reveal=False)
X = np.array([[1.0, -2.0], [0.5, 3.0]])
DOUBLE = Expect("double(x)", lambda x: 2.0 * x, reference="double", dtype="float64",
                mistakes=(Mistake("forgot_to_double", lambda x: x), Mistake("squared", lambda x: x * x)))


def judged(got, expect=DOUBLE, oracles=VISIBLE, args=(X,)):
    """The Mismatch the case raises for ``got``, or None when it passes."""
    try:
        Case("x of shape (2, 2)", "double", args, expect=expect).judge(got, oracles)
    except Mismatch as wrong:
        return wrong
    return None


def test_right_answers_written_differently_pass_and_name_nothing():
    assert judged(X + X) is None
    assert judged(np.multiply(X, 2.0)) is None
    assert judged(X * 2.0 + 1e-14) is None


@pytest.mark.parametrize("got, key", [(X.copy(), "forgot_to_double"), (X * X, "squared")])
def test_a_wrong_value_is_named_by_the_mistake_that_gives_it(got, key):
    wrong = judged(got)
    assert wrong is not None and wrong.misconception == key
    assert "entries differ" in wrong.message  # what differs is still said; the catalogue gives the words of the mistake


def test_a_wrong_value_no_mistake_explains_fails_without_a_name():
    wrong = judged(X * 3.0)
    assert wrong is not None and wrong.misconception is None
    assert "4 of 4 entries differ" in wrong.message and "expected 1, got 1.5" in wrong.message


def test_a_mistake_that_coincides_with_the_right_answer_is_never_named():
    """On x = 0 (and x = 2 for squaring) the mistakes give the right value; a wrong value there names nothing."""
    zeros, twos = np.zeros(3), np.full(3, 2.0)
    assert judged(zeros, args=(zeros,)) is None
    assert judged(twos * 2.0, args=(twos,)) is None
    wrong = judged(np.ones(3), args=(zeros,))
    assert wrong is not None and wrong.misconception is None


def test_hidden_cases_expect_the_reference_and_hide_values():
    assert judged(2.0 * X + 1.0, oracles=HIDDEN) is None
    wrong = judged(2.0 * X, oracles=HIDDEN)
    assert wrong is not None and "expected" not in wrong.message


def test_shape_and_dtype_are_part_of_the_comparison():
    assert "shape" in judged(np.ones(3)).message
    assert "dtype" in judged((2.0 * X).astype(np.float32)).message
    assert "NumPy array" in judged("twice x").message


def test_a_structured_result_is_judged_part_by_part():
    def part(index):
        def read(got, x):
            if not isinstance(got, tuple) or len(got) != 2:
                raise Mismatch("pair() should return a pair.")
            return expect_array(got[index], x.shape, f"pair()[{index}]")
        return read

    both = (Expect("pair()[0]", lambda x: x, read=part(0)),
            Expect("pair()[1]", lambda x: -x, read=part(1), mistakes=(Mistake("no_minus", lambda x: x),)))
    case = Case("a pair", "pair", (X,), expect=both)
    case.judge((X.copy(), -X), VISIBLE)
    with pytest.raises(Mismatch, match="should return a pair"):
        case.judge(X, VISIBLE)
    with pytest.raises(Mismatch) as wrong:
        case.judge((X.copy(), X.copy()), VISIBLE)
    assert wrong.value.misconception == "no_minus" and "pair()[1]" in wrong.value.message


def test_on_hidden_cases_a_part_is_read_from_the_reference_result_like_the_students():
    halves = Expect("halves()[1]", lambda x: x / 2, reference="halves", read=lambda got, x: got[1])
    reference = Oracles({"halves": lambda x: (x / 2 - 1.0, x / 2 + 1.0)}, reveal=False)
    case = Case("a pair", "halves", (X,), expect=halves)
    case.judge((None, X / 2 + 1.0), reference)  # the reference's second part, not the definition
    with pytest.raises(Mismatch):
        case.judge((None, X / 2), reference)
    case.judge((None, X / 2), VISIBLE)


def test_a_scalar_result():
    mean = Expect("mean(x)", lambda x: float(np.mean(x)), result="scalar", mistakes=(Mistake("summed", lambda x: float(np.sum(x))),))
    assert judged(float(X.mean()), expect=mean) is None
    assert judged(float(X.sum()), expect=mean).misconception == "summed"
    assert judged(np.array([X.sum()]), expect=mean).misconception == "summed"  # one number in an array is read as that number
    assert judged(np.array([X.mean()]), expect=mean) is None
    assert "single number" in judged(X, expect=mean).message


def test_an_expectation_refuses_what_it_cannot_mean():
    with pytest.raises(ValueError, match="result"):
        Expect("f()", lambda: 1.0, result="matrix")
    with pytest.raises(ValueError, match="dtype"):
        Expect("f()", lambda: 1.0, dtype="int")


def test_tolerances_of_mistakes_a_further_relation_and_a_last_name():
    """match_rtol and distinct_rtol set when a mistake is tried and matched; explain finds a relation the
    comparison does not; otherwise names what nothing else explains, and only that."""
    from autograder.judge.misconceptions import Relation

    near = Expect("f(x)", lambda x: 2.0 * x, mistakes=(Mistake("close_call", lambda x: 2.0 * x * (1 + 1e-6)),))
    assert judged(2.0 * X * (1 + 1e-6), expect=near).misconception == "close_call"
    apart = Expect("f(x)", lambda x: 2.0 * x, distinct_rtol=1e-4, mistakes=near.mistakes)
    assert judged(2.0 * X * (1 + 1e-6), expect=apart).misconception is None  # too near the right value to be told apart: never tried
    fuzzy = Expect("f(x)", lambda x: 2.0 * x, match_rtol=1e-3, mistakes=(Mistake("tripled", lambda x: 3.0 * x),))
    assert judged(3.0 * X * (1 + 1e-5), expect=fuzzy).misconception == "tripled"

    by_parts = Expect("f(x)", lambda x: 2.0 * x, explain=lambda value, expected, x: Relation("extra_factor", "the product with its factor x twice")
                      if np.allclose(value, 2.0 * x * x) else None, otherwise="formula")
    wrong = judged(2.0 * X * X, expect=by_parts)
    assert wrong.relation == "extra_factor" and wrong.misconception is None and "with its factor x twice" in wrong.message
    assert judged(-2.0 * X, expect=by_parts).relation == "sign" and judged(-2.0 * X, expect=by_parts).misconception is None
    assert judged(X + 5.0, expect=by_parts).misconception == "formula"
    assert judged(2.0 * X, expect=by_parts) is None
