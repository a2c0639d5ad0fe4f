"""Relations between a student's value and the expected one, named in any question.

A wrong value often stands in a simple relation to the right one: a factor (n, 1/n, 2, 1/2,
or one a question derives from its hyper-parameters), the opposite sign, the transpose,
entries shifted by one index, the state of a stateful object shifted by a constant. This
module finds those relations; it never says what they mean. What a relation means in one
question -- which catalogued mistake it names -- is a table entry of that question
(:meth:`autograder.judge.question.Assignment.relations`), so the wording of a mistake lives once,
in the catalogue, and a relation that a question does not map names nothing.

Keys of the relations (what a question's table maps to catalogue keys):

- ``"sign"``, ``"factor:n"``, ``"factor:1/n"``, ``"factor:2"``, ``"factor:1/2"``,
  ``"transpose"``, ``"shift"`` (a constant added), ``"zero"``: from
  :func:`autograder.judge.misconceptions.relation`;
- ``"index+1"`` / ``"index-1"``: got[i] is expected[i + 1] / expected[i - 1] along the first axis
  (a loop bound or an index off by one);
- ``"missing:<id>"`` / ``"extra:<id>"``: got is expected without / with once more one of the
  terms a check lists (compared term by term, e.g. the L2 penalty of a loss);
- ``"in_place"``: an argument was changed in place (found by the probe, not by a value);
- named factors: ``named_factor(ratio, {key: factor})`` for factors a question computes
  (``lr``, ``1 + beta``, ...).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from .misconceptions import Relation, relation

__all__ = ["IN_PLACE", "constant_ratio", "constant_shift", "describe", "index_shift", "named_factor", "term_relation"]

IN_PLACE = "in_place"
"""The relation key of an argument changed in place (the engine raises it for every question)."""


def index_shift(got, expected, rtol: float = 1e-7, atol: float = 1e-12) -> Relation | None:
    """got[i] == expected[i + 1] (``index+1``) or expected[i - 1] (``index-1``) along the first axis, on the overlap."""
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if got.shape != expected.shape or got.ndim == 0 or len(got) < 3 or np.allclose(got, expected, rtol=rtol, atol=atol):
        return None
    scale = max(float(np.max(np.abs(expected))), 1e-300)
    for step, kind, text in ((1, "index+1", "the right values one index early (shifted by one)"),
                             (-1, "index-1", "the right values one index late (shifted by one)")):
        a, b = (got[:-1], expected[1:]) if step == 1 else (got[1:], expected[:-1])
        if np.allclose(a, b, rtol=rtol, atol=max(atol, rtol * scale)) and not np.allclose(b, b[:1], rtol=rtol, atol=max(atol, rtol * scale)):
            return Relation(kind, text)
    return None


def describe(got, expected, n: int | None = None, rtol: float = 1e-7, atol: float = 1e-12,
             terms: Mapping[str, object] | None = None) -> tuple[str, Relation] | None:
    """``(key, relation)`` of the first relation that holds between ``got`` and ``expected``, else None:
    a missing or extra one of ``terms`` first (when given), then :func:`autograder.judge.misconceptions.relation`,
    then a shift by one index."""
    by_term = term_relation(got, expected, terms, rtol=rtol, atol=atol) if terms else None
    if by_term is not None:
        return by_term.key, by_term
    found = relation(got, expected, n=n, rtol=rtol, atol=atol)
    if found is not None:
        return found.key, found
    shifted = index_shift(got, expected, rtol=rtol, atol=atol)
    return (shifted.key, shifted) if shifted is not None else None


def term_relation(got, expected, terms: Mapping[str, object], rtol: float = 1e-7, atol: float = 1e-12) -> Relation | None:
    """Compared term by term: ``got`` is ``expected`` without one of ``terms`` (kind ``"missing:<id>"``) or with one
    of them once more (``"extra:<id>"``); ``terms`` maps short ids to values of the shape of ``expected``."""
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    for term, value in terms.items():
        value = np.broadcast_to(np.asarray(value, dtype=float), expected.shape)
        scale = max(float(np.max(np.abs(expected), initial=0.0)), float(np.max(np.abs(value), initial=0.0)), 1e-300)
        if not np.any(np.abs(value) > max(atol, rtol * scale)):
            continue  # a zero term cannot be told missing
        for sign, kind, text in ((-1.0, "missing", "the right ones without the term {}"), (1.0, "extra", "the right ones plus the term {} once more")):
            if got.shape == expected.shape and np.allclose(got, expected + sign * value, rtol=rtol, atol=max(atol, rtol * scale)):
                return Relation(f"{kind}:{term}", text.format(repr(term)))
    return None


def constant_ratio(got, expected, rtol: float = 1e-3) -> float | None:
    """The common factor got / expected over the entries where expected is not ~0, if there is one."""
    g, e = np.ravel(np.asarray(got, dtype=float)), np.ravel(np.asarray(expected, dtype=float))
    mask = np.abs(e) > 1e-12 * max(float(np.max(np.abs(e), initial=0.0)), 1e-300)
    if not mask.any():
        return None
    ratios = g[mask] / e[mask]
    middle = float(np.median(ratios))
    return middle if np.allclose(ratios, middle, rtol=rtol) else None


def constant_shift(got, expected, rtol: float = 1e-6) -> float | None:
    """The common nonzero difference got - expected, if there is one."""
    diff = np.ravel(np.asarray(got, dtype=float) - np.asarray(expected, dtype=float))
    if not diff.size:
        return None
    middle = float(np.median(diff))
    scale = max(float(np.max(np.abs(expected))), abs(middle), 1e-300)
    return middle if abs(middle) > rtol * scale and np.allclose(diff, middle, rtol=0.0, atol=rtol * scale) else None


def named_factor(ratio: float | None, factors: Mapping[str, float], rtol: float = 1e-3) -> str | None:
    """The key of the first of ``factors`` (key -> factor) that ``ratio`` equals, if any; factors of 1 never match."""
    if ratio is None:
        return None
    return next((key for key, factor in factors.items() if not np.isclose(factor, 1.0, rtol=rtol) and np.isclose(ratio, factor, rtol=rtol)), None)
