"""What ps1's reference answers look like on a page: as typed, as sympy prints them, as LaTeX, as MathJax draws them."""

from __future__ import annotations

import tomllib
from pathlib import Path

import sympy

from autograder.parse import Names, parse_expression
from notebook_page import latex_structure, math_plain

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "source" / "ps1" / "ps1.spec.toml"


def load_ps1_steps(spec_path: Path = SPEC) -> dict[str, dict]:
    """ps1's steps by the variable the student assigns, each with the spec's symbols, domain and definitions."""
    spec = tomllib.loads(spec_path.read_text())
    shared = {key: spec[key] for key in ("symbols", "domain", "define") if key in spec}
    return {step["variable"]: {**shared, **step} for step in spec["steps"]}


def step_references(step: dict) -> list[str]:
    """Every reference string of a step: its answer, or each line of a reference derivation."""
    reference = step["reference"]
    return list(reference) if isinstance(reference, (list, tuple)) else [reference]


def step_symbols(step: dict) -> list[str]:
    """The symbol names a step's expressions may use (the spec's ``symbols``, a list or a table)."""
    return list(step.get("symbols", ()))


def reference_forms(step: dict, shortest: int = 3) -> tuple[set[str], set[str]]:
    """A step's reference in each form a page could show it: ``(text forms, typeset forms)``.

    A student never sees the reference: not as the author wrote it, nor sympy's ``str`` of it
    (what a careless ``print`` shows), nor in calculator style, nor its LaTeX source (an untypeset
    ``$...$``) — the text forms, folded by ``math_plain`` — nor MathJax's typesetting of that
    LaTeX, folded by ``latex_structure``. Forms shorter than ``shortest`` characters would match
    anywhere and are left out.

    >>> text, typeset = reference_forms({"reference": "a*(1 - a)", "symbols": ["a"]})
    >>> sorted(text), sorted(typeset)
    (['a(1-a)', 'a*(1-a)', 'a\\\\left(1-a\\\\right)'], ['a(1-a)'])
    """
    text_forms, typeset_forms = set(), set()
    names = Names.of(step_symbols(step))
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


def verdict_for(step: dict, answer: str):
    """The engine's verdict on ``answer`` for a step, computed here (outside the page) to compare with it.

    >>> verdict_for({"reference": "a*(1-a)", "symbols": ["a"], "domain": {"a": [0, 1]}}, "a*(a-1)").diagnosis
    'sign_error'
    """
    from autograder import check_equivalent

    domain = {name: tuple(bounds) if isinstance(bounds, list) else bounds
              for name, bounds in step.get("domain", {}).items()}
    return check_equivalent(
        answer, step_references(step)[-1], domain=domain or None, define=step.get("define") or None,
        symbols=step_symbols(step) or None,
    )
