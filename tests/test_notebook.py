"""Are the right cells run, and is the reference read from the solution notebook only?"""

import copy

import nbformat
import pytest
from conftest import ROOT

from autograder import course
from autograder.course import notebook as nb

GATES = course.get_assignment("01_gates")


@pytest.fixture
def release():
    return nb.read(course.release_path(GATES, ROOT))


def labels(cells):
    return [c.label for c in cells]


def test_answer_cells_are_the_students_code_without_tests_or_provided_cells(release):
    assert labels(nb.answer_cells(release, release)) == list(GATES.functions)  # one answer cell per declared function, in order
    assert labels(nb.setup_cells(release)) == ["setup"]


def test_cells_a_student_added_are_run_too(release):
    submission = copy.deepcopy(release)
    submission.cells.insert(3, nbformat.v4.new_code_cell("def helper(z):\n    return z > 0\n"))
    assert "cell 4" in labels(nb.answer_cells(submission, release))


def test_provided_cells_are_recognised_even_when_an_editor_stripped_their_metadata(release):
    submission = copy.deepcopy(release)
    for cell in submission.cells:
        cell.metadata = {}
    kept = nb.answer_cells(submission, release)
    assert len(kept) == 4
    assert not any("check(" in c.source for c in kept)


def test_edited_test_cells_are_never_run(release):
    """A student who replaces check("step") by `pass` in a locked test cell gains nothing: test cells are dropped by id."""
    submission = copy.deepcopy(release)
    for cell in submission.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            cell.source = "print('PASS')"
    assert not any("PASS" in c.source for c in nb.answer_cells(submission, release))


def test_magics_are_removed_before_running():
    cell = nbformat.v4.new_code_cell("%matplotlib inline\n!pip install torch\nx = 1\n")
    notebook = nbformat.v4.new_notebook(cells=[cell])
    assert nb.answer_cells(notebook, nbformat.v4.new_notebook())[0].source.strip() == "x = 1"


def test_reference_is_executed_from_the_solution_notebook():
    reference = nb.load_reference(course.solution_path(GATES, ROOT))
    assert callable(reference["step"]) and reference["step"](0.0) == 0.0


@pytest.mark.parametrize("text, words", [("{not json", "not a readable notebook"), ('{"cells": 3}', "not a readable notebook")])
def test_malformed_files_raise_a_readable_error(tmp_path, text, words):
    path = tmp_path / "gates.ipynb"
    path.write_text(text)
    with pytest.raises(nb.BadNotebook, match=words):
        nb.read(path)


def test_defined_names_finds_functions_and_survives_syntax_errors():
    assert nb.defined_names("def f():\n    pass\nA = 1\nB, C = 2, 3\n") == {"f", "A", "B", "C"}
    assert nb.defined_names("def f(:\n") is None


@pytest.mark.parametrize("edit, words", [
    (lambda cell: cell.__setitem__("source", None), "`source` as NoneType"),
    (lambda cell: cell["metadata"].__setitem__("nbgrader", "solution"), "`nbgrader` as str"),
    (lambda cell: cell["metadata"].__setitem__("tags", [1]), "tags that are not text"),
])
def test_a_notebook_that_breaks_the_format_is_reported_not_raised(tmp_path, edit, words):
    import json

    notebook = json.loads(course.release_path(GATES, ROOT).read_text())
    edit(next(c for c in notebook["cells"] if c["cell_type"] == "code"))
    path = tmp_path / "gates.ipynb"
    path.write_text(json.dumps(notebook))
    with pytest.raises(nb.BadNotebook, match="breaks the notebook format") as bad:
        nb.read(path)
    assert words in str(bad.value)
