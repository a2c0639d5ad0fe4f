"""nbgrader's whole life cycle on a temporary course, with the real nbgrader commands and a real kernel.

generate_assignment -> release_assignment (a local exchange) -> fetch_assignment and submit as
several students -> collect (and zip_collect for LMS downloads) -> autograde -> generate_feedback
-> export; then the same collected submissions graded by the kit, the kit's scores written into
the gradebook, and nbgrader export reading them back.

Uses 01_gates only. The students:

    ada  correct, with the written answer (graded by hand "in formgrader" below)
    ben  partly wrong: a step right on every visible case but wrong on a hidden one,
         a neuron cell that raises, an XOR network wrong on one row
    cy   empty: the untouched notebook
    fin  correct, but deleted a test cell; its step cell prints the kernel's working directory
    gus  correct, but renamed the notebook to "gates (1).ipynb"
    hal  correct, but duplicated an answer cell
    ivy  broken: the file is not notebook JSON
    kim, lee  downloaded from an LMS (Canvas file names) and brought in with zip_collect
"""

from __future__ import annotations

import copy
import csv
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from autograder import course
from autograder.course import gradebook, simulate
from autograder.course import notebook as nb
from autograder.grade import grade_folder

pytestmark = [pytest.mark.slow, pytest.mark.nbgrader]

GATES = course.get_assignment("01_gates")
COURSE_ID = "nn-first-principles"
BIN = Path(sys.executable).parent
AUTOMATIC = sum(q.points for q in GATES if not q.manual)  # 7
WRITTEN = next(q for q in GATES if q.manual)  # xor_written, 2 points by hand

# Right on every visible case, wrong on the hidden case holding the smallest positive float.
STEP_TINY = "def step(z):\n    return (np.asarray(z) > 1e-300).astype(float)\n"
RAISING_NEURON = "def neuron(X, w, b, activation=step):\n    raise ValueError('not sure about the shapes')\n"
XOR_ONE_ROW_WRONG = (
    "def xor_network():\n"
    "    W1 = np.array([[1.0, -1.0], [1.0, -1.0]])\n"
    "    b1 = np.array([-0.5, 2.5])\n"
    "    return W1, b1, np.array([1.0, 1.0]), -1.5\n"
)
WRITTEN_ANSWER = "The four rows need b <= 0, w2 + b > 0, w1 + b > 0 and w1 + w2 + b <= 0; adding the middle two contradicts the last."

# The same nbgrader sub-commands the `nbgrader` script runs, several in one process: each
# `nbgrader` start-up costs seconds of imports, and the students' steps are many small ones.
DRIVER = r"""
import json, os, sys
from traitlets.utils.importstring import import_item
from nbgrader.apps.nbgraderapp import NbGraderApp
codes = []
for cwd, argv in json.loads(sys.argv[1]):
    os.chdir(cwd)
    spec = NbGraderApp.subcommands[argv[0]][0]
    app = (import_item(spec) if isinstance(spec, str) else spec)()
    try:
        app.initialize(argv[1:])
        app.start()
        codes.append(0)
    except SystemExit as stop:
        codes.append(stop.code or 0)
print(json.dumps(codes))
"""


class Course:
    """A temporary nbgrader course, its exchange and the students' home folders."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.root = tmp / "course"
        self.exchange = tmp / "exchange"
        self.exchange.mkdir(parents=True)
        self.root.mkdir()
        (self.root / "nbgrader_config.py").write_bytes((ROOT / "nbgrader_config.py").read_bytes())
        simulate_source = ROOT / "solutions" / GATES.name
        (self.root / "solutions" / GATES.name).mkdir(parents=True)
        (self.root / "solutions" / GATES.name / GATES.notebook).write_bytes((simulate_source / GATES.notebook).read_bytes())
        self.env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",  # nbgrader runs `alembic`
                    "JUPYTER_CONFIG_DIR": str(tmp / "jupyter" / "config"), "JUPYTER_DATA_DIR": str(tmp / "jupyter" / "data"),
                    "JUPYTER_RUNTIME_DIR": str(tmp / "jupyter" / "runtime"), "PYTHONUNBUFFERED": "1"}
        self.env.pop(course.COURSE_ROOT_ENV, None)  # the kernel must find solutions/ from its working directory
        self.exchange_args = [f"--Exchange.root={self.exchange}"]

    @property
    def db(self) -> str:
        return f"sqlite:///{self.root / 'gradebook.db'}"

    def nbgrader(self, *args: str, cwd: Path | None = None, expect: int | None = 0) -> subprocess.CompletedProcess:
        """Run the `nbgrader` command; check its exit code unless ``expect`` is None."""
        done = subprocess.run([str(BIN / "nbgrader"), *args, *self.exchange_args], cwd=cwd or self.root, env=self.env,
                              capture_output=True, text=True, timeout=600)
        if expect is not None:
            assert done.returncode == expect, f"nbgrader {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        return done

    def as_students(self, steps: list[tuple[Path, list[str]]]) -> list[int]:
        """Run nbgrader sub-commands (fetch_assignment, submit) in the students' folders; their exit codes."""
        commands = [(str(cwd), [*argv, *self.exchange_args]) for cwd, argv in steps]
        done = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(commands)], env=self.env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    def export(self, name: str) -> dict[str, dict[str, str]]:
        self.nbgrader("export", f"--to={self.tmp / name}")
        return {row["student_id"]: row for row in csv.DictReader((self.tmp / name).open())}


def cell_index(notebook, grade_id: str) -> int:
    return next(i for i, c in enumerate(notebook.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def student_notebooks() -> dict[str, tuple[str, object]]:
    """student -> (file name, notebook or raw text) as each student leaves it before submitting."""
    solution = {c.label: c.source for c in nb.solution_cells(nb.read(course.solution_path(GATES, ROOT)))}
    ada = simulate.fill(GATES, ROOT, replace={WRITTEN.name: WRITTEN_ANSWER})
    fin = simulate.fill(GATES, ROOT, replace={"step": solution["step"] + "\nimport os\nprint('working directory:', os.getcwd())\n"})
    del fin.cells[cell_index(fin, "test_xor_network")]
    hal = simulate.fill(GATES, ROOT)
    duplicate = copy.deepcopy(hal.cells[cell_index(hal, "step")])
    duplicate.id = "step-copy"  # JupyterLab gives a copied cell a new id but keeps its nbgrader metadata
    hal.cells.insert(cell_index(hal, "step") + 1, duplicate)
    return {
        "ada": (GATES.notebook, ada),
        "ben": (GATES.notebook, simulate.fill(GATES, ROOT, replace={"step": STEP_TINY, "neuron": RAISING_NEURON, "xor_network": XOR_ONE_ROW_WRONG})),
        "cy": (GATES.notebook, simulate.fill(GATES, ROOT, base="stub")),
        "fin": (GATES.notebook, fin),
        "gus": ("gates (1).ipynb", simulate.fill(GATES, ROOT)),
        "hal": (GATES.notebook, hal),
        "ivy": (GATES.notebook, '{"cells": ['),
    }


LMS_FILES = {  # Canvas "Download submissions" names; lee resubmitted late (Canvas appends -1)
    "kim_1001_2002_gates.ipynb": simulate.fill(GATES, ROOT),
    "lee_late_1003_2004_gates-1.ipynb": simulate.fill(GATES, ROOT, replace=dict(GATES.sample_mistakes)),
}


def test_the_nbgrader_life_cycle_and_the_kit_agree_and_share_one_gradebook(tmp_path):
    c = Course(tmp_path)

    # --- instructor: generate and release -------------------------------------------------
    c.nbgrader("generate_assignment", GATES.name)
    released = c.root / "assignments" / GATES.name / GATES.notebook
    assert released.read_bytes() == course.release_path(GATES, ROOT).read_bytes(), "the committed release is nbgrader's output"
    c.nbgrader("release_assignment", GATES.name)
    outbound = c.exchange / COURSE_ID / "outbound" / GATES.name
    assert sorted(p.name for p in outbound.iterdir()) == [GATES.notebook], "only the student notebook is released"
    assert not [m for m in ("BEGIN HIDDEN", "hidden=True", "BEGIN SOLUTION") if m in (outbound / GATES.notebook).read_text()]
    assert not list(c.exchange.rglob("gradebook.db")) and not list(c.exchange.rglob("solutions"))

    # --- students: fetch, work, validate, submit -------------------------------------------
    work = student_notebooks()
    homes = {s: tmp_path / "home" / s for s in work}
    for home in homes.values():
        home.mkdir(parents=True)
    assert c.as_students([(home, ["fetch_assignment", GATES.name, f"--course={COURSE_ID}"]) for home in homes.values()]) == [0] * len(homes)
    for student, (name, notebook) in work.items():
        folder = homes[student] / GATES.name
        assert (folder / GATES.notebook).read_bytes() == released.read_bytes()
        (folder / GATES.notebook).unlink()
        if isinstance(notebook, str):
            (folder / name).write_text(notebook)
        else:
            nbformat.write(notebook, folder / name)

    # nbgrader validate reports failing tests but exits 0; the kit's check is what students run (exit 1).
    validate = c.nbgrader("validate", str(homes["ben"] / GATES.name / GATES.notebook), cwd=homes["ben"], expect=0)
    assert "failed" in (validate.stdout + validate.stderr).lower()
    check = subprocess.run([str(BIN / "autograder"), "check", str(homes["ben"] / GATES.name / GATES.notebook)], env=c.env,
                           capture_output=True, text=True, cwd=homes["ben"], timeout=300)
    visible = AUTOMATIC - GATES["neuron"].points - GATES["xor_network"].points  # ben's step is wrong on a hidden case only
    assert check.returncode == 1 and f"score {visible:g}/{AUTOMATIC:g} on the visible cases" in check.stdout, check.stdout + check.stderr

    assert c.as_students([(home, ["submit", GATES.name, f"--course={COURSE_ID}", f"--student={s}", f"--Exchange.cache={home / '.cache'}"])
                          for s, home in homes.items()]) == [0] * len(homes)

    # --- instructor: collect, zip_collect, autograde, feedback, export ---------------------
    c.nbgrader("collect", GATES.name)
    submitted = c.root / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == sorted(work)
    assert (submitted / "gus" / GATES.name / "gates (1).ipynb").is_file()

    archive = c.root / "downloaded" / GATES.name / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "submissions.zip", "w") as zipped:
        for name, notebook in LMS_FILES.items():
            zipped.writestr(name, nbformat.writes(notebook))
    c.nbgrader("zip_collect", GATES.name)
    for student in ("kim", "lee"):
        assert (submitted / student / GATES.name / GATES.notebook).is_file(), f"zip_collect did not bring in {student}"

    # autograde exits 1 when any one submission fails; here three do, each with a misleading message,
    # and nbgrader scores them 0: the unreadable file (ivy), the renamed notebook ("No notebooks found,
    # did you forget to run 'nbgrader generate_assignment'?") and the duplicated answer cell (KeyError: 'grade_id').
    autograde = c.nbgrader("autograde", GATES.name, expect=1)
    log = autograde.stdout + autograde.stderr
    failed = set(re.findall(r"error processing assignment '01_gates' for student '(\w+)'", log))
    assert failed == {"gus", "hal", "ivy"}, log[-3000:]
    assert "No notebooks found" in log and "KeyError: 'grade_id'" in log
    assert sorted(p.parent.name for p in (c.root / "autograded").glob(f"*/{GATES.name}")) == ["ada", "ben", "cy", "fin", "kim", "lee"]

    # Hidden checks ran where nbgrader runs the kernel: autograded/<student>/<assignment>/ inside the course.
    fin_graded = nbformat.read(c.root / "autograded" / "fin" / GATES.name / GATES.notebook, as_version=4)
    printed = "".join(o.get("text", "") for cell in fin_graded.cells for o in cell.get("outputs", []))
    kernel_cwd = Path(re.search(r"working directory: (\S+)", printed).group(1))
    assert kernel_cwd == (c.root / "autograded" / "fin" / GATES.name).resolve()
    assert course.find_course_root(kernel_cwd) == c.root.resolve()
    restored = fin_graded.cells[cell_index(fin_graded, "test_xor_network")]
    assert "missing from the submission" in restored.source

    c.nbgrader("generate_feedback", GATES.name)
    feedback = (c.root / "feedback" / "ben" / GATES.name / "gates.html").read_text()
    assert not [m for m in ("hidden=True", "BEGIN HIDDEN", "END HIDDEN") if m in feedback], "hidden tests leak into feedback"
    assert "in the hidden case" in feedback and "not sure about the shapes" in feedback
    hidden_failure = re.search(r"step\(z\): 1 of 3 entries differ.*?in the hidden case[^<]*", feedback, re.S).group(0)
    assert "expected" not in hidden_failure and "5e-324" not in hidden_failure and "4.94" not in hidden_failure

    # Manual grading is formgrader's: it writes manual_score on the written answer's grade (as its API does).
    from nbgrader.api import Gradebook

    with Gradebook(c.db) as gb:
        grade = gb.find_grade(WRITTEN.name, "gates", GATES.name, "ada")
        grade.manual_score = WRITTEN.points
        gb.db.commit()
        assert gb.find_grade("test_xor_network", "gates", GATES.name, "fin").needs_manual_grade is False, \
            "a deleted test cell must be restored (OverwriteCells.add_missing_cells), not left to manual grading"

    exported = c.export("nbgrader-grades.csv")
    assert {s: float(r["score"]) for s, r in exported.items()} == {
        "ada": AUTOMATIC + WRITTEN.points, "ben": AUTOMATIC - sum(GATES[q].points for q in ("step", "neuron", "xor_network")), "cy": 0, "fin": AUTOMATIC, "gus": 0, "hal": 0, "ivy": 0,
        "kim": AUTOMATIC, "lee": AUTOMATIC - 4,
    }, exported
    assert {float(r["max_score"]) for r in exported.values()} == {GATES.max_points}

    # --- the kit grades the same collected submissions -------------------------------------
    results = grade_folder(submitted, tmp_path / "grading", [GATES.name], seed=20261123, root=c.root, jobs=2)
    kit = {r.student: r for r in results}
    honest = ("ada", "ben", "cy", "fin", "kim", "lee")
    for student in honest:
        assert kit[student].score == float(exported[student]["score"]) - (WRITTEN.points if student == "ada" else 0), student
    assert kit["gus"].score == AUTOMATIC and "Keep the original file name" in " ".join(kit["gus"].notes)
    assert kit["hal"].score == AUTOMATIC and "appears 2 times" in " ".join(kit["hal"].notes)
    assert kit["ivy"].score == 0 and kit["ivy"].notes
    assert kit["fin"].score == AUTOMATIC and "deleted" in " ".join(kit["fin"].notes)

    # --- the kit's scores in nbgrader's gradebook, read back by nbgrader export -----------
    assert gradebook.write_scores(results, c.db) == []
    exported = c.export("kit-grades.csv")
    for student, result in kit.items():
        assert float(exported[student]["score"]) == result.score + (WRITTEN.points if student == "ada" else 0), student
    with Gradebook(c.db) as gb:
        assert gb.find_grade(WRITTEN.name, "gates", GATES.name, "ada").manual_score == WRITTEN.points, "the kit never touches hand grades"

    # --- and formgrader's hand grades in the kit's totals ----------------------------------
    totals = {r.student: r for r in gradebook.include_manual(results, c.db)}
    assert (totals["ada"].score, totals["ada"].max_score) == (GATES.max_points, GATES.max_points)
    assert "graded by hand" in next(q.reason for q in totals["ada"].questions if q.question == WRITTEN.name)
    assert (totals["ben"].score, totals["ben"].max_score) == (3, AUTOMATIC), "ungraded written answers stay out of the total"

    # --- one source of truth: hand grades and overrides in every output of a --gradebook run ----
    with Gradebook(c.db) as gb:  # formgrader's override of an automatic grade: ben's step gets its point back
        override = gb.find_grade("test_step", "gates", GATES.name, "ben")
        override.manual_score = 1
        gb.db.commit()
    out = tmp_path / "grading-with-gradebook"
    results = grade_folder(submitted, out, [GATES.name], seed=20261123, root=c.root, jobs=2, gradebook=c.db)
    rows = {row["student"]: row for row in csv.DictReader((out / "grades.csv").open())}
    assert len({tuple(r) for r in rows.values()}) == 1 and f"{GATES.name}:{WRITTEN.name}" in rows["ada"]
    assert {r[f"{GATES.name}:max"] for r in rows.values()} == {f"{GATES.max_points:g}"}
    assert rows["ada"][f"{GATES.name}:{WRITTEN.name}"] == f"{WRITTEN.points:g}" and rows["cy"][f"{GATES.name}:{WRITTEN.name}"] == ""
    assert rows["ben"][f"{GATES.name}:step"] == "1"
    exported = c.export("after-override.csv")
    for student in honest:
        assert float(rows[student][f"{GATES.name}:total"]) == float(exported[student]["score"]), student
    canvas = {row[0]: row for row in csv.reader((out / "canvas.csv").open())}
    assert float(canvas["ada"][5]) == GATES.max_points and float(canvas["Points Possible"][5]) == GATES.max_points
    ada_gradescope = json.loads((out / "gradescope" / "ada" / f"{GATES.name}.json").read_text())
    assert next(t for t in ada_gradescope["tests"] if t["name"].startswith(WRITTEN.name))["score"] == WRITTEN.points
    ben_step = next(q for q in {r.student: r for r in results}["ben"].questions if q.question == "step")
    assert ben_step.points == 1 and "set by hand in formgrader" in ben_step.reason
