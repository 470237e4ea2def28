"""Diagnosis: a wrong answer is told what is wrong in words it can act on, never shown the reference."""

import re

import pytest
import sympy

from autograder import check_against_samples, check_equivalent, reference_samples

LOGREG = dict(domain={"a": (0, 1), "y": (0, 1)}, define={"a": "1/(1+exp(-z))"})
DL_DA, DA_DZ, DL_DZ = "(a-y)/(a*(1-a))", "a*(1-a)", "a-y"

CASES = [
    # (reference, answer, diagnosis, words the feedback must contain)
    (DL_DA, "(y-a)/(a*(1-a))", "sign_error", ["wrong sign"]),
    (DA_DZ, "-sigmoid(z)*(1-sigmoid(z))", "sign_error", ["wrong sign"]),
    (DL_DA, "y/a + (1-y)/(1-a)", "sign_error", ["sign of the term y/a"]),
    (DA_DZ, "2a(1-a)", "constant_factor", ["constant factor", "2 times"]),
    (DA_DZ, "a(1-a)/2", "constant_factor", ["1/2 times"]),
    (DL_DZ, "(a-y)/(a*(1-a))", "missing_factor", ["factor of a·(1 − a)", "chain rule"]),
    (DA_DZ, "a", "missing_factor", ["factor of 1 − a"]),
    (DL_DZ, "(a-y)*z", "extra_factor", ["extra factor of z"]),
    (DL_DA, "a*(1-a)/(a-y)", "reciprocal", ["reciprocal"]),
    (DL_DA, "-y/a + (1-y)/(1-a) + 1", "extra_term", ["term 1 should not be there"]),
    (DL_DA, "-y/a + (1-y)/(1-a) + y", "extra_term", ["term y should not be there"]),
    (DL_DA, "-y/a", "missing_term", ["missing a term", "a, y"]),
    (DL_DZ, "a", "missing_term", ["missing a term", "y"]),
    (DL_DZ, "0", "zero", ["0 everywhere"]),
    (DL_DA, "(sin(z)-y)/(sin(z)*(1-sin(z)))", "not_equivalent", ["at ", "should give"]),
]


@pytest.mark.parametrize("reference, answer, code, words", CASES)
def test_the_relation_to_the_reference_is_named(reference, answer, code, words):
    v = check_equivalent(answer, reference, **LOGREG)
    assert v.status == "not_equivalent"
    assert v.diagnosis == code, v.feedback
    for w in words:
        assert w in v.feedback


@pytest.mark.parametrize("reference, answer, code, words", CASES)
def test_local_samples_give_the_same_diagnosis(reference, answer, code, words):
    samples = reference_samples(reference, **LOGREG)
    v = check_against_samples(answer, samples)
    assert (v.status, v.diagnosis) == ("not_equivalent", code), v.feedback


def _forms(reference):
    expr = sympy.sympify(reference)
    forms = {reference, str(expr), sympy.latex(expr), str(expr).replace(" ", ""),
             str(sympy.factor(expr)), str(sympy.expand(expr)), str(sympy.apart(expr, sympy.Symbol("a")))}
    return {f for f in forms if len(f) > 3}


@pytest.mark.parametrize("reference, answer, code, words", CASES)
def test_feedback_never_contains_the_reference(reference, answer, code, words):
    v = check_equivalent(answer, reference, **LOGREG)
    flat = re.sub(r"\s", "", v.feedback)
    for form in _forms(reference):
        assert re.sub(r"\s", "", form) not in flat, (form, v.feedback)


def test_wrong_variables():
    v = check_equivalent("a - t", "a - y", domain={"a": (0, 1), "y": (0, 1)}, symbols=["t"])
    assert v.diagnosis == "wrong_variables"
    assert "depends on t, which" in v.feedback  # names the stray variable ("t" alone is in almost any sentence)


def test_shape_mismatch_names_both_shapes_and_the_transpose():
    ref = sympy.Matrix([[sympy.Symbol(f"d{i}") for i in range(3)]])
    v = check_equivalent(ref.T, ref)
    assert v.diagnosis == "shape_mismatch"
    assert "1×3 row" in v.feedback and "3×1 column" in v.feedback and "transpose" in v.feedback
    v = check_equivalent(sympy.Symbol("d0"), ref)
    assert v.diagnosis == "shape_mismatch" and "not a matrix" in v.feedback


def test_authored_mistakes_and_hints():
    loss = "-(y*log(a)+(1-y)*log(1-a))"
    v = check_equivalent(loss, DL_DA, mistakes=[(loss, "That is the loss L itself: differentiate it with respect to a.")],
                         **LOGREG)
    assert v.diagnosis == "known_mistake" and "loss L itself" in v.feedback
    v = check_equivalent("(a-y)/(a*(1-a))", DL_DZ, hints={"missing_factor": "A missing da/dz?"}, **LOGREG)
    assert v.feedback.endswith("A missing da/dz?")
