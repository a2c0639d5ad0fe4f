"""Relations between a student's value and the expected one, named in any question.

A wrong value often stands in a simple relation to the right one: a factor (n, 1/n, 2, 1/2,
or one a question derives from its hyper-parameters), the opposite sign, the transpose,
entries shifted by one index, the state of a stateful object shifted by a constant. This
module finds those relations; it never says what they mean. What a relation means in one
question -- which catalogued mistake it names -- is a table entry of that question
(:meth:`autograder.judge.question.Assignment.relations`), so the wording of a mistake lives once,
in the catalogue; a relation that a question does not map is named by the kit-wide rule for its
kind (:mod:`autograder.judge.wrong_values`), in words that hold wherever the relation does.

Keys of the relations (what a question's table maps to catalogue keys):

- ``"sign"``, ``"factor:n"``, ``"factor:1/n"``, ``"factor:2"``, ``"factor:1/2"``,
  ``"transpose"``, ``"shift"`` (a constant added), ``"zero"``: from
  :func:`autograder.judge.misconceptions.relation`;
- ``"index+1"`` / ``"index-1"``: got[i] is expected[i + 1] / expected[i - 1] along the first axis
  (a loop bound or an index off by one);
- ``"missing:<id>"`` / ``"extra:<id>"``: got is expected without / with once more one of the
  terms a check lists (compared term by term, e.g. the L2 penalty of a loss); ``"scaled:<id>"``: with
  that term taken some other constant number of times (:func:`scaled_term`);
- ``"in_place"``: an argument was changed in place (found by the probe, not by a value);
- named factors: ``named_factor(ratio, {key: factor})`` for factors a question computes
  (``lr``, ``1 + beta``, ...);
- ``"missing_factor"`` / ``"inverted_factor"`` / ``"extra_factor"``: got is the product of the
  factors a check lists without some of them, with one dividing, or with one twice
  (:func:`factor_relation`); ``"flipped:<id>"``: one of the listed terms with the opposite sign
  (:func:`flipped_term`);
- ``"axis:0"``, ``"axis:1"``, ``"axis:all"``: a normalisation along another axis (or the whole
  array) than the right one (:func:`normalised_axis`);
- ``"length+1"`` / ``"length-1"``: one entry too many or too few, a loop bound off by one; ``"empty"``: no entry
  at all (:func:`length_shift`);
- ``"region:<id>"``: every wrong entry lies in one of the regions a check lists (``z < 0``), and
  the entries outside it are right: one branch of a piecewise formula (:func:`region_relation`);
- ``"column_shift"`` / ``"column_factor"``: every column of a 2-D value is the right column plus a
  constant, or times a factor, of its own: a per-column statistic (a mean, a divisor) that is wrong
  (:func:`column_relation`);
- ``"argument:<c z>"`` / ``"negated_argument:<c z>"``: an elementwise function's value is the right one (or minus it) at
  another argument, -z, 2z, z/2 (:func:`argument_relation`);
- ``"part:<name>"``: one part of a structured result holds the right value of another part (:func:`other_part`);
- ``"equation:BP1"`` ... ``"equation:BP4"``: which of the four backpropagation equations the pattern of
  right and wrong layer gradients points at (:func:`backprop_equation`);
- ``"shape:number"`` / ``"shape:row"``: one number, or the shape of one row, where an array with one
  row per sample is expected; ``"shape:unreduced"``: a row per sample where one number per sample is
  (:func:`shape_relation`); ``"sum:other_axis"``: a sum over the samples taken over the other axis (one
  entry per sample left); ``"non_finite"``: NaN or inf in the value. These
  are symptoms, seen before any comparison (``Mismatch.symptom``): named only where nothing explains more.
"""

from __future__ import annotations

import itertools
from typing import Iterable, Mapping

import numpy as np

from .misconceptions import Relation, relation

__all__ = ["ARGUMENT_SCALES", "IN_PLACE", "NON_FINITE", "OTHER_AXIS", "argument_relation", "backprop_equation", "constant_ratio", "constant_shift", "describe", "factor_relation", "flipped_term", "index_shift", "length_shift", "named_factor",
           "normalised_axis", "other_part", "region_relation", "column_relation", "scaled_term", "shape_relation", "term_relation"]

IN_PLACE = "in_place"
"""The relation key of an argument changed in place (the engine raises it for every question)."""

OTHER_AXIS = "sum:other_axis"
"""The relation key of a sum over the batch taken along the other axis (one entry per sample left)."""

NON_FINITE = "non_finite"
"""The relation key of a value holding NaN or inf where the contract's is finite (every expected value here is)."""


def shape_relation(got: tuple[int, ...], expected: tuple[int, ...]) -> str | None:
    """The relation key of a wrong shape that says what was lost: ``"shape:number"`` for one number where an array
    is expected, ``"shape:row"`` for the shape of one row (the first axis gone) where one row per sample is, and
    ``"shape:unreduced"`` for a row per sample where one number per sample is (the last axis never summed)."""
    if got == () and expected != ():
        return "shape:number"
    if len(expected) == 2 and got == expected[1:] and expected[0] > 1:
        return "shape:row"
    if len(expected) == 1 and len(got) == 2 and got[0] == expected[0] and got[1] > 1:
        return "shape:unreduced"
    return None


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
             terms: Mapping[str, object] | None = None, factors: Mapping[str, object] | None = None) -> tuple[str, Relation] | None:
    """``(key, relation)`` of the first relation that holds between ``got`` and ``expected``, else None:
    a missing, extra or sign-flipped one of ``terms`` first (when given), then :func:`autograder.judge.misconceptions.relation`,
    then a shift by one index, then one of ``factors`` (when given) missing, dividing or twice (:func:`factor_relation`),
    then one of ``terms`` with a wrong coefficient (:func:`scaled_term`)."""
    by_term = (term_relation(got, expected, terms, rtol=rtol, atol=atol) or flipped_term(got, expected, terms, rtol=rtol, atol=atol)) if terms else None
    if by_term is not None:
        return by_term.key, by_term
    found = relation(got, expected, n=n, rtol=rtol, atol=atol)
    if found is not None:
        return found.key, found
    found = (index_shift(got, expected, rtol=rtol, atol=atol) or (factor_relation(got, expected, factors, rtol=rtol, atol=atol) if factors else None)
             or (scaled_term(got, expected, terms, rtol=rtol, atol=atol) if terms else None))
    return (found.key, found) if found is not None else None


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


def scaled_term(got, expected, terms: Mapping[str, object], rtol: float = 1e-7, atol: float = 1e-12) -> Relation | None:
    """Compared term by term: ``got - expected`` is one constant multiple of one of ``terms`` (kind ``"scaled:<id>"``),
    so that term is taken c times instead of once (a coefficient written wrong: a sum for a mean, 1 + m for 1 - m).
    Only where it can tell: at least two entries of the term are nonzero, the difference is zero wherever the term
    is, and the term is not proportional to ``expected`` itself (then a factor of the whole would read the same)."""
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if got.shape != expected.shape or got.size < 2 or not np.all(np.isfinite(got)):
        return None
    difference = got - expected
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1e-300)
    if np.allclose(difference, 0.0, rtol=0.0, atol=max(atol, rtol * scale)):
        return None
    for term, value in terms.items():
        value = np.broadcast_to(np.asarray(value, dtype=float), expected.shape)
        nonzero = np.abs(value) > max(atol, rtol * max(float(np.max(np.abs(value), initial=0.0)), scale))
        if nonzero.sum() < 2 or not np.allclose(difference[~nonzero], 0.0, rtol=0.0, atol=max(atol, rtol * scale)):
            continue
        ratios = difference[nonzero] / value[nonzero]
        if not np.allclose(ratios, ratios[0], rtol=max(rtol, 1e-6), atol=0.0) or constant_ratio(expected, value, rtol=1e-6) is not None:
            continue
        return Relation(f"scaled:{term}", f"the right ones with the term {term!r} taken {1.0 + float(ratios[0]):.4g} times instead of once")
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


# --- general relations added for any question: a factor of a product, a term's sign, the axis of a normalisation ---

def factor_relation(got, expected, factors: Mapping[str, object], rtol: float = 1e-7, atol: float = 1e-12) -> Relation | None:
    """Compared factor by factor: ``expected`` is the product of ``factors`` (short id -> value, a number or an
    array of the shape of ``expected``), and ``got`` is that product without one or several of them (kind
    ``"missing_factor"``), divided by one or several instead of multiplied (``"inverted_factor"``) or with one twice
    (``"extra_factor"``). The text names the factors; a factor that is ~1 (or ~-1, a sign) is never considered."""
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if got.shape != expected.shape or not np.all(np.isfinite(got)):
        return None
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1e-300)
    tol = max(atol, rtol * scale)
    if np.allclose(got, expected, rtol=rtol, atol=tol):
        return None
    values = {k: np.broadcast_to(np.asarray(v, dtype=float), expected.shape) for k, v in factors.items()}
    usable = {k: v for k, v in values.items() if np.all(np.isfinite(v)) and np.all(np.abs(v) > 1e-12) and not np.allclose(np.abs(v), 1.0, rtol=1e-6, atol=0.0)}

    def matches(candidate: np.ndarray) -> bool:
        return bool(np.all(np.isfinite(candidate)) and not np.allclose(candidate, expected, rtol=1e-4, atol=tol)
                    and np.allclose(got, candidate, rtol=rtol, atol=max(atol, rtol * float(np.max(np.abs(candidate), initial=0.0)))))

    names = list(usable)
    for size in range(1, len(names) + 1):
        for subset in itertools.combinations(names, size):
            if matches(expected / np.prod([usable[k] for k in subset], axis=0)):
                return Relation("missing_factor", f"the right value without the factor{'s' if size > 1 else ''} {_listed(subset)}")
    for size in range(1, len(names) + 1):
        for subset in itertools.combinations(names, size):
            if matches(expected / np.prod([usable[k] for k in subset], axis=0) ** 2):
                return Relation("inverted_factor", f"the right value with the factor{'s' if size > 1 else ''} {_listed(subset)} dividing instead of multiplying")
    for name in names:
        if matches(expected * usable[name]):
            return Relation("extra_factor", f"the right value with the factor {name!r} once more")
    return None


def flipped_term(got, expected, terms: Mapping[str, object], rtol: float = 1e-7, atol: float = 1e-12) -> Relation | None:
    """Compared term by term: ``got`` is ``expected`` with one of its additive ``terms`` (id -> value) taken with
    the opposite sign, ``expected - 2 * term`` (kind ``"flipped:<id>"``); a zero term is never considered."""
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        return None
    for term, value in terms.items():
        value = np.broadcast_to(np.asarray(value, dtype=float), expected.shape)
        scale = max(float(np.max(np.abs(expected), initial=0.0)), float(np.max(np.abs(value), initial=0.0)), 1e-300)
        if not np.any(np.abs(value) > max(atol, rtol * scale)):
            continue
        if np.allclose(got, expected - 2.0 * value, rtol=rtol, atol=max(atol, rtol * scale)):
            return Relation(f"flipped:{term}", f"the right ones with the term {term!r} of the opposite sign")
    return None


def normalised_axis(got, right: int, atol: float = 1e-9) -> Relation | None:
    """``got`` (2-D, non-negative) is normalised along another axis than ``right``: its sums along the other axis
    (kind ``"axis:0"`` or ``"axis:1"``) or over the whole array (``"axis:all"``) are one, its sums along
    ``right`` are not. A normalisation (softmax, probabilities) written with the wrong ``axis=``."""
    got = np.asarray(got, dtype=float)
    if got.ndim != 2 or not np.all(np.isfinite(got)) or np.any(got < -atol) or np.allclose(got.sum(axis=right), 1.0, rtol=0.0, atol=atol):
        return None
    other = 1 - right % 2
    if got.shape[other] > 1 and np.allclose(got.sum(axis=other), 1.0, rtol=0.0, atol=atol):
        return Relation(f"axis:{other}", f"normalised along axis {other} instead of axis {right % 2}")
    if got.size > 1 and np.isclose(got.sum(), 1.0, rtol=0.0, atol=atol):
        return Relation("axis:all", f"normalised over the whole array instead of along axis {right % 2}")
    return None


def _listed(ids) -> str:
    ids = [repr(i) for i in ids]
    return ids[0] if len(ids) == 1 else ", ".join(ids[:-1]) + " and " + ids[-1]


def length_shift(got, expected_length: int) -> Relation | None:
    """``got`` (a list, tuple or array, by its first axis) holds one entry more (kind ``"length+1"``) or one fewer
    (``"length-1"``) than ``expected_length``: a loop bound or a range off by one; or nothing at all (``"empty"``)."""
    try:
        length = len(got)
    except TypeError:
        return None
    if length == 0 and expected_length > 0:
        return Relation("empty", "empty: nothing was ever added to it")
    if length == expected_length + 1:
        return Relation("length+1", "one entry too many (a loop bound or a range off by one)")
    if length == expected_length - 1 and expected_length > 1:
        return Relation("length-1", "one entry too few (a loop bound or a range off by one)")
    return None


def region_relation(got, expected, regions: Mapping[str, object], rtol: float = 1e-7, atol: float = 1e-12) -> Relation | None:
    """Compared region by region: ``got`` differs from ``expected`` only inside one of ``regions`` (id -> a boolean
    mask of the shape of ``expected``) and is right at every entry outside it, of which there is at least one
    (kind ``"region:<id>"``): the branch of a piecewise formula for that region is wrong, the others right."""
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        return None
    wrong = ~np.isclose(got, expected, rtol=rtol, atol=atol)
    if not wrong.any():
        return None
    for region, mask in regions.items():
        inside = np.broadcast_to(np.asarray(mask, dtype=bool), expected.shape)
        if (~inside).any() and not wrong[~inside].any():
            return Relation(f"region:{region}", f"right everywhere except where {region}")
    return None


def column_relation(got, expected, rtol: float = 1e-7, atol: float = 1e-12) -> Relation | None:
    """Compared column by column (2-D, at least two rows): every column of ``got`` is the same column of ``expected``
    plus a constant of its own (kind ``"column_shift"``), or times a factor of its own (``"column_factor"``; an entry
    that is ~0 in ``expected`` must be ~0 in ``got``, and some column must have two entries that are not). With one
    row, any value would be related, so nothing is."""
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if got.ndim != 2 or got.shape != expected.shape or got.shape[0] < 2 or not np.all(np.isfinite(got)):
        return None
    tol = max(atol, rtol * max(float(np.max(np.abs(expected), initial=0.0)), 1e-300))
    if np.allclose(got, expected, rtol=rtol, atol=tol):
        return None
    shift = got - expected
    if np.allclose(shift, shift[:1], rtol=rtol, atol=tol):
        return Relation("column_shift", "the right ones plus a constant of each column")
    nonzero = np.abs(expected) > tol
    if np.any(np.abs(got[~nonzero]) > tol) or not np.any(nonzero.sum(axis=0) >= 2):
        return None
    factors = []
    for j in range(got.shape[1]):
        ratios = got[nonzero[:, j], j] / expected[nonzero[:, j], j]
        if ratios.size and not np.allclose(ratios, ratios[0], rtol=max(rtol, 1e-9), atol=0.0):
            return None
        factors += list(ratios[:1])
    if np.allclose(factors, -1.0, rtol=max(rtol, 1e-9)):
        return Relation("sign", "of the wrong sign")  # the same factor -1 in every column: a sign, not a per-column factor
    return Relation("column_factor", "the right ones times a factor of each column")


def backprop_equation(wrong: Iterable[str], layers: int) -> Relation | None:
    """Which backpropagation equation a layer-by-layer comparison of gradients points at.

    ``wrong`` holds the names of the wrong gradients among ``dW1, db1, ..., dW<L>, db<L>`` (layer 1
    next to the input, ``layers`` = L the output). A bias gradient is delta summed over the rows, so
    the right and wrong ones tell where delta first goes wrong: some layer's dW right and its db wrong
    is the bias gradient's own formula (kind ``"equation:BP3"``); db<L> wrong is the output error
    (``"equation:BP1"``); db<L> right and a lower db wrong is the error sent back to the layers below
    (``"equation:BP2"``, the text names the first wrong layer); every db right and a dW wrong is the
    weight gradient (``"equation:BP4"``)."""
    wrong = set(wrong)
    bias_wrong = [l for l in range(layers, 0, -1) if f"db{l}" in wrong]
    if not wrong or not layers:
        return None
    if any(f"dW{l}" not in wrong for l in bias_wrong):
        return Relation("equation:BP3", "wrong in a bias gradient while its layer's dW is right")
    if f"db{layers}" in wrong:
        return Relation("equation:BP1", f"wrong from the output layer {layers} on")
    if bias_wrong:
        return Relation("equation:BP2", f"right at the output layer and wrong from layer {bias_wrong[0]} down")
    return Relation("equation:BP4", "right in every bias gradient and wrong in a weight gradient")


ARGUMENT_SCALES = {"-z": -1.0, "2z": 2.0, "z/2": 0.5, "-2z": -2.0, "-z/2": -0.5}
"""The arguments c * z an elementwise function is tried at by :func:`argument_relation` (key -> c)."""


def argument_relation(got, expected_at, rtol: float = 1e-7, atol: float = 1e-12) -> Relation | None:
    """For an elementwise function f of z: ``got`` is the right f at another argument c * z (kind ``"argument:<c z>"``,
    a condition or a sign inside the formula the wrong way round for c = -1, a factor inside the argument otherwise),
    or minus it (``"negated_argument:<c z>"``). ``expected_at(c)`` is the right value at c * z; a c at which the right
    value is the right value itself (an even function at -z) is not considered."""
    got = np.asarray(got, dtype=float)
    right = np.asarray(expected_at(1.0), dtype=float)
    if got.shape != right.shape or not np.all(np.isfinite(got)) or np.allclose(got, right, rtol=rtol, atol=atol):
        return None
    for key, c in ARGUMENT_SCALES.items():
        with np.errstate(all="ignore"):
            at = np.asarray(expected_at(c), dtype=float)
        scale = max(float(np.max(np.abs(at), initial=0.0)), 1e-300)
        for sign, kind, text in ((1.0, "argument", "the right values at {} instead of z"), (-1.0, "negated_argument", "minus the right values at {} instead of z")):
            candidate = sign * at
            if np.all(np.isfinite(candidate)) and not np.allclose(candidate, right, rtol=1e-6, atol=atol) and \
                    np.allclose(got, candidate, rtol=rtol, atol=max(atol, rtol * scale)):
                return Relation(f"{kind}:{key}", text.format(key))
    return None


def other_part(got, others: Mapping[str, object], rtol: float = 1e-7, atol: float = 1e-12) -> Relation | None:
    """One part of a structured result (dgamma of (dZ, dgamma, dbeta)) holds the right value of another part, named in
    ``others`` (part name -> its right value): kind ``"part:<name>"``. A right value of all zeros is never matched."""
    got = np.asarray(got, dtype=float)
    for name, value in others.items():
        value = np.asarray(value, dtype=float)
        scale = float(np.max(np.abs(value), initial=0.0))
        if value.shape == got.shape and scale > 0 and np.allclose(got, value, rtol=rtol, atol=max(atol, rtol * scale)):
            return Relation(f"part:{name}", f"the value {name} should have")
    return None
