"""Calling student functions and recording what happened, as plain data.

Everything here runs where the student's code runs and can be patched by it: the registry,
the probes' globals, the clocks. So nothing measured here is believed while grading: the
``seconds`` of an observation is not read by any check; the grader's process owns time (see
:mod:`autograder.sandbox`): it measures each call's CPU time itself, from outside, ends the
process at the limit whatever student code does to the timers here (which only interrupt a
call politely so that the process can go on with the next one), and recomputes every probe's
inputs and expected values on its own side.

This module runs wherever the student's code lives: inside the sandboxed child
during grading and ``autograder check``, and inside the student's own kernel for
``check(...)`` in a notebook. It never judges anything: it calls, times, notices
mutated inputs, and encodes the result (see :mod:`autograder.student.plain`).

A *probe* is the routine that performs one call. ``call`` is the usual one; a
question that needs more (for example timing against a baseline) registers its own
probe with ``@probe`` in a module of this package (one per assignment, discovered on import),
so the child and the notebook run the same code.
"""

from __future__ import annotations

import copy
import importlib
import os
import pkgutil
import traceback
from signal import ITIMER_PROF, ITIMER_REAL, SIGALRM, SIGPROF, setitimer
from signal import signal as set_handler
from time import perf_counter
from typing import Any, Callable, Mapping

import numpy as np

from .. import plain

__all__ = ["PROBES", "CallTimeout", "each_run", "probe", "run_call", "start_timer", "stop_timer", "student_traceback"]

PROBES: dict[str, Callable[..., Any]] = {}
# The whole kit, autograder/ (os.path, not pathlib: this module starts every student process).
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))


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
    """Whether ``after`` is still exactly ``before`` (exact types only: no student ``__eq__`` runs)."""
    if type(before) is not type(after):
        return False
    if type(before) is np.ndarray:
        return before.shape == after.shape and before.dtype == after.dtype and np.array_equal(before, after, equal_nan=before.dtype.kind == "f")
    if type(before) in (list, tuple):
        return len(before) == len(after) and all(map(_same, before, after))
    if type(before) is dict:
        return before.keys() == after.keys() and all(_same(before[k], after[k]) for k in before)
    return before == after or (before != before and after != after)  # NaN stays NaN


def start_timer(cpu_seconds: float | None, message: str, wall_seconds: float | None = None):
    """Raise :class:`CallTimeout` in the main thread once the process has used ``cpu_seconds``
    of CPU time (``ITIMER_PROF``) or ``wall_seconds`` have passed (``ITIMER_REAL``);
    returns what :func:`stop_timer` needs to restore the previous handlers."""
    if not cpu_seconds:
        return None

    def expire(signum, frame):
        raise CallTimeout(message)

    previous = (set_handler(SIGPROF, expire), set_handler(SIGALRM, expire))
    setitimer(ITIMER_PROF, cpu_seconds)
    if wall_seconds:
        setitimer(ITIMER_REAL, wall_seconds)
    return previous


def stop_timer(previous) -> None:
    """Cancel the timers set by :func:`start_timer` and restore the previous handlers."""
    if previous is not None:
        setitimer(ITIMER_PROF, 0)
        setitimer(ITIMER_REAL, 0)
        set_handler(SIGPROF, previous[0])
        set_handler(SIGALRM, previous[1])


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
    message = f"the call used more than its {timeout:g} s of CPU time" if timeout else ""
    previous = start_timer(timeout, message, request.get("wall_seconds") if enforce_timeout else None)
    start = perf_counter()
    try:
        value = PROBES[name](namespace, fn, args, kwargs)
        encoded = plain.encode(value)  # inside the timer: no time is free
        seconds = perf_counter() - start
        stop_timer(previous)
    except BaseException as exc:  # the student's code may raise anything, even SystemExit
        stop_timer(previous)
        if isinstance(exc, KeyboardInterrupt) and not enforce_timeout:
            raise
        status = {NotImplementedError: "not_implemented", CallTimeout: "timeout"}.get(type(exc), "error")
        return {"status": status, "error": {"type": type(exc).__name__, "message": _text(exc)[:1000], "traceback": student_traceback(exc)}}
    mutated = [f"argument {i + 1}" for i, (a, b) in enumerate(zip(pristine[0], args)) if not _same(a, b)]
    mutated += [f"argument {k}" for k in kwargs if not _same(pristine[1][k], kwargs[k])]
    return {"status": "ok", "value": encoded, "mutated": mutated, "seconds": seconds}


def _text(exc: BaseException) -> str:
    """``str(exc)``, or a placeholder when the student's ``__str__`` itself fails."""
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001 -- student code
        return "<the exception's message could not be shown>"
    return text if type(text) is str else "<the exception's message is not text>"


@probe
def call_each(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """Call ``fn(*args, **common, **extra)`` once per dict ``extra`` in ``kwargs["each"]``; return the list of results.

    ``common`` is ``kwargs`` without ``"each"``. One case can then compare several calls
    of the same function, e.g. the same data with several learning rates.
    """
    return [namespace[fn](*args, **run) for run in each_run(kwargs)]


@probe
def call_variants(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """Perform the call of the probe named ``kwargs["variant_probe"]`` (``call`` by default) once per argument list
    in ``args``, with the other ``kwargs``; return the list of results (the calls of a law case: :mod:`autograder.judge.laws`)."""
    inner = PROBES[kwargs.get("variant_probe", "call")]
    rest = {k: v for k, v in kwargs.items() if k != "variant_probe"}
    return [inner(namespace, fn, list(variant), rest) for variant in args]


def each_run(kwargs: Mapping[str, Any]) -> list[dict]:
    """The keyword arguments of each call of a case that lists ``kwargs["each"]``: ``kwargs`` without
    ``"each"``, updated by each of its dicts (one call with ``kwargs`` itself when it lists none)."""
    common = {k: v for k, v in kwargs.items() if k != "each"}
    return [{**common, **extra} for extra in kwargs.get("each", [{}])]


def student_function(namespace: Mapping[str, Any], name: str) -> Callable[..., Any]:
    if name not in namespace or not callable(namespace[name]):
        raise NameError(f"`{name}` is not defined (this check also calls it)")
    return namespace[name]


def _register_assignment_probes() -> None:
    """Import every module of this package, as :func:`autograder.course.assignments` finds the
    question modules: an assignment that needs more than ``call`` adds a module here, and its
    ``@probe`` functions are registered by being imported."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        importlib.import_module(f"{__name__}.{info.name}")


_register_assignment_probes()
