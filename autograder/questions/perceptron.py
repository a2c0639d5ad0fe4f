"""02_perceptron — the learning rule and its convergence.

Oracles:
- add_bias, predict, margin, radius, novikoff_bound: their one-line definitions,
  evaluated here on generated data (visible), and the reference (hidden).
- perceptron_train: properties of the returned run, checked against the data alone
  (history is a chain of valid updates ``+-eta * x_i`` on misclassified points, the
  final weights separate the data when ``converged``, ``mistakes <= (R/gamma)^2``),
  plus salted digests of the in-order run on the shipped data sets (visible; made from
  the reference by :func:`expected_digests`, and a test asserts they still agree) and
  exact agreement with the reference on seed-generated data (hidden). The rule is never
  re-simulated to decide a grade: that would write the reference a second time. When a
  run differs, :func:`sweep_walk` follows the sweep through the run's own weights to name
  the first step where it parts from the rule (a skipped zero score, a skipped mistake).
"""

from __future__ import annotations


import numpy as np

from ..judge.digests import visible
from ..judge.compare import Mismatch, expect_array, expect_close, expect_equal, expect_scalar, expect_true, salted_digest
from ..data import load
from ..judge.expectation import Expect, Mistake
from ..judge.laws import degree, law_case
from ..judge.question import Assignment, Case

ASSIGNMENT = Assignment("02_perceptron", "perceptron.ipynb", "The perceptron: learning rule and convergence")
SEPARABLE = ("separable_wide", "separable_medium", "separable_narrow")
KEYS = ("w", "mistakes", "epochs", "converged", "history")
SALT = "02_perceptron/in-order-sweeps"


# --- the mistakes this assignment's checks can name ------------------------------
ASSIGNMENT.misconception("bias_column_last", "bias column last", "x_0 = 1 pairs with the bias weight w_0, so the column of ones comes first.", "relation", ("add_bias",))
ASSIGNMENT.misconception("bias_column_count", "not one column of ones", "add_bias adds exactly one column, of ones, in front of X: shape (n, d + 1).", "relation", ("add_bias",))
ASSIGNMENT.misconception("labels_not_signs", "labels other than -1 and +1", "predict returns only the two labels -1.0 and +1.0: +1 where the score is positive, -1 elsewhere.",
   "property", ("predict",))
ASSIGNMENT.misconception("labels_01", "labels {0,1}", "the perceptron's labels are signs, -1 and +1, so that y_i (w . x_i) > 0 means 'right side'.", "property", ("predict",))
# A tie rule in predict shows in training as a skipped update on a zero score (the training tie
# rule), and a training loop that never updates from w = 0 claims convergence on XOR.
ASSIGNMENT.misconception("sign_of_zero", "np.sign(0) = 0", "np.sign gives 0 for a score of exactly 0, which is not a label; decide the tie explicitly.", "relation", ("predict",),
   shows_as=("strict_inequality",))
ASSIGNMENT.misconception("zero_counts_positive", "0 counts as +1", "by the convention of this course a score of exactly 0 is labelled -1: test score > 0.", "relation", ("predict",),
   shows_as=("strict_inequality",))
ASSIGNMENT.misconception("strict_inequality", "strict inequality", "a point ON the boundary (y_i (w . x_i) = 0, as every point is for w = 0) is a mistake too: the test is <= 0.",
   "property", ("perceptron_train", "eta_invariance"), shows_as=("converged_on_xor",))
ASSIGNMENT.misconception("history_aliasing", "history aliasing", "appending an array and then changing it in place changes the appended entry too: append a copy.",
   "property", ("perceptron_train",))
ASSIGNMENT.misconception("history_before_update", "history before update", "history records the weights AFTER each update, one entry per update.", "property", ("perceptron_train",))
ASSIGNMENT.misconception("nonzero_start", "nonzero start", "the classic perceptron starts from w = 0.", "relation", ("perceptron_train",))
ASSIGNMENT.misconception("invalid_update", "invalid update", "every update adds eta * y_i * x_i for one misclassified sample: check the factors eta and y_i.", "relation", ("perceptron_train",))
ASSIGNMENT.misconception("update_on_correct_sample", "update on a correctly classified sample", "only misclassified samples, y_i (w . x_i) <= 0, change w.",
   "relation", ("perceptron_train",))
ASSIGNMENT.misconception("sweep_order", "sweep order", "visit the samples in their given order in every sweep, updating immediately, and stop after a sweep without mistakes.",
   "relation", ("perceptron_train",))
ASSIGNMENT.misconception("epochs_off_by_one", "epochs off by one", "count every sweep made, including the final sweep without updates.", "relation", ("perceptron_train",))
ASSIGNMENT.misconception("converged_on_xor", "converged on XOR", "XOR is not linearly separable: converged may be True only after a whole sweep without a mistake.",
   "property", ("perceptron_xor",))
ASSIGNMENT.misconception("eta_changes_run", "eta changes the run", "from w = 0 every weight vector is eta times that of the run with eta = 1, so the mistakes cannot depend on eta.",
   "relation", ("eta_invariance",))
ASSIGNMENT.misconception("margin_not_normalised", "margin not normalised", "the geometric margin is a distance: divide min_i y_i (w . x_i) by ||w||.", "relation", ("margin",))
ASSIGNMENT.misconception("margin_ignores_labels", "margin ignores labels", "a misclassified point must give a negative margin: use y_i (w . x_i), not w . x_i or |w . x_i|.",
   "relation", ("margin",))
ASSIGNMENT.misconception("radius_squared", "squared norm", "R is the largest norm of a sample, not the largest squared norm.", "relation", ("radius",))
ASSIGNMENT.misconception("radius_matrix_norm", "norm of the whole matrix", "R is the largest norm of ONE sample (a row), max_i ||x_i||.", "relation", ("radius",))
ASSIGNMENT.misconception("radius_wrong_axis", "norms of columns, not rows", "each sample is a row of X_h: take the norms along axis=1.", "relation", ("radius",))
ASSIGNMENT.misconception("margin_factor", "a factor of the margin misplaced", "the margin is min_i y_i (w . x_i) divided by ||w||: the smallest signed score on top, "
   "the norm below.", "relation", ("margin",))
ASSIGNMENT.misconception("bound_factor", "a factor of the bound misplaced", "the bound is R ** 2 / gamma ** 2: R squared on top, the margin squared below.",
   "relation", ("novikoff_bound",))
ASSIGNMENT.misconception("bound_not_squared", "bound not squared", "Novikoff's bound on the number of mistakes is (R / gamma) squared.", "relation", ("novikoff_bound",))
ASSIGNMENT.misconception("bound_inverted", "gamma / R instead of R / gamma", "the bound grows with the radius and shrinks with the margin: (R / gamma)**2.",
   "relation", ("novikoff_bound",))
ASSIGNMENT.misconception("margin_largest", "largest instead of smallest", "the margin is that of the worst-placed sample: the MINIMUM of y_i (w . x_i) / ||w||.",
   "relation", ("margin",))
ASSIGNMENT.misconception("radius_smallest", "smallest norm", "R bounds every sample: the LARGEST norm of a row, max_i ||x_i||.", "relation", ("radius",))
ASSIGNMENT.misconception("labels_reversed", "labels reversed", "+1 goes with a positive score X_h @ w > 0, -1 with the rest.", "relation", ("predict",))
ASSIGNMENT.misconception("bias_column_not_ones", "bias column not ones", "homogeneous coordinates put x_0 = 1 in the first column: np.ones, not np.zeros.",
   "relation", ("add_bias",))


def homogeneous(X: np.ndarray) -> np.ndarray:
    """X (n, d) -> (n, d + 1) with a leading column of ones: the definition, used to build cases."""
    return np.hstack([np.ones((X.shape[0], 1)), X])


def shipped(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X_h, y, w_star) of a shipped separable data set, in homogeneous coordinates."""
    data = load(name)
    return homogeneous(data["X"]), data["y"], data["w_star"]


def random_separable(rng: np.random.Generator, n: int, d: int, gamma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n points in [-1, 1]^d (homogeneous, so d + 1 columns) at margin >= gamma from a random unit w*."""
    w_star = rng.normal(size=d + 1)
    w_star[0] *= 0.3
    w_star /= np.linalg.norm(w_star)
    rows = []
    while len(rows) < n:
        X_h = homogeneous(rng.uniform(-1, 1, size=(4 * n, d)))
        rows += list(X_h[np.abs(X_h @ w_star) >= gamma])
    X_h = np.array(rows[:n])
    return X_h, np.sign(X_h @ w_star), w_star


# ---------------------------------------------------------------- add_bias, predict


ADD_BIAS_MISTAKES = (
    Mistake("bias_column_last", lambda X: np.hstack([X, np.ones((X.shape[0], 1))])),
    Mistake("bias_column_not_ones", lambda X: np.hstack([np.zeros((X.shape[0], 1)), X])),
    Mistake("bias_column_count", lambda X: np.array(X, dtype=float)),  # X returned as it is
    Mistake("bias_column_count", lambda X: np.hstack([np.ones((X.shape[0], 2)), X])),
)
ADD_BIAS = Expect("add_bias(X)", homogeneous, reference="add_bias", rtol=0, atol=0, mistakes=ADD_BIAS_MISTAKES)


@ASSIGNMENT.question(points=1, functions=("add_bias",))
def add_bias(rng, hidden):
    """add_bias(X) returns X with a leading column of ones, shape (n, d + 1)."""
    shapes = [(4, 2), (1, 3), (6, 1)] if not hidden else [(int(rng.integers(1, 30)), int(rng.integers(1, 6))) for _ in range(4)]
    for shape in shapes:
        X = rng.normal(size=shape)
        yield Case(f"X of shape {shape}", "add_bias", (X,), expect=ADD_BIAS)


def _predict_check(X_h: np.ndarray, w: np.ndarray):
    def check(got, oracles):
        n = X_h.shape[0]
        got = expect_array(got, (n,), "predict(X_h, w)")
        scores = X_h @ w
        expected = oracles.expected("predict", lambda: np.where(scores > 0, 1.0, -1.0), X_h, w)
        zero = scores == 0
        if np.all(np.isin(got, (0.0, 1.0))) and np.any(expected == -1):
            raise Mismatch("predict returned labels in {0, 1}; the perceptron's labels are signs in {-1, +1}.", misconception="labels_01")
        if np.array_equal(got[~zero], -expected[~zero]) and np.all(np.isin(got, (-1.0, 1.0))) and (~zero).any():
            raise Mismatch("predict returned -1 where X_h @ w > 0 and +1 where it is negative: the labels are reversed.", misconception="labels_reversed")
        if zero.any() and np.all(got[zero] == 0) and np.array_equal(got[~zero], expected[~zero]):
            raise Mismatch("predict returned 0 where X_h @ w is exactly 0 (np.sign does that); a score of 0 must give the label -1.", misconception="sign_of_zero")
        if zero.any() and np.all(got[zero] == 1) and np.array_equal(got[~zero], expected[~zero]):
            raise Mismatch("predict returned +1 where X_h @ w is exactly 0; by our convention 0 counts as -1 (test score > 0, not >= 0).", misconception="zero_counts_positive")
        if not np.all(np.isin(got, (-1.0, 1.0))):
            raise Mismatch(f"predict returned the labels {sorted(set(np.unique(got).tolist()) - {-1.0, 1.0})[:4]}: the only labels are -1 and +1.",
                           misconception="labels_not_signs")
        expect_close(got, expected, "predict(X_h, w)", rtol=0, atol=0, reveal=oracles.reveal)

    return check


@ASSIGNMENT.question(points=1, functions=("predict",))
def predict(rng, hidden):
    """predict(X_h, w) returns labels in {-1, +1}, with a score of exactly 0 counted as -1."""
    for n, d in [(6, 3), (10, 4)] if not hidden else [(int(rng.integers(5, 30)), int(rng.integers(2, 6))) for _ in range(3)]:
        # small integers make some scores exactly zero
        X_h = homogeneous(rng.integers(-2, 3, size=(n, d - 1)).astype(float))
        w = rng.integers(-2, 3, size=d).astype(float)
        X_h[0, 1:], w[0] = 0.0, 0.0  # the first row then scores exactly 0
        w[1] = w[1] or 1.0
        yield Case(f"X_h of shape {X_h.shape}, some scores exactly 0", "predict", (X_h, w), check=_predict_check(X_h, w))
    X_h = homogeneous(rng.normal(size=(8, 2)))
    w = rng.normal(size=3)
    yield Case("random X_h of shape (8, 3)", "predict", (X_h, w), check=_predict_check(X_h, w))


# ---------------------------------------------------------------- perceptron_train


def _integer(value, what: str) -> int:
    number = expect_scalar(value, what)
    if number != int(number) or number < 0:
        raise Mismatch(f"{what} should be a non-negative whole number, but it is {number!r}.")
    return int(number)


def read_run(got, d: int) -> dict:
    """Validate the dict returned by perceptron_train; return it with plain types (w, history as arrays)."""
    if not isinstance(got, dict):
        raise Mismatch(f"perceptron_train should return a dict with keys {', '.join(KEYS)}, but it returned a {type(got).__name__}.")
    missing = [k for k in KEYS if k not in got]
    if missing:
        raise Mismatch(f"the dict returned by perceptron_train has no key(s) {', '.join(map(repr, missing))}; it needs {', '.join(map(repr, KEYS))}.")
    run = {"w": expect_array(got["w"], (d,), "result['w']")}
    run["mistakes"] = _integer(got["mistakes"], "result['mistakes']")
    run["epochs"] = _integer(got["epochs"], "result['epochs']")
    converged = got["converged"]
    if isinstance(converged, np.ndarray) and converged.shape == () and converged.dtype == bool:
        converged = bool(converged)
    if not isinstance(converged, bool):
        raise Mismatch(f"result['converged'] should be True or False, but it is {converged!r:.40}.")
    run["converged"] = converged
    history = got["history"]
    if isinstance(history, np.ndarray) and history.ndim == 2:
        history = list(history)
    if not isinstance(history, (list, tuple)):
        raise Mismatch(f"result['history'] should be a list of weight vectors, but it is a {type(history).__name__}.")
    run["history"] = np.array([expect_array(h, (d,), f"result['history'][{k}]") for k, h in enumerate(history)]).reshape(len(history), d)
    return run


def updates_of(run: dict, X_h: np.ndarray, y: np.ndarray, eta: float) -> list[int]:
    """The sample behind each update of ``run``'s history, checking that every update is a valid one.

    A valid k-th update is ``history[k] - history[k-1] = eta * y_i * x_i`` (``history[-1]`` = 0)
    for a sample i that the weights before it misclassify, ``y_i * (w @ x_i) <= 0``.
    Raises Mismatch naming the first invalid update.
    """
    history, w, mistakes = run["history"], run["w"], run["mistakes"]
    if mistakes != len(history):
        raise Mismatch(f"result['mistakes'] is {mistakes} but history holds {len(history)} weight vectors; there is one entry per update.")
    if mistakes == 0:
        expect_true(np.all(w == 0), f"no update was recorded, yet the final w is {np.round(w, 4).tolist()}, not the starting w = 0.")
        raise Mismatch(
            "perceptron_train made no update at all. With w = 0 every sample has y_i (w . x_i) = 0, which the rule counts as a mistake "
            "(the test is <= 0), so the very first sample must trigger an update. Did you test y_i (w . x_i) < 0?",
            misconception="strict_inequality",
        )
    if len(history) > 1 and np.all(history == history[-1]):
        raise Mismatch(
            f"all {len(history)} entries of history are the same vector (the final w): you appended w itself and then changed it "
            "in place, so every entry is the same array. Append a copy (w.copy()) after each update.",
            misconception="history_aliasing",
        )
    if np.all(history[0] == 0):
        raise Mismatch("history[0] is the zero vector: history holds the weights AFTER each update, not before it.", misconception="history_before_update")
    steps = eta * y[:, None] * X_h  # (n, d): every possible update
    scale = 1.0 + np.abs(history).max() + np.abs(steps).max()
    previous = np.vstack([np.zeros(X_h.shape[1]), history[:-1]])
    diffs = history - previous
    matches = np.all(np.abs(diffs[:, None, :] - steps[None, :, :]) <= 1e-9 * scale, axis=2)  # (m, n)
    wrong_side = y[None, :] * (previous @ X_h.T) <= 1e-9 * scale * np.abs(X_h).sum(axis=1)[None, :]  # (m, n)
    order = []
    for k in range(len(history)):
        if not matches[k].any():
            what = f"history[{k}] - history[{k - 1}]" if k else "history[0]"
            without_eta = eta != 1 and bool(np.any(np.all(np.abs(diffs[k][None, :] - y[:, None] * X_h) <= 1e-9 * scale, axis=1)))
            if without_eta:
                raise Mismatch(f"{what} is y_i * x_i for a sample i, without the learning rate eta = {eta:g}: each update adds eta * y_i * x_i.",
                               misconception="invalid_update")
            start = " The weights start at w = 0 (not at random values), so history[0] must be eta * y_0 * x_0." if k == 0 else ""
            raise Mismatch(f"{what} is not eta * y_i * x_i for any sample i (eta = {eta:g}). Each update adds eta * y_i * x_i, "
                           f"with y_i in {{-1, +1}}, to the current weights.{start}", misconception="nonzero_start" if start else "invalid_update")
        valid = np.flatnonzero(matches[k] & wrong_side[k])
        if not valid.size:
            i = int(np.flatnonzero(matches[k])[0])
            raise Mismatch(f"update {k} (history[{k}]) was made on sample {i}, which the weights before it already classified correctly "
                           "(y_i (w . x_i) > 0). Only misclassified samples, y_i (w . x_i) <= 0, trigger an update.", misconception="update_on_correct_sample")
        order.append(int(valid[0]))
    expect_close(w, history[-1], "result['w'] compared with history[-1] (the weights after the last update)", rtol=0, atol=0)
    return order


def sweeps_with_updates(order: list[int]) -> int:
    """The fewest sweeps an in-order run with these update indices can have made (indices rise within a sweep)."""
    return 1 + sum(b <= a for a, b in zip(order, order[1:]))


def _tolerances(run: dict, X_h: np.ndarray, y: np.ndarray, eta: float) -> np.ndarray:
    """Per sample, how close to 0 a score y_i (w . x_i) counts as exactly 0 (the tolerance of updates_of)."""
    scale = 1.0 + np.abs(run["history"]).max(initial=0.0) + eta * np.abs(X_h).max()
    return 1e-9 * scale * np.abs(X_h).sum(axis=1)


ZERO_SCORE, NEGATIVE_SCORE = "zero", "wrong"  # why the rule would update on a sample: its score is 0, or negative


def sweep_walk(order: list[int], run: dict, X_h: np.ndarray, y: np.ndarray, eta: float, max_epochs: int,
               zero_is_correct_for: float | None = None) -> tuple[int, str, int] | None:
    """Follow the samples an in-order sweep visits between the run's updates; return its first departure, or None.

    The run's own weights are used (history[k - 1] before update k; each update was checked to be
    valid by :func:`updates_of`), so this needs no reference: it locates where the run stops being
    the in-order rule and says why. It never decides a grade (the digests and the reference do).

    Args:
        zero_is_correct_for: None for the rule itself (a zero score is a mistake); a label +1 or -1
            to follow instead a rule under which a zero score counts as correct for that label
            (a textbook ``predict(x) != y`` with a tie going to that label).

    Returns:
        ``(k, kind, s)``: before update ``k`` (``k == len(order)``: after the last one) the sweep
        reached sample ``s`` and the rule would have updated on it, but the run did not;
        ``kind`` is ``"zero"`` (its score is exactly 0), ``"wrong"`` (negative score),
        ``"extra"`` (the run updated on ``s``, which the followed rule counts as correct) or
        ``"late"`` (update ``k`` comes after ``max_epochs`` sweeps).
    """
    n = len(y)
    tol = _tolerances(run, X_h, y, eta)

    def mistake(w, i) -> str | None:
        score = y[i] * (w @ X_h[i])
        if abs(score) <= tol[i]:
            return None if zero_is_correct_for is not None and y[i] == zero_is_correct_for else ZERO_SCORE
        return NEGATIVE_SCORE if score < 0 else None

    w, position, sweep = np.zeros(X_h.shape[1]), 0, 1
    for k, j in enumerate(order):
        while position != j:
            kind = mistake(w, position)
            if kind:
                return k, kind, position
            position += 1
            if position == n:
                position, sweep = 0, sweep + 1
        if sweep > max_epochs:
            return k, "late", j
        if mistake(w, j) is None:
            return k, "extra", j
        w = run["history"][k]
        position += 1
        if position == n:
            position, sweep = 0, sweep + 1
    if run["converged"] or sweep < max_epochs:  # the rule goes on sweeping until a sweep without an update
        remaining = [*range(position, n), *range(position)]
    else:  # the last sweep's remaining samples, if it has any
        remaining = list(range(position, n)) if sweep == max_epochs else []
    for i in remaining:
        kind = mistake(w, i)
        if kind:
            return len(order), kind, i
    return None


def departure(order: list[int], run: dict, X_h: np.ndarray, y: np.ndarray, eta: float, max_epochs: int, reveal: bool,
              first_difference: int | None = None) -> Mismatch | None:
    """Why the run's updates are not the in-order perceptron's, named by the first step where they part.

    ``first_difference`` (hidden cases) is the first update where the run and the reference's differ;
    the message then says how far they agree, and nothing of the reference's values.
    """
    found = sweep_walk(order, run, X_h, y, eta, max_epochs)
    if found is None or (first_difference is not None and found[0] != first_difference):
        return None
    k, kind, s = found
    who = "the reference" if first_difference is not None else "the in-order perceptron"
    sample = f"sample {s}" if reveal else "a sample"
    step = f"update {k + 1}" if k < len(order) else f"update {k + 1}, which your run never makes"
    agree = (f"your run agrees with {who} for the first {k} update(s), then differs at {step}: " if k else
             f"your run differs from {who} from its first update on: ")
    if kind == "zero":
        tie = sweep_walk(order, run, X_h, y, eta, max_epochs, zero_is_correct_for=float(y[s]))
        if tie is None or tie[0] > k:
            at_zero = " (every sample does while w = 0)" if k == 0 else ""
            label = f"{y[s]:+g}"
            via = ("a predict that gives +1 for a zero score does this" if y[s] > 0 else
                   "testing predict(x_i) != y_i does this, since predict rightly gives -1 for a zero score")
            return Mismatch(agree + f"{sample}, labelled {label}, scores y_i (w . x_i) = 0 exactly{at_zero}, and your run does not update on it, "
                            f"as if a zero score were correct for label {label} ({via}). A zero score is a mistake for either label: "
                            "update whenever y_i (w . x_i) <= 0.", misconception="strict_inequality")
    if kind == "late":
        return Mismatch(agree + f"it is made after max_epochs = {max_epochs} sweeps. Stop after max_epochs sweeps.", misconception="sweep_order")
    if kind == "extra":
        return Mismatch(agree + f"your run updates on {sample}, which the sweep does not reach there (or which the rule leaves alone). {SWEEP_HINT}",
                        misconception="sweep_order")
    reason = ("scores y_i (w . x_i) = 0 exactly, which is a mistake" if kind == "zero" else "is misclassified (y_i (w . x_i) < 0)")
    if k == len(order):
        return Mismatch(agree + f"your run stops although {sample} {reason} when a sweep reaches it. {SWEEP_HINT}", misconception="sweep_order")
    return Mismatch(agree + f"when the sweep reaches {sample}, it {reason}, but your run does not update on it there. {SWEEP_HINT}",
                    misconception="sweep_order")


def run_properties(run: dict, X_h: np.ndarray, y: np.ndarray, eta: float, max_epochs: int) -> list[int]:
    """Every property of a perceptron run that follows from the rule and the data alone; returns the update order."""
    order = updates_of(run, X_h, y, eta)
    epochs, least = run["epochs"], sweeps_with_updates(order)
    if run["converged"]:
        scores = y * (X_h @ run["w"])
        bad = np.flatnonzero(scores <= 0)
        expect_true(not bad.size, f"converged is True, but the final w misclassifies {bad.size} sample(s) (first: sample {bad[0] if bad.size else 0}, y_i (w . x_i) <= 0).")
        if epochs < least + 1:
            out_of_order = departure(order, run, X_h, y, eta, max_epochs, reveal=True)  # the count assumes in-order sweeps
            if out_of_order is not None:
                raise out_of_order
            raise Mismatch(
                f"epochs is {epochs}, but the updates in history need at least {least} sweep(s), and a converged run also makes a final sweep "
                "without any update; epochs counts every sweep made, including that last one (off by one?).",
                misconception="epochs_off_by_one",
            )
        expect_true(epochs <= max_epochs, f"epochs is {epochs}, more than max_epochs = {max_epochs}.")
    else:
        if epochs != max_epochs:
            hint = " (off by one?)" if abs(epochs - max_epochs) == 1 else ""
            raise Mismatch(f"converged is False, so the run must have made all max_epochs = {max_epochs} sweeps, but epochs is {epochs}{hint}.",
                           misconception="epochs_off_by_one" if hint else None)
        expect_true(len(order) >= epochs, f"converged is False after {epochs} epochs, but only {len(order)} updates were made: "
                    "every sweep before the end had an update, or the run would have stopped with converged = True.")
    return order


def digest(key: str, field: str, value) -> str:
    """A salted digest of one expected field of a visible case (the values stay out of the public module)."""
    return salted_digest(SALT, key, field, value)


def _fields(order: list[int], run: dict) -> dict:
    return {"updates": ",".join(map(str, order)), "epochs": run["epochs"], "converged": run["converged"]}


# (data set, eta, max_epochs) of the visible cases; their digests are made by
# expected_digests(reference) with `autograder digests` (see autograder/judge/digests.py).
VISIBLE_RUNS = (("separable_wide", 1.0, 100), ("separable_medium", 1.0, 100), ("separable_narrow", 0.5, 100), ("separable_narrow", 1.0, 3))
DIGESTS = visible(ASSIGNMENT.name)


def run_key(name: str, eta: float, max_epochs: int) -> str:
    return f"{name}/eta={eta!r}/max_epochs={max_epochs}"


def expected_digests(reference: dict) -> dict:
    """The digests of the visible runs as made by the reference's perceptron_train (pass the reference namespace)."""
    train, table = reference["perceptron_train"], {}
    for name, eta, max_epochs in VISIBLE_RUNS:
        X_h, y, _ = shipped(name)
        run = read_run(train(X_h, y, eta=eta, max_epochs=max_epochs), X_h.shape[1])
        order = updates_of(run, X_h, y, eta)
        key = run_key(name, eta, max_epochs)
        table[key] = {field: digest(key, field, value) for field, value in _fields(order, run).items()}
    return table


SWEEP_HINT = ("Start at w = 0, visit the samples in their given order 0, 1, ..., n-1 in every sweep, update immediately when "
              "y_i (w . x_i) <= 0 (the next sample already sees the new w), and stop after the first sweep without an update.")


def _compare_digests(key: str, order: list[int], run: dict, X_h: np.ndarray, y: np.ndarray, eta: float, max_epochs: int) -> None:
    expected = DIGESTS[key]
    got = _fields(order, run)
    if digest(key, "updates", got["updates"]) != expected["updates"]:
        named = departure(order, run, X_h, y, eta, max_epochs, reveal=True)
        if named is not None:
            raise named
        raise Mismatch(f"every update in your history is a valid perceptron update, but the sequence of updates ({len(order)} of them) "
                       f"is not the one the classic in-order perceptron makes on this data. {SWEEP_HINT}", misconception="sweep_order")
    if digest(key, "epochs", got["epochs"]) != expected["epochs"]:
        off = [e for e in (got["epochs"] - 1, got["epochs"] + 1) if digest(key, "epochs", e) == expected["epochs"]]
        raise Mismatch(f"epochs is {got['epochs']}, which is off by one{' (it should be ' + str(off[0]) + ')' if off else ''}: count every sweep "
                       "made, including the final sweep without updates." if off else f"epochs is {got['epochs']}, which is not the number of sweeps made.",
                       misconception="epochs_off_by_one" if off else None)
    if digest(key, "converged", got["converged"]) != expected["converged"]:
        raise Mismatch(f"converged is {got['converged']}, which is wrong for this run.")


def _train_check(X_h: np.ndarray, y: np.ndarray, eta: float, max_epochs: int, w_star: np.ndarray, key: str | None):
    def check(got, oracles):
        run = read_run(got, X_h.shape[1])
        order = run_properties(run, X_h, y, eta, max_epochs)
        bound = novikoff(X_h, y, w_star)
        expect_true(run["mistakes"] <= bound, f"{run['mistakes']} mistakes is more than Novikoff's bound (R/gamma)^2 = {bound:.4g} for this "
                    "separable data set, which no correct perceptron can exceed.")
        if key is not None and oracles.reveal:
            _compare_digests(key, order, run, X_h, y, eta, max_epochs)
        if oracles.judges_by_reference:
            compare_with_reference(run, order, oracles.reference("perceptron_train")(X_h, y, eta=eta, max_epochs=max_epochs), X_h, y, eta, max_epochs)

    return check


def compare_with_reference(run: dict, order: list[int], reference_result: dict, X_h, y, eta, max_epochs: int) -> None:
    """Exact agreement with the reference run, without revealing its values; a different sequence of
    updates is named by its first differing step (:func:`departure`)."""
    expected = read_run(reference_result, X_h.shape[1])
    expected_order = updates_of(expected, X_h, y, eta)
    if order != expected_order:
        k = next((k for k, (a, b) in enumerate(zip(order, expected_order)) if a != b), min(len(order), len(expected_order)))
        named = departure(order, run, X_h, y, eta, max_epochs, reveal=False, first_difference=k)
        if named is not None:
            raise named
        if k < len(order):
            where = f"your run agrees with the reference for the first {k} update(s), then differs at update {k + 1} (made on sample {order[k]})."
        else:
            where = f"your run agrees with the reference for its {len(order)} updates, then stops, but the reference makes more."
        raise Mismatch(f"{where} {SWEEP_HINT}", misconception="sweep_order")
    if run["epochs"] != expected["epochs"] and abs(run["epochs"] - expected["epochs"]) == 1:
        raise Mismatch(f"epochs is {run['epochs']}, off by one: count every sweep made, including the final sweep without updates.", misconception="epochs_off_by_one")
    expect_equal(run["epochs"], expected["epochs"], "result['epochs']", reveal=False)
    expect_equal(run["converged"], expected["converged"], "result['converged']", reveal=False)
    expect_equal(run["mistakes"], expected["mistakes"], "result['mistakes']", reveal=False)
    expect_close(run["w"], expected["w"], "result['w']", rtol=1e-9, atol=1e-12, reveal=False)


def geometric_margin(X_h: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """gamma = min_i y_i (w . x_i) / ||w||, for X_h (n, d), y (n,) in {-1, +1} and w (d,) of any norm."""
    return float(np.min(y * (X_h @ w)) / np.linalg.norm(w))


def largest_norm(X_h: np.ndarray) -> float:
    """R = max_i ||x_i||, the largest Euclidean norm of a row of X_h (n, d)."""
    return float(np.linalg.norm(X_h, axis=1).max())


def novikoff(X_h: np.ndarray, y: np.ndarray, w_star: np.ndarray) -> float:
    """(R / gamma)^2 from the definitions R = max ||x_i||, gamma = min y_i (w* . x_i) / ||w*||."""
    return float((largest_norm(X_h) / geometric_margin(X_h, y, w_star)) ** 2)


@ASSIGNMENT.question(points=3, functions=("perceptron_train",), depends_on=("predict",), on_dependency_failure="excuse")
def perceptron_train(rng, hidden):
    """perceptron_train runs the classic in-order perceptron rule exactly (w, mistakes, epochs, converged, history)."""
    if not hidden:
        for name, eta, max_epochs in VISIBLE_RUNS:
            X_h, y, w_star = shipped(name)
            yield Case(f"{name}, eta={eta:g}, max_epochs={max_epochs}", "perceptron_train", (X_h, y), kwargs={"eta": eta, "max_epochs": max_epochs},
                       check=_train_check(X_h, y, eta, max_epochs, w_star, run_key(name, eta, max_epochs)))
        return
    for _ in range(4):
        n, d, gamma = int(rng.integers(10, 60)), int(rng.integers(2, 5)), float(rng.uniform(0.03, 0.3))
        X_h, y, w_star = random_separable(rng, n, d, gamma)
        eta, max_epochs = float(rng.choice([1.0, 0.5, rng.uniform(0.05, 3.0)])), int(rng.choice([3, 100, 1000]))
        yield Case(f"random separable data, X_h of shape {X_h.shape}, eta={eta:.3g}, max_epochs={max_epochs}", "perceptron_train", (X_h, y),
                   kwargs={"eta": eta, "max_epochs": max_epochs}, check=_train_check(X_h, y, eta, max_epochs, w_star, None))
    for name in SEPARABLE:
        X_h, y, w_star = shipped(name)
        eta = float(rng.uniform(0.05, 3.0))
        yield Case(f"{name}, eta={eta:.3g}", "perceptron_train", (X_h, y), kwargs={"eta": eta, "max_epochs": 100},
                   check=_train_check(X_h, y, eta, 100, w_star, None))


# ---------------------------------------------------------------- XOR and the learning rate


def _xor_check(X_h: np.ndarray, y: np.ndarray, eta: float, max_epochs: int):
    def check(got, oracles):
        run = read_run(got, X_h.shape[1])
        if run["converged"]:
            raise Mismatch("converged is True on XOR, but no line separates XOR, so the perceptron can never finish a sweep without a mistake. "
                           "Check your stopping rule (stop early only after a sweep with no update).", misconception="converged_on_xor")
        run_properties(run, X_h, y, eta, max_epochs)
        # The exact sequence of updates is perceptron_train's own question: checking it again here
        # would charge one mistake (a tie rule, a shuffle) twice.

    return check


@ASSIGNMENT.question(points=1, functions=("perceptron_train",), depends_on=("perceptron_train",))
def perceptron_xor(rng, hidden):
    """On XOR (not separable) perceptron_train never converges: converged is False after max_epochs sweeps."""
    data = load("xor")
    X_h, y = homogeneous(data["X"]), data["y_sign"]
    runs = [(1.0, 20), (1.0, 7)] if not hidden else [(float(rng.uniform(0.1, 2.0)), int(rng.integers(5, 60))) for _ in range(2)]
    for eta, max_epochs in runs:
        yield Case(f"XOR, eta={eta:.3g}, max_epochs={max_epochs}", "perceptron_train", (X_h, y), kwargs={"eta": eta, "max_epochs": max_epochs},
                   check=_xor_check(X_h, y, eta, max_epochs))
    if hidden:  # XOR's four points in another order, moved a little: still not separable
        order = rng.permutation(4)
        X_h = homogeneous(data["X"][order] + rng.uniform(-0.1, 0.1, size=(4, 2)))
        yield Case("XOR with moved points", "perceptron_train", (X_h, y[order]), kwargs={"eta": 1.0, "max_epochs": 30},
                   check=_xor_check(X_h, y[order], 1.0, 30))


def _eta_check(X_h: np.ndarray, y: np.ndarray, etas: list[float], max_epochs: int):
    def check(got, oracles):
        if not isinstance(got, list) or len(got) != len(etas):
            raise Mismatch(f"expected {len(etas)} results (one per eta), got {type(got).__name__}.")
        runs = [read_run(result, X_h.shape[1]) for result in got]
        first = runs[0]
        if first["mistakes"] == 0:
            raise Mismatch("perceptron_train made no update with eta = 1, so there is nothing to compare; with w = 0 the first sample is "
                           "always a mistake (y_i (w . x_i) = 0 <= 0).", misconception="strict_inequality")
        why = ("Starting from w = 0, every w of a run with learning rate eta is eta times the w of the run with eta = 1, so the signs of "
               "y_i (w . x_i), and hence the updates, cannot depend on eta. Does your w start at 0, and does every update use eta?")
        for eta, run in zip(etas[1:], runs[1:]):
            for field in ("mistakes", "epochs", "converged"):
                if run[field] != first[field]:
                    raise Mismatch(f"{field} is {run[field]} with eta = {eta:g} but {first[field]} with eta = {etas[0]:g}. {why}", misconception="eta_changes_run")
            try:
                expect_close(run["w"], eta / etas[0] * first["w"], f"w with eta = {eta:g} compared with {eta / etas[0]:g} * (w with eta = {etas[0]:g})", rtol=1e-9, atol=1e-12)
                expect_close(run["history"], eta / etas[0] * first["history"], f"history with eta = {eta:g}, compared with the eta = {etas[0]:g} history scaled", rtol=1e-9, atol=1e-12)
            except Mismatch as wrong:
                raise Mismatch(f"{wrong.message}\n{why}", misconception="eta_changes_run") from None

    return check


@ASSIGNMENT.question(points=1, functions=("perceptron_train",), depends_on=("perceptron_train",))
def eta_invariance(rng, hidden):
    """With w0 = 0 the learning rate only scales w: the same mistakes for every eta > 0."""
    if not hidden:
        X_h, y, _ = shipped("separable_medium")
        etas = [1.0, 0.1, 0.37, 5.0]
    else:
        X_h, y, _ = random_separable(rng, int(rng.integers(20, 60)), int(rng.integers(2, 5)), float(rng.uniform(0.03, 0.2)))
        etas = [1.0] + [float(e) for e in rng.uniform(0.01, 10.0, size=3)]
    yield Case(f"X_h of shape {X_h.shape} with eta in {[round(e, 3) for e in etas]}", "perceptron_train", (X_h, y),
               kwargs={"max_epochs": 100, "each": [{"eta": e} for e in etas]}, probe="call_each", check=_eta_check(X_h, y, etas, 100))


ASSIGNMENT.manual("eta_written", points=1, title="Explain why, starting from w = 0, the learning rate does not change the perceptron's mistakes.")


# ---------------------------------------------------------------- margin, radius, Novikoff's bound


def _norm_cases(rng, hidden, count):
    for _ in range(count):
        n, d = int(rng.integers(3, 40)), int(rng.integers(2, 6))
        X_h = homogeneous(rng.normal(size=(n, d - 1)) * rng.uniform(0.5, 3.0))
        w = rng.normal(size=d) * rng.uniform(0.2, 5.0)  # not unit norm: dividing by ||w|| matters
        yield X_h, w


MARGIN_MISTAKES = (
    Mistake("margin_not_normalised", lambda X_h, y, w: np.min(y * (X_h @ w)) * np.linalg.norm(w)),
    Mistake("margin_ignores_labels", lambda X_h, y, w: np.min(X_h @ w) / np.linalg.norm(w)),
    Mistake("margin_largest", lambda X_h, y, w: np.max(y * (X_h @ w)) / np.linalg.norm(w)),
    Mistake("margin_not_normalised", lambda X_h, y, w: np.min(y * (X_h @ w))),
    Mistake("margin_ignores_labels", lambda X_h, y, w: np.min(np.abs(X_h @ w)) / np.linalg.norm(w)),
)
MARGIN = Expect("margin(X_h, y, w)", geometric_margin, reference="margin", result="scalar", rtol=1e-9, atol=1e-12, mistakes=MARGIN_MISTAKES,
                factors=lambda X_h, y, w: {"min y (w . x)": np.min(y * (X_h @ w)), "1 / ||w||": 1.0 / np.linalg.norm(w)})


@ASSIGNMENT.question(points=1, functions=("margin",))
def margin(rng, hidden):
    """margin(X_h, y, w) = min_i y_i (w . x_i) / ||w||."""
    for X_h, w in _norm_cases(rng, hidden, 3 if not hidden else 5):
        y = np.sign(X_h @ w)
        y[0] = -y[0]  # one misclassified point: the margin is negative
        yield Case(f"X_h of shape {X_h.shape}, one point on the wrong side", "margin", (X_h, y, w), expect=MARGIN)
        y = np.sign(X_h @ w)
        yield Case(f"X_h of shape {X_h.shape}, separated by w", "margin", (X_h, y, w), expect=MARGIN)
    X_h, w = next(_norm_cases(rng, False, 1))
    yield law_case(f"margin's law on X_h of shape {X_h.shape}", "margin", (X_h, np.sign(X_h @ w), w), MARGIN_LAWS)


MARGIN_LAWS = (degree("margin", "w", 0, lambda args, c: [args[0], args[1], c * args[2]], c=3.0, clause="margin.value"),)
"""The geometric margin does not depend on the norm of w (every right margin obeys it)."""


RADIUS_MISTAKES = (
    Mistake("radius_squared", lambda X_h: largest_norm(X_h) ** 2),
    Mistake("radius_matrix_norm", lambda X_h: np.linalg.norm(X_h)),
    Mistake("radius_smallest", lambda X_h: np.linalg.norm(X_h, axis=1).min()),
    Mistake("radius_wrong_axis", lambda X_h: np.linalg.norm(X_h, axis=0).max()),
)
RADIUS = Expect("radius(X_h)", largest_norm, reference="radius", result="scalar", rtol=1e-9, atol=1e-12, mistakes=RADIUS_MISTAKES)


@ASSIGNMENT.question(points=1, functions=("radius",))
def radius(rng, hidden):
    """radius(X_h) = max_i ||x_i||, the largest norm of a sample (a row)."""
    for X_h, _ in _norm_cases(rng, hidden, 3 if not hidden else 5):
        yield Case(f"X_h of shape {X_h.shape}", "radius", (X_h,), expect=RADIUS)


BOUND_MISTAKES = (
    Mistake("bound_not_squared", lambda X_h, y, w_star: np.sqrt(novikoff(X_h, y, w_star))),
    Mistake("bound_not_squared", lambda X_h, y, w_star: 2 * np.sqrt(novikoff(X_h, y, w_star))),  # ** 2 written * 2
    Mistake("bound_inverted", lambda X_h, y, w_star: 1 / novikoff(X_h, y, w_star)),
)
BOUND = Expect("novikoff_bound(X_h, y, w_star)", novikoff, reference="novikoff_bound", result="scalar", rtol=1e-9, atol=1e-12, mistakes=BOUND_MISTAKES,
               factors=lambda X_h, y, w_star: {"R ** 2": largest_norm(X_h) ** 2, "1 / gamma ** 2": 1.0 / geometric_margin(X_h, y, w_star) ** 2})


@ASSIGNMENT.question(points=1, functions=("novikoff_bound",), depends_on=("margin", "radius"))
def novikoff_bound(rng, hidden):
    """novikoff_bound(X_h, y, w_star) = (R / gamma)^2 with R = radius(X_h) and gamma = margin(X_h, y, w_star)."""
    if not hidden:
        for name in SEPARABLE:
            X_h, y, w_star = shipped(name)
            yield Case(f"{name} with its w_star", "novikoff_bound", (X_h, y, w_star), expect=BOUND)
    for X_h, w in _norm_cases(rng, hidden, 2 if not hidden else 4):
        y = np.sign(X_h @ w)
        yield Case(f"X_h of shape {X_h.shape}, w_star of norm {np.linalg.norm(w):.3g}", "novikoff_bound", (X_h, y, w), expect=BOUND)



ASSIGNMENT.sample_mistakes.update({
    # np.sign gives 0 for a score of exactly 0.
    "predict": "def predict(X_h, w):\n    return np.sign(X_h @ w)\n",
    # the geometric margin without dividing by ||w||.
    "margin": "def margin(X_h, y, w):\n    return np.min(y * (X_h @ w))\n",
})

# --- the contract: the clauses of each student function's docstring, and the questions that check them ---
ASSIGNMENT.contract("add_bias", value="Returns X_h of shape (n, d + 1) with X_h[:, 0] == 1 and X_h[:, 1:] == X.")
ASSIGNMENT.checks("add_bias", "add_bias.value")
ASSIGNMENT.contract("predict", shape="Returns an (n,) float array of labels.", value="+1.0 where X_h @ w > 0, else -1.0 (a score of 0 gives -1).")
ASSIGNMENT.checks("predict", "predict.shape", "predict.value")
ASSIGNMENT.contract("perceptron_train", keys='Returns {"w", "mistakes", "epochs", "converged", "history"}.',
                    rule="w = 0, in-order sweeps, update w += eta * y_i * x_i whenever y_i (w . x_i) <= 0.",
                    stop="Stops after the first sweep with no update, or after max_epochs sweeps.",
                    history="history: the weights after each update.", converged="converged is False when max_epochs sweeps all made updates (XOR).",
                    eta="With w = 0 at the start the learning rate only scales w: the same mistakes for every eta.")
ASSIGNMENT.checks("perceptron_train", "perceptron_train.keys", "perceptron_train.rule", "perceptron_train.stop", "perceptron_train.history")
ASSIGNMENT.checks("perceptron_xor", "perceptron_train.converged")
ASSIGNMENT.checks("eta_invariance", "perceptron_train.eta")
ASSIGNMENT.contract("margin", value="min_i y_i (w . x_i) / ||w||, for w of any norm.", sign="Negative if some sample is misclassified.")
ASSIGNMENT.checks("margin", "margin.value", "margin.sign")
ASSIGNMENT.contract("radius", value="max_i ||x_i||, the largest Euclidean norm of a row.")
ASSIGNMENT.checks("radius", "radius.value")
ASSIGNMENT.contract("novikoff_bound", value="(R / gamma)**2 with R = radius(X_h) and gamma = margin(X_h, y, w_star), for w_star of any norm.")
ASSIGNMENT.checks("novikoff_bound", "novikoff_bound.value")

# --- what a relation between a student's value and the expected one means here (autograder.judge.relations) ---
ASSIGNMENT.relations("margin", dict.fromkeys(("missing_factor", "inverted_factor", "extra_factor"), "margin_factor"))
ASSIGNMENT.relations("novikoff_bound", dict.fromkeys(("missing_factor", "inverted_factor", "extra_factor"), "bound_factor"))
