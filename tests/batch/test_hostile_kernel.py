"""Attacks on what of the grader reaches a student's kernel (tests/data/hostile/kernel.toml): the grader's
environment, reference text in the warm template's memory, the grader's /tmp through the kernel's socket folder,
the grader's log through fd 2, and the per-cell time limit of `autograder grade --cell-timeout`.

One small class graded BOTH ways, each in a course of its own, at the same time: `autograder grade ps1 --jobs 2
--cell-timeout 3` and plain `nbgrader autograde ps1` with the course's nbgrader_config.py (warm-forked kernels,
the grader as root). The grader's environment holds a canary (GRADEBOOK_PASSWORD) that must appear nowhere a
student or the log could show it; the environment attack is graded once more in a fresh (not forked) bubblewrap
kernel. No socket folder (/tmp/agk-*) of these runs may be left behind."""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import tomllib
from pathlib import Path

import nbformat
import pytest

from autograder.demo import (ASSIGNMENT, Student, console_script, nbgrader, prepare_course, read_scores,
                             write_submissions)
from autograder.sandbox import owner_ended

pytestmark = pytest.mark.e2e

CORPUS = Path(__file__).resolve().parents[1] / "data" / "hostile" / "kernel.toml"
WAYS = ("autograder", "nbgrader")
CONTROL = "k0-honest-wrong"
CANARY = "GRADEBOOK_PASSWORD"
MARK = "AGK-STDERR-MARK"  # what k4's thread writes to fd 2
CELL_TIMEOUT = 3


def load_students() -> list[tuple[Student, dict]]:
    """(student, {way: {"expected": …, "feedback": […]}}) for each entry of the corpus."""
    data = tomllib.loads(CORPUS.read_text(encoding="utf-8"))
    found = []
    for entry in data["student"]:
        answers = {**data[entry.get("base", "wrong")], **entry.get("answers", {})}
        ways = {}
        for way in WAYS:
            own = entry.get(way, {})
            ways[way] = {"expected": {k: float(v) for k, v in own.get("expected", entry["expected"]).items()},
                         "feedback": own.get("feedback", entry.get("feedback", []))}
        found.append((Student(id=entry["id"], about=entry.get("about", ""),
                              answers={k: v.strip("\n") for k, v in answers.items()}), ways))
    return found


def socket_roots() -> set[str]:
    return {p.name for p in Path("/tmp").glob("agk-*")}


def left_behind(before: set[str]) -> list[str]:
    """Socket folders made since ``before`` whose owner process is gone (an owner still running may be another
    grading on this machine; a folder named otherwise, by an older checkout's grading running beside this one)."""
    return [name for name in socket_roots() - before if owner_ended(name)]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap is not installed: apt-get install -y bubblewrap (.ci/run installs it)")
    before = socket_roots()
    canary = f"canary-{secrets.token_hex(8)}"
    base = tmp_path_factory.mktemp("hostile-kernel")
    students = load_students()
    courses = {}
    for way in WAYS:
        course = courses[way] = prepare_course(base / way)
        nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
        write_submissions(course, [s for s, _ in students])
    exe_a, env = console_script("autograder", extra_env={"COLUMNS": "200", CANARY: canary})
    exe_n, _ = console_script("nbgrader")
    runs = {"autograder": subprocess.Popen([exe_a, "grade", ASSIGNMENT, "--jobs", "2", "--cell-timeout",
                                            str(CELL_TIMEOUT)], cwd=courses["autograder"], env=env, text=True,
                                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT),
            "nbgrader": subprocess.Popen([exe_n, "autograde", ASSIGNMENT], cwd=courses["nbgrader"], env=env,
                                         text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)}
    logs = {way: run.communicate(timeout=900)[0] for way, run in runs.items()}
    for way, log in logs.items():
        (base / f"{way}.log").write_text(log)
    scores = {way: read_scores(courses[way]) for way in WAYS}
    # the environment attack once more, in a kernel started afresh in bubblewrap (not forked from the template)
    fresh = subprocess.run([exe_n, "autograde", ASSIGNMENT, "--force", "--student", "k1-env-canary",
                            "--KernelProvisionerFactory.default_provisioner_name=local-provisioner"],
                           cwd=courses["nbgrader"], env=env, text=True, capture_output=True, timeout=600)
    for way in WAYS:
        nbgrader(courses[way], "generate_feedback", ASSIGNMENT, "--force")
    return dict(students=students, courses=courses, logs=logs, scores=scores, canary=canary, fresh=fresh,
                left=left_behind(before))


def student_ids():
    return [s.id for s, _ in load_students()]


def page(graded, way, student) -> str:
    return (graded["courses"][way] / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()


def outputs(graded, way, student) -> str:
    """Every output of the student's autograded notebook, as text."""
    nb = nbformat.read(graded["courses"][way] / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                       as_version=4)
    return "\n".join(str(out) for cell in nb.cells for out in cell.get("outputs", []))


@pytest.mark.parametrize("way", WAYS)
def test_the_honest_wrong_version_scores_2_of_10(graded, way):
    control = graded["scores"][way][CONTROL]
    assert sum(control.values()) == 2, (control, graded["logs"][way][-3000:])
    assert control == next(w for s, w in graded["students"] if s.id == CONTROL)[way]["expected"]


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("student", student_ids())
def test_each_attack_gets_its_expected_score(graded, way, student):
    expected = next(w for s, w in graded["students"] if s.id == student)[way]["expected"]
    got = graded["scores"][way].get(student)
    assert got == expected, (student, got, graded["logs"][way][-3000:])
    if "base" not in tomllib.loads(CORPUS.read_text())["student"][student_ids().index(student)]:
        # an attack that found nothing scores what the honest wrong version scored, measured in the same run
        assert got == graded["scores"][way][CONTROL], student


@pytest.mark.parametrize("way", WAYS)
def test_each_student_reads_what_happened(graded, way):
    for student, ways in graded["students"]:
        html = page(graded, way, student.id)
        for phrase in ways[way]["feedback"]:
            assert phrase in html, (way, student.id, phrase)


def test_the_attacks_ran(graded):
    """Near misses the assertions above would not see: the environment was printed, the heap scan saw the
    kernel's own heap, the socket folder was the kernel's and the thread started."""
    for way in WAYS:
        env_out = outputs(graded, way, "k1-env-canary")
        assert "PATH" in env_out and "/proc/self/environ" in env_out, env_out[:2000]
        assert "bait found: True" in outputs(graded, way, "k2-heap-scan")
        assert re.search(r"socket folder /tmp/agk-\d+-\d+-", outputs(graded, way, "k3-socket-folder-fill"))
        assert "a thread writes to stderr" in outputs(graded, way, "k4-stderr-thread")


def test_the_canary_appears_nowhere(graded):
    canary = graded["canary"]
    for way in WAYS:
        assert canary not in graded["logs"][way]
        for path in graded["courses"][way].rglob("*"):
            if path.is_file() and path.suffix in (".ipynb", ".html", ".json", ".txt"):
                assert canary not in path.read_text(errors="replace"), path
    fresh = graded["fresh"]
    assert fresh.returncode == 0, fresh.stderr[-3000:]
    assert canary not in fresh.stdout + fresh.stderr
    assert canary not in outputs(graded, "nbgrader", "k1-env-canary")  # the fresh kernel's, graded last
    assert "grader secrets found: 0" in outputs(graded, "nbgrader", "k1-env-canary")


def test_no_student_thread_writes_into_the_graders_log(graded):
    for way in WAYS:
        assert MARK not in graded["logs"][way], way


def test_the_cell_timeout_is_the_commands(graded):
    """`--cell-timeout 3` holds against the course's c.Execute.timeout = 20 (k5's 6 s cell times out), and plain
    nbgrader keeps the course's (it does not)."""
    assert graded["scores"]["autograder"]["k5-slow-cell"]["dL_dz"] == 0
    assert graded["scores"]["nbgrader"]["k5-slow-cell"]["dL_dz"] == 2


def test_no_socket_folder_is_left_behind(graded):
    assert graded["left"] == []
