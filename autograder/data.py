"""Loading the kit's data sets, from a checkout or from an installed package.

Each data set is one ``<name>.npz`` file in the repository's ``datasets/`` folder,
made by ``datasets/make_datasets.py`` and shipped inside the wheel as
``autograder/datasets/`` — so a released notebook opened far from the repository
still finds its data. Files are read with ``allow_pickle=False``.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = ["datasets_dir", "load", "names"]


@functools.cache
def datasets_dir() -> Path:
    """The folder holding the ``.npz`` files: inside the installed package, else the checkout's ``datasets/``."""
    packaged = Path(str(resources.files("autograder"))) / "datasets"
    checkout = Path(__file__).resolve().parent.parent / "datasets"
    for folder in (packaged, checkout):
        if folder.is_dir() and any(folder.glob("*.npz")):
            return folder
    raise FileNotFoundError(f"no data sets found in {packaged} or {checkout}; run `python datasets/make_datasets.py`")


def names() -> list[str]:
    """The names of every shipped data set."""
    return sorted(p.stem for p in datasets_dir().glob("*.npz"))


def load(name: str) -> dict[str, np.ndarray]:
    """Load data set ``name`` as a dict of arrays (a fresh copy each call).

    Raises:
        KeyError: naming the data sets that exist, when ``name`` is not one of them.
    """
    return {key: array.copy() for key, array in _read(name).items()}


@functools.cache
def _read(name: str) -> dict[str, np.ndarray]:
    """The arrays of ``name``'s file, read once per process (a grader loads the same few sets for
    every submission; unpacking the archive costs far more than copying its arrays)."""
    path = datasets_dir() / f"{name}.npz"
    if not path.is_file():
        raise KeyError(f"no data set {name!r}; available: {', '.join(names())}")
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    for array in arrays.values():
        array.setflags(write=False)
    return arrays
