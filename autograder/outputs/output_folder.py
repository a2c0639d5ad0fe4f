"""Output folders: the kit writes into a folder only when it made it, and never deletes anything else.

Every command that writes a folder of outputs (``grade --out``, ``merge --out``, ``demo --out``,
``gradescope-bundle``) calls :func:`claim` first. A folder is the kit's when it is missing or
empty (it is then created and marked with :data:`MARKER`), when it holds the marker, or when
everything in it has a name the kit writes there (an output folder of an older version of the
kit, which is then marked). Anything else — a course root with ``.git`` and ``solutions/``, a
home folder, a folder of the instructor's own files — is refused with :class:`NotOurs`, and
nothing in it is touched.

:func:`remove_ours` deletes only the entries of a claimed folder whose names the kit writes,
never the folder itself, so a folder claimed by mistake still cannot lose a file the kit did
not make.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterable

__all__ = ["MARKER", "NotOurs", "claim", "remove_ours", "KIT_NAMES"]

MARKER = ".autograder-output"
"""The file that marks a folder as made by the kit (its text says so, for a person who finds it)."""

KIT_NAMES = frozenset({
    MARKER, "run.json", "results", "results.json", "grades.csv", "canvas.csv", "moodle.csv", "junit.xml",
    "gradescope", "feedback", "summary.md", "summary.png", "summary.html", "mistakes.csv", "mistakes.json",  # grade and merge
    "course", "submitted", "grading",  # demo
    "setup.sh", "run_autograder", "kit", "autograder.zip",  # gradescope-bundle
})
"""Every name the kit writes at the top of an output folder."""


class NotOurs(RuntimeError):
    """The folder holds files the kit did not make; the message says which and what to do."""


def _listing(names: Iterable[str], limit: int = 6) -> str:
    names = sorted(names)
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def claim(folder: Path, purpose: str) -> Path:
    """Make ``folder`` the kit's output folder for ``purpose`` (e.g. "grading output"), or refuse.

    Returns:
        The folder, created if it was missing, with the marker file in it.

    Raises:
        NotOurs: when the folder exists and holds anything the kit did not make, or is not a folder.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NotOurs(f"{folder} is a file, not a folder; choose another --out for the {purpose}.")
    if folder.is_dir() and not (folder / MARKER).is_file():
        foreign = [p.name for p in folder.iterdir() if p.name not in KIT_NAMES or p.is_symlink()]
        if foreign:
            raise NotOurs(f"refusing to write the {purpose} into {folder.resolve()}: it holds files the kit did not make "
                          f"({_listing(foreign)}). Nothing was changed. Choose a new or empty folder for --out "
                          f"(the kit writes into, and may replace files in, folders it made).")
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / MARKER
    if not marker.is_file():
        marker.write_text(f"This folder was made by the autograder kit ({purpose}); the kit may replace the files it wrote here.\n", encoding="utf-8")
    return folder


def remove_ours(folder: Path, names: Iterable[str]) -> None:
    """Delete the entries ``names`` of a claimed ``folder`` (each must be a name the kit writes)."""
    for name in names:
        if name not in KIT_NAMES or name == MARKER:
            raise ValueError(f"{name!r} is not a name the kit writes")
        path = Path(folder) / name
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
