"""Isolation between users through nbgrader's exchange (issue 27 item 4): real users, real nbgrader commands.

An instructor and two students, A and B, each a system user created here (homes 0700) and removed afterwards. The
exchange is nbgrader's own, made by its commands (the root world-writable and, with the course's
``StickyReleaseAssignment``, sticky). The instructor releases ps1; each student fetches it, answers (A as the demo's
alice, B as bob) and submits as themselves (with ``GroupPrivateSubmit``, as a hub's config for students would
have it); the instructor collects, autogrades, generates and releases feedback
with the course's config; each student fetches their feedback. Then B tries everything that is not B's (the
attempts are in ``exchange_attempts.py``): each is refused, while B's and A's own feedback reach them. One leak is
shown for what it is: with a home readable by others (Debian's useradd default, 0755), B reads A's submission
secret from A's nbgrader cache and with it A's feedback; homes must be 0700.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

from autograder.demo import load_class, prepare_course, read_scores, submission_notebook

from .system_users import as_user, chown_tree, require_root, system_users

pytestmark = pytest.mark.e2e

COURSE_ID = "chain-rule-101"  # the course's nbgrader_config.py
ATTEMPTS = Path(__file__).with_name("exchange_attempts.py")
AS_STUDENT = {"a": "alice", "b": "bob"}  # which demo student's answers each student hands in
PRIVATE = "autograder.nbgrader.submit.GroupPrivateSubmit"
PLAIN = "nbgrader.exchange.default.submit.ExchangeSubmit"


@pytest.fixture(scope="module")
def course_life():
    """The whole life through the exchange; yields what the attempts need and the commands' results."""
    require_root()
    top = Path(tempfile.mkdtemp(prefix="agx-", dir="/tmp"))  # outside pytest's 0700 folder: every user crosses it
    top.chmod(0o755)
    exchange = top / "exchange"  # made by the instructor's release_assignment (the course's StickyReleaseAssignment)
    try:
        with system_users("ins", "sta", "stb") as (ins, a, b):
            os.chown(top, ins.uid, ins.gid)
            course = prepare_course(ins.home / "course")
            with open(course / "nbgrader_config.py", "a", encoding="utf-8") as f:
                f.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
            chown_tree(course, ins)
            # what a hub's system-wide nbgrader config gives students: the course's exchange, its private submit
            flags = [f"--course={COURSE_ID}", f"--Exchange.root={exchange}"]

            def instructor(*args):
                done = as_user(ins, ["nbgrader", *args], course)
                assert done.returncode == 0, f"nbgrader {args}: {done.stderr[-3000:]}"
                return done

            def student(user, *args, check=True, submit=PRIVATE):
                done = as_user(user, ["nbgrader", *args, *flags, f"--ExchangeFactory.submit={submit}"], user.home)
                assert done.returncode == 0 or not check, f"nbgrader {args} as {user.name}: {done.stderr[-3000:]}"
                return done

            instructor("generate_assignment", "ps1", "--force")
            instructor("release_assignment", "ps1", "--force")
            root_mode = exchange.stat().st_mode
            demo = {s.id: s for s in load_class("ps1")}
            for user, role in ((a, "a"), (b, "b")):
                student(user, "fetch_assignment", "ps1")
                fetched = user.home / "ps1" / "ps1.ipynb"
                nbformat.write(submission_notebook(nbformat.read(fetched, as_version=4), demo[AS_STUDENT[role]]),
                               fetched)
                chown_tree(user.home / "ps1", user)
                student(user, "submit", "ps1")
            instructor("collect", "ps1")
            instructor("autograde", "ps1")
            instructor("generate_feedback", "ps1")
            instructor("release_feedback", "ps1")
            fetched_feedback = {role: student(user, "fetch_feedback", "ps1") for role, user in (("a", a), ("b", b))}
            submitted = sorted((course / "submitted").iterdir())
            inbound = exchange / COURSE_ID / "inbound"
            (a_private,) = [p.name for p in inbound.iterdir() if p.name.startswith(a.name + "+")]
            student(a, "submit", "ps1", submit=PLAIN)  # again, with nbgrader's own submit
            (a_plain,) = [p.name for p in inbound.iterdir() if p.name.startswith(a.name + "+") and p.name != a_private]
            a_stamp = (course / "submitted" / a.name / "ps1" / "timestamp.txt").read_text().strip()
            settings = {"exchange": str(exchange), "course_id": COURSE_ID, "a": a.name, "a_timestamp": a_stamp,
                        "a_home": str(a.home), "course": str(course), "a_submission": a_private,
                        "a_plain_submission": a_plain}

            def attempts_by(user) -> dict:
                done = as_user(user, ["python", str(ATTEMPTS), json.dumps(settings)], user.home)
                assert done.returncode == 0, done.stderr[-3000:]
                return json.loads(done.stdout)

            yield {"ins": ins, "a": a, "b": b, "course": course, "exchange": exchange, "submitted": submitted,
                   "scores": read_scores(course), "root_mode": root_mode, "fetch_feedback": fetched_feedback, "attempts_by": attempts_by,
                   "student": student, "instructor": instructor}
    finally:
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(scope="module")
def b_attempts(course_life):
    return course_life["attempts_by"](course_life["b"])


def feedback_of(user) -> list[Path]:
    return sorted((user.home / "ps1" / "feedback").glob("*/ps1.html"))


def test_the_life_through_the_exchange_grades_each_student_as_themselves(course_life):
    a, b = course_life["a"], course_life["b"]
    assert [p.name for p in course_life["submitted"]] == sorted([a.name, b.name])
    expected = {s.id: s.expected for s in load_class("ps1")}
    assert course_life["scores"] == {a.name: expected["alice"], b.name: expected["bob"]}


def test_the_exchange_root_nbgrader_made_is_sticky(course_life):
    import stat

    assert stat.S_IMODE(course_life["root_mode"]) == 0o1777


def test_each_student_fetches_their_own_feedback(course_life):
    """The near miss of every attempt below: what is theirs reaches each of them."""
    for role, demo in AS_STUDENT.items():
        user = course_life[role]
        pages = feedback_of(user)
        assert len(pages) == 1, course_life["fetch_feedback"][role].stderr[-2000:]
        assert pages[0].stat().st_uid == user.uid
        total = sum(next(s for s in load_class("ps1") if s.id == demo).expected.values())
        assert f"Score: {total:g}" in pages[0].read_text() or f"{total:g} / 10" in pages[0].read_text()


def test_nbgrader_list_inbound_shows_b_no_submission_and_the_instructor_both(course_life):
    """A student cannot list inbound (0733), so nbgrader's own listing shows B nothing, not even B's; the
    instructor's lists both (the near miss)."""
    b, a = course_life["b"], course_life["a"]
    listed = course_life["student"](b, "list", "--inbound")
    assert a.name not in listed.stdout + listed.stderr and "+ps1+" not in listed.stdout + listed.stderr
    listed = course_life["instructor"]("list", "--inbound")
    assert a.name in listed.stdout + listed.stderr and b.name in listed.stdout + listed.stderr


REFUSED = {
    "list inbound": "EACCES",
    "read A's submission by its guessed name": "ENOENT",  # the name ends in 12 random characters
    "list A's submission folder by its guessed name": "ENOENT",
    "read A's submission by its exact name": "EACCES",  # GroupPrivateSubmit: 0770, the instructor's group
    "list feedback": "EACCES",
    "read A's feedback by a guessed name": "ENOENT",
    "read A's nbgrader cache (submission secret)": "EACCES",
    "read A's feedback through A's cached secret": "EACCES",
    "read A's fetched notebook": "EACCES",
    "list the instructor's course": "EACCES",
    "read the spec with the references": "EACCES",
    "read gradebook.db": "EACCES",
    "read the judge key": "EACCES",
    "rename the course's exchange folder": "EPERM",  # the sticky bit
}


def test_every_attempt_of_b_on_what_is_not_bs_is_refused(b_attempts):
    plain = "read A's submission made by nbgrader's own submit, by its exact name"
    assert {k: v for k, v in b_attempts.items() if k != plain} == {
        name: f"refused {code}" for name, code in REFUSED.items()}
    # the near miss: nbgrader's own submit leaves it to anyone who learns the name
    assert b_attempts[plain].startswith("read ")


def test_a_reads_what_b_was_refused_of_as(course_life):
    """The near miss of the attempts on A's things: run by A, the same lines read them (A's own home, cache and
    feedback); the instructor's course stays closed to A too."""
    a_own = course_life["attempts_by"](course_life["a"])
    for name in ("read A's nbgrader cache (submission secret)", "read A's feedback through A's cached secret",
                 "read A's fetched notebook"):
        assert a_own[name].startswith("read "), (name, a_own[name])
    for name in ("read the spec with the references", "read gradebook.db", "read the judge key"):
        assert a_own[name] == "refused EACCES", (name, a_own[name])


def test_a_home_readable_by_others_leaks_the_feedback(course_life):
    """nbgrader's feedback is named md5(submission secret + notebook), and the secret sits in the student's nbgrader
    cache: with Debian's default home mode (0755) B reads A's feedback. Homes must be 0700."""
    a = course_life["a"]
    a.home.chmod(0o755)
    try:
        leaked = course_life["attempts_by"](course_life["b"])
    finally:
        a.home.chmod(0o700)
    assert leaked["read A's feedback through A's cached secret"].startswith("read ")
    assert leaked["list inbound"] == "refused EACCES"  # the exchange itself still holds
