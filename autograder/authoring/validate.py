"""Build-time checks of a spec: references parse with the declared symbols, the steps chain, derivations hold.

An error names the step and says what is wrong, so a broken assignment never reaches students.

>>> from autograder.authoring.spec import Spec
>>> validate(Spec.from_string('''
... title = "T"
... [symbols.a]
... [[steps]]
... id = "s"
... variable = "s"
... reference = "a*(1-b)"
... points = 1
... '''))
Traceback (most recent call last):
...
autograder.authoring.spec.SpecError: <string>: step 's': reference 'a*(1-b)' does not read: unknown name 'b' at column 6 — this step uses a
"""

from __future__ import annotations

from autograder import check_derivation, check_equivalent
from autograder.parse import Names, ParseError, parse_expression

from .spec import Spec, SpecError, Step


def validate(spec: Spec) -> None:
    """Raise SpecError at the first problem; return None when every step is consistent."""
    names = Names.of(spec.symbols, matrices={n: m["shape"] for n, m in spec.matrices.items()})
    for step in spec.steps:
        where = f"{spec.source}: step {step.id!r}"
        for text in ([step.reference] if step.reference else []) + list(step.lines):
            try:
                parse_expression(text, names)
            except ParseError as exc:
                raise SpecError(f"{where}: reference {text!r} does not read: {exc.message}") from None
        for other in step.chain + ((step.same_as,) if step.same_as else ()) + ((step.start,) if step.start else ()):
            if other not in [s.id for s in spec.steps[:spec.steps.index(step)]]:
                raise SpecError(f"{where}: refers to step {other!r}, which is not an earlier step")
        if step.kind == "expression":
            _check_expression_step(spec, step, where)
        else:
            _check_derivation_step(spec, step, where)


def _equivalent(spec: Spec, answer: str, reference: str, **extra):
    return check_equivalent(answer, reference, timeout=10.0, **spec.engine_kwargs(), **extra)


def _check_expression_step(spec: Spec, step: Step, where: str) -> None:
    if step.chain:
        product = "*".join(f"({spec.step(s).reference})" for s in step.chain)
        v = _equivalent(spec, step.reference, product)
        if not v.equivalent:
            raise SpecError(f"{where}: the chain rule does not hold: its reference is not the product of "
                            f"the references of steps {', '.join(step.chain)} ({v.feedback})")
    if step.same_as:
        v = _equivalent(spec, step.reference, spec.step(step.same_as).reference)
        if not v.equivalent:
            raise SpecError(f"{where}: its reference is not equal to step {step.same_as!r}'s ({v.feedback})")
    own = _equivalent(spec, step.reference, step.reference, require_simplified=step.require_simplified)
    if not own.accepted:
        raise SpecError(f"{where}: the reference is not accepted by its own check: {own.feedback}")
    for answer, _ in step.mistakes:
        if _equivalent(spec, answer, step.reference).equivalent is not False:
            raise SpecError(f"{where}: known mistake {answer!r} is not wrong: it equals the reference")


def _check_derivation_step(spec: Spec, step: Step, where: str) -> None:
    known = spec.step(step.start).reference
    dv = check_derivation(list(step.lines), start=known, final=known, require_simplified=True, timeout=10.0,
                          **spec.engine_kwargs())
    if dv.first_invalid is not None:
        raise SpecError(f"{where}: the instructor's derivation fails at line {dv.first_invalid + 1}: "
                        f"{dv.steps[dv.first_invalid].feedback}")
    if not dv.final.accepted:
        raise SpecError(f"{where}: the derivation's last line is not the simplified result: {dv.final.feedback}")
