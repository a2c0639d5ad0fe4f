"""The plots a submission produces, drawn for its feedback.

The released notebook's provided cells try the student's functions and plot what they
compute (decision lines, loss curves, gradient norms). With ``autograder grade --figures``
each submission runs them once more, after its own answers, in a sandboxed child like
every other run of student code; the child sends the figures back as PNG bytes and they
are saved beside the student's feedback, where the HTML page shows them.

The figures are for the student to look at and are never graded.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ..course import notebook as nb
from ..protocol import MAX_FIGURES
from ..sandbox.isolation import Isolation
from ..sandbox import Limits, run_child

__all__ = ["Figure", "draw", "save", "INTRO"]

INTRO = "Drawn by the notebook's plot cells with your functions (not graded)."

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BUDGET_SECONDS = 240.0


@dataclass(frozen=True)
class Figure:
    """One figure: the label of the cell that drew it, and its PNG bytes."""

    cell: str
    png: bytes


def draw(submission: Any, release: Any, limits: Limits = Limits(), isolation: Isolation | None = None,
         hide: Sequence[Path] = ()) -> tuple[list[Figure], list[str]]:
    """Run the release's setup cells, the student's answers, then the release's plot cells
    (:func:`autograder.course.notebook.figure_cells`) in one child under the grading ``limits``;
    return the figures and notes on the plot cells that failed (for the student: their
    function broke the plot). A cell that raised contributes no figure: what it drew
    before it stopped is empty or half-drawn axes."""
    setup, answers, plots = nb.setup_cells(release), nb.answer_cells(submission, release), nb.figure_cells(release)
    if not plots:
        return [], []
    cells = setup + answers + plots
    run = run_child(cells, [], limits, isolation, hide, budget_seconds=BUDGET_SECONDS, figures_from=len(setup) + len(answers))
    figures, notes, failed = [], [], set()
    plot_labels = {c.label for c in plots}
    for event in run.events:
        kind = event.get("event")
        if kind == "figure" and len(figures) < MAX_FIGURES:
            png = _png(event.get("png"))
            if png is not None:
                figures.append(Figure(str(event.get("cell", "")), png))
            elif isinstance(event.get("error"), str):
                notes.append(f"A figure of cell '{event.get('cell')}' could not be drawn: {event['error']}")
        elif kind == "cell" and event.get("phase") == "end" and isinstance(event.get("error"), dict):
            index = event.get("index")
            if isinstance(index, int) and 0 <= index < len(cells) and cells[index].label in plot_labels:
                error = event["error"]
                failed.add(cells[index].label)
                notes.append(f"The plot cell '{cells[index].label}' stopped with {error.get('type')}: {str(error.get('message'))[:300]}"
                             " (its figure is left out: it would show empty or half-drawn axes)")
    figures = [f for f in figures if f.cell not in failed]
    if not run.finished:
        notes.append(f"Drawing the figures stopped early: {run.death()}")
    return figures, notes


def _png(text: Any) -> bytes | None:
    """The PNG bytes of a figure event, or None when they are not a PNG."""
    if not isinstance(text, str):
        return None
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if data.startswith(PNG_SIGNATURE) else None


def save(figures: Sequence[Figure], folder: Path, assignment: str) -> list[dict[str, str]]:
    """Write ``<folder>/<assignment>/figure-<k>.png``; return ``{"cell", "file"}`` records
    with ``file`` relative to ``folder`` (as kept in the submission's result)."""
    from .files import atomic_write_bytes

    records = []
    for number, figure in enumerate(figures, 1):
        relative = f"{assignment}/figure-{number}.png"
        atomic_write_bytes(folder / relative, figure.png)
        records.append({"cell": figure.cell, "file": relative})
    return records
