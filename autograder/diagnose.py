"""Name what is wrong with an answer that is not equivalent, from its values against the target's.

Each rule looks for one simple relation between answer and reference (a sign,
a constant or symbolic factor, a reciprocal, one term too many or too few) and
returns a ``Diagnosis`` or None; ``diagnose`` tries them in order. Rules use
only values at points, so they work the same in grading and in a student's
local check, and no message prints the reference.

>>> import sympy
>>> show(sympy.sympify("a*(2 - a)"))
'a·(2 − a)'
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import mpmath
import sympy

from .compare import EQUATION, MIN_DECIMAL_DIGITS, Sampled, close, close_all, rounded_allowed, rounds_to, sample
from .evaluate import at_digits
from .parse import significant_digits
from .target import Target


@dataclass(frozen=True)
class Diagnosis:
    code: str
    feedback: str


@dataclass(frozen=True)
class Case:
    """Everything a rule may look at."""

    answer: object  # the parsed sympy answer
    values: Sampled  # the answer's values at the target's points
    target: Target


Rule = Callable[[Case], "Diagnosis | None"]
RULES: list[Rule] = []


def rule(func: Rule) -> Rule:
    """Register a diagnosis rule; rules run in the order they are registered."""
    RULES.append(func)
    return func


def diagnose(answer, values: Sampled, target: Target, hints=None) -> Diagnosis:
    """The first rule that recognizes the mistake, or a generic diagnosis naming a point where it differs."""
    case = Case(answer, values, target)
    with at_digits():  # the rules' own arithmetic must be as precise as the values
        for check in RULES:
            found = check(case)
            if found is not None:
                break
        else:
            found = _differs(case)
    extra = (hints or {}).get(found.code)
    return Diagnosis(found.code, f"{found.feedback} {extra}" if extra else found.feedback)


def show(expr) -> str:
    """A compact, readable form of an expression for a feedback sentence."""
    return str(expr).replace("**", "^").replace("*", "·").replace(" - ", " − ").replace("-", "−")


def _pairs(case: Case):
    """(answer element, reference element) over all points where both are defined."""
    for a, r in zip(case.values.values, case.target.values.values):
        if a is not None and r is not None:
            yield from zip(a, r)


def _constant(values) -> object | None:
    """The common value of numbers that are all equal (at least three of them); stops at the first that differs."""
    first, count = None, 0
    for v in values:
        if count == 0:
            first = v
        elif not close(v, first):
            return None
        count += 1
    return first if count >= 3 else None


def _nice(c) -> str:
    if type(c) is not mpmath.mpf:
        with at_digits():
            if abs(mpmath.im(c)) > abs(c) * mpmath.mpf("1e-20"):
                return mpmath.nstr(c, 6)
    value = float(mpmath.re(c))
    simple = Fraction(value).limit_denominator(10000)  # most factors are 2, -1/2, 5999/6000: no search (nsimplify
    # took 0.7 s on 5999/6000; a float within 1e-12 of a fraction this small is that fraction)
    if abs(float(simple) - value) <= 1e-12 * max(1, abs(value)):
        return show(str(simple))  # as sympy writes a Rational: 2, -1/2, 3/4
    guess = sympy.nsimplify(value, [sympy.pi, sympy.E], tolerance=1e-12, rational=False)
    return show(guess) if len(str(guess)) < 12 else mpmath.nstr(mpmath.re(c), 6)


@rule
def shape_mismatch(case: Case):
    want, got = case.target.values.shape, case.values.shape
    if want == got:
        return None

    def describe(shape):
        if shape == EQUATION:
            return "an equation (with '=')"
        if shape is None:
            return "a single expression (not a matrix)"
        rows, cols = shape
        kind = "row" if rows == 1 and cols > 1 else "column" if cols == 1 and rows > 1 else "matrix"
        return f"a {rows}×{cols} {kind}"

    transposed = ""
    if want and got and want == got[::-1] and isinstance(case.answer, sympy.MatrixBase):
        t = sample(case.answer.T, case.target.points)
        if all(a is not None and r is not None and close_all(a, r)
               for a, r in zip(t.values, case.target.values.values)):
            transposed = " — your answer is the transpose of the right one"
    return Diagnosis("shape_mismatch", f"Expected {describe(want)}, got {describe(got)}{transposed}.")


@rule
def other_equation(case: Case):
    """Equations are only told apart as a whole: a term-by-term diagnosis of lhs − rhs would mislead."""
    if case.target.values.shape != EQUATION:
        return None
    return Diagnosis("not_equivalent", "Your equation is not equivalent to the right one: it does not hold at the "
                     "same points (an equation may be rearranged or multiplied by a number, nothing else).")


@rule
def undefined_where_defined(case: Case):
    """Right wherever it has a value, but without one where the result has: a removable division by zero."""
    rows = list(zip(case.target.points, case.values.values, case.target.values.values))
    missing = [p for p, a, r in rows if a is None and r is not None]
    if not missing or any(not close_all(a, r) for _, a, r in rows if a is not None and r is not None):
        return None
    return Diagnosis("undefined", f"Your answer has no value at {_where(case, missing[0])}, where the result is "
                     "defined (a division by zero, or a log or root of a negative number?); write it in a form "
                     "that holds at that point too.")


@rule
def known_mistake(case: Case):
    for values, feedback in case.target.mistakes:
        pairs = [(a, m) for av, mv in zip(case.values.values, values.values)
                 if av is not None and mv is not None for a, m in zip(av, mv)]
        if len(pairs) >= 3 and all(close(a, m) for a, m in pairs):
            return Diagnosis("known_mistake", feedback)
    return None


@rule
def wrong_at_few_points(case: Case):
    """Right at almost every point, wrong at one or two: typically the value at a kink (ReLU′(0))."""
    if case.values.shape:
        return None
    rows = [(p, a, r) for p, a, r in zip(case.target.points, case.values.values, case.target.values.values)
            if a is not None and r is not None]
    if len(rows) < 8:
        return None
    wrong = [(p, a, r) for p, a, r in rows if not close_all(a, r)]
    if not 0 < len(wrong) <= 2:
        return None
    point, a, r = wrong[0]
    return Diagnosis("wrong_at_point", f"Your answer is right everywhere but at {_where(case, point)}: there it "
                     f"gives {_value(a)} instead of {_value(r)} — check what the step says about that point.")


@rule
def wrong_variables(case: Case):
    used = case.target.depends_on(case.answer)
    extra = sorted(used - case.target.primitives)
    if not extra:
        return None
    return Diagnosis("wrong_variables",
                     f"Your answer depends on {', '.join(extra)}, which this step's result does not depend on.")


@rule
def wrong_number(case: Case):
    """A number where the result is a number: how close it is and, for a decimal, how precisely it was written."""
    if case.values.shape or not getattr(case.answer, "is_number", False):
        return None
    pairs = list(_pairs(case))
    if len(pairs) < 3 or _constant(r for _, r in pairs) is None:
        return None
    a, r = pairs[0]
    if not isinstance(case.answer, sympy.Float):
        relative = abs(a - r) / abs(r) if not close(r, 0) else abs(a - r)
        near = " It is close: check the last step of your arithmetic." if relative < mpmath.mpf("0.01") else ""
        return Diagnosis("wrong_value", f"Your answer is a number, but not the right one.{near}")
    digits = significant_digits(str(case.answer))
    shown = str(case.answer)
    unit = mpmath.mpf(10) ** (mpmath.floor(mpmath.log10(abs(a))) - digits + 1) if a != 0 else 0
    if not rounded_allowed() and (rounds_to(r, a, digits) or digits >= MIN_DECIMAL_DIGITS and abs(a - r) <= 5 * unit):
        return Diagnosis("rounded_value", f"{shown} is a rounded value; this step wants the exact value, such as a "
                         "fraction or sqrt(2).")
    if digits < MIN_DECIMAL_DIGITS and rounds_to(r, a, digits):
        return Diagnosis("too_few_digits", f"Your answer {shown} has {digits} significant digit(s): a rounded "
                         f"value needs at least {MIN_DECIMAL_DIGITS}, or give the exact value (a fraction, sqrt(…)).")
    if digits >= MIN_DECIMAL_DIGITS and abs(a - r) <= 5 * unit:
        return Diagnosis("wrong_rounding", f"Your answer {shown} is close, but the result does not round to it at the "
                         f"{digits} significant digits you wrote: round correctly, or give the exact value.")
    return Diagnosis("wrong_value", f"Your answer {shown} is not the right value.")


@rule
def nearly_equal(case: Case):
    """Equal to 20 digits at every point, yet not equal (a term 10^25 times smaller than the rest, a constant
    wrong in its 30th digit): the rules after this one, which test relations to 20 digits, would name a relation
    that is not there (a "reciprocal" with the square of a huge value)."""
    rows = [(p, a, r) for p, a, r in zip(case.target.points, case.values.values, case.target.values.values)
            if a is not None and r is not None]
    if not rows or any(not close_all(a, r) for _, a, r in rows):
        return None
    gaps = [(abs(x - y) / max(abs(x), abs(y)), p) for p, a, r in rows for x, y in zip(a, r) if x != y]
    gap, point = max(gaps, key=lambda g: g[0]) if gaps else (0, rows[0][0])
    return Diagnosis("nearly_equal", f"Your answer is extremely close to the right result, but not equal to it: at "
                     f"{_where(case, point)} they differ by {mpmath.nstr(gap, 2)} of their size (a tiny extra term, "
                     "or a constant wrong in a far digit?).")


@rule
def constant_factor(case: Case):
    pairs = list(_pairs(case))
    if pairs and all(close(a, 0) for a, _ in pairs):
        return Diagnosis("zero", "Your answer is 0 everywhere; the derivative here is not zero.")
    ratio = _constant(a / r for a, r in pairs if not close(r, 0))
    if ratio is None or close(ratio, 0) or close(ratio, 1):  # a ratio of 1: wrong only where the result is 0
        return None
    if close(ratio, -1):
        return Diagnosis("sign_error", "Your answer has the wrong sign: it is the negative of the right result.")
    return Diagnosis("constant_factor",
                     f"Your answer is off by a constant factor: it is {_nice(ratio)} times the right result.")


@rule
def reciprocal(case: Case):
    product = _constant(a * r for a, r in _pairs(case))
    if product is None or close(product, 0):
        return None
    if close(product, 1):
        return Diagnosis("reciprocal", "Your answer is upside down: it is the reciprocal of the right result.")
    return Diagnosis("reciprocal",
                     f"Your answer is {_nice(product)} divided by the right result: check which way up the fraction goes.")


def _answer_is_constant(case: Case) -> bool:
    return _constant(a for a, _ in _pairs(case)) is not None


def _triples(case: Case, other: Sampled):
    """(answer, reference, other) scalar values at the points where all three are defined."""
    for a, r, x in zip(case.values.values, case.target.values.values, other.values):
        if a is not None and r is not None and x is not None:
            yield a[0], r[0], x[0]


def _undefined_where_both_are(case: Case, other: Sampled) -> bool:
    """Whether ``other`` has no value at a point where the answer and the reference both have one."""
    return any(a is not None and r is not None and x is None
               for a, r, x in zip(case.values.values, case.target.values.values, other.values))


@rule
def factor(case: Case):
    if _answer_is_constant(case) or case.values.shape:
        return None  # the missing "factor" would be the whole reference: say nothing of it
    for f, values in case.target.candidate_factors:
        if _undefined_where_both_are(case, values):
            continue  # a factor such as relu(z)/z cannot explain a difference exactly where it has no value
        triples = list(_triples(case, values))
        if len(triples) < 3:
            continue
        if all(close(a * x, r) for a, r, x in triples):
            return Diagnosis("missing_factor",
                             f"Your answer is off by a factor of {show(f)}: it is missing that factor "
                             "— check that every factor of the chain rule is there.")
        if all(close(a, r * x) for a, r, x in triples):
            return Diagnosis("extra_factor", f"Your answer has an extra factor of {show(f)}.")
    return None


@rule
def elementwise_factor(case: Case):
    """A matrix answer missing (or with an extra) element-wise factor such as g'(Z) = 1 − A²."""
    if not case.values.shape:
        return None
    for label, values in case.target.matrix_factors:
        triples = [(a, r, x) for av, rv, xv in zip(case.values.values, case.target.values.values, values.values)
                   if av is not None and rv is not None and xv is not None for a, r, x in zip(av, rv, xv)]
        if len(triples) < 3:
            continue
        if all(close(a * x, r) for a, r, x in triples):
            return Diagnosis("missing_factor", f"Your matrix is missing the element-wise factor {label}: "
                             "multiply by it element by element (*, as numpy does).")
        if all(close(a, r * x) for a, r, x in triples):
            return Diagnosis("extra_factor", f"Your matrix has an extra element-wise factor {label}.")
    return None


def _terms(case: Case):
    if isinstance(case.answer, sympy.MatrixBase):
        return []
    terms = sympy.Add.make_args(case.answer)
    return terms if len(terms) > 1 else []


@rule
def term_sign(case: Case):
    for t in _terms(case):
        tv = sample(t, case.target.points)
        if _agrees_after(case, tv, lambda a, t_: a - 2 * t_):
            return Diagnosis("sign_error", f"The sign of the term {show(t)} is wrong.")
    return None


@rule
def extra_term(case: Case):
    for t in _terms(case):
        tv = sample(t, case.target.points)
        if _agrees_after(case, tv, lambda a, t_: a - t_):
            return Diagnosis("extra_term", f"The term {show(t)} should not be there.")
    return None


@rule
def missing_term(case: Case):
    if case.values.shape:
        return None
    if _answer_is_constant(case):
        return None
    if _constant(r - a for a, r in _pairs(case)) is not None:
        return Diagnosis("missing_term", "Your answer is missing a constant term.")
    for f, values in case.target.candidate_factors:
        ratios = ((r - a) / x for a, r, x in _triples(case, values) if not close(x, 0))
        if _constant(ratios) is not None:
            names = ", ".join(sorted(s.name for s in f.free_symbols))
            return Diagnosis("missing_term", f"Your answer is missing a term (one involving {names}).")
    return None


def _agrees_after(case: Case, term_values: Sampled, change) -> bool:
    triples = list(_triples(case, term_values))
    return len(triples) >= 3 and all(close(change(a, t), r) for a, r, t in triples)


def _differs(case: Case) -> Diagnosis:
    for point, a, r in zip(case.target.points, case.values.values, case.target.values.values):
        if r is None:
            continue
        where = _where(case, point)
        if a is None:
            return Diagnosis("undefined", f"Your answer is undefined at {where}, where the result is defined.")
        if case.values.shape:
            wrong = [i for i, (x, y) in enumerate(zip(a, r)) if not close(x, y)]
            if wrong:
                cols = case.values.shape[1]
                cells = ", ".join(f"({i // cols + 1}, {i % cols + 1})" for i in wrong[:4])
                more = "" if len(wrong) <= 4 else f" and {len(wrong) - 4} more"
                return Diagnosis("not_equivalent", f"Your matrix differs from the right one in element(s) "
                                 f"{cells}{more} (row, column).")
        elif not close_all(a, r):
            return Diagnosis("not_equivalent",
                             f"Your answer is not equivalent to the right result: at {where} it gives "
                             f"{_value(a)} but should give {_value(r)}.")
    return Diagnosis("not_equivalent", "Your answer is not equivalent to the right result.")


def _where(case: Case, point: dict) -> str:
    return where(case.target, case.answer, point)


def where(target: Target, answer, point: dict) -> str:
    """``z = 0, y = 0.25``: the declared scalar symbols the result or the answer depends on, at a sample point."""
    shown = set(target.names.scalars)
    relevant = shown & (target.primitives | target.depends_on(answer))
    shown = relevant or shown  # not the ten other symbols of the assignment
    return ", ".join(f"{k} = {mpmath.nstr(mpmath.re(v), 3)}" for k, v in sorted(
        point.items(), key=lambda kv: str(kv[0])) if k.name in shown) or "a test point"


def _value(v) -> str:
    return ", ".join(mpmath.nstr(x, 4) for x in v)
