"""Make a damaged submission gradable, keeping the original beside it and saying what was done.

nbgrader stops on a notebook it cannot read (invalid JSON, not a notebook) and
on graded cells that appear twice, and grades a deleted check cell as a silent 0.
Such a submission is replaced, before grading, by one nbgrader can grade: the
student's notebook with deleted assignment cells put back and copies of a graded
cell made ungraded, or, when nothing can be read, the released notebook (which
scores 0). Either way a first cell tells the student what happened, so
the feedback says it. (Missing or repeated cell *ids* nbformat repairs on reading.)

>>> cell = nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {"grade_id": "q1"}})
>>> nb = nbformat.v4.new_notebook(cells=[cell, copy.deepcopy(cell)])
>>> _dedupe_grade_ids(nb), "nbgrader" in nb.cells[1].metadata
(1, False)
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import nbformat

NOTE = "autograder-repair"  # cell metadata key marking the cell this module adds


def repair_submission(submitted: Path, release: Path) -> list[str]:
    """Repair every notebook of ``release`` in the ``submitted`` folder; return what was done, per notebook."""
    done = []
    for released in sorted(Path(release).glob("*.ipynb")):
        path = Path(submitted) / released.name
        if path.exists():
            message = _repair_one(path, released)
            if message:
                done.append(f"{path.name}: {message}")
    return done


def _repair_one(path: Path, released: Path) -> str | None:
    raw = path.read_bytes()
    try:
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    except (UnicodeDecodeError, json.JSONDecodeError, nbformat.reader.NotJSONError) as exc:  # noqa: B014
        return _replace(path, raw, released, f"it is not valid JSON ({_short(exc)})")
    except Exception as exc:  # readable JSON, but not a notebook nbformat knows
        return _replace(path, raw, released, f"it is not a Jupyter notebook ({_short(exc)})")
    if not isinstance(nb.get("cells"), list):
        return _replace(path, raw, released, "it has no cells")
    fixes = []  # missing or repeated cell ids are already fixed by nbformat.reads, as nbgrader reads them
    restored = _restore_deleted(nb, nbformat.read(released, as_version=4))
    if restored:
        fixes.append(f"deleted cell(s) {', '.join(restored)} were put back from the assignment")
    graded = _dedupe_grade_ids(nb)
    if graded:
        fixes.append(f"{graded} graded cell(s) were duplicated (the copies are not graded)")
    if not fixes:
        return None
    text = "; ".join(fixes)
    _write(path, raw, nb, f"Your notebook was repaired before grading: {text}.")
    return f"repaired: {text}"


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _restore_deleted(nb, released) -> list[str]:
    """Put back each cell of the assignment that has a grade_id and is missing, after its predecessor."""
    present = {_grade_id(c) for c in nb.cells}
    restored, previous = [], None
    for cell in released.cells:
        grade_id = _grade_id(cell)
        if grade_id is None:
            continue
        if grade_id not in present:
            at = next((i + 1 for i, c in enumerate(nb.cells) if _grade_id(c) == previous), 0)
            nb.cells.insert(at, copy.deepcopy(cell))
            present.add(grade_id)
            restored.append(grade_id)
        previous = grade_id
    return restored


def _dedupe_grade_ids(nb) -> int:
    seen, count = set(), 0
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id is None:
            continue
        if grade_id in seen:
            del cell.metadata["nbgrader"]
            count += 1
        seen.add(grade_id)
    return count


def _replace(path: Path, raw: bytes, released: Path, why: str) -> str:
    nb = nbformat.read(released, as_version=4)
    _write(path, raw, nb, f"Your submitted notebook could not be read: {why}. It was graded as the blank "
                          "assignment (0 points). Ask your instructor if this is a mistake.")
    return f"replaced by the blank assignment: {why}"


def _write(path: Path, raw: bytes, nb, note: str) -> None:
    original = path.with_name(path.name + ".original")
    if not original.exists():  # the student's bytes are kept, once, whatever is graded
        original.write_bytes(raw)
    cell = nbformat.v4.new_markdown_cell(f"**⚠ {note}**")
    cell.metadata[NOTE] = True
    nb.cells.insert(0, cell)
    tmp = path.with_name(path.name + ".tmp")
    nbformat.write(nb, tmp)
    os.replace(tmp, path)


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
