"""Mutation calibration: wrong variants of the reference answers, and what the checks make of them.

:mod:`.operators` makes the variants from the answer cells' syntax tree; :mod:`.calibrate`
grades each with the questions' own cases and reports, per assignment, the share caught
and the share of those whose failure names a catalogued mistake
(``benchmarks/bench_mutation.py`` runs it on every assignment).
"""

from .calibrate import Outcome, Summary, generate, judge_mutant, run, summarise
from .operators import OPERATORS, Mutant, mutants_of_cell

__all__ = ["OPERATORS", "Mutant", "Outcome", "Summary", "generate", "judge_mutant", "mutants_of_cell", "run", "summarise"]
