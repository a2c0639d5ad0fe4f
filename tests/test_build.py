"""Are the student notebooks exactly nbgrader's output, and free of solutions?"""

import json
import re
import subprocess
import sys
import zipfile

import nbformat
import pytest
from conftest import ROOT

from autograder import course
from autograder.course import notebook as nb
from autograder.course import points
from autograder.course.build import build, copy_course

ASSIGNMENTS = list(course.assignments().values())
GATES = course.get_assignment("01_gates")
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
def test_the_committed_solution_notebooks_carry_the_declared_points_and_ids(assignment):
    """`autograder build` writes each test cell's points and grade_id from the declarations; stamping
    the committed notebook again changes nothing, and its grade cells add up to the declarations."""
    notebook = nb.read(course.solution_path(assignment, ROOT))
    assert points.stamp(assignment, notebook) is False, "run `autograder build` and commit"
    assert points.notebook_points(notebook) == {q.name: q.points for q in assignment}
    released = nb.read(course.release_path(assignment, ROOT))
    assert points.disagreements(assignment, released) == []


def _gates_notebook():
    return nb.read(course.solution_path(GATES, ROOT))


def _cell_of(notebook, question):
    return next(c for c in notebook.cells if nb.checked_question(c.source) == question)


def test_stamping_writes_the_declared_points_and_grade_id_into_a_bare_test_cell():
    notebook = _gates_notebook()
    cell = _cell_of(notebook, "gate_weights")
    cell.metadata = {}
    cell["id"] = "something-else"
    assert points.stamp(GATES, notebook) is True
    meta = cell.metadata["nbgrader"]
    assert (meta["grade"], meta["locked"], meta["solution"]) == (True, True, False)
    assert meta["grade_id"] == cell["id"] == points.test_cell_id("gate_weights")
    assert meta["points"] == GATES["gate_weights"].points
    assert points.stamp(GATES, notebook) is False


def test_stamping_replaces_points_that_differ_from_the_declaration():
    notebook = _gates_notebook()
    manual = next(q for q in GATES if q.manual)
    _cell_of(notebook, "xor_network").metadata["nbgrader"]["points"] = GATES["xor_network"].points + 5
    next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == manual.name).metadata["nbgrader"]["points"] = 0
    assert points.stamp(GATES, notebook) is True
    assert points.notebook_points(notebook) == {q.name: q.points for q in GATES}


@pytest.mark.parametrize("change, said", [
    (lambda notebook: notebook.cells.append(nbformat.v4.new_code_cell('check("no_such_question")')), "checks 'no_such_question', which 01_gates does not declare"),
    (lambda notebook: notebook.cells.remove(_cell_of(notebook, "neuron")), "neuron: declared"),
    (lambda notebook: notebook.cells.append(nbformat.v4.new_code_cell('check("step")')), "'step' has more than one test cell"),
], ids=["undeclared", "missing", "twice"])
def test_a_notebook_whose_test_cells_do_not_match_the_declarations_is_refused_unchanged(change, said):
    notebook = _gates_notebook()
    change(notebook)
    before = nbformat.writes(notebook)
    with pytest.raises(points.PointsMismatch, match=re.escape(said)):
        points.stamp(GATES, notebook)
    assert nbformat.writes(notebook) == before


@pytest.mark.parametrize("source, question", [
    ('check("step")\n### BEGIN HIDDEN TESTS\ncheck("step", hidden=True)\n### END HIDDEN TESTS', "step"),
    ("x = 1\ncheck( 'neuron' )", "neuron"),
    ('check.all()\ncheck("a")', "a"),
    ('print("check(\'b\')")', None),
    ("%matplotlib inline\ncheck('c')", "c"),
    ("def (:", None),
])
def test_the_question_a_test_cell_checks(source, question):
    assert nb.checked_question(source) == question


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


def test_the_visible_digests_are_what_autograder_digests_makes_from_the_current_reference():
    """Digests of reference outputs are generated (`autograder digests`), never pasted: the file is current."""
    from autograder.judge import digests

    tables = digests.generate(ROOT)
    assert set(tables) == {a.name for a in ASSIGNMENTS if hasattr(course.question_module(a), "expected_digests")} and tables
    assert digests.GENERATED.read_text() == digests.render(tables), "run `autograder digests` and commit"
    for name, table in tables.items():
        assert digests.visible(name) == table == course.question_module(course.get_assignment(name)).DIGESTS


def test_a_written_answer_s_cell_gets_its_points_even_before_it_is_marked_as_graded():
    notebook = _gates_notebook()
    manual = next(q for q in GATES if q.manual)
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == manual.name)
    cell.metadata["nbgrader"].update(grade=False, points=0)
    assert points.stamp(GATES, notebook) is True
    assert (cell.metadata["nbgrader"]["grade"], cell.metadata["nbgrader"]["points"]) == (True, manual.points)
    assert points.notebook_points(notebook) == {q.name: q.points for q in GATES}
