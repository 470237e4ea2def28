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

from dataclasses import dataclass

import mpmath
import sympy

from .evaluate import DIGITS, NotNumeric, evaluate

TOLERANCE = mpmath.mpf("1e-20")
MIN_POINTS = 6  # usable points needed before "equivalent" may be said


@dataclass(frozen=True)
class Sampled:
    """Values of an expression at a list of points: per point a tuple of elements (None where undefined)."""

    values: tuple
    shape: tuple | None  # (rows, cols) for a matrix, None for a scalar

    def column(self, index: int) -> list:
        return [v[index] if v is not None else None for v in self.values]


def sample(expr, points) -> Sampled:
    """Evaluate ``expr`` (scalar or matrix) at each point."""
    elements = list(expr) if isinstance(expr, sympy.MatrixBase) else [expr]
    shape = tuple(expr.shape) if isinstance(expr, sympy.MatrixBase) else None
    values = []
    for point in points:
        try:
            values.append(tuple(evaluate(e, point) for e in elements))
        except NotNumeric:
            values.append(None)
    return Sampled(tuple(values), shape)


def close(x, r) -> bool:
    """Equal to working precision, relative to the size of ``r`` (call inside ``mpmath.workdps(DIGITS)``)."""
    return abs(x - r) <= TOLERANCE * max(1, abs(r))


def close_all(xs, rs) -> bool:
    return all(close(x, r) for x, r in zip(xs, rs))


@dataclass(frozen=True)
class Agreement:
    """How two sampled expressions compare: equivalent True/False/None and at which point they differ."""

    equivalent: bool | None
    used: int
    mismatch: int | None = None


def agreement(answer: Sampled, reference: Sampled) -> Agreement:
    """Compare point by point; points where the reference is undefined (poles) are skipped.

    An answer with no value where the reference has one differs there: ``relu(z)/z`` is not ReLU′ at z = 0,
    the point the step's convention is about (random points would never find it; kink points are drawn)."""
    with mpmath.workdps(DIGITS):
        return _agreement(answer, reference)


def _agreement(answer: Sampled, reference: Sampled) -> Agreement:
    used = 0
    for i, (a, r) in enumerate(zip(answer.values, reference.values)):
        if r is None:
            continue
        if a is None or len(a) != len(r) or not close_all(a, r):
            return Agreement(False, used, i)
        used += 1
    if used < MIN_POINTS:
        return Agreement(None, used)
    return Agreement(True, used)
