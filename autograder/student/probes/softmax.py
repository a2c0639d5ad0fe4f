"""Probes of 05_softmax: calls that combine several student functions (``forward_backward_given``
serves 06_optimizers too, whose students write forward and backward again).
"""

from __future__ import annotations

from typing import Any, Mapping

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

    Returns ``{"output": ..., "cache": ..., "grads": ...}`` as the student's functions return them.
    """
    params, X, dC_dA, activations = args
    output, cache = student_function(namespace, "forward")(params, X, activations)
    return {"output": output, "cache": cache, "grads": namespace[fn](params, cache, dC_dA, activations)}
