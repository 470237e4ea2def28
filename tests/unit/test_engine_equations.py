"""Equations with the same solutions: a multiple of the reference, or the same relation solved for a symbol."""

import pytest

from autograder import check_equivalent
from autograder.judge import judge

XY = ("x", "y")


@pytest.mark.parametrize("answer, reference", [
    ("1/x + 1/y = 2", "y = x/(2x - 1)"),  # the pair, both ways round
    ("y = x/(2x - 1)", "1/x + 1/y = 2"),
    ("x = y/(2y - 1)", "1/x + 1/y = 2"),  # solved for the other symbol
    ("y = x/(2*x - 1)", "x = y/(2*y - 1)"),  # both explicit, in different symbols
    ("x/(2x - 1) = y", "2 = 1/y + 1/x"),  # sides swapped
    ("2*x*y = x + y", "y = x/(2x - 1)"),  # fractions cleared
])
def test_an_equation_solved_for_one_of_its_symbols_is_the_same_equation(answer, reference):
    v = judge(answer, reference, symbols=XY)
    assert v.accepted, v.feedback
    assert "same solutions" in v.method


def test_the_public_check_recognises_it_in_its_bounded_worker():
    assert check_equivalent("1/x+1/y=2", "y = x/(2x-1)", symbols=XY).status == "equivalent"


@pytest.mark.parametrize("answer, reference", [
    ("1/x + 1/y = 3", "y = x/(2x - 1)"),  # another relation
    ("a*x = a*y", "x = y"),  # also holds for a = 0 with any x, y
    ("x*y = x^2", "y = x"),  # also holds on the line x = 0
    ("(x - 2)^2 = 0", "x = 2"),  # a double root (STACK's rule: multiplicity counts)
    ("y^2 = x^2", "y = x"),  # a second branch, y = -x
    ("(y - x)*(y - x - 1) = 0", "y = x"),  # a second branch, y = x + 1
    ("sqrt(x) = sqrt(y)", "x = y"),  # not a relation linear in either symbol: not compared this way
    ("y = x/(2x + 1)", "1/x + 1/y = 2"),
    ("y*sin(x) = sin(2*x)", "y = 2*cos(x)"),  # also holds where sin(x) = 0, for every y
    ("(x - sqrt(2))*y = x^2 - 2", "y = x + sqrt(2)"),  # also holds at x = √2, for every y
])
def test_an_equation_with_other_or_more_solutions_is_refused(answer, reference):
    v = judge(answer, reference, symbols=("a", "x", "y"))
    assert v.status == "not_equivalent" and v.diagnosis == "not_equivalent", v.feedback
    assert "not equivalent to the right one" in v.feedback
