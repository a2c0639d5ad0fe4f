"""Adding a question takes two files: the solution notebook and the question module.

In a copy of the kit and its course, a new question is declared in
``autograder/questions/gates.py`` and given an answer cell and a bare ``check("...")`` test
cell in the solution notebook; nothing else is edited. ``autograder build`` then writes the
test cell's points and id and generates the student notebook, and ``autograder grade`` grades
it: a correct answer (written differently from the solution) earns its points, a wrong one
loses them with a reason, and the rest of the assignment is graded as before.
"""

import csv
import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest
from conftest import ROOT

from autograder import course

GATES = course.get_assignment("01_gates")

QUESTION = '''

ASSIGNMENT.misconception("added_two", "2 added instead of doubling", "doubling multiplies every entry by 2.", questions=("double_all",))


@ASSIGNMENT.question(points=3, functions=("double_all",))
def double_all(rng, hidden):
    """double_all(x) returns 2 * x, elementwise."""
    for n in (4,) if not hidden else (int(rng.integers(2, 9)), int(rng.integers(10, 30))):
        yield Case(f"x of length {n}", "double_all", (rng.normal(size=n),),
                   expect=Expect("double_all(x)", lambda x: 2 * x, reference="double_all", mistakes=(Mistake("added_two", lambda x: x + 2),)))
'''

ANSWER = "def double_all(x):\n    ### BEGIN SOLUTION\n    return 2 * np.asarray(x, dtype=float)\n    ### END SOLUTION\n"
ANSWER_META = {"nbgrader": {"grade": False, "grade_id": "double_all", "locked": False, "schema_version": 3, "solution": True, "task": False}}


def _run(args: list[str], kit, cwd) -> subprocess.CompletedProcess:
    """Run ``python -m autograder ARGS`` with the copied kit in front of the installed one."""
    env = {**os.environ, "PYTHONPATH": str(kit), "COLUMNS": "400"}
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_a_question_added_in_the_notebook_and_its_module_is_built_and_graded(tmp_path):
    kit, root = tmp_path / "kit", tmp_path / "course"
    shutil.copytree(ROOT / "autograder", kit / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "datasets", kit / "datasets", ignore=shutil.ignore_patterns("__pycache__"))  # as in a checkout
    root.mkdir()
    shutil.copy2(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(ROOT / "solutions" / GATES.name, root / "solutions" / GATES.name)

    # the two edits: the question module and the solution notebook
    module = kit / "autograder" / "questions" / "gates.py"
    module.write_text(module.read_text() + QUESTION)
    solution = course.solution_path(GATES, root)
    notebook = nbformat.read(solution, as_version=4)
    answer = nbformat.v4.new_code_cell(ANSWER, metadata=ANSWER_META)
    answer["id"] = "double_all"
    notebook.cells += [nbformat.v4.new_markdown_cell("Write `double_all(x)`."), answer, nbformat.v4.new_code_cell('check("double_all")')]
    nbformat.write(notebook, solution)

    built = _run(["build", GATES.name, "--course", str(root)], kit, root)
    assert built.returncode == 0, built.stdout + built.stderr
    test_cell = next(c for c in nbformat.read(solution, as_version=4).cells if c.source == 'check("double_all")')
    assert test_cell.metadata["nbgrader"]["points"] == 3 and test_cell.metadata["nbgrader"]["grade_id"] == "test_double_all"
    released = nbformat.read(course.release_path(GATES, root), as_version=4)
    stub = next(c for c in released.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "double_all")
    assert "NotImplementedError" in stub.source and "2 * np.asarray" not in stub.source

    answers = {"right": "def double_all(x):\n    return np.asarray(x, dtype=float) + np.asarray(x, dtype=float)\n",
               "wrong": "def double_all(x):\n    return np.asarray(x, dtype=float) + 2\n"}
    make = ("import sys\nfrom pathlib import Path\nfrom autograder import course\nfrom autograder.course import simulate\n"
            "a = course.get_assignment('01_gates')\n"
            f"for student, source in {answers!r}.items():\n"
            f"    simulate.write(simulate.fill(a, Path({str(root)!r}), replace={{'double_all': source}}), Path({str(tmp_path / 'submitted')!r}), student, a)\n")
    made = subprocess.run([sys.executable, "-c", make], env={**os.environ, "PYTHONPATH": str(kit)}, capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr

    graded = _run(["grade", str(tmp_path / "submitted"), "--out", str(tmp_path / "out"), "--course", str(root), "--seed", "5"], kit, root)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "out" / "grades.csv").open())}
    automatic = sum(q.points for q in GATES if not q.manual)
    assert float(rows["right"]["01_gates:double_all"]) == 3 and float(rows["right"]["01_gates:total"]) == automatic + 3
    assert float(rows["wrong"]["01_gates:double_all"]) == 0 and float(rows["wrong"]["01_gates:total"]) == automatic
    assert float(rows["right"]["01_gates:max"]) == GATES.max_points + 3
    result = json.loads((tmp_path / "out" / "results" / "wrong" / "01_gates.json").read_text())
    (question,) = [q for q in result["questions"] if q["question"] == "double_all"]
    assert question["status"] == "failed" and "double_all(x)" in question["reason"], question
    assert question["misconception"] == "2 added instead of doubling", question
