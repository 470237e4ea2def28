"""Samples for local checks: the reference's values at fixed points, enough to judge, never the expression."""

import json
import sys
from pathlib import Path

import sympy

from autograder import check_against_samples, check_equivalent, reference_samples

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from corpus import load_corpus  # noqa: E402

LOGREG = dict(domain={"a": (0, 1), "y": (0, 1)}, define={"a": "1/(1+exp(-z))"})


def test_samples_are_plain_json_without_the_expression():
    s = reference_samples("(a-y)/(a*(1-a))", **LOGREG)
    text = json.dumps(s)
    expr = sympy.sympify("(a-y)/(a*(1-a))")
    for form in ("(a-y)/(a*(1-a))", str(expr), sympy.latex(expr), "a - y", "a*(1 - a)"):
        assert form not in text
    assert json.loads(text) == s


def test_local_and_grading_points_differ():
    s = reference_samples("a*(1-a)", **LOGREG)
    from autograder.judge import build_target

    graded = build_target("a*(1-a)", salt="grade", **LOGREG)
    local = [p["z"] for p in s["points"]]
    assert not set(local) & {str(p[sympy.Symbol("z")])[:10] for p in graded.points}


def test_samples_agree_with_grading_on_the_whole_corpus():
    for case in load_corpus(derive=False):
        s = reference_samples(case.reference, domain=case.domain, define=case.define)
        local = check_against_samples(case.answer, s)
        graded = check_equivalent(case.answer, case.reference, domain=case.domain, define=case.define)
        assert local.status == graded.status, case
        if not any(isinstance(d, set) for d in case.domain.values()):  # few distinct points on a finite set
            assert local.diagnosis == graded.diagnosis, case


def test_unknown_format_is_refused_clearly():
    s = dict(reference_samples("a", domain={"a": (0, 1)}), format=99)
    v = check_against_samples("a", s)
    assert v.status == "undecided"
