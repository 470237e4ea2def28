"""ps3's answers judged two ways: by grading (the spec's reference) and by the student's local check (the sample
values shipped in release/ps3/ps3.checks.json). Both must give the same points and sentence, for strings and for
sympy objects built in the kernel, and the backprop mistakes the issue names get their own diagnosis."""

import pytest

from autograder.notebook import hadamard, local_result, matrix, np, rowsum, symbols, tanh, transpose

from ..helpers import AssignmentAnswers

PS3 = AssignmentAnswers("ps3")
RELEASE = PS3.release

# what the release's setup cell defines
b2, m = symbols("b2 m")
X, Y, W1, b1 = matrix("X", 2, 4), matrix("Y", 1, 4), matrix("W1", 3, 2), matrix("b1", 3, 1)
Z1, A1, W2 = matrix("Z1", 3, 4), matrix("A1", 3, 4), matrix("W2", 1, 3)
Z2, A2, dZ2, dZ1 = matrix("Z2", 1, 4), matrix("A2", 1, 4), matrix("dZ2", 1, 4), matrix("dZ1", 3, 4)

BACK = np.dot(W2.T, dZ2)  # dZ2 carried back through W2, before tanh

# The course's own lines (deeplearning.ai's backward propagation, as quoted in issue 12), right-hand sides verbatim.
COURSE = {
    "dZ2": "A2 - Y",
    "dW2": "1/m * np.dot(dZ2, A1.T)",
    "db2": "1/m * np.sum(dZ2, axis=1, keepdims=True)",
    "dZ1": "np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))",
    "dW1": "1/m * np.dot(dZ1, X.T)",
    "db1": "1/m * np.sum(dZ1, axis=1, keepdims=True)",
}

# (step, answer, points, diagnosis, a fragment of the sentence)
CASES = [(step, line, points, None, "Correct") for (step, line), points in
         zip(COURSE.items(), (1, 2, 1, 3, 2, 2))] + [
    ("dZ2", "sigma(np.dot(W2, A1) + b2) - Y", 1, None, "Correct"),  # through the definitions of A2 and Z2
    ("dZ2", A2 - Y, 1, None, "Correct"),
    ("dZ2", "Y - A2", 0, "sign_error", "wrong sign"),
    ("dW2", 1 / m * np.dot(dZ2, A1.T), 2, None, "Correct"),  # the course's line in Python
    ("dW2", "dZ2 @ A1.T/m", 2, None, "Correct"),
    ("dW2", (A1 @ dZ2.T).T / 4, 2, None, "Correct"),
    ("dW2", A1 @ dZ2.T / m, 0, "shape_mismatch", "Expected a 1×3 row, got a 3×1 column — your answer is the transpose"),
    ("dW2", "np.dot(dZ2, A1)/m", 0, "shape_error", "is a transpose (.T) missing?"),
    ("dW2", "np.dot(dZ2, A1.T)", 0, "known_mistake", "keep the factor 1/m"),
    ("db2", 1 / m * np.sum(dZ2, axis=1, keepdims=True), 1, None, "Correct"),
    ("db2", "np.sum(dZ2)/m", 1, None, "Correct"),
    ("db2", "np.sum(dZ2, axis=1)/4", 1, None, "Correct"),  # a 1-D array of one value is that value; m is 4
    ("db2", "np.sum(dZ2, axis=0, keepdims=True)/m", 0, "shape_mismatch", "got a 1×4 row"),
    ("db2", "np.sum(dZ2)", 0, "known_mistake", "keep the factor 1/m"),
    ("dZ1", np.dot(W2.T, dZ2) * (1 - np.power(A1, 2)), 3, None, "Correct"),  # the course's line in Python
    ("dZ1", "hadamard(W2.T @ dZ2, 1 - A1^2)", 3, None, "Correct"),  # hadamard stays
    ("dZ1", "(W2.T @ dZ2) * (1 - np.tanh(Z1)**2)", 3, None, "Correct"),
    ("dZ1", BACK - BACK * A1 * A1, 3, None, "Correct"),  # 1 − A1² expanded, in the kernel
    ("dZ1", hadamard(BACK, tanh(Z1).applyfunc(lambda v: 1 - v**2)), 3, None, "Correct"),
    ("dZ1", BACK * (1 - A1**2), 3, None, "Correct"),  # numpy's element-wise * and ** in the kernel
    ("dZ1", BACK * (1 - tanh(W1 @ X + b1)**2), 3, None, "Correct"),  # b1 broadcast over the columns
    ("dZ1", BACK * (A1 - A1**2), 0, "known_mistake", "the derivative of tanh is not"),  # sigmoid's for tanh's
    ("dZ1", "np.dot(W2.T, dZ2) * A1 * (1 - A1)", 0, "known_mistake", "the derivative of tanh is not"),
    ("dZ1", "np.dot(W2.T, dZ2)", 0, "missing_factor", "missing the element-wise factor 1 − A1²"),
    ("dZ1", BACK, 0, "missing_factor", "missing the element-wise factor 1 − A1²"),
    ("dZ1", "np.dot(np.dot(W2.T, dZ2), 1 - A1**2)", 0, "shape_error", "for an element-wise product use *"),
    ("dZ1", "np.dot(dZ2.T, W2) * (1 - A1^2)", 0, "shape_error", "cannot multiply a 4×3 and a 3×4 matrix"),
    ("dW1", 1 / m * np.dot(dZ1, X.T), 2, None, "Correct"),
    ("dW1", transpose(X @ dZ1.T) / m, 2, None, "Correct"),
    ("dW1", "np.dot(X, dZ1.T)/m", 0, "shape_mismatch",
     "Expected a 3×2 matrix, got a 2×3 matrix — your answer is the transpose"),
    ("dW1", "np.dot(dZ1, X)/m", 0, "shape_error",
     "the matrix product of a 3×4 and a 2×4 matrix — is a transpose (.T) missing?"),
    ("dW1", "np.dot(dZ1, X.T)", 0, "known_mistake", "keep the factor 1/m"),
    ("db1", 1 / m * np.sum(dZ1, axis=1, keepdims=True), 2, None, "Correct"),
    ("db1", rowsum(dZ1) / 4, 2, None, "Correct"),
    ("db1", "np.mean(dZ1, axis=1, keepdims=True)", 2, None, "Correct"),
    ("db1", "dZ1 @ Matrix([[1], [1], [1], [1]])/m", 2, None, "Correct"),
    ("db1", "np.sum(dZ1, axis=0, keepdims=True)/m", 0, "shape_mismatch", "Expected a 3×1 column, got a 1×4 row"),
    ("db1", "np.sum(dZ1)/m", 0, "shape_mismatch", "got a single expression"),
    ("db1", "1/m * np.sum(dZ1, axis=1)", 0, "missing_keepdims", "1-D array of 3 values (numpy shape (3,))"),
    ("db1", 1 / m * np.sum(dZ1, axis=1), 0, "missing_keepdims", "keepdims=True"),
    ("db1", "np.sum(dZ1, axis=1, keepdims=True)", 0, "known_mistake", "keep the factor 1/m"),
    ("db1", "diff(np.sum(dZ1, axis=1, keepdims=True)*b2, b2)/m", 0, "forbidden", "'diff' is not allowed"),
    ("db1", "np.sum(dZ1, axis=1, keepdims=True/m", 0, "syntax_error", "never closed"),
]


graded = PS3.graded


@pytest.mark.parametrize("step_id,answer,points,diagnosis,fragment", CASES,
                         ids=[f"{c[0]}:{str(c[1])[:30]}" for c in CASES])
def test_grading_and_the_local_check_agree(step_id, answer, points, diagnosis, fragment):
    PS3.assert_case(step_id, answer, points, fragment, diagnosis)


def test_every_step_is_exercised_right_and_wrong():
    PS3.assert_every_step_exercised({c[0] for c in CASES if c[2] > 0}, {c[0] for c in CASES if c[2] == 0})


def test_m_is_the_number_of_examples():
    """m is defined as 4: an answer that divides by m twice is off by exactly 1/4, and 4 stands for m."""
    grade = graded("dW1", "np.dot(dZ1, X.T)/m^2")
    assert (grade.points, grade.diagnosis) == (0, "constant_factor")
    assert "it is 1/4 times the right result" in grade.feedback
    assert graded("dW1", "np.dot(dZ1, X.T)/4").points == 2


@pytest.mark.parametrize("z1", ["np.dot(W1, X) + b1", "W1 @ X + b1 @ Matrix([[1, 1, 1, 1]])"])
def test_the_hidden_layer_bias_is_broadcast_over_the_examples(z1):
    """Z1 = W1·X + b1 adds b1 to every column, as numpy does: A1 written through it is tanh of exactly that."""
    answer = f"np.dot(W2.T, dZ2) * (1 - np.tanh({z1})**2)"
    grade = graded("dZ1", answer)
    assert grade.points == 3, grade.feedback
    assert local_result("dZ1", answer, folder=RELEASE).points == 3
    wrong = graded("dZ1", "np.dot(W2.T, dZ2) * (1 - np.tanh(np.dot(W1, X))**2)")  # the bias left out of Z1
    assert wrong.points == 0 and wrong.diagnosis == "not_equivalent", wrong.feedback
