"""Does only plain data cross from student code to the grader?"""

import math

import numpy as np
import pytest

from autograder.student import plain
from autograder.student.plain import Unsupported


@pytest.mark.parametrize("value", [
    None, True, 3, -2.5, "text", [1, 2.0, "x"], (1, (2, 3)), {"a": [1.0, None]},
    np.arange(6.0).reshape(2, 3), np.array([True, False]), np.array([[1, 2]], dtype=np.int32),
    np.zeros((0, 3)), np.float64(1.5), np.int64(7),
])
def test_round_trip_keeps_plain_values(value):
    """Do numbers, strings, containers and numeric arrays survive encode -> JSON -> decode?"""
    back = plain.loads(plain.dumps(value))
    if isinstance(value, np.ndarray):
        assert isinstance(back, np.ndarray) and back.shape == value.shape
        np.testing.assert_array_equal(back, value)
    elif isinstance(value, np.generic):
        assert back == value.item() and type(back) is type(value.item())
    else:
        assert back == value and type(back) is type(value)


def test_float64_and_non_finite_values_are_exact():
    """Are float64 values bit-exact, and do NaN and the infinities survive?"""
    values = np.array([0.1, 1 / 3, 1e-308, -0.0, np.nan, np.inf, -np.inf])
    back = plain.loads(plain.dumps(values))
    assert back.dtype == np.float64
    np.testing.assert_array_equal(back, values)
    assert math.copysign(1, back[3]) == -1


class Sneaky(np.ndarray):
    def __eq__(self, other):
        return True


class AlwaysEqual:
    def __eq__(self, other):
        return True


@pytest.mark.parametrize("value, name", [
    (np.zeros(3).view(Sneaky), "Sneaky"),
    (AlwaysEqual(), "AlwaysEqual"),
    (np.array(["a", "b"]), "numpy.ndarray"),
    (np.array([object()], dtype=object), "numpy.ndarray"),
    ({1: "int key"}, "dict"),
    ((x for x in range(3)), "generator"),
])
def test_objects_that_are_not_plain_data_become_markers(value, name):
    """Do ndarray subclasses and objects with a custom __eq__ never come back as themselves?"""
    back = plain.loads(plain.dumps(value))
    assert isinstance(back, Unsupported)
    assert name in back.type_name


@pytest.mark.parametrize("data", [
    {"__ndarray__": [1, 2, 3], "dtype": "float64", "shape": [2, 2]},
    {"__ndarray__": [1, "x"], "dtype": "float64", "shape": [2]},
    {"__ndarray__": [1], "dtype": "object", "shape": [1]},
    {"__tuple__": "not a list"},
    {"__ndarray__": "AAAAAAAAAAA=", "dtype": "float64", "shape": [2]},  # the bytes of one float for two
    {"__ndarray__": "not base64!", "dtype": "int64", "shape": [1]},
    {"__ndarray__": "Ag==", "dtype": "bool", "shape": [1]},  # a byte that is no bool
    {"__ndarray__": "", "dtype": "float64", "shape": [10**12]},
])
def test_malformed_plain_data_is_rejected_not_trusted(data):
    """Does hand-made JSON claiming to be an array decode to a marker rather than raise?"""
    assert isinstance(plain.decode(data), Unsupported)


def test_only_numpys_own_scalar_types_are_plain_and_no_method_of_the_value_runs():
    """A subclass claiming to be NumPy's, whose .item() is student code, becomes a marker without being called."""
    called = []

    class Pretender(np.float64):
        __module__ = "numpy"

        def item(self):
            called.append(True)
            return 1.0

    assert isinstance(plain.loads(plain.dumps(Pretender(3.0))), Unsupported)
    assert not called
    assert plain.loads(plain.dumps([np.float32(0.5), np.int8(-3), np.bool_(True)])) == [0.5, -3, True]


def test_arrays_travel_as_bytes_and_come_back_equal_writable_and_native():
    """Does an array cross as one string of its bytes (not a number per element) and come back the same?"""
    value = np.asfortranarray(np.array([[np.nan, -0.0, np.inf], [1e-310, 2.0, -3.5]], dtype=">f8"))
    data = plain.encode(value)
    assert type(data["__ndarray__"]) is str and data["shape"] == [2, 3]
    back = plain.loads(plain.dumps(value))
    assert back.dtype == np.float64 and back.dtype.isnative and back.flags.writeable
    assert np.array_equal(back, value, equal_nan=True) and np.signbit(back[0, 1])
    assert plain.decode({"__ndarray__": [1.0, 2.0], "dtype": "float64", "shape": [2]}).tolist() == [1.0, 2.0]  # the list form is read too
