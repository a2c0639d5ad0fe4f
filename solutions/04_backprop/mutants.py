"""Mutants of the 04_backprop reference: its backward pass with one typical mistake each.

Instructor-only. The grader loads this file next to the solution notebook's reference
(see autograder.course.reference) to name a student's mistake; nbgrader does not copy it
into the release (CourseDirectory.ignore in nbgrader_config.py) and the package does not
ship it. A mutant is, by construction, a correct backward pass with one mistake switched
on, so it must never reach students.
"""

import numpy as np

from autograder.questions.backprop import activation_prime


def mistaken_backward(params, cache, G, activations, mistake: str):
    """Backward pass with one typical mistake, for diagnosis only. Returns None when the mistake cannot even run."""
    L = len(params)
    prime = lambda l, v: activation_prime(activations[l], v)
    grads = [None] * L
    dA = -G if mistake == "sign" else G
    try:
        for l in reversed(range(L)):
            Z, A_prev, W = cache["Z"][l], cache["A"][l], params[l][0]
            if mistake == "no f'" or (mistake == "no f' at output" and l == L - 1):
                delta = dA
            elif mistake == "f'(a)":
                delta = dA * prime(l, cache["A"][l + 1])
            else:
                delta = dA * prime(l, Z)
            A_used = cache["A"][l + 1] if mistake == "A off by one" else A_prev
            dW = A_used.T @ delta
            db = delta.mean(axis=0) if mistake == "db mean" else delta.sum(axis=0)
            grads[l] = (dW, db)
            if mistake == "no transpose":
                dA = delta @ W
            elif mistake == "W off by one":
                dA = delta @ params[l - 1][0].T if l > 0 else None
            else:
                dA = delta @ W.T
            if dA is not None and dA.shape != cache["A"][l].shape:
                return None
    except (ValueError, IndexError):
        return None
    return grads


MISTAKES = {
    "no f'": ("missing f'(z)", "delta must be multiplied elementwise by f'(Z) of its layer: delta_l = (delta_{l+1} @ W_{l+1}.T) * f'(Z_l), and delta_L = dC/dA_L * f'(Z_L)."),
    "no f' at output": ("missing f'(z) at the output", "the output layer's delta_L = dC/dA_L * f'(Z_L): dC/dA_L alone is not delta unless the last activation is the identity."),
    "f'(a)": ("f'(a) instead of f'(z)", "the derivative was evaluated at the activation A = f(Z) instead of at the pre-activation Z: f_prime takes z."),
    "no transpose": ("W not transposed", "propagating delta back through a layer multiplies by the transpose: delta_{l+1} @ W_{l+1}.T, shape (n, n_out) @ (n_out, n_in)."),
    "db mean": ("bias gradient averaged", "dC/db_l is delta_l summed over the rows (axis 0), not averaged: the 1/n of the cost is already inside dC/dA_L."),
    "sign": ("sign flipped", "every gradient has the wrong sign: backward returns dC/dW, not the update direction -dC/dW."),
    "A off by one": ("layer index off by one", "dC/dW_l uses the layer's INPUT: A_{l-1}.T @ delta_l, which is cache['A'][l] in 0-based lists where cache['A'][0] = X."),
    "W off by one": ("layer index off by one", "delta is sent back through the weights of the layer it came from: delta_{l+1} @ W_{l+1}.T, not the weights of the layer below."),
}


def diagnose(got_pairs, params, cache, G, activations) -> tuple[str, str] | None:
    """The (misconception, hint) whose mistaken gradients equal ``got_pairs``, if any."""
    for mistake, (name, hint) in MISTAKES.items():
        wrong = mistaken_backward(params, cache, G, activations, mistake)
        if wrong is None:
            continue
        if all(np.shape(g) == np.shape(w) and np.allclose(g, w, rtol=1e-6, atol=1e-12) for gp, wp in zip(got_pairs, wrong) for g, w in zip(gp, wp)):
            return name, hint
    return None
