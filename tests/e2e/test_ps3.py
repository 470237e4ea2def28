"""ps3 (backpropagation through a two-layer network): the feedback names each backprop mistake, and the
student's local check (`autograder check`) says what grading says."""

import nbformat
import pytest

pytestmark = pytest.mark.e2e


def feedback_page(graded_demos, student: str) -> str:
    course = graded_demos["ps3"]["course"]
    return (course / "feedback" / student / "ps3" / "ps3.html").read_text()


def verdicts(graded_demos, student: str) -> dict:
    course = graded_demos["ps3"]["course"]
    nb = nbformat.read(course / "autograded" / student / "ps3" / "ps3.ipynb", 4)
    return {c.metadata["autograder"]["step"]: c.metadata["autograder"] for c in nb.cells if "autograder" in c.metadata}


def test_a_missing_tanh_derivative_is_named(graded_demos):
    assert "missing the element-wise factor 1 − A1²" in feedback_page(graded_demos, "bob")
    assert verdicts(graded_demos, "bob")["dZ1"]["diagnosis"] == "missing_factor"


def test_a_matrix_product_where_the_element_wise_one_belongs_is_explained(graded_demos):
    page = feedback_page(graded_demos, "carol")
    assert "Cannot take the matrix product of a 3×4 and a 3×4 matrix — for an element-wise product use *" in page


def test_missing_transposes_get_the_shape_diagnosis(graded_demos):
    page = feedback_page(graded_demos, "dave")
    assert "Expected a 1×3 row, got a 3×1 column — your answer is the transpose of the right one" in page  # dW2
    assert "the matrix product of a 3×4 and a 2×4 matrix — is a transpose (.T) missing?" in page  # dW1: X, not Xᵀ


def test_summing_over_the_wrong_axis_is_told_its_shape(graded_demos):
    assert "Expected a 3×1 column, got a 1×4 row" in feedback_page(graded_demos, "frank")


def test_the_sigmoid_derivative_for_tanh_gets_the_authored_feedback(graded_demos):
    assert "the derivative of tanh is not a(1 − a)" in feedback_page(graded_demos, "ivan")


def test_the_course_numpy_lines_get_full_marks(graded_demos):
    """kim types the course's own lines (np.dot, * element-wise, np.power, np.sum with axis and keepdims) in
    Python: every step gets full marks under nbgrader, and what was recorded is the symbolic matrix, not numbers."""
    found = verdicts(graded_demos, "kim")
    assert {step: v["points"] for step, v in found.items()} == {
        "dZ2": 1, "dW2": 2, "db2": 1, "dZ1": 3, "dW1": 2, "db1": 2}
    assert found["dZ1"]["answer_text"].startswith("Matrix([[") and "A1_0_0" in found["dZ1"]["answer_text"]


def test_a_missing_keepdims_is_named(graded_demos):
    """liam's db1 = 1/m * np.sum(dZ1, axis=1) is a 1-D array in numpy: grading says to add keepdims=True."""
    found = verdicts(graded_demos, "liam")
    assert found["db1"]["points"] == 0 and found["db1"]["diagnosis"] == "missing_keepdims"
    assert "numpy shape (3,)" in found["db1"]["feedback"] and "keepdims=True" in found["db1"]["feedback"]
    assert found["dZ1"]["points"] == 0  # 1 - A1^2 raised in Python: nothing was recorded


def test_sympy_matrix_answers_from_the_kernel_are_graded(graded_demos):
    # alice builds dW2, dZ1 and dW1 as sympy matrices in her kernel, not strings
    found = verdicts(graded_demos, "alice")
    full = {"dW2": 2, "dZ1": 3, "dW1": 2}  # each step's points (ps3.spec.toml): all of them, not just some
    assert {step: found[step]["points"] for step in full} == full
    for step in full:
        assert found[step]["answer_text"].startswith("Matrix([["), step


CHECKED = ["bob", "alice", "carol", "dave", "erin", "frank", "ivan", "kim"]  # whose local check a test reads


def local_check(local_checks, student_id):
    local_checks.start("ps3", CHECKED)  # this module's checks, two at a time from the first one asked for
    return local_checks("ps3", student_id)


def test_local_check_names_the_missing_factor_as_grading_does(local_checks):
    proc = local_check(local_checks, "bob")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "missing the element-wise factor 1 − A1²" in proc.stdout
    assert "total: 8/11" in proc.stdout  # the score nbgrader gives bob (tests/data/demo_class/ps3/bob_*.toml)


def test_local_check_passes_sympy_objects_built_in_the_kernel(local_checks):
    proc = local_check(local_checks, "alice")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "total: 11/11" in proc.stdout and proc.stdout.count("PASS") == 6


@pytest.mark.parametrize("student_id", ["carol", "dave", "erin", "frank", "ivan", "kim"])
def test_local_check_says_what_grading_said(graded_demos, local_checks, student_id):
    """Every sentence nbgrader's grading wrote for this student is in the local report, with the same total."""
    proc = local_check(local_checks, student_id)
    graded = verdicts(graded_demos, student_id)
    for step, verdict in graded.items():
        assert verdict["feedback"] in proc.stdout, f"{step}: {verdict['feedback']!r} not in\n{proc.stdout}"
    total = sum(v["points"] for v in graded.values())
    assert f"total: {total:g}/11" in proc.stdout, proc.stdout
