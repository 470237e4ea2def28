"""ps2's answers judged two ways: by grading (the spec's reference) and by the student's local check (the sample
values shipped in release/ps2/ps2.checks.json). Both must give the same points and the same sentence, for strings
and for sympy objects built in the kernel, with `m` written as a symbol or as 4."""

import pytest

from autograder.notebook import hadamard, matrix, np, symbols, transpose

from ..helpers import AssignmentAnswers

PS2 = AssignmentAnswers("ps2")

# what the release's setup cell defines
a, y, z, b, m = symbols("a y z b m")
X, Y, w = matrix("X", 2, 4), matrix("Y", 1, 4), matrix("w", 2, 1)
Z, A, dZ = matrix("Z", 1, 4), matrix("A", 1, 4), matrix("dZ", 1, 4)

DW1 = "(X_0_0*dZ_0_0 + X_0_1*dZ_0_1 + X_0_2*dZ_0_2 + X_0_3*dZ_0_3)"

# (step, answer, points, diagnosis, a fragment of the sentence)
CASES = [
    ("dz", "a - y", 1, None, "Correct"),
    ("dz", "1/(1 + exp(-z)) - y", 1, None, "Correct"),
    ("dz", "y - a", 0, "sign_error", "wrong sign"),
    ("dw1", DW1 + "/m", 2, None, "Correct"),
    ("dw1", DW1 + "/4", 2, None, "Correct"),  # m is 4: the number works as well as the symbol
    ("dw1", sum(hadamard(X[0, :], dZ)) / m, 2, None, "Correct"),  # a sympy object built from a row
    ("dw1", np.sum(X[0, :] * dZ) / m, 2, None, "Correct"),  # numpy's element-wise * in the kernel
    ("dw1", "np.dot(X[0, :], dZ.T)/m", 0, "syntax_error", "Indexing with [ ] is not allowed"),  # strings: no slices
    ("dw1", DW1, 0, "known_mistake", "keep its factor 1/m"),
    ("dw1", DW1.replace("X_0_", "X_1_") + "/m", 0, "wrong_variables", "X_1_0"),
    ("dw1", "sum(hadamard(X, dZ))/m", 0, "shape_error", "2×4 and 1×4"),
    ("db_sum", "sum(dZ)/m", 1, None, "Correct"),
    ("db_sum", "dZ_0_0 + dZ_0_1 + dZ_0_2 + dZ_0_3", 0, "known_mistake", "keep its factor 1/m"),
    ("dZ", A - Y, 2, None, "Correct"),  # a sympy Matrix
    ("dZ", "sigmoid(np.dot(w.T, X) + b) - Y", 2, None, "Correct"),  # through the definitions of A and Z
    ("dZ", "sigmoid(w.T * X + b) - Y", 0, "shape_error", "for the matrix product use @ or np.dot(A, B)"),
    ("dZ", "Y - A", 0, "sign_error", "wrong sign"),
    ("dZ", "A - Y.T", 0, "shape_error", "1×4 and a 4×1"),
    ("dw", "np.dot(X, dZ.T)/m", 2, None, "Correct"),  # the course's own line
    ("dw", np.dot(X, dZ.T) / m, 2, None, "Correct"),  # the same line in Python
    ("dw", "X @ dZ.T/m", 2, None, "Correct"),
    ("dw", X.dot(transpose(dZ)) / m, 2, None, "Correct"),
    ("dw", (dZ @ X.T).T / 4, 2, None, "Correct"),
    ("dw", "np.sum(X * dZ, axis=1, keepdims=True)/m", 2, None, "Correct"),  # broadcast, then summed per row
    ("dw", "np.dot(dZ, X.T)/m", 0, "shape_mismatch", "Expected a 2×1 column, got a 1×2 row"),
    ("dw", np.dot(dZ, X.T) / m, 0, "shape_mismatch", "Expected a 2×1 column, got a 1×2 row"),
    ("dw", "np.dot(X, dZ)/m", 0, "shape_error", "is a transpose (.T) missing?"),
    ("dw", "np.dot(X, dZ.T)", 0, "known_mistake", "keep the factor 1/m"),
    ("dw", "X * dZ/m", 0, "shape_mismatch", "Expected a 2×1 column, got a 2×4 matrix"),  # * is element-wise
    ("dw", "X * dZ.T/m", 0, "shape_error", "for the matrix product use @ or np.dot(A, B)"),
    ("dw", "np.sum(X * dZ, axis=1)/m", 0, "missing_keepdims", "keepdims=True"),
    ("dw", np.sum(X * dZ, axis=1) / m, 0, "missing_keepdims", "keepdims=True"),  # the 1-D array, from Python
    ("db", "1/m * np.sum(dZ)", 2, None, "Correct"),  # the course's own line
    ("db", 1 / m * np.sum(dZ), 2, None, "Correct"),
    ("db", "np.sum(dZ, axis=1, keepdims=True)/m", 2, None, "Correct"),  # a 1×1 matrix counts as the number
    ("db", "np.mean(dZ)", 2, None, "Correct"),
    ("db", "np.sum(dZ)", 0, "known_mistake", "keep the factor 1/m"),
    ("db", "np.sum(dZ, axis=0, keepdims=True)/m", 0, "shape_mismatch", "got a 1×4 row"),
    ("db", "diff(sum(dZ)*b, b)/m", 0, "forbidden", "'diff' is not allowed"),
]


graded = PS2.graded


@pytest.mark.parametrize("step_id,answer,points,diagnosis,fragment", CASES,
                         ids=[f"{c[0]}:{str(c[1])[:30]}" for c in CASES])
def test_grading_and_the_local_check_agree(step_id, answer, points, diagnosis, fragment):
    PS2.assert_case(step_id, answer, points, fragment, diagnosis)


def test_every_step_is_exercised_right_and_wrong():
    PS2.assert_every_step_exercised({c[0] for c in CASES if c[2] > 0}, {c[0] for c in CASES if c[2] == 0})


def test_m_is_a_number_when_judged():
    """The symbol m is defined as 4: an answer off by the factor m is off by exactly 4."""
    grade = graded("db_sum", "sum(dZ)/m**2")
    assert (grade.points, grade.diagnosis) == (0, "constant_factor")
    assert "it is 1/4 times the right result" in grade.feedback
