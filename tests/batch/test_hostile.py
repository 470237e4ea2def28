"""The hostile corpus: every attack gets its expected score and a message, the batch completes,
nobody else's grade moves, nothing is written outside the course, and no connection from student code
reaches anything. The attacks on what the grading process can reach (h48–h50: the spec, a shell searching the
machine, the network) are graded again on a Dask cluster, into a PostgreSQL gradebook, whose ports they try to
reach: a kernel a Dask worker starts must see no more than a local one. The caps on disk and processes (h51–h53)
are the sandbox's own, whoever starts the kernel, and are graded locally only.

The two honest demo students graded beside the attacks must get their hand-worked expected scores
(tests/data/demo_class/ps1/), which is what they get in a class of their own (tests/e2e/test_demo_class.py)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from autograder.demo import (ASSIGNMENT, Student, console_script, load_class, nbgrader, prepare_course, read_scores,
                             submission_notebook)

pytestmark = pytest.mark.e2e

CORPUS = Path(__file__).resolve().parents[1] / "data" / "hostile" / "ps1.toml"
STEPS = ("dL_da", "da_dz", "dL_dz_chain", "dL_dz", "simplify_dL_da")
CONTROLS = ("alice", "bob")  # demo students graded beside the attacks and alone
DASK_ATTACKS = ("h48-", "h49-", "h50-")  # also graded on the Dask path


def load_corpus(outside: Path, ports=()):
    data = tomllib.loads(CORPUS.read_text(encoding="utf-8"))
    students = []
    for entry in data["student"]:
        answers = {**data["correct"], **entry.get("answers", {})}
        answers = {k: v.strip("\n").replace("{outside}", str(outside / entry["id"])).replace("{ports}", repr(list(ports)))
                   for k, v in answers.items()}
        expected = {step: 2.0 for step in STEPS} | {k: float(v) for k, v in entry.get("expected", {}).items()}
        students.append((Student(id=entry["id"], about=entry.get("about", ""), answers=answers,
                                 edits=dict(entry.get("edits", {})), expected=expected),
                         entry.get("mutate"), entry.get("feedback", [])))
    return students


def mutate(path: Path, how: str | None) -> None:
    if how is None:
        return
    if how == "invalid_json":
        path.write_text(path.read_text()[:-40])
    elif how == "empty_file":
        path.write_bytes(b"")
    elif how == "not_notebook":
        path.write_text('{"hello": "world"}')
    elif how == "binary":
        path.write_bytes(bytes(range(256)) * 64)
    elif how == "strip_ids":
        nb = nbformat.read(path, as_version=4)
        raw = nbformat.writes(nb).replace('"id": ', '"_id": ')
        path.write_text(raw)
    elif how.startswith("duplicate_graded:") or how.startswith("delete:"):
        action, grade_id = how.split(":")
        nb = nbformat.read(path, as_version=4)
        index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        if action == "delete":
            del nb.cells[index]
        else:
            copy = nbformat.from_dict(nb.cells[index])
            copy.id = "pasted-copy"
            nb.cells.insert(index + 1, copy)
        nbformat.write(nb, path)
    else:
        raise ValueError(f"unknown mutation {how!r}")


def write(course: Path, release_nb, student: Student, how=None) -> None:
    folder = course / "submitted" / student.id / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(submission_notebook(release_nb, student), folder / f"{ASSIGNMENT}.ipynb")
    for extra in (course / "release" / ASSIGNMENT).iterdir():
        if extra.suffix != ".ipynb":
            shutil.copy2(extra, folder / extra.name)
    mutate(folder / f"{ASSIGNMENT}.ipynb", how)


def grade(course: Path, log: Path, *args):
    """``autograder grade`` in ``course``; its output is also kept in ``log`` (its table gives each submission's
    seconds)."""
    exe, env = console_script("autograder", extra_env={"COLUMNS": "200"})
    run = subprocess.run([exe, "grade", ASSIGNMENT, "--jobs", "2", "--cell-timeout", "5", *args], cwd=course,
                         env=env, capture_output=True, text=True, timeout=900)
    log.write_text(run.stdout + run.stderr, encoding="utf-8")
    return run


def scores_in(db_url: str) -> dict:
    """{student: {step: points}} in the gradebook at ``db_url`` (read_scores reads a course's SQLite file)."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        return {sub.student.id: {g.name.removesuffix("-check"): g.score for g in sub.notebooks[0].grades}
                for sub in gb.assignment_submissions(ASSIGNMENT)}


class Listener:
    """A TCP port on 127.0.0.1 that records every connection it accepts."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                self.accepted.append(self.sock.accept()[1])
            except OSError:
                return


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap is not installed: apt-get install -y bubblewrap (.ci/run installs it)")
    base = tmp_path_factory.mktemp("hostile")
    logs = tmp_path_factory.mktemp("hostile-logs")  # not in base, where nothing may appear
    outside = base / "outside"
    outside.mkdir()
    before_outside = set(base.rglob("*"))
    controls = [s for s in load_class() if s.id in CONTROLS]

    from distributed import LocalCluster

    from .postgres import postgres_server

    listener = Listener()
    with postgres_server() as db_url, LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                                   dashboard_address=None, host="127.0.0.1") as cluster:
        from sqlalchemy.engine import make_url

        scheduler_port = int(cluster.scheduler_address.rsplit(":", 1)[1])
        ports = [listener.port, make_url(db_url).port, scheduler_port]
        corpus = load_corpus(outside, ports)

        course = prepare_course(base / "course")
        nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
        release_nb = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
        for student, how, _ in corpus:
            write(course, release_nb, student, how)
        for s in controls:
            write(course, release_nb, s)
        run = grade(course, logs / "grade-course.log")
        # the feedback pages are made while the Dask cluster grades (nbgrader's conversion needs no kernel)
        pool = ThreadPoolExecutor(max_workers=1)
        feedback = pool.submit(nbgrader, course, "generate_feedback", ASSIGNMENT, "--force")

        # the attacks on what a worker's kernel could reach, again on the Dask cluster, into PostgreSQL
        on_dask = prepare_course(base / "dask")
        nbgrader(on_dask, "generate_assignment", ASSIGNMENT, "--force", f"--CourseDirectory.db_url={db_url}")
        sandbox_attacks = [(s, how, phrases) for s, how, phrases in corpus if s.id.startswith(DASK_ATTACKS)]
        for student, how, _ in sandbox_attacks:
            write(on_dask, release_nb, student, how)
        for s in controls:
            write(on_dask, release_nb, s)
        dask_run = grade(on_dask, logs / "grade-dask.log", "--scheduler", cluster.scheduler_address,
                         "--db-url", db_url)
        dask_scores = scores_in(db_url)
        feedback.result()  # raises with nbgrader's output if it failed
        pool.shutdown()
    listener.sock.close()
    created = {p for p in set(base.rglob("*")) - before_outside
               if not any(p.is_relative_to(base / name) for name in ("course", "dask"))}
    return dict(run=run, scores=read_scores(course), controls=controls, corpus=corpus, course=course,
                created=created, outside=outside, dask_run=dask_run, dask_scores=dask_scores,
                sandbox_attacks=sandbox_attacks, accepted=listener.accepted, on_dask=on_dask)


def test_corpus_is_large():
    assert len(tomllib.loads(CORPUS.read_text())["student"]) >= 40


def test_the_batch_completes(graded):
    run = graded["run"]
    assert "to grade" in run.stdout
    every = {s.id for s, _, _ in graded["corpus"]} | set(CONTROLS)
    assert set(graded["scores"]) == every, run.stdout[-3000:]


@pytest.mark.parametrize("index", range(53))
def test_each_attack_gets_its_expected_score(graded, index):
    student, how, _ = graded["corpus"][index]
    assert graded["scores"][student.id] == student.expected, student.about or student.id


def test_feedback_says_what_happened(graded):
    for student, _, phrases in graded["corpus"]:
        html = (graded["course"] / "feedback" / student.id / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        for phrase in phrases:
            assert phrase in html, (student.id, phrase)


def test_every_lost_point_comes_with_a_sentence(graded):
    for student, _, _ in graded["corpus"]:
        nb = nbformat.read(graded["course"] / "autograded" / student.id / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                           as_version=4)
        verdicts = {c.metadata["autograder"]["step"]: c.metadata["autograder"] for c in nb.cells
                    if "autograder" in c.metadata}
        for step, points in student.expected.items():
            if points < 2:
                assert len(verdicts[step]["feedback"]) > 10, (student.id, step, verdicts[step])


def test_other_students_grades_do_not_move(graded):
    for student in graded["controls"]:
        assert graded["scores"][student.id] == student.expected, student.id


def test_nothing_is_created_outside_the_course(graded):
    assert graded["created"] == set()
    assert list(graded["outside"].iterdir()) == []
    assert (graded["course"] / "source" / ASSIGNMENT / f"{ASSIGNMENT}.spec.toml").exists()  # h13 deleted nothing


def test_no_connection_from_student_code_reaches_anything(graded):
    assert graded["accepted"] == []  # the listener on the grader's 127.0.0.1 (PostgreSQL and Dask: see h50's score)


def test_the_sandbox_attacks_score_the_same_on_dask(graded):
    run = graded["dask_run"]
    assert "Dask at" in run.stdout, run.stdout[-3000:]
    assert len(graded["sandbox_attacks"]) == len(DASK_ATTACKS)  # the ids are still in the corpus
    for student, _, _ in graded["sandbox_attacks"]:
        assert graded["dask_scores"].get(student.id) == student.expected, (student.id, run.stdout[-3000:])
    for student in graded["controls"]:
        assert graded["dask_scores"][student.id] == student.expected, student.id


def test_every_submission_records_that_it_was_sandboxed(graded):
    import json

    for course in (graded["course"], graded["on_dask"]):
        marks = list(course.glob(f".autograder/graded/{ASSIGNMENT}/*.json"))
        assert {m.stem for m in marks} >= set(CONTROLS), marks  # the grader's marks are where it keeps them
        for mark in marks:
            assert json.loads(mark.read_text())["sandbox"].startswith("bubblewrap"), mark
