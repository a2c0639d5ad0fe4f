"""Are the data sets loadable, reproducible, and what their documentation says?"""

import importlib.util

import numpy as np
import pytest
from conftest import ROOT

from autograder import data


def builders():
    spec = importlib.util.spec_from_file_location("make_datasets", ROOT / "datasets" / "make_datasets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BUILDERS


@pytest.mark.parametrize("name", sorted(builders()))
def test_rebuilding_reproduces_the_shipped_arrays(name):
    if name == "digits":
        pytest.importorskip("sklearn")
    built, shipped = builders()[name](), data.load(name)
    assert built.keys() == shipped.keys()
    for key in built:
        fresh = np.asarray(built[key])
        assert fresh.dtype == shipped[key].dtype and fresh.shape == shipped[key].shape, f"{name}.{key}"
        if np.issubdtype(fresh.dtype, np.floating):  # a norm may round differently on another CPU or NumPy
            np.testing.assert_allclose(fresh, shipped[key], rtol=1e-12, atol=0, err_msg=f"{name}.{key}")
        else:
            np.testing.assert_array_equal(fresh, shipped[key], err_msg=f"{name}.{key}")


def test_every_shipped_file_has_a_builder():
    assert set(data.names()) == set(builders())


def test_unknown_names_list_the_available_ones():
    with pytest.raises(KeyError, match="truth_tables"):
        data.load("mnist")


@pytest.mark.parametrize("name", ["separable_wide", "separable_medium", "separable_narrow"])
def test_separable_sets_have_the_stated_margin(name):
    d = data.load(name)
    X_h = np.c_[np.ones(len(d["X"])), d["X"]]
    assert np.isclose(np.linalg.norm(d["w_star"]), 1.0)
    assert np.isclose(np.min(d["y"] * (X_h @ d["w_star"])), d["gamma"]) and d["gamma"] > 0


def test_digits_split_is_a_partition_of_1797_images():
    d = data.load("digits")
    assert d["images"].shape == (1797, 64) and d["images"].max() == 16
    both = np.concatenate([d["train_index"], d["test_index"]])
    assert sorted(both) == list(range(1797)) and len(d["test_index"]) == 359
