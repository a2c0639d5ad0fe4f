"""Naming a wrong value in any question (autograder/judge/wrong_values.py).

Every rule of the kit-wide table is reached by a relation that the relation functions really find
between a wrong value and the right one; a relation no rule knows names nothing; a question's own
table wins over the kit-wide rule; through the grader, a backward pass that sends the wrong
error back (a mistake no catalogue entry describes) loses its points with the equation named; and
the layer-by-layer comparisons keep expected values out of hidden cases' reasons.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.judge import laws, relations as r
from autograder.judge.compare import Mismatch, expect_array
from autograder.judge.misconceptions import relation
from autograder.judge.networks import first_wrong_step, forward_pass, layer_pairs
from autograder.judge.wrong_values import WRONG_VALUES, diagnose, rule_for
from autograder.questions.optimizers import _init_check
from autograder.questions.softmax import _rows_sum_to_one
from test_contracts import judged

E = np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.5], [2.0, 1.0, 4.0]])
T = np.array([[0.5, 0.0, 1.0], [0.0, 2.0, -1.0], [1.5, 0.0, 0.5]])
P = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3], [0.3, 0.3, 0.4]])  # rows sum to 1

# rule key -> the relation found between a wrong value and the right one that reaches it
FOUND = {
    "sign": lambda: relation(-E, E),
    "times_n": lambda: relation(3.0 * E, E, n=3),
    "over_n": lambda: relation(E / 3.0, E, n=3),
    "times_2": lambda: relation(2.0 * E, E),
    "half": lambda: relation(0.5 * E, E),
    "transposed": lambda: relation(E.T, E),
    "constant": lambda: relation(E + 0.75, E),
    "zeros": lambda: relation(np.zeros_like(E), E),
    "index_shift": lambda: r.index_shift(np.r_[E[1:, 0], 7.0], E[:, 0]),
    "count_off_by_one": lambda: r.length_shift([1, 2, 3, 4], 3),
    "term_missing": lambda: r.term_relation(E - T, E, {"penalty": T}),
    "term_twice": lambda: r.term_relation(E + T, E, {"penalty": T}),
    "term_sign": lambda: r.flipped_term(E - 2.0 * T, E, {"penalty": T}),
    "term_coefficient": lambda: r.scaled_term(E + 0.5 * T, E, {"penalty": T}),
    "factor_missing": lambda: r.factor_relation(0.7 * 0.35, 0.7 * -1.9 * 0.35, {"delta2": 0.7, "w2": -1.9, "1 - a1": 0.35}),
    "factor_inverted": lambda: r.factor_relation(0.7 / -1.9 * 0.35, 0.7 * -1.9 * 0.35, {"delta2": 0.7, "w2": -1.9, "1 - a1": 0.35}),
    "factor_twice": lambda: r.factor_relation(0.7 * 1.9**2 * 0.35, 0.7 * -1.9 * 0.35, {"delta2": 0.7, "w2": -1.9, "1 - a1": 0.35}),
    "wrong_axis": lambda: r.normalised_axis(P.T, right=1),
    "one_region": lambda: r.region_relation(np.where(E < 0, 0.0, E), np.where(E < 0, 0.01 * E, E), {"z < 0": E < 0}),
    "column_constant": lambda: r.column_relation(E + np.array([1.0, -2.0, 0.5]), E),
    "column_factor": lambda: r.column_relation(E * np.array([2.0, 3.0, 0.5]), E),
    "affine_step": lambda: _wrong_step(lambda cache: cache["Z"][1].__iadd__(0.5)),
    "layer_activation": lambda: _wrong_step(lambda cache: cache["A"][1].__imul__(1.5)),
    "output_error": lambda: r.backprop_equation({"dW1", "db1", "dW2", "db2"}, 2),
    "error_sent_back": lambda: r.backprop_equation({"dW1", "db1"}, 3),
    "bias_gradient": lambda: r.backprop_equation({"db2"}, 2),
    "weight_gradient": lambda: r.backprop_equation({"dW1", "dW2"}, 2),
    "not_finite": lambda: _raised(lambda: expect_array(np.array([1.0, np.inf]), (2,), "f()")),
    "one_number": lambda: _raised(lambda: expect_array(np.float64(2.0), (5, 3), "f()")),
    "one_row": lambda: _raised(lambda: expect_array(np.ones(3), (5, 3), "f()")),
    "sum_other_axis": lambda: _raised(lambda: layer_pairs([(np.ones((2, 3)), np.ones(5))], [2, 3], "backward's result", ("dW", "db"), batch=5)),
    "changed_in_place": lambda: relation_key(r.IN_PLACE),
    "empty": lambda: r.length_shift([], 3),
    "mirrored": lambda: r.argument_relation(np.maximum(-E, 0.0), lambda c: np.maximum(c * E, 0.0)),
    "negated_mirror": lambda: r.argument_relation(np.minimum(E, 0.0), lambda c: np.maximum(c * E, 0.0)),
    "argument_scaled": lambda: r.argument_relation(np.tanh(E), lambda c: np.tanh(0.5 * c * E)),
    "law_zero": lambda: _broken(laws.zero_where("cost", "A = Y", lambda A, Y: [Y, Y]), lambda A, Y: float(np.sum(A + Y)), E, T),
    "law_mean": lambda: _broken(laws.repeated("cost", "mean", 0, 1), lambda A, Y: float(np.sum((A - Y) ** 2)), E, T),
    "law_mean_gradient": lambda: _broken(laws.repeated("gradient", "mean_gradient", 0, 1), lambda A, Y: A - Y, E, T),
    "law_sum_columns": lambda: _broken(laws.repeated("cost", "sum_over_columns", 0, 1, axis=1), lambda A, Y: float(np.mean((A - Y) ** 2)), E, T),
    "law_degree": lambda: _broken(laws.degree("cost", "A", 2, lambda args, c: [c * args[0]]), lambda A: float(np.sum(A * 2)), E),
    "law_step": lambda: _broken(laws.identity("halving eps changes nothing", image=lambda v, *a: v, transform=lambda x, eps: [x, eps / 2],
                                              relation="law:step"), lambda x, eps: (np.sin(x + eps) - np.sin(x)) / eps ** 2, 0.3, 1e-3),
    "law_average": lambda: _broken(laws.identity("an average of equal values is that value", transform=lambda r, b: [r, r], image=lambda v, r, b: r,
                                                 relation="law:average"), lambda r, b: 0.9 * r + 0.9 * b, E, T),
    "law_scale": lambda: _broken(laws.identity("kept entries are 1 / (1 - p)", image=lambda v, p: (v != 0).astype(float), measure=lambda v, p: v * (1 - p),
                                               relation="law:scale"), lambda p: np.array([0.0, 1.0, 1.0]), 0.5),
    "unreduced": lambda: _raised(lambda: expect_array(np.ones((5, 3)), (5,), "f()")),
    "other_part": lambda: r.other_part(E.sum(axis=0), {"dbeta": E.sum(axis=0), "dZ": E}),
    "law_sum_entries": lambda: _broken(laws.identity("two copies double it", transform=lambda W: [np.hstack([W, W])], image=lambda v, *a: 2.0 * v,
                                                     relation="law:sum:entries"), lambda W: float(np.mean(W ** 2)), E),
    "constant_draw": lambda: _relation_raised(lambda: _init_check("xavier", 40, 50, 0)(np.full((40, 50), 0.2), None)),
    "complement": lambda: relation(1.0 - P, P),
    "law_normalised": lambda: _relation_raised(lambda: _rows_sum_to_one(2.0 * P, "softmax(Z)")),
    "law_identity": lambda: _broken(laws.identity("f(-z) = 1 - f(z)", transform=lambda z: [-z], image=lambda v, z: 1.0 - v), np.tanh, E),
}


def _broken(law, fn, *args):
    """The relation a law case of ``law`` raises for the implementation ``fn`` (its calls made here, as the probe makes them)."""
    case = laws.law_case("the law", "f", args, (law,))
    values = [fn(*variant) for variant in case.args]
    with pytest.raises(Mismatch) as refused:
        case.judge(values, None)
    return relation_key(refused.value.relation)


def _wrong_step(spoil):
    """The step a forward pass's cache first goes wrong at, after ``spoil`` changed one of its entries in place."""
    params = [(np.array([[1.0, -2.0], [0.5, 0.25]]), np.array([0.1, -0.2])), (np.array([[1.5], [-1.0]]), np.array([0.3]))]
    X, activations = np.array([[1.0, 2.0], [-1.0, 0.5], [0.25, -2.0]]), ["tanh", "identity"]
    cache = forward_pass(params, X, activations)[1]
    spoil(cache)
    return first_wrong_step(cache, params, X, activations)


def _raised(check):
    """The relation a failing comparison raises (a shape or a non-finite value is refused before any value is compared)."""
    with pytest.raises(Mismatch) as refused:
        check()
    return relation_key(refused.value.symptom)


def _relation_raised(check):
    """The relation key a failing check raises."""
    with pytest.raises(Mismatch) as refused:
        check()
    return relation_key(refused.value.relation)


def relation_key(key: str):
    """A stand-in for a relation that no value shows (an argument changed in place is seen by the probe)."""
    return type("Found", (), {"key": key})()


def test_shapes_that_say_nothing_about_what_was_lost_name_nothing():
    assert r.shape_relation((4,), (3,)) is None and r.shape_relation((5, 3), (5, 3, 1)) is None and r.shape_relation((3,), (1, 3)) is None


def test_every_rule_is_reached_by_a_relation_found_between_values():
    assert sorted(FOUND) == sorted(rule.key for rule in WRONG_VALUES), "each rule of the wrong-value table needs an example here"
    for key, find in FOUND.items():
        found = find()
        assert found is not None, key
        rule, _ = rule_for(found.key)
        assert rule.key == key, (key, found.key, rule.key)


@pytest.mark.parametrize("rule", WRONG_VALUES, ids=lambda rule: rule.key)
def test_every_rule_names_the_mistake_with_its_fields_filled_in(rule):
    name, hint = diagnose(FOUND[rule.key]().key)
    assert name and hint and "{" not in name and "{" not in hint.replace("{l+1}", "").replace("{l-1}", "")
    if "(?P<term>" in rule.pattern:
        assert "'penalty'" in name


@pytest.mark.parametrize("key", [None, "", "factor:3", "missing", "equation:BP5", "a sign"])
def test_a_relation_no_rule_knows_names_nothing(key):
    assert diagnose(key) is None


def test_backward_sending_the_incoming_gradient_back_names_the_propagation_equation():
    """delta_l is right at the output, but the error sent to the layer below skips f'(Z) of the layer above:
    no catalogue entry of 04 describes it, so the pattern of right and wrong layers names the equation."""
    result = judged("04_backprop", "backward", "backward", ("dA = delta @ params[l][0].T", "dA = dA @ params[l][0].T"), hidden_seed=None)
    assert result.status == "failed" and result.points == 0, result.reason
    assert result.misconception == "the error sent back to the layers below", (result.misconception, result.reason)
    assert "dW3 and db3 match" in result.reason and "delta_{l+1} @ W_{l+1}.T" in result.hint


def test_softmax_backward_multiplying_the_pre_activation_below_names_the_weight_equation():
    """dW of a layer from Z of the layer below instead of its activation A = relu(Z): every delta (so every db) is right."""
    wrong = ('grads[l] = (cache["A"][l].T @ delta,', 'grads[l] = ((cache["Z"][l - 1] if l > 0 else cache["A"][0]).T @ delta,')
    result = judged("05_softmax", "classifier_step", "backprop_pieces", wrong, hidden_seed=None)
    assert result.status == "failed" and result.points == 0, result.reason
    assert result.misconception == "the weight gradient's formula" and "A_{l-1}.T @ delta_l" in result.hint, (result.misconception, result.reason)


@pytest.mark.parametrize("cls, question, change, name, says", [
    ("GradientDescent", "gradient_descent", ("p - self.lr * g", "self.lr * g - p"), "the opposite sign", "The parameters you return are of the wrong sign"),
    ("GradientDescent", "gradient_descent", ("p - self.lr * g", "p - self.lr"), "a factor of the product missing", "without the factor 'g'"),
    ("Momentum", "momentum", ("p - self.lr * v", "p - self.lr"), "a factor of the product missing", "without the factor 'g'"),
])
def test_an_optimizer_step_no_catalogue_entry_describes_is_named_by_its_relation(cls, question, change, name, says):
    result = judged("06_optimizers", question, cls, change, hidden_seed=None)
    assert result.status == "failed" and result.points == 0, result.reason
    assert result.misconception == name and says in result.reason, (result.misconception, result.reason)


@pytest.mark.parametrize("assignment, question, cell, change, name", [
    ("04_backprop", "forward", "forward", ("Z = A @ W + b", "Z = A @ W - b"), "a layer's affine step Z = A_prev @ W + b"),
    ("04_backprop", "forward", "forward", ("A = ACTIVATIONS[name][0](Z)", "A = ACTIVATIONS[name][0](Z) * 1.5"), "a layer's activation A = f(Z)"),
    ("05_softmax", "classifier_step", "backprop_pieces", ("return np.maximum(z, 0.0)", "return np.maximum(z, 1.0)"), "a layer's activation A = f(Z)"),
    ("06_optimizers", "gradient_norms", "backprop_pieces", ("return np.maximum(z, 0.0)", "return np.maximum(z, 1.0)"), "a layer's activation A = f(Z)"),
])
def test_a_forward_pass_is_named_by_the_step_where_it_first_goes_wrong(assignment, question, cell, change, name):
    result = judged(assignment, question, cell, change, hidden_seed=None)
    assert result.status == "failed" and result.points == 0, result.reason
    assert result.misconception == name, (result.misconception, result.reason)


@pytest.mark.parametrize("change, says", [
    (("return s * (1.0 - s)", "return s * (1.0 + s)"), "the term 's**2' of the opposite sign"),
    (("return s * (1.0 - s)", "return s * (0.0 - s)"), "without the term 's'"),
    (("return s * (1.0 - s)", "return s * (2.0 - s)"), "plus the term 's' once more"),
])
def test_a_relation_the_questions_table_maps_names_its_own_entry_not_the_kit_wide_one(change, says):
    """sigma'(z) = s - s**2 compared term by term: the relation found is 04's f_prime entry, in 04's words."""
    result = judged("04_backprop", "activations", "ACTIVATIONS", change, hidden_seed=None)
    assert result.status == "failed" and result.misconception == "f_prime formula wrong" and says in result.reason, (result.misconception, result.reason)


@pytest.mark.parametrize("assignment, question, cell, change", [
    ("05_softmax", "classifier_step", "backprop_pieces", ("return np.maximum(z, 0.0)", "return np.maximum(z, 1.0)")),  # forward's output wrong
    ("05_softmax", "classifier_step", "backprop_pieces", ('grads[l] = (cache["A"][l].T @ delta,', 'grads[l] = (2.5 * cache["A"][l].T @ delta,')),
    ("06_optimizers", "gradient_norms", "backprop_pieces", ("return np.maximum(z, 0.0)", "return np.maximum(z, 1.0)")),
])
def test_the_layer_by_layer_comparisons_show_no_expected_value_on_hidden_cases(assignment, question, cell, change):
    result = judged(assignment, question, cell, change, only_hidden=True)
    assert result.status == "failed" and "hidden case" in result.reason, result.reason
    assert "expected" not in result.reason.replace("expected (", ""), result.reason  # a shape may be named, never an entry's value


def test_gradients_fed_by_the_students_own_forward_pass_name_no_backprop_equation():
    """04's gradients question runs the student's forward, mse_cost_grad and backward together: with forward wrong, the
    pattern of wrong gradients says nothing about backward's equations, so none is named (forward's question names it)."""
    result = judged("04_backprop", "gradients", "forward", ("Z = A @ W + b", "Z = A @ W - b"), hidden_seed=None)
    assert result.status == "failed" and result.points == 0, result.reason
    assert result.misconception is None, (result.misconception, result.reason)
