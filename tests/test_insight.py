"""The instructor's view of the class's mistakes (autograder.outputs.insight).

A small 01_gates class is graded once (module fixture): adaline correct, benedikt with the
assignment's sample mistakes, cyrilla the untouched notebook, deodata with only the step mistake.
The counts are derived from how the class was built and from the catalogue; the kinds of unnamed
failures from the wording of the compare helpers themselves; persistence across assignments from
the catalogue's names. ``--since`` regrades deodata, who fixed the step and broke gate_weights.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, keep_artifacts
from typer.testing import CliRunner

from autograder import course
from autograder.judge import engine
from autograder.outputs import insight
from autograder.course import simulate
from autograder.cli import app
from autograder.judge.compare import Mismatch, expect_array, expect_close, expect_equal, expect_scalar, expect_type
from autograder.grade import grade_folder, merge
from autograder.results import QuestionResult, SubmissionResult

GATES = course.get_assignment("01_gates")
# The sample mistakes and the catalogue entry each is written to show (see the comments in questions/gates.py).
STEP_MISTAKE = GATES.misconceptions["step_zero_is_one"].name
CLASS = {
    "adaline": {},
    "benedikt": dict(GATES.sample_mistakes),
    "deodata": {"step": GATES.sample_mistakes["step"]},
}
STUB = "cyrilla"
OUTPUTS = ("summary.md", "summary.html", "mistakes.csv", "mistakes.json")


def _write_class(submitted: Path, students: dict[str, dict[str, str]], stub: str | None = None) -> None:
    for student, replace in students.items():
        simulate.write(simulate.fill(GATES, ROOT, replace=replace), submitted, student, GATES)
    if stub:
        simulate.write(simulate.fill(GATES, ROOT, base="stub"), submitted, stub, GATES)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("insight")
    _write_class(tmp / "submitted", CLASS, STUB)
    out = tmp / "out"
    results = grade_folder(tmp / "submitted", out, [GATES.name], seed=7, root=ROOT, jobs=2)
    return out, {r.student: r for r in results}


def _automatic(result: SubmissionResult) -> list[QuestionResult]:
    return [q for q in result.questions if q.status != "manual"]


# --- pure functions ----------------------------------------------------------------------------

def _raised(call) -> str:
    with pytest.raises(Mismatch) as caught:
        call()
    return caught.value.message


@pytest.mark.parametrize("call, kind", [
    (lambda: expect_array(np.zeros((2, 3)), (3, 2), "W"), "shape"),
    (lambda: expect_array(np.zeros(4), (2, 2), "W"), "shape"),
    (lambda: expect_array("text", (2,), "W"), "type"),
    (lambda: expect_type(3, list, "history"), "type"),
    (lambda: expect_scalar(np.zeros(3), "loss"), "type"),
    (lambda: expect_equal(1.0, "AND", "name"), "type"),
    (lambda: expect_close(np.ones(3), np.zeros(3), "z"), "wrong values"),
    (lambda: expect_close(np.ones(3), np.zeros(3), "z", reveal=False), "wrong values"),
    (lambda: expect_array(np.array([np.nan]), (1,), "z"), "wrong values"),
    (lambda: expect_equal(2, 3, "count"), "wrong values"),
])
def test_an_unnamed_wrong_answer_s_kind_follows_the_compare_helpers_wording(call, kind):
    q = QuestionResult("q", "t", 0, 1, "failed", reason=_raised(call))
    assert insight.failure_kind(q) == kind, q.reason


@pytest.mark.parametrize("status", sorted(insight.FAILURE_KINDS))
def test_every_other_unpassed_status_is_its_own_kind(status):
    assert insight.failure_kind(QuestionResult("q", "t", 0, 1, status, reason="has shape (2,), expected (3,)")) == insight.FAILURE_KINDS[status]


def test_every_idea_joins_catalogue_entries_of_at_least_two_assignments():
    for idea, members in insight.IDEAS.items():
        for assignment, key in members:
            assert key in course.get_assignment(assignment).misconceptions, (idea, assignment, key)
        assert len({a for a, _ in members}) >= 2, idea


def _named(assignment: str, question: str, key: str) -> QuestionResult:
    entry = course.get_assignment(assignment).misconceptions[key]
    return QuestionResult(question, "t", 0, 1, "failed", reason="differs", misconception=entry.name, hint=entry.hint, case="case 1")


def test_a_mistake_made_again_in_another_assignment_persists_by_key_or_by_idea():
    results = [
        SubmissionResult("pat", "04_backprop", [_named("04_backprop", "backward", "db_averaged")]),
        SubmissionResult("pat", "05_softmax", [_named("05_softmax", "classifier_step", "db_averaged")]),
        SubmissionResult("quin", "03_chain_rule", [_named("03_chain_rule", "train_scalar_network", "update_plus")]),
        SubmissionResult("quin", "06_optimizers", [_named("06_optimizers", "gradient_descent", "update_sign")]),
        SubmissionResult("ray", "04_backprop", [_named("04_backprop", "backward", "db_averaged")]),  # once only
        SubmissionResult("ray", "05_softmax", [_named("05_softmax", "softmax", "softmax_wrong_axis")]),
    ]
    persistent = insight.class_insight(results)["persistent"]
    by_student = {p["student"]: p for p in persistent}
    assert set(by_student) == {"pat", "quin"}
    assert [o["key"] for o in by_student["pat"]["occurrences"]] == ["db_averaged", "db_averaged"]
    idea = next(i for i, m in insight.IDEAS.items() if ("03_chain_rule", "update_plus") in m)
    assert by_student["quin"]["idea"] == idea and {o["assignment"] for o in by_student["quin"]["occurrences"]} == {"03_chain_rule", "06_optimizers"}


def test_no_reason_or_traceback_text_reaches_the_instructor_files(tmp_path):
    """The files carry keys, kinds, case labels and points, never what the student's reason says
    (where the expected value of a visible case is written)."""
    secret = "0.7315926535"
    q = QuestionResult("step", "t", 0, 1, "failed", reason=f"z: 1 of 3 entries differ\n  at z[0]: expected {secret}, got 1", case="a case",
                       traceback=f"ValueError: {secret}")
    (tmp_path / "summary.md").write_text("# Class summary\n")
    insight.write_insight([SubmissionResult("pat", GATES.name, [q])], tmp_path)
    for name in OUTPUTS:
        assert secret not in (tmp_path / name).read_text(), name
    assert (tmp_path / "summary.md").read_text().startswith("# Class summary\n")


# --- a graded class ----------------------------------------------------------------------------

def test_the_class_s_mistakes_are_counted_as_the_class_was_built(graded):
    out, results = graded
    data = json.loads((out / "mistakes.json").read_text())
    (gates,) = data["assignments"]
    questions = {q["question"]: q for q in gates["questions"]}
    # the step mistake, named, by everyone who wrote it in; the stub not implemented everywhere
    wrote_step = [s for s, replace in CLASS.items() if "step" in replace]
    step = questions["step"]
    named = {m["key"]: m for m in step["named"]}
    assert named["step_zero_is_one"]["count"] == len(wrote_step) and named["step_zero_is_one"]["mistake"] == STEP_MISTAKE
    assert step["failing"] == len(wrote_step) + 1
    assert named["step_zero_is_one"]["share"] == pytest.approx(len(wrote_step) / step["failing"])
    for question in {q.question for q in _automatic(results[STUB])}:
        unnamed = {m["kind"]: m["count"] for m in questions[question]["unnamed"]}
        assert unnamed.get("not implemented") == 1, (question, unnamed)
    # the correct student has no row; every row matches a failing question of its student's result
    rows = data["rows"]
    assert not [r for r in rows if r["student"] == "adaline"] and "adaline" not in {s["student"] for s in gates["lowest"]}
    failing = {(s, q.question) for s, r in results.items() for q in _automatic(r) if not q.passed}
    assert {(r["student"], r["question"]) for r in rows} == failing
    # per question, the counts add up to the failing students, the shares to 1
    for q in gates["questions"]:
        assert sum(m["count"] for m in q["named"] + q["unnamed"]) == q["failing"]
        assert sum(m["share"] for m in q["named"] + q["unnamed"]) == pytest.approx(1)
    # the lowest score first, with a dominant mistake; the stub's is "not implemented"
    lowest = gates["lowest"]
    assert [s["score"] for s in lowest] == sorted(s["score"] for s in lowest)
    assert lowest[0]["student"] == STUB and lowest[0]["dominant"] == "not implemented"
    assert next(s for s in lowest if s["student"] == "deodata")["dominant"] == STEP_MISTAKE
    # the most-failed cases are the results' case labels
    assert {c["case"] for c in step["cases"]} <= {q.case for r in results.values() for q in r.questions if q.question == "step"}


def test_the_summary_csv_and_json_say_the_same(graded):
    out, _ = graded
    data = json.loads((out / "mistakes.json").read_text())
    rows = list(csv.DictReader(io.StringIO((out / "mistakes.csv").read_text())))
    assert [(r["student"], r["question"], r["mistake"]) for r in rows] == [(r["student"], r["question"], r["mistake"]) for r in data["rows"]]
    summary = (out / "summary.md").read_text()
    assert summary.startswith("# Class summary") and "# What the class got wrong" in summary
    assert f"{STEP_MISTAKE} (`step_zero_is_one`)" in summary and "unnamed: not implemented" in summary
    page = (out / "summary.html").read_text()
    assert "data:image/png;base64," in page and "src='http" not in page and STEP_MISTAKE in page


def test_no_student_s_name_in_another_student_s_feedback_and_no_reason_in_the_instructor_files(graded):
    out, results = graded
    students = set(results)
    for student in students:
        for path in (out / "feedback" / student).rglob("*"):
            if path.suffix in (".md", ".html"):
                text = path.read_text()
                assert not [other for other in students - {student} if other in text], path
    assert not [p for p in (out / "feedback").rglob("*") if p.name in OUTPUTS]
    written = "".join((out / name).read_text() for name in OUTPUTS[1:])
    for r in results.values():
        for q in r.questions:
            for line in (q.reason or "").splitlines():
                if "expected" in line or "got" in line:
                    assert line.strip() not in written, line


def _numbers(value) -> set[float]:
    """The non-integer numbers in a plain value (integers such as 0 and 1 are in every file)."""
    if isinstance(value, dict):
        return set().union(*map(_numbers, value.values())) if value else set()
    if isinstance(value, (list, tuple)):
        return set().union(*map(_numbers, value)) if value else set()
    try:
        array = np.asarray(value, dtype=float).ravel()
    except (TypeError, ValueError):
        return set()
    return {float(x) for x in array if np.isfinite(x) and x != round(x)}


def test_no_hidden_case_value_appears_in_the_instructor_files(graded):
    """Each student's hidden cases are drawn again from their result's seed; neither their inputs nor
    the reference's outputs on them appear in any insight file, in any usual formatting."""
    out, results = graded
    reference = course.reference(GATES.name, ROOT)
    written = "".join((out / name).read_text() for name in OUTPUTS)
    questions = [q for q in GATES if q.generate is not None]
    values: set[float] = set()
    for result in results.values():
        for planned in engine.plan(GATES, questions, result.seed):
            if planned.hidden:
                case = planned.case
                values |= _numbers(case.args) | _numbers(case.kwargs)
                if case.probe == "call" and case.fn in reference:
                    values |= _numbers(reference[case.fn](*case.args, **case.kwargs))
    assert len(values) > 10, "the hidden cases hold too few non-integer numbers to look for"
    shown = [(v, text) for v in values for text in {repr(v), f"{v:.12g}", f"{v:.6g}", f"{v:.4g}"} if len(text) > 3 and text in written]
    assert shown == []


def test_since_says_which_mistakes_were_fixed_and_which_are_new(graded, tmp_path):
    earlier, results = graded
    # deodata fixes the step and gets gate_weights wrong
    _write_class(tmp_path / "submitted", {"deodata": {"gate_weights": GATES.sample_mistakes["gate_weights"]}})
    out = tmp_path / "out"
    run = CliRunner().invoke(app, ["grade", str(tmp_path / "submitted"), "--out", str(out), "--assignment", GATES.name, "--seed", "7",
                                   "--since", str(earlier), "--course", str(ROOT), "--jobs", "1"], env={"COLUMNS": "200"})
    assert run.exit_code == 0, run.output
    data = json.loads((out / "mistakes.json").read_text())["since"]
    assert data["compared"] == 1
    (deodata,) = data["students"]
    now = [q for q in _automatic(json_result(out, "deodata")) if not q.passed]
    before = [q for q in _automatic(results["deodata"]) if not q.passed]
    assert [GATES.name, "step", STEP_MISTAKE] in deodata["fixed"]
    assert not [m for m in deodata["new"] + deodata["persisting"] if m[1] == "step"]
    assert "gate_weights" in {q for _, q, _ in deodata["new"]}
    assert data["totals"]["fixed"] == len(deodata["fixed"]) and len(deodata["fixed"]) + len(deodata["persisting"]) == len(before)
    assert len(deodata["new"]) + len(deodata["persisting"]) == len(now)
    summary = (out / "summary.md").read_text()
    assert "## Since the earlier run" in summary and f"{data['totals']['fixed']} mistakes fixed, {data['totals']['new']} new" in summary


def test_merge_since_the_same_run_finds_every_mistake_persisting(graded, tmp_path):
    earlier, _ = graded
    merge([earlier], tmp_path / "merged", since=earlier)
    data = json.loads((tmp_path / "merged" / "mistakes.json").read_text())
    assert data["since"]["totals"] == {"fixed": 0, "new": 0, "persisting": len(data["rows"])} and data["rows"]


def json_result(out: Path, student: str) -> SubmissionResult:
    return SubmissionResult.from_dict(json.loads((out / "results" / student / f"{GATES.name}.json").read_text()))


# --- the page in a browser ---------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.browser
def test_the_mistakes_page_reads_well_in_chromium(graded, tmp_path):
    from test_jupyterlab import CHROMIUM_ARGS, _missing

    problem = _missing()
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the summary browser test cannot run: {problem}", pytrace=False)
        pytest.skip(f"the summary browser test cannot run: {problem}")
    from playwright.sync_api import sync_playwright

    out, _ = graded
    shot = tmp_path / "summary-html.png"
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                                                headless=True, args=CHROMIUM_ARGS, viewport={"width": 1000, "height": 1000})
        page = context.new_page()
        page.goto((out / "summary.html").as_uri())
        loaded = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.complete && i.naturalWidth > 300)")
        overflow = page.evaluate("() => Array.from(document.querySelectorAll('td, p, h3, li'))"
                                 ".filter(n => n.getBoundingClientRect().right > document.documentElement.clientWidth + 1).map(n => n.textContent.slice(0, 80))")
        text = page.inner_text("body")
        page.screenshot(path=str(shot), full_page=True)
        context.close()
    assert loaded == [True, True], loaded  # summary.png, then the mistakes chart
    assert overflow == []
    assert "What the class got wrong" in text and STEP_MISTAKE in text and "Lowest scores" in text
    assert shot.stat().st_size > 10_000
    keep_artifacts("insight", shot)
