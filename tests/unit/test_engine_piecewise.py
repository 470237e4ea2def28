"""Activation derivatives that are piecewise: step, max, where(condition, a, b)."""

import pytest

from autograder import check_equivalent

Z = dict(symbols=["z"])


@pytest.mark.parametrize("answer, reference", [
    ("step(z)", "where(z > 0, 1, 0)"),
    ("where(z < 0, 0, 1)", "step(z)"),
    ("max(0, z)", "relu(z)"),
    ("max(0.01z, z)", "where(z > 0, z, 0.01*z)"),
    ("where(z > 0, 1, 0.01)", "step(z) + 0.01*(1 - step(z))"),
])
def test_piecewise_forms_are_equivalent(answer, reference):
    assert check_equivalent(answer, reference, **Z).accepted


@pytest.mark.parametrize("answer, reference", [
    ("where(z > 0, 1, 0)", "where(z > 0, 1, 0.01)"),  # ReLU' where leaky ReLU' is asked
    ("where(z > 0, 0, 1)", "step(z)"),
    ("1 - tanh(z)^2", "step(z)"),
    ("max(0, -z)", "relu(z)"),
])
def test_piecewise_mistakes_are_rejected(answer, reference):
    v = check_equivalent(answer, reference, **Z)
    assert v.status == "not_equivalent" and v.feedback


@pytest.mark.parametrize("answer, words", [("z > 0", "comparison"), ("where(z, 1, 0)", "comparison"),
                                           ("where(z > 0, 1)", "3 arguments")])
def test_comparisons_only_inside_where(answer, words):
    v = check_equivalent(answer, "step(z)", **Z)
    assert v.status == "invalid" and words in v.feedback
