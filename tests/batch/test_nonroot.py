"""Grading as a non-root instructor (issue 27 item 3), with a real system user and the real commands.

One instructor user (created here, removed with its home and processes) holds a copy of the demo course in its
home and ps1's demo class of four students. As that user, with a clean environment: `autograder grade` grades the
class and `nbgrader autograde` two of them again; the scores are the demo class's expected ones (worked out by
hand), the sandbox really ran (each graded notebook and each mark says bubblewrap), the kernels started afresh with
the one logged reason, and no socket folder of the user's is left in /tmp. Where the machine lets no unprivileged
user make namespaces, both commands stop at once with one line saying what to enable (exit 2), nothing graded.
Two kernels of the user side by side: one fork-bombs to its own cap while the other (and the instructor) go on; the
kernel cannot write its socket folder, read the grader's environment or ptrace it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from autograder.demo import load_class, prepare_course, read_scores, write_submissions
from autograder.nbgrader.execute import FRESH, SANDBOXED
from autograder.sandbox import NAMESPACES_REFUSED
from autograder.warm.provisioner import FELL_BACK

from .system_users import as_user, chown_tree, require_root, system_users

pytestmark = pytest.mark.e2e

CLASS = ("alice", "bob", "carol", "dave")  # ps1's demo students who need no cell timeout
AGAIN = ("alice", "carol")  # graded again by plain `nbgrader autograde` (its --student is a glob)
AGAIN_GLOB = "[ac]*"
KERNELS = Path(__file__).with_name("nonroot_kernels.py")
# grading inside a user namespace that may make no more namespaces: what a container platform without them gives
NO_USERNS = ["bwrap", "--unshare-user", "--disable-userns", "--dev-bind", "/", "/", "--"]


@pytest.fixture(scope="module")
def instructor():
    """(user, course, run): the instructor's course in its home with ps1 released and the class submitted;
    ``run(*argv)`` runs a command as the instructor in the course."""
    require_root()
    with system_users("ins") as (user,):
        course = prepare_course(user.home / "course")
        chown_tree(course, user)

        def run(*argv, timeout=600):
            return as_user(user, list(argv), course, timeout=timeout)

        released = run("nbgrader", "generate_assignment", "ps1", "--force")
        assert released.returncode == 0, released.stderr[-2000:]
        write_submissions(course, [s for s in load_class("ps1") if s.id in CLASS])
        chown_tree(course, user)
        yield user, course, run


@pytest.fixture(scope="module")
def graded(instructor):
    user, course, run = instructor
    grade = run("autograder", "grade", "ps1")
    grade_scores = read_scores(course)
    autograde = run("nbgrader", "autograde", "ps1", "--force", f"--student={AGAIN_GLOB}")
    return grade, grade_scores, autograde, read_scores(course)


def expected_scores(students=CLASS) -> dict:
    return {s.id: s.expected for s in load_class("ps1") if s.id in students}


def test_the_class_grades_as_the_instructor_to_the_expected_scores(graded):
    grade, grade_scores, autograde, after = graded
    assert grade.returncode == 0, grade.stdout[-3000:] + grade.stderr[-3000:]
    assert grade_scores == expected_scores()
    assert autograde.returncode == 0, autograde.stderr[-3000:]
    assert {s: after[s] for s in AGAIN} == expected_scores(AGAIN)


def test_the_sandbox_ran_and_kernels_fell_back_once_with_the_reason(instructor, graded):
    user, course, _ = instructor
    grade, _, autograde, _ = graded
    for student in CLASS:
        meta = nbformat.read(course / "autograded" / student / "ps1" / "ps1.ipynb", as_version=4).metadata
        assert (meta["autograder"]["sandbox"], meta["autograder"]["kernel"]) == (SANDBOXED, FRESH), student
        assert json.loads((course / ".autograder" / "graded" / "ps1" / f"{student}.json").read_text())[
            "sandbox"] == SANDBOXED
        assert os.stat(course / "autograded" / student / "ps1" / "ps1.ipynb").st_uid == user.uid
    # once per run, with the reason: `autograder grade` says it at its start, nbgrader logs it at its first kernel
    # (of three: the solutions' and two students')
    assert grade.stdout.count(FELL_BACK) == 1 and "does not run as root" in grade.stdout
    assert autograde.stderr.count(FELL_BACK) == 1 and "does not run as root" in autograde.stderr


def _state(course: Path) -> tuple:
    """What grading would change: the gradebook's scores and every autograded file with its time."""
    files = {str(p): p.stat().st_mtime_ns for p in (course / "autograded").rglob("*")} \
        if (course / "autograded").exists() else {}
    return read_scores(course), files


@pytest.mark.parametrize("command", [["autograder", "grade", "ps1", "--force"],
                                     ["nbgrader", "autograde", "ps1", "--force"]], ids=["grade", "autograde"])
def test_without_user_namespaces_grading_stops_at_once_saying_what_to_enable(instructor, command):
    _, course, run = instructor
    before = _state(course)
    stopped = run(*NO_USERNS, *command, timeout=120)
    said = [line for line in (stopped.stdout + stopped.stderr).splitlines() if "namespaces" in line]
    assert stopped.returncode == 2, stopped.stdout[-2000:] + stopped.stderr[-2000:]
    assert len(said) == 1 and "user.max_user_namespaces" in said[0] and "or grade as root" in said[0], said
    assert NAMESPACES_REFUSED.split("{")[0] in said[0]
    assert _state(course) == before  # nothing graded, nothing zeroed
    # the near miss: the same user, same course, namespaces allowed, gets past the check (the sandbox probe passes)
    probe = run("python", "-c", "from autograder.sandbox import sandbox_problem; print(sandbox_problem())")
    assert probe.stdout.strip() == "None", probe.stdout + probe.stderr


@pytest.fixture(scope="module")
def two_kernels(instructor):
    user, course, run = instructor
    work = user.home / "work"
    work.mkdir()
    chown_tree(work, user)
    done = run("env", "GRADER_SECRET=the-gradebook-password", "python", str(KERNELS), str(work), timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_fork_bomb_stops_at_its_own_kernels_cap(two_kernels):
    word, forks, errno = two_kernels["bomb"].split()
    cap = two_kernels["max_processes"]
    assert word == "stopped" and cap - 32 <= int(forks) < cap and int(errno) == 11, two_kernels["bomb"]
    assert "can't start new thread" in two_kernels["a_still_full"]  # it stays at its cap while its children live
    # what ResilientExecute calls after a failed cell finds every one of them in the sandbox's process tree
    assert two_kernels["strays_ended"] == int(forks)
    # a known limit, recorded as it is: the ended children stay the kernel's zombies (only it may reap them), so it
    # stays at its cap; when that changes, this line fails and must say "started"
    assert "can't start new thread" in two_kernels["a_after_strays"]


def test_the_other_kernel_and_the_instructor_are_unaffected(two_kernels):
    # the near miss of the cap: an honest kernel (numpy, 32 threads, 32 processes) runs beside the full one; with the
    # cap counted per user it would be refused (its limit, set when it started, had no room for the bomb's 116)
    assert two_kernels["honest_b"] == "honest True 32 32"
    assert two_kernels["instructor_forks"] == 150


def test_the_kernel_cannot_write_its_socket_folder(two_kernels):
    word, errno, folder = two_kernels["ipc_write"].split()
    assert word == "refused" and int(errno) == 30 and folder.startswith("/tmp/agk-")  # EROFS
    assert two_kernels["ipc_write_by_grader"] is True  # the same uid outside the sandbox: the remount is what refuses


def test_the_kernel_cannot_reach_the_graders_environment_or_memory(two_kernels):
    assert two_kernels["attack"].splitlines() == ["environ refused 2", "ptrace refused 3"]  # ENOENT, ESRCH
    # the near miss: the same code, run by the same user outside the sandbox, reads the secret and attaches
    assert two_kernels["attack_unsandboxed"].splitlines() == ["environ True", "ptrace attached"]


def test_no_socket_folder_of_the_instructor_is_left(instructor, graded, two_kernels):
    """After both gradings and the two-kernel run (last in this module): every /tmp/agk-* of the instructor's is gone."""
    user, _, _ = instructor
    left = [p for p in Path("/tmp").glob("agk-*") if p.lstat().st_uid == user.uid]
    assert left == []
