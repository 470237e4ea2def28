"""Compare an answer with a reference by their values at points drawn inside the domain.

Equivalence is decided by randomized identity testing at high precision: two
expressions that agree to ~20 significant digits at many random points of the
domain are identical there (a wrong answer would have to vanish on all of them),
and one point of disagreement proves them different.

>>> import sympy, mpmath
>>> a = sympy.Symbol("a")
>>> pts = [{a: mpmath.mpf(v)} for v in ("0.2", "0.5", "0.7", "0.9", "0.3", "0.6")]
>>> agreement(sample(a * (1 - a), pts), sample(a - a**2, pts)).equivalent
True
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
import operator

import mpmath
import sympy
from mpmath.libmp import from_int, mpf_abs, mpf_le, mpf_mul, mpf_sub

from .evaluate import DIGITS, at_digits, evaluate_at

TOLERANCE = mpmath.mpf("1e-20")  # relative; below 2**−66, which close() relies on
_TOLERANCE, _MPF = TOLERANCE._mpf_, mpmath.mpf
MIN_POINTS = 6  # usable points needed before "equivalent" may be said


@dataclass(frozen=True)
class Sampled:
    """Values of an expression at a list of points: per point a tuple of elements (None where undefined)."""

    values: tuple
    shape: tuple | None  # (rows, cols) for a matrix, None for a scalar

    def column(self, index: int) -> list:
        return [v[index] if v is not None else None for v in self.values]


EQUATION = ("equation",)  # the "shape" of an equation's values: lhs − rhs, equal up to a non-zero factor


def sample(expr, points) -> Sampled:
    """Evaluate ``expr`` (scalar, matrix, or an equation as lhs − rhs) at each point."""
    if isinstance(expr, sympy.Equality):
        return Sampled(sample(expr.lhs - expr.rhs, points).values, EQUATION)
    elements = list(expr) if isinstance(expr, sympy.MatrixBase) else [expr]
    shape = tuple(expr.shape) if isinstance(expr, sympy.MatrixBase) else None
    columns = [evaluate_at(e, points) for e in elements]
    return Sampled(tuple(None if any(v is None for v in row) else row for row in zip(*columns)), shape)


MIN_DECIMAL_DIGITS = 4  # a rounded decimal answer needs at least this many significant digits
DECIMAL_POLICIES = ("exact", "rounded")
_DECIMALS: ContextVar[str] = ContextVar("decimals", default="rounded")


@contextmanager
def decimal_policy(policy: str):
    """Within the block, whether a lone decimal answer may stand for the value it rounds (``"rounded"``) or must be
    the value itself (``"exact"``: 0.333333333333333 is not 1/3, 0.125 still is 1/8).

    >>> with decimal_policy("exact"):
    ...     close(mpmath.mpf(1) / 3, mpmath.mpf(1) / 3), rounded_allowed()
    (True, False)
    """
    if policy not in DECIMAL_POLICIES:
        raise ValueError(f"decimals must be one of {', '.join(DECIMAL_POLICIES)}, got {policy!r}")
    token = _DECIMALS.set(policy)
    try:
        yield
    finally:
        _DECIMALS.reset(token)


def rounded_allowed() -> bool:
    """Whether the decimal policy in force lets a lone decimal answer stand for a value it rounds."""
    return _DECIMALS.get() == "rounded"


def close(x, r) -> bool:
    """Equal to 20 significant digits, relative to the larger of the two (call inside ``mpmath.workdps(DIGITS)``):
    |x − r| <= TOLERANCE·max(|x|, |r|). No absolute tolerance: 3e-40 is not 0, and 1e-30 is not 2e-30.

    The diagnosis rules' test, and the local check's against shipped values; grading's own test of a point is
    ``agrees_at``, which is stricter and asks for more digits before it calls a difference zero.
    A lone decimal answer (``x`` carries the significant digits it was written with) is also equal to every
    value that rounds to it where the decimal policy is "rounded": 0.08333 stands for 1/12, to the 4 digits
    written; 0.083 does not (too few). A reference written as a lone decimal is read the same way under either
    policy (√17 for 4.123105625617661): it is the instructor's rounding.
    """
    if type(x) is _MPF and type(r) is int and r == 0:  # the rules' many tests against 0: only 0 itself
        _, man, exp, _ = x._mpf_
        return not man and not exp  # 0 is; ±inf and nan (their mantissa is 0 too) are not
    plain_x, plain_r = _plain(x), _plain(r)
    if plain_x is not None and plain_r is not None:  # two plain reals (no written digits): the same test on raw
        prec, rounding = mpmath.mp._prec_rounding  # mpfs, in half the time: a diagnosis is mostly comparisons
        difference = mpf_sub(plain_x, plain_r, prec, rounding)
        _, man, exp, bits = difference
        if not man:
            return not exp  # equal (nan or inf: not)
        top = max(_top(plain_x), _top(plain_r))
        if exp + bits - 1 >= top - 66:
            # |x − r| >= 2**(exp+bits−1) >= 2**−66·2**top > TOLERANCE·max(|x|, |r|): by the exponents alone
            return False
        difference = mpf_abs(difference)
        return mpf_le(difference, mpf_mul(_TOLERANCE, mpf_abs(plain_r), prec, rounding)) or mpf_le(
            difference, mpf_mul(_TOLERANCE, mpf_abs(plain_x), prec, rounding))
    difference = abs(x - r)
    if difference <= TOLERANCE * abs(r) or difference <= TOLERANCE * abs(x):
        return True
    return _rounded_match(x, r)


def _top(raw) -> int:
    """An exponent t with |v| < 2**t for a raw mpf (a very small one for 0, which bounds nothing)."""
    _, man, exp, bits = raw
    return exp + bits if man else -(1 << 62)


def _rounded_match(x, r) -> bool:
    """The decimal rule: a lone decimal answer rounds ``r`` (policy "rounded"), or a lone decimal reference
    rounds ``x``."""
    digits = getattr(x, "digits", None)
    if digits is not None and digits >= MIN_DECIMAL_DIGITS and rounded_allowed() and rounds_to(r, x, digits):
        return True
    digits = getattr(r, "digits", None)  # a reference written as a rounded decimal: to its precision
    return digits is not None and digits >= MIN_DECIMAL_DIGITS and rounds_to(x, r, digits)


def _plain(v):
    """The raw mpf of a plain real (an mpf without written digits, or a Python int), else None."""
    kind = type(v)
    return v._mpf_ if kind is _MPF else from_int(v) if kind is int else None


def rounds_to(r, x, digits: int) -> bool:
    """Whether ``r`` rounded to ``digits`` significant digits is ``x``: |x − r| at most half a unit of x's last digit.

    >>> rounds_to(mpmath.mpf(1) / 12, mpmath.mpf("0.08333"), 4), rounds_to(mpmath.mpf(1) / 12, mpmath.mpf("0.08334"), 4)
    (True, False)
    """
    if mpmath.im(r) != 0 or x == 0:
        return False
    unit = mpmath.mpf(10) ** (mpmath.floor(mpmath.log10(abs(x))) - digits + 1)
    return abs(x - mpmath.re(r)) <= unit / 2 * (1 + mpmath.mpf("1e-30"))


def close_all(xs, rs) -> bool:
    return all(close(x, r) for x, r in zip(xs, rs))


@dataclass(frozen=True)
class Agreement:
    """How two sampled expressions compare: equivalent True/False/None and at which point they differ."""

    equivalent: bool | None
    used: int
    mismatch: int | None = None


def agreement(answer: Sampled, reference: Sampled, refine=None, floor=None) -> Agreement:
    """Compare point by point; points where the reference is undefined (poles) are skipped.

    A point agrees when the values agree to nearly the working precision (``agrees_at``); where they do not,
    ``refine(i)`` (when given) yields the values at point ``i`` again at higher precisions, and a difference that
    shrinks with the precision is zero. ``floor`` is the least relative tolerance (shipped values, to their
    digits). An answer with no value where the reference has one differs there: ``relu(z)/z`` is not ReLU′ at
    z = 0, the point the step's convention is about (random points would never find it; kink points are drawn)."""
    if refine is None and floor is None:
        floor = TOLERANCE  # nothing to evaluate again: 20 digits, relative
    with at_digits():
        if reference.shape == EQUATION:
            return _same_equation(answer, reference, least=None, refine=refine, floor=floor)
        return _agreement(answer, reference, lambda i, a, r: agrees_at(a, r, refine and (lambda: refine(i)), floor))


def agreement_here(answer: Sampled, reference: Sampled, refine) -> Agreement:
    """``agreement`` at the working precision in force, whatever it is (``agreement`` works at DIGITS), every point
    counting: a confirmation at a higher precision (see target.Target.confirm)."""
    least = max(1, sum(r is not None for r in reference.values))
    if reference.shape == EQUATION:
        return _same_equation(answer, reference, least=least, refine=refine)
    return _agreement(answer, reference, lambda i, a, r: agrees_at(a, r, lambda: refine(i)), least)


def exact_agreement(answer: Sampled, reference: Sampled, least: int = None) -> Agreement:
    """The same comparison on exact values (rationals, see ``exact``): equal means equal.

    >>> one, other = Sampled(tuple((i,) for i in range(8)), None), Sampled(tuple((i,) for i in range(8)), None)
    >>> exact_agreement(one, other).equivalent
    True
    """
    if reference.shape == EQUATION:
        return _same_equation(answer, reference, operator.eq, least)
    return _agreement(answer, reference, lambda i, a, r: a is not None and len(a) == len(r) and a == r, least)


def _agreement(answer: Sampled, reference: Sampled, agrees, least: int = None) -> Agreement:
    used = 0
    for i, (a, r) in enumerate(zip(answer.values, reference.values)):
        if r is None:
            continue
        if not agrees(i, a, r):
            return Agreement(False, used, i)
        used += 1
    if used < (least or MIN_POINTS):
        return Agreement(None, used)
    return Agreement(True, used)


SLACK_BITS = 24  # bits of the working precision a right answer's rounding may cost (16 million units in the last)
SHRINK = 2  # a zero difference shrinks by at least 1/SHRINK of the bits of precision added (in powers of two)


def agrees_at(a, r, refine=None, floor=None) -> bool:
    """Whether the values ``a`` and ``r`` (tuples of elements) at one point agree.

    At the working precision they agree when every element is equal to all but SLACK_BITS of its bits, relative
    to the larger of the two (or by the decimal rule). Where one is not, ``refine()`` yields (bits, a, r) at higher
    precisions: there an element agrees when it does to that precision, or when its difference shrank with the
    precision (a true zero: rounding, cancelling terms), and a difference that stays as it was is a true one: a
    wrong term 3e-40·eˣ does not shrink, the rounding of (1 − cos x)/x² at x = 1e-8 does.

    >>> third = mpmath.mpf(1) / 3
    >>> agrees_at((third,), (1 - 2 * third,)), agrees_at((mpmath.mpf("3e-40"),), (mpmath.mpf("6e-40"),))
    (True, False)
    """
    if a is None or len(a) != len(r):
        return False
    prec = mpmath.mp.prec
    # a lone decimal where the policy is "exact" must be the value itself: equal at every precision, not close
    strict = not rounded_allowed() and any(getattr(x, "digits", None) is not None for x in a)
    if all(_tight(x, y, prec, floor) for x, y in zip(a, r)) and not (strict and refine is not None):
        return True
    if refine is None:
        return False
    before = [abs(x - y) for x, y in zip(a, r)]
    for bits, a, r in refine():
        if a is None or r is None or len(a) != len(r):
            return False
        with mpmath.workprec(bits):
            now = [abs(x - y) for x, y in zip(a, r)]
            if strict:
                if any(now):
                    return False
                continue
            if all(_tight(x, y, bits, floor) or not d or d <= b * mpmath.ldexp(1, -(bits - prec) // SHRINK)
                   for x, y, d, b in zip(a, r, now, before)):
                return True
            if any(d and abs(d - b) <= d * mpmath.ldexp(1, -30) for d, b in zip(now, before)):
                return False  # a difference the added precision reproduced: a true one
        before, prec = now, bits
    return strict  # a strict decimal equal at every precision is the value


def _tight(x, r, prec: int, floor=None) -> bool:
    """Equal to all but SLACK_BITS of ``prec`` bits relative to the larger of the two (at least ``floor``), or by
    the decimal rule."""
    plain_x, plain_r = _plain(x), _plain(r)
    if plain_x is not None and plain_r is not None and floor is None:  # most points: by the exponents, on raw mpfs
        _, man, exp, bits = mpf_sub(plain_x, plain_r, prec, "n")
        if not man:
            return not exp  # equal (nan or inf: not)
        return exp + bits <= max(_top(plain_x), _top(plain_r)) + SLACK_BITS - prec  # within 2**(SLACK−prec)·max
    if x == r:
        return True
    if getattr(x, "digits", None) is not None and not rounded_allowed():
        return False  # a lone decimal under the "exact" policy: the value itself, or nothing
    tolerance = mpmath.ldexp(1, SLACK_BITS - prec)
    if floor is not None and floor > tolerance:
        tolerance = floor
    difference = abs(x - r)
    return difference <= tolerance * max(abs(x), abs(r)) or _rounded_match(x, r)


def _same_equation(answer: Sampled, reference: Sampled, equal=None, least: int = None, refine=None,
                   floor=None) -> Agreement:
    """Two equations agree when lhs − rhs of one is a fixed non-zero multiple of the other's (sides swapped: −1).

    ``equal`` compares two values exactly (``==`` for rationals); without it, values are compared as
    ``agrees_at`` does, the factor taken again from its own point at each higher precision ``refine`` gives."""
    if answer.shape != EQUATION:
        return Agreement(False, 0, 0)
    factor, first, used = None, None, 0
    for i, (a, r) in enumerate(zip(answer.values, reference.values)):
        if r is None:
            continue
        if a is None:
            return Agreement(False, used, i)
        a, r = a[0], r[0]
        if factor is None and not _is_zero(r, equal):
            factor, first = a / r, i
            if _is_zero(factor, equal):
                return Agreement(False, used, i)
        if factor is None:
            same = _is_zero(a, equal)
        elif equal is not None:
            same = equal(a, factor * r)
        else:
            same = agrees_at((a,), (factor * r,), refine and _scaled(refine, i, first), floor)
        if not same:
            return Agreement(False, used, i)
        used += 1
    if used < (least or MIN_POINTS):
        return Agreement(None, used)
    return Agreement(True, used)  # with no factor, both hold everywhere (x = x and y = y)


def _is_zero(v, equal) -> bool:
    return equal(v, 0) if equal is not None else v == 0


def _scaled(refine, i: int, first: int):
    """``refine`` for point ``i`` of an equation: the answer's lhs − rhs there against the reference's times the
    factor, the factor taken at point ``first`` at the same precision."""
    def levels():
        for (bits, a, r), (_, a0, r0) in zip(refine(i), refine(first)):
            if a is None or r is None or a0 is None or r0 is None or r0[0] == 0:
                yield bits, None, None
                return
            with mpmath.workprec(bits):
                yield bits, a, (a0[0] / r0[0] * r[0],)
    return levels


def same_solutions(answer: sympy.Equality, reference: sympy.Equality, points) -> Agreement | None:
    """Two equations with the same solutions though not multiples of each other: one gives a symbol explicitly
    (``y = x/(2x − 1)``), the other determines that symbol once and only once (``1/x + 1/y = 2``: its fractions
    cleared, a polynomial with rational coefficients, linear in y, whose two coefficients share no factor): solved
    for it, it must give the same values at ``points``. None when neither equation has that form.

    >>> x, y = sympy.symbols("x y")
    >>> pts = [{x: mpmath.mpf(v)} for v in ("0.2", "0.7", "1.3", "2.1", "3.4", "-0.6")]
    >>> same_solutions(sympy.Eq(1/x + 1/y, 2), sympy.Eq(y, x/(2*x - 1)), pts).equivalent
    True
    >>> print(same_solutions(sympy.Eq(x*y, x**2), sympy.Eq(y, x), pts))   # x·y = x² also holds at x = 0
    None
    """
    for explicit, implicit in ((answer, reference), (reference, answer)):
        for symbol, value in _explicit(explicit):
            solution = _only_solution(implicit.lhs - implicit.rhs, symbol)
            if solution is not None:
                return agreement(sample(solution, points), sample(value, points))
    return None


def _explicit(equation: sympy.Equality):
    """(symbol, expression) for each side of ``equation`` that is a symbol the other side does not contain."""
    for side, other in ((equation.lhs, equation.rhs), (equation.rhs, equation.lhs)):
        if isinstance(side, sympy.Symbol) and not other.has(side):
            yield side, other


def _only_solution(relation, symbol):
    """The one solution of ``relation = 0`` for ``symbol``, where the relation is c1·symbol + c0 over a
    denominator, c1 and c0 polynomials with rational coefficients sharing no factor (a shared factor, a·x − a·y,
    would add the solutions a = 0; sin(x)·y − sin(2x) shares the zeros of sin(x) unseen); else None."""
    if not _small(relation):
        return None
    try:
        numerator, _ = sympy.fraction(sympy.cancel(sympy.together(relation)))
        symbols = sorted(numerator.free_symbols, key=str)
        if symbol not in symbols or sympy.Poly(numerator, *symbols).domain not in (sympy.ZZ, sympy.QQ):
            return None  # only polynomials with rational coefficients: a shared root shows as a shared factor
        poly = sympy.Poly(numerator, symbol)
        if poly.degree() != 1:
            return None
        c1, c0 = poly.all_coeffs()
        if sympy.gcd(c1, c0).free_symbols:
            return None
    except (sympy.PolynomialError, sympy.polys.polyerrors.PolificationFailed, sympy.GeneratorsNeeded,
            sympy.polys.polyerrors.CoercionFailed, NotImplementedError):
        return None
    return -c0 / c1


MAX_SOLVED_POWER = 8  # an equation with larger powers (x^6000 = …) is not expanded to be solved
MAX_SOLVED_NODES = 400


def _small(relation) -> bool:
    """Whether clearing the fractions of ``relation`` stays cheap: a modest tree with no large powers."""
    for count, node in enumerate(sympy.preorder_traversal(relation)):
        if count > MAX_SOLVED_NODES or node.is_Pow and node.exp.is_Number and abs(node.exp) > MAX_SOLVED_POWER:
            return False
    return True
