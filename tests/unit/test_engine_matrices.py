"""Vectorized answers: matrices of element symbols, numpy's operator meanings, shape diagnoses."""

import re

import pytest
import sympy

from autograder import check_against_samples, check_equivalent, reference_samples
from autograder.parse import Names, ParseError, parse_expression

# logistic regression on m = 3 examples with n_x = 2 features
M = {"X": (2, 3), "Y": (1, 3), "A": (1, 3), "Z": (1, 3), "w": (2, 1)}
KW = dict(matrices=M, symbols=["b"], define={"A": "sigmoid(Z)", "Z": "w.T @ X + b"}, domain={"Y": (0, 1)})
DW = "(1/3)*X @ (A-Y).T"


@pytest.mark.parametrize("answer", ["X @ (A-Y).T/3", "X @ transpose(A - Y)/3", "(X @ A.T - X @ Y.T)/3",
                                    "X @ (sigmoid(w.T @ X + b) - Y).T/3", "np.dot(X, (A - Y).T)/3",
                                    "1/3 * np.matmul(X, np.transpose(A - Y))", "X.dot((A - Y).T)/3",
                                    "np.sum(X * (A - Y), axis=1, keepdims=True)/3",
                                    "np.mean(X * (A - Y), axis=1, keepdims=True)",
                                    "numpy.dot(X, numpy.subtract(A, Y).T)/3"])
def test_vectorized_gradient_forms(answer):
    assert check_equivalent(answer, DW, **KW).accepted


@pytest.mark.parametrize("answer, code, words", [
    ("(A-Y) @ X.T/3", "shape_mismatch", ["2×1 column", "1×2 row", "transpose"]),
    ("np.dot(X, (A-Y).T)", "constant_factor", ["3 times"]),  # forgot 1/m
    ("np.dot(X, (Y-A).T)/3", "sign_error", ["wrong sign"]),
    ("X * (A-Y)/3", "shape_mismatch", ["2×1 column", "2×3 matrix"]),  # element-wise, broadcast: not summed
])
def test_matrix_mistakes_are_diagnosed(answer, code, words):
    v = check_equivalent(answer, DW, **KW)
    assert v.diagnosis == code
    assert all(w in v.feedback for w in words), v.feedback


def test_shapes_that_do_not_multiply_say_so():
    v = check_equivalent("X @ (A-Y)", DW, **KW)
    assert v.status == "invalid" and "transpose" in v.feedback
    v = check_equivalent("X * (A-Y).T", DW, **KW)  # element-wise where the matrix product belongs
    assert v.status == "invalid" and "for the matrix product use @ or np.dot(A, B)" in v.feedback


def test_sums_and_elementwise_operations():
    assert check_equivalent("sum(A-Y)/3", "sum(A - Y)/3", **KW).accepted
    assert check_equivalent("rowsum(A-Y)/3", "sum(A - Y)/3", **KW).accepted  # 1×1 is the number
    assert check_equivalent("np.sum(A-Y, axis=1, keepdims=True)/3", "np.sum(A - Y)/3", **KW).accepted
    assert check_equivalent("np.mean(A-Y)", "np.sum(A - Y)/3", **KW).accepted
    assert check_equivalent("A*A", "A^2", **KW).accepted  # * and powers are element-wise
    assert check_equivalent("hadamard(A, A)", "np.square(A)", **KW).accepted
    assert check_equivalent("1 - np.multiply(A, A)", "1 - np.power(A, 2)", **KW).accepted  # scalars broadcast
    assert check_equivalent("np.tanh(Z)", "Matrix([[tanh(Z_0_0), tanh(Z_0_1), tanh(Z_0_2)]])", **KW).accepted
    assert check_equivalent("np.exp(-Z)", "math.exp(-1)**Z", **KW).accepted


def test_element_differences_are_located():
    v = check_equivalent("Matrix([[A_0_0 - Y_0_0, A_0_1 + Y_0_1, A_0_2 - Y_0_2]])", "A - Y", **KW)
    assert v.diagnosis == "not_equivalent" and "(1, 2)" in v.feedback


def test_local_samples_work_for_matrices():
    s = reference_samples(DW, **KW)
    assert check_against_samples("np.dot(X, (A-Y).T)/3", s).accepted
    assert check_against_samples("X @ (A-Y).T", s).diagnosis == "constant_factor"


def test_only_numpy_prefixes_transpose_and_dot_are_allowed_as_attributes():
    names = Names.of(["m"], matrices={"X": (2, 2)})
    assert parse_expression("X.T", names) == sympy.ImmutableMatrix(parse_expression("X", names).T)
    assert parse_expression("X.dot(X)", names) == parse_expression("X @ X", names)
    assert parse_expression("np.exp(X)", names) == parse_expression("exp(X)", names)
    for text, words in [("X.inv()", "'.inv' at column 2: attribute access is not allowed"),
                        ("X.shape", "'.shape' at column 2"), ("np.linalg.inv(X)", "unknown function 'np.linalg'"),
                        ("np.max(X)", "write np.maximum(a, b)"), ("X.T.T.dot(X).sum()", "'.sum' at column 13"),
                        ("sympy.exp(X)", "'.exp' at column 6"), ("np", "'np' is only a prefix"),
                        ("X.dot(X, X)", "A.dot(B) takes one matrix"), ("np.sum(X, axis=m)", "axis= takes a number"),
                        ("np.exp(X, axis=1)", "exp takes no keyword arguments"),
                        ("np.sum(X, where=1)", "'='"), ("X.__class__", "'__' is not allowed")]:
        with pytest.raises(ParseError, match=re.escape(words)):
            parse_expression(text, names)


# numpy's axis sums: keepdims=True keeps a column or a row, without it the result is 1-D, as in numpy
AXES = dict(matrices={"dZ1": (3, 4), "dZ2": (1, 4)}, symbols=["m"])


@pytest.mark.parametrize("text, shape", [
    ("np.sum(dZ1)", None), ("np.sum(dZ1, axis=1, keepdims=True)", (3, 1)), ("np.sum(dZ1, 0, True)", (1, 4)),
    ("np.sum(dZ1, axis=-1, keepdims=True)", (3, 1)), ("np.sum(dZ1, axis=None, keepdims=True)", (1, 1)),
    ("np.mean(dZ1, axis=0, keepdims=True)", (1, 4)), ("np.sum(np.sum(dZ1, axis=1))", None),
    ("np.sum(dZ2, axis=1)", None),  # a 1-D array of one value is that value
    ("dZ1 - np.sum(dZ1, axis=0)", (3, 4)),  # a 1-D array broadcasts as a row, as in numpy
])
def test_axis_sums_have_numpys_shapes(text, shape):
    value = parse_expression(text, Names.of(["m"], matrices=AXES["matrices"]))
    assert getattr(value, "shape", None) == shape


def test_a_missing_keepdims_is_named():
    v = check_equivalent("1/m * np.sum(dZ1, axis=1)", "np.sum(dZ1, axis=1, keepdims=True)/m", **AXES)
    assert v.status == "invalid" and v.diagnosis == "missing_keepdims"
    assert "1-D array of 3 values (numpy shape (3,))" in v.feedback and "keepdims=True" in v.feedback
    with pytest.raises(ParseError, match="axis 2 is out of bounds for a 3×4 matrix"):
        parse_expression("np.sum(dZ1, axis=2)", Names.of([], matrices=AXES["matrices"]))


def test_where_and_maximum_act_element_by_element():
    names = Names.of([], matrices={"Z": (2, 2)})
    relu = parse_expression("np.maximum(0, Z)", names)
    assert relu.shape == (2, 2) and relu[0, 1] == sympy.Max(0, sympy.Symbol("Z_0_1"))
    step = parse_expression("np.where(Z > 0, 1, 0)", names)
    assert step.shape == (2, 2) and step[1, 0] == sympy.Piecewise((1, sympy.Symbol("Z_1_0") > 0), (0, True))


# two-layer network, 2 features, 3 hidden units, 4 examples (shapes chosen non-square on purpose)
NET = dict(matrices={"X": (2, 4), "A1": (3, 4), "Z1": (3, 4), "W2": (1, 3), "dZ2": (1, 4), "W1": (3, 2)},
           define={"A1": "tanh(Z1)", "Z1": "W1 @ X"})
DZ1 = "np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))"


def test_backprop_hidden_layer():
    assert check_equivalent("hadamard(W2.T @ dZ2, 1 - tanh(Z1)^2)", DZ1, **NET).accepted
    assert check_equivalent("(W2.T @ dZ2) * (1 - A1**2)", DZ1, **NET).accepted
    v = check_equivalent("W2.T @ dZ2", DZ1, **NET)
    assert v.diagnosis == "missing_factor" and "element-wise factor 1 − A1²" in v.feedback
    v = check_equivalent("(W2.T @ dZ2) @ (1 - A1^2)", DZ1, **NET)  # a matrix product where * belongs
    assert v.status == "invalid" and "for an element-wise product use *" in v.feedback


# numpy adds a bias column to every column of W1 @ X (and a row to every row): Z1 = W1 @ X + b1 must read
BIAS = dict(matrices={"X": (2, 4), "W1": (3, 2), "b1": (3, 1), "r": (1, 4), "Y": (1, 4)})


def test_a_column_or_row_is_broadcast_over_a_matrix():
    assert check_equivalent("W1 @ X + b1", "W1 @ X + b1 @ Matrix([[1, 1, 1, 1]])", **BIAS).accepted
    assert check_equivalent("b1 + np.dot(W1, X)", "W1 @ X + b1 @ Matrix([[1, 1, 1, 1]])", **BIAS).accepted
    assert check_equivalent("W1 @ X - r", "W1 @ X - Matrix([[1], [1], [1]]) @ r", **BIAS).accepted
    assert check_equivalent("(W1 @ X) * r", "W1 @ X * (Matrix([[1], [1], [1]]) @ r)", **BIAS).accepted
    names = Names.of([], matrices=BIAS["matrices"])
    assert parse_expression("tanh(W1 @ X + b1)", names).shape == (3, 4)


def test_a_row_and_a_column_make_no_outer_table():
    v = check_equivalent("Y - Y.T", "Y", **BIAS)
    assert v.status == "invalid" and "1×4 and a 4×1" in v.feedback
    v = check_equivalent("W1 @ X + Matrix([[1], [1], [1], [1]])", "W1 @ X", **BIAS)  # a 4×1 column, 3 rows
    assert v.status == "invalid" and "3×4 and a 4×1" in v.feedback


# The same expressions typed as Python in a notebook, on the setup cell's matrix() objects, and as strings.
def _kernel():
    from types import SimpleNamespace

    from autograder import notebook as nb

    return nb, SimpleNamespace(m=sympy.Symbol("m"), X=nb.matrix("X", 2, 4), W1=nb.matrix("W1", 3, 2),
                               b1=nb.matrix("b1", 3, 1), A1=nb.matrix("A1", 3, 4), Y=nb.matrix("Y", 1, 4),
                               r=nb.matrix("r", 1, 4))


KERNEL_FORMS = [
    ("W1 @ X + b1", lambda nb, k: k.W1 @ k.X + k.b1),
    ("1 - tanh(W1 @ X + b1)^2", lambda nb, k: 1 - nb.tanh(k.W1 @ k.X + k.b1)**2),
    ("1/(1 + exp(-(W1 @ X + b1)))", lambda nb, k: 1 / (1 + nb.exp(-(nb.np.dot(k.W1, k.X) + k.b1)))),
    ("hadamard(A1, 1 - A1)", lambda nb, k: nb.hadamard(k.A1, 1 - k.A1)),
    ("A1 * (1 - A1)", lambda nb, k: nb.np.multiply(k.A1, nb.np.subtract(1, k.A1))),
    ("2*A1 - A1^2/m", lambda nb, k: 2 * k.A1 - k.A1**2 / k.m),
    ("Y - sigma(r)", lambda nb, k: k.Y - nb.sigma(k.r)),
    ("rowsum(A1)/m + b1", lambda nb, k: nb.rowsum(k.A1) / k.m + k.b1),
    ("np.sum(A1, axis=1, keepdims=True)/m", lambda nb, k: 1 / k.m * nb.np.sum(k.A1, axis=1, keepdims=True)),
    ("np.mean(A1 * Y, axis=1, keepdims=True)", lambda nb, k: nb.numpy.mean(k.A1 * k.Y, axis=1, keepdims=True)),
    ("X.dot(Y.T) + np.exp(X @ Y.T)", lambda nb, k: k.X.dot(k.Y.T) + nb.np.exp(nb.np.matmul(k.X, k.Y.T))),
    ("np.where(A1 > 0, A1, 0.5)", lambda nb, k: nb.np.where(k.A1 > 0, k.A1, 0.5)),
    ("np.maximum(0, A1) - np.square(A1)", lambda nb, k: nb.np.maximum(0, k.A1) - nb.np.square(k.A1)),
    ("np.transpose(X) * math.pi", lambda nb, k: nb.np.transpose(k.X) * nb.math.pi),
]


@pytest.mark.parametrize("text, build", KERNEL_FORMS, ids=[t for t, _ in KERNEL_FORMS])
def test_python_operators_on_notebook_matrices_mean_what_the_string_means(text, build):
    """``W1*X + b1`` or ``1 - A1**2`` typed in the kernel: numpy's rules, not sympy's (which would refuse them)."""
    built = build(*_kernel())
    parsed = parse_expression(text, Names.of(["m"], matrices=dict(BIAS["matrices"], A1=(3, 4))))
    assert built.shape == parsed.shape
    assert sympy.simplify(sympy.Matrix(built) - sympy.Matrix(parsed)) == sympy.zeros(*parsed.shape)


@pytest.mark.parametrize("build, words", [
    (lambda k: k.W1 @ k.W1, "cannot take the matrix product of a 3×2 and a 3×2 matrix — for an element-wise "
                            "product use *"),
    (lambda k: k.Y - k.Y.T, "cannot subtract a 1×4 and a 4×1 matrix element by element"),
    (lambda k: k.X * k.X.T, "cannot multiply a 2×4 and a 4×2 matrix element by element — for the matrix product "
                            "use @ or np.dot(A, B)"),
])
def test_python_operators_on_notebook_matrices_explain_shape_errors(build, words):
    from autograder.matrices import ShapeMismatch

    with pytest.raises(ShapeMismatch, match=re.escape(words)):
        build(_kernel()[1])


def test_a_python_caret_says_to_use_a_power():
    """On a notebook matrix, anywhere; on a sympy symbol, in a notebook's kernel (tests/unit/test_notebook_caret.py)."""
    nb, k = _kernel()
    for build in (lambda: 1 - k.A1 ^ 2, lambda: k.A1 ^ k.m, lambda: 2 ^ k.A1):
        with pytest.raises(TypeError, match=re.escape("write ** for a power")):
            build()


def test_the_numpy_stand_in_is_symbolic_and_says_what_it_lacks():
    nb, k = _kernel()
    assert isinstance(nb.np.sum(k.A1), sympy.Expr)  # a sympy sum of the element symbols, not a float
    with pytest.raises(AttributeError, match="symbolic stand-in for numpy"):
        nb.np.random
    with pytest.raises(AttributeError, match=re.escape("write np.maximum(a, b)")):
        nb.np.max


@pytest.mark.parametrize("build, text", [
    (lambda nb, k: nb.np.sum(k.A1, axis=1) / k.m, "array([(A1_0_0"),
    (lambda nb, k: nb.np.where(k.A1 > 0, 1, 0), "Matrix([[where(A1_0_0 > 0, 1, 0), "),
    (lambda nb, k: nb.where(k.m > 0, 1, k.m), "where(m > 0, 1, m)"),
])
def test_kernel_objects_are_recorded_as_text_the_engine_reads_back(build, text):
    nb, k = _kernel()
    built = build(nb, k)
    recorded = nb.answer_payload(built)
    assert recorded.startswith(text)
    names = Names.of(["m"], matrices=dict(BIAS["matrices"], A1=(3, 4)))
    if text.startswith("array"):  # a 1-D array comes back 1-D: refused with the keepdims sentence
        with pytest.raises(ParseError, match="keepdims=True"):
            parse_expression(recorded, names)
    else:
        assert parse_expression(recorded, names) == (sympy.ImmutableMatrix(built) if built.is_Matrix else built)


def test_the_quiz_reads_numpy_and_math_prefixes_too():
    """A quiz answer typed the numpy way, as a string or built with the notebook's np/math, is the same number."""
    from autograder import notebook as nb
    from autograder.quiz import Numeric, Symbolic

    sigma = Numeric("q4", "Compute σ({z}).", {"z": [2]}, "1/(1 + exp(-z))", quiz_id="quiz1")
    variant = sigma.variant("ada")
    for answer in ("1/(1 + np.exp(-2))", "1/(1 + math.exp(-2))", nb.answer_payload(1 / (1 + nb.math.exp(-2)))):
        assert sigma.grade(answer, variant).points == 1, answer
    slope = Symbolic("q10", "da/dx for a = σ(2x)", "2*sigma(2*x)*(1 - sigma(2*x))", domain={"x": (-3, 3)},
                     symbols=("x",), quiz_id="quiz1")
    assert slope.grade("2*np.exp(-2*x)/(1 + np.exp(-2*x))**2", slope.variant("ada")).points == slope.points
