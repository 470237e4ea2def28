"""Feature points: where an expression changes fast without switching case, read from the expression itself, so
that points drawn beside them find a difference that lies only there (switches.py has the switches).

Two kinds:

- a peak: exp(u), or b^u for a constant b, with u a polynomial of degree 2 to MAX_DEGREE in a symbol, is largest or
  smallest where ∂u/∂symbol = 0: ``exp(-1000*(x - 10)^2)`` is a bump 0.03 wide at x = 10 that random points never
  meet. The derivative is a zero boundary, solved as a switch's is (``Domain.side_points``).
- a scale: a sum c + k·s^n (c and k constants, s one symbol, n a number) passes from one term to the other where
  |k·s^n| = |c|, at |s| = |c/k|^(1/n). Where that size is outside the far points' sizes (1e-8 to 1e8), no other
  point comes near it: ``log(x*exp(1000) + 1) - 1000`` is ``log(x)`` but for x near e^-1000.

>>> x = sympy.Symbol("x")
>>> [str(z) for z in features(sympy.sin(x) + sympy.exp(-1000*(x - 10)**2)).zeros]
['x - 10']
>>> [(str(s), str(size)) for s, size in features(sympy.log(x*sympy.exp(1000) + 1)).scales]
[('x', 'exp(-1000)')]
"""

from __future__ import annotations

import mpmath
import sympy

from .domain import WIDE_DECADES
from .evaluate import DIGITS, NotNumeric, evaluate
from .switches import NONE, Boundaries

MAX_DEGREE = 4  # a peak's exponent: a polynomial of at most this degree in the symbol (its derivative is solved)
_SMALL, _LARGE = mpmath.mpf(10) ** WIDE_DECADES[0], mpmath.mpf(10) ** WIDE_DECADES[1]


def features(expr) -> Boundaries:
    """The peaks (as ``zeros``: where they are 0) and the scales (``scales``: (symbol, size)) of ``expr``, a scalar,
    matrix or equation.

    >>> x = sympy.Symbol("x")
    >>> features(sympy.exp(-x**2/2) + sympy.log(1 + x)).scales, [str(z) for z in features(sympy.exp(-x**2/2)).zeros]
    (frozenset(), ['x'])
    """
    if isinstance(expr, sympy.MatrixBase):
        parts = list(expr)
    elif isinstance(expr, sympy.Equality):
        parts = [expr.lhs, expr.rhs]
    else:
        parts = [expr]
    peaks, scales = set(), set()
    for part in parts:
        if not isinstance(part, sympy.Basic) or not part.free_symbols:
            continue
        for node in sympy.preorder_traversal(part):
            if node.is_Add:
                scales.update(_scales(node))
            elif isinstance(node, sympy.exp) and node.args[0].free_symbols:
                peaks.update(_peaks(node.args[0]))
            elif node.is_Pow and node.exp.free_symbols and not node.base.free_symbols:
                peaks.update(_peaks(node.exp))
    if not peaks and not scales:
        return NONE
    return Boundaries(frozenset(peaks), frozenset(), frozenset(scales))


def _peaks(exponent):
    """The derivatives of ``exponent`` in each symbol it is a polynomial of degree 2 to MAX_DEGREE in, each up to
    sign (a linear exponent has no peak: e^(−z) rises all the way)."""
    for symbol in sorted(exponent.free_symbols, key=str):
        slope = exponent.diff(symbol)
        if not slope.has(symbol):
            continue
        try:
            degree = sympy.Poly(exponent, symbol).degree()
        except sympy.PolynomialError:
            continue
        if degree <= MAX_DEGREE:
            slope = sympy.expand(slope)
            content, primitive = slope.as_content_primitive()
            yield -primitive if primitive.could_extract_minus_sign() else primitive


def _scales(total):
    """(symbol, size) for each term k·s^n of the sum ``total`` whose size against the sum's constant part c,
    |c/k|^(1/n), is outside 1e-8 … 1e8."""
    constant = sympy.Add(*(t for t in total.args if not t.free_symbols))
    if constant == 0:
        return
    c = _magnitude(constant)
    if not c:
        return
    for term in total.args:
        if len(term.free_symbols) != 1:
            continue
        (symbol,) = term.free_symbols
        factor, power = term.as_independent(symbol, as_Add=False)
        n = sympy.S.One if power == symbol else power.exp if power.is_Pow and power.base == symbol else None
        if n is None or not n.is_Number or n == 0:
            continue
        k = _magnitude(factor)
        if not k:
            continue
        with mpmath.workdps(DIGITS):
            size = (c / k) ** (1 / mpmath.mpf(n))
        if not _SMALL <= size <= _LARGE:
            yield symbol, sympy.Abs(constant / factor) ** (1 / n)


def _magnitude(constant):
    """|constant| as an mpf, or None where it has no finite non-zero real value."""
    try:
        value = evaluate(constant, {})
    except NotNumeric:
        return None
    if mpmath.im(value) != 0 or not mpmath.isfinite(value) or value == 0:
        return None
    return abs(mpmath.re(value))
