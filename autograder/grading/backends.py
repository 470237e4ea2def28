"""Where submissions are graded: one interface, a backend per place (local processes, a Dask cluster, …).

A backend does two things: grade the assignment's solutions (before the class, where the class will be graded),
and grade a list of submissions, yielding a typed result for each as it finishes. Both run the same tasks
(``grading.tasks``); a backend only decides where. A third place (a batch queue, Kubernetes jobs) is a new subclass
of ``GradingBackend``; nothing else changes.

>>> backend_for(jobs=2).where, backend_for(scheduler="tls://scheduler.example:8786").where
('2 local process(es)', 'Dask at tls://scheduler.example:8786')
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import Callable, Iterable, Iterator

from .preflight import Preflight
from .results import GradingResult
from .submissions import Submission
from .tasks import Limits, grade_task, preload, solutions_task

Task = Callable[[str, Submission, dict, Limits], GradingResult]  # grade_task's signature


class GradingBackend(ABC):
    """Where the gradings of a batch run. ``root`` is the course folder (absolute), shared with every worker."""

    where: str = ""  # for the instructor: "2 local process(es)", "Dask at tls://…"
    checks_sandbox_here: bool = True  # whether bubblewrap is needed on this machine (else the workers' own count)
    many_gradebook_writers: bool = True  # more writers, or machines, than a SQLite gradebook serves well

    @abstractmethod
    def check_solutions(self, root: str, assignment: str, overrides: dict, limits: Limits) -> Preflight:
        """The source notebook's solutions graded like a submission, where the submissions will be graded."""

    @abstractmethod
    def grade(self, root: str, todo: list[Submission], overrides: dict, limits: Limits) -> Iterator[GradingResult]:
        """One result per submission of ``todo``, as each finishes; never raises for a submission (a task lost
        or raising is a failed result). Once a result says the gradebook stayed away, nothing more is started: the
        rest come back failed with that reason. Closing the iterator early (Ctrl-C) stops what runs."""


def results_as_completed(finished: Iterable[tuple[Submission, object]], stop_pending: Callable[[], None],
                         lost: tuple[type[Exception], ...] = ()) -> Iterator[GradingResult]:
    """The result of each (submission, future) of ``finished``, in the order they finish.

    A future that raised (cancelled, the task broken, or an exception of ``lost``: its workers died) gives a failed
    result with the reason; once one result says the gradebook is down, ``stop_pending()`` is called and the
    futures it cancels give that reason."""
    down = ""
    for sub, future in finished:
        try:
            result = future.result()
        except Exception as exc:
            why = f"{type(exc).__name__}: {exc}"
            why = down or (f"its workers died ({why})" if isinstance(exc, lost) else why)
            result = GradingResult.failed(sub.student, sub.assignment, f"not graded: {why}")
        down = down or result.gradebook_down
        yield result
        if down:
            stop_pending()


class LocalProcesses(GradingBackend):
    """``jobs`` gradings at a time on this machine: a thread each, driving its own isolated grading process."""

    def __init__(self, jobs: int = 1, task: Task = grade_task):
        self.jobs = max(1, jobs)
        self.task = task  # what each thread runs for a submission (a test may give another)
        self.where = f"{self.jobs} local process(es)"
        self.many_gradebook_writers = self.jobs > 2

    def check_solutions(self, root, assignment, overrides, limits) -> Preflight:
        return solutions_task(root, assignment, overrides, limits)

    def grade(self, root, todo, overrides, limits) -> Iterator[GradingResult]:
        from concurrent.futures import ThreadPoolExecutor, as_completed

        from ..limits import kill_isolated, stop_isolated

        preload()
        pool = ThreadPoolExecutor(max_workers=self.jobs)
        finished = False
        try:
            futures = {pool.submit(self.task, root, sub, overrides, limits): sub for sub in todo}
            # the gradebook stayed away: start nothing more (what runs meets the same outage's end)
            yield from results_as_completed(((futures[f], f) for f in as_completed(futures)),
                                            lambda: [f.cancel() for f in futures])
            finished = True
        finally:
            if not finished:  # interrupted: stop what runs (grade_task clears their partial output), start nothing
                pool.shutdown(wait=False, cancel_futures=True)
                kill_isolated()
            pool.shutdown(wait=True)
            stop_isolated()


class DaskCluster(GradingBackend):
    """The gradings as tasks on the Dask cluster at ``scheduler``, whose workers share the course folder.

    A worker lost mid-way is Dask's to handle: the scheduler sees its connections close (its grading processes die
    with it, see ``limits.die_with_parent``) and runs its tasks again on the others; ``grade_task`` is idempotent."""

    checks_sandbox_here = False  # a cluster's workers are checked by grading (the solutions first)

    def __init__(self, scheduler: str, timeout: str = "30s", task: Task = grade_task):
        self.scheduler, self.timeout = scheduler, timeout
        self.task = task  # what a worker runs for a submission (a test may give another)
        self.where = f"Dask at {scheduler}"

    def _client(self):
        from distributed import Client

        return Client(self.scheduler, timeout=self.timeout)

    def check_solutions(self, root, assignment, overrides, limits) -> Preflight:
        with self._client() as client:  # on a worker: its environment and sandbox are the ones the class meets
            return client.submit(solutions_task, root, assignment, overrides, limits, pure=False).result()

    def grade(self, root, todo, overrides, limits) -> Iterator[GradingResult]:
        from distributed import KilledWorker, as_completed

        run = f"{time.time_ns():x}"
        with self._client() as client:
            futures = {client.submit(self.task, root, sub, overrides, limits, pure=False,
                                     key=f"grade-{sub.key}-{run}"): sub for sub in todo}

            def finished():
                for future in as_completed(list(futures)):
                    yield futures[future], future
                    future.release()  # its result is here: a worker lost later costs no grading to bring it back

            # KilledWorker: the scheduler gave up on a task whose workers kept dying under it
            yield from results_as_completed(finished(), lambda: client.cancel([f for f in futures if not f.done()]),
                                            lost=(KilledWorker,))


def backend_for(jobs: int = 1, scheduler: str | None = None) -> GradingBackend:
    """The backend the command line asks for: a Dask cluster if a scheduler is given, else local processes."""
    return DaskCluster(scheduler) if scheduler else LocalProcesses(jobs)
