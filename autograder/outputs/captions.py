"""Figure captions a student recognises: the notebook heading above the cell that drew the figure.

A figure is recorded with the label of the cell that drew it (its nbgrader ``grade_id`` or
``cell <n>``, see :mod:`autograder.course.notebook`), which means nothing to a student. The caption is
the nearest Markdown heading above that cell in the released notebook, e.g. "3. The XOR network".
"""

from __future__ import annotations

import re
from typing import Any

from ..course import notebook as nb

__all__ = ["heading_captions", "add_captions"]

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_MARKUP = re.compile(r"[*_`]|\$")
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]+\s*(?:\{([^{}]*)\})?")  # \mathbf{p} -> p, \nabla -> ''


def _last_heading(markdown: str) -> str | None:
    found = _HEADING.findall(markdown)
    if not found:
        return None
    return " ".join(_MARKUP.sub("", _LATEX_COMMAND.sub(lambda m: m.group(1) or "", found[-1])).split())


def heading_captions(release: Any) -> dict[str, str]:
    """Cell label -> the nearest Markdown heading above that cell, for every cell below a heading."""
    captions: dict[str, str] = {}
    current: str | None = None
    for index, cell in enumerate(release.cells):
        if cell.get("cell_type") == "markdown":
            current = _last_heading(cell.get("source", "")) or current
        elif current is not None:
            captions[nb._label(cell, index)] = current
    return captions


def add_captions(figures: list[dict[str, str]], captions: dict[str, str]) -> None:
    """Give each figure record a ``caption``: its section's heading, numbered when a section draws several."""
    headings = [captions.get(f.get("cell", ""), "A figure of the notebook") for f in figures]
    seen: dict[str, int] = {}
    for figure, heading in zip(figures, headings):
        seen[heading] = seen.get(heading, 0) + 1
        many = headings.count(heading) > 1
        figure["caption"] = f"{heading} (figure {seen[heading]} of {headings.count(heading)})" if many else heading
