"""Which submissions an assignment has, and which of them are graded, pending, or left half-graded.

A submission counts as graded only when its journal mark exists: the mark is
written after nbgrader's autograde has finished and its grades are saved, so a
run that was interrupted leaves no mark and the submission is graded again.

>>> Submission("ps1", "alice").key
'alice/ps1'
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

MARK = ".autograder-graded.json"


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
        return self.autograded_dir(root) / MARK


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


def is_graded(root, sub: Submission) -> bool:
    """Graded, with a mark newer than every file of the submission (a resubmission is graded again)."""
    mark = sub.mark(root)
    if not mark.exists():
        return False
    newest = max((f.stat().st_mtime for f in sub.submitted_dir(root).rglob("*") if f.is_file()), default=0)
    return mark.stat().st_mtime >= newest


def write_mark(root, sub: Submission, result: dict) -> None:
    """Record a finished grading (written last, atomically)."""
    mark = sub.mark(root)
    tmp = mark.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1, sort_keys=True))
    os.replace(tmp, mark)


def read_mark(root, sub: Submission) -> dict | None:
    try:
        return json.loads(sub.mark(root).read_text())
    except (OSError, ValueError):
        return None
