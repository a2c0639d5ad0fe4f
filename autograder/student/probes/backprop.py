"""Probes of 04_backprop.

Student functions there take functions (activations by name, a cost, a function to
differentiate numerically), so these probes build them inside the student's process.
"""

from __future__ import annotations

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
    """Call ``fn(f, params, **kwargs)`` with ``f`` the test function named by args[0]. args: (name, params), or
    (name, params, eps) to pass ``eps=``."""
    name, params, *eps = args
    return namespace[fn](backprop_test_function(name), params, **kwargs, **({"eps": eps[0]} if eps else {}))


def timing_workload(sizes: list, n: int, repeats: int, seed: int) -> tuple[list, np.ndarray, np.ndarray, list]:
    """The network and data of the vectorisation check: ``(params, Xs, Gs, activations)``.

    ``params``: tanh layers of ``sizes`` with an identity output, from ``seed``; ``Xs`` of
    shape (repeats, n, sizes[0]) and ``Gs`` of shape (repeats, n, sizes[-1]): a fresh batch
    and upstream gradient for every pass, so no pass can reuse another's result. Built the
    same way in the student's process and in the grader's (for the baseline and the oracle).
    """
    rng = np.random.default_rng(seed)
    params = [(rng.normal(size=(a, b)) / np.sqrt(a), 0.1 * rng.normal(size=b)) for a, b in zip(sizes[:-1], sizes[1:])]
    Xs, Gs = rng.normal(size=(repeats, n, sizes[0])), rng.normal(size=(repeats, n, sizes[-1])) / n
    return params, Xs, Gs, ["tanh"] * (len(params) - 1) + ["identity"]


def matmul_baseline(params: list, X: np.ndarray, G: np.ndarray) -> None:
    """A vectorised workload the size of one forward and backward pass: a forward pass, then
    the backward pass's products and elementwise work on the same shapes, but on the
    activations rather than on chained deltas -- deliberately not a backward pass."""
    A = [X]
    for W, b in params:
        A.append(np.tanh(A[-1] @ W + b))
    for l, (W, _) in enumerate(params):
        A[l].T @ A[l + 1], A[l + 1].sum(axis=0), (A[l + 1] @ W.T) * (1.0 - A[l] ** 2)


@probe
def forward_backward_passes(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """Run the student's forward + ``fn`` (backward) once per batch of :func:`timing_workload`.

    args: (layer_sizes, n, repeats, seed). Returns the gradients summed over the passes,
    ``[(dW, db), ...]``. Nothing is timed here: the grader reads the CPU time this call used
    from outside the student's process and judges it against a baseline it measures itself,
    and checks the summed gradients (a fast answer with wrong values earns nothing).
    """
    params, Xs, Gs, activations = timing_workload(*args)
    forward, backward = student_function(namespace, "forward"), namespace[fn]
    total = None
    for X, G in zip(Xs, Gs):
        _, cache = forward(params, X, activations)
        grads = backward(params, cache, G, activations)
        total = [(np.asarray(dW, float), np.asarray(db, float)) for dW, db in grads] if total is None else \
            [(tW + np.asarray(dW, float), tb + np.asarray(db, float)) for (tW, tb), (dW, db) in zip(total, grads)]
    return total
