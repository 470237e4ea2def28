"""Make a damaged submission gradable, keeping the original beside it and saying what was done.

nbgrader stops on a notebook it cannot read (invalid JSON, not a notebook) and
on graded cells that appear twice, and grades a deleted check cell as a silent 0.
Such a submission is replaced, before grading, by one nbgrader can grade: the
student's notebook with deleted assignment cells put back and copies of a graded
cell made ungraded, or, when nothing can be read, the released notebook (which
scores 0). Either way a first cell tells the student what happened, so
the feedback says it. (Missing or repeated cell *ids* nbformat repairs on reading.)

The submission's files are hostile (``hostile_files``): the folder is opened without following a link, the
notebook is read only if it is a plain file (a link or a device in its place is graded as the blank
assignment), and every write is a new file, created exclusively (the student's bytes kept in ``.original``
only if nothing of that name exists, a dangling link included) or under a random name and renamed into place.

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

from .hostile_files import HostileFile, open_submission, read_file, replace_file, write_new

NOTE = "autograder-repair"  # cell metadata key marking the cell this module adds


def repair_submission(submitted: Path, release: Path) -> list[str]:
    """Repair every notebook of ``release`` in the ``submitted`` folder (reached without following a link:
    ``hostile_files.open_submission``); return what was done, per notebook."""
    done = []
    folder = open_submission(submitted)
    try:
        for released in sorted(Path(release).glob("*.ipynb")):
            message = _repair_one(folder, released.name, released)
            if message:
                done.append(f"{released.name}: {message}")
    finally:
        os.close(folder)
    return done


def _repair_one(folder: int, name: str, released: Path) -> str | None:
    try:
        raw = read_file(folder, name)
    except HostileFile as exc:
        return _replace(folder, name, None, released, f"it is {exc.refused.why}")
    if raw is None:
        return None
    try:
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    except (UnicodeDecodeError, json.JSONDecodeError, nbformat.reader.NotJSONError) as exc:  # noqa: B014
        return _replace(folder, name, raw, released, f"it is not valid JSON ({_short(exc)})")
    except Exception as exc:  # readable JSON, but not a notebook nbformat knows
        return _replace(folder, name, raw, released, f"it is not a Jupyter notebook ({_short(exc)})")
    if not isinstance(nb.get("cells"), list):
        return _replace(folder, name, raw, released, "it has no cells")
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
    _write(folder, name, raw, nb, f"Your notebook was repaired before grading: {text}.")
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


def replace_with_blank(folder: int, name: str, released, why: str) -> str:
    """Grade the notebook ``name`` of the folder descriptor ``folder`` as the blank assignment ``released``, with
    a note saying ``why`` (e.g. "it is a link"); whatever was there is replaced, never written through."""
    return _replace(folder, name, None, Path(released), why)


def _replace(folder: int, name: str, raw: bytes | None, released: Path, why: str) -> str:
    nb = nbformat.read(released, as_version=4)
    _write(folder, name, raw, nb, f"Your submitted notebook could not be read: {why}. It was graded as the "
                                  "blank assignment (0 points). Ask your instructor if this is a mistake.")
    return f"replaced by the blank assignment: {why}"


def _write(folder: int, name: str, raw: bytes | None, nb, note: str) -> None:
    if raw is not None:  # the student's bytes are kept, once, whatever is graded; never through a link
        write_new(folder, name + ".original", raw)
    nb.cells.insert(0, note_cell(f"**⚠ {note}**"))
    replace_file(folder, name, nbformat.writes(nb).encode("utf-8"))


def note_cell(markdown: str):
    """A markdown cell telling the student what the grader did, marked as this module's (first in the notebook,
    so the feedback page opens with it)."""
    cell = nbformat.v4.new_markdown_cell(markdown)
    cell.metadata[NOTE] = True
    return cell


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
