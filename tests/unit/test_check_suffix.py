"""The name of a step's graded cell ("<step id>-check") is spelled once, where the build defines it: the build,
grading, regrade, exports, the local check and the pytest plugin all read it from there, so they cannot drift."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "autograder"


def spellings(suffix: str) -> list[str]:
    """``file:line`` of every string constant in the package that is ``suffix`` itself or an f-string part of it."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value == suffix:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return found


def test_the_check_cell_suffix_is_one_constant():
    from autograder.authoring.cells import CHECK_SUFFIX

    assert CHECK_SUFFIX == "-check"
    assert spellings("-check") == [f"autograder/authoring/cells.py:{_line_of('CHECK_SUFFIX = ')}"]


def test_the_build_names_a_step_graded_cell_with_it():
    from autograder.authoring.build import source_notebook
    from autograder.authoring.cells import CHECK_SUFFIX
    from autograder.authoring.spec import Spec

    spec = Spec.from_file(PACKAGE.parent / "source" / "ps1" / "ps1.spec.toml")
    graded = [c.metadata["nbgrader"]["grade_id"] for c in source_notebook(spec).cells
              if c.metadata["nbgrader"].get("grade")]
    assert graded == [f"{s.id}{CHECK_SUFFIX}" for s in spec.steps]


def _line_of(prefix: str) -> int:
    lines = (PACKAGE / "authoring" / "cells.py").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(prefix))
