"""Run by tests/batch/test_exchange_isolation.py as student B: every way B tries to read what is not B's.

Prints one JSON object, attempt -> result: ``"refused <errno name>"`` or what B got (``"read <n> bytes"``,
``"listed <names>"``, ``"renamed"``).

Usage: python exchange_attempts.py SETTINGS_JSON  (exchange, course_id, a (A's user name), a_timestamp, a_home,
course (the instructor's course folder), a_submission and a_plain_submission (the names of A's two submissions in
the inbound folder, made by the course's submit and by nbgrader's own))
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sys


def attempt(action) -> str:
    try:
        return action()
    except OSError as exc:
        return f"refused {errno.errorcode.get(exc.errno, exc.errno)}"


def read(path: str) -> str:
    with open(path, "rb") as f:
        return f"read {len(f.read())} bytes"


def listed(path: str) -> str:
    return f"listed {sorted(os.listdir(path))}"


def main(settings: dict) -> dict:
    course_dir = os.path.join(settings["exchange"], settings["course_id"])
    inbound, feedback = os.path.join(course_dir, "inbound"), os.path.join(course_dir, "feedback")
    a, stamp = settings["a"], settings["a_timestamp"]
    # A's submission, named as nbgrader names it but for its random part, which B cannot know
    guessed = os.path.join(inbound, f"{a}+ps1+{stamp}")
    cache = os.path.join(settings["a_home"], ".local/share/jupyter/nbgrader_cache", settings["course_id"],
                         f"{a}+ps1+{stamp}")
    course = settings["course"]
    found = {
        "list inbound": attempt(lambda: listed(inbound)),
        "read A's submission by its guessed name": attempt(lambda: read(os.path.join(guessed, "ps1.ipynb"))),
        "list A's submission folder by its guessed name": attempt(lambda: listed(guessed)),
        # were B to learn the whole name: closed by the course's GroupPrivateSubmit, open with nbgrader's own submit
        "read A's submission by its exact name": attempt(lambda: read(os.path.join(
            inbound, settings["a_submission"], "ps1.ipynb"))),
        "read A's submission made by nbgrader's own submit, by its exact name": attempt(lambda: read(os.path.join(
            inbound, settings["a_plain_submission"], "ps1.ipynb"))),
        "list feedback": attempt(lambda: listed(feedback)),
        # the feedback's name is md5(submission secret + notebook): without A's secret, B can only guess
        "read A's feedback by a guessed name": attempt(lambda: read(os.path.join(
            feedback, hashlib.md5(b"ps1").hexdigest() + ".html"))),
        "read A's nbgrader cache (submission secret)": attempt(lambda: read(os.path.join(cache,
                                                                                         "submission_secret.txt"))),
        "read A's feedback through A's cached secret": attempt(lambda: read(os.path.join(
            feedback, hashlib.md5(open(os.path.join(cache, "submission_secret.txt"), "rb").read() + b"ps1").hexdigest()
            + ".html"))),
        "read A's fetched notebook": attempt(lambda: read(os.path.join(settings["a_home"], "ps1", "ps1.ipynb"))),
        "list the instructor's course": attempt(lambda: listed(course)),
        "read the spec with the references": attempt(lambda: read(os.path.join(course, "source/ps1/ps1.spec.toml"))),
        "read gradebook.db": attempt(lambda: read(os.path.join(course, "gradebook.db"))),
        "read the judge key": attempt(lambda: read(os.path.join(course, ".autograder/judge.key"))),
        # with nbgrader's own root (0777, no sticky bit) B could move the course aside and put up an inbound of B's
        "rename the course's exchange folder": attempt(
            lambda: (os.rename(course_dir, course_dir + "-moved"), "renamed")[1]),
    }
    return found


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
