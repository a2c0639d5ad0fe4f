"""Make every data set of the kit, reproducibly: ``python datasets/make_datasets.py``.

Each builder below returns a dict of arrays and is saved as ``<name>.npz`` beside this
file. Builders are deterministic (fixed seeds), so running this script again leaves
the files' arrays unchanged; a test checks that. See README.md here for what each set
is and where the digits come from.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Callable

import numpy as np

BUILDERS: dict[str, Callable[[], dict[str, np.ndarray]]] = {}
HERE = Path(__file__).resolve().parent


def builder(fn: Callable[[], dict[str, np.ndarray]]) -> Callable[[], dict[str, np.ndarray]]:
    BUILDERS[fn.__name__] = fn
    return fn


@builder
def truth_tables() -> dict[str, np.ndarray]:
    """Inputs (one row per combination, 0/1) and targets of the logic gates."""
    x2 = np.array(list(itertools.product([0.0, 1.0], repeat=2)))
    a, b = x2[:, 0].astype(bool), x2[:, 1].astype(bool)
    return {
        "X2": x2, "X1": np.array([[0.0], [1.0]]),
        "AND": (a & b).astype(float), "OR": (a | b).astype(float),
        "NAND": (~(a & b)).astype(float), "NOR": (~(a | b)).astype(float),
        "XOR": (a ^ b).astype(float), "NOT": np.array([1.0, 0.0]),
    }


@builder
def xor() -> dict[str, np.ndarray]:
    """XOR as a data set: X (4, 2), labels y in {0, 1} and y_sign in {-1, +1}."""
    table = truth_tables()
    return {"X": table["X2"], "y": table["XOR"], "y_sign": 2.0 * table["XOR"] - 1.0}


def _separable(gamma: float, n: int, seed: int) -> dict[str, np.ndarray]:
    """n points in [-1, 1]^2 at homogeneous margin >= gamma from a unit-norm w* = (bias, w1, w2)."""
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi)
    w_star = np.array([rng.uniform(-0.3, 0.3), np.cos(angle), np.sin(angle)])
    w_star /= np.linalg.norm(w_star)
    points = []
    while len(points) < n:
        x = rng.uniform(-1, 1, size=2)
        if abs(np.r_[1.0, x] @ w_star) >= gamma:
            points.append(x)
    X = np.array(points)
    scores = np.c_[np.ones(n), X] @ w_star
    y = np.sign(scores)
    return {"X": X, "y": y, "w_star": w_star, "gamma": np.float64(np.min(y * scores))}


@builder
def separable_wide() -> dict[str, np.ndarray]:
    """Linearly separable, margin >= 0.3 in homogeneous coordinates (60 points)."""
    return _separable(0.3, 60, seed=1)


@builder
def separable_medium() -> dict[str, np.ndarray]:
    """Linearly separable, margin >= 0.1 (100 points)."""
    return _separable(0.1, 100, seed=2)


@builder
def separable_narrow() -> dict[str, np.ndarray]:
    """Linearly separable, margin >= 0.02 (200 points)."""
    return _separable(0.02, 200, seed=3)


@builder
def regression() -> dict[str, np.ndarray]:
    """100 points x in [-1, 1]^2 and targets y = x0^2 + 3 x0 x1 + x1^2 + 5, Y of shape (100, 1)."""
    rng = np.random.default_rng(100)
    X = rng.uniform(-1, 1, size=(100, 2))
    Y = (X[:, 0] ** 2 + 3 * X[:, 0] * X[:, 1] + X[:, 1] ** 2 + 5)[:, None]
    return {"X": X, "Y": Y}


@builder
def digits() -> dict[str, np.ndarray]:
    """The 8x8 handwritten digits (1,797 images, pixel values 0..16) and a fixed 80/20 split."""
    from sklearn.datasets import load_digits  # only needed to (re)make this file

    bunch = load_digits()
    order = np.random.default_rng(2024).permutation(len(bunch.target))
    n_test = int(round(0.2 * len(order)))
    return {
        "images": bunch.data.astype(np.uint8), "labels": bunch.target.astype(np.uint8),
        "train_index": np.sort(order[n_test:]), "test_index": np.sort(order[:n_test]),
    }


@builder
def digits_overfit() -> dict[str, np.ndarray]:
    """A small, overfitting-prone split of the digits' training part: 100 training images with 40% of
    their labels replaced by another digit, and 300 validation images with their true labels."""
    with np.load(HERE / "digits.npz", allow_pickle=False) as shipped:  # built by `digits` above
        labels, train_index = shipped["labels"], shipped["train_index"]
    rng = np.random.default_rng(707)
    order = train_index[rng.permutation(len(train_index))]
    train, val = np.sort(order[:100]), np.sort(order[100:400])
    noisy = labels[train].astype(np.int64)
    flipped = rng.permutation(100)[:40]
    noisy[flipped] = (noisy[flipped] + rng.integers(1, 10, size=40)) % 10  # always a different digit
    return {"train_index": train, "val_index": val, "train_labels": noisy.astype(np.uint8), "flipped": np.sort(flipped)}


def main(names: list[str] | None = None) -> None:
    for name in names or BUILDERS:
        np.savez_compressed(HERE / f"{name}.npz", **BUILDERS[name]())
        print(f"wrote datasets/{name}.npz")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
