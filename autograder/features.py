"""Feature points: where an expression changes fast without switching case, read from the expression itself, so
that points drawn beside them find a difference that lies only there (switches.py has the switches).

Three kinds:

- a peak: exp(u), or b^u for a constant b, or σ(u), tanh(u), cosh(u), … (an exponential inside), with u a polynomial
  of degree 2 to MAX_DEGREE in a symbol, is largest or smallest where ∂u/∂symbol = 0: ``exp(-1000*(x - 10)^2)`` is
  a bump 0.03 wide at x = 10 that random points never meet. The derivative is a zero boundary, solved as a switch's
  is (``Domain.side_points``).
- a step: σ(u), tanh(u), sech(u), … with u linear and steep (a slope of at least STEEP in each symbol) changes
  within 1/STEEP of where u = 0: ``sigmoid(1000*(x - 10)) - sigmoid(1000*(x - 10.01))`` is a window 0.01 wide.
- a scale: a sum c + k·s^n (c and k constants, s one symbol, n a number) passes from one term to the other where
  |k·s^n| = |c|, at |s| = |c/k|^(1/n). Where that size is outside the far points' sizes (1e-8 to 1e8) (and within
  10^±MAX_DECADES), no other point comes near it: ``log(x*exp(1000) + 1) - 1000`` is ``log(x)`` but for x near
  e^-1000.

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
from .functions import sigmoid
from .switches import NONE, Boundaries, scalar_parts

_EXPONENTIAL = frozenset((sympy.exp, sympy.sinh, sympy.cosh, sympy.tanh, sympy.sech, sympy.csch, sympy.coth, sigmoid))
STEEP = 100  # a σ, tanh, sech, … whose argument has a slope this large in its symbols is a step narrower than 1/100
MAX_DEGREE = 4  # a peak's exponent: a polynomial of at most this degree in the symbol (its derivative is solved)
_SMALL, _LARGE = mpmath.mpf(10) ** WIDE_DECADES[0], mpmath.mpf(10) ** WIDE_DECADES[1]
MAX_DECADES = 10000  # a scale past 10^±10000 is left out: sin(10^100000) alone costs 30 ms at 40 digits
_TINIEST, _HUGEST = mpmath.mpf(10) ** -MAX_DECADES, mpmath.mpf(10) ** MAX_DECADES


def features(expr) -> Boundaries:
    """The peaks and steps (as ``zeros``: where they are 0) and the scales (``scales``: (symbol, size)) of ``expr``, a
    scalar, matrix or equation.

    >>> x = sympy.Symbol("x")
    >>> features(sympy.exp(-x**2/2) + sympy.log(1 + x)).scales, [str(z) for z in features(sympy.exp(-x**2/2)).zeros]
    (frozenset(), ['x'])
    """
    peaks, scales = set(), set()
    for part in scalar_parts(expr):
        if not isinstance(part, sympy.Basic):
            continue
        for node in _compound(part):
            if node.is_Add:
                scales.update(_scales(node))
            elif node.func in _EXPONENTIAL:
                peaks.update(_peaks(node.args[0]))
                if node.func is not sympy.exp:  # σ, tanh, sech, …: a step or a bump where the argument is 0
                    peaks.update(_steps(node.args[0]))
            elif node.is_Pow and not node.exp.is_Number and not node.base.free_symbols:
                peaks.update(_peaks(node.exp))
    if not peaks and not scales:
        return NONE
    return Boundaries(frozenset(peaks), frozenset(), frozenset(scales))


def _compound(expr) -> list:
    """The nodes of ``expr`` that have arguments (atoms are no feature), a plain walk: sympy's preorder_traversal
    costs twice as much."""
    found, stack = [], [expr]
    while stack:
        node = stack.pop()
        args = node.args
        if args:
            found.append(node)
            stack.extend(args)
    return found


def _peaks(exponent):
    """The derivatives of ``exponent`` in each symbol it is a polynomial of degree 2 to MAX_DEGREE in, each up to
    sign (a linear exponent has no peak: e^(−z) rises all the way)."""
    if not _curved(exponent):
        return
    for symbol in sorted(exponent.free_symbols, key=str):
        if 2 <= (_degree(exponent, symbol) or 0) <= MAX_DEGREE:
            content, slope = sympy.expand(exponent.diff(symbol)).as_content_primitive()
            yield -slope if slope.could_extract_minus_sign() else slope


def _steps(argument):
    """``argument`` (up to its content and sign) when it is linear with a slope of at least STEEP in size in each of
    its symbols: σ(1000·(x − 10)) steps from 0 to 1 within 0.01 of x = 10, sech(1000·(x − 10)) is a bump there.

    >>> x = sympy.Symbol("x")
    >>> [str(s) for s in _steps(1000*(x - 10))], list(_steps(x - 10))
    (['x - 10'], [])
    """
    terms = argument.args if argument.is_Add else (argument,)
    steep = False
    for term in terms:
        if term.is_number:
            continue
        found = _monomial(term)
        if found is None or found[2] != 1:
            return
        k = _magnitude(found[0])
        if k is None or k < STEEP:
            return
        steep = True
    if steep:
        content, primitive = argument.as_content_primitive()
        yield -primitive if primitive.could_extract_minus_sign() else primitive


def _curved(expr) -> bool:
    """Whether ``expr`` has a power or a product of two non-constant factors: a polynomial without one is linear
    (the exponents of σ and softmax, −z and x − y, are ruled out here, at the cost of a walk)."""
    for node in _compound(expr):
        if node.is_Pow and not node.base.is_number or node.is_Mul and sum(not a.is_number for a in node.args) > 1:
            return True
    return False


def _degree(expr, symbol) -> int | None:
    """The degree of ``expr`` as a polynomial in ``symbol`` (0 for one without it), None when it is not one; read
    from the tree (sympy's Poly costs a hundred times more).

    >>> x, y = sympy.symbols("x y")
    >>> _degree(-1000*(x - y)**2 + 3*x, x), _degree(x*sympy.exp(x), x), _degree(sympy.sin(y), x)
    (2, None, 0)
    """
    if expr.is_Atom:
        return 1 if expr == symbol else 0
    if expr.is_Add or expr.is_Mul:
        degrees = [_degree(a, symbol) for a in expr.args]
        if None in degrees:
            return None
        return max(degrees) if expr.is_Add else sum(degrees)
    if expr.is_Pow and expr.exp.is_Integer and expr.exp > 0:
        inner = _degree(expr.base, symbol)
        return None if inner is None else inner * int(expr.exp)
    return 0 if symbol not in expr.free_symbols else None


def _scales(total):
    """(symbol, size) for each term k·s^n of the sum ``total`` whose size against the sum's constant part c,
    |c/k|^(1/n), is outside 1e-8 … 1e8."""
    constant = [t for t in total.args if t.is_Number or t.is_number]
    if not constant:
        return
    constant = sympy.Add(*constant)
    for term in total.args:
        found = _monomial(term)
        if found is None:
            continue
        factor, symbol, n = found
        if factor.is_Rational and constant.is_Rational:  # most sums (1 - a, x + 1): by the numbers, no evaluation
            ratio = abs(constant / factor)
            if ratio == 0 or 1e-8 < float(ratio) ** (1 / float(n)) < 1e8:
                continue
        c, k = _magnitude(constant), _magnitude(factor)
        if not c or not k:
            continue
        with mpmath.workdps(DIGITS):
            size = (c / k) ** (1 / mpmath.mpf(n))
        if not _SMALL <= size <= _LARGE and _TINIEST <= size <= _HUGEST:
            yield symbol, sympy.Abs(constant / factor) ** (1 / n)


def _monomial(term):
    """(k, s, n) when ``term`` is k·s^n, k a constant, s a symbol, n a non-zero number; else None."""
    if term.is_Mul:
        factor, powers = [], []
        for a in term.args:
            (factor if a.is_number else powers).append(a)
        if len(powers) != 1:
            return None
        found = _monomial(powers[0])
        return None if found is None else (sympy.Mul(*factor) * found[0], found[1], found[2])
    if term.is_Symbol:
        return sympy.S.One, term, sympy.S.One
    if term.is_Pow and term.base.is_Symbol and term.exp.is_Number and term.exp != 0:
        return sympy.S.One, term.base, term.exp
    return None


def _magnitude(constant):
    """|constant| as an mpf, or None where it has no finite non-zero real value."""
    try:
        value = evaluate(constant, {})
    except NotNumeric:
        return None
    if mpmath.im(value) != 0 or not mpmath.isfinite(value) or value == 0:
        return None
    return abs(mpmath.re(value))
