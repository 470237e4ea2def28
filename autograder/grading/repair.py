"""Make a damaged submission gradable, keeping the original beside it and saying what was done.

nbgrader stops on a notebook it cannot read (invalid JSON, not a notebook), on
cells that appear twice (its DeduplicateIds leaves the copy an empty metadata
dict, which its validator reads as an outdated schema: the whole class stops)
and on grading metadata it does not know, and grades a deleted check cell as a
silent 0. Such a submission is replaced, before grading, by one nbgrader can
grade: the student's notebook with deleted assignment cells put back, changed
grading metadata restored, copies of a graded cell made ungraded, or, when
nothing can be read, the released notebook (which scores 0). Either way a first
cell tells the student what happened, so the feedback says it. (Missing or repeated cell *ids* nbformat repairs on reading.)

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
    released_nb = nbformat.read(released, as_version=4)
    try:
        raw = read_file(folder, name)
    except HostileFile as exc:
        nb, message = blank_assignment(released_nb, f"it is {exc.refused.why}")
        _write(folder, name, None, nb)
        return message
    if raw is None:
        return None
    nb, message = repair_notebook(raw, released_nb)
    if message:
        _write(folder, name, raw, nb)
    return message


def repair_notebook(raw: bytes, released) -> tuple:
    """The notebook to grade for the submitted bytes ``raw`` (``released``: the assignment's notebook), and
    what was done to it (None: nothing; it is then ``raw`` as nbformat reads it). A repaired notebook starts
    with a note cell telling the student. In memory only: the nbgrader exporter
    (:mod:`autograder.nbgrader.sanitize`) grades it without writing the student's file.

    >>> blank = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("x")])
    >>> nb, message = repair_notebook(b"{ not json", blank); message.split(":")[0], len(nb.cells)
    ('replaced by the blank assignment', 2)
    """
    try:
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    except (UnicodeDecodeError, json.JSONDecodeError, nbformat.reader.NotJSONError) as exc:  # noqa: B014
        return blank_assignment(released, f"it is not valid JSON ({_short(exc)})")
    except Exception as exc:  # readable JSON, but not a notebook nbformat knows
        return blank_assignment(released, f"it is not a Jupyter notebook ({_short(exc)})")
    if not isinstance(nb.get("cells"), list):
        return blank_assignment(released, "it has no cells")
    if not all(isinstance(c, dict) and isinstance(c.get("metadata"), dict) for c in nb.cells):
        return blank_assignment(released, "a cell of it is not a notebook cell")
    fixes = []  # missing or repeated cell ids are already fixed by nbformat.reads, as nbgrader reads them
    restored_meta, dropped = _restore_metadata(nb, released)
    if dropped:
        fixes.append(f"grading metadata naming no cell of the assignment was removed from {dropped} cell(s)")
    if restored_meta:
        fixes.append(f"the grading metadata of cell(s) {', '.join(restored_meta)} was changed and was put back "
                     "from the assignment")
    graded = _dedupe_grade_ids(nb)
    if graded:
        fixes.append(f"{graded} graded cell(s) were duplicated (the copies are not graded)")
    restored = _restore_deleted(nb, released)
    if restored:
        fixes.append(f"deleted cell(s) {', '.join(restored)} were put back from the assignment")
    if not fixes:
        return nb, None
    _unique_cell_ids(nb)  # a cell put back can share its id with the student's cell it stands beside
    text = "; ".join(fixes)
    add_note(nb, f"Your notebook was repaired before grading: {text}.")
    return nb, f"repaired: {text}"


def add_note(nb, note: str) -> None:
    """Put a first cell in ``nb`` telling the student ``note`` (the feedback page shows it)."""
    nb.cells.insert(0, note_cell(f"**⚠ {note}**"))


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


# nbgrader metadata the grader compares with the assignment's; a checksum is nbgrader's to recompute
_COMPARED = ("grade", "grade_id", "locked", "points", "schema_version", "solution", "task", "cell_type")


def _restore_metadata(nb, released) -> tuple[list[str], int]:
    """Give each cell whose nbgrader metadata differs from the assignment's cell of the same grade id the
    assignment's (nbgrader stops the whole class on a wrong schema version, fails the student on invalid
    metadata, and grades a check cell made "solution" as nothing); drop nbgrader metadata naming no cell of the
    assignment, or unreadable. Returns (grade ids restored, how many dropped)."""
    assignment = {_grade_id(c): c.metadata["nbgrader"] for c in released.cells if _grade_id(c) is not None}
    restored, dropped = [], 0
    for cell in nb.cells:
        if "nbgrader" not in cell.metadata:
            continue
        meta = cell.metadata["nbgrader"]
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        want = assignment.get(grade_id) if isinstance(grade_id, str) else None
        if want is None:  # a student's cell has none: nbgrader would stop the class or fail the student on it
            del cell.metadata["nbgrader"]
            dropped += 1
            continue
        if any(meta.get(k) != want.get(k) for k in _COMPARED):
            cell.metadata["nbgrader"] = copy.deepcopy(want)
            restored.append(grade_id)
    return restored, dropped


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


def _unique_cell_ids(nb) -> None:
    """A fresh id for each cell whose id an earlier cell has (nbformat refuses to write such a notebook)."""
    from nbformat.corpus.words import generate_corpus_id

    seen = set()
    for cell in nb.cells:
        if cell.get("id") in seen:
            cell["id"] = generate_corpus_id()
        seen.add(cell.get("id"))


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


def blank_assignment(released, why: str) -> tuple:
    """The blank assignment, to grade in place of an unreadable submission, with the note saying why."""
    nb = copy.deepcopy(released)
    add_note(nb, f"Your submitted notebook could not be read: {why}. It was graded as the blank "
                 "assignment (0 points). Ask your instructor if this is a mistake.")
    return nb, f"replaced by the blank assignment: {why}"


def replace_with_blank(folder: int, name: str, released, why: str) -> str:
    """Grade the notebook ``name`` of the folder descriptor ``folder`` as the blank assignment ``released``, with
    a note saying ``why`` (e.g. "it is a link"); whatever was there is replaced, never written through."""
    nb, message = blank_assignment(nbformat.read(Path(released), as_version=4), why)
    _write(folder, name, None, nb)
    return message


def _write(folder: int, name: str, raw: bytes | None, nb) -> None:
    if raw is not None:  # the student's bytes are kept, once, whatever is graded; never through a link
        write_new(folder, name + ".original", raw)
    replace_file(folder, name, nbformat.writes(nb).encode("utf-8"))


def note_cell(markdown: str):
    """A markdown cell telling the student what the grader did, marked as this module's (first in the notebook,
    so the feedback page opens with it)."""
    cell = nbformat.v4.new_markdown_cell(markdown)
    cell.metadata[NOTE] = True
    return cell


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
