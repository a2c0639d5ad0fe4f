"""Libraries an assignment forbids: where they are installed, and whether submitted code imports them.

The sandbox (:mod:`autograder.sandbox.isolation`) makes the install folders found here absent from
the student's process where namespaces are available: each package folder is covered by an
empty read-only folder holding only :mod:`autograder.sandbox.absent_library` as its ``__init__.py``:
nothing of the library is there, and using anything imported from it raises ``ImportError``
with the reason. :func:`forbidden_imports` is the second line,
run in the grader's process on the submitted source before any of it runs; the notebook's
own ``check`` keeps its in-process watch (:mod:`autograder.student.probes.chain_rule`) as advice.
"""

from __future__ import annotations

import ast
import functools
import glob
import importlib.util
import re
import sys
from pathlib import Path
from typing import Iterable

__all__ = ["CELL_ERROR", "STUB", "forbidden_imports", "library_paths", "names_any"]

CELL_ERROR = "ForbiddenLibrary"
"""The error type recorded for a submitted cell that was not run because it imports a forbidden library."""

STUB = Path(__file__).resolve().parent / "absent_library.py"
"""The ``__init__.py`` that a hidden package shows the student's process."""

IMPORT_CALLS = {"__import__", "import_module", "find_spec", "find_loader", "load_module"}
"""Functions that import a module named by a string: a constant string naming a forbidden library counts."""


def _top(name: object) -> str | None:
    return name.split(".", 1)[0] if isinstance(name, str) and name else None


def forbidden_imports(source: str, libraries: Iterable[str]) -> list[str]:
    """The forbidden libraries ``source`` imports, sorted: ``import x``, ``from x import ...``,
    and calls such as ``__import__("x")`` or ``importlib.import_module("x.y")`` with a constant
    name. Source that does not parse yields nothing here (the cell fails on its own)."""
    banned = set(libraries)
    if not banned:
        return []
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {_top(alias.name) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level:
            found.add(_top(node.module))
        elif isinstance(node, ast.Call):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id if isinstance(node.func, ast.Name) else None
            if called in IMPORT_CALLS and node.args and isinstance(node.args[0], ast.Constant):
                found.add(_top(node.args[0].value))
    return sorted(found & banned)


def names_any(source: str, libraries: Iterable[str]) -> bool:
    """Whether ``source`` contains any of ``libraries`` as a whole word (``autograd`` in
    ``import autograd.numpy`` or ``"autograd"``, not in ``autograder``)."""
    return any(re.search(rf"(?<!\w){re.escape(name)}(?!\w)", source) for name in libraries)


def _distribution_folders(folder: Path, name: str) -> list[Path]:
    pattern = re.compile(rf"{re.escape(name)}-[^/]*\.(dist-info|egg-info)$", re.IGNORECASE)
    try:
        return [p for p in folder.iterdir() if pattern.match(p.name)]
    except OSError:
        return []


SYSTEM_FOLDERS = ("/usr/lib/python3*/*-packages", "/usr/local/lib/python3*/*-packages", "/usr/lib/python3/dist-packages",
                  "/usr/lib64/python3*/*-packages", "/opt/conda/lib/python3*/site-packages")
"""Where the system's Pythons keep libraries, searched besides the grader's own path."""


def _search_folders() -> list[Path]:
    folders = [Path(p) for p in sys.path if p] + [Path(sys.prefix), Path(sys.base_prefix)]
    return folders + [Path(p) for pattern in SYSTEM_FOLDERS for p in sorted(glob.glob(pattern))]


@functools.cache
def library_paths(libraries: tuple[str, ...], search: tuple[str, ...] | None = None) -> tuple[Path, ...]:
    """Where ``libraries`` are installed: each package folder (or single module file) and its
    ``dist-info``/``egg-info`` metadata, in every folder of ``search`` (default: ``sys.path``
    and :data:`SYSTEM_FOLDERS`) and wherever :func:`importlib.util.find_spec` finds it. Looked
    up in the grader's process once (cached); nothing is imported. Libraries that are not
    installed add nothing."""
    found: list[Path] = []
    folders = _search_folders() if search is None else [Path(p) for p in search if p]
    for name in libraries:
        places = []
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is not None:
            places += [Path(p) for p in (spec.submodule_search_locations or [])] or ([Path(spec.origin)] if spec.origin else [])
        for folder in folders:
            places += [folder / name, folder / f"{name}.py"]
            places += _distribution_folders(folder, name)
        for place in places:
            if place.exists() and place.resolve() not in found:
                found.append(place.resolve())
    return tuple(found)
