"""06_optimizers: the solution passes everywhere, the stub scores zero, typical mistakes are caught
for the right reason, and the oracles (closed forms, digests, the reference, the mutants) agree."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from autograder import course
from autograder.judge.engine import visible_seed
from autograder.questions import optimizers as O
from autograder.submission import evaluate
import conftest
from conftest import ROOT, by_question, grade, assert_outcome

NAME = "06_optimizers"
mutate = partial(conftest.mutate, NAME)
ASSIGNMENT = course.get_assignment(NAME)
AUTOMATIC = [q.name for q in ASSIGNMENT if not q.manual]


@pytest.fixture(scope="module")
def reference():
    return course.reference(NAME, ROOT)


# --- the solution and the stub --------------------------------------------------------

# --- realistic wrong answers ------------------------------------------------------------

ADAM_NO_BIAS = ("m_hat = m / (1.0 - b1 ** self.t)\n            v_hat = v / (1.0 - b2 ** self.t)", "m_hat = m\n            v_hat = v")
RMSPROP_ROOT_STORED = (  # the square root taken inside the running average, so the state holds an RMS
    "self.mean_square = [self.rho * s + (1.0 - self.rho) * g ** 2 for s, g in zip(self.mean_square, grads)]\n"
    "        return [p - self.lr * g / (np.sqrt(s) + self.eps)",
    "self.mean_square = [np.sqrt(self.rho * s + (1.0 - self.rho) * g ** 2) for s, g in zip(self.mean_square, grads)]\n"
    "        return [p - self.lr * g / (s + self.eps)")
MOMENTUM_SIGN = ("return [p - self.lr * v", "return [p + self.lr * v")
HE_FAN_OUT = ("np.sqrt(2.0 / n_in)", "np.sqrt(2.0 / n_out)")


@pytest.fixture(scope="module")
def four_mistakes(tmp_path_factory):
    """One submission with four typical mistakes, each in its own question."""
    from autograder.course import simulate

    replace = {"Adam": mutate("Adam", *ADAM_NO_BIAS), "RMSprop": mutate("RMSprop", *RMSPROP_ROOT_STORED),
               "Momentum": mutate("Momentum", *MOMENTUM_SIGN), "he_init": mutate("he_init", *HE_FAN_OUT)}
    return simulate.write(simulate.fill(ASSIGNMENT, ROOT, replace=replace), tmp_path_factory.mktemp("submitted"), "four", ASSIGNMENT)


FOUR_FAILED = ["adam", "rmsprop", "momentum", "he_init"]
FOUR_PASSING = ["gradient_descent", "adagrad", "quadratic", "xavier_init", "gradient_norms"]


def test_four_typical_mistakes_caught_in_grader(four_mistakes):
    """Adam without bias correction, RMSprop with the root in the wrong place, momentum uphill, He with fan_out: each fails its question, named."""
    result = grade(four_mistakes, NAME)
    assert_outcome(result, {"adam": "bias correction", "rmsprop": "root", "momentum": "uphill", "he_init": "fan-out"}, FOUR_PASSING,
                   {"adam": "Adam without bias correction", "rmsprop": "square root in the wrong place", "momentum": "update moves uphill",
                    "he_init": "He variance with fan_out"})


def test_four_typical_mistakes_caught_in_student_cli(four_mistakes):
    """Without the reference (a student's own check), the same four fail; relations still name three of them."""
    result = evaluate(four_mistakes, ASSIGNMENT)
    assert_outcome(result, {"adam": "(1 - beta1) / sqrt(1 - beta2)", "rmsprop": "differ", "momentum": "wrong sign", "he_init": "fan-out"}, FOUR_PASSING,
                   {"adam": "Adam without bias correction", "momentum": "update moves uphill", "he_init": "He variance with fan_out"})


def test_more_mistakes_named(submit):
    """eps inside the root, dampened momentum, AdaGrad without the root, Xavier without its 2, norms reversed, no initial loss."""
    result = grade(submit(
        NAME,
        RMSprop=mutate("RMSprop", "g / (np.sqrt(s) + self.eps)", "g / np.sqrt(s + self.eps)"),
        Momentum=mutate("Momentum", "self.beta * v + g for", "self.beta * v + (1.0 - self.beta) * g for"),
        AdaGrad=mutate("AdaGrad", "g / (np.sqrt(G) + self.eps)", "g / (G + self.eps)"),
        xavier_init=mutate("xavier_init", "np.sqrt(2.0 / (n_in + n_out))", "np.sqrt(1.0 / (n_in + n_out))"),
        layer_gradient_norms=mutate("layer_gradient_norms", "for dW, _ in grads])", "for dW, _ in grads][::-1])"),
        run_quadratic=mutate("run_quadratic", "losses = [0.5 * w @ A @ w]", "losses = []"),
    ), NAME)
    assert_outcome(result, {"rmsprop": "eps", "momentum": "averages", "adagrad": "without the square root", "xavier_init": "factor 2",
                            "gradient_norms": "reverse order", "quadratic": "steps + 1"},
                   ["gradient_descent", "adam", "he_init"],
                   {"rmsprop": "eps inside the square root", "momentum": "momentum as an average (dampening)", "adagrad": "square root in the wrong place",
                    "xavier_init": "initialisation variance", "gradient_norms": "layers in reverse order", "quadratic": "initial loss missing"})


GD_IN_PLACE = '''
class GradientDescent:
    def __init__(self, lr=0.1):
        self.lr = lr

    def reset(self):
        pass

    def step(self, params, grads):
        for p, g in zip(params, grads):
            p -= self.lr * g          # changes the caller's arrays
        return params
'''

MOMENTUM_ALIASES_GRADS = '''
class Momentum:
    def __init__(self, lr=0.01, beta=0.9):
        self.lr, self.beta = lr, beta
        self.velocity = None

    def reset(self):
        self.velocity = None

    def step(self, params, grads):
        if self.velocity is None:
            self.velocity = list(grads)          # the caller's gradient arrays, not copies
        else:
            for v, g in zip(self.velocity, grads):
                v *= self.beta
                v += g
        return [p - self.lr * v for p, v in zip(params, self.velocity)]
'''


def test_mutation_and_reset_mistakes(submit):
    """Updating params in place, a velocity that aliases the gradients, and an Adam reset() that keeps t: each fails its question."""
    result = grade(submit(
        NAME,
        GradientDescent=GD_IN_PLACE,
        Momentum=MOMENTUM_ALIASES_GRADS,
        Adam=mutate("Adam", "        self.reset()\n", "        self.t = 0\n        self.reset()\n").replace(
            "        self.t = 0\n        self.first_moment = None", "        self.first_moment = None"),
    ), NAME)
    # the in-place GradientDescent also spoils the two questions that run it on the quadratic
    assert_outcome(result, {"gradient_descent": "argument 1", "momentum": "argument 2", "adam": "reset()"},
                   ["adagrad", "rmsprop", "xavier_init", "he_init", "gradient_norms"], {"adam": "reset() keeps state"})
    assert "in place" in by_question(result)["gradient_descent"].reason


# --- the oracles ---------------------------------------------------------------------------

def test_digests_agree_with_reference(reference):
    """Were the visible cases' salted digests made by the current reference?"""
    assert O.expected_digests(reference) == O.DIGESTS


def test_digested_values_are_far_from_rounding_boundaries(reference):
    """Would a correct implementation that differs from the reference by float noise (1e-13 relative) still match every digest?"""
    for cls in O.CLASSES[1:]:
        params, sequence, options = O.digest_case(cls)
        (trajectory,) = O.run_reference(reference[cls], cls, params, sequence, options)
        for k, state in enumerate(trajectory):
            for factor in (1 + 1e-13, 1 - 1e-13):
                assert O.digest(cls, k, [s * factor for s in state]) == O.DIGESTS[cls][k], (cls, k)


def test_every_mutant_is_caught_and_named(reference):
    """Does every instructor mutant differ from the reference on the visible digest case, and is it named on a hidden case?"""
    from autograder.judge.question import Oracles

    oracles = Oracles(reference, reveal=False)
    rng = np.random.default_rng(3)
    for cls, mutants in reference["MUTANTS"].items():
        for mutant, key, _ in mutants:
            assert key in ASSIGNMENT.misconceptions, key
            if cls != "GradientDescent":
                params, sequence, options = O.digest_case(cls)
                with np.errstate(all="ignore"):
                    (got,) = O.run_reference(mutant, cls, params, sequence, options)
                assert any(O.digest(cls, k, s) != O.DIGESTS[cls][k] for k, s in enumerate(got)), (cls, mutant.__name__)
            params = O._random_params(rng)
            sequence = O._random_sequence(rng, params, 6)
            options = {**O._hidden_options(rng, cls), **({"eps": 1e-4} if "eps" in O.DEFAULTS[cls] else {})}
            with np.errstate(all="ignore"):
                (got,) = O.run_reference(mutant, cls, params, sequence, options)
            assert O._fingerprint(oracles, cls, params, sequence, options, got)[0] == key, (cls, mutant.__name__)


def test_closed_forms_agree_with_reference(reference):
    """Do the constant-gradient closed forms and the quadratic's eigen closed form equal the reference's runs?"""
    question_cases = {name: ASSIGNMENT[name].cases(visible_seed(NAME, name), False) for name in ("momentum", "adagrad", "rmsprop", "adam", "quadratic")}
    from autograder.judge.question import Oracles
    from autograder.student.probes import PROBES

    for name, cases in question_cases.items():
        for case in cases:
            got = PROBES[case.probe](dict(reference), case.fn, list(case.args), dict(case.kwargs))
            case.judge(got, Oracles(None, reveal=True))  # visible checks without the reference: properties and digests only
    rng = np.random.default_rng(8)
    for _ in range(5):
        A = rng.normal(size=(4, 4))
        A = A @ A.T + 0.1 * np.eye(4)
        w0, lr = rng.normal(size=4), 1.0 / np.linalg.eigvalsh(A)[-1]
        losses = reference["run_quadratic"](reference["GradientDescent"](lr=lr), A, w0, 40)
        np.testing.assert_allclose(losses, O.gd_losses_closed_form(A, w0, lr, 40), rtol=1e-9, atol=1e-14)


def test_race_holds_for_the_reference_on_hidden_draws(reference):
    """Does the reference win the race (Adam before gradient descent) on every hidden variant, with a margin?"""
    from autograder.student.probes import PROBES

    for seed in range(40):
        (case,) = ASSIGNMENT["adam_beats_gd"].cases(seed, True)
        gd, adam = PROBES["quadratic_runs"](dict(reference), case.fn, list(case.args), dict(case.kwargs))
        a = float(case.args[0].max()) / 100.0
        n_gd, n_adam = O.first_below(gd, O.RACE["threshold"] * a), O.first_below(adam, O.RACE["threshold"] * a)
        assert n_adam is not None and n_gd is not None and 2 * n_adam < n_gd, (seed, n_adam, n_gd)


def test_initialisation_statistics_tolerances(reference):
    """Do the reference's draws pass the statistics on many seeds, and do the typical wrong variances fail them?"""
    from autograder.judge.question import Oracles

    for kind in ("xavier", "he"):
        for seed in range(6):
            for case in ASSIGNMENT[f"{kind}_init"].cases(seed, True)[:2]:
                n_in, n_out = case.args
                case.judge(reference[f"{kind}_init"](n_in, n_out, **case.kwargs), Oracles(None, reveal=True))


def test_uniform_initialisation_and_bias_norms_named(submit):
    """He weights uniform with the right variance; the norms of db instead of dW."""
    result = grade(submit(
        NAME,
        he_init=mutate("he_init", "generator.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))",
                       "generator.uniform(-np.sqrt(6.0 / n_in), np.sqrt(6.0 / n_in), size=(n_in, n_out))"),
        layer_gradient_norms=mutate("layer_gradient_norms", "np.sum(dW ** 2)) for dW, _ in grads", "np.sum(db ** 2)) for _, db in grads"),
    ), NAME)
    assert_outcome(result, {"he_init": "normal", "gradient_norms": "bias"}, ["xavier_init", "adam", "quadratic"],
                   {"he_init": "not normally distributed", "gradient_norms": "norms of the bias gradients"})
