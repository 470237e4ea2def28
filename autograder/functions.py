"""The functions and constants an answer may use, by the names students type.

>>> from sympy import Symbol, latex
>>> latex(sigmoid(Symbol("z")))
'\\\\sigma\\\\left(z\\\\right)'
"""

from __future__ import annotations

import sympy


class _Activation(sympy.Function):
    """A one-argument function printed in LaTeX under its textbook name."""

    nargs = 1
    latex_name = ""

    def _latex(self, printer, exp=None):
        body = r"%s\left(%s\right)" % (self.latex_name, printer._print(self.args[0]))
        return body if exp is None else r"%s^{%s}" % (body, exp)


class sigmoid(_Activation):
    """The logistic function σ(x) = 1/(1+e^(−x)), kept unevaluated so answers print as σ(z)."""

    latex_name = r"\sigma"

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0]) * (1 - sigmoid(self.args[0]))

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sympy.exp(-x))


class relu(_Activation):
    """max(0, x), for activation exercises."""

    latex_name = r"\operatorname{ReLU}"

    def _eval_rewrite_as_Piecewise(self, x, **kwargs):
        return sympy.Piecewise((0, x < 0), (x, True))


# Name a student types -> (sympy callable, number of arguments: one count or a tuple of the counts allowed).
# Every spelling a student meets (asin and arcsin, ln and log) maps to one sympy function, so answers,
# references and notebook objects mean the same thing; ``forbid`` of one spelling forbids them all.
FUNCTIONS: dict[str, tuple[object, int | tuple]] = {
    "exp": (sympy.exp, 1),
    "log": (sympy.log, (1, 2)),  # log(x, b) is the logarithm to base b
    "ln": (sympy.log, 1),
    "log10": (lambda x: sympy.log(x, 10), 1),
    "log2": (lambda x: sympy.log(x, 2), 1),
    "sqrt": (sympy.sqrt, 1),
    "root": (sympy.root, 2),  # root(x, n) = x**(1/n)
    "abs": (sympy.Abs, 1),
    "Abs": (sympy.Abs, 1),
    "sign": (sympy.sign, 1),
    "sgn": (sympy.sign, 1),
    "signum": (sympy.sign, 1),
    "sin": (sympy.sin, 1),
    "cos": (sympy.cos, 1),
    "tan": (sympy.tan, 1),
    "sec": (sympy.sec, 1),
    "csc": (sympy.csc, 1),
    "cosec": (sympy.csc, 1),
    "cot": (sympy.cot, 1),
    "asin": (sympy.asin, 1),
    "arcsin": (sympy.asin, 1),
    "acos": (sympy.acos, 1),
    "arccos": (sympy.acos, 1),
    "atan": (sympy.atan, 1),
    "arctan": (sympy.atan, 1),
    "atan2": (sympy.atan2, 2),
    "arctan2": (sympy.atan2, 2),
    "asec": (sympy.asec, 1),
    "arcsec": (sympy.asec, 1),
    "acsc": (sympy.acsc, 1),
    "arccsc": (sympy.acsc, 1),
    "acot": (sympy.acot, 1),
    "arccot": (sympy.acot, 1),
    "sinh": (sympy.sinh, 1),
    "cosh": (sympy.cosh, 1),
    "tanh": (sympy.tanh, 1),
    "sech": (sympy.sech, 1),
    "csch": (sympy.csch, 1),
    "cosech": (sympy.csch, 1),
    "coth": (sympy.coth, 1),
    "asinh": (sympy.asinh, 1),
    "arcsinh": (sympy.asinh, 1),
    "arsinh": (sympy.asinh, 1),
    "acosh": (sympy.acosh, 1),
    "arccosh": (sympy.acosh, 1),
    "arcosh": (sympy.acosh, 1),
    "atanh": (sympy.atanh, 1),
    "arctanh": (sympy.atanh, 1),
    "artanh": (sympy.atanh, 1),
    "asech": (sympy.asech, 1),
    "acsch": (sympy.acsch, 1),
    "acoth": (sympy.acoth, 1),
    "floor": (sympy.floor, 1),
    "ceiling": (sympy.ceiling, 1),
    "ceil": (sympy.ceiling, 1),
    "factorial": (sympy.factorial, 1),
    "binomial": (sympy.binomial, 2),
    "gamma": (sympy.gamma, 1),
    "sigma": (sigmoid, 1),
    "sigmoid": (sigmoid, 1),
    "relu": (relu, 1),
    "ReLU": (relu, 1),
    "step": (sympy.Heaviside, 1),
    "Heaviside": (sympy.Heaviside, (1, 2)),  # Heaviside(x, H0): H0 is its value at 0
    "max": (sympy.Max, (1, 2, 3, 4, 5, 6, 7, 8)),
    "Max": (sympy.Max, (1, 2, 3, 4, 5, 6, 7, 8)),
    "min": (sympy.Min, (1, 2, 3, 4, 5, 6, 7, 8)),
    "Min": (sympy.Min, (1, 2, 3, 4, 5, 6, 7, 8)),
}

# Sums and products over their own bound variable: Sum(k**2, (k, 1, n)); built by the parser, not called as given.
SERIES = {"Sum": sympy.Sum, "Product": sympy.Product}

# Names other systems use that this one spells differently: the sentence says what to write instead.
INSTEAD: dict[str, str] = {
    "lg": "log(x, 10) (or log(x, 2) if you mean the binary logarithm)",
    "cbrt": "root(x, 3) or x**(1/3)",
    "pow": "x**n",
    "power": "x**n",
    "nCr": "binomial(n, k)",
    "ncr": "binomial(n, k)",
    "choose": "binomial(n, k)",
    "comb": "binomial(n, k)",
    "fact": "factorial(n)",
    "sum": "Sum(expression, (k, first, last)) for a series",
    "prod": "Product(expression, (k, first, last))",
    "product": "Product(expression, (k, first, last))",
    "diff": "the derivative itself, worked out by hand",
    "Derivative": "the derivative itself, worked out by hand",
    "integrate": "the result itself, worked out by hand",
    "Integral": "the result itself, worked out by hand",
    "limit": "the value of the limit, worked out by hand",
    "Limit": "the value of the limit, worked out by hand",
    "mod": "an expression without remainders (modular arithmetic is not part of these exercises)",
    "re": "a real expression (complex numbers are not part of these exercises)",
    "im": "a real expression (complex numbers are not part of these exercises)",
    "arg": "a real expression (complex numbers are not part of these exercises)",
}


def accepts(nargs, count: int) -> bool:
    """Whether a function declared with ``nargs`` (a count or a tuple of counts) takes ``count`` arguments.

    >>> accepts((1, 2), 2), accepts(1, 2)
    (True, False)
    """
    return count in nargs if isinstance(nargs, tuple) else count == nargs


def arity(nargs) -> str:
    """``nargs`` in words for a message: '1', '1 or 2', '2 to 8'."""
    if not isinstance(nargs, tuple):
        return str(nargs)
    if len(nargs) > 2:
        return f"{nargs[0]} to {nargs[-1]}"
    return " or ".join(map(str, nargs))


def spellings(names) -> frozenset[str]:
    """``names`` with every other spelling of the same functions (forbid "arcsin" forbids "asin" too).

    >>> sorted(spellings(["arcsin"]))
    ['arcsin', 'asin']
    """
    names = set(names)
    funcs = {FUNCTIONS[n][0] for n in names if n in FUNCTIONS}
    if not funcs:
        return frozenset(names)  # most steps forbid nothing: no need to look through every function
    return frozenset(names | {n for n, (f, _) in FUNCTIONS.items() if f in funcs})


def class_names(func) -> set[str]:
    """The names a student may type for the sympy class ``func`` (sympy.asin → {'asin', 'arcsin'})."""
    found = {n for n, (f, _) in FUNCTIONS.items() if f is func}
    return found | {getattr(func, "__name__", "")}


CONSTANTS: dict[str, sympy.Basic] = {"pi": sympy.pi, "E": sympy.E, "e": sympy.E}

# sympy classes an expression may be built from (everything else is rejected).
ALLOWED_FUNCTION_CLASSES = tuple({f for f, _ in FUNCTIONS.values() if isinstance(f, type)}
                                 | {sympy.Pow, sympy.Piecewise, sympy.Sum, sympy.Product})
