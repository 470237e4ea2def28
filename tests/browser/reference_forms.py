"""What ps1's reference answers look like on a page: as typed, as sympy prints them, as LaTeX, as MathJax draws them."""

from __future__ import annotations

import tomllib
from pathlib import Path

import sympy

from autograder.parse import Names, parse_expression
from notebook_page import latex_glyphs, math_plain

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


def reference_forms(step: dict, shortest: int = 3) -> set[str]:
    """The reference of a step in each form a page could show it, folded by ``math_plain``.

    A student never sees the reference: not as the author wrote it, nor sympy's ``str`` of it
    (what a careless ``print`` would show), nor its LaTeX source (an unrendered ``$...$``), nor
    MathJax's drawing of that LaTeX (what the page's text holds once math is typeset). Forms
    shorter than ``shortest`` characters would match anywhere and are left out.

    >>> sorted(reference_forms({"reference": "a*(1 - a)", "symbols": ["a"]}))
    ['a(1-a)', 'a*(1-a)', 'a\\\\left(1-a\\\\right)']
    """
    forms = set()
    names = Names.of(step_symbols(step))
    for text in step_references(step):
        expr = parse_expression(text, names)  # the engine's own parser: no eval of any string
        latex = sympy.latex(expr)
        forms |= {
            math_plain(text), math_plain(str(expr)), math_plain(latex), latex_glyphs(latex),
            math_plain(text).replace("*", ""),  # calculator style: a(1-a)
        }
    return {form for form in forms if len(form) >= shortest}
