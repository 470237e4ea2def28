"""Run many gradings: on N local processes or on a Dask cluster, with the same task either way.

Each task grades one submission in an isolated worker process (own process group, time
and memory limit; one per thread, reused from submission to submission) and returns a
plain dict; a failure is a result, never an exception, so one bad submission cannot stop
the batch.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ..limits import BoundExceeded, kill_isolated, run_isolated, stop_isolated
from .grade_one import grade_submission, load_course_config
from .gradebook_faults import GradebookFault, GradebookUnavailable, wait_for_gradebook
from .preflight import Preflight, grade_solutions
from .submissions import Submission, find_submissions, is_graded, read_mark


@dataclass(frozen=True)
class Limits:
    seconds: float = 600.0  # wall time per submission, kernel included
    memory_mb: int = 4096  # address space per submission (grading process and its kernel)
    gradebook_wait: float = 60.0  # seconds a gradebook that went away (a restart, a failover) is waited for


MAX_GRADINGS = 5  # gradings of one submission that gradebook faults may cost before it is reported as failed


@dataclass
class BatchResult:
    results: list = field(default_factory=list)  # one dict per submission handled in this run
    skipped: list = field(default_factory=list)  # already graded (kept as they were)

    @property
    def failed(self) -> list:
        return [r for r in self.results if r["status"] != "graded"]


def _preload() -> None:
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


def grade_task(root: str, sub: Submission, overrides: dict, limits: Limits) -> dict:
    """Grade one submission in this thread's isolated worker; always returns a result dict with a ``status``.

    Idempotent, so a Dask worker lost mid-way costs only a second run elsewhere: each grading first clears what
    an earlier one of the same submission left. A grading the gradebook went away under (a restart, a failover)
    is graded again once the gradebook answers, within ``limits.gradebook_wait``; the result then lists the
    faults under ``gradebook_faults``."""
    _preload()
    started = time.monotonic()
    base = {"student": sub.student, "assignment": sub.assignment}
    faults: list[str] = []

    def failed(error: str, **more) -> dict:
        return {**base, "status": "failed", "error": error, "seconds": round(time.monotonic() - started, 3),
                **({"gradebook_faults": faults} if faults else {}), **more}

    while True:
        try:
            result = run_isolated(grade_submission, (root, sub, overrides), timeout=limits.seconds,
                                  memory=limits.memory_mb * 1024 * 1024)
            return {**result, "status": "graded", **({"gradebook_faults": faults} if faults else {})}
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

    from .grade_one import clear_partial, load_course_config

    try:
        clear_partial(root, sub, NbGraderAPI(config=load_course_config(root, overrides)).coursedir)
    except Exception:
        pass  # nothing to clean, or the gradebook is unreachable: the next run clears it


class NotReleased(RuntimeError):
    """The gradebook does not know the assignment yet (nbgrader generate_assignment was not run on it)."""


def check_gradebook(root, assignment: str, overrides: dict | None = None, wait: float = Limits.gradebook_wait) -> str:
    """The gradebook's URL; fail early, with the command that fixes it, when it has no notebooks for ``assignment``
    (GradebookUnavailable when it does not answer within ``wait`` seconds)."""
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.apps import NbGraderAPI

    coursedir = NbGraderAPI(config=load_course_config(root, overrides)).coursedir
    wait_for_gradebook(coursedir.db_url, wait)
    try:
        with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
            if gb.find_assignment(assignment).notebooks:
                return coursedir.db_url
    except MissingEntry:
        pass
    db = f" --db {coursedir.db_url}" if (overrides or {}).get("CourseDirectory.db_url") else ""
    raise NotReleased(f"the gradebook has no notebooks for {assignment}: run "
                      f"`nbgrader generate_assignment {assignment}{db}` first")


def sandbox_overrides(unsandboxed: bool = False) -> dict:
    """Config every grading of a batch gets: the sandboxed kernel and the sanitizing exporter whatever the course's
    config says (the sandbox required unless ``unsandboxed``), and no solutions check per worker (the batch does it
    once, first): the hook only drops a submission's hostile files, as the course's does before nbgrader copies
    them."""
    overrides = {"Execute.kernel_manager_class": "autograder.sandbox.SandboxedKernelManager",
                 "Autograde.pre_convert_hook": "autograder.nbgrader.submission_files.drop_pre_convert_hook",
                 # submissions read in memory, repaired, without the grader's own metadata (see sanitize.py)
                 "Autograde.exporter_class": "autograder.nbgrader.sanitize.SanitizingExporter"}
    if unsandboxed:
        overrides["SandboxedKernelManager.require_sandbox"] = False
    return overrides


def check_solutions(root, assignment: str, *, scheduler: str | None = None, overrides: dict | None = None,
                    limits: Limits = Limits()) -> Preflight:
    """The source notebook's solutions graded like a submission, where the submissions will be: in an isolated
    worker here, or as a task on the Dask cluster (its workers' environment and sandbox)."""
    root, overrides = str(Path(root).resolve()), dict(overrides or {})
    if scheduler:
        from distributed import Client

        with Client(scheduler, timeout="30s") as client:
            return client.submit(_solutions_task, root, assignment, overrides, limits, pure=False).result()
    return _solutions_task(root, assignment, overrides, limits)


def _solutions_task(root, assignment, overrides, limits) -> Preflight:
    _preload()
    try:
        return run_isolated(grade_solutions, (root, assignment, overrides), timeout=limits.seconds,
                            memory=limits.memory_mb * 1024 * 1024)
    except BoundExceeded as exc:
        return Preflight(assignment, 0.0, 0.0, [f"grading the solutions {exc.reason}"])
    finally:
        stop_isolated()


def plan(root, assignment: str, students=None, force: bool = False):
    """(to grade, already graded) for this run."""
    subs = find_submissions(root, assignment, students)
    if force:
        return subs, []
    graded = {s for s in subs if is_graded(root, s)}  # once each: it hashes the submission
    return [s for s in subs if s not in graded], [s for s in subs if s in graded]


def run_batch(root, todo: Iterable[Submission], *, jobs: int = 1, scheduler: str | None = None,
              overrides: dict | None = None, limits: Limits = Limits(),
              on_result: Callable[[dict], None] = lambda r: None) -> list[dict]:
    """Grade ``todo`` on ``jobs`` local processes, or on the Dask cluster at ``scheduler``."""
    root, overrides, todo = str(Path(root).resolve()), dict(overrides or {}), list(todo)
    results = []
    down = None  # why the gradebook stopped the batch, once it has

    def collect(future, sub: Submission, lost_worker: bool = False) -> None:
        nonlocal down
        try:
            result = future.result()
        except Exception as exc:  # cancelled once the gradebook stayed away, or lost with Dask workers
            why = down or (f"its Dask workers died ({type(exc).__name__}: {exc})" if lost_worker
                           else f"{type(exc).__name__}: {exc}")
            result = {"student": sub.student, "assignment": sub.assignment, "status": "failed",
                      "error": f"not graded: {why}", "seconds": 0.0}
        down = down or result.get("gradebook_down")
        results.append(result)
        on_result(result)

    if scheduler:
        from distributed import Client, as_completed as dask_completed

        run = f"{time.time_ns():x}"
        with Client(scheduler, timeout="30s") as client:
            # a worker lost mid-way is Dask's to handle: the scheduler sees its connections close (its grading
            # processes die with it, see limits.die_with_parent) and runs its tasks again on the others
            futures = {client.submit(grade_task, root, sub, overrides, limits, pure=False,
                                     key=f"grade-{sub.key}-{run}"): sub for sub in todo}
            for future in dask_completed(list(futures)):
                collect(future, futures[future], lost_worker=True)
                future.release()  # its result is here: a worker lost later costs no grading again to bring it back
                if down:
                    client.cancel([f for f in futures if not f.done()])
        return results
    _preload()
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futures = {pool.submit(grade_task, root, sub, overrides, limits): sub for sub in todo}
        for future in as_completed(futures):
            collect(future, futures[future])
            if down:  # the gradebook stayed away: start nothing more (what runs meets the same outage's end)
                for pending in futures:
                    pending.cancel()
    except KeyboardInterrupt:
        # stop what runs (their partial output is cleared by grade_task), start nothing new
        pool.shutdown(wait=False, cancel_futures=True)
        kill_isolated()
        pool.shutdown(wait=True)
        stop_isolated()
        raise
    pool.shutdown(wait=True)
    stop_isolated()
    return results


def previous_results(root, done: Iterable[Submission]) -> list[dict]:
    return [{**(read_mark(root, s) or {"student": s.student, "assignment": s.assignment}), "status": "kept"}
            for s in done]
