"""Exact values of rational functions at the test points: no rounding, so no tolerance.

Where an answer and a reference are both rational functions of the exercise's primitive symbols with exact rational
coefficients (``(x**2 - 1)/(x - 1)``, ``x + x**2/10**60``), their values at the points are computed in rational
arithmetic (gmpy2's mpq): the points' coordinates are binary fractions, exact as they are, so two such functions
are equal at a point exactly when their values are, and a difference of 10^-60 is as plain as one of 1.

>>> x = sympy.Symbol("x")
>>> pts = [{x: mpmath.mpf(v)} for v in ("0.5", "3", "1")]
>>> [str(v[0]) if v else v for v in exact_sample((x**2 - 1)/(x - 1), pts).values]
['3/2', '4', None]
>>> print(exact_sample(sympy.sqrt(x), pts))
None
"""

from __future__ import annotations

import gmpy2
import mpmath
import sympy

from .compare import EQUATION, Sampled

MAX_POWER = 64  # a larger integer power (x**6000) is left to the numeric comparison: its exact values are huge
MAX_NODES = 400


def exact_sample(expr, points) -> Sampled | None:
    """The exact values of ``expr`` (scalar, matrix, or an equation as lhs − rhs) at ``points``, None (where it
    divides by zero) per point; None when ``expr`` is not a rational function with rational coefficients."""
    if isinstance(expr, sympy.Equality):
        found = exact_sample(expr.lhs - expr.rhs, points)
        return None if found is None else Sampled(found.values, EQUATION)
    elements = list(expr) if isinstance(expr, sympy.MatrixBase) else [expr]
    if not all(is_exact_rational(e) for e in elements):
        return None
    shape = tuple(expr.shape) if isinstance(expr, sympy.MatrixBase) else None
    rows = []
    for point in points:
        row = []
        for e in elements:
            try:
                row.append(_value(e, point))
            except (ZeroDivisionError, KeyError, ValueError):
                row = None  # a pole, or a symbol without a coordinate there: no exact value at that point
                break
        rows.append(tuple(row) if row is not None else None)
    return Sampled(tuple(rows), shape)


def is_exact_rational(expr) -> bool:
    """Whether ``expr`` is built of symbols and rational numbers by +, ×, and integer powers up to MAX_POWER.

    >>> x = sympy.Symbol("x")
    >>> is_exact_rational(x/3 + 1/x**2), is_exact_rational(sympy.Float("0.5") * x), is_exact_rational(sympy.exp(x))
    (True, False, False)
    """
    if not isinstance(expr, sympy.Expr):
        return False
    for count, node in enumerate(sympy.preorder_traversal(expr)):
        if count > MAX_NODES:
            return False
        if node.is_Symbol or node.is_Add or node.is_Mul or node.is_Rational:
            continue
        if node.is_Pow and node.exp.is_Integer and abs(node.exp) <= MAX_POWER:
            continue
        return False
    return True


def _coordinate(v):
    """An mpf coordinate as the exact binary fraction it is."""
    if not isinstance(v, mpmath.mpf):
        raise ValueError("not a real coordinate")
    sign, man, exp, bc = v._mpf_
    if not man:
        if bc:
            raise ValueError("infinite or NaN")
        return gmpy2.mpq(0)
    q = gmpy2.mpq(int(man) << exp) if exp >= 0 else gmpy2.mpq(int(man), 1 << -exp)
    return -q if sign else q


def _value(e, point):
    if e.is_Symbol:
        return _coordinate(point[e])
    if e.is_Rational:
        return gmpy2.mpq(int(e.p), int(e.q))
    if e.is_Add:
        total = gmpy2.mpq(0)
        for a in e.args:
            total += _value(a, point)
        return total
    if e.is_Mul:
        product = gmpy2.mpq(1)
        for a in e.args:
            product *= _value(a, point)
        return product
    base, exp = e.args  # an integer power, checked by is_exact_rational
    value, n = _value(base, point), int(exp)
    if n < 0:
        if not value:
            raise ZeroDivisionError("a pole")
        return (1 / value) ** -n
    return value ** n
