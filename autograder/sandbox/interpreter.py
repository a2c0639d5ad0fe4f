"""The command line that starts the student's process.

The child runs ``python -I -S``: isolated (no environment variables, user site or working
directory on its path) and without :mod:`site`, whose start-up reads every ``.pth`` file of
the installation and runs the import lines in them (an editable install's finder imports
pathlib, re and more): about 35 ms of the 130 ms a child costs to start. The import path
``site`` would have built is given to the child instead, computed here once: this kit's own
folder first (so the child runs the same code as the grader), then the site directories and
the folders their ``.pth`` files name. The import lines of ``.pth`` files are not run in the
child. The names ``site`` adds to builtins (``exit``, ``quit``, ``help``...) are added by the
child itself (:func:`autograder.student.child.start`).
"""

from __future__ import annotations

import functools
import json
import os
import site
import sys
from pathlib import Path

__all__ = ["child_command", "import_path"]

KIT_FOLDER = str(Path(__file__).resolve().parents[2])
"""The folder holding the ``autograder`` package (site-packages for an installed wheel, the
checkout for an editable install)."""

BOOT = "import json, sys; sys.path[:0] = json.loads(sys.argv[3]); from autograder.student.child import start; start(sys.argv[1:3])"


def _pth_folders(sitedir: str) -> list[str]:
    """The folders the ``.pth`` files of ``sitedir`` add to the path, as :mod:`site` reads them
    (sorted by name; blank lines, comments and import lines skipped; only folders that exist)."""
    found = []
    try:
        names = sorted(n for n in os.listdir(sitedir) if n.endswith(".pth") and not n.startswith("."))
    except OSError:
        return found
    for name in names:
        try:
            lines = Path(sitedir, name).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            line = line.rstrip()
            if not line or line.startswith("#") or line.startswith(("import ", "import\t")):
                continue
            folder = os.path.abspath(os.path.join(sitedir, line))
            if os.path.isdir(folder):
                found.append(folder)
    return found


@functools.lru_cache(maxsize=1)
def import_path() -> tuple[str, ...]:
    """What the child puts before its standard library on ``sys.path``."""
    path = [KIT_FOLDER]
    for sitedir in site.getsitepackages():
        if os.path.isdir(sitedir):
            path += [sitedir, *_pth_folders(sitedir)]
    return tuple(dict.fromkeys(path))


def child_command(request_fd: int, response_fd: int) -> list[str]:
    """``python -I -S -c BOOT REQUEST_FD RESPONSE_FD PATH``: the child reading requests from and
    answering on the given pipe ends (see :mod:`autograder.student.child`)."""
    return [sys.executable, "-I", "-S", "-c", BOOT, str(request_fd), str(response_fd), json.dumps(import_path())]
