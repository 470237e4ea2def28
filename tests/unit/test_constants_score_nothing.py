"""Issue 24: a notebook of constants (0, 1, 12345 in every answer, derivation lines and broadcast matrices included)
scores 0 on every assignment, in grading and in the student's local check, and on the quiz a constant earns a
question's points only where it is that student's right number. Follow-through never builds on a constant."""

import json
import tomllib
from pathlib import Path

import mpmath
import pytest

from autograder.authoring.quiz_spec import QuizSpec
from autograder.authoring.spec import Spec
from autograder.scoring import FOLLOW_THROUGH
from autograder.notebook import local_result
from tests.helpers import graded_in_order

REPO = Path(__file__).resolve().parents[2]
STEP_SPECS = [p.parent.name for p in sorted((REPO / "source").glob("*/*.spec.toml"))   # every assignment of steps
              if "steps" in tomllib.loads(p.read_text(encoding="utf-8"))]
CONSTANTS = ["0", "1", "12345"]


def constant_notebook(assignment: str, c: str, *, broadcast: bool) -> dict:
    """Step id → the constant ``c`` as the answer: each derivation line ``c``; with ``broadcast`` a matrix step's
    answer is ``c`` in every element of the step's shape (as ``c + 0*A`` builds it in a notebook)."""
    checks = json.loads((REPO / "release" / assignment / f"{assignment}.checks.json").read_text())["steps"]
    answers = {}
    for step_id, step in checks.items():
        shape = step.get("samples", {}).get("shape")
        if step.get("kind") == "derivation":
            answers[step_id] = [c, c, c]
        elif broadcast and shape:
            answers[step_id] = "Matrix(%s)" % [[int(c)] * shape[1] for _ in range(shape[0])]
        else:
            answers[step_id] = c
    return answers


def graded(spec: Spec, answers: dict) -> dict:
    """Each step of ``answers`` judged in the spec's order as grading does (judge.py), with follow-through."""
    return graded_in_order({s.id: answers[s.id] for s in spec.steps if s.id in answers}, spec)


def _has_matrix_steps(assignment: str) -> bool:
    checks = json.loads((REPO / "release" / assignment / f"{assignment}.checks.json").read_text())["steps"]
    return any(step.get("samples", {}).get("shape") for step in checks.values())


# the broadcast form only where a step's result is a matrix (elsewhere it is the scalar notebook again)
GRADING_CASES = [(a, c, b) for a in STEP_SPECS for c in CONSTANTS for b in (False, True)
                 if not b or _has_matrix_steps(a)]


@pytest.mark.parametrize("assignment, c, broadcast", GRADING_CASES)
def test_a_notebook_of_constants_scores_nothing_in_grading(assignment, c, broadcast):
    spec = Spec.from_file(REPO / "source" / assignment / f"{assignment}.spec.toml")
    results = graded(spec, constant_notebook(assignment, c, broadcast=broadcast))
    assert {k: r.points for k, r in results.items() if r.points} == {}
    assert not [k for k, r in results.items() if r.diagnosis == FOLLOW_THROUGH]


@pytest.mark.parametrize("assignment", STEP_SPECS)
def test_a_notebook_of_one_variable_everywhere_scores_nothing(assignment):
    """Not a constant, and no attempt either: each declared scalar symbol (`a`, `z`, …) in every answer of the steps
    follow-through concerns (those with it and those they build on; no reference elsewhere is a bare symbol)."""
    spec = Spec.from_file(REPO / "source" / assignment / f"{assignment}.spec.toml")
    steps = {i for s in spec.steps if s.follow_through for i in (s.id, *s.builds_on)}
    assert steps or assignment == "ps3"
    for name in spec.engine_kwargs()["symbols"]:
        results = graded(spec, {i: name for i in steps})
        assert {k: r.points for k, r in results.items() if r.points} == {}, name
        assert not [k for k, r in results.items() if r.diagnosis == FOLLOW_THROUGH], name


@pytest.mark.parametrize("c", CONSTANTS)
@pytest.mark.parametrize("assignment", STEP_SPECS)
def test_a_notebook_of_constants_scores_nothing_in_the_local_check(assignment, c):
    """The local check judges follow-through from the notebook's own values (its namespace) and the samples."""
    spec = Spec.from_file(REPO / "source" / assignment / f"{assignment}.spec.toml")
    answers = constant_notebook(assignment, c, broadcast=True)
    namespace = {step.variable: answers[step.id] for step in spec.steps}
    local = {step.id: local_result(step.id, answers[step.id], folder=REPO / "release" / assignment,
                                   namespace=namespace) for step in spec.steps}
    assert {k: r.points for k, r in local.items() if r.points} == {}
    builds_on = [s.id for s in spec.steps if s.follow_through]
    graded_ = graded(spec, answers)
    # the same refusal as grading wherever follow-through was in question (the engine's own sentence before it names
    # a sample point, which differs: local samples are drawn apart from grading's): one rule, applied in one place
    assert builds_on or assignment == "ps3"
    assert {k: (local[k].diagnosis, _refusal(local[k].feedback)) for k in builds_on} == \
        {k: (graded_[k].diagnosis, _refusal(graded_[k].feedback)) for k in builds_on}
    # the steps were right for the student's own constants (0·0 = 0, a same_as step repeating its constant): the
    # rule refused them, rather than their being wrong anyway
    assert all(_refusal(local[k].feedback) for k in builds_on if c != "12345" or spec.step(k).same_as)


def _refusal(feedback: str) -> str:
    """The sentence follow-through's refusal adds to the engine's feedback ("It is right for your …")."""
    return feedback[feedback.index(" It "):] if " It " in feedback else ""


QUIZ = QuizSpec.from_file(REPO / "source" / "quiz1" / "quiz1.spec.toml")
IDS = [f"student{i}" for i in range(40)] + ["gus"]


@pytest.mark.parametrize("c", [0, 1, 12345, "0", "1", "12345"])
def test_a_constant_quiz_answer_earns_a_question_only_where_it_is_that_students_right_number(c):
    """A choice answer must be letters: a number is no pick and scores 0 (a letter is a real pick, and may be
    right). A numeric or symbolic question's constant scores exactly where the student's own variant's answer is
    that number (q7's db is 0 when the four dZ sum to 0): that is a right answer, not a constant slipping by."""
    scored = right = 0
    for question in QUIZ.questions:
        for sid in IDS:
            result = question.grade(c, question.variant(sid))
            if question.__class__.__name__ == "Choice" or not hasattr(question, "expected"):
                assert result.points == 0, (question.id, sid)
                continue
            want = question.expected(question.variant(sid))
            is_right = abs(want - mpmath.mpf(int(c))) <= max(question.abs_tol, question.rel_tol * abs(want))
            assert (result.points > 0) == is_right, (question.id, sid, want)
            scored += result.points > 0
            right += is_right
    assert scored == right


def test_the_quiz_demo_constants_student_has_no_right_number():
    for question in QUIZ.questions:
        if hasattr(question, "expected"):
            assert question.expected(question.variant("gus")) != 0, question.id
