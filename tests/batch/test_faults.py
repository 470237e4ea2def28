"""A batch that rides out its faults, each one real: the grader killed with SIGKILL (then the same command again),
the PostgreSQL gradebook stopped and started under the batch, a Dask worker killed with its nanny.

Each checks that every submission is graded exactly once in the gradebook, with the grades of a clean run, and
that no process of the batch is left: the test process is made a child subreaper (PR_SET_CHILD_SUBREAPER) for
the fault, so whatever the batch orphans becomes its child, where it is counted (and then killed). Each prints how
long the faulted batch took against the clean run (``-s`` shows it); timings are not asserted.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from .conftest import BIN, ENV, autograder, gradebook_scores, make_course, nbgrader, submit
from .dask_workers import dask_workers
from .orphans import Orphans, sweep_what_the_killed_left

pytestmark = pytest.mark.e2e

# six students (no looping one: a timeout per cell would only cost time); three scores, so grades differ
ANSWERS = ["    return 2 * x", "    return 3 * x", "    return x + x if x != 3 else 0"]
CLASS = {f"s{i}": ANSWERS[i % len(ANSWERS)] for i in range(6)}


@pytest.fixture(scope="module", autouse=True)
def nothing_of_the_killed_left():
    """A killed grader's workers cannot remove their kernels' socket folders; the next grading run on a machine
    sweeps them, and this module is the last run here: it sweeps, and fails if one cannot go. Nor may the killed
    Dask workers leave multiprocessing's semaphores in /dev/shm."""
    semaphores = {p.name for p in Path("/dev/shm").glob("sem.mp-*")}
    yield
    assert not sweep_what_the_killed_left(), "socket folders of killed processes are still there"
    deadline = time.monotonic() + 10  # the resource tracker unlinks them once the processes it watched are gone
    while (left := {p.name for p in Path("/dev/shm").glob("sem.mp-*")} - semaphores) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"semaphores left in /dev/shm: {sorted(left)}"


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """The class, graded once without a fault: (course folder to copy from, its grades, seconds the command took)."""
    root = make_course(tmp_path_factory.mktemp("faults") / "course")
    for student, body in CLASS.items():
        submit(root, student, body)
    graded = Path(str(root) + "-clean")
    subprocess.run(["cp", "-a", str(root), str(graded)], check=True)
    started = time.monotonic()
    r = autograder(graded, "grade", "hw", "--jobs", "2")
    seconds = time.monotonic() - started
    assert r.returncode == 0, r.stdout + r.stderr
    scores = gradebook_scores(graded)
    assert len(scores) == len(CLASS) and len(set(scores.values())) > 1
    return root, scores, seconds


@pytest.fixture(scope="module")
def server():
    """One PostgreSQL server for the module's gradebook tests (each grades its own copy of the class into it)."""
    from .postgres import postgres_control

    with postgres_control() as server:
        yield server


@pytest.fixture
def course(clean, tmp_path):
    dest = tmp_path / "course"
    subprocess.run(["cp", "-a", str(clean[0]), str(dest)], check=True)
    return dest


def marks(root: Path) -> dict:
    """student -> when their completion mark was written (the grader's own, where ``Submission.mark`` keeps it)."""
    from autograder.grading.submissions import Submission

    found = {}
    for student in CLASS:
        try:
            found[student] = Submission("hw", student).mark(root).stat().st_mtime_ns
        except FileNotFoundError:
            pass
    return found


def wait_for_marks(root: Path, count: int, proc: subprocess.Popen | None = None, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while len(marks(root)) < count:
        assert time.monotonic() < deadline, f"fewer than {count} graded in {timeout} s"
        assert proc is None or proc.poll() is None, proc.communicate()[0]
        time.sleep(0.1)


def graded_once(db_url: str) -> dict:
    """student -> (notebooks, grades with a score) of their submission in the gradebook (nbgrader keeps one
    submission per student and assignment): (1, 2) is graded once and whole, for every student of the class."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url, "mini") as gb:
        rows = {sub.student.id: (len(sub.notebooks), sum(g.score is not None for nb in sub.notebooks
                                                          for g in nb.grades))
                for sub in gb.assignment_submissions("hw")}
    assert set(rows) == set(CLASS), rows
    return rows


def start_grading(root: Path, *args) -> subprocess.Popen:
    """``autograder grade hw`` in a session of its own (so its process group can be killed as a terminal's is)."""
    return subprocess.Popen([str(BIN / "autograder"), "grade", "hw", *args], cwd=root, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def report(what: str, seconds: float, clean_seconds: float, commands: int) -> None:
    print(f"\n[faults] {what}: {seconds:.1f} s in {commands} command(s), clean run {clean_seconds:.1f} s "
          f"({seconds / clean_seconds:.2f}x)")


def test_sigkill_of_the_grader_leaves_nothing_and_the_same_command_finishes(clean, course):
    """The grader's process group killed with SIGKILL (a lost SSH session, an OOM kill) a quarter of the way in:
    its grading workers, their warm templates and kernels end with it, and the same command grades the rest."""
    _, expected, clean_seconds = clean
    with Orphans() as orphans:
        started = time.monotonic()
        proc = start_grading(course, "--jobs", "2")
        wait_for_marks(course, 2, proc)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        first = marks(course)
        left = orphans.left()
    assert not left, f"processes outlived the killed grader: {left}"
    assert 2 <= len(first) < len(CLASS)
    r = autograder(course, "grade", "hw", "--jobs", "2")
    seconds = time.monotonic() - started
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{len(first)} already graded (kept)" in r.stdout
    assert gradebook_scores(course) == expected
    assert set(graded_once(f"sqlite:///{course / 'gradebook.db'}").values()) == {(1, 2)}
    after = marks(course)
    assert all(after[s] == t for s, t in first.items())  # what was graded before the kill is kept, not redone
    report("SIGKILL of the grader, then the same command", seconds, clean_seconds, 2)


def test_without_the_lifeline_the_grading_workers_would_be_orphans(monkeypatch):
    """The near miss: a worker forked the old way (no parent-death signal, no watching thread) is still there after
    its caller is killed; the same worker with them is not. (Cheap: no kernel, one fork each.)"""
    code = ("import os, sys, time; from autograder import limits\n"
            "if sys.argv[1] == 'off':\n"
            "    limits.die_with_parent = lambda *a, **k: None; limits._watch_parent = lambda *a, **k: None\n"
            "print(os.getpid(), flush=True)\n"
            "limits.run_isolated(time.sleep, (60,), timeout=120)\n")
    survivors = {}
    with Orphans() as orphans:
        for mode in ("off", "on"):
            proc = subprocess.Popen([str(BIN / "python"), "-c", code, mode], stdout=subprocess.PIPE, text=True,
                                    env=ENV)
            caller = int(proc.stdout.readline())
            deadline = time.monotonic() + 30
            while not psutil.Process(caller).children() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert psutil.Process(caller).children(), "the worker did not start"
            proc.kill()
            proc.wait()
            survivors[mode] = orphans.left(within=1.0)
    assert len(survivors["off"]) == 1 and "-c" in survivors["off"][0]  # the old way: an orphan, still sleeping
    assert survivors["on"] == []


def test_a_postgresql_restart_is_ridden_out_in_the_same_run(clean, course, server):
    """The gradebook server stopped (fast: sessions in flight are cut) under a running batch and started again;
    gradings it broke are graded again in the same run, none half-recorded, and the summary says how many."""
    _, expected, clean_seconds = clean
    with Orphans() as orphans:
        orphans.known.update(p.pid for p in psutil.Process().children() if "postgres" in p.name())
        nbgrader(course, "generate_assignment", "hw", "--force", f"--CourseDirectory.db_url={server.url}")
        started = time.monotonic()
        proc = start_grading(course, "--jobs", "2", "--db-url", server.url)
        wait_for_marks(course, 2, proc)
        server.stop("fast")
        # while it is down, stand in its place until a grading has come knocking: the outage surely hit one
        with socket.create_server(("127.0.0.1", server.port), reuse_port=False) as stand_in:
            stand_in.settimeout(120)
            knock, _ = stand_in.accept()
            knock.close()
        server.start()
        orphans.known.update(p.pid for p in psutil.Process().children() if "postgres" in p.name())
        out, _ = proc.communicate(timeout=600)
        seconds = time.monotonic() - started
        assert proc.returncode == 0, out
        assert "graded again after a gradebook fault" in out, out
        assert gradebook_scores(course, server.url) == expected
        assert set(graded_once(server.url).values()) == {(1, 2)}
        assert set(marks(course)) == set(CLASS)
        assert not orphans.left()
    report("PostgreSQL stopped and started mid-batch", seconds, clean_seconds, 1)


def test_a_gradebook_that_stays_away_stops_the_batch_with_the_reason(clean, course, server):
    """The near miss of riding it out: the server does not come back within --gradebook-wait. The batch stops
    with the reason and what it graded is kept whole (the same command grades the rest later: the SIGKILL test
    shows resuming). A server that answers "no" (a wrong password) is not waited for at all."""
    nbgrader(course, "generate_assignment", "hw", "--force", f"--CourseDirectory.db_url={server.url}")
    proc = start_grading(course, "--jobs", "2", "--db-url", server.url, "--gradebook-wait", "2")
    wait_for_marks(course, 2, proc)
    server.stop("fast")
    try:
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 1, out
        assert "did not answer for 2 s" in out and "run the same command again once it answers" in out, out
        assert "not graded: " in out
        graded = set(marks(course))
        assert 2 <= len(graded) < len(CLASS)
    finally:
        server.start()
    from autograder.grading.gradebook_faults import GradebookUnavailable, wait_for_gradebook

    wait_for_gradebook(server.url, 60)  # back, and answering
    with pytest.raises(GradebookUnavailable, match="refuses the connection.*password") as refused:
        wait_for_gradebook(server.url.replace("grader:", "grader:x", 1), 600, sleep=pytest.fail)  # never waits
    assert server.url.split(":")[2].split("@")[0] not in str(refused.value)  # the password is not in the message


def grading_worker(nannies: list, timeout: float = 60) -> subprocess.Popen:
    """The first nanny whose worker is grading now (has a grading process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for nanny in nannies:
            under = psutil.Process(nanny.pid).children()  # the worker process (and multiprocessing's helpers)
            if any(p.status() != psutil.STATUS_ZOMBIE for w in under for p in w.children()):
                return nanny
        time.sleep(0.05)
    raise AssertionError("no Dask worker was grading")


def test_a_lost_dask_worker_costs_only_its_own_submission(clean, course):
    """One of two Dask workers killed with its nanny (SIGKILL both) mid-batch: its submission is graded again on
    the other at once, every grade is the clean run's, and its grading process and kernel end with it."""
    _, expected, clean_seconds = clean
    with Orphans() as orphans, dask_workers(2) as cluster:
        orphans.known.update(cluster.pids)
        started = time.monotonic()
        proc = start_grading(course, "--scheduler", cluster.scheduler_address)
        wait_for_marks(course, 2, proc)
        victim = grading_worker(cluster.nannies)
        before = marks(course)
        cluster.kill(victim)
        out, _ = proc.communicate(timeout=600)
        seconds = time.monotonic() - started
        assert proc.returncode == 0, out
        assert gradebook_scores(course) == expected
        assert set(graded_once(f"sqlite:///{course / 'gradebook.db'}").values()) == {(1, 2)}
        after = marks(course)
        # only the work it was doing is done again: what was graded before is not (its results are released)
        assert all(after[s] == t for s, t in before.items()), "graded submissions were graded again"
        assert not orphans.left(), "the lost worker's grading process outlived it"
    report("a Dask worker and its nanny killed mid-batch", seconds, clean_seconds, 1)
