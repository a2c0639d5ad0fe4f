"""Probes of 03_chain_rule, whose gradients must be computed by hand.

The probe performs the call while watching for automatic or symbolic differentiation and
reports what it saw next to the value; the grader's check decides what that costs.
"""

from __future__ import annotations

from typing import Any, Mapping

from . import probe
from .training import recording



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
        if event == "call" and not frame.f_globals.get("STAND_IN"):  # a banned library's stand-in is not the library
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


@probe
def watch_autodiff_recording(namespace: Mapping[str, Any], fn: str, args: list, kwargs: dict) -> Any:
    """:func:`watch_autodiff` while the first calls of ``two_layer_scalar_grads`` are recorded: ``"calls"``, their
    arguments and results (:func:`autograder.student.probes.training.recording`), which the grader reads only to say
    why a training run that already failed went wrong."""
    calls, restore = recording(namespace, "two_layer_scalar_grads")
    try:
        return {**watch_autodiff(namespace, fn, args, kwargs), "calls": calls}
    finally:
        restore()
