"""Why a training loop went wrong, read from the trace of its calls of forward and backward.

The probes ``traced`` and ``traced_each`` (:mod:`autograder.student.probes.training`) run a training function
while the student's ``forward`` and ``backward`` record what the loop gave them. When a check has failed on the
returned values without naming a mistake, :func:`explain` replays the first steps of that trace against the
contract's recipe (a :class:`Recipe`, computed here) and reports the first thing that breaks it, as a
:class:`~autograder.judge.misconceptions.Relation` whose key the question's relation table maps to its catalogue:

- ``"batches"``: the training steps of the first epoch are not one pass over the n rows in batches of
  ``batch_size`` (a row skipped or used twice, a batch too long or too short, no step at all);
- ``"gradient"``, or ``"gradient:<relation>"`` when one holds (:func:`autograder.judge.relations.describe`): the
  output gradient passed to backward is not dC/dA_L of the batch's cost at the output forward returned;
- ``"update"``, or ``"update:<rule>"`` for a rule of :data:`UPDATE_RULES`: a parameter moved otherwise than
  p <- p - lr * (g + decay), g being the gradient the student's own backward returned for it.

Each comparison starts from the student's own values (the output their forward returned, the gradients their
backward returned), so a finding points at the training loop itself, not at a function it is built on. The
trace comes from the student's process: it is read only to explain a failure the check already found, never to
pass anything, and a trace that cannot be read explains nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .compare import Mismatch
from .misconceptions import Relation
from .relations import describe
from ..student.probes.training import TRACED_STEPS

__all__ = ["Recipe", "UPDATE_RULES", "batches", "explain", "explained", "relation_table", "update_relation"]


@dataclass(frozen=True)
class Recipe:
    """What every step of one training run must do, in the kit's terms.

    Attributes:
        gradient: ``(output (m, k), rows (m,)) -> (dC/dA_L (m, k), terms)``: the output gradient the loop must
            pass to backward for the batch of rows ``rows`` (indices into X) whose forward returned ``output``,
            and its additive terms ``{id: value}`` for :func:`~autograder.judge.relations.describe`.
        lr: the learning rate.
        n: the number of rows of X.
        batch_size: rows per mini-batch (n or more: one full batch per epoch).
        epochs: the epochs of the run (0: no step at all).
        decay: the weights' L2 coefficient: W moves by -lr * (dW + decay * W), b by -lr * db.
    """

    gradient: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, Mapping[str, Any]]]
    lr: float
    n: int
    batch_size: int
    epochs: int = 1
    decay: float = 0.0


UPDATE_RULES: dict[str, tuple[Callable[..., np.ndarray], str]] = {
    # key -> (p, g, lr, d) -> the parameter after the step, and how it reads; d is the decay term (decay * W, or 0 for b)
    "update:uphill": (lambda p, g, lr, d: p + lr * (g + d), "{p} <- {p} + lr * d{p}, which climbs the gradient"),
    "update:frozen": (lambda p, g, lr, d: p, "{p} left as it was"),
    "update:without_lr": (lambda p, g, lr, d: p - (g + d), "{p} <- {p} - d{p}, without the learning rate"),
    "update:without_gradient": (lambda p, g, lr, d: p - lr * (1.0 + d), "{p} <- {p} - lr, without the gradient"),
    "update:reversed": (lambda p, g, lr, d: lr * (g + d) - p, "{p} <- lr * d{p} - {p}, the subtraction the wrong way round"),
    "update:gradient_dividing": (lambda p, g, lr, d: p - lr * d - lr / g, "{p} <- {p} - lr / d{p}, where the gradient divides"),
    "update:lr_dividing": (lambda p, g, lr, d: p - (g + d) / lr, "{p} <- {p} - d{p} / lr, where the learning rate divides"),
    "update:decay_missing": (lambda p, g, lr, d: p - lr * g, "{p} <- {p} - lr * d{p}, without the L2 term l2 * {p}"),
    "update:decay_sign": (lambda p, g, lr, d: p - lr * (g - d), "{p} <- {p} - lr * (d{p} - l2 * {p}), the L2 term with the wrong sign"),
}
"""The update rules a step is compared with once it differs from p - lr * (g + d), in this order; a rule whose value
is the right one (``d = 0``, ``lr = 0``...) never matches."""

_RTOL, _ATOL = 1e-7, 1e-12

_VALUE_RELATIONS = ("sign", "factor:n", "factor:1/n", "factor:2", "factor:1/2", "transpose", "shift", "zero", "index+1", "index-1")
"""The keys :func:`~autograder.judge.relations.describe` gives without terms."""


def relation_table(batches: str, gradient: str, update: str, terms: Sequence[str] = (), named: Mapping[str, str] | None = None) -> dict[str, str]:
    """The relation table of a question checked through traces: every key :func:`explain` can give -> the catalogue key
    ``batches``, ``gradient`` or ``update`` of its kind (``terms``: the ids of the recipe's gradient terms), then
    ``named`` mapping single keys (``"update:uphill"``, ``"gradient:factor:n"``) to entries of their own."""
    table = {"batches": batches, "gradient": gradient, "update": update}
    table |= {f"gradient:{key}": gradient for key in _VALUE_RELATIONS}
    table |= {f"gradient:{kind}:{term}": gradient for kind in ("missing", "extra", "flipped") for term in terms}
    table |= dict.fromkeys(UPDATE_RULES, update)
    return table | dict(named or {})


def _close(got, expected) -> bool:
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=_RTOL, atol=_ATOL))


def _pairs(value) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(np.asarray(W, dtype=float), np.asarray(b, dtype=float)) for W, b in value]


def batches(run: Mapping[str, Any]) -> list[np.ndarray]:
    """The rows (indices into X) that each recorded forward call of a traced run received."""
    sizes, rows, every = np.asarray(run["sizes"], dtype=int), np.asarray(run["rows"], dtype=int), np.arange(int(run["n"]))
    listed = iter(np.split(rows, np.cumsum(sizes[sizes >= 0])[:-1]) if (sizes >= 0).any() else [])
    return [every if size < 0 else next(listed) for size in sizes]


def _batches(run: Mapping[str, Any], recipe: Recipe) -> Relation | None:
    """The first epoch's training steps against one pass over the rows in batches of batch_size."""
    seen, trained = batches(run), np.asarray(run["trained"], dtype=int).tolist()
    size = max(1, min(recipe.batch_size, recipe.n))
    per_epoch = -(-recipe.n // size)
    steps = [seen[i] for i in trained[:per_epoch]]
    if not steps:
        return Relation("batches", "your training loop took no step in the first epoch (no call of forward followed by one of backward)")
    used, counts = np.unique(np.concatenate(steps), return_counts=True)
    missing = np.setdiff1d(np.arange(recipe.n), used).tolist()
    twice = used[counts > 1].tolist()
    sizes, right = [len(s) for s in steps], [min(size, recipe.n - k * size) for k in range(per_epoch)]
    if not missing and not twice and sizes == right:
        return None
    found = "; ".join(part for part in (
        f"row{'s' if len(missing) > 1 else ''} {_listed(missing)} never used" if missing else "",
        f"row{'s' if len(twice) > 1 else ''} {_listed(twice)} used more than once" if twice else "",
        f"batches of {sizes[:per_epoch]} rows where order[start:start + batch_size] gives {right}" if sizes != right else "") if part)
    return Relation("batches", f"the mini-batches of your first epoch are not one pass over the {recipe.n} rows in batches of {size}: {found}")


def _listed(rows: Sequence[int], most: int = 6) -> str:
    shown = ", ".join(map(str, rows[:most]))
    return shown + (f" and {len(rows) - most} more" if len(rows) > most else "")


def _steps(run: Mapping[str, Any]):
    """(forward call, backward call, the params after the step or None) for each traced step: the params of the next
    forward call, or after the run's last step, the params it returned (``result[0]``)."""
    calls = list(run["calls"][:4 * TRACED_STEPS])  # what the probe writes; a longer list is not its record
    backwards = [k for k, call in enumerate(calls) if call["call"] == "backward"]
    for k in backwards:
        if k > 0 and calls[k - 1]["call"] == "forward":
            after = next((c["params"] for c in calls[k + 1:] if c["call"] == "forward"), None)
            if after is None and k == backwards[-1] and len(backwards) == run["steps"]:
                after = run["result"][0]
            yield calls[k - 1], calls[k], after


def _step(forward: Mapping[str, Any], backward: Mapping[str, Any], after, recipe: Recipe, number: int) -> Relation | None:
    rows = np.arange(recipe.n) if forward["rows"] is None else np.asarray(forward["rows"], dtype=int)
    expected, terms = recipe.gradient(np.asarray(forward["output"], dtype=float), rows)
    given = np.asarray(backward["gradient"], dtype=float)
    if not _close(given, expected):
        found = describe(given, expected, n=len(rows), terms=terms) if given.shape == np.shape(expected) else None
        how = f": {found[1].text}" if found else ""
        return Relation(f"gradient:{found[0]}" if found else "gradient",
                        f"in step {number} of your training loop, the output gradient passed to backward is not dC/dA of the batch's cost at the "
                        f"output forward returned{how}")
    if after is None:
        return None
    for layer, ((W, b), (dW, db), (W1, b1)) in enumerate(zip(_pairs(forward["params"]), _pairs(backward["grads"]), _pairs(after)), start=1):
        for name, p, g, d, moved in (("W", W, dW, recipe.decay * W, W1), ("b", b, db, np.zeros_like(b), b1)):
            found = update_relation(f"{name} of layer {layer}", name, p, g, moved, recipe.lr, d, number)
            if found is not None:
                return found
    return None


def update_relation(where: str, name: str, p, g, moved, lr: float, d=0.0, number: int = 1, source: str = "your backward returned") -> Relation | None:
    """How the parameter ``p`` (called ``name``, at ``where``) moved in step ``number`` of a training loop, given its
    gradient ``g`` (from ``source``) and decay term ``d``: None when ``moved`` is p - lr * (g + d), else the first of :data:`UPDATE_RULES`
    it follows (``"update:<rule>"``), or ``"update"``."""
    p, g, moved, d = (np.asarray(v, dtype=float) for v in (p, g, moved, d))
    right = p - lr * (g + d)
    if _close(moved, right):
        return None
    said = f"in step {number} of your training loop, {where} moved otherwise than {name} <- {name} - lr * " + (
        f"(d{name} + l2 * {name})" if np.any(d) else f"d{name}") + f" with the d{name} {source}"
    with np.errstate(all="ignore"):
        for key, (rule, reads) in UPDATE_RULES.items():
            value = rule(p, g, lr, d)
            if np.all(np.isfinite(value)) and not _close(value, right) and _close(moved, value):
                return Relation(key, f"{said}; yours is {reads.format(p=name)}")
    return Relation("update", said)


def explain(run: Any, recipe: Recipe) -> Relation | None:
    """The first break of ``recipe`` in the trace of one traced run (as the probe ``traced`` returns it), or None:
    the first epoch's batches, then step by step the output gradient given to backward and the update that follows."""
    try:
        if recipe.epochs < 1 or np.any(np.asarray(run["rows"]) < 0):
            return None  # no step to look at, or rows the trace cannot tell apart
        found = _batches(run, recipe)
        if found is not None:
            return found
        for number, (forward, backward, after) in enumerate(_steps(run), start=1):
            found = _step(forward, backward, after, recipe, number)
            if found is not None:
                return found
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return None  # a trace that is not what the probe writes names nothing
    return None


def explained(check: Callable[[Any, Any], None], recipes: Sequence[Recipe] = (), with_traces: bool = False, weaker: Sequence[str] = (),
              finding: Callable[[Any], Relation | None] | None = None):
    """``check`` of a traced case's results (one run of the probe ``traced``, or the list ``traced_each`` returns),
    given to it without their traces (``with_traces``: as the probe returned them); a failure that names nothing, or
    only a relation of ``weaker`` (a part of the result located, not its cause), is explained, when a trace shows
    why, by the first finding of :func:`explain` over the runs with their ``recipes`` (or by ``finding(got)``, for
    another probe's record)."""
    def traces(got) -> Relation | None:
        runs = got if isinstance(got, list) else [got]
        return next((f for f in (explain(run, recipe) for run, recipe in zip(runs, recipes)) if f is not None), None)

    def wrapped(got, oracles):
        runs = got if isinstance(got, list) else [got]
        results = [run.get("result") if isinstance(run, dict) else None for run in runs]
        try:
            check(got if with_traces else results if isinstance(got, list) else results[0], oracles)
        except Mismatch as wrong:
            if wrong.misconception is None and (wrong.relation is None or wrong.relation in weaker):
                try:
                    found = (finding or traces)(got)
                except (KeyError, IndexError, TypeError, ValueError, AttributeError):
                    found = None  # a record that is not what the probe writes names nothing
                if found is not None:
                    raise Mismatch(f"{wrong.message}\n{found.text[0].upper()}{found.text[1:]}.", relation=found.key) from None
            raise

    return wrapped
