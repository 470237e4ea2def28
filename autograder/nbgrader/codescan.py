"""Static checks of the code a student wrote: derivative helpers used where a step asks for a derivation,
and constructs that reach outside the answer (imports, dunders, eval, file access).

Only the cell source is read (with ``ast``); nothing is executed.

These are teaching rules (derive it yourself; an answer cell holds an answer), not a defence: student code is
arbitrary Python, and a cell with no import, no dunder and no denied name can still reach anything (a
generator's ``gi_frame.f_builtins`` holds ``open`` and ``__import__``; tests/data/hostile/ps1.toml h48-h53).
Nothing depends on this scan for safety: the bubblewrap sandbox of ``autograder.sandbox`` keeps the references,
the course, the network and the grader's disk out of reach.

>>> find_uses("dL_da = sympy.diff(L, a)", {"diff"})
[('diff', 1)]
>>> find_unsafe("import os\\nx = 1")
[('import os', 1)]
"""

from __future__ import annotations

import ast

from autograder.grading.repair import NOTE as GRADER_NOTE  # the note cell the grader puts first
from autograder.protocol import answer_cell_id

# Names a student's cell has no business calling: they escape the answer or read files.
UNSAFE_NAMES = frozenset({"eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "globals",
                          "locals", "vars", "breakpoint", "input", "get_ipython", "exit", "quit", "__import__",
                          "sympify", "parse_expr", "lambdify"})


def parse_cell(source: str) -> ast.Module | None:
    """Parse a cell as IPython would run it (magics and ``!`` lines become calls); None if it is not Python."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        source = TransformerManager().transform_cell(source)
    except Exception:  # IPython's transformer refuses some broken cells: parse the raw text instead
        pass
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None  # the kernel cannot run it either, so it cannot have done anything


def find_uses(source: str, names) -> list[tuple[str, int]]:
    """Where the cell uses any of ``names`` as a name, an attribute (``x.diff``) or an imported name."""
    tree = parse_cell(source)
    if tree is None:
        return []
    found = []
    for node in ast.walk(tree):
        name = None
        if isinstance(node, ast.Name):
            name = node.id
        elif isinstance(node, ast.Attribute):
            name = node.attr
        elif isinstance(node, ast.alias):
            name = node.name.split(".")[-1]
        if name in names:
            found.append((name, getattr(node, "lineno", 0)))
    return sorted(set(found), key=lambda f: (f[1], f[0]))


def find_unsafe(source: str) -> list[tuple[str, int]]:
    """Imports, dunder names or attributes, and calls in UNSAFE_NAMES, with their line numbers."""
    tree = parse_cell(source)
    if tree is None:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
            found.append((f"import {module}", node.lineno))
        elif isinstance(node, ast.Name) and (node.id in UNSAFE_NAMES or node.id.startswith("__")):
            found.append((node.id, node.lineno))
        elif isinstance(node, ast.Attribute) and (node.attr in UNSAFE_NAMES or node.attr.startswith("__")):
            found.append(("." + node.attr, node.lineno))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "__" in node.value:
            found.append(("a string containing '__'", node.lineno))
    return sorted(set(found), key=lambda f: (f[1], f[0]))


def static_objection(nb, step: dict, check_index: int) -> str | None:
    """Why the step checked by cell ``check_index`` scores 0 whatever its answer, from the code alone; or None.

    - a forbidden helper (``step["forbid"]``, e.g. diff) in the step's own answer cell;
    - an unsafe construct in any student-written cell *before* the check: code runs in order, so it can
      only affect the answers recorded after it.
    Student-written cells are answer cells (nbgrader ``solution``) and cells without nbgrader metadata.
    """
    notes = 0  # cells the grader put first to tell the student what it repaired: not the student's to count
    for index, cell in enumerate(nb.cells[:check_index]):
        meta = cell.metadata.get("nbgrader", {})
        notes += bool(cell.metadata.get(GRADER_NOTE))
        if cell.cell_type != "code" or (meta and not meta.get("solution")):
            continue  # instructor cells are restored by nbgrader before grading
        where = meta.get("grade_id") or f"cell {index + 1 - notes} (a cell you added)"
        if meta.get("grade_id") == answer_cell_id(step["id"]):
            uses = find_uses(cell.source, set(step.get("forbid", ())))
            if uses:
                return (f"This step asks you to derive it yourself; {uses[0][0]} was used "
                        f"(line {uses[0][1]} of your answer cell).")
        found = find_unsafe(cell.source)
        if found:
            what, line = found[0]
            return (f"Not graded: {what} is used in {where}, line {line}, before this step's check. "
                    f"Answer cells may only hold your answer (no imports, files or dunders).")
    return None


def first_unsafe_cell(nb) -> int | None:
    """Index of the first student-written code cell with an unsafe construct, or None."""
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (not meta or meta.get("solution")) and find_unsafe(cell.source):
            return index
    return None
