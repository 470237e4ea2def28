"""Equivalence: every correct form counts, no wrong answer does, under the exercise's domain and definitions."""

import pytest
import sympy

from autograder import check_equivalent

LOGREG = dict(domain={"a": (0, 1), "y": (0, 1)}, define={"a": "1/(1+exp(-z))"})

STEPS = {
    "dL/da": ("(a-y)/(a*(1-a))",
              ["-y/a + (1-y)/(1-a)", "(a - y)/(a - a^2)", "-(y/a) - (1-y)/(a-1)", "(y-a)/(a*(a-1))",
               "1/(1-a) - y/(a*(1-a))", "(a*(1-y) - y*(1-a))/(a*(1-a))", r"\frac{a-y}{a(1-a)}",
               "(sigmoid(z)-y)/(sigmoid(z)*(1-sigmoid(z)))"],
              ["(y-a)/(a*(1-a))", "(a-y)/a", "a*(1-a)/(a-y)", "-(y*log(a)+(1-y)*log(1-a))",
               "y/a + (1-y)/(1-a)", "-y/a", "(sin(z)-y)/(sin(z)*(1-sin(z)))"]),
    "da/dz": ("a*(1-a)",
              ["a - a^2", "sigmoid(z)*(1-sigmoid(z))", "exp(-z)/(1+exp(-z))^2", "exp(z)/(1+exp(z))^2",
               "1/(2+exp(z)+exp(-z))", r"\sigma(z)(1-\sigma(z))", "1/(4*cosh(z/2)^2)", "σ(z)·(1−σ(z))"],
              ["sin(z)*(1-sin(z))", "-a*(1-a)", "a", "exp(-z)/(1+exp(-z))", "a*(1+a)",
               "sigmoid(z)", "a*(1-a) + 1/10^12"]),
    "dL/dz": ("a-y",
              ["sigmoid(z) - y", "1/(1+exp(-z)) - y", "-(y-a)", "(a-y)/(a*(1-a)) * a*(1-a)",
               "(-y/a + (1-y)/(1-a))*a*(1-a)", "a - a*y - y + a*y", "exp(z)/(1+exp(z)) - y",
               r"\sigma(z) - y"],
              ["y-a", "a+y", "(a-y)/(a*(1-a))", "(a-y)*a*(1-a)", "sin(z) - y",
               "-(y*log(a)+(1-y)*log(1-a))", "a - y + 1"]),
}


@pytest.mark.parametrize("step, answer", [(s, c) for s, (_, cs, _) in STEPS.items() for c in cs])
def test_every_correct_form_is_accepted(step, answer):
    v = check_equivalent(answer, STEPS[step][0], **LOGREG)
    assert (v.status, v.equivalent, v.accepted) == ("equivalent", True, True), v


@pytest.mark.parametrize("step, answer", [(s, w) for s, (_, _, ws) in STEPS.items() for w in ws])
def test_common_mistakes_are_rejected(step, answer):
    v = check_equivalent(answer, STEPS[step][0], **LOGREG)
    assert (v.status, v.equivalent, v.accepted) == ("not_equivalent", False, False), v
    assert v.feedback


def test_six_correct_forms_per_step_at_least():
    assert all(len(correct) >= 6 for _, correct, _ in STEPS.values())


@pytest.mark.parametrize("answer, reference, domain, equivalent", [
    ("log(p*q)", "log(p) + log(q)", {"p": (0, None), "q": (0, None)}, True),
    # no domain: judged where the reference is real; log p + log q is real only for p, q > 0, where they agree,
    # but log(pq) is real for p, q < 0 too, where log p + log q is not
    ("log(p*q)", "log(p) + log(q)", None, True),
    ("log(p) + log(q)", "log(p*q)", None, False),
    ("log(root(x, n), 10)", "log(x, 10)/n", None, True),
    ("sqrt((x-3)*(x-5))", "sqrt(x-3)*sqrt(x-5)", None, False),  # −√15 at x = 0: a real value through complex parts
    ("sqrt(x^2)", "x", None, False),
    ("sqrt(x^2)", "x", {"x": (0, None)}, True),
    ("abs(x)", "x", {"x": (None, 0)}, False),
    ("abs(x)", "-x", {"x": (None, 0)}, True),
    ("x + (x-1)*(x-2)*(x-3)", "x", {"x": (0, 4)}, False),  # equal at x = 1, 2, 3 only
    ("y^2", "y", {"y": {0, 1}}, True),  # on a finite set, not an interval
    ("y^2", "y", {"y": (0, 1)}, False),
    ("exp(log(t))", "t", {"t": (0, None)}, True),
])
def test_the_domain_decides(answer, reference, domain, equivalent):
    assert check_equivalent(answer, reference, domain=domain).equivalent is equivalent


def test_sympy_expressions_and_strings_mix():
    a, z = sympy.symbols("a z")
    sig = 1 / (1 + sympy.exp(-z))
    assert check_equivalent(sympy.diff(sig, z), a * (1 - a), define={"a": "1/(1+exp(-z))"}).accepted
    assert check_equivalent(a - a**2, "a(1-a)").accepted


def test_matrices_compare_element_wise():
    ref = "Matrix([[a1 - y1, a2 - y2, a3 - y3]])"
    assert check_equivalent("Matrix([[-(y1-a1), a2 - y2, a3 - y3]])", ref).accepted
    v = check_equivalent("Matrix([[a1 - y1, a2 - y2, a3 + y3]])", ref)
    assert v.status == "not_equivalent"


def test_require_simplified_accepts_simple_forms_only():
    for simple in ("a - y", "-y + a", "sigmoid(z) - y"):
        assert check_equivalent(simple, "a - y", require_simplified=True, **LOGREG).accepted, simple
    v = check_equivalent("(-y/a + (1-y)/(1-a))*a*(1-a)", "a - y", require_simplified=True, **LOGREG)
    assert (v.status, v.equivalent, v.accepted, v.diagnosis) == ("equivalent", True, False, "not_simplified")


def test_the_verdict_says_which_method_decided_and_round_trips():
    from autograder import Verdict

    v = check_equivalent("a - a^2", "a*(1-a)")
    assert v.method == "exact: rational arithmetic at 24 points"  # two polynomials: no rounding at all; 16 + 8 far
    # far points where e^a is past 1 + e^-40 (|a| > 40) are left out: 4 of the 8 here
    assert check_equivalent("exp(a) - a*exp(a)", "(1-a)*exp(a)").method == "numeric: 20 points, 40 digits"
    assert check_equivalent("a(1-a)", "a*(1-a)").method == "symbolic: identical canonical forms"
    assert check_equivalent("-(y-a)", "a - y").method.startswith("symbolic")
    assert Verdict.from_dict(v.to_dict()) == v
    assert v.answer_latex == sympy.latex(sympy.sympify("a - a**2"))


def test_a_bad_reference_is_the_instructors_error_and_loud():
    from autograder import DomainError

    with pytest.raises(DomainError, match="reference"):
        check_equivalent("a", "a +* y")
