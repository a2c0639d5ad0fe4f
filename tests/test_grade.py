"""Grading a folder: notebook choice, resuming, the grade table and feedback files."""

import csv
import json

import nbformat

from autograder import course
from autograder.course import simulate
from autograder.grade import discover, grade_folder
from conftest import ROOT

GATES = course.get_assignment("01_gates")


def put(submitted, student, name, notebook):
    folder = submitted / student / GATES.name
    folder.mkdir(parents=True, exist_ok=True)
    if notebook is not None:
        nbformat.write(notebook, folder / name)


def test_notebook_choice_in_odd_folders(tmp_path):
    solution = simulate.fill(GATES, ROOT)
    put(tmp_path, "renamed", "gates (1).ipynb", solution)
    put(tmp_path, "extra", "gates.ipynb", solution)
    put(tmp_path, "extra", "scratch.ipynb", solution)
    put(tmp_path, "two", "a.ipynb", solution)
    put(tmp_path, "two", "b.ipynb", solution)
    put(tmp_path, "empty", "", None)
    found = {s.student: s for s in discover(tmp_path, [GATES])}
    assert found["renamed"].notebook.name == "gates (1).ipynb" and "Expected gates.ipynb" in found["renamed"].notes[0]
    assert found["extra"].notebook.name == "gates.ipynb" and "scratch.ipynb" in found["extra"].notes[0]
    assert found["two"].notebook is None and "rename" in found["two"].notes[0]
    assert found["empty"].notebook is None and "No notebook" in found["empty"].notes[0]


def test_grading_writes_csv_feedback_and_resumes_without_regrading(tmp_path):
    submitted, out = tmp_path / "submitted", tmp_path / "out"
    simulate.write(simulate.fill(GATES, ROOT), submitted, "ada", GATES)
    simulate.write(simulate.fill(GATES, ROOT, base="stub"), submitted, "cy", GATES)
    put(submitted, "nobody", "", None)
    first = grade_folder(submitted, out, ["01_gates"], seed=7, root=ROOT)
    full = sum(q.points for q in GATES if not q.manual)
    assert {r.student: r.score for r in first} == {"ada": full, "cy": 0, "nobody": 0}

    rows = {row["student"]: row for row in csv.DictReader((out / "grades.csv").open())}
    assert rows["ada"]["01_gates:total"] == f"{full:g}" and rows["cy"]["01_gates:step"] == "0"
    assert "No notebook was submitted" in (out / "feedback" / "nobody" / "01_gates.md").read_text()
    assert json.loads((out / "run.json").read_text())["seed"] == 7

    (out / "results" / "cy" / "01_gates.json").unlink()
    kept = (out / "results" / "ada" / "01_gates.json").stat().st_mtime_ns
    graded_again = []
    second = grade_folder(submitted, out, ["01_gates"], root=ROOT, on_result=lambda r: graded_again.append(r.student))
    assert (out / "results" / "ada" / "01_gates.json").stat().st_mtime_ns == kept
    assert (out / "results" / "cy" / "01_gates.json").is_file()
    assert [r.seed for r in second if r.student == "cy"] == [r.seed for r in first if r.student == "cy"]
    assert sorted(graded_again) == ["ada", "cy", "nobody"]


def test_killing_the_grader_mid_run_and_starting_again_loses_and_regrades_nothing(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    submitted, out = tmp_path / "submitted", tmp_path / "out"
    students = [f"s{i}" for i in range(6)]
    for student in students:
        simulate.write(simulate.fill(GATES, ROOT), submitted, student, GATES)
    command = [sys.executable, "-m", "autograder", "grade", str(submitted), "--out", str(out), "--jobs", "1", "--course", str(ROOT)]
    grader = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(list((out / "results").glob("*/01_gates.json"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(grader.pid, signal.SIGKILL)
    grader.wait()
    finished = {p: p.stat().st_mtime_ns for p in (out / "results").glob("*/01_gates.json")}
    assert 2 <= len(finished) < len(students)
    for path in finished:  # every file written before the kill is complete
        assert json.loads(path.read_text())["student"] == path.parent.name

    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, timeout=300)
    assert {p.stat().st_mtime_ns for p in finished} == set(finished.values())
    rows = {row["student"]: row for row in csv.DictReader((out / "grades.csv").open())}
    full = sum(q.points for q in GATES if not q.manual)
    assert set(rows) == set(students) and all(float(r["01_gates:total"]) == full for r in rows.values())
