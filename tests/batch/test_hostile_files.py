"""Hostile files in a submission (tests/data/hostile/files.toml): links to the spec, to another student's notebook, to
the gradebook, to a root-only key and to /dev/zero, a notebook that is itself a link, fifos, sockets, devices,
links where the repair step writes, and links and a hard link planted in nbgrader's inbound folder after ``nbgrader
submit``. The class is graded once under ``autograder grade`` and once under plain ``nbgrader autograde`` (that
course then through ``nbgrader generate_feedback``), as root, with the course's config. Every attack must score
what the honest wrong version scores in the same run, say in the feedback which file was refused and why, and read,
write or leave nothing outside: the spec intact, nothing created outside, the key's text and the gradebook's bytes
in no graded notebook or feedback page, nothing but plain files and folders in autograded/ and feedback/."""

from __future__ import annotations

import hashlib
import os
import pwd
import secrets
import shutil
import socket
import stat
import subprocess
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from autograder.demo import ASSIGNMENT, Student, console_script, nbgrader, prepare_course, read_scores

from .test_hostile import grade, write

pytestmark = pytest.mark.e2e

DATA = tomllib.loads((Path(__file__).resolve().parents[1] / "data" / "hostile" / "files.toml").read_text())
HONEST, PEER = "f00-honest", "f99-peer"
STUDENT_UID = 65534  # the unprivileged user who submits through the exchange
COURSE_ID = "chain-rule-101"


def _answers(entry: dict) -> dict:
    answers = dict(DATA["honest"])
    if entry.get("reads"):
        answers["dL_dz"] = DATA["reader"]["dL_dz"].strip("\n").replace("{file}", entry["reads"])
    return answers


def _plant(folder: Path, entry: dict, places: dict) -> None:
    """The entry's links, plain copies and special files in ``folder`` (a submission or an inbound folder)."""
    for name, target in entry.get("links", {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        if (folder / name).exists():
            (folder / name).unlink()
        os.symlink(target.format(**places), folder / name)
    for name, target in entry.get("plain", {}).items():
        shutil.copyfile((folder / target).resolve(), folder / name)
    for name, target in entry.get("hard_links", {}).items():
        os.link(target.format(**places), folder / name)  # as root: as a student could where protected_hardlinks=0
    for item in entry.get("special", []):
        kind, name = item.split(":")
        if kind == "fifo":
            os.mkfifo(folder / name)
        elif kind == "device":
            os.mknod(folder / name, stat.S_IFCHR | 0o666, os.makedev(1, 5))  # what /dev/zero is
        elif kind == "socket":
            cwd = os.getcwd()
            os.chdir(folder)  # a relative name: a unix socket's path is limited to 108 bytes
            try:
                with socket.socket(socket.AF_UNIX) as sock:
                    sock.bind(name)
            finally:
                os.chdir(cwd)


def _class(course: Path, places: dict) -> list[tuple[Student, dict]]:
    """Every student of the data file written into ``course``'s submitted/ (plus the honest twin and the peer)."""
    release_nb = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    students = [(Student(HONEST, "the honest wrong version", dict(DATA["honest"])), {"expected": 2}),
                (Student(PEER, "right everywhere", dict(DATA["correct"])), {"expected": 10})]
    students += [(Student(e["id"], e["about"], _answers(e)), e) for e in DATA["student"]]
    for student, entry in students:
        write(course, release_nb, student, entry.get("mutate"))
    for student, entry in students:  # links after every notebook is there (some point at the peer's)
        folder = course / "submitted" / student.id / ASSIGNMENT
        if entry.get("no_notebook"):
            (folder / f"{ASSIGNMENT}.ipynb").unlink()
        _plant(folder, entry, places)
    return students


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    exe, env = console_script("nbgrader", extra_env=kwargs.pop("env", None))
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=600, env=env, **kwargs)


def _through_the_exchange(course: Path, places: dict, scratch: Path) -> tuple[str, subprocess.CompletedProcess]:
    """Release ps1, ``nbgrader submit`` it as an unprivileged student (the honest wrong version, its dL_dz cell
    reading notes.txt), plant the [exchange] files in their inbound folder, ``nbgrader collect`` as root."""
    entry = DATA["exchange"]
    exchange = scratch / "exchange"  # the student must reach it: not under pytest's 0700 folder
    flags = [f"--Exchange.root={exchange}", f"--course={COURSE_ID}"]
    proc = _run(["release_assignment", ASSIGNMENT, *flags], cwd=course)
    assert proc.returncode == 0, proc.stderr[-3000:]
    home = scratch / "student"
    (home / ASSIGNMENT).mkdir(parents=True)
    release = course / "release" / ASSIGNMENT
    for extra in release.iterdir():
        shutil.copy(extra, home / ASSIGNMENT / extra.name)
    from autograder.demo import submission_notebook

    nb = submission_notebook(nbformat.read(release / f"{ASSIGNMENT}.ipynb", as_version=4),
                             Student("exchange", entry["about"], _answers(entry)))
    nbformat.write(nb, home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    for path in [home, *home.rglob("*")]:
        os.chown(path, STUDENT_UID, STUDENT_UID)
    exe, env = console_script("nbgrader", extra_env={"HOME": str(home), "JUPYTER_DATA_DIR": str(home / ".jd")})
    submit = subprocess.run([*_as_student(Path(exe)), exe, "submit", ASSIGNMENT, *flags], cwd=home, env=env,
                            capture_output=True, text=True, timeout=300)
    assert submit.returncode == 0, submit.stderr[-3000:]
    student = pwd.getpwuid(STUDENT_UID).pw_name
    (inbound,) = (exchange / COURSE_ID / "inbound").glob(f"{student}+{ASSIGNMENT}+*")
    _plant(inbound, entry, places)
    for path in inbound.iterdir():
        if path.is_symlink():
            os.lchown(path, STUDENT_UID, STUDENT_UID)
    collect = _run(["collect", ASSIGNMENT, *flags], cwd=course)
    assert collect.returncode == 0, collect.stderr[-3000:]
    return student, collect


def _as_student(exe: Path) -> list[str]:
    """The command prefix that runs ``exe`` (this environment's console script) as the student's uid.

    A clone in a folder only root may cross (CI clones into a 0700 ``mktemp -d``) hides this environment from any
    other user: bwrap, as root, then lays a traversable tmpfs over each such folder on the way and binds back the one
    entry below it that leads to the environment; everything else is the real file system."""
    view = ["bwrap", "--dev-bind", "/", "/"]
    for folder in reversed(exe.parents):
        if folder != Path("/") and not folder.stat().st_mode & stat.S_IXOTH:
            below = next(p for p in exe.parents if p.parent == folder) if exe.parent != folder else exe
            view += ["--perms", "0755", "--tmpfs", str(folder), "--bind", str(below), str(below)]
    return [*view, "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "setpriv", f"--reuid={STUDENT_UID}",
            f"--regid={STUDENT_UID}", "--clear-groups"]


def _sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _plain_only(folder: Path) -> list[str]:
    """Anything in ``folder`` that is not a plain file or a folder (never followed)."""
    return [str(p) for p in folder.rglob("*") if not (stat.S_ISREG(p.lstat().st_mode) or
                                                      stat.S_ISDIR(p.lstat().st_mode))]


def _files_holding(folders, needle: bytes) -> list[str]:
    return [str(p) for folder in folders for p in folder.rglob("*")
            if stat.S_ISREG(p.lstat().st_mode) and needle in p.read_bytes()]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap is not installed: apt-get install -y bubblewrap (.ci/run installs it)")
    if os.geteuid() != 0:
        pytest.fail("these attacks are on a grader running as root, as graders do: run the suite as root")
    base = tmp_path_factory.mktemp("hostile-files")
    logs = tmp_path_factory.mktemp("hostile-files-logs")
    outside = base / "outside"
    outside.mkdir()
    key_text = f"KEY-{secrets.token_hex(16)}"
    key = base / "grader.key"
    key.write_text(key_text + "\n")
    key.chmod(0o600)
    scratch = Path(tempfile.mkdtemp(prefix="autograder-hostile-files-"))
    scratch.chmod(0o755)
    started, phases = time.monotonic(), {}
    try:
        by_command = {}
        template = prepare_course(base / "template")
        nbgrader(template, "generate_assignment", ASSIGNMENT, "--force")  # once: each course is a copy
        spec_sha = _sha(template / "source" / ASSIGNMENT / f"{ASSIGNMENT}.spec.toml")
        for command in ("autograder grade", "nbgrader autograde"):
            course = Path(shutil.copytree(template, base / command.split()[0]))
            places = {"key": str(key), "outside": str(outside),
                      "spec": str(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.spec.toml")}
            students = _class(course, places)
            by_command[command] = {"course": course, "students": students, "places": places}
        phases["set-up"] = time.monotonic() - started
        first, second = by_command["autograder grade"], by_command["nbgrader autograde"]

        def plain_nbgrader():
            run = nbgrader(second["course"], "autograde", ASSIGNMENT, check=False)
            (logs / "nbgrader-autograde.log").write_text(run.stdout + run.stderr)
            return run

        # the plain nbgrader course is graded while the exchange runs on the other one (whose class then also
        # holds the collected student), then both are graded side by side
        with ThreadPoolExecutor(max_workers=1) as pool:
            plain = pool.submit(plain_nbgrader)
            exchange_student, collect = _through_the_exchange(first["course"], first["places"], scratch)
            phases["exchange"] = time.monotonic() - started - sum(phases.values())
            first["run"] = grade(first["course"], logs / "autograder-grade.log")
            second["run"] = plain.result()
        phases["grading"] = time.monotonic() - started - sum(phases.values())
        # generate_feedback once (the copy autograded -> feedback is the same code whichever command graded):
        # on the plain nbgrader course, with a link as a grading from before this check could have left it
        os.symlink(second["places"]["spec"], second["course"] / "autograded" / PEER / ASSIGNMENT / "late.txt")
        second["feedback"] = nbgrader(second["course"], "generate_feedback", ASSIGNMENT, "--force")
        for v in by_command.values():
            v["scores"] = {s: sum(steps.values()) for s, steps in read_scores(v["course"]).items()}
            v["spec_intact"] = _sha(v["places"]["spec"]) == spec_sha
        phases["feedback"] = time.monotonic() - started - sum(phases.values())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return dict(by_command=by_command, outside=outside, key_text=key_text, exchange_student=exchange_student,
                collect=collect, logs=logs, seconds=time.monotonic() - started, phases=phases)


COMMANDS = ("autograder grade", "nbgrader autograde")


def _collected(graded, command) -> set:
    """The student collected through the exchange, in the class of the course it was collected into."""
    return {graded["exchange_student"]} if command == "autograder grade" else set()


@pytest.mark.parametrize("command", COMMANDS)
def test_the_whole_class_is_graded(graded, command):
    v = graded["by_command"][command]
    assert v["run"].returncode == 0, v["run"].stdout[-3000:] + v["run"].stderr[-3000:]
    expected = {s.id for s, _ in v["students"]} | _collected(graded, command)
    assert set(v["scores"]) == expected, v["run"].stdout[-3000:] + v["run"].stderr[-3000:]


@pytest.mark.parametrize("command", COMMANDS)
def test_each_attack_scores_the_honest_wrong_version(graded, command):
    v = graded["by_command"][command]
    scores = v["scores"]
    assert scores[HONEST] == 2 and scores[PEER] == 10  # the twin, and the peer whose notebook is linked to
    got = {s.id: scores[s.id] for s, _ in v["students"]} | {"exchange": scores[s] for s in _collected(graded, command)}
    want = {s.id: entry["expected"] for s, entry in v["students"]} | {
        "exchange": DATA["exchange"]["expected"] for _ in _collected(graded, command)}
    assert got == want
    for student, entry in v["students"]:  # every attack but the two whose honest version differs: the twin's
        if not entry.get("no_notebook") and not entry.get("plain") and student.id != PEER:
            assert scores[student.id] == scores[HONEST], student.id


def _what_the_student_reads(course: Path, student: str) -> str:
    """The feedback page where one was made, else the graded notebook's markdown it is made from."""
    page = course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
    if page.exists():
        return page.read_text()
    nb = nbformat.read(course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    import markdown_it

    return "\n".join(markdown_it.MarkdownIt().render(c.source) for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.parametrize("command", COMMANDS)
def test_the_feedback_says_which_file_was_refused_and_why(graded, command):
    v = graded["by_command"][command]
    entries = [(s.id, e) for s, e in v["students"]] + [(s, DATA["exchange"]) for s in _collected(graded, command)]
    for student, entry in entries:
        text = _what_the_student_reads(v["course"], student)
        for phrase in entry.get("feedback", []):
            assert phrase in text, (student, phrase)
    assert "refused" not in _what_the_student_reads(v["course"], HONEST)  # near miss: nothing to say, nothing said


@pytest.mark.parametrize("command", COMMANDS)
def test_nothing_outside_is_read_written_or_handed_back(graded, command):
    v = graded["by_command"][command]
    course = v["course"]
    assert v["spec_intact"]
    assert list(graded["outside"].iterdir()) == []
    handed = [course / "autograded", course / "feedback"]
    assert _files_holding(handed, graded["key_text"].encode()) == []
    assert _files_holding(handed + [course / "submitted"], b"SQLite format 3") == []
    own_copy = {s.id for s, e in v["students"] if e.get("plain")}  # the near miss handed in the spec's text itself
    spec_text = [p for p in _files_holding(handed, b"reference = ") if Path(p).parts[-3] not in own_copy]
    assert spec_text == [] and own_copy
    assert graded["key_text"] not in v["run"].stdout + v["run"].stderr + (v.get("feedback") or v["run"]).stderr
    assert _plain_only(course / "autograded") == [] and _plain_only(course / "feedback") == []
    assert _plain_only(course / "submitted") == []  # the links were removed (never their targets)
    if "feedback" in v:
        assert not os.path.lexists(course / "feedback" / PEER / ASSIGNMENT / "late.txt")  # not handed back
        assert (course / "feedback" / PEER / ASSIGNMENT / f"{ASSIGNMENT}.html").exists()  # near miss: the page is
    peer = nbformat.read(course / "submitted" / PEER / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    assert any("a - y" in c.source for c in peer.cells)  # the linked-to notebook is untouched


def test_collect_stores_no_link_target(graded):
    course = graded["by_command"]["autograder grade"]["course"]
    entry = DATA["exchange"]
    folder = course / "submitted" / graded["exchange_student"]
    names = {p.name for p in (folder / ASSIGNMENT).iterdir()}
    assert f"{ASSIGNMENT}.ipynb" in names and "timestamp.txt" in names  # near miss: the submission itself is there
    assert not names & {*entry["links"], *entry["hard_links"]}
    refused = (folder / f".{ASSIGNMENT}.autograder-refused.json").read_text()
    for name in (*entry["links"], *entry["hard_links"]):
        assert f"{ASSIGNMENT}/{name}" in refused
        assert name in graded["collect"].stderr  # the instructor sees it too


def test_the_dev_zero_link_costs_no_more_than_a_submission(graded):
    """A copy following /dev/zero never ends; refused, it is one submission's grading. The whole module (two
    courses graded, the exchange, feedback) is timed here: the figure the report gives."""
    table = (graded["logs"] / "autograder-grade.log").read_text()
    line = next(l for l in table.splitlines() if "f06-link-to-dev-zero" in l)
    assert "failed" not in line.lower(), line
    print(f"\nhostile files module: {graded['seconds']:.1f} s", {k: round(v, 1) for k, v in graded["phases"].items()})
