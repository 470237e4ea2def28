"""Activation derivatives that are piecewise: step, max, where(condition, a, b)."""

import pytest
import sympy

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


# With a piecewise activation given (r = ReLU(z), l = leaky ReLU), the prompt fixes the derivative's value at the
# kink z = 0, so an answer that differs only there is wrong: the domain adds points exactly on the kink.
KINKED = dict(symbols=["z", "alpha"], domain={"alpha": (0.01, 0.5)},
              define={"r": "relu(z)", "l": "max(alpha*z, z)"})


@pytest.mark.parametrize("answer, reference", [
    ("where(z > 0, 1, 0)", "where(z > 0, 1, 0)"),
    ("where(z <= 0, 0, 1)", "where(z > 0, 1, 0)"),
    ("1 - where(z <= 0, 1, 0)", "where(z > 0, 1, 0)"),
    ("where(z > 0, 1, alpha)", "where(z <= 0, alpha, 1)"),
    ("alpha + (1 - alpha)*where(z > 0, 1, 0)", "where(z > 0, 1, alpha)"),
])
def test_the_same_convention_at_the_kink_is_accepted(answer, reference):
    assert check_equivalent(answer, reference, **KINKED).accepted


@pytest.mark.parametrize("answer, reference", [
    ("step(z)", "where(z > 0, 1, 0)"),  # Heaviside(0) = 1/2
    ("where(z >= 0, 1, 0)", "where(z > 0, 1, 0)"),  # 1 at the kink
    ("1 - step(-z)", "where(z > 0, 1, 0)"),
    ("where(z >= 0, 1, alpha)", "where(z > 0, 1, alpha)"),
])
def test_a_different_value_at_the_kink_is_rejected(answer, reference):
    assert check_equivalent(answer, reference, **KINKED).status == "not_equivalent"


def test_kink_points_only_for_piecewise_definitions():
    from autograder.domain import Domain

    kinked = Domain.build(domain={"alpha": (0.01, 0.5)}, define={"l": "max(alpha*z, z)"}, symbols=["z"])
    zs = [p[sympy.Symbol("z")] for p in kinked.points(20, "salt")]
    assert len(zs) == 21 and zs.count(0) == 1  # alpha's switch (alpha = 1) lies outside its domain
    smooth = Domain.build(define={"s": "sigmoid(z)"}, symbols=["z"])
    assert len(smooth.points(20, "salt")) == 20 and all(p[sympy.Symbol("z")] != 0 for p in smooth.points(20, "salt"))


def test_an_answer_wrong_only_at_the_kink_is_told_where():
    # ReLU′ with the stated convention ReLU′(0) = 0; step(z) is ½ there, and right everywhere else
    v = check_equivalent("step(z)", "where(z > 0, 1, 0)", define={"r": "relu(z)"}, symbols=["z", "r"])
    assert v.diagnosis == "wrong_at_point", v.feedback
    assert "z = 0.0" in v.feedback and "gives 0.5 instead of 0.0" in v.feedback
    assert "times the right result" not in v.feedback  # not the "1 times" constant factor it used to say


@pytest.mark.parametrize("answer", ["relu(z)/z", "r/z", "max(0, z)/z"])
def test_an_answer_without_a_value_at_the_kink_is_rejected(answer):
    """relu(z)/z equals ReLU′ wherever it is defined, but it has no value at z = 0, which the step asks about."""
    v = check_equivalent(answer, "where(z > 0, 1, 0)", define={"r": "relu(z)"}, symbols=["z", "r"])
    assert v.status == "not_equivalent" and v.diagnosis == "undefined", v.feedback
    assert "no value at" in v.feedback and "z = 0.0" in v.feedback


def test_an_answer_undefined_where_a_label_is_zero_is_rejected():
    """y(1 + y)/(y + y²) is 1 only where y ≠ 0: with labels drawn from {0, 1}, half the examples get no value."""
    v = check_equivalent("(a - y)*y*(1 + y)/(y + y^2)", "a - y", symbols=["a", "y"],
                         domain={"a": (0, 1), "y": [0, 1]})
    assert v.status == "not_equivalent" and v.diagnosis == "undefined", v.feedback
    assert "y = 0" in v.feedback
