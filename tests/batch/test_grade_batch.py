"""`autograder grade`: the same scores as `nbgrader autograde`, in parallel, isolated, resumable."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from autograder.venv_path import path_with_bin

from .conftest import BIN, ENV, STUDENTS, autograder, gradebook_scores, nbgrader, submit

pytestmark = pytest.mark.e2e
EXPECTED = {s: float(points) for s, (_, points) in STUDENTS.items()}


def test_same_scores_as_serial_nbgrader_autograde(course, tmp_path):
    """Also: each submission records that it was graded in the sandbox, and nothing says otherwise."""
    serial = tmp_path / "serial"
    import shutil

    shutil.copytree(course, serial)
    nbgrader(serial, "autograde", "hw")
    assert gradebook_scores(serial) == EXPECTED

    r = autograder(course, "grade", "hw", "--jobs", "2")
    assert r.returncode == 0, r.stdout + r.stderr
    assert gradebook_scores(course) == EXPECTED == gradebook_scores(serial)
    assert "6 graded, 0 failed" in r.stdout
    assert "UNSANDBOXED" not in r.stdout
    for student in STUDENTS:
        mark = json.loads((course / ".autograder" / "graded" / "hw" / f"{student}.json").read_text())
        assert mark["sandbox"].startswith("bubblewrap"), (student, mark)


def test_bad_submissions_fail_alone(course):
    submit(course, "zed", "    import os; os._exit(1)")  # the kernel dies
    (course / "submitted" / "yan" / "hw").mkdir(parents=True)
    (course / "submitted" / "yan" / "hw" / "hw.ipynb").write_text("{ not json")
    r = autograder(course, "grade", "hw", "--jobs", "2")
    assert r.returncode == 1
    scores = gradebook_scores(course)
    assert {s: scores[s] for s in EXPECTED} == EXPECTED  # nobody else's grade moved
    assert "zed" not in scores  # no half-written row for the failure
    assert "DeadKernelError" in r.stdout
    # the unreadable upload is graded as the blank assignment, with a note that says why
    assert scores["yan"] == 0.0
    assert "not valid JSON" in (course / "autograded" / "yan" / "hw" / "hw.ipynb").read_text()
    assert not (course / "autograded" / "zed").exists() or not any((course / "autograded" / "zed").rglob("*.ipynb"))


def test_time_and_memory_limits_hold_per_submission(course):
    """eve's loop outlasts the submission's time limit (cell timeout raised above it): her grading is killed,
    kernel and all, and the next submission gets a fresh worker. gus allocates 8 GiB, past the 4 GiB limit his
    kernel inherits: a MemoryError in his cells, scored as wrong, where an unlimited kernel would pass."""
    import psutil

    submit(course, "gus", "    junk = bytearray(8 * 1024**3)\n    return 2 * x")
    r = autograder(course, "grade", "hw", "--jobs", "1", "--timeout", "8", "--memory", "4096",
                   "--cell-timeout", "60", "--students", "dee", "eve", "fay", "gus")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "failed eve: grading took longer than 8 s" in r.stdout
    assert "3 graded, 1 failed" in r.stdout
    scores = gradebook_scores(course)
    assert "eve" not in scores  # nothing half-written for the killed grading
    assert {s: scores[s] for s in ("dee", "fay")} == {"dee": 3.0, "fay": 3.0}  # fay: after the kill
    assert scores["gus"] == 0.0
    assert "MemoryError" in (course / "autograded" / "gus" / "hw" / "hw.ipynb").read_text()
    leftovers = []
    for proc in psutil.process_iter(["cmdline", "cwd"]):
        try:
            if str(course) in " ".join(proc.info["cmdline"] or []) + (proc.info["cwd"] or ""):
                leftovers.append(proc.info["cmdline"])
        except psutil.Error:
            pass
    assert not leftovers  # the killed worker's kernel died with it


def test_interrupted_run_resumes_without_grading_twice(course):
    # As from a terminal: Ctrl-C is not ignored, even when this suite itself runs in the background
    # (a shell starts background jobs with SIGINT ignored, and children inherit that).
    proc = subprocess.Popen([str(BIN / "autograder"), "grade", "hw", "--jobs", "1"], cwd=course, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    marks = lambda: sorted((course / ".autograder" / "graded" / "hw").glob("*.json"))  # noqa: E731
    deadline = time.monotonic() + 120
    while len(marks()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, out
    first = {m.stem: m.stat().st_mtime_ns for m in marks()}
    assert 2 <= len(first) < len(STUDENTS)
    # what was marked graded before the interrupt is whole and right in the gradebook
    interrupted = gradebook_scores(course)
    assert {s: interrupted.get(s) for s in first} == {s: EXPECTED[s] for s in first}

    r = autograder(course, "grade", "hw", "--jobs", "2")
    assert r.returncode == 0, r.stdout
    assert f"{len(first)} already graded (kept)" in r.stdout
    assert gradebook_scores(course) == EXPECTED
    after = {m.stem: m.stat().st_mtime_ns for m in marks()}
    assert all(after[s] == t for s, t in first.items())  # graded once, kept


def test_postgresql_gradebook(course):
    from .postgres import postgres_server

    with postgres_server() as url:
        import sqlalchemy

        password = sqlalchemy.engine.make_url(url).password  # the role has a password: no trust auth
        anonymous = url.replace(f":{password}@", "@")
        with pytest.raises(sqlalchemy.exc.OperationalError, match="password"):
            sqlalchemy.create_engine(anonymous).connect()
        nbgrader(course, "generate_assignment", "hw", "--force", f"--CourseDirectory.db_url={url}")
        r = autograder(course, "grade", "hw", "--jobs", "3", "--db-url", url)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "the gradebook is SQLite" not in r.stdout
        assert gradebook_scores(course, url) == EXPECTED
        assert not (course / "gradebook.db").exists() or "ada" not in gradebook_scores(course)


def test_unknown_student_and_unreleased_assignment_are_clear(course):
    r = autograder(course, "grade", "hw", "--students", "nobody", "ada")
    assert r.returncode == 2 and "error: no submission of hw for: nobody (looked in " in r.stdout, r.stdout
    r = autograder(course, "grade", "hw", "--db-url", f"sqlite:///{course / 'other.db'}")
    assert r.returncode == 2 and f"run `nbgrader generate_assignment hw --db sqlite:///{course / 'other.db'}` first" \
        in r.stdout, r.stdout


def _without_bwrap(tmp_path) -> dict:
    """The environment with a PATH on which there is no bwrap (as on a machine without bubblewrap)."""
    bin_dir = tmp_path / "bin-without-bwrap"
    bin_dir.mkdir()
    return {**ENV, "PATH": path_with_bin(str(bin_dir))}


def test_without_bubblewrap_grading_stops_with_one_line(course, tmp_path):
    r = subprocess.run([str(BIN / "autograder"), "grade", "hw"], cwd=course, env=_without_bwrap(tmp_path),
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 2, r.stdout + r.stderr
    lines = [line for line in r.stdout.splitlines() if line.strip()]
    assert len(lines) == 1 and "bubblewrap" in lines[0] and "apt-get install -y bubblewrap" in lines[0], r.stdout
    assert not (course / "autograded").exists()


def test_unsandboxed_opt_out_is_announced_and_recorded(course, tmp_path):
    r = subprocess.run([str(BIN / "autograder"), "grade", "hw", "--unsandboxed", "--students", "ada", "ben"],
                       cwd=course, env=_without_bwrap(tmp_path), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("UNSANDBOXED") == 2  # at the start and in the summary
    assert gradebook_scores(course) == {"ada": 3.0, "ben": 0.0}
    for student in ("ada", "ben"):
        mark = json.loads((course / ".autograder" / "graded" / "hw" / f"{student}.json").read_text())
        assert mark["sandbox"].startswith("none")


def test_solutions_short_of_full_marks_stop_the_batch(course):
    source = course / "source" / "hw" / "hw.ipynb"
    source.write_text(source.read_text().replace("return 2 * x", "return 3 * x"))  # a broken set-up
    r = autograder(course, "grade", "hw")
    assert r.returncode == 1, r.stdout
    assert "the solutions of hw score 0/3" in r.stdout and "nothing was graded" in r.stdout
    assert "test_two" in r.stdout  # the cell that lost the points
    assert gradebook_scores(course) == {}


def _self_signed(folder) -> tuple[str, str]:
    """A certificate (its own CA) and key for 127.0.0.1, made with openssl."""
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def test_dask_cluster_secured_with_tls(course, tmp_path):
    """The cluster of docs/grading.md: Dask's own TLS (distributed.Security, require_encryption), the grader's client
    credentials in Dask's config; a client without them is refused. Grading on it gives the same scores as
    nbgrader (a plain TCP cluster grades in tests/batch/test_hostile.py, into PostgreSQL)."""
    from distributed import Client, LocalCluster, Security

    cert, key = _self_signed(tmp_path)
    security = Security(tls_ca_file=cert, tls_scheduler_cert=cert, tls_scheduler_key=key, tls_worker_cert=cert,
                        tls_worker_key=key, tls_client_cert=cert, tls_client_key=key, require_encryption=True)
    env = {**ENV, "DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "True",
           "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": cert,
           "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT": cert, "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY": key}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1", protocol="tls://", security=security) as cluster:
        assert cluster.scheduler_address.startswith("tls://")
        with pytest.raises(Exception):
            Client(cluster.scheduler_address.replace("tls://", "tcp://"), timeout="5s")  # no plain TCP
        r = subprocess.run([str(BIN / "autograder"), "grade", "hw", "--scheduler", cluster.scheduler_address],
                           cwd=course, env=env, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stdout + r.stderr
        assert f"hw: 6 to grade, 0 already graded (kept) — on Dask at {cluster.scheduler_address}" in r.stdout
        assert "the gradebook is SQLite" in r.stdout
    assert gradebook_scores(course) == EXPECTED
