"""The instructor path on real nbgrader: every demo student gets the hand-written expected score per step."""

import csv

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.demo import ASSIGNMENT, load_class
from autograder.protocol import StepResult

pytestmark = pytest.mark.e2e
STUDENTS = load_class()


def test_the_demo_class_is_big_enough_and_every_student_has_expectations():
    assert len(STUDENTS) >= 10
    ids = {s.id for s in STUDENTS}
    for student in STUDENTS:
        assert student.expected, f"{student.id} has no [expected] scores"
    assert len(ids) == len(STUDENTS), "two data files map to the same student id"


@pytest.mark.parametrize("student", STUDENTS, ids=[s.id for s in STUDENTS])
def test_each_step_scores_as_expected(graded_class, student):
    with Gradebook(f"sqlite:///{graded_class['course'] / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student.id)
        got = {g.name.removesuffix("-check"): g.score for g in notebook.grades}
    assert got == student.expected, student.about


def test_every_grade_cell_carries_the_verdict_it_was_scored_from(graded_class):
    for student in [s for s in STUDENTS if s.raw_notebook is None]:
        path = graded_class["course"] / "autograded" / student.id / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        nb = nbformat.read(path, as_version=4)
        verdicts = [StepResult.from_dict(c.metadata["autograder"]) for c in nb.cells if "autograder" in c.metadata]
        # a deleted check cell is put back before grading (autograder/nbgrader/sanitize.py): it has its verdict too
        assert {v.step: v.points for v in verdicts} == student.expected
        assert all(v.feedback for v in verdicts)


def test_exported_csv_has_one_row_per_student_with_the_gradebook_total(graded_class):
    with open(graded_class["course"] / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert set(rows) == {s.id for s in STUDENTS}
    for s in STUDENTS:
        assert float(rows[s.id]["score"]) == pytest.approx(sum(s.expected.values()))
        assert float(rows[s.id]["max_score"]) == 10.0
        assert (rows[s.id]["first_name"], rows[s.id]["last_name"]) == (s.id.capitalize(), "Demo")  # the roster


def _feedback(graded_class, student_id):
    return (graded_class["course"] / "feedback" / student_id / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()


def test_feedback_shows_the_answer_as_math_and_the_feedback_sentence(graded_class):
    page = _feedback(graded_class, "carol")
    assert "MathJax" in page  # the page typesets $...$ when opened
    # carol's dL/da, (y - a)/(a(1 - a)), rendered as LaTeX between $ signs in the verdict table
    assert r"$\frac{- a + y}{a \left(1 - a\right)}$" in page
    assert "Keep the minus sign in front of the whole loss" in page
    assert "the negative of the right result" in page
    assert 'class="autograder-result"' in page


def test_feedback_explains_every_kind_of_zero(graded_class):
    expectations = {
        "erin": "Unbalanced parenthesis",
        "frank": "CellTimeoutError",
        "grace": "import os is used in dL_dz_chain-answer",
        "henry": "import autograder.scoring",
        "judy": "is still None",
        "ken": "derive it yourself; diff was used",
        "dave": "check that every factor of the chain rule is there",
        "mallory": "import pathlib is used in cell",
    }
    for student, sentence in expectations.items():
        assert sentence in _feedback(graded_class, student), student


def test_edited_check_cells_are_restored_before_grading(graded_class):
    nb = nbformat.read(graded_class["course"] / "autograded" / "ivan" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    check = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "dL_da-check")
    assert "record_answer" in check.source and "2.0" not in check.source
    submitted = nbformat.read(graded_class["course"] / "submitted" / "ivan" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    assert any(c.source == "2.0" for c in submitted.cells)  # the edit really was in the submission


def test_student_output_never_reaches_the_score(graded_class):
    """henry printed a fake pass and a score; the judged cell holds only the grader's own outputs."""
    nb = nbformat.read(graded_class["course"] / "autograded" / "henry" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    check = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "dL_da-check")
    texts = [o.get("text", "") for o in check.outputs if o.output_type == "stream"]
    assert not any("passed" in t for t in texts)
    assert [o.output_type for o in check.outputs] == ["display_data", "error"]


def test_a_student_hunting_for_the_spec_gets_nothing_back(graded_class):
    """mallory's added cell searches the course for the spec and prints it: neither the autograded
    notebook nor her feedback contains any of it."""
    marker = "written as a spec"  # the spec's first comment line; in no notebook
    for path in (graded_class["course"] / "autograded" / "mallory" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                 graded_class["course"] / "feedback" / "mallory" / ASSIGNMENT / f"{ASSIGNMENT}.html"):
        assert marker not in path.read_text()


def test_a_corrupted_upload_is_graded_blank_with_a_note_and_does_not_stop_the_batch(graded_class):
    """Plain nbgrader autograde (the course's config reads submissions through SanitizingExporter): zack's
    unreadable upload is graded as the blank assignment, and his feedback says why."""
    assert graded_class["problems"] == []
    notebook = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    assert "could not be read: it is not valid JSON" in (graded_class["course"] / "feedback" / "zack" / ASSIGNMENT /
                                                        f"{ASSIGNMENT}.html").read_text()
    graded = [s for s in STUDENTS if (graded_class["course"] / "autograded" / s.id / notebook).exists()]
    assert len(graded) == len(STUDENTS)
