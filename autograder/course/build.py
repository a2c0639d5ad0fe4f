"""Generating the student notebooks from the solution notebooks, with nbgrader's own API.

This is ``nbgrader generate_assignment`` for each assignment, configured by the course's
``nbgrader_config.py`` (source ``solutions/``, release ``assignments/``). Building into
another directory (a copy of the course) is how the demo and the kit's tests check that
the committed student notebooks are exactly what nbgrader generates.

A build never loses the released notebooks: nbgrader writes into a temporary folder inside
the course, and only when every assignment was generated are they moved into
``assignments/``, one folder at a time. When nbgrader refuses (for instance, it cannot add
or remove cells of a notebook once submissions exist in the gradebook),
:class:`BuildFailed` carries nbgrader's own reason and ``assignments/`` is as it was.
Before nbgrader runs, each solution notebook's test cells get their points and ids from the
questions' declarations (:func:`autograder.course.points.stamp`; the notebook is saved only when that
changes it), so a question's points are written once, in its declaration.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Sequence

__all__ = ["BuildFailed", "build", "copy_course", "nbgrader_reason"]


class BuildFailed(RuntimeError):
    """nbgrader could not generate an assignment; the message holds its log."""


def copy_course(root: Path, dest: Path) -> Path:
    """Copy what a build needs (``nbgrader_config.py`` and ``solutions/``) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / "nbgrader_config.py", dest / "nbgrader_config.py")
    shutil.copytree(root / "solutions", dest / "solutions", dirs_exist_ok=True, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return dest


_EXCEPTION_LINE = re.compile(r"^\s*(?:[\w.]+\.)?(\w*(?:Error|Exception)): (.+)$")


def nbgrader_reason(log: str) -> str:
    """nbgrader's own reason in a failed run's log: the message of each exception it logged,
    without its generic "Please see the above traceback" summary."""
    reasons = [m.group(2).strip() for m in map(_EXCEPTION_LINE.match, log.splitlines())
               if m and m.group(1) != "NbGraderException"]
    if reasons:
        return "; ".join(dict.fromkeys(reasons))
    return log.strip().splitlines()[-1] if log.strip() else "nbgrader gave no reason"


def _api(root: Path, db_dir: Path | None, release: Path):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.release_directory = str(release)
    config.CourseDirectory.db_url = f"sqlite:///{(db_dir or root).resolve() / 'gradebook.db'}"
    return NbGraderAPI(CourseDirectory(config=config), config=config)


def build(root: Path, names: Sequence[str], db_dir: Path | None = None) -> list[Path]:
    """Run nbgrader's generate_assignment for ``names`` in the course at ``root``.

    Args:
        db_dir: where nbgrader's gradebook.db goes (default: the course root).

    Returns:
        The released notebooks written.

    Raises:
        PointsMismatch: a solution notebook's grade cells do not match its declarations (a cell checks an
            undeclared question, or a question has no test cell); nothing is built.
        BuildFailed: nbgrader refused; the message holds its reason, and ``assignments/`` is unchanged.
    """
    from .. import course
    from . import notebook as nb
    from .gradebook import quiet_sqlalchemy
    from .points import stamp, stamp_file

    root = Path(root)
    chosen = [course.get_assignment(name) for name in names]
    for assignment in chosen:  # every notebook is checked before any is written
        stamp(assignment, nb.read(course.solution_path(assignment, root)))
    for assignment in chosen:
        stamp_file(assignment, course.solution_path(assignment, root))
    if shutil.which("alembic") is None:  # nbgrader's gradebook runs `alembic` found on PATH
        os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    release = root / "assignments"
    staging = Path(tempfile.mkdtemp(prefix=".autograder-build-", dir=root))
    try:
        api = _api(root, db_dir, staging)
        for assignment in chosen:
            with quiet_sqlalchemy():
                outcome = api.generate_assignment(assignment.name, force=True, create=True)
            if not outcome["success"]:
                log = outcome.get("log") or outcome.get("error") or ""
                raise BuildFailed(f"nbgrader could not generate {assignment.name}: {nbgrader_reason(log)}. "
                                  f"{release.name}/{assignment.name} was left as it was.")
        release.mkdir(exist_ok=True)
        for assignment in chosen:
            _swap(staging / assignment.name, release / assignment.name, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [course.release_path(a, root) for a in chosen]


def _swap(new: Path, dest: Path, staging: Path) -> None:
    """Put the folder ``new`` at ``dest``; the old ``dest`` is removed only once the new one is in place."""
    old = staging / f".old-{dest.name}"
    if dest.exists():
        os.replace(dest, old)
    os.replace(new, dest)
    shutil.rmtree(old, ignore_errors=True)
