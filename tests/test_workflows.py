"""The GitHub Actions templates: valid workflows, and their commands do what the README says.

templates/github-actions/grade-class.yml    instructors: grade a folder of submissions in shards, merge
templates/github-actions/student-check.yml  students: the local check on every push, the score in the summary

Every `run:` step is executed here as GitHub would run it (bash -eo pipefail, the step's `env:`
with the `${{ }}` expressions given values), except the installs (the kit is installed already)
and `sudo`. Uses 01_gates only.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml
from conftest import ROOT

from autograder import course
from autograder.course import simulate
from autograder.grade import in_shard

TEMPLATES = ROOT / "templates" / "github-actions"
GRADE_CLASS = TEMPLATES / "grade-class.yml"
STUDENT_CHECK = TEMPLATES / "student-check.yml"
GATES = course.get_assignment("01_gates")
AUTOMATIC = sum(q.points for q in GATES if not q.manual)
BIN = Path(sys.executable).parent

# Chosen so that both of two shards get students (asserted below).
CLASS = {"ada": "solution", "ben": "mistakes", "cy": "stub", "dan": "solution"}
EXPECTED = {"ada": AUTOMATIC, "ben": 3, "cy": 0, "dan": AUTOMATIC}


def load(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text())
    if True in workflow:  # YAML 1.1 reads the key `on` as a boolean
        workflow["on"] = workflow.pop(True)
    return workflow


def step(job: dict, name: str) -> dict:
    found = [s for s in job["steps"] if name.lower() in s.get("name", "").lower()]
    assert len(found) == 1, f"no single step named like {name!r} in {[s.get('name') for s in job['steps']]}"
    return found[0]


def runnable(job: dict) -> list[dict]:
    """The job's `run:` steps this machine executes: all but installs and sudo."""
    return [s for s in job["steps"] if "run" in s and "pip install" not in s["run"] and "sudo " not in s["run"]]


def execute(run_step: dict, cwd: Path, values: dict[str, str], extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run one step's script as GitHub does, its env's `${{ expression }}`s replaced by ``values``."""
    env = {k: v for k, v in os.environ.items() if k != course.COURSE_ROOT_ENV}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "200"
    for key, value in (run_step.get("env") or {}).items():
        expressions = re.findall(r"\$\{\{\s*(.*?)\s*\}\}", str(value))
        env[key] = values[expressions[0]] if expressions else str(value)
    env.update(extra_env or {})
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", run_step["run"]], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


@pytest.mark.parametrize("path", [GRADE_CLASS, STUDENT_CHECK], ids=lambda p: p.name)
def test_templates_are_valid_github_workflows(path):
    check_jsonschema = shutil.which("check-jsonschema", path=str(BIN)) or shutil.which("check-jsonschema")
    workflow = load(path)
    assert workflow["name"] and workflow["on"] and workflow["jobs"]
    for job in workflow["jobs"].values():
        assert job["runs-on"] == "ubuntu-latest" and job["steps"]
        for s in job["steps"]:
            assert ("uses" in s) != ("run" in s), s
            if "uses" in s:
                assert re.fullmatch(r"actions/[a-z-]+@v\d+", s["uses"]), s["uses"]
    if check_jsonschema is None:
        pytest.skip("check-jsonschema is not installed: the templates were parsed and checked, not validated against "
                    "the GitHub workflow schema (pip install check-jsonschema)")
    done = subprocess.run([check_jsonschema, "--builtin-schema", "vendor.github-workflows", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_grading_workflow_shards_with_one_seed_and_uploads_grades_and_feedback():
    workflow = load(GRADE_CLASS)
    assert set(workflow["on"]) == {"workflow_dispatch"} and {"submitted", "shards"} <= set(workflow["on"]["workflow_dispatch"]["inputs"])
    assert workflow["permissions"] == {"contents": "read"}
    plan, grade, merge = (workflow["jobs"][name] for name in ("plan", "grade", "merge"))
    assert grade["needs"] == "plan" and merge["needs"] == "grade"
    assert grade["strategy"]["matrix"]["shard"] == "${{ fromJSON(needs.plan.outputs.shards) }}"
    assert grade["strategy"]["fail-fast"] is False
    run = step(grade, "grade this shard")
    assert 'autograder grade "$SUBMITTED" --out "grading-shard-$I" --shard "$I/$N" --seed "$SEED"' in run["run"]
    assert run["env"]["SEED"] == "${{ needs.plan.outputs.seed }}" and run["env"]["I"] == "${{ matrix.shard }}"
    upload = next(s for s in grade["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["name"] == upload["with"]["path"] == "grading-shard-${{ matrix.shard }}"
    download = next(s for s in merge["steps"] if s.get("uses", "").startswith("actions/download-artifact"))
    assert download["with"] == {"pattern": "grading-shard-*"}  # each artifact into ./<its name>/
    assert step(merge, "merge")["run"] == "autograder merge grading-shard-* --out grading"
    uploaded = {s["with"]["name"]: s["with"]["path"] for s in merge["steps"] if s.get("uses", "").startswith("actions/upload-artifact")}
    assert {"grading/grades.csv", "grading/junit.xml"} <= set(uploaded["grades"].split()) and uploaded["feedback"] == "grading/feedback/"


def test_the_student_workflow_runs_only_the_local_check_and_needs_no_secret():
    workflow = load(STUDENT_CHECK)
    assert {"push", "pull_request"} <= set(workflow["on"]) and workflow["permissions"] == {"contents": "read"}
    text = STUDENT_CHECK.read_text()
    commands = "\n".join(s["run"] for job in workflow["jobs"].values() for s in job["steps"] if "run" in s)
    assert "secrets." not in text and "solutions" not in commands and "hidden" not in commands.lower()
    assert "autograder check" in commands and "autograder grade" not in commands and course.COURSE_ROOT_ENV not in text
    install = step(workflow["jobs"]["check"], "install")  # run against a built wheel in tests/test_student_path.py
    assert 'python -m pip install "$KIT"' in install["run"] and "nn_first_principles_kit-*.whl" in install["run"]
    assert install["env"]["KIT"] == "${{ vars.AUTOGRADER_KIT }}"


def course_copy(tmp_path: Path) -> Path:
    """The instructor's repository as the workflow checks it out: config, solutions and release of 01_gates."""
    repo = tmp_path / "course"
    repo.mkdir()
    shutil.copy2(ROOT / "nbgrader_config.py", repo)
    for step_dir in ("solutions", "assignments"):
        shutil.copytree(ROOT / step_dir / GATES.name, repo / step_dir / GATES.name)
    return repo


@pytest.mark.slow
def test_the_grading_workflow_commands_grade_shards_and_merge_them(tmp_path):
    repo = course_copy(tmp_path)
    for student, kind in CLASS.items():
        notebook = {"solution": lambda: simulate.fill(GATES, ROOT), "stub": lambda: simulate.fill(GATES, ROOT, base="stub"),
                    "mistakes": lambda: simulate.fill(GATES, ROOT, replace=dict(GATES.sample_mistakes))}[kind]()
        simulate.write(notebook, repo / "submitted", student, GATES)
    assert {in_shard(s, (1, 2)) for s in CLASS} == {True, False}, "the class should fill both shards"

    workflow = load(GRADE_CLASS)
    inputs = {"inputs.shards": "2", "inputs.submitted": "submitted", "inputs.assignment": GATES.name}
    (plan_step,) = runnable(workflow["jobs"]["plan"])
    done = execute(plan_step, repo, inputs, {"GITHUB_OUTPUT": str(tmp_path / "plan-output")})
    assert done.returncode == 0, done.stderr
    planned = outputs(tmp_path / "plan-output")
    assert planned["shards"] == "[1, 2]" and planned["seed"].isdigit()

    for shard in (1, 2):  # the matrix; each job's upload is a folder named like its output
        values = {**inputs, "matrix.shard": str(shard), "needs.plan.outputs.seed": planned["seed"]}
        for run_step in runnable(workflow["jobs"]["grade"]):
            done = execute(run_step, repo, values)
            assert done.returncode == 0, done.stdout + done.stderr
        graded = {p.name for p in (repo / f"grading-shard-{shard}" / "results").iterdir()}
        assert graded == {s for s in CLASS if in_shard(s, (shard, 2))}

    summary = tmp_path / "step-summary.md"
    for run_step in runnable(workflow["jobs"]["merge"]):
        done = execute(run_step, repo, inputs, {"GITHUB_STEP_SUMMARY": str(summary)})
        assert done.returncode == 0, done.stdout + done.stderr
    grading = repo / "grading"
    rows = {row["student"]: row for row in csv.DictReader((grading / "grades.csv").open())}
    assert {s: float(r[f"{GATES.name}:total"]) for s, r in rows.items()} == EXPECTED
    suites = {s.get("name"): s for s in ElementTree.parse(grading / "junit.xml").getroot()}
    assert set(suites) == {f"{s}/{GATES.name}" for s in CLASS} and suites[f"cy/{GATES.name}"].get("failures") == "5"
    for student in CLASS:
        assert (grading / "feedback" / student / f"{GATES.name}.md").is_file()
    assert "Class summary" in summary.read_text()
    merge = workflow["jobs"]["merge"]
    for upload in (s for s in merge["steps"] if s.get("uses", "").startswith("actions/upload-artifact")):
        for path in upload["with"]["path"].split():
            assert (repo / path).exists(), f"the workflow uploads {path}, which the commands did not write"


@pytest.mark.slow
def test_the_student_workflow_reports_the_visible_score_and_fails_until_complete(tmp_path):
    workflow = load(STUDENT_CHECK)
    (check_step,) = runnable(workflow["jobs"]["check"])
    student_repo = tmp_path / "student-repo"
    (student_repo / ".git").mkdir(parents=True)
    notebook = student_repo / GATES.name / GATES.notebook
    notebook.parent.mkdir()
    from autograder.submission import evaluate

    for answers, code in ((dict(GATES.sample_mistakes), 1), ({}, 0)):
        made = simulate.write(simulate.fill(GATES, ROOT, replace=answers), tmp_path / "made", "me", GATES)
        score = f"score {evaluate(made, GATES).score:g}/{AUTOMATIC:g}"  # what the student's own check computes
        assert (score == f"score {AUTOMATIC:g}/{AUTOMATIC:g}") == (code == 0)
        shutil.copy2(made, notebook)
        summary = tmp_path / f"summary-{code}.md"
        done = execute(check_step, student_repo, {}, {"GITHUB_STEP_SUMMARY": str(summary)})
        assert done.returncode == code, done.stdout + done.stderr
        assert f"| ./{GATES.name}/{GATES.notebook} | {score} |" in summary.read_text(), summary.read_text()
        assert "hidden=True" not in done.stdout
