"""Bad input costs only what it must, with a reason the student can act on."""

from __future__ import annotations

import copy

import nbformat
import pytest
from conftest import ROOT, by_question

from autograder import course, simulate
from autograder.grade import grade_folder

GATES = course.get_assignment("01_gates")
FULL = {q.name: q.points for q in GATES if not q.manual}


def solution():
    return simulate.fill(GATES, ROOT)


def cell_index(notebook, grade_id):
    return next(i for i, c in enumerate(notebook.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def duplicated_answer():
    notebook = solution()
    i = cell_index(notebook, "step")
    duplicate = copy.deepcopy(notebook.cells[i])
    duplicate.id = "step-copy"  # Jupyter gives a copied cell a new id; its nbgrader metadata stays
    notebook.cells.insert(i + 1, duplicate)
    return notebook


def split_answer():
    notebook = simulate.fill(GATES, ROOT, replace={"gate_weights": "def gate_weights(name):\n    w, b = TABLE[name]\n    return np.array(w), b\n"})
    table = "TABLE = {'AND': ([1.0, 1.0], -1.5), 'OR': ([1.0, 1.0], -0.5), 'NAND': ([-1.0, -1.0], 1.5), 'NOR': ([-1.0, -1.0], 0.5), 'NOT': ([-1.0], 0.5)}\n"
    notebook.cells.insert(cell_index(notebook, "gate_weights"), nbformat.v4.new_code_cell(table))
    return notebook


def stripped_metadata():
    notebook = solution()
    for cell in notebook.cells:
        cell.metadata = {}
    return notebook


def wrong_assignment():
    other = course.get_assignment("02_perceptron")
    return simulate.fill(other, ROOT)


# student -> (notebook, {question: word in its reason}, word in the notes or None)
FAULTS = {
    "duplicated_answer": (duplicated_answer, {}, "appears 2 times"),
    "split_answer": (split_answer, {}, None),
    "stripped_metadata": (stripped_metadata, {}, None),
    "wrong_assignment": (wrong_assignment, {name: "not defined" for name in FULL}, "another assignment"),
    "renamed_function": (lambda: simulate.fill(GATES, ROOT, replace={"xor_network": "def xor_net():\n    return None\n"}),
                         {"xor_network": "did you rename"}, None),
    "wrong_shape": (lambda: simulate.fill(GATES, ROOT, replace={"neuron": "def neuron(X, w, b, activation=step):\n    return activation(X @ w[:, None] + b)\n"}),
                    {"neuron": "expected (4,)"}, None),
    "nan": (lambda: simulate.fill(GATES, ROOT, replace={"neuron": "def neuron(X, w, b, activation=step):\n    return np.full(len(X), np.nan)\n"}),
            {"neuron": "non-finite"}, None),
    "syntax_error": (lambda: simulate.fill(GATES, ROOT, replace={"gate_weights": "def gate_weights(name)\n    return None\n"}),
                     {"gate_weights": "SyntaxError", "gate_margin": "SyntaxError"}, None),
    "deleted_test_cell": (lambda: _without(solution(), "test_step"), {}, "was deleted"),
}


def _without(notebook, grade_id):
    del notebook.cells[cell_index(notebook, grade_id)]
    return notebook


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    submitted = tmp_path_factory.mktemp("faults") / "submitted"
    for student, (make, _, _) in FAULTS.items():
        notebook = make()
        path = submitted / student / GATES.name / GATES.notebook
        path.parent.mkdir(parents=True)
        nbformat.write(notebook, path)
    results = grade_folder(submitted, submitted.parent / "out", ["01_gates"], seed=3, jobs=2, root=ROOT)
    return {r.student: r for r in results}


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(FAULTS))
def test_a_fault_costs_only_its_own_questions_with_a_reason(graded, student):
    _, loses, note = FAULTS[student]
    result = graded[student]
    got = by_question(result)
    for name, points in FULL.items():
        if name in loses:
            assert got[name].points == 0 and loses[name] in got[name].reason, got[name].reason
        else:
            assert got[name].points == points, f"{name}: {got[name].reason}"
    if note:
        assert any(note in n for n in result.notes), result.notes
