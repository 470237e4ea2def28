"""Grading a quiz submission outside the student's kernel, against the student's own variant.

Each quiz check cell records the answer and the id the student entered. The variant is rebuilt from the
id of the SUBMISSION (nbgrader's student id); an entered id that differs from it scores zero on every
question with a message saying so (every question depends on the id: numbers, and the order of options),
so typing someone else's id never gains anything. A missing id scores zero with a message too.
"""

from __future__ import annotations

from autograder.protocol import ANSWER_MIME, StepResult
from autograder.quiz import normalize_id

from autograder.scoring import no_answer


def recorded(cell, key: str):
    """(True, value) for the last ``record_answer(key, ...)`` output of ``cell``, else (False, None)."""
    found = [o["data"][ANSWER_MIME] for o in cell.get("outputs", []) if o.get("output_type") == "display_data"
             and o.get("data", {}).get(ANSWER_MIME, {}).get("step") == key]
    return (True, found[-1].get("answer")) if found else (False, None)


def judge_question(question, cell, submitter: str, error_note: str = "") -> StepResult:
    info = {"id": question.id, "title": question.id, "points": question.points}
    has_answer, answer = recorded(cell, question.id)
    has_id, entered = recorded(cell, "student_id")
    if not has_answer or not has_id:
        return no_answer(info, "No answer recorded: the cell did not run, raised an error, or the kernel died or "
                               "timed out" + error_note + ".")
    try:
        entered_id = normalize_id(entered)
    except ValueError:
        return no_answer(info, "No student id was entered in the marked cell, so there is no variant to grade "
                               "against: 0 points.")
    if not str(submitter or "").strip():
        return no_answer(info, "The submission has no nbgrader student id to grade the variant for: 0 points.")
    if entered_id != normalize_id(submitter):
        return no_answer(info, f"The id entered in the notebook ({str(entered).strip()!r}) is not the id this "
                               f"quiz was submitted with ({submitter!r}); questions are graded only for your "
                               "own id: 0 points.")
    if answer is None:
        return no_answer(info, "No answer yet: the answer is still None.")
    if isinstance(answer, list):
        answer = ", ".join(str(a) for a in answer) if question.__class__.__name__ == "Choice" else str(answer)
    if len(str(answer)) > 2000:
        return no_answer(info, "The answer is too long to be judged.")
    result = question.grade(answer, question.variant(submitter))
    return StepResult(question.id, question.id, result.points, result.max_points, result.feedback,
                      answer_text=str(answer))
