"""Comparisons that explain themselves.

Every check on a student's value goes through these helpers. On failure they raise
:class:`Mismatch` with a message in the style of ``numpy.testing.assert_allclose``:
what was compared, how many entries differ, the first few mismatched indices with
expected and got, and the largest absolute and relative difference. ``reveal=False``
(used for hidden grading cases) keeps the expected values out of the message.
"""

from __future__ import annotations

import hashlib
from typing import Any, Mapping

import numpy as np

from ..student.plain import Unsupported
from .relations import NON_FINITE, argument_relation, describe, shape_relation

__all__ = ["salted_digest", "Mismatch", "expect_array", "expect_close", "expect_close_in_z", "expect_equal", "expect_float64", "expect_scalar", "expect_true", "expect_type", "rel_error"]

SHOWN_ENTRIES = 3


class Mismatch(AssertionError):
    """A student's value failed a comparison.

    Attributes:
        message: one or more plain sentences for the student.
        misconception: the name of a recognised mistake, when one was recognised.
        relation: the key of the relation between got and expected (:mod:`autograder.judge.relations`)
            when one holds; the question's relation table may name a mistake from it.
        symptom: the key of what the value shows before any comparison (a shape that lost an axis,
            NaN or inf: :func:`autograder.judge.relations.shape_relation`), named only where no check
            explains more; a check that goes on explaining a refused value does not read it.
    """

    def __init__(self, message: str, misconception: str | None = None, relation: str | None = None, symptom: str | None = None):
        super().__init__(message)
        self.message = message
        self.misconception = misconception
        self.relation = relation
        self.symptom = symptom


def salted_digest(salt: str, *parts: Any, length: int = 20) -> str:
    """A short salted SHA-256 of ``salt|part|part...``: how a fixed visible case's expected value
    is stored in a public module without revealing it (a check compares digests, not values)."""
    return hashlib.sha256("|".join(map(str, (salt, *parts))).encode()).hexdigest()[:length]


def rel_error(got: Any, expected: Any) -> float:
    """Largest relative error ``|got - expected| / max(|got| + |expected|, tiny)`` entrywise."""
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    denom = np.maximum(np.abs(got) + np.abs(expected), 1e-300)
    return float(np.max(np.abs(got - expected) / denom)) if got.size else 0.0


def _describe(value: Any) -> str:
    if isinstance(value, Unsupported):
        return f"a {value.type_name} ({value.reason})"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"a {type(value).__name__}"


def _first_unsupported(value: Any) -> Unsupported | None:
    if isinstance(value, Unsupported):
        return value
    if isinstance(value, (list, tuple)):
        return next((u for u in map(_first_unsupported, value) if u is not None), None)
    return None


def expect_type(got: Any, kind: type | tuple[type, ...], what: str) -> None:
    """Require ``got`` to be an instance of ``kind`` (after decoding)."""
    if not isinstance(got, kind):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise Mismatch(f"{what} should be a {names}, but it is {_describe(got)}.")


def expect_array(got: Any, shape: tuple[int, ...], what: str, finite: bool = True) -> np.ndarray:
    """Require a numeric array (or a scalar/list convertible to one) of exactly ``shape``.

    Returns the value as a float64 array. Lists and scalars are accepted because
    they are what a correct answer written without NumPy naturally returns.
    """
    if isinstance(got, Unsupported):
        raise Mismatch(f"{what} should be a NumPy array of shape {shape}, but it is {_describe(got)}.")
    if isinstance(got, (bool, int, float, list, tuple)):
        odd = _first_unsupported(got)
        if odd is not None:
            raise Mismatch(f"{what} should be a NumPy array of shape {shape}, but it holds {_describe(odd)}.")
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            raise Mismatch(f"{what} should be a NumPy array of shape {shape}, but it is a ragged {type(got).__name__}.") from None
    if not isinstance(got, np.ndarray):
        raise Mismatch(f"{what} should be a NumPy array of shape {shape}, but it is {_describe(got)}.")
    if got.shape != tuple(shape):
        transposed = got.shape == tuple(shape)[::-1] and len(shape) == 2
        raise Mismatch(f"{what} has shape {got.shape}, expected {tuple(shape)}{' (a transposed result?)' if transposed else ''}.",
                       relation="transpose" if transposed else None, symptom=shape_relation(got.shape, tuple(shape)))
    got = got.astype(float)
    if finite and not np.all(np.isfinite(got)):
        bad = np.argwhere(~np.isfinite(got))
        raise Mismatch(f"{what} contains {len(bad)} non-finite value(s) (NaN or inf), first at index {tuple(int(i) for i in bad[0])}.",
                       symptom=NON_FINITE)
    return got


def expect_float64(got: Any, what: str) -> None:
    """Require a NumPy array of dtype float64, as a contract stating float64 results says (booleans or
    integers compare equal to 1.0 and 0.0, so value checks alone would let them through)."""
    if not isinstance(got, np.ndarray):
        raise Mismatch(f"{what} should be a NumPy array of dtype float64, but it is {_describe(got)}.")
    if got.dtype != np.float64:
        advice = " (a comparison gives booleans: convert them with .astype(float))" if got.dtype == bool else " (convert it with .astype(float))"
        raise Mismatch(f"{what} has dtype {got.dtype}; the contract says float64{advice}.")


def expect_scalar(got: Any, what: str) -> float:
    """Require one finite number (a Python number or an array holding exactly one); return it as float."""
    if isinstance(got, np.ndarray) and got.size == 1:
        got = got.reshape(-1)[0].item()
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        raise Mismatch(f"{what} should be a single number, but it is {_describe(got)}.")
    if not np.isfinite(got):
        raise Mismatch(f"{what} is {got}, not a finite number.")
    return float(got)


def expect_close(
    got: Any,
    expected: Any,
    what: str,
    rtol: float = 1e-7,
    atol: float = 1e-10,
    reveal: bool = True,
    n: int | None = None,
    terms: Mapping[str, Any] | None = None,
    relations: bool = True,
    factors: Mapping[str, Any] | None = None,
) -> None:
    """Require ``got`` to equal ``expected`` within ``|got - exp| <= atol + rtol * |exp|``.

    ``expected`` is a number or array computed by an oracle in the grader process. When a
    simple relation holds between the two (a factor, here also ``n`` and ``1/n`` when the batch
    size ``n`` is given; the sign; the transpose; a shift by one index; one of the additive
    ``terms`` of ``expected``, by id, missing or counted twice; one of its ``factors`` missing,
    dividing or twice), the message says so and the
    Mismatch carries its key (see :mod:`autograder.judge.relations`); ``relations=False`` leaves
    them out, where the caller has already named what is wrong.
    """
    expected = np.asarray(expected, dtype=float)
    got = expect_array(got, expected.shape, what)
    bad = ~(np.abs(got - expected) <= atol + rtol * np.abs(expected))
    if not bad.any():
        return
    abs_diff = np.abs(got - expected)
    if expected.ndim == 0:
        shown = f"{float(got):.12g}, expected {float(expected):.12g}: it differs by {float(abs_diff):.3g}, relative" if reveal else \
            f"{float(got):.12g}: it differs from the expected value by a relative"
        lines = [f"{what} is {shown} {rel_error(got, expected):.3g} (rtol={rtol:g}, atol={atol:g})."]
    else:
        lines = [f"{what}: {int(bad.sum())} of {expected.size} entries differ (rtol={rtol:g}, atol={atol:g})."]
    if reveal and expected.ndim:
        for index in np.argwhere(bad)[:SHOWN_ENTRIES]:
            index = tuple(int(i) for i in index)
            where = f"[{', '.join(map(str, index))}]" if index else ""
            lines.append(f"  at {what}{where}: expected {float(expected[index]):.12g}, got {float(got[index]):.12g}")
    if expected.ndim:
        lines.append(f"  largest absolute difference {abs_diff.max():.3g}, largest relative difference {rel_error(got, expected):.3g}")
    found = describe(got, expected, n=n, rtol=max(rtol, 1e-9), atol=max(atol, 1e-12), terms=terms, factors=factors) if relations else None
    if found is not None:
        lines.append(f"  your {'values are' if expected.ndim else 'value is'} {found[1].text}.")
    raise Mismatch("\n".join(lines), relation=found[0] if found else None)


def expect_close_in_z(got: Any, expected_at: Any, what: str, rtol: float, atol: float, reveal: bool = True,
                      terms: Mapping[str, Any] | None = None, parts: Any = None) -> None:
    """:func:`expect_close` for a function of one array z, ``expected_at(c)`` being the right value at c * z: a wrong
    value is explained by the comparison's relations, then by ``parts()`` (a relation the caller finds factor by
    factor), then by an argument other than z (:func:`~autograder.judge.relations.argument_relation`: a condition or a
    sign the wrong way round gives the right values at -z)."""
    try:
        expect_close(got, expected_at(1.0), what, rtol=rtol, atol=atol, reveal=reveal, terms=terms)
    except Mismatch as wrong:
        found = None if wrong.relation else ((parts() if parts else None) or argument_relation(got, expected_at, rtol=rtol, atol=atol))
        if found is None:
            raise
        raise Mismatch(f"{wrong.message}\n  your {'values are' if np.ndim(got) else 'value is'} {found.text}.", relation=found.key) from None


def expect_equal(got: Any, expected: Any, what: str, reveal: bool = True) -> None:
    """Require exact equality of plain values (numbers, strings, bools, arrays entrywise)."""
    if isinstance(expected, (np.ndarray, list, tuple)) and not isinstance(expected, str):
        expect_close(got, expected, what, rtol=0.0, atol=0.0, reveal=reveal)
        return
    if isinstance(got, Unsupported) or type(got) is not type(expected) and not (
        isinstance(got, (int, float)) and isinstance(expected, (int, float)) and not isinstance(got, bool) and not isinstance(expected, bool)
    ):
        raise Mismatch(f"{what} should be a {type(expected).__name__}, but it is {_describe(got)}.")
    if got != expected:
        shown = f"expected {expected!r}, got {got!r}" if reveal else f"got {got!r}"
        raise Mismatch(f"{what}: {shown}.")


def expect_true(condition: bool, message: str, misconception: str | None = None) -> None:
    """Require a property to hold; ``message`` says what does not hold and why it matters,
    ``misconception`` names the catalogued mistake that breaks it, when there is one."""
    if not condition:
        raise Mismatch(message, misconception)
