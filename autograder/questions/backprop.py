"""04_backprop — the four equations of backpropagation for a multilayer perceptron.

Conventions (as the solution notebook states them): a batch has one sample per row, a layer is
``Z = A_prev @ W + b`` with ``W`` of shape (n_in, n_out) and ``b`` of shape (n_out,),
``params`` is a list of ``(W, b)`` tuples, ``cache`` is ``{"Z": [Z_1..Z_L], "A": [A_0 = X,
A_1..A_L]}`` and costs are averaged over the n rows.

Oracles: autograd, differentiating this module's own forward pass written from its
definition (independent of the student); the definitions of the activations and of the
cost; the documented initialisation recipe; and, in hidden cases, the reference ``train``
read from the solution notebook. Where the reference is present (grading), wrong answers
are diagnosed by comparing them with gradients computed with one typical mistake each:
the mutants in ``solutions/04_backprop/mutants.py``, which never leave the
instructor (nbgrader does not release them and the package does not ship them).
"""

from __future__ import annotations

import functools
import time

import numpy as np

from ..judge.compare import Mismatch, expect_array, expect_close, expect_close_in_z, expect_true, salted_digest
from ..judge.expectation import Expect, Mistake
from ..data import load
from ..judge.digests import visible
from ..student.probes.backprop import backprop_test_function, matmul_baseline, timing_workload
from ..student.probes.chain_rule import AUTODIFF_LIBRARIES
from ..judge.misconceptions import common_relation
from ..judge.networks import LAYER_SKIPPED_HINT, ACTIVATION_NAMES, activation_prime, apply_activation, autograd_grads, compare_gradients, flat_pairs, forward_pass, forward_step, layer_pairs, sizes_of
from ..judge.laws import degree, identity, law_case, repeated, zero_where
from ..judge.question import Assignment, Case
from ..judge.training_trace import Recipe, explained, relation_table
from ..judge.relations import constant_ratio, factor_relation, length_shift, named_factor, region_relation

ASSIGNMENT = Assignment("04_backprop", "backprop.ipynb", "Backpropagation: the four equations for a multilayer perceptron")

KINKED = {"relu", "leaky_relu", "elu"}
KINK_GAP = 1e-6
GRAD_RTOL = 1e-7
VECTORISED_FACTOR = 8.0  # the reference runs at about 1x; a loop over the samples in forward about 19x, in backward about 50x
REGRESSION = {"layer_sizes": [2, 16, 1], "activations": ["tanh", "identity"], "lr": 0.1, "epochs": 300, "batch_size": 10}
REGRESSION_THRESHOLD = 0.05
# CPU seconds for one regression fit: the reference takes well under a second; a correct train that
# is far from vectorised (a scalar autodiff engine, say) may take tens of seconds: speed is judged
# by the vectorised question alone, never by the clock of a correctness question.
REGRESSION_SECONDS = 90.0
XOR = {"layer_sizes": [2, 2, 1], "activations": ["tanh", "sigmoid"], "lr": 3.0, "epochs": 500, "batch_size": 4}
XOR_SEEDS = (0, 2, 4)  # every student's train runs from these; the reference learns XOR from each with outputs within 0.1


# --- the mistakes this assignment's checks can name ------------------------------
# "fingerprint" entries are recognised on hidden cases by the instructor-only mutants in
# solutions/04_backprop/mutants.py (its MISTAKES map each mutant to one of these keys).
ASSIGNMENT.misconception("fprime_of_a", "f'(a) instead of f'(z)", "f_prime receives the pre-activation z: compute f(z) inside it first if the formula is written in terms of a.",
   "relation", ("activations",))
ASSIGNMENT.misconception("fprime_formula", "f_prime formula wrong", "compare f_prime factor by factor and term by term with the derivative: sigma'(z) = s (1 - s) with s = sigma(z), tanh'(z) = 1 - tanh(z)**2.",
   "relation", ("activations",))
ASSIGNMENT.misconception("kink_negative_slope", "derivative wrong for negative z", "below zero, ReLU's slope is 0, leaky ReLU's is alpha and ELU's is alpha * exp(z).",
   "relation", ("activations",))
ASSIGNMENT.misconception("negative_branch", "f wrong for negative z", "below zero, ReLU is 0, leaky ReLU is alpha * z and ELU is alpha * (exp(z) - 1): check that branch and the condition choosing it.",
   "relation", ("activations",))
ASSIGNMENT.misconception("positive_branch", "wrong for positive z", "above zero, ReLU, leaky ReLU and ELU are z itself and their slope is 1: check that branch and the condition choosing it.",
   "relation", ("activations",))
ASSIGNMENT.misconception("init_w_transposed", "W of shape (n_out, n_in)", "W maps a layer's inputs to its outputs: shape (n_in, n_out), one row per input, so A_prev @ W works.",
                         "relation", ("init_params",))
ASSIGNMENT.misconception("init_not_scaled", "init not scaled", "divide the standard normal draws by sqrt(n_in) so every layer's output keeps unit scale.", "relation", ("init_params",))
ASSIGNMENT.misconception("output_activation_missing", "output activation missing", "the last layer also applies its activation: the output is A_L = f(Z_L).", "relation", ("forward",))
ASSIGNMENT.misconception("cost_not_over_n", "cost not divided by n", "the cost is a mean over the n rows, so the cost and every gradient carry a factor 1/n.",
   "relation", ("mse", "gradients", "train_convention"))
ASSIGNMENT.misconception("mse_over_every_entry", "averaged over every entry", "divide by the number of rows n only, not by the number of entries.", "relation", ("mse",))
ASSIGNMENT.misconception("mse_over_outputs", "averaged over the outputs", "n is the number of rows, A.shape[0]: the cost is averaged over the samples, not over the outputs.",
   "relation", ("mse",))
ASSIGNMENT.misconception("mse_grad_target", "the target in dC/dA missing or miscounted", "the gradient of 0.5 * (A - Y)**2 / n is (A - Y) / n: the target Y enters once, with a minus sign.",
   "relation", ("mse",))
ASSIGNMENT.misconception("mse_half_missing", "factor 0.5 missing", "the cost is 0.5 * sum((A - Y)**2) / n: the 0.5 makes its gradient simply (A - Y) / n.", "relation", ("mse",))
ASSIGNMENT.misconception("mse_grad_doubled", "gradient of 0.5 * (A - Y)**2 doubled", "the 0.5 in the cost cancels the 2 from the square's derivative.",
   "relation", ("mse", "gradients", "train_convention"))
ASSIGNMENT.misconception("mse_grad_sign", "sign flipped in dC/dA", "the derivative of 0.5 (A - Y)^2 with respect to A is +(A - Y).", "relation", ("mse", "train_convention"))
ASSIGNMENT.misconception("layer_skipped", "a layer the loop never reached", LAYER_SKIPPED_HINT, "relation", ("backward", "gradients"))
ASSIGNMENT.misconception("db_not_summed", "bias gradient not summed over the batch", "every sample contributes to dC/db: sum delta over the rows (axis 0), giving the shape of b.",
   "property", ("backward", "gradients"))
ASSIGNMENT.misconception("db_averaged", "bias gradient averaged", "dC/db is delta summed over the rows, not averaged: the 1/n of the cost is already inside dC/dA_L.",
   ("relation", "fingerprint"), ("backward",))
ASSIGNMENT.misconception("missing_fprime", "missing f'(z)", "delta is the incoming gradient multiplied elementwise by f'(Z) of its own layer, at every layer.",
   "fingerprint", ("backward",))
ASSIGNMENT.misconception("missing_fprime_output", "missing f'(z) at the output", "the output layer's delta_L = dC/dA_L * f'(Z_L): dC/dA_L alone is delta only for the identity.",
   "fingerprint", ("backward",))
ASSIGNMENT.misconception("backward_fprime_of_a", "f'(a) instead of f'(z) in delta", "the derivative in delta is evaluated at the pre-activation Z, not at the activation A = f(Z).",
   "fingerprint", ("backward",))
ASSIGNMENT.misconception("w_not_transposed", "W not transposed", "sending delta back through a layer multiplies by the transpose of its W: (n, n_out) @ (n_out, n_in).",
   "fingerprint", ("backward",))
ASSIGNMENT.misconception("input_off_by_one", "layer input off by one", "dC/dW_l uses the layer's INPUT A_{l-1}, which is cache['A'][l] in 0-based lists.", "fingerprint", ("backward",))
ASSIGNMENT.misconception("weights_off_by_one", "layer weights off by one", "delta is sent back through the weights of the layer it came from, not those of the layer below.",
   "fingerprint", ("backward",))
ASSIGNMENT.misconception("backward_sign", "sign flipped", "the gradients point uphill: backward returns dC/dW itself (the descent step subtracts it), and dC/dA_L = +(A - Y) / n.",
   ("relation", "fingerprint"),
   ("backward", "gradients"))
ASSIGNMENT.misconception("divided_by_n_twice", "divided by n twice", "the 1/n of the mean cost enters once, through dC/dA_L: backward must not divide by n again.",
   "relation", ("backward", "gradients"))
ASSIGNMENT.misconception("numgrad_missing_2", "missing 2 in the denominator", "a central difference spans 2 * eps, from w - eps to w + eps.", "relation", ("numerical_gradient",))
ASSIGNMENT.misconception("numgrad_reversed", "difference taken the wrong way round", "a derivative compares the value at w + eps with the value at w - eps: f(w + eps) - f(w - eps), in that order.",
                         "relation", ("numerical_gradient",))
ASSIGNMENT.misconception("numgrad_not_divided", "difference not divided by the step", "a derivative is a change in f divided by the change in w: divide f(w + eps) - f(w - eps) by 2 * eps.",
                         "relation", ("numerical_gradient",))
ASSIGNMENT.misconception("numgrad_extra_2", "factor 2 in the denominator", "the difference f(w + eps) - f(w - eps) spans 2 * eps, not 4 * eps.", "relation", ("numerical_gradient",))
ASSIGNMENT.misconception("numgrad_zero", "a numerical gradient of zeros",
                         "f(w + eps) - f(w - eps) was never anything but 0: set the entry to old + eps and call f, set it to old - eps and call f again (on the copy that f "
                         "is given), restore it, and store each quotient inside the loop.", "relation", ("numerical_gradient",))
ASSIGNMENT.misconception("forward_difference", "forward difference", "the one-sided difference has an error of order eps; the central one, of order eps**2.", "relation", ("numerical_gradient",))
ASSIGNMENT.misconception("train_not_shuffled", "mini-batches not shuffled", "draw order = rng.permutation(n) at the start of every epoch and take the batches in that order.",
   "relation", ("train_convention",))
ASSIGNMENT.misconception("train_shuffled_once", "one permutation for every epoch", "every epoch draws a new permutation from the same generator, made once before the first epoch.",
   "relation", ("train_convention",))
ASSIGNMENT.misconception("layer_count_off_by_one", "one layer too many or too few", "one pair (W, b) per layer: L = len(layer_sizes) - 1 pairs, from zip(layer_sizes[:-1], layer_sizes[1:]).",
   "relation", ("init_params",))
ASSIGNMENT.misconception("epochs_off_by_one", "one epoch too many or too few", "the loop over epochs runs exactly epochs times and records one loss after each.",
   "relation", ("train_convention",))
ASSIGNMENT.misconception("train_step_sign", "update climbs the gradient", "gradient descent subtracts: W <- W - lr * dW and b <- b - lr * db.", "relation", ("train_convention",))
ASSIGNMENT.misconception("train_parameter_frozen", "a parameter never updated", "every mini-batch moves both W and b of every layer by -lr times their gradients.",
   "relation", ("train_convention",))
ASSIGNMENT.misconception("train_step_without_lr", "learning rate missing from a step", "each step is the learning rate times the gradient: W <- W - lr * dW, b <- b - lr * db.",
   "relation", ("train_convention",))
ASSIGNMENT.misconception("train_batches", "mini-batches not one pass over the rows", "each epoch's batches are order[start:start + batch_size] for start = 0, batch_size, ... "
                         "below n: every row exactly once, each batch batch_size rows (the last may be shorter).", "relation", ("train_convention",))
ASSIGNMENT.misconception("train_output_gradient", "wrong output gradient in the loop", "each step passes backward the gradient of the batch's cost at the output forward "
                         "returned for that batch, mse_cost_grad(A_batch, Y_batch), with the targets of the same rows.", "relation", ("train_convention",))
ASSIGNMENT.misconception("train_update_rule", "update rule", "each step moves every parameter by minus the learning rate times its gradient: W <- W - lr * dW, b <- b - lr * db.",
                         "relation", ("train_convention",))
ASSIGNMENT.misconception("loop_over_samples", "loop over samples", "process the whole batch with matrix products instead of a Python loop over rows.", "property", ("vectorised",))


# --- the definitions (autograder.judge.networks), and the gradients this assignment's questions need ---

def linear_cost_grads(params, X, activations, G):
    """Gradients of C = sum(G * A_L), whose dC/dA_L is G: what backward(..., G, ...) must return."""
    import autograd.numpy as anp

    return autograd_grads(params, lambda p: anp.sum(G * forward_pass(p, X, activations, anp)[0]))


def mse_cost_definition(A, Y, xp=np) -> float:
    """0.5 * sum((A - Y)**2) / n for A, Y of shape (n, k): summed over the outputs, averaged over the n rows."""
    return 0.5 * xp.sum((A - Y) ** 2) / A.shape[0]


def mse_grads(params, X, Y, activations):
    """Gradients of :func:`mse_cost_definition` of the network's output by autograd."""
    import autograd.numpy as anp

    return autograd_grads(params, lambda p: mse_cost_definition(forward_pass(p, X, activations, anp)[0], Y, anp))


def init_recipe(layer_sizes, seed):
    """The initialisation the notebook prescribes: W ~ N(0, 1) / sqrt(n_in) drawn layer by layer, b = 0."""
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(n_in, n_out)) / np.sqrt(n_in), np.zeros(n_out)) for n_in, n_out in zip(layer_sizes, layer_sizes[1:])]


PARAMS_STRUCTURE = {"transposed": "init_w_transposed"}
"""The structural mistakes of init_params's (W, b) that this assignment names (see :func:`~autograder.judge.networks.layer_pairs`)."""


def _grads_structure(got, params, n: int | None, what: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """``got`` read as ``[(dW, db), ...]`` with the shapes of ``params`` (``n`` samples; None where no batch)."""
    return layer_pairs(got, sizes_of(params), what, names=("dW", "db"), batch=n, mistakes={"rows_not_summed": "db_not_summed", "layer_skipped": "layer_skipped"})


def _compare_grads(pairs, expected, reveal: bool, diagnosis, n: int | None = None, by_equation: bool = True) -> None:
    """Compare per layer (relative error below GRAD_RTOL); say which tensors match and name a mistake when one fits.

    ``diagnosis()`` returns a catalogue key from a fingerprint (the mutants, on hidden
    cases) or None; otherwise the relation shared by the wrong tensors may name one
    (``by_equation``: see :func:`~autograder.judge.networks.compare_gradients`).
    """
    compare_gradients(pairs, expected, "backward's gradients", GRAD_RTOL, reveal, n=n, name=lambda wrong: diagnosis() or _relation_key(wrong, n),
                      by_equation=by_equation,
                      advice="\nCheck the four equations layer by layer (your gradient checker shows where it first goes wrong), "
                             "and make sure the activations question passes: backward uses your ACTIVATIONS.")


def _relation_key(wrong, n: int | None) -> str | None:
    """A catalogue key from the relation shared by the wrong tensors, where one fits."""
    shared = common_relation(wrong)
    if set(wrong) <= {k for k in wrong if k.startswith("db")} and shared is not None and n and n > 1 and shared.factor == 1.0 / n:
        return "db_averaged"
    if shared is None:
        return None
    if shared.kind == "sign":
        return "backward_sign"
    if shared.kind == "factor" and n and n > 1 and shared.factor == float(n):
        return "cost_not_over_n"
    if shared.kind == "factor" and n and n > 1 and shared.factor == 1.0 / n:
        return "divided_by_n_twice"
    if shared.kind == "factor" and shared.factor == 2.0:
        return "mse_grad_doubled"
    return None


# --- random networks away from kinks --------------------------------------------------

def random_network(rng, sizes, activations, n, scale=1.0):
    """params, X for a network whose kinked pre-activations all stay KINK_GAP away from 0."""
    for _ in range(1000):
        params = [(scale * rng.normal(size=(a, b)) / np.sqrt(a), 0.5 * rng.normal(size=b)) for a, b in zip(sizes[:-1], sizes[1:])]
        X = rng.normal(size=(n, sizes[0]))
        _, cache = forward_pass(params, X, activations)
        if all(name not in KINKED or np.min(np.abs(Z)) > KINK_GAP for Z, name in zip(cache["Z"], activations)):
            return params, X
    raise RuntimeError("could not draw a network away from the kinks")


def _visible_networks():
    """Fixed architectures: square ones first (so a missing transpose gives wrong numbers, not an error)."""
    return [
        ([3, 3, 3, 3], ["tanh", "sigmoid", "identity"], 4),
        ([4, 4, 4], ["relu", "sigmoid"], 5),
        ([2, 2, 2, 2, 2], ["elu", "leaky_relu", "tanh", "sigmoid"], 3),
        ([5, 3], ["identity"], 7),
        ([3, 6, 2], ["relu", "tanh"], 8),
        ([4, 7, 5, 1], ["leaky_relu", "elu", "sigmoid"], 1),
        ([1, 8, 3, 6, 2], ["sigmoid", "relu", "identity", "elu"], 32),
    ]


def _hidden_networks(rng):
    nets = []
    for k in range(8):
        depth = int(rng.integers(1, 5))
        if k < 2:
            sizes = [int(rng.integers(2, 9))] * (depth + 1)
        else:
            sizes = [int(w) for w in rng.integers(1, 9, size=depth + 1)]
        acts = [str(a) for a in rng.choice(ACTIVATION_NAMES, size=depth)]
        nets.append((sizes, acts, int(rng.integers(1, 33))))
    nets.append(([3, 5, 4, 2], ["relu", "sigmoid", "tanh"], 16))
    nets.append(([6, 2, 7], ["leaky_relu", "elu"], 9))
    return nets


# --- questions -------------------------------------------------------------------------

def _activation_check(name: str, z: np.ndarray):
    def check(got, oracles):
        if not isinstance(got, (list, tuple)) or len(got) != 2:
            raise Mismatch(f"ACTIVATIONS[{name!r}] should be a pair (f, f_prime).")
        f_z = expect_array(got[0], z.shape, f"ACTIVATIONS[{name!r}][0](z)")
        fp_z = expect_array(got[1], z.shape, f"ACTIVATIONS[{name!r}][1](z)")
        _branches("f", name, f_z, apply_activation(name, z), z)
        expect_close_in_z(f_z, lambda c: apply_activation(name, c * z), f"f(z) for {name}", 1e-9, 1e-12, oracles.reveal)
        expected = activation_prime(name, z)
        if np.allclose(fp_z, expected, rtol=1e-9, atol=1e-12):
            return
        if name != "identity" and np.allclose(fp_z, activation_prime(name, apply_activation(name, z)), rtol=1e-9, atol=1e-12) or (
                name == "sigmoid" and np.allclose(fp_z, z * (1 - z), rtol=1e-9, atol=1e-12)) or (name == "tanh" and np.allclose(fp_z, 1 - z ** 2, rtol=1e-9, atol=1e-12)):
            raise Mismatch(f"f_prime for {name} treats its argument as the activation a = f(z): here f_prime receives z, so compute f(z) inside it first.",
                           misconception="fprime_of_a")
        _branches("f'", name, fp_z, expected, z)
        factors, terms = _prime_parts(name, z)
        expect_close_in_z(fp_z, lambda c: activation_prime(name, c * z), f"f'(z) for {name}", 1e-9, 1e-12, oracles.reveal, terms=terms,
                          parts=lambda: factor_relation(fp_z, expected, factors, rtol=1e-9))
    return check


BRANCH_MISTAKES = {("f", "z < 0"): "negative_branch", ("f'", "z < 0"): "kink_negative_slope", ("f", "z > 0"): "positive_branch", ("f'", "z > 0"): "positive_branch"}
"""(f or f', the region where only it is wrong) -> catalogue key, for the piecewise activations."""


def _branches(part: str, name: str, got: np.ndarray, expected: np.ndarray, z: np.ndarray) -> None:
    """Raise the named Mismatch when a piecewise activation's ``part`` is wrong on one side of the kink only."""
    found = region_relation(got, expected, {"z < 0": z < 0, "z > 0": z > 0}, rtol=1e-9, atol=1e-12) if name in KINKED else None
    if found is not None:
        raise Mismatch(f"{part}(z) for {name} is {found.text}.", misconception=BRANCH_MISTAKES[(part, found.key.split(":", 1)[1])])


_PRIME_TERMS = ("s", "s**2", "1", "tanh(z)**2")
"""The ids of the additive terms :func:`_prime_parts` gives."""


def _prime_parts(name: str, z: np.ndarray) -> tuple[dict, dict]:
    """The factors and the additive terms of f'(z) as the docstring writes it, to compare a wrong f_prime part by part:
    sigma'(z) = s * (1 - s) = s - s**2 with s = sigma(z), tanh'(z) = 1 - tanh(z)**2; none for the piecewise ones."""
    if name == "sigmoid":
        s = apply_activation("sigmoid", z)
        return {"s": s, "1 - s": 1 - s}, {"s": s, "s**2": -s ** 2}
    if name == "tanh":
        return {}, {"1": np.ones_like(z), "tanh(z)**2": -np.tanh(z) ** 2}
    return {}, {}


def _activation_part(k: int):
    """A ``read=`` for f(z) (k = 0) or f'(z) (k = 1) in the pair the activation_pair probe returns for ACTIVATIONS[name]."""
    def read(got, name, z, **kwargs):
        if not isinstance(got, (list, tuple)) or len(got) != 2:
            raise Mismatch(f"ACTIVATIONS[{name!r}] should be a pair (f, f_prime).")
        return got[k]
    return read


def stable_sigmoid(z: np.ndarray) -> np.ndarray:
    """sigma(z) in the closed form 0.5 (1 + tanh(z / 2)), which never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


STABLE_SIGMOID = (  # on large |z|: sigmoid and its derivative s (1 - s), against forms that never overflow
    Expect("f(z) for sigmoid on large |z|", lambda name, z, strict: stable_sigmoid(z), rtol=1e-9, atol=1e-12, read=_activation_part(0)),
    Expect("f'(z) for sigmoid on large |z|", lambda name, z, strict: stable_sigmoid(z) * (1.0 - stable_sigmoid(z)), rtol=1e-9, atol=1e-12,
           read=_activation_part(1)),
)


@ASSIGNMENT.question(points=2, functions=("ACTIVATIONS",))
def activations(rng, hidden):
    """ACTIVATIONS[name] is (f, f_prime) for the six activations, with f_prime taking z."""
    for name in ACTIVATION_NAMES:
        z = rng.normal(scale=3.0, size=(4, 5)) if hidden else np.array([[-3.0, -1.0, -0.25, 0.5], [2.0, 0.1, -0.1, 4.0]])
        z[np.abs(z) < KINK_GAP] = 0.5
        yield Case(f"ACTIVATIONS[{name!r}] on z of shape {z.shape}", "ACTIVATIONS", (name, z), check=_activation_check(name, z), probe="activation_pair")
    z = np.array([[-1000.0, -60.0, -0.5, 0.5, 60.0, 1000.0]])
    yield Case("ACTIVATIONS['sigmoid'] on z of +-60 and +-1000, where a floating-point overflow counts as an error", "ACTIVATIONS", ("sigmoid", z),
               kwargs={"strict": True}, expect=STABLE_SIGMOID, probe="activation_pair", clauses=("ACTIVATIONS.sigmoid_stable",))


def _init_layer(l: int) -> tuple[Expect, Expect]:
    """The two parts of layer l (from 0) in init_params's list of (W, b): b, exactly zeros, then W by the recipe."""
    def part(k: int):
        return lambda got, layer_sizes, seed: layer_pairs(got, list(layer_sizes), "init_params's result", mistakes=PARAMS_STRUCTURE)[l][k]

    def recipe(layer_sizes, seed):
        return init_recipe(layer_sizes, seed)[l][0]

    return (Expect(f"b of layer {l + 1} (it starts at zero)", lambda layer_sizes, seed: np.zeros(layer_sizes[l + 1]), rtol=0, atol=0, read=part(1)),
            Expect(f"W of layer {l + 1} (the recipe: rng = np.random.default_rng(seed) once, then for each layer in order "
                   "W = rng.normal(size=(n_in, n_out)) / np.sqrt(n_in), drawing nothing else from rng)", recipe, rtol=1e-12, atol=0, read=part(0),
                   mistakes=(Mistake("init_not_scaled", lambda layer_sizes, seed: recipe(layer_sizes, seed) * np.sqrt(layer_sizes[l])),)))


@ASSIGNMENT.question(points=1, functions=("init_params",))
def init_params(rng, hidden):
    """init_params(layer_sizes, seed) follows the recipe: W ~ N(0, 1) / sqrt(n_in), b = 0, shapes (n_in, n_out) and (n_out,)."""
    cases = [([2, 3, 1], 0), ([4, 4], 7), ([1, 5, 2, 3], 123)] if not hidden else [
        ([int(w) for w in rng.integers(1, 9, size=int(rng.integers(2, 6)))], int(rng.integers(0, 2**31))) for _ in range(3)]
    for sizes, seed in cases:
        yield Case(f"layer_sizes={sizes}, seed={seed}", "init_params", (sizes, seed),
                   expect=tuple(e for l in range(len(sizes) - 1) for e in _init_layer(l)))


def _forward_cache(got, params, X, activations) -> tuple:
    """forward's (output, cache), refused unless cache is {"Z": L arrays, "A": L + 1 arrays} for the L layers of params."""
    if not isinstance(got, (list, tuple)) or len(got) != 2:
        raise Mismatch("forward should return a pair (output, cache).")
    output, cache = got
    L = len(params)
    if not isinstance(cache, dict) or not isinstance(cache.get("Z"), (list, tuple)) or not isinstance(cache.get("A"), (list, tuple)):
        raise Mismatch('cache should be a dict {"Z": [Z_1, ..., Z_L], "A": [A_0 = X, A_1, ..., A_L]} of lists of arrays.')
    for part, length, which in (("Z", L, "one per layer"), ("A", L + 1, "X, then one per layer")):
        if len(cache[part]) != length:
            miscounted = length_shift(cache[part], length)
            raise Mismatch(f'cache["{part}"] should hold {length} arrays ({which}), but it holds {len(cache[part])}'
                           + (f": {miscounted.text}." if miscounted else "."), relation=miscounted.key if miscounted else None)
    return output, cache


def _cached(kind: str, i: int, what: str, rtol: float = 1e-9, atol: float = 1e-12, mistakes=()) -> Expect:
    """cache[kind][i] of forward's result (kind "Z" or "A") against the definition's. They are judged in the order of
    the pass, so a wrong one that no mistake or relation explains is that step's own (:func:`forward_step`)."""
    layer = i + 1 if kind == "Z" else i
    return Expect(f'cache["{kind}"][{i}] ({what})', lambda params, X, activations: forward_pass(params, X, activations)[1][kind][i],
                  rtol=rtol, atol=atol, read=lambda got, *args: _forward_cache(got, *args)[1][kind][i], mistakes=mistakes,
                  explain=None if layer == 0 else lambda *args: forward_step(kind, layer))


def forward_output(params, X, activations) -> np.ndarray:
    """A_L, (n, n_L): the output of the forward pass."""
    return forward_pass(params, X, activations)[0]


FORWARD_OUTPUT = Expect("output", forward_output, rtol=1e-9, atol=1e-12, read=lambda got, *args: _forward_cache(got, *args)[0], mistakes=(
    Mistake("output_activation_missing", lambda params, X, activations: forward_pass(params, X, activations)[1]["Z"][-1]),
))


def forward_expectations(L: int) -> tuple[Expect, ...]:
    """forward's result for L layers, part by part in the order of the pass: cache["A"][0] is X itself, then Z and A of each
    layer (the last A also without its activation), then the output."""
    last = (Mistake("output_activation_missing", lambda params, X, activations: forward_pass(params, X, activations)[1]["Z"][-1]),)
    layers = (e for l in range(L) for e in (_cached("Z", l, f"Z of layer {l + 1}"),
                                            _cached("A", l + 1, f"A of layer {l + 1}", mistakes=last if l == L - 1 else ())))
    return (_cached("A", 0, "it must be X itself", rtol=0, atol=0), *layers, FORWARD_OUTPUT)


@ASSIGNMENT.question(points=2, functions=("forward",))
def forward(rng, hidden):
    """forward(params, X, activations) returns (output, cache) with cache = {"Z": [...], "A": [X, ...]}."""
    nets = _visible_networks()[3:] if not hidden else _hidden_networks(rng)[2:6]
    for sizes, acts, n in nets:
        params, X = random_network(rng, sizes, acts, n)
        yield Case(f"layers {sizes}, activations {acts}, batch of {n}", "forward", (params, X, acts), expect=forward_expectations(len(params)))


def mse_gradient(A, Y) -> np.ndarray:
    """dC/dA of :func:`mse_cost_definition` by autograd, (n, k)."""
    import autograd.numpy as anp
    from autograd import grad

    return grad(lambda a: mse_cost_definition(a, Y, anp))(A)


MSE_COST_MISTAKES = (  # each a factor (for n = A.shape[0] rows and d = A.shape[1] outputs) on the right cost
    Mistake("cost_not_over_n", lambda A, Y: A.shape[0] * mse_cost_definition(A, Y)),
    Mistake("mse_over_every_entry", lambda A, Y: 1 / A.shape[1] * mse_cost_definition(A, Y)),
    Mistake("mse_over_outputs", lambda A, Y: A.shape[0] / A.shape[1] * mse_cost_definition(A, Y)),
    Mistake("mse_half_missing", lambda A, Y: 2.0 * mse_cost_definition(A, Y)),
)
MSE_COST = Expect("mse_cost(A, Y)", mse_cost_definition, result="scalar", rtol=1e-10, atol=1e-14, mistakes=MSE_COST_MISTAKES)

MSE_GRAD_MISTAKES = (  # each a factor on the right gradient, as for the cost
    Mistake("cost_not_over_n", lambda A, Y: A.shape[0] * mse_gradient(A, Y)),
    Mistake("mse_grad_doubled", lambda A, Y: 2.0 * mse_gradient(A, Y)),
    Mistake("mse_grad_sign", lambda A, Y: -mse_gradient(A, Y)),
    Mistake("mse_over_outputs", lambda A, Y: A.shape[0] / A.shape[1] * mse_gradient(A, Y)),
    Mistake("mse_over_every_entry", lambda A, Y: 1 / A.shape[1] * mse_gradient(A, Y)),
)
MSE_GRAD = Expect("mse_cost_grad(A, Y)", mse_gradient, rtol=1e-10, atol=1e-14, mistakes=MSE_GRAD_MISTAKES,
                  terms=lambda A, Y: {"Y": -Y / A.shape[0]})


def _scaled_error(args, c):
    """(A, Y) with the error A - Y multiplied by c."""
    A, Y = args
    return [Y + c * (A - Y), Y]


MSE_COST_LAWS = (
    zero_where("mse_cost", "A = Y (a perfect prediction)", lambda A, Y: [Y, Y], clause="mse_cost.value"),
    degree("mse_cost", "A - Y", 2, _scaled_error, clause="mse_cost.value"),
    repeated("mse_cost", "mean", 0, 1, clause="mse_cost.value"),
    repeated("mse_cost", "sum_over_columns", 0, 1, axis=1, clause="mse_cost.value"),
)
MSE_GRAD_LAWS = (
    zero_where("mse_cost_grad", "A = Y (a perfect prediction)", lambda A, Y: [Y, Y], clause="mse_cost_grad.value"),
    degree("mse_cost_grad", "A - Y", 1, _scaled_error, clause="mse_cost_grad.value"),
    repeated("mse_cost_grad", "mean_gradient", 0, 1, clause="mse_cost_grad.value"),
)
"""What every right mse_cost and mse_cost_grad obey, whatever their expected values (:mod:`autograder.judge.laws`)."""


@ASSIGNMENT.question(points=1, functions=("mse_cost", "mse_cost_grad"))
def mse(rng, hidden):
    """mse_cost(A, Y) = 0.5 * sum((A - Y)**2) / n and mse_cost_grad(A, Y) = (A - Y) / n."""
    shapes = [(5, 3), (1, 1), (8, 1)] if not hidden else [(int(rng.integers(2, 30)), int(rng.integers(2, 5))) for _ in range(2)]
    for shape in shapes:
        A, Y = rng.normal(size=shape), rng.normal(size=shape)
        yield Case(f"mse_cost on A, Y of shape {shape}", "mse_cost", (A, Y), expect=MSE_COST, clauses=("mse_cost.value",))
        yield Case(f"mse_cost_grad on A, Y of shape {shape}", "mse_cost_grad", (A, Y), expect=MSE_GRAD, clauses=("mse_cost_grad.value",))
    A, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    yield law_case("mse_cost's laws on A, Y of shape (6, 3)", "mse_cost", (A, Y), MSE_COST_LAWS)
    yield law_case("mse_cost_grad's laws on A, Y of shape (6, 3)", "mse_cost_grad", (A, Y), MSE_GRAD_LAWS)


def _backward_check(params, X, acts, G, cache):
    def check(got, oracles):
        pairs = _grads_structure(got, params, X.shape[0], "backward's result")
        expected = linear_cost_grads(params, X, acts, G)
        _compare_grads(pairs, expected, oracles.reveal,
                       lambda: _fingerprint(oracles, pairs, params, cache, G, acts), n=X.shape[0])
    return check


def _fingerprint(oracles, pairs, params, cache, G, acts) -> str | None:
    """The catalogue key of the instructor's mutant backward whose gradients equal ``pairs`` on this case, if any."""
    for mutant in oracles.mutants("backward"):
        wrong = mutant.implementation(params, cache, G, acts)
        if wrong is not None and all(np.shape(g) == np.shape(w) and np.allclose(g, w, rtol=1e-6, atol=1e-12)
                                     for gp, wp in zip(pairs, wrong) for g, w in zip(gp, wp)):
            return mutant.misconception
    return None


@ASSIGNMENT.question(points=4, functions=("backward",))
def backward(rng, hidden):
    """backward(params, cache, dC_dA_out, activations) returns every (dC/dW, dC/db), agreeing with autograd to 1e-7."""
    nets = _visible_networks() if not hidden else _hidden_networks(rng)
    for sizes, acts, n in nets:
        params, X = random_network(rng, sizes, acts, n)
        _, cache = forward_pass(params, X, acts)
        G = rng.normal(size=(n, sizes[-1]))
        yield Case(f"layers {sizes}, activations {acts}, batch of {n}", "backward", (params, cache, G, acts), check=_backward_check(params, X, acts, G, cache))


def _pipeline_check(params, X, Y, acts):
    def check(got, oracles):
        pairs = _grads_structure(got, params, X.shape[0], "the gradients")
        _compare_grads(pairs, mse_grads(params, X, Y, acts), oracles.reveal, lambda: None, n=X.shape[0], by_equation=False)  # fed by their own forward
    return check


@ASSIGNMENT.question(points=1, functions=("forward", "mse_cost_grad", "backward"), depends_on=("forward", "mse", "backward"))
def gradients(rng, hidden):
    """forward, mse_cost_grad and backward together give the gradient of the MSE cost (autograd agrees)."""
    nets = [([2, 5, 1], ["tanh", "identity"], 10), ([3, 4, 4, 2], ["relu", "elu", "sigmoid"], 6)] if not hidden else _hidden_networks(rng)[::3]
    for sizes, acts, n in nets:
        params, X = random_network(rng, sizes, acts, n)
        Y = rng.normal(size=(n, sizes[-1]))
        yield Case(f"MSE gradients, layers {sizes}, activations {acts}, batch of {n}", "backward", (params, X, Y, acts),
                   probe="forward_backward_mse", check=_pipeline_check(params, X, Y, acts))


NUMGRAD_FACTORS = {  # catalogue key -> (the student's value / the true gradient, for a step eps; what the student reads)
    "numgrad_missing_2": (lambda eps: 2.0, "twice the true gradient: a central difference divides by 2 * eps, the distance between w + eps and w - eps"),
    "numgrad_extra_2": (lambda eps: 0.5, "half the true gradient: the difference f(w + eps) - f(w - eps) spans 2 * eps, not 4 * eps"),
    "numgrad_reversed": (lambda eps: -1.0, "minus the true gradient: the central difference is f(w + eps) - f(w - eps), the value at the larger w first"),
    "numgrad_not_divided": (lambda eps: 2.0 * eps, "2 * eps times the true gradient: the difference f(w + eps) - f(w - eps) is not divided by 2 * eps"),
}


def _numgrad_check(name, params, eps=1e-6):
    def check(got, oracles):
        pairs = _grads_structure(got, params, None, f"numerical_gradient of {name!r}")
        factors = {key: factor(eps) for key, (factor, _) in NUMGRAD_FACTORS.items()}
        f = backprop_test_function(name)
        import autograd.numpy as anp
        expected = autograd_grads(params, backprop_test_function(name, anp))
        for l, ((dW, db), (eW, eb), (W, b)) in enumerate(zip(pairs, expected, params), start=1):
            for got_g, exp_g, P, what in ((dW, eW, W, "dW"), (db, eb, b, "db")):
                if np.allclose(got_g, exp_g, rtol=1e-6, atol=2e-8):
                    continue
                key = named_factor(constant_ratio(got_g, exp_g), factors, rtol=1e-5)
                if key is not None:
                    raise Mismatch(f"numerical_gradient is {NUMGRAD_FACTORS[key][1]} ({what} of layer {l}).", misconception=key)
                forward_diff = _forward_difference(f, params, l - 1, what, eps)
                if np.allclose(got_g, forward_diff, rtol=1e-6, atol=1e-9):
                    raise Mismatch(f"numerical_gradient uses a one-sided (forward) difference (f(w + eps) - f(w)) / eps ({what} of layer {l}); its error is of order eps. "
                                   "Use the central difference (f(w + eps) - f(w - eps)) / (2 eps), whose error is of order eps^2.", misconception="forward_difference")
                expect_close(got_g, exp_g, f"numerical {what} of layer {l}", rtol=1e-6, atol=2e-8, reveal=oracles.reveal)
    return check


def _forward_difference(f, params, layer, what, eps):
    work = [(np.array(W, float), np.array(b, float)) for W, b in params]
    P = work[layer][0 if what == "dW" else 1]
    out, base = np.zeros_like(P), f(work)
    for i in np.ndindex(P.shape):
        old = P[i]
        P[i] = old + eps
        out[i] = (f(work) - base) / eps
        P[i] = old
    return out


NUMERICAL_STEP_LAW = identity("halving eps barely changes a central difference: numerical_gradient with eps = 1e-4 and with eps = 5e-5 "
                              "agree to 1e-5 (relative)", image=flat_pairs, measure=flat_pairs,
                              transform=lambda name, params, eps: [name, params, eps / 2], rtol=1e-5, relation="law:step",
                              clause="numerical_gradient.rule")


@ASSIGNMENT.question(points=2, functions=("numerical_gradient",))
def numerical_gradient(rng, hidden):
    """numerical_gradient(f, params, eps=1e-6) returns central differences in the structure of params (autograd agrees)."""
    nets = [([3, 2], "cubic"), ([2, 3, 2], "cubic"), ([3, 4, 2], "network")] if not hidden else [
        ([int(w) for w in rng.integers(1, 5, size=int(rng.integers(2, 4)))], name) for name in ("cubic", "network", "cubic")]
    for sizes, name in nets:
        params = [(0.5 * rng.normal(size=(a, b)), 0.5 * rng.normal(size=b)) for a, b in zip(sizes[:-1], sizes[1:])]
        yield Case(f"numerical gradient of the {name!r} test function, layers {sizes}", "numerical_gradient", (name, params),
                   probe="numerical_gradient_of", check=_numgrad_check(name, params))
    params = [(0.5 * rng.normal(size=(3, 2)), 0.5 * rng.normal(size=2))]
    yield law_case("numerical_gradient's step law on the 'cubic' test function, layers [3, 2]", "numerical_gradient", ("cubic", params, 1e-4),
                   (NUMERICAL_STEP_LAW,), probe="numerical_gradient_of")


# --- training ----------------------------------------------------------------------------

# train is built on these; when one of them fails its own question, train's feedback names it first.
TRAINING_PIECES = ("activations", "init_params", "forward", "mse", "backward")

def _train_result(got, layer_sizes, epochs):
    if not isinstance(got, (list, tuple)) or len(got) != 2:
        raise Mismatch("train should return a pair (params, losses).")
    params = layer_pairs(got[0], list(layer_sizes), "the params returned by train")
    miscounted = length_shift(got[1], epochs)
    if miscounted is not None:
        raise Mismatch(f"losses holds {len(got[1])} values for {epochs} epochs: {miscounted.text}.", relation=miscounted.key)
    losses = expect_array(got[1], (epochs,), "losses (one per epoch)")
    return params, losses


def _full_batch_descent(X, Y, setup, seed):
    """What train must return when batch_size >= n: plain gradient descent from the documented init (autograd gradients)."""
    params = init_recipe(setup["layer_sizes"], seed)
    losses = []
    for _ in range(setup["epochs"]):
        grads = mse_grads(params, X, Y, setup["activations"])
        params = [(W - setup["lr"] * dW, b - setup["lr"] * db) for (W, b), (dW, db) in zip(params, grads)]
        out, _ = forward_pass(params, X, setup["activations"])
        losses.append(0.5 * np.sum((out - Y) ** 2) / X.shape[0])
    return params, np.asarray(losses)


def train_recipe(Y, setup) -> Recipe:
    """Every step of train, for the trace (:mod:`autograder.judge.training_trace`): the output gradient of a batch's
    mse_cost is (A - Y_batch) / m, then W <- W - lr * dW and b <- b - lr * db."""
    def gradient(output, rows):
        m = len(rows)
        return (output - Y[rows]) / m, {"A / m": output / m, "Y / m": -Y[rows] / m}
    return Recipe(gradient, setup["lr"], len(Y), setup["batch_size"], setup["epochs"])


def _convention_check(X, Y, setup, seed):
    def check(got, oracles):
        params, losses = _train_result(got, setup["layer_sizes"], setup["epochs"])
        if setup["batch_size"] >= X.shape[0]:
            exp_params, exp_losses = _full_batch_descent(X, Y, setup, seed)
        else:
            exp_params, exp_losses = oracles.reference("train")(X, Y, seed=seed, **setup)
        out, _ = forward_pass(params, X, setup["activations"])
        expect_close(losses[-1], 0.5 * np.sum((out - Y) ** 2) / X.shape[0], "the last loss (it should be the MSE cost of the returned params on the whole data set)",
                     rtol=1e-9, atol=1e-14, reveal=True)
        differ = ~np.isclose(losses, exp_losses, rtol=1e-6, atol=1e-12)
        if differ.any():  # the trajectory first: where it parts says more than the final values
            k = int(np.argmax(differ))
            who = "plain gradient descent from init_params(layer_sizes, seed)" if setup["batch_size"] >= X.shape[0] else "the reference"
            shown = f" (expected {exp_losses[k]:.10g}, got {losses[k]:.10g})" if oracles.reveal else ""
            where = ("the first epoch already differs: check init_params(layer_sizes, seed), the one permutation per epoch drawn from "
                     "np.random.default_rng(seed) after it, and the update params -= lr * grads" if k == 0 else
                     "the start and the first epochs are right, so look at what changes from epoch to epoch: a new permutation each "
                     "epoch from the same generator, and updates applied to the current parameters")
            raise Mismatch(f"your losses agree with {who} for the first {k} epoch(s), then differ at epoch {k + 1}{shown}: {where}.")
        for l, ((W, b), (eW, eb)) in enumerate(zip(params, exp_params), start=1):
            expect_close(W, eW, f"W of layer {l} after training", rtol=1e-6, atol=1e-10, reveal=oracles.reveal)
            expect_close(b, eb, f"b of layer {l} after training", rtol=1e-6, atol=1e-10, reveal=oracles.reveal)
    return check


# --- the shuffling, seen through a salted digest of the reference's trajectory ---------------

SHUFFLE_SALT = "04_backprop/train/7e1b"
SHUFFLE_SIGNIFICANT = 9
SHUFFLE_ORDERS = {  # how the batches of each epoch are ordered: the contract's rule, and the mistakes it is told from
    None: lambda rng, n, epochs: [rng.permutation(n) for _ in range(epochs)],
    "train_not_shuffled": lambda rng, n, epochs: [np.arange(n)] * epochs,
    "train_shuffled_once": lambda rng, n, epochs: [rng.permutation(n)] * epochs,
}


def shuffle_case() -> tuple[np.ndarray, np.ndarray, dict, int]:
    """The fixed visible mini-batch run: (X, Y, setup, seed); 5 epochs of batches of 4 over 10 rows (the last batch is short)."""
    rng = np.random.default_rng(404)
    X, Y = rng.normal(size=(10, 3)), rng.normal(size=(10, 2))
    return X, Y, {"layer_sizes": [3, 4, 2], "activations": ["tanh", "identity"], "lr": 0.4, "epochs": 5, "batch_size": 4}, 11


def sgd_training(X, Y, setup, seed, orders):
    """(params, losses) of mini-batch SGD from the documented init, one index order per epoch (autograd gradients)."""
    params, losses, size = init_recipe(setup["layer_sizes"], seed), [], setup["batch_size"]
    for order in orders:
        for start in range(0, X.shape[0], size):
            rows = order[start:start + size]
            grads = mse_grads(params, X[rows], Y[rows], setup["activations"])
            params = [(W - setup["lr"] * dW, b - setup["lr"] * db) for (W, b), (dW, db) in zip(params, grads)]
        out, _ = forward_pass(params, X, setup["activations"])
        losses.append(0.5 * np.sum((out - Y) ** 2) / X.shape[0])
    return params, np.asarray(losses)


def trajectory_digests(losses) -> list[str]:
    """One salted digest per epoch of the loss rounded to SHUFFLE_SIGNIFICANT digits."""
    return [salted_digest(SHUFFLE_SALT, k, f"{float(v):.{SHUFFLE_SIGNIFICANT - 1}e}", length=16) for k, v in enumerate(losses)]


def expected_digests(reference) -> dict:
    """The digests of the reference's losses on :func:`shuffle_case` (pass the reference namespace)."""
    X, Y, setup, seed = shuffle_case()
    return {"shuffle": trajectory_digests(reference["train"](X, Y, seed=seed, **setup)[1])}


DIGESTS = visible(ASSIGNMENT.name)


def _shuffle_check(X, Y, setup, seed):
    def check(got, oracles):
        _, losses = _train_result(got, setup["layer_sizes"], setup["epochs"])
        k = next((k for k, (g, e) in enumerate(zip(trajectory_digests(losses), DIGESTS["shuffle"])) if g != e), None)
        if k is None:
            return
        for key, order in SHUFFLE_ORDERS.items():
            if key is not None and np.allclose(losses, sgd_training(X, Y, setup, seed, order(np.random.default_rng(seed), len(X), setup["epochs"]))[1],
                                               rtol=1e-9, atol=1e-14):
                raise Mismatch(f"your losses after each epoch are those of {ASSIGNMENT.misconceptions[key].name}.", misconception=key)
        raise Mismatch(f"your loss after epoch {k + 1} of {setup['epochs']} is not the one the contract's recipe gives "
                       f"({'the earlier epochs agree' if k else 'already the first epoch differs'}, to {SHUFFLE_SIGNIFICANT} significant digits): "
                       "params = init_params(layer_sizes, seed), then rng = np.random.default_rng(seed) and, every epoch, order = rng.permutation(n) "
                       "and the batches order[start:start + batch_size]; the loss is mse_cost on the whole data set after each epoch.")

    return check


@ASSIGNMENT.question(points=1, functions=("train",), depends_on=TRAINING_PIECES)
def train_convention(rng, hidden):
    """train follows the documented convention: init_params, one permutation per epoch, SGD on mse, loss after each epoch."""
    n, sizes = 12, [3, 4, 2]
    X, Y = rng.normal(size=(n, 3)), rng.normal(size=(n, 2))
    seed = int(rng.integers(0, 1000))
    setup = {"layer_sizes": sizes, "activations": ["tanh", "identity"], "lr": 0.3, "epochs": 4, "batch_size": n if not hidden else 5}
    kind = "full batch" if not hidden else "mini-batches of 5"
    yield Case(f"{setup['epochs']} epochs on {n} random points, {kind}, seed {seed}", "train", (X, Y), kwargs={**setup, "seed": seed}, probe="traced",
               check=explained(_convention_check(X, Y, setup, seed), [train_recipe(Y, setup)]), clauses=("train.shuffle",) if hidden else ())
    if not hidden:
        X, Y, setup, seed = shuffle_case()
        yield Case(f"{setup['epochs']} epochs of mini-batches of {setup['batch_size']} on {len(X)} fixed points, seed {seed}: a new permutation every epoch",
                   "train", (X, Y), kwargs={**setup, "seed": seed}, probe="traced", check=explained(_shuffle_check(X, Y, setup, seed), [train_recipe(Y, setup)]),
                   clauses=("train.shuffle",))


def _regression_check(X, Y, seed):
    def check(got, oracles):
        params, losses = _train_result(got, REGRESSION["layer_sizes"], REGRESSION["epochs"])
        out, _ = forward_pass(params, X, REGRESSION["activations"])
        final = 0.5 * np.sum((out - Y) ** 2) / X.shape[0]
        expect_true(np.isclose(losses[-1], final, rtol=1e-6, atol=1e-12),
                    f"losses[-1] = {losses[-1]:.6g}, but the cost of the returned params on the data is {final:.6g}: record mse_cost on the whole data set after each epoch.")
        expect_true(final < REGRESSION_THRESHOLD,
                    f"after training, the cost is {final:.4g}, above the threshold {REGRESSION_THRESHOLD} (the reference reaches about 0.003). "
                    "Check the gradients (the backward question) and the update params -= lr * grads.")
        expect_true(losses[-1] < losses[0], "the loss did not decrease over training.")
    return check


@ASSIGNMENT.question(points=2, functions=("train",), depends_on=TRAINING_PIECES)
def train_regression(rng, hidden):
    """train fits y = x0^2 + 3 x0 x1 + x1^2 + 5 with a 2-16-1 tanh network below the loss threshold."""
    data = load("regression")
    seed = 0 if not hidden else int(rng.integers(0, 10_000))
    yield Case(f"regression data, layers {REGRESSION['layer_sizes']}, seed {seed}", "train", (data["X"], data["Y"]), kwargs={**REGRESSION, "seed": seed},
               check=_regression_check(data["X"], data["Y"], seed), timeout=REGRESSION_SECONDS)


def _xor_check(X, Y):
    def check(got, oracles):
        params, losses = _train_result(got, XOR["layer_sizes"], XOR["epochs"])
        out, _ = forward_pass(params, X, XOR["activations"])
        predicted = (out > 0.5).astype(float)
        wrong = np.flatnonzero(predicted[:, 0] != Y[:, 0])
        if wrong.size:
            rows = ", ".join(f"{tuple(int(v) for v in X[i])} -> {out[i, 0]:.3f}" for i in wrong)
            raise Mismatch(f"the trained 2-2-1 network gets {wrong.size} of 4 XOR rows wrong (output thresholded at 0.5): {rows}.")
    return check


@ASSIGNMENT.question(points=1, functions=("train",), depends_on=TRAINING_PIECES)
def train_xor(rng, hidden):
    """train learns XOR with a 2-2-1 network (tanh hidden layer, sigmoid output): 100% accuracy."""
    data = load("xor")
    X, Y = data["X"], data["y"][:, None]
    # The same seeds for every student: whether a 2-2-1 network learns XOR depends on its start, and
    # a nearly right train (or backward) learns it from some starts only, so a seed drawn per
    # student would give identical code different marks. Grading judges the visible case too, so
    # the hidden cases are the other seeds (seed 0 is not trained twice).
    for seed in XOR_SEEDS[1:] if hidden else XOR_SEEDS[:1]:
        yield Case(f"XOR, layers {XOR['layer_sizes']}, seed {seed}", "train", (X, Y), kwargs={**XOR, "seed": seed}, check=_xor_check(X, Y), timeout=20.0)


TIMING = {"layer_sizes": [4, 8, 8, 2], "n": 256, "repeats": 300}


_BASELINE_BEST: dict[tuple, float] = {}
BASELINE_DOUBT = 4.0
"""A best-of-three baseline in CPU time is never this many times too slow, so a call faster than
VECTORISED_FACTOR / BASELINE_DOUBT baselines passes on it; a pass closer to the limit is confirmed
against one more measurement (a better baseline can only turn a pass into a failure)."""


def baseline_cpu_seconds(sizes: tuple, n: int, repeats: int, again: bool = False) -> float:
    """CPU seconds of the vectorised baseline over as many passes of the same shapes, measured
    in this (the grader's) process: building the workload and one :func:`matmul_baseline` per
    batch, the work a vectorised forward + backward does.

    The work is fixed, so noise (a busy sibling core, a stolen time slice) can only lengthen a
    measurement: the baseline is the best of every measurement this process has made, three
    the first time and one more each time it is asked for ``again``. A baseline measured once in
    a noisy moment would let a loop over the samples pass: see :data:`BASELINE_DOUBT`.
    """
    key = (sizes, n, repeats)
    for _ in range(3 if key not in _BASELINE_BEST else 1 if again else 0):
        start = time.thread_time()
        params, Xs, Gs, _ = timing_workload(list(sizes), n, repeats, 0)
        for X, G in zip(Xs, Gs):
            matmul_baseline(params, X, G)
        _BASELINE_BEST[key] = min(_BASELINE_BEST.get(key, float("inf")), time.thread_time() - start)
    return _BASELINE_BEST[key]


@functools.lru_cache(maxsize=8)  # the visible case's batches are the same in every submission: its sums are computed once
def _expected_sums(sizes: tuple, n: int, repeats: int, seed: int, forward=None, backward=None) -> tuple[list, list]:
    """``(params, the gradients of every batch of timing_workload, summed)``. With the reference's ``forward`` and
    ``backward``, one batch at a time (small arrays are fast); else from autograd on the batches stacked into one
    (the cost is a sum over rows)."""
    params, Xs, Gs, acts = timing_workload(list(sizes), n, repeats, seed)
    if backward is None:
        total = linear_cost_grads(params, Xs.reshape(-1, Xs.shape[-1]), acts, Gs.reshape(-1, Gs.shape[-1]))
    else:
        total = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
        for X, G in zip(Xs, Gs):
            grads = backward(params, forward(params, X, acts)[1], G, acts)
            total = [(tW + dW, tb + db) for (tW, tb), (dW, db) in zip(total, grads)]
    for array in (a for pair in (*params, *total) for a in pair):
        array.flags.writeable = False  # shared by every submission's check
    return params, total


def _timing_check(sizes: list, n: int, repeats: int, seed: int):
    def check(got, oracles):
        by_reference = (oracles.reference("forward"), oracles.reference("backward")) if oracles.has_reference else ()
        params, expected = _expected_sums(tuple(sizes), n, repeats, seed, *by_reference)
        pairs = _grads_structure(got, params, n, f"backward (summed over the {repeats} batches)")
        for l, ((dW, db), (eW, eb)) in enumerate(zip(pairs, expected)):  # speed counts only for right values
            for what, value, exact in (("dW", dW, eW), ("db", db, eb)):
                if not np.allclose(value, exact, rtol=GRAD_RTOL, atol=1e-9 * repeats):
                    raise Mismatch(f"the gradients of forward + backward on these batches are wrong ({what} of layer {l + 1}): "
                                   "speed earns this point only for a backward pass whose values are right; fix the backward question first.")
        if oracles.cpu_seconds is None:
            raise Mismatch("the time of the call was not measured.")
        baseline = baseline_cpu_seconds(tuple(sizes), n, repeats)
        if VECTORISED_FACTOR / BASELINE_DOUBT < oracles.cpu_seconds / max(baseline, 1e-9) <= VECTORISED_FACTOR:
            baseline = baseline_cpu_seconds(tuple(sizes), n, repeats, again=True)
        ratio = oracles.cpu_seconds / max(baseline, 1e-9)
        if ratio > VECTORISED_FACTOR:
            raise Mismatch(f"{repeats} passes of forward + backward on batches of {n} took {oracles.cpu_seconds:.2f} s of CPU time, {ratio:.0f}x the "
                           f"{baseline:.3f} s of the same matrix products done directly (allowed: {VECTORISED_FACTOR:g}x). Is there a Python loop "
                           "over the samples? Process the whole batch with matrix products.", misconception="loop_over_samples")
    return check


@ASSIGNMENT.question(points=1, functions=("forward", "backward"))
def vectorised(rng, hidden):
    """forward + backward on batches of 256 are vectorised: at most 8x the CPU time of the bare matrix products, with right gradients."""
    # hidden: batches per student, so no answer can be worked out before the call; in a process of its own without
    # autodiff libraries, so that a patched probe cannot make the right gradients fast with them instead of `backward`
    seed = int(rng.integers(2**31))
    args = (TIMING["layer_sizes"], TIMING["n"], TIMING["repeats"], seed)
    yield Case(f"{TIMING['repeats']} passes of forward + backward, layers {TIMING['layer_sizes']}, batches of {TIMING['n']}", "backward", args,
               probe="forward_backward_passes", check=_timing_check(*args), timeout=20.0, forbidden_libraries=AUTODIFF_LIBRARIES)


ASSIGNMENT.sample_mistakes.update({
    # The bias gradient is averaged over the batch instead of summed.
    "backward": (
        "def backward(params, cache, dC_dA_out, activations):\n"
        "    result = []\n"
        "    grad_A = dC_dA_out\n"
        "    for layer in range(len(params) - 1, -1, -1):\n"
        "        d = grad_A * ACTIVATIONS[activations[layer]][1](cache['Z'][layer])\n"
        "        result.insert(0, (cache['A'][layer].T @ d, d.mean(axis=0)))\n"
        "        grad_A = d @ params[layer][0].T\n"
        "    return result\n"
    ),
    # The cost is summed instead of averaged over the rows.
    "mse_cost": "def mse_cost(A, Y):\n    return 0.5 * np.sum((A - Y) ** 2)\n",
})


# --- the contract: the clauses of each student function's docstring, and the questions that check them ---
ASSIGNMENT.contract("ACTIVATIONS", names="Maps identity, sigmoid, tanh, relu, leaky_relu (alpha = 0.01) and elu (alpha = 1.0) to (f, f_prime).",
                    value="f computes the activation elementwise, keeping the shape of z.", prime="f_prime takes z (not a = f(z)) and returns f'(z).",
                    sigmoid_stable="sigmoid is 1 / (1 + exp(-z)) without overflow warnings for large |z|.")
ASSIGNMENT.checks("activations", "ACTIVATIONS.names", "ACTIVATIONS.value", "ACTIVATIONS.prime")
ASSIGNMENT.contract("init_params", shapes="A list of L tuples (W, b), W of shape (n_{l-1}, n_l), b of shape (n_l,).",
                    recipe="rng = np.random.default_rng(seed) once; W = rng.normal(size=(n_{l-1}, n_l)) / sqrt(n_{l-1}) layer by layer; b = zeros.")
ASSIGNMENT.checks("init_params", "init_params.shapes", "init_params.recipe")
ASSIGNMENT.contract("forward", output="output = A_L of shape (n, n_L).",
                    cache="cache = {'Z': [Z_1..Z_L], 'A': [A_0 = X, A_1..A_L]}, Z_l = A_{l-1} @ W_l + b_l, A_l = f_l(Z_l).")
ASSIGNMENT.checks("forward", "forward.output", "forward.cache")
ASSIGNMENT.contract("mse_cost", value="0.5 * sum((A - Y)**2) / n: summed over outputs, averaged over the n rows.")
ASSIGNMENT.contract("mse_cost_grad", value="(A - Y) / n, of shape (n, k).")
ASSIGNMENT.contract("backward", shapes="A list of L tuples (dW, db) in the order of params, with the shapes of (W, b).",
                    rule="delta_L = dC/dA_L * f'(Z_L); delta_l = (delta_{l+1} @ W_{l+1}.T) * f'(Z_l); dC/dW_l = A_{l-1}.T @ delta_l.",
                    db="dC/db_l = delta_l summed over the rows.")
ASSIGNMENT.checks("backward", "backward.shapes", "backward.rule", "backward.db")
ASSIGNMENT.checks("gradients", "forward.output", "mse_cost_grad.value", "backward.rule")
ASSIGNMENT.contract("numerical_gradient", rule="Each entry gets (f(w + eps) - f(w - eps)) / (2 * eps): central differences.",
                    shapes="Returns a list of L tuples (dW, db) with the shapes of (W, b).", unchanged="params is not modified.")
ASSIGNMENT.checks("numerical_gradient", "numerical_gradient.rule", "numerical_gradient.shapes", "numerical_gradient.unchanged")
ASSIGNMENT.contract("train", init="params = init_params(layer_sizes, seed).",
                    shuffle="A separate rng = np.random.default_rng(seed); each epoch order = rng.permutation(n), batches order[start:start + batch_size].",
                    step="Every batch: forward, mse_cost_grad, backward, params <- params - lr * grads.",
                    losses="losses: shape (epochs,), mse_cost on the whole data set after each epoch.",
                    learns="Trained long enough, the network fits the regression target and XOR.")
ASSIGNMENT.checks("train_convention", "train.init", "train.step", "train.losses")
ASSIGNMENT.checks("train_regression", "train.learns")
ASSIGNMENT.checks("train_xor", "train.learns")
ASSIGNMENT.checks("vectorised", "backward.shapes")

# --- what a relation between a student's value and the expected one means here (autograder.relations) ---
ASSIGNMENT.relations("init_params", {"length+1": "layer_count_off_by_one", "length-1": "layer_count_off_by_one"})
ASSIGNMENT.relations("numerical_gradient", {"zero": "numgrad_zero"})
ASSIGNMENT.relations("mse", {"missing:Y": "mse_grad_target", "flipped:Y": "mse_grad_target", "scaled:Y": "mse_grad_target", "extra:Y": "mse_grad_target"})
ASSIGNMENT.relations("activations", {"missing_factor": "fprime_formula", "inverted_factor": "fprime_formula", "sign": "fprime_formula",
                                     **{f"{kind}:{term}": "fprime_formula" for kind in ("missing", "extra", "flipped", "scaled")
                                        for term in _PRIME_TERMS}})
ASSIGNMENT.relations("train_convention", {"length+1": "epochs_off_by_one", "length-1": "epochs_off_by_one", **relation_table(
    "train_batches", "train_output_gradient", "train_update_rule", terms=("A / m", "Y / m"),
    named={"gradient:factor:n": "cost_not_over_n", "gradient:factor:2": "mse_grad_doubled", "gradient:sign": "mse_grad_sign", "update:uphill": "train_step_sign",
           "update:frozen": "train_parameter_frozen", "update:without_lr": "train_step_without_lr"})})
ASSIGNMENT.shows_downstream(TRAINING_PIECES, "train_output_gradient")
