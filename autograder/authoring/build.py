"""Spec → nbgrader source notebook (``<name>.ipynb``) and local-check samples (``<name>.checks.json``).

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
>>> [c.metadata["nbgrader"]["grade_id"] for c in source_notebook(spec).cells]
['intro', 'setup', 'da-prompt', 'da-answer', 'da-check']
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

from autograder import reference_samples
from autograder.matrices import element_names

from ..protocol import CHECKS_SUFFIX, RECORD_CALL, answer_cell_id, check_cell_id
from .cells import SETUP_IMPORT, course_notebook, graded_cell as _cell
from .quiz_build import build_quiz
from .quiz_spec import is_quiz_spec
from .spec import Spec, Step
from .validate import validate


def setup_source(spec: Spec) -> str:
    """The first code cell: the notebook helpers, then the assignment's symbols and matrices.

    >>> print(setup_source(Spec.from_string('''
    ... title = "T"
    ... [symbols.a]
    ... [matrices.X]
    ... shape = [2, 3]
    ... [[steps]]
    ... id = "s"
    ... variable = "s"
    ... reference = "a"
    ... points = 1
    ... ''')))
    from autograder.notebook import *
    a = symbols("a")
    X = matrix("X", 2, 3)
    X_0_0, X_0_1, X_0_2, X_1_0, X_1_1, X_1_2 = X  # its elements, as answer strings name them
    """
    lines = [SETUP_IMPORT]
    scalars = list(spec.symbols)
    if scalars:
        lines.append(f'{", ".join(scalars)} = symbols("{" ".join(scalars)}")')
    for name, info in spec.matrices.items():
        rows, cols = info["shape"]
        lines.append(f'{name} = matrix("{name}", {rows}, {cols})')
    for i, (name, info) in enumerate(spec.matrices.items()):
        note = "  # its elements, as answer strings name them" if i == 0 else ""
        lines.append(f'{", ".join(element_names(name, *info["shape"]))} = {name}{note}')
    return "\n".join(lines)


def public_step(step: Step) -> dict:
    """What a step's checks may know besides the reference: safe to ship to students.

    >>> public_step(Step("s", "s", 1.0))["kind"]
    'expression'
    """
    return {"id": step.id, "title": step.title, "variable": step.variable, "points": step.points,
            "kind": step.kind, "forbid": list(step.forbid), "require_simplified": step.require_simplified,
            "min_lines": len(step.lines) or 1, "decimals": step.decimals}


def grading_step(spec: Spec, step: Step) -> tuple[dict, str]:
    """The step dict and reference the grader judges with (derivations judge against their start step)."""
    info = dict(public_step(step), mistakes=[list(m) for m in step.mistakes])
    if step.follow_through:  # which earlier answers the step may be right for; no reference in it
        info["follow_through"] = step.follow_through
        info["builds_on"] = [{"id": s.id, "variable": s.variable, "title": s.title}
                             for s in map(spec.step, step.builds_on)]
    reference = spec.step(step.start).reference if step.kind == "derivation" else step.reference
    return info, reference


def checks_data(spec: Spec) -> dict:
    """The JSON the students' local checks read: per step its public info and sample values, no reference."""
    engine = spec.engine_kwargs()
    steps = {}
    for step in spec.steps:
        info, reference = grading_step(spec, step)
        mistakes = [m[0] for m in info.pop("mistakes")] if step.kind == "expression" else None
        samples = reference_samples(reference, mistakes=_authored(step) if mistakes else None, **engine)
        steps[step.id] = dict(info, samples=samples)
    shipped = {"domain": {k: list(v) for k, v in engine["domain"].items()}, "define": engine["define"],
               "symbols": list(engine["symbols"])}
    if "matrices" in engine:
        shipped["matrices"] = {k: list(v) for k, v in engine["matrices"].items()}
    return {"title": spec.title, "engine": shipped, "steps": steps}


def _authored(step: Step):
    return [tuple(m) for m in step.mistakes]


def source_notebook(spec: Spec) -> nbformat.NotebookNode:
    """The instructor's notebook: intro, setup, then per step a prompt, a solution cell and a graded check."""
    cells = [_cell(new_markdown_cell(f"# {spec.title}\n{spec.intro}"), "intro"),
             _cell(new_code_cell(setup_source(spec)), "setup")]
    for step in spec.steps:
        prompt = step.prompt.strip() + (f"\n\n*Hint:* {step.hint}" if step.hint else "")
        cells.append(_cell(new_markdown_cell(prompt), f"{step.id}-prompt"))
        cells.append(_cell(new_code_cell(_solution_source(spec, step)), answer_cell_id(step.id), solution=True))
        cells.append(_cell(new_code_cell(_check_source(step)), check_cell_id(step.id), points=step.points))
    return course_notebook(cells)


def _solution_source(spec: Spec, step: Step) -> str:
    # The solution region sits inside parentheses so nbgrader's code stub ("None  # ...", see
    # nbgrader_config.py) leaves a valid assignment the student completes: `dL_da = (None ...)`.
    if step.kind == "derivation":
        body = "[\n" + "".join(f"        {line!r},\n" for line in step.lines) + "    ]"
    elif step.chain:
        body = " * ".join(spec.step(s).variable for s in step.chain)
    else:
        body = step.reference
    return f"{step.variable} = (\n    ### BEGIN SOLUTION\n    {body}\n    ### END SOLUTION\n)"


def _check_source(step: Step) -> str:
    # The visible line gives local feedback; the hidden line only records the answer for the grader,
    # which judges it outside the kernel. No reference is ever sent to the student's kernel.
    return (f'check_step("{step.id}", {step.variable})\n'
            f"### BEGIN HIDDEN TESTS\n"
            f'{RECORD_CALL}("{step.id}", {step.variable})\n'
            f"### END HIDDEN TESTS")


def build(spec_path) -> tuple[Path, Path]:
    """Validate the spec and write ``<name>.ipynb`` and ``<name>.checks.json`` next to it; return both paths.

    The name is the spec's file name without ``.spec.toml``.
    """
    spec_path = Path(spec_path)
    if is_quiz_spec(spec_path):
        return build_quiz(spec_path)
    spec = Spec.from_file(spec_path)
    validate(spec)
    name = spec_path.name.removesuffix(".spec.toml")
    notebook_path = spec_path.with_name(name + ".ipynb")
    checks_path = spec_path.with_name(name + CHECKS_SUFFIX)
    nbformat.write(source_notebook(spec), notebook_path)
    checks_path.write_text(json.dumps(checks_data(spec), indent=1) + "\n", encoding="utf-8")
    return notebook_path, checks_path
