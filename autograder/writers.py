"""Writing results: one JSON file per submission, a grade table, feedback per student.

Every writer reads :class:`~autograder.results.SubmissionResult` and nothing else.
Files are written atomically (a temporary file renamed into place), so an
interrupted run never leaves a half-written result behind.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Callable, Iterable, Sequence
from xml.etree import ElementTree

from rich.console import Console
from rich.table import Table

from . import figures
from .results import STATUS_TEXT, SubmissionResult

__all__ = ["REPORTS", "atomic_write", "atomic_write_bytes", "write_result", "read_result", "read_results", "write_reports", "feedback_markdown", "feedback_html", "grade_table", "print_table"]


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never a part."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """:func:`atomic_write` for bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
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


def read_results(out: Path) -> list[SubmissionResult]:
    """Every per-submission result under ``out/results``, sorted by student and assignment."""
    return [read_result(p) for p in sorted((Path(out) / "results").glob("*/*.json"))]


def _columns(results: Sequence[SubmissionResult]) -> list[tuple[str, str]]:
    """(assignment, question) pairs of automatic questions, in first-seen order."""
    columns: dict[tuple[str, str], None] = {}
    for result in results:
        for q in result.questions:
            if q.status != "manual":
                columns[(result.assignment, q.question)] = None
    return list(columns)


def write_grades_csv(results: Sequence[SubmissionResult], out: Path) -> None:
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
    atomic_write(out / "grades.csv", buffer.getvalue())


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
                lines += [f"Recognised mistake: **{q.misconception}**" + (f" — {q.hint}" if q.hint else "."), ""]
            if q.traceback:
                lines += ["Your code's traceback:", "", "```text", q.traceback.rstrip(), "```", ""]
    if result.figures:
        lines += ["## Your figures", "", figures.INTRO, ""]
        lines += [f"![figure of cell {f['cell']}]({f['file']})" + "\n" for f in result.figures]
    return "\n".join(lines)


def feedback_html(result: SubmissionResult, folder: Path | None = None) -> str:
    """The same feedback as :func:`feedback_markdown`, as a standalone HTML page; the
    figures (files under ``folder``) are embedded, so the page is one file to hand out."""
    e = html.escape
    rows = []
    for q in result.questions:
        colour = {"passed": "#1a7f37", "manual": "#9a6700"}.get(q.status, "#cf222e")
        detail = "" if q.passed or not q.reason else f"<pre>{e(q.reason)}</pre>"
        if q.misconception and not q.passed:
            detail += f"<p class='misconception'>Recognised mistake: <strong>{e(q.misconception)}</strong>{' — ' + e(q.hint) if q.hint else ''}</p>"
        if q.traceback:
            detail += f"<details><summary>Your code's traceback</summary><pre>{e(q.traceback)}</pre></details>"
        rows.append(f"<section><h3 style='color:{colour}'>{e(q.question)} — {q.points:g}/{q.max_points:g} ({e(STATUS_TEXT[q.status])})</h3>"
                    f"<p>{e(q.title)}</p>{detail}</section>")
    notes = "".join(f"<li>{e(n)}</li>" for n in result.notes)
    images = []
    for figure in result.figures if folder is not None else []:
        path = folder / figure["file"]
        if path.is_file():
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            images.append(f"<figure><img src='data:image/png;base64,{data}' alt='figure of cell {e(figure['cell'])}'>"
                          f"<figcaption>cell {e(figure['cell'])}</figcaption></figure>")
    gallery = f"<h2>Your figures</h2><p>{e(figures.INTRO)}</p>" + "".join(images) if images else ""
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(result.assignment)}: {e(result.student)}</title>"
            "<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}pre{background:#f6f8fa;padding:.6rem;overflow-x:auto}"
            "img{max-width:100%}figcaption{color:#57606a;font-size:.9em}</style></head>"
            f"<body><h1>{e(result.assignment)}: feedback for {e(result.student)}</h1>"
            f"<p><strong>Score: {result.score:g} / {result.max_score:g}</strong> (automatically graded questions)</p>"
            + (f"<h2>Notes</h2><ul>{notes}</ul>" if notes else "") + "<h2>Questions</h2>" + "".join(rows) + gallery + "</body></html>")


def feedback_folder(out: Path, student: str) -> Path:
    """Where a student's feedback pages and figures go."""
    return out / "feedback" / student


def write_feedback(results: Sequence[SubmissionResult], out: Path) -> None:
    """feedback/<student>/<assignment>.md and .html."""
    for result in results:
        folder = feedback_folder(out, result.student)
        atomic_write(folder / f"{result.assignment}.md", feedback_markdown(result))
        atomic_write(folder / f"{result.assignment}.html", feedback_html(result, folder))


def write_results_json(results: Sequence[SubmissionResult], out: Path) -> None:
    """results.json: every submission's full result in one file."""
    atomic_write(out / "results.json", json.dumps([r.to_dict() for r in results], indent=1))


def write_junit(results: Sequence[SubmissionResult], out: Path) -> None:
    """junit.xml: a test suite per submission, a test case per question (for CI dashboards)."""
    suites = ElementTree.Element("testsuites", name="autograder")
    for result in results:
        automatic = [q for q in result.questions if q.status != "manual"]
        suite = ElementTree.SubElement(suites, "testsuite", name=f"{result.student}/{result.assignment}", tests=str(len(result.questions)),
                                       failures=str(sum(not q.passed for q in automatic)), skipped=str(len(result.questions) - len(automatic)),
                                       time=f"{result.seconds:.3f}")
        for q in result.questions:
            case = ElementTree.SubElement(suite, "testcase", classname=f"{result.student}.{result.assignment}", name=q.question)
            if q.status == "manual":
                ElementTree.SubElement(case, "skipped", message="graded by hand")
            elif not q.passed:
                failure = ElementTree.SubElement(case, "failure", message=f"{STATUS_TEXT[q.status]}: {q.reason.splitlines()[0] if q.reason else ''}"[:300], type=q.status)
                failure.text = q.reason + ("\n\n" + q.traceback if q.traceback else "")
    ElementTree.indent(suites)
    atomic_write(out / "junit.xml", ElementTree.tostring(suites, encoding="unicode", xml_declaration=True))


def gradescope_result(result: SubmissionResult) -> dict:
    """Gradescope's results.json for one submission."""
    return {
        "score": result.score,
        "output": "\n".join(result.notes),
        "tests": [{"name": q.question, "score": q.points, "max_score": q.max_points,
                   "status": "passed" if q.passed else "failed",
                   "output": "graded by hand" if q.status == "manual" else (q.reason or "All cases passed.")}
                  for q in result.questions if q.status != "manual"],
    }


def write_gradescope(results: Sequence[SubmissionResult], out: Path) -> None:
    """gradescope/<student>/<assignment>.json in Gradescope's results format."""
    for result in results:
        atomic_write(out / "gradescope" / result.student / f"{result.assignment}.json", json.dumps(gradescope_result(result), indent=1))


def write_summary(results: Sequence[SubmissionResult], out: Path) -> None:
    """summary.md and summary.png: per assignment, the score histogram and each question's pass rate."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assignments = list(dict.fromkeys(r.assignment for r in results))
    if not assignments:
        return
    fig, axes = plt.subplots(len(assignments), 2, figsize=(11, 3.2 * len(assignments)), squeeze=False)
    lines = ["# Class summary", ""]
    for (left, right), name in zip(axes, assignments):
        subset = [r for r in results if r.assignment == name]
        scores = [r.score for r in subset]
        top = max(r.max_score for r in subset)
        left.hist(scores, bins=min(20, max(5, int(top) + 1)), range=(0, top or 1), color="#4c72b0", edgecolor="white")
        left.set(title=f"{name}: total score ({len(subset)} submissions)", xlabel="points", ylabel="students")
        questions = [q.question for q in subset[0].questions if q.status != "manual"]
        rate = [sum(q.passed for r in subset for q in r.questions if q.question == question) / len(subset) for question in questions]
        right.barh(questions[::-1], rate[::-1], color="#55a868")
        right.set(xlim=(0, 1), title=f"{name}: share of students passing each question", xlabel="share passing")
        lines += [f"## {name}", "", f"{len(subset)} submissions, mean {sum(scores) / len(subset):.2f} / {top:g}", "",
                  "| question | passing |", "|---|---|"] + [f"| {q} | {r:.0%} |" for q, r in zip(questions, rate)] + [""]
    fig.tight_layout()
    fig.savefig(out / "summary.png", dpi=90)
    plt.close(fig)
    atomic_write(out / "summary.md", "\n".join(lines + ["![scores](summary.png)", ""]))


REPORTS: dict[str, Callable[[Sequence[SubmissionResult], Path], None]] = {
    "csv": write_grades_csv,
    "json": write_results_json,
    "junit": write_junit,
    "gradescope": write_gradescope,
    "feedback": write_feedback,
    "summary": write_summary,
}


def write_reports(results: Sequence[SubmissionResult], out: Path) -> None:
    """Every report of :data:`REPORTS` for ``results``, into ``out``."""
    for write in REPORTS.values():
        write(results, out)


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
