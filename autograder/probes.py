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
    forward, backward = _student_function(namespace, "forward"), namespace[fn]
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


# --- 06_optimizers -----------------------------------------------------------------
# Optimizers are classes with state; objects cannot cross as plain data, so these probes
# construct the student's class by name inside the student's process and return only the
# parameter values it produces.


def _snapshot(value: Any) -> Any:
    """A copy of what ``step`` returned, so later in-place changes cannot alter the record."""
    if isinstance(value, (list, tuple)):
        return [np.array(p, copy=True) if isinstance(p, np.ndarray) else copy.deepcopy(p) for p in value]
    return value


@probe
def optimizer_steps(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """Construct ``namespace[fn](**kwargs["options"])`` and feed it a sequence of gradients.

    args: (params, grads_sequence): ``params`` a list of arrays, ``grads_sequence`` a list of
    such lists. Each step is ``current = optimizer.step(current, grads)``, starting from
    ``params``. With ``kwargs["runs"] = r > 1`` the optimizer is ``reset()`` and run again
    from ``params``, ``r`` times in all. Returns one list per run of the parameter lists
    after each step (copies). A run stops early when ``step`` returns something that is not
    a list or tuple (the grader reports it).
    """
    params, sequence = args
    optimizer = namespace[fn](**kwargs.get("options", {}))
    runs = []
    for run in range(int(kwargs.get("runs", 1))):
        if run:
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
    return [namespace[fn](_student_function(namespace, name)(**options), A, w0, steps) for name, options in kwargs["runs"]]


# --- 03_chain_rule -----------------------------------------------------------------
# Gradients there must be computed by hand. This probe performs the call while watching
# for automatic or symbolic differentiation and reports what it saw next to the value;
# the grader's check decides what that costs.

AUTODIFF_LIBRARIES = ("autograd", "jax", "jaxlib", "torch", "sympy", "tensorflow")


def _autodiff_library(module_name: Any) -> str | None:
    """The library's top-level name if ``module_name`` belongs to one of AUTODIFF_LIBRARIES."""
    if not isinstance(module_name, str):
        return None
    top = module_name.split(".", 1)[0]
    return top if top in AUTODIFF_LIBRARIES else None


def _library_of(value: Any) -> str | None:
    """The autodiff library a module, function, class or instance comes from, if any.

    Only attributes of built-in types are read (a module's name, a function's or class's
    ``__module__``), so no student ``__getattr__`` or property runs here.
    """
    import types

    if isinstance(value, types.ModuleType):
        return _autodiff_library(value.__name__)
    if isinstance(value, types.FunctionType) and "lambdifygenerated" in value.__code__.co_filename:
        return "sympy"
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType, type)):
        owner = value if not isinstance(value, types.MethodType) else value.__func__
        found = _autodiff_library(type.__getattribute__(owner, "__module__") if isinstance(owner, type) else getattr(owner, "__module__", None))
        if found or not isinstance(value, types.MethodType):
            return found
        value = value.__self__
    return _autodiff_library(type.__getattribute__(type(value), "__module__"))


def _code_objects(code: Any) -> list:
    """A code object and every code object nested in it (lambdas, inner functions, comprehensions)."""
    found, stack = [], [code]
    while stack:
        current = stack.pop()
        found.append(current)
        stack += [c for c in current.co_consts if hasattr(c, "co_code")]
    return found


def static_autodiff_uses(fn: Any, limit: int = 50) -> dict[str, str]:
    """Libraries ``fn`` reaches without running it: import statements in its code, and the
    modules, functions and objects that the names in its code (and in its nested lambdas and
    functions) refer to through its globals or closure, following the student's own helper
    functions and classes (those sharing ``fn``'s globals). Returns library -> where."""
    import dis
    import functools
    import types

    found: dict[str, str] = {}
    seen: set[int] = set()
    queue = [fn]
    home = getattr(fn, "__globals__", None)
    while queue and len(seen) < limit:
        current = queue.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, type):
            queue += [v for v in vars(current).values() if isinstance(v, types.FunctionType)]
            continue
        if isinstance(current, (functools.partial, functools._lru_cache_wrapper)):  # a cached or partial helper
            queue.append(current.func if isinstance(current, functools.partial) else current.__wrapped__)
            continue
        if not isinstance(current, types.FunctionType):
            continue
        where = current.__name__
        codes = _code_objects(current.__code__)
        names = set()  # global names the code reads (not attribute names, which share co_names)
        for code in codes:
            for instruction in dis.get_instructions(code):
                library = _autodiff_library(instruction.argval) if instruction.opname == "IMPORT_NAME" else None
                if library:
                    found.setdefault(library, f"`import {instruction.argval}` in {where}")
                if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
                    names.add(str(instruction.argval))
        referenced = {name: current.__globals__[name] for name in names if name in current.__globals__}
        cells = dict(zip(current.__code__.co_freevars, current.__closure__ or ()))
        for name, cell in cells.items():
            try:
                referenced[name] = cell.cell_contents
            except ValueError:  # an empty cell
                pass
        for name, value in referenced.items():
            library = _library_of(value)
            if library:
                found.setdefault(library, f"`{name}` used in {where}")
            elif isinstance(value, types.FunctionType) and (value.__globals__ is home or name in cells):
                queue.append(value)
            elif isinstance(value, type) and type.__getattribute__(value, "__module__") == current.__module__:
                queue.append(value)
            elif isinstance(value, (functools.partial, functools._lru_cache_wrapper)):
                queue.append(value)
    return found


@probe
def watch_autodiff(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """Call ``fn(*args, **kwargs)`` while watching for autodiff/symbolic libraries (AUTODIFF_LIBRARIES).

    Returns ``{"value": <the result>, "autodiff": [library, ...], "where": [text, ...]}``.
    A library counts as used when, during the call, code from it runs (a profiling hook),
    it is imported (``builtins.__import__`` and new entries in ``sys.modules``), or when the
    function's code imports it or refers to it through its globals or closure, directly or
    through the student's own helpers. Empty lists mean none was seen.
    """
    import builtins
    import sys

    target = namespace[fn]
    seen: dict[str, str] = dict(static_autodiff_uses(target))
    before = set(sys.modules)
    original_import = builtins.__import__

    def watched_import(name, globals=None, locals=None, fromlist=(), level=0):
        library = _autodiff_library(name) if not level else None
        if library:
            seen.setdefault(library, f"`import {name}` during the call")
        return original_import(name, globals, locals, fromlist, level)

    def watcher(frame, event, arg):
        if event == "call":
            library = _autodiff_library(frame.f_globals.get("__name__"))
            if library is None and "lambdifygenerated" in frame.f_code.co_filename:
                library = "sympy"
            if library:
                seen.setdefault(library, f"code from {library} ran during the call")
        elif event == "c_call":
            library = _autodiff_library(getattr(arg, "__module__", None))
            if library:
                seen.setdefault(library, f"{library}'s compiled code ran during the call")

    previous_profile = sys.getprofile()
    builtins.__import__ = watched_import
    sys.setprofile(watcher)
    try:
        value = target(*args, **kwargs)
    finally:
        tampered = sys.getprofile() is not watcher
        sys.setprofile(previous_profile)
        builtins.__import__ = original_import
    for name in set(sys.modules) - before:
        library = _autodiff_library(name)
        if library:
            seen.setdefault(library, f"{name} was imported during the call")
    if tampered:
        seen.setdefault("unknown", "the call switched off the kit's watch for autodiff libraries")
    return {"value": value, "autodiff": sorted(seen), "where": [seen[k] for k in sorted(seen)]}
