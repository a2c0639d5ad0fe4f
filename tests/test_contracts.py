"""Every clause of every student function's contract is checked by a case, and by a visible one."""

from __future__ import annotations

import pytest

from autograder import course
from autograder.contracts import coverage, problems
from autograder.question import Assignment, Case

NAMES = sorted(course.assignments())


@pytest.mark.parametrize("name", NAMES)
def test_every_clause_has_a_visible_case(name):
    assert problems(course.get_assignment(name), hidden_seed=20261202) == []


@pytest.mark.parametrize("name", NAMES)
def test_contracts_have_clauses_and_sentences(name):
    assignment = course.get_assignment(name)
    for fn, clauses in assignment.contracts.items():
        assert clauses, f"{name}: the contract of {fn} declares no clause"
        assert all(sentence.strip() for sentence in clauses.values())


def _toy(case_clauses, question_clauses=(), hidden_clauses=()):
    toy = Assignment("00_toy", "toy.ipynb", "toy")
    toy.contract("f", shape="f returns (n,)", dtype="f returns float64", copy="f does not change x")

    @toy.question(points=1, functions=("f",), clauses=question_clauses)
    def q(rng, hidden):
        yield Case("a", "f", (), clauses=hidden_clauses if hidden else case_clauses)

    return toy


def test_a_clause_no_case_checks_is_reported():
    found = problems(_toy(("f.shape",), question_clauses=("f.dtype",)))
    assert found == ["00_toy: no case checks 'f.copy' (f does not change x)"]


def test_a_clause_only_hidden_cases_check_is_reported():
    found = problems(_toy(("f.shape", "f.dtype"), hidden_clauses=("f.copy",)))
    assert len(found) == 1 and "only hidden cases check 'f.copy'" in found[0]


def test_an_unknown_clause_and_a_missing_contract_are_reported():
    toy = _toy(("f.shape", "f.dtype", "f.copy", "f.typo"))
    toy.question(points=1, functions=("g",))(lambda rng, hidden: iter(()))
    found = problems(toy)
    assert any("'f.typo', which no contract declares" in p for p in found)
    assert any("`g` is exercised by a question but has no declared contract" in p for p in found)


def test_coverage_counts_visible_and_hidden_cases():
    rows = {r.clause: (r.visible, r.hidden) for r in coverage(_toy(("f.shape",), question_clauses=("f.dtype",), hidden_clauses=("f.copy",)))}
    assert rows == {"f.shape": (1, 0), "f.dtype": (1, 1), "f.copy": (0, 1)}
