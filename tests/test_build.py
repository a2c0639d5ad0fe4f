"""Are the student notebooks exactly nbgrader's output, and free of solutions?"""

import json
import subprocess
import sys
import zipfile

import pytest
from conftest import ROOT

from autograder import course
from autograder import notebook as nb
from autograder.build import build, copy_course

ASSIGNMENTS = list(course.assignments().values())
LEAK_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "hidden=True")


def _stripped(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def solution_runs(assignment, length: int = 3) -> set[tuple[str, ...]]:
    """Every run of ``length`` consecutive code lines inside the solution regions.

    A single line such as ``rng = np.random.default_rng(seed)`` is common to many files;
    three consecutive lines of the reference appearing elsewhere are a leak.
    """
    runs, region, inside = set(), [], False
    for cell in nb.read(course.solution_path(assignment, ROOT)).cells:
        for line in cell.source.splitlines():
            if "BEGIN SOLUTION" in line:
                inside, region = True, []
            elif "END SOLUTION" in line:
                inside = False
                lines = _stripped("\n".join(region))
                runs |= {tuple(lines[i:i + length]) for i in range(len(lines) - length + 1)}
            elif inside:
                region.append(line)
    return runs


def leaked(assignment, text: str) -> list[tuple[str, ...]]:
    lines = _stripped(text)
    present = {tuple(lines[i:i + 3]) for i in range(len(lines) - 2)}
    return sorted(solution_runs(assignment) & present)


@pytest.mark.slow
def test_regenerating_the_student_notebooks_with_nbgrader_changes_nothing(tmp_path):
    course_copy = copy_course(ROOT, tmp_path / "course")
    build(course_copy, [a.name for a in ASSIGNMENTS], db_dir=tmp_path)
    for assignment in ASSIGNMENTS:
        generated = course.release_path(assignment, course_copy).read_bytes()
        assert generated == course.release_path(assignment, ROOT).read_bytes(), f"{assignment.name}: run `autograder build` and commit"
        released = {p.name for p in course.release_path(assignment, course_copy).parent.iterdir()}
        assert released == {assignment.notebook}, f"{assignment.name} releases more than its notebook: {released}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.name)
def test_released_notebooks_contain_no_solution_and_no_hidden_tests(assignment):
    text = course.release_path(assignment, ROOT).read_text()
    assert not [m for m in LEAK_MARKERS if m in text]
    assert not leaked(assignment, "\n".join(c.source for c in nb.read(course.release_path(assignment, ROOT)).cells))


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.name)
def test_committed_notebooks_are_clean_and_declare_a_kernel(assignment):
    for path in (course.solution_path(assignment, ROOT), course.release_path(assignment, ROOT)):
        notebook = json.loads(path.read_text())
        assert notebook["metadata"]["kernelspec"]["name"] == "python3"
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in notebook["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.name)
def test_points_in_the_notebook_agree_with_the_declarations(assignment):
    """nbgrader's test cells carry points too; they must equal the declaration's."""
    notebook = nb.read(course.solution_path(assignment, ROOT))
    graded = {}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            if cell.cell_type == "code":
                name = cell.source.split('check("', 1)[1].split('"', 1)[0]
            else:
                name = meta["grade_id"]
            graded[name] = graded.get(name, 0) + meta["points"]
    assert graded == {q.name: q.points for q in assignment}


@pytest.mark.slow
def test_the_built_wheel_ships_data_sets_but_no_solutions(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)], check=True)
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        text = "\n".join(archive.read(n).decode("utf-8", "replace") for n in names if n.endswith((".py", ".ipynb", ".md", ".txt")))
    assert "autograder/datasets/digits.npz" in names and "autograder/datasets/truth_tables.npz" in names
    assert not any(n.endswith(".ipynb") or n.startswith(("solutions/", "tests/")) for n in names)
    assert not [m for m in LEAK_MARKERS[:3] if m in text]
    for assignment in ASSIGNMENTS:
        assert not leaked(assignment, text), assignment.name
