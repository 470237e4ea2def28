"""The pipeline for one answer: parse → compare → diagnose → verdict (runs inside the bounded worker).

>>> judge("a - a^2", "a*(1-a)", domain={"a": (0, 1)}).status
'equivalent'
>>> judge_own("-a*(1-a)", "a*(1-a)", ["-a", "1-a"], domain={"a": (0, 1)}).status   # right for its own parts
'equivalent'
"""

from __future__ import annotations

import json
from functools import lru_cache

import mpmath
import sympy

from .compare import EQUATION, Sampled, agreement, close, same_solutions, sample
from .diagnose import diagnose
from .evaluate import DIGITS
from .domain import Domain, DomainError
from .parse import Names, ParseError, parse_expression
from .target import QUICK, Target
from .matrices import ShapeMismatch, combine
from .verdict import Verdict, invalid, undecided


def judge(answer, reference, *, domain=None, define=None, forbid=(), symbols=(), matrices=None,
          require_simplified=False, mistakes=None, hints=None, salt="grade") -> Verdict:
    """Judge ``answer`` against a reference expression (the instructor's side)."""
    target = build_target(reference, domain=domain, define=define, symbols=symbols, matrices=matrices,
                          mistakes=mistakes, salt=salt)
    return judge_against(answer, target, forbid=forbid, require_simplified=require_simplified, hints=hints)


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
              require_simplified=False, hints=None, salt="grade") -> Verdict:
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
        values = sample(expr, target.points)
        return {"constant": _constant_values(values) and not _constant_values(target.values),
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


def _constant_values(values: Sampled) -> bool:
    """Every element takes one value at all the points where it is defined (at least three of them)."""
    rows = [v for v in values.values if v is not None]
    if len(rows) < 3:
        return False
    return all(all(close(row[i], rows[0][i]) for row in rows) for i in range(len(rows[0])))


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
    own = Target(target.names, target.points, sample(product, target.points), target.depends_on(product), ops,
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


def judge_against(answer, target: Target, *, forbid=(), require_simplified=False, hints=None) -> Verdict:
    """Judge ``answer`` against a Target (a sampled reference or shipped samples)."""
    with mpmath.workdps(DIGITS):  # once here rather than per evaluation
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
    result = agreement(values, head.values)
    if result.equivalent is not False:  # no difference yet: test every point
        head = target
        values = Sampled(values.values + target.sample_rest(expr).values, values.shape)
        result = target.agreement(expr, values)
        if result.equivalent:  # the answer's own switches, where the reference has none (Max(x, 5) for Max(x, 6) − 1)
            beside = target.own_switches(expr)
            if beside is not None:
                result, head, values = beside
    method = f"numeric: {result.used} points, 40 digits"
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
