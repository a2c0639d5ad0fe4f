"""Probes of 06_optimizers.

Optimizers are classes with state; objects cannot cross as plain data, so these probes
construct the student's class by name inside the student's process and return only the
parameter values it produces.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

import numpy as np

from . import probe, student_function



def _snapshot(value: Any) -> Any:
    """A copy of what ``step`` returned, so later in-place changes cannot alter the record."""
    if isinstance(value, (list, tuple)):
        return [np.array(p, copy=True) if isinstance(p, np.ndarray) else copy.deepcopy(p) for p in value]
    return value


@probe
def optimizer_steps(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """Construct ``namespace[fn](**kwargs["options"])`` and feed it a sequence of gradients.

    args: (params, grads_sequence) or (params, grads_sequence, options): ``params`` a list of arrays,
    ``grads_sequence`` a list of such lists, ``options`` the constructor's keyword arguments in place of
    ``kwargs["options"]``. Each step is ``current = optimizer.step(current, grads)``, starting from
    ``params``. With ``kwargs["runs"] = r > 1`` the optimizer is ``reset()`` and run again
    from ``params``, ``r`` times in all (with ``kwargs["fresh"]``, a new instance is constructed
    for each run instead, without reset). Returns one list per run of the parameter lists
    after each step (copies). A run stops early when ``step`` returns something that is not
    a list or tuple (the grader reports it).
    """
    params, sequence, *given = args
    options = given[0] if given else kwargs.get("options", {})
    optimizer = namespace[fn](**options)
    runs = []
    for run in range(int(kwargs.get("runs", 1))):
        if run and kwargs.get("fresh"):
            optimizer = namespace[fn](**options)
        elif run:
            optimizer.reset()
        current, states = params, []
        for grads in sequence:
            current = optimizer.step(current, grads)
            states.append(_snapshot(current))
            if not isinstance(current, (list, tuple)):
                break
        runs.append(states)
    return runs


@probe
def quadratic_runs(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """``fn(optimizer, A, w0, steps)`` (e.g. run_quadratic) once per ``[class name, options]`` in ``kwargs["runs"]``.

    args: (A, w0, steps). Each optimizer is constructed fresh from the student's class of
    that name. Returns the list of what ``fn`` returned.
    """
    A, w0, steps = args
    return [namespace[fn](student_function(namespace, name)(**options), A, w0, steps) for name, options in kwargs["runs"]]
