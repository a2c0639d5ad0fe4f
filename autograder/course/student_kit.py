"""What an instructor hands to students: ``autograder student-kit OUT``.

OUT receives, and nothing else:

    README.md                          how to install, open, answer and check (templates/student-kit/README.md)
    nn_first_principles_kit-*.whl      the kit, built from this source tree (no solutions, no hidden tests)
    NN_topic/topic.ipynb               the released notebooks, copied from assignments/
    .github/workflows/check.yml        the GitHub Classroom check (templates/github-actions/student-check.yml)
    .gitignore                         the student's virtual environment and Jupyter's checkpoints
    .autograder-student-kit            the marker that says OUT was made here (and may be rewritten)

The same folder is the starter repository of a GitHub Classroom assignment: its workflow
installs the wheel beside it. Solutions, hidden tests, the mistake variants (mutants) and
nbgrader's gradebook stay in the course: nothing is copied from ``solutions/`` and the
wheel ships only the package (``tests/test_student_path.py`` scans every file, the wheel's too).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .. import course

__all__ = ["KitRefused", "MARKER", "README_TITLE", "make_kit", "student_readme"]

MARKER = ".autograder-student-kit"
README_TITLE = "# Neural networks from first principles: your exercises"
README_TEMPLATE = Path("templates") / "student-kit" / "README.md"
WORKFLOW_TEMPLATE = Path("templates") / "github-actions" / "student-check.yml"
GITIGNORE = ".venv/\n.ipynb_checkpoints/\n__pycache__/\n"


class KitRefused(RuntimeError):
    """OUT cannot be written (it holds files the kit did not make); the message says why."""


def student_readme(root: Path) -> str:
    """The student README: its title, then ``templates/student-kit/README.md`` (which is also
    the repository README's "For students" section)."""
    return f"{README_TITLE}\n\n{(root / README_TEMPLATE).read_text()}"


def _prepare(out: Path) -> None:
    """Make ``out`` empty: create it, or clear a folder an earlier run of this command made."""
    if out.exists() and not out.is_dir():
        raise KitRefused(f"{out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise KitRefused(f"{out} is not empty and was not made by `autograder student-kit`; choose a new or empty folder")
        for entry in out.iterdir():
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("Made by `autograder student-kit`; running it again replaces everything in this folder.\n")


# What the wheel is built from: copied to a scratch folder first, so that nothing else in the
# course (solutions/, a gradebook, a stale build/ folder) can end up in it.
SOURCES = ("pyproject.toml", "setup.py", "README.md", "autograder", "datasets")


def build_wheel(root: Path, dest: Path) -> Path:
    """Build the kit's wheel from the source tree at ``root`` into ``dest`` (pip, no dependencies)."""
    with tempfile.TemporaryDirectory() as scratch:
        source, wheels_dir = Path(scratch) / "source", Path(scratch) / "wheels"
        for name in SOURCES:
            if (root / name).is_dir():
                shutil.copytree(root / name, source / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc"))
            elif (root / name).is_file():
                source.mkdir(exist_ok=True)
                shutil.copy2(root / name, source / name)
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels_dir), str(source)],
                              capture_output=True, text=True)
        wheels = list(wheels_dir.glob("*.whl"))
        if done.returncode != 0 or len(wheels) != 1:
            raise KitRefused(f"pip could not build the kit's wheel from {root}:\n{(done.stderr or done.stdout)[-2000:]}")
        return Path(shutil.copy2(wheels[0], dest / wheels[0].name))


def make_kit(out: Path, root: Path, wheel: Path | None = None) -> list[Path]:
    """Write the student kit into ``out`` from the course at ``root``; return the files written.

    Args:
        wheel: a wheel of the kit built already; default: build one from ``root``
            (which must then hold the kit's pyproject.toml).

    Raises:
        KitRefused: ``out`` holds files this command did not make, or the wheel cannot be built.
    """
    if wheel is None and not (root / "pyproject.toml").is_file():
        raise KitRefused(f"{root} has no pyproject.toml to build the kit's wheel from; pass --wheel")
    _prepare(out)
    written = [build_wheel(root, out) if wheel is None else Path(shutil.copy2(wheel, out / wheel.name))]
    for assignment in course.assignments().values():
        released = course.release_path(assignment, root)
        target = out / assignment.name / assignment.notebook
        target.parent.mkdir()
        written.append(Path(shutil.copy2(released, target)))
    readme = out / "README.md"
    readme.write_text(student_readme(root))
    workflow = out / ".github" / "workflows" / "check.yml"
    workflow.parent.mkdir(parents=True)
    shutil.copy2(root / WORKFLOW_TEMPLATE, workflow)
    (out / ".gitignore").write_text(GITIGNORE)
    return [*written, readme, workflow, out / ".gitignore"]
