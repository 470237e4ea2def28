"""The grader's seal on the verdicts it writes into a graded notebook, so regrading trusts only its own.

``JudgeAnswers`` keeps, in each check cell's metadata, the verdict and what the kernel recorded; ``autograder
regrade`` judges that again without a kernel. The autograded notebook is made from the student's file, and a
student can write any metadata: a record regrading reads must therefore carry an HMAC-SHA256, over who and
what was graded and every check cell's record, with a key only the grader holds
(``<course>/.autograder/judge.key``, 0600, created on first use: the sandbox hides the course from every kernel,
so no student code can read it). A notebook without the seal, or whose seal does not match, is not trusted.

>>> key = b"k" * 32
>>> nb = nbformat.v4.new_notebook()
>>> seal(nb, key, ("alice", "ps1", "ps1")); broken_seal(nb, key, ("alice", "ps1", "ps1")) is None
True
>>> broken_seal(nb, key, ("bob", "ps1", "ps1"))
'the grader did not write its recorded answers as they are now (its seal does not match)'
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

import nbformat

from autograder.grading.submissions import GRADER_DIR

from ..protocol import METADATA_KEY, SEAL_KEY, SPEC_HASH_KEY, recorded_step

KEY_FILE = "judge.key"


def key_path(config) -> Path:
    """Where the judging key of the course ``config`` (nbgrader's) is: ``JudgeAnswers.seal_key`` if set, else
    ``<course>/.autograder/judge.key``."""
    from nbgrader.coursedir import CourseDirectory

    chosen = config.JudgeAnswers.get("seal_key") if "JudgeAnswers" in config else None
    return Path(chosen) if chosen else Path(CourseDirectory(config=config).root) / GRADER_DIR / KEY_FILE


def judge_key(path) -> bytes:
    """The judging key in the file ``path``, made once, atomically, readable by the grader only: two graders
    starting together both end up with the first one's key."""
    path = Path(path)
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    try:
        os.link(tmp, path)  # fails if another grader made it first: theirs is the key
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    key = path.read_text().strip()
    if len(key) < 64:
        raise ValueError(f"{path} is not a judging key (delete it to make a new one, then grade again)")
    return key.encode()


def seal(nb, key: bytes, who: tuple[str, str, str]) -> None:
    """Sign the records of ``nb``'s check cells for ``who`` = (student, assignment, notebook)."""
    nb.metadata.setdefault(METADATA_KEY, {})[SEAL_KEY] = _mac(nb, key, who)


def broken_seal(nb, key: bytes, who: tuple[str, str, str]) -> str | None:
    """Why the records of ``nb`` are not the grader's for ``who``, or None when its seal matches."""
    found = nb.metadata.get(METADATA_KEY, {}).get(SEAL_KEY) if isinstance(nb.metadata.get(METADATA_KEY), dict) \
        else None
    if not isinstance(found, str):
        return "it carries no seal of this grader (graded before verdicts were sealed, or not by this grader)"
    if not hmac.compare_digest(found, _mac(nb, key, who)):
        return "the grader did not write its recorded answers as they are now (its seal does not match)"
    return None


def _mac(nb, key: bytes, who) -> str:
    """HMAC of who was graded, the spec's hash and every check cell's grade id and record, in order: a
    record moved to another cell, student or notebook, or any changed byte of one, breaks it."""
    records = [(cell.metadata.get("nbgrader", {}).get("grade_id"), cell.metadata.get(METADATA_KEY))
               for cell in nb.cells if recorded_step(cell) is not None]
    spec = nb.metadata.get(METADATA_KEY, {}).get(SPEC_HASH_KEY)
    payload = json.dumps([list(who), spec, records], sort_keys=True, default=str, ensure_ascii=True)
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
