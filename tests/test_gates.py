"""01_gates through every path: the notebook's check, `autograder check`, the grader."""


import numpy as np
import pytest
from conftest import ROOT, by_question, grade

from autograder import CheckFailed, checker, course
from autograder.course import notebook as nb

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
NAND_IS_NOR = GATES_TEMPLATE.format(and_bias=-1.5).replace("'NAND': ([-1.0, -1.0], 1.5)", "'NAND': ([-1.0, -1.0], 0.5)")


def assert_lost_exactly(result, lost: dict[str, str], points: dict[str, float] | None = None):
    """Questions in ``lost`` fail with the given word in their reason and score ``points[name]``
    (default 0); every other one scores full marks; the total adds up."""
    points = points or {}
    got = by_question(result)
    for name, full in AUTOMATIC.items():
        if name in lost:
            assert got[name].points == points.get(name, 0) and got[name].status in ("failed", "error"), got[name]
            assert lost[name] in got[name].reason + (got[name].misconception or ""), got[name].reason
        else:
            assert got[name].points == full and got[name].passed, got[name]
    expected = sum(points.get(n, 0) if n in lost else full for n, full in AUTOMATIC.items())
    assert result.score == pytest.approx(expected, abs=1e-9)


def share(question: str, failing_gates: int) -> float:
    """What a question earns with ``failing_gates`` of its five gates wrong (visible and hidden cases alike)."""
    q = GATES[question]
    return round(q.points * (5 - failing_gates) / 5, 2) if q.partial else (0.0 if failing_gates else q.points)


def test_wrong_step_raising_neuron_and_bad_xor_each_lose_their_own_points(submit):
    path = submit("01_gates", step=WRONG_STEP, neuron=RAISING_NEURON, xor_network=XOR_ONE_ROW_WRONG)
    result = grade(path, "01_gates")
    assert_lost_exactly(result, {"step": "step(0) = 1", "neuron": "ValueError", "xor_network": "(1, 1) -> 1"})
    got = by_question(result)
    assert got["step"].misconception == "step(0) = 1"
    assert "not sure about the shapes" in got["neuron"].traceback and "<cell neuron>" in got["neuron"].traceback


@pytest.mark.parametrize("source, gate", [(AND_IS_OR, "AND"), (NAND_IS_NOR, "NAND")])
def test_one_wrong_gate_costs_its_share_of_gate_weights_once(submit, source, gate):
    """One wrong gate costs its share of gate_weights; the margin question says it fails because of
    gate_weights (never that the gate is right on its truth table) and is not charged again."""
    result = grade(submit("01_gates", gate_weights=source), "01_gates")
    assert_lost_exactly(result, {"gate_weights": gate, "gate_margin": "Fails because of `gate_weights`"},
                        points={"gate_weights": share("gate_weights", 1), "gate_margin": GATES["gate_margin"].points})
    got = by_question(result)
    assert f"{gate} with w=" in got["gate_weights"].reason and "(should be" in got["gate_weights"].reason
    margin = got["gate_margin"]
    charged = GATES["gate_weights"].points - share("gate_weights", 1)
    assert margin.caused_by == "gate_weights" and margin.excused == pytest.approx(min(charged, GATES["gate_margin"].points - share("gate_margin", 1)))
    assert margin.reason.startswith("Fails because of `gate_weights`") and "right only exactly on the truth table" not in margin.reason
    # not "weights on the decision boundary": the gate is wrong, not fragile; the margin names gate_weights' own mistake
    assert margin.misconception == got["gate_weights"].misconception == "weights compute another gate"


def test_gates_right_only_exactly_on_the_truth_table_lose_only_their_share_of_the_margin(submit):
    result = grade(submit("01_gates", gate_weights=AND_ON_THE_EDGE), "01_gates")
    assert_lost_exactly(result, {"gate_margin": "right only exactly on the truth table"}, points={"gate_margin": share("gate_margin", 1)})
    assert by_question(result)["gate_margin"].caused_by is None


def test_a_wrong_gate_does_not_excuse_another_gate_on_the_edge_beyond_its_own_charge(submit):
    """NAND wrong and AND fragile: the margin question may get back at most what gate_weights was charged."""
    source = AND_ON_THE_EDGE.replace("'NAND': ([-1.0, -1.0], 1.5)", "'NAND': ([-1.0, -1.0], 0.5)")
    result = grade(submit("01_gates", gate_weights=source), "01_gates")
    got = by_question(result)
    charged = GATES["gate_weights"].points - got["gate_weights"].points
    assert got["gate_weights"].points == share("gate_weights", 1)
    assert got["gate_margin"].excused <= charged + 1e-9
    assert "right only exactly on the truth table" in got["gate_margin"].reason  # AND's own failure is still said
    assert got["gate_margin"].misconception == "weights on the decision boundary"
    fragile_only = grade(submit("01_gates", student="fragile", gate_weights=AND_ON_THE_EDGE), "01_gates")
    assert result.score <= fragile_only.score  # breaking NAND never pays


def test_in_notebook_check_agrees_with_the_grader_on_wrong_answers():
    """Does check(...) in the student's kernel judge the same way as the sandboxed grader?"""
    namespace = {"np": np}
    solution = {c.label: c.source for c in nb.solution_cells(nb.read(course.solution_path(GATES, ROOT)))}
    for label in ("step", "neuron", "gate_weights", "xor_network"):
        exec(solution[label], namespace)
    exec(WRONG_STEP + XOR_ONE_ROW_WRONG, namespace)
    check = checker("01_gates", namespace)
    assert check("neuron").passed and check("gate_weights").passed
    with pytest.raises(CheckFailed, match="Recognised mistake: step\\(0\\) = 1"):
        check("step")
    with pytest.raises(CheckFailed, match="wrong on 1 of 4 rows"):
        check("xor_network")
    with pytest.raises(CheckFailed) as hidden:
        check("step", hidden=True)
    assert "expected" not in str(hidden.value)


def test_in_notebook_check_names_a_failed_dependency_first_as_the_grader_does():
    """Does check("gate_margin") in the student's kernel point at the wrong gate, not at the margin?"""
    namespace = {"np": np}
    solution = {c.label: c.source for c in nb.solution_cells(nb.read(course.solution_path(GATES, ROOT)))}
    for label in ("step", "neuron", "xor_network"):
        exec(solution[label], namespace)
    exec(NAND_IS_NOR, namespace)
    with pytest.raises(CheckFailed) as margin:
        checker("01_gates", namespace)("gate_margin")
    assert str(margin.value).count("Fails because of `gate_weights`") == 1
    exec(solution["gate_weights"], namespace)
    assert checker("01_gates", namespace)("gate_margin").passed


