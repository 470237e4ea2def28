"""Feature points and the confirmation at higher precision (issue 24): wrong answers that differ only in a narrow bump,
only at a scale such as e^-1000, or by less than the 33 digits the usual comparison resolves; each rule with the
near miss it must not refuse (a right answer that has the same bump, scale or rounding)."""

import mpmath
import sympy

from autograder import check_equivalent
from autograder.features import features
from autograder.target import CONFIRM, tame

x, y = sympy.symbols("x y")
POSITIVE = {"x": (0, None)}


def refused(answer, reference, **options) -> bool:
    v = check_equivalent(answer, reference, **options)
    return v.status == "not_equivalent" and bool(v.diagnosis) and bool(v.feedback)


def accepted(answer, reference, **options) -> bool:
    return check_equivalent(answer, reference, **options).accepted


# ---------------------------------------------------------------- peaks: exp(u) where u is stationary

def test_a_peak_is_where_the_exponent_is_stationary():
    assert features(sympy.sin(x) + sympy.exp(-1000 * (x - 10)**2)).zeros == {x - 10}
    assert features(2**(-(x - y)**2 * 10**4)).zeros == {x - y}
    assert not features(1 / (1 + sympy.exp(-x))).zeros  # a linear exponent rises all the way: no peak
    assert not features(sympy.exp(sympy.sin(x)**2)).zeros  # not a polynomial: left to the random points


def test_a_narrow_bump_in_the_answer_is_refused():
    assert refused("sin(x) + exp(-1000*(x - 10)^2)", "sin(x)")
    assert refused("1 + exp(-(x - 7)^2*1e4)", "1", symbols=["x"])
    assert refused("sin(x) + 2^(-1000*(x - 10)^2)", "sin(x)")
    assert refused("x + exp(-(x - 3)^4*1e6)", "x")  # degree 4: its derivative is solved numerically
    assert refused("x + y + exp(-1000*(x - y)^2)", "x + y")  # along x = y
    assert refused("x + sigmoid(-1000*(x - 10)^2)", "x")  # any exponential inside: σ, tanh, sech, …
    assert refused("x + sech(1000*(x - 10)^2)", "x")


def test_a_narrow_bump_the_answer_leaves_out_is_refused():
    assert refused("1", "1 + exp(-(x - 7)^2*1e4)")
    assert refused("sin(x)", "sin(x) + exp(-1000*(x - 10)^2)")  # the reference's own peak is among its points


def test_a_right_answer_with_the_same_bump_is_accepted():
    assert accepted("exp(-1000*(x - 10)^2)", "exp(-1000*x^2 + 20000*x - 100000)")
    assert accepted("sin(x)*exp(-1000*(x - 10)^2) + 1", "1 + sin(x)/exp(1000*x^2 - 20000*x + 100000)")
    assert accepted("x + y + exp(-1000*(x - y)^2)", "x + y + exp(-1000*(y - x)^2)")


# ---------------------------------------------------------------- steps: sigma(u), tanh(u), sech(u) for a steep linear u

def test_a_step_is_where_a_steep_argument_is_zero():
    assert features(sympy.tanh(1000 * x - 10**4)).zeros == {x - 10}
    assert not features(sympy.tanh(x - 10)).zeros  # a slope of 1: the usual points see it
    assert not features(sympy.exp(1000 * (x - 10))).zeros  # e^u rises all the way: it has no step


def test_a_narrow_window_or_bump_of_steep_steps_is_refused():
    assert refused("x + sigmoid(1000*(x - 10)) - sigmoid(1000*(x - 10.01))", "x")
    assert refused("x + sech(1000*(x - 10))", "x")
    assert refused("x", "x + tanh(1000*(x - 10)) - tanh(1000*(x - 10.001))")


def test_a_right_answer_with_the_same_steps_is_accepted():
    assert accepted("1/(1 + exp(-1000*(x - 10)))", "sigmoid(1000*(x - 10))")
    assert accepted("x + 2/(exp(1000*(x - 10)) + exp(-1000*(x - 10)))", "x + sech(1000*(x - 10))")


# ---------------------------------------------------------------- scales: c + k*s^n where |k*s^n| = |c|

def test_a_scale_is_where_the_terms_of_a_sum_balance_and_only_far_from_1():
    assert features(sympy.log(x * sympy.exp(1000) + 1)).scales == {(x, sympy.exp(-1000))}
    assert features(sympy.sqrt(x**2 + sympy.Rational(1, 10**1000))).scales == {(x, sympy.Rational(1, 10**500))}
    assert not features(sympy.log(x + 1) + sympy.log(10**7 * x + 1)).scales  # 1 and 1e-7: other points see them
    assert not features(sympy.log(x + sympy.Rational(1, 10**20000))).scales  # past 1e-10000: not evaluated there


def test_a_difference_at_a_scale_no_other_point_meets_is_refused():
    assert refused("log(x*exp(1000) + 1) - 1000", "log(x)", domain=POSITIVE)  # log(x) but for x near e^-1000
    assert refused("log(x)", "log(x*exp(1000) + 1) - 1000", domain=POSITIVE)
    assert refused("sqrt(x^2 + 1e-1000)", "Abs(x)")  # |x| but for |x| near 1e-500
    assert refused("1e800*x*log(1 + 1e-800*x)", "x^2")  # x^2 but for x near 1e800


def test_a_right_answer_with_the_same_scale_is_accepted():
    assert accepted("log(x*exp(1000) + 1) - 1000", "log(x + exp(-1000))", domain=POSITIVE)
    assert accepted("sqrt(x^2 + 1e-1000)", "Abs(x)*sqrt(1 + 1e-1000/x^2)")


def test_an_exponential_of_a_constant_is_tame_wherever_its_argument_is_large():
    point = [{x: mpmath.mpf("1e-434")}]
    assert tame(point, [sympy.log(x * sympy.exp(1000) + 1)], 160) == point  # e^1000 is one number everywhere
    assert tame(point, [sympy.exp(1000 * x**-1)], 160) == []  # e^(1000/x) is not


# ---------------------------------------------------------------- a confirmation at CONFIRM × 40 digits

def test_a_difference_below_the_usual_digits_is_refused_at_higher_precision():
    assert refused("exp(x) + exp(-100)", "exp(x)")  # e^-100 of the value: 1e-44, below 33 digits
    assert refused("sigmoid(z) + exp(-100)", "sigmoid(z)")
    assert refused("exp(x + 100) + x", "exp(x + 100)")
    v = check_equivalent("exp(x) + exp(-100)", "exp(x)")
    assert f"{CONFIRM * 40} digits" in v.feedback and v.diagnosis == "not_equivalent"


def test_a_right_answer_that_rounds_at_higher_precision_too_is_accepted():
    # (e^x + 10^30)^2 − 10^60 − 2·10^30·e^x cancels 60 digits at every precision: at 160 digits it is 1e-100 of
    # its value off, past the slack, and shrinks at 320 and 640 (a rounding, not a difference)
    assert accepted("(exp(x) + 10^30)^2 - 10^60 - 2*10^30*exp(x)", "exp(2*x)")
    assert accepted("log(x*exp(1000)) - 1000", "log(x)", domain=POSITIVE)
    assert accepted("sin(x)^2 + cos(x)^2 - 1 + x", "x")
    assert accepted("exp(x - 1000)*exp(1000)", "exp(x)")


def test_an_equation_is_confirmed_too_its_factor_taken_again():
    assert refused("y = 3e-40*exp(x)", "y = 3e-40*exp(2*x)")  # docs/engine.md's limit of 40 digits
    assert refused("y = x + exp(-100)", "y = x")
    # a factor 1 + e^-100, 1 at 40 digits, is a factor at 160 too: the same equation
    assert accepted("exp(y)*(1 + exp(-100)) = exp(x)*(1 + exp(-100))", "exp(y) = exp(x)")
    assert accepted("2*y = 6e-40*exp(2*x)", "y = 3e-40*exp(2*x)")
