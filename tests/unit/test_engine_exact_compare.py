"""Issue 24, parts 4 and 5: no absolute tolerance, differences told from rounding at higher precision, rational
functions compared exactly, and the per-step decimal policy. Each wrong answer here was accepted before (an
absolute 1e-20, or 20 digits relative), each near miss beside it is a right answer that must stay accepted."""

import subprocess
import sys

import mpmath
import pytest

from autograder import check_against_samples, check_equivalent, reference_samples
from autograder.authoring.build import public_step
from autograder.authoring.spec import Spec, SpecError
from autograder.compare import agreement, sample
from autograder.judge import build_target
from autograder.parse import parse_expression

SMALL = {"domain": {"x": (1e-15, 1e-14)}}


def verdict(answer, reference, **kwargs):
    v = check_equivalent(answer, reference, **kwargs)
    assert v.status != "undecided", v.feedback
    return v


def test_a_tiny_wrong_answer_is_refused_with_a_diagnosis_and_a_tiny_right_one_kept():
    wrong = verdict("3e-40*exp(x)", "3e-40*exp(2*x)")  # the issue's: its difference is below an absolute 1e-20
    assert not wrong.equivalent and wrong.diagnosis == "extra_factor", wrong.feedback
    assert verdict("3e-40*exp(x)^2", "3e-40*exp(2*x)").accepted  # a small true value is just a value
    assert verdict("exp(x - 40*log(10))", "exp(x)/10^40").accepted


def test_a_difference_of_one_part_in_1e25_is_refused_and_said_to_be_close():
    wrong = verdict("exp(x) + 10^25", "2*exp(x) + 10^25")  # within 20 digits of each other everywhere
    assert wrong.diagnosis == "nearly_equal" and "extremely close" in wrong.feedback, wrong.feedback
    assert verdict("exp(x)*(1 + 10^25*exp(-x))", "exp(x) + 10^25").accepted


@pytest.mark.parametrize("answer, reference, options", [
    ("(1 - cos(x))/x^2", "2*sin(x/2)^2/x^2", {"domain": {"x": (1e-12, 1e-11)}}),  # refused before: 1e-18 apart
    ("log(1 + x) - x", "log((1 + x)*exp(-x))", SMALL),  # values about -5e-29, each 40-digit value 1e-11 off
    ("sqrt(x^2 + 1) - x", "1/(sqrt(x^2 + 1) + x)", {"domain": {"x": (1e15, 1e16)}}),
    ("sin(x)^2 + cos(x)^2 - 1", "0", {"symbols": ["x"]}),  # a true zero: 1e-41 at 40 digits, 1e-81 at 80
    ("a*(1 - a)", "exp(-z)/(1 + exp(-z))^2", {"define": {"a": "1/(1+exp(-z))"}, "domain": {"z": (40, 60)}}),
])
def test_right_answers_that_cancel_are_accepted(answer, reference, options):
    v = verdict(answer, reference, **options)
    assert v.accepted, v.feedback


@pytest.mark.parametrize("answer, reference, options", [
    ("log(1 + x) - x + x^3", "log((1 + x)*exp(-x))", SMALL),  # 1e-43 apart: a relative 1e-14 of the value
    ("sqrt(x^2 + 1) - x + 10^-30", "1/(sqrt(x^2 + 1) + x)", {"domain": {"x": (1e15, 1e16)}}),
    ("sin(x)^2 + cos(x)^2 - 1 + 10^-45", "0", {"symbols": ["x"]}),
])
def test_the_near_misses_of_those_cancellations_are_refused(answer, reference, options):
    v = verdict(answer, reference, **options)
    assert not v.equivalent and v.diagnosis, v.feedback


def test_exact_arithmetic_wins_where_the_values_agree_to_every_digit_they_have():
    target = build_target("x", symbols=("x",))
    answer = parse_expression("x + x^2/10^60", target.names)
    assert agreement(sample(answer, target.points), target.values).equivalent  # 40 digits see no difference
    v = verdict("x + x^2/10^60", "x")
    assert not v.equivalent and v.method.startswith("exact"), v.method
    assert "exact arithmetic" in v.feedback
    right = verdict("(x^2 - 1)/(x - 1)", "x + 1")
    assert right.accepted and right.method == "exact: rational arithmetic at 24 points"  # 16 drawn near 1, 8 far out


def test_exact_arithmetic_accepts_what_40_digits_cannot_resolve():
    v = verdict("((x + 10^60)^2 - 10^120 - 2*10^60*x)/x^2", "1", symbols=["x"])  # 10^120 cancels to 1
    assert v.accepted and v.method.startswith("exact"), v.method
    assert not verdict("((x + 10^60)^2 - 10^120 - 2*10^60*x + 1)/x^2", "1", symbols=["x"]).equivalent


def test_matrices_compare_each_element_without_an_absolute_tolerance():
    wrong = verdict("Matrix([[exp(x)/10^40, 1]])", "Matrix([[exp(2*x)/10^40, 1]])", symbols=["x"])
    assert not wrong.equivalent, wrong.feedback
    assert verdict("Matrix([[exp(x)^2/10^40, 1]])", "Matrix([[exp(2*x)/10^40, 1]])", symbols=["x"]).accepted


def test_the_local_check_refuses_the_tiny_wrong_answer_and_keeps_the_cancelling_right_one():
    samples = reference_samples("3e-40*exp(2*x)")
    assert not check_against_samples("3e-40*exp(x)", samples).equivalent
    assert check_against_samples("3e-40*exp(x)^2", samples).accepted
    samples = reference_samples("log((1 + x)*exp(-x))", **SMALL)  # shipped values computed at 160 digits
    assert check_against_samples("log(1 + x) - x", samples).accepted
    assert not check_against_samples("log(1 + x) - x + x^3", samples).equivalent


@pytest.mark.parametrize("answer, reference", [
    ("0.333333333333333", "1/3"), ("1.414", "sqrt(2)"), ("0.33", "1/3"), ("0.3334", "1/3"),
    ("3.14159265358979323846264338327950288", "pi"),  # 36 digits: closer than 40-digit values tell apart
])
def test_the_exact_policy_refuses_a_rounded_decimal_and_says_why(answer, reference):
    v = verdict(answer, reference, decimals="exact")
    assert v.diagnosis == "rounded_value", v.feedback
    assert v.feedback == (f"{answer} is a rounded value; this step wants the exact value, such as a fraction or "
                          "sqrt(2).")
    local = check_against_samples(answer, reference_samples(reference), decimals="exact")
    assert (local.equivalent, local.diagnosis) == (False, "rounded_value")
    if answer not in ("0.33", "0.3334"):  # 2 digits: too few for the rounded rule too; 0.3334 is wrongly rounded
        assert verdict(answer, reference, decimals="rounded").accepted
        assert check_against_samples(answer, reference_samples(reference)).accepted


@pytest.mark.parametrize("answer, reference", [("0.125", "1/8"), ("0.1", "1/10"), ("0.1250", "1/8"),
                                               ("2.5e-3", "1/400")])
def test_the_exact_policy_accepts_a_decimal_that_is_the_value(answer, reference):
    assert verdict(answer, reference, decimals="exact").accepted
    assert check_against_samples(answer, reference_samples(reference), decimals="exact").accepted


def test_the_exact_policy_reaches_derivations_and_a_wrong_policy_is_loud():
    from autograder import check_derivation

    dv = check_derivation(["1/3", "0.333333333333333"], decimals="exact")
    assert dv.first_invalid == 1 and "rounded value" in dv.steps[1].feedback
    assert check_derivation(["1/3", "0.333333333333333"], decimals="rounded").first_invalid is None
    with pytest.raises(ValueError, match="decimals"):
        check_equivalent("1/3", "1/3", decimals="approximately")


SPEC = '''
title = "T"
{top}
[symbols.a]
domain = [0, 1]
[[steps]]
id = "s"
variable = "s"
reference = "a/3"
points = 1
{step}
'''


def test_the_spec_says_each_steps_policy_and_the_course_default_is_exact():
    assert Spec.from_string(SPEC.format(top="", step="")).steps[0].decimals == "exact"
    assert Spec.from_string(SPEC.format(top='decimals = "rounded"', step="")).steps[0].decimals == "rounded"
    step = Spec.from_string(SPEC.format(top='decimals = "rounded"', step='decimals = "exact"')).steps[0]
    assert step.decimals == "exact" and public_step(step)["decimals"] == "exact"
    with pytest.raises(SpecError, match="`decimals` must be"):
        Spec.from_string(SPEC.format(top="", step='decimals = "sloppy"'))


def test_the_command_line_takes_the_policy():
    def equiv(*args):
        return subprocess.run([sys.executable, "-m", "autograder.cli", "equiv", *args], capture_output=True,
                              text=True, timeout=60)

    exact = equiv("0.333333333333333", "1/3", "--decimals", "exact")
    assert exact.returncode == 1 and "is a rounded value" in exact.stdout
    assert equiv("0.333333333333333", "1/3", "--decimals", "rounded").returncode == 0
    assert equiv("0.125", "1/8", "--decimals", "exact").returncode == 0


def test_a_point_is_not_refined_when_40_digits_already_agree():
    """The cost: a right answer whose values agree to the working precision is never evaluated again."""
    calls = []

    def refine():
        calls.append(1)
        yield from ()

    from autograder.compare import agrees_at

    with mpmath.workdps(40):
        third = mpmath.mpf(1) / 3
        assert agrees_at((third,), (1 - 2 * third,), refine) and not calls
        assert not agrees_at((third,), (third * (1 + mpmath.mpf("1e-30")),), refine) and calls


def test_equations_compare_their_multiples_without_an_absolute_tolerance():
    wrong = verdict("y = exp(x) + 10^25", "y = 2*exp(x) + 10^25", symbols=["x", "y"])
    assert not wrong.equivalent, wrong.feedback  # one part in 10^25 of lhs − rhs: 20 digits did not see it
    assert verdict("y - 10^25 = exp(x)", "y = exp(x) + 10^25", symbols=["x", "y"]).accepted
    assert verdict("2*y - 2*10^25 = 2*exp(x)", "y = exp(x) + 10^25", symbols=["x", "y"]).accepted


def test_a_factor_with_a_denominator_in_the_thousands_is_named_at_once():
    v = verdict("5999*(x-a)^5999", "6000*(x-a)^5999")  # nsimplify spent 0.7 s looking for it
    assert v.diagnosis == "constant_factor" and "5999/6000 times" in v.feedback, v.feedback


def test_a_symbolic_quiz_question_takes_the_policy_exact_unless_said():
    from autograder.authoring.quiz_spec import QuizSpec
    from autograder.quiz import QuizError

    quiz = '''
title = "Q"
[[questions]]
id = "q1"
kind = "symbolic"
prompt = "1/3 as a number"
reference = "1/3"
points = 1
{extra}
'''
    exact = QuizSpec.from_string(quiz.format(extra=""), name="q").questions[0]
    assert exact.grade("0.333333333333333", {}).points == 0 and exact.grade("1/3", {}).points == 1
    rounded = QuizSpec.from_string(quiz.format(extra='decimals = "rounded"'), name="q").questions[0]
    assert rounded.grade("0.333333333333333", {}).points == 1
    with pytest.raises(QuizError, match="decimals"):
        QuizSpec.from_string(quiz.format(extra='decimals = "loose"'), name="q")
