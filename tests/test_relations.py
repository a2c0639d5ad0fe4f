"""Naming in general: relations between got and expected, and the mistakes a question's table makes of them.

The 06_optimizers mistakes below are not fingerprinted by any mutant of the instructor's (one is,
and is named by both): each is named from a relation alone -- a factor derived from the
hyper-parameters, a state shifted by a constant, an argument changed in place -- on the visible
cases without the reference (as in a student's notebook) and on hidden cases alone. Correct
variants written differently pass with nothing named.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.judge.compare import Mismatch, expect_close
from autograder.judge.relations import column_relation, constant_ratio, constant_shift, describe, index_shift, named_factor, region_relation
from test_contracts import judged

# (cell, question, old, new, the name the student reads)
OPTIMIZER_MISTAKES = [
    ("Momentum", "momentum", "self.velocity = [self.beta * v + g for", "self.velocity = [self.beta * v + self.lr * g for", "learning rate applied twice"),
    ("AdaGrad", "adagrad", "[G + g ** 2 for", "[G + np.abs(g) for", "square root in the wrong place"),
    ("RMSprop", "rmsprop", "(1.0 - self.rho) * g ** 2", "g ** 2", "1 - rho missing on g**2"),
    ("Adam", "adam", "self.t = 0", "self.t = 1", "step counter shifted by one"),
    ("Adam", "adam", "v_hat = v / (1.0 - b2 ** self.t)", "v_hat = v / (1.0 - b1 ** self.t)", "beta1 and beta2 swapped in a bias correction"),
    ("GradientDescent", "gradient_descent", "return [p - self.lr * g for p, g in zip(params, grads)]",
     "for p, g in zip(params, grads):\n            p -= self.lr * g\n        return params", "parameters updated in place"),
    ("AdaGrad", "adagrad", "self.sum_squares = [np.zeros_like(p, dtype=np.float64) for p in params]",
     "self.sum_squares = [np.ones_like(p, dtype=np.float64) for p in params]", "state does not start at zero"),
    ("Momentum", "momentum", "return [p - self.lr * v for p, v in zip(params, self.velocity)]",
     "return [p - self.lr * (self.beta * v + g) for p, v, g in zip(params, self.velocity, grads)]", "a look-ahead (Nesterov) step"),
    ("GradientDescent", "gradient_descent", "return [p - self.lr * g for", "return [p - g for", "learning rate missing"),
    ("AdaGrad", "adagrad", "return [p - self.lr * g / (np.sqrt(G) + self.eps)", "return [p - g / (np.sqrt(G) + self.eps)", "learning rate missing"),
    ("Momentum", "momentum", "self.velocity = [self.beta * v + g for", "self.velocity = [self.beta * v for", "parameters returned unchanged"),
    ("Adam", "adam", "m_hat = m / (1.0 - b1 ** self.t)", "m_hat = m", "Adam without bias correction"),
    ("Adam", "adam", "v_hat = v / (1.0 - b2 ** self.t)", "v_hat = v", "Adam without bias correction"),
    ("Adam", "adam", "b2 * v + (1.0 - b2) * g ** 2", "b2 * v + g ** 2", "1 - beta missing in a running average"),
]
# Named through the instructor's mutants, so only where the reference is; in the student's notebook a law of the
# optimizer's contract names what is wrong instead (sqrt(G + |g|) makes a step of degree 1/2 in the gradients).
FINGERPRINT_ONLY = {"square root in the wrong place": "the wrong power of the gradients"}


@pytest.mark.parametrize("cell, question, old, new, name", OPTIMIZER_MISTAKES, ids=[m[4] for m in OPTIMIZER_MISTAKES])
def test_optimizer_mistakes_are_named_on_hidden_cases_alone(cell, question, old, new, name):
    result = judged("06_optimizers", question, cell, (old, new), only_hidden=True)
    assert result.status == "failed" and result.misconception == name, (result.misconception, result.reason)
    assert "hidden case" in result.reason or "modified its input" in result.reason


@pytest.mark.parametrize("cell, question, old, new, name", OPTIMIZER_MISTAKES, ids=[m[4] for m in OPTIMIZER_MISTAKES])
def test_optimizer_mistakes_are_named_in_the_students_notebook(cell, question, old, new, name):
    """Visible cases, no reference: what a student sees before grading."""
    result = judged("06_optimizers", question, cell, (old, new), hidden_seed=None, with_reference=False)
    assert result.status == "failed"
    assert result.misconception == FINGERPRINT_ONLY.get(name, name), (result.misconception, result.reason)


OPTIMIZER_VARIANTS = [  # correct, written differently
    ("Momentum", "momentum", "self.velocity = [self.beta * v + g for v, g in zip(self.velocity, grads)]\n"
                             "        return [p - self.lr * v for p, v in zip(params, self.velocity)]",
     "new = []\n        for i, (p, g) in enumerate(zip(params, grads)):\n            self.velocity[i] = self.beta * self.velocity[i] + g\n"
     "            new.append(p - self.lr * self.velocity[i])\n        return new"),
    ("AdaGrad", "adagrad", "return [p - self.lr * g / (np.sqrt(G) + self.eps)", "return [p - self.lr / (np.sqrt(G) + self.eps) * g"),
    ("Adam", "adam", "m_hat = m / (1.0 - b1 ** self.t)\n            v_hat = v / (1.0 - b2 ** self.t)\n"
                     "            new.append(p - self.lr * m_hat / (np.sqrt(v_hat) + self.eps))",
     "step = self.lr * np.sqrt(1.0 - b2 ** self.t) / (1.0 - b1 ** self.t)\n"
     "            new.append(p - step * m / (np.sqrt(v) + self.eps * np.sqrt(1.0 - b2 ** self.t)))"),
    ("GradientDescent", "gradient_descent", "return [p - self.lr * g for p, g in zip(params, grads)]",
     "return [np.subtract(p, np.multiply(self.lr, g)) for p, g in zip(params, grads)]"),
    ("backprop_pieces", "gradient_norms", "return s * (1.0 - s)", "return s - s * s"),
    ("backprop_pieces", "gradient_norms", "return (A - Y) / A.shape[0]", "return np.subtract(A, Y) / len(A)"),
    ("layer_gradient_norms", "gradient_norms", "np.sqrt(np.sum(dW ** 2))", "np.linalg.norm(dW)"),
    ("RMSprop", "rmsprop", "self.mean_square = [self.rho * s + (1.0 - self.rho) * g ** 2 for",
     "self.mean_square = [s + (1.0 - self.rho) * (g * g - s) for"),
    ("Adam", "adam", "v_hat = v / (1.0 - b2 ** self.t)\n            new.append(p - self.lr * m_hat / (np.sqrt(v_hat) + self.eps))",
     "new.append(p - self.lr * m_hat / (np.sqrt(v) / np.sqrt(1.0 - b2 ** self.t) + self.eps))"),
]


@pytest.mark.parametrize("cell, question, old, new", OPTIMIZER_VARIANTS, ids=[v[0] for v in OPTIMIZER_VARIANTS])
def test_correct_optimizer_variants_pass_with_nothing_named(cell, question, old, new):
    for kwargs in ({}, {"hidden_seed": None, "with_reference": False}):
        result = judged("06_optimizers", question, cell, (old, new), **kwargs)
        assert result.status == "passed" and result.misconception is None, result.reason


# --- the relations themselves ---------------------------------------------------------------

def test_describe_finds_factor_sign_transpose_and_index_shift():
    rng = np.random.default_rng(0)
    e = rng.normal(size=(4, 4))
    assert describe(2 * e, e)[0] == "factor:2"
    assert describe(e / 4, e, n=4)[0] == "factor:1/n"
    assert describe(-e, e)[0] == "sign"
    assert describe(e.T, e)[0] == "transpose"
    curve = np.cumsum(rng.uniform(0.1, 1.0, size=8))
    shifted = np.append(curve[1:], curve[-1] + 1.0)
    assert describe(shifted, curve)[0] == "index+1"
    assert index_shift(np.insert(curve[:-1], 0, 0.0), curve).kind == "index-1"
    assert describe(e + rng.normal(size=e.shape), e) is None


def test_nothing_is_described_when_values_agree_or_only_look_alike():
    e = np.array([1.0, 2.0, 3.0, 4.0])
    assert describe(e * (1 + 1e-12), e) is None
    assert index_shift(np.ones(5), np.ones(5)) is None  # a constant curve shifted is itself: no shift to name
    assert constant_ratio(np.array([1.0, 2.0]), np.array([1.0, 1.0])) is None
    assert constant_shift(e, e) is None
    assert named_factor(1.0, {"one": 1.0}) is None and named_factor(0.2, {"lr": 0.2}) == "lr"


def test_expect_close_says_the_relation_and_carries_its_key():
    e = np.arange(1.0, 7.0).reshape(2, 3)
    with pytest.raises(Mismatch) as raised:
        expect_close(e / 2, e, "dC/dW", n=2, reveal=False)
    assert raised.value.relation == "factor:1/n" and "off by a factor of 1/n = 0.5" in raised.value.message
    with pytest.raises(Mismatch) as raised:
        expect_close(e + np.array([[0.3, -0.1, 0.2], [0.0, 0.5, 0.1]]), e, "dC/dW")
    assert raised.value.relation is None and "your values are" not in raised.value.message


def test_terms_are_compared_one_by_one():
    from autograder.judge.relations import term_relation

    cost, penalty, bias = np.array([2.0, 1.5, 1.2]), np.array([0.3, 0.28, 0.25]), np.array([0.0, 0.01, 0.02])
    assert term_relation(cost, cost + penalty, {"penalty": penalty}).kind == "missing:penalty"
    assert term_relation(cost + penalty + bias, cost + penalty, {"penalty": penalty, "bias_penalty": bias}).kind == "extra:bias_penalty"
    assert term_relation(cost + 2 * bias, cost, {"bias_penalty": bias}) is None
    assert term_relation(cost, cost, {"zero": np.zeros(3)}) is None


def test_the_bias_penalty_in_the_loss_is_named_term_by_term_without_the_reference():
    result = judged("05_softmax", "classifier_step", "train_classifier",
                    ("penalty = 0.5 * l2 * sum(W.ravel() @ W.ravel() for W, _ in params)",
                     "penalty = 0.5 * l2 * sum(W.ravel() @ W.ravel() + b @ b for W, b in params)"), hidden_seed=None, with_reference=False)
    assert result.misconception == "biases regularised" and "plus the term 'bias_penalty'" in result.reason


def test_a_relation_table_must_name_catalogued_mistakes():
    from autograder import course

    with pytest.raises(ValueError, match="unknown catalogue keys"):
        course.get_assignment("05_softmax").relations("classifier_step", {"sign": "no_such_mistake"})


SHARED_STATE = [  # the velocities in a list on the class: every Momentum object shares it
    ("        self.velocity = None\n\n    def reset(self):\n        self.velocity = None",
     "        pass\n\n    velocity = []\n\n    def reset(self):\n        self.velocity.clear()"),
    ("        if self.velocity is None:\n            self.velocity = [np.zeros_like(p, dtype=np.float64) for p in params]",
     "        if not self.velocity:\n            self.velocity.extend(np.zeros_like(p, dtype=np.float64) for p in params)"),
    ("        self.velocity = [self.beta * v + g for v, g in zip(self.velocity, grads)]",
     "        self.velocity[:] = [self.beta * v + g for v, g in zip(self.velocity, grads)]"),
]


@pytest.mark.parametrize("kwargs", [{"hidden_seed": None, "with_reference": False}, {}], ids=["notebook", "grading"])
def test_state_shared_across_instances_is_named(kwargs):
    result = judged("06_optimizers", "momentum", "Momentum", *SHARED_STATE, **kwargs)
    assert result.status == "failed" and result.misconception == "state shared across instances", result.reason
    assert "two new Momentum(...) objects" in result.reason


def _toy_judged(value, table=None):
    """Judge one toy case whose check is expect_close against [1, 2, 3] with n = 3, for a student value."""
    from autograder.student import plain
    from autograder.judge.engine import judge, plan
    from autograder.judge.question import Assignment, Case

    toy = Assignment("00_toy", "toy.ipynb", "toy")
    toy.misconception("cost_not_over_n", "cost not divided by n", "the cost is a mean over the n rows.", questions=("q",))
    toy.misconception("copied_in_place", "argument changed", "work on a copy.", questions=("q",))

    @toy.question(points=1, functions=("f",))
    def q(rng, hidden):
        yield Case("f on three rows", "f", (), check=lambda got, oracles: expect_close(got, np.array([1.0, 2.0, 3.0]), "f()", n=3))

    if table:
        toy.relations("q", table)
    planned = plan(toy, list(toy), None)
    return judge(toy["q"], planned, [{"status": "ok", "value": plain.encode(np.asarray(value, dtype=float)), "mutated": []}], None)


def test_a_relation_names_the_questions_mistake_where_its_table_maps_it_else_the_kit_wide_one():
    from autograder.judge.wrong_values import diagnose

    assert _toy_judged([3.0, 6.0, 9.0], {"factor:n": "cost_not_over_n"}).misconception == "cost not divided by n"
    unmapped = _toy_judged([3.0, 6.0, 9.0])
    assert (unmapped.misconception, unmapped.hint) == diagnose("factor:n") and "off by a factor of n = 3" in unmapped.reason
    flipped = _toy_judged([-1.0, -2.0, -3.0], {"factor:n": "cost_not_over_n"})  # another relation than the table's: the kit-wide name
    assert flipped.misconception == "the opposite sign" and "subtraction" in flipped.hint
    unrelated = _toy_judged([1.0, 2.5, 3.0])
    assert unrelated.status == "failed" and unrelated.misconception is None and unrelated.hint is None  # no relation holds: nothing named
    assert _toy_judged([1.0, 2.0, 3.0], {"factor:n": "cost_not_over_n"}).status == "passed"


# --- general relations: a product's factors, a term's sign, the axis of a normalisation --------------

def test_a_product_is_compared_factor_by_factor():
    from autograder.judge.relations import factor_relation

    factors = {"delta2": 0.7, "w2": -1.9, "1 - a1": 0.35}
    right = 0.7 * -1.9 * 0.35
    assert factor_relation(0.7 * 0.35, right, factors).kind == "missing_factor"
    assert "'delta2' and 'w2'" in factor_relation(0.35, right, factors).text
    assert factor_relation(0.7 / -1.9 * 0.35, right, factors).kind == "inverted_factor"
    assert factor_relation(right * 0.35, right, factors).kind == "extra_factor"
    assert factor_relation(right, right, factors) is None
    assert factor_relation(right * 1.3, right, factors) is None  # no factor of the product explains it
    assert factor_relation(-right, right, {"sign": -1.0}) is None  # a factor of -1 is a sign, named by the sign relation
    assert factor_relation(right, right * 1.0000001, {"one": 1.0}) is None  # a factor of ~1 is never a candidate


def test_a_term_of_the_opposite_sign_and_a_normalisation_along_the_wrong_axis():
    from autograder.judge.relations import flipped_term, normalised_axis

    a, y = np.array([0.2, 0.9, 0.4]), np.array([1.0, 0.0, 1.0])
    assert flipped_term(a + y, a - y, {"y": -y}).kind == "flipped:y"
    assert describe(a + y, a - y, terms={"y": -y})[0] == "flipped:y"
    assert flipped_term(a - y, a - y, {"y": -y}) is None and flipped_term(a, a, {"zero": np.zeros(3)}) is None
    E = np.exp(np.random.default_rng(3).normal(size=(5, 4)))
    assert normalised_axis(E / E.sum(axis=0), right=1).kind == "axis:0"
    assert normalised_axis(E / E.sum(), right=1).kind == "axis:all"
    assert normalised_axis(E / E.sum(axis=1, keepdims=True), right=1) is None  # right: nothing to name
    assert normalised_axis(E, right=1) is None and normalised_axis(-E / E.sum(axis=0), right=1) is None


# (assignment, question, cell, old, new, catalogue key): mistakes named through the general relations above,
# or through properties of the student's own values (the cost agrees with a wrong output)
GENERAL_MISTAKES = [
    ("03_chain_rule", "two_layer_scalar_grads", "two_layer_scalar_grads", "z1 = w1 * x + b1", "z1 = w1 * x - b1", "forward_pass"),
    ("03_chain_rule", "sigmoid_neuron_grads", "sigmoid_neuron_grads", "z = w * x + b", "z = w * x", "forward_pass"),
    ("03_chain_rule", "two_layer_scalar_grads", "two_layer_scalar_grads", "C = 0.5 * (a2 - y) ** 2", "C = 0.5 * (a2 - y)", "cost_formula"),
    ("03_chain_rule", "sigmoid_neuron_grads", "sigmoid_neuron_grads", "C = 0.5 * (a - y) ** 2", "C = 0.5 * abs(a - y)", "cost_formula"),
    ("03_chain_rule", "two_layer_scalar_grads", "two_layer_scalar_grads", "delta1 = delta2 * w2 *", "delta1 = delta2 / w2 *", "factor_divided"),
    ("03_chain_rule", "reverse_mode", "reverse_mode", 'df_dc = df_dd / (2.0 * trace["d"])', 'df_dc = df_dd * (2.0 * trace["d"])', "factor_divided"),
    ("03_chain_rule", "two_layer_scalar_grads", "two_layer_scalar_grads", "delta2 = a2 - y", "delta2 = a2 + y", "term_sign"),
    ("03_chain_rule", "reverse_mode", "reverse_mode", "df_dc * 1.0 + df_db", "df_dc * 1.0 - df_db", "term_sign"),
    ("03_chain_rule", "two_layer_scalar_grads", "two_layer_scalar_grads", "delta2 = a2 - y", "delta2 = a2", "missing_term"),
    ("03_chain_rule", "linear_neuron_step", "linear_neuron_step", '"w_new": w - lr * dL_dw', '"w_new": w', "missing_term"),
    ("03_chain_rule", "two_layer_scalar_grads", "two_layer_scalar_grads", "delta1 = delta2 * w2 *", "delta1 = w2 *", "missing_chain_factor"),
    ("03_chain_rule", "train_scalar_network", "train_scalar_network", 'b1 - lr * g["dC_db1"]', "b1", "parameter_not_updated"),
    ("03_chain_rule", "train_scalar_network", "train_scalar_network", 'w2 - lr * g["dC_dw2"]', 'w2 - g["dC_dw2"]', "step_without_lr"),
    ("03_chain_rule", "train_scalar_network", "train_scalar_network", 'b2 - lr * g["dC_db2"]', 'b2 + lr * g["dC_db2"]', "update_plus"),
    ("05_softmax", "softmax", "softmax", "E / E.sum(axis=1, keepdims=True)", "E / E.sum()", "softmax_wrong_axis"),
    ("05_softmax", "log_softmax", "log_softmax", "np.exp(S).sum(axis=1, keepdims=True)", "np.exp(S).sum()", "log_softmax_wrong_axis"),
    ("05_softmax", "log_softmax", "log_softmax", "return S - np.log(", "return S + np.log(", "log_softmax_normaliser"),
    ("05_softmax", "cross_entropy_grad", "cross_entropy_grad", "P[np.arange(n), labels] -= 1.0", "P[np.arange(n), labels] += 1.0", "ce_grad_missing_y"),
    ("05_softmax", "cross_entropy_grad", "cross_entropy_grad", "P[np.arange(n), labels] -= 1.0", "P[np.arange(n), (labels + 1) % Z.shape[1]] -= 1.0", "ce_wrong_class"),
    ("05_softmax", "classifier_step", "train_classifier", "penalty = 0.5 * l2 *", "penalty = l2 *", "penalty_miscounted"),
    ("05_softmax", "classifier_step", "train_classifier", "-log_p[rows, labels_batch].sum()", "log_p[rows, labels_batch].sum()", "ce_sign"),
    ("05_softmax", "classifier_step", "train_classifier", "+ m * penalty) / n", "+ m * penalty)", "ce_sum"),
    ("05_softmax", "classifier_step", "train_classifier", "dC_dZ /= m", "dC_dZ /= 1", "ce_grad_factor_n"),
    ("05_softmax", "classifier_step", "train_classifier", "                b -= lr * db", "                pass", "parameter_not_updated"),
    ("04_backprop", "numerical_gradient", "numerical_gradient", "P[index] = old - eps", "P[index] = old + eps", "numgrad_zero"),
    ("07_generalisation", "batchnorm_forward", "batchnorm_forward", "inv_std = 1.0 / np.sqrt(var + eps)", "inv_std = 1.0 / (var + eps)", "bn_divisor_wrong"),
    ("07_generalisation", "batchnorm_forward", "batchnorm_forward", "Z_hat = (Z - mean) * inv_std", "Z_hat = Z * inv_std", "bn_centre_wrong"),
    ("07_generalisation", "batchnorm_inference", "batchnorm_inference", "/ np.sqrt(running_var + eps)", "/ (running_var + eps)", "bn_divisor_wrong"),
    ("07_generalisation", "batchnorm_inference", "batchnorm_inference", "gamma * (Z - running_mean)", "gamma * (Z + running_mean)", "bn_centre_wrong"),
    ("07_generalisation", "batchnorm_inference", "batchnorm_inference", "np.sqrt(running_var + eps) + beta", "np.sqrt(running_var + eps) - beta",
     "bn_scale_shift_missing"),
]


def _catalogue_name(assignment: str, key: str) -> str:
    from autograder import course

    return course.get_assignment(assignment).misconceptions[key].name


@pytest.mark.parametrize("assignment, question, cell, old, new, key", GENERAL_MISTAKES, ids=[f"{m[1]}-{m[5]}-{i}" for i, m in enumerate(GENERAL_MISTAKES)])
def test_general_mistakes_are_named_in_the_notebook_and_at_grading(assignment, question, cell, old, new, key):
    for kwargs in ({"hidden_seed": None, "with_reference": False}, {"only_hidden": True}):
        result = judged(assignment, question, cell, (old, new), **kwargs)
        assert result.status == "failed" and result.misconception == _catalogue_name(assignment, key), (kwargs, result.misconception, result.reason)


GENERAL_VARIANTS = [  # correct, written differently: nothing may be named
    ("03_chain_rule", "two_layer_scalar_grads", "two_layer_scalar_grads", "delta1 = delta2 * w2 * a1 * (1.0 - a1)",
     "delta1 = (a2 - y) * w2 * sigmoid(z1) * (1.0 - sigmoid(z1))"),
    ("03_chain_rule", "linear_neuron_step", "linear_neuron_step", "dL_do = 2.0 * (o - y)", "dL_do = 2.0 * o - 2.0 * y"),
    ("03_chain_rule", "sigmoid_neuron_grads", "sigmoid_neuron_grads", "dC_dz = (a - y) * a * (1.0 - a)", "dC_dz = (a - y) * (a - a * a)"),
    ("03_chain_rule", "reverse_mode", "reverse_mode", 'df_dc = df_dd / (2.0 * trace["d"])', 'df_dc = 0.5 / np.sqrt(trace["c"])'),
    ("03_chain_rule", "train_scalar_network", "train_scalar_network", 'w1, b1 = w1 - lr * g["dC_dw1"], b1 - lr * g["dC_db1"]',
     'w1 -= lr * g["dC_dw1"]\n        b1 -= lr * g["dC_db1"]'),
    ("05_softmax", "softmax", "softmax", "E / E.sum(axis=1, keepdims=True)", "E * (1.0 / E.sum(axis=-1)[:, None])"),
    ("05_softmax", "log_softmax", "log_softmax", "S - np.log(np.exp(S).sum(axis=1, keepdims=True))", "S - np.log(np.sum(np.exp(S), axis=-1))[:, None]"),
    ("05_softmax", "cross_entropy_grad", "cross_entropy_grad", "return P / n", "return (softmax(Z) - np.eye(Z.shape[1])[labels]) / n"),
    ("05_softmax", "classifier_step", "train_classifier", "sum(W.ravel() @ W.ravel() for W, _ in params)", "sum(float(np.sum(W * W)) for W, _ in params)"),
    ("05_softmax", "classifier_step", "train_classifier", "dC_dZ /= m", "dC_dZ = dC_dZ / m"),
    ("05_softmax", "classifier_step", "train_classifier",
     "dC_dZ = np.exp(log_p)                # softmax(logits)\n            dC_dZ[rows, labels_batch] -= 1.0     # P - Y\n            dC_dZ /= m",
     "dC_dZ = cross_entropy_grad(logits, labels_batch)"),
    ("05_softmax", "classifier_step", "train_classifier", "W *= 1.0 - lr * l2               # \"weight decay\": the L2 term shrinks W\n                W -= lr * dW",
     "W -= lr * (dW + l2 * W)"),
    ("04_backprop", "train_convention", "train", "params = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]",
     "params = [(W.copy(), b.copy()) for W, b in params]\n            for (W, b), (dW, db) in zip(params, grads):\n                W -= lr * dW\n                b -= lr * db"),
    ("04_backprop", "train_convention", "train", "output, cache = forward(params, X[rows], activations)",
     "X_batch, Y_batch = X[rows], Y[rows]\n            output, cache = forward(params, X_batch, activations)\n            _ = forward(params, X, activations)"),
    ("07_generalisation", "universal_fit", "universal_fit", "2.0 * (out - y) / n", "(out - y) * (2.0 / len(y))"),
    ("06_optimizers", "adagrad", "AdaGrad", "p - self.lr * g / (np.sqrt(G) + self.eps)", "p - (self.lr / (np.sqrt(G) + self.eps)) * g"),
    ("07_generalisation", "batchnorm_backward", "batchnorm_backward", "dZ = inv_std * (g_hat - g_hat.mean(axis=0) - Z_hat * (g_hat * Z_hat).mean(axis=0))",
     "n = len(d_out)\n    dZ = (inv_std / n) * (n * g_hat - g_hat.sum(axis=0) - Z_hat * np.sum(g_hat * Z_hat, axis=0))"),
    ("04_backprop", "activations", "ACTIVATIONS", "return np.where(z > 0, z, alpha * z)", "return np.maximum(z, alpha * z)"),
    ("04_backprop", "activations", "ACTIVATIONS", "return np.maximum(z, 0.0)", "return z * (z > 0)"),
    ("04_backprop", "activations", "ACTIVATIONS", "return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0)))",
     "return np.where(z > 0, 1.0, elu(z, alpha) + alpha)"),
    ("07_generalisation", "batchnorm_forward", "batchnorm_forward", "inv_std = 1.0 / np.sqrt(var + eps)", "inv_std = (var + eps) ** -0.5"),
    ("07_generalisation", "batchnorm_inference", "batchnorm_inference", "gamma * (Z - running_mean) / np.sqrt(running_var + eps) + beta",
     "beta + gamma * (Z - running_mean[None, :]) * (running_var + eps) ** -0.5"),
]


@pytest.mark.parametrize("assignment, question, cell, old, new", GENERAL_VARIANTS, ids=[f"{v[1]}-{i}" for i, v in enumerate(GENERAL_VARIANTS)])
def test_correct_variants_of_the_general_relations_pass_with_nothing_named(assignment, question, cell, old, new):
    for kwargs in ({}, {"hidden_seed": None, "with_reference": False}):
        result = judged(assignment, question, cell, (old, new), **kwargs)
        assert result.status == "passed" and result.misconception is None, result.reason


LOOP_MISTAKES = [  # (assignment, question, cell, old, new, catalogue key): a loop bound, an update written otherwise
    ("03_chain_rule", "train_scalar_network", "train_scalar_network", "for _ in range(epochs):", "for _ in range(epochs + 1):", "epochs_off_by_one"),
    ("03_chain_rule", "train_scalar_network", "train_scalar_network", 'w1 - lr * g["dC_dw1"]', 'lr * g["dC_dw1"] - w1', "update_rule"),
    ("03_chain_rule", "train_scalar_network", "train_scalar_network", 'b2 - lr * g["dC_db2"]', 'b2', "parameter_not_updated"),
    ("03_chain_rule", "linear_neuron_step", "linear_neuron_step", '"w_new": w - lr * dL_dw', '"w_new": w - lr / dL_dw', "update_rule"),
    ("03_chain_rule", "reverse_mode", "reverse_mode", "df_db = df_dc * 1.0", "df_db = df_dc * 0.0", "chain_derivative_zero"),
    ("02_perceptron", "add_bias", "add_bias", "np.ones((X.shape[0], 1))", "np.ones((X.shape[0], 2))", "bias_column_count"),
    ("02_perceptron", "predict", "predict", "1.0, -1.0)", "2.0, -1.0)", "labels_not_signs"),
    ("02_perceptron", "margin", "margin", "np.min(y * (X_h @ w)) / np.linalg.norm(w)", "np.linalg.norm(w) / np.min(y * (X_h @ w))", "margin_factor"),
    ("02_perceptron", "novikoff_bound", "novikoff_bound", "(radius(X_h) / margin(X_h, y, w_star)) ** 2", "radius(X_h) ** 2", "bound_factor"),
    ("03_chain_rule", "forward_trace", "forward_trace", "a = x ** 2", "a = 2 ** x", "node_formula"),
    ("03_chain_rule", "forward_trace", "forward_trace", "d = np.sqrt(c)", "d = c ** 2", "node_formula"),
    ("04_backprop", "init_params", "init_params", "zip(layer_sizes[:-1], layer_sizes[1:])", "zip(layer_sizes[:-2], layer_sizes[1:])", "layer_count_off_by_one"),
    ("04_backprop", "train_convention", "train", "for _ in range(epochs):", "for _ in range(epochs - 1):", "epochs_off_by_one"),
    ("04_backprop", "train_convention", "train", "(W - lr * dW, b - lr * db)", "(W + lr * dW, b - lr * db)", "train_step_sign"),
    ("04_backprop", "train_convention", "train", "(W - lr * dW, b - lr * db)", "(W - lr * dW, b)", "train_parameter_frozen"),
    ("04_backprop", "train_convention", "train", "(W - lr * dW, b - lr * db)", "(W - dW, b - lr * db)", "train_step_without_lr"),
    # read from the trace of the loop's calls of forward and backward (autograder.judge.training_trace)
    ("04_backprop", "train_convention", "train", "for start in range(0, n, batch_size):", "for start in range(1, n, batch_size):", "train_batches"),
    ("04_backprop", "train_convention", "train", "X[rows]", "X[rows - 1]", "train_output_gradient"),
    ("04_backprop", "train_convention", "train", "mse_cost_grad(output, Y[rows])", "2 * mse_cost_grad(output, Y[rows])", "mse_grad_doubled"),
    ("04_backprop", "train_convention", "train", "mse_cost_grad(output, Y[rows])", "mse_cost_grad(output, Y[rows]) * len(rows)", "cost_not_over_n"),
    ("04_backprop", "train_convention", "train", "(W - lr * dW, b - lr * db)", "(W - lr, b - lr * db)", "train_update_rule"),
    ("05_softmax", "classifier_step", "train_classifier", "for start in range(0, n, batch_size):", "for start in range(0, n, batch_size + 1):", "classifier_batches"),
    ("05_softmax", "classifier_step", "train_classifier", "n = X.shape[0]", "n = X.shape[1]", "classifier_batches"),
    ("05_softmax", "classifier_step", "train_classifier", "dC_dZ[rows, labels_batch] -= 1.0", "dC_dZ[rows, labels_batch] -= 0.0", "ce_grad_missing_y"),
    ("05_softmax", "classifier_step", "train_classifier", "X[order], labels[order]", "X[order - 1], labels[order]", "classifier_output_gradient"),
    ("05_softmax", "classifier_step", "train_classifier", "W -= lr * dW", "W -= lr", "classifier_update_rule"),
    ("05_softmax", "classifier_step", "train_classifier", "+ m * penalty) / n", "+ penalty) / n", "penalty_miscounted"),
    ("05_softmax", "classifier_step", "train_classifier", "-log_p[rows, labels_batch].sum()", "-log_p[rows, (labels_batch + 1) % log_p.shape[1]].sum()",
     "loss_cross_entropy_term"),
    ("06_optimizers", "adagrad", "AdaGrad", "p - self.lr * g / (np.sqrt(G) + self.eps)", "p - self.lr * g * (np.sqrt(G) + self.eps)", "step_factor_misplaced"),
    ("06_optimizers", "rmsprop", "RMSprop", "p - self.lr * g / (np.sqrt(s) + self.eps)", "p - self.lr / (np.sqrt(s) + self.eps)", "step_factor_misplaced"),
    ("07_generalisation", "update_running", "update_running", "(1.0 - momentum) * batch_value", "(1.0 + momentum) * batch_value", "running_term_missing"),
    ("04_backprop", "mse", "mse_cost_grad", "(A - Y) / A.shape[0]", "(A - 2 * Y) / A.shape[0]", "mse_grad_target"),
    ("04_backprop", "mse", "mse_cost", "/ A.shape[0]", "/ A.shape[1]", "mse_over_outputs"),
    ("04_backprop", "activations", "ACTIVATIONS", "return 1.0 - np.tanh(z) ** 2", "return 1.0 + np.tanh(z) ** 2", "fprime_formula"),
    ("04_backprop", "activations", "ACTIVATIONS", "return s * (1.0 - s)", "return s / (1.0 - s)", "fprime_formula"),
    ("04_backprop", "mse", "mse_cost_grad", "(A - Y) / A.shape[0]", "A / A.shape[0]", "mse_grad_target"),
    ("04_backprop", "mse", "mse_cost_grad", "(A - Y) / A.shape[0]", "(A + Y) / A.shape[0]", "mse_grad_target"),
]


@pytest.mark.parametrize("assignment, question, cell, old, new, key", LOOP_MISTAKES, ids=[f"{m[1]}-{m[5]}-{i}" for i, m in enumerate(LOOP_MISTAKES)])
def test_loop_bounds_and_single_updates_are_named(assignment, question, cell, old, new, key):
    result = judged(assignment, question, cell, (old, new), hidden_seed=None, with_reference=False)
    assert result.status == "failed" and result.misconception == _catalogue_name(assignment, key), (result.misconception, result.reason)
    assert judged(assignment, question, cell, (old, new)).status == "failed"


def test_a_length_off_by_one_only_when_it_is():
    from autograder.judge.relations import length_shift

    assert length_shift([0] * 5, 4).kind == "length+1" and length_shift(np.zeros(3), 4).kind == "length-1"
    assert length_shift([0] * 4, 4) is None and length_shift(3.0, 4) is None and length_shift([0], 3) is None
    assert length_shift([], 1).kind == "empty" and length_shift(np.zeros((0, 3)), 5).kind == "empty" and length_shift([], 0) is None


def test_a_region_relation_only_when_every_wrong_entry_is_inside_one_region():
    z = np.array([-2.0, -0.5, 0.5, 2.0])
    regions = {"z < 0": z < 0, "z > 0": z > 0}
    right = np.maximum(z, 0.0)
    assert region_relation(np.where(z > 0, z, 1.0), right, regions).key == "region:z < 0"
    assert region_relation(np.where(z > 0, 2 * z, 0.0), right, regions).key == "region:z > 0"
    assert region_relation(np.where(z > 0, z, 0.0)[[0, 1, 2, 2]], right, regions).key == "region:z > 0"  # one entry of the region wrong
    assert region_relation(-right - 1.0, right, regions) is None  # wrong on both sides
    assert region_relation(right, right, regions) is None
    assert region_relation(right + 1.0, right, {"all": np.ones(4, dtype=bool)}) is None  # no right entry outside the region


def test_a_scaled_term_only_when_the_difference_is_one_multiple_of_one_term():
    from autograder.judge.relations import scaled_term

    rng = np.random.default_rng(5)
    a, b = rng.normal(size=6), rng.normal(size=6)
    right = a + b
    assert scaled_term(a + 3.0 * b, right, {"a": a, "b": b}).key == "scaled:b"
    assert "taken 3 times" in scaled_term(a + 3.0 * b, right, {"a": a, "b": b}).text
    assert scaled_term(a + b + rng.normal(size=6), right, {"a": a, "b": b}) is None  # off by something else
    assert scaled_term(right, right, {"a": a}) is None
    assert scaled_term(2.0 * right, right, {"all": right}) is None  # a term proportional to the whole: a factor, not a term
    assert scaled_term(np.array(2.0), np.array(1.0), {"x": np.array(0.5)}) is None  # one entry: any value would fit
    lone = np.eye(1, 6)[0]  # nonzero in one entry only
    assert scaled_term(right + 2.0 * lone, right, {"e": lone}) is None


def test_a_column_relation_only_when_every_column_is_off_by_its_own_constant_or_factor():
    rng = np.random.default_rng(3)
    right = rng.normal(size=(5, 3))
    assert column_relation(right + [1.0, -2.0, 0.5], right).key == "column_shift"
    assert column_relation(right * [2.0, 0.5, 3.0], right).key == "column_factor"
    assert column_relation(-right, right).key == "sign"  # -1 in every column
    assert column_relation(right, right) is None
    assert column_relation(right + rng.normal(size=(5, 3)), right) is None  # off by something else
    assert column_relation(right[:1] * 2.0, right[:1]) is None  # one row: any value would be related
    with_zero = right.copy()
    with_zero[0, 0] = 0.0
    assert column_relation(with_zero * 2.0 + np.eye(5, 3)[0] * 1.0, with_zero) is None  # an entry that is 0 must stay 0


def test_a_trace_that_is_not_the_probes_record_explains_nothing_and_never_passes_a_failure():
    """The trace comes from the student's process: a forged one (wrong types, a huge call list, rows out of
    range) names nothing, costs no time, and a failing check still fails."""
    import time

    from autograder.judge.training_trace import Recipe, explain, explained

    recipe = Recipe(lambda output, rows: (output, {}), lr=0.1, n=4, batch_size=2)
    step = {"call": "forward", "rows": [0, 1], "params": [[np.zeros((1, 1)), np.zeros(1)]], "output": np.zeros((2, 1))}
    forged = [
        {"rows": "x", "sizes": [1], "n": 4, "trained": [0], "calls": [], "steps": 0, "result": None},
        {"rows": np.arange(4), "sizes": [2, 2], "n": 4, "trained": [7, 9], "calls": [], "steps": 0, "result": None},
        {"rows": np.arange(4), "sizes": [2, 2], "n": 4, "trained": [0, 1], "calls": [step] * 200_000, "steps": 1, "result": None},
        None, 3.0, [],
    ]
    start = time.perf_counter()
    assert [explain(run, recipe) for run in forged] == [None] * len(forged)
    assert time.perf_counter() - start < 5.0  # a bound far above what the checks take, not a benchmark

    def failing(got, oracles):
        raise Mismatch("wrong")

    for run in forged:
        with pytest.raises(Mismatch) as failure:
            explained(failing, [recipe])(run, None)
        assert failure.value.message.startswith("wrong")
