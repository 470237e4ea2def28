"""Evaluate a checked sympy expression at a point with mpmath, by walking its tree (no code generation).

Most expressions are real arithmetic and elementary functions: those are first walked with MPFR (gmpy2, the same
precision as mpmath's, in C, several times faster). The slightest trouble there — a complex value, a pole, an
overflow, a function it does not take — and mpmath evaluates the whole expression at that point, so every result
and every refusal is mpmath's.

>>> import sympy, mpmath
>>> a = sympy.Symbol("a")
>>> mpmath.nstr(evaluate(a * (1 - a), {a: mpmath.mpf("0.25")}), 5)
'0.1875'
"""

from __future__ import annotations

import operator
from contextlib import nullcontext
from functools import lru_cache

import gmpy2
import mpmath
import sympy
from mpmath.libmp import from_man_exp

from .functions import relu, sigmoid

DIGITS = 40  # working precision; answers agree to ~25 digits or they differ


def at_digits():
    """mpmath at DIGITS for a block (a context manager), without building a context when it is there already:
    a check's stages each need it, and the one around the whole check already set it (6 us a context).

    >>> with at_digits():
    ...     mpmath.mp.dps
    40
    """
    return nullcontext() if mpmath.mp.dps == DIGITS else mpmath.workdps(DIGITS)


class NotNumeric(ValueError):
    """The expression has a part that cannot be evaluated to a number (or is infinite there)."""


def _sigmoid(x):
    return 1 / (1 + mpmath.exp(-x))


def _relu(x):
    if mpmath.im(x) != 0:
        raise NotNumeric("ReLU of a complex number")
    return x if mpmath.re(x) > 0 else mpmath.mpf(0)


def _real_only(func):
    def apply(*xs):
        return func(*[_real(x) for x in xs])
    return apply


def _sign(x):
    return mpmath.sign(_real(x))


_FUNCS = {
    sympy.exp: mpmath.exp, sympy.log: mpmath.log, sympy.sin: mpmath.sin, sympy.cos: mpmath.cos,
    sympy.tan: mpmath.tan, sympy.tanh: mpmath.tanh, sympy.sinh: mpmath.sinh, sympy.cosh: mpmath.cosh,
    sympy.Abs: abs, sigmoid: _sigmoid, relu: _relu,
    sympy.sec: mpmath.sec, sympy.csc: mpmath.csc, sympy.cot: mpmath.cot,
    sympy.asin: mpmath.asin, sympy.acos: mpmath.acos, sympy.atan: mpmath.atan, sympy.asec: mpmath.asec,
    sympy.acsc: mpmath.acsc, sympy.acot: mpmath.acot, sympy.sech: mpmath.sech, sympy.csch: mpmath.csch,
    sympy.coth: mpmath.coth, sympy.asinh: mpmath.asinh, sympy.acosh: mpmath.acosh, sympy.atanh: mpmath.atanh,
    sympy.asech: mpmath.asech, sympy.acsch: mpmath.acsch, sympy.acoth: mpmath.acoth,
    sympy.sign: _sign, sympy.floor: _real_only(mpmath.floor), sympy.ceiling: _real_only(mpmath.ceil),
    sympy.factorial: mpmath.factorial, sympy.gamma: mpmath.gamma,
    sympy.re: mpmath.re, sympy.im: mpmath.im,  # sympy writes |exp(x)| as exp(re(x)) for a real-or-complex x
}
# Functions of several arguments, by the number they take.
_FUNCS2 = {sympy.binomial: mpmath.binomial, sympy.atan2: _real_only(mpmath.atan2)}


@lru_cache(maxsize=256)
def _closed_form(e):
    closed = e.doit()
    return None if closed.has(sympy.Sum, sympy.Product) else closed


class Rounded(mpmath.mpf):
    """The value of a decimal an answer is made of alone, with the significant digits it was written with."""

    digits = None


def _decimal(e):
    """A lone decimal (a sympy Float): the exact number its digits spell, knowing how many there are."""
    from .parse import significant_digits

    literal = str(e)
    value = Rounded(literal)
    value.digits = significant_digits(literal)
    return value


def _series(e, values):
    """A Sum or Product whose bounds are whole numbers at this point, term by term (at most MAX_TERMS)."""
    from .parse import MAX_TERMS

    (var, low, high), = e.limits
    low, high = _real(_eval(low, values)), _real(_eval(high, values))
    if low != mpmath.floor(low) or high != mpmath.floor(high):
        closed = _closed_form(e)  # n terms for a real n: the closed form's value, when sympy knows one
        if closed is None:
            raise NotNumeric("a sum whose bounds are not whole numbers")
        return _eval(closed, values)
    if high - low > MAX_TERMS:
        raise NotNumeric("too many terms")
    total = mpmath.mpf(0) if isinstance(e, sympy.Sum) else mpmath.mpf(1)
    k = low
    while k <= high:
        term = _eval(e.function, {**values, var: k})
        total = total + term if isinstance(e, sympy.Sum) else total * term
        k += 1
    return total


def evaluate(expr, values: dict):
    """The value (mpf or mpc) of ``expr`` at ``values`` (Symbol → mpmath number); raises NotNumeric."""
    if mpmath.mp.dps < DIGITS:
        with mpmath.workdps(DIGITS):
            return evaluate(expr, values)
    value = _fast_values(expr, [values])[0]
    return value if value is not None else _exact(expr, values)


def evaluate_at(expr, points) -> list:
    """``evaluate(expr, point)`` at each point, None where it is not a number: the fast path set up once.

    >>> a = sympy.Symbol("a")
    >>> [mpmath.nstr(v, 3) if v is not None else v for v in evaluate_at(1 / a, [{a: mpmath.mpf(4)}, {a: mpmath.mpf(0)}])]
    ['0.25', None]
    """
    if mpmath.mp.dps < DIGITS:
        with mpmath.workdps(DIGITS):
            return evaluate_at(expr, points)
    found = _fast_values(expr, points)
    for i, point in enumerate(points):
        if found[i] is None:
            try:
                found[i] = _exact(expr, point)
            except NotNumeric:
                pass
    return found


def _fast_values(expr, points) -> list:
    """The fast path's value at each point, None wherever it gave up (mpmath's path then decides, and says why)."""
    found = [None] * len(points)
    if expr.is_Float:  # a lone decimal keeps its written digits (Rounded): mpmath's path
        return found
    prec = mpmath.mp.prec
    with _real_context(prec):
        try:
            f = _compiled(expr, prec)
        except Exception:  # noqa: BLE001 — a number it cannot make (an infinite Float): mpmath's path
            return found
        for i, point in enumerate(points):
            try:
                found[i] = _to_mpf(f(point))
            except Exception:  # noqa: BLE001 — whatever it was, it is left to mpmath's path
                pass
    return found


def _exact(expr, values):
    """mpmath's evaluation, the reference for every value and every refusal."""
    try:
        result = _eval(expr, values)
    except (ZeroDivisionError, OverflowError, ValueError, TypeError) as exc:
        raise NotNumeric(str(exc)) from exc
    if not mpmath.isfinite(result):
        raise NotNumeric("not finite")
    return result


def _real(x):
    if mpmath.im(x) != 0:
        raise NotNumeric("a comparison of complex numbers")
    return mpmath.re(x)


_RELATIONS = {sympy.StrictGreaterThan: lambda a, b: a > b, sympy.StrictLessThan: lambda a, b: a < b,
              sympy.GreaterThan: lambda a, b: a >= b, sympy.LessThan: lambda a, b: a <= b}


def _holds(cond, values) -> bool:
    test = _RELATIONS.get(type(cond))
    if test is None:
        raise NotNumeric(f"cannot evaluate the condition {cond}")
    return test(_real(_eval(cond.args[0], values)), _real(_eval(cond.args[1], values)))


def _eval(e, values):
    step = _STEPS.get(type(e))
    return step(e, values) if step is not None else _eval_any(e, values)


def _eval_any(e, values):
    if e.is_Symbol:
        try:
            return values[e]
        except KeyError:
            raise NotNumeric(f"no value for {e}") from None
    if e.is_Integer:
        return mpmath.mpf(int(e))
    if e.is_Rational:
        return mpmath.mpf(int(e.p)) / int(e.q)
    if e.is_Float:
        return _decimal(e)
    if e is sympy.pi:
        return +mpmath.pi
    if e is sympy.E:
        return mpmath.e()
    if e is sympy.I:
        return mpmath.mpc(0, 1)
    if e.is_Add:
        result = mpmath.mpf(0)
        for a in e.args:
            result += _eval(a, values)
        return result
    if e.is_Mul:
        result = mpmath.mpf(1)
        for a in e.args:
            result *= _eval(a, values)
        return result
    if e.is_Pow:
        base, exp = e.args
        if exp.is_Integer:
            return _eval(base, values) ** int(exp)
        b = _eval(base, values)
        if b == 0 and mpmath.re(_eval(exp, values)) <= 0:
            raise NotNumeric("0 to a non-positive power")
        return mpmath.power(b, _eval(exp, values))
    if e.func in (sympy.Max, sympy.Min):
        xs = [_real(_eval(a, values)) for a in e.args]
        return max(xs) if e.func is sympy.Max else min(xs)
    if e.func is sympy.Heaviside:
        x = _real(_eval(e.args[0], values))
        if x == 0 and len(e.args) > 1:  # Heaviside(x, H0): the value at 0 is part of the definition
            return _eval(e.args[1], values)
        return mpmath.mpf(1) if x > 0 else mpmath.mpf(0) if x < 0 else mpmath.mpf(1) / 2
    if isinstance(e, sympy.Piecewise):
        for expr, cond in e.args:
            if cond is sympy.true or _holds(cond, values):
                return _eval(expr, values)
        raise NotNumeric("no case of the piecewise expression applies")
    if isinstance(e, (sympy.Sum, sympy.Product)):
        return _series(e, values)
    if e.func in _FUNCS2 and len(e.args) == 2:
        return _FUNCS2[e.func](_eval(e.args[0], values), _eval(e.args[1], values))
    if isinstance(e, sympy.log) and len(e.args) == 2:
        return mpmath.log(_eval(e.args[0], values)) / mpmath.log(_eval(e.args[1], values))
    func = _FUNCS.get(e.func)
    if func is not None and len(e.args) == 1:
        x = _eval(e.args[0], values)
        if e.func is sympy.log and x == 0:
            raise NotNumeric("log(0)")
        return func(x)
    raise NotNumeric(f"cannot evaluate {type(e).__name__}")


# The commonest nodes by their exact type, so most of a tree skips the checks of _eval_any (same results).
def _symbol(e, values):
    try:
        return values[e]
    except KeyError:
        raise NotNumeric(f"no value for {e}") from None


def _add(e, values):
    first, *rest = e.args
    result = _eval(first, values)
    for a in rest:
        result = result + _eval(a, values)
    return result


def _mul(e, values):
    first, *rest = e.args
    result = _eval(first, values)
    for a in rest:
        result = result * _eval(a, values)
    return result


def _function(func):
    def apply(e, values):
        if len(e.args) != 1:
            return _eval_any(e, values)
        return func(_eval(e.args[0], values))
    return apply


def _pow(e, values):
    base, exp = e.args
    if exp.is_Integer:
        return _eval(base, values) ** int(exp)
    return _eval_any(e, values)


def _integer(e, values):
    return mpmath.mpf(int(e))


_STEPS = {
    sympy.Symbol: _symbol, sympy.Add: _add, sympy.Mul: _mul, sympy.Pow: _pow,
    sympy.Integer: _integer, sympy.core.numbers.One: _integer, sympy.core.numbers.NegativeOne: _integer,
    sympy.core.numbers.Zero: _integer,
    sympy.Rational: lambda e, values: mpmath.mpf(int(e.p)) / int(e.q),
    **{f: _function(func) for f, func in _FUNCS.items() if f is not sympy.log},
}


# The real fast path: MPFR at mpmath's working precision, every exceptional condition trapped (a pole, a
# logarithm of a negative, an overflow or underflow, NaN), so it either gives the real value mpmath would give or
# raises and leaves the point to mpmath. An expression is turned once into nested closures (no code is generated),
# which are then called at each point: walking the tree again at every point cost more than the arithmetic.
_CONTEXTS: dict = {}


def _real_context(prec: int):
    ctx = _CONTEXTS.get(prec)
    if ctx is None:
        ctx = _CONTEXTS[prec] = gmpy2.context(precision=prec, trap_divzero=True, trap_invalid=True,
                                              trap_overflow=True, trap_underflow=True, trap_erange=True)
    return ctx


class _Slow(Exception):
    """The fast path does not take this value (complex, infinite, 0 to a power): mpmath evaluates the point."""


_CONVERTED: dict = {}  # id(mpf) → (mpf, mpfr): the points' coordinates are converted once, not per answer


def _to_mpfr(v):
    found = _CONVERTED.get(id(v))
    if found is not None and found[0] is v:
        return found[1]
    if not isinstance(v, mpmath.mpf):
        raise _Slow("not a real mpf")
    sign, man, exp, bc = v._mpf_
    if not man and bc:
        raise _Slow("infinite or NaN")
    # _ONE * man rounds as mpfr(man) does, and a power of two scales exactly: arithmetic on MPFR numbers costs a
    # tenth of building one (mpfr(man) and mul_2exp took 5.5 us a coordinate, most of sampling a new reference)
    x = _ONE * man * _power_of_two(exp) if man else _ZERO
    x = -x if sign else x
    if len(_CONVERTED) > 8192:
        _CONVERTED.clear()
    _CONVERTED[id(v)] = (v, x)  # holding v keeps its id from being reused while cached
    return x


_ONE, _ZERO = gmpy2.mpfr(1), gmpy2.mpfr(0)
_POWERS_OF_TWO: dict = {}


def _power_of_two(exp: int):
    """2**exp as MPFR (exact at any precision), made once per exponent."""
    found = _POWERS_OF_TWO.get(exp)
    if found is None:
        if len(_POWERS_OF_TWO) > 4096:
            _POWERS_OF_TWO.clear()
        found = _POWERS_OF_TWO[exp] = gmpy2.mul_2exp(_ONE, exp)
    return found


def _to_mpf(x):
    man, exp = x.as_mantissa_exp()
    return mpmath.mp.make_mpf(from_man_exp(man, int(exp)))  # exact: no rounding; mpmath wants a Python int exponent


_COMPILED: dict = {}


def _compiled(e, prec: int):
    """``e`` as a function of the point's values (call inside ``_real_context(prec)``), made once per precision."""
    key = (e, prec)
    f = _COMPILED.get(key)
    if f is None:
        if len(_COMPILED) > 4096:
            _COMPILED.clear()
        f = _COMPILED[key] = _closure(e, prec)
    return f


def _closure(e, prec):
    kind = type(e)
    if kind is sympy.Symbol:
        return lambda values: _to_mpfr(values[e])
    if e.is_Number or e is sympy.pi or e is sympy.E:
        x = gmpy2.mpfr(str(e)) if e.is_Float else gmpy2.const_pi() if e is sympy.pi else \
            gmpy2.exp(1) if e is sympy.E else _ONE * int(e.p) / int(e.q) if e.is_Rational else None
        if x is not None:
            return lambda values: x
    if kind is sympy.Add or kind is sympy.Mul:
        parts = [_compiled(a, prec) for a in e.args]
        return _fold(parts, operator.add if kind is sympy.Add else operator.mul)
    if kind is sympy.Pow:
        return _power(e, prec)
    func = _FAST_FUNCS.get(kind)
    if func is not None and len(e.args) == 1:
        inner = _compiled(e.args[0], prec)
        return lambda values: func(inner(values))
    if kind is sympy.binomial and len(e.args) == 2:
        return _binomial(*(_compiled(a, prec) for a in e.args))
    return lambda values: _to_mpfr(_eval(e, values))  # anything else (Piecewise, Sum, Max, …) by mpmath, if real


def _binomial(n, k):
    """Γ(n+1)/(Γ(k+1)·Γ(n−k+1)): a pole anywhere (whole negative numbers) is trapped, and mpmath takes its
    limit."""
    def binomial(values):
        top, bottom = n(values), k(values)
        return gmpy2.gamma(top + 1) / (gmpy2.gamma(bottom + 1) * gmpy2.gamma(top - bottom + 1))
    return binomial


def _fold(parts, combine):
    """The closure combining the parts' values left to right (``operator.add`` for a sum, ``mul`` for a product)."""
    if len(parts) == 2:
        f, g = parts
        return lambda values: combine(f(values), g(values))

    def fold(values):
        result = parts[0](values)
        for f in parts[1:]:
            result = combine(result, f(values))
        return result
    return fold


def _power(e, prec):
    base, exp = e.args
    b = _compiled(base, prec)
    if exp.is_Integer:
        n = int(exp)
        return lambda values: b(values) ** n
    if exp == sympy.S.Half:
        return lambda values: gmpy2.sqrt(b(values))  # a twentieth of the general power's time; sqrt(0) = 0 too
    if exp == -sympy.S.Half:
        return lambda values: gmpy2.rec_sqrt(b(values))  # 1/sqrt(0) is a trapped division by zero
    if exp.is_Rational and exp.q <= 1024:
        p, q = int(exp.p), int(exp.q)

        def rational_power(values):
            value = b(values)
            if value <= 0:
                raise _Slow("a root of a negative number or of 0")  # mpmath's principal branch, or undefined
            return gmpy2.root(value, q) ** p
        return rational_power
    x = _compiled(exp, prec)

    def power(values):
        value = b(values)
        if not value:
            raise _Slow("0 to a power")  # mpmath's path says when that is undefined
        return value ** x(values)
    return power


def _fast_relu(x):
    return x if x > 0 else _ZERO


_FAST_FUNCS = {
    sympy.exp: gmpy2.exp, sympy.log: gmpy2.log, sympy.sin: gmpy2.sin, sympy.cos: gmpy2.cos, sympy.tan: gmpy2.tan,
    sympy.tanh: gmpy2.tanh, sympy.sinh: gmpy2.sinh, sympy.cosh: gmpy2.cosh, sympy.Abs: abs,
    sigmoid: lambda x: 1 / (1 + gmpy2.exp(-x)), relu: _fast_relu,
    sympy.sec: gmpy2.sec, sympy.csc: gmpy2.csc, sympy.cot: gmpy2.cot, sympy.asin: gmpy2.asin,
    sympy.acos: gmpy2.acos, sympy.atan: gmpy2.atan, sympy.sech: gmpy2.sech, sympy.csch: gmpy2.csch,
    sympy.coth: gmpy2.coth, sympy.asinh: gmpy2.asinh, sympy.acosh: gmpy2.acosh, sympy.atanh: gmpy2.atanh,
    sympy.gamma: gmpy2.gamma, sympy.factorial: lambda x: gmpy2.gamma(x + 1),
}
