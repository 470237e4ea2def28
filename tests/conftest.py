"""Real nbgrader runs of the demo classes, once per test session, shared by the e2e and browser tests."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from autograder.demo import demo_assignments, load_class, run_demo

# Short cell timeout: the looping student then costs seconds, not nbgrader_config.py's 20 s.
E2E_TIMEOUT = 5


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    """The demo class graded by generate_assignment → autograde → generate_feedback → export in a temp course."""
    workdir = tmp_path_factory.mktemp("course")
    with open(workdir.parent / "nbgrader.log", "w", encoding="utf-8") as log:
        result = run_demo(workdir, students=load_class(), timeout=E2E_TIMEOUT, log=log)
    return result


@pytest.fixture(scope="session")
def graded_demos(tmp_path_factory):
    """Every demo class but ps1's, each graded in a temporary course of its own by the real nbgrader instructor path:
    ``{assignment: run_demo result}``."""
    def grade(assignment):
        workdir = tmp_path_factory.mktemp(f"demo-{assignment}")
        with open(workdir.parent / f"nbgrader-{assignment}.log", "w", encoding="utf-8") as log:
            return run_demo(workdir, assignment, timeout=E2E_TIMEOUT, log=log)

    # One course per assignment, two at a time: each nbgrader run spends much of its time waiting on a kernel.
    assignments = [a for a in demo_assignments() if a != "ps1"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(assignments, pool.map(grade, assignments)))
