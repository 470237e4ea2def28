"""nbgrader's autograde reads each submission through this exporter: one malformed notebook never stops the
class, and nothing only the grader writes is taken from a student.

Plain ``nbgrader autograde`` opens a submitted notebook with ``nbformat.read`` and stops that student on JSON
it cannot read, stops the *whole class* on a cell copied from a locked one (its DeduplicateIds leaves the copy
an empty ``nbgrader`` dict, which its validator takes for an outdated schema) or on a wrong schema version, and
fails the student on grading metadata it does not know. Configured as ``Autograde.exporter_class``, this
exporter reads the submission instead, in memory (the student's file is never written), through the repairs
of :func:`autograder.grading.repair.repair_notebook` (the same ones ``autograder grade`` makes), and removes
what only the grader writes: the ``autograder`` metadata of cells and notebook (verdicts, kept answers, the
grader's seal). A first cell tells the student what was done; their feedback page shows it.

Only the sanitizing pass reads the student's file; nbgrader's second pass reads the sanitized copy it wrote
itself, untouched here.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import nbformat
from nbconvert.exporters import NotebookExporter

from autograder.grading.hostile_files import HostileFile, open_submission, read_file
from autograder.grading.repair import add_note, blank_assignment, repair_notebook
from autograder.grading.submissions import planted_marks

from ..protocol import METADATA_KEY

MAX_BYTES = 64 * 1024 * 1024  # a notebook larger than this is not read (the student is told)


class SanitizingExporter(NotebookExporter):
    """nbgrader's notebook exporter, reading a *submitted* notebook safely, repaired and distrusted."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        # made before nbgrader's first submission (before --force removes one's earlier grading): the place to stop
        # a run whose sandbox cannot start at all
        from autograder.grading.preflight import check_solutions_once, stop_unless_sandbox_runs
        from autograder.nbgrader.submission_files import autograde_pre_convert_hook

        stop_unless_sandbox_runs(getattr(self.parent, "config", None))
        # and, when the course's hook checks the solutions (`autograder grade` checks them once itself), whose
        # solutions fall short: the hook runs after --force removed a student's earlier grading; it checks again per
        # assignment when the command names none or a pattern (a pass is remembered: no second cost)
        assignment = getattr(getattr(self.parent, "coursedir", None), "assignment_id", "")
        if (getattr(self.parent, "pre_convert_hook", None) is autograde_pre_convert_hook and assignment
                and not any(c in assignment for c in "*?[")):
            check_solutions_once(self.parent, assignment)

    def from_filename(self, filename, resources=None, **kw):
        converter = self.parent
        if not getattr(converter, "_sanitizing", False) or not hasattr(converter, "coursedir"):
            return super().from_filename(filename, resources=resources, **kw)  # nbgrader's own copy
        resources = resources if resources is not None else {}
        nbgrader = resources.get("nbgrader", {})
        released = _released(converter.coursedir, nbgrader.get("assignment"), Path(filename).name)
        nb, notes = sanitized(Path(filename), released)
        for note in notes:
            self.log.warning("%s/%s: %s", nbgrader.get("student"), Path(filename).name, note)
        resources.setdefault("metadata", {})
        resources["metadata"].update(name=Path(filename).stem, path=os.path.dirname(filename),
                                     modified_date=_modified(filename))
        return self.from_notebook_node(nb, resources=resources, **kw)


def sanitized(path: Path, released) -> tuple:
    """The notebook to grade for the submission at ``path`` (``released``: the assignment's notebook, or None
    when it has none), and the notes on what was done."""
    raw, why = _read_submitted(path)
    if released is None:  # not a notebook of the assignment: nbgrader skips it, nothing to compare it with
        return nbformat.reads(raw.decode("utf-8"), as_version=4), []
    if why:
        nb, message = blank_assignment(released, why)
    else:
        nb, message = repair_notebook(raw, released)
    notes = [message] if message else []
    distrusted = strip_grader_metadata(nb)
    planted = planted_marks(path.parent)
    ignored = []
    if distrusted:
        ignored.append(f"metadata only the grader writes ({METADATA_KEY!r}) in {distrusted} place(s) of your "
                       "notebook")
    if planted:
        ignored.append(f"the file(s) {', '.join(planted)} in your submission")
    if ignored:
        text = "; ".join(ignored)
        add_note(nb, f"Ignored when grading: {text}. Only what the grader itself records counts.")
        notes.append(f"ignored: {text}")
    return nb, notes


def strip_grader_metadata(nb) -> int:
    """Remove the grader's own metadata key from ``nb`` and its cells; return in how many places it was.

    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("x", metadata={"autograder": {}})])
    >>> strip_grader_metadata(nb), "autograder" in nb.cells[0].metadata
    (1, False)
    """
    found = 0
    for holder in [nb, *nb.cells]:
        if METADATA_KEY in holder.get("metadata", {}):
            del holder["metadata"][METADATA_KEY]
            found += 1
    return found


def _released(coursedir, assignment, name: str):
    """The assignment's released notebook ``name``, read, or None."""
    if not assignment:
        return None
    path = Path(coursedir.format_path(coursedir.release_directory, ".", assignment)) / name
    return nbformat.read(path, as_version=4) if path.is_file() else None


def _read_submitted(path: Path) -> tuple[bytes, str | None]:
    """The bytes of a submitted notebook, or why they were not read: read as ``repair`` reads it (never through
    a link, never from a FIFO or a device, never more than MAX_BYTES: ``hostile_files.read_file``)."""
    try:
        folder = open_submission(path.parent)
    except HostileFile as exc:
        return b"", f"it is in {exc.refused.why}"
    try:
        raw = read_file(folder, path.name, limit=MAX_BYTES)
    except HostileFile as exc:
        return b"", f"it is {exc.refused.why}"
    except OSError as exc:
        return b"", f"it cannot be opened ({exc.strerror})"
    finally:
        os.close(folder)
    return (b"", "it is missing") if raw is None else (raw, None)


def _modified(filename) -> str:
    when = datetime.datetime.fromtimestamp(os.lstat(filename).st_mtime, tz=datetime.timezone.utc)
    return when.strftime("%B %-d, %Y")
