"""Writing results: one JSON file per submission, a grade table, feedback per student.

Every writer reads :class:`~autograder.results.SubmissionResult` and nothing else.
Files are written atomically (a temporary file renamed into place), so an
interrupted run never leaves a half-written result behind.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Iterable, Sequence

from rich.console import Console
from rich.table import Table

from .results import STATUS_TEXT, SubmissionResult

__all__ = ["atomic_write", "write_result", "read_result", "write_grades_csv", "feedback_markdown", "write_feedback", "grade_table"]


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def result_path(out: Path, student: str, assignment: str) -> Path:
    return out / "results" / student / f"{assignment}.json"


def write_result(out: Path, result: SubmissionResult) -> Path:
    path = result_path(out, result.student, result.assignment)
    atomic_write(path, json.dumps(result.to_dict(), indent=1))
    return path


def read_result(path: Path) -> SubmissionResult:
    return SubmissionResult.from_dict(json.loads(path.read_text(encoding="utf-8")))


def _columns(results: Sequence[SubmissionResult]) -> list[tuple[str, str]]:
    """(assignment, question) pairs of automatic questions, in first-seen order."""
    columns: dict[tuple[str, str], None] = {}
    for result in results:
        for q in result.questions:
            if q.status != "manual":
                columns[(result.assignment, q.question)] = None
    return list(columns)


def write_grades_csv(results: Sequence[SubmissionResult], path: Path) -> None:
    """One row per student; a column per assignment question (``01_gates:step``) and per assignment total."""
    columns = _columns(results)
    assignments = list(dict.fromkeys(a for a, _ in columns))
    rows: dict[str, dict[str, str]] = {}
    for result in results:
        row = rows.setdefault(result.student, {"student": result.student})
        row.update({f"{result.assignment}:{q.question}": f"{q.points:g}" for q in result.questions if q.status != "manual"})
        row[f"{result.assignment}:total"] = f"{result.score:g}"
        row[f"{result.assignment}:max"] = f"{result.max_score:g}"
    header = ["student"] + [f"{a}:{q}" for a, q in columns] + [f"{a}:{kind}" for a in assignments for kind in ("total", "max")]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, restval="")
    writer.writeheader()
    writer.writerows(rows[s] for s in sorted(rows))
    atomic_write(path, buffer.getvalue())


def feedback_markdown(result: SubmissionResult) -> str:
    """The feedback a student reads: score, then each question with its reason."""
    lines = [f"# {result.assignment}: feedback for {result.student}", "",
             f"**Score: {result.score:g} / {result.max_score:g}** (automatically graded questions)", ""]
    if result.notes:
        lines += ["## Notes", ""] + [f"- {note}" for note in result.notes] + [""]
    lines += ["## Questions", ""]
    for q in result.questions:
        mark = {"passed": "✔", "manual": "✍"}.get(q.status, "✘")
        lines.append(f"### {mark} {q.question} — {q.points:g}/{q.max_points:g} ({STATUS_TEXT[q.status]})")
        lines += ["", q.title, ""]
        if q.status == "passed":
            lines += [f"All {q.cases_total} cases passed.", ""]
        elif q.reason:
            lines += ["```text", q.reason, "```", ""]
            if q.misconception:
                lines += [f"Recognised mistake: **{q.misconception}**.", ""]
            if q.traceback:
                lines += ["Your code's traceback:", "", "```text", q.traceback.rstrip(), "```", ""]
    return "\n".join(lines)


def write_feedback(out: Path, result: SubmissionResult) -> Path:
    path = out / "feedback" / result.student / f"{result.assignment}.md"
    atomic_write(path, feedback_markdown(result))
    return path


def grade_table(results: Iterable[SubmissionResult]) -> Table:
    """A terminal table: one row per submission, a mark per question, the score and the first problem."""
    table = Table(title="Grades")
    for column, justify in (("student", "left"), ("assignment", "left"), ("questions", "left"), ("score", "right"), ("first problem", "left")):
        table.add_column(column, justify=justify, overflow="fold")
    for result in results:
        marks = "".join("[green]✔[/]" if q.passed else "[yellow]✍[/]" if q.status == "manual" else "[red]✘[/]" for q in result.questions)
        problem = next((f"{q.question}: {q.reason.splitlines()[0]}" for q in result.questions if not q.passed and q.status != "manual"), "")
        table.add_row(result.student, result.assignment, marks, f"{result.score:g}/{result.max_score:g}", (result.notes[:1] or [problem])[0][:160] if not problem else problem[:160])
    return table


def print_table(results: Iterable[SubmissionResult], console: Console | None = None) -> None:
    (console or Console()).print(grade_table(results))
