"""``check(...)`` in a notebook: the student's own kernel runs the declared cases.

In the notebook's first code cell::

    from autograder import checker
    check = checker("01_gates", globals())

and in each test cell::

    check("step")

Visible cases use only what a student may see (properties, autograd, SymPy).

In a notebook (an IPython kernel) a check shows its result and returns nothing, so no
object is left as the cell's output. A failing check is shown as the cell's error output
-- the plain explanation, without a traceback through the kit's code -- but does not
raise, so "Run All" goes on to the next cells and the closing ``check.all()`` overview.
nbgrader still scores the cell 0, because it gives 0 to a test cell with an error output.
Outside IPython (plain Python, the kit's tests) a failing check raises
:class:`CheckFailed` and a passing one returns its :class:`QuestionResult`.

Provided cells that try the student's functions run inside ``with check.drawing(...)``
(see :mod:`autograder.student.provided`), which says which function to fix instead of showing a
traceback from NumPy or Matplotlib.
"""

from __future__ import annotations

import html
import re
import secrets
import time
from pathlib import Path
from typing import Any, MutableMapping

from .. import course
from ..judge.engine import judge_all, plan, requests_for, time_limits, with_dependencies
from ..judge.misconceptions import recognised
from .probes import run_call
from .provided import shell
from ..results import STATUS_TEXT, QuestionResult

__all__ = ["CheckFailed", "Checker", "checker", "declared_assignment", "explain", "MARKS"]

# Marks drawn by any text font with the Dingbats block (DejaVu Sans has them): no emoji font needed.
MARKS = {"passed": "\u2714", "manual": "\u270d"}  # ✔ passed, ✍ graded by hand
FAILED_MARK = "\u2718"  # ✘ every other status
COLOURS = {"passed": "#1a7f37", "manual": "#9a6700"}
FAILED_COLOUR = "#cf222e"


class CheckFailed(AssertionError):
    """A check did not pass; its message says why, for the student."""

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of printing a traceback through the kit's frames.
        return ["\x1b[31m" + line + "\x1b[0m" if i == 0 else line for i, line in enumerate(str(self).splitlines())]


def mark(status: str) -> str:
    """The mark shown before a question: ✔ passed, ✍ graded by hand, ✘ anything else."""
    return MARKS.get(status, FAILED_MARK)


def _headline(result: QuestionResult) -> str:
    points = f"{result.max_points:g} points" if result.status == "manual" else f"{result.points:g}/{result.max_points:g} points"
    return f"{mark(result.status)} {result.question}: {STATUS_TEXT[result.status]} ({points}) — {result.title}"


def explain(result: QuestionResult) -> str:
    """The text a student reads for one question."""
    lines = [_headline(result)]
    if not result.passed and result.reason:
        lines += ["", result.reason]
    if not result.passed and result.misconception:
        lines += ["", recognised(result.misconception, result.hint)]
    if result.traceback:
        lines += ["", "Your code's traceback:", result.traceback.rstrip()]
    return "\n".join(lines)


def _html_line(status: str, text: str) -> str:
    colour = COLOURS.get(status, FAILED_COLOUR)
    return f'<span style="color:{colour};font-weight:bold">{html.escape(text)}</span>'


def show(text: str, html_text: str) -> None:
    """Display ``text`` (and its HTML rendering) in a notebook, or print it."""
    ipython = shell()
    if ipython is None:
        print(text)
        return
    from IPython.display import display

    display({"text/plain": text, "text/html": f'<pre style="white-space:pre-wrap">{html_text}</pre>'}, raw=True)


def show_failure(failure: CheckFailed) -> None:
    """Show ``failure`` as the cell's error output without raising it, so the notebook goes on.

    IPython's ``showtraceback`` publishes an ``error`` output (rendered by
    :meth:`CheckFailed._render_traceback_`, no frames); the cell's execution still ends
    ``ok``, so "Run All" does not stop. nbgrader scores a test cell by its outputs: an
    ``error`` output gives it 0 points, exactly as a raised exception did.
    """
    shell().showtraceback((type(failure), failure, None))


class Checker:
    """Runs an assignment's questions against the functions in a namespace.

    Args:
        assignment: the assignment's name, e.g. ``"01_gates"``.
        namespace: where the student's functions live (pass ``globals()``).

    Attributes:
        last: the latest result of each question checked in this session, by name
            (what :meth:`drawing` uses to say which function to fix first).
    """

    def __init__(self, assignment: str, namespace: MutableMapping[str, Any]):
        self.assignment = course.get_assignment(assignment)
        self.namespace = namespace
        self.last: dict[str, QuestionResult] = {}

    def _run(self, requests: list[dict]) -> list[dict]:
        """Each request's observation, with the CPU time its call took in this process: advice only
        (the student's code shares the process), where grading measures it from outside."""
        observations = []
        for request in requests:
            start = time.process_time()
            observation = run_call(self.namespace, request)
            observations.append({**observation, "cpu_seconds": time.process_time() - start})
        return observations

    def results(self, *names: str, hidden: bool = False, seed: int | None = None) -> list[QuestionResult]:
        """Judge the named questions (all automatic ones if none are named)."""
        questions = [self.assignment[n] for n in names] if names else [q for q in self.assignment if not q.manual]
        reference = None
        if hidden:
            root = course.find_course_root()
            if root is None:
                raise CheckFailed("Hidden checks run only where the course's solutions/ folder is present (when grading).")
            reference = course.reference(self.assignment.name, root)
        judged = with_dependencies(self.assignment, questions)  # so that a failure can name its cause
        if hidden and seed is None:
            from ..grade import SEED_BITS  # hidden checks run where the grader is: as wide a seed as grading draws

            seed = secrets.randbits(SEED_BITS)
        planned = plan(self.assignment, judged, seed)
        if hidden:
            planned = [p for p in planned if p.hidden]
        results = [r for r in judge_all(judged, planned, self._run(requests_for(planned)), reference) if r.question in {q.name for q in questions}]
        if not hidden:
            self.last.update((r.question, r) for r in results)
        return results

    def __call__(self, name: str, hidden: bool = False) -> QuestionResult | None:
        """Check one question.

        In a notebook: show the result (a failure as the cell's error output) and return
        None. Elsewhere: return the result, or raise :class:`CheckFailed` with the reason.
        """
        try:
            (result,) = self.results(name, hidden=hidden)
            if not result.passed:
                raise CheckFailed(explain(result))
        except CheckFailed as failure:
            if shell() is None:
                raise
            show_failure(failure)
            return None
        if shell() is None:
            return result
        show(_headline(result), _html_line(result.status, _headline(result)))
        return None

    def all(self) -> list[QuestionResult] | None:
        """Check every automatic question and show one line for every question (never raises).

        The lines list every question of the assignment in order -- passed, failed, not
        implemented yet, graded by hand -- then the total. Returns the automatic results
        outside a notebook, None in one.
        """
        results = self.results()
        by_name = {r.question: r for r in results}
        lines = []
        for question in self.assignment:
            result = by_name.get(question.name) or QuestionResult(question.name, question.title, 0, question.points, "manual")
            lines.append((result.status, _headline(result)))
        score, total = sum(r.points for r in results), sum(r.max_points for r in results)
        passed = sum(r.passed for r in results)
        from ..sandbox import describe_time_limits

        summary = (f"{passed} of {len(results)} automatic questions pass: {score:g}/{total:g} points on the visible cases (hidden cases are added when grading)"
                   f"\n{describe_time_limits(time_limits(self.assignment))}")
        show("\n".join([text for _, text in lines] + ["", summary]),
             "\n".join([_html_line(status, text) for status, text in lines] + ["", html.escape(summary)]))
        return results if shell() is None else None

    def drawing(self, *functions: str, to: str):
        """A context manager for a provided cell that tries ``functions`` to ``to`` (e.g.
        ``"see the decision lines"``); see :class:`autograder.student.provided.Drawing`."""
        from .provided import Drawing

        return Drawing(self, functions, to)


def checker(assignment: str, namespace: MutableMapping[str, Any]) -> Checker:
    """The ``check`` function of a notebook: ``check = checker("01_gates", globals())``."""
    return Checker(assignment, namespace)


_CHECKER_CALL = re.compile(r"""\bchecker\(\s*["']([^"']+)["']""")


def declared_assignment(path: str | Path) -> str | None:
    """The assignment a notebook says it is, from its ``checker("01_gates", globals())`` call
    (the first code cell that has one), or None when it has none or cannot be read.

    Read as plain JSON, so that ``autograder check`` loads nbformat (and its schema validation,
    a few tenths of a second) only in :func:`autograder.submission.evaluate`, while the student's
    process starts; a notebook without a list of cells (an older format) is read by nbformat."""
    import json

    from ..course.notebook import BadNotebook, read

    try:
        cells = json.loads(Path(path).read_text(encoding="utf-8")).get("cells")
        if not isinstance(cells, list):
            cells = read(path).cells
    except (OSError, ValueError, AttributeError, BadNotebook):
        return None
    for cell in cells:
        source = cell.get("source", "") if isinstance(cell, dict) and cell.get("cell_type") == "code" else ""
        found = _CHECKER_CALL.search("".join(source) if isinstance(source, list) else str(source))
        if found:
            return found.group(1)
    return None
