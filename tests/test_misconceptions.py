"""The catalogue of misconceptions: is every entry caught AND named, on the right question?

Every entry of every assignment's catalogue has a wrong answer below that makes it appear
(written as a student would, by changing one thing in the solution's cell), graded here; a new
assignment or entry without one fails :func:`test_every_catalogue_entry_is_named_by_a_graded_wrong_answer`.
Correct variants (loops, einsum, other formulas) must pass with no misconception named. Wrong
answers that touch different cells and different questions share a submission, so the whole
file needs a few dozen gradings.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import ROOT, by_question, grade
from typer.testing import CliRunner

from test_chain_rule import AUTOGRAD_ALIASED
from test_generalisation import SUBMISSIONS as GENERALISATION_WRONG
from test_relations import GENERAL_MISTAKES, LOOP_MISTAKES, OPTIMIZER_MISTAKES, SHARED_STATE

from autograder import course
from autograder.course import notebook as nb
from autograder.cli import app
from autograder.judge.crashes import CRASHES
from autograder.judge.wrong_values import WRONG_VALUES
from autograder.judge.engine import plan
from autograder.judge.misconceptions import DETECTION, locate, relation
from autograder.judge.question import Oracles
from autograder.submission import evaluate
from autograder.outputs.writers import feedback_html, feedback_markdown

ASSIGNMENTS = tuple(course.assignments())
STUB = "def {name}(*args, **kwargs):\n    raise NotImplementedError()\n"


def solution(assignment: str, grade_id: str) -> str:
    """The solution's answer cell without the nbgrader markers."""
    cells = {c.label: c.source for c in nb.solution_cells(nb.read(course.solution_path(course.get_assignment(assignment), ROOT)))}
    return "\n".join(line for line in cells[grade_id].splitlines() if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)


def mutate(assignment: str, grade_id: str, *changes: tuple[str, str]) -> str:
    """The solution's cell with each ``old`` replaced by ``new``: one typical mistake."""
    source = solution(assignment, grade_id)
    for old, new in changes:
        assert old in source, f"{old!r} is not in the solution of {assignment}/{grade_id}"
        source = source.replace(old, new)
    return source


# --- wrong answers: (cells, {question: catalogue key}) per assignment ------------------

G, P, C, B, S, O, N = "01_gates", "02_perceptron", "03_chain_rule", "04_backprop", "05_softmax", "06_optimizers", "07_generalisation"
ADAM_LOOP = "        for p, m, v in zip(params, self.first_moment, self.second_moment):\n"
WRONG: dict[str, list[tuple[dict[str, str], dict[str, str]]]] = {
    G: [
        ({"step": "def step(z):\n    return (np.asarray(z) >= 0).astype(float)\n"}, {"step": "step_zero_is_one"}),
        ({"step": "def step(z):\n    return np.sign(z).astype(float)\n"}, {"step": "step_returns_sign"}),
        ({"step": "def step(z):\n    return (np.asarray(z) < 0).astype(float)\n"}, {"step": "step_inverted"}),
        ({"neuron": "def neuron(X, w, b, activation=step):\n    return step(X @ w + b)\n"}, {"neuron": "activation_ignored"}),
        ({"gate_weights": mutate(G, "gate_weights", ('"AND": ([1.0, 1.0], -1.5)', '"AND": ([1.0, 1.0], -1.99)'))}, {"gate_margin": "weights_on_the_boundary"}),
        ({"neuron": mutate(G, "neuron", ("X @ w + b", "X @ w - b"))}, {"neuron": "bias_sign"}),
        ({"neuron": mutate(G, "neuron", ("X @ w + b", "X @ w"))}, {"neuron": "bias_missing"}),
        ({"neuron": mutate(G, "neuron", ("X @ w + b", "X * w + b"))}, {"neuron": "elementwise_product"}),
        ({"gate_weights": mutate(G, "gate_weights", ('"OR": ([1.0, 1.0], -0.5)', '"OR": ([1.0, 1.0], 0.5)'))}, {"gate_weights": "bias_sign"}),
        ({"gate_weights": mutate(G, "gate_weights", ('"AND": ([1.0, 1.0], -1.5)', '"AND": ([2.0, 1.0], -1.5)'))}, {"gate_weights": "gate_inputs_unequal"}),
        ({"gate_weights": mutate(G, "gate_weights", ('"NAND": ([-1.0, -1.0], 1.5)', '"NAND": ([-1.0, -1.0], 3.0)'))}, {"gate_weights": "gate_output_constant"}),
        ({"gate_weights": mutate(G, "gate_weights", ('"AND": ([1.0, 1.0], -1.5)', '"AND": ([1.0, 1.0], -0.5)'))}, {"gate_weights": "gate_computes_another"}),
        ({"xor_network": mutate(G, "xor_network", ("b1 = np.array([-0.5, 1.5])", "b1 = np.array([-0.5, 0.5])"))}, {"xor_network": "xor_hidden_layer"}),
        ({"xor_network": mutate(G, "xor_network", ("b2 = -1.5", "b2 = -0.5"))}, {"xor_network": "xor_output_neuron"}),
    ],
    P: [
        ({"add_bias": "def add_bias(X):\n    return np.hstack([X, np.ones((X.shape[0], 1))])\n"}, {"add_bias": "bias_column_last"}),
        ({"predict": "def predict(X_h, w):\n    return np.where(X_h @ w > 0, 1.0, 0.0)\n"}, {"predict": "labels_01"}),
        ({"predict": "def predict(X_h, w):\n    return np.sign(X_h @ w)\n"}, {"predict": "sign_of_zero"}),
        ({"predict": "def predict(X_h, w):\n    return np.where(X_h @ w >= 0, 1.0, -1.0)\n"}, {"predict": "zero_counts_positive"}),
        ({"perceptron_train": mutate(P, "perceptron_train", ("<= 0", "< 0"))}, {"perceptron_train": "strict_inequality", "eta_invariance": "strict_inequality"}),
        ({"perceptron_train": mutate(P, "perceptron_train", ("w = w + eta", "w += eta"), ("history.append(w.copy())", "history.append(w)"))},
         {"perceptron_train": "history_aliasing"}),
        ({"perceptron_train": mutate(P, "perceptron_train", ("history.append(w.copy())", "history.append(w - eta * y_i * x_i)"))},
         {"perceptron_train": "history_before_update"}),
        ({"perceptron_train": mutate(P, "perceptron_train", ("w = np.zeros(X_h.shape[1])", "w = np.ones(X_h.shape[1])"))}, {"perceptron_train": "nonzero_start"}),
        ({"perceptron_train": mutate(P, "perceptron_train", ("w = w + eta * y_i * x_i", "w = w + y_i * x_i"))},
         {"perceptron_train": "invalid_update", "eta_invariance": "eta_changes_run"}),
        ({"perceptron_train": mutate(P, "perceptron_train", ("if y_i * (w @ x_i) <= 0:", "if True:"))}, {"perceptron_train": "update_on_correct_sample"}),
        ({"perceptron_train": mutate(P, "perceptron_train", ("zip(X_h, y)", "zip(X_h[::-1], y[::-1])"))}, {"perceptron_train": "sweep_order"}),
        ({"perceptron_train": mutate(P, "perceptron_train", ('"epochs": epochs,', '"epochs": epochs - 1,'))}, {"perceptron_train": "epochs_off_by_one"}),
        ({"perceptron_train": mutate(P, "perceptron_train", ('"converged": converged,', '"converged": True,'))}, {"perceptron_xor": "converged_on_xor"}),
        ({"margin": mutate(P, "margin", (" / np.linalg.norm(w)", ""))}, {"margin": "margin_not_normalised"}),
        ({"margin": mutate(P, "margin", ("np.min(", "np.max("))}, {"margin": "margin_largest"}),
        ({"radius": mutate(P, "radius", ("np.max(", "np.min("))}, {"radius": "radius_smallest"}),
        ({"novikoff_bound": mutate(P, "novikoff_bound", ("(radius(X_h) / margin(X_h, y, w_star)) ** 2", "(margin(X_h, y, w_star) / radius(X_h)) ** 2"))},
         {"novikoff_bound": "bound_inverted"}),
        ({"predict": "def predict(X_h, w):\n    return np.where(X_h @ w < 0, 1.0, -1.0)\n"}, {"predict": "labels_reversed"}),
        ({"add_bias": "def add_bias(X):\n    return np.hstack([np.zeros((X.shape[0], 1)), X])\n"}, {"add_bias": "bias_column_not_ones"}),
        ({"margin": mutate(P, "margin", ("y * (X_h @ w)", "np.abs(X_h @ w)"))}, {"margin": "margin_ignores_labels"}),
        ({"radius": "def radius(X_h):\n    return float(np.max(np.sum(X_h ** 2, axis=1)))\n"}, {"radius": "radius_squared"}),
        ({"radius": "def radius(X_h):\n    return float(np.linalg.norm(X_h))\n"}, {"radius": "radius_matrix_norm"}),
        ({"radius": mutate(P, "radius", ("axis=1", "axis=0"))}, {"radius": "radius_wrong_axis"}),
        ({"novikoff_bound": mutate(P, "novikoff_bound", (") ** 2", ")"))}, {"novikoff_bound": "bound_not_squared"}),
    ],
    B: [
        ({"backward": mutate(B, "backward", ("for l in reversed(range(len(params))):", "for l in reversed(range(1, len(params))):"))}, {"backward": "layer_skipped"}),
        ({"ACTIVATIONS": mutate(B, "ACTIVATIONS", ("s = sigmoid(z)\n    return s * (1.0 - s)", "return z * (1.0 - z)"))}, {"activations": "fprime_of_a"}),
        ({"ACTIVATIONS": mutate(B, "ACTIVATIONS", ("return np.where(z > 0, 1.0, 0.0)", "return np.ones_like(z)"))}, {"activations": "kink_negative_slope"}),
        ({"ACTIVATIONS": mutate(B, "ACTIVATIONS", ("return np.where(z > 0, z, alpha * z)", "return np.where(z > 0, z, alpha)"))}, {"activations": "negative_branch"}),
        ({"ACTIVATIONS": mutate(B, "ACTIVATIONS", ("return np.where(z > 0, 1.0, alpha * np.exp(", "return np.where(z > 0, z, alpha * np.exp("))},
         {"activations": "positive_branch"}),
        ({"init_params": mutate(B, "init_params", (" / np.sqrt(n_in)", ""))}, {"init_params": "init_not_scaled"}),
        ({"init_params": mutate(B, "init_params", ("size=(n_in, n_out)", "size=(n_out, n_in)"))}, {"init_params": "init_w_transposed"}),
        ({"forward": mutate(B, "forward", ("A = ACTIVATIONS[name][0](Z)", "A = ACTIVATIONS[name][0](Z) if len(cache['Z']) < len(params) - 1 else Z"))},
         {"forward": "output_activation_missing"}),
        ({"mse_cost": mutate(B, "mse_cost", (" / A.shape[0]", ""))}, {"mse": "cost_not_over_n"}),
        ({"mse_cost_grad": mutate(B, "mse_cost_grad", (" / A.shape[0]", ""))}, {"mse": "cost_not_over_n", "gradients": "cost_not_over_n"}),
        ({"mse_cost": "def mse_cost(A, Y):\n    return 0.5 * np.mean((A - Y) ** 2)\n"}, {"mse": "mse_over_every_entry"}),
        ({"mse_cost_grad": "def mse_cost_grad(A, Y):\n    return (A - Y) / A.size\n"}, {"mse": "mse_over_every_entry"}),
        ({"mse_cost": mutate(B, "mse_cost", ("0.5 * ", ""))}, {"mse": "mse_half_missing"}),
        ({"mse_cost_grad": mutate(B, "mse_cost_grad", ("(A - Y)", "2 * (A - Y)"))}, {"mse": "mse_grad_doubled", "gradients": "mse_grad_doubled"}),
        ({"mse_cost_grad": mutate(B, "mse_cost_grad", ("(A - Y)", "(Y - A)"))}, {"mse": "mse_grad_sign", "gradients": "backward_sign"}),
        ({"backward": mutate(B, "backward", ("delta.sum(axis=0))", "delta)"))}, {"backward": "db_not_summed", "gradients": "db_not_summed"}),
        ({"backward": mutate(B, "backward", ("delta.sum(axis=0))", "delta.mean(axis=0))"))}, {"backward": "db_averaged"}),
        ({"backward": mutate(B, "backward", ('delta = dA * ACTIVATIONS[activations[l]][1](cache["Z"][l])', "delta = dA"))}, {"backward": "missing_fprime"}),
        ({"backward": mutate(B, "backward", ('delta = dA * ACTIVATIONS[activations[l]][1](cache["Z"][l])',
                                              'delta = dA if l == len(params) - 1 else dA * ACTIVATIONS[activations[l]][1](cache["Z"][l])'))},
         {"backward": "missing_fprime_output"}),
        ({"backward": mutate(B, "backward", ('[1](cache["Z"][l])', '[1](cache["A"][l + 1])'))}, {"backward": "backward_fprime_of_a"}),
        ({"backward": mutate(B, "backward", ("dA = delta @ params[l][0].T", "dA = delta @ params[l][0]"))}, {"backward": "w_not_transposed"}),
        ({"backward": mutate(B, "backward", ('(cache["A"][l].T @ delta', '(cache["A"][l + 1].T @ delta'))}, {"backward": "input_off_by_one"}),
        ({"backward": mutate(B, "backward", ("dA = delta @ params[l][0].T", "dA = delta @ params[l - 1][0].T"))}, {"backward": "weights_off_by_one"}),
        ({"backward": mutate(B, "backward", ('grads[l] = (cache["A"][l].T @ delta, delta.sum(axis=0))', 'grads[l] = (-(cache["A"][l].T @ delta), -delta.sum(axis=0))'))},
         {"backward": "backward_sign"}),
        ({"backward": mutate(B, "backward", ('grads[l] = (cache["A"][l].T @ delta, delta.sum(axis=0))',
                                              'grads[l] = (cache["A"][l].T @ delta / len(delta), delta.sum(axis=0) / len(delta))'))},
         {"backward": "divided_by_n_twice"}),
        ({"numerical_gradient": mutate(B, "numerical_gradient", ("/ (2 * eps)", "/ eps"))}, {"numerical_gradient": "numgrad_missing_2"}),
        ({"numerical_gradient": mutate(B, "numerical_gradient", ("(f_plus - f_minus)", "(f_minus - f_plus)"))}, {"numerical_gradient": "numgrad_reversed"}),
        ({"numerical_gradient": mutate(B, "numerical_gradient", ("(f_plus - f_minus) / (2 * eps)", "(f_plus - f_minus)"))}, {"numerical_gradient": "numgrad_not_divided"}),
        ({"numerical_gradient": mutate(B, "numerical_gradient", ("/ (2 * eps)", "/ (4 * eps)"))}, {"numerical_gradient": "numgrad_extra_2"}),
        ({"numerical_gradient": mutate(B, "numerical_gradient", ("P[index] = old - eps\n                f_minus = f(work)", "P[index] = old\n                f_minus = f(work)"),
                                       ("/ (2 * eps)", "/ eps"))}, {"numerical_gradient": "forward_difference"}),
        ({"backward": (
            "def backward(params, cache, dC_dA_out, activations):\n"
            "    grads = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]\n"
            "    for i in range(dC_dA_out.shape[0]):\n"
            "        dA = dC_dA_out[i:i + 1]\n"
            "        for l in reversed(range(len(params))):\n"
            "            delta = dA * ACTIVATIONS[activations[l]][1](cache['Z'][l][i:i + 1])\n"
            "            grads[l] = (grads[l][0] + cache['A'][l][i:i + 1].T @ delta, grads[l][1] + delta[0])\n"
            "            dA = delta @ params[l][0].T\n"
            "    return grads\n")}, {"vectorised": "loop_over_samples"}),
        ({"train": mutate(B, "train", ("rows_in_order = shuffler.permutation(n)", "rows_in_order = np.arange(n)"))}, {"train_convention": "train_not_shuffled"}),
        ({"train": mutate(B, "train", ("rows_in_order = shuffler.permutation(n)", "rows_in_order = np.random.default_rng(seed).permutation(n)"))},
         {"train_convention": "train_shuffled_once"}),
    ],
    S: [
        ({"backprop_pieces": mutate(S, "backprop_pieces", ("for l in range(len(params) - 1, -1, -1):", "for l in range(len(params) - 1, 0, -1):"))},
         {"classifier_step": "layer_skipped"}),
        ({"one_hot": "def one_hot(labels, num_classes):\n    return np.eye(int(np.max(labels)) + 1)[labels]\n"}, {"one_hot": "one_hot_width"}),
        ({"one_hot": mutate(S, "one_hot", ("[np.asarray(labels, dtype=np.int64)]", "[np.asarray(labels, dtype=np.int64) - 1]"))}, {"one_hot": "one_hot_off_by_one"}),
        ({"softmax": mutate(S, "softmax", ("Z - Z.max(axis=1, keepdims=True)", "Z"))}, {"softmax_stable": "unstable_softmax"}),
        ({"softmax": mutate(S, "softmax", ("axis=1", "axis=0"))}, {"softmax": "softmax_wrong_axis"}),
        ({"softmax": mutate(S, "softmax", ("Z.max(axis=1, keepdims=True)", "Z.max()"))}, {"softmax_stable": "softmax_global_max"}),
        ({"log_softmax": "def log_softmax(Z):\n    return np.log(softmax(Z))\n"}, {"log_softmax": "log_of_softmax"}),
        ({"log_softmax": mutate(S, "log_softmax", ("axis=1", "axis=0"))}, {"log_softmax": "log_softmax_wrong_axis"}),
        ({"cross_entropy": "def cross_entropy(Z, labels):\n    return float(-np.mean(np.log(softmax(Z))[np.arange(len(labels)), labels]))\n"},
         {"cross_entropy": "unstable_cross_entropy"}),
        ({"cross_entropy": mutate(S, "cross_entropy", ("np.mean", "np.sum"))}, {"cross_entropy": "ce_sum"}),
        ({"cross_entropy": mutate(S, "cross_entropy", ("float(-np.mean", "float(np.mean"))}, {"cross_entropy": "ce_sign"}),
        ({"cross_entropy": mutate(S, "cross_entropy", ("[np.arange(len(labels)), labels]", "[:, labels]"))}, {"cross_entropy": "ce_wrong_class"}),
        ({"cross_entropy_grad": "def cross_entropy_grad(Z, labels):\n    return (one_hot(labels, Z.shape[1]) - softmax(Z)) / Z.shape[0]\n"},
         {"cross_entropy_grad": "ce_grad_sign"}),
        ({"cross_entropy_grad": mutate(S, "cross_entropy_grad", ("return P / n", "return P"))}, {"cross_entropy_grad": "ce_grad_factor_n"}),
        ({"cross_entropy_grad": "def cross_entropy_grad(Z, labels):\n    return softmax(Z) / Z.shape[0]\n"}, {"cross_entropy_grad": "ce_grad_missing_y"}),
        ({"softmax_jacobian": mutate(S, "softmax_jacobian", ("np.diag(p) - np.outer(p, p)", "-np.outer(p, p)"))}, {"softmax_jacobian": "jacobian_missing_diag"}),
        ({"softmax_jacobian": mutate(S, "softmax_jacobian", ("np.diag(p) - np.outer(p, p)", "np.diag(p) - p @ p"))}, {"softmax_jacobian": "jacobian_inner"}),
        ({"softmax_jacobian": mutate(S, "softmax_jacobian", ("np.diag(p) - np.outer(p, p)", "np.outer(p, p) - np.diag(p)"))}, {"softmax_jacobian": "jacobian_sign"}),
        ({"softmax_jacobian": mutate(S, "softmax_jacobian", ("np.diag(p) - np.outer(p, p)", "np.diag(p)"))}, {"softmax_jacobian": "jacobian_missing_offdiag"}),
        ({"softmax_jacobian": "def softmax_jacobian(z):\n    e = np.exp(z)\n    p = e / e.sum()\n    return np.diag(p) - np.outer(p, p)\n"},
         {"softmax_jacobian": "unstable_softmax"}),
        ({"accuracy": "def accuracy(predicted, labels):\n    return 100.0 * np.mean(np.asarray(predicted) == np.asarray(labels))\n"}, {"accuracy": "accuracy_percentage"}),
        ({"accuracy": "def accuracy(predicted, labels):\n    return float(np.sum(np.asarray(predicted) == np.asarray(labels)))\n"}, {"accuracy": "accuracy_count"}),
        ({"accuracy": (
            "def accuracy(predicted, labels):\n"
            "    C = int(max(np.max(predicted), np.max(labels))) + 1\n"
            "    return float(np.mean(np.eye(C)[predicted] == np.eye(C)[labels]))\n")}, {"accuracy": "accuracy_onehot"}),
        ({"train_classifier": mutate(S, "train_classifier", ("return params, losses", "return [(W.T, b) for W, b in params], losses"))},
         {"classifier_step": "transposed_w"}),
        ({"backprop_pieces": mutate(S, "backprop_pieces", ('grads[l] = (cache["A"][l].T @ delta,', 'grads[l] = (delta.T @ cache["A"][l],'))},
         {"classifier_step": "transposed_dw"}),
        ({"backprop_pieces": mutate(S, "backprop_pieces", ("delta.sum(axis=0))", "delta.mean(axis=0))"))}, {"classifier_step": "db_averaged"}),
        ({"backprop_pieces": mutate(S, "backprop_pieces", ('grads[l] = (cache["A"][l].T @ delta, delta.sum(axis=0))',
                                                            'grads[l] = (-(cache["A"][l].T @ delta), -delta.sum(axis=0))'))},
         {"classifier_step": "classifier_grad_sign"}),
        ({"train_classifier": mutate(S, "train_classifier", ("penalty = 0.5 * l2 * sum(W.ravel() @ W.ravel() for W, _ in params)", "penalty = 0.0"))},
         {"classifier_step": "loss_without_penalty"}),
        ({"backprop_pieces": mutate(S, "backprop_pieces", ("np.zeros(fan_out))", "np.full(fan_out, 0.1))")),
          "train_classifier": mutate(S, "train_classifier", ("b -= lr * db", "b -= lr * (db + l2 * b)"))}, {"classifier_step": "biases_regularised"}),
        ({"train_classifier": mutate(S, "train_classifier", ("W *= 1.0 - lr * l2", "W *= 1.0 - lr * l2 / m"))}, {"classifier_step": "l2_gradient"}),
        ({"train_classifier": mutate(S, "train_classifier", ("            losses[epoch] += (-log_p[rows, labels_batch].sum() + m * penalty) / n\n", ""))},
         {"classifier_step": "loss_not_recorded"}),
        ({"train_classifier": mutate(S, "train_classifier", ("losses[epoch] += (-log_p", "losses[epoch] -= (-log_p"))}, {"classifier_step": "loss_sign"}),
        ({"train_classifier": mutate(S, "train_classifier", ("W -= lr * dW", "W += lr * dW"))}, {"classifier_step": "uphill_step"}),
        ({"train_classifier": mutate(S, "train_classifier", ("order = shuffler.permutation(n)", "order = np.arange(n)"))},
         {"classifier_step": "batches_not_shuffled"}),
        ({"train_classifier": mutate(S, "train_classifier", ("order = shuffler.permutation(n)", "order = np.random.default_rng(seed).permutation(n)"))},
         {"classifier_step": "same_order_every_epoch"}),
    ],
    C: [
        ({"reverse_mode": mutate(C, "reverse_mode", ('df_da = df_dc * 1.0 + df_db * trace["b"]', 'df_da = df_db * trace["b"]'))}, {"reverse_mode": "missing_path"}),
        ({"reverse_mode": mutate(C, "reverse_mode", ("df_dx = df_da * 2.0 * x", "df_dx = df_da"))}, {"reverse_mode": "missing_chain_factor"}),
        ({"reverse_mode": mutate(C, "reverse_mode", ('df_dc = df_dd / (2.0 * trace["d"])', 'df_dc = -df_dd / (2.0 * trace["d"])'))}, {"reverse_mode": "sign"}),
        ({"reverse_mode": AUTOGRAD_ALIASED}, {"reverse_mode": "autodiff"}),
        ({"linear_neuron_step": mutate(C, "linear_neuron_step", ('"w_new": w - lr * dL_dw, "b_new": b - lr * dL_db', '"w_new": w + lr * dL_dw, "b_new": b + lr * dL_db'))},
         {"linear_neuron_step": "update_plus"}),
        ({"linear_neuron_step": mutate(C, "linear_neuron_step", ("L = (o - y) ** 2", "L = abs(o - y)"))}, {"linear_neuron_step": "no_square"}),
        ({"linear_neuron_step": mutate(C, "linear_neuron_step", ("dL_do = 2.0 * (o - y)", "dL_do = o - y"))}, {"linear_neuron_step": "factor_2"}),
        ({"sigmoid_neuron_grads": mutate(C, "sigmoid_neuron_grads", ("dC_dz = (a - y) * a * (1.0 - a)", "dC_dz = (a - y) * sigmoid(a) * (1.0 - sigmoid(a))"))},
         {"sigmoid_neuron_grads": "sigma_prime_at_a"}),
        ({"two_layer_scalar_grads": mutate(C, "two_layer_scalar_grads", ('"dC_dw1": delta1 * x', '"dC_dw1": delta2 * a1 * a1 * (1.0 - a1) * x'))},
         {"two_layer_scalar_grads": "a1_for_w2"}),
        ({"train_scalar_network": mutate(C, "train_scalar_network", ("w1 - lr", "w1 + lr"), ("b1 - lr", "b1 + lr"), ("w2 - lr", "w2 + lr"), ("b2 - lr", "b2 + lr"))},
         {"train_scalar_network": "update_plus"}),
    ],
    O: [
        ({"Adam": mutate(O, "Adam", ("m_hat = m / (1.0 - b1 ** self.t)\n            v_hat = v / (1.0 - b2 ** self.t)", "m_hat = m\n            v_hat = v"))},
         {"adam": "no_bias_correction"}),
        ({"Adam": mutate(O, "Adam", ("        self.t += 1\n        b1, b2", "        b1, b2"), (ADAM_LOOP, ADAM_LOOP + "            self.t += 1\n"))}, {"adam": "t_per_parameter"}),
        ({"Adam": mutate(O, "Adam", ("        return new", "        self.first_moment = [m / (1.0 - b1 ** self.t) for m in self.first_moment]\n"
                                                      "        self.second_moment = [v / (1.0 - b2 ** self.t) for v in self.second_moment]\n        return new"))},
         {"adam": "bias_correction_stored"}),
        ({"Adam": mutate(O, "Adam", ("        self.reset()\n", "        self.t = 0\n        self.reset()\n"), ("        self.t = 0\n        self.first_moment = None", "        self.first_moment = None"))},
         {"adam": "reset_incomplete"}),
        ({"RMSprop": mutate(O, "RMSprop", ("self.mean_square = [self.rho * s + (1.0 - self.rho) * g ** 2 for", "self.mean_square = [np.sqrt(self.rho * s + (1.0 - self.rho) * g ** 2) for"),
                            ("g / (np.sqrt(s) + self.eps)", "g / (s + self.eps)"))}, {"rmsprop": "root_misplaced"}),
        ({"RMSprop": mutate(O, "RMSprop", ("g / (np.sqrt(s) + self.eps)", "g / np.sqrt(s + self.eps)"))}, {"rmsprop": "eps_inside_root"}),
        ({"RMSprop": mutate(O, "RMSprop", ("self.rho * s + (1.0 - self.rho) * g ** 2", "(1.0 - self.rho) * s + self.rho * g ** 2"))}, {"rmsprop": "decay_swapped"}),
        ({"Momentum": mutate(O, "Momentum", ("return [p - self.lr * v", "return [p + self.lr * v"))}, {"momentum": "update_sign"}),
        ({"Momentum": mutate(O, "Momentum", ("self.beta * v + g for", "self.beta * v + (1.0 - self.beta) * g for"))}, {"momentum": "momentum_dampened"}),
        ({"AdaGrad": mutate(O, "AdaGrad", ("g / (np.sqrt(G) + self.eps)", "g / (G + self.eps)"))}, {"adagrad": "root_misplaced"}),
        ({"he_init": mutate(O, "he_init", ("np.sqrt(2.0 / n_in)", "np.sqrt(2.0 / n_out)"))}, {"he_init": "he_fan_out"}),
        ({"he_init": mutate(O, "he_init", ("generator.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))",
                                           "generator.uniform(-np.sqrt(6.0 / n_in), np.sqrt(6.0 / n_in), size=(n_in, n_out))"))}, {"he_init": "init_not_normal"}),
        ({"xavier_init": mutate(O, "xavier_init", ("np.sqrt(2.0 / (n_in + n_out))", "np.sqrt(1.0 / (n_in + n_out))"))}, {"xavier_init": "init_variance"}),
        ({"layer_gradient_norms": mutate(O, "layer_gradient_norms", ("for dW, _ in grads])", "for dW, _ in grads][::-1])"))}, {"gradient_norms": "norms_reversed"}),
        ({"layer_gradient_norms": mutate(O, "layer_gradient_norms", ("np.sum(dW ** 2)) for dW, _ in grads", "np.sum(db ** 2)) for _, db in grads"))},
         {"gradient_norms": "norms_of_biases"}),
        ({"layer_gradient_norms": mutate(O, "layer_gradient_norms", ("np.sqrt(np.sum(dW ** 2))", "np.sum(dW ** 2)"))}, {"gradient_norms": "norms_squared"}),
        ({"run_quadratic": mutate(O, "run_quadratic", ("losses = [0.5 * w @ A @ w]", "losses = []"))}, {"quadratic": "losses_without_start"}),
        ({"run_quadratic": mutate(O, "run_quadratic", ("losses = [0.5 * w @ A @ w]", "losses = [w @ A @ w]"))}, {"quadratic": "loss_without_half"}),
        ({"run_quadratic": mutate(O, "run_quadratic", ("for _ in range(steps):", "for _ in range(steps + 1):"))}, {"quadratic": "losses_one_too_many"}),
        ({"AdaGrad": mutate(O, "AdaGrad", ("[G + g ** 2 for", "[g ** 2 for"))}, {"adagrad": "state_not_carried"}),
        ({"backprop_pieces": mutate(O, "backprop_pieces", ("return s * (1.0 - s)", "return s"))}, {"gradient_norms": "norms_wrong_below_output"}),
        ({"backprop_pieces": mutate(O, "backprop_pieces", ("return (A - Y) / A.shape[0]", "return A - Y"))}, {"gradient_norms": "mse_grad_scale"}),
        ({"RMSprop": mutate(O, "RMSprop", ("g / (np.sqrt(s) + self.eps)", "g / np.sqrt(s)"))}, {"rmsprop": "eps_missing"}),
        ({"Adam": mutate(O, "Adam", ("        self.t += 1\n", ""))}, {"adam": "adam_update_not_finite"}),
        ({"RMSprop": mutate(O, "RMSprop", ("(1.0 - self.rho) * g ** 2", "(1.0 - self.rho) * g * 2"))}, {"rmsprop": "update_not_finite"}),
        ({"AdaGrad": mutate(O, "AdaGrad", ("self.lr * g / (np.sqrt(G) + self.eps)", "0.5 * self.lr * g / (np.sqrt(G) + self.eps)"))}, {"adagrad": "update_scaled"}),
    ],
    N: list(GENERALISATION_WRONG.values()),
}

# The relation-named optimizer mistakes of test_relations, and state shared across instances.
_OPTIMIZER_KEYS = {entry.name: key for key, entry in course.get_assignment(O).misconceptions.items()}
WRONG[O] += [({cell: mutate(O, cell, (old, new))}, {question: _OPTIMIZER_KEYS[name]}) for cell, question, old, new, name in OPTIMIZER_MISTAKES
             if _OPTIMIZER_KEYS[name] not in {key for _, named in WRONG[O] for key in named.values()}]
WRONG[O].append(({"Momentum": mutate(O, "Momentum", *SHARED_STATE)}, {"momentum": "state_shared"}))

# The mistakes named through the general relations of test_relations (a chain factor dividing, a term of the wrong
# sign, a normalisation along the wrong axis...), for the catalogue entries no wrong answer above targets.
for _assignment, _question, _cell, _old, _new, _key in GENERAL_MISTAKES + LOOP_MISTAKES:
    if (_question, _key) not in {(q, k) for _, named in WRONG[_assignment] for q, k in named.items()} and _key not in {
            k for _, named in WRONG[_assignment] for k in named.values()}:
        WRONG[_assignment].append(({_cell: mutate(_assignment, _cell, (_old, _new))}, {_question: _key}))

# Cells filled in every submission of an assignment (unless an entry replaces them): slow training
# stubbed out, and 05's answers that call other answers replaced by self-contained correct ones
# (which are also correct variants: they must pass whatever the other cells do).
BASE = {
    B: {"train": STUB.format(name="train")},
    S: {
        "train_classifier": STUB.format(name="train_classifier"),
        "cross_entropy": (
            "def cross_entropy(Z, labels):\n"
            "    S = Z - Z.max(axis=1, keepdims=True)\n"
            "    log_p = S - np.log(np.exp(S).sum(axis=1, keepdims=True))\n"
            "    return float(-np.sum(log_p * np.eye(Z.shape[1])[labels]) / len(labels))\n"),
        "cross_entropy_grad": (
            "def cross_entropy_grad(Z, labels):\n"
            "    E = np.exp(Z - Z.max(axis=1, keepdims=True))\n"
            "    return (E / E.sum(axis=1, keepdims=True) - np.eye(Z.shape[1])[labels]) / len(Z)\n"),
        "softmax_jacobian": (
            "def softmax_jacobian(z):\n"
            "    e = np.exp(z - np.max(z))\n"
            "    p = e / e.sum()\n"
            "    C = len(p)\n"
            "    J = np.zeros((C, C))\n"
            "    for i in range(C):\n"
            "        for j in range(C):\n"
            "            J[i, j] = p[i] * ((i == j) - p[j])\n"
            "    return J\n"),
    },
}

# The cells a question's answer depends on, beyond its own functions' cells (so that two mistakes
# sharing a submission never disturb each other's question).
DEPENDS: dict[str, dict[str, set[str]]] = {
    B: {"backward": {"ACTIVATIONS"}, "gradients": {"ACTIVATIONS", "forward", "mse_cost_grad", "backward"}, "forward": {"ACTIVATIONS"},
        "vectorised": {"ACTIVATIONS", "forward", "backward"}, "mse": {"mse_cost", "mse_cost_grad"},
        "train_convention": {"ACTIVATIONS", "init_params", "forward", "mse_cost", "mse_cost_grad", "backward"}},
    P: {"novikoff_bound": {"radius", "margin"}},
    S: {"classifier_step": {"backprop_pieces", "train_classifier", "log_softmax"}, "two_class": {"softmax"}, "log_softmax": {"softmax"},
        "cross_entropy": {"log_softmax", "softmax"}, "cross_entropy_grad": {"softmax", "one_hot"}, "softmax_jacobian": {"softmax"}},
    G: {"neuron": {"step"}},
    C: {"train_scalar_network": {"two_layer_scalar_grads"}, "reverse_mode": {"forward_trace"}},
    O: {},
    N: {},
}


def _cells_of(assignment: str, question: str) -> set[str]:
    return set(course.get_assignment(assignment)[question].functions) | DEPENDS.get(assignment, {}).get(question, set())


def groups(assignment: str) -> list[list[tuple[dict[str, str], dict[str, str]]]]:
    """WRONG entries packed into submissions whose mistakes touch different cells and questions."""
    packed: list[list[tuple[dict, dict]]] = []
    for entry in WRONG.get(assignment, []):
        cells, targets = entry
        needs = set().union(*(_cells_of(assignment, q) for q in targets))
        for group in packed:
            other_cells = set().union(*(set(c) for c, _ in group))
            other_targets = set().union(*(set(t) for _, t in group))
            other_needs = set().union(*(_cells_of(assignment, q) for _, t in group for q in t))
            if not (set(cells) & (other_cells | other_needs)) and not (needs & other_cells) and not (set(targets) & other_targets):
                group.append(entry)
                break
        else:
            packed.append([entry])
    return packed


def _kit_wide_name(name: str) -> bool:
    """Whether ``name`` is one of the kit-wide names, of the crash table or the wrong-value table (with its fields filled in)."""
    return any(re.fullmatch(re.sub(r"\\\{\w+(?:!r)?\\\}", ".+", re.escape(rule.name)), name) for rule in (*CRASHES, *WRONG_VALUES))


SUBMISSIONS = [(a, i, group) for a in ASSIGNMENTS for i, group in enumerate(groups(a))]


@pytest.mark.parametrize("assignment, index, group", SUBMISSIONS, ids=[f"{a}-{i}" for a, i, _ in SUBMISSIONS])
def test_every_catalogued_mistake_is_caught_and_named(submit, assignment, index, group):
    """Does each wrong answer fail its question(s) with exactly the catalogue's name and hint?"""
    declared = course.get_assignment(assignment)
    catalogue = declared.misconceptions
    cells = dict(BASE.get(assignment, {}))
    for wrong_cells, _ in group:
        cells.update(wrong_cells)
    result = by_question(grade(submit(assignment, student=f"wrong{index}", **cells), assignment))
    problems = []
    for _, targets in group:
        for question, key in targets.items():
            got = result[question]
            entry = catalogue[key]
            q = declared[question]  # all or nothing, or its share of the cases passed when declared partial
            earned = round(q.points * got.cases_passed / got.cases_total, 2) if q.partial else 0
            if got.status != "failed" or got.points != earned or got.points >= q.points or (got.misconception, got.hint) != (entry.name, entry.hint):
                problems.append(f"{question}: expected {key!r} ({entry.name}), got {got.status} / {got.misconception!r}: {got.reason[:300]}")
    names = {e.name for e in catalogue.values()}
    problems += [f"{q.question} names {q.misconception!r}, which is not in the catalogue" for q in result.values()
                 if q.misconception and q.misconception not in names and not _kit_wide_name(q.misconception)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_catalogue_entry_is_named_by_a_graded_wrong_answer(assignment):
    """For every assignment: each catalogue entry is the target of a wrong answer graded above, on a
    question the entry says its checks cover, and each instructor mutant names a fingerprint entry."""
    declared = course.get_assignment(assignment)
    catalogue = declared.misconceptions
    targets = [(question, key) for _, named in WRONG.get(assignment, []) for question, key in named.items()]
    assert {key for _, key in targets} == set(catalogue), (assignment, set(catalogue) ^ {key for _, key in targets})
    assert all(question in catalogue[key].questions for question, key in targets), [(q, k) for q, k in targets if q not in catalogue[k].questions]
    for entry in catalogue.values():
        assert entry.questions and set(entry.questions) <= {q.name for q in declared}, entry
        assert set(entry.detected_by) <= set(DETECTION) and entry.hint and entry.name
    oracles = Oracles(course.reference(assignment, ROOT), reveal=False)
    for function in declared.functions:
        for mutant in oracles.mutants(function):
            assert "fingerprint" in catalogue[mutant.misconception].detected_by, (function, mutant)


# --- correct variants pass, naming nothing ---------------------------------------------

CORRECT = {
    G: {
        "step": "def step(z):\n    return np.heaviside(np.asarray(z, dtype=float), 0.0)\n",
        "neuron": "def neuron(X, w, b, activation=step):\n    return activation(np.einsum('ij,j->i', X, w) + b)\n",
        # other weights for every gate, and XOR from two other hidden gates (x1 AND NOT x2, x2 AND NOT x1; then OR)
        "gate_weights": ("def gate_weights(name):\n"
                         "    table = {'AND': ([2.0, 2.0], -3.0), 'OR': ([3.0, 3.0], -1.0), 'NAND': ([-0.5, -0.5], 0.75),\n"
                         "             'NOR': ([-2.0, -2.0], 1.0), 'NOT': ([-4.0], 2.0)}\n"
                         "    w, b = table[name]\n    return np.array(w), b\n"),
        "xor_network": ("def xor_network():\n"
                        "    W1 = np.array([[1.0, -1.0], [-1.0, 1.0]])\n"
                        "    return W1, np.array([-0.5, -0.5]), np.array([1.0, 1.0]), -0.5\n"),
    },
    P: {
        "add_bias": "def add_bias(X):\n    return np.insert(np.asarray(X, dtype=float), 0, 1.0, axis=1)\n",
        "predict": (
            "def predict(X_h, w):\n"
            "    out = np.empty(len(X_h))\n"
            "    for i, x in enumerate(X_h):\n"
            "        out[i] = 1.0 if sum(a * b for a, b in zip(x, w)) > 0 else -1.0\n"
            "    return out\n"),
        "perceptron_train": (
            "def perceptron_train(X_h, y, eta=1.0, max_epochs=100):\n"
            "    w, history, epochs = np.zeros(X_h.shape[1]), [], 0\n"
            "    for epochs in range(1, max_epochs + 1):\n"
            "        before = len(history)\n"
            "        for i in range(len(y)):\n"
            "            if not y[i] * np.dot(w, X_h[i]) > 0:\n"
            "                w = w + eta * y[i] * X_h[i]\n"
            "                history.append(np.array(w))\n"
            "        if len(history) == before:\n"
            "            return {'w': w, 'mistakes': len(history), 'epochs': epochs, 'converged': True, 'history': history}\n"
            "    return {'w': w, 'mistakes': len(history), 'epochs': epochs, 'converged': False, 'history': history}\n"),
        "margin": "def margin(X_h, y, w):\n    return float(min(np.einsum('i,ij,j->i', y, X_h, w)) / np.sqrt(w @ w))\n",
        "radius": "def radius(X_h):\n    return float(np.sqrt(np.max(np.einsum('ij,ij->i', X_h, X_h))))\n",
        "novikoff_bound": "def novikoff_bound(X_h, y, w_star):\n    return radius(X_h) ** 2 / margin(X_h, y, w_star) ** 2\n",
    },
    B: {
        "train": STUB.format(name="train"),
        "mse_cost": "def mse_cost(A, Y):\n    return 0.5 * np.mean(np.sum((A - Y) ** 2, axis=1))\n",
        "mse_cost_grad": "def mse_cost_grad(A, Y):\n    return np.subtract(A, Y) / len(A)\n",
        "numerical_gradient": (
            "def numerical_gradient(f, params, eps=1e-6):\n"
            "    params = [(np.array(W, dtype=float), np.array(b, dtype=float)) for W, b in params]\n"
            "    grads = []\n"
            "    for W, b in params:\n"
            "        pair = []\n"
            "        for P in (W, b):\n"
            "            G = np.zeros(P.shape)\n"
            "            flat, g = P.reshape(-1), G.reshape(-1)\n"
            "            for i in range(flat.size):\n"
            "                keep = flat[i]\n"
            "                flat[i] = keep + eps\n"
            "                up = f(params)\n"
            "                flat[i] = keep - eps\n"
            "                down = f(params)\n"
            "                flat[i] = keep\n"
            "                g[i] = (up - down) / eps / 2\n"
            "            pair.append(G)\n"
            "        grads.append((pair[0], pair[1]))\n"
            "    return grads\n"),
        "backward": (
            "def backward(params, cache, dC_dA_out, activations):\n"
            "    grads, dA = [], dC_dA_out\n"
            "    for l in range(len(params) - 1, -1, -1):\n"
            "        delta = np.multiply(ACTIVATIONS[activations[l]][1](cache['Z'][l]), dA)\n"
            "        grads.append((np.einsum('ni,no->io', cache['A'][l], delta), np.einsum('no->o', delta)))\n"
            "        dA = np.einsum('no,io->ni', delta, params[l][0])\n"
            "    return grads[::-1]\n"),
    },
    S: {**BASE[S],
        "softmax": (
            "def softmax(Z):\n"
            "    out = np.empty_like(Z, dtype=float)\n"
            "    for i, z in enumerate(Z):\n"
            "        e = np.exp(z - z.max())\n"
            "        out[i] = e / e.sum()\n"
            "    return out\n"),
        "log_softmax": "def log_softmax(Z):\n    return Z - np.logaddexp.reduce(Z, axis=1, keepdims=True)\n",
        "accuracy": "def accuracy(predicted, labels):\n    return np.count_nonzero(np.equal(predicted, labels)) / len(labels)\n",
        "one_hot": "def one_hot(labels, num_classes):\n    Y = np.zeros((len(labels), num_classes))\n    Y[np.arange(len(labels)), labels] = 1.0\n    return Y\n",
        "cross_entropy_grad": "def cross_entropy_grad(Z, labels):\n    return (softmax(Z) - one_hot(labels, Z.shape[1])) / len(Z)\n"},
    O: {  # the optimizers written as other code writes them: state in a dict, running averages as lerps, Adam's folded step size
        "GradientDescent": ("class GradientDescent:\n    def __init__(self, lr=0.1):\n        self.lr = lr\n    def reset(self):\n        pass\n"
                            "    def step(self, params, grads):\n        return [np.subtract(p, np.multiply(self.lr, g)) for p, g in zip(params, grads)]\n"),
        "Momentum": ("class Momentum:\n    def __init__(self, lr=0.01, beta=0.9):\n        self.lr, self.beta = lr, beta\n        self.reset()\n"
                     "    def reset(self):\n        self.v = {}\n    def step(self, params, grads):\n        out = []\n"
                     "        for i, (p, g) in enumerate(zip(params, grads)):\n            self.v[i] = self.beta * self.v.get(i, 0.0) + g\n"
                     "            out.append(p - self.lr * self.v[i])\n        return out\n"),
        "AdaGrad": ("class AdaGrad:\n    def __init__(self, lr=0.01, eps=1e-8):\n        self.lr, self.eps, self.G = lr, eps, None\n"
                    "    def reset(self):\n        self.G = None\n    def step(self, params, grads):\n        if self.G is None:\n"
                    "            self.G = [np.zeros_like(p, dtype=float) for p in params]\n        self.G = [G + g * g for G, g in zip(self.G, grads)]\n"
                    "        return [p - self.lr / (np.sqrt(G) + self.eps) * g for p, g, G in zip(params, grads, self.G)]\n"),
        "RMSprop": ("class RMSprop:\n    def __init__(self, lr=0.001, rho=0.9, eps=1e-8):\n        self.lr, self.rho, self.eps, self.s = lr, rho, eps, None\n"
                    "    def reset(self):\n        self.s = None\n    def step(self, params, grads):\n        if self.s is None:\n"
                    "            self.s = [np.zeros(np.shape(p)) for p in params]\n        self.s = [s + (1 - self.rho) * (np.square(g) - s) for s, g in zip(self.s, grads)]\n"
                    "        return [p - self.lr * g / (np.sqrt(s) + self.eps) for p, g, s in zip(params, grads, self.s)]\n"),
        "Adam": ("class Adam:\n    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):\n        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps\n"
                 "        self.reset()\n    def reset(self):\n        self.t, self.m, self.v = 0, None, None\n    def step(self, params, grads):\n"
                 "        if self.m is None:\n            self.m = [np.zeros_like(p, dtype=float) for p in params]\n"
                 "            self.v = [np.zeros_like(p, dtype=float) for p in params]\n        self.t += 1\n"
                 "        c1, c2 = 1 - self.beta1 ** self.t, np.sqrt(1 - self.beta2 ** self.t)\n        new = []\n"
                 "        for i, (p, g) in enumerate(zip(params, grads)):\n            self.m[i] = self.m[i] + (1 - self.beta1) * (g - self.m[i])\n"
                 "            self.v[i] = self.v[i] + (1 - self.beta2) * (g * g - self.v[i])\n"
                 "            new.append(p - self.lr * c2 / c1 * self.m[i] / (np.sqrt(self.v[i]) + self.eps * c2))\n        return new\n"),
    },
}


@pytest.mark.parametrize("assignment", list(CORRECT))
def test_correct_variants_pass_with_no_misconception(submit, assignment):
    """Do loops, einsum and algebraically different formulas pass, with nothing named?"""
    result = grade(submit(assignment, student="variants", **CORRECT[assignment]), assignment)
    replaced = {q.name for q in course.get_assignment(assignment) if not q.manual and set(q.functions) & set(CORRECT[assignment])}
    stubbed = {q.name for q in course.get_assignment(assignment) if set(q.functions) & {"train", "train_classifier"}}
    for q in result.questions:
        if q.status == "manual" or q.question in stubbed:
            continue
        assert q.passed and q.misconception is None, (q.question, q.status, q.reason)
    assert replaced - stubbed


# --- locating the wrong tensor, on the student's side and in the feedback ------------------

def test_relations_and_location_name_the_wrong_tensors_without_values():
    """Does ``locate`` say which tensors match and how the others are off, without showing values?"""
    rng = np.random.default_rng(1)
    expected = {"dW1": rng.normal(size=(3, 3)), "db1": rng.normal(size=3), "dW2": rng.normal(size=(3, 2)), "db2": rng.normal(size=2)}
    got = dict(expected, dW1=expected["dW1"] / 4, db1=-expected["db1"])
    sentence, wrong = locate(got, expected, n=4)
    assert sentence == "dW2 and db2 match; dW1 is off by a factor of 1/n = 0.25; db1 is of the wrong sign."
    assert set(wrong) == {"dW1", "db1"}
    assert relation(expected["dW1"].T, expected["dW1"]).kind == "transpose"
    assert relation(expected["db2"] + 3.0, expected["db2"]).kind == "shift"
    assert relation(expected["db2"] * 2, expected["db2"]).factor == 2.0
    assert relation(expected["db2"], expected["db2"]) is None
    assert str(round(float(expected["dW1"][0, 0]), 3)) not in sentence


def test_student_side_names_relation_mistakes_and_locates_layers(submit):
    """Without the reference (autograder check), is the averaged bias gradient still named and located?"""
    path = submit(B, student="cli", train=STUB.format(name="train"),
                  backward=mutate(B, "backward", ("delta.sum(axis=0))", "delta.mean(axis=0))")))
    q = by_question(evaluate(path, course.get_assignment(B)))["backward"]
    entry = course.get_assignment(B).misconceptions["db_averaged"]
    assert (q.misconception, q.hint) == (entry.name, entry.hint)
    assert "dW1, dW2 and dW3 match" in q.reason and "off by a factor of 1/n = 0.25" in q.reason
    text = feedback_markdown(evaluate(path, course.get_assignment(B)))
    assert f"Recognised mistake: **{entry.name}** — {entry.hint}" in text


def test_cli_check_and_html_feedback_show_the_named_mistake_and_hint(submit):
    """Do `autograder check` and the HTML feedback print "Recognised mistake: <name> — <hint>"?"""
    path = submit(G, student="cli", step="def step(z):\n    return (np.asarray(z) >= 0).astype(float)\n")
    entry = course.get_assignment(G).misconceptions["step_zero_is_one"]
    shown = CliRunner().invoke(app, ["check", str(path)], env={"COLUMNS": "400"})
    assert shown.exit_code == 1
    flat = re.sub(r"[\s│┃]", "", shown.output)  # the table folds long cells over several lines
    assert re.sub(r"\s", "", f"Recognised mistake: {entry.name} — {entry.hint}") in flat
    page = feedback_html(evaluate(path, course.get_assignment(G)))
    assert "Recognised mistake: <strong>step(0) = 1</strong> — " in page


def test_hidden_case_feedback_shows_no_expected_values(submit):
    """When only a hidden case fails, does the feedback keep every expected value out?"""
    wrong = (  # right on the visible shapes, 1.5 times too large elsewhere: no relation of the catalogue fits
        "def cross_entropy_grad(Z, labels):\n"
        "    E = np.exp(Z - Z.max(axis=1, keepdims=True))\n"
        "    G = (E / E.sum(axis=1, keepdims=True) - np.eye(Z.shape[1])[labels]) / len(Z)\n"
        "    return G if Z.shape in ((5, 3), (8, 10), (1, 4), (4, 3)) else 1.5 * G\n"
    )
    seed = 4242
    result = grade(submit(S, student="hidden", **dict(BASE[S], cross_entropy_grad=wrong)), S, seed=seed)
    q = by_question(result)["cross_entropy_grad"]
    assert q.status == "failed" and "hidden case" in q.reason and q.misconception is None
    from autograder.questions.softmax import _ce_gradient_autograd

    assignment = course.get_assignment(S)
    case = next(p.case for p in plan(assignment, [assignment["cross_entropy_grad"]], seed) if p.hidden and p.case.label in q.reason)
    expected = _ce_gradient_autograd(*case.args)
    text = feedback_markdown(result) + feedback_html(result)
    shown = [v for v in expected.ravel() if abs(v) > 1e-4 and (f"{v:.12g}" in text or f"{v:.6g}" in text or f"{v:.4g}" in text)]
    assert shown == []
