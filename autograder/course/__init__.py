"""Where things are: the course directory, the assignments, their notebooks.

The repository root is one nbgrader course directory (see ``nbgrader_config.py``):
``solutions/<assignment>/<notebook>`` is the instructor's source and
``assignments/<assignment>/<notebook>`` the released student version. Question
declarations live in :mod:`autograder.questions`, one module per assignment.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import pkgutil
from pathlib import Path
from types import ModuleType
from typing import Any

from . import notebook as nb
from ..judge.question import Assignment

__all__ = ["assignments", "get_assignment", "question_module", "find_course_root", "is_course_root", "solution_path", "release_path", "reference"]

COURSE_ROOT_ENV = "AUTOGRADER_COURSE_ROOT"


@functools.cache
def _question_modules() -> dict[str, ModuleType]:
    """Assignment name -> the module of :mod:`autograder.questions` declaring it (its ``ASSIGNMENT``)."""
    from .. import questions

    found = {}
    for info in sorted(pkgutil.iter_modules(questions.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{questions.__name__}.{info.name}")
        assignment = getattr(module, "ASSIGNMENT", None)
        if isinstance(assignment, Assignment):
            found[assignment.name] = module
    return dict(sorted(found.items()))


@functools.cache
def assignments() -> dict[str, Assignment]:
    """Every declared assignment by name, discovered from :mod:`autograder.questions`."""
    return {name: module.ASSIGNMENT for name, module in _question_modules().items()}


def question_module(assignment: Assignment) -> ModuleType:
    """The module of :mod:`autograder.questions` that declares ``assignment``."""
    return _question_modules()[assignment.name]


def _known_as(assignment: Assignment, name: str) -> bool:
    return name in (assignment.name, assignment.name.split("_", 1)[-1], Path(assignment.notebook).stem)


def get_assignment(name: str) -> Assignment:
    """Look an assignment up by its full name (``01_gates``) or its topic (``gates``).

    The module named after the topic (``questions/gates.py``) is tried first, so a notebook's
    ``checker(...)`` imports only its own assignment's declarations."""
    from .. import questions

    topic = name.split("_", 1)[-1]
    if topic.isidentifier() and importlib.util.find_spec(f"{questions.__name__}.{topic}") is not None:
        assignment = getattr(importlib.import_module(f"{questions.__name__}.{topic}"), "ASSIGNMENT", None)
        if isinstance(assignment, Assignment) and _known_as(assignment, name):
            return assignment
    for assignment in assignments().values():
        if _known_as(assignment, name):
            return assignment
    raise KeyError(f"unknown assignment {name!r}; known: {', '.join(assignments())}")


def is_course_root(path: Path) -> bool:
    """Whether ``path`` is a course directory: it holds ``nbgrader_config.py`` and ``solutions/``."""
    return (path / "nbgrader_config.py").is_file() and (path / "solutions").is_dir()


def find_course_root(start: str | Path | None = None, beside_package: bool = True) -> Path | None:
    """The course directory holding ``solutions/``, or None where there is none (a student's machine).

    Looked for in ``$AUTOGRADER_COURSE_ROOT``, then upwards from ``start`` (default: the
    working directory), then, with ``beside_package``, beside the installed package (a
    development checkout). The instructor's commands pass ``beside_package=False``: run
    outside a course, they must say so rather than grade with, or build into, the clone the
    kit was installed from.
    """
    candidates = []
    if os.environ.get(COURSE_ROOT_ENV):
        candidates.append(Path(os.environ[COURSE_ROOT_ENV]))
    here = Path(start or Path.cwd()).resolve()
    candidates += [here, *here.parents]
    if beside_package:
        candidates.append(Path(__file__).resolve().parents[2])
    return next((c for c in candidates if is_course_root(c)), None)


def solution_path(assignment: Assignment, root: Path) -> Path:
    return root / "solutions" / assignment.name / assignment.notebook


def release_path(assignment: Assignment, root: Path) -> Path:
    return root / "assignments" / assignment.name / assignment.notebook


MUTANTS_FILE = "mutants.py"


@functools.cache
def reference(assignment_name: str, root: Path) -> dict[str, Any]:
    """The reference namespace of an assignment, read once per process.

    It holds the solution notebook's answers and, when the assignment has one, the
    instructor-only ``mutants.py`` beside it (variants with typical mistakes, used to name
    a student's mistake). Neither is released to students.
    """
    path = solution_path(get_assignment(assignment_name), root)
    namespace = nb.load_reference(path)
    mutants = path.parent / MUTANTS_FILE
    if mutants.is_file():
        exec(compile(mutants.read_text(), str(mutants), "exec"), namespace)
    return namespace
