"""01_gates through every path: the notebook's check, `autograder check`, the grader."""


import numpy as np
import pytest
from conftest import ROOT, by_question, grade

from autograder import CheckFailed, checker, course
from autograder import notebook as nb

GATES = course.get_assignment("01_gates")
AUTOMATIC = {q.name: q.points for q in GATES if not q.manual}

WRONG_STEP = "def step(z):\n    return (np.asarray(z) >= 0).astype(float)\n"
RAISING_NEURON = "def neuron(X, w, b, activation=step):\n    raise ValueError('not sure about the shapes')\n"
XOR_ONE_ROW_WRONG = (  # the NAND neuron's bias is too large, so it always fires: wrong on (1, 1) only
    "def xor_network():\n"
    "    W1 = np.array([[1.0, -1.0], [1.0, -1.0]])\n"
    "    b1 = np.array([-0.5, 2.5])\n"
    "    return W1, b1, np.array([1.0, 1.0]), -1.5\n"
)
GATES_TEMPLATE = (
    "def gate_weights(name):\n"
    "    table = {{'AND': ([1.0, 1.0], {and_bias}), 'OR': ([1.0, 1.0], -0.5), 'NAND': ([-1.0, -1.0], 1.5),\n"
    "             'NOR': ([-1.0, -1.0], 0.5), 'NOT': ([-1.0], 0.5)}}\n"
    "    w, b = table[name]\n"
    "    return np.array(w), b\n"
)
AND_IS_OR = GATES_TEMPLATE.format(and_bias=-0.5)
AND_ON_THE_EDGE = GATES_TEMPLATE.format(and_bias=-1.99)


def assert_lost_exactly(result, lost: dict[str, str]):
    """Questions in ``lost`` score 0 with the given word in their reason; every other one scores full marks."""
    got = by_question(result)
    for name, points in AUTOMATIC.items():
        if name in lost:
            assert got[name].points == 0 and got[name].status in ("failed", "error"), got[name]
            assert lost[name] in got[name].reason + (got[name].misconception or ""), got[name].reason
        else:
            assert got[name].points == points and got[name].passed, got[name]
    assert result.score == GATES.max_points - sum(q.points for q in GATES if q.manual) - sum(AUTOMATIC[n] for n in lost)


def test_wrong_step_raising_neuron_and_bad_xor_each_lose_their_own_points(submit):
    path = submit("01_gates", step=WRONG_STEP, neuron=RAISING_NEURON, xor_network=XOR_ONE_ROW_WRONG)
    result = grade(path, "01_gates")
    assert_lost_exactly(result, {"step": "step(0) = 1", "neuron": "ValueError", "xor_network": "(1, 1) -> 1"})
    got = by_question(result)
    assert got["step"].misconception == "step(0) = 1"
    assert "not sure about the shapes" in got["neuron"].traceback and "<cell neuron>" in got["neuron"].traceback


def test_wrong_gate_weights_lose_the_gate_and_its_margin(submit):
    result = grade(submit("01_gates", gate_weights=AND_IS_OR), "01_gates")
    assert_lost_exactly(result, {"gate_weights": "AND", "gate_margin": "AND"})
    assert "(0, 1) gives 1 (should be 0)" in by_question(result)["gate_weights"].reason


def test_gates_right_only_exactly_on_the_truth_table_lose_only_the_margin(submit):
    result = grade(submit("01_gates", gate_weights=AND_ON_THE_EDGE), "01_gates")
    assert_lost_exactly(result, {"gate_margin": "right only exactly on the truth table"})


def test_in_notebook_check_agrees_with_the_grader_on_wrong_answers():
    """Does check(...) in the student's kernel judge the same way as the sandboxed grader?"""
    namespace = {"np": np}
    solution = {c.label: c.source for c in nb.solution_cells(nb.read(course.solution_path(GATES, ROOT)))}
    for label in ("step", "neuron", "gate_weights", "xor_network"):
        exec(solution[label], namespace)
    exec(WRONG_STEP + XOR_ONE_ROW_WRONG, namespace)
    check = checker("01_gates", namespace)
    assert check("neuron").passed and check("gate_weights").passed
    with pytest.raises(CheckFailed, match="step\\(0\\) returned 1.0"):
        check("step")
    with pytest.raises(CheckFailed, match="wrong on 1 of 4 rows"):
        check("xor_network")
    with pytest.raises(CheckFailed) as hidden:
        check("step", hidden=True)
    assert "expected" not in str(hidden.value)


