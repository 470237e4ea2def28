"""Real nbgrader runs of the demo classes, once per test session, shared by the e2e, plugin and browser tests."""

import os
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import pytest

from autograder.demo import ASSIGNMENT, demo_assignments, run_demo

from .helpers import LocalChecks

# Short cell timeout: the looping student then costs seconds, not nbgrader_config.py's 20 s.
E2E_TIMEOUT = 5

# Dask workers keep their scratch folders in /tmp/dask-scratch-space, and a worker the tests kill never removes its
# own: the session's workers (in this process or started as commands, which inherit the variable) use a folder
# that goes with the session.
DASK_SCRATCH = tempfile.mkdtemp(prefix="dask-scratch-")
os.environ["DASK_TEMPORARY_DIRECTORY"] = DASK_SCRATCH
if "dask" in sys.modules:  # already read its configuration: read it again
    import dask.config

    dask.config.refresh()


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(DASK_SCRATCH, ignore_errors=True)


def demo_in_temp_course(tmp_path_factory, assignment: str) -> dict:
    """``assignment``'s demo class graded by generate_assignment → autograde → generate_feedback → export in a
    temporary course of its own; nbgrader's output goes to ``nbgrader-<assignment>.log`` beside it."""
    workdir = tmp_path_factory.mktemp(f"demo-{assignment}")
    with open(workdir.parent / f"nbgrader-{assignment}.log", "w", encoding="utf-8") as log:
        return run_demo(workdir, assignment, timeout=E2E_TIMEOUT, log=log)


@pytest.fixture(scope="session")
def graded_courses(tmp_path_factory):
    """Every demo class, each graded in a course of its own: ``{assignment: run_demo result}``.

    Two at a time (each nbgrader run spends much of its time waiting on a kernel), all before any test reads
    one, so that no grading runs behind a test with a time budget (the browser tests)."""
    assignments = [ASSIGNMENT] + [a for a in demo_assignments() if a != ASSIGNMENT]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(assignments, pool.map(lambda a: demo_in_temp_course(tmp_path_factory, a), assignments)))


@pytest.fixture(scope="session")
def graded_class(graded_courses):
    """ps1's demo class, graded by the real nbgrader instructor path."""
    return graded_courses[ASSIGNMENT]


@pytest.fixture(scope="session")
def graded_demos(graded_courses):
    """Every demo class but ps1's: ``{assignment: run_demo result}``."""
    return {a: result for a, result in graded_courses.items() if a != ASSIGNMENT}


@pytest.fixture(scope="session")
def local_checks(tmp_path_factory):
    """`autograder check` reports of demo students' filled-in releases, shared by the tests that read them."""
    checks = LocalChecks(tmp_path_factory.mktemp("local-checks"))
    yield checks
    checks.pool.shutdown(cancel_futures=True)
