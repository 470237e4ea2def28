"""The nbgrader exporters (``autograder/nbgrader/exporters.py``) run by the real ``nbgrader export --exporter``
on ps1's demo class graded by the real instructor path (the session's ``graded_class``)."""

import csv
import shutil

import nbformat
import pytest

from autograder.demo import ASSIGNMENT, load_class, nbgrader

pytestmark = pytest.mark.e2e
STUDENTS = load_class()
MODULE = "autograder.nbgrader.exporters"


def _export(course, exporter: str, to, *options) -> list[list[str]]:
    nbgrader(course, "export", "--exporter", f"{MODULE}.{exporter}", "--to", str(to), *options)
    with open(to, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def _steps(student) -> list[str]:
    return list(student.expected)  # the demo files list the steps in the notebook's order


def test_step_export_has_one_row_per_student_and_one_column_per_step(graded_class, tmp_path):
    rows = _export(graded_class["course"], "StepExporter", tmp_path / "steps.csv")
    steps = _steps(STUDENTS[0])
    assert rows[0] == (["student_id", "last_name", "first_name", "email"] + [f"{ASSIGNMENT}:{s}" for s in steps]
                       + [f"{ASSIGNMENT}:score", f"{ASSIGNMENT}:max_score", "score", "max_score"])
    by_id = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert sorted(by_id) == sorted(s.id for s in STUDENTS)
    for student in STUDENTS:
        row = by_id[student.id]
        assert (row["last_name"], row["first_name"]) == ("Demo", student.id.capitalize())  # the demo roster
        assert {s: float(row[f"{ASSIGNMENT}:{s}"]) for s in steps} == student.expected, student.id
        total = sum(student.expected.values())
        assert float(row[f"{ASSIGNMENT}:score"]) == float(row["score"]) == pytest.approx(total)
        assert float(row["max_score"]) == 10.0


def test_step_export_with_feedback_gives_the_sentence_grading_stored(graded_class, tmp_path):
    course = graded_class["course"]
    rows = _export(course, "StepExporter", tmp_path / "steps.csv", "--StepExporter.feedback=True",
                   "--student", "['carol', 'dave']")
    header = rows[0]
    assert [row[0] for row in rows[1:]] == ["carol", "dave"]
    for row in rows[1:]:
        record = dict(zip(header, row))
        cells = nbformat.read(course / "autograded" / row[0] / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4).cells
        stored = {c.metadata["autograder"]["step"]: c.metadata["autograder"]["feedback"] for c in cells
                  if "autograder" in c.metadata}
        for step in _steps(STUDENTS[0]):
            assert header.index(f"{ASSIGNMENT}:{step} feedback") == header.index(f"{ASSIGNMENT}:{step}") + 1
            assert record[f"{ASSIGNMENT}:{step} feedback"] == stored[step] != ""
    assert "Keep the minus sign in front of the whole loss" in dict(zip(header, rows[1]))[f"{ASSIGNMENT}:dL_da feedback"]


def test_canvas_export_follows_canvas_gradebook_import_format(graded_class, tmp_path):
    """Canvas's gradebook CSV, laid out as Canvas's own gradebook export writes it (canvas-lms
    lib/gradebook_exporter.rb; Canvas guides, "How do I import grades in the Gradebook?"): the columns Student,
    ID, SIS User ID, SIS Login ID, Section, then one column per assignment, "Title (Canvas id)" to match an
    existing assignment; under the header a "    Points Possible" row (Canvas's importer reads a row whose first
    cell matches /Points Possible/ as the assignments' points, app/models/gradebook_importer.rb); Student as
    "Last, First"."""
    course = graded_class["course"]
    db = tmp_path / "gradebook.db"  # a copy: giving alice her Canvas user id must not change the shared course
    shutil.copy2(course / "gradebook.db", db)
    url = f"sqlite:///{db}"
    nbgrader(course, "db", "student", "add", "alice", "--first-name=Alice", "--last-name=Demo",
             "--lms-user-id=90210", "--db", url)
    rows = _export(course, "CanvasExporter", tmp_path / "canvas.csv", "--db", url,
                   """--CanvasExporter.assignment_ids={"ps1": "4411"}""", "--CanvasExporter.sis_login_id=id")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "ps1 (4411)"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "10"]
    by_sis_id = {row[2]: row for row in rows[2:]}
    assert sorted(by_sis_id) == sorted(s.id for s in STUDENTS)
    for student in STUDENTS:
        name, canvas_id, sis_id, login, section, score = by_sis_id[student.id]
        assert name == f"Demo, {student.id.capitalize()}"
        assert canvas_id == ("90210" if student.id == "alice" else "")
        assert (login, section) == (student.id, "")
        assert float(score) == pytest.approx(sum(student.expected.values())), student.id
    raw = (tmp_path / "canvas.csv").read_bytes()
    assert b'\r\n"Demo, Alice",90210,alice,alice,,10\r\n' in raw  # a comma in a name is quoted; CRLF (RFC 4180)


def test_an_unknown_assignment_stops_the_export_with_the_reason(graded_class, tmp_path):
    proc = nbgrader(graded_class["course"], "export", "--exporter", f"{MODULE}.CanvasExporter",
                    "--to", str(tmp_path / "canvas.csv"), "--assignment", "['ps9']", check=False)
    assert proc.returncode != 0
    assert "No assignment named ps9 in the gradebook" in proc.stderr
    assert not (tmp_path / "canvas.csv").exists()
