"""close(): two values are equal when |x − r| <= 1e-20 · max(|x|, |r|) (relative only: no absolute tolerance),
whatever shortcut it takes to say so."""

import random

import mpmath
import pytest

from autograder.compare import TOLERANCE, close
from autograder.evaluate import DIGITS


def by_definition(x, r) -> bool:
    with mpmath.workprec(2000):  # exactly enough for every pair below: no rounding decides
        x, r = mpmath.mpf(x), mpmath.mpf(r)
        return abs(x - r) <= mpmath.mpf(TOLERANCE) * max(abs(x), abs(r))


def pairs(seed: int, count: int):
    """Values of every size, and pairs on both sides of the tolerance, relative and absolute."""
    rng = random.Random(seed)
    with mpmath.workdps(DIGITS):
        for _ in range(count):
            r = mpmath.mpf(rng.uniform(-1, 1)) * mpmath.mpf(10) ** rng.randint(-30, 30)
            kind = rng.random()
            if kind < 0.15:
                yield r, 0
                continue
            if kind < 0.25:
                yield 0, r
                continue
            scale = max(1, abs(r)) if rng.random() < 0.3 else abs(r)  # the old absolute edge, and the relative one
            step = TOLERANCE * scale * mpmath.mpf(rng.choice([0.25, 0.9, 0.999, 1.001, 1.1, 4, 1e10]))
            yield r + step * rng.choice([-1, 1]), r


@pytest.mark.parametrize("seed", range(4))
def test_close_is_its_definition_on_both_sides_of_the_tolerance(seed):
    disagreements = []
    with mpmath.workdps(DIGITS):
        for x, r in pairs(seed, 5000):
            if close(x, r) != by_definition(x, r):
                disagreements.append((x, r))
    assert not disagreements, disagreements[:5]


def test_whole_numbers_and_zero():
    with mpmath.workdps(DIGITS):
        assert close(0, 0) and close(mpmath.mpf(0), 0) and close(3, mpmath.mpf(3))
        assert not close(mpmath.mpf(1), 0) and not close(0, mpmath.mpf("1e-10"))
        # no absolute tolerance: only 0 is 0, and tiny values are compared by their own size
        assert not close(mpmath.mpf("1e-41"), 0) and not close(mpmath.mpf("3e-40"), mpmath.mpf("6e-40"))
        assert close(mpmath.mpf("3e-40"), mpmath.mpf("3e-40") * (1 + mpmath.mpf("1e-25")))


def test_against_zero_at_the_tolerance_and_beyond_every_number():
    with mpmath.workdps(DIGITS):
        edge = mpmath.mpf(TOLERANCE)
        for x in (edge, -edge, edge * (1 + mpmath.mpf("1e-30")), edge * (1 - mpmath.mpf("1e-30")), mpmath.mpf(2) ** -66,
                  mpmath.mpf(2) ** -67, mpmath.mpf(2) ** -4000, mpmath.mpf(0)):
            assert close(x, 0) == by_definition(x, 0) == (x == 0), x
        for x in (mpmath.inf, -mpmath.inf, mpmath.nan):  # their mantissas are 0, as 0's is
            assert not close(x, 0), x
