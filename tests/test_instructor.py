"""The instructor's path: nothing deleted that the kit did not make, bad layouts refused loudly,
one set of columns and points, outputs that Gradescope, Canvas and Moodle take, readable feedback,
a quiet command line."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import stat
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import nbformat
import pytest
from conftest import ROOT
from typer.testing import CliRunner

from autograder.outputs import captions, platforms, writers
from autograder import course
from autograder.course import points, simulate
from autograder.course import notebook as nb
from autograder.cli import app
from autograder.grade import NothingToGrade, grade_folder
from autograder.outputs.output_folder import MARKER, NotOurs, claim, remove_ours
from autograder.results import QuestionResult, SubmissionResult

GATES = course.get_assignment("01_gates")
WRITTEN = next(q for q in GATES if q.manual)
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "gradescope-results.schema.json").read_text())
runner = CliRunner()


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative path -> sha256), to show nothing changed."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def course_copy(tmp_path) -> Path:
    """A course root as an instructor has it: nbgrader_config.py, solutions/, assignments/, a .git and a gradebook."""
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy2(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(ROOT / "solutions" / GATES.name, root / "solutions" / GATES.name)
    shutil.copytree(ROOT / "assignments" / GATES.name, root / "assignments" / GATES.name)
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (root / "gradebook.db").write_bytes(b"not touched")
    return root


def gates_result(student: str = "ada", written: float | None = None, **status: str) -> SubmissionResult:
    """A result for 01_gates: every automatic question passed unless named in ``status``
    (question -> status); the written answer awaits hand grading unless ``written`` gives its points."""
    questions = []
    for q in GATES:
        if q.manual:
            questions.append(QuestionResult(q.name, q.title, 0.0 if written is None else written, q.points,
                                            "manual" if written is None else ("passed" if written == q.points else "failed"),
                                            "" if written is None else f"graded by hand in formgrader: {written:g}/{q.points:g}"))
        elif q.name in status:
            reason = {"hidden": f"`{q.name}` gave the wrong value\n(in the hidden case 'tiny')",
                      "failed": f"`{q.name}` gave the wrong value (in the case 'zero') " + "x" * 400}.get(status[q.name], f"{q.name} raised ValueError")
            questions.append(QuestionResult(q.name, q.title, 0.0, q.points, "failed" if status[q.name] in ("hidden", "failed") else status[q.name], reason,
                                            cases_passed=2, cases_total=3))
        else:
            questions.append(QuestionResult(q.name, q.title, q.points, q.points, "passed", cases_passed=3, cases_total=3))
    return SubmissionResult(student, GATES.name, questions, seconds=4.2, seed=7)


# --- 1. no command deletes what it did not create ---------------------------------------------

def test_demo_out_dot_in_a_course_root_refuses_and_deletes_nothing(course_copy, monkeypatch):
    before = tree(course_copy)
    monkeypatch.chdir(course_copy)
    result = runner.invoke(app, ["demo", "--out", "."], env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert "refusing" in result.output and "did not make" in result.output and "'.git'" in result.output
    assert tree(course_copy) == before


@pytest.mark.parametrize("command", [["grade", "SUBMITTED", "--out", "."], ["merge", "SUBMITTED", "--out", "."],
                                     ["gradescope-bundle", "01_gates", "--out", "."]])
def test_every_command_with_an_output_folder_refuses_a_folder_it_did_not_make(course_copy, tmp_path, monkeypatch, command):
    submitted = tmp_path / "submitted"
    simulate.write(simulate.fill(GATES, ROOT), submitted, "ada", GATES)
    before = tree(course_copy)
    monkeypatch.chdir(course_copy)
    result = runner.invoke(app, [str(submitted) if a == "SUBMITTED" else a for a in command], env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert "refusing" in result.output and "Nothing was changed" in result.output
    assert tree(course_copy) == before


def test_a_folder_the_kit_made_is_reused_and_only_its_own_entries_are_removed(tmp_path):
    out = claim(tmp_path / "out", "demo")
    assert (out / MARKER).is_file()
    (out / "grading").mkdir()
    (out / "grading" / "grades.csv").write_text("old")
    (out / "notes.txt").write_text("mine")  # the instructor's own file, added later
    claim(out, "demo")  # the marker makes it ours again
    remove_ours(out, ["grading"])
    assert not (out / "grading").exists() and (out / "notes.txt").read_text() == "mine"
    with pytest.raises(ValueError):
        remove_ours(out, ["notes.txt"])
    legacy = tmp_path / "legacy"  # an output folder of an earlier version: only names the kit writes
    (legacy / "results").mkdir(parents=True)
    (legacy / "grades.csv").write_text("")
    assert claim(legacy, "grading output") == legacy
    (tmp_path / "file").write_text("")
    with pytest.raises(NotOurs):
        claim(tmp_path / "file", "grading output")


# --- 2. bad input, loudly ------------------------------------------------------------------------

def _layouts(tmp_path):
    solution = nbformat.writes(simulate.fill(GATES, ROOT))
    empty = tmp_path / "empty"
    empty.mkdir()
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "ada.ipynb").write_text(solution)
    (flat / "ben.ipynb").write_text(solution)
    no_level = tmp_path / "no-level"
    (no_level / "ada").mkdir(parents=True)
    (no_level / "ada" / "gates.ipynb").write_text(solution)
    return {"empty": (empty, "the folder is empty"), "flat": (flat, "2 notebook(s) directly in it (ada.ipynb, ben.ipynb)"),
            "no assignment level": (no_level, "without the assignment folder (ada/gates.ipynb)")}


def test_a_folder_with_nothing_gradable_exits_non_zero_saying_what_was_expected_and_found(tmp_path):
    for name, (folder, found) in _layouts(tmp_path).items():
        result = runner.invoke(app, ["grade", str(folder), "--out", str(tmp_path / f"out-{name}"), "--course", str(ROOT)], env={"COLUMNS": "400"})
        assert result.exit_code == 2, (name, result.output)
        said = " ".join(result.output.split())
        assert "nothing to grade" in said and "<student>/<assignment>/<notebook>.ipynb" in said, (name, said)
        assert found in said, (name, said)
        assert not (tmp_path / f"out-{name}" / "grades.csv").exists(), name
        with pytest.raises(NothingToGrade):
            grade_folder(folder, tmp_path / f"api-{name}", root=ROOT)


def test_names_that_are_not_utf8_are_written_to_every_report_without_a_crash(tmp_path):
    odd = os.fsdecode(b"b\xffd")  # a folder name with an undecodable byte, as os.listdir returns it
    results = [gates_result(odd, xor_network="error"), gates_result("ada")]
    writers.write_reports(results, tmp_path)
    rows = list(csv.DictReader((tmp_path / "grades.csv").open(encoding="utf-8")))
    assert [r["student"] for r in rows] == ["ada", "b\\xffd"]
    assert (tmp_path / "feedback" / odd / "01_gates.html").is_file()
    assert "b\\xffd" in (tmp_path / "feedback" / odd / "01_gates.md").read_text(encoding="utf-8")
    ElementTree.parse(tmp_path / "junit.xml")
    writers.grade_table(results)  # the terminal table too


# --- 3. one source of truth for points and columns ----------------------------------------------

def test_grades_csv_has_the_same_columns_and_max_whoever_was_graded_by_hand(tmp_path):
    writers.write_grades_csv([gates_result("ada"), gates_result("ben", xor_network="failed")], tmp_path / "before")
    writers.write_grades_csv([gates_result("ada", written=2.0), gates_result("ben", xor_network="failed")], tmp_path / "after")
    before = list(csv.DictReader((tmp_path / "before" / "grades.csv").open()))
    after = list(csv.DictReader((tmp_path / "after" / "grades.csv").open()))
    assert list(before[0]) == list(after[0]) and f"01_gates:{WRITTEN.name}" in before[0]
    assert {r["01_gates:max"] for r in before + after} == {f"{sum(q.points for q in GATES):g}"}
    ada_before, ada_after = before[0], after[0]
    assert ada_before[f"01_gates:{WRITTEN.name}"] == "" and ada_before["01_gates:awaiting_hand_grading"] == f"{WRITTEN.points:g}"
    assert ada_after[f"01_gates:{WRITTEN.name}"] == "2" and ada_after["01_gates:awaiting_hand_grading"] == "0"
    assert float(ada_after["01_gates:total"]) == float(ada_before["01_gates:total"]) + 2


def _change_points(path: Path, grade_id: str, new_points: float) -> None:
    notebook = nbformat.read(path, as_version=4)
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    cell.metadata["nbgrader"]["points"] = new_points
    nbformat.write(notebook, path)


def test_points_that_disagree_with_the_notebook_are_refused_at_grading(course_copy, tmp_path):
    release = course.release_path(GATES, course_copy)
    assert points.disagreements(GATES, nb.read(release)) == []
    _change_points(release, "test_gate_weights", 3)
    submitted = tmp_path / "submitted"
    simulate.write(simulate.fill(GATES, ROOT), submitted, "ada", GATES)
    result = runner.invoke(app, ["grade", str(submitted), "--out", str(tmp_path / "out"), "--course", str(course_copy)], env={"COLUMNS": "400"})
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "gate_weights: declared 2 points, the notebook's grade cells give 3" in said
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_the_build_writes_the_declared_points_over_the_solution_notebook_s(course_copy, tmp_path):
    from autograder.course.build import build

    solution = course.solution_path(GATES, course_copy)
    _change_points(solution, "test_xor_network", GATES["xor_network"].points + 1)
    build(course_copy, [GATES.name], db_dir=tmp_path)
    assert points.disagreements(GATES, nb.read(solution)) == [] and points.disagreements(GATES, nb.read(course.release_path(GATES, course_copy))) == []
    assert solution.read_bytes() == course.solution_path(GATES, ROOT).read_bytes()


def test_a_solution_notebook_checking_an_undeclared_question_is_refused_at_build(course_copy):
    from autograder.course.build import build

    solution = course.solution_path(GATES, course_copy)
    notebook = nbformat.read(solution, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell('check("xor_netwrk")'))
    nbformat.write(notebook, solution)
    before = tree(course_copy / "assignments"), solution.read_bytes()
    with pytest.raises(points.PointsMismatch, match="checks 'xor_netwrk', which 01_gates does not declare"):
        build(course_copy, [GATES.name])
    assert (tree(course_copy / "assignments"), solution.read_bytes()) == before


# --- 4. platform-ready outputs -------------------------------------------------------------------

def test_the_schema_is_not_vacuous():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    for bad in ({"tests": [{"max_score": 1, "visibility": "soon"}]}, {"score": "ten"}, {"tests": [{"score": 1}], "visibilty": "visible"},
                {"tests": [{"score": 1, "status": "ok"}]}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, SCHEMA)


def test_gradescope_results_follow_the_documented_fields_and_hide_hidden_case_messages():
    result = gates_result("ada", step="hidden", neuron="failed", gate_weights="error")
    data = platforms.gradescope_result(result)
    jsonschema.validate(data, SCHEMA)
    tests = {t["name"].split(":")[0]: t for t in data["tests"]}
    assert set(tests) == {q.name for q in GATES}, "every question is a test, the written answer included"
    assert tests["step"]["visibility"] == "after_published" and tests["neuron"]["visibility"] == "visible"
    assert tests[WRITTEN.name]["max_score"] == WRITTEN.points and "score" not in tests[WRITTEN.name]
    assert "Awaiting hand grading" in tests[WRITTEN.name]["output"]
    assert data["execution_time"] == 4.2 and data["visibility"] == "visible"
    assert data["score"] == sum(t.get("score", 0) for t in data["tests"])
    assert platforms.gradescope_result(result, "hidden")["tests"][0]["visibility"] == "hidden"
    with pytest.raises(ValueError):
        platforms.gradescope_result(result, "later")


def test_canvas_and_moodle_csvs_are_written_next_to_grades_csv(tmp_path):
    writers.write_reports([gates_result("ada"), gates_result("ben", xor_network="failed")], tmp_path)
    canvas = list(csv.reader((tmp_path / "canvas.csv").open()))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", GATES.name]
    assert canvas[1][0] == "Points Possible" and float(canvas[1][5]) == sum(q.points for q in GATES)
    assert [(row[0], row[3]) for row in canvas[2:]] == [("ada", "ada"), ("ben", "ben")]
    automatic = sum(q.points for q in GATES if not q.manual)
    assert float(canvas[2][5]) == automatic and float(canvas[3][5]) == automatic - 2
    moodle = list(csv.DictReader((tmp_path / "moodle.csv").open()))
    assert [(r["Username"], float(r[GATES.name])) for r in moodle] == [("ada", automatic), ("ben", automatic - 2)]


def test_junit_reports_errors_as_errors_with_a_time_per_test(tmp_path):
    writers.write_junit([gates_result("ada", step="error", neuron="timeout", xor_network="failed")], tmp_path)
    suite = ElementTree.parse(tmp_path / "junit.xml").getroot()[0]
    cases = {c.get("name"): c for c in suite}
    assert cases["step"].find("error") is not None and cases["neuron"].find("error") is not None
    assert cases["xor_network"].find("failure") is not None and cases["xor_network"].find("error") is None
    assert cases[WRITTEN.name].find("skipped").get("message") == "awaiting hand grading"
    assert (suite.get("errors"), suite.get("failures")) == ("2", "1")
    assert all(float(c.get("time")) > 0 for c in suite if c.get("name") != WRITTEN.name)


@pytest.mark.slow
def test_the_gradescope_bundle_grades_a_submission_in_gradescope_s_layout(course_copy, tmp_path):
    archive = platforms.make_gradescope_bundle(GATES.name, course_copy, tmp_path / "bundle")
    import zipfile

    with zipfile.ZipFile(archive) as bundle:
        names = set(bundle.namelist())
        assert {"setup.sh", "run_autograder", "kit/pyproject.toml", "kit/autograder/grade.py",
                f"course/solutions/{GATES.name}/{GATES.notebook}", f"course/assignments/{GATES.name}/{GATES.notebook}"} <= names
        assert (bundle.getinfo("run_autograder").external_attr >> 16) & 0o111
        home = tmp_path / "autograder"  # Gradescope's /autograder: source/ is the unzipped bundle
        bundle.extractall(home / "source")
    (home / "submission").mkdir()
    nbformat.write(simulate.fill(GATES, ROOT, base="solution", replace={"xor_network": "def xor_network():\n    raise ValueError('no')\n"}),
                   home / "submission" / "my gates.ipynb")
    run = home / "source" / "run_autograder"
    run.chmod(run.stat().st_mode | stat.S_IXUSR)
    import subprocess
    import sys

    env = {**os.environ, "AUTOGRADER_HOME": str(home), "AUTOGRADER_PYTHON": sys.executable}
    env.pop(course.COURSE_ROOT_ENV, None)
    done = subprocess.run([str(run)], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads((home / "results" / "results.json").read_text())
    jsonschema.validate(data, SCHEMA)
    tests = {t["name"].split(":")[0]: t for t in data["tests"]}
    assert tests["xor_network"]["status"] == "failed" and "no" in tests["xor_network"]["output"]
    assert data["score"] == sum(q.points for q in GATES if not q.manual) - 2
    assert "Keep the original file name" in data["output"]


# --- 5. feedback that reads well -----------------------------------------------------------------

def test_feedback_wraps_long_messages_says_awaiting_hand_grading_and_is_readable_by_the_student(tmp_path):
    writers.write_reports([gates_result("ada", neuron="failed")], tmp_path)
    page = (tmp_path / "feedback" / "ada" / "01_gates.html").read_text()
    assert "white-space:pre-wrap" in page and "overflow-wrap:anywhere" in page
    assert f"{WRITTEN.name} — awaiting hand grading (2 points)" in page and f"0/{WRITTEN.points:g}" not in page
    markdown = (tmp_path / "feedback" / "ada" / "01_gates.md").read_text()
    assert "awaiting hand grading" in markdown and f"0/{WRITTEN.points:g}" not in markdown
    for path in [tmp_path / "grades.csv", tmp_path / "summary.png", tmp_path / "feedback" / "ada" / "01_gates.html", *(tmp_path / "results").rglob("*.json"),
                 *(tmp_path / "gradescope").rglob("*.json")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_figure_captions_come_from_the_notebook_s_headings():
    release = nb.read(course.release_path(GATES, ROOT))
    headings = captions.heading_captions(release)
    labels = [c.label for c in nb.figure_cells(release)]
    records = [{"cell": label, "file": f"01_gates/figure-{i}.png"} for i, label in enumerate(labels, 1)]
    records.append({"cell": labels[-1], "file": "01_gates/figure-9.png"})
    captions.add_captions(records, headings)
    markdown_text = "\n".join(c.source for c in release.cells if c.cell_type == "markdown")
    for record in records:
        heading = record["caption"].split(" (figure ")[0]
        assert heading in markdown_text and record["cell"] not in record["caption"], record
    assert records[-1]["caption"].endswith("(figure 2 of 2)")
    page = writers.feedback_html(SubmissionResult("ada", GATES.name, figures=records))
    assert "cell " not in page.split("<h2>Questions</h2>")[0]


def test_summary_counts_students_in_integers_and_keeps_titles_inside_the_figure():
    results = [gates_result(s, **({"step": "failed"} if i % 2 else {})) for i, s in enumerate(["ada", "ben", "cy"])]
    figure = writers.summary_figure(results)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    box = figure.bbox
    for axes in figure.axes:
        title = axes.title.get_window_extent(renderer)
        assert box.x0 <= title.x0 and title.x1 <= box.x1 and title.y1 <= box.y1, axes.get_title()
    counts = figure.axes[0]
    assert all(float(t).is_integer() for t in counts.get_yticks())


# --- 6. a quiet, helpful command line ------------------------------------------------------------

def _help(args):
    return runner.invoke(app, [*args, "--help"], env={"COLUMNS": "200"}).output


def test_help_shows_no_type_tags_and_every_option_has_help():
    import typer.main

    group = typer.main.get_command(app)
    for name in group.commands:
        text = _help([name])
        for tag in ("<path>", "<int>", "<str>", "<bool>", "<list"):
            assert tag not in text, (name, tag)
        for param in group.commands[name].params:
            assert param.help, (name, param.name)
    assert "--course" in _help(["grade"]) and "The course directory" in _help(["build"])


def test_commands_outside_a_course_say_so_and_build_never_writes_into_the_kit_s_clone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(course.COURSE_ROOT_ENV, raising=False)
    before = tree(ROOT / "assignments")
    for args in (["build"], ["demo"], ["grade", str(tmp_path)], ["gradescope-bundle", "01_gates"]):
        result = runner.invoke(app, args, env={"COLUMNS": "300"})
        assert result.exit_code == 2 and "No course directory found" in result.output and "--course" in result.output, (args, result.output)
    assert tree(ROOT / "assignments") == before
    assert list(tmp_path.iterdir()) == []


def test_the_progress_total_is_known_before_grading(tmp_path):
    submitted = tmp_path / "submitted"
    for student in ("ada", "ben"):
        simulate.write(simulate.fill(GATES, ROOT, base="stub"), submitted, student, GATES)
    events = []
    grade_folder(submitted, tmp_path / "out", [GATES.name], seed=1, root=ROOT, on_plan=lambda n: events.append(("plan", n)),
                 on_result=lambda r: events.append(("done", r.student)))
    assert events[0] == ("plan", 2) and len(events) == 3


# --- a failed build ----------------------------------------------------------------------------

@pytest.mark.nbgrader
def test_a_build_nbgrader_refuses_keeps_assignments_and_prints_nbgrader_s_reason(course_copy, recwarn):
    """With a submission in the gradebook, nbgrader cannot add or remove cells of the notebook:
    the build says so in nbgrader's words, and the released notebook stays as it was."""
    from nbgrader.api import Gradebook

    (course_copy / "gradebook.db").unlink()
    result = runner.invoke(app, ["build", GATES.name, "--course", str(course_copy)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    with Gradebook(f"sqlite:///{course_copy / 'gradebook.db'}") as gb:
        gb.add_student("ada")
        gb.add_submission(GATES.name, "ada")
    solution = course.solution_path(GATES, course_copy)
    notebook = nbformat.read(solution, as_version=4)
    extra = nbformat.v4.new_code_cell("### BEGIN SOLUTION\nextra = 1\n### END SOLUTION")
    extra.metadata["nbgrader"] = {"grade": False, "grade_id": "extra_answer", "locked": False, "schema_version": 3, "solution": True, "task": False}
    notebook.cells.insert(5, extra)
    nbformat.write(notebook, solution)
    before = tree(course_copy / "assignments")
    recwarn.clear()
    result = runner.invoke(app, ["build", GATES.name, "--course", str(course_copy)], env={"COLUMNS": "300"})
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "Cannot add or remove cells for notebook 'gates' because there are submissions associated with it" in said
    assert "Please see the the above traceback" not in said and "left as it was" in said
    assert tree(course_copy / "assignments") == before
    assert not [p for p in course_copy.iterdir() if p.name.startswith(".autograder-build-")], "the staging folder is removed"
    from sqlalchemy.exc import SAWarning

    assert not [w for w in recwarn if issubclass(w.category, SAWarning)]


@pytest.mark.slow
def test_a_plot_cell_that_raised_leaves_no_empty_axes_in_the_feedback():
    """plot-gates creates its axes, then calls the student's neuron: when neuron raises, the
    half-made figure (empty axes) is left out and the note says why; the other plot is drawn."""
    from autograder.outputs import figures

    raising = "def neuron(X, w, b, activation=None):\n    raise ValueError('shapes?')\n"
    submission = simulate.fill(GATES, ROOT, replace={"neuron": raising})
    release = nb.read(course.release_path(GATES, ROOT))
    drawn, notes = figures.draw(submission, release)
    assert "plot-gates" not in [f.cell for f in drawn] and "plot-xor" in [f.cell for f in drawn]
    assert any("plot-gates" in n and "ValueError" in n and "left out" in n for n in notes), notes


@pytest.mark.nbgrader
def test_gradebook_runs_print_no_sqlalchemy_warnings(course_copy, monkeypatch):
    """Storing scores for a student nbgrader never saw makes nbgrader's session code warn
    ("Object of type <SubmittedAssignment> not in session"); the kit silences that noise."""
    import contextlib
    import warnings

    from sqlalchemy.exc import SAWarning

    from autograder.course import gradebook
    from autograder.course.build import build

    (course_copy / "gradebook.db").unlink()
    build(course_copy, [GATES.name])
    db = f"sqlite:///{course_copy / 'gradebook.db'}"

    def store(student):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert gradebook.write_scores([gates_result(student)], db) == []
            gradebook.include_manual([gates_result(student)], db)
        return [w for w in caught if issubclass(w.category, SAWarning)]

    assert store("ada") == []
    monkeypatch.setattr(gradebook, "quiet_sqlalchemy", contextlib.nullcontext)
    assert store("ben"), "without the filter nbgrader's session warnings reach the console (the filter is not vacuous)"
