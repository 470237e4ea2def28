"""Safe parsing: what students type is read as math or refused with a message that says what and where."""

import ast
import os

import pytest
import sympy

from autograder import check_equivalent
from autograder.parse import Names, ParseError, parse_expression

NAMES = Names.of(["a", "y", "z"], forbid=["diff", "Derivative", "integrate"])
a, y, z = sympy.symbols("a y z")


@pytest.mark.parametrize("text, expected", [
    ("2a", 2 * a),
    ("a(1-a)", a * (1 - a)),
    ("2a(1-a)", 2 * a * (1 - a)),
    ("a^2", a**2),
    ("e^z", sympy.exp(z)),
    ("ln(a)", sympy.log(a)),
    ("ln a", sympy.log(a)),
    ("exp(-z)/(1+exp(-z))^2", sympy.exp(-z) / (1 + sympy.exp(-z))**2),
    ("σ(z)·(1−σ(z))", sympy.sympify("sigmoid(z)*(1-sigmoid(z))", locals={"sigmoid": parse_expression("sigma(z)", NAMES).func})),
    ("ay", a * y),
    ("a²", a**2),
    ("ａ(1-ａ)", a * (1 - a)),  # full-width letters are the same letters (NFKC)
    (r"\frac{a-y}{a(1-a)}", (a - y) / (a * (1 - a))),
    (r"-\frac{y}{a}+\frac{1-y}{1-a}", -y / a + (1 - y) / (1 - a)),
    (r"\sigma(z)(1-\sigma(z))", parse_expression("sigma(z)*(1-sigma(z))", NAMES)),
    (r"e^{-z}", sympy.exp(-z)),
    ("Matrix([[a, y]])", sympy.ImmutableMatrix([[a, y]])),
])
def test_reads_calculator_python_and_latex_syntax(text, expected):
    assert parse_expression(text, NAMES) == expected


def test_sympy_objects_are_mapped_onto_the_exercise_symbols():
    # a notebook's Symbol('a', positive=True) is still the exercise's a
    ap = sympy.Symbol("a", positive=True)
    assert parse_expression(ap * (1 - ap), NAMES) == a * (1 - a)


@pytest.mark.parametrize("text, code, column, words", [
    ("b + a", "unknown_name", 1, ["'b'", "a, y, z"]),
    ("a + x", "unknown_name", 5, ["'x'"]),
    ("frobenius(a)", "unknown_name", 1, ["'frobenius'"]),
    ("lg(a)", "unknown_name", 1, ["'lg'", "log(x, 10)"]),
    ("nCr(a, 2)", "unknown_name", 1, ["binomial(n, k)"]),
    ("(a-y)/(a(1-a)", "syntax_error", 7, ["unbalanced", "column 7"]),
    ("a-y)", "syntax_error", 4, ["unbalanced", "column 4"]),
    ("a +", "syntax_error", 3, ["ends with '+'"]),
    ("", "empty", None, ["empty"]),
    ("   ", "empty", None, ["empty"]),
    ("diff(a, z)", "forbidden", 1, ["'diff'", "derive it yourself"]),
    ("а + 1", "bad_character", 1, ["CYRILLIC SMALL LETTER A", "column 1"]),
    ("dL_da = a - y", "syntax_error", 7, ["write only the expression"]),
    ("a = 3", "syntax_error", 3, ["'='"]),
    ("[1, 2]", "syntax_error", None, ["list"]),
    ("a.b", "syntax_error", 2, ["attribute"]),
    ("exp", "syntax_error", 1, ["function"]),
    ("log(a, 2, 3)", "syntax_error", 1, ["1 or 2 argument(s)"]),
    ("Sum(a, (a, 1, 3))", "syntax_error", 1, ["new name"]),
])
def test_bad_text_says_what_and_where(text, code, column, words):
    with pytest.raises(ParseError) as info:
        parse_expression(text, NAMES)
    assert info.value.code == code
    assert info.value.column == column
    for w in words:
        assert w in info.value.message


@pytest.mark.parametrize("value, kind", [
    ([1, 2], "list"), (None, "None"), (True, "True"), ({"a": 1}, "dict"), (object(), "object"),
])
def test_non_expressions_are_invalid_not_errors(value, kind):
    v = check_equivalent(value, "a - y")
    assert v.status == "invalid" and v.equivalent is None
    assert kind in v.feedback


@pytest.mark.parametrize("attack", [
    "__import__('os').system('touch {marker}')",
    "exec(\"open('{marker}', 'w')\")",
    "eval(\"open('{marker}', 'w')\")",
    "open('{marker}', 'w')",
    "(lambda: open('{marker}', 'w'))()",
    "a.__class__.__mro__",
    "Symbol('a').__class__",
    "getattr(a, 'func')",
    "[c for c in ().__class__.__bases__]",
    "\\input{{{marker}}}",
])
def test_code_in_answers_is_never_run(attack, tmp_path):
    marker = tmp_path / "pwned"
    v = check_equivalent(attack.format(marker=marker), "a - y")
    assert v.status == "invalid", v
    assert not marker.exists()
    assert not os.path.exists(str(marker))


def test_huge_exact_powers_stay_unevaluated():
    expr = parse_expression("2**(10**10)", NAMES)
    assert isinstance(expr, sympy.Pow) and expr.exp == 10**10  # not a 3-billion-digit integer


@pytest.mark.parametrize("text", [
    "x^2 + 2*x + 1", "x+1^2", "-x^2", "2**3**2", "1/2/3", "x**-1", "sin(x)**2 + cos(x)**2", "log(x, 2)",
    "root(x, 3)", "Max(x, y, 2)", "sigma(x)*(1 - sigma(x))", "exp(-x)/(1 + exp(-x))**2", "binomial(n, 2)", "E + pi",
    "(x)", "x // 2", "sin + 1", "sin(x, y)", "10**500",
    "0.1*x", "0.5*x^2+3*x-1", "(0.5+x)*2", ".4*x", "5.*x - 2.50/y", "2*(0.333333333333333)", "-(1000.0)",
])
def test_plain_python_is_read_by_ast_alone_into_the_same_tree_as_the_full_reading(text):
    """The shortcut past the tokenizer's transformations gives what the full reading gives (or steps aside)."""
    from autograder import parse

    names = Names.of(["x", "y", "n"])
    shortcut = parse._plain_python(text, names, names.lookup())
    try:
        full = parse._Builder(text, names, names.lookup()).build(ast.parse(parse.stringify_expr(
            text, {**names.lookup(), **parse._NUMBER_MAKERS}, {}, parse._TRANSFORMS), mode="eval").body)
    except ParseError:
        full = None
    if text in ("x // 2", "sin + 1", "sin(x, y)"):
        assert shortcut is None  # the full reading says what is wrong, and where
    else:
        assert sympy.srepr(shortcut) == sympy.srepr(full)


@pytest.mark.parametrize("text", ["2x(1-x)", "a(1-a)", "5.1e-2*x", "2.5x", "n!", "|x|", "sin x", "x^2 y", "xy",
                                  "x.T", "np.exp(x)", "1" * 250 + ".5*x"])
def test_what_plain_python_does_not_say_goes_the_full_way(text):
    from autograder import parse

    names = Names.of(["x", "y", "n", "a"])
    assert parse._plain_python(text, names, names.lookup()) is None
