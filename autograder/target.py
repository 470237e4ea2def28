"""What an answer is judged against: the reference's values at points, never needing the expression itself.

A Target is built from a reference expression (grading) or read back from a
plain JSON dict (the samples shipped to students for local checks); both are
judged by the same code.

>>> t = Target.from_reference("a*(1-a)", Domain.build(domain={"a": (0, 1)}), salt="doc")
>>> Target.from_json(t.to_json()).ops == t.ops
True
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cached_property

import mpmath
import sympy
from sympy.printing.latex import LatexPrinter

from .compare import EQUATION, MIN_POINTS, TOLERANCE, Agreement, Sampled, agreement, agreement_here, agrees_at, \
    sample
from .domain import Domain, DomainError
from .evaluate import DIGITS, at_digits, evaluate_at
from .features import features
from .switches import NONE, Boundaries, boundaries
from .parse import Names, parse_expression

POINTS = 16
QUICK = 6  # points tried first; all POINTS must agree before an answer is called equivalent
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Target:
    names: Names
    points: tuple  # dicts Symbol -> mpf, primitives and defined symbols alike
    values: Sampled
    primitives: frozenset  # names of the primitive symbols the reference depends on
    counted_ops: int | None  # sympy.count_ops of the reference, or None: counted from ``reference`` when needed
    mistakes: tuple = ()  # ((Sampled, feedback sentence), ...)
    definitions: tuple = ()  # ((name, expr), ...) to find which primitives an answer depends on
    canonical: object = None  # the reference in sympy's canonical form, when it is known (not for samples)
    reference: object = None  # the parsed reference, when it is known
    far: int | None = None  # points from this index on are far or beside a switch (see far_agreement); None: none
    domain: object = None  # the Domain, when it is known (not for samples): where an answer's own switches are
    region: tuple = ()  # ((name, interval), ...) where the reference is real, for symbols the domain left free

    @cached_property
    def ops(self) -> int:
        """The size of the "simplified" form: counted only when a step asks for it (or samples are shipped)."""
        return self.counted_ops if self.counted_ops is not None else _ops(self.reference)

    @classmethod
    def from_reference(cls, reference, domain: Domain, salt: str, mistakes=(), count: int = POINTS):
        """Sample ``reference`` (str or sympy) at ``count`` points of ``domain`` drawn from ``salt``.

        An equation as the reference makes a step whose answers are equations. Where the domain leaves a symbol
        free, the points are ones where the reference has a real value (see ``real_points``).
        """
        names = domain.names.without_forbid().with_equations()
        ref = parse_expression(reference, names)
        if not isinstance(ref, sympy.Equality):
            names = domain.names
        seed = salt + "|" + _named(reference, ref)
        points, values, region = _real_points(ref, domain, count, seed)
        canonical = domain.expand(ref)
        far = len(points)
        if not isinstance(ref, sympy.Equality):  # an equation's factor is found on the usual points only
            extra, extra_values = far_points(canonical, ref, domain, seed, region)
            points, values = points + extra, Sampled(values.values + extra_values.values, values.shape)
        known = tuple((sample(parse_expression(m, names.without_forbid()), points), fb)
                      for m, fb in (mistakes or ()))
        return cls(names, tuple(points), values,
                   frozenset(s.name for s in _free(canonical)), None, known,
                   tuple((s.name, body) for s, body in domain.definitions), canonical, ref,
                   far if far < len(points) else None, domain, region)

    @cached_property
    def latex(self) -> "SharedLatex":
        """The LaTeX printer for this target's answers (see SharedLatex for what it remembers)."""
        return SharedLatex()

    @cached_property
    def candidate_factors(self) -> tuple:
        """(factor, its values at the points) for the simple factors diagnosis tries; computed once per target."""
        return tuple((f, sample(f, self.points)) for f in candidate_factors(self.names.scalars))

    @cached_property
    def matrix_factors(self) -> tuple:
        """(label, values) of element-wise factors of the target's shape: M, 1−M, M∘(1−M), 1−M∘M per matrix."""
        from .matrices import element_matrix, elementwise

        if not self.values.shape:
            return ()
        found = []
        for name, rows, cols in self.names.matrices:
            if (rows, cols) != tuple(self.values.shape):
                continue
            m = element_matrix(name, rows, cols)
            for label, f in ((name, lambda v: v), (f"1 − {name}", lambda v: 1 - v),
                             (f"{name}∘(1 − {name})", lambda v: v * (1 - v)), (f"1 − {name}²", lambda v: 1 - v**2)):
                found.append((label, sample(elementwise(f, m), self.points)))
        return tuple(found)

    @cached_property
    def quick(self) -> "Target":
        """The first QUICK points only: most wrong answers differ at once, and are diagnosed on these.

        Its diagnosis factors are sampled at its own points when a diagnosis first needs them: a right answer
        never pays for them."""
        return Target(self.names, self.points[:QUICK], Sampled(self.values.values[:QUICK], self.values.shape),
                      self.primitives, self.counted_ops,
                      tuple((Sampled(m.values[:QUICK], m.shape), fb) for m, fb in self.mistakes),
                      self.definitions, self.canonical, self.reference)

    def agreement(self, expr, values: Sampled, refine=None, floor=None) -> Agreement:
        """How ``values`` (``expr`` at every point) compare with the reference's: the usual points as
        compare.agreement does (``refine`` and ``floor`` as there), then the far ones (see _far_agreement)."""
        if self.far is None:
            return agreement(values, self.values, refine, floor)
        near = agreement(Sampled(values.values[:self.far], values.shape),
                         Sampled(self.values.values[:self.far], self.values.shape), refine, floor) if self.far else None
        if near is not None and near.equivalent is not True:
            return near
        return self._far_agreement(expr, values, near.used if near is not None else 0, refine, floor)

    def _far_agreement(self, expr, values: Sampled, used: int, refine, floor) -> Agreement:
        """The points far out or beside a switch, compared as compare.agrees_at does; but where the reference has no
        value, or the answer none (far out a defined symbol can round to its limit, σ(z) to 1, and 1/(1 − a) have
        none: an answer's domain is tested at the usual points), or a value not to be trusted (see _trusted), the
        point is skipped."""
        if refine is None and floor is None:
            floor = TOLERANCE
        with at_digits():
            for i in range(self.far or 0, len(self.points)):
                a, r = values.values[i], self.values.values[i]
                if r is None or a is None:
                    continue
                if not agrees_at(a, r, refine and (lambda i=i: refine(i)), floor):
                    if len(a) == len(r) and not self._trusted(expr, i, a, r):
                        continue
                    return Agreement(False, used, i)
                used += 1
        return Agreement(True if used >= MIN_POINTS else None, used)

    def _trusted(self, expr, i: int, before, reference) -> bool:
        """Whether ``expr``'s value ``before`` at point ``i`` (at DIGITS) is one to judge by: no exponential's
        argument past 4 × SATURATION there (cosh(x)² − sinh(x)² at x = 1e5 cancels more digits than any precision
        used holds, to 0), and the same value again at 4 × DIGITS from the primitive coordinates (exact: see
        domain._draw), to TOLERANCE of the larger of it and the ``reference``'s value (sin(2π) is 1e-40 at DIGITS
        and 1e-160 at 4 × DIGITS: the same 0 beside the reference's sin(2π + 6e-9))."""
        defined = {sympy.Symbol(n) for n, _ in self.definitions}
        primitive = {s: v for s, v in self.points[i].items() if s not in defined}
        expanded = self.expand(expr)
        if not tame([primitive], [expanded], 4 * SATURATION):
            return False
        with mpmath.workdps(4 * DIGITS):
            again = sample(expanded, [primitive]).values[0]
        with at_digits():
            return again is not None and len(again) == len(before) and all(
                abs(x - y) <= TOLERANCE * max(abs(x), abs(r)) for x, y, r in zip(again, before, reference))

    def finer_difference(self, expr) -> dict | None:
        """The point where ``expr``, equal to the reference to DIGITS at every point, differs from it at
        CONFIRM × DIGITS, or None: compared at the first point where the reference has a value (an equation: the
        first two where it is not 0, its factor taken at the first), as agrees_at compares (a difference not within SLACK_BITS is evaluated again at twice
        and four times that precision, and counts unless it shrinks): a difference under the 33 digits the usual
        comparison resolves shows here, e^-100 of the value (``exp(x) + exp(-100)`` for ``exp(x)``), while a right
        answer's rounding shrinks away. None where there is nothing to compare with (shipped samples) or the
        answer has no value at that precision.

        >>> t = Target.from_reference("exp(x)", Domain.build(symbols=["x"]), salt="doc")
        >>> x = sympy.Symbol("x")
        >>> t.finer_difference(sympy.exp(x) + sympy.exp(-100)) is not None, t.finer_difference(1 / sympy.exp(-x))
        (True, None)
        """
        if self.canonical is None or getattr(expr, "is_Float", False):
            return None  # a lone decimal has been judged by the decimal rules
        found = self._confirming
        if found is None:
            return None
        points, reference = found
        answer = self.expand(expr)
        with mpmath.workdps(CONFIRM * DIGITS):
            values = sample(answer, points)
            if any(v is None for v in values.values):
                return None
            bits = mpmath.mp.prec

            def refine(k):
                for times in (2, 4):
                    with mpmath.workprec(bits * times):
                        yield (bits * times, sample(answer, points[k:k + 1]).values[0],
                               sample(self.canonical, points[k:k + 1]).values[0])
            found = agreement_here(values, reference, refine)
        return points[found.mismatch] if found.equivalent is False else None

    @cached_property
    def _confirming(self):
        """(points, the reference's values there at CONFIRM × DIGITS) for ``finer_difference``, or None."""
        wanted = 2 if self.values.shape == EQUATION else 1
        found, values = [], []
        with mpmath.workdps(CONFIRM * DIGITS):
            for i, known in enumerate(self.values.values[:self.far]):
                if known is None or wanted == 2 and not any(known):
                    continue
                value = sample(self.canonical, [self.points[i]]).values[0]
                if value is not None and (wanted == 1 or any(value)):
                    found.append(self.points[i])
                    values.append(value)
                    if len(found) == wanted:
                        return tuple(found), Sampled(tuple(values), self.values.shape)
        return None

    def sample_all(self, expr) -> Sampled:
        """``expr`` at every point, as ``sample_rest`` evaluates the far ones (only where ``expr`` is tame)."""
        head = sample(expr, self.points[:QUICK])
        return Sampled(head.values + self.sample_rest(expr).values, head.shape)

    def sample_rest(self, expr) -> Sampled:
        """``expr`` at the points after the QUICK ones: as ``sample`` up to the far points, there only where it is
        tame (see ``tame``: an answer's x^(x^x) at x = 1e8 is not computed)."""
        if self.far is None:
            return sample(expr, self.points[QUICK:])
        near = sample(expr, self.points[QUICK:self.far]) if self.far > QUICK else None
        far = tame_sample(expr, list(self.points[max(QUICK, self.far):]), 4 * SATURATION)
        return Sampled((near.values if near is not None else ()) + far.values, far.shape)

    @cached_property
    def switches(self) -> Boundaries:
        """The reference's switch boundaries and features (its points already lie beside them)."""
        return places(self.canonical) if self.canonical is not None else NONE

    def own_switches(self, expr):
        """(Target, Sampled): the reference and ``expr`` at points beside the switches and features of ``expr`` that
        the reference does not have (``Max(x, 5)`` for ``Max(x, 6) − 1``), to be compared as the target's own points
        are; None when there are none. Only while grading: the reference's expression is needed to know its values there
        (shipped samples hold fixed points)."""
        if self.domain is None or self.canonical is None or self.values.shape == EQUATION:
            return None
        own = places(self.expand(expr)) - self.switches
        if not own:
            return None
        salt = "answer|" + "|".join(sorted(map(str, own.zeros)) + sorted(map(str, own.integers))
                                    + sorted(map(str, own.scales)))
        points, values = usable_points(self.canonical, self.domain.side_points(own, salt, SWITCH_POINTS,
                                                                               self.region), self.domain)
        if not points:
            return None
        beside = Target(self.names, tuple(points), values, self.primitives, self.counted_ops, (), self.definitions,
                        self.canonical, self.reference, 0, self.domain, self.region)
        return beside, tame_sample(expr, points, 4 * SATURATION)

    def size(self, expr) -> int:
        """count_ops of ``expr`` written with the defined symbols (σ(z) counts as a, like the reference)."""
        from .functions import sigmoid

        expr = expr.replace(sigmoid, lambda x: 1 / (1 + sympy.exp(-x))) if not isinstance(
            expr, sympy.MatrixBase) else expr
        for name, body in self.definitions:
            expr = expr.xreplace({body: sympy.Symbol(name)})
        return _ops(expr)

    def expand(self, expr):
        """``expr`` with the defined symbols replaced by their definitions."""
        for name, body in reversed(self.definitions):
            expr = expr.xreplace({sympy.Symbol(name): body})
        return expr

    def depends_on(self, expr) -> frozenset:
        """The primitive symbols ``expr`` depends on once definitions are substituted."""
        return frozenset(s.name for s in _free(self.expand(expr)))

    def to_json(self) -> dict:
        """A plain dict of strings and numbers: values at points, no expression."""
        return {
            "format": FORMAT_VERSION,
            "symbols": list(self.names.scalars),
            "matrices": {m: [r, c] for m, r, c in self.names.matrices},
            "points": [{str(k): _num(v) for k, v in p.items()} for p in self.points],
            "values": _values_json(self.values),
            "shape": list(self.values.shape) if self.values.shape else None,
            "depends_on": sorted(self.primitives),
            "ops": self.ops,
            "mistakes": [{"values": _values_json(s), "feedback": fb} for s, fb in self.mistakes],
            "definitions": {n: str(body) for n, body in self.definitions},
            "far": self.far,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Target":
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"samples of format {data.get('format')!r}; this autograder reads {FORMAT_VERSION}")
        names = Names.of(data["symbols"], matrices=data.get("matrices"))
        shape = tuple(data["shape"]) if data.get("shape") else None
        names = names.with_equations() if shape == EQUATION else names
        defs = tuple((n, parse_expression(t, names)) for n, t in data.get("definitions", {}).items())
        return cls(
            names,
            tuple({sympy.Symbol(k): _parse_num(v) for k, v in p.items()} for p in data["points"]),
            _values_from_json(data["values"], shape),
            frozenset(data["depends_on"]),
            int(data["ops"]),
            tuple((_values_from_json(m["values"], shape), m["feedback"]) for m in data.get("mistakes", [])),
            defs,
            far=data.get("far"),
        )


class SharedLatex(LatexPrinter):
    """sympy's LaTeX printer, remembering what it printed: answers to one step share most of their parts (−(…),
    2·(…), one term changed), and a class's answers share names and small terms, whose LaTeX is then built once. A
    part prints the same wherever it stands (its brackets are the enclosing printer's business), and whether it
    needs brackets inside a product depends on it alone, so remembering either changes nothing.

    >>> x = sympy.Symbol("x")
    >>> SharedLatex().doprint(-(x + 1)**2 / 2) == sympy.latex(-(x + 1)**2 / 2)
    True
    """

    LIMIT = 8192  # parts remembered by all printers of a process; forgotten all at once when full

    def doprint(self, expr) -> str:
        with _plain_number_complex():
            return super().doprint(expr)

    def _print(self, expr, **kwargs) -> str:
        # a name is remembered too: printing one splits off sub- and superscripts and translates Greek letters
        if kwargs or not isinstance(expr, sympy.Basic) or expr.is_Atom and not expr.is_Symbol:
            return super()._print(expr, **kwargs)
        text = _PRINTED.get(expr)
        if text is None:
            text = _remember(_PRINTED, expr, super()._print(expr))
        return text

    def _needs_mul_brackets(self, expr, first=False, last=False) -> bool:
        # sympy's answer walks the whole part (looking for Mod, Integral, Sum, Product) for every factor printed
        key = (expr, first, last)
        needs = _BRACKETED.get(key)
        if needs is None:
            needs = _remember(_BRACKETED, key, super()._needs_mul_brackets(expr, first, last))
        return needs


_PRINTED, _BRACKETED = {}, {}  # what SharedLatex printed, and whether a factor needed brackets


def _remember(memo: dict, key, value):
    if len(memo) >= SharedLatex.LIMIT:
        memo.clear()
    memo[key] = value
    return value


@contextmanager
def _plain_number_complex():
    """While printing (LaTeX, or str()): ``complex()`` of a sympy Integer or Rational by Python's own correctly
    rounded division.

    The printers order a sum's terms by their numeric coefficients, which sympy turns into Python complex numbers
    through evalf: a third of all the time spent printing an answer. p/q in Python rounds correctly, as evalf to
    53 bits does, so the order, and the LaTeX, are the same (a test prints both ways); a value too large for a float
    still goes through evalf. Printers in several threads share one swap, undone when the last one is done."""
    global _PRINTING
    with _SWAP:
        if not _PRINTING:
            _SAVED[:] = [cls.__dict__.get("__complex__") for cls in _NUMBER_CLASSES]
            for cls in _NUMBER_CLASSES:
                cls.__complex__ = _rational_complex
        _PRINTING += 1
    try:
        yield
    finally:
        with _SWAP:
            _PRINTING -= 1
            if not _PRINTING:
                for cls, method in zip(_NUMBER_CLASSES, _SAVED):
                    if method is None:
                        del cls.__complex__
                    else:
                        cls.__complex__ = method


_NUMBER_CLASSES = (sympy.Rational, sympy.Integer)
_SWAP, _SAVED, _PRINTING = threading.Lock(), [], 0  # the swap's lock, what it replaced, how many printers are in it


def _rational_complex(self) -> complex:
    try:
        return complex(self.p / self.q)
    except OverflowError:
        return sympy.Expr.__complex__(self)


def candidate_factors(symbol_names):
    """Simple factors a chain-rule step can miss: s, 1−s, s(1−s), 1/s, s², 1−s², e^(−s), s/t, (1−s)/(1−t), …"""
    for name in symbol_names:
        s = sympy.Symbol(name)
        yield from (s, 1 - s, s * (1 - s), 1 / s, 1 / (1 - s), 1 / (s * (1 - s)), s**2, 1 - s**2, 1 + s,
                    sympy.exp(-s))
    symbols = [sympy.Symbol(n) for n in symbol_names]
    for s in symbols:  # ratios such as (1−y)/(1−a): one term of a two-term derivative
        for t in symbols:
            if s != t:
                yield from (s / t, (1 - s) / (1 - t), s / (1 - t), (1 - s) / t)


REGIONS = ((None, None), (0, None), (1, None), (10, None))  # where free symbols are drawn, tried in this order


def real_points(reference, domain: Domain, count: int, salt: str) -> tuple[list, Sampled]:
    """``_real_points`` without the region (see there).

    >>> x = sympy.Symbol("x")
    >>> points, values = real_points(sympy.log(x), Domain.build(symbols=["x"]), 8, "doc")
    >>> all(p[x] > 0 for p in points)
    True
    """
    return _real_points(reference, domain, count, salt)[:2]


def _real_points(reference, domain: Domain, count: int, salt: str) -> tuple[list, Sampled, tuple]:
    """Points of ``domain`` where ``reference`` has a real value, so no answer is judged on complex branches.

    Symbols the domain leaves free are drawn from the whole real line first; where the reference has too few
    real values there, from the positive numbers, then above 1, then above 10 (log(x − 5) needs x > 5).
    A reference with no value at any point is the instructor's mistake: ``DomainError``. One with values but
    never a real one (a complex constant) is sampled as it is. Also returns the region the free symbols were
    drawn from (``((name, interval), ...)``, empty for the whole line), where far points are drawn too.
    """
    points = domain.points(count, salt)
    values = sample(reference, points)
    if all(v is not None and _real(v) for v in values.values):
        return points, values, ()
    declared = {name for name, _ in domain.ranges}
    free = [s.name for s in domain.primitives if s.name not in declared]
    defined = any(v is not None for v in values.values)
    for region in REGIONS if free else ():
        wider = replace(domain, ranges=domain.ranges + tuple((name, region) for name in free))
        found = []
        for point in wider.drawn(count * 8, f"{salt}|real|{region}"):  # enough that a half or a quarter will do
            value = sample(reference, [point]).values[0]
            defined = defined or value is not None
            if value is not None and _real(value):
                found.append((point, value))
                if len(found) == count:  # the first count real ones: no need to draw the rest
                    return ([p for p, _ in found], Sampled(tuple(v for _, v in found), values.shape),
                            tuple((name, region) for name in free))
    if not defined:
        raise DomainError("the reference has no value at any point of the domain")
    return points, values, ()


WIDE = 8  # far points: coordinates from 1e-8 to 1e8 in size, or 1e-12 of a bounded interval's width from an end
SWITCH_POINTS = 16  # at most this many points beside an expression's switches
CONFIRM = 4  # an answer equivalent at DIGITS is compared once more at this multiple of it (Target.finer_difference)
SATURATION = 40  # beyond this size an argument of exp (σ, tanh, …) leaves 1 + e^-x equal to 1 at DIGITS


def far_points(canonical, reference, domain: Domain, salt: str, region: tuple) -> tuple[list, Sampled]:
    """Points far out (``Domain.wide_points``) and beside the reference's switches and features (``places``) where
    the reference has a real value it can be trusted with (see ``usable_points``), and its values there."""
    points = domain.wide_points(WIDE, salt, region)
    points += domain.side_points(places(canonical), salt, SWITCH_POINTS, region)
    return usable_points(canonical, points, domain)


def places(expr) -> Boundaries:
    """Where points beside ``expr``'s switches (switches.py) and features (features.py) are drawn."""
    return boundaries(expr) | features(expr)


def usable_points(canonical, points: list, domain: Domain) -> tuple[list, Sampled]:
    """The points where ``canonical`` (a reference with its definitions substituted) has a real value, and no
    argument of an exponential, of the reference or of a definition, exceeds SATURATION in size: there σ(z) is 1
    to DIGITS digits and σ(z)(1 − σ(z)) 0, and a right answer written with σ can lose its value (1/(1 − σ) has
    none) while the reference keeps one. The points and the reference's values there."""
    points = tame(points, [canonical, *(body for _, body in domain.definitions)], SATURATION)
    values = sample(canonical, points)
    keep = [value is not None and _real(value) for value in values.values]
    return ([p for p, k in zip(points, keep) if k],
            Sampled(tuple(v for v, k in zip(values.values, keep) if k), values.shape))


HUGE = 10**9  # an argument of gamma or factorial past this: a value with more than 10^10 digits


def tame(points: list, exprs, limit) -> list:
    """The points where every argument of an exponential in ``exprs`` (exp, σ, the hyperbolic functions, a power
    with a symbolic exponent, as exponent × log|base|) that depends on the point (e^1000 is one number everywhere)
    is at most ``limit`` in size, and of gamma and factorial at most HUGE. Inner arguments are tested first, so an
    outer one is never evaluated where an inner one is huge: x^(x^x) at x = 1e8 is a number no precision holds, and
    mpmath would try to build it."""
    for arg, cap in _growth_arguments(exprs, limit):
        if not points:
            break
        with at_digits():
            sizes = evaluate_at(arg, points)
        points = [p for p, size in zip(points, sizes) if size is not None and abs(size) <= cap]
    return points


def tame_sample(expr, points: list, limit) -> Sampled:
    """``sample(expr, points)``, None where ``expr`` is not tame (see ``tame``): an answer at far points."""
    exprs = list(expr) if isinstance(expr, sympy.MatrixBase) else [expr]
    usable = {id(p) for p in tame(points, exprs, limit)}
    if len(usable) == len(points):
        return sample(expr, points)
    values = iter(sample(expr, [p for p in points if id(p) in usable]).values)
    shape = tuple(expr.shape) if isinstance(expr, sympy.MatrixBase) else None
    return Sampled(tuple(next(values) if id(p) in usable else None for p in points), shape)


_GROWING = (sympy.exp, sympy.sinh, sympy.cosh, sympy.tanh, sympy.sech, sympy.csch, sympy.coth)
_FACTORIALS = (sympy.gamma, sympy.factorial)


def _growth_arguments(exprs, limit) -> list:
    """(argument, the size it may have) for each exponential, gamma and factorial in ``exprs``, inner ones first."""
    from .functions import sigmoid

    found = {}
    for expr in exprs:
        for part in (expr if isinstance(expr, sympy.MatrixBase) else [expr]):
            if not isinstance(part, sympy.Basic) or not part.has(*_GROWING, *_FACTORIALS, sigmoid, sympy.Pow):
                continue
            for node in sympy.preorder_traversal(part):
                if isinstance(node, (*_GROWING, sigmoid)):
                    if node.args[0].free_symbols:  # a constant (e^1000) is the same number at every point
                        found[node.args[0]] = limit
                elif isinstance(node, _FACTORIALS):
                    found.setdefault(node.args[0], HUGE)
                elif node.is_Pow and node.exp.free_symbols and node.base != 0:
                    found[node.exp * sympy.log(sympy.Abs(node.base)) if node.base != sympy.E else node.exp] = limit
    return sorted(found.items(), key=lambda item: (_nodes(item[0]), str(item[0])))


def _nodes(expr) -> int:
    return sum(1 for _ in sympy.preorder_traversal(expr))


def _named(reference, parsed) -> str:
    """What seeds a reference's points besides the salt: its text as written (printing a fresh sympy expression
    with str() cost half a millisecond, a fifth of preparing a reference), or a sympy reference's str()."""
    if isinstance(reference, str):
        return reference
    with _plain_number_complex():  # the same string, a third faster
        return str(parsed)


def _real(values) -> bool:
    return all(type(v) is mpmath.mpf or abs(mpmath.im(v)) <= TOLERANCE * max(1, abs(v)) for v in values)


def _free(expr):
    return expr.free_symbols if not isinstance(expr, sympy.MatrixBase) else set().union(
        *(e.free_symbols for e in expr))


def _ops(expr) -> int:
    if isinstance(expr, sympy.MatrixBase):
        return max((sympy.count_ops(e) for e in expr), default=0)
    return int(sympy.count_ops(expr))


SHIPPED_DIGITS = 45  # enough for a 40-digit (136-bit) value to read back exactly: a local check's points and values
# are grading's to the last bit (at 30, 1 − A1² for A1 near 1 kept 20 digits fewer than grading's)


def _num(v):
    if isinstance(v, mpmath.mpc) and v.imag != 0:
        return [mpmath.nstr(v.real, SHIPPED_DIGITS), mpmath.nstr(v.imag, SHIPPED_DIGITS)]
    return mpmath.nstr(mpmath.re(v), SHIPPED_DIGITS)


def _parse_num(v):
    with mpmath.workdps(DIGITS):
        if isinstance(v, list):
            return mpmath.mpc(mpmath.mpf(v[0]), mpmath.mpf(v[1]))
        return mpmath.mpf(v)


def _values_json(s: Sampled) -> list:
    return [None if v is None else [_num(x) for x in v] for v in s.values]


def _values_from_json(values, shape) -> Sampled:
    return Sampled(tuple(None if v is None else tuple(_parse_num(x) for x in v) for v in values), shape)
