"""Does the README's first command -- the demo -- work, and grade each simulated student as it should?"""

import csv
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT

from autograder import course


@pytest.mark.slow
def test_demo_command_builds_grades_and_reports_the_class(tmp_path):
    exe = shutil.which("autograder") or str(Path(os.sys.executable).parent / "autograder")
    out = tmp_path / "demo"
    done = subprocess.run([exe, "demo", "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "COLUMNS": "160"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Grades" in done.stdout
    rows = {row["student"]: row for row in csv.DictReader((out / "grading" / "grades.csv").open())}
    assert set(rows) == {"ada", "ben", "cy", "dee", "eve", "fay"}
    for assignment in course.assignments().values():
        full = sum(q.points for q in assignment if not q.manual)
        total = {s: float(rows[s][f"{assignment.name}:total"]) for s in rows}
        assert total["ada"] == full, assignment.name
        assert total["cy"] == total["fay"] == 0
        assert 0 < total["dee"] < full and total["eve"] < full
        if assignment.sample_mistakes:
            assert total["ben"] < full
        feedback = (out / "grading" / "feedback" / "fay" / f"{assignment.name}.md").read_text()
        assert "not a readable notebook" in feedback
        page = (out / "grading" / "feedback" / "ada" / f"{assignment.name}.html").read_text()
        assert "<h2>Your figures</h2>" in page and "data:image/png;base64,iVBORw0KGgo" in page, assignment.name
    assert (out / "course" / "assignments").is_dir()
