"""An instructor opens formgrader in JupyterLab and sees ps1 and every demo student with the autograder's score."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from formgrader_page import formgrader_number, open_formgrader_panel, table_rows, wait_for_table
from lab_server import JupyterLab

pytestmark = pytest.mark.browser

ASSIGNMENT = "ps1"


def graded_demo_course(graded_class, workdir: Path) -> tuple[Path, list[str]]:
    """A copy of the course in which the session's real nbgrader run graded the demo class; the student ids.

    The ids come from the demo class's data files, not from the gradebook, so a student the
    grading lost would be missed by formgrader *and* noticed here.
    """
    course = Path(shutil.copytree(graded_class["course"], workdir))
    print(f"demo class graded: {', '.join(f'{k} {v:.1f} s' for k, v in graded_class['timings'].items())}")
    return course, [student.id for student in graded_class["students"]]


def score_text(score: float, max_score: float) -> str:
    """A score as formgrader writes it in its tables.

    >>> score_text(6.5, 10.0)
    '6.5 / 10'
    """
    return f"{formgrader_number(score)} / {formgrader_number(max_score)}"


def autograded(course: Path, student: str) -> bool:
    """Whether nbgrader wrote the student's autograded copy (a corrupted upload gets one too: the blank assignment)."""
    return any((course / "autograded" / student / ASSIGNMENT).glob("*.ipynb"))


def gradebook_scores(course: Path, students: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Each student's ps1 score and overall score, as formgrader writes them, from the course's gradebook.

    formgrader leaves the score of a submission that was never autograded blank, so that is expected here.
    """
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        ps1, overall = {}, {}
        for student in students:
            submission = gradebook.find_submission(ASSIGNMENT, student)
            ps1[student] = score_text(submission.score, submission.max_score) if autograded(course, student) else ""
            record = gradebook.find_student(student)
            overall[student] = score_text(record.score, record.max_score)
        return ps1, overall


def test_formgrader_lists_every_demo_student_with_the_autograded_score(
    graded_class, browser, lab_home, tmp_path, screenshot_dir
):
    course, students = graded_demo_course(graded_class, tmp_path / "demo")
    expected, expected_overall = gradebook_scores(course, students)
    # A score of 0 everywhere would make the comparison below weak: the demo class must spread.
    assert len(set(expected.values())) >= 3, f"the demo scores hardly differ: {expected}"
    # formgrader warns at the top of its page when the local exchange is missing; an instructor has one.
    (course / "exchange").mkdir(exist_ok=True)

    with JupyterLab(root_dir=course, home=lab_home) as lab:
        # Tall enough that the screenshots show formgrader's whole table under its heading.
        page = browser.new_page(height=max(900, 500 + 60 * len(students)))
        page.goto(lab.url("/lab"))
        frame = open_formgrader_panel(page)
        wait_for_table(page)
        assignments = table_rows(frame, "name", "num-submissions")
        assert assignments.get(ASSIGNMENT) == str(len(students)), assignments

        frame.locator("#main-table tr", has_text=ASSIGNMENT).locator("td.num-submissions a").click()
        frame.locator(".breadcrumb", has_text=ASSIGNMENT).wait_for()
        wait_for_table(page)
        shown = table_rows(frame, "student-id", "score")
        frame.locator(".breadcrumb").evaluate("e => e.scrollIntoView({block: 'start'})")
        page.screenshot(path=str(screenshot_dir / "instructor-formgrader-ps1-submissions.png"))
        assert shown == expected
        # the corrupted upload of the demo class (zack) is graded as the blank assignment with a note saying why
        # (autograder/nbgrader/sanitize.py): nobody is left waiting for autograding, nobody silently dropped
        assert all(autograded(course, s) for s in students)
        statuses = table_rows(frame, "student-id", "status")
        assert set(statuses) == set(students) and "needs autograding" not in statuses.values(), statuses

        frame.get_by_role("link", name="Manage Students").click()
        frame.locator(".breadcrumb", has_text="Students").wait_for()
        wait_for_table(page)
        overall = table_rows(frame, "id", "score")
        frame.locator(".breadcrumb").evaluate("e => e.scrollIntoView({block: 'start'})")
        page.screenshot(path=str(screenshot_dir / "instructor-formgrader-students.png"))
        assert overall == expected_overall
