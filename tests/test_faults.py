"""Bad input costs only what it must, with a reason the student can act on."""

from __future__ import annotations

import copy

import nbformat
import pytest
from conftest import ROOT, by_question

from autograder import course
from autograder.course import simulate
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
                    {"neuron": "has shape"}, None),
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


def test_fresh_draws_a_new_wide_seed_resume_keeps_it_and_run_json_says_which(tmp_path):
    from autograder.grade import _run_seed
    import json

    first = _run_seed(tmp_path, None, "sandbox")
    assert json.loads((tmp_path / "run.json").read_text())["seed_origin"] == "drawn for this run"
    assert _run_seed(tmp_path, None, "sandbox", resume=True) == first
    fresh = _run_seed(tmp_path, None, "sandbox", resume=False)
    assert fresh != first and max(first, fresh).bit_length() > 64
    assert _run_seed(tmp_path, 7, "sandbox", resume=False) == 7
    assert json.loads((tmp_path / "run.json").read_text())["seed_origin"] == "given (--seed)"


def test_a_regrade_after_a_leak_asks_other_hidden_questions():
    """A student who leaked this run's hidden cases learns nothing about the next run's."""
    from autograder.judge.engine import plan, requests_for
    from autograder.grade import submission_seed

    def hidden(run_seed):
        return [r["args"] for r, p in zip(requests_for(plan(GATES, list(GATES), submission_seed(run_seed, "ada", GATES.name))),
                                          plan(GATES, list(GATES), 1)) if p.hidden]

    assert submission_seed(1, "ada", GATES.name).bit_length() > 64
    assert hidden(1) != hidden(2)


def _one_student(tmp_path, *names):
    submitted = tmp_path / "submitted"
    for name in names:
        simulate.write(solution(), submitted, name, GATES)
    return submitted


def test_an_unexpected_error_costs_only_that_submission(tmp_path, monkeypatch):
    import autograder.grade as grade_module

    real = grade_module.evaluate

    def fragile(path, *args, student="", **kwargs):
        if student == "boom":
            raise RecursionError("maximum recursion depth exceeded")
        return real(path, *args, student=student, **kwargs)

    monkeypatch.setattr(grade_module, "evaluate", fragile)
    results = {r.student: r for r in grade_folder(_one_student(tmp_path, "boom", "calm"), tmp_path / "out", ["01_gates"], seed=3, root=ROOT)}
    assert results["calm"].score == sum(FULL.values())
    assert results["boom"].score == 0 and any("could not be graded" in n for n in results["boom"].notes)


def test_a_result_that_cannot_be_read_on_resume_is_graded_again(tmp_path):
    submitted, out = _one_student(tmp_path, "ada"), tmp_path / "out"
    grade_folder(submitted, out, ["01_gates"], seed=3, root=ROOT)
    (out / "results" / "ada" / "01_gates.json").write_text('{"student": "ada", "questions": [{"points": "many"}]')
    warnings = []
    (result,) = grade_folder(submitted, out, ["01_gates"], root=ROOT, warn=warnings.append)
    assert result.score == sum(FULL.values()) and warnings


def test_links_out_of_a_students_folder_are_refused_and_never_read(tmp_path):
    from autograder.grade import discover

    submitted = _one_student(tmp_path, "ada")
    outside = tmp_path / "elsewhere.ipynb"
    outside.write_text("{}")
    (submitted / "eve" / GATES.name).mkdir(parents=True)
    (submitted / "eve" / GATES.name / GATES.notebook).symlink_to(outside)
    (submitted / "mallory").symlink_to(submitted / "ada")
    found = {s.student: s for s in discover(submitted, [GATES])}
    assert found["ada"].notebook == (submitted / "ada" / GATES.name / GATES.notebook).resolve()
    assert found["eve"].notebook is None and "link" in found["eve"].notes[0]
    assert found["mallory"].notebook is None and "link" in found["mallory"].notes[0]


def test_autograder_check_says_which_cell_did_not_parse(tmp_path):
    """`autograder check` has no released notebook beside the student's, so the names a cell that
    does not parse meant to define come from its own def lines: the reason says the cell's error,
    not 'did you rename or delete it?'."""
    from autograder.submission import evaluate

    broken = simulate.fill(GATES, ROOT, replace={"gate_weights": "def gate_weights(name):\n    w = np.ones(2)\n        return w, -1.5\n"})
    path = tmp_path / GATES.notebook
    nbformat.write(broken, path)
    got = by_question(evaluate(path, GATES))["gate_weights"]
    assert got.points == 0 and "IndentationError" in got.reason and "rename" not in got.reason, got.reason
