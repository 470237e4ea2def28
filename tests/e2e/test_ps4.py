"""ps4 (activation derivatives, softmax with cross-entropy): graded by the real nbgrader path, the feedback names
the wrong value at z = 0 and the missing softmax paths, and the local check (`autograder check`) agrees."""

import nbformat
import pytest

pytestmark = pytest.mark.e2e
TOTAL = 16
CHECKED = ["alice", "bob", "carol", "dave", "henry", "ivan"]  # whose local check a test reads


@pytest.fixture(scope="module")
def graded(graded_demos):
    """ps4's demo class, graded in a temporary course (generate → autograde → feedback → export) for the session."""
    return graded_demos["ps4"]


def feedback_page(graded, student: str) -> str:
    return (graded["course"] / "feedback" / student / "ps4" / "ps4.html").read_text()


def verdicts(graded, student: str) -> dict:
    nb = nbformat.read(graded["course"] / "autograded" / student / "ps4" / "ps4.ipynb", 4)
    return {c.metadata["autograder"]["step"]: c.metadata["autograder"] for c in nb.cells if "autograder" in c.metadata}


def test_the_value_at_zero_decides_relu(graded):
    found = verdicts(graded, "carol")
    assert (found["drelu"]["points"], found["dleaky"]["points"]) == (0, 0)
    page = feedback_page(graded, "carol")
    assert "step(z) (sympy&#x27;s Heaviside) is 1/2 at z = 0" in page or "step(z) (sympy's Heaviside) is 1/2 at z = 0" in page
    assert "at z = 0 take the slope of the negative side" in page


def test_a_missing_softmax_path_is_named(graded):
    found = verdicts(graded, "dave")
    assert found["dL_dz1_chain"]["points"] == 0
    assert "a2 and a3 depend on z1 too" in found["dL_dz1_chain"]["feedback"]


def test_answers_built_from_earlier_sympy_answers_are_graded(graded):
    found = verdicts(graded, "alice")
    assert sum(v["points"] for v in found.values()) == TOTAL
    assert found["dL_dz1_chain"]["answer_text"] and "dL_da1" not in found["dL_dz1_chain"]["answer_text"]


def local_check(local_checks, student_id):
    local_checks.start("ps4", CHECKED)  # this module's checks, two at a time from the first one asked for
    return local_checks("ps4", student_id)


def test_local_check_passes_the_unusual_forms(local_checks):
    proc = local_check(local_checks, "alice")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"total: {TOTAL}/{TOTAL}" in proc.stdout and proc.stdout.count("PASS") == 10


@pytest.mark.parametrize("student_id", ["bob", "carol", "dave", "henry", "ivan"])
def test_local_check_says_what_grading_said(graded, local_checks, student_id):
    """Every authored sentence grading wrote for this student is in the local report, with the same total."""
    proc = local_check(local_checks, student_id)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    found = verdicts(graded, student_id)
    for step, verdict in found.items():
        if verdict["feedback"].startswith("Your answer is not equivalent"):  # names a sample point, which differ
            assert "Your answer is not equivalent" in proc.stdout
            continue
        assert verdict["feedback"] in proc.stdout, f"{step}: {verdict['feedback']!r} not in\n{proc.stdout}"
    total = sum(v["points"] for v in found.values())
    assert f"total: {total:g}/{TOTAL}" in proc.stdout, proc.stdout
