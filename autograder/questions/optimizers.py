"""06_optimizers — gradient descent, momentum, AdaGrad, RMSprop and Adam; initialisation; vanishing gradients.

Conventions (stated in the notebook's introduction): an optimizer is a class built from
keyword hyper-parameters (``GradientDescent(lr=0.1)``, ``Momentum(lr=0.01, beta=0.9)``,
``AdaGrad(lr=0.01, eps=1e-8)``, ``RMSprop(lr=0.001, rho=0.9, eps=1e-8)``,
``Adam(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8)``); ``step(params, grads)`` takes two
lists of float64 arrays and returns a NEW list (modifying neither); its state is created
at the first step; ``reset()`` forgets it. Optimizer objects cannot cross as plain data,
so the probe ``optimizer_steps`` builds the student's class by name in the student's
process and returns only the parameter values after each step.

Oracles, visible cases: properties and relations that follow from the stated update
rules for special inputs (plain descent is ``w - lr g``; momentum with beta = 0 is plain
descent; a constant gradient gives closed-form steps; the first adaptive step is
``lr g / (|g| + eps)``; ``reset()`` reproduces the first run), and, for one fixed random
sequence per optimizer, salted digests of the reference's rounded parameter values
(made by :func:`expected_digests` from the reference; a test asserts they agree). Hidden
cases compare with the reference classes of the solution notebook on random sequences to
1e-12. Where the reference is present, mistakes are named by fingerprint: the
instructor-only mutants in ``solutions/06_optimizers/mutants.py``.

Initialisation: variance (the formula is the definition), mean, the share of entries
within one standard deviation (normality), shape and determinism over large draws.
Gradient norms: autograd through this module's own forward pass. The ill-conditioned
race: the student's classes and ``run_quadratic``; the closed form of gradient descent
on a quadratic (through the eigenvectors of A) checks the loss curve.
"""

from __future__ import annotations

import copy

import numpy as np

from ..judge.compare import Mismatch, expect_array, expect_close, expect_float64, expect_true, salted_digest
from ..judge.digests import visible
from ..judge.expectation import Expect, Mistake
from ..judge.misconceptions import Relation
from ..judge.networks import autograd_grads, compare_forward, compare_gradients, forward_pass, layer_pairs, sizes_of
from ..student.probes.optimizers import optimizer_steps
from ..judge.laws import identity, law_case
from ..judge.question import Assignment, Case
from ..judge.relations import IN_PLACE, constant_ratio, constant_shift, describe, factor_relation, named_factor

ASSIGNMENT = Assignment("06_optimizers", "optimizers.ipynb", "Optimizers and initialisation")

CLASSES = ("GradientDescent", "Momentum", "AdaGrad", "RMSprop", "Adam")
DEFAULTS = {
    "GradientDescent": {"lr": 0.1},
    "Momentum": {"lr": 0.01, "beta": 0.9},
    "AdaGrad": {"lr": 0.01, "eps": 1e-8},
    "RMSprop": {"lr": 0.001, "rho": 0.9, "eps": 1e-8},
    "Adam": {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
}
STATE = {"GradientDescent": "(it has none)", "Momentum": "the velocities", "AdaGrad": "the accumulated squares",
         "RMSprop": "the running averages", "Adam": "m, v and the step counter t"}
PROPERTY_RTOL, REFERENCE_RTOL, ATOL = 1e-10, 1e-12, 1e-12

# The race on the ill-conditioned quadratic (the notebook states these numbers).
VALLEY = np.diag([1.0, 100.0])
VALLEY_START = np.array([1.0, 1.0])
RACE = {"steps": 300, "threshold": 1e-3, "gd_lr": 2.0 / 101.0, "adam_lr": 0.1}

# --- the mistakes this assignment's checks can name ------------------------------
SIGN = ASSIGNMENT.misconception("update_sign", "update moves uphill",
                                "an optimizer moves against the gradient: w <- w - lr * (...); your parameters move along it.",
                                ("relation", "fingerprint"), questions=("gradient_descent", "momentum", "adagrad", "rmsprop", "adam"))
DAMPENED = ASSIGNMENT.misconception("momentum_dampened", "momentum as an average (dampening)",
                                    "the velocity adds the whole gradient, v <- beta * v + g; (1 - beta) * g gives a different, slower rule.",
                                    ("relation", "fingerprint"), questions=("momentum",))
NO_BIAS = ASSIGNMENT.misconception("no_bias_correction", "Adam without bias correction",
                                   "m and v start at zero, so divide them by (1 - beta1**t) and (1 - beta2**t) before the step.",
                                   ("relation", "fingerprint"), questions=("adam",))
ASSIGNMENT.misconception("eps_inside_root", "eps inside the square root",
                         "add eps after taking the root: g / (sqrt(s) + eps), not g / sqrt(s + eps).",
                         "fingerprint", questions=("adagrad", "rmsprop", "adam"))
ASSIGNMENT.misconception("root_misplaced", "square root in the wrong place",
                         "the state averages the squares g**2 and is stored without a root; the root is taken only in the step, of the state: g / (sqrt(s) + eps).",
                         "fingerprint", questions=("adagrad", "rmsprop", "adam"))
ASSIGNMENT.misconception("bias_correction_stored", "bias correction stored in the state",
                         "m_hat and v_hat are used for the step only; keep the uncorrected m and v as the state.",
                         "fingerprint", questions=("adam",))
ASSIGNMENT.misconception("t_per_parameter", "step counter advanced per parameter",
                         "t counts calls to step (one update of all parameters), so increase it once per call, not once per array.",
                         "fingerprint", questions=("adam",))
ASSIGNMENT.misconception("decay_swapped", "decay weights swapped",
                         "the old average keeps the weight rho (close to 1) and the new g**2 gets 1 - rho.",
                         "fingerprint", questions=("rmsprop", "adam"))
RESET = ASSIGNMENT.misconception("reset_incomplete", "reset() keeps state",
                                 "after reset() the next step must behave like the first step of a fresh optimizer: forget every piece of state.",
                                 "property", questions=("momentum", "adagrad", "rmsprop", "adam"))
LR_TWICE = ASSIGNMENT.misconception("lr_applied_twice", "learning rate applied twice",
                                   "the velocity accumulates the gradients themselves, v <- beta * v + g; lr multiplies it once, in w <- w - lr * v.",
                                   "relation", questions=("momentum",))
LOOK_AHEAD = ASSIGNMENT.misconception("look_ahead_step", "a look-ahead (Nesterov) step",
                                      "classic momentum steps with the updated velocity itself, w <- w - lr * v, not with beta * v + g.",
                                      "relation", questions=("momentum",))
AVERAGE_WEIGHT = ASSIGNMENT.misconception("average_weight_missing", "1 - rho missing on g**2",
                                          "s is a running average, s <- rho * s + (1 - rho) * g**2; without the 1 - rho it grows towards g**2 / (1 - rho).",
                                          "relation", questions=("rmsprop",))
T_SHIFTED = ASSIGNMENT.misconception("t_shifted", "step counter shifted by one",
                                     "t is 0 before the first step and 1 during it, so the first bias correction divides m by 1 - beta1 and v by 1 - beta2.",
                                     "relation", questions=("adam",))
CORRECTION_BETA = ASSIGNMENT.misconception("correction_betas_swapped", "beta1 and beta2 swapped in a bias correction",
                                           "m_hat divides by 1 - beta1**t and v_hat by 1 - beta2**t: each average by its own decay rate.",
                                           "relation", questions=("adam",))
STATE_START = ASSIGNMENT.misconception("state_not_from_zero", "state does not start at zero",
                                       "the state is created as zeros of each parameter's shape (np.zeros_like) at the first step, so the first step sees only g.",
                                       ("relation", "fingerprint"), questions=("momentum", "adagrad", "rmsprop", "adam"))
STEP_SCALED = ASSIGNMENT.misconception("update_scaled", "the update's size off by a constant factor",
                                      "every entry moved the right way by the same multiple of the right update, so one scalar factor of the step is "
                                      "wrong: lr (applied once), the weights 1 - beta or 1 - rho of the averages, Adam's bias corrections "
                                      "1 - beta1**t and 1 - beta2**t, or the square root of the state.",
                                      "relation", questions=("gradient_descent", "momentum", "adagrad", "rmsprop", "adam"))
NON_FINITE = {  # the optimizers whose step divides by a root of their state: what NaN or inf in a step means
    "AdaGrad": ASSIGNMENT.misconception("update_not_finite", "NaN or inf in a step",
                                        "a step divided by zero or took the root of a negative number: the state, a sum or a running average of "
                                        "g**2, is never negative, and eps keeps the divisor sqrt(s) + eps above 0.", "relation",
                                        questions=("adagrad", "rmsprop")),
    "Adam": ASSIGNMENT.misconception("adam_update_not_finite", "NaN or inf in an Adam step",
                                     "a step divided by zero or took the root of a negative number: the bias correction 1 - beta**t is 0 while t "
                                     "is still 0 (count the step before using t), and v, a running average of g**2, is never negative.",
                                     "relation", questions=("adam",)),
}
NON_FINITE["RMSprop"] = NON_FINITE["AdaGrad"]
IN_PLACE_UPDATE = ASSIGNMENT.misconception("params_updated_in_place", "parameters updated in place",
                                           "step returns NEW arrays: write p - lr * ... instead of p -= ..., which changes the caller's parameters.",
                                           "relation", questions=("gradient_descent", "momentum", "adagrad", "rmsprop", "adam"))
STATE_SHARED = ASSIGNMENT.misconception("state_shared", "state shared across instances",
                                      "keep the state on the instance (self.... = None in __init__ or reset), not on the class or in a global, "
                                      "so that two optimizers never share it.", "property", questions=("momentum", "adagrad", "rmsprop", "adam"))
FAN_OUT = ASSIGNMENT.misconception("he_fan_out", "He variance with fan_out",
                                   "He initialisation divides by the fan-in, n_in (the number of inputs of each unit): variance 2 / n_in.",
                                   "relation", questions=("he_init",))
WRONG_VARIANCE = ASSIGNMENT.misconception("init_variance", "initialisation variance",
                                          "compare the variance of your entries with the formula; np.random.Generator.normal takes the standard deviation, the square root of the variance.",
                                          "relation", questions=("xavier_init", "he_init"))
NOT_NORMAL = ASSIGNMENT.misconception("init_not_normal", "not normally distributed",
                                      "draw the entries with generator.normal(0.0, std, size=...), not from a uniform distribution.",
                                      "property", questions=("xavier_init", "he_init"))
NORM_BIASES = ASSIGNMENT.misconception("norms_of_biases", "norms of the bias gradients",
                                       "measure the weight gradients dC/dW (the first of each pair), not dC/db.", "relation", questions=("gradient_norms",))
NORM_ORDER = ASSIGNMENT.misconception("norms_reversed", "layers in reverse order",
                                      "entry 0 belongs to the first layer W_1; backward's list is already in layer order.", "relation", questions=("gradient_norms",))
NORM_SQUARED = ASSIGNMENT.misconception("norms_squared", "squared norms",
                                        "the Frobenius norm is the square root of the sum of squares.", "relation", questions=("gradient_norms",))
NORM_BELOW_OUTPUT = ASSIGNMENT.misconception("norms_wrong_below_output", "gradients wrong below the output layer",
                                            "the output layer's gradient is right, so the forward pass and dC/dA_out are too; below it, backward "
                                            "multiplies dC/dA by f'(Z) of each hidden layer (check your sigmoid_prime and relu_prime) and passes "
                                            "delta @ W.T down.", "relation", questions=("gradient_norms",))
MSE_SCALE = ASSIGNMENT.misconception("mse_grad_scale", "mse_cost_grad divided by the wrong number",
                                     "the cost is a mean over the n rows (samples), so its gradient is (A - Y) / n with n = A.shape[0]; "
                                     "every layer's gradient scales with it.", "relation", questions=("gradient_norms",))
LOSS_HALF = ASSIGNMENT.misconception("loss_without_half", "loss without the 1/2", "the loss of the quadratic is f(w) = 0.5 * w @ A @ w; "
                                   "w @ A @ w alone is twice it.", "relation", questions=("quadratic",))
LOSS_COUNT = ASSIGNMENT.misconception("losses_one_too_many", "one step too many",
                                      "make exactly `steps` steps: losses holds f(w0) and then one loss after each step, steps + 1 in all.",
                                      "property", questions=("quadratic",))
LR_MISSING = ASSIGNMENT.misconception("lr_missing", "learning rate missing",
                                    "the step is scaled by the learning rate: w <- w - lr * (...); your update is 1 / lr times the size it should have.",
                                    "relation", questions=("gradient_descent", "momentum", "adagrad", "rmsprop", "adam"))
STEP_FACTOR = ASSIGNMENT.misconception("step_factor_misplaced", "a factor of the step misplaced",
                                     "the step is lr * (the gradient, or its average) / (sqrt(s) + eps): each of the three factors once, lr and the gradient "
                                     "multiplying, sqrt(s) + eps dividing.", "relation", questions=("adagrad", "rmsprop", "adam"))
NO_UPDATE = ASSIGNMENT.misconception("parameters_unchanged", "parameters returned unchanged",
                                     "step must return p - lr * (...) for every parameter, from a state that takes in the gradient g; "
                                     "your step leaves the parameters where they are.", "property",
                                     questions=("gradient_descent", "momentum", "adagrad", "rmsprop", "adam"))
STATE_NOT_CARRIED = ASSIGNMENT.misconception("state_not_carried", "state not carried over between steps",
                                             "the state accumulates: the new value adds to the previous one (beta * v, G + ..., rho * s, beta1 * m, "
                                             "beta2 * v); built from the latest g alone, every step starts afresh.", "fingerprint",
                                             questions=("momentum", "adagrad", "rmsprop", "adam"))
EPS_MISSING = ASSIGNMENT.misconception("eps_missing", "eps missing in the denominator",
                                       "divide by sqrt(s) + eps: eps keeps the step finite where the state is 0 or tiny.", "fingerprint",
                                       questions=("adagrad", "rmsprop", "adam"))
MOMENT_WEIGHT = ASSIGNMENT.misconception("moment_weight_missing", "1 - beta missing in a running average",
                                         "m and v are running averages: m <- beta1 * m + (1 - beta1) * g and v <- beta2 * v + (1 - beta2) * g**2; "
                                         "without the weight 1 - beta the new gradient counts too much.", ("relation", "fingerprint"), questions=("adam",))
LOSS_START = ASSIGNMENT.misconception("losses_without_start", "initial loss missing",
                                      "losses[0] is f(w0), before any step, so there are steps + 1 losses.", "property", questions=("quadratic",))


# --- reading what the probe returns ---------------------------------------------------

def _read_runs(got, cls: str, params: list, steps: int, runs: int) -> list[list[list[np.ndarray]]]:
    """Validate the probe's list of runs (each a list of parameter lists); return float arrays."""
    if not isinstance(got, list) or len(got) != runs:
        raise Mismatch(f"the check could not read the runs of `{cls}` (got {type(got).__name__}).")
    result = []
    for r, run in enumerate(got):
        states = []
        for k, state in enumerate(run):
            what = f"what `{cls}.step` returned at step {k + 1}"
            if not isinstance(state, list):
                raise Mismatch(f"{what} should be a list of arrays, one per parameter, but it is a {type(state).__name__}."
                               + (" Did you update the arrays in place and forget to return the new list?" if state is None else ""))
            if len(state) != len(params):
                raise Mismatch(f"{what} holds {len(state)} arrays, but params holds {len(params)}: return one updated array per parameter, in order.")
            for i, (s, p) in enumerate(zip(state, params)):
                entries = expect_array(s, np.shape(p), f"{what}, entry {i}", finite=False)
                if not np.all(np.isfinite(entries)):
                    raise Mismatch(f"{what}, entry {i} contains {int(np.sum(~np.isfinite(entries)))} non-finite value(s) (NaN or inf).",
                                   misconception=NON_FINITE.get(cls))
                expect_float64(s, f"{what}, entry {i}")
            states.append([np.asarray(s, dtype=float) for s in state])
        if len(states) != steps:
            raise Mismatch(f"the check could not read all {steps} steps of `{cls}`.")
        result.append(states)
    return result


def _first_difference(got: list, expected: list, rtol: float) -> int | None:
    """The first step k at which an array of ``got[k]`` is not ``np.allclose`` to its entry of
    ``expected[k]`` (to ``rtol`` and ``ATOL``), or None; every step is compared in one ``isclose``."""
    pairs = [(k, *np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float)))
             for k, (g, e) in enumerate(zip(got, expected)) for x, y in zip(g, e)]
    if not pairs:
        return None
    close = np.isclose(np.concatenate([x.ravel() for _, x, _ in pairs]), np.concatenate([y.ravel() for _, _, y in pairs]), rtol=rtol, atol=ATOL)
    steps = np.repeat([k for k, _, _ in pairs], [x.size for _, x, _ in pairs])
    return None if close.all() else int(steps[np.argmin(close)])


def _steps(trajectory: list, params: list) -> list[list[np.ndarray]]:
    """The update of every step: state_k - state_{k-1} (state_0 = params)."""
    previous, out = params, []
    for state in trajectory:
        out.append([s - p for s, p in zip(state, previous)])
        previous = state
    return out


def _flat(arrays: list) -> np.ndarray:
    """The entries of a list of arrays (one per parameter) as one vector."""
    return np.concatenate([np.ravel(a) for a in arrays])


def _ratio(got_step: list, expected_step: list) -> float | None:
    """The common factor got / expected of two updates, when there is one."""
    g, e = _flat(got_step), _flat(expected_step)
    mask = np.abs(e) > 1e-12 * max(np.max(np.abs(e)), 1e-300)
    if not mask.any():
        return None
    ratios = g[mask] / e[mask]
    return float(np.median(ratios)) if np.allclose(ratios, np.median(ratios), rtol=1e-3) else None  # loose: eps perturbs the ratio slightly


def run_reference(cls: type, name: str, params: list, sequence: list, options: dict, runs: int = 1) -> list:
    """What ``cls`` (a reference class or a mutant) produces on the case, through the same probe code."""
    try:
        return optimizer_steps({name: cls}, name, [copy.deepcopy(params), copy.deepcopy(sequence)], {"options": dict(options), "runs": runs})
    except (ArithmeticError, ValueError, IndexError, TypeError):
        return []


def _fingerprint(oracles, cls: str, params: list, sequence: list, options: dict, trajectory: list) -> tuple[str, str] | None:
    """(misconception key, description) of the instructor's mutant that produces ``trajectory``, if any."""
    if not oracles.has_reference:
        return None
    for mutant, key, text in oracles.mutants(cls):
        with np.errstate(all="ignore"):
            runs = run_reference(mutant, cls, params, sequence, options)
        if runs and len(runs[0]) == len(trajectory) and _first_difference(trajectory, runs[0], 1e-9) is None:
            return key, text
    return None


# Factors between the student's update and the right one (at the first step that differs) that name a
# mistake, per optimizer, as functions of the hyper-parameters (table entries, see autograder.judge.relations).
FACTORS = {
    # A key "key/variant" stands for the catalogue key before the slash (one mistake, several factors); when
    # factors of two different mistakes coincide for the case's hyper-parameters, neither is named.
    "GradientDescent": {LR_MISSING: lambda o: 1.0 / o["lr"]},
    "Momentum": {LR_TWICE: lambda o: o["lr"], LOOK_AHEAD: lambda o: 1.0 + o["beta"], LR_MISSING: lambda o: 1.0 / o["lr"]},
    "AdaGrad": {LR_MISSING: lambda o: 1.0 / o["lr"]},
    "RMSprop": {AVERAGE_WEIGHT: lambda o: np.sqrt(1.0 - o["rho"]), LR_MISSING: lambda o: 1.0 / o["lr"]},
    "Adam": {NO_BIAS: lambda o: (1.0 - o["beta1"]) / np.sqrt(1.0 - o["beta2"]), T_SHIFTED: lambda o: np.sqrt(1.0 + o["beta2"]) / (1.0 + o["beta1"]),
             CORRECTION_BETA: lambda o: np.sqrt((1.0 - o["beta1"]) / (1.0 - o["beta2"])), LR_MISSING: lambda o: 1.0 / o["lr"],
             f"{NO_BIAS}/m only": lambda o: 1.0 - o["beta1"],  # v corrected, m not: the first step is (1 - beta1) lr g / |g|
             f"{NO_BIAS}/v only": lambda o: 1.0 / np.sqrt(1.0 - o["beta2"]),  # m corrected, v not
             f"{MOMENT_WEIGHT}/v": lambda o: np.sqrt(1.0 - o["beta2"])},  # v <- beta2 * v + g**2: v_hat = g**2 / (1 - beta2)
}
FIRST_STATE = {"AdaGrad": lambda g, o: g ** 2, "RMSprop": lambda g, o: (1.0 - o["rho"]) * g ** 2}
"""The state after the first step from zero; what a first update implies about the state is compared with it."""
STATE_FACTORS = {"RMSprop": {AVERAGE_WEIGHT: lambda o: 1.0 / (1.0 - o["rho"])}}
"""Factors between that implied state and the right one that name a mistake."""
FIRST_NORMALISER = {cls: lambda g, o, rho=rho: 1.0 / (np.sqrt(rho(o)) * np.abs(g) + o["eps"])
                    for cls, rho in (("AdaGrad", lambda o: 1.0), ("RMSprop", lambda o: 1.0 - o["rho"]), ("Adam", lambda o: 1.0))}
"""1 / (sqrt(s) + eps) of the first step from a zero state (Adam's bias-corrected v_hat = g**2): the factor the first update divides by."""


def _first_step_factors(cls: str, got_step: list, exp_step: list, grads: list, hyper: dict) -> Relation | None:
    """The first update compared factor by factor with lr * g (times 1 / (sqrt(s) + eps) for the adaptive methods): one of
    them missing, dividing or twice."""
    factors = {"lr": hyper["lr"], "g": _flat(grads)}
    if cls in FIRST_NORMALISER:
        factors["1 / (sqrt(s) + eps)"] = _flat([FIRST_NORMALISER[cls](g, hyper) for g in grads])
    with np.errstate(all="ignore"):
        return factor_relation(_flat(got_step), _flat(exp_step), factors)


def _first_state_mistake(cls: str, got_step: list, grads: list, hyper: dict) -> str | None:
    """The catalogue key of what the first update lr * g / (sqrt(s) + eps) implies about the state s: the right
    state times a named factor, or plus a constant (it did not start at zero); None if neither."""
    if cls not in FIRST_STATE:
        return None
    with np.errstate(all="ignore"):
        implied = _flat([(hyper["lr"] * g / -u - hyper["eps"]) ** 2 for u, g in zip(got_step, grads)])
    right = _flat([FIRST_STATE[cls](g, hyper) for g in grads])
    if not np.all(np.isfinite(implied)):
        return None
    key = named_factor(constant_ratio(implied, right, rtol=1e-4), {k: f(hyper) for k, f in STATE_FACTORS.get(cls, {}).items()})
    return key or (STATE_START if constant_shift(implied, right, rtol=1e-4) is not None else None)


def _unique_factor(ratio: float | None, factors: dict[str, float]) -> str | None:
    """The catalogue key of the factors (labels ``key`` or ``key/variant``) that ``ratio`` equals, if they all
    name one mistake; None when none matches or the matching factors name different mistakes."""
    keys = {label.split("/")[0] for label, factor in factors.items() if named_factor(ratio, {label: factor}) is not None}
    return keys.pop() if len(keys) == 1 else None


def _explain(cls: str, k: int, steps: int, source: str, got_step: list, exp_step: list, named: tuple[str, str] | None,
             extra_relations: dict | None = None, options: dict | None = None, grads: list | None = None, before: list | None = None) -> Mismatch:
    """The Mismatch for a trajectory whose step ``k`` (0-based) is the first to differ (``before``: the parameters it started from)."""
    agree = "the first step agrees" if k == 1 else f"the first {k} steps agree"
    head = (f"`{cls}.step`: {agree} with the update rule, but the parameters after step {k + 1} of {steps} differ"
            if k else f"`{cls}.step`: the parameters after the first step (of {steps}) differ") + f" from {source}."
    if named:
        return Mismatch(f"{head} Your updates match {named[1]}.", misconception=named[0])
    ratio = _ratio(got_step, exp_step)
    if ratio is not None and np.isclose(ratio, -1.0, rtol=1e-6):
        return Mismatch(f"{head} Your update has the right size but the wrong sign: it moves uphill, along the gradient.", misconception=SIGN)
    for factor, (key, text) in (extra_relations or {}).items():
        if ratio is not None and np.isclose(ratio, factor, rtol=1e-3):
            return Mismatch(f"{head} {text}", misconception=key)
    hyper = {**DEFAULTS[cls], **(options or {})}
    factor_key = _unique_factor(ratio, {key: factor(hyper) for key, factor in FACTORS.get(cls, {}).items()})
    if factor_key is not None:
        return Mismatch(f"{head} Your update points the right way but is {ratio:.4g} times the size it should have.", misconception=factor_key)
    state_key = _first_state_mistake(cls, got_step, grads, hyper) if k == 0 and grads is not None else None
    if state_key is not None:
        return Mismatch(f"{head} Your first update lr * g / (sqrt(s) + eps) implies a state s other than the update rule's.", misconception=state_key)
    if ratio is not None and not np.isclose(ratio, 0.0):
        return Mismatch(f"{head} Your update points the right way but is {ratio:.4g} times the size it should have.", misconception=STEP_SCALED)
    found = _first_step_factors(cls, got_step, exp_step, grads, hyper) if k == 0 and grads is not None else None
    if found is not None:  # the catalogue's words where the step has the adaptive methods' three factors, else the kit-wide ones
        return Mismatch(f"{head} Your first step is {found.text}.", misconception=STEP_FACTOR if cls in FIRST_NORMALISER else None, relation=found.key)
    if all(not np.any(s) for s in got_step):
        return Mismatch(f"{head} Your step did not change the parameters at all.", misconception=NO_UPDATE)
    if before is not None:  # the returned parameters themselves may stand in a relation to the right ones (lr * g - w: the sign)
        found = describe(_flat(before) + _flat(got_step), _flat(before) + _flat(exp_step))
        if found is not None:
            return Mismatch(f"{head} The parameters you return are {found[1].text}.", relation=found[0])
    return Mismatch(f"{head} Compare your state update and your step with the formulas in the docstring.")


# --- digests of the reference on fixed visible sequences ----------------------------

SALT = "06_optimizers/a5c1"
DIGEST_SIGNIFICANT = 9  # the reference's values, rounded to 9 significant digits


def digest_case(cls: str) -> tuple[list, list, dict]:
    """The fixed visible sequence of ``cls``: (params, grads sequence, options)."""
    rng = np.random.default_rng(600 + CLASSES.index(cls))
    params = [rng.normal(size=(3, 2)), rng.normal(size=2)]
    scales = [1.0, 0.01]  # one parameter with much smaller gradients: per-weight step sizes matter
    sequence = [[scale * rng.normal(size=p.shape) for p, scale in zip(params, scales)] for _ in range(6)]
    options = {"GradientDescent": {"lr": 0.3}, "Momentum": {"lr": 0.05, "beta": 0.8}, "AdaGrad": {"lr": 0.2, "eps": 1e-3},
               "RMSprop": {"lr": 0.05, "rho": 0.8, "eps": 1e-3}, "Adam": {"lr": 0.05, "beta1": 0.8, "beta2": 0.95, "eps": 1e-3}}[cls]
    return params, sequence, options


def _rounded(state: list[np.ndarray]) -> str:
    return ",".join(f"{v:.{DIGEST_SIGNIFICANT - 1}e}" for p in state for v in np.ravel(p))


def digest(cls: str, step: int, state: list[np.ndarray]) -> str:
    return salted_digest(SALT, cls, step, _rounded(state), length=16)


def expected_digests(reference: dict) -> dict[str, list[str]]:
    """The digests of the reference's parameters after each step of :func:`digest_case` (pass the reference namespace)."""
    table = {}
    for cls in CLASSES[1:]:
        params, sequence, options = digest_case(cls)
        (trajectory,) = run_reference(reference[cls], cls, params, sequence, options)
        table[cls] = [digest(cls, k, state) for k, state in enumerate(trajectory)]
    return table


DIGESTS = visible(ASSIGNMENT.name)


# --- the checks of one optimizer case ------------------------------------------------

def _optimizer_check(cls: str, params: list, sequence: list, options: dict, runs: int, source: str,
                     expected: list | None = None, digests: bool = False, relations: dict | None = None, fresh: bool = False):
    """Check a trajectory: against ``expected`` (a property), the digests, or (hidden) the reference; then reset()."""
    steps = len(sequence)

    def check(got, oracles):
        trajectories = _read_runs(got, cls, params, steps, runs)
        trajectory = trajectories[0]
        if oracles.judges_by_reference:
            (target,) = run_reference(oracles.reference(cls), cls, params, sequence, options)
            rtol, where = REFERENCE_RTOL, "the reference implementation (to 1e-12)"
        elif expected is not None:
            target, rtol, where = expected, PROPERTY_RTOL, source
        else:
            target, rtol, where = None, REFERENCE_RTOL, source
        if target is not None:
            k = _first_difference(trajectory, target, rtol)
            if k is not None:
                named = _fingerprint(oracles, cls, params, sequence, options, trajectory)
                raise _explain(cls, k, steps, where, _steps(trajectory, params)[k], _steps(target, params)[k], named, relations,
                               options=options, grads=sequence[k], before=trajectory[k - 1] if k else params)
        if digests:
            table = DIGESTS[cls]
            k = next((k for k, state in enumerate(trajectory) if digest(cls, k, state) != table[k]), None)
            if k is not None:
                named = _fingerprint(oracles, cls, params, sequence, options, trajectory)
                head = (f"`{cls}.step`: {'your first step agrees' if k == 1 else f'your first {k} steps agree'} with the update rule (to {DIGEST_SIGNIFICANT} significant digits), "
                        f"but the parameters after step {k + 1} of {steps} do not" if k else
                        f"`{cls}.step`: the parameters after the first step (of {steps}) are not those of the update rule")
                if named:
                    raise Mismatch(f"{head}. Your updates match {named[1]}.", misconception=named[0])
                raise Mismatch(f"{head}. Compare your state update and your step with the formulas in the docstring "
                               f"(the hyper-parameters here: {', '.join(f'{k}={v:g}' for k, v in options.items())}).")
        for r, other in enumerate(trajectories[1:], start=2):
            k = _first_difference(other, trajectory, 1e-12)
            if k is not None and fresh:
                raise Mismatch(f"`{cls}`: a second, new {cls}(...) on the same parameters and gradients differs from the first at step {k + 1}: "
                               "it starts from the state the first one left.", misconception=STATE_SHARED)
            if k is not None:
                raise Mismatch(f"`{cls}`: after reset(), run {r} on the same parameters and gradients differs from the first run at step {k + 1}: "
                               f"reset() must forget {STATE[cls]}, so that the next step is like a fresh optimizer's first.", misconception=RESET)

    return check


def _case(cls: str, label: str, params: list, sequence: list, options: dict, runs: int = 1, fresh: bool = False, **check) -> Case:
    clauses = ((f"{cls}.instance" if fresh else f"{cls}.reset",) if runs > 1 else ()) + ((f"{cls}.defaults",) if not options else ())
    return Case(label, cls, (params, sequence), kwargs={"options": options, "runs": runs, **({"fresh": True} if fresh else {})},
                probe="optimizer_steps", check=_optimizer_check(cls, params, sequence, options, runs, fresh=fresh, **check), clauses=clauses)


ADAPTIVE = ("AdaGrad", "RMSprop", "Adam")
"""The optimizers whose step divides by the root of (an average of) the squared gradients."""


def _displacements(value, params, sequence, options) -> np.ndarray:
    """Every parameter's change from its start after each step (optimizer_steps' value, one run), as one vector."""
    return _flat([np.asarray(state[i], dtype=float) - p for run in value for state in run for i, p in enumerate(params)])


def _steps_readable(value, params, sequence, options) -> None:
    """The laws compare parameters only where every step returned a list of arrays shaped like params (a NaN in them
    breaks a law; :func:`_read_runs` judges the rest on the value cases)."""
    if not isinstance(value, list) or any(not isinstance(state, (list, tuple)) or len(state) != len(params) or
                                          any(np.shape(w) != np.shape(p) for w, p in zip(state, params)) for run in value for state in run):
        raise Mismatch("step should return a list of arrays shaped like params at every step.")


def optimizer_laws(cls: str) -> tuple:
    """What every right optimizer of class ``cls`` obeys on a fixed sequence of gradients (whatever the parameters, which no
    gradient here depends on): each parameter's change is proportional to lr, and of degree 1 in the gradients (gradient
    descent, momentum) or 0 (the adaptive ones, with eps negligible: g / sqrt(g**2) has no scale)."""
    k, c = (0 if cls in ADAPTIVE else 1), 4.0
    why = "the step divides by the root of the squared gradients" if k == 0 else "the step is the gradients times constants"
    return (identity(f"multiplying lr by {c:g} multiplies every parameter's change by {c:g}", relation="law:degree:lr:1",
                     transform=lambda params, sequence, options: [params, sequence, {**options, "lr": c * options["lr"]}],
                     measure=_displacements, image=lambda value, *args: c * _displacements(value, *args), clause=f"{cls}.rule"),
            identity(f"multiplying every gradient by {c:g} {'leaves every parameter change unchanged' if k == 0 else f'multiplies every parameter change by {c:g}'} "
                     f"({why})", relation=f"law:degree:the gradients:{k}",
                     transform=lambda params, sequence, options: [params, [[c * g for g in grads] for grads in sequence], options],
                     measure=_displacements, image=lambda value, *args: c ** k * _displacements(value, *args), clause=f"{cls}.rule"))


def _law_case(cls: str, rng) -> Case:
    """The laws of :func:`optimizer_laws` on three random gradients (eps 1e-12 where there is one, so that it is negligible)."""
    params = [rng.normal(size=(3, 2)), rng.normal(size=2)]
    options = {**DEFAULTS[cls], "lr": 0.05, **({"eps": 1e-12} if "eps" in DEFAULTS[cls] else {})}
    shown = ", ".join(f"{k}={v:g}" for k, v in options.items())
    return law_case(f"{cls}({shown})'s laws on 3 random gradients for [W (3, 2), b (2,)]", cls, (params, _random_sequence(rng, params, 3, spread=False), options),
                    optimizer_laws(cls), what=f"`{cls}.step`", probe="optimizer_steps", judgeable=_steps_readable)


def _trajectory(params: list, updates: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    """States after each update: params - cumulative updates (the updates are what is subtracted)."""
    states, current = [], params
    for update in updates:
        current = [p - u for p, u in zip(current, update)]
        states.append(current)
    return states


def _random_params(rng, scales: bool = True) -> list[np.ndarray]:
    shapes = [(int(rng.integers(1, 5)), int(rng.integers(1, 5))), (int(rng.integers(1, 6)),)][: int(rng.integers(1, 3))]
    if rng.random() < 0.5:
        shapes.append((int(rng.integers(1, 4)), int(rng.integers(1, 4))))
    return [rng.normal(size=s) for s in shapes]


def _random_sequence(rng, params: list, steps: int, spread: bool = True) -> list:
    """``steps`` lists of gradients shaped like ``params``, each parameter's of its own scale between 1e-2 and 10 (``spread``), else 1."""
    scales = 10.0 ** rng.uniform(-2, 1, size=len(params)) if spread else np.ones(len(params))
    return [[scale * rng.normal(size=p.shape) for p, scale in zip(params, scales)] for _ in range(steps)]


def _hidden_options(rng, cls: str) -> dict:
    lr = float(10 ** rng.uniform(-3, -0.3))
    eps = float(rng.choice([1e-8, 1e-4, 1e-2]))
    return {"GradientDescent": {"lr": lr}, "Momentum": {"lr": lr, "beta": float(rng.uniform(0.3, 0.99))},
            "AdaGrad": {"lr": lr, "eps": eps}, "RMSprop": {"lr": lr, "rho": float(rng.uniform(0.3, 0.99)), "eps": eps},
            "Adam": {"lr": lr, "beta1": float(rng.uniform(0.5, 0.95)), "beta2": float(rng.uniform(0.8, 0.9999)), "eps": eps}}[cls]


def _hidden_cases(rng, cls: str):
    for i in range(3):
        params = _random_params(rng)
        steps = int(rng.integers(3, 12))
        sequence = _random_sequence(rng, params, steps)
        options = _hidden_options(rng, cls)
        yield _case(cls, f"a random sequence of {steps} gradients for {len(params)} parameter arrays, then reset() and again", params,
                    sequence, options, runs=2, source="the reference")


def _digest_visible(cls: str):
    params, sequence, options = digest_case(cls)
    shown = ", ".join(f"{k}={v:g}" for k, v in options.items())
    return _case(cls, f"{cls}({shown}) on a fixed random sequence of {len(sequence)} gradients, then reset() and again",
                 params, sequence, options, runs=2, source="the update rule", digests=True)


def _two_instances(cls: str):
    """Two new instances, one after the other, on the fixed visible sequence: the second must not see the first's state."""
    params, sequence, options = digest_case(cls)
    return _case(cls, f"two new {cls}(...) objects, one after the other, on the same {len(sequence)} gradients", params, sequence, options,
                 runs=2, fresh=True, source="the first instance")


# --- the optimizer questions ------------------------------------------------------------

@ASSIGNMENT.question(points=1, functions=("GradientDescent",))
def gradient_descent(rng, hidden):
    """GradientDescent(lr).step(params, grads) returns the new list [w - lr * g]."""
    if hidden:
        yield from _hidden_cases(rng, "GradientDescent")
        return
    params = [rng.normal(size=(3, 2)), rng.normal(size=2)]
    sequence = _random_sequence(rng, params, 3)
    for options in ({"lr": 0.3}, {}):
        lr = options.get("lr", DEFAULTS["GradientDescent"]["lr"])
        expected = _trajectory(params, [[lr * g for g in grads] for grads in sequence])
        label = f"GradientDescent({'lr=0.3' if options else ''}) on 3 gradients for [W (3, 2), b (2,)]" + ("" if options else " (the default lr = 0.1)")
        yield _case("GradientDescent", label, params, sequence, options, runs=2, source="w - lr * g", expected=expected)
    yield _law_case("GradientDescent", rng)


@ASSIGNMENT.question(points=2, functions=("Momentum",))
def momentum(rng, hidden):
    """Momentum(lr, beta): v <- beta * v + g, w <- w - lr * v; reset() forgets v."""
    if hidden:
        yield from _hidden_cases(rng, "Momentum")
        return
    yield _two_instances("Momentum")  # first: state shared across instances would also leak into the later cases
    params = [rng.normal(size=(2, 3)), rng.normal(size=3)]
    sequence = _random_sequence(rng, params, 4)
    expected = _trajectory(params, [[0.2 * g for g in grads] for grads in sequence])
    yield _case("Momentum", "Momentum(lr=0.2, beta=0) on 4 random gradients: with beta = 0 it is plain gradient descent", params, sequence,
                {"lr": 0.2, "beta": 0.0}, source="plain gradient descent (beta = 0)", expected=expected)
    lr, beta, steps = DEFAULTS["Momentum"]["lr"], DEFAULTS["Momentum"]["beta"], 40
    g = [rng.normal(size=(2, 2)), rng.normal(size=1)]
    params = [rng.normal(size=(2, 2)), rng.normal(size=1)]
    factors = [(1 - beta ** t) / (1 - beta) for t in range(1, steps + 1)]  # v_t = (1 + beta + ... + beta^(t-1)) g
    expected = _trajectory(params, [[lr * f * gi for gi in g] for f in factors])
    yield _case("Momentum", f"Momentum() (defaults lr=0.01, beta=0.9) with the same gradient {steps} times: v_t = (1 - beta^t) / (1 - beta) g",
                params, [g] * steps, {}, source="the constant-gradient steps lr (1 - beta^t) / (1 - beta) g", expected=expected,
                relations={1 - beta: (DAMPENED, "Your velocity tends to g instead of g / (1 - beta): it averages the gradients (a factor 1 - beta on g).")})
    yield _law_case("Momentum", rng)
    yield _digest_visible("Momentum")


@ASSIGNMENT.question(points=2, functions=("AdaGrad",))
def adagrad(rng, hidden):
    """AdaGrad(lr, eps): G <- G + g**2, w <- w - lr * g / (sqrt(G) + eps); reset() forgets G."""
    if hidden:
        yield from _hidden_cases(rng, "AdaGrad")
        return
    yield _two_instances("AdaGrad")  # first: state shared across instances would also leak into the later cases
    lr, eps = DEFAULTS["AdaGrad"]["lr"], DEFAULTS["AdaGrad"]["eps"]
    params = [rng.normal(size=(3, 3)), rng.normal(size=3)]
    grads = [rng.normal(size=(3, 3)), 1e-3 * rng.normal(size=3)]
    expected = _trajectory(params, [[lr * gi / (np.abs(gi) + eps) for gi in grads]])
    yield _case("AdaGrad", "AdaGrad() (defaults lr=0.01, eps=1e-8), one step: lr * g / (|g| + eps), about lr for every weight", params, [grads], {},
                source="the first step lr * g / (|g| + eps)", expected=expected)
    steps, lr = 25, 0.1
    g = [rng.normal(size=(2, 2)), rng.normal(size=2)]
    start = [rng.normal(size=(2, 2)), rng.normal(size=2)]
    expected = _trajectory(start, [[lr * gi / (np.sqrt(t) * np.abs(gi) + eps) for gi in g] for t in range(1, steps + 1)])
    yield _case("AdaGrad", f"AdaGrad(lr=0.1) with the same gradient {steps} times: step t is lr * g / (sqrt(t) |g| + eps)", start, [g] * steps,
                {"lr": lr}, source="the constant-gradient steps lr * g / (sqrt(t) |g| + eps)", expected=expected)
    yield _law_case("AdaGrad", rng)
    yield _digest_visible("AdaGrad")


@ASSIGNMENT.question(points=2, functions=("RMSprop",))
def rmsprop(rng, hidden):
    """RMSprop(lr, rho, eps): s <- rho * s + (1 - rho) * g**2, w <- w - lr * g / (sqrt(s) + eps); reset() forgets s."""
    if hidden:
        yield from _hidden_cases(rng, "RMSprop")
        return
    yield _two_instances("RMSprop")  # first: state shared across instances would also leak into the later cases
    lr, rho, eps = DEFAULTS["RMSprop"]["lr"], DEFAULTS["RMSprop"]["rho"], DEFAULTS["RMSprop"]["eps"]
    params = [rng.normal(size=(2, 3)), rng.normal(size=3)]
    sequence = _random_sequence(rng, params, 4)
    expected = _trajectory(params, [[0.05 * gi / (np.abs(gi) + 1e-3) for gi in grads] for grads in sequence])
    yield _case("RMSprop", "RMSprop(lr=0.05, rho=0, eps=1e-3) on 4 random gradients: with rho = 0 every step is lr * g / (|g| + eps)", params,
                sequence, {"lr": 0.05, "rho": 0.0, "eps": 1e-3}, source="lr * g / (|g| + eps) (rho = 0)", expected=expected)
    steps = 20
    g = [rng.normal(size=(2, 2)), rng.normal(size=2)]
    start = [rng.normal(size=(2, 2)), rng.normal(size=2)]
    expected = _trajectory(start, [[lr * gi / (np.sqrt(1 - rho ** t) * np.abs(gi) + eps) for gi in g] for t in range(1, steps + 1)])
    yield _case("RMSprop", f"RMSprop() (defaults lr=0.001, rho=0.9, eps=1e-8) with the same gradient {steps} times: s_t = (1 - rho^t) g^2",
                start, [g] * steps, {}, source="the constant-gradient steps lr * g / (sqrt(1 - rho^t) |g| + eps)", expected=expected)
    yield _law_case("RMSprop", rng)
    yield _digest_visible("RMSprop")


@ASSIGNMENT.question(points=2, functions=("Adam",))
def adam(rng, hidden):
    """Adam(lr, beta1, beta2, eps) with bias correction; reset() forgets m, v and t."""
    if hidden:
        yield from _hidden_cases(rng, "Adam")
        return
    yield _two_instances("Adam")  # first: state shared across instances would also leak into the later cases
    d = DEFAULTS["Adam"]
    params = [rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(2, 1))]
    grads = [rng.normal(size=(3, 2)), 10.0 * rng.normal(size=2), 1e-2 * rng.normal(size=(2, 1))]
    expected = _trajectory(params, [[d["lr"] * gi / (np.abs(gi) + d["eps"]) for gi in grads]])
    no_bias = (1 - d["beta1"]) / np.sqrt(1 - d["beta2"])  # m / sqrt(v) after one step without the hats
    relation = {no_bias: (NO_BIAS, f"Your first step is {no_bias:.4g} times lr * g / |g|: (1 - beta1) / sqrt(1 - beta2), the bias of m and v that start at zero.")}
    yield _case("Adam", "Adam() (defaults lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8), one step: thanks to bias correction it is lr * g / (|g| + eps)",
                params, [grads], {}, source="the first step lr * g / (|g| + eps)", expected=expected, relations=relation)
    steps, lr, eps = 30, 0.01, d["eps"]
    g = [rng.normal(size=(2, 2)), rng.normal(size=2)]
    start = [rng.normal(size=(2, 2)), rng.normal(size=2)]
    expected = _trajectory(start, [[lr * gi / (np.abs(gi) + eps) for gi in g]] * steps)
    yield _case("Adam", f"Adam(lr=0.01) with the same gradient {steps} times: with bias correction m_hat = g and v_hat = g^2 at every step",
                start, [g] * steps, {"lr": lr}, source="the constant-gradient steps lr * g / (|g| + eps)", expected=expected, relations=relation)
    yield _law_case("Adam", rng)
    yield _digest_visible("Adam")


# --- the ill-conditioned quadratic ---------------------------------------------------

def quadratic_loss(A: np.ndarray, w: np.ndarray) -> float:
    return float(0.5 * w @ A @ w)


def gd_losses_closed_form(A: np.ndarray, w0: np.ndarray, lr: float, steps: int) -> np.ndarray:
    """f(w_k) for w_k = (I - lr A)^k w0, through the eigenvectors of A: 0.5 sum_i lam_i (1 - lr lam_i)^(2k) c_i^2."""
    lam, Q = np.linalg.eigh(A)
    c = Q.T @ w0
    k = np.arange(steps + 1)[:, None]
    return 0.5 * np.sum(lam * (1.0 - lr * lam) ** (2 * k) * c ** 2, axis=1)


def _quadratic_check(A: np.ndarray, w0: np.ndarray, lr: float, steps: int):
    def check(got, oracles):
        if not isinstance(got, list) or len(got) != 1:
            raise Mismatch("the check could not read the result of run_quadratic.")
        losses = got[0]
        if isinstance(losses, np.ndarray) and losses.shape == (steps,):
            raise Mismatch(f"run_quadratic returned {steps} losses for {steps} steps; return steps + 1 = {steps + 1}, starting with f(w0) before any step.",
                           misconception=LOSS_START)
        if isinstance(losses, np.ndarray) and losses.shape == (steps + 2,):
            raise Mismatch(f"run_quadratic returned {steps + 2} losses for {steps} steps: one step too many; return steps + 1 = {steps + 1}.",
                           misconception=LOSS_COUNT)
        losses = expect_array(losses, (steps + 1,), "the losses returned by run_quadratic", finite=False)
        if oracles.judges_by_reference:
            expected = np.asarray(oracles.reference("run_quadratic")(oracles.reference("GradientDescent")(lr=lr), A.copy(), w0.copy(), steps), dtype=float)
        else:
            expected = gd_losses_closed_form(A, w0, lr, steps)
        f0 = quadratic_loss(A, w0)
        if np.isclose(losses[0], 2 * f0, rtol=1e-9):
            raise Mismatch("losses[0] is w0 @ A @ w0, twice f(w0): the loss is 0.5 * w @ A @ w.", misconception=LOSS_HALF)
        if steps and np.isclose(losses[0], f0, rtol=1e-9) and np.allclose(losses[1:], 2 * expected[1:], rtol=1e-8) and not np.allclose(losses, expected, rtol=1e-8):
            raise Mismatch("losses[0] is f(w0), but every later loss is twice the loss after that step: each loss is 0.5 * w @ A @ w.",
                           misconception=LOSS_HALF)
        expect_true(bool(np.isclose(losses[0], f0, rtol=1e-9)), f"losses[0] should be f(w0) = 0.5 * w0 @ A @ w0, the loss before any step{f' = {f0:.10g}' if oracles.reveal else ''}, but it is {losses[0]:.10g}.")
        if np.allclose(losses[1:], expected[:-1], rtol=1e-8) and not np.allclose(losses, expected, rtol=1e-8):
            raise Mismatch("your losses lag one step behind: losses[k] must be the loss after k steps (compute it after each update).")
        if np.allclose(losses[1:], losses[0]) and steps > 0:
            raise Mismatch("your losses never change: use the parameters that optimizer.step returns for the next step (it does not update w in place).")
        expect_close(losses, expected, "the losses of gradient descent on the quadratic", rtol=1e-9, atol=1e-14, reveal=oracles.reveal)

    return check


@ASSIGNMENT.question(points=1, functions=("GradientDescent", "run_quadratic"))
def quadratic(rng, hidden):
    """run_quadratic(optimizer, A, w0, steps) returns the steps + 1 losses 0.5 w^T A w of the optimizer's path."""
    for i in range(1 if not hidden else 2):
        d = 3 if not hidden else int(rng.integers(2, 6))
        Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
        lam = np.sort(10 ** rng.uniform(-1, 1.5, size=d))
        A = (Q * lam) @ Q.T
        A = 0.5 * (A + A.T)
        w0 = rng.normal(size=d)
        lr = float(rng.uniform(0.3, 1.5) / lam[-1])
        steps = 30 if not hidden else int(rng.integers(5, 60))
        yield Case(f"GradientDescent(lr={lr:.4g}) on a {d}x{d} quadratic, {steps} steps", "run_quadratic", (A, w0, steps),
                   kwargs={"runs": [["GradientDescent", {"lr": lr}]]}, probe="quadratic_runs", check=_quadratic_check(A, w0, lr, steps))


def first_below(losses: np.ndarray, threshold: float) -> int | None:
    below = np.flatnonzero(losses < threshold)
    return int(below[0]) if below.size else None


def _race_check(A: np.ndarray, w0: np.ndarray, steps: int, threshold: float, gd_lr: float, adam_lr: float):
    def check(got, oracles):
        if not isinstance(got, list) or len(got) != 2:
            raise Mismatch("the check could not read the two runs of run_quadratic.")
        gd, adam = (expect_array(g, (steps + 1,), f"the losses of {name}", finite=False) for g, name in zip(got, ("GradientDescent", "Adam")))
        f0 = quadratic_loss(A, w0)
        for losses, name in ((gd, "GradientDescent"), (adam, "Adam")):
            expect_true(bool(np.isclose(losses[0], f0, rtol=1e-9)), f"the losses of the {name} run should start with f(w0) = {f0:.6g}, but start with {losses[0]:.6g}: "
                        "check run_quadratic first (question 'quadratic').")
        n_gd, n_adam = first_below(gd, threshold), first_below(adam, threshold)
        shown = lambda n: f"{n} steps" if n is not None else f"more than {steps} steps"
        expect_true(n_adam is not None and (n_gd is None or n_adam < n_gd),
                    f"Adam(lr={adam_lr:g}) needed {shown(n_adam)} to bring the loss below {threshold:g}, plain GradientDescent(lr={gd_lr:.4g}) {shown(n_gd)}; "
                    "Adam should need far fewer on this ill-conditioned problem. Check your Adam (bias correction, eps after the root, "
                    "one step counter per call) and that run_quadratic passes the returned parameters on to the next step.")

    return check


@ASSIGNMENT.question(points=1, functions=("GradientDescent", "Adam", "run_quadratic"))
def adam_beats_gd(rng, hidden):
    """On the ill-conditioned quadratic (kappa = 100), Adam (lr = 0.1) reaches loss 1e-3 in fewer steps than the best-tuned gradient descent."""
    A, w0, threshold, gd_lr = VALLEY, VALLEY_START, RACE["threshold"], RACE["gd_lr"]
    if hidden:  # the same valley, scaled, turned by 90 degrees or not, from another corner
        a = float(rng.uniform(0.5, 2.0))
        A = a * (VALLEY if rng.random() < 0.5 else VALLEY[::-1, ::-1])
        w0 = rng.choice([-1.0, 1.0], size=2) * rng.uniform(0.7, 1.3, size=2)
        threshold, gd_lr = a * threshold, gd_lr / a
    runs = [["GradientDescent", {"lr": gd_lr}], ["Adam", {"lr": RACE["adam_lr"]}]]
    label = "diag(1, 100) from (1, 1)" if not hidden else "a scaled valley of condition number 100"
    yield Case(f"{label}: GradientDescent(lr={gd_lr:.4g}) against Adam(lr={RACE['adam_lr']:g}), {RACE['steps']} steps each", "run_quadratic",
               (A, w0, RACE["steps"]), kwargs={"runs": runs}, probe="quadratic_runs",
               check=_race_check(A, w0, RACE["steps"], threshold, gd_lr, RACE["adam_lr"]))


# --- initialisation ------------------------------------------------------------------

WITHIN_ONE_SD = 0.6826894921370859  # P(|Z| < 1) for a standard normal


def _init_check(kind: str, n_in: int, n_out: int, seed: int):
    variance = 2.0 / (n_in + n_out) if kind == "xavier" else 2.0 / n_in
    fn = f"{kind}_init"
    alternatives = {
        2.0 / n_out: (FAN_OUT if kind == "he" else WRONG_VARIANCE, "2 / n_out: the fan-out instead of the fan-in n_in"),
        1.0 / n_in: (WRONG_VARIANCE, "1 / n_in: the factor 2 is missing"),
        1.0 / (n_in + n_out): (WRONG_VARIANCE, "1 / (n_in + n_out): the factor 2 is missing"),
        2.0 / n_in: (WRONG_VARIANCE, "2 / n_in, He's variance"),
        2.0 / (n_in + n_out): (WRONG_VARIANCE, "2 / (n_in + n_out), Xavier's variance"),
        variance ** 2: (WRONG_VARIANCE, "the square of the intended variance: the variance was passed to normal() as the standard deviation"),
        1.0: (WRONG_VARIANCE, "1: the weights were not scaled at all"),
    }

    def check(got, oracles):
        W = expect_array(got, (n_in, n_out), f"{fn}({n_in}, {n_out}, seed={seed})")
        expect_float64(got, f"{fn}({n_in}, {n_out}, seed={seed})")
        size = W.size
        mean, var = float(W.mean()), float(W.var())
        if var < 1e-6 * variance:
            raise Mismatch(f"every entry of {fn}({n_in}, {n_out}) is {float(W.flat[0]):.4g}: the draws have no spread.", relation="constant_draw")
        if abs(var / variance - 1.0) > 0.05:
            for alt, (key, text) in alternatives.items():
                if not np.isclose(alt, variance, rtol=0.1) and abs(var / alt - 1.0) < 0.05:
                    raise Mismatch(f"the variance of the entries of {fn}({n_in}, {n_out}) is {var:.4g}, which matches {text}.", misconception=key)
            raise Mismatch(f"the variance of the entries of {fn}({n_in}, {n_out}) is {var:.4g}, more than 5% from the formula's "
                           f"{'2 / (n_in + n_out)' if kind == 'xavier' else '2 / n_in'} = {variance:.4g}.", misconception=WRONG_VARIANCE)
        if abs(mean) >= 5.0 * np.sqrt(variance / size):  # the spread is right (above), so every entry is shifted by about the mean
            raise Mismatch(f"the mean of the {size} entries of {fn}({n_in}, {n_out}) is {mean:.4g}, far from 0 (more than 5 standard errors): "
                           "the weights must have mean 0.", relation="shift")
        share = float(np.mean(np.abs(W) < np.sqrt(variance)))
        expect_true(abs(share - WITHIN_ONE_SD) < 0.02,
                    f"{share:.1%} of the entries of {fn}({n_in}, {n_out}) lie within one standard deviation of 0; for normal entries it is 68.3%. "
                    "Draw them from a normal distribution.", NOT_NORMAL)

    return check


def _same_seed_check(kind: str, n_in: int, n_out: int, seed: int):
    fn = f"{kind}_init"

    def check(got, oracles):
        if not isinstance(got, list) or len(got) != 3:
            raise Mismatch(f"the check could not read the three calls of {fn}.")
        W, again, other = (expect_array(g, (n_in, n_out), f"{fn}({n_in}, {n_out}, seed={s})") for g, s in zip(got, (seed, seed, seed + 1)))
        expect_true(np.array_equal(W, again), f"{fn}({n_in}, {n_out}, seed={seed}) returned different matrices in two calls: draw with "
                    "np.random.default_rng(seed), so that the same seed gives the same weights.")
        expect_true(not np.array_equal(W, other), f"{fn} returned the same matrix for seed={seed} and seed={seed + 1}: make the generator from the seed argument.")

    return check


def _init_cases(kind: str, rng, hidden: bool):
    """Statistics over large draws (about 40,000 entries each), and determinism on a small one."""
    sizes = ([(250, 160), (40, 1000)] if kind == "xavier" else [(400, 100), (100, 400)]) if not hidden else []
    while hidden and len(sizes) < 2:
        n_in = int(rng.integers(40, 1000))
        n_out = int(np.ceil(40_000 / n_in))
        if max(n_in, n_out) >= 1.5 * min(n_in, n_out) and n_out <= 1000:
            sizes.append((n_in, n_out))
    for n_in, n_out in sizes:
        seed = int(rng.integers(2**31)) if hidden else 2026
        yield Case(f"{kind}_init({n_in}, {n_out}, seed={seed if not hidden else 'drawn at grading time'}): mean, variance and shape of the distribution",
                   f"{kind}_init", (n_in, n_out), kwargs={"seed": seed}, check=_init_check(kind, n_in, n_out, seed),
                   clauses=tuple(f"{kind}_init.{c}" for c in ("mean", "variance", "normal")))
    n_in, n_out = (7, 5) if not hidden else (int(rng.integers(1, 20)), int(rng.integers(1, 20)))
    seed = int(rng.integers(2**31)) if hidden else 7
    yield Case(f"{kind}_init({n_in}, {n_out}, seed) twice with one seed and once with another", f"{kind}_init", (n_in, n_out),
               kwargs={"each": [{"seed": seed}, {"seed": seed}, {"seed": seed + 1}]}, probe="call_each",
               check=_same_seed_check(kind, n_in, n_out, seed), clauses=(f"{kind}_init.seed",))


@ASSIGNMENT.question(points=1, functions=("xavier_init",))
def xavier_init(rng, hidden):
    """xavier_init(n_in, n_out, seed): an (n_in, n_out) normal matrix with mean 0 and variance 2 / (n_in + n_out)."""
    yield from _init_cases("xavier", rng, hidden)


@ASSIGNMENT.question(points=1, functions=("he_init",))
def he_init(rng, hidden):
    """he_init(n_in, n_out, seed): an (n_in, n_out) normal matrix with mean 0 and variance 2 / n_in."""
    yield from _init_cases("he", rng, hidden)


# --- per-layer gradient norms ----------------------------------------------------------

def mse_gradients(params: list, X: np.ndarray, Y: np.ndarray, activations: list) -> list[tuple[np.ndarray, np.ndarray]]:
    """(dC/dW_l, dC/db_l) of C = 0.5 sum((A_L - Y)^2) / n for every layer, by autograd through the definition of the forward pass."""
    import autograd.numpy as anp

    return autograd_grads(params, lambda p: 0.5 * anp.sum((forward_pass(p, X, activations, anp)[0] - Y) ** 2) / X.shape[0])


def weight_gradients(params: list, X: np.ndarray, Y: np.ndarray, activations: list) -> list[np.ndarray]:
    """dC/dW_l of C = 0.5 sum((A_L - Y)^2) / n for every layer."""
    return [dW for dW, _ in mse_gradients(params, X, Y, activations)]


def _random_network(rng, depth: int, kind: str):
    widths = [int(v) for v in rng.integers(2, 8, size=depth + 1)]
    params = [(rng.normal(size=(a, b)) * np.sqrt(2.0 / a), 0.1 * rng.normal(size=b)) for a, b in zip(widths[:-1], widths[1:])]
    activations = [kind] * (depth - 1) + ["identity"]
    n = int(rng.integers(2, 10))
    return params, rng.normal(size=(n, widths[0])), rng.normal(size=(n, widths[-1])), activations


def weight_gradient_norms(params, X, Y, activations) -> np.ndarray:
    """(L,): ||dC/dW_l||_F for every layer, first layer first."""
    return np.array([np.linalg.norm(g) for g in weight_gradients(params, X, Y, activations)])


BELOW_OUTPUT = "below_output"
"""The relation key of :func:`_wrong_below_output`."""


def _wrong_below_output(got, expected, params, X, Y, activations) -> Relation | None:
    """The output layer's norm right and every norm below it wrong: backward goes wrong on the way down."""
    if np.shape(got) != np.shape(expected):
        return None
    right = np.isclose(got, expected, rtol=1e-8, atol=1e-14)
    if len(right) > 1 and right[-1] and not right[:-1].any():
        return Relation(BELOW_OUTPUT, "right for the output layer only, wrong for every layer below it")
    return None


NORMS_MISTAKES = (
    Mistake(NORM_ORDER, lambda params, X, Y, activations: weight_gradient_norms(params, X, Y, activations)[::-1]),
    Mistake(NORM_SQUARED, lambda params, X, Y, activations: weight_gradient_norms(params, X, Y, activations) ** 2),
    Mistake(NORM_BIASES, lambda params, X, Y, activations: np.array([np.linalg.norm(db) for _, db in mse_gradients(params, X, Y, activations)])),
    Mistake(MSE_SCALE, lambda params, X, Y, activations: Y.shape[0] * weight_gradient_norms(params, X, Y, activations)),  # dC/dA_out without / n
    Mistake(MSE_SCALE, lambda params, X, Y, activations: Y.shape[0] / Y.shape[1] * weight_gradient_norms(params, X, Y, activations)),  # / d instead
)


MSE_GRAD = Expect("mse_cost_grad(A, Y)", lambda A, Y: (A - Y) / A.shape[0], rtol=1e-10, atol=1e-14, batch=lambda A, Y: A.shape[0],
                  mistakes=(Mistake(MSE_SCALE, lambda A, Y: A - Y), Mistake(MSE_SCALE, lambda A, Y: (A - Y) / A.shape[1])),  # as in the norms
                  terms=lambda A, Y: {"Y / n": -Y / A.shape[0]}, factors=lambda A, Y: {"1 / n": 1.0 / A.shape[0]})
"""dC/dA_L of C = 0.5 * sum((A - Y)**2) / n: its divisor, its term in Y and its factor 1/n compared one by one."""


def _pieces_check(params, X: np.ndarray, Y: np.ndarray, activations: list):
    """forward's output and backward's gradients given dC/dA_L of the MSE, each compared with the definitions (autograd)."""
    sizes = sizes_of(params)

    def check(got, oracles):
        compare_forward(got, params, X, activations, "forward's output", oracles.reveal)
        grads = layer_pairs(got["grads"], sizes, "backward(...)", names=("dW", "db"), batch=len(X))
        compare_gradients(grads, mse_gradients(params, X, Y, activations), "your backward's gradients of the MSE (compared with autograd)", 1e-7,
                          oracles.reveal, n=len(X))

    return check


@ASSIGNMENT.question(points=2, functions=("forward", "backward", "mse_cost_grad", "layer_gradient_norms"))
def gradient_norms(rng, hidden):
    """layer_gradient_norms returns ||dC/dW_l||_F for every layer (first layer first), from your forward and backward.

    On each network, mse_cost_grad, forward and backward themselves are compared with the definitions first."""
    for depth, kind in ([(3, "sigmoid"), (4, "relu"), (1, "identity")] if not hidden else
                        [(int(rng.integers(2, 6)), str(rng.choice(["sigmoid", "relu"]))) for _ in range(3)]):
        params, X, Y, activations = _random_network(rng, depth, kind)
        network = f"a {depth}-layer network with {kind} hidden layers, widths {sizes_of(params)}, batch of {len(X)}"
        output = forward_pass(params, X, activations)[0]
        yield Case(f"mse_cost_grad(A, Y) on the output of {network}", "mse_cost_grad", (output, Y), expect=MSE_GRAD)
        yield Case(f"forward, then backward of the MSE gradient, on {network}", "backward", (params, X, (output - Y) / len(X), activations),
                   probe="forward_backward_given", check=_pieces_check(params, X, Y, activations))
        yield Case(network, "layer_gradient_norms", (params, X, Y, activations),
                   expect=Expect(f"layer_gradient_norms (one norm per layer, {depth} layers; hidden layers {activations[0]})", weight_gradient_norms,
                                 rtol=1e-8, atol=1e-14, mistakes=NORMS_MISTAKES, explain=_wrong_below_output))


ASSIGNMENT.sample_mistakes.update({
    # Adam without bias correction
    "Adam": '''class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.reset()

    def reset(self):
        self.m = self.v = None

    def step(self, params, grads):
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.m = [self.beta1 * m + (1 - self.beta1) * g for m, g in zip(self.m, grads)]
        self.v = [self.beta2 * v + (1 - self.beta2) * g * g for v, g in zip(self.v, grads)]
        return [p - self.lr * m / (np.sqrt(v) + self.eps) for p, m, v in zip(params, self.m, self.v)]
''',
    # He with the fan-out
    "he_init": "def he_init(n_in, n_out, seed):\n    return np.random.default_rng(seed).normal(0.0, np.sqrt(2.0 / n_out), size=(n_in, n_out))\n",
})


# --- the contract: the clauses of each student function's docstring, and the questions that check them ---
_RULES = {"GradientDescent": "w <- w - lr * g.", "Momentum": "v <- beta * v + g;  w <- w - lr * v.",
          "AdaGrad": "G <- G + g**2;  w <- w - lr * g / (sqrt(G) + eps), eps outside the root.",
          "RMSprop": "s <- rho * s + (1 - rho) * g**2;  w <- w - lr * g / (sqrt(s) + eps).",
          "Adam": "t <- t + 1; m and v running averages of g and g**2; m_hat = m / (1 - beta1**t), v_hat = v / (1 - beta2**t); "
                  "w <- w - lr * m_hat / (sqrt(v_hat) + eps)."}
for _cls, _question in zip(CLASSES, ("gradient_descent", "momentum", "adagrad", "rmsprop", "adam")):
    ASSIGNMENT.contract(_cls, rule=_RULES[_cls], state=f"The state, {STATE[_cls]}, starts at zero at the first step (one array per parameter).",
                        defaults=f"Defaults: {', '.join(f'{k}={v:g}' for k, v in DEFAULTS[_cls].items())}.",
                        new_list="step(params, grads) returns a NEW list of arrays; params and grads are not modified.",
                        dtype="step takes and returns lists of float64 arrays of matching shapes.",
                        reset="reset() forgets the state: the next step is like a fresh optimizer's first.",
                        **({"instance": "Each instance has its own state: a new optimizer starts afresh."} if _cls != "GradientDescent" else {}))
    ASSIGNMENT.checks(_question, f"{_cls}.rule", f"{_cls}.state", f"{_cls}.new_list", f"{_cls}.dtype")
ASSIGNMENT.contract("run_quadratic", shape="Returns losses: (steps + 1,) float64.", start="losses[0] = f(w0) = 0.5 * w0 @ A @ w0.",
                    path="losses[k] = f after k steps of optimizer.step, each from the parameters the previous step returned.")
ASSIGNMENT.checks("quadratic", "run_quadratic.shape", "run_quadratic.start", "run_quadratic.path")
ASSIGNMENT.checks("adam_beats_gd", "run_quadratic.path")
for _kind, _variance in (("xavier", "2 / (n_in + n_out)"), ("he", "2 / n_in (the fan-in)")):
    ASSIGNMENT.contract(f"{_kind}_init", shape="Returns W: (n_in, n_out) float64.", mean="Entries have mean 0.", variance=f"Entries have variance {_variance}.",
                        normal="Entries are independent normal draws.", seed="Drawn from np.random.default_rng(seed): the same seed gives the same W.")
    ASSIGNMENT.checks(f"{_kind}_init", f"{_kind}_init.shape")
ASSIGNMENT.contract("layer_gradient_norms", shape="Returns (L,) float64, one entry per layer.", value="Entry l is ||dC/dW_{l+1}||_F of C = 0.5 * sum((A_L - Y)**2) / n.",
                    order="First layer first.")
ASSIGNMENT.contract("forward", value="Returns (output, cache) of the network, as in 04_backprop.")
ASSIGNMENT.contract("backward", value="Returns the list of (dW, db), one per layer, as in 04_backprop.")
ASSIGNMENT.contract("mse_cost_grad", value="(A - Y) / n, the shape of A.")
ASSIGNMENT.checks("gradient_norms", "layer_gradient_norms.shape", "layer_gradient_norms.value", "layer_gradient_norms.order", "forward.value",
                  "backward.value", "mse_cost_grad.value")
for _question in ("gradient_descent", "momentum", "adagrad", "rmsprop", "adam"):
    ASSIGNMENT.relations(_question, {IN_PLACE: IN_PLACE_UPDATE})
ASSIGNMENT.relations("gradient_norms", {BELOW_OUTPUT: NORM_BELOW_OUTPUT, "equation:BP2": NORM_BELOW_OUTPUT})  # in the norms, or in the gradients themselves
