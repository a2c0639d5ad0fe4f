"""Provided cells that try the student's functions: say what to fix, never a library's traceback.

A provided cell of a notebook (a plot, a comparison) runs the student's functions and draws
what they return. Written inside ``with check.drawing("softmax", to="see the effect of the
temperature"):``, the cell never shows a traceback from the kit, NumPy or Matplotlib:

- a function that still raises ``NotImplementedError`` gives one line, "Implement softmax
  above to see the effect of the temperature.";
- any other error names the student's function to fix: the one in whose code it happened
  (with the student's own frames only), or, when it happened while drawing what the
  functions returned, the functions the cell uses whose checks did not pass; and the check
  to run for each.

Figures left half-drawn are closed. In a notebook the explanation is printed and the cell
ends normally, so "Run All" goes on; elsewhere (the grader drawing a student's figures for
their feedback) the error is raised again as :class:`CouldNotDraw` carrying the same
explanation, so the feedback says it.
"""

from __future__ import annotations

import functools
import sys
import sysconfig
import traceback
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from .check import Checker

__all__ = ["CouldNotDraw", "Drawing"]

_LIBRARY_DIRS = tuple(str(Path(p).resolve()) for p in {*sysconfig.get_paths().values(), str(Path(__file__).resolve().parents[1])} if p)


def shell() -> Any:
    """The running IPython shell (a notebook's kernel), or None in plain Python."""
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    return get_ipython()


def _pyplot() -> Any:
    """matplotlib.pyplot if it is loaded, else None. Never loads it: where it is imported lazily
    (the grader's child), loading it here would count against the cell's time limit."""
    module = sys.modules.get("matplotlib.pyplot")
    if module is None or "get_fignums" not in object.__getattribute__(module, "__dict__"):
        return None
    return module


class CouldNotDraw(RuntimeError):
    """A provided cell could not draw; the message says which student function to fix."""


def _listing(names: Sequence[str]) -> str:
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _is_library(filename: str) -> bool:
    try:
        resolved = str(Path(filename).resolve())
    except (OSError, ValueError):
        return False
    return resolved.startswith(_LIBRARY_DIRS)


class Drawing:
    """``with check.drawing(*functions, to=...)``: see the module docstring.

    Args:
        checker: the notebook's ``check`` (its namespace and its latest results).
        functions: the student functions the cell uses, in the order the notebook defines them.
        to: what the cell shows, completing "Implement ... above to ...".
    """

    def __init__(self, checker: "Checker", functions: Sequence[str], to: str):
        self.checker, self.functions, self.to = checker, tuple(functions), to
        self._figures: set[int] = set()
        self._show = None

    def __enter__(self) -> "Drawing":
        pyplot = _pyplot()
        if pyplot is not None:
            self._figures = set(pyplot.get_fignums())
            self._show = show = pyplot.show

            @functools.wraps(show)
            def checked_show(*args: Any, **kwargs: Any) -> Any:
                # Drawn here first: an error while drawing is caught by this cell, not shown
                # later by the notebook's display machinery as Matplotlib's traceback.
                for number in pyplot.get_fignums():
                    pyplot.figure(number).canvas.draw()
                return show(*args, **kwargs)

            pyplot.show = checked_show
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> bool:
        pyplot = _pyplot()
        if self._show is not None:
            pyplot.show = self._show
        if kind is None:
            return False
        if not issubclass(kind, Exception):  # KeyboardInterrupt, SystemExit and the grader's timeouts go on
            return False
        if pyplot is not None:
            for number in set(pyplot.get_fignums()) - self._figures:
                pyplot.close(number)
        if issubclass(kind, NotImplementedError):
            print(self._not_implemented(tb))
            return True
        message = self._explain(error, tb)
        if shell() is None:
            raise CouldNotDraw(message) from None
        print(message, file=sys.stderr)
        return True

    def _student_frames(self, tb: TracebackType | None) -> list[traceback.FrameSummary]:
        """The frames of ``tb`` in the student's code: not this cell's, not a library's, not the kit's."""
        frames = list(traceback.walk_tb(tb))
        if not frames:
            return []
        cell_file = frames[0][0].f_code.co_filename
        summary = traceback.StackSummary.extract(frames[1:])
        return [f for f in summary if f.filename != cell_file and not _is_library(f.filename)]

    def _owners(self, tb: TracebackType | None) -> list[str]:
        """The student functions (or classes, for a method) in ``tb``, outermost first."""
        frames = [frame.f_code for frame, _ in traceback.walk_tb(tb)]
        names = []
        for code in frames[1:]:
            if code.co_filename == frames[0].co_filename or _is_library(code.co_filename):
                continue
            name = getattr(code, "co_qualname", code.co_name).split(".")[0]
            if name not in names:
                names.append(name)
        return names

    def _not_implemented(self, tb: TracebackType | None) -> str:
        missing = [n for n in self._owners(tb) if n not in self.functions]
        text = f"Implement {_listing(self.functions)} above to {self.to}."
        return text + (f" ({_listing(missing)} still raises NotImplementedError.)" if missing else "")

    def _checks_of(self, function: str) -> list[str]:
        return [q.name for q in self.checker.assignment if function in q.functions and not q.manual]

    def _explain(self, error: BaseException | None, tb: TracebackType | None) -> str:
        what = f"{type(error).__name__}: {error}".strip().rstrip(":")
        if len(what) > 400:
            what = what[:400] + " ..."
        owners = self._owners(tb)
        if owners:  # it happened inside the student's code: that function is the one to fix
            to_fix = owners[:1]
            lines = [f"This cell stopped: your `{owners[0]}` raised {what}", "",
                     *(line.rstrip("\n") for line in traceback.format_list(self._student_frames(tb))), ""]
        else:  # it happened while drawing what the functions returned
            failing = [f for f in self.functions if any(not r.passed for q in self._checks_of(f) if (r := self.checker.last.get(q)))]
            to_fix = failing or list(self.functions)
            lines = [f"This cell stopped: it could not use what {_listing(self.functions)} returned ({what}).", ""]
            if failing:
                lines.append(f"{_listing(failing)} did not pass {'its check' if len(failing) == 1 else 'their checks'}.")
            else:
                lines.append(f"Look at what {'it returns' if len(self.functions) == 1 else 'they return'}: shapes, NaN or infinite values, types.")
        checks = ", ".join('check("%s")' % q for q in dict.fromkeys(q for f in to_fix for q in self._checks_of(f)))
        lines.append(f"Fix {_listing(to_fix)} to {self.to}" + (f"; {checks} above {'says' if ',' not in checks else 'say'} what is wrong." if checks else "."))
        return "\n".join(lines)
