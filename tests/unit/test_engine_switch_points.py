"""Issue 24, parts 2 and 3: points everywhere the domain allows, and on both sides of every switch of the answer or
the reference (Abs, Max, Min, relu, Heaviside, sign, floor, ceiling, Piecewise, where)."""

import mpmath
import pytest
import sympy

from autograder import check_against_samples, check_equivalent, reference_samples
from autograder.domain import Domain
from autograder.judge import build_target
from autograder.switches import boundaries, corner, roots

x, y, z = sympy.symbols("x y z")


@pytest.mark.parametrize("answer, reference", [
    ("Max(x, 5)", "Max(x, 6) - 1"),  # the issue's: right at every point with |x| < 5
    ("relu(z + 10)", "relu(z + 11) - 1"),  # the issue's: right wherever z > -10
    ("where(x > 6, x, 5)", "Max(x, 6) - 1"),
    ("5 + relu(x - 7)", "Max(x, 6) - 1"),  # right except between 6 and 7
    ("Max(x, y, -10)", "Max(x, y)"),  # right unless x and y are both below -10: past the corner (-10, -10)
    ("Min(floor(x), 999999)", "floor(x)"),  # right below 10^6
    ("x + relu(x - 7) - 2*relu(x - 7.000001) + relu(x - 7.000002)", "x"),  # a bump 2e-6 wide: the answer's kinks
    ("sin(Min(x, 2*pi))", "sin(x)"),  # sin(2π) is 1e-40 at 40 digits, 1e-160 at 160: the same 0, to be trusted
])
def test_answers_wrong_only_far_out_or_beside_a_switch_are_refused_with_a_diagnosis(answer, reference):
    v = check_equivalent(answer, reference)
    assert v.status == "not_equivalent" and v.diagnosis and v.feedback


@pytest.mark.parametrize("answer, reference", [
    ("Max(x - 1, 5)", "Max(x, 6) - 1"),
    ("(x + 4 + Abs(x - 6))/2", "Max(x, 6) - 1"),
    ("where(x > 6, x - 1, 5)", "Max(x, 6) - 1"),
    ("Max(z + 10, -1)", "relu(z + 11) - 1"),
    ("(z + 11)*Heaviside(z + 11) - 1", "relu(z + 11) - 1"),
    ("relu(z - 1000) + 3", "Max(z - 997, 3)"),
    ("sign(x - 50)*(x - 50)", "Abs(x - 50)"),
    ("floor(x + 1000)", "floor(x) + 1000"),
    ("ceiling(x) - 1", "floor(x)"),  # differs only at the integers themselves: a convention, as step(0) is
    ("Max(x, y, -10)", "Max(x, y, -10, -11)"),
])
def test_right_answers_with_far_kinks_are_accepted(answer, reference):
    assert check_equivalent(answer, reference).accepted


@pytest.mark.parametrize("answer, reference, kwargs", [
    ("cosh(x)^2 - sinh(x)^2", "1", dict(symbols=["x"])),  # cancels every digit far out: those points are not trusted
    ("(x + 1)^3 - x^3", "3*x^2 + 3*x + 1", {}),
    ("1/(sigmoid(z)*(1 - sigmoid(z)))", "2 + exp(z) + exp(-z)", {}),  # σ(z) is 1 to 40 digits past z = 92
    ("-y/a + (1 - y)/(1 - a)", "(a - y)/(a*(1 - a))", dict(domain={"a": (0, 1), "y": (0, 1)})),
    ("exp(-z)/(1 + exp(-z))^2", "a*(1 - a)", dict(symbols=["z"], define={"a": "sigmoid(z)"})),
    ("log(1 + exp(x))", "x + log(1 + exp(-x))", {}),
])
def test_right_answers_that_cancel_or_saturate_far_out_are_accepted(answer, reference, kwargs):
    assert check_equivalent(answer, reference, **kwargs).accepted


def test_free_coordinates_spread_over_many_orders_of_magnitude_both_signs():
    far = []
    for salt in ("a", "b", "c", "d"):
        t = build_target("x", symbols=["x"], salt=salt)
        assert len(t.points) == 24 and t.far == 16  # 16 drawn near 1 as before, then 8 far
        assert all(0.22 < abs(p[x]) < 4.49 for p in t.points[:16])
        far += [p[x] for p in t.points[16:]]
    assert min(abs(v) for v in far) < 1e-4 and max(abs(v) for v in far) > 1e4
    assert any(v < -1e3 for v in far) and any(v > 1e3 for v in far)


def test_bounded_and_half_bounded_coordinates_reach_their_ends_and_far_past_their_bound():
    d = Domain.build(domain={"a": (0, 1), "b": (2, None)})
    a, b = sympy.symbols("a b")
    points = d.wide_points(64, "ends")
    assert all(0 < p[a] < 1 and p[b] > 2 for p in points)
    assert any(p[a] < 1e-9 for p in points) and any(1 - p[a] < 1e-9 for p in points)
    assert any(p[b] - 2 < 1e-5 for p in points) and any(p[b] > 1e5 for p in points)


def test_the_reference_is_sampled_on_both_sides_of_each_of_its_switches():
    t = build_target("Max(x, 6) - 1", symbols=["x"])
    beside = [p[x] for p in t.points[t.far:] if abs(p[x] - 6) < 1e-6]
    assert any(v < 6 for v in beside) and any(v > 6 for v in beside)
    assert not any(p[x] == 6 for p in t.points)  # at the switch itself only a convention differs


def test_far_points_where_an_exponential_saturates_are_left_out():
    t = build_target("sigmoid(z)*(1 - sigmoid(z))", symbols=["z"])
    assert t.far < len(t.points) and all(abs(p[z]) <= 40 for p in t.points[t.far:])


def test_switch_boundaries_of_every_piecewise_form():
    expr = sympy.sympify("Abs(x - 1) + sign(y) + Heaviside(z - 2) + Max(x, y, 3) + floor(x/2) + ceiling(y)")
    found = boundaries(expr + sympy.Piecewise((x, x > 4 * y), (0, True)))
    assert found.zeros == {x - 1, y, z - 2, x - y, x - 3, y - 3, x - 4 * y}
    assert found.integers == {x / 2, y}
    assert not boundaries(sympy.sympify("exp(x)*sin(y)"))


def test_roots_exactly_when_linear_numerically_otherwise():
    assert roots(3 * x - 7 * y, x, {y: mpmath.mpf(3)}) == [7]
    with mpmath.workdps(40):
        found = roots(x**2 - 2, x, {})
    assert sorted(round(float(r), 12) for r in found) == [-1.414213562373, 1.414213562373]
    assert corner(x + y - 1, x - y - 3, (x, y), {}) == (2, -1)
    assert corner(x + y, 2 * x + 2 * y - 1, (x, y), {}) is None  # parallel: no crossing


def test_an_answers_own_switches_are_tested_while_grading_not_from_shipped_samples():
    """A local check holds only the reference's values at fixed points: a bump where only the answer switches
    passes there and is refused when graded (the reference's expression is at hand)."""
    bump = "x + relu(x - 7) - 2*relu(x - 7.000001) + relu(x - 7.000002)"
    assert check_equivalent(bump, "x").status == "not_equivalent"
    assert check_against_samples(bump, reference_samples("x", symbols=["x"])).accepted
    # the reference's own switches are in the samples: the examples are refused locally too
    samples = reference_samples("Max(x, 6) - 1", symbols=["x"])
    assert check_against_samples("Max(x, 5)", samples).status == "not_equivalent"
    assert check_against_samples("Max(x - 1, 5)", samples).accepted


def test_shipped_samples_keep_points_near_an_end_exact_enough():
    samples = reference_samples("a/(1 - a)", domain={"a": (0, 1)})
    assert any(1 - float(p["a"]) < 1e-9 for p in samples["points"])
    assert check_against_samples("1/(1 - a) - 1", samples).accepted
    assert check_against_samples("1/(1 - a) - 1 + 1e-15*a", samples).status == "not_equivalent"


def test_numeric_root_searches_are_bounded_per_expression(monkeypatch):
    """An answer may hold 28 nonlinear Max pairs in 3 symbols: each search costs about a millisecond, so only
    switches.MAX_SEARCHES of them are made; linear boundaries are always solved."""
    import autograder.switches as switches

    searched = []
    real = switches.numeric_roots
    monkeypatch.setattr(switches, "numeric_roots", lambda *args: searched.append(args) or real(*args))
    parts = ["sin(x*y)", "cos(x + z)", "x^2 - y", "y^2 - z", "exp(x) - 3", "tanh(x*y*z)", "x*y - z^3", "x - 4"]
    expr = sympy.sympify(f"Max({', '.join(parts)})")
    points = Domain.build(symbols=["x", "y", "z"]).side_points(boundaries(expr), "bounded", limit=1000)
    assert len(searched) == switches.MAX_SEARCHES
    # the pair (x − 4, x·y − z³) crosses where x − 4 − x·y + z³ = 0: linear in x, solved beyond the searches too
    linear = sympy.sympify("x - 4 - x*y + z^3")
    assert any(abs(linear.subs(p)) < 1e-6 for p in points)


@pytest.mark.parametrize("answer, reference, status", [
    ("x^(x^x)", "x^(x^x)*(1 + x - x)", "equivalent"),  # the reference itself: its far points are left out
    ("x^(x^x)", "x", "not_equivalent"),  # an answer far out: not computed where no precision holds it
    ("gamma(gamma(x))", "x", "not_equivalent"),
    ("log(log(exp(exp(x))))", "x", "equivalent"),
])
def test_towers_far_out_are_not_computed(answer, reference, status):
    """x^(x^x) at x = 1e8 is a number no precision holds: mpmath would spend the check's time limit building it."""
    assert check_equivalent(answer, reference, symbols=["x"], timeout=10).status == status
