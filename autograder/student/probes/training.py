"""Probes of training functions: a run of ``fn`` while the student's ``forward`` and ``backward`` record what the
loop gave them (shared by every assignment whose training function is built on those two).

A training loop's mistake shows in its returned parameters only as numbers that differ. What it did step by step
says why: which rows each mini-batch held, which output gradient it passed to backward, and how it then moved
the parameters with the gradients backward returned. The grader reads this trace only to name a mistake once a
check has failed on the returned values (:mod:`autograder.judge.training_trace`), never to pass one.
"""

from __future__ import annotations

import inspect
from typing import Any, Mapping

import numpy as np

from . import each_run, probe

TRACED_STEPS = 3
"""How many training steps (a call of forward followed by one of backward) keep their arrays."""
TRACED_BATCHES = 10_000
"""How many calls of forward keep the rows they received (a long full-batch run needs only the first few)."""


def _copy(value: Any) -> Any:
    """A deep copy of nested lists, tuples and dicts of arrays and numbers, as float arrays (parameters may be updated
    in place afterwards); anything else is None."""
    if isinstance(value, (list, tuple)):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _copy(v) for k, v in value.items()}
    return np.array(value, dtype=float, copy=True) if isinstance(value, np.ndarray) or np.isscalar(value) else None


def _third_argument(fn, args: tuple, options: dict) -> Any:
    """The argument that ``fn(*args, **options)`` binds to its third parameter (backward's output gradient)."""
    try:
        bound = inspect.signature(fn).bind(*args, **options)
    except (TypeError, ValueError):
        return args[2] if len(args) > 2 else None
    names = list(bound.signature.parameters)
    return bound.arguments.get(names[2]) if len(names) > 2 else None


def recording(namespace: dict, name: str, limit: int = TRACED_STEPS + 1):
    """Replace ``namespace[name]`` (when it is a function) by one that keeps copies of its first ``limit`` calls:
    ``{"arguments": {parameter: value}, "result": ...}``. Returns ``(calls, restore)``; ``restore()`` puts it back."""
    original, calls = namespace.get(name), []
    if not callable(original):
        return calls, lambda: None

    def recorded(*args, **options):
        result = original(*args, **options)
        if len(calls) < limit:
            try:
                bound = inspect.signature(original).bind(*args, **options).arguments
            except (TypeError, ValueError):
                bound = {}
            calls.append({"arguments": {k: _copy(v) for k, v in bound.items()}, "result": _copy(result)})
        return result

    namespace[name] = recorded
    return calls, lambda: namespace.__setitem__(name, original)


def _row_finder(source: Any):
    """``rows(X_batch) -> array of i``: for each row of X_batch, the index of the row of X (``source``) whose bytes it
    has, else -1, or None when X_batch is ``source`` itself (rows compared as raw bytes, sorted once; when two rows of
    X are the same, every row is -1). ``rows.n`` is the number of rows of X."""
    X = np.ascontiguousarray(source, dtype=float)
    as_bytes = (lambda A: np.ascontiguousarray(A, dtype=float).view(np.dtype((np.void, 8 * X.shape[1]))).ravel()) if X.ndim == 2 and X.shape[1] else None
    keys = as_bytes(X) if as_bytes is not None else None
    order = np.argsort(keys, kind="stable") if keys is not None else None
    distinct = keys is not None and len(keys) > 0 and len(np.unique(keys)) == len(keys)

    def rows(X_batch) -> np.ndarray | None:
        if X_batch is source:
            return None  # the whole of X, as a full-batch loop passes it
        batch = np.asarray(X_batch, dtype=float)
        if not distinct or batch.ndim != 2 or batch.shape[1] != X.shape[1]:
            return np.full(len(batch) if batch.ndim else 1, -1)
        wanted = as_bytes(batch)
        at = np.clip(np.searchsorted(keys[order], wanted), 0, len(X) - 1)
        return np.where(keys[order][at] == wanted, order[at], -1)

    rows.n = len(X) if X.ndim else 0
    return rows


def traced_call(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> dict:
    """``fn(*args, **kwargs)`` while ``forward`` and ``backward`` (when the namespace defines them) are recorded.

    Returns ``{"result": ..., "rows", "sizes", "trained", "calls", "steps"}``:

    - ``rows`` and ``sizes``: the row indices of X (``args[0]``, else ``kwargs["X"]`` or ``kwargs["x"]``) that each of
      the first :data:`TRACED_BATCHES` forward calls received, one after the other, and how many each received
      (a row that is not one of X's is -1; a call given X itself, all n rows in order, adds no rows and the size -1;
      :func:`autograder.judge.training_trace.batches` splits them again); ``n`` the rows of X;
    - ``trained``: which of those calls backward followed (the training steps, not evaluations);
    - ``calls``: in order, ``{"call": "forward", "rows", "params", "output"}`` and ``{"call": "backward", "gradient",
      "grads"}``, for the first :data:`TRACED_STEPS` backward calls and the forward calls up to the one after them
      (whose params are those after the last traced step);
    - ``steps``: the number of backward calls.
    """
    rows_of = _row_finder(args[0] if args else kwargs.get("X", kwargs.get("x", np.zeros((0, 0)))))
    forward, backward = namespace.get("forward"), namespace.get("backward")
    batches: list[np.ndarray | None] = []
    trained: list[int] = []
    calls: list[dict] = []
    steps = [0]

    def recording_forward(params, X_batch, *rest, **options):
        rows = None
        if len(batches) < TRACED_BATCHES:
            rows = rows_of(X_batch)
            batches.append(rows)
        result = forward(params, X_batch, *rest, **options)
        if steps[0] <= TRACED_STEPS:
            output = result[0] if isinstance(result, tuple) and result else None
            calls.append({"call": "forward", "rows": rows, "params": _copy(params), "output": _copy(output)})
        return result

    def recording_backward(*arguments, **options):
        result = backward(*arguments, **options)
        if batches and len(batches) < TRACED_BATCHES:
            trained.append(len(batches) - 1)
        if steps[0] < TRACED_STEPS:
            calls.append({"call": "backward", "gradient": _copy(_third_argument(backward, arguments, options)), "grads": _copy(result)})
        steps[0] += 1
        return result

    originals = {"forward": forward, "backward": backward}
    wrapped = {name: wrapper for name, wrapper in (("forward", recording_forward), ("backward", recording_backward)) if callable(originals[name])}
    namespace.update(wrapped)
    try:
        result = namespace[fn](*args, **kwargs)
        listed = [b for b in batches if b is not None]  # two arrays cross the channel faster than a thousand
        return {"result": result, "rows": np.concatenate(listed).astype(np.int32) if listed else np.zeros(0, dtype=np.int32),
                "sizes": np.array([-1 if b is None else len(b) for b in batches], dtype=np.int32), "n": rows_of.n,
                "trained": np.array(trained, dtype=np.int32), "calls": calls, "steps": steps[0]}
    finally:
        namespace.update({name: originals[name] for name in wrapped})


@probe
def traced(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """One :func:`traced_call`."""
    return traced_call(namespace, fn, args, kwargs)


@probe
def traced_each(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """:func:`traced_call` once per dict in ``kwargs["each"]`` (as ``call_each``): ``fn(*args, **common, **extra)``."""
    return [traced_call(namespace, fn, args, run) for run in each_run(kwargs)]
