"""The whole elementary vocabulary, decimals, equations and a step's own name, as answers and references."""

import pytest
import sympy

from autograder.domain import DomainError
from autograder.judge import judge
from autograder.parse import Names, ParseError, parse_expression

x, n, k = sympy.symbols("x n k")


@pytest.mark.parametrize("answer, reference", [
    ("sec(x)^2", "1 + tan(x)^2"), ("csc(x)", "1/sin(x)"), ("cot(x)", "cos(x)/sin(x)"),
    ("arcsin(x)", "asin(x)"), ("arccos(x)", "pi/2 - arcsin(x)"), ("sech(x)", "1/cosh(x)"),
    ("arsinh(x)", "log(x + sqrt(x^2 + 1))"), ("coth(x)", "cosh(x)/sinh(x)"), ("sgn(x)*abs(x)", "x"),
    ("log(x, 2)", "log(x)/log(2)"), ("root(x, 3)", "x^(1/3)"), ("binomial(n, 2)", "n*(n-1)/2"),
    ("factorial(n + 1)/factorial(n)", "n + 1"), ("(n+1)!", "(n+1)*n!"), ("gamma(n + 1)", "n!"),
    ("Min(x, 2) + Max(x, 2)", "x + 2"), ("floor(x) + ceiling(x)", "2*floor(x) + 1"),
    ("Heaviside(x)*x", "relu(x)"), ("Piecewise((x, x > 0), (0, True))", "relu(x)"),
    ("where(x > 0, x, 0)", "relu(x)"), ("Sum(k, (k, 1, n))", "n*(n+1)/2"),
    ("Product(k, (k, 1, 4))", "24"), ("|x|", "abs(x)"), ("\\sqrt3", "sqrt(3)"), ("\\dfrac{1}{3}", "1/3"),
])
def test_each_spelling_is_accepted(answer, reference):
    v = judge(answer, reference, symbols=("x", "n"))
    assert v.accepted, (answer, v.feedback)


@pytest.mark.parametrize("obj, reference", [
    (sympy.sec(x) ** 2, "1 + tan(x)^2"), (sympy.acos(x), "pi/2 - asin(x)"), (sympy.sign(x) * x, "abs(x)"),
    (sympy.factorial(n) * (n + 1), "factorial(n + 1)"), (sympy.Sum(k, (k, 1, n)), "n*(n+1)/2"),
    (sympy.Piecewise((1, x > 0), (0, True)), "Heaviside(x, 0)"), (0.5 * x, "x/2"),
])
def test_sympy_objects_use_the_same_vocabulary(obj, reference):
    assert judge(obj, reference, symbols=("x", "n")).accepted


def test_sympy_objects_are_allowed_as_references_too():
    assert judge("1 + tan(x)^2", sympy.sec(x) ** 2, symbols=("x",)).accepted


def test_forbid_covers_every_spelling_and_sympy_objects():
    names = Names.of(["x"], forbid=["arcsin"])
    for answer in ("asin(x)", "arcsin(x)", sympy.asin(x)):
        with pytest.raises(ParseError) as info:
            parse_expression(answer, names)
        assert info.value.code == "forbidden"


@pytest.mark.parametrize("answer, reference, accepted, diagnosis", [
    ("0.051", "51/1000", True, None),
    ("0.0833333333333333", "1/12", True, None),
    ("0.08333", "1/12", True, None),  # 4 significant digits, correctly rounded
    ("0.08334", "1/12", False, "wrong_rounding"),
    ("0.0833", "1/12", False, "too_few_digits"),  # 3 digits: below the floor
    ("0.1", "1/12", False, "too_few_digits"),
    ("0.99999999", "1", False, "wrong_rounding"),
    ("0.5", "0.7", False, "wrong_value"),
    ("0.333333333333333*x", "x/3", False, None),  # inside an expression a decimal is exact
])
def test_decimals(answer, reference, accepted, diagnosis):
    v = judge(answer, reference, symbols=("x",))
    assert v.accepted is accepted, v.feedback
    if diagnosis:
        assert v.diagnosis == diagnosis and "times the right result" not in v.feedback


def test_a_python_float_is_the_decimal_python_shows():
    assert judge(1 / 12, "1/12").accepted and judge(0.1, "1/10").accepted


@pytest.mark.parametrize("answer, reference, accepted", [
    ("y = 1 - x", "x + y = 1", True), ("2*y = 2 - 2*x", "x + y = 1", True), ("1 - x = y", "x + y = 1", True),
    ("y = 1 + x", "x + y = 1", False), ("1 - x", "x + y = 1", False), ("x = y", "x^2 = y^2", False),
    (sympy.Eq(sympy.Symbol("y"), 1 - x), "x + y = 1", True),
])
def test_equations_are_compared_as_equations(answer, reference, accepted):
    assert judge(answer, reference, symbols=("x", "y")).accepted is accepted


def test_no_domain_means_where_the_reference_is_real_and_nowhere_defined_is_the_instructors_error():
    assert judge("log(root(x, n), 10)", "log(x, 10)/n").accepted
    assert not judge("x", "sqrt(x^2)").accepted
    with pytest.raises(DomainError):
        judge("x", "log(0*x)")


def test_grading_reads_the_steps_own_name_as_the_expression():
    from autograder import reference_samples
    from autograder.scoring import score_answer

    step = {"id": "dL_dz", "variable": "dL_dz", "title": "dL/dz", "points": 2}
    engine = {"domain": {"a": (0, 1), "y": (0, 1)}}
    assert score_answer(step, "dL_dz = a - y", reference="a - y", engine=engine).points == 2
    samples = reference_samples("a - y", **engine)
    assert score_answer(step, "dL_dz = a - y", samples=samples).points == 2
    other = score_answer(step, "dL_da = a - y", reference="a - y", engine=engine)
    assert other.points == 0 and "write only the expression" in other.feedback
