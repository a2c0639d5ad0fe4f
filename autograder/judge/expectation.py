"""A case's judgement as data: what the call should return, where that comes from, how to
compare, and which catalogued mistakes explain which wrong values.

Most cases compare one value with a definition. Instead of a hand-written ``check``, such a
case states the judgement as an :class:`Expect` and the one generic engine, :meth:`Expect.judge`,
runs it. Every entry is read with the case's own arguments, so they are written once::

    Case("z of shape (3,)", "step", (z,), expect=Expect(
        "step(z)", definition=heaviside, reference="step", rtol=0, atol=0, dtype="float64",
        mistakes=(Mistake("step_zero_is_one", lambda z: (z >= 0).astype(float)),
                  Mistake(STEP_INVERTED, lambda z: (z < 0).astype(float)))))

The engine, for a student's value ``got``:

1. reads the part of ``got`` it judges, where ``read`` is given (a structural refusal is a
   ``Mismatch`` of its own);
2. computes the expected value: ``definition(*args, **kwargs)`` (the question's definition,
   an oracle a student may see), or on hidden cases where the reference solution is present,
   the reference's ``reference(*args, **kwargs)``, read like the student's;
3. reads ``got`` as the expected value's kind and shape, then compares within ``rtol`` and
   ``atol`` (:func:`~autograder.judge.compare.expect_close`, whose message says how many
   entries differ and which relation holds, by key, for the question's relation table);
4. when that fails, names the first mistake whose value, computed from the same arguments,
   equals ``got`` while differing from the expected value (the catalogue supplies the words,
   so the message only says what differs); a wrong value no mistake explains is reported as
   it is;
5. then checks the dtype, where the contract states one.

A mistake is tried only on a value that is wrong, so a mistake that coincides with the right
answer on some case can never be named for a right answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np

from .compare import Mismatch, expect_close, expect_float64, expect_scalar
from .misconceptions import close

if TYPE_CHECKING:
    from .question import Case, Oracles

__all__ = ["Expect", "Mistake"]


@dataclass(frozen=True)
class Mistake:
    """A catalogued mistake as the value it gives: one table entry of an :class:`Expect`."""

    key: str
    """The catalogue key it names."""
    value: Callable[..., Any]
    """What a function with this mistake returns (the part its :class:`Expect` judges, where that
    reads a part), called with the case's ``*args, **kwargs``."""


@dataclass(frozen=True)
class Expect:
    """How a case judges its result, as data (see the module's docstring for the steps).

    Attributes:
        what: the student's value as the message names it, e.g. ``"step(z)"``.
        definition: the expected value from the case's ``*args, **kwargs``: the question's own
            definition, written in the grader.
        reference: the reference solution's function whose result is expected on hidden cases
            (None: the definition is the oracle everywhere).
        result: ``"array"`` (of the expected value's shape) or ``"scalar"`` (one number).
        rtol, atol: the tolerances of :func:`~autograder.judge.compare.expect_close`.
        dtype: ``"float64"`` where the contract states it, else None.
        mistakes: tried in order on a wrong value; the first one that gives it is named.
        terms: the additive terms of the expected value from the case's arguments (id -> value),
            so a missing or doubled term is found (relations ``missing:<id>``, ``extra:<id>``).
        factors: the factors of the expected value, a product, from the case's arguments (id -> value),
            so a missing, dividing or doubled factor is found (``missing_factor``, ``inverted_factor``,
            ``extra_factor``).
        batch: the number of samples from the case's arguments, so factors n and 1/n are found.
        read: ``read(got, *args, **kwargs)``: the part of the student's result this expectation
            judges, read from a structured result (one array of a pair, say); raises ``Mismatch``
            when the structure is wrong. None: the whole result.
        match_rtol: how near the student's value must be to a mistake's (relative; the absolute
            tolerance is ``atol``, at least 1e-12), by default ``rtol`` (at least 1e-12).
        distinct_rtol: how far a mistake's value must be from the right one for the mistake to be
            tried at all, by default the matching tolerance.
        explain: ``explain(value, expected, *args, **kwargs)``: a further relation
            (:class:`~autograder.judge.misconceptions.Relation`) the question finds by parts where
            the comparison finds none (a product with a factor missing, say); its key goes
            through the question's relation table like the others.
        otherwise: the catalogue key named for a wrong value that no mistake and no relation
            explains: for a part whose every wrong value means one mistake (a cost computed from a
            part already judged right can only have a wrong formula).

    A case may hold several, judged in order (``Case(..., expect=(Expect(...), Expect(...)))``):
    one per part of a structured result.
    """

    what: str
    definition: Callable[..., Any]
    reference: str | None = None
    result: str = "array"
    rtol: float = 1e-12
    atol: float = 1e-12
    dtype: str | None = None
    mistakes: Sequence[Mistake] = field(default=(), repr=False)
    terms: Callable[..., Mapping[str, Any]] | None = field(default=None, repr=False)
    factors: Callable[..., Mapping[str, Any]] | None = field(default=None, repr=False)
    batch: Callable[..., int] | None = field(default=None, repr=False)
    read: Callable[..., Any] | None = field(default=None, repr=False)
    match_rtol: float | None = None
    distinct_rtol: float | None = None
    explain: Callable[..., Any] | None = field(default=None, repr=False)
    otherwise: str | None = None

    def __post_init__(self):
        if self.result not in ("array", "scalar"):
            raise ValueError(f"Expect({self.what!r}): result must be 'array' or 'scalar', not {self.result!r}")
        if self.dtype not in (None, "float64"):
            raise ValueError(f"Expect({self.what!r}): dtype must be None or 'float64', not {self.dtype!r}")

    def expected(self, case: Case, oracles: Oracles) -> Any:
        """The value the case's call should return (its part, where :attr:`read` reads one): the
        definition's, or on hidden cases where the reference is present, the reference's result,
        read like the student's."""
        if self.reference is None or not oracles.judges_by_reference:
            return self.definition(*case.args, **case.kwargs)
        result = oracles.hidden_reference(self.reference, *case.args, **case.kwargs)
        return result if self.read is None else self.read(result, *case.args, **case.kwargs)

    def judge(self, case: Case, got: Any, oracles: Oracles) -> None:
        """Raise :class:`~autograder.judge.compare.Mismatch` when ``got`` is not the case's expected value."""
        if self.read is not None:
            got = self.read(got, *case.args, **case.kwargs)
        expected = self.expected(case, oracles)
        try:
            value = expect_scalar(got, self.what) if self.result == "scalar" else got
        except Mismatch as wrong:
            raise Mismatch(wrong.message, misconception=self.named(case, got, expected)) from None
        key = None if self._same(value, expected) else self.named(case, value, expected)
        try:
            expect_close(value, expected, self.what, rtol=self.rtol, atol=self.atol, reveal=oracles.reveal, relations=key is None,
                         n=self.batch(*case.args, **case.kwargs) if self.batch else None,
                         terms=self.terms(*case.args, **case.kwargs) if self.terms and key is None else None,
                         factors=self.factors(*case.args, **case.kwargs) if self.factors and key is None else None)
        except Mismatch as wrong:
            message, relation = wrong.message, wrong.relation
            if key is None and relation is None and self.explain is not None:
                found = self.explain(value, expected, *case.args, **case.kwargs)
                if found is not None:
                    message, relation = f"{message}\n  your {'value is' if np.ndim(expected) == 0 else 'values are'} {found.text}.", found.key
            if key is None and relation is None:
                key = self.otherwise
            raise Mismatch(message, misconception=key, relation=relation, symptom=wrong.symptom) from None
        if self.dtype == "float64" and self.result == "array":
            expect_float64(got, self.what)

    def named(self, case: Case, got: Any, expected: Any) -> str | None:
        """The key of the first mistake that gives ``got`` on this case, among those whose value is wrong."""
        atol = max(self.atol, 1e-12)
        match = max(self.rtol, 1e-12) if self.match_rtol is None else self.match_rtol
        distinct = match if self.distinct_rtol is None else self.distinct_rtol
        for mistake in self.mistakes:
            with np.errstate(all="ignore"):
                wrong = mistake.value(*case.args, **case.kwargs)
            if close(got, wrong, rtol=match, atol=atol) and not close(wrong, expected, rtol=distinct, atol=atol):
                return mistake.key
        return None

    def _same(self, a: Any, b: Any) -> bool:
        return close(a, b, rtol=max(self.rtol, 1e-12), atol=max(self.atol, 1e-12))
