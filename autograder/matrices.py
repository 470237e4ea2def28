"""Matrix answers with numpy's meaning of the operators students know from vectorized code.

``A*B`` is the matrix product (``np.dot``), ``hadamard(A, B)`` the element-wise one;
functions (exp, tanh, sigma, …) and powers apply element by element; a scalar
added to a matrix is added to every element, and so is a column (row) to every column (row) of a matrix
with as many rows (columns), as numpy broadcasts; ``A.T`` transposes; ``sum(A)`` adds
all elements, ``rowsum(A)``/``colsum(A)`` keep the dimensions (``axis=1/0, keepdims=True``).

>>> X = element_matrix("X", 2, 1)
>>> combine("*", X.T, X)
Matrix([[X_0_0**2 + X_1_0**2]])
"""

from __future__ import annotations

import sympy


class ShapeMismatch(ValueError):
    """Two matrices whose shapes do not fit the operation."""


class ArrayMatrix(sympy.ImmutableDenseMatrix):
    """An immutable sympy matrix whose Python operators follow the rules above, so that ``W1*X + b1``,
    ``1 - A1**2`` or ``1/(1 + exp(-Z))`` typed in a notebook mean what the same string means (and what numpy
    does), where plain sympy would refuse a scalar plus a matrix, broadcasting, or a power of a non-square one.

    >>> b, Z = element_matrix("b", 2, 1), element_matrix("Z", 2, 3)
    >>> (1 - Z**2 + b).shape
    (2, 3)
    """

    _op_priority = 10.02  # above sympy's own matrices (10.01) and expressions (10.0): mixed operations come here

    def __add__(self, other):
        return combine("+", self, other)

    def __radd__(self, other):
        return combine("+", other, self)

    def __sub__(self, other):
        return combine("-", self, other)

    def __rsub__(self, other):
        return combine("-", other, self)

    def __mul__(self, other):
        return combine("*", self, other)

    def __rmul__(self, other):
        return combine("*", other, self)

    __matmul__, __rmatmul__ = __mul__, __rmul__  # numpy's @ is the matrix product that * is here

    def __truediv__(self, other):
        return combine("/", self, other)

    def __rtruediv__(self, other):
        return combine("/", other, self)

    def __pow__(self, other):
        return combine("^", self, other)

    def __rpow__(self, other):
        return combine("^", other, self)


def element_matrix(name: str, rows: int, cols: int) -> ArrayMatrix:
    """A matrix of element symbols ``name_i_j``, the way each exercise matrix is represented."""
    return ArrayMatrix(rows, cols, [sympy.Symbol(f"{name}_{i}_{j}") for i in range(rows) for j in range(cols)])


def element_names(name: str, rows: int, cols: int) -> list[str]:
    return [f"{name}_{i}_{j}" for i in range(rows) for j in range(cols)]


def is_matrix(value) -> bool:
    return isinstance(value, sympy.MatrixBase)


def shape_text(value) -> str:
    return "×".join(map(str, value.shape)) if is_matrix(value) else "a scalar"


def elementwise(func, value):
    """``func`` applied to each element of a matrix, or to a scalar."""
    if is_matrix(value):
        return ArrayMatrix(value.shape[0], value.shape[1], [func(v) for v in value])
    return func(value)


def combine(op: str, left, right):
    """``left op right`` for op in + - * / ^ with the rules in the module docstring."""
    lm, rm = is_matrix(left), is_matrix(right)
    if op in "+-/" or op == "^":
        if lm and rm and left.shape != right.shape:
            left, right = _broadcast(left, right), _broadcast(right, left)
            if left.shape != right.shape:
                raise ShapeMismatch(f"cannot apply '{op}' to a {shape_text(left)} and a {shape_text(right)} matrix")
        fn = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "/": lambda a, b: a / b,
              "^": lambda a, b: a**b}[op]
        if lm and rm:
            return ArrayMatrix(left.shape[0], left.shape[1], [fn(a, b) for a, b in zip(left, right)])
        if lm:
            return elementwise(lambda a: fn(a, right), left)
        return elementwise(lambda b: fn(left, b), right)
    if op == "*":
        if lm and rm:
            if left.shape[1] != right.shape[0]:
                hint = " — for an element-wise product use hadamard(A, B)" if left.shape == right.shape else \
                    " — is a transpose (.T) missing?"
                raise ShapeMismatch(f"cannot multiply a {shape_text(left)} by a {shape_text(right)} matrix{hint}")
            return ArrayMatrix(left.multiply(right))  # not left * right: that would come back here
        return elementwise(lambda v: v * (right if lm else left), left if lm else right)
    raise ValueError(f"unknown operator {op!r}")


def _broadcast(vector, other):
    """``vector`` repeated to ``other``'s shape when it is a column (or row) of as many rows (or columns), as numpy
    broadcasts ``b1`` in ``W1 @ X + b1``; otherwise unchanged. A row and a column never make an outer table: that
    is almost always a mistake, and the shape error says so.

    >>> _broadcast(element_matrix("b", 2, 1), element_matrix("Z", 2, 3))
    Matrix([
    [b_0_0, b_0_0, b_0_0],
    [b_1_0, b_1_0, b_1_0]])
    """
    (rows, cols), (to_rows, to_cols) = vector.shape, other.shape
    if cols == 1 and rows == to_rows and to_cols > 1:
        return ArrayMatrix(rows, to_cols, lambda i, j: vector[i, 0])
    if rows == 1 and cols == to_cols and to_rows > 1:
        return ArrayMatrix(to_rows, cols, lambda i, j: vector[0, j])
    return vector


def hadamard(left, right):
    if not (is_matrix(left) and is_matrix(right)) or left.shape != right.shape:
        raise ShapeMismatch(f"hadamard needs two matrices of one shape, got {shape_text(left)} and {shape_text(right)}")
    return ArrayMatrix(left.shape[0], left.shape[1], [a * b for a, b in zip(left, right)])


def transpose(value):
    return ArrayMatrix(value.T) if is_matrix(value) else value


def total(value):
    return sympy.Add(*value) if is_matrix(value) else value


def rowsum(value):
    """Sum over each row, kept as a column (np.sum(A, axis=1, keepdims=True))."""
    if not is_matrix(value):
        return value
    return ArrayMatrix(value.shape[0], 1, [sympy.Add(*value.row(i)) for i in range(value.shape[0])])


def colsum(value):
    """Sum over each column, kept as a row (np.sum(A, axis=0, keepdims=True))."""
    if not is_matrix(value):
        return value
    return ArrayMatrix(1, value.shape[1], [sympy.Add(*value.col(j)) for j in range(value.shape[1])])


# Name a student types -> (function, number of arguments); these take matrices.
MATRIX_FUNCTIONS = {
    "transpose": (transpose, 1),
    "hadamard": (hadamard, 2),
    "sum": (total, 1),
    "rowsum": (rowsum, 1),
    "colsum": (colsum, 1),
}
