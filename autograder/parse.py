"""Read an answer safely: text (calculator/Python syntax or LaTeX) or a sympy object → a checked sympy object.

No student string ever reaches ``eval``: text goes through sympy's tokenizer
transformations (``stringify_expr``) and the resulting Python source is only
*parsed* (``ast.parse``) and walked node by node; each node must be on a short
whitelist and is turned into a sympy object directly.

>>> names = Names.of(["a", "y"])
>>> parse_expression("2a(1-y)", names)
2*a*(1 - y)
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
    factorial_notation,
    implicit_multiplication_application,
    stringify_expr,
)

from .functions import CONSTANTS, FUNCTIONS, INSTEAD, SERIES, accepts, arity, class_names, spellings
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
MAX_EXACT_ARGUMENT = 1000  # factorial(n), binomial(n, k), gamma(n) of larger numbers stay unevaluated
MAX_TERMS = 10_000  # terms of a Sum or Product with numeric bounds

# Characters students paste from slides or phones, mapped to what they mean.
UNICODE_MATH = {
    "−": "-", "–": "-", "—": "-", "·": "*", "⋅": "*", "∙": "*", "×": "*", "÷": "/",
    "σ": " sigma", "π": " pi ", "²": "**2", "³": "**3", "⁻¹": "**(-1)", "√": " sqrt",
    "（": "(", "）": ")", "‘": "'", "’": "'",
    # Greek letters are symbol names (γ would be the gamma function and λ Python's lambda: not mapped)
    "α": " alpha", "β": " beta", "δ": " delta", "ε": " epsilon", "η": " eta", "θ": " theta", "μ": " mu",
    "ν": " nu", "ξ": " xi", "ρ": " rho", "τ": " tau", "φ": " phi", "ψ": " psi", "ω": " omega",
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
    equations: bool = False  # whether "lhs = rhs" is an answer (the reference is an equation)

    @classmethod
    def of(cls, symbols, forbid=(), matrices=None) -> "Names":
        matrices = tuple(sorted((n, int(r), int(c)) for n, (r, c) in dict(matrices or {}).items()))
        names = set(symbols) - {m for m, _, _ in matrices}
        for m, r, c in matrices:
            names |= set(element_names(m, r, c))
        for s in names | {m for m, _, _ in matrices}:
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", s) or s in FUNCTIONS or s in MATRIX_FUNCTIONS:
                raise ValueError(f"{s!r} cannot be a symbol name")
        return cls(tuple(sorted(names)), spellings(forbid), matrices)

    def without_forbid(self) -> "Names":
        """The same names with nothing forbidden (for the instructor's reference)."""
        return Names(self.symbols, frozenset(), self.matrices, self.equations)

    def with_forbid(self, forbid) -> "Names":
        return Names(self.symbols, spellings(forbid), self.matrices, self.equations)

    def with_equations(self) -> "Names":
        """The same names, reading "lhs = rhs" as an equation (for a step whose result is one)."""
        return Names(self.symbols, self.forbid, self.matrices, True)

    @property
    def scalars(self) -> tuple[str, ...]:
        """The declared scalar symbols, without matrix elements."""
        elements = {e for m, r, c in self.matrices for e in element_names(m, r, c)}
        return tuple(s for s in self.symbols if s not in elements)

    def symbol(self, name: str) -> sympy.Symbol:
        return sympy.Symbol(name)

    def lookup(self) -> dict:
        """Each name an answer may use → what it stands for; one dict per Names, shared: read it, never change it."""
        return _lookup(self)

    def listing(self) -> str:
        shown = list(self.scalars) + [m for m, _, _ in self.matrices]
        return ", ".join(shown) if shown else "no symbols"


@lru_cache(maxsize=256)
def _lookup(names: Names) -> dict:
    table = {n: sympy.Symbol(n) for n in names.symbols}
    for n, c in CONSTANTS.items():
        table.setdefault(n, c)
    for n, (f, _) in FUNCTIONS.items():
        table[n] = f
    for n, (f, _) in MATRIX_FUNCTIONS.items():
        table[n] = f
    for m, r, c in names.matrices:
        table[m] = element_matrix(m, r, c)
    table["Matrix"] = sympy.Matrix
    table["where"] = sympy.Piecewise  # built by _Builder._where, never called as given
    table.update(SERIES, Piecewise=sympy.Piecewise)  # built by _Builder._series/_piecewise
    table["array"] = sympy.Matrix  # np.array([...]), built by _Builder._Call
    for n in NAMESPACES:
        table.setdefault(n, NAMESPACE)
    return table


def parse_expression(answer, names: Names):
    """Turn an answer (str or sympy object) into a sympy Expr or ImmutableMatrix, or raise ParseError.

    >>> parse_expression(r"\\frac{a+y}{y(1-a)}", Names.of(["a", "y"]))
    (a + y)/(y*(1 - a))
    """
    if isinstance(answer, str):
        return _final(_parse_text(answer, names))
    if is_flat(answer):
        return _final(flat(parse_expression(sympy.ImmutableMatrix(answer), names)))
    if isinstance(answer, bool) or answer is None:
        raise ParseError("not_expression", f"expected a math expression, got {answer!r}")
    if isinstance(answer, float) and answer == answer and abs(answer) != float("inf"):
        return written_decimal(repr(answer))  # 0.1 from a Python cell means 1/10, to the digits Python shows
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
    if not text.isascii():  # (plain keyboard text, nearly every answer, is its own NFKC form)
        for k, v in UNICODE_MATH.items():
            text = text.replace(k, v)
        text = unicodedata.normalize("NFKC", text)
    text = text.strip()
    if not text:
        raise ParseError("empty", "the answer is empty: write an expression")
    for i, ch in enumerate(text) if not text.isascii() or _CONTROL.search(text) else ():
        if not (ch.isascii() and (ch.isprintable() or ch in "\t\n")):
            name = unicodedata.name(ch, "unnamed character")
            raise ParseError("bad_character",
                             f"character {ch!r} ({name}) at column {i + 1} is not allowed: "
                             "type it with plain keyboard characters", i + 1)
    _check_brackets(text)
    for m in re.finditer(r"[A-Za-z_][A-Za-z_0-9]*", text) if names.forbid else ():
        if m.group() in names.forbid:
            raise ParseError("forbidden",
                             f"'{m.group()}' is not allowed in this step: derive it yourself",
                             m.start() + 1)
    for bad, what in (("__", "'__'"), (";", "';'"), ("lambda", "'lambda'")):
        if bad in text:
            raise ParseError("syntax_error", f"{what} is not allowed in an expression",
                             text.index(bad) + 1)
    return text


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # the ASCII characters that are neither printable nor \t, \n


_BRACKET = re.compile(r"[()\[\]{}]")


def _check_brackets(text: str) -> None:
    pairs, stack = {")": "(", "]": "[", "}": "{"}, []
    for found in _BRACKET.finditer(text):  # the brackets only, not every character
        ch, i = found.group(), found.start() + 1
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
_TRANSFORMS = (auto_symbol, auto_number, factorial_notation, convert_xor, implicit_multiplication_application)


# numpy's keyword arguments (np.sum(dZ, axis=1, keepdims=True)): their '=' is not an equation's.
_KEYWORD_ARGUMENT = re.compile(r"(?<=[(,])\s*(?:%s)\s*=(?!=)" % "|".join(sorted({k for ks in KEYWORDS.values() for k in ks})))


def _parse_plain(text: str, names: Names):
    if _DECIMAL.fullmatch(text):
        return written_decimal(text)
    if "|" in text:
        text = _absolute_bars(text)
    bare = _KEYWORD_ARGUMENT.sub(lambda m: m.group().replace("=", ":"), text)
    equals = [m.start() for m in re.finditer(r"(?<![<>=!])=(?!=)", bare)] if not re.search(r"[<>]=", bare) else []
    if equals and names.equations and len(equals) == 1:
        return _equation(text, equals[0], names)
    if equals:
        what = "write one equation, with a single '='" if names.equations else \
            "write only the expression, not an equation"
        raise ParseError("syntax_error", f"'=' at column {equals[-1 if names.equations else 0] + 1}: {what}",
                         equals[-1 if names.equations else 0] + 1)
    table = names.lookup()
    plain = _plain_python(text, names, table)
    if plain is not None:
        return plain
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


_PLAIN_PYTHON = re.compile(r"[A-Za-z0-9_\s+\-*/^(),.]+")
_GLUED_NUMBER = re.compile(r"\b\d+[A-Za-z_]")  # 2x, 2e3, 1_000: for the transformations to read


def _plain_python(text: str, names: Names, table: dict):
    """``text`` read by ``ast`` alone when it is already plain Python over known names and whole numbers
    (``x**2 + sin(x)/y``, ``^`` for ``**``, ``0.5*x``), which the tokenizer's transformations would leave as it is
    and which they cost more to read than everything else; None for anything else (implicit products, exponents,
    ``!``, bars, unknown or misused names, anything that does not read), which the full reading handles and explains."""
    if not _PLAIN_PYTHON.fullmatch(text) or _GLUED_NUMBER.search(text):
        return None
    source = text.replace("^", "**")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        return None
    waiting = [tree.body]  # the nodes still to look at (by hand: ast.walk took a quarter of reading an answer)
    while waiting:
        node = waiting.pop()
        kind = type(node)
        if kind is ast.BinOp:
            waiting += (node.left, node.right)
        elif kind is ast.UnaryOp:
            waiting.append(node.operand)
        elif kind is ast.Call:
            if type(node.func) is not ast.Name or node.func.id not in FUNCTIONS or node.keywords:
                return None
            waiting += node.args
        elif kind is ast.Name:
            value = table.get(node.id)
            if value is None or value is NAMESPACE or callable(value):
                return None
        elif kind is ast.Constant:
            if type(node.value) is float:  # a decimal is the number its digits spell: the builder reads them
                node.literal = source[node.col_offset:node.end_col_offset]
            elif type(node.value) is not int or len(str(node.value)) > MAX_DIGITS:
                return None
        else:
            return None
    try:
        return _Builder(text, names, table).build(tree.body)
    except ParseError:
        return None  # the full reading says what is wrong, and where


def _absolute_bars(text: str) -> str:
    """|x| as abs(x): a bar opens after an operator, a bracket, a comma, an opening bar or at the start; else it closes.

    >>> _absolute_bars("||x|+y| - |a|")
    'abs(abs(x)+y) - abs(a)'
    """
    out, opened, previous = [], 0, None  # previous: the last non-blank character, "open" for an opening bar
    for i, ch in enumerate(text):
        if ch != "|":
            out.append(ch)
            previous = ch if not ch.isspace() else previous
            continue
        if previous is None or previous == "open" or previous in "(+-*/^,=[":
            out.append("abs(")
            opened, previous = opened + 1, "open"
        elif opened:
            out.append(")")
            opened, previous = opened - 1, ")"
        else:
            raise ParseError("syntax_error", f"'|' at column {i + 1} closes an absolute value never opened", i + 1)
    if opened:
        raise ParseError("syntax_error", "an absolute value |…| is never closed", len(text))
    return "".join(out)


def _equation(text: str, at: int, names: Names):
    """``lhs = rhs`` as an unevaluated sympy equation; a message about either side points into the whole text."""
    sides = []
    for start, side in ((0, text[:at]), (at + 1, text[at + 1:])):
        if not side.strip():
            raise ParseError("syntax_error", f"nothing on the {'left' if start == 0 else 'right'} of '=' "
                             f"(column {at + 1})", at + 1)
        offset = start + len(side) - len(side.lstrip())
        try:
            sides.append(_parse_plain(side.strip(), names))
        except ParseError as exc:
            raise ParseError(exc.code, exc.message, exc.column + offset if exc.column else None) from exc
    return sympy.Eq(*sides, evaluate=False)


# A number written with a decimal point or an exponent, and nothing else: "0.051", "5.1e-2", "-4.12".
_DECIMAL = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+(?:\.\d*)?[eE][+-]?\d+|\d*\.\d+[eE][+-]?\d+)")


def significant_digits(literal: str) -> int:
    """How many significant digits a decimal literal is written with.

    >>> significant_digits("0.0833"), significant_digits("5.1e-2"), significant_digits("100.0")
    (3, 2, 4)
    """
    mantissa = re.split(r"[eE]", literal.lstrip("+-"))[0].replace(".", "")
    return max(1, len(mantissa.lstrip("0")))


def written_decimal(literal: str):
    """A lone decimal answer: the number it spells, kept as a sympy Float of exactly its written digits.

    Inside an expression a decimal is the exact rational it spells (0.051 = 51/1000); a whole answer that is
    one decimal also carries how precisely it was written, so a rounded value can be judged to that precision.

    >>> x = written_decimal("0.0833333333333333"); x, significant_digits(str(x))
    (0.0833333333333333, 15)
    """
    if len(literal) > MAX_DIGITS:
        raise ParseError("too_long", f"a number with {len(literal)} characters is too long")
    digits = significant_digits(literal)
    value = sympy.Rational(literal.lstrip("+"))
    if value == 0:
        return value
    return sympy.Float(literal.lstrip("+"), digits)


def _check_words(text: str, table: dict) -> None:
    """Name unknown words whole ("factorial", not "f"), before implicit multiplication splits them."""
    singles = {n for n, v in table.items() if len(n) == 1 and not callable(v)}
    counters = set(re.findall(r"\b(?:Sum|Product)\s*\(.*?,\s*\(\s*([A-Za-z]\w*)\s*,", text))
    for m in re.finditer(r"(?:([A-Za-z_]\w*)\s*)?\.\s*([A-Za-z_]\w*)", text):
        _check_attribute(m.group(1), m.group(2), m.start() + m.group().index("."))
    for m in re.finditer(r"(?<![0-9.A-Za-z_])[A-Za-z_][A-Za-z_0-9]*", text):
        word = m.group()
        if word in table or word in counters or word in ("True", "False", "None") \
                or re.match(r"\s*=(?!=)", text[m.end():]):
            continue  # a keyword argument's name is checked by the builder
        called = text[m.end():].lstrip().startswith("(")
        if called and not set(word) <= singles:
            instead = f"write {INSTEAD[word]}" if word in INSTEAD else \
                "use exp, log, sqrt, sin, asin, sinh, sigma, … or multiply with '*'"
            raise ParseError("unknown_name", f"unknown function '{word}' at column {m.start() + 1} — {instead}",
                             m.start() + 1)
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
        if numpy_name(attr) is None and attr not in ("pi", "e"):
            raise ParseError("unknown_name", f"unknown function '{owner}.{attr}' at column {start + 1} — use "
                             f"{owner}.exp, {owner}.log, {owner}.dot, {owner}.sum, … (known functions only)", start + 1)
        return
    if attr not in ("T", "dot"):
        raise ParseError("syntax_error", f"'.{attr}' at column {start + 1}: {ATTRIBUTE_RULE}", start + 1)


def numpy_name(attr: str):
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
        if type(node.value) is int:
            return sympy.Integer(node.value)  # what sympify makes of it, without sympify's dispatch
        if getattr(node, "literal", None) is not None:  # a decimal as written (see _plain_python)
            return _spelled_number("Float", node.literal)
        if isinstance(node.value, float):
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
            name = numpy_name(func.attr)
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
            return _spelled_number(fname, str(args[0].value))
        if fname == "Symbol" and len(args) == 1 and isinstance(args[0], ast.Constant):
            if isinstance(self.table.get(args[0].value), sympy.Symbol):
                return self.table[args[0].value]  # the counter of an enclosing Sum or Product
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
        if fname in SERIES:
            return self._series(fname, args)
        if fname == "Piecewise":
            return self._piecewise(args)
        if fname in FUNCTIONS:
            func, nargs = FUNCTIONS[fname]
            if not accepts(nargs, len(args)):
                raise ParseError("syntax_error", f"{fname} takes {arity(nargs)} argument(s), got {len(args)}",
                                 _column_of(self.text, fname))
            values = [self.build(a) for a in args]
            if len(values) == 1:  # on a matrix, element by element (as numpy does)
                return elementwise(lambda x: _safe_call(func, (x,)), values[0])
            if len(values) == 2 and any(isinstance(v, sympy.MatrixBase) for v in values):
                return self._matrix_call(fname, lambda a, b: broadcast_apply(func, a, b, fname), args, {})
            return _safe_call(func, values)
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

    def _series(self, fname, args):
        """Sum(term, (k, first, last)) and Product(...): k is bound, so it may be any name not already taken."""
        usage = f"write {fname}(term, (k, first, last))"
        if len(args) != 2 or not isinstance(args[1], ast.Tuple) or len(args[1].elts) != 3:
            raise ParseError("syntax_error", f"{fname} takes a term and one (k, first, last): {usage}",
                             _column_of(self.text, fname))
        var, first, last = args[1].elts
        name = var.args[0].value if isinstance(var, ast.Call) and getattr(var.func, "id", "") == "Symbol" \
            and var.args and isinstance(var.args[0], ast.Constant) else getattr(var, "id", None)
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z]\w*", name) or name in self.table:
            raise ParseError("syntax_error", f"the counter of {fname} must be a new name such as k: {usage}",
                             _column_of(self.text, fname))
        bound = sympy.Symbol(name, integer=True)
        inner = _Builder(self.text, self.names, {**self.table, name: bound})
        low, high = inner.build(first), inner.build(last)
        if (high - low).is_number and abs(high - low) > MAX_TERMS:
            raise ParseError("too_long", f"{fname} over more than {MAX_TERMS:,} terms is too long",
                             _column_of(self.text, fname))
        return SERIES[fname](inner.build(args[0]), (bound, low, high))

    def _piecewise(self, args):
        """Piecewise((value, condition), ..., (value, True)) with one comparison per condition."""
        pieces = []
        for arg in args:
            if not isinstance(arg, ast.Tuple) or len(arg.elts) != 2:
                raise ParseError("syntax_error", "write Piecewise((value, x > 0), (other_value, True))",
                                 _column_of(self.text, "Piecewise"))
            value, cond = arg.elts
            if isinstance(cond, ast.Constant) and cond.value is True:
                pieces.append((self.build(value), True))
                continue
            if not (isinstance(cond, ast.Compare) and len(cond.ops) == 1 and type(cond.ops[0]) in self._COMPARISONS):
                raise ParseError("syntax_error", "each condition of Piecewise must be one comparison such as "
                                 "x > 0, or True", _column_of(self.text, "Piecewise"))
            relation = self._COMPARISONS[type(cond.ops[0])](self.build(cond.left), self.build(cond.comparators[0]))
            pieces.append((self.build(value), relation))
        if not pieces:
            raise ParseError("syntax_error", "write Piecewise((value, x > 0), (other_value, True))",
                             _column_of(self.text, "Piecewise"))
        return sympy.Piecewise(*pieces)

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


def _spelled_number(kind: str, digits: str):
    """A number of an expression as its digits spell it: a decimal is exact (0.1 is 1/10, not a binary float)."""
    if len(digits) > MAX_DIGITS:
        raise ParseError("too_long", f"a number with {len(digits)} digits is too long")
    return sympy.Integer(digits) if kind == "Integer" else sympy.Rational(digits)


def _safe_call(func, args):
    """``func(*args)``, but factorials and friends of huge whole numbers stay unevaluated instead of computed."""
    if func in (sympy.factorial, sympy.binomial, sympy.gamma) and any(
            a.is_Number and abs(a) > MAX_EXACT_ARGUMENT for a in args):
        return func(*args, evaluate=False)
    return func(*args)


def _safe_pow(base, exp):
    """``base**exp``, but exact powers of huge size stay unevaluated instead of being computed."""
    if base.is_Number and exp.is_Number and exp.is_Integer and base != 0:
        bits = abs(int(exp)) * max(1.0, float(sympy.log(abs(base), 2).evalf(5))) if base.is_Integer or base.is_Rational else 0
        if bits > MAX_POWER_BITS:
            return sympy.Pow(base, exp, evaluate=False)
    return base**exp


# LaTeX sympy's parser does not read, rewritten to what it does: \dfrac, \frac13, \sqrt3, \left( … \right).
_LATEX_SHORTHANDS = (
    (re.compile(r"\\[dtc]frac"), r"\\frac"),
    (re.compile(r"\\frac\s*([0-9A-Za-z])\s*([0-9A-Za-z])"), r"\\frac{\1}{\2}"),
    (re.compile(r"\\frac\s*([0-9A-Za-z])\s*\{"), r"\\frac{\1}{"),
    (re.compile(r"\\frac(\{[^{}]*\})\s*([0-9A-Za-z])"), r"\\frac\1{\2}"),
    (re.compile(r"\\sqrt\s*([0-9A-Za-z])"), r"\\sqrt{\1}"),
)


def _parse_latex(text: str, names: Names):
    from sympy.parsing.latex import LaTeXParsingError, parse_latex

    for pattern, replacement in _LATEX_SHORTHANDS:
        text = pattern.sub(replacement, text)
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
    text = text or str(expr)
    if isinstance(expr, sympy.Float):  # a lone decimal keeps the precision it was written with
        return written_decimal(_float_literal(expr))
    if isinstance(expr, sympy.Equality):
        if not names.equations:
            raise ParseError("syntax_error", "write only the expression, not an equation")
        return sympy.Eq(_rebuild(expr.lhs, names, text), _rebuild(expr.rhs, names, text), evaluate=False)
    return _rebuild(expr, names, text)


def _float_literal(x) -> str:
    """The decimal a sympy Float stands for: a Python float's shortest repr, else its own digits."""
    return repr(float(x)) if x._prec == 53 else str(x)


_CONDITIONS = (sympy.StrictGreaterThan, sympy.StrictLessThan, sympy.GreaterThan, sympy.LessThan)
_WORKED_OUT = (sympy.Derivative, sympy.Integral, sympy.Subs, sympy.Limit)


def _rebuild(e, names: Names, text: str, bound: frozenset = frozenset()):
    if isinstance(e, sympy.MatrixBase):
        return sympy.ImmutableMatrix(e.shape[0], e.shape[1], [_rebuild(x, names, text, bound) for x in e])
    if isinstance(e, sympy.Float):  # inside an expression a decimal is the number it spells, exactly
        return sympy.Rational(_float_literal(e))
    if e.is_Number or e in (sympy.pi, sympy.E, sympy.I):
        if e.is_Integer and len(str(abs(int(e)))) > MAX_DIGITS:
            raise ParseError("too_long", "a number in the answer is too long")
        return e
    if e.is_Symbol:
        if e.name in bound:
            return sympy.Symbol(e.name, integer=True)
        if e.name in names.symbols:
            return names.symbol(e.name)
        if e.name in CONSTANTS:  # LaTeX's \pi and e arrive as symbols
            return CONSTANTS[e.name]
        raise ParseError("unknown_name", f"unknown name '{e.name}' — this step uses {names.listing()}",
                         _column_of(text, e.name))
    if isinstance(e, _WORKED_OUT):
        kind = type(e).__name__
        code = "forbidden" if {kind, "diff", "Derivative"} & names.forbid else "unsupported"
        raise ParseError(code, f"{kind} is not allowed in this step: derive it yourself")
    if isinstance(e, (sympy.Sum, sympy.Product)):
        return _rebuild_series(e, names, text, bound)
    if isinstance(e, sympy.Piecewise):
        return sympy.Piecewise(*[(_rebuild(v, names, text, bound), _rebuild_condition(c, names, text, bound))
                                 for v, c in e.args])
    args = [_rebuild(a, names, text, bound) for a in e.args]
    if e.is_Add:
        return sympy.Add(*args)
    if e.is_Mul:
        return sympy.Mul(*args)
    if e.is_Pow:
        return _safe_pow(*args)
    if isinstance(e, sympy.core.function.AppliedUndef):
        fname = e.func.__name__
        if fname in names.forbid:
            raise ParseError("forbidden", f"'{fname}' is not allowed in this step: derive it yourself",
                             _column_of(text, fname))
        if fname in FUNCTIONS and accepts(FUNCTIONS[fname][1], len(args)):
            return _safe_call(FUNCTIONS[fname][0], args)
        if fname in names.symbols and len(args) == 1:  # LaTeX "a(1-a)" means a·(1−a)
            return names.symbol(fname) * args[0]
        instead = f" — write {INSTEAD[fname]}" if fname in INSTEAD else f" — this step uses {names.listing()}"
        raise ParseError("unknown_name", f"unknown function '{fname}'{instead}", _column_of(text, fname))
    if e.func in _ALLOWED:
        spelled = class_names(e.func) & names.forbid
        if spelled:
            raise ParseError("forbidden", f"'{min(spelled)}' is not allowed in this step: derive it yourself",
                             _column_of(text, min(spelled)))
        if isinstance(e, sympy.log):
            return sympy.log(*args) if len(args) == 2 and args[1] != sympy.E else sympy.log(args[0])
        return _safe_call(e.func, args)
    kind = type(e).__name__
    instead = f": write {INSTEAD[kind]}" if kind in INSTEAD else ""
    raise ParseError("unsupported", f"{kind} is not allowed in an answer{instead}")


_ALLOWED = frozenset(f for f, _ in FUNCTIONS.values() if isinstance(f, type))


def _rebuild_series(e, names: Names, text: str, bound: frozenset):
    (var, low, high), = e.limits if len(e.limits) == 1 else (None,)
    if var is None:
        raise ParseError("unsupported", f"a {type(e).__name__} over several counters is not allowed: nest them")
    inner = bound | {var.name}
    low, high = _rebuild(low, names, text, bound), _rebuild(high, names, text, bound)
    if (high - low).is_number and abs(high - low) > MAX_TERMS:
        raise ParseError("too_long", f"{type(e).__name__} over more than {MAX_TERMS:,} terms is too long")
    counter = sympy.Symbol(var.name, integer=True)
    return type(e)(_rebuild(e.function, names, text, inner), (counter, low, high))


def _rebuild_condition(cond, names: Names, text: str, bound: frozenset):
    if cond is sympy.true:
        return True
    if isinstance(cond, _CONDITIONS):
        return type(cond)(_rebuild(cond.lhs, names, text, bound), _rebuild(cond.rhs, names, text, bound))
    raise ParseError("unsupported", "a condition in Piecewise must be one comparison such as x > 0, or True")
