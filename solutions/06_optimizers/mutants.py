"""Mutants of the 06_optimizers reference: optimizers with one typical mistake each.

Instructor-only. The grader loads this file next to the solution notebook's reference
(see autograder.course.reference) to name a student's mistake by fingerprint; nbgrader
does not copy it into the release (CourseDirectory.ignore in nbgrader_config.py) and the
package does not ship it. A mutant is, by construction, a correct optimizer with one
mistake switched on, so it must never reach students.

``MUTANTS[class name]`` is a list of ``(mutant class, misconception key, description)``
(see autograder.judge.question.Oracles.mutants); the description completes "Your updates match ...".
"""

import numpy as np


class _Stateful:
    """Shared plumbing: state lists created at the first step, forgotten by reset()."""

    def reset(self):
        self.t = 0
        self.a = None
        self.b = None

    def _init(self, params):
        if self.a is None:
            mistake = getattr(self, "mistake", None)
            self.a = [(np.ones_like if mistake in ("ones", "m ones") else np.zeros_like)(p, dtype=np.float64) for p in params]
            self.b = [(np.ones_like if mistake in ("ones", "v ones") else np.zeros_like)(p, dtype=np.float64) for p in params]


class GradientDescentUphill:
    def __init__(self, lr=0.1):
        self.lr = lr

    def reset(self):
        pass

    def step(self, params, grads):
        return [p + self.lr * g for p, g in zip(params, grads)]


class MomentumMistake(_Stateful):
    mistake = None

    def __init__(self, lr=0.01, beta=0.9):
        self.lr, self.beta = lr, beta
        self.reset()

    def step(self, params, grads):
        self._init(params)
        if self.mistake == "dampened":
            self.a = [self.beta * v + (1 - self.beta) * g for v, g in zip(self.a, grads)]
        elif self.mistake == "forgets":
            self.a = [g for g in grads]
        else:
            self.a = [self.beta * v + g for v, g in zip(self.a, grads)]
        sign = -1.0 if self.mistake == "uphill" else 1.0
        return [p - sign * self.lr * v for p, v in zip(params, self.a)]


class MomentumUphill(MomentumMistake):
    mistake = "uphill"


class MomentumDampened(MomentumMistake):
    mistake = "dampened"


def _denominator(s, eps, mistake):
    """sqrt(s) + eps, or the mistaken variant."""
    if mistake == "eps inside":
        return np.sqrt(s + eps)
    if mistake == "no root":
        return s + eps
    if mistake == "no eps":
        return np.sqrt(s)
    return np.sqrt(s) + eps


class AdaGradMistake(_Stateful):
    mistake = None

    def __init__(self, lr=0.01, eps=1e-8):
        self.lr, self.eps = lr, eps
        self.reset()

    def step(self, params, grads):
        self._init(params)
        if self.mistake == "sum of |g|":
            self.a = [G + np.abs(g) for G, g in zip(self.a, grads)]
        elif self.mistake == "forgets":
            self.a = [g ** 2 for g in grads]
        else:
            self.a = [G + g ** 2 for G, g in zip(self.a, grads)]
        sign = -1.0 if self.mistake == "uphill" else 1.0
        return [p - sign * self.lr * g / _denominator(G, self.eps, self.mistake) for p, g, G in zip(params, grads, self.a)]


class RMSpropMistake(_Stateful):
    mistake = None

    def __init__(self, lr=0.001, rho=0.9, eps=1e-8):
        self.lr, self.rho, self.eps = lr, rho, eps
        self.reset()

    def step(self, params, grads):
        self._init(params)
        r = self.rho
        if self.mistake == "root stored":
            self.a = [np.sqrt(r * s + (1 - r) * g ** 2) for s, g in zip(self.a, grads)]
            return [p - self.lr * g / (s + self.eps) for p, g, s in zip(params, grads, self.a)]
        if self.mistake == "mean of |g|":
            self.a = [r * s + (1 - r) * np.abs(g) for s, g in zip(self.a, grads)]
            return [p - self.lr * g / (s + self.eps) for p, g, s in zip(params, grads, self.a)]
        if self.mistake == "root of g":
            self.a = [r * s + (1 - r) * np.sqrt(np.abs(g)) for s, g in zip(self.a, grads)]
            return [p - self.lr * g / (s + self.eps) for p, g, s in zip(params, grads, self.a)]
        if self.mistake == "swapped":
            self.a = [(1 - r) * s + r * g ** 2 for s, g in zip(self.a, grads)]
        elif self.mistake == "forgets":
            self.a = [(1 - r) * g ** 2 for g in grads]
        else:
            self.a = [r * s + (1 - r) * g ** 2 for s, g in zip(self.a, grads)]
        sign = -1.0 if self.mistake == "uphill" else 1.0
        return [p - sign * self.lr * g / _denominator(s, self.eps, self.mistake) for p, g, s in zip(params, grads, self.a)]


class AdamMistake(_Stateful):
    mistake = None

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.reset()

    def step(self, params, grads):
        self._init(params)
        b1, b2 = self.beta1, self.beta2
        if self.mistake != "t per parameter":
            self.t += 1
        new = []
        for i, (p, g) in enumerate(zip(params, grads)):
            if self.mistake == "t per parameter":
                self.t += 1
            if self.mistake == "swapped":
                self.a[i] = (1 - b1) * self.a[i] + b1 * g
                self.b[i] = (1 - b2) * self.b[i] + b2 * g ** 2
            else:
                self.a[i] = {"m forgets": 0.0}.get(self.mistake, b1) * self.a[i] + {"no 1 - beta1": 1.0}.get(self.mistake, 1 - b1) * g
                self.b[i] = {"v forgets": 0.0}.get(self.mistake, b2) * self.b[i] + {"no 1 - beta2": 1.0}.get(self.mistake, 1 - b2) * g ** 2
            if self.mistake == "no bias correction":
                m_hat, v_hat = self.a[i], self.b[i]
            else:
                m_hat, v_hat = self.a[i] / (1 - b1 ** self.t), self.b[i] / (1 - b2 ** self.t)
            if self.mistake == "correction stored":
                self.a[i], self.b[i] = m_hat, v_hat
            sign = -1.0 if self.mistake == "uphill" else 1.0
            new.append(p - sign * self.lr * m_hat / _denominator(v_hat, self.eps, self.mistake))
        return new


def _variant(base, mistake):
    return type(f"{base.__name__}[{mistake}]", (base,), {"mistake": mistake})


MUTANTS = {
    "GradientDescent": [(GradientDescentUphill, "update_sign", "w + lr * g, a step uphill")],
    "Momentum": [
        (MomentumUphill, "update_sign", "momentum with the sign flipped, w + lr * v: a step uphill"),
        (MomentumDampened, "momentum_dampened", "v <- beta * v + (1 - beta) * g, a velocity that averages the gradients"),
        (_variant(MomentumMistake, "ones"), "state_not_from_zero", "a velocity that starts at ones instead of zeros"),
        (_variant(MomentumMistake, "forgets"), "state_not_carried", "v <- g, a velocity that forgets the previous steps (plain gradient descent)"),
    ],
    "AdaGrad": [
        (_variant(AdaGradMistake, "uphill"), "update_sign", "AdaGrad with the sign flipped: a step uphill"),
        (_variant(AdaGradMistake, "eps inside"), "eps_inside_root", "g / sqrt(G + eps), eps inside the root"),
        (_variant(AdaGradMistake, "no root"), "root_misplaced", "g / (G + eps), without the square root"),
        (_variant(AdaGradMistake, "sum of |g|"), "root_misplaced", "a sum of |g| instead of g**2"),
        (_variant(AdaGradMistake, "forgets"), "state_not_carried", "G <- g**2, a sum that forgets the previous gradients"),
        (_variant(AdaGradMistake, "no eps"), "eps_missing", "g / sqrt(G), without eps"),
    ],
    "RMSprop": [
        (_variant(RMSpropMistake, "uphill"), "update_sign", "RMSprop with the sign flipped: a step uphill"),
        (_variant(RMSpropMistake, "eps inside"), "eps_inside_root", "g / sqrt(s + eps), eps inside the root"),
        (_variant(RMSpropMistake, "no root"), "root_misplaced", "g / (s + eps), without the square root"),
        (_variant(RMSpropMistake, "root stored"), "root_misplaced", "a state that stores the root, s <- sqrt(rho * s + (1 - rho) * g**2)"),
        (_variant(RMSpropMistake, "mean of |g|"), "root_misplaced", "a running average of |g| = sqrt(g**2) instead of g**2"),
        (_variant(RMSpropMistake, "root of g"), "root_misplaced", "a running average of sqrt(|g|) instead of g**2"),
        (_variant(RMSpropMistake, "swapped"), "decay_swapped", "s <- (1 - rho) * s + rho * g**2"),
        (_variant(RMSpropMistake, "forgets"), "state_not_carried", "s <- (1 - rho) * g**2, an average that forgets the previous gradients"),
        (_variant(RMSpropMistake, "no eps"), "eps_missing", "g / sqrt(s), without eps"),
    ],
    "Adam": [
        (_variant(AdamMistake, "no bias correction"), "no_bias_correction", "Adam without bias correction (m / (sqrt(v) + eps))"),
        (_variant(AdamMistake, "uphill"), "update_sign", "Adam with the sign flipped: a step uphill"),
        (_variant(AdamMistake, "eps inside"), "eps_inside_root", "m_hat / sqrt(v_hat + eps), eps inside the root"),
        (_variant(AdamMistake, "no root"), "root_misplaced", "m_hat / (v_hat + eps), without the square root"),
        (_variant(AdamMistake, "correction stored"), "bias_correction_stored", "m and v replaced by m_hat and v_hat in the state"),
        (_variant(AdamMistake, "t per parameter"), "t_per_parameter", "a step counter t increased once per parameter array"),
        (_variant(AdamMistake, "swapped"), "decay_swapped", "the weights beta and 1 - beta swapped in m and v"),
        (_variant(AdamMistake, "m ones"), "state_not_from_zero", "a first moment m that starts at ones instead of zeros"),
        (_variant(AdamMistake, "v ones"), "state_not_from_zero", "a second moment v that starts at ones instead of zeros"),
        (_variant(AdamMistake, "m forgets"), "state_not_carried", "m <- (1 - beta1) * g, a first moment that forgets the previous gradients"),
        (_variant(AdamMistake, "v forgets"), "state_not_carried", "v <- (1 - beta2) * g**2, a second moment that forgets the previous gradients"),
        (_variant(AdamMistake, "no 1 - beta1"), "moment_weight_missing", "m <- beta1 * m + g, without the weight 1 - beta1 on g"),
        (_variant(AdamMistake, "no 1 - beta2"), "moment_weight_missing", "v <- beta2 * v + g**2, without the weight 1 - beta2 on g**2"),
        (_variant(AdamMistake, "no eps"), "eps_missing", "m_hat / sqrt(v_hat), without eps"),
    ],
}
