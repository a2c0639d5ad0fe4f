"""Which clause of which student function's contract is checked by which case.

Each assignment declares the clauses of its student functions' docstrings
(:meth:`~autograder.judge.question.Assignment.contract`); each case says which clauses it checks
(``Case.clauses``, plus its question's ``clauses``). :func:`coverage` counts the visible and
hidden cases per clause; :func:`problems` lists what design principle 10 forbids: a student
function without a contract, a clause that no case checks, a clause with no visible case
(a student could not see it fail before grading), a case naming a clause that does not exist, and a
contract of a function no question exercises.
"""

from __future__ import annotations

from dataclasses import dataclass

from .engine import plan
from .question import Assignment

__all__ = ["ClauseCoverage", "coverage", "problems"]


@dataclass(frozen=True)
class ClauseCoverage:
    """How many cases check one clause."""

    clause: str
    """``"fn.id"``."""
    sentence: str
    """The docstring's sentence."""
    visible: int
    """Visible cases (fixed seed) that check it."""
    hidden: int
    """Hidden cases (drawn from the grading seed) that check it."""


def _claimed(assignment: Assignment, hidden_seed: int) -> list[tuple[str, bool]]:
    """(clause id, hidden) for every clause every planned case checks."""
    automatic = [q for q in assignment if not q.manual]
    return [(clause, p.hidden) for p in plan(assignment, automatic, hidden_seed) for clause in dict.fromkeys(p.question.clauses + p.case.clauses)]


def coverage(assignment: Assignment, hidden_seed: int = 0) -> list[ClauseCoverage]:
    """Every declared clause with its counts of visible and hidden cases, in declaration order."""
    claimed = _claimed(assignment, hidden_seed)
    return [ClauseCoverage(clause, sentence, sum(c == clause and not h for c, h in claimed), sum(c == clause and h for c, h in claimed))
            for clauses in assignment.contracts.values() for clause, sentence in clauses.items()]


def problems(assignment: Assignment, hidden_seed: int = 0) -> list[str]:
    """Sentences naming every gap in the assignment's contract coverage (empty when there is none)."""
    out = [f"{assignment.name}: `{fn}` is exercised by a question but has no declared contract"
           for fn in assignment.functions if fn not in assignment.contracts]
    out += [f"{assignment.name}: a contract is declared for `{fn}`, which no question exercises" for fn in assignment.contracts if fn not in assignment.functions]
    declared = {clause for clauses in assignment.contracts.values() for clause in clauses}
    unknown = sorted({clause for clause, _ in _claimed(assignment, hidden_seed)} - declared)
    out += [f"{assignment.name}: a case checks the clause {clause!r}, which no contract declares" for clause in unknown]
    for row in coverage(assignment, hidden_seed):
        if not row.visible + row.hidden:
            out.append(f"{assignment.name}: no case checks {row.clause!r} ({row.sentence})")
        elif not row.visible:
            out.append(f"{assignment.name}: only hidden cases check {row.clause!r} ({row.sentence}): a student cannot see it fail before grading")
    return out
