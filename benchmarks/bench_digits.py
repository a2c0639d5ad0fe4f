"""Benchmark: the 05_softmax reference digits classifier against scikit-learn's MLPClassifier.

    python benchmarks/bench_digits.py [--repeats 3]

Both train the same network on the kit's digits split (64 inputs, one hidden layer of
128 ReLU units, 10 softmax outputs) with plain mini-batch SGD: same epochs, batch size,
learning rate and L2 strength, no momentum, no early stopping. The reference is read
from the solution notebook (``autograder.course.reference``), exactly as the grader
reads it. Printed: mean test accuracy and best training time of each over interleaved runs
(seeds 0, 1, ...), and the ratio of times.
Goal: at least 97% test accuracy in at most half of MLPClassifier's time.

L2 conventions differ: the kit adds ``l2/2 * sum(W**2)`` to the batch-averaged cost;
scikit-learn adds ``alpha/2 * sum(W**2) / batch_size``. So ``alpha = l2 * batch_size``.

scikit-learn is a benchmark-only extra. BLAS threads are limited to one by default
(tiny matrices run faster single-threaded, and it matches the grader's sandbox);
set OPENBLAS_NUM_THREADS yourself to override.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from autograder import course  # noqa: E402
from autograder.questions.softmax import DIGITS_RUN, digits_split, relu_network  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GOAL_ACCURACY, GOAL_TIME_RATIO = 0.97, 0.5


def run_reference(seed: int, data) -> tuple[float, float]:
    """(test accuracy, training seconds) of the solution notebook's train_classifier."""
    reference = course.reference("05_softmax", ROOT)
    X_train, y_train, X_test, y_test = data
    run = DIGITS_RUN
    start = time.perf_counter()
    params, _ = reference["train_classifier"](X_train, y_train, run["hidden"], run["lr"], run["epochs"], run["batch_size"], run["l2"], seed)
    seconds = time.perf_counter() - start
    return float(np.mean(np.argmax(relu_network(params, X_test), axis=1) == y_test)), seconds


def run_sklearn(seed: int, data) -> tuple[float, float]:
    """(test accuracy, training seconds) of MLPClassifier with the same settings."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X_train, y_train, X_test, y_test = data
    run = DIGITS_RUN
    model = MLPClassifier(
        hidden_layer_sizes=tuple(run["hidden"]), activation="relu", solver="sgd", learning_rate="constant",
        learning_rate_init=run["lr"], momentum=0.0, nesterovs_momentum=False, batch_size=run["batch_size"],
        max_iter=run["epochs"], alpha=run["l2"] * run["batch_size"], shuffle=True, random_state=seed,
        tol=0.0, n_iter_no_change=run["epochs"] + 1, early_stopping=False,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    return float(model.score(X_test, y_test)), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per method, with seeds 0, 1, ... (default 5)")
    args = parser.parse_args()
    data = digits_split()
    course.reference("05_softmax", ROOT)  # read the notebook before timing anything
    print(f"digits: {len(data[1])} training and {len(data[3])} test images; network 64-{'-'.join(map(str, DIGITS_RUN['hidden']))}-10, "
          f"lr={DIGITS_RUN['lr']}, epochs={DIGITS_RUN['epochs']}, batch_size={DIGITS_RUN['batch_size']}, l2={DIGITS_RUN['l2']}")
    methods = {"reference (NumPy)": run_reference, "sklearn MLPClassifier": run_sklearn}
    runs = {name: [] for name in methods}
    for seed in range(args.repeats):  # interleaved, so a busy machine slows both alike
        for name, method in methods.items():
            runs[name].append(method(seed, data))
    results = {}
    for name, done in runs.items():
        accuracy, seconds = statistics.mean(a for a, _ in done), min(s for _, s in done)
        results[name] = (accuracy, seconds)
        print(f"{name:>22}: test accuracy {accuracy:.4f} (runs: {', '.join(f'{a:.4f}' for a, _ in done)}), "
              f"training time {seconds:.3f} s (best of {args.repeats})")
    (ref_acc, ref_time), (_, sk_time) = results.values()
    ratio = ref_time / sk_time
    print(f"time ratio reference / sklearn: {ratio:.3f}")
    met = ref_acc >= GOAL_ACCURACY and ratio <= GOAL_TIME_RATIO
    print(f"goal (accuracy >= {GOAL_ACCURACY:.0%} in <= {GOAL_TIME_RATIO:g} x sklearn's time): {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
