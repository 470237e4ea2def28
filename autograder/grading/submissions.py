"""Which submissions an assignment has, and which of them are graded, pending, or left half-graded.

A submission counts as graded only when its journal mark exists and names the submission as it is now: the
mark is written after nbgrader's autograde has finished and its grades are saved, so a run that was
interrupted leaves no mark and the submission is graded again. Marks are the grader's own: they live in
``<course>/.autograder/graded/<assignment>/<student>.json``, outside every folder a student's files are
copied into (``submitted/``, ``autograded/``) and hidden from the grading kernel, and each holds the SHA-256
of the submitted folder it graded, so a resubmission (whatever its files' times) is graded again. A file a
student names like a mark is never read: :data:`STUDENT_PLANTED` lists the names noted when found.

>>> Submission("ps1", "alice").key
'alice/ps1'
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

GRADER_DIR = ".autograder"  # in the course root: the grader's own records, never a student's
MARKS = "graded"  # GRADER_DIR/MARKS/<assignment>/<student>.json
# Where marks used to be (autograded/<student>/<assignment>/): a student's file of that name came along with
# the submission's other files and was read as a mark. Found in a submission now, it is ignored with a note.
STUDENT_PLANTED = (".autograder-graded.json",)
HASHED_BYTES = 256 * 1024 * 1024  # a larger file counts by its size and time


@dataclass(frozen=True)
class Submission:
    assignment: str
    student: str

    @property
    def key(self) -> str:
        return f"{self.student}/{self.assignment}"

    def submitted_dir(self, root: Path) -> Path:
        return Path(root) / "submitted" / self.student / self.assignment

    def autograded_dir(self, root: Path) -> Path:
        return Path(root) / "autograded" / self.student / self.assignment

    def mark(self, root: Path) -> Path:
        """The grader's mark for this submission (see the module's docstring).

        >>> Submission("ps1", "alice").mark(Path("/course")).as_posix()
        '/course/.autograder/graded/ps1/alice.json'
        """
        return Path(root) / GRADER_DIR / MARKS / self.assignment / f"{self.student}.json"


def find_submissions(root, assignment: str, students=None) -> list[Submission]:
    """Every ``submitted/<student>/<assignment>/`` folder, sorted; ``students`` limits the list.

    A requested student with no submission is an error naming them, not a silent skip.
    """
    found = students_with(Path(root) / "submitted", assignment, students, "submission of")
    return [Submission(assignment, s) for s in found]


def students_with(base: Path, assignment: str, students=None, what: str = "submission of") -> list[str]:
    """The students with a ``base/<student>/<assignment>/`` folder, sorted; ``students`` limits the list, and a
    requested student without one is an error naming them (``no <what> <assignment> for: …``)."""
    found = sorted(p.name for p in base.iterdir() if (p / assignment).is_dir()) if base.is_dir() else []
    if students:
        missing = sorted(set(students) - set(found))
        if missing:
            raise FileNotFoundError(f"no {what} {assignment} for: {', '.join(missing)} "
                                    f"(looked in {base}/<student>/{assignment})")
        found = [s for s in found if s in set(students)]
    return found


def submission_hash(folder: Path) -> str:
    """SHA-256 of a submitted folder: every entry's relative path, kind and content, walked as ``hostile_files``
    walks a submission (never through a link; a link, FIFO or device counts by what it is, never opened).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     a = submission_hash(Path(d)); _ = (Path(d) / "x.ipynb").write_text("{}"); a != submission_hash(Path(d))
    True
    """
    from .hostile_files import HostileFile, open_folder, read_file, walk

    digest = hashlib.sha256()
    try:
        top = open_folder(folder)
    except (HostileFile, OSError) as exc:  # no folder, or a link in its place: never "graded as it is"
        return f"unreadable: {exc}"
    try:
        for parent, name, path, st, why in walk(top):
            digest.update(b"\0" + path.encode("utf-8", "surrogateescape") + b"\0")
            if why or stat.S_ISDIR(st.st_mode):
                digest.update(f"{why or 'folder'}".encode())
                continue
            try:
                data = read_file(parent, name, limit=HASHED_BYTES)
            except OSError as exc:  # over the limit, or changed since listed: its size and time stand for it
                data = f"{exc} {st.st_size} {st.st_mtime_ns}".encode()
            digest.update(b"file:" + hashlib.sha256(data or b"").digest())
    finally:
        os.close(top)
    return digest.hexdigest()


def is_graded(root, sub: Submission) -> bool:
    """Graded: the grader's mark exists and holds the hash of the submitted folder as it is now (a resubmission
    is graded again)."""
    mark = read_mark(root, sub)
    return bool(mark) and mark.get("submission_sha256") == submission_hash(sub.submitted_dir(root))


def write_mark(root, sub: Submission, result: dict, submission_sha256: str) -> None:
    """Record a finished grading of the submission whose folder hashed to ``submission_sha256`` when grading
    began (written last, atomically, in the grader's own folder)."""
    mark = sub.mark(root)
    mark.parent.mkdir(parents=True, exist_ok=True)
    tmp = mark.with_name(f".{mark.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({**result, "submission_sha256": submission_sha256}, indent=1, sort_keys=True))
    os.replace(tmp, mark)


def remove_mark(root, sub: Submission) -> None:
    """Forget a grading (its autograded copy and gradebook rows are being cleared)."""
    try:
        sub.mark(root).unlink()
    except FileNotFoundError:
        pass


def read_mark(root, sub: Submission) -> dict | None:
    try:
        mark = json.loads(sub.mark(root).read_text())
    except (OSError, ValueError):
        return None
    return mark if isinstance(mark, dict) else None


def planted_marks(folder: Path) -> list[str]:
    """The files in a submitted ``folder`` named like the grader's records (ignored, and the student told so).

    >>> planted_marks(Path("/nonexistent"))
    []
    """
    return sorted(name for name in STUDENT_PLANTED if os.path.lexists(Path(folder) / name))
