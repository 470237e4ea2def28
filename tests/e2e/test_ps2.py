"""ps2 (gradient descent on m examples): vectorized answers are judged element-wise, shapes are diagnosed,
and the student's local check says what grading says."""

import nbformat
import pytest

pytestmark = pytest.mark.e2e


def feedback_sentences(graded_demos, student: str) -> str:
    course = graded_demos["ps2"]["course"]
    return (course / "feedback" / student / "ps2" / "ps2.html").read_text()


def test_a_transposed_gradient_is_told_its_shape(graded_demos):
    page = feedback_sentences(graded_demos, "bob")
    assert "Expected a 2×1 column, got a 1×2 row" in page and "transpose" in page


def test_element_wise_products_where_a_matrix_product_belongs_are_explained(graded_demos):
    assert "Hadamard needs two matrices of one shape, got 2×4 and 1×4" in feedback_sentences(graded_demos, "erin")


def test_element_wise_star_where_a_matrix_product_belongs_is_told_its_shape(graded_demos):
    # erin's dw = X * dZ / m: numpy broadcasts the 1×4 row over X's rows, a 2×4 matrix, not the 2×1 column
    assert "Expected a 2×1 column, got a 2×4 matrix" in feedback_sentences(graded_demos, "erin")


def test_the_course_numpy_lines_get_full_marks(graded_demos):
    course = graded_demos["ps2"]["course"]
    nb = nbformat.read(course / "autograded" / "kim" / "ps2" / "ps2.ipynb", 4)
    points = {c.metadata["autograder"]["step"]: c.metadata["autograder"]["points"]
              for c in nb.cells if "autograder" in c.metadata}
    assert points == {"dz": 1, "dw1": 2, "db_sum": 1, "dZ": 2, "dw": 2, "db": 2}


def test_missing_average_gets_the_authored_feedback(graded_demos):
    page = feedback_sentences(graded_demos, "carol")
    assert page.count("keep the factor 1/m") >= 2  # dw and db: the authored sentences
    assert "J is the average of the losses" in page


def test_sympy_matrix_answers_from_the_kernel_are_graded(graded_demos):
    # alice builds dw1 and dw as sympy objects in her kernel (row slicing, transposes), not strings
    course = graded_demos["ps2"]["course"]
    nb = nbformat.read(course / "autograded" / "alice" / "ps2" / "ps2.ipynb", 4)
    verdicts = {c.metadata["autograder"]["step"]: c.metadata["autograder"] for c in nb.cells if "autograder" in c.metadata}
    assert verdicts["dw"]["points"] == 2 and verdicts["dw"]["answer_text"].startswith("Matrix([[")


def local_check(local_checks, student_id):
    local_checks.start("ps2", ["bob", "alice"])  # this module's checks, two at a time from the first one asked for
    return local_checks("ps2", student_id)


def test_local_check_reports_the_same_shape_diagnosis(local_checks):
    proc = local_check(local_checks, "bob")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Expected a 2×1 column, got a 1×2 row" in proc.stdout
    assert "total: 8/10" in proc.stdout  # the score nbgrader gives bob (tests/data/demo_class/ps2/bob_transposed.toml)


def test_local_check_passes_sympy_objects_built_in_the_kernel(local_checks):
    # alice's dw1 and dw are sympy objects (a row slice, a transposed product, divided by the symbol m)
    proc = local_check(local_checks, "alice")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "total: 10/10" in proc.stdout and proc.stdout.count("PASS") == 6
