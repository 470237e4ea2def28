"""Read an answer safely: text (calculator/Python syntax or LaTeX) or a sympy object → a checked sympy object.

No student string ever reaches ``eval``: text goes through sympy's tokenizer
transformations (``stringify_expr``) and the resulting Python source is only
*parsed* (``ast.parse``) and walked node by node; each node must be on a short
whitelist and is turned into a sympy object directly.

>>> names = Names.of(["a", "y"])
>>> parse_expression("2a(1-a)", names)
2*a*(1 - a)
"""

from __future__ import annotations

import ast
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import sympy
from sympy.parsing.sympy_parser import (
    auto_number,
    auto_symbol,
    convert_xor,
    implicit_multiplication_application,
    stringify_expr,
)

from .functions import CONSTANTS, FUNCTIONS
from .matrices import (
    KEYWORDS,
    MATRIX_FUNCTIONS,
    NAMESPACES,
    NOT_UNDER_NAMESPACE,
    NUMPY_ALIASES,
    ShapeMismatch,
    broadcast_apply,
    combine,
    compare,
    element_matrix,
    element_names,
    elementwise,
    flat,
    is_flat,
    matmul,
    one_dimensional_problem,
    where,
)

MAX_LENGTH = 2000  # characters; a chain-rule step is a line, not a page
MAX_DEPTH = 60  # nested brackets
MAX_NODES = 5000  # nodes in a sympy tree given directly
MAX_POWER_BITS = 4096  # exact integer powers larger than this stay unevaluated
MAX_DIGITS = 200

# Characters students paste from slides or phones, mapped to what they mean.
UNICODE_MATH = {
    "−": "-", "–": "-", "—": "-", "·": "*", "⋅": "*", "∙": "*", "×": "*", "÷": "/",
    "σ": " sigma", "π": " pi ", "²": "**2", "³": "**3", "⁻¹": "**(-1)", "√": " sqrt",
    "（": "(", "）": ")", "‘": "'", "’": "'",
}


class ParseError(ValueError):
    """An answer that cannot be read; ``code`` is a short diagnosis, ``column`` is 1-based or None."""

    def __init__(self, code: str, message: str, column: int | None = None):
        super().__init__(message)
        self.code, self.message, self.column = code, message, column

    def __reduce__(self):  # it comes back from the bounded worker process whole, not as a TypeError
        return ParseError, (self.code, self.message, self.column)


@dataclass(frozen=True)
class Names:
    """The names an answer may use: declared symbols, plus the built-in functions and constants."""

    symbols: tuple[str, ...]  # every scalar symbol, matrix elements (X_0_1) included
    forbid: frozenset[str] = frozenset()
    matrices: tuple = ()  # ((name, rows, cols), ...): names that stand for matrices of element symbols

    @classmethod
    def of(cls, symbols, forbid=(), matrices=None) -> "Names":
        matrices = tuple(sorted((n, int(r), int(c)) for n, (r, c) in dict(matrices or {}).items()))
        names = set(symbols) - {m for m, _, _ in matrices}
        for m, r, c in matrices:
            names |= set(element_names(m, r, c))
        for s in names | {m for m, _, _ in matrices}:
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", s) or s in FUNCTIONS or s in MATRIX_FUNCTIONS:
                raise ValueError(f"{s!r} cannot be a symbol name")
        return cls(tuple(sorted(names)), frozenset(forbid), matrices)

    def without_forbid(self) -> "Names":
        """The same names with nothing forbidden (for the instructor's reference)."""
        return Names(self.symbols, frozenset(), self.matrices)

    def with_forbid(self, forbid) -> "Names":
        return Names(self.symbols, frozenset(forbid), self.matrices)

    @property
    def scalars(self) -> tuple[str, ...]:
        """The declared scalar symbols, without matrix elements."""
        elements = {e for m, r, c in self.matrices for e in element_names(m, r, c)}
        return tuple(s for s in self.symbols if s not in elements)

    def symbol(self, name: str) -> sympy.Symbol:
        return sympy.Symbol(name)

    def lookup(self) -> dict:
        table = {n: sympy.Symbol(n) for n in self.symbols}
        for n, c in CONSTANTS.items():
            table.setdefault(n, c)
        for n, (f, _) in FUNCTIONS.items():
            table[n] = f
        for n, (f, _) in MATRIX_FUNCTIONS.items():
            table[n] = f
        for m, r, c in self.matrices:
            table[m] = element_matrix(m, r, c)
        table["Matrix"] = sympy.Matrix
        table["where"] = sympy.Piecewise  # built by _Builder._where, never called as given
        table["array"] = sympy.Matrix  # np.array([...]), built by _Builder._Call
        for n in NAMESPACES:
            table.setdefault(n, NAMESPACE)
        return table

    def listing(self) -> str:
        shown = list(self.scalars) + [m for m, _, _ in self.matrices]
        return ", ".join(shown) if shown else "no symbols"


def parse_expression(answer, names: Names):
    """Turn an answer (str or sympy object) into a sympy Expr or ImmutableMatrix, or raise ParseError.

    >>> parse_expression(r"\\frac{a-y}{a(1-a)}", Names.of(["a", "y"]))
    (a - y)/(a*(1 - a))
    """
    if isinstance(answer, str):
        return _final(_parse_text(answer, names))
    if is_flat(answer):
        return _final(flat(parse_expression(sympy.ImmutableMatrix(answer), names)))
    if isinstance(answer, bool) or answer is None:
        raise ParseError("not_expression", f"expected a math expression, got {answer!r}")
    if isinstance(answer, (int, float)):
        return sympy.sympify(answer)
    if isinstance(answer, sympy.MatrixBase):
        if answer.shape[0] * answer.shape[1] > MAX_NODES:
            raise ParseError("too_long", f"a {answer.shape[0]}×{answer.shape[1]} matrix is too large")
        return sympy.ImmutableMatrix(answer.shape[0], answer.shape[1],
                                     [_checked_tree(e, names) for e in answer])
    if isinstance(answer, sympy.Basic):
        return _checked_tree(answer, names)
    raise ParseError("not_expression",
                     f"expected a math expression, got a {type(answer).__name__}")


class _Namespace:
    """What ``np``, ``numpy`` and ``math`` stand for in an answer: only a prefix of a known function."""

    def __repr__(self):
        return "a module prefix"


NAMESPACE = _Namespace()


def _final(value):
    """A parsed answer as the engine judges it: a 1-D array is refused (or is its single value), a matrix is a
    plain immutable sympy matrix (numpy's operators belong to reading the answer, not to judging it)."""
    problem = one_dimensional_problem(value)
    if problem:
        raise ParseError("missing_keepdims", problem)
    if is_flat(value):
        return value[0, 0]
    if isinstance(value, sympy.MatrixBase):
        return sympy.ImmutableMatrix(value)
    return value


@lru_cache(maxsize=4096)
def _parse_text(text: str, names: Names):
    text = _normalize(text, names)
    if "\\" in text or "{" in text:
        return _parse_latex(text, names)
    return _parse_plain(text, names)


def _normalize(text: str, names: Names) -> str:
    if len(text) > MAX_LENGTH:
        raise ParseError("too_long",
                         f"the answer is {len(text):,} characters long; the limit is {MAX_LENGTH:,}")
    for k, v in UNICODE_MATH.items():
        text = text.replace(k, v)
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        raise ParseError("empty", "the answer is empty: write an expression")
    for i, ch in enumerate(text):
        if not (ch.isascii() and (ch.isprintable() or ch in "\t\n")):
            name = unicodedata.name(ch, "unnamed character")
            raise ParseError("bad_character",
                             f"character {ch!r} ({name}) at column {i + 1} is not allowed: "
                             "type it with plain keyboard characters", i + 1)
    _check_brackets(text)
    for m in re.finditer(r"[A-Za-z_][A-Za-z_0-9]*", text):
        if m.group() in names.forbid:
            raise ParseError("forbidden",
                             f"'{m.group()}' is not allowed in this step: derive it yourself",
                             m.start() + 1)
    for bad, what in (("__", "'__'"), (";", "';'"), ("lambda", "'lambda'")):
        if bad in text:
            raise ParseError("syntax_error", f"{what} is not allowed in an expression",
                             text.index(bad) + 1)
    return text


def _check_brackets(text: str) -> None:
    pairs, stack = {")": "(", "]": "[", "}": "{"}, []
    for i, ch in enumerate(text, 1):
        if ch in "([{":
            stack.append((ch, i))
            if len(stack) > MAX_DEPTH:
                raise ParseError("too_deep",
                                 f"brackets are nested more than {MAX_DEPTH} deep (column {i})", i)
        elif ch in pairs:
            if not stack or stack[-1][0] != pairs[ch]:
                raise ParseError("syntax_error", f"unbalanced parenthesis '{ch}' at column {i}", i)
            stack.pop()
    if stack:
        ch, i = stack[-1]
        raise ParseError("syntax_error", f"unbalanced parenthesis '{ch}' at column {i} is never closed", i)


# Names the transformations themselves emit; the builder handles them, never Python.
_NUMBER_MAKERS = {"Integer": sympy.Integer, "Float": sympy.Float, "Symbol": sympy.Symbol,
                  "Function": sympy.Function}
_TRANSFORMS = (auto_symbol, auto_number, convert_xor, implicit_multiplication_application)


# numpy's keyword arguments (np.sum(dZ, axis=1, keepdims=True)): their '=' is not an equation's.
_KEYWORD_ARGUMENT = re.compile(r"(?<=[(,])\s*(?:%s)\s*=(?!=)" % "|".join(sorted({k for ks in KEYWORDS.values() for k in ks})))


def _parse_plain(text: str, names: Names):
    bare = _KEYWORD_ARGUMENT.sub(lambda m: m.group().replace("=", ":"), text)
    if re.search(r"(?<![<>=!])=(?!=)", bare) and not re.search(r"[<>]=", bare):
        raise ParseError("syntax_error",
                         f"'=' at column {text.index('=') + 1}: write only the expression, not an equation",
                         text.index("=") + 1)
    table = names.lookup()
    _check_words(text, table)
    if text[-1] in "+-*/^":
        raise ParseError("syntax_error", f"the expression ends with '{text[-1]}' at column {len(text)}: "
                         "something is missing after it", len(text))
    try:
        code = stringify_expr(text, {**table, **_NUMBER_MAKERS}, {}, _TRANSFORMS)
        tree = ast.parse(code, mode="eval")
    except (SyntaxError, TypeError, ValueError) as exc:
        raise ParseError("syntax_error", _syntax_message(text)) from exc
    except Exception as exc:  # tokenize errors and friends: still the student's syntax
        raise ParseError("syntax_error", _syntax_message(text)) from exc
    return _Builder(text, names, table).build(tree.body)


def _check_words(text: str, table: dict) -> None:
    """Name unknown words whole ("factorial", not "f"), before implicit multiplication splits them."""
    singles = {n for n, v in table.items() if len(n) == 1 and not callable(v)}
    for m in re.finditer(r"(?:([A-Za-z_]\w*)\s*)?\.\s*([A-Za-z_]\w*)", text):
        _check_attribute(m.group(1), m.group(2), m.start() + m.group().index("."))
    for m in re.finditer(r"(?<![0-9.A-Za-z_])[A-Za-z_][A-Za-z_0-9]*", text):
        word = m.group()
        if word in table or word in ("True", "False", "None") or re.match(r"\s*=(?!=)", text[m.end():]):
            continue  # a keyword argument's name is checked by the builder
        called = text[m.end():].lstrip().startswith("(")
        if called and not set(word) <= singles:
            raise ParseError("unknown_name", f"unknown function '{word}' at column {m.start() + 1} — "
                             f"use exp, log, sqrt, sigma, tanh, … or multiply with '*'", m.start() + 1)
        letters = re.sub(r"[0-9]", "", word)
        if letters != word or not set(letters) <= singles:
            unknown = word if letters != word or len(word) > 1 and not set(letters) & singles else next(
                c for c in letters if c not in singles)
            known = ", ".join(sorted(n for n, v in table.items()
                                     if not callable(v) and v is not NAMESPACE and n not in ("E", "e", "pi")))
            raise ParseError("unknown_name", f"unknown name '{unknown}' at column {m.start() + 1} — "
                             f"this step uses {known}", m.start() + 1)


ATTRIBUTE_RULE = ("attribute access is not allowed in an answer, except np.<function> (also numpy. and math.), "
                  "A.T for the transpose and A.dot(B) for the matrix product")


def _check_attribute(owner: str | None, attr: str, start: int) -> None:
    """``owner.attr`` in the text: a known function under np./numpy./math., ``.T`` or ``.dot``; nothing else."""
    if owner in NAMESPACES:
        if attr in NOT_UNDER_NAMESPACE:
            raise ParseError("unknown_name", f"'{owner}.{attr}' at column {start + 1} is a reduction in numpy, not the "
                             f"larger of two values: write {NOT_UNDER_NAMESPACE[attr]}", start + 1)
        if _namespace_function(attr) is None and attr not in ("pi", "e"):
            raise ParseError("unknown_name", f"unknown function '{owner}.{attr}' at column {start + 1} — use "
                             f"{owner}.exp, {owner}.log, {owner}.dot, {owner}.sum, … (known functions only)", start + 1)
        return
    if attr not in ("T", "dot"):
        raise ParseError("syntax_error", f"'.{attr}' at column {start + 1}: {ATTRIBUTE_RULE}", start + 1)


def _namespace_function(attr: str):
    """The name we know ``np.attr`` by (``np.maximum`` is our max), or None."""
    name = NUMPY_ALIASES.get(attr, attr)
    if attr in NOT_UNDER_NAMESPACE:
        return None
    return name if name in FUNCTIONS or name in MATRIX_FUNCTIONS or name in ("where", "array") else None


def _syntax_message(text: str) -> str:
    try:
        ast.parse(text.replace("^", "**"), mode="eval")
    except SyntaxError as exc:
        if exc.offset:
            col = min(exc.offset, len(text))
            return f"could not read the expression near column {col}: {text!r}"
    return f"could not read the expression {text!r}"


class _Builder:
    """Walks the Python AST of a transformed answer and builds sympy objects from whitelisted nodes."""

    BINOPS = {ast.Add: sympy.Add, ast.Sub: None, ast.Mult: sympy.Mul, ast.Div: None, ast.Pow: None}

    def __init__(self, text, names, table):
        self.text, self.names, self.table = text, names, table

    def fail_name(self, name, kind="name"):
        col = _column_of(self.text, name)
        raise ParseError("unknown_name",
                         f"unknown {kind} '{name}' — this step uses {self.names.listing()}", col)

    def build(self, node):
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise ParseError("syntax_error", f"{_describe(node)} is not allowed in an answer")
        return method(node)

    def _BinOp(self, node):
        left, right = self.build(node.left), self.build(node.right)
        if isinstance(left, sympy.MatrixBase) or isinstance(right, sympy.MatrixBase):
            return self._matrix_binop(node.op, left, right)
        op = type(node.op)
        if op is ast.Add:
            return left + right
        if op is ast.Sub:
            return left - right
        if op is ast.Mult:
            return left * right
        if op is ast.Div:
            return left / right
        if op is ast.Pow:
            return _safe_pow(left, right)
        if op is ast.MatMult:
            return left * right  # numbers: @ is only defined between arrays, but it cannot mean anything else
        raise ParseError("syntax_error", f"operator {_describe(node.op)} is not allowed")

    def _matrix_binop(self, op, left, right):
        symbol = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^",
                  ast.MatMult: "@"}.get(type(op))
        if symbol is None:
            raise ParseError("syntax_error", f"operator {_describe(op)} is not allowed on matrices")
        try:
            return combine(symbol, left, right)
        except ShapeMismatch as exc:
            raise ParseError("shape_error", f"matrix shapes do not fit: {exc}") from exc

    def _Attribute(self, node):
        if isinstance(node.value, ast.Name) and node.value.id in NAMESPACES and node.attr in ("pi", "e"):
            return CONSTANTS[node.attr]
        if node.attr == "T":
            value = self.build(node.value)
            if isinstance(value, sympy.MatrixBase):
                return value.T
            raise ParseError("syntax_error", ".T transposes a matrix; it is not needed on a single expression")
        raise ParseError("syntax_error", f"'.{node.attr}': {ATTRIBUTE_RULE}", _column_of(self.text, node.attr))

    def _UnaryOp(self, node):
        value = self.build(node.operand)
        if isinstance(node.op, ast.USub):
            return -value
        if isinstance(node.op, ast.UAdd):
            return value
        raise ParseError("syntax_error", f"operator {_describe(node.op)} is not allowed")

    def _Name(self, node):
        if self.table.get(node.id) is NAMESPACE:
            raise ParseError("syntax_error", f"'{node.id}' is only a prefix here: write {node.id}.exp(z), "
                             f"{node.id}.dot(A, B), …", _column_of(self.text, node.id))
        if node.id in self.table and not callable(self.table[node.id]) or node.id in CONSTANTS:
            return self.table[node.id]
        if node.id in FUNCTIONS:
            raise ParseError("syntax_error",
                             f"'{node.id}' is a function: write it with brackets, e.g. {node.id}(z)",
                             _column_of(self.text, node.id))
        self.fail_name(node.id)

    def _Constant(self, node):
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return sympy.sympify(node.value)
        raise ParseError("syntax_error", f"{node.value!r} is not allowed in an answer")

    def _List(self, node):
        raise ParseError("syntax_error", "a list is not an expression; for a matrix write Matrix([[...], [...]])")

    def _rows(self, node):
        if not isinstance(node, ast.List):
            return self.build(node)
        return [self._rows(e) for e in node.elts]

    def _callee(self, node) -> str:
        """The name of the function ``node`` calls: ``f(...)``, or ``np.f(...)`` for a known f."""
        func = node.func
        if isinstance(func, ast.Name):
            return func.id
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in NAMESPACES:
            name = _namespace_function(func.attr)
            if name is not None:
                return name
            _check_attribute(func.value.id, func.attr, (_column_of(self.text, func.attr) or 1) - 1)
        if isinstance(func, ast.Attribute) and func.attr == "dot":
            return "A.dot"
        if isinstance(func, ast.Attribute):
            raise ParseError("syntax_error", f"'.{func.attr}(…)': {ATTRIBUTE_RULE}", _column_of(self.text, func.attr))
        raise ParseError("syntax_error", f"{_describe(func)} cannot be called in an answer")

    def _options(self, fname, node) -> dict:
        """numpy's keyword arguments of ``fname`` (axis, keepdims), given by keyword or position; literals only."""
        allowed = KEYWORDS.get(fname, ())
        extra = node.args[MATRIX_FUNCTIONS[fname][1]:] if fname in MATRIX_FUNCTIONS else []
        if len(extra) > len(allowed):
            return {}  # the argument count check names the problem
        options = dict(zip(allowed, extra))
        for kw in node.keywords:
            if kw.arg not in allowed or kw.arg in options:
                what = f"'{kw.arg}='" if kw.arg else "'**'"
                takes = f"only {', '.join(k + '=' for k in allowed)}" if allowed else "no keyword arguments"
                raise ParseError("syntax_error", f"{fname} takes {takes}, not {what}", _column_of(self.text, fname))
            options[kw.arg] = kw.value
        return {k: self._literal(k, v) for k, v in options.items()}

    def _literal(self, key, node):
        if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, bool)):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -self._literal(key, node.operand)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Integer" \
                and len(node.args) == 1 and isinstance(node.args[0], ast.Constant):
            return int(node.args[0].value)
        raise ParseError("syntax_error", f"{key}= takes a number or True/False, as in axis=1, keepdims=True",
                         _column_of(self.text, key))

    def _Call(self, node):
        fname = self._callee(node)
        if fname == "A.dot":  # numpy's method form of the matrix product
            if len(node.args) != 1 or node.keywords:
                raise ParseError("syntax_error", "A.dot(B) takes one matrix", _column_of(self.text, "dot"))
            return self._matrix_call("dot", matmul, [node.func.value, node.args[0]], {})
        if node.keywords and fname not in KEYWORDS:
            raise ParseError("syntax_error", f"{fname} takes no keyword arguments", _column_of(self.text, fname))
        options = self._options(fname, node)
        args = node.args[:MATRIX_FUNCTIONS[fname][1]] if fname in KEYWORDS and options else node.args
        if fname in ("Integer", "Float") and len(args) == 1 and isinstance(args[0], ast.Constant):
            digits = str(args[0].value)
            if len(digits) > MAX_DIGITS:
                raise ParseError("too_long", f"a number with {len(digits)} digits is too long")
            return sympy.Integer(digits) if fname == "Integer" else sympy.Float(digits, 30)
        if fname == "Symbol" and len(args) == 1 and isinstance(args[0], ast.Constant):
            self.fail_name(str(args[0].value))
        if fname == "Function" and len(args) == 1 and isinstance(args[0], ast.Constant):
            self.fail_name(str(args[0].value), "function")
        if fname == "array" and len(args) == 1 and isinstance(args[0], ast.List) and args[0].elts \
                and not isinstance(args[0].elts[0], ast.List):
            return flat(self._rows(args[0]))  # np.array([a, b]) is 1-D
        if fname in ("Matrix", "array") and len(args) == 1 and isinstance(args[0], ast.List):
            rows = self._rows(args[0])
            try:
                return sympy.ImmutableMatrix(rows)
            except (ValueError, TypeError) as exc:
                raise ParseError("syntax_error", f"not a matrix: {exc}") from exc
        if fname in FUNCTIONS:
            func, nargs = FUNCTIONS[fname]
            if len(args) != nargs:
                raise ParseError("syntax_error", f"{fname} takes {nargs} argument(s), got {len(args)}",
                                 _column_of(self.text, fname))
            values = [self.build(a) for a in args]
            if nargs == 1:  # on a matrix, element by element (as numpy does)
                return elementwise(func, values[0])
            if len(values) == 2 and any(isinstance(v, sympy.MatrixBase) for v in values):
                return self._matrix_call(fname, lambda a, b: broadcast_apply(func, a, b, fname), args, {})
            return func(*values)
        if fname == "where":
            return self._where(args)
        if fname in MATRIX_FUNCTIONS:
            func, nargs = MATRIX_FUNCTIONS[fname]
            if len(args) != nargs:
                raise ParseError("syntax_error", f"{fname} takes {nargs} argument(s), got {len(args)}",
                                 _column_of(self.text, fname))
            return self._matrix_call(fname, func, args, options)
        if fname in self.table and not callable(self.table[fname]):
            # "a(1-a)" left as a call when implicit multiplication did not apply
            return self.table[fname] * self._product(args)
        self.fail_name(fname, "function")

    def _matrix_call(self, fname, func, args, options):
        values = [self.build(a) for a in args]
        try:
            return func(*values, **options)
        except ShapeMismatch as exc:
            raise ParseError("shape_error", str(exc), _column_of(self.text, fname)) from exc

    _COMPARISONS = {ast.Gt: sympy.StrictGreaterThan, ast.Lt: sympy.StrictLessThan, ast.GtE: sympy.GreaterThan,
                    ast.LtE: sympy.LessThan}

    def _where(self, args):
        """where(condition, if_true, if_false) as in numpy; a comparison is allowed only as the condition."""
        if len(args) != 3:
            raise ParseError("syntax_error", "where takes 3 arguments: where(z > 0, value_if_true, value_if_false)",
                             _column_of(self.text, "where"))
        cond = args[0]
        if not (isinstance(cond, ast.Compare) and len(cond.ops) == 1 and type(cond.ops[0]) in self._COMPARISONS):
            raise ParseError("syntax_error", "the first argument of where must be one comparison such as z > 0",
                             _column_of(self.text, "where"))
        left, right = self.build(cond.left), self.build(cond.comparators[0])
        op = {ast.Gt: ">", ast.Lt: "<", ast.GtE: ">=", ast.LtE: "<="}[type(cond.ops[0])]
        try:
            return where(compare(op, left, right), self.build(args[1]), self.build(args[2]))
        except ShapeMismatch as exc:
            raise ParseError("shape_error", str(exc), _column_of(self.text, "where")) from exc

    def _product(self, args):
        if len(args) != 1:
            raise ParseError("syntax_error", "a symbol cannot take several arguments")
        return self.build(args[0])


def _describe(node) -> str:
    return {ast.Attribute: "'.' (attribute access)", ast.Subscript: "indexing with [ ]",
            ast.Compare: "a comparison", ast.BoolOp: "'and'/'or'", ast.Lambda: "'lambda'",
            ast.Dict: "a dictionary", ast.Tuple: "a tuple (a comma outside a function call)",
            ast.Constant: "a string", ast.Mod: "'%'", ast.FloorDiv: "'//'", ast.MatMult: "'@'",
            ast.IfExp: "'if'", ast.JoinedStr: "an f-string"}.get(type(node), type(node).__name__)


def _column_of(text: str, name: str) -> int | None:
    m = re.search(r"(?<![A-Za-z0-9_])" + re.escape(name) + r"(?![A-Za-z0-9_])", text)
    if m is None:
        m = re.search(re.escape(name), text)
    return m.start() + 1 if m else None


def _safe_pow(base, exp):
    """``base**exp``, but exact powers of huge size stay unevaluated instead of being computed."""
    if base.is_Number and exp.is_Number and exp.is_Integer and base != 0:
        bits = abs(int(exp)) * max(1.0, float(sympy.log(abs(base), 2).evalf(5))) if base.is_Integer or base.is_Rational else 0
        if bits > MAX_POWER_BITS:
            return sympy.Pow(base, exp, evaluate=False)
    return base**exp


def _parse_latex(text: str, names: Names):
    from sympy.parsing.latex import LaTeXParsingError, parse_latex

    try:
        raw = parse_latex(text)
    except LaTeXParsingError as exc:
        raise ParseError("syntax_error", f"could not read the LaTeX {text!r}: {str(exc).splitlines()[0]}") from exc
    except Exception as exc:  # the ANTLR runtime raises its own errors on odd input
        raise ParseError("syntax_error", f"could not read the LaTeX {text!r}") from exc
    return _checked_tree(raw, names, text)


def _checked_tree(expr, names: Names, text: str | None = None):
    """Rebuild a sympy tree from whitelisted parts only, mapping symbols by name to ours."""
    size = 0
    for _ in sympy.preorder_traversal(expr):
        size += 1
        if size > MAX_NODES:
            raise ParseError("too_long", f"the expression has more than {MAX_NODES} parts")
    return _rebuild(expr, names, text or str(expr))


def _rebuild(e, names: Names, text: str):
    if isinstance(e, sympy.MatrixBase):
        return sympy.ImmutableMatrix(e.shape[0], e.shape[1], [_rebuild(x, names, text) for x in e])
    if e.is_Number or e in (sympy.pi, sympy.E, sympy.I):
        if e.is_Integer and len(str(abs(int(e)))) > MAX_DIGITS:
            raise ParseError("too_long", "a number in the answer is too long")
        return e
    if e.is_Symbol:
        if e.name in names.symbols:
            return names.symbol(e.name)
        if e.name in ("e",):
            return sympy.E
        raise ParseError("unknown_name", f"unknown name '{e.name}' — this step uses {names.listing()}",
                         _column_of(text, e.name))
    if isinstance(e, (sympy.Derivative, sympy.Integral, sympy.Subs, sympy.Limit, sympy.Sum)):
        kind = type(e).__name__
        code = "forbidden" if {kind, "diff", "Derivative"} & names.forbid else "unsupported"
        raise ParseError(code, f"{kind} is not allowed in this step: derive it yourself")
    args = [_rebuild(a, names, text) for a in e.args]
    if e.is_Add:
        return sympy.Add(*args)
    if e.is_Mul:
        return sympy.Mul(*args)
    if e.is_Pow:
        return _safe_pow(*args)
    if isinstance(e, sympy.log):
        return sympy.log(args[0]) if len(args) == 1 or args[1] == sympy.E else sympy.log(args[0]) / sympy.log(args[1])
    if isinstance(e, sympy.core.function.AppliedUndef):
        fname = e.func.__name__
        if fname in names.forbid:
            raise ParseError("forbidden", f"'{fname}' is not allowed in this step: derive it yourself",
                             _column_of(text, fname))
        if fname in FUNCTIONS and len(args) == FUNCTIONS[fname][1]:
            return FUNCTIONS[fname][0](*args)
        if fname in names.symbols and len(args) == 1:  # LaTeX "a(1-a)" means a·(1−a)
            return names.symbol(fname) * args[0]
        raise ParseError("unknown_name", f"unknown function '{fname}' — this step uses {names.listing()}",
                         _column_of(text, fname))
    allowed = {f for f, _ in FUNCTIONS.values()}
    if e.func in allowed:
        return e.func(*args)
    raise ParseError("unsupported", f"{type(e).__name__} is not allowed in an answer")
