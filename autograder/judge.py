"""The pipeline for one answer: parse → compare → diagnose → verdict (runs inside the bounded worker).

>>> judge("a - a^2", "a*(1-a)", domain={"a": (0, 1)}).status
'equivalent'
>>> judge_own("-a*(1-a)", "a*(1-a)", ["-a", "1-a"], domain={"a": (0, 1)}).status   # right for its own parts
'equivalent'
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import lru_cache

import mpmath
import sympy

from .compare import EQUATION, TOLERANCE, Agreement, Sampled, agreement, agrees_at, decimal_policy, exact_agreement, \
    same_solutions, sample
from .diagnose import diagnose, where
from .evaluate import DIGITS
from .exact import exact_sample
from .domain import Domain, DomainError
from .parse import Names, ParseError, parse_expression
from .target import Target
from .matrices import ShapeMismatch, combine
from .verdict import Verdict, invalid, undecided


def judge(answer, reference, *, domain=None, define=None, forbid=(), symbols=(), matrices=None,
          require_simplified=False, mistakes=None, hints=None, salt="grade", decimals="rounded") -> Verdict:
    """Judge ``answer`` against a reference expression (the instructor's side)."""
    target = build_target(reference, domain=domain, define=define, symbols=symbols, matrices=matrices,
                          mistakes=mistakes, salt=salt)
    return judge_against(answer, target, forbid=forbid, require_simplified=require_simplified, hints=hints,
                         decimals=decimals)


def read(answer, *, domain=None, define=None, forbid=(), symbols=(), matrices=None, **_ignored) -> Verdict:
    """Only parse ``answer`` with the exercise's names: an invalid verdict, or one carrying its LaTeX."""
    names = Domain.build(domain, define, set(symbols or ()), matrices=matrices).names
    try:
        expr = parse_expression(answer, names.with_forbid(forbid))
    except ParseError as exc:
        return invalid(exc.code, _sentence(exc.message), exc.column)
    return Verdict("equivalent", True, None, "Readable.", "parse", _latex(expr), accepted=True)


def build_target(reference, *, domain=None, define=None, symbols=(), matrices=None, mistakes=None,
                 salt="grade") -> Target:
    """The reference sampled inside its domain; cached, since one reference meets many answers."""
    key = json.dumps([_key(reference), _key(domain), _key(define), sorted(symbols or ()), _key(matrices),
                      _key(mistakes), salt], sort_keys=True, default=str)
    args = (reference, domain, define, tuple(symbols or ()), matrices, mistakes, salt)
    if isinstance(reference, str) or reference is None:
        return _cached_target(key, *args)
    return _target(*args)


def judge_own(answer, reference, own, *, domain=None, define=None, forbid=(), symbols=(), matrices=None,
              require_simplified=False, hints=None, salt="grade", decimals="rounded") -> Verdict:
    """Judge ``answer`` against the student's own version of ``reference``: the product of ``own`` (their
    earlier answers this step combines), sampled at the reference's points (for follow-through credit).

    ``reference`` is an expression (grading) or shipped samples (a local check); an ``own`` part that does not
    read gives an invalid verdict, never credit.
    """
    target = _own_base(reference, domain, define, symbols, matrices, salt)
    with mpmath.workdps(DIGITS):
        try:
            own_target = own_reference_target(target, own, simplified_size=require_simplified)
        except (ParseError, ShapeMismatch) as exc:
            return invalid("own_answer_unreadable",
                           _sentence(f"your earlier answers do not combine: {getattr(exc, 'message', exc)}"))
        with decimal_policy(decimals):
            return _judge_against(answer, own_target, forbid, require_simplified, hints)


def attempt_facts(answer, reference, *, domain=None, define=None, forbid=(), symbols=(), matrices=None,
                  salt="grade", **_ignored) -> dict | None:
    """What follow-through asks of a wrong earlier answer, from its values at ``reference``'s points (an expression,
    or shipped samples): ``constant`` (the same value at every point, element by element, where the reference's
    values are not) and ``same_variables`` (it depends on exactly the primitive symbols the reference depends on).
    None when it does not read.

    >>> attempt_facts("a - a", "a*(1-a)", domain={"a": (0, 1)})
    {'constant': True, 'same_variables': False}
    >>> attempt_facts("-a*(1-a)", "a*(1-a)", domain={"a": (0, 1)})
    {'constant': False, 'same_variables': True}
    """
    target = _own_base(reference, domain, define, symbols, matrices, salt)
    with mpmath.workdps(DIGITS):
        try:
            expr = _scalar_if_1x1(parse_expression(answer, target.names.without_forbid()), target)
        except ParseError:
            return None
        values = target.sample_all(expr)
        return {"constant": _constant_values(values, target, target.expand(expr))
                and not _constant_values(target.values, target, target.canonical),
                "same_variables": target.depends_on(expr) == target.primitives}


def repeats(answer, earlier, reference, *, domain=None, define=None, symbols=(), matrices=None, salt="grade",
            **_ignored) -> bool:
    """Is ``answer`` the ``earlier`` answer written again: the same expression once read (sympy's automatic
    evaluation done) and definitions substituted, so the step added nothing to it?

    >>> repeats("p", "(p)", "p + q", domain={"p": (0, 1)}), repeats("q - p", "(q-p)/(p(1-p))*p(1-p)", "2*p - q")
    (True, True)
    >>> repeats("q - p", "(q-p)*(p+1) - p*(q-p)", "2*p - q")
    False
    """
    target = _own_base(reference, domain, define, symbols, matrices, salt)
    names = target.names.without_forbid()
    try:
        first, second = (_scalar_if_1x1(parse_expression(x, names), target) for x in (answer, earlier))
    except ParseError:
        return False
    return target.expand(first) == target.expand(second)


def _own_base(reference, domain, define, symbols, matrices, salt) -> Target:
    """The target a step's own check uses: shipped samples, or the reference sampled as ``judge`` samples it."""
    if isinstance(reference, dict):
        return Target.from_json(reference)
    return build_target(reference, domain=domain, define=define, symbols=symbols, matrices=matrices, salt=salt)


def _scalar_if_1x1(expr, target: Target):
    """A 1×1 matrix is the number it holds where the step's result is a number, as judging reads it."""
    return expr[0, 0] if target.values.shape is None and getattr(expr, "shape", None) == (1, 1) else expr


def _constant_values(values: Sampled, target: Target, expr=None) -> bool:
    """Every element takes one value at all the points where it is defined (at least three of them), as grading
    tells values apart: ``expr`` (definitions substituted; None for shipped values) is evaluated again at higher
    precision where two points differ, so rounding (a*(1-a) - a + a**2 is 1e-41, not 0, at 40 digits) is no
    difference and 3e-40*a is not constant."""
    rows = [(i, v) for i, v in enumerate(values.values) if v is not None]
    if len(rows) < 3:
        return False
    first, one = rows[0]

    def refiner(i):
        if expr is None:
            return None

        def refine():
            bits = mpmath.mp.prec
            for times in REFINE:
                with mpmath.workprec(bits * times):
                    twice = sample(expr, [target.points[i], target.points[first]]).values
                yield bits * times, twice[0], twice[1]
        return refine
    return all(agrees_at(v, one, refiner(i)) for i, v in rows[1:])


def own_reference_target(target: Target, own, *, simplified_size=False) -> Target:
    """``target``'s points with the values of the product of ``own`` (answers, as text or sympy) there.

    With ``simplified_size`` the size an answer may have and still count as simplified is the larger of the
    reference's and that of the own product, as given or cancelled (a wrong product may simplify less far).
    """
    names = target.names.without_forbid()
    parts = [parse_expression(part, names) for part in own]
    product = parts[0]
    for part in parts[1:]:
        matrix = isinstance(product, sympy.MatrixBase) or isinstance(part, sympy.MatrixBase)
        product = combine("*", product, part) if matrix else product * part
    ops = target.ops
    if simplified_size and not isinstance(product, sympy.MatrixBase):
        ops = max(ops, min(target.size(product), target.size(sympy.cancel(product))))
    own = Target(target.names, target.points, target.sample_all(product), target.depends_on(product), ops,
                 (), target.definitions, target.expand(product), None, target.far, target.domain, target.region)
    # the factors diagnosis tries depend only on the names and points: reuse the reference's, computed once
    own.__dict__["candidate_factors"] = target.candidate_factors
    own.__dict__["matrix_factors"] = target.matrix_factors
    return own


def _key(value):
    if isinstance(value, dict):
        return {str(k): _key(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(map(str, value))
    if isinstance(value, (list, tuple)):
        return [_key(v) for v in value]
    return value if isinstance(value, (str, int, float, type(None))) else sympy.srepr(value)


_CACHE: dict = {}


def _cached_target(key, *args):
    if key not in _CACHE:
        if len(_CACHE) > 512:
            _CACHE.clear()
        _CACHE[key] = _target(*args)
    return _CACHE[key]


def _target(reference, domain, define, symbols, matrices, mistakes, salt):
    declared = set(symbols) | _reference_names(reference)
    try:
        dom = Domain.build(domain, define, declared, matrices=matrices)
        return Target.from_reference(reference, dom, salt, mistakes or ())
    except ParseError as exc:
        raise DomainError(f"the reference does not parse: {exc.message}") from exc


def _reference_names(reference) -> set[str]:
    from .domain import _words

    if isinstance(reference, str):
        return _words(reference) if "\\" not in reference else set()
    if isinstance(reference, sympy.MatrixBase):
        return {s.name for e in reference for s in e.free_symbols}
    if isinstance(reference, sympy.Basic):
        return {s.name for s in reference.free_symbols}
    return set()


def judge_against(answer, target: Target, *, forbid=(), require_simplified=False, hints=None,
                  decimals="rounded") -> Verdict:
    """Judge ``answer`` against a Target (a sampled reference or shipped samples); ``decimals`` is the step's
    decimal policy ("exact": a lone decimal must be the value itself; "rounded": it may round it)."""
    with mpmath.workdps(DIGITS), decimal_policy(decimals):  # once here rather than per evaluation
        return _judge_against(answer, target, forbid, require_simplified, hints)


def _judge_against(answer, target: Target, forbid, require_simplified, hints) -> Verdict:
    names = target.names.with_forbid(forbid)
    try:
        expr = parse_expression(answer, names)
    except ParseError as exc:
        return invalid(exc.code, _sentence(exc.message), exc.column)
    if target.values.shape is None and getattr(expr, "shape", None) == (1, 1):
        expr = expr[0, 0]  # a 1×1 matrix is the number it holds (np.sum(..., keepdims=True))
    latex = _latex(expr, target.latex)
    if target.canonical is not None and target.expand(expr) == target.canonical:
        return _equivalent(expr, target, require_simplified, "symbolic: identical canonical forms", latex)
    head = target.quick
    values = sample(expr, head.points)
    if values.shape != target.values.shape:
        found = diagnose(expr, values, head, hints)
        return Verdict("not_equivalent", False, found.code, found.feedback, "shape", latex)
    refine, floor = _refiner(expr, target), None if target.canonical is not None else SHIPPED_TOLERANCE
    result = agreement(values, head.values, refine, floor)
    if result.equivalent is not False:  # no difference yet: test every point
        head = target
        values = Sampled(values.values + target.sample_rest(expr).values, values.shape)
        result = target.agreement(expr, values, refine, floor)
    method = f"numeric: {result.used} points, 40 digits"
    exact = _exact_agreement(expr, target, result)
    if exact is not None:  # both rational functions: exact arithmetic decides, whatever the numbers said
        overturned = exact.equivalent is not result.equivalent
        result, method = exact, f"exact: rational arithmetic at {exact.used} points"
        if overturned and result.equivalent is False:
            return _exactly_not_equivalent(expr, target, result, method, latex)
    if result.equivalent and exact is None:  # the answer's own switches, where the reference has none
        beside = target.own_switches(expr)  # (Max(x, 5) for Max(x, 6) − 1: the reference's are among its points)
        if beside is not None:
            found = beside[0].agreement(expr, beside[1], _refiner(expr, beside[0]), floor)
            if found.equivalent is False:
                result, (head, values) = found, beside
    if result.equivalent and exact is None:  # once more at a higher precision: a difference below 33 digits
        finer = target.finer_difference(expr)
        if finer is not None:
            return _finely_not_equivalent(expr, target, finer, latex)
    if result.equivalent is False and values.shape == EQUATION and isinstance(target.canonical, sympy.Equality):
        solved = same_solutions(target.expand(expr), target.canonical, target.points)
        if solved is not None and solved.equivalent:
            return _equivalent(expr, target, require_simplified, f"numeric: the same solutions, {solved.used} "
                               "points, 40 digits", latex)
    if result.equivalent is None:
        return undecided("Could not decide: the result is undefined at too many test points.",
                         method)
    if result.equivalent:
        return _equivalent(expr, target, require_simplified, method, latex)
    found = diagnose(expr, values, head, hints)
    return Verdict("not_equivalent", False, found.code, found.feedback, method, latex)


SHIPPED_TOLERANCE = TOLERANCE  # a local check cannot evaluate the reference again: it compares to 20 digits, relative
REFINE = (2, 4)  # a difference not yet told from rounding is evaluated again at these multiples of the precision


def _refiner(expr, target: Target):
    """``refine(i)`` for ``agreement``: the answer's and the reference's values at point ``i`` at higher
    precisions, (bits, answer, reference) each. The defined symbols are replaced by their definitions, so nothing is
    taken from the 40-digit values the point holds for them; shipped samples keep their reference values (the
    student's kernel has no reference expression: the local check compares with the floor SHIPPED_TOLERANCE)."""
    answer, reference = target.expand(expr), target.canonical
    if reference is None and getattr(expr, "is_Float", False):
        return None  # a lone decimal against a shipped value: only the value at 40 digits is known to compare

    def refine(i):
        point, bits = target.points[i], mpmath.mp.prec
        for times in REFINE:
            with mpmath.workprec(bits * times):
                a = sample(answer, [point]).values[0]
                r = sample(reference, [point]).values[0] if reference is not None else target.values.values[i]
            yield bits * times, a, r
    return refine


def accurate(target: Target) -> Target:
    """``target`` with its values computed from the reference, definitions substituted, at the highest precision
    ``REFINE`` uses: the values shipped to a local check, which cannot evaluate the reference again (a reference
    that cancels at a point, log((1 + x)·e^(−x)) at x = 1e-15, is right there to its last shipped digit)."""
    if target.canonical is None:
        return target
    with mpmath.workdps(DIGITS * REFINE[-1]):
        values = sample(target.canonical, target.points)
    same = all((v is None) == (w is None) for v, w in zip(values.values, target.values.values))
    return replace(target, values=values) if same else target


def _exact_agreement(expr, target: Target, numeric: Agreement) -> Agreement | None:
    """The exact comparison at every point when answer and reference are both rational functions of the primitive
    symbols with rational coefficients (defined symbols replaced by their definitions); else None. Where the
    ``numeric`` comparison found a difference, exact arithmetic first looks at that point alone: it is the same
    verdict when the difference is there (most wrong answers), with no need for the other points."""
    if target.canonical is None:
        return None
    cached = target.__dict__.get("exact_values", False)  # the reference's exact values, once per target
    if cached is False:
        cached = target.__dict__["exact_values"] = exact_sample(target.canonical, target.points)
    if cached is None:
        return None
    answer = target.expand(expr)
    if numeric.equivalent is False:
        i = numeric.mismatch
        here = exact_sample(answer, target.points[i:i + 1])
        if here is None:
            return None
        if cached.values[i] is not None and not exact_agreement(
                here, Sampled(cached.values[i:i + 1], cached.shape), least=1).equivalent:
            return Agreement(False, numeric.used, i)
    mine = exact_sample(answer, target.points)
    return exact_agreement(mine, cached) if mine is not None else None


def _exactly_not_equivalent(expr, target: Target, result: Agreement, method: str, latex) -> Verdict:
    """The verdict when exact arithmetic finds a difference the 40-digit values did not show (it is that small)."""
    point = target.points[result.mismatch]
    return Verdict("not_equivalent", False, "not_equivalent",
                   f"Your answer is not equivalent to the right result: at {where(target, expr, point)} it differs "
                   "from it, by less than the 40 digits the values are compared to (exact arithmetic shows it).",
                   method, latex)


def _finely_not_equivalent(expr, target: Target, point: dict, latex) -> Verdict:
    """The verdict when the comparison at CONFIRM × DIGITS finds a difference the 40-digit values did not show."""
    from .target import CONFIRM

    return Verdict("not_equivalent", False, "not_equivalent",
                   f"Your answer is not equivalent to the right result: at {where(target, expr, point)} "
                   f"it differs from it, by less than the 40 digits the values are compared to ({CONFIRM * DIGITS} "
                   "digits show it).", f"numeric: {CONFIRM * DIGITS} digits", latex)


def _equivalent(expr, target: Target, require_simplified: bool, method: str, latex) -> Verdict:
    if require_simplified and target.size(expr) > target.ops:
        return Verdict("equivalent", True, "not_simplified",
                       "Correct, but not in the form this step asks for: simplify it as far as it goes.",
                       method, latex, accepted=False)
    return Verdict("equivalent", True, None, "Correct.", method, latex, accepted=True)


def _latex(expr, printer=None) -> str | None:
    try:
        return printer.doprint(expr) if printer is not None else sympy.latex(expr)
    except Exception:  # printing is a courtesy; a verdict never fails on it
        return None


def _sentence(message: str) -> str:
    message = message[0].upper() + message[1:]
    return message if message.endswith((".", "?", "!")) else message + "."
