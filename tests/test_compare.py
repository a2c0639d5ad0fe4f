"""Do comparison failures say which entry, expected and got, and the relative error?"""

import numpy as np
import pytest

from autograder.judge.compare import Mismatch, expect_array, expect_close, expect_equal, expect_scalar, rel_error
from autograder.student.plain import Unsupported


def test_close_values_pass():
    expect_close(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-12]), "v")


def test_mismatch_names_entry_expected_got_and_relative_error():
    expected = np.arange(6.0).reshape(2, 3)
    got = expected.copy()
    got[1, 2] = 7.0
    with pytest.raises(Mismatch) as info:
        expect_close(got, expected, "dW1")
    text = info.value.message
    assert "1 of 6 entries differ" in text
    assert "at dW1[1, 2]: expected 5, got 7" in text
    assert f"{rel_error(got, expected):.3g}" in text


def test_hidden_cases_do_not_reveal_expected_values():
    with pytest.raises(Mismatch) as info:
        expect_close(np.array([1.0, 9.0]), np.array([1.0, 2.0]), "out", reveal=False)
    assert "expected" not in info.value.message and "2.0" not in info.value.message
    assert "1 of 2 entries differ" in info.value.message


def test_one_number_is_reported_as_one_number():
    with pytest.raises(Mismatch) as info:
        expect_close(2.5, 2.0, "margin(X_h, y, w)")
    assert info.value.message.startswith("margin(X_h, y, w) is 2.5, expected 2: it differs by 0.5, relative 0.111")
    with pytest.raises(Mismatch) as info:
        expect_close(2.5, 2.0, "margin(X_h, y, w)", reveal=False)
    assert "expected 2" not in info.value.message and "differs from the expected value by a relative 0.111" in info.value.message
    with pytest.raises(Mismatch) as info:
        expect_close(-3.0, 3.0, "cost")
    assert info.value.relation == "sign" and "your value is" in info.value.message


def test_shape_mismatch_suggests_a_transpose():
    with pytest.raises(Mismatch, match=r"shape \(3, 2\), expected \(2, 3\) \(a transposed result\?\)"):
        expect_array(np.zeros((3, 2)), (2, 3), "W")


@pytest.mark.parametrize("got, words", [
    (np.array([1.0, np.nan]), "non-finite"),
    (Unsupported("torch.Tensor"), "torch.Tensor"),
    ("text", "NumPy array"),
    ([[1.0], [1.0, 2.0]], "ragged"),
])
def test_unusable_values_are_explained(got, words):
    with pytest.raises(Mismatch, match=words):
        expect_array(got, (2,), "value")


def test_lists_and_scalars_count_as_arrays():
    np.testing.assert_array_equal(expect_array([1, 2], (2,), "v"), [1.0, 2.0])
    assert expect_scalar(np.array([2.5]), "b") == 2.5
    with pytest.raises(Mismatch, match="single number"):
        expect_scalar(np.array([1.0, 2.0]), "b")


def test_exact_equality_of_plain_values():
    expect_equal(3, 3.0, "mistakes")
    with pytest.raises(Mismatch, match="expected 3, got 4"):
        expect_equal(4, 3, "mistakes")
    with pytest.raises(Mismatch, match="should be a bool"):
        expect_equal(1, True, "converged")
