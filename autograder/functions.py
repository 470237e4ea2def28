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


# Name a student types -> (sympy callable, number of arguments).
FUNCTIONS: dict[str, tuple[object, int]] = {
    "exp": (sympy.exp, 1),
    "log": (sympy.log, 1),
    "ln": (sympy.log, 1),
    "sqrt": (sympy.sqrt, 1),
    "abs": (sympy.Abs, 1),
    "Abs": (sympy.Abs, 1),
    "sin": (sympy.sin, 1),
    "cos": (sympy.cos, 1),
    "tan": (sympy.tan, 1),
    "tanh": (sympy.tanh, 1),
    "cosh": (sympy.cosh, 1),
    "sinh": (sympy.sinh, 1),
    "sigma": (sigmoid, 1),
    "sigmoid": (sigmoid, 1),
    "relu": (relu, 1),
    "ReLU": (relu, 1),
    "step": (sympy.Heaviside, 1),
    "Heaviside": (sympy.Heaviside, 1),
    "max": (sympy.Max, 2),
    "Max": (sympy.Max, 2),
    "min": (sympy.Min, 2),
    "Min": (sympy.Min, 2),
}

CONSTANTS: dict[str, sympy.Basic] = {"pi": sympy.pi, "E": sympy.E, "e": sympy.E}

# sympy classes an expression may be built from (everything else is rejected).
ALLOWED_FUNCTION_CLASSES = tuple({f for f, _ in FUNCTIONS.values()} | {sympy.Pow})
