"""01_gates — a neuron computes logic.

Oracles: the truth tables (a property), and the reference for hidden random cases.
Student-built networks (gate weights, the XOR network) are evaluated here, in the
grader, with a plain step function, so a student's own ``step`` cannot hide a
wrong weight.
"""

from __future__ import annotations

import numpy as np

from ..judge.compare import Mismatch, expect_array, expect_scalar, expect_true
from ..data import load
from ..judge.expectation import Expect, Mistake
from ..judge.question import Assignment, Case

ASSIGNMENT = Assignment("01_gates", "gates.ipynb", "A neuron computes logic")
GATES = ("AND", "OR", "NAND", "NOR", "NOT")
ROBUSTNESS = 0.1

# --- the mistakes this assignment's checks can name ------------------------------
ASSIGNMENT.misconception("step_zero_is_one", "step(0) = 1", "the step is 1 only where z > 0 strictly: compare with >, not >=.",
                         "relation", questions=("step",))
ASSIGNMENT.misconception("step_returns_sign", "step returns signs", "the step neuron outputs 0 or 1, not -1 or +1 (np.sign is a different function).",
                         "relation", questions=("step",))
ASSIGNMENT.misconception("activation_ignored", "activation argument ignored",
                         "apply the function passed as `activation` to X @ w + b instead of always applying the step.", "relation", questions=("neuron",))
ASSIGNMENT.misconception("weights_on_the_boundary", "weights on the decision boundary",
                         "a row that is right only by a hair flips under a tiny change of input: keep every row's X @ w + b well away from 0.",
                         "property", questions=("gate_margin",))
STEP_INVERTED = ASSIGNMENT.misconception("step_inverted", "step reversed", "the step is 1 where z > 0 and 0 where z < 0; your outputs are the other way round.",
                                         "relation", questions=("step",))
BIAS_SIGN = ASSIGNMENT.misconception("bias_sign", "bias of the wrong sign",
                                     "a step neuron fires when X @ w + b > 0, so the bias is minus the threshold: a threshold of 1.5 is b = -1.5.",
                                     "relation", questions=("neuron", "gate_weights"))
BIAS_MISSING = ASSIGNMENT.misconception("bias_missing", "bias not added", "the neuron's input is X @ w + b: add the bias b to every row's dot product.",
                                        "relation", questions=("neuron",))
ELEMENTWISE = ASSIGNMENT.misconception("elementwise_product", "elementwise product instead of a dot product",
                                       "X * w multiplies entry by entry and keeps the (n, d) shape; X @ w gives one dot product per row, shape (n,).",
                                       "relation", questions=("neuron",))
ASYMMETRIC = ASSIGNMENT.misconception("gate_inputs_unequal", "the two inputs treated differently",
                                      "AND, OR, NAND and NOR give the same output for (0, 1) and (1, 0), so give both inputs the same weight.",
                                      "property", questions=("gate_weights",))
CONSTANT = ASSIGNMENT.misconception("gate_output_constant", "output the same on every row",
                                    "the bias outweighs the weights, so no input changes the output: put the threshold -b between the weighted "
                                    "input sums the gate must tell apart.", "property", questions=("gate_weights",))
OTHER_GATE = ASSIGNMENT.misconception("gate_computes_another", "weights compute another gate",
                                      "with equal weights the bias decides how many inputs must be on: AND needs both (the threshold -b between "
                                      "1 and 2 for weights 1), OR one (between 0 and 1); NAND and NOR are their negations.",
                                      "property", questions=("gate_weights",))
XOR_HIDDEN = ASSIGNMENT.misconception("xor_hidden_layer", "hidden layer does not separate XOR",
                                      "the output neuron sees only the two hidden outputs, so XOR must be a gate of them: let one hidden unit "
                                      "compute OR and the other NAND, then the output is their AND.", "property", questions=("xor_network",))
XOR_OUTPUT = ASSIGNMENT.misconception("xor_output_neuron", "output neuron does not combine the hidden units",
                                      "your hidden outputs already tell the XOR rows apart; choose w2 and b2 so that the output neuron computes "
                                      "the gate of them that gives XOR (AND of OR and NAND).", "property", questions=("xor_network",))


def heaviside(z: np.ndarray) -> np.ndarray:
    """1.0 where z > 0 else 0.0: the definition the questions state, used to evaluate networks."""
    return (np.asarray(z) > 0).astype(float)


def _row(x: np.ndarray) -> str:
    """An input row as the student writes it: (0, 1)."""
    return "(" + ", ".join(f"{v:g}" for v in np.asarray(x, dtype=float)) + ")"


def _inputs_and_targets(gate: str) -> tuple[np.ndarray, np.ndarray]:
    table = load("truth_tables")
    return (table["X1"] if gate == "NOT" else table["X2"]), table[gate]


STEP_MISTAKES = (
    Mistake("step_zero_is_one", lambda z: (z >= 0).astype(float)),
    Mistake(STEP_INVERTED, lambda z: (z < 0).astype(float)),
    Mistake(STEP_INVERTED, lambda z: (z <= 0).astype(float)),
    Mistake("step_returns_sign", lambda z: np.sign(z)),
    Mistake("step_returns_sign", lambda z: np.where(z > 0, 1.0, -1.0)),
)


@ASSIGNMENT.question(points=1, functions=("step",))
def step(rng, hidden):
    """step(z) is 1.0 where z > 0 and 0.0 elsewhere, for arrays of any shape."""
    if not hidden:
        cases = [np.array([-2.0, -0.5, 0.0, 0.5, 3.0]), np.array([[0.0, 1.0], [-1.0, 1e-12]]), np.zeros((2, 2, 2))]
    else:
        cases = []
        for shape in [(7,), (3, 5), (2, 3, 4), (1,)]:
            z = rng.normal(size=shape)
            z.flat[rng.integers(z.size)] = 0.0
            cases.append(z)
        cases.append(np.array([-0.0, 5e-324, -5e-324]))
    for z in cases:
        yield Case(f"z of shape {z.shape}", "step", (z,), expect=Expect("step(z)", heaviside, reference="step", rtol=0, atol=0, dtype="float64",
                                                                        mistakes=STEP_MISTAKES))


ACTIVATION_FUNCTIONS = {"step": heaviside, "identity": lambda v: v, "sigmoid": lambda v: 1 / (1 + np.exp(-v))}



def neuron_definition(X, w, b, activation="step"):
    """activation(X @ w + b), shape (n,): what the question states."""
    return ACTIVATION_FUNCTIONS[activation](X @ w + b)


NEURON_MISTAKES = (  # what a neuron with one typical mistake computes
    Mistake(BIAS_SIGN, lambda X, w, b, activation="step": ACTIVATION_FUNCTIONS[activation](X @ w - b)),
    Mistake(BIAS_MISSING, lambda X, w, b, activation="step": ACTIVATION_FUNCTIONS[activation](X @ w)),
    Mistake(ELEMENTWISE, lambda X, w, b, activation="step": ACTIVATION_FUNCTIONS[activation](X * w + b)),
    Mistake("activation_ignored", lambda X, w, b, activation="step": heaviside(X @ w + b)),
)
NEURON = Expect("neuron(X, w, b, activation)", neuron_definition, mistakes=NEURON_MISTAKES)


@ASSIGNMENT.question(points=1, functions=("neuron",))
def neuron(rng, hidden):
    """neuron(X, w, b, activation=step) returns activation(X @ w + b), shape (n,)."""
    for n, d in [(4, 2), (6, 3), (1, 5)] if not hidden else [(int(rng.integers(1, 20)), int(rng.integers(1, 6))) for _ in range(4)]:
        X, w, b = rng.normal(size=(n, d)), rng.normal(size=d), float(rng.normal())
        z = X @ w + b
        X[np.abs(z) < 1e-6, 0] += 1e-3  # keep away from the step's threshold
        yield Case(f"step neuron, X of shape {X.shape}", "neuron", (X, w, b), expect=NEURON)
    X, w, b = rng.normal(size=(5, 3)), rng.normal(size=3), 0.25
    for activation in ("identity", "sigmoid"):
        yield Case(f"neuron with activation={activation}", "neuron", (X, w, b), kwargs={"activation": activation},
                   probe="with_activation", expect=NEURON)


def _weights(got, gate: str) -> tuple[np.ndarray, float]:
    """Validate a ``(w, b)`` pair for ``gate`` and return it as (array, float)."""
    n_in = 1 if gate == "NOT" else 2
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Mismatch(f"gate_weights({gate!r}) should return a pair (w, b), but it returned {type(got).__name__} {got!r:.60}.")
    return expect_array(got[0], (n_in,), f"w of {gate}"), expect_scalar(got[1], f"b of {gate}")


def _gate_check(gate: str):
    def check(got, oracles):
        w, b = _weights(got, gate)
        X, target = _inputs_and_targets(gate)
        out = heaviside(X @ w + b)
        wrong = np.flatnonzero(out != target)
        if wrong.size:
            rows = ", ".join(f"input {_row(X[i])} gives {out[i]:g} (should be {target[i]:g})" for i in wrong)
            key, what = what_gate_computes(gate, X, w, b)
            raise Mismatch(f"{gate} with w={w.tolist()}, b={b:g} is wrong on {wrong.size} of {len(target)} rows: {rows}."
                           + (f" {what}" if what else ""), misconception=key)

    return check


def what_gate_computes(gate: str, X: np.ndarray, w: np.ndarray, b: float) -> tuple[str | None, str]:
    """(catalogue key, sentence) for what a step neuron with (w, b) computes on ``gate``'s truth table
    instead of ``gate``, or (None, "") when none of the named mistakes describes it.

    Tried in order: the gate with the bias negated; outputs that differ between (0, 1) and (1, 0)
    (the two-input gates are symmetric); one output for every row; another gate's truth table.
    """
    out = heaviside(X @ w + b)
    _, target = _inputs_and_targets(gate)
    if np.array_equal(heaviside(X @ w - b), target):
        return BIAS_SIGN, f"With b = {-b:g} instead of {b:g} it would be {gate}: the bias is minus the threshold."
    if X.shape[1] == 2 and out[1] != out[2]:
        return ASYMMETRIC, f"Your neuron gives {out[1]:g} for (0, 1) but {out[2]:g} for (1, 0): {gate} must treat both inputs alike."
    if np.all(out == out[0]):
        return CONSTANT, f"Your neuron outputs {out[0]:g} for every row: no input changes it."
    other = next((g for g in GATES if g != gate and _inputs_and_targets(g)[0].shape == X.shape and np.array_equal(_inputs_and_targets(g)[1], out)), None)
    if other is not None:
        return OTHER_GATE, f"Your weights compute {other}, not {gate}."
    return None, ""


@ASSIGNMENT.question(points=2, functions=("gate_weights",))
def gate_weights(rng, hidden):
    """gate_weights(name) returns (w, b) so that a step neuron computes AND, OR, NAND, NOR and NOT."""
    for gate in GATES:
        yield Case(f"{gate} on its truth table", "gate_weights", (gate,), check=_gate_check(gate))


def worst_case_outputs(X: np.ndarray, w: np.ndarray, b: float, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """The lowest and highest pre-activation X @ w + b over inputs moved by at most ``radius`` per coordinate.

    Shapes: X (n, d), w (d,); returns two arrays of shape (n,). Exact, because a
    linear function's extremes over a box lie at its corners: +-radius * ||w||_1.
    """
    z = X @ w + b
    reach = radius * np.abs(w).sum()
    return z - reach, z + reach


def _margin_check(gate: str):
    def check(got, oracles):
        w, b = _weights(got, gate)
        X, target = _inputs_and_targets(gate)
        low, high = worst_case_outputs(X, w, b, ROBUSTNESS * (1 - 1e-9))
        fragile = np.flatnonzero(np.where(target == 1, low <= 0, high > 0))
        if fragile.size:
            i = fragile[0]
            raise Mismatch(
                f"{gate} is right only exactly on the truth table: moving input {_row(X[i])} by less than "
                f"{ROBUSTNESS} per coordinate can flip its output (its pre-activation can reach "
                f"{(low if target[i] == 1 else high)[i]:.3g}). Choose w and b so every row is well inside its side of the line.",
                misconception="weights_on_the_boundary",
            )

    return check


# A gate wrong on its truth table is charged by gate_weights; its margin case then judges a value
# already known to be wrong, so the margin question is not charged for it again.
@ASSIGNMENT.question(points=1, functions=("gate_weights",), depends_on=("gate_weights",), on_dependency_failure="excuse")
def gate_margin(rng, hidden):
    """Every gate stays right when its inputs move by less than 0.1: no weights that only work at the boundary."""
    for gate in GATES:
        yield Case(f"{gate} with inputs moved by < {ROBUSTNESS}", "gate_weights", (gate,), check=_margin_check(gate))


def xor_forward(params, X: np.ndarray) -> np.ndarray:
    """Evaluate ``step(step(X @ W1 + b1) @ w2 + b2)`` for validated params; X (n, 2) -> (n,)."""
    W1, b1, w2, b2 = params
    return heaviside(heaviside(X @ W1 + b1) @ w2 + b2)


def step_separable(H: np.ndarray, target: np.ndarray) -> bool:
    """Whether one step neuron computes ``target`` from the binary rows of H (n, 2). On points with
    0/1 coordinates every separable labelling is computed by weights in {-1, 0, 1} and a bias in
    {-1.5, -0.5, 0.5, 1.5}, so trying those decides it exactly."""
    return any(np.array_equal(heaviside(H @ np.array([u, v]) + c), target)
               for u in (-1.0, 0.0, 1.0) for v in (-1.0, 0.0, 1.0) for c in (-1.5, -0.5, 0.5, 1.5))


def xor_fault(params, X: np.ndarray, target: np.ndarray) -> tuple[str, str]:
    """(catalogue key, sentence): which layer of a wrong XOR network is at fault, from its hidden outputs
    on the truth table. If no step neuron can compute XOR from them, the hidden layer; else the output neuron."""
    W1, b1, _, _ = params
    H = heaviside(X @ W1 + b1)
    codes = ", ".join(f"{_row(x)} -> h = {_row(h)}" for x, h in zip(X, H))
    if not step_separable(H, target):
        return XOR_HIDDEN, f"Your hidden outputs ({codes}) cannot be turned into XOR by any output neuron."
    return XOR_OUTPUT, f"Your hidden outputs ({codes}) tell the XOR rows apart, but the output neuron does not combine them into XOR."


def _xor_params(got) -> tuple:
    if not isinstance(got, (tuple, list)) or len(got) != 4:
        raise Mismatch(f"xor_network() should return four things (W1, b1, w2, b2), but it returned {type(got).__name__} of length {len(got) if hasattr(got, '__len__') else '?'}.")
    W1 = expect_array(got[0], (2, 2), "W1")
    b1 = expect_array(got[1], (2,), "b1")
    w2 = expect_array(got[2], (2,), "w2")
    return W1, b1, w2, expect_scalar(got[3], "b2")


def _xor_check(perturbation: np.ndarray | None):
    def check(got, oracles):
        params = _xor_params(got)
        X, target = _inputs_and_targets("XOR")
        if perturbation is None:
            out = xor_forward(params, X)
            wrong = np.flatnonzero(out != target)
            if wrong.size:
                rows = ", ".join(f"{_row(X[i])} -> {out[i]:g} (should be {target[i]:g})" for i in wrong)
                key, why = xor_fault(params, X, target)
                raise Mismatch(f"the network is wrong on {wrong.size} of 4 rows: {rows}. {why}", misconception=key)
            return
        for i in range(len(X)):
            out = xor_forward(params, X[i] + perturbation)
            expect_true(np.all(out == target[i]), f"the network's output for input {_row(X[i])} flips when the input moves by less than {ROBUSTNESS}; give every neuron a margin.")

    return check


@ASSIGNMENT.question(points=2, functions=("xor_network",))
def xor_network(rng, hidden):
    """xor_network() returns (W1, b1, w2, b2) of a 2-2-1 step network that computes XOR."""
    yield Case("XOR on its truth table", "xor_network", (), check=_xor_check(None), clauses=("xor_network.xor",))
    corners = np.array([[sx, sy] for sx in (-1, 1) for sy in (-1, 1)]) * ROBUSTNESS * 0.99
    moves = np.vstack([corners, rng.uniform(-ROBUSTNESS, ROBUSTNESS, size=(50 if hidden else 20, 2)) * 0.99])
    yield Case(f"XOR with inputs moved by < {ROBUSTNESS}", "xor_network", (), check=_xor_check(moves), clauses=("xor_network.margin",))


ASSIGNMENT.manual("xor_written", points=2, title="Explain why no single step neuron computes XOR.")

ASSIGNMENT.sample_mistakes.update({
    # step(0) = 1: the threshold test uses >= instead of >.
    "step": "def step(z):\n    return (np.asarray(z) >= 0).astype(float)\n",
    # AND that is right on the truth table but sits on the boundary; NOT forgotten.
    "gate_weights": (
        "def gate_weights(name):\n"
        "    table = {'AND': ([1.0, 1.0], -1.99), 'OR': ([1.0, 1.0], -0.5),\n"
        "             'NAND': ([-1.0, -1.0], 1.5), 'NOR': ([-1.0, -1.0], 0.5)}\n"
        "    w, b = table[name]\n"
        "    return np.array(w), b\n"
    ),
})

# --- the contract: the clauses of each student function's docstring, and the questions that check them ---
ASSIGNMENT.contract("step", value="1.0 where z > 0, else 0.0, elementwise (0 gives 0.0).", shape="Returns an array of the same shape as z (any shape).",
                    dtype="Returns a float64 array.")
ASSIGNMENT.contract("neuron", value="Returns activation(X @ w + b).", shape="Returns the (n,) outputs, one per row of X.",
                    activation="activation: a function applied elementwise (default: step).")
ASSIGNMENT.contract("gate_weights", shape="Returns (w, b): w of shape (2,) -- (1,) for NOT -- and a number b.",
                    gate="A step neuron with (w, b) computes the named gate on its truth table.",
                    margin="The gate stays right when the inputs move by less than 0.1.")
ASSIGNMENT.contract("xor_network", shape="Returns (W1, b1, w2, b2) with W1: (2, 2), b1: (2,), w2: (2,), b2: a number.",
                    xor="step(step(X @ W1 + b1) @ w2 + b2) is XOR of the rows of X.", margin="XOR stays right when the inputs move by less than 0.1.")
ASSIGNMENT.checks("step", "step.value", "step.shape", "step.dtype")
ASSIGNMENT.checks("neuron", "neuron.value", "neuron.shape", "neuron.activation")
ASSIGNMENT.checks("gate_weights", "gate_weights.shape", "gate_weights.gate")
ASSIGNMENT.checks("gate_margin", "gate_weights.shape", "gate_weights.margin")
ASSIGNMENT.checks("xor_network", "xor_network.shape")
