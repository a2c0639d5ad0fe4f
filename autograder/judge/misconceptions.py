"""Naming a student's mistake: the catalogue entries and the relations that recognise them.

Every assignment declares its typical mistakes once, next to its questions::

    ASSIGNMENT.misconception("cost_not_over_n", name="cost not divided by n",
                             hint="the cost is a mean over the n rows, so divide the sum by n.",
                             detected_by="relation")

and a check names one by raising ``Mismatch(message, misconception="cost_not_over_n")``.
The engine turns the key into the result's ``misconception`` (the name) and ``hint``.

A mistake is recognised in one of three ways (``detected_by``):

- ``"relation"``: the student's value stands in a simple relation to the expected one
  (a factor n or 2, a sign, a transpose, a constant shift, another axis): see
  :func:`relation`, which needs no reference and therefore works on the student's side too;
- ``"fingerprint"``: the student's value equals, on the same grading case, the output of a
  *mutant* (the reference with that one mistake), which exists only in the instructor's
  ``solutions/<NN_topic>/mutants.py`` and so only where hidden cases are graded;
- ``"property"``: a property of the student's value alone gives it away (NaN on large
  logits, all history entries identical, one row per sample left in a bias gradient).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

__all__ = ["DETECTION", "Misconception", "Relation", "close", "common_relation", "locate", "recognised", "relation"]

DETECTION = {
    "relation": "a relation between the student's value and the expected one (factor, sign, transpose, shift, axis)",
    "fingerprint": "agreement with a mutant of the reference (instructor-only solutions/<NN_topic>/mutants.py) on the grading case",
    "property": "a property of the student's value alone",
    "ban": "the grader's sandbox: the answer's cell imports a library its assignment forbids, so the cell is not run",
}


@dataclass(frozen=True)
class Misconception:
    """One typical mistake, declared once in an assignment's catalogue."""

    key: str
    """What a check raises: ``Mismatch(..., misconception=key)``; unique within the assignment."""
    name: str
    """A few words the student reads after "Recognised mistake:"."""
    hint: str
    """One sentence on what to reconsider, never the answer itself."""
    detected_by: tuple[str, ...]
    """How it is recognised: keys of :data:`DETECTION`."""
    questions: tuple[str, ...] = ()
    """The questions whose checks can name it (documentation and tests)."""
    shows_as: tuple[str, ...] = ()
    """Keys of the mistakes it produces downstream, in a question that depends on its question (a
    ``predict`` that labels a zero score +1 makes a training loop skip an update on a zero score):
    a dependent question whose own check names one of these fails because of it, not on its own."""

    def __post_init__(self):
        unknown = [d for d in self.detected_by if d not in DETECTION]
        if unknown or not self.detected_by:
            raise ValueError(f"misconception {self.key!r}: detected_by must be among {sorted(DETECTION)}, not {list(self.detected_by)}")


def recognised(name: str, hint: str | None) -> str:
    """The line a student reads for a named mistake."""
    return f"Recognised mistake: {name}" + (f" — {hint}" if hint else "")


# --- relations between got and expected -------------------------------------------

@dataclass(frozen=True)
class Relation:
    """How a wrong value relates to the expected one."""

    kind: str
    """``"sign"``, ``"factor"``, ``"transpose"``, ``"shift"`` or ``"zero"``."""
    text: str
    """A phrase that completes "X is ...", e.g. ``"off by a factor of 1/n"``; never shows expected values."""
    factor: float | None = None
    """For ``"factor"``: got / expected."""
    label: str | None = None
    """For ``"factor"``: how the factor is named, ``"n"``, ``"1/n"``, ``"2"`` or ``"1/2"``."""

    @property
    def key(self) -> str:
        """Its key in a question's relation table (:mod:`autograder.judge.relations`): the kind, with the
        factor's label for a factor (``"factor:1/n"``)."""
        return f"{self.kind}:{self.label}" if self.label else self.kind


def close(got: Any, expected: Any, rtol: float, atol: float) -> bool:
    """Whether ``got`` and ``expected``, read as float arrays, have one shape and agree within
    ``rtol`` and ``atol`` (as ``np.allclose``); False for what cannot be read as numbers."""
    try:
        got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=rtol, atol=atol))


def relation(got, expected, n: int | None = None, rtol: float = 1e-7, atol: float = 1e-12) -> Relation | None:
    """The simple relation between ``got`` and ``expected`` if one holds (and they differ), else None.

    Tried in order: the sign, a factor n or 1/n (when ``n`` > 1 is given), a factor 2 or 1/2,
    the transpose (square arrays), a nonzero constant shift, all zeros, and for a value between 0 and 1
    (a probability, a fraction) one minus it.
    """
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    atol = max(atol, rtol * scale)
    if got.shape != expected.shape or close(got, expected, rtol, atol) or not np.all(np.isfinite(got)) or scale == 0.0:
        return None
    if close(got, -expected, rtol, atol):
        return Relation("sign", "of the wrong sign", -1.0)
    factors = ([(float(n), "n"), (1.0 / n, "1/n")] if n and n > 1 else []) + [(2.0, "2"), (0.5, "1/2")]
    for factor, label in factors:
        if close(got, factor * expected, rtol, atol * max(factor, 1.0)):
            shown = f"{label} = {factor:g}" if label in ("n", "1/n") else label
            return Relation("factor", f"off by a factor of {shown}", factor, label)
    if expected.ndim == 2 and expected.shape[0] == expected.shape[1] > 1 and close(got, expected.T, rtol, atol):
        return Relation("transpose", "the transpose of the right value")
    if expected.size > 1:
        diff = got - expected
        if np.ptp(diff) <= atol and abs(float(np.mean(diff))) > atol:
            return Relation("shift", "shifted by a constant")
    if not np.any(got):
        return Relation("zero", "all zeros")
    if np.all((expected >= 0) & (expected <= 1)) and close(got, 1.0 - expected, rtol, atol):
        return Relation("complement", "one minus the right value")
    return None


def locate(got: Mapping[str, np.ndarray], expected: Mapping[str, np.ndarray], n: int | None = None,
           rtol: float = 1e-7, atol: float = 1e-12) -> tuple[str, dict[str, Relation | None]]:
    """Which of several named tensors are right and which are wrong, in one sentence.

    Args:
        got, expected: tensors by name (same names, e.g. ``dW1, db1, dW2, db2``), in order.
        n: the batch size, to recognise factors n and 1/n.
        rtol: relative tolerance, against the largest entry of each expected tensor.

    Returns:
        ``(sentence, wrong)``: for example ``"dW2 and db2 match; dW1 is off by a factor of
        1/n = 0.25; db1 is wrong."``, and ``wrong`` maps each wrong tensor's name to its
        :class:`Relation` (None when no simple relation holds). Values are never shown.
    """
    right, wrong = [], {}
    for name, exp in expected.items():
        g, e = np.asarray(got[name], dtype=float), np.asarray(exp, dtype=float)
        scale = float(np.max(np.abs(e))) if e.size else 0.0
        if g.shape == e.shape and np.max(np.abs(g - e), initial=0.0) <= max(atol, rtol * scale):
            right.append(name)
        else:
            wrong[name] = relation(g, e, n=n, rtol=rtol, atol=atol)
    parts = []
    if right:
        parts.append(f"{_join(right)} {'matches' if len(right) == 1 else 'match'}")
    groups: dict[str, list[str]] = {}
    for name, rel in wrong.items():
        groups.setdefault(rel.text if rel else "", []).append(name)
    for text, names in groups.items():
        verb = "is" if len(names) == 1 else "are"
        parts.append(f"{_join(names)} {verb} {text or 'wrong'}" + (" (each)" if text and len(names) > 1 and "factor" in text else ""))
    return "; ".join(parts) + ".", wrong


def common_relation(wrong: Mapping[str, Relation | None]) -> Relation | None:
    """The relation shared by every wrong tensor, if they all share one."""
    relations = list(wrong.values())
    if relations and all(r is not None for r in relations) and len({(r.kind, r.factor) for r in relations}) == 1:
        return relations[0]
    return None


def _join(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
