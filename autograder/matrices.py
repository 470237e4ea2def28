"""Matrix answers with numpy's meaning of the operators, as the course's vectorized code uses them.

``A*B`` is the element-wise product and ``A @ B`` (``np.dot``, ``np.matmul``, ``A.dot(B)``) the matrix
product; ``hadamard(A, B)`` is the element-wise product of two matrices of one shape. ``+ - * / **`` and
functions (exp, tanh, sigma, …) apply element by element, and a number, a column or a row is broadcast over a
matrix as numpy does (``W1 @ X + b1``). ``np.sum``/``np.mean`` take ``axis`` and ``keepdims``; an axis sum
without ``keepdims=True`` is a 1-D array (:class:`Flat`), as in numpy.

>>> X, dZ = element_matrix("X", 2, 1), element_matrix("dZ", 1, 1)
>>> matmul(X, dZ.T), combine("*", X, X)
(Matrix([
[X_0_0*dZ_0_0],
[X_1_0*dZ_0_0]]), Matrix([
[X_0_0**2],
[X_1_0**2]]))
"""

from __future__ import annotations

import sympy


class ShapeMismatch(ValueError):
    """Two matrices whose shapes do not fit the operation."""


def _no_xor(self, other):
    raise TypeError("'^' is not a power in Python (it is bitwise xor): write ** for a power (a**2, A1**2) "
                    "(inside a string answer, ^ also works)")


class ArrayMatrix(sympy.ImmutableDenseMatrix):
    """An immutable sympy matrix whose Python operators are numpy's, so that ``W1 @ X + b1``,
    ``np.dot(W2.T, dZ2) * (1 - A1**2)`` or ``1/(1 + exp(-Z))`` typed in a notebook mean what the same string
    means, where plain sympy would refuse broadcasting or read ``*`` as the matrix product.

    >>> b, Z = element_matrix("b", 2, 1), element_matrix("Z", 2, 3)
    >>> (1 - Z**2 + b).shape, (Z * b).shape
    ((2, 3), (2, 3))
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

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    def __truediv__(self, other):
        return combine("/", self, other)

    def __rtruediv__(self, other):
        return combine("/", other, self)

    def __pow__(self, other):
        return combine("^", self, other)

    def __rpow__(self, other):
        return combine("^", other, self)

    __xor__ = __rxor__ = _no_xor

    def __gt__(self, other):
        return compare(">", self, other)

    def __lt__(self, other):
        return compare("<", self, other)

    def __ge__(self, other):
        return compare(">=", self, other)

    def __le__(self, other):
        return compare("<=", self, other)

    def dot(self, other, *args, **kwargs):  # numpy's A.dot(B) is the matrix product (sympy's is not)
        if args or kwargs:
            raise TypeError("A.dot(B) takes one matrix")
        return matmul(self, other)


class Flat(ArrayMatrix):
    """A 1-D array of n values (numpy shape ``(n,)``), stored as the 1×n row numpy broadcasts it as.

    What ``np.sum(A, axis=1)`` gives without ``keepdims=True``; as a final answer it is refused with a
    sentence (see :func:`one_dimensional_problem`), except a single value, which is that number.

    >>> print(flat([sympy.Symbol("a"), 2]))
    array([a, 2])
    """

    @property
    def T(self):
        return self  # numpy: the transpose of a 1-D array is itself

    def _sympystr(self, printer):
        return "array([%s])" % ", ".join(printer._print(v) for v in self)

    def __str__(self):  # sympy's matrices print themselves without the printer
        return sympy.sstr(self)

    __repr__ = __str__


def flat(values) -> Flat:
    values = list(values)
    return Flat(1, len(values), values)


def is_flat(value) -> bool:
    return isinstance(value, Flat)


def element_matrix(name: str, rows: int, cols: int) -> ArrayMatrix:
    """A matrix of element symbols ``name_i_j``, the way each exercise matrix is represented."""
    return ArrayMatrix(rows, cols, [sympy.Symbol(f"{name}_{i}_{j}") for i in range(rows) for j in range(cols)])


def element_names(name: str, rows: int, cols: int) -> list[str]:
    return [f"{name}_{i}_{j}" for i in range(rows) for j in range(cols)]


def is_matrix(value) -> bool:
    return isinstance(value, sympy.MatrixBase)


def shape_text(value) -> str:
    if is_flat(value):
        return f"1-D array of {value.shape[1]}"
    return "×".join(map(str, value.shape)) if is_matrix(value) else "a scalar"


def elementwise(func, value):
    """``func`` applied to each element of a matrix, or to a scalar."""
    if is_matrix(value):
        cls = Flat if is_flat(value) else ArrayMatrix
        return cls(value.shape[0], value.shape[1], [func(v) for v in value])
    return func(value)


_ELEMENTWISE = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
                "/": lambda a, b: a / b, "^": lambda a, b: a**b}


def combine(op: str, left, right):
    """``left op right`` for op in + - * / ^, element by element with numpy's broadcasting; ``@`` is the
    matrix product (:func:`matmul`)."""
    if op == "@":
        return matmul(left, right)
    fn = _ELEMENTWISE.get(op)
    if fn is None:
        raise ValueError(f"unknown operator {op!r}")
    return broadcast_apply(fn, left, right, op)


def broadcast_apply(fn, left, right, op="*"):
    """``fn(l, r)`` for each pair of elements of ``left`` and ``right`` broadcast to one shape, as numpy's
    two-argument functions (np.maximum) apply; ``op`` names the operation in a shape error."""
    lm, rm = is_matrix(left), is_matrix(right)
    if lm and rm:
        one_d = is_flat(left) and is_flat(right)
        if left.shape != right.shape:
            left, right = _broadcast(left, right), _broadcast(right, left)
            if left.shape != right.shape:
                raise ShapeMismatch(_mismatch(op, left, right))
        cls = Flat if one_d else ArrayMatrix
        return cls(left.shape[0], left.shape[1], [fn(a, b) for a, b in zip(left, right)])
    if lm:
        return elementwise(lambda a: fn(a, right), left)
    if rm:
        return elementwise(lambda b: fn(left, b), right)
    return fn(left, right)


def _mismatch(op, left, right) -> str:
    what = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "^": "raise"}.get(op, f"apply {op} to")
    text = f"cannot {what} a {shape_text(left)} and a {shape_text(right)} matrix element by element"
    if op == "*" and is_matrix(left) and is_matrix(right) and left.shape[1] == right.shape[0]:
        text += " — for the matrix product use @ or np.dot(A, B)"
    return text


def matmul(left, right):
    """The matrix product (``A @ B``, ``np.dot``, ``np.matmul``); a number times a matrix is the scaled
    matrix, as ``np.dot`` makes it."""
    if not (is_matrix(left) and is_matrix(right)):
        return combine("*", left, right)
    lf, rf = is_flat(left), is_flat(right)
    inner_left = left.shape[1]
    inner_right = right.shape[1] if rf else right.shape[0]
    if inner_left != inner_right:
        hint = " — for an element-wise product use *" if left.shape == right.shape else \
            " — is a transpose (.T) missing?"
        raise ShapeMismatch(f"cannot take the matrix product of a {shape_text(left)} and a {shape_text(right)} "
                            f"matrix{hint}")
    product = sympy.Matrix(left).multiply(sympy.Matrix(right.T if rf else right))
    if lf and rf:
        return product[0, 0]
    if rf:
        return flat(product)  # (r, n) @ (n,) is (r,)
    return flat(product) if lf else ArrayMatrix(product)


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
    if is_flat(other):
        return vector
    if cols == 1 and rows == to_rows and to_cols > 1 and not is_flat(vector):
        return ArrayMatrix(rows, to_cols, lambda i, j: vector[i, 0])
    if rows == 1 and cols == to_cols and to_rows > 1:
        return ArrayMatrix(to_rows, cols, lambda i, j: vector[0, j])
    return vector


def hadamard(left, right):
    if not (is_matrix(left) and is_matrix(right)) or left.shape != right.shape:
        raise ShapeMismatch(f"hadamard needs two matrices of one shape, got {shape_text(left)} and {shape_text(right)}")
    return combine("*", left, right)


def transpose(value):
    if is_flat(value):
        return value
    return ArrayMatrix(value.T) if is_matrix(value) else value


def total(value, axis=None, keepdims=False):
    """``np.sum``: all elements (a number), or along ``axis`` 0 (down each column) or 1 (along each row),
    kept 2-D only with ``keepdims=True``."""
    axis = _axis(value, axis)
    if not is_matrix(value):
        return value
    if axis is None or is_flat(value):
        s = sympy.Add(*value)
        return ArrayMatrix(1, 1, [s]) if keepdims and not is_flat(value) else flat([s]) if keepdims else s
    rows, cols = value.shape
    if axis == 1:
        sums = [sympy.Add(*value.row(i)) for i in range(rows)]
        return ArrayMatrix(rows, 1, sums) if keepdims else flat(sums)
    sums = [sympy.Add(*value.col(j)) for j in range(cols)]
    return ArrayMatrix(1, cols, sums) if keepdims else flat(sums)


def mean(value, axis=None, keepdims=False):
    """``np.mean``: :func:`total` divided by the number of elements it added."""
    axis = _axis(value, axis)
    if not is_matrix(value):
        return value
    rows, cols = value.shape
    count = cols if axis == 1 or is_flat(value) else rows * cols if axis is None else rows
    return combine("/", total(value, axis, keepdims), sympy.Integer(count))


def _axis(value, axis):
    if axis is None:
        return None
    if isinstance(axis, bool) or not isinstance(axis, (int, sympy.Integer)):
        raise ShapeMismatch(f"axis must be 0, 1 or None, not {axis!r}")
    ndim = 1 if is_flat(value) else 2 if is_matrix(value) else 0
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ShapeMismatch(f"axis {axis} is out of bounds for {'a scalar' if ndim == 0 else f'a {shape_text(value)}'}"
                            + (" matrix" if ndim == 2 else ""))
    return axis % ndim


def rowsum(value):
    """Sum over each row, kept as a column (np.sum(A, axis=1, keepdims=True))."""
    return total(value, 1, True) if is_matrix(value) and not is_flat(value) else total(value)


def colsum(value):
    """Sum over each column, kept as a row (np.sum(A, axis=0, keepdims=True))."""
    return total(value, 0, True) if is_matrix(value) and not is_flat(value) else total(value)


class Condition:
    """Element-wise comparisons of a matrix (``Z1 > 0``), the first argument of ``np.where``; sympy matrices
    cannot hold relations, so this keeps them in a plain list of the matrix's shape."""

    def __init__(self, shape, relations):
        self.shape, self.relations = shape, relations

    def __bool__(self):
        raise TypeError("a comparison of matrices holds element by element: use it in np.where(condition, a, b)")


_RELATIONS = {">": sympy.StrictGreaterThan, "<": sympy.StrictLessThan, ">=": sympy.GreaterThan,
              "<=": sympy.LessThan}


def compare(op: str, left, right):
    """``left op right``: a sympy relation for numbers, a :class:`Condition` for matrices (broadcast)."""
    rel = _RELATIONS[op]
    if not (is_matrix(left) or is_matrix(right)):
        return rel(left, right, evaluate=False)
    pairs = combine("-", left, right)  # checks and broadcasts the shapes
    lhs, rhs = _spread(left, pairs), _spread(right, pairs)
    return Condition(pairs.shape, [rel(a, b, evaluate=False) for a, b in zip(lhs, rhs)])


def _spread(value, like):
    if not is_matrix(value):
        return [value] * (like.shape[0] * like.shape[1])
    return list(_broadcast(value, like))


def where(condition, if_true, if_false):
    """``np.where``: ``if_true`` where the condition holds, else ``if_false``, element by element."""
    if isinstance(condition, bool):
        condition = sympy.true if condition else sympy.false
    if not isinstance(condition, Condition):
        if is_matrix(if_true) or is_matrix(if_false):
            shape_of = if_true if is_matrix(if_true) else if_false
            condition = Condition(shape_of.shape, [condition] * len(shape_of))
        else:
            return sympy.Piecewise((if_true, condition), (if_false, True))
    rows, cols = condition.shape
    like = ArrayMatrix(rows, cols, [0] * (rows * cols))
    for value in (if_true, if_false):
        if is_matrix(value) and _broadcast(value, like).shape != like.shape:
            raise ShapeMismatch(f"np.where: a {shape_text(value)} matrix does not fit a "
                                f"{rows}×{cols} condition")
    yes, no = _spread(if_true, like), _spread(if_false, like)
    return ArrayMatrix(rows, cols, [sympy.Piecewise((a, c), (b, True))
                                    for c, a, b in zip(condition.relations, yes, no)])


def power(base, exponent):
    return combine("^", base, exponent)


def one_dimensional_problem(value) -> str | None:
    """Why a 1-D array cannot be a final answer (None when ``value`` is not one).

    >>> one_dimensional_problem(flat([1, 2, 3]))[:46]
    'Your answer is a 1-D array of 3 values (numpy '
    """
    if not is_flat(value) or value.shape[1] == 1:
        return None
    n = value.shape[1]
    return (f"Your answer is a 1-D array of {n} values (numpy shape ({n},)), not a matrix: a sum along an axis "
            f"stays 2-D only with keepdims=True, e.g. np.sum(dZ, axis=1, keepdims=True) for a column")


# Name a student types -> (function, number of arguments); these take matrices. The same table serves strings
# (parse.py) and the notebook (notebook.py), after np./numpy. or bare.
MATRIX_FUNCTIONS = {
    "transpose": (transpose, 1),
    "hadamard": (hadamard, 2),
    "sum": (total, 1),
    "mean": (mean, 1),
    "rowsum": (rowsum, 1),
    "colsum": (colsum, 1),
    "dot": (matmul, 2),
    "matmul": (matmul, 2),
    "multiply": (lambda a, b: combine("*", a, b), 2),
    "add": (lambda a, b: combine("+", a, b), 2),
    "subtract": (lambda a, b: combine("-", a, b), 2),
    "divide": (lambda a, b: combine("/", a, b), 2),
    "power": (power, 2),
    "square": (lambda a: combine("^", a, 2), 1),
}

# Keyword arguments a matrix function accepts, as numpy spells them.
KEYWORDS = {"sum": ("axis", "keepdims"), "mean": ("axis", "keepdims")}

# Module prefixes an answer may put before a known function (np.exp, numpy.dot, math.log) and the functions
# whose numpy meaning differs from ours under the same name: np.max is a reduction, not max(a, b).
NAMESPACES = ("np", "numpy", "math")
NOT_UNDER_NAMESPACE = {"max": "np.maximum(a, b)", "min": "np.minimum(a, b)", "Max": "np.maximum(a, b)",
                       "Min": "np.minimum(a, b)"}
NUMPY_ALIASES = {"maximum": "max", "minimum": "min", "absolute": "abs"}  # numpy's name -> ours
