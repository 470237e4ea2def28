"""The points answers are judged at: drawn from a salt (the same salt, the same points), inside each symbol's domain,
distinct even where a double alone could not tell them apart."""

import math

import mpmath
import pytest
import sympy

from autograder.domain import Domain, DomainError

x, y, z, w = sympy.symbols("x y z w")


def test_the_same_salt_draws_the_same_points_and_another_salt_others():
    d = Domain.build(domain={"x": (0, 1)}, symbols=["y"])
    assert d.points(16, "grade|a") == d.points(16, "grade|a")
    assert not {p[x] for p in d.points(16, "grade|a")} & {p[x] for p in d.points(16, "grade|b")}


def test_points_lie_inside_their_intervals_and_are_distinct():
    d = Domain.build(domain={"x": (0, 1), "y": (1e15, 1e15 + 1), "z": (2, None), "w": (None, -3)})
    points = d.points(200, "grade|inside")
    for sym, inside in ((x, lambda v: 0 < v < 1), (y, lambda v: 1e15 < v < 1e15 + 1), (z, lambda v: v > 2.2),
                        (w, lambda v: v < -3.2)):
        values = [p[sym] for p in points]
        assert all(isinstance(v, mpmath.mpf) and inside(v) for v in values), sym
        assert len(set(values)) == len(values), sym  # 1e15 + a fraction: a double alone has 1/8 steps there


def test_a_free_symbol_takes_both_signs_log_uniformly_in_size():
    values = [p[x] for p in Domain.build(symbols=["x"]).points(400, "grade|free")]
    assert all(0.22 < abs(v) < 4.49 for v in values)
    negative = sum(v < 0 for v in values)
    assert 120 < negative < 280
    below_one = sum(abs(v) < 1 for v in values)  # log-uniform on [e^-1.5, e^1.5]: half below 1
    assert 120 < below_one < 280


def test_a_definition_is_evaluated_at_each_drawn_point():
    d = Domain.build(domain={"z": (-4, 4)}, define={"a": "1/(1+exp(-z))"})
    for p in d.points(8, "grade|defined"):
        with mpmath.workdps(40):  # the definition's value is as precise as every value judged
            assert abs(p[sympy.Symbol("a")] - 1 / (1 + mpmath.exp(-p[z]))) < mpmath.mpf(10) ** -38


def test_an_infinite_bound_is_no_bound():
    d = Domain.build(domain={"x": (0, math.inf), "y": (-math.inf, 2)})
    assert dict(d.ranges) == {"x": (0, None), "y": (None, 2)}


@pytest.mark.parametrize("bounds", [(math.inf, None), (0, 10**400), ("a", 1), (math.nan, 1)])
def test_a_bound_that_is_not_a_finite_number_is_the_instructors_mistake(bounds):
    with pytest.raises(DomainError, match="domain of x: .* needs finite numbers as bounds"):
        Domain.build(domain={"x": bounds})
