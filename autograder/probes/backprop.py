"""Probes of 04_backprop.

Student functions there take functions (activations by name, a cost, a function to
differentiate numerically), so these probes build them inside the student's process.
"""

from __future__ import annotations

from time import perf_counter
from typing import Any, Callable, Mapping

import numpy as np

from . import probe, student_function

def backprop_test_function(name: str, xp: Any = np) -> Callable[[Any], Any]:
    """A scalar function of a network's ``params`` (a sequence of (W, b) pairs), by name.

    ``xp`` is the array module: NumPy in the student's process, ``autograd.numpy`` in the
    grader, which differentiates exactly the same formula. Names:
      "cubic":   sum over layers l of (l + 1) * sum(W**2 + W**3 / 6) + sum(b**2 + b**3 / 6)
      "network": 0.5 * mean squared error of a fixed tanh network (params as its weights)
                 on 5 fixed inputs, summed over outputs.
    """
    if name == "cubic":
        def cubic(params):
            total = 0.0
            for l, (W, b) in enumerate(params):
                total = total + (l + 1) * xp.sum(W ** 2 + W ** 3 / 6.0) + xp.sum(b ** 2 + b ** 3 / 6.0)
            return total
        return cubic
    if name == "network":
        def network(params):
            data = np.random.default_rng(404)
            A = data.normal(size=(5, np.shape(params[0][0])[0]))
            for W, b in params:
                A = xp.tanh(A @ W + b)
            Y = data.normal(size=(5, np.shape(params[-1][0])[1]))
            return 0.5 * xp.sum((A - Y) ** 2) / 5.0
        return network
    raise KeyError(f"no test function named {name!r}")


@probe
def activation_pair(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """``f, f_prime = namespace[fn][name]``; return ``(f(z), f_prime(z))``. args: (name, z).

    With ``kwargs["strict"]``, a floating-point overflow (or an invalid operation) raises instead of
    warning, so an answer that overflows on large |z| fails the case with that error.
    """
    name, z = args
    table = namespace[fn]
    f, f_prime = table[name]
    with np.errstate(over="raise", invalid="raise") if kwargs.get("strict") else np.errstate():
        return f(z), f_prime(z)


@probe
def forward_backward_mse(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """The student's own pipeline: ``forward``, then ``mse_cost_grad``, then ``fn`` (backward).

    args: (params, X, Y, activations); returns what ``backward`` returns.
    """
    params, X, Y, activations = args
    output, cache = student_function(namespace, "forward")(params, X, activations)
    dC_dA = student_function(namespace, "mse_cost_grad")(output, Y)
    return namespace[fn](params, cache, dC_dA, activations)


@probe
def numerical_gradient_of(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """Call ``fn(f, params, **kwargs)`` with ``f`` the test function named by args[0]. args: (name, params)."""
    name, params = args
    return namespace[fn](backprop_test_function(name), params, **kwargs)


def _matmul_baseline(params: list, X: np.ndarray, G: np.ndarray) -> None:
    """A vectorised workload the size of one forward and backward pass: a forward pass, then
    the backward pass's products and elementwise work on the same shapes, but on the
    activations rather than on chained deltas -- deliberately not a backward pass."""
    A = [X]
    for W, b in params:
        A.append(np.tanh(A[-1] @ W + b))
    for l, (W, _) in enumerate(params):
        A[l].T @ A[l + 1], A[l + 1].sum(axis=0), (A[l + 1] @ W.T) * (1.0 - A[l] ** 2)


@probe
def time_forward_backward(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """Time the student's forward + ``fn`` (backward) on a batch, and a vectorised baseline.

    args: (layer_sizes, n, repeats). The network (tanh layers, identity output) and data
    come from a fixed seed. Returns ``{"student": s, "baseline": s}``: the best of
    ``repeats`` runs of each, interleaved, in seconds. The grader judges the ratio.
    """
    sizes, n, repeats = args
    rng = np.random.default_rng(2026)
    params = [(rng.normal(size=(a, b)) / np.sqrt(a), 0.1 * rng.normal(size=b)) for a, b in zip(sizes[:-1], sizes[1:])]
    X, G = rng.normal(size=(n, sizes[0])), rng.normal(size=(n, sizes[-1])) / n
    activations = ["tanh"] * (len(params) - 1) + ["identity"]
    forward, backward = student_function(namespace, "forward"), namespace[fn]
    best = {"student": float("inf"), "baseline": float("inf")}
    spent = 0.0
    for _ in range(repeats):
        start = perf_counter()
        _matmul_baseline(params, X, G)
        middle = perf_counter()
        output, cache = forward(params, X, activations)
        backward(params, cache, G, activations)
        end = perf_counter()
        best["baseline"] = min(best["baseline"], middle - start)
        best["student"] = min(best["student"], end - middle)
        spent += end - start
        if spent > 3.0:  # a slow answer is judged on fewer runs
            break
    return best
