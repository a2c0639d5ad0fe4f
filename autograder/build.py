"""Generating the student notebooks from the solution notebooks, with nbgrader's own API.

This is ``nbgrader generate_assignment`` for each assignment, configured by the course's
``nbgrader_config.py`` (source ``solutions/``, release ``assignments/``). Building into
another directory (a copy of the course) is how the demo and the kit's tests check that
the committed student notebooks are exactly what nbgrader generates.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Sequence

__all__ = ["BuildFailed", "build", "copy_course"]


class BuildFailed(RuntimeError):
    """nbgrader could not generate an assignment; the message holds its log."""


def copy_course(root: Path, dest: Path) -> Path:
    """Copy what a build needs (``nbgrader_config.py`` and ``solutions/``) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / "nbgrader_config.py", dest / "nbgrader_config.py")
    shutil.copytree(root / "solutions", dest / "solutions", dirs_exist_ok=True, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return dest


def build(root: Path, names: Sequence[str], db_dir: Path | None = None) -> list[Path]:
    """Run nbgrader's generate_assignment for ``names`` in the course at ``root``.

    Args:
        db_dir: where nbgrader's gradebook.db goes (default: the course root).

    Returns:
        The released notebooks written.
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    from . import course

    if shutil.which("alembic") is None:  # nbgrader's gradebook runs `alembic` found on PATH
        os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = f"sqlite:///{(db_dir or root).resolve() / 'gradebook.db'}"
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    written = []
    for name in names:
        outcome = api.generate_assignment(name, force=True, create=True)
        if not outcome["success"]:
            raise BuildFailed(f"nbgrader could not generate {name}:\n{outcome.get('error') or outcome.get('log')}")
        written.append(course.release_path(course.get_assignment(name), root))
    return written
