"""Mutants of the 04_backprop reference: its backward pass with one typical mistake each.

Instructor-only. The grader loads this file next to the solution notebook's reference
(see autograder.course.reference) to name a student's mistake; nbgrader does not copy it
into the release (CourseDirectory.ignore in nbgrader_config.py) and the package does not
ship it. A mutant is, by construction, a correct backward pass with one mistake switched
on, so it must never reach students.
"""

import functools

from autograder.judge.networks import activation_prime


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


# Each mutant, by the key of the misconception it fingerprints in the 04_backprop catalogue
# (autograder/questions/backprop.py declares the names and hints the student reads).
MISTAKES = {
    "no f'": "missing_fprime",
    "no f' at output": "missing_fprime_output",
    "f'(a)": "backward_fprime_of_a",
    "no transpose": "w_not_transposed",
    "db mean": "db_averaged",
    "sign": "backward_sign",
    "A off by one": "input_off_by_one",
    "W off by one": "weights_off_by_one",
}


# The mutants as the grader reads them (see autograder.judge.question.Oracles.mutants): by the name of the
# reference function they vary, (implementation, misconception key, description).
MUTANTS = {"backward": [(functools.partial(mistaken_backward, mistake=mistake), key, f"a backward pass with the mistake {mistake!r}")
                        for mistake, key in MISTAKES.items()]}
