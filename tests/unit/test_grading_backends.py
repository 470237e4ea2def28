"""The grading backends' interface and the typed results: one result per submission whatever a task does, a
gradebook outage stops what has not started, a result's outcome decides the summary and the exit code.

The tasks here stand in for ``grade_task`` (which needs a course and nbgrader: the batch tests grade for real); the
backends around them, their threads and a real in-process Dask cluster, are the real ones.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import Future, InvalidStateError

import pytest

from autograder.grading.backends import DaskCluster, GradingBackend, LocalProcesses, backend_for, results_as_completed
from autograder.grading.batch import Batch, run_batch
from autograder.grading.preflight import Preflight
from autograder.grading.results import BatchResult, GradingResult, Outcome
from autograder.grading.submissions import Submission
from autograder.grading.tasks import Limits

CLASS = [Submission("hw", f"s{i}") for i in range(5)]


def record(sub: Submission, score: float = 3.0, **more) -> dict:
    """What a grading writes into its mark (the keys of ``grade_one._grade``'s record)."""
    return {"student": sub.student, "assignment": sub.assignment, "score": score, "max_score": 3.0, "repairs": [],
            "seconds": 1.5, "peak_rss_mb": 80.0, "sandbox": "bubblewrap 0.8", **more}


def task_failing_for_s2(root, sub, overrides, limits) -> GradingResult:
    """Grades everyone but s2, whose task raises (as a task that breaks where the real one never should)."""
    if sub.student == "s2":
        raise RuntimeError("the worker broke")
    return GradingResult.graded(record(sub, score=float(sub.student[1:])))


def test_graded_failed_kept_are_told_apart():
    graded = GradingResult.graded(record(CLASS[0], repairs=["a deleted cell put back"]), faults=["restart"])
    assert (graded.outcome, graded.ok, graded.score_text) == (Outcome.GRADED, True, "3 / 3")
    assert graded.message == "a deleted cell put back; graded again after a gradebook fault"
    failed = GradingResult.failed("s1", "hw", "grading took longer than 8 s", seconds=8.2)
    assert (failed.outcome, failed.ok, failed.score_text, failed.message) == (
        Outcome.FAILED, False, "–", "grading took longer than 8 s")
    kept = GradingResult.kept("s2", "hw", record(CLASS[2], score=1.0))
    assert (kept.outcome, kept.ok, kept.score, kept.message) == (Outcome.KEPT, True, 1.0, "")
    # a mark with no record, or a damaged one, is still kept (its grade stands), shown without a score
    assert GradingResult.kept("s3", "hw", None).score_text == "–"
    assert GradingResult.kept("s3", "hw", {"score": "three", "seconds": None}).score is None
    assert GradingResult.graded(record(CLASS[0], sandbox="none (opted out)")).unsandboxed
    assert not graded.unsandboxed


def test_a_batch_result_counts_from_the_outcomes():
    ok = BatchResult([GradingResult.graded(record(s)) for s in CLASS[:2]], [GradingResult.kept("a0", "hw", None)])
    assert (ok.failed, ok.exit_code, ok.graded_again, ok.stopped_by) == ([], 0, 0, "")
    assert [r.student for r in ok.every_student()] == ["a0", "s0", "s1"]
    down = GradingResult.failed("s3", "hw", "not graded: x", gradebook_down="the gradebook did not answer for 2 s")
    again = GradingResult.graded(record(CLASS[4]), faults=["restart"])
    bad = BatchResult(ok.results + [down, again])
    assert (bad.failed, bad.exit_code, bad.graded_again) == ([down], 1, 1)
    assert bad.stopped_by == "the gradebook did not answer for 2 s"


def test_a_task_raising_mid_batch_leaves_the_others_graded():
    results = list(LocalProcesses(2, task=task_failing_for_s2).grade("/course", CLASS, {}, Limits()))
    assert sorted(r.student for r in results) == [s.student for s in CLASS]  # one result each, none lost
    by_student = {r.student: r for r in results}
    assert by_student["s2"].outcome is Outcome.FAILED
    assert by_student["s2"].error == "not graded: RuntimeError: the worker broke"
    assert {s: r.score for s, r in by_student.items() if s != "s2"} == {"s0": 0.0, "s1": 1.0, "s3": 3.0, "s4": 4.0}
    assert all(r.outcome is Outcome.GRADED for s, r in by_student.items() if s != "s2")


def test_ctrl_c_while_results_come_starts_nothing_more(tmp_path):
    """KeyboardInterrupt raised where the results are read (the progress bar): the backend is closed, what has not
    started never starts, and the interrupt reaches the command."""
    started = []

    def task(root, sub, overrides, limits):
        started.append(sub.student)
        if sub.student != "s0":
            threading.Event().wait(0.3)  # a grading under way when the interrupt comes
        return GradingResult.graded(record(sub))

    def interrupt(result):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(LocalProcesses(1, task=task), Batch(str(tmp_path), "hw", CLASS, [], {}, Limits()), interrupt)
    assert started[0] == "s0" and len(started) <= 2, started  # s0, and at most the one running with it


def test_a_gradebook_outage_cancels_what_has_not_started():
    """Futures by hand, so what is pending when the outage is reported is known: s1 runs (it finishes), s2 and s3
    have not started (they are cancelled and say why)."""
    futures = [Future() for _ in range(4)]
    for future in futures[:2]:
        future.set_running_or_notify_cancel()
    down = "the gradebook did not answer for 2 s"
    futures[0].set_result(GradingResult.failed("s0", "hw", f"not graded: {down}", gradebook_down=down))
    stopped = []

    def stop_pending():
        stopped.append([f.cancel() for f in futures])
        if not futures[1].done():
            futures[1].set_result(GradingResult.graded(record(CLASS[1])))  # what ran meets the outage's end

    def run_anyway():  # what a backend that never cancels would do; a test that hung instead would say less
        for sub, future in zip(CLASS[1:], futures[1:]):
            with contextlib.suppress(InvalidStateError):
                future.set_result(GradingResult.graded(record(sub)))

    fallback = threading.Timer(10, run_anyway)
    fallback.start()
    try:
        results = list(results_as_completed(zip(CLASS, futures), stop_pending))
    finally:
        fallback.cancel()
    assert [r.outcome for r in results] == [Outcome.FAILED, Outcome.GRADED, Outcome.FAILED, Outcome.FAILED]
    assert [r.error for r in results[2:]] == [f"not graded: {down}"] * 2
    assert stopped[0] == [False, False, True, True]  # only the two not started could be cancelled
    # the near miss: without an outage, nothing is cancelled
    calm = [Future() for _ in range(2)]
    for sub, future in zip(CLASS, calm):
        future.set_result(GradingResult.graded(record(sub)))
    assert [r.outcome for r in results_as_completed(zip(CLASS, calm), pytest.fail)] == [Outcome.GRADED] * 2


def test_a_lost_worker_is_told_apart_from_a_broken_task():
    class WorkerLost(Exception):
        """Stands for distributed.KilledWorker: the workers running the task kept dying."""

    raised = [Future(), Future()]
    raised[0].set_exception(WorkerLost("grade-hw-s0 died on 3 workers"))
    raised[1].set_exception(RuntimeError("the worker broke"))  # the near miss: the task itself raised
    results = list(results_as_completed(zip(CLASS, raised), pytest.fail, lost=(WorkerLost,)))
    assert [r.error for r in results] == ["not graded: its workers died (WorkerLost: grade-hw-s0 died on 3 workers)",
                                          "not graded: RuntimeError: the worker broke"]


def test_a_dask_worker_raising_leaves_the_others_graded():
    """The same on a real (in-process) Dask cluster: the failed task is a failed result, the rest are graded."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        backend = DaskCluster(cluster.scheduler_address, task=task_failing_for_s2)
        results = {r.student: r for r in backend.grade("/course", CLASS, {}, Limits())}
    assert set(results) == {s.student for s in CLASS}
    # a task that raised is not a lost worker: the message says what it raised, nothing more
    assert results["s2"].outcome is Outcome.FAILED
    assert results["s2"].error == "not graded: RuntimeError: the worker broke"
    assert [results[s].outcome for s in ("s0", "s1", "s3", "s4")] == [Outcome.GRADED] * 4


class InThisThread(GradingBackend):
    """A third backend, as a new class only: every grading one after another in the calling thread."""

    where = "this thread"

    def check_solutions(self, root, assignment, overrides, limits) -> Preflight:
        return Preflight(assignment, 3.0, 3.0)

    def grade(self, root, todo, overrides, limits):
        for sub in todo:
            try:
                yield task_failing_for_s2(root, sub, overrides, limits)
            except RuntimeError as exc:
                yield GradingResult.failed(sub.student, sub.assignment, str(exc))


def test_a_new_backend_is_one_class(tmp_path):
    batch = Batch(str(tmp_path), "hw", CLASS, [], {}, Limits())
    seen = []
    outcome = run_batch(InThisThread(), batch, on_result=seen.append)
    assert seen == outcome.results and [r.student for r in seen] == [s.student for s in CLASS]
    assert [r.student for r in outcome.failed] == ["s2"] and outcome.exit_code == 1


def test_the_command_line_picks_the_backend():
    assert isinstance(backend_for(jobs=3), LocalProcesses) and backend_for(jobs=3).many_gradebook_writers
    assert not backend_for(jobs=2).many_gradebook_writers  # the near miss: two writers are fine for SQLite
    dask = backend_for(jobs=3, scheduler="tcp://127.0.0.1:8786")
    assert isinstance(dask, DaskCluster) and not dask.checks_sandbox_here and dask.many_gradebook_writers
