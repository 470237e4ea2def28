"""Grade one submission with nbgrader's own autograde (NbGraderAPI), then record its score.

Runs in an isolated worker process that grades one submission after another (see
``autograder.limits.run_isolated``): the course's nbgrader_config.py is loaded as the
nbgrader command would load it, with overrides (the gradebook URL, the execution
timeout) on top.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from .course_config import load_course_config  # noqa: F401 - batch and commands import it from here
from .gradebook_faults import GradebookFault, take_faults, transient_error
from .nbgrader_speed import speed_up_nbgrader
from .repair import repair_submission
from .submissions import Submission, planted_marks, remove_mark, submission_hash, write_mark


def clear_partial(root, sub: Submission, coursedir) -> None:
    """Remove what an interrupted run left: the mark, the autograded folder and the submission's gradebook rows."""
    from nbgrader.api import Gradebook, MissingEntry

    remove_mark(root, sub)  # first: a mark must never outlive the grades it vouches for
    shutil.rmtree(sub.autograded_dir(root), ignore_errors=True)
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        try:
            gb.remove_submission(sub.assignment, sub.student)
        except MissingEntry:
            pass


def grade_submission(root, sub: Submission, overrides: dict | None = None) -> dict:
    """Autograde ``sub`` (forcing a fresh run) and return its result; raise if nbgrader failed, GradebookFault if
    the gradebook went away under it (what it wrote is cleared when it is graded again: see ``grade_task``)."""
    from nbgrader.apps import NbGraderAPI

    root = str(Path(root).resolve())
    os.chdir(root)
    _quiet()
    speed_up_nbgrader()
    api = NbGraderAPI(config=load_course_config(root, overrides))
    take_faults()  # only this grading's count
    try:
        return _grade(root, sub, api)
    except Exception as exc:
        faults = take_faults()
        if faults or transient_error(exc):
            raise GradebookFault(faults[0] if faults else f"{type(exc).__name__}: {exc}",
                                 api.coursedir.db_url) from None
        raise


def _grade(root: str, sub: Submission, api) -> dict:
    from nbgrader.api import Gradebook

    from autograder.nbgrader.submission_files import drop_hostile_files

    started = time.monotonic()
    _reset_peak_memory()
    clear_partial(root, sub, api.coursedir)  # what an earlier, interrupted grading left
    release = Path(api.coursedir.format_path(api.coursedir.release_directory, ".", sub.assignment))
    # links, devices and the like out first (as the course's pre-convert hook does), so repair sees plain files
    drop_hostile_files(sub.submitted_dir(root), release)
    repairs = repair_submission(sub.submitted_dir(root), release)
    repairs += [f"{name}: ignored (only the grader's own record says a submission is graded)"
                for name in planted_marks(sub.submitted_dir(root))]
    graded_as = submission_hash(sub.submitted_dir(root))  # what this run grades; a later resubmission is new
    outcome = api.autograde(sub.assignment, sub.student, force=True, create=True)
    if not outcome.get("success"):
        clear_partial(root, sub, api.coursedir)
        raise GradingFailed(_last_error(outcome))
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        submission = gb.find_submission(sub.assignment, sub.student)
        result = {
            "student": sub.student, "assignment": sub.assignment,
            "score": float(submission.score), "max_score": float(submission.max_score), "repairs": repairs,
            "seconds": round(time.monotonic() - started, 3),
            "peak_rss_mb": _peak_memory_mb(),
            "sandbox": _sandbox_used(sub.autograded_dir(root)),
        }
    write_mark(root, sub, result, graded_as)
    return result


def _sandbox_used(folder: Path) -> str:
    """How the kernels of this grading ran, as ResilientExecute recorded it in the graded notebooks (a course
    whose Execute does not record it ran SandboxedKernelManager, which the batch imposes: sandboxed iff bwrap)."""
    import json

    from autograder.nbgrader.execute import SANDBOXED, UNSANDBOXED
    from autograder.protocol import METADATA_KEY, SANDBOX_KEY

    used = set()
    for path in sorted(Path(folder).glob("*.ipynb")):
        try:
            used.add(json.loads(path.read_text())["metadata"][METADATA_KEY][SANDBOX_KEY])
        except (OSError, ValueError, KeyError, TypeError):
            used.add(SANDBOXED if shutil.which("bwrap") else UNSANDBOXED)
    return UNSANDBOXED if UNSANDBOXED in used or not used else used.pop()


def _reset_peak_memory() -> None:
    """Start this submission's peak-memory count afresh (the worker process graded others before it)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass  # not Linux: the figure is then the worker's peak so far


def _peak_memory_mb() -> float:
    """Peak resident memory of this grading process since ``_reset_peak_memory`` (the kernel is a process of
    its own, bounded by the same address-space limit and not counted here)."""
    import re
    import resource

    try:
        with open("/proc/self/status") as f:
            return round(int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1)) / 1024, 1)
    except (OSError, AttributeError):
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _quiet() -> None:
    """Send this child's own stdout/stderr (kernel warnings, SQLAlchemy chatter) to /dev/null.

    nbgrader's log is captured by the API and the useful line is returned in the result.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


class GradingFailed(RuntimeError):
    """nbgrader could not autograde a submission (its message says why)."""


def _last_error(outcome: dict) -> str:
    """The line that says what went wrong, e.g. 'DeadKernelError: Kernel died', from nbgrader's log."""
    import re

    text = "\n".join(filter(None, (outcome.get("log"), outcome.get("error"))))
    causes = [m.group(0).strip() for m in re.finditer(r"^\s*[\w.]*(?:Error|Exception)\b:?.*$", text, re.M)
              if "Please see the" not in m.group(0) and "Traceback" not in m.group(0)]
    if causes:
        return causes[-1].split("NbGraderException: ")[-1][-300:]
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return lines[-1][-300:] if lines else "nbgrader autograde failed"
