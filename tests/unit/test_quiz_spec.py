"""Quiz specs: validation names the question; build writes the notebook and public data; the judge."""

import json

import pytest
from nbformat.v4 import new_code_cell, new_output

from autograder.authoring.quiz_build import checks_data, quiz_notebook
from autograder.authoring.quiz_spec import QuizSpec
from autograder.nbgrader.quiz_judge import judge_question
from autograder.protocol import ANSWER_MIME
from autograder.quiz import QuizError

GOOD = '''
title = "T"
[[questions]]
id = "c1"
kind = "choice"
prompt = "Pick"
options = ["right", "wrong", "also right"]
correct = [0, 2]
points = 2
[[questions]]
id = "n1"
kind = "numeric"
prompt = "Twice {n}?"
params = {n = {min = 1, max = 50}}
answer = "2*n"
points = 1
'''


def test_a_good_spec_builds_a_notebook_and_public_data_without_answers():
    spec = QuizSpec.from_string(GOOD, name="quizx")
    ids = [c.metadata["nbgrader"]["grade_id"] for c in quiz_notebook(spec).cells]
    assert ids[:4] == ["intro", "setup", "student_id-answer", "show"] and "n1-check" in ids
    public = json.dumps(checks_data(spec))
    assert "2*n" not in public and "correct" not in public
    assert checks_data(spec)["questions"]["c1"]["options"] == ["also right", "right", "wrong"]


@pytest.mark.parametrize(("change", "message"), [
    (('kind = "numeric"', 'kind = "essay"'), "question n1: `kind`"),
    (("correct = [0, 2]", "correct = [0, 5]"), "question c1: `correct`"),
    (('answer = "2*n"', 'answer = "2*n +"'), "question n1"),
    (('prompt = "Twice {n}?"', 'prompt = "Twice {m}?"'), "question n1: the prompt uses {m}"),
    (('id = "n1"', 'id = "c1"'), "question c1: the id is used twice"),
])
def test_errors_name_the_question(change, message):
    with pytest.raises(QuizError, match=message.replace("{", r"\{").replace("}", r"\}")):
        QuizSpec.from_string(GOOD.replace(*change), name="quizx")


def test_steps_are_refused_in_a_quiz():
    with pytest.raises(QuizError, match="questions"):
        QuizSpec.from_string(GOOD + "\n[[steps]]\nid = 's'\n", name="quizx")


def _cell(answer, entered):
    cell = new_code_cell('check_quiz_answer("n1", n1, student_id)\nrecord_answer("n1", n1)')
    cell.outputs = [new_output("display_data", data={ANSWER_MIME: {"step": key, "answer": value}})
                    for key, value in (("n1", answer), ("student_id", entered))]
    return cell


def test_the_judge_grades_against_the_submitters_variant_and_refuses_other_ids():
    q = QuizSpec.from_string(GOOD, name="quizx").question("n1")
    a, b = q.variant("ann")["n"], q.variant("ben")["n"]
    assert a != b  # two ids, two variants (checked, not assumed)
    assert judge_question(q, _cell(str(2 * a), "Ann"), "ann").points == 1
    assert judge_question(q, _cell(str(2 * a), "ann"), "ben").points == 0  # ann's id, submitted by ben
    assert "not the id" in judge_question(q, _cell(str(2 * a), "ann"), "ben").feedback
    assert judge_question(q, _cell(str(2 * b), "ben"), "ben").points == 1
    assert judge_question(q, _cell(str(2 * b), None), "ben").points == 0
    assert judge_question(q, new_code_cell("x"), "ben").feedback.startswith("No answer recorded")
    assert judge_question(q, _cell(str(2 * a), "ann"), "").points == 0  # no submitter: nothing to grade for


def test_a_huge_number_is_refused_in_bounded_time_not_hung():
    import time

    q = QuizSpec.from_string(GOOD, name="quizx").question("n1")
    started = time.monotonic()
    result = q.grade("9**9**9**9", q.variant("ann"))
    assert result.points == 0 and "not a number" in result.feedback and time.monotonic() - started < 10
