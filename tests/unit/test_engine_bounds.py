"""Bounded: every check returns within its timeout plus a margin, whatever the input, and the caller survives."""

import os
import time

import pytest

from autograder import check_equivalent
from autograder.limits import BoundExceeded, run_bounded

PATHOLOGICAL = [
    "x**(10**10)",
    "2**(10**10)",
    "factorial(10**9)",
    "factorial(factorial(100))",
    "binomial(10**9, 10**8)",
    "Sum(k, (k, 1, 10**9))",
    "Product(x + k, (k, 1, 9999))",
    "(" * 100_000 + "a" + ")" * 100_000,
    "a" * 1_000_000,
    "a+" * 500_000 + "a",
    "exp(exp(exp(exp(exp(x)))))",
    "x**x**x**x**x**x**x**x",
    "9" * 5000,
    "sin(" * 40 + "x" + ")" * 40,
    "аbс",  # Cyrillic look-alikes
    "\\frac{" * 200 + "x" + "}{2}" * 200,
    "\\sigma" * 1000,
]


@pytest.fixture(scope="module", autouse=True)
def latex_loaded():
    """Load the LaTeX parser once, untimed, as a running grader has it: the bound is about the answer."""
    check_equivalent("\\frac{x}{2}", "x/2", symbols=["x"], timeout=60)


@pytest.mark.parametrize("answer", PATHOLOGICAL, ids=lambda s: s[:20])
def test_pathological_inputs_return(answer):
    start = time.monotonic()
    v = check_equivalent(answer, "x", symbols=["x"], timeout=2.0)
    elapsed = time.monotonic() - start
    assert v.status in ("invalid", "undecided", "not_equivalent")
    assert v.equivalent is not True
    assert elapsed < 2.0 + 3.0, elapsed  # loose: the point is that it returns


def _spin():
    while True:
        pass


def _die():
    os._exit(9)


def test_a_hung_worker_is_killed_and_replaced():
    with pytest.raises(BoundExceeded, match="longer than"):
        run_bounded(_spin, timeout=0.5)
    assert check_equivalent("a - a^2", "a*(1-a)").accepted  # the next call gets a fresh worker


def test_a_worker_of_another_name_runs_out_of_time_alone():
    checks = run_bounded(os.getpid)
    with pytest.raises(BoundExceeded, match="longer than"):
        run_bounded(_spin, timeout=0.5, worker="peers")
    assert run_bounded(os.getpid) == checks  # the checks' worker, its caches with it, is still the same process
    assert run_bounded(os.getpid, worker="peers") not in (checks, os.getpid())


def test_a_dying_worker_does_not_kill_the_caller():
    with pytest.raises(BoundExceeded, match="died"):
        run_bounded(_die, timeout=5)
    assert check_equivalent("a", "a").accepted


def _allocate():
    return len(bytearray(8 * 1024**3))


def test_memory_is_bounded():
    with pytest.raises((BoundExceeded, MemoryError)):
        run_bounded(_allocate, timeout=10)
    assert check_equivalent("a", "a").accepted


def _pid_and_group():
    return os.getpid(), os.getpgid(0)


def test_a_grading_worker_is_reused_then_recycled_and_killed_past_its_time():
    from autograder import limits

    limits.stop_isolated()
    first = limits.run_isolated(_pid_and_group, timeout=5)
    assert first[0] != os.getpid() and first[1] == first[0]  # a worker of its own, leading its own group
    assert limits.run_isolated(_pid_and_group, timeout=5) == first  # reused: what it loaded stays loaded
    with pytest.raises(BoundExceeded, match="longer than"):
        limits.run_isolated(time.sleep, (5,), timeout=0.5)
    fresh = limits.run_isolated(_pid_and_group, timeout=5)
    assert fresh != first  # the timed-out worker was killed; the next call forked anew
    pids = {limits.run_isolated(_pid_and_group, timeout=5)[0] for _ in range(limits.RECYCLE_AFTER + 1)}
    assert len(pids) == 2  # recycled once after RECYCLE_AFTER gradings
    limits.stop_isolated()
    with pytest.raises(ProcessLookupError):
        os.kill(fresh[0], 0)


def test_a_worker_killed_while_idle_is_replaced_without_failing_the_next_call():
    from autograder import limits

    limits.stop_isolated()
    pid, _ = limits.run_isolated(_pid_and_group, timeout=5)
    os.kill(pid, 9)  # e.g. the OOM killer, between two submissions
    time.sleep(0.2)
    assert limits.run_isolated(_pid_and_group, timeout=5)[0] != pid  # the next submission is not blamed
    checker = run_bounded(os.getpid, timeout=5)
    os.kill(checker, 9)
    time.sleep(0.2)
    assert run_bounded(os.getpid, timeout=5) != checker  # the same for the answer checker
    limits.stop_isolated()


def _cpus_of_worker_and_caller():
    return os.sched_getaffinity(0), os.sched_getaffinity(os.getppid())


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one CPU: nothing to share")
def test_a_check_runs_on_its_callers_cpu_and_the_caller_gets_its_cpus_back():
    """While a check runs, the waiting caller and the worker share one CPU (no idle CPU to wake); after it, and
    after a check that ran out of time, the caller may run anywhere it could before; a grading worker (whose
    kernels would inherit a pin) is never pinned."""
    from autograder import limits

    before = os.sched_getaffinity(0)
    worker, caller = run_bounded(_cpus_of_worker_and_caller, timeout=5)
    assert len(worker) == 1 and caller == worker
    assert os.sched_getaffinity(0) == before
    with pytest.raises(BoundExceeded, match="longer than"):
        run_bounded(_spin, timeout=0.5)
    assert os.sched_getaffinity(0) == before
    limits.stop_isolated()
    assert limits.run_isolated(os.sched_getaffinity, (0,), timeout=5) == before
    limits.stop_isolated()
