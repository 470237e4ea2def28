"""Switch points: where an expression changes case, so that points drawn on both sides of each find a case that
is wrong only there (``Max(x, 5)`` for ``Max(x, 6) - 1`` differs only below x = 6).

An expression switches where an argument of Abs, sign, Heaviside or relu crosses 0, where two arguments of a Max or
a Min cross, where a Piecewise (or ``where``) condition's sides cross, and where the argument of floor or ceiling
crosses an integer. ``boundaries`` lists them; ``roots`` solves one for a symbol, the other symbols held at a point.

>>> x, y = sympy.symbols("x y")
>>> sorted(map(str, boundaries(sympy.Max(x, 6) - sympy.Abs(x - y)).zeros))
['x - 6', 'x - y']
>>> [str(r) for r in roots(x - 6, x, {y: mpmath.mpf(1)})]
['6.0']
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy

from .evaluate import NotNumeric, evaluate, evaluate_at
from .functions import relu

MAX_ROOTS = 4  # roots found numerically for one boundary and one symbol
MAX_SEARCHES = 8  # numeric searches for one expression (each about a millisecond): a hostile answer's 28 Max pairs
# in 3 symbols must not spend its check's time limit here
BISECTIONS = 44  # halvings of a bracket (t to 3.2·t): 2.2·t·2**-44, well below the sides' distance 2**-30·t
# where a numeric search looks for a sign change: 0 and ±10^(k/2), k = -12 .. 12 (1e-6 .. 1e6)
GRID = sorted({0.0} | {s * 10 ** (k / 2) for k in range(-12, 13) for s in (-1, 1)})


@dataclass(frozen=True)
class Boundaries:
    """``zeros``: expressions whose sign change is a switch; ``integers``: expressions switching at each integer;
    ``scales``: (symbol, size) pairs, a size (a positive constant expression) whose neighbourhood in that symbol
    holds a feature no other point sees (see features.py)."""

    zeros: frozenset
    integers: frozenset
    scales: frozenset = frozenset()

    def __bool__(self) -> bool:
        return bool(self.zeros or self.integers or self.scales)

    def __sub__(self, other: "Boundaries") -> "Boundaries":
        return Boundaries(self.zeros - other.zeros, self.integers - other.integers, self.scales - other.scales)

    def __or__(self, other: "Boundaries") -> "Boundaries":
        return Boundaries(self.zeros | other.zeros, self.integers | other.integers, self.scales | other.scales)


NONE = Boundaries(frozenset(), frozenset())
_ZERO_AT_ARG = (sympy.Abs, sympy.sign, sympy.Heaviside, relu)
_SWITCHING = (*_ZERO_AT_ARG, sympy.Max, sympy.Min, sympy.Piecewise, sympy.floor, sympy.ceiling)


def scalar_parts(expr) -> list:
    """The scalar expressions ``expr`` is made of: a matrix's elements, an equation's two sides, or itself.

    >>> scalar_parts(sympy.Eq(sympy.Symbol("y"), 2))
    [y, 2]
    """
    if isinstance(expr, sympy.MatrixBase):
        return list(expr)
    if isinstance(expr, sympy.Equality):
        return [expr.lhs, expr.rhs]
    return [expr]


def boundaries(expr) -> Boundaries:
    """The switch boundaries of ``expr`` (a scalar, matrix or equation), each up to sign (x − 6 for 6 − x).

    >>> z = sympy.Symbol("z")
    >>> boundaries(relu(z + 11) - 1).zeros, boundaries(sympy.floor(z / 2)).integers
    (frozenset({z + 11}), frozenset({z/2}))
    """
    parts = scalar_parts(expr)
    if not any(isinstance(p, sympy.Basic) and p.has(*_SWITCHING) for p in parts):
        return NONE  # most expressions: one walk in C-speed has(), no traversal here
    zeros, integers = set(), set()
    for part in parts:
        for node in sympy.preorder_traversal(part):
            if isinstance(node, _ZERO_AT_ARG):
                zeros.add(node.args[0])
            elif isinstance(node, (sympy.Max, sympy.Min)):
                args = node.args
                zeros.update(a - b for i, a in enumerate(args) for b in args[i + 1:])
            elif isinstance(node, sympy.Piecewise):
                for _, cond in node.args:
                    if isinstance(cond, sympy.Basic):
                        zeros.update(r.lhs - r.rhs for r in cond.atoms(sympy.core.relational.Relational))
            elif isinstance(node, (sympy.floor, sympy.ceiling)):
                integers.add(node.args[0])
    zeros = {_unsigned(b) for b in zeros if b.free_symbols}
    return Boundaries(frozenset(zeros), frozenset(b for b in integers if b.free_symbols))


def _unsigned(b):
    """``b`` or ``−b``, whichever sympy prints without a leading minus: 6 − x and x − 6 are one boundary."""
    return -b if b.could_extract_minus_sign() else b


def roots(boundary, symbol, point: dict) -> list:
    """Values of ``symbol`` where ``boundary`` is 0, the other symbols at ``point`` (mpmath numbers): exactly when
    the boundary is linear in the symbol, else sign changes found on a grid from −1e6 to 1e6 and bisected."""
    found = linear_roots(boundary, symbol, point)
    return found if found is not None else numeric_roots(boundary, symbol, point)


def linear_roots(boundary, symbol, point: dict) -> list | None:
    """``roots`` when ``boundary`` is linear in ``symbol`` (one at most), else None."""
    linear = _linear(boundary, symbol)
    if linear is None:
        return None
    slope, offset = linear
    try:
        s, c = evaluate(slope, point), evaluate(offset, point)
    except NotNumeric:
        return []
    if mpmath.im(s) != 0 or mpmath.im(c) != 0 or s == 0:
        return []
    return [-mpmath.re(c) / mpmath.re(s)]


def corner(first, second, symbols, point: dict):
    """(u, v): the values of the two ``symbols`` where both boundaries vanish, the other symbols at ``point``, when
    both are linear in both symbols and cross there (Max(x, y, −10) differs from Max(x, y) only where x and y are
    both below −10: past the corner (−10, −10)); else None.

    >>> x, y = sympy.symbols("x y")
    >>> [str(v) for v in corner(x + 10, y + 10, (x, y), {})]
    ['-10.0', '-10.0']
    """
    rows = []
    for boundary in (first, second):
        try:
            slopes = [boundary.diff(s) for s in symbols]
        except (TypeError, ValueError):
            return None
        offset = sympy.expand(boundary - sum(c * s for c, s in zip(slopes, symbols)))
        if any(part.has(*symbols) for part in (*slopes, offset)):
            return None
        try:
            row = [evaluate(part, point) for part in (*slopes, offset)]
        except NotNumeric:
            return None
        if any(mpmath.im(v) != 0 for v in row):
            return None
        rows.append([mpmath.re(v) for v in row])
    (a, b, c), (d, e, f) = rows
    det = a * e - b * d
    if det == 0:
        return None
    return (b * f - c * e) / det, (c * d - a * f) / det


def is_linear(boundary, symbol) -> bool:
    """Whether ``boundary`` is slope·symbol + offset, neither depending on the symbol.

    >>> x, y = sympy.symbols("x y")
    >>> is_linear(2*x*y - 3, x), is_linear(x**2 - y, x)
    (True, False)
    """
    return _linear(boundary, symbol) is not None


def _linear(boundary, symbol):
    """(slope, offset) when ``boundary`` = slope·symbol + offset with neither depending on the symbol, else None."""
    try:
        slope = boundary.diff(symbol)
    except (TypeError, ValueError):
        return None
    if slope.has(symbol):
        return None
    offset = sympy.expand(boundary - slope * symbol)
    return None if offset.has(symbol) else (slope, offset)


def numeric_roots(boundary, symbol, point: dict) -> list:
    """``roots`` by sign changes on GRID, each bisected (at most MAX_ROOTS)."""
    def sign_of(v):
        return None if v is None or mpmath.im(v) != 0 else mpmath.sign(mpmath.re(v))

    def sign_at(t):
        return sign_of(evaluate_at(boundary, [{**point, symbol: t}])[0])

    found = []
    grid = [mpmath.mpf(t) for t in GRID]
    signs = [sign_of(v) for v in evaluate_at(boundary, [{**point, symbol: t} for t in grid])]
    for (lo, s_lo), (hi, s_hi) in zip(zip(grid, signs), zip(grid[1:], signs[1:])):
        if s_lo == 0:
            found.append(lo)
        elif s_lo is not None and s_hi is not None and s_lo * s_hi < 0:
            for _ in range(BISECTIONS):
                mid = (lo + hi) / 2
                s_mid = sign_at(mid)
                if s_mid is None:
                    break
                if s_mid == 0:
                    lo = hi = mid
                    break
                lo, hi = (mid, hi) if s_mid == s_lo else (lo, mid)
            else:
                found.append((lo + hi) / 2)
                continue
            if lo == hi:
                found.append(lo)
        if len(found) >= MAX_ROOTS:
            break
    return found
