"""What ps1's reference answers look like on a page: as typed, as sympy prints them, as LaTeX, as MathJax draws them."""

from __future__ import annotations

from pathlib import Path

import sympy

from autograder.parse import Names, parse_expression
from notebook_page import latex_structure, math_plain

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "source" / "ps1" / "ps1.spec.toml"


def load_ps1_spec(spec_path: Path = SPEC):
    """ps1's spec, read by the course's own spec reader."""
    from autograder.authoring.spec import Spec

    return Spec.from_file(spec_path)


def step_references(step) -> list[str]:
    """Every reference string of a step: its answer, and each line of the instructor's own derivation."""
    return [text for text in (step.reference, *step.lines) if text]


def reference_forms(step, symbols, shortest: int = 3) -> tuple[set[str], set[str]]:
    """A step's reference in each form a page could show it: ``(text forms, typeset forms)``.

    A student never sees the reference: not as the author wrote it, nor sympy's ``str`` of it
    (what a careless ``print`` shows), nor in calculator style, nor its LaTeX source (an untypeset
    ``$...$``) — the text forms, folded by ``math_plain`` — nor MathJax's typesetting of that
    LaTeX, folded by ``latex_structure``. Forms shorter than ``shortest`` characters would match
    anywhere and are left out.

    >>> from autograder.authoring.spec import Step
    >>> text, typeset = reference_forms(Step(id="s", variable="s", points=1, reference="a*(1 - a)"), ["a"])
    >>> sorted(text), sorted(typeset)
    (['a(1-a)', 'a*(1-a)', 'a\\\\left(1-a\\\\right)'], ['a(1-a)'])
    """
    text_forms, typeset_forms = set(), set()
    names = Names.of(symbols)
    for written in step_references(step):
        expr = parse_expression(written, names)  # the engine's own parser: no eval of any string
        latex = sympy.latex(expr)
        text_forms |= {
            math_plain(written), math_plain(str(expr)), math_plain(latex),
            math_plain(written).replace("*", ""), math_plain(str(expr)).replace("*", ""),
        }
        typeset_forms.add(latex_structure(latex))
    return (
        {form for form in text_forms if len(form) >= shortest},
        {form for form in typeset_forms if len(form) >= shortest},
    )


def verdict_for(spec, step, answer: str):
    """The engine's verdict on ``answer`` for a step, with the options the course's checks use.

    >>> from autograder.authoring.spec import Spec
    >>> spec = Spec.from_string('''
    ... title = "T"
    ... [symbols.a]
    ... domain = [0, 1]
    ... [[steps]]
    ... id = "da"
    ... variable = "da"
    ... reference = "a*(1-a)"
    ... points = 2
    ... ''')
    >>> verdict_for(spec, spec.steps[0], "a*(a-1)").diagnosis
    'sign_error'
    """
    from autograder import check_equivalent

    return check_equivalent(
        answer, step.reference, forbid=step.forbid, require_simplified=step.require_simplified,
        mistakes=list(step.mistakes) or None, **spec.engine_kwargs(),
    )
