"""The two tasks a grading backend runs, wherever it runs them: grade one submission, grade the solutions.

Each runs its grading in this thread's isolated worker process (own process group, time and memory limit; one per
thread, reused from submission to submission) and returns a result; a failure is a result, never an exception, so
one bad submission cannot stop the batch. Both are plain functions of picklable arguments, so a Dask worker runs
them as a local thread does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..limits import BoundExceeded, run_isolated, stop_isolated
from .gradebook_faults import GradebookFault, GradebookUnavailable, wait_for_gradebook
from .grade_one import grade_submission
from .preflight import Preflight, grade_solutions
from .results import GradingResult
from .submissions import Submission


@dataclass(frozen=True)
class Limits:
    seconds: float = 600.0  # wall time per submission, kernel included
    memory_mb: int = 4096  # address space per submission (grading process and its kernel)
    gradebook_wait: float = 60.0  # seconds a gradebook that went away (a restart, a failover) is waited for

    @property
    def memory_bytes(self) -> int:
        return self.memory_mb * 1024 * 1024


MAX_GRADINGS = 5  # gradings of one submission that gradebook faults may cost before it is reported as failed


def preload() -> None:
    """Import before any fork what every grading imports: no worker inherits an import lock held by another
    thread, and a worker forked afresh (after a timeout) does not import them again."""
    import ipykernel.kernelspec  # noqa: F401  (jupyter_client's kernel lookup; pulls in IPython)
    import nbgrader.api  # noqa: F401
    import nbgrader.apps  # noqa: F401
    import psutil  # noqa: F401
    import sqlalchemy.dialects.sqlite  # noqa: F401

    import autograder.nbgrader.execute  # noqa: F401
    import autograder.nbgrader.judge  # noqa: F401
    import autograder.sandbox  # noqa: F401


def grade_task(root: str, sub: Submission, overrides: dict, limits: Limits) -> GradingResult:
    """Grade one submission in this thread's isolated worker; always returns a result, graded or failed.

    Idempotent, so a Dask worker lost mid-way costs only a second run elsewhere: each grading first clears what
    an earlier one of the same submission left. A grading the gradebook went away under (a restart, a failover)
    is graded again once the gradebook answers, within ``limits.gradebook_wait``; the result then lists the
    faults under ``gradebook_faults``."""
    preload()
    started = time.monotonic()
    faults: list[str] = []

    def failed(error: str, **more) -> GradingResult:
        return GradingResult.failed(sub.student, sub.assignment, error, faults=faults,
                                    seconds=round(time.monotonic() - started, 3), **more)

    while True:
        try:
            record = run_isolated(grade_submission, (root, sub, overrides), timeout=limits.seconds,
                                  memory=limits.memory_bytes)
            return GradingResult.graded(record, faults)
        except GradebookFault as fault:
            faults.append(fault.reason)
            try:
                wait_for_gradebook(fault.url, limits.gradebook_wait)
            except GradebookUnavailable as exc:
                return failed(f"not graded: {exc}", gradebook_down=str(exc))
            if len(faults) >= MAX_GRADINGS:
                _cleanup(root, sub, overrides)
                return failed(f"the gradebook failed {len(faults)} gradings of it in a row: {fault.reason}")
        except BoundExceeded as exc:
            _cleanup(root, sub, overrides)
            return failed(f"grading {exc.reason}")
        except Exception as exc:  # nbgrader's own failure, reported, not raised
            _cleanup(root, sub, overrides)
            return failed(str(exc) or type(exc).__name__)


def _cleanup(root, sub, overrides):
    from nbgrader.apps import NbGraderAPI

    from .course_config import load_course_config
    from .grade_one import clear_partial

    try:
        clear_partial(root, sub, NbGraderAPI(config=load_course_config(root, overrides)).coursedir)
    except Exception:
        pass  # nothing to clean, or the gradebook is unreachable: the next run clears it


def solutions_task(root: str, assignment: str, overrides: dict, limits: Limits) -> Preflight:
    """The source notebook's solutions graded like a submission, in this thread's isolated worker (then stopped:
    the solutions are graded once, before the class)."""
    preload()
    try:
        return run_isolated(grade_solutions, (root, assignment, overrides), timeout=limits.seconds,
                            memory=limits.memory_bytes)
    except BoundExceeded as exc:
        return Preflight(assignment, 0.0, 0.0, [f"grading the solutions {exc.reason}"])
    finally:
        stop_isolated()
