"""What the class got wrong: the instructor's view of the mistakes behind the failures.

:func:`class_insight` turns a class's :class:`~autograder.results.SubmissionResult` list into plain
data (dicts, lists, numbers and strings, ready for JSON): per assignment and question, the named
mistakes (catalogue entries) with counts and shares of the failing students, the unnamed failures
grouped by their kind, the most-failed cases (labels only), the students with the lowest scores
and their dominant mistake; across assignments, the mistakes a student made again (the same key,
or the same idea of :data:`IDEAS`). :func:`since` compares with an earlier run of the same class.
The renderers write ``summary.md`` sections, ``summary.html``, ``mistakes.csv`` and
``mistakes.json`` into the grading output.

Nothing here copies a result's ``reason`` or traceback: only catalogue keys and names, status
kinds, case labels and points, so no expected value of a hidden case can leak. These files are
the instructor's (they name students); nothing is written under ``feedback/``.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Sequence

from ..results import SubmissionResult

__all__ = ["IDEAS", "FAILURE_KINDS", "failure_kind", "mistakes", "class_insight", "since", "write_insight"]

LOWEST = 5
"""Students listed per assignment as needing help (lowest scores first)."""
TOP_CASES = 3
"""Most-failed cases listed per question."""

FAILURE_KINDS = {
    "not_implemented": "not implemented",
    "missing": "missing",
    "error": "error",
    "timeout": "timeout",
    "not_run": "not run",
}
"""The kind of an unnamed failure, by status (``failed`` is split by :data:`REASON_KINDS`)."""

REASON_KINDS = (
    (re.compile(r" has shape \(.*\), expected \("), "shape"),
    (re.compile(r" should be a .+, but it (is|holds) "), "type"),
)
"""A ``failed`` question's kind from its reason's wording (see ``compare.expect_array``/``expect_type``/
``expect_scalar``/``expect_equal``); any other wrong answer is ``wrong values``."""

IDEAS: dict[str, frozenset[tuple[str, str]]] = {
    "bias gradient averaged instead of summed over the batch": frozenset({
        ("04_backprop", "db_averaged"), ("04_backprop", "db_not_summed"), ("05_softmax", "db_averaged"),
        ("07_generalisation", "bn_param_grads_averaged")}),
    "biases regularised": frozenset({("05_softmax", "biases_regularised"), ("07_generalisation", "biases_regularised")}),
    "update moves up the gradient": frozenset({("03_chain_rule", "update_plus"), ("05_softmax", "uphill_step"), ("06_optimizers", "update_sign")}),
    "derivative evaluated at the activation instead of z": frozenset({
        ("03_chain_rule", "sigma_prime_at_a"), ("04_backprop", "fprime_of_a"), ("04_backprop", "backward_fprime_of_a")}),
    "a mean over the batch taken as a sum": frozenset({("04_backprop", "cost_not_over_n"), ("05_softmax", "ce_sum"), ("05_softmax", "ce_grad_factor_n")}),
    "reduced over the wrong axis": frozenset({
        ("02_perceptron", "radius_wrong_axis"), ("05_softmax", "softmax_wrong_axis"), ("05_softmax", "log_softmax_wrong_axis"),
        ("07_generalisation", "bn_wrong_axis")}),
    "a zero score counted as positive": frozenset({("01_gates", "step_zero_is_one"), ("02_perceptron", "zero_counts_positive")}),
    "a weight matrix transposed": frozenset({("04_backprop", "w_not_transposed"), ("05_softmax", "transposed_w"), ("05_softmax", "transposed_dw")}),
}
"""Catalogue entries of different assignments that are the same idea, by a name for the idea.
A key declared by two assignments (``db_averaged``) is one idea without being listed here."""


def _catalogue_keys(assignment: str) -> dict[str, str]:
    """Misconception name -> key for ``assignment`` (a result stores the name the student reads)."""
    from .. import course

    try:
        return {m.name: m.key for m in course.get_assignment(assignment).misconceptions.values()}
    except KeyError:
        return {}


def failure_kind(q) -> str:
    """The kind of an unpassed question: its status's, or for a wrong answer the reason's wording's."""
    if q.status in FAILURE_KINDS:
        return FAILURE_KINDS[q.status]
    first = (q.reason or "").split("\n\n")[-1]  # after a dependency's reason, the question's own
    return next((kind for pattern, kind in REASON_KINDS if pattern.search(first)), "wrong values")


def _failing(q) -> bool:
    return q.status not in ("passed", "manual")


def mistakes(results: Sequence[SubmissionResult]) -> list[dict[str, Any]]:
    """One row per student, assignment and unpassed automatic question: ``key`` and ``mistake`` name
    the catalogue entry when one was recognised (else both are the failure's kind), ``named`` says
    which; ``kind``, ``case`` (the first failing case's label), ``points``, ``max_points``."""
    rows = []
    for result in results:
        keys = _catalogue_keys(result.assignment)
        for q in result.questions:
            if not _failing(q):
                continue
            kind = failure_kind(q)
            named = bool(q.misconception)
            rows.append({"student": result.student, "assignment": result.assignment, "question": q.question,
                         "key": keys.get(q.misconception, q.misconception) if named else kind, "mistake": q.misconception if named else kind,
                         "named": named, "kind": kind, "case": q.case or "", "caused_by": q.caused_by or "",
                         "points": q.points, "max_points": q.max_points})
    return rows


def _idea(assignment: str, key: str) -> str:
    return next((idea for idea, members in IDEAS.items() if (assignment, key) in members), key)


def _dominant(rows: list[dict]) -> str:
    """The mistake a student's rows show most (named mistakes before kinds, notebook order on ties)."""
    if not rows:
        return ""
    counts = Counter((not r["named"], r["mistake"]) for r in rows)
    order = {r["mistake"]: i for i, r in reversed(list(enumerate(rows)))}
    return min(counts, key=lambda m: (m[0], -counts[m], order[m[1]]))[1]


def class_insight(results: Sequence[SubmissionResult]) -> dict[str, Any]:
    """The class's mistakes as plain data (see the module's docstring); shares are of the students
    failing the question."""
    rows = mistakes(results)
    assignments = []
    for name in dict.fromkeys(r.assignment for r in results):
        subset = [r for r in results if r.assignment == name]
        mine = [r for r in rows if r["assignment"] == name]
        questions = []
        for question in dict.fromkeys(q.question for r in subset for q in r.questions if q.status != "manual"):
            failing = [r for r in mine if r["question"] == question]
            if not failing:
                continue
            n = len(failing)
            named = Counter((r["key"], r["mistake"]) for r in failing if r["named"])
            kinds = Counter(r["kind"] for r in failing if not r["named"])
            questions.append({
                "question": question, "failing": n, "submissions": len(subset),
                "named": [{"key": k, "mistake": m, "count": c, "share": c / n} for (k, m), c in named.most_common()],
                "unnamed": [{"kind": k, "count": c, "share": c / n} for k, c in kinds.most_common()],
                "cases": [{"case": c, "count": k} for c, k in Counter(r["case"] for r in failing if r["case"]).most_common(TOP_CASES)]})
        lowest = sorted((r for r in subset if any(m["student"] == r.student for m in mine)), key=lambda r: (r.score, r.student))[:LOWEST]
        totals = Counter((r["named"], r["mistake"]) for r in mine)
        assignments.append({
            "assignment": name, "submissions": len(subset), "questions": questions,
            "mistakes": [{"mistake": m, "named": nm, "count": c} for (nm, m), c in totals.most_common()],
            "lowest": [{"student": r.student, "score": r.score, "max_score": r.max_score,
                        "dominant": _dominant([m for m in mine if m["student"] == r.student])} for r in lowest]})
    return {"assignments": assignments, "persistent": _persistent(rows), "rows": rows}


def _persistent(rows: list[dict]) -> list[dict[str, Any]]:
    """A student's named mistakes that come back in another assignment (same key or same idea)."""
    seen: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        if r["named"]:
            seen[(r["student"], _idea(r["assignment"], r["key"]))].append(r)
    found = []
    for (student, idea), hits in sorted(seen.items()):
        if len({h["assignment"] for h in hits}) > 1:
            found.append({"student": student, "idea": idea,
                          "occurrences": [{"assignment": h["assignment"], "question": h["question"], "key": h["key"]} for h in hits]})
    return found


def since(results: Sequence[SubmissionResult], earlier: Sequence[SubmissionResult]) -> dict[str, Any]:
    """Compared with an earlier run of the same class: per student, the mistakes (assignment,
    question, mistake) ``fixed`` (gone now), ``new`` and ``persisting``; and their totals. Only the
    submissions graded in both runs are compared."""
    both = {(r.student, r.assignment) for r in results} & {(r.student, r.assignment) for r in earlier}

    def keyed(rs):
        return {(m["student"], m["assignment"], m["question"], m["mistake"]) for m in mistakes([r for r in rs if (r.student, r.assignment) in both])}

    now, before = keyed(results), keyed(earlier)
    students = []
    for student in sorted({s for s, _ in both}):
        part = {name: sorted([a, q, m] for s, a, q, m in group if s == student)
                for name, group in (("fixed", before - now), ("new", now - before), ("persisting", now & before))}
        students.append({"student": student, **part})
    return {"compared": len(both), "students": students,
            "totals": {name: sum(len(s[name]) for s in students) for name in ("fixed", "new", "persisting")}}


# --- renderers ------------------------------------------------------------------------------

def _pct(share: float) -> str:
    return f"{share:.0%}"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(data: dict[str, Any]) -> str:
    """The summary.md sections: mistakes per assignment, persistent mistakes, the comparison."""
    lines = ["# What the class got wrong", ""]
    for a in data["assignments"]:
        lines += [f"## {a['assignment']}: mistakes", ""]
        if not a["questions"]:
            lines += ["Every automatic question passed.", ""]
        for q in a["questions"]:
            lines += [f"### {q['question']} — {q['failing']} of {q['submissions']} failing", "", "| mistake | students | share of failing |", "|---|---|---|"]
            lines += [f"| {_cell(m['mistake'])} (`{m['key']}`) | {m['count']} | {_pct(m['share'])} |" for m in q["named"]]
            lines += [f"| unnamed: {m['kind']} | {m['count']} | {_pct(m['share'])} |" for m in q["unnamed"]]
            if q["cases"]:
                lines += ["", "Most-failed cases: " + "; ".join(f"{_cell(c['case'])} ({c['count']})" for c in q["cases"])]
            lines.append("")
        lines += ["Lowest scores (students with a failure):", "", "| student | score | dominant mistake |", "|---|---|---|"]
        lines += [f"| {_cell(s['student'])} | {s['score']:g} / {s['max_score']:g} | {_cell(s['dominant']) or '—'} |" for s in a["lowest"]] + [""]
    lines += ["## Mistakes that persist across assignments", ""]
    lines += [f"- {_cell(p['student'])}: {p['idea']} in " + ", ".join(f"{o['assignment']} {o['question']}" for o in p["occurrences"]) for p in data["persistent"]] \
        or ["No student made the same named mistake in two assignments."]
    lines.append("")
    if "since" in data:
        s = data["since"]
        t = s["totals"]
        lines += ["## Since the earlier run", "", f"{s['compared']} submissions compared: {t['fixed']} mistakes fixed, {t['new']} new, {t['persisting']} persisting.", "",
                  "| student | fixed | new | persisting |", "|---|---|---|---|"]
        for st in s["students"]:
            lines.append(f"| {_cell(st['student'])} | " + " | ".join(
                "; ".join(_cell(f"{a} {q}: {m}") for a, q, m in st[name]) or "—" for name in ("fixed", "new", "persisting")) + " |")
        lines.append("")
    return "\n".join(lines)


LABEL_INCHES_PER_CHARACTER = 0.085
"""A generous width of one character of a 10-point tick label: margins are laid out from the
labels' lengths, not measured by drawing (a constrained layout drew the figure several times,
about a second for a class of seven assignments)."""


def chart_png(assignment: dict[str, Any]) -> bytes:
    """A horizontal bar chart of an assignment's most common mistakes (named ones dark, kinds light)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    top = assignment["mistakes"][:10][::-1]
    labels = [m["mistake"] if m["named"] else f"unnamed: {m['mistake']}" for m in top]
    width, height = 8.0, 0.45 * len(top) + 1.4
    left = min(LABEL_INCHES_PER_CHARACTER * max(map(len, labels), default=8) + 0.3, width / 2)  # inches; longer labels are cut
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes([left / width, 0.6 / height, (width - left - 0.3) / width, (height - 1.0) / height])
    ax.barh(labels, [m["count"] for m in top],
            color=["#c44e52" if m["named"] else "#dd8452" for m in top])
    ax.set(title=f"{assignment['assignment']}: most common mistakes", xlabel="failed questions (student x question)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return buffer.getvalue()


STYLE = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.4;overflow-wrap:anywhere}"
         "table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:left}"
         "img{max-width:100%}.unnamed{color:#57606a}")


def html_page(data: dict[str, Any], overview_png: bytes | None = None) -> str:
    """summary.html: the class summary's figure (``overview_png``, summary.png) and the same sections as
    :func:`markdown`, one self-contained page (images as data URIs)."""
    e = html.escape
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Class summary</title>",
             f"<style>{STYLE}</style></head><body><h1>Class summary</h1>"]
    if overview_png:
        parts.append(f"<img src='data:image/png;base64,{base64.b64encode(overview_png).decode('ascii')}' alt='scores and pass rates per assignment'>")
    parts.append("<h1>What the class got wrong</h1>")
    for a in data["assignments"]:
        parts.append(f"<section class='assignment'><h2>{e(a['assignment'])}: mistakes ({a['submissions']} submissions)</h2>")
        if a["mistakes"]:
            data_uri = base64.b64encode(chart_png(a)).decode("ascii")
            parts.append(f"<img src='data:image/png;base64,{data_uri}' alt='{e(a['assignment'])}: most common mistakes'>")
        for q in a["questions"]:
            parts.append(f"<h3>{e(q['question'])} — {q['failing']} of {q['submissions']} failing</h3>"
                         "<table><tr><th>mistake</th><th>students</th><th>share of failing</th></tr>")
            parts += [f"<tr><td>{e(m['mistake'])} (<code>{e(m['key'])}</code>)</td><td>{m['count']}</td><td>{_pct(m['share'])}</td></tr>" for m in q["named"]]
            parts += [f"<tr class='unnamed'><td>unnamed: {e(m['kind'])}</td><td>{m['count']}</td><td>{_pct(m['share'])}</td></tr>" for m in q["unnamed"]]
            parts.append("</table>")
            if q["cases"]:
                parts.append("<p>Most-failed cases: " + "; ".join(f"{e(c['case'])} ({c['count']})" for c in q["cases"]) + "</p>")
        parts.append("<h3>Lowest scores (students with a failure)</h3><table><tr><th>student</th><th>score</th><th>dominant mistake</th></tr>")
        parts += [f"<tr><td>{e(s['student'])}</td><td>{s['score']:g} / {s['max_score']:g}</td><td>{e(s['dominant']) or '—'}</td></tr>" for s in a["lowest"]]
        parts.append("</table></section>")
    parts.append("<h2>Mistakes that persist across assignments</h2>")
    persistent = "".join(f"<li>{e(p['student'])}: {e(p['idea'])} in " + ", ".join(e(f"{o['assignment']} {o['question']}") for o in p["occurrences"]) + "</li>"
                         for p in data["persistent"])
    parts.append(f"<ul id='persistent'>{persistent}</ul>" if persistent else "<p>No student made the same named mistake in two assignments.</p>")
    if "since" in data:
        s = data["since"]
        t = s["totals"]
        parts.append(f"<h2>Since the earlier run</h2><p id='since-totals'>{s['compared']} submissions compared: {t['fixed']} mistakes fixed, {t['new']} new, "
                     f"{t['persisting']} persisting.</p><table><tr><th>student</th><th>fixed</th><th>new</th><th>persisting</th></tr>")
        for st in s["students"]:
            parts.append(f"<tr><td>{e(st['student'])}</td>" + "".join(
                "<td>" + ("<br>".join(e(f"{a} {q}: {m}") for a, q, m in st[name]) or "—") + "</td>" for name in ("fixed", "new", "persisting")) + "</tr>")
        parts.append("</table>")
    return "".join(parts) + "</body></html>"


CSV_COLUMNS = ["student", "assignment", "question", "key", "mistake", "named", "kind", "case", "caused_by", "points", "max_points"]


def csv_text(data: dict[str, Any]) -> str:
    """mistakes.csv: one row per student, assignment, question and mistake."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows({**r, "points": f"{r['points']:g}", "max_points": f"{r['max_points']:g}"} for r in data["rows"])
    return buffer.getvalue()


def write_insight(results: Sequence[SubmissionResult], out: Path, since_out: Path | None = None) -> None:
    """Append the mistakes to summary.md and write summary.html, mistakes.csv and mistakes.json into
    ``out``; with ``since_out`` (an earlier run's output folder), compare with its results."""
    from . import files

    if not results:
        return
    data = class_insight(results)
    if since_out is not None:
        data["since"] = since(results, files.read_results(Path(since_out)))
    summary = out / "summary.md"
    before = summary.read_text(encoding="utf-8") if summary.is_file() else ""
    files.atomic_write(summary, before.rstrip("\n") + "\n\n" + markdown(data))
    overview = out / "summary.png"
    files.atomic_write(out / "summary.html", html_page(data, overview.read_bytes() if overview.is_file() else None))
    files.atomic_write(out / "mistakes.csv", csv_text(data))
    files.atomic_write(out / "mistakes.json", json.dumps(data, indent=1))
