"""Vectorized answers: matrices of element symbols, numpy's operator meanings, shape diagnoses."""

import re

import pytest
import sympy

from autograder import check_against_samples, check_equivalent, reference_samples
from autograder.parse import Names, ParseError, parse_expression

# logistic regression on m = 3 examples with n_x = 2 features
M = {"X": (2, 3), "Y": (1, 3), "A": (1, 3), "Z": (1, 3), "w": (2, 1)}
KW = dict(matrices=M, symbols=["b"], define={"A": "sigmoid(Z)", "Z": "w.T*X + b"}, domain={"Y": (0, 1)})
DW = "(1/3)*X*(A-Y).T"


@pytest.mark.parametrize("answer", ["X*(A-Y).T/3", "X*transpose(A - Y)/3", "(X*A.T - X*Y.T)/3",
                                    "X*(sigmoid(w.T*X + b) - Y).T/3"])
def test_vectorized_gradient_forms(answer):
    assert check_equivalent(answer, DW, **KW).accepted


@pytest.mark.parametrize("answer, code, words", [
    ("(A-Y)*X.T/3", "shape_mismatch", ["2×1 column", "1×2 row", "transpose"]),
    ("X*(A-Y).T", "constant_factor", ["3 times"]),  # forgot 1/m
    ("X*(Y-A).T/3", "sign_error", ["wrong sign"]),
])
def test_matrix_mistakes_are_diagnosed(answer, code, words):
    v = check_equivalent(answer, DW, **KW)
    assert v.diagnosis == code
    assert all(w in v.feedback for w in words), v.feedback


def test_shapes_that_do_not_multiply_say_so():
    v = check_equivalent("X*(A-Y)", DW, **KW)
    assert v.status == "invalid" and "transpose" in v.feedback


def test_sums_and_elementwise_operations():
    assert check_equivalent("sum(A-Y)/3", "sum(A - Y)/3", **KW).accepted
    assert check_equivalent("rowsum(A-Y)/3", "sum(A - Y)/3", **KW).accepted  # 1×1 is the number
    assert check_equivalent("hadamard(A, A)", "A^2", **KW).accepted  # powers are element-wise
    assert check_equivalent("1 - hadamard(A, A)", "1 - A^2", **KW).accepted  # scalars broadcast
    assert check_equivalent("tanh(Z)", "Matrix([[tanh(Z_0_0), tanh(Z_0_1), tanh(Z_0_2)]])", **KW).accepted


def test_element_differences_are_located():
    v = check_equivalent("Matrix([[A_0_0 - Y_0_0, A_0_1 + Y_0_1, A_0_2 - Y_0_2]])", "A - Y", **KW)
    assert v.diagnosis == "not_equivalent" and "(1, 2)" in v.feedback


def test_local_samples_work_for_matrices():
    s = reference_samples(DW, **KW)
    assert check_against_samples("X*(A-Y).T/3", s).accepted
    assert check_against_samples("X*(A-Y).T", s).diagnosis == "constant_factor"


def test_only_transpose_attribute_is_allowed():
    names = Names.of([], matrices={"X": (2, 2)})
    assert parse_expression("X.T", names) == sympy.ImmutableMatrix(parse_expression("X", names).T)
    with pytest.raises(ParseError, match="attribute"):
        parse_expression("X.inv()", names)


# two-layer network, 2 features, 3 hidden units, 4 examples (shapes chosen non-square on purpose)
NET = dict(matrices={"X": (2, 4), "A1": (3, 4), "Z1": (3, 4), "W2": (1, 3), "dZ2": (1, 4), "W1": (3, 2)},
           define={"A1": "tanh(Z1)", "Z1": "W1*X"})
DZ1 = "hadamard(W2.T*dZ2, 1 - A1^2)"


def test_backprop_hidden_layer():
    assert check_equivalent("hadamard(W2.T*dZ2, 1 - tanh(Z1)^2)", DZ1, **NET).accepted
    v = check_equivalent("W2.T*dZ2", DZ1, **NET)
    assert v.diagnosis == "missing_factor" and "element-wise factor 1 − A1²" in v.feedback
    v = check_equivalent("(W2.T*dZ2)*(1 - A1^2)", DZ1, **NET)  # a matrix product where hadamard belongs
    assert v.status == "invalid" and "hadamard" in v.feedback


# numpy adds a bias column to every column of W1 @ X (and a row to every row): Z1 = W1*X + b1 must read
BIAS = dict(matrices={"X": (2, 4), "W1": (3, 2), "b1": (3, 1), "r": (1, 4), "Y": (1, 4)})


def test_a_column_or_row_is_broadcast_over_a_matrix():
    assert check_equivalent("W1*X + b1", "W1*X + b1*Matrix([[1, 1, 1, 1]])", **BIAS).accepted
    assert check_equivalent("b1 + W1*X", "W1*X + b1*Matrix([[1, 1, 1, 1]])", **BIAS).accepted
    assert check_equivalent("W1*X - r", "W1*X - Matrix([[1], [1], [1]])*r", **BIAS).accepted
    names = Names.of([], matrices=BIAS["matrices"])
    assert parse_expression("tanh(W1*X + b1)", names).shape == (3, 4)


def test_a_row_and_a_column_make_no_outer_table():
    v = check_equivalent("Y - Y.T", "Y", **BIAS)
    assert v.status == "invalid" and "1×4 and a 4×1" in v.feedback
    v = check_equivalent("W1*X + Matrix([[1], [1], [1], [1]])", "W1*X", **BIAS)  # a 4×1 column, 3 rows
    assert v.status == "invalid" and "3×4 and a 4×1" in v.feedback


# The same expressions typed as Python in a notebook, on the setup cell's matrix() objects, and as strings.
def _kernel():
    from types import SimpleNamespace

    from autograder import notebook as nb

    return nb, SimpleNamespace(m=sympy.Symbol("m"), X=nb.matrix("X", 2, 4), W1=nb.matrix("W1", 3, 2),
                               b1=nb.matrix("b1", 3, 1), A1=nb.matrix("A1", 3, 4), Y=nb.matrix("Y", 1, 4),
                               r=nb.matrix("r", 1, 4))


KERNEL_FORMS = [
    ("W1*X + b1", lambda nb, k: k.W1 * k.X + k.b1),
    ("1 - tanh(W1*X + b1)^2", lambda nb, k: 1 - nb.tanh(k.W1 * k.X + k.b1)**2),
    ("1/(1 + exp(-(W1*X + b1)))", lambda nb, k: 1 / (1 + nb.exp(-(k.W1 @ k.X + k.b1)))),
    ("hadamard(A1, 1 - A1)", lambda nb, k: nb.hadamard(k.A1, 1 - k.A1)),
    ("2*A1 - A1^2/m", lambda nb, k: 2 * k.A1 - k.A1**2 / k.m),
    ("Y - sigma(r)", lambda nb, k: k.Y - nb.sigma(k.r)),
    ("rowsum(A1)/m + b1", lambda nb, k: nb.rowsum(k.A1) / k.m + k.b1),
]


@pytest.mark.parametrize("text, build", KERNEL_FORMS, ids=[t for t, _ in KERNEL_FORMS])
def test_python_operators_on_notebook_matrices_mean_what_the_string_means(text, build):
    """``W1*X + b1`` or ``1 - A1**2`` typed in the kernel: numpy's rules, not sympy's (which would refuse them)."""
    built = build(*_kernel())
    parsed = parse_expression(text, Names.of(["m"], matrices=dict(BIAS["matrices"], A1=(3, 4))))
    assert built.shape == parsed.shape
    assert sympy.simplify(sympy.Matrix(built) - sympy.Matrix(parsed)) == sympy.zeros(*parsed.shape)


@pytest.mark.parametrize("build, words", [
    (lambda k: k.W1 * k.W1, "cannot multiply a 3×2 by a 3×2 matrix — for an element-wise product use hadamard"),
    (lambda k: k.Y - k.Y.T, "cannot apply '-' to a 1×4 and a 4×1 matrix"),
    (lambda k: k.X * k.X, "cannot multiply a 2×4 by a 2×4 matrix"),
])
def test_python_operators_on_notebook_matrices_explain_shape_errors(build, words):
    from autograder.matrices import ShapeMismatch

    with pytest.raises(ShapeMismatch, match=re.escape(words)):
        build(_kernel()[1])
