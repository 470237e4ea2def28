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
autograder.authoring.spec.SpecError: <string>:7: step 's': reference 'a*(1-b)' does not read: unknown name 'b' at column 6 — this step uses a
"""

from __future__ import annotations

from autograder import check_derivation, check_equivalent
from autograder.parse import Names, ParseError, parse_expression

from .spec import Spec, SpecError, Step


def validate(spec: Spec) -> None:
    """Raise SpecError at the first problem; return None when every step is consistent."""
    names = Names.of(spec.symbols, matrices={n: m["shape"] for n, m in spec.matrices.items()})
    for name, text in spec.define.items():
        try:
            parse_expression(text, names)
        except ParseError as exc:
            line = spec.lines.get(("define", name), "?")
            raise SpecError(f"{spec.source}:{line}: [define] {name} = {text!r} does not read: {exc.message}") from None
    for step in spec.steps:
        texts = [("reference", step.reference)] if step.reference else []
        texts += [("lines", line) for line in step.lines] + [("mistakes", answer) for answer, _ in step.mistakes]
        for key, text in texts:
            try:
                parse_expression(text, names)
            except ParseError as exc:
                what = {"reference": "reference", "lines": "derivation line", "mistakes": "known mistake"}[key]
                raise SpecError(f"{spec.where(step, key)}: {what} {text!r} does not read: {exc.message}") from None
        earlier = [s.id for s in spec.steps[:spec.steps.index(step)]]
        for key, others in (("chain", step.chain), ("same_as", (step.same_as,) if step.same_as else ()),
                            ("start", (step.start,) if step.start else ())):
            for other in others:
                if other not in earlier:
                    raise SpecError(f"{spec.where(step, key)}: refers to step {other!r}, which is not an earlier step")
        if step.kind == "expression":
            _check_expression_step(spec, step)
        else:
            _check_derivation_step(spec, step)


def _equivalent(spec: Spec, answer: str, reference: str, **extra):
    return check_equivalent(answer, reference, timeout=10.0, **spec.engine_kwargs(), **extra)


def _check_expression_step(spec: Spec, step: Step) -> None:
    if step.chain:
        product = "*".join(f"({spec.step(s).reference})" for s in step.chain)
        v = _equivalent(spec, step.reference, product)
        if not v.equivalent:
            raise SpecError(f"{spec.where(step, 'chain')}: the chain rule does not hold: its reference is not the "
                            f"product of the references of steps {', '.join(step.chain)} ({v.feedback})")
    if step.same_as:
        v = _equivalent(spec, step.reference, spec.step(step.same_as).reference)
        if not v.equivalent:
            raise SpecError(f"{spec.where(step, 'same_as')}: its reference is not equal to step "
                            f"{step.same_as!r}'s ({v.feedback})")
    own = _equivalent(spec, step.reference, step.reference, require_simplified=step.require_simplified)
    if not own.accepted:
        raise SpecError(f"{spec.where(step, 'reference')}: the reference is not accepted by its own check: "
                        f"{own.feedback}")
    for answer, _ in step.mistakes:
        if _equivalent(spec, answer, step.reference).equivalent is not False:
            raise SpecError(f"{spec.where(step, 'mistakes')}: known mistake {answer!r} is not wrong: "
                            f"it equals the reference")


def _check_derivation_step(spec: Spec, step: Step) -> None:
    known = spec.step(step.start).reference
    dv = check_derivation(list(step.lines), start=known, final=known, require_simplified=True, timeout=10.0,
                          **spec.engine_kwargs())
    if dv.first_invalid is not None:
        raise SpecError(f"{spec.where(step, 'lines')}: the instructor's derivation fails at line "
                        f"{dv.first_invalid + 1}: {dv.steps[dv.first_invalid].feedback}")
    if not dv.final.accepted:
        raise SpecError(f"{spec.where(step, 'lines')}: the derivation's last line is not the simplified result: "
                        f"{dv.final.feedback}")
