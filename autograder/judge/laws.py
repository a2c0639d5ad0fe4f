"""Laws a contract's function obeys between calls: checks that need no expected value.

A right ``mse_cost`` is zero where ``A`` equals ``Y``, a quarter as large when ``A - Y`` is
halved, unchanged when every sample of the batch is repeated twice (a mean over the rows); a
right central difference barely changes when its step is halved; a right batch-norm ``dZ`` has
columns that sum to zero. Each such law is a table entry (:class:`Law`) beside the question that
uses it. A *law case* (:func:`law_case`) calls the student's function on the case's arguments and
on each law's transformed arguments in one request (the ``call_variants`` probe) and checks the laws
in the grader's process, on the student's own values: no expected value is computed, so a law case
is as good visible as hidden and shows nothing of the answer. Trivial answers obey some laws (0 is
zero where A = Y), so a law case is *diagnostic*: it counts among a question's cases only when it
fails, and can only take points away.

A broken law says something true about the student's function whatever its code is ("repeating
every sample twice doubled your cost: it is not a mean over the samples"), so it names a mistake even
where the wrong value stands in no simple relation to the right one (a formula garbled past
recognition). Its relation key (``"law:mean"``, ``"law:degree:<arg>:<k>"``, ...) is named by the
kit-wide rule for its kind (:mod:`autograder.judge.wrong_values`), or by the question's own table.

Keys of the laws' relations (the constructors below make them):

- ``"law:zero"``: the value is zero where the contract's formula is (``A = Y`` for a cost);
- ``"law:mean"``, ``"law:mean_gradient"``, ``"law:sum:columns"``: what repeating
  every sample (or every column) twice does to a right value (:data:`REPEATED`);
- ``"law:degree:<arg>:<k>"``: multiplying ``<arg>`` (one argument, or a difference of two) by c multiplies
  the value by c**k;
- ``"law:step"``: a finite difference that (nearly) does not depend on its step, eps;
- ``"law:identity"``: an identity between two calls or within one value (``f(-z) = 1 - f(z)``, rows that
  sum to one, columns that sum to zero): :attr:`Law.says` states it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from .compare import Mismatch
from .question import Case

__all__ = ["Law", "REPEATED", "degree", "identity", "law_case", "repeated", "zero_where"]


@dataclass(frozen=True)
class Law:
    """One law: ``measure(f(*transform(*args)), *args) == image(f(*args), *args)`` within ``rtol``.

    Attributes:
        relation: the relation key a broken law raises (see the module's docstring).
        says: the law in one sentence for the student ("repeating every row of A and Y twice leaves
            mse_cost unchanged").
        transform: the arguments of the second call from the case's; None: the law is a property of
            the first value alone (``measure`` reads it).
        image: what the measured value must be, from the first value and the case's arguments.
        measure: what of the second value (or of the first, without ``transform``) is compared.
        rtol: relative tolerance, against the larger of the image's largest entry and ``scale``.
        scale: the size of the measured quantity, from the first value and the arguments, where the image is zero by
            the law (a column sum of dZ: n times dZ's largest entry); None: the first value's measure.
        clause: the contract clause (``"fn.id"``) it checks, if it is one.
    """

    relation: str
    says: str
    transform: Callable[..., Sequence[Any]] | None = field(default=None, repr=False)
    image: Callable[..., Any] = field(default=lambda value, *args: value, repr=False)
    measure: Callable[..., Any] = field(default=lambda value, *args: value, repr=False)
    rtol: float = 1e-7
    scale: Callable[..., float] | None = field(default=None, repr=False)
    clause: str | None = None

    def broken(self, first: Any, second: Any, args: Sequence[Any]) -> tuple[np.ndarray, np.ndarray] | None:
        """``(measured, image)`` where the law does not hold on these values, else None. A value of
        another shape, or one that is not finite, breaks it."""
        with np.errstate(all="ignore"):
            got = np.asarray(self.measure(second, *args), dtype=float)
            want = np.asarray(self.image(first, *args), dtype=float)
        size = max(float(np.max(np.abs(want), initial=0.0)), self._scale(first, args))
        if got.shape == want.shape and np.all(np.isfinite(got)) and np.allclose(got, want, rtol=self.rtol, atol=self.rtol * size):
            return None
        return got, want

    def _scale(self, first: Any, args: Sequence[Any]) -> float:
        """The size of the measured quantity (:attr:`scale`): where the law's image is zero (a cost at A = Y), the
        tolerance is relative to it."""
        try:
            with np.errstate(all="ignore"):
                size = self.scale(first, *args) if self.scale else np.nanmax(np.abs(np.asarray(self.measure(first, *args), dtype=float)), initial=0.0)
            return max(float(size), 1e-300) if np.isfinite(size) else 1e-300
        except (TypeError, ValueError, IndexError, KeyError):
            return 1e-300


def _repeat(axis: int, positions: Sequence[int]) -> Callable[..., list]:
    def transform(*args):
        return [np.concatenate([a, a], axis=axis) if i in positions else a for i, a in enumerate(args)]
    return transform


REPEATED = {
    # kind -> (relation key, what repeating does, the image of the first value)
    "mean": ("law:mean", "leaves {what} unchanged (a mean over the samples)", lambda v, axis: v),
    "mean_gradient": ("law:mean_gradient", "halves every entry of {what}, each now appearing twice (the gradient of a mean over the samples)",
                      lambda v, axis: np.concatenate([v, v], axis=axis) / 2.0),
    "sum_over_columns": ("law:sum:columns", "doubles {what} (a sum over the columns)", lambda v, axis: 2.0 * v),
}
"""What repeating the samples (axis 0) or the columns (axis 1) of the arguments does to a right value, by kind."""


def repeated(what: str, kind: str, *positions: int, axis: int = 0, clause: str | None = None, part: Callable[[Any], Any] | None = None) -> Law:
    """Repeating the rows (``axis=0``: every sample twice) or the columns of the arguments at ``positions`` does to
    the value (or ``part`` of it) what :data:`REPEATED` says for ``kind``."""
    read = part or (lambda value: value)
    key, does, image = REPEATED[kind]
    where = "every sample of the batch" if axis == 0 else "every column"
    return Law(key, f"repeating {where} twice {does.format(what=what)}", _repeat(axis, positions),
               image=lambda value, *args: image(np.asarray(read(value), dtype=float), axis), measure=lambda value, *args: read(value), clause=clause)


def degree(what: str, arg: str, k: int, scale: Callable[[Sequence[Any], float], Sequence[Any]], c: float = 0.5,
           clause: str | None = None, part: Callable[[Any], Any] | None = None) -> Law:
    """Multiplying ``arg`` by ``c`` (``scale(args, c)`` makes the new arguments) multiplies the value by ``c**k``."""
    read = part or (lambda value: value)
    times = f"leaves {what} unchanged" if k == 0 else f"multiplies {what} by {c:g}" + (f"**{k} = {c ** k:g}" if k != 1 else "")
    return Law(f"law:degree:{arg}:{k}", f"multiplying {arg} by {c:g} {times} (it is of degree {k} in {arg})",
               lambda *args: scale(args, c), image=lambda value, *args: c ** k * np.asarray(read(value), dtype=float),
               measure=lambda value, *args: read(value), clause=clause)


def zero_where(what: str, where: str, transform: Callable[..., Sequence[Any]], clause: str | None = None,
               part: Callable[[Any], Any] | None = None) -> Law:
    """``what`` is zero on the arguments ``transform`` makes (``where`` says what they are: "A = Y")."""
    read = part or (lambda value: value)
    return Law("law:zero", f"{what} is zero where {where}", transform,
               image=lambda value, *args: np.zeros_like(np.asarray(read(value), dtype=float)), measure=lambda value, *args: read(value), clause=clause)


def identity(says: str, image: Callable[..., Any], measure: Callable[..., Any] = lambda value, *args: value,
             transform: Callable[..., Sequence[Any]] | None = None, clause: str | None = None, rtol: float = 1e-7,
             relation: str = "law:identity", scale: Callable[..., float] | None = None) -> Law:
    """Any other identity, stated by ``says`` (``"sigmoid(-z) = 1 - sigmoid(z)"``): see :class:`Law`; ``relation`` is
    ``"law:identity"`` unless a kit-wide rule words this kind of identity better (``"law:step"``)."""
    return Law(relation, says, transform, image=image, measure=measure, rtol=rtol, scale=scale, clause=clause)


def law_case(label: str, fn: str, args: Sequence[Any], laws: Sequence[Law], what: str | None = None, probe: str = "call",
             kwargs: dict | None = None, judgeable: Callable[..., None] | None = None, **case: Any) -> Case:
    """One case that calls ``fn`` on ``args`` and on each law's transformed arguments, and checks every law
    on the student's values (in order; the first broken one is reported). ``what`` names the value in the
    message (``fn`` by default); ``probe`` performs each call (with ``kwargs``); ``judgeable(value, *call_args)`` raises
    ``Mismatch`` for a value the laws cannot judge (a backward pass fed a wrong forward pass), so that no law
    is named for another function's mistake; ``case`` is passed to :class:`~autograder.judge.question.Case`."""
    args = tuple(args)
    calls = [list(args)] + [list(law.transform(*args)) for law in laws if law.transform is not None]

    def check(values, oracles):
        if not isinstance(values, list) or len(values) != len(calls):
            raise Mismatch(f"`{fn}` could not be called on the varied arguments of this case.")
        if judgeable is not None:
            for value, call in zip(values, calls):
                judgeable(value, *call)
        second = iter(values[1:])
        for law in laws:
            other = next(second) if law.transform is not None else values[0]
            found = law.broken(values[0], other, args)
            if found is not None:
                got, want = found
                shown = f"{_short(got)} where the law gives {_short(want)}" if got.shape == want.shape else \
                    f"a value of shape {got.shape} where the law gives one of shape {want.shape}"
                raise Mismatch(f"{what or fn} breaks a law its contract implies: {law.says}.\n  Yours gives {shown}.", relation=law.relation)

    clauses = tuple(dict.fromkeys(law.clause for law in laws if law.clause))
    return Case(label, fn, tuple(calls), check=check, probe="call_variants", kwargs={**(kwargs or {}), "variant_probe": probe},
                clauses=clauses + tuple(case.pop("clauses", ())), diagnostic=True, **case)


def _short(value: np.ndarray) -> str:
    """A value the student can read in one line: a number, or the first few entries of an array."""
    if value.ndim == 0:
        return f"{float(value):.6g}"
    flat = value.ravel()
    entries = ", ".join(f"{x:.4g}" for x in flat[:4])
    return f"[{entries}{', ...' if flat.size > 4 else ''}] (shape {value.shape})"
