"""One real nbgrader run of ps1's demo class per test session, shared by the e2e and browser tests."""

import pytest

from autograder.demo import load_class, run_demo

# Short cell timeout: the looping student then costs seconds, not nbgrader_config.py's 20 s.
E2E_TIMEOUT = 5


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    """The demo class graded by generate_assignment → autograde → generate_feedback → export in a temp course."""
    workdir = tmp_path_factory.mktemp("course")
    with open(workdir.parent / "nbgrader.log", "w", encoding="utf-8") as log:
        result = run_demo(workdir, students=load_class(), timeout=E2E_TIMEOUT, log=log)
    return result
