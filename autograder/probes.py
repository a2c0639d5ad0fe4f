"""Calling student functions and recording what happened, as plain data.

The clock and signal functions are bound at import, before any student code runs, so a
student who patches ``time`` or ``signal`` cannot stop the timers or fake a duration.

This module runs wherever the student's code lives: inside the sandboxed child
during grading and ``autograder check``, and inside the student's own kernel for
``check(...)`` in a notebook. It never judges anything: it calls, times, notices
mutated inputs, and encodes the result (see :mod:`autograder.plain`).

A *probe* is the routine that performs one call. ``call`` is the usual one; a
question that needs more (for example timing against a baseline) registers its own
probe here with ``@probe``, so the child and the notebook run the same code.
"""

from __future__ import annotations

import copy
import traceback
from signal import ITIMER_REAL, SIGALRM, setitimer
from signal import signal as set_handler
from time import perf_counter
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from . import plain

__all__ = ["PROBES", "CallTimeout", "probe", "run_call", "start_timer", "stop_timer", "student_traceback"]

PROBES: dict[str, Callable[..., Any]] = {}
_PACKAGE_DIR = str(Path(__file__).resolve().parent)


def probe(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Register ``fn(namespace, fn_name, args, kwargs)`` as a probe under its own name."""
    PROBES[fn.__name__] = fn
    return fn


@probe
def call(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """Call the student's ``fn(*args, **kwargs)`` and return its result."""
    return namespace[fn](*args, **kwargs)


ACTIVATIONS = {
    "identity": lambda z: z,
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
}


@probe
def with_activation(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """Call ``fn`` with ``kwargs["activation"]`` (a name in ACTIVATIONS) replaced by that function.

    Functions cannot travel as plain data, so a question names the activation to pass.
    """
    return namespace[fn](*args, **{**kwargs, "activation": ACTIVATIONS[kwargs["activation"]]})


class CallTimeout(BaseException):
    """Raised inside the student's code when a call exceeds its time limit.

    A BaseException so that a student's ``except Exception`` does not swallow it.
    """


def student_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` without the kit's own frames: the student's code only."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(_PACKAGE_DIR)]
    lines = traceback.format_list(frames) + traceback.format_exception_only(type(exc), exc)
    text = "".join(lines)
    return text if len(text) < 4000 else text[:1500] + "\n  ...\n" + text[-2000:]


def _same(before: Any, after: Any) -> bool:
    if isinstance(before, np.ndarray):
        return isinstance(after, np.ndarray) and before.shape == after.shape and np.array_equal(before, after, equal_nan=before.dtype.kind == "f")
    if isinstance(before, (list, tuple)):
        return type(before) is type(after) and len(before) == len(after) and all(map(_same, before, after))
    if isinstance(before, dict):
        return isinstance(after, dict) and before.keys() == after.keys() and all(_same(before[k], after[k]) for k in before)
    return before == after


def start_timer(seconds: float | None, message: str):
    """Raise :class:`CallTimeout` in the main thread after ``seconds``; returns the previous handler."""
    if not seconds:
        return None

    def expire(signum, frame):
        raise CallTimeout(message)

    previous = set_handler(SIGALRM, expire)
    setitimer(ITIMER_REAL, seconds)
    return previous


def stop_timer(previous) -> None:
    """Cancel a timer set by :func:`start_timer` and restore the previous handler."""
    if previous is not None:
        setitimer(ITIMER_REAL, 0)
        set_handler(SIGALRM, previous)


def run_call(namespace: Mapping[str, Any], request: Mapping[str, Any], enforce_timeout: bool = False) -> dict:
    """Perform one call request and describe the outcome as plain data.

    Args:
        namespace: where the student's functions are defined.
        request: ``{"fn", "args", "kwargs", "probe", "timeout"}`` as made by ``Case.call()``,
            with ``args`` and ``kwargs`` encoded as plain data.
        enforce_timeout: interrupt the call after ``request["timeout"]`` seconds with
            SIGALRM (only in the sandboxed child, which runs in its main thread).

    Returns:
        ``{"status": "ok", "value": <encoded>, "mutated": [...], "seconds": t}``, or
        ``{"status": "missing" | "not_implemented" | "error" | "timeout", "error": {...}}``.
    """
    fn, name = request["fn"], request.get("probe", "call")
    if fn not in namespace or (name == "call" and not callable(namespace[fn])):
        kind = "is not defined" if fn not in namespace else f"is a {type(namespace[fn]).__name__}, not a function"
        return {"status": "missing", "error": {"type": "NameError", "message": f"`{fn}` {kind}"}}
    args, kwargs = list(plain.decode(request["args"])), dict(plain.decode(request["kwargs"]))
    pristine = copy.deepcopy((args, kwargs))
    timeout = request.get("timeout") if enforce_timeout else None
    previous = start_timer(timeout, f"the call took longer than {timeout:g} s" if timeout else "")
    start = perf_counter()
    try:
        value = PROBES[name](namespace, fn, args, kwargs)
        seconds = perf_counter() - start
        stop_timer(previous)
        encoded = plain.encode(value)
    except BaseException as exc:  # the student's code may raise anything, even SystemExit
        stop_timer(previous)
        if isinstance(exc, KeyboardInterrupt) and not enforce_timeout:
            raise
        status = {NotImplementedError: "not_implemented", CallTimeout: "timeout"}.get(type(exc), "error")
        return {"status": status, "error": {"type": type(exc).__name__, "message": str(exc)[:1000], "traceback": student_traceback(exc)}}
    mutated = [f"argument {i + 1}" for i, (a, b) in enumerate(zip(pristine[0], args)) if not _same(a, b)]
    mutated += [f"argument {k}" for k in kwargs if not _same(pristine[1][k], kwargs[k])]
    return {"status": "ok", "value": encoded, "mutated": mutated, "seconds": seconds}


@probe
def call_each(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """Call ``fn(*args, **common, **extra)`` once per dict ``extra`` in ``kwargs["each"]``; return the list of results.

    ``common`` is ``kwargs`` without ``"each"``. One case can then compare several calls
    of the same function, e.g. the same data with several learning rates.
    """
    common = {k: v for k, v in kwargs.items() if k != "each"}
    return [namespace[fn](*args, **common, **extra) for extra in kwargs["each"]]


# --- 04_backprop -------------------------------------------------------------------
# Student functions there take functions (activations by name, a cost, a function to
# differentiate numerically), so these probes build them inside the student's process.


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
    """``f, f_prime = namespace[fn][name]``; return ``(f(z), f_prime(z))``. args: (name, z)."""
    name, z = args
    table = namespace[fn]
    f, f_prime = table[name]
    return f(z), f_prime(z)


def _student_function(namespace: Mapping[str, Any], name: str) -> Callable[..., Any]:
    if name not in namespace or not callable(namespace[name]):
        raise NameError(f"`{name}` is not defined (this check also calls it)")
    return namespace[name]


@probe
def forward_backward_mse(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """The student's own pipeline: ``forward``, then ``mse_cost_grad``, then ``fn`` (backward).

    args: (params, X, Y, activations); returns what ``backward`` returns.
    """
    params, X, Y, activations = args
    output, cache = _student_function(namespace, "forward")(params, X, activations)
    dC_dA = _student_function(namespace, "mse_cost_grad")(output, Y)
    return namespace[fn](params, cache, dC_dA, activations)


@probe
def numerical_gradient_of(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """Call ``fn(f, params, **kwargs)`` with ``f`` the test function named by args[0]. args: (name, params)."""
    name, params = args
    return namespace[fn](backprop_test_function(name), params, **kwargs)


def _tanh_network_baseline(params: list, X: np.ndarray, G: np.ndarray) -> None:
    """Forward and backward through tanh layers (identity last), written directly, vectorised."""
    A, last = [X], len(params) - 1
    for l, (W, b) in enumerate(params):
        Z = A[-1] @ W + b
        A.append(Z if l == last else np.tanh(Z))
    delta = G
    for l in range(last, -1, -1):
        dW, db = A[l].T @ delta, delta.sum(axis=0)
        if l:
            delta = (delta @ params[l][0].T) * (1.0 - A[l] ** 2)


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
    forward, backward = _student_function(namespace, "forward"), namespace[fn]
    best = {"student": float("inf"), "baseline": float("inf")}
    spent = 0.0
    for _ in range(repeats):
        start = perf_counter()
        _tanh_network_baseline(params, X, G)
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


# --- 05_softmax --------------------------------------------------------------------


@probe
def two_class_softmax(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """Softmax, cross-entropy and its gradient of the same two-class logits. args: (Z (n, 2), labels (n,)).

    Returns ``{"softmax": fn(Z), "cross_entropy": ..., "cross_entropy_grad": ...}``, all
    computed by the student's own functions; the grader compares them with the sigmoid.
    """
    Z, labels = args
    return {
        "softmax": namespace[fn](Z),
        "cross_entropy": _student_function(namespace, "cross_entropy")(Z, labels),
        "cross_entropy_grad": _student_function(namespace, "cross_entropy_grad")(Z, labels),
    }


@probe
def forward_backward_given(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """``forward`` then ``fn`` (backward) with a given output gradient. args: (params, X, dC_dA_out, activations).

    Returns ``{"output": ..., "grads": ...}`` as the student's functions return them.
    """
    params, X, dC_dA, activations = args
    output, cache = _student_function(namespace, "forward")(params, X, activations)
    return {"output": output, "grads": namespace[fn](params, cache, dC_dA, activations)}
