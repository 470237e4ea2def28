"""Where the symbols of an exercise live: intervals, finite sets and definitions such as a = σ(z).

Points for numeric testing are drawn inside the domain; defined symbols take the
value of their definition, so an answer written in z is tested against one written in a.

>>> d = Domain.build(domain={"a": (0, 1)}, symbols=["y"])
>>> sorted(d.names.symbols), [s.name for s in d.primitives]
(['a', 'y'], ['a', 'y'])
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from functools import cached_property

import mpmath
import sympy

from .evaluate import DIGITS, NotNumeric, evaluate
from .matrices import element_names
from .parse import Names, ParseError, parse_expression


class DomainError(ValueError):
    """A domain or definition an instructor wrote is wrong (not a student error)."""


@dataclass(frozen=True)
class Domain:
    names: Names
    ranges: tuple  # ((name, (lo, hi)) | (name, frozenset of values)), ...
    definitions: tuple  # ((Symbol, expr), ...) in an order where each uses only earlier ones

    @classmethod
    def build(cls, domain=None, define=None, symbols=(), forbid=(), matrices=None) -> "Domain":
        """``matrices`` maps a name to its (rows, cols); a domain or definition of a matrix name holds
        for each of its elements (``define={"A": "sigmoid(Z)"}`` means A_i_j = σ(Z_i_j))."""
        domain, define, matrices = dict(domain or {}), dict(define or {}), dict(matrices or {})
        declared = set(symbols) | set(domain) | set(define)
        for text in define.values():  # symbols a definition uses are declared too
            declared |= _words(text) if isinstance(text, str) else {s.name for s in sympy.sympify(text).free_symbols}
        names = Names.of(declared, forbid, matrices)
        plain = names.without_forbid()
        for name in [n for n in domain if n in matrices]:
            rng = domain.pop(name)
            domain.update({e: rng for e in element_names(name, *matrices[name])})
        ranges = []
        for name, rng in sorted(domain.items()):
            if isinstance(rng, (set, frozenset, list)) and not _is_interval(rng):
                ranges.append((name, frozenset(sympy.nsimplify(v) for v in rng)))
            else:
                lo, hi = rng
                lo, hi = (None if lo == -math.inf else lo), (None if hi == math.inf else hi)  # (0, inf): no bound
                if not all(b is None or _finite(b) for b in (lo, hi)):
                    raise DomainError(f"domain of {name}: ({lo}, {hi}) needs finite numbers as bounds (None for "
                                      "no bound), each less than 1e300 in size")
                if lo is not None and hi is not None and not lo < hi:
                    raise DomainError(f"domain of {name}: ({lo}, {hi}) is empty")
                ranges.append((name, (lo, hi)))
        parsed = {}
        for name, text in define.items():
            try:
                body = parse_expression(text, plain)
            except ParseError as exc:
                raise DomainError(f"definition of {name}: {exc.message}") from exc
            if name in matrices:
                if getattr(body, "shape", None) != tuple(matrices[name]):
                    raise DomainError(f"definition of {name}: it should be a {matrices[name][0]}×"
                                      f"{matrices[name][1]} matrix")
                parsed.update({sympy.Symbol(e): v for e, v in zip(element_names(name, *matrices[name]), body)})
            else:
                parsed[sympy.Symbol(name)] = body
        return cls(names, tuple(ranges), _ordered(parsed))

    @cached_property
    def primitives(self) -> list[sympy.Symbol]:
        """The symbols points are drawn for (those without a definition)."""
        defined = {s for s, _ in self.definitions}
        return [sympy.Symbol(n) for n in self.names.symbols if sympy.Symbol(n) not in defined]

    def expand(self, expr):
        """``expr`` with every defined symbol replaced by its definition (recursively)."""
        for sym, body in reversed(self.definitions):
            expr = expr.xreplace({sym: body})
        return expr

    def points(self, count: int, salt: str) -> list[dict]:
        """``count`` points inside the domain, the same for the same salt (so grading is repeatable)."""
        return list(self.drawn(count, salt))

    def drawn(self, count: int, salt: str):
        """``points(count, salt)`` one at a time, each drawn when it is asked for (a caller may stop early)."""
        rng = random.Random(hashlib.sha256(salt.encode()).digest())
        ranges = dict(self.ranges)
        drawn = [(s, ranges.get(s.name)) for s in self.primitives]
        made = 0
        while made < count:
            point = {s: _draw(rng, spec) for s, spec in drawn}
            if self.definitions:
                with mpmath.workdps(DIGITS):  # not across a yield: the caller's precision is its own
                    try:
                        for sym, body in self.definitions:
                            point[sym] = evaluate(body, point)
                    except NotNumeric:
                        continue
            made += 1
            yield point
        with mpmath.workdps(DIGITS):
            kinks = self._kink_points(rng, ranges)
        yield from kinks

    def wide_points(self, count: int, salt: str, ranges: tuple = ()) -> list[dict]:
        """``count`` points far from where ``points`` draws, the same for the same salt: a free coordinate anywhere
        from 1e-8 to 1e8 in size (either sign), a half-bounded one from 1e-8 to 1e8 past its bound, a bounded one
        from 1e-12 to a tenth of its width inside either end (where cancellation and far kinks hide). ``ranges``
        adds or replaces intervals (the region where a reference is real, see target.real_points).

        >>> d = Domain.build(domain={"a": (0, 1)}, symbols=["x"])
        >>> len(d.wide_points(8, "doc")), all(0 < p[sympy.Symbol("a")] < 1 for p in d.wide_points(8, "doc"))
        (8, True)
        """
        rng = random.Random(hashlib.sha256(f"{salt}|wide".encode()).digest())
        specs = {**dict(self.ranges), **dict(ranges)}
        found = []
        with mpmath.workdps(DIGITS):
            for _ in range(4 * count):  # a definition undefined somewhere: a few more draws, never endless
                point = {s: _draw_wide(rng, specs.get(s.name)) for s in self.primitives}
                if self._define(point):
                    found.append(point)
                    if len(found) == count:
                        break
        return found

    def side_points(self, bounds, salt: str, limit: int, ranges: tuple = (), corners: int = 8) -> list[dict]:
        """Points on both sides of each switch of ``bounds`` (a switches.Boundaries), at most ``limit``.

        For each boundary and each primitive it depends on, the other primitives are drawn as usual and the
        boundary solved for that one (switches.roots); floor and ceiling switch at every integer: the integer
        at and above a drawn point's value, and ±10^6. Each root gets points at a relative distance 2^-30 and
        2^-10 on either side (the values exactly at a switch are a convention, which the domain's kink points
        test where an exercise fixes one); where two linear boundaries cross, points in the four quadrants around
        the crossing (at most ``corners`` of them, besides ``limit``)."""
        if not bounds:
            return []
        rng = random.Random(hashlib.sha256(f"{salt}|switch".encode()).digest())
        specs = {**dict(self.ranges), **dict(ranges)}
        with mpmath.workdps(DIGITS):
            found = self._beside_roots(bounds, rng, specs, limit)
            found += self._corner_points(sorted(bounds.zeros, key=str), rng, specs, corners)
            if bounds.scales:  # its own draws: the switches' points stay as they were
                scaled = random.Random(hashlib.sha256(f"{salt}|scale".encode()).digest())
                found += self._beside_scales(bounds.scales, scaled, specs, limit)
            return found

    def _beside_scales(self, scales, rng: random.Random, specs: dict, limit: int) -> list[dict]:
        """For each (symbol, size) of ``scales`` (see features.py), points with that symbol at ± the size and at
        relative distances 2^-30 and 2^-10 beside it, the other primitives drawn as usual (at most ``limit``): a
        size such as e^-1000 is one only a point of that size meets."""
        found = []
        for symbol, size in sorted(scales, key=str):
            if isinstance(specs.get(symbol.name), frozenset) or symbol not in self.primitives:
                continue
            try:
                size = abs(evaluate(size, {}))
            except NotNumeric:
                continue
            base = {s: _draw(rng, specs.get(s.name)) for s in self.primitives}
            for sign in (1, -1):
                for offset in (0, mpmath.ldexp(1, -30), mpmath.ldexp(1, -10)):
                    for side in ((1,) if not offset else (-1, 1)):
                        value = sign * size * (1 + side * offset)
                        point = {**base, symbol: value}
                        if _inside(value, specs.get(symbol.name)) and self._define(point):
                            found.append(point)
                            if len(found) >= limit:
                                return found
        return found

    def _beside_roots(self, bounds, rng: random.Random, specs: dict, limit: int) -> list[dict]:
        """``side_points`` of each boundary alone, for one primitive at a time (at most ``limit``)."""
        from .switches import MAX_SEARCHES, linear_roots, numeric_roots

        primitives = set(self.primitives)
        found, searches = [], 0
        work = [(b, False) for b in sorted(bounds.zeros, key=str)] + [(b, True) for b in sorted(bounds.integers,
                                                                                                   key=str)]
        for boundary, integer in work:
            for sym in sorted(boundary.free_symbols & primitives, key=str):
                if isinstance(specs.get(sym.name), frozenset):
                    continue  # a finite set has no sides
                base = {s: _draw(rng, specs.get(s.name)) for s in self.primitives}
                if integer:
                    try:
                        value = evaluate(boundary, base)
                    except NotNumeric:
                        continue
                    if mpmath.im(value) != 0:
                        continue
                    k = mpmath.floor(mpmath.re(value))
                    targets = [boundary - n for n in (k, k + 1, 10**6, -10**6)]
                else:
                    targets = [boundary]
                at = []
                for target in targets:
                    found_here = linear_roots(target, sym, base)
                    if found_here is None:  # numeric searches cost about a millisecond: a few per expression
                        found_here = numeric_roots(target, sym, base) if searches < MAX_SEARCHES else []
                        searches += 1
                    at += found_here
                for root in at:
                    for distance in (mpmath.ldexp(1, -30), mpmath.ldexp(1, -10)):
                        for side in (-1, 1):
                            value = root + side * distance * max(1, abs(root))
                            if not _inside(value, specs.get(sym.name)):
                                continue
                            point = {**base, sym: value}
                            if self._define(point):
                                found.append(point)
                                if len(found) >= limit:
                                    return found
        return found

    def _corner_points(self, zeros: list, rng: random.Random, specs: dict, limit: int) -> list[dict]:
        """Points just past where two linear boundaries cross, in each of the four quadrants around the crossing:
        a switch between more than two cases (Max(x, y, −10)) may show only where two symbols are both far."""
        from .switches import corner, is_linear

        found = []
        primitives = set(self.primitives)
        zeros = [b for b in zeros if all(is_linear(b, s) for s in b.free_symbols & primitives)]  # others: no corner
        for i, first in enumerate(zeros):
            for second in zeros[i + 1:]:
                both = sorted((first.free_symbols | second.free_symbols) & primitives, key=str)
                for j, u in enumerate(both):
                    for v in both[j + 1:]:
                        if isinstance(specs.get(u.name), frozenset) or isinstance(specs.get(v.name), frozenset):
                            continue
                        base = {s: _draw(rng, specs.get(s.name)) for s in self.primitives}
                        at = corner(first, second, (u, v), base)
                        if at is None:
                            continue
                        step = [mpmath.ldexp(1, -30) * max(1, abs(c)) for c in at]
                        for su, sv in ((-1, -1), (-1, 1), (1, -1), (1, 1)):
                            point = {**base, u: at[0] + su * step[0], v: at[1] + sv * step[1]}
                            if (_inside(point[u], specs.get(u.name)) and _inside(point[v], specs.get(v.name))
                                    and self._define(point)):
                                found.append(point)
                                if len(found) >= limit:
                                    return found
        return found

    def _define(self, point: dict) -> bool:
        """Add the defined symbols' values to ``point`` (at the caller's precision); False where one has none."""
        try:
            for sym, body in self.definitions:
                point[sym] = evaluate(body, point)
        except NotNumeric:
            return False
        return True

    def _kink_points(self, rng: random.Random, ranges: dict) -> list[dict]:
        """Points where a piecewise definition switches cases (z = 0 for a = ReLU(z)).

        A convention such as ReLU′(0) = 0 is part of the answer, but random points never land on 0; so for
        each primitive a switch point depends on linearly, one extra point puts that primitive exactly there.
        Exercises without piecewise definitions get no extra points.
        """
        points = []
        for sym, switch in sorted(self._switches(), key=lambda pair: (pair[0].name, str(pair[1]))):
            point = {s: _draw(rng, ranges.get(s.name)) for s in self.primitives}
            try:
                value = evaluate(switch, point)
                if mpmath.im(value) != 0 or not _inside(mpmath.re(value), ranges.get(sym.name)):
                    continue
                point[sym] = mpmath.re(value)
                for defined, body in self.definitions:
                    point[defined] = evaluate(body, point)
            except NotNumeric:
                continue
            points.append(point)
        return points

    def _switches(self) -> set:
        """(primitive, where it makes a case boundary of a definition vanish), for linear boundaries."""
        primitives = set(self.primitives)
        found = set()
        for _, body in self.definitions:
            for boundary in _boundaries(body):
                for sym in boundary.free_symbols & primitives:
                    poly = sympy.Poly(boundary, sym) if boundary.is_polynomial(sym) else None
                    if poly is not None and poly.degree() == 1:
                        found.add((sym, sympy.simplify(-poly.nth(0) / poly.nth(1))))
        return found


def _boundaries(expr) -> list:
    """Expressions that are 0 where a piecewise part of ``expr`` changes case."""
    from .functions import relu

    found = []
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, (sympy.Heaviside, relu)):
            found.append(node.args[0])
        elif isinstance(node, (sympy.Max, sympy.Min)) and len(node.args) == 2:
            found.append(node.args[0] - node.args[1])
        elif isinstance(node, sympy.Piecewise):
            found.extend(c.lhs - c.rhs for _, c in node.args if isinstance(c, sympy.core.relational.Relational))
    return found


def _finite(bound) -> bool:
    """Whether an interval's bound is a number points can be drawn next to (as a double, see _draw)."""
    try:
        return abs(float(bound)) < 1e300
    except (TypeError, ValueError, OverflowError):
        return False


def _inside(value, spec) -> bool:
    if spec is None:
        return True
    if isinstance(spec, frozenset):
        return any(value == mpmath.mpf(float(v)) for v in spec)
    lo, hi = spec
    return (lo is None or value > lo) and (hi is None or value < hi)


def _is_interval(rng) -> bool:
    return isinstance(rng, (tuple, list)) and len(rng) == 2 and all(
        v is None or isinstance(v, (int, float)) for v in rng) and isinstance(rng, tuple)


def _draw(rng: random.Random, spec):
    """One coordinate, drawn as doubles and summed exactly into an mpf: points need only be generic, not precise (the
    values at them are what is computed to DIGITS), and drawing in mpmath cost half of preparing a reference."""
    if isinstance(spec, frozenset):
        value = rng.choice(sorted(spec, key=float))
        with mpmath.workdps(DIGITS):
            return mpmath.mpf(value.p) / value.q if value.is_Rational else mpmath.mpf(float(value))
    lo, hi = (None if b is None else float(b) for b in spec) if spec else (None, None)
    u = rng.random()
    if lo is not None and hi is not None:  # exact sums: a narrow interval far from 0 still has distinct points
        return mpmath.fadd(lo, mpmath.fmul(hi - lo, 0.03 + 0.94 * u, exact=True), exact=True)
    spread = math.exp(3 * u - 1.5)  # 0.22 .. 4.5, log-uniform
    if lo is not None:
        return mpmath.fadd(lo, spread, exact=True)
    if hi is not None:
        return mpmath.fsub(hi, spread, exact=True)
    return mpmath.mpf(spread if rng.random() < 0.5 else -spread)


WIDE_DECADES = (-8, 8)  # sizes of far coordinates: 10^-8 .. 10^8, log-uniform
END_DECADES = (-12, -1)  # distance of a bounded coordinate from an end, as a fraction of its interval's width


def _draw_wide(rng: random.Random, spec):
    """One coordinate for ``Domain.wide_points``: like _draw, exact sums of doubles into an mpf."""
    if isinstance(spec, frozenset):
        return _draw(rng, spec)
    lo, hi = (None if b is None else float(b) for b in spec) if spec else (None, None)
    if lo is not None and hi is not None:
        offset = mpmath.fmul(hi - lo, 10 ** rng.uniform(*END_DECADES), exact=True)
        return mpmath.fadd(lo, offset, exact=True) if rng.random() < 0.5 else mpmath.fsub(hi, offset, exact=True)
    size = 10 ** rng.uniform(*WIDE_DECADES)
    if lo is not None:
        return mpmath.fadd(lo, size, exact=True)
    if hi is not None:
        return mpmath.fsub(hi, size, exact=True)
    return mpmath.mpf(size if rng.random() < 0.5 else -size)


def _ordered(defs: dict) -> tuple:
    done, order = set(), []
    while len(order) < len(defs):
        progress = False
        for sym, body in defs.items():
            if sym not in done and not (body.free_symbols & (set(defs) - done)):
                order.append((sym, body))
                done.add(sym)
                progress = True
        if not progress:
            raise DomainError("definitions refer to each other in a cycle: "
                              + ", ".join(str(s) for s in defs if s not in done))
    return tuple(order)


def _words(text: str) -> set[str]:
    import re

    from .functions import CONSTANTS, FUNCTIONS
    from .matrices import KEYWORDS, MATRIX_FUNCTIONS, NAMESPACES

    not_symbols = {"Matrix", "where", "array", "True", "False", "None", *NAMESPACES, *sum(KEYWORDS.values(), ())}
    from .functions import INSTEAD, SERIES

    counters = re.findall(r"\b(?:Sum|Product)\s*\(.*?,\s*\(\s*([A-Za-z]\w*)\s*,", text)  # bound, not free
    not_symbols |= {"Piecewise", *SERIES, *INSTEAD, *counters}
    return {w for w in re.findall(r"(?<![.A-Za-z_0-9])[A-Za-z_][A-Za-z_0-9]*", text)
            if w not in FUNCTIONS and w not in CONSTANTS and w not in MATRIX_FUNCTIONS and w not in not_symbols}
