"""What an answer is judged against: the reference's values at points, never needing the expression itself.

A Target is built from a reference expression (grading) or read back from a
plain JSON dict (the samples shipped to students for local checks); both are
judged by the same code.

>>> t = Target.from_reference("a*(1-a)", Domain.build(domain={"a": (0, 1)}), salt="doc")
>>> Target.from_json(t.to_json()).ops == t.ops
True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import mpmath
import sympy

from .compare import Sampled, sample
from .domain import Domain
from .evaluate import DIGITS
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
    ops: int  # sympy.count_ops of the reference: the size of the "simplified" form
    mistakes: tuple = ()  # ((Sampled, feedback sentence), ...)
    definitions: tuple = ()  # ((name, expr), ...) to find which primitives an answer depends on
    canonical: object = None  # the reference in sympy's canonical form, when it is known (not for samples)

    @classmethod
    def from_reference(cls, reference, domain: Domain, salt: str, mistakes=(), count: int = POINTS):
        """Sample ``reference`` (str or sympy) at ``count`` points of ``domain`` drawn from ``salt``."""
        ref = parse_expression(reference, domain.names.without_forbid())
        points = domain.points(count, salt + "|" + str(ref))
        known = tuple((sample(parse_expression(m, domain.names.without_forbid()), points), fb)
                      for m, fb in (mistakes or ()))
        return cls(domain.names, tuple(points), sample(ref, points),
                   frozenset(s.name for s in _free(domain.expand(ref))), _ops(ref), known,
                   tuple((s.name, body) for s, body in domain.definitions), domain.expand(ref))

    @cached_property
    def candidate_factors(self) -> tuple:
        """(factor, its values at the points) for the simple factors diagnosis tries; computed once per target."""
        from .diagnose import candidate_factors

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
        """The first QUICK points only: most wrong answers differ at once, and are diagnosed on these."""
        head = Target(self.names, self.points[:QUICK], Sampled(self.values.values[:QUICK], self.values.shape),
                      self.primitives, self.ops,
                      tuple((Sampled(m.values[:QUICK], m.shape), fb) for m, fb in self.mistakes),
                      self.definitions, self.canonical)
        head.__dict__["candidate_factors"] = tuple(
            (f, Sampled(v.values[:QUICK], v.shape)) for f, v in self.candidate_factors)
        head.__dict__["matrix_factors"] = tuple(
            (f, Sampled(v.values[:QUICK], v.shape)) for f, v in self.matrix_factors)
        return head

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
        }

    @classmethod
    def from_json(cls, data: dict) -> "Target":
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"samples of format {data.get('format')!r}; this autograder reads {FORMAT_VERSION}")
        names = Names.of(data["symbols"], matrices=data.get("matrices"))
        shape = tuple(data["shape"]) if data.get("shape") else None
        defs = tuple((n, parse_expression(t, names)) for n, t in data.get("definitions", {}).items())
        return cls(
            names,
            tuple({sympy.Symbol(k): _parse_num(v) for k, v in p.items()} for p in data["points"]),
            _values_from_json(data["values"], shape),
            frozenset(data["depends_on"]),
            int(data["ops"]),
            tuple((_values_from_json(m["values"], shape), m["feedback"]) for m in data.get("mistakes", [])),
            defs,
        )


def _free(expr):
    return expr.free_symbols if not isinstance(expr, sympy.MatrixBase) else set().union(
        *(e.free_symbols for e in expr))


def _ops(expr) -> int:
    if isinstance(expr, sympy.MatrixBase):
        return max((sympy.count_ops(e) for e in expr), default=0)
    return int(sympy.count_ops(expr))


def _num(v):
    if isinstance(v, mpmath.mpc) and v.imag != 0:
        return [mpmath.nstr(v.real, 30), mpmath.nstr(v.imag, 30)]
    return mpmath.nstr(mpmath.re(v), 30)


def _parse_num(v):
    with mpmath.workdps(DIGITS):
        if isinstance(v, list):
            return mpmath.mpc(mpmath.mpf(v[0]), mpmath.mpf(v[1]))
        return mpmath.mpf(v)


def _values_json(s: Sampled) -> list:
    return [None if v is None else [_num(x) for x in v] for v in s.values]


def _values_from_json(values, shape) -> Sampled:
    return Sampled(tuple(None if v is None else tuple(_parse_num(x) for x in v) for v in values), shape)
