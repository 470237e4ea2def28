"""Follow-through credit: a step that builds on earlier ones (chain, same_as) earns its follow-through fraction when
it is right for the student's own earlier answers and one of them was wrong; the local check gives the same from
the student's own values and the shipped samples."""

from pathlib import Path

import pytest
import sympy

from autograder.authoring.build import checks_data, grading_step
from autograder.authoring.spec import Spec, SpecError
from autograder.api import own_answer_facts, repeats_answer
from autograder.scoring import FOLLOW_THROUGH, NO_FOLLOW_THROUGH, earlier_answers, score_answer
from autograder.notebook import local_result
from tests.helpers import graded_in_order

REPO = Path(__file__).resolve().parents[2]
PS1 = Spec.from_file(REPO / "source" / "ps1" / "ps1.spec.toml")
a, y = sympy.symbols("a y")

CAROL = {"dL_da": "(y - a)/(a*(1 - a))", "da_dz": "a*(1 - a)", "dL_dz_chain": "-a + y", "dL_dz": "y - a"}


def graded(answers: dict, spec: Spec = PS1) -> dict:
    """Each step of ``answers`` judged in order as grading does: against the reference, with follow-through."""
    return graded_in_order(answers, spec)


def _spec(extra: str) -> Spec:
    return Spec.from_string(f'''
title = "T"
[symbols.a]
domain = [0, 1]
[symbols.y]
domain = [0, 1]
[[steps]]
id = "dL_da"
variable = "dL_da"
reference = "(a - y)/(a*(1 - a))"
points = 2
[[steps]]
id = "da_dz"
variable = "da_dz"
reference = "a*(1 - a)"
points = 2
[[steps]]
id = "chain"
variable = "chain"
reference = "a - y"
chain = ["dL_da", "da_dz"]
points = 2
{extra}
''')


def test_the_spec_key_defaults_to_full_credit_on_chain_and_same_as_steps_only():
    assert {s.id: s.follow_through for s in PS1.steps} == {
        "dL_da": 0, "da_dz": 0, "dL_dz_chain": 1.0, "dL_dz": 1.0, "simplify_dL_da": 0}
    assert _spec("follow_through = 0.5").step("chain").follow_through == 0.5
    assert _spec("follow_through = false").step("chain").follow_through == 0


@pytest.mark.parametrize("value, message", [("1.5", "fraction"), ("0", "fraction"), ('"yes"', "fraction")])
def test_a_bad_fraction_is_refused_with_the_step_named(value, message):
    with pytest.raises(SpecError, match=f"step 'chain'.*{message}"):
        _spec(f"follow_through = {value}")


def test_follow_through_without_chain_or_same_as_is_refused():
    with pytest.raises(SpecError, match="step 'da_dz'.*needs `chain` or `same_as`"):
        Spec.from_string('title = "T"\n[symbols.a]\n[[steps]]\nid = "da_dz"\nvariable = "da_dz"\n'
                         'reference = "a"\npoints = 1\nfollow_through = true\n')


def test_carols_chain_and_simplified_steps_are_right_for_her_own_wrong_dL_da():
    r = graded(CAROL)
    assert [r[s].points for s in CAROL] == [0, 2, 2, 2]
    assert r["dL_dz_chain"].diagnosis == FOLLOW_THROUGH
    assert r["dL_dz_chain"].feedback.startswith("Right for your ∂L/∂a, which was wrong")
    assert r["dL_dz"].feedback.startswith("Right for your ∂L/∂z by the chain rule, which was wrong")


def test_an_answer_right_outright_is_simply_right_after_a_wrong_step():
    r = graded(dict(CAROL, dL_dz="a - y"))
    assert (r["dL_dz"].points, r["dL_dz"].diagnosis, r["dL_dz"].feedback) == (2, None, "Correct.")


def test_right_earlier_answers_give_no_extra_path_to_credit():
    r = graded(dict(CAROL, dL_da="(a - y)/(a*(1 - a))", dL_dz_chain="y - a"))
    assert r["dL_dz_chain"].points == 0 and r["dL_dz_chain"].diagnosis != FOLLOW_THROUGH


def test_an_answer_wrong_even_for_the_students_own_answers_gets_the_usual_diagnosis():
    r = graded(dict(CAROL, dL_dz_chain="2*(y - a)"))
    assert r["dL_dz_chain"].points == 0 and "constant factor" in r["dL_dz_chain"].feedback


def test_a_missing_or_unreadable_earlier_answer_gives_nothing_to_follow():
    info, reference = grading_step(PS1, PS1.step("dL_dz_chain"))
    for earlier in ({}, {"dL_da": (None, graded(CAROL)["dL_da"])},
                    {"dL_da": ("(y-a", graded({"dL_da": "(y-a"})["dL_da"]),
                     "da_dz": ("a*(1-a)", graded(CAROL)["da_dz"])}):
        assert earlier_answers(info, dict(earlier)) is None


def test_the_fraction_of_the_points_and_both_wrong_earlier_steps_are_named():
    spec = _spec("follow_through = 0.5")
    r = graded({"dL_da": "(a + y)/(a*(1 - a))", "da_dz": "a", "chain": "(a + y)/(1 - a)"}, spec)
    assert (r["chain"].points, r["chain"].diagnosis) == (1.0, FOLLOW_THROUGH)
    assert r["chain"].feedback == ("Right for your dL_da and da_dz, which were wrong: follow-through credit, "
                                   "1 of 2 points.")


def test_a_step_without_follow_through_gives_none():
    r = graded({"dL_da": "(y - a)/(a*(1 - a))", "da_dz": "a*(1 - a)", "chain": "y - a"},
               _spec("follow_through = false"))
    assert r["chain"].points == 0


def test_right_for_own_answers_but_not_simplified_says_so():
    r = graded(dict(CAROL, dL_dz="(y - a)*(a + 1) - a*(y - a)"))
    assert r["dL_dz"].points == 0 and r["dL_dz"].diagnosis == "not_simplified"
    assert "Right for your ∂L/∂z by the chain rule, which was wrong, but not in the form" in r["dL_dz"].feedback


@pytest.mark.parametrize("namespace", [
    {"dL_da": (y - a) / (a * (1 - a)), "da_dz": a * (1 - a), "dL_dz_chain": y - a},      # sympy values
    {"dL_da": "(y-a)/(a(1-a))", "da_dz": "a(1-a)", "dL_dz_chain": "y - a"},                 # strings
])
def test_the_local_check_follows_through_from_the_notebooks_own_values(namespace):
    folder = REPO / "release" / "ps1"
    grading = graded(CAROL)
    for step_id in ("dL_dz_chain", "dL_dz"):
        local = local_result(step_id, CAROL[step_id], folder=folder, namespace=namespace)
        assert (local.points, local.diagnosis, local.feedback) == \
            (grading[step_id].points, grading[step_id].diagnosis, grading[step_id].feedback)


def test_the_local_check_without_the_notebooks_values_judges_the_answer_alone():
    local = local_result("dL_dz_chain", "y - a", folder=REPO / "release" / "ps1", namespace=None)
    assert local.points == 0 and local.diagnosis != FOLLOW_THROUGH


def test_the_shipped_checks_name_the_earlier_steps_but_hold_no_reference():
    step = checks_data(PS1)["steps"]["dL_dz_chain"]
    assert step["builds_on"] == [{"id": "dL_da", "variable": "dL_da", "title": "∂L/∂a"},
                                 {"id": "da_dz", "variable": "da_dz", "title": "∂a/∂z"}]
    assert "reference" not in step and "a*(1 - a)" not in str(step)


# Follow-through with meaning (issue 24): it builds only on a real attempt, and a repeat earns nothing new.

def test_a_constant_is_no_attempt_where_the_result_is_not_constant_in_any_spelling():
    for constant in ("0", "12345", "0*a", "a - a", "a*(1-a) - a + a**2", "exp(0)"):
        r = graded({"dL_da": constant, "da_dz": constant, "dL_dz_chain": "0", "dL_dz": "0"})
        assert r["dL_da"].not_an_attempt == r["da_dz"].not_an_attempt == "constant", constant
    r = graded({"dL_da": "0", "da_dz": "0", "dL_dz_chain": "0", "dL_dz": "0"})
    assert [r[s].points for s in r] == [0, 0, 0, 0]
    assert r["dL_dz_chain"].diagnosis == r["dL_dz"].diagnosis == NO_FOLLOW_THROUGH
    assert r["dL_dz_chain"].feedback == ("Your answer is 0 everywhere; the derivative here is not zero. It is right "
                                         "for your ∂L/∂a and ∂a/∂z, but those were constant where the result is "
                                         "not: follow-through credit builds only on a real attempt.")


def test_a_matrix_is_constant_only_when_every_element_is():
    engine = dict(matrices={"A": (1, 2)})
    assert own_answer_facts("Matrix([[7, 7]])", "A", **engine)["constant"]
    assert not own_answer_facts("Matrix([[A_0_0, 7]])", "A", **engine)["constant"]   # near miss: one element varies


def test_a_constant_is_an_attempt_where_the_result_is_constant_too():
    spec = Spec.from_string('''
title = "T"
[symbols.a]
domain = [0, 1]
[[steps]]
id = "k"
variable = "k"
reference = "2"
points = 1
[[steps]]
id = "g"
variable = "g"
reference = "a*(1 - a)"
points = 1
[[steps]]
id = "chain"
variable = "chain"
reference = "2*a*(1 - a)"
chain = ["k", "g"]
points = 2
''')
    right = graded({"k": "2", "g": "a - a**2", "chain": "2*a*(1 - a)"}, spec)
    assert [right[s].points for s in right] == [1, 1, 2]
    slip = graded({"k": "3", "g": "a*(1 - a)", "chain": "3*a*(1 - a)"}, spec)   # a wrong number, carried on
    assert (slip["k"].not_an_attempt, slip["chain"].points, slip["chain"].diagnosis) == (None, 2, FOLLOW_THROUGH)


def test_a_variable_written_everywhere_earns_nothing():
    for v in ("a", "z", "y"):
        r = graded({"dL_da": v, "da_dz": v, "dL_dz_chain": v, "dL_dz": v})
        assert sum(x.points for x in r.values()) == 0, v
        assert r["dL_dz"].diagnosis == NO_FOLLOW_THROUGH, v
    # `a` for dL/dz by the chain rule is a named slip (a missing term), so dL/dz is refused as its repeat
    r = graded({"dL_da": "a", "da_dz": "a", "dL_dz_chain": "a", "dL_dz": "a"})
    assert r["dL_dz_chain"].not_an_attempt is None and "It repeats your ∂L/∂z by the chain rule" in r["dL_dz"].feedback


def test_an_answer_in_other_variables_and_no_named_slip_is_no_attempt():
    r = graded({"dL_da": "1/(a*(1-a))", "da_dz": "a*(1 - a)", "dL_dz_chain": "(y + 1)/(a*(1-a))"})
    assert r["dL_da"].not_an_attempt == "unrelated"
    # near miss: a wrong answer in the result's own variables is an attempt, with no named slip needed
    r = graded({"dL_da": "y/a", "da_dz": "a*(1 - a)", "dL_dz_chain": "y*(1 - a)", "dL_dz": "y - a*y"})
    assert (r["dL_da"].not_an_attempt, r["dL_dz_chain"].diagnosis, r["dL_dz"].diagnosis) == \
        (None, FOLLOW_THROUGH, FOLLOW_THROUGH)


def test_a_real_slip_in_an_earlier_step_still_earns_follow_through_on_the_chain():
    r = graded({"dL_da": "(a - y)/(a*(1 - a))", "da_dz": "a", "dL_dz_chain": "(a - y)/(1 - a)",
                "dL_dz": "(a - y)/(1 - a)"})
    assert r["da_dz"].diagnosis == "missing_factor"
    assert [r[s].points for s in r] == [2, 0, 2, 2]


def test_repeating_a_wrong_answer_that_was_not_itself_follow_through_earns_nothing():
    r = graded({"dL_da": "(a - y)/(a*(1 - a))", "da_dz": "a*(1 - a)", "dL_dz_chain": "y - a", "dL_dz": "y - a"})
    assert (r["dL_dz_chain"].diagnosis, r["dL_dz"].points, r["dL_dz"].diagnosis) == ("sign_error", 0,
                                                                                      NO_FOLLOW_THROUGH)
    assert r["dL_dz"].feedback.endswith("It repeats your ∂L/∂z by the chain rule, which was wrong: follow-through "
                                        "credit is for a step carried out on a wrong answer, not for the same "
                                        "answer again.")


def test_a_same_as_step_asking_for_another_form_is_not_refused_for_a_repeat():
    """ps2's carol: her db_sum misses 1/m (a named slip); her vectorized db, np.sum(dZ), is recorded as the same sum."""
    ps2 = Spec.from_file(REPO / "source" / "ps2" / "ps2.spec.toml")
    total = "dZ_0_0 + dZ_0_1 + dZ_0_2 + dZ_0_3"
    r = graded({"db_sum": total, "db": total}, ps2)
    assert (r["db_sum"].diagnosis, r["db"].points, r["db"].diagnosis) == ("known_mistake", 2, FOLLOW_THROUGH)


def test_carols_repeat_of_her_own_follow_through_chain_is_credited():
    """Her dL/dz is her chain answer as read (sympy cancels the product): a repeat, but of a credited answer."""
    assert repeats_answer(CAROL["dL_dz"], CAROL["dL_dz_chain"], "a - y", domain={"a": (0, 1), "y": (0, 1)})
    assert graded(CAROL)["dL_dz"].diagnosis == FOLLOW_THROUGH


def test_a_derivation_whose_lines_are_all_one_wrong_expression_earns_nothing():
    info, reference = grading_step(PS1, PS1.step("simplify_dL_da"))
    for line in ("0", "y/a - (1 - y)/(1 - a)", "a - y"):
        r = score_answer(info, [line] * 3, reference=reference, engine=PS1.engine_kwargs())
        assert r.points == 0, line
