"""The MPFR fast path of the evaluator gives mpmath's values and mpmath's refusals, at every kind of point.

evaluate() tries real MPFR arithmetic first and leaves a point to mpmath at the first exceptional condition; these
tests hold it to mpmath's own evaluation (``_exact``) on every function it takes, on both sides of branch cuts,
at poles and on overflow.
"""

import mpmath
import pytest
import sympy

from autograder.evaluate import DIGITS, NotNumeric, _compiled, _exact, _real_context, evaluate, evaluate_at
from autograder.functions import relu, sigmoid

x, y = sympy.symbols("x y")
FUNCTIONS = [sympy.exp, sympy.log, sympy.sin, sympy.cos, sympy.tan, sympy.tanh, sympy.sinh, sympy.cosh, sympy.Abs,
             sigmoid, relu, sympy.sec, sympy.csc, sympy.cot, sympy.asin, sympy.acos, sympy.atan, sympy.sech,
             sympy.csch, sympy.coth, sympy.asinh, sympy.acosh, sympy.atanh, sympy.gamma, sympy.factorial]
EXPRESSIONS = [f(x) for f in FUNCTIONS] + [f(x * y - 1) / (1 + y**2) for f in FUNCTIONS] + [
    6 * x / sympy.sqrt(3 * x**2 + 2), 1 / sympy.sqrt(x), x ** sympy.Rational(2, 3), x ** sympy.Rational(-5, 7),
    x**y, y**x, (x - y) ** 7, x**-3, sympy.pi * x + sympy.E, sympy.Rational(3, 7) * x - 2,
    sympy.Float("0.051") * x, sympy.log(x, 10), sympy.binomial(x, y), sympy.binomial(x + 3, 2) * y,
    sympy.binomial(7 * x, y + 2), sympy.factorial(3 * x), sympy.floor(x) + y,
    sympy.Max(x, y) - sympy.Min(x, y), sympy.Piecewise((x, x > 0), (y, True)), sympy.Heaviside(x) * y,
    sympy.I * x, sympy.exp(x**4), sympy.exp(-x**4), (x - 1) ** 6000, sympy.acot(x), sympy.sign(x) * y,
]
COORDINATES = ["-3.7", "-1", "-0.41", "0", "0.41", "1", "2.3", "17.5", "1e-30", "123456.789"]
POINTS = [{x: mpmath.mpf(a), y: mpmath.mpf(b)} for a in COORDINATES for b in ("-2.5", "0.3", "1.7")]


def exact_or_refusal(expr, point):
    with mpmath.workdps(DIGITS):
        try:
            return _exact(expr, point)
        except NotNumeric:
            return NotNumeric


def same(a, b) -> bool:
    if a is NotNumeric or b is NotNumeric:
        return a is b
    with mpmath.workdps(DIGITS):
        return type(a) is type(b) and abs(a - b) <= mpmath.mpf("1e-35") * max(1, abs(b))


@pytest.mark.parametrize("expr", EXPRESSIONS, ids=str)
def test_each_value_and_refusal_is_mpmaths(expr):
    for point in POINTS:
        want = exact_or_refusal(expr, point)
        try:
            got = evaluate(expr, point)
        except NotNumeric:
            got = NotNumeric
        assert same(got, want), f"{expr} at {point}: {got} vs mpmath's {want}"
        at = evaluate_at(expr, [point])[0]
        assert same(NotNumeric if at is None else at, want), f"evaluate_at({expr}) at {point}"


def test_the_fast_path_itself_takes_the_common_expressions():
    """Not a fallback in disguise: real arithmetic and the elementary functions run in MPFR."""
    point = {x: mpmath.mpf("0.41"), y: mpmath.mpf("1.7")}
    with mpmath.workdps(DIGITS):
        prec = mpmath.mp.prec
        with _real_context(prec):
            for expr in [6 * x / sympy.sqrt(3 * x**2 + 2), sigmoid(x) * (1 - sigmoid(x)), sympy.log(x) - y**2,
                         sympy.tanh(x * y) ** 2, sympy.atan(x) / sympy.cosh(y), sympy.binomial(x, y) * sympy.gamma(y)]:
                _compiled(expr, prec)(point)  # raises if the fast path could not take it


@pytest.mark.parametrize("expr, at, expected", [
    (sympy.log(x), -2, "complex"),           # mpmath's principal branch, not MPFR's NaN
    (sympy.asin(x), 2, "complex"),           # on the cut: mpmath's sign of the imaginary part
    (sympy.sqrt(x), -4, "complex"),
    (x ** sympy.Rational(1, 3), -8, "complex"),
    (1 / x, 0, NotNumeric),
    (sympy.log(x), 0, NotNumeric),
    (sympy.exp(x), 10**10, "real"),          # beyond MPFR's exponent range in MPFR; mpmath has no such limit
])
def test_exceptional_points_get_mpmaths_answer(expr, at, expected):
    point = {x: mpmath.mpf(at)}
    want = exact_or_refusal(expr, point)
    if expected is NotNumeric:
        assert want is NotNumeric
        with pytest.raises(NotNumeric):
            evaluate(expr, point)
        return
    got = evaluate(expr, point)
    assert same(got, want)
    assert isinstance(got, mpmath.mpc if expected == "complex" else mpmath.mpf)


def test_a_lone_decimal_keeps_its_written_digits():
    value = evaluate(sympy.Float("0.0833333333333333", 15), {})
    assert value.digits == 15
