"""Writing results: one JSON file per submission, a grade table, feedback per student.

Every writer reads :class:`~autograder.results.SubmissionResult` and nothing else.
Files are written atomically (a temporary file renamed into place), so an
interrupted run never leaves a half-written result behind.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Callable, Iterable, Sequence
from xml.etree import ElementTree

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import figures, insight, platforms
from .files import atomic_write, atomic_write_bytes, printable, write_csv
from ..results import STATUS_TEXT, SubmissionResult

__all__ = ["REPORTS", "write_reports", "feedback_markdown", "feedback_html", "grade_table", "print_table"]


def _declared(results: Sequence[SubmissionResult]) -> list[tuple[str, list[tuple[str, float]]]]:
    """(assignment, [(question, points), ...]) for every assignment in ``results``, in course order,
    every declared question included (written answers too), whoever was graded."""
    from .. import course

    names = set(r.assignment for r in results)
    return [(a.name, [(q.name, q.points) for q in a]) for a in course.assignments().values() if a.name in names]


def _earned(q) -> str:
    """A question's cell in a grade table: its points, or empty while it awaits hand grading."""
    return "" if q.status == "manual" else f"{q.points:g}"


def write_grades_csv(results: Sequence[SubmissionResult], out: Path) -> None:
    """grades.csv: one row per student; for every assignment graded, a column per declared question
    (``01_gates:step``; a written answer is empty until graded by hand), then ``total`` (points earned,
    hand grades included), ``max`` (the assignment's points, the same for every student) and
    ``awaiting_hand_grading`` (points not graded yet). The columns depend on the assignments only."""
    declared = _declared(results)
    header = ["student"] + [f"{a}:{q}" for a, questions in declared for q, _ in questions] \
        + [f"{a}:{kind}" for a, _ in declared for kind in ("total", "max", "awaiting_hand_grading")]
    rows: dict[str, dict[str, str]] = {}
    for result in results:
        row = rows.setdefault(result.student, {"student": printable(result.student)})
        row.update({f"{result.assignment}:{q.question}": _earned(q) for q in result.questions})
        top = next(sum(p for _, p in questions) for a, questions in declared if a == result.assignment)
        row[f"{result.assignment}:total"] = f"{result.score:g}"
        row[f"{result.assignment}:max"] = f"{top:g}"
        row[f"{result.assignment}:awaiting_hand_grading"] = f"{sum(q.max_points for q in result.questions if q.status == 'manual'):g}"
    write_csv(out / "grades.csv", header, [rows[s] for s in sorted(rows)])


def _pending(result: SubmissionResult) -> float:
    """Points of the written answers not graded by hand yet."""
    return sum(q.max_points for q in result.questions if q.status == "manual")


def _score_line(result: SubmissionResult) -> str:
    pending = _pending(result)
    return f"Score: {result.score:g} / {result.max_score:g}" + (f", and {pending:g} more points awaiting hand grading" if pending else "")


def _heading(q) -> str:
    """A question's heading: its points, or that it awaits hand grading (never a "0/2" that reads like a zero)."""
    if q.status == "manual":
        return f"{q.question} — awaiting hand grading ({q.max_points:g} points)"
    return f"{q.question} — {q.points:g}/{q.max_points:g} ({STATUS_TEXT[q.status]})"


def _caption(figure: dict) -> str:
    return figure.get("caption") or "A figure of the notebook"


def feedback_markdown(result: SubmissionResult) -> str:
    """The feedback a student reads: score, then each question with its reason."""
    lines = [f"# {result.assignment}: feedback for {result.student}", "", f"**{_score_line(result)}**", ""]
    if result.notes:
        lines += ["## Notes", ""] + [f"- {note}" for note in result.notes] + [""]
    lines += ["## Questions", ""]
    for q in result.questions:
        mark = {"passed": "✔", "manual": "✍"}.get(q.status, "✘")
        lines.append(f"### {mark} {_heading(q)}")
        lines += ["", q.title, ""]
        if q.status == "passed":
            lines += [f"All {q.cases_total} cases passed.", ""] if q.cases_total else ([q.reason, ""] if q.reason else [])
        elif q.status == "manual":
            lines += ["Your instructor grades this answer by hand; its points are added when it is graded.", ""]
        elif q.reason:
            lines += ["```text", q.reason, "```", ""]
            if q.misconception:
                lines += [f"Recognised mistake: **{q.misconception}**" + (f" — {q.hint}" if q.hint else "."), ""]
            if q.traceback:
                lines += ["Your code's traceback:", "", "```text", q.traceback.rstrip(), "```", ""]
    if result.figures:
        lines += ["## Your figures", "", figures.INTRO, ""]
        lines += [f"![{_caption(f)}]({f['file']})\n\n*{_caption(f)}*\n" for f in result.figures]
    return "\n".join(lines)


STYLE = ("body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.45;overflow-wrap:anywhere}"
         "pre{background:#f6f8fa;padding:.6rem;white-space:pre-wrap;overflow-wrap:anywhere}"  # long messages wrap, never cut
         "img{max-width:100%}figcaption{color:#57606a;font-size:.9em}.awaiting{color:#9a6700}")


def feedback_html(result: SubmissionResult, folder: Path | None = None) -> str:
    """The same feedback as :func:`feedback_markdown`, as a standalone HTML page; the
    figures (files under ``folder``) are embedded, so the page is one file to hand out."""
    e = html.escape
    rows = []
    for q in result.questions:
        colour = {"passed": "#1a7f37", "manual": "#9a6700"}.get(q.status, "#cf222e")
        detail = "" if q.passed or not q.reason or q.status == "manual" else f"<pre>{e(q.reason)}</pre>"
        if q.status == "manual":
            detail = "<p class='awaiting'>Your instructor grades this answer by hand; its points are added when it is graded.</p>"
        elif q.passed and q.reason and not q.cases_total:
            detail = f"<p>{e(q.reason)}</p>"
        if q.misconception and not q.passed:
            detail += f"<p class='misconception'>Recognised mistake: <strong>{e(q.misconception)}</strong>{' — ' + e(q.hint) if q.hint else ''}</p>"
        if q.traceback:
            detail += f"<details><summary>Your code's traceback</summary><pre>{e(q.traceback)}</pre></details>"
        rows.append(f"<section><h3 style='color:{colour}'>{e(_heading(q))}</h3><p>{e(q.title)}</p>{detail}</section>")
    notes = "".join(f"<li>{e(n)}</li>" for n in result.notes)
    images = []
    for figure in result.figures if folder is not None else []:
        path = folder / figure["file"]
        if path.is_file():
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            images.append(f"<figure><img src='data:image/png;base64,{data}' alt='{e(_caption(figure))}'>"
                          f"<figcaption>{e(_caption(figure))}</figcaption></figure>")
    gallery = f"<h2>Your figures</h2><p>{e(figures.INTRO)}</p>" + "".join(images) if images else ""
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(result.assignment)}: {e(result.student)}</title>"
            f"<style>{STYLE}</style></head>"
            f"<body><h1>{e(result.assignment)}: feedback for {e(result.student)}</h1>"
            f"<p><strong>{e(_score_line(result))}</strong></p>"
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


JUNIT_ERRORS = frozenset({"error", "timeout", "not_run"})
"""Statuses JUnit reports as ``<error>`` (the code could not be judged: it raised, hung or never ran);
every other unpassed status is a ``<failure>`` (judged, and wrong or missing)."""


def write_junit(results: Sequence[SubmissionResult], out: Path) -> None:
    """junit.xml: a test suite per submission, a test case per question (for CI dashboards).

    A case's ``time`` is the submission's grading time shared equally among its automatic questions
    (the cases of one submission run together in one child, so no finer time is measured)."""
    suites = ElementTree.Element("testsuites", name="autograder")
    for result in results:
        automatic = [q for q in result.questions if q.status != "manual"]
        errors = [q for q in automatic if q.status in JUNIT_ERRORS]
        share = result.seconds / len(automatic) if automatic else 0.0
        suite = ElementTree.SubElement(suites, "testsuite", name=printable(f"{result.student}/{result.assignment}"), tests=str(len(result.questions)),
                                       failures=str(sum(not q.passed for q in automatic) - len(errors)), errors=str(len(errors)),
                                       skipped=str(len(result.questions) - len(automatic)), time=f"{result.seconds:.3f}")
        for q in result.questions:
            case = ElementTree.SubElement(suite, "testcase", classname=printable(f"{result.student}.{result.assignment}"), name=q.question,
                                          time=f"{0.0 if q.status == 'manual' else share:.3f}")
            if q.status == "manual":
                ElementTree.SubElement(case, "skipped", message="awaiting hand grading")
            elif not q.passed:
                kind = "error" if q.status in JUNIT_ERRORS else "failure"
                element = ElementTree.SubElement(case, kind, message=f"{STATUS_TEXT[q.status]}: {q.reason.splitlines()[0] if q.reason else ''}"[:300], type=q.status)
                element.text = q.reason + ("\n\n" + q.traceback if q.traceback else "")
    ElementTree.indent(suites)
    atomic_write(out / "junit.xml", ElementTree.tostring(suites, encoding="unicode", xml_declaration=True))


def summary_figure(results: Sequence[SubmissionResult]):
    """The class at a glance, a row per assignment: the score histogram (students counted in
    integers) and the share of students passing each question; titles kept inside the figure.
    Laid out in inches: a row is 3.6 in high, the question names get the room their length needs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    assignments = list(dict.fromkeys(r.assignment for r in results))
    rates = {name: _pass_rates([r for r in results if r.assignment == name]) for name in assignments}
    label = insight.LABEL_INCHES_PER_CHARACTER * max((len(q) for questions in rates.values() for q in questions), default=8)
    width, row, rows = 11.0, 3.6, len(assignments)
    fig = plt.figure(figsize=(width, row * rows))
    top, bottom, left, gap, right = 0.65, 0.6, 0.8, 0.45, 0.3  # inches: two-line title, x label, y label, between the columns, edge
    histogram_width = (width - left - gap - label - right) / 2
    for i, name in enumerate(assignments):
        y = (rows - i - 1) * row + bottom
        frame = (histogram_width, row - top - bottom)
        hist = fig.add_axes([left / width, y / (row * rows), frame[0] / width, frame[1] / (row * rows)])
        bars = fig.add_axes([(left + histogram_width + gap + label) / width, y / (row * rows), frame[0] / width, frame[1] / (row * rows)])
        subset = [r for r in results if r.assignment == name]
        most = max(r.max_score for r in subset)
        hist.hist([r.score for r in subset], bins=min(20, max(5, int(most) + 1)), range=(0, most or 1), color="#4c72b0", edgecolor="white")
        hist.set(title=f"{name}: total scores\n({len(subset)} submissions)", xlabel="points", ylabel="students")
        hist.yaxis.set_major_locator(MaxNLocator(integer=True))
        bars.barh(list(rates[name])[::-1], list(rates[name].values())[::-1], color="#55a868")
        bars.set(xlim=(0, 1), title=f"{name}: share of students\npassing each question", xlabel="share passing")
    return fig


def _pass_rates(subset: Sequence[SubmissionResult]) -> dict[str, float]:
    """Automatic question -> the share of ``subset`` passing it."""
    names = [q.question for q in subset[0].questions if q.status != "manual"]
    return {n: sum(q.passed for r in subset for q in r.questions if q.question == n) / len(subset) for n in names}


def write_summary(results: Sequence[SubmissionResult], out: Path) -> None:
    """summary.md and summary.png: per assignment, the score histogram and each question's pass rate."""
    import matplotlib.pyplot as plt

    assignments = list(dict.fromkeys(r.assignment for r in results))
    if not assignments:
        return
    lines = ["# Class summary", ""]
    for name in assignments:
        subset = [r for r in results if r.assignment == name]
        top = max(r.max_score for r in subset)
        lines += [f"## {name}", "", f"{len(subset)} submissions, mean {sum(r.score for r in subset) / len(subset):.2f} / {top:g}", "",
                  "| question | passing |", "|---|---|"] + [f"| {q} | {rate:.0%} |" for q, rate in _pass_rates(subset).items()] + [""]
    fig = summary_figure(results)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    atomic_write_bytes(out / "summary.png", buffer.getvalue())
    atomic_write(out / "summary.md", "\n".join(lines + ["![scores](summary.png)", ""]))


REPORTS: dict[str, Callable[..., None]] = {
    "csv": write_grades_csv,
    "canvas": platforms.write_canvas,
    "moodle": platforms.write_moodle,
    "json": write_results_json,
    "junit": write_junit,
    "gradescope": platforms.write_gradescope,
    "feedback": write_feedback,
    "summary": write_summary,
}
"""Every report, by name; each is ``write(results, out)`` (Gradescope's also takes ``hidden_visibility``)."""


def write_reports(results: Sequence[SubmissionResult], out: Path, hidden_visibility: str = "after_published", since: Path | None = None) -> None:
    """Every report of :data:`REPORTS` for ``results``, into ``out``, then the class's mistakes
    (compared with the earlier output folder ``since``, when given: see :mod:`autograder.outputs.insight`)."""
    for name, write in REPORTS.items():
        if name == "gradescope":
            write(results, out, hidden_visibility)
        else:
            write(results, out)
    insight.write_insight(results, out, since)


def grade_table(results: Iterable[SubmissionResult]) -> Table:
    """A terminal table: one row per submission, a mark per question, the score and the first problem."""
    table = Table(title="Grades")
    for column, justify in (("student", "left"), ("assignment", "left"), ("questions", "left"), ("score", "right"), ("first problem", "left")):
        table.add_column(column, justify=justify, overflow="fold")
    for result in results:
        marks = "".join("[green]✔[/]" if q.passed else "[yellow]✍[/]" if q.status == "manual" else "[red]✘[/]" for q in result.questions)
        problem = next((f"{q.question}: {q.reason.splitlines()[0]}" for q in result.questions if not q.passed and q.status != "manual"), "")
        first = problem or (result.notes[:1] or [""])[0]
        table.add_row(escape(printable(result.student)), result.assignment, marks, f"{result.score:g}/{result.max_score:g}", escape(printable(first[:160])))
    return table


def print_table(results: Iterable[SubmissionResult], console: Console | None = None) -> None:
    (console or Console()).print(grade_table(results))
