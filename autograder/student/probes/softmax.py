"""Probes of 05_softmax: calls that combine several student functions.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from . import probe, student_function



@probe
def two_class_softmax(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """Softmax, cross-entropy and its gradient of the same two-class logits. args: (Z (n, 2), labels (n,)).

    Returns ``{"softmax": fn(Z), "cross_entropy": ..., "cross_entropy_grad": ...}``, all
    computed by the student's own functions; the grader compares them with the sigmoid.
    """
    Z, labels = args
    return {
        "softmax": namespace[fn](Z),
        "cross_entropy": student_function(namespace, "cross_entropy")(Z, labels),
        "cross_entropy_grad": student_function(namespace, "cross_entropy_grad")(Z, labels),
    }


@probe
def forward_backward_given(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """``forward`` then ``fn`` (backward) with a given output gradient. args: (params, X, dC_dA_out, activations).

    Returns ``{"output": ..., "grads": ...}`` as the student's functions return them.
    """
    params, X, dC_dA, activations = args
    output, cache = student_function(namespace, "forward")(params, X, activations)
    return {"output": output, "grads": namespace[fn](params, cache, dC_dA, activations)}


def _recorded_call(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> dict:
    X = np.asarray(args[0], dtype=float)
    index = {row.tobytes(): i for i, row in enumerate(X)}
    forward, seen = namespace.get("forward"), []

    def recording(params, X_batch, *rest, **options):
        seen.append([index.get(np.asarray(row, dtype=float).tobytes(), -1) for row in np.asarray(X_batch)])
        return forward(params, X_batch, *rest, **options)

    namespace["forward"] = recording
    try:
        return {"result": namespace[fn](*args, **kwargs), "batches": seen}
    finally:
        namespace["forward"] = forward


@probe
def batches_seen(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """``fn(*args, **common, **extra)`` once per dict in ``kwargs["each"]`` (as ``call_each``), each while the
    student's ``forward`` records which rows of ``args[0]`` (X) every call receives.

    Returns one ``{"result": ..., "batches": [[row index, ...] per call of forward]}`` per call (-1 for a
    row that is not one of X's). The grader believes the batches only as far as the trajectory it then
    computes from them agrees with the returned one.
    """
    common = {k: v for k, v in kwargs.items() if k != "each"}
    return [_recorded_call(namespace, fn, args, {**common, **extra}) for extra in kwargs["each"]]
