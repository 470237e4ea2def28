"""`autograder regrade` on really autograded courses: a reference typed wrong, the class regraded, the reference
fixed and the class regraded again — exactly the students whose answer was right outright go down, then back up,
in the gradebook (SQLite and a real PostgreSQL server), in the autograded notebooks, and in the printed table."""

import hashlib
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from autograder.demo import (ASSIGNMENT, console_script, load_class, nbgrader, prepare_course, write_roster,
                             write_submissions)

pytestmark = pytest.mark.e2e
RIGHT, TYPO = 'reference = "a - y"\nsame_as = "dL_dz_chain"', 'reference = "y - a"\nsame_as = "dL_dz_chain"'


def _regrade(course: Path, *args, feedback=False) -> subprocess.CompletedProcess:
    exe, env = console_script("autograder", extra_env={"COLUMNS": "250"}, inherit=False)
    extra = [] if feedback else ["--no-feedback"]
    return subprocess.run([exe, "regrade", ASSIGNMENT, *extra, *args], cwd=course, capture_output=True,
                          text=True, timeout=300, env=env)


def _scores(db_url: str) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        return {s.student.id: {g.name.removesuffix("-check"): g.score for g in s.notebooks[0].grades}
                for s in gb.assignment_submissions(ASSIGNMENT)}


def _verdicts(course: Path) -> dict:
    """{student: {step: verdict metadata}} from the autograded notebooks."""
    found = {}
    for path in sorted(course.glob(f"autograded/*/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")):
        nb = nbformat.read(path, as_version=4)
        found[path.parts[-3]] = {c.metadata["autograder"]["step"]: {k: v for k, v in c.metadata["autograder"].items()
                                                                    if k != "judged_inputs"}
                                 for c in nb.cells if "autograder" in c.metadata}
    return found


def _spec(course: Path, old: str, new: str) -> str:
    path = course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.spec.toml"
    text = path.read_text()
    assert text.count(old) == 1
    path.write_text(text.replace(old, new))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _changed_rows(stdout: str) -> dict:
    """{student: "old → new"} of the dL_dz rows of the printed table."""
    rows = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) > 4 and cells[2] == "dL_dz":
            rows[cells[1]] = cells[3].split(" / ")[0]
    return rows


def _typo_then_fix(course: Path, db_url: str, *extra) -> None:
    before = _scores(db_url)
    right_outright = {s for s, v in _verdicts(course).items()
                      if v.get("dL_dz", {}).get("points") == 2 and v["dL_dz"]["diagnosis"] is None}
    assert len(right_outright) >= 3

    _spec(course, RIGHT, TYPO)
    broken = _regrade(course, *extra)
    assert broken.returncode == 0, broken.stdout + broken.stderr  # every notebook regraded: none skipped
    assert _changed_rows(broken.stdout) == {s: "2 → 0" for s in right_outright}
    lowered = _scores(db_url)
    assert {s for s in before if lowered[s] != before[s]} == right_outright

    fixed_hash = _spec(course, TYPO, RIGHT)
    fixed = _regrade(course, *extra)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert _changed_rows(fixed.stdout) == {s: "0 → 2" for s in right_outright}
    assert _scores(db_url) == before
    assert f"against spec sha256 {fixed_hash[:12]}" in fixed.stdout
    for path in course.glob(f"autograded/*/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"):
        assert nbformat.read(path, as_version=4).metadata["autograder"]["spec_sha256"] == fixed_hash


@pytest.fixture
def graded_copy(graded_class, tmp_path) -> Path:
    """A copy of the demo class's course as `nbgrader autograde` left it (gradebook and autograded notebooks)."""
    return Path(shutil.copytree(graded_class["course"], tmp_path / "course"))


def test_an_unchanged_spec_changes_no_grade(graded_copy):
    db_url = f"sqlite:///{graded_copy / 'gradebook.db'}"
    before, verdicts = _scores(db_url), _verdicts(graded_copy)
    proc = _regrade(graded_copy)
    assert "grades changed by regrading (0)" in proc.stdout
    assert _scores(db_url) == before
    assert _verdicts(graded_copy) == verdicts
    expected = {s.id: s.expected for s in load_class()}
    assert {s: v for s, v in before.items()} == {s: expected[s] for s in before}


def test_a_fixed_reference_raises_exactly_the_students_it_wronged_sqlite(graded_copy):
    _typo_then_fix(graded_copy, f"sqlite:///{graded_copy / 'gradebook.db'}")


def test_only_the_named_students_are_regraded_and_their_feedback_follows(graded_copy):
    db_url = f"sqlite:///{graded_copy / 'gradebook.db'}"
    before = _scores(db_url)
    page = graded_copy / "feedback" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    assert "wrong sign" not in page.read_text()
    _spec(graded_copy, RIGHT, TYPO)
    proc = _regrade(graded_copy, "--students", "alice", feedback=True)
    assert _changed_rows(proc.stdout) == {"alice": "2 → 0"}
    after = _scores(db_url)
    assert {s for s in before if after[s] != before[s]} == {"alice"}
    assert "feedback generated again for 1 student(s)" in proc.stdout
    assert "wrong sign" in page.read_text()


def test_a_submission_graded_before_answers_were_kept_is_reported_not_zeroed(graded_copy):
    path = graded_copy / "autograded" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        cell.metadata.get("autograder", {}).pop("kernel_outputs", None)
    nb.metadata["autograder"].pop("seal")  # as the grader left it before it sealed its verdicts
    nbformat.write(nb, path)
    db_url = f"sqlite:///{graded_copy / 'gradebook.db'}"
    before = _scores(db_url)
    _spec(graded_copy, RIGHT, TYPO)
    proc = _regrade(graded_copy)
    assert proc.returncode == 1
    assert "not regraded: alice: ps1.ipynb: it carries no seal of this grader (graded before verdicts were sealed" \
        in proc.stdout
    assert _scores(db_url)["alice"] == before["alice"]


def test_a_fixed_reference_raises_exactly_the_students_it_wronged_postgresql(tmp_path):
    from tests.batch.postgres import postgres_server

    students = [s for s in load_class() if s.id in {"alice", "carol", "dave", "olga", "bob"}]
    course = prepare_course(tmp_path / "course")
    with postgres_server() as url:
        nbgrader(course, "generate_assignment", ASSIGNMENT, "--force", f"--db={url}")
        nbgrader(course, "db", "student", "import", str(write_roster(course, students)), f"--db={url}")
        write_submissions(course, students)
        nbgrader(course, "autograde", ASSIGNMENT, f"--db={url}", "--ExecutePreprocessor.timeout=10",
                 "--Execute.timeout=10")
        assert _scores(url) == {s.id: s.expected for s in students}
        _typo_then_fix(course, url, "--db-url", url)
