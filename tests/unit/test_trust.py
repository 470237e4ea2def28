"""Only what the grader wrote is trusted (issue 23, part 4) and a malformed notebook is repaired in memory for
plain nbgrader (part 5), each rule with the near miss that would beat a weaker one: real files, real nbgrader
preprocessors, no kernel (tests/batch/test_hostile_trust.py grades the same attacks for real)."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell

from autograder.authoring.build import source_notebook
from autograder.authoring.spec import Spec
from autograder.grading.repair import repair_notebook
from autograder.grading.submissions import (STUDENT_PLANTED, Submission, is_graded, read_mark, remove_mark,
                                            submission_hash, write_mark)
from autograder.nbgrader.regrade import _read_judged
from autograder.nbgrader.sanitize import sanitized
from autograder.nbgrader.seal import broken_seal, judge_key, seal
from autograder.protocol import ANSWER_MIME

REPO = Path(__file__).resolve().parents[2]
RELEASE = REPO / "release" / "ps1" / "ps1.ipynb"
WHO = ("alice", "ps1", "ps1")


@pytest.fixture
def course(tmp_path):
    sub = Submission("ps1", "alice")
    sub.submitted_dir(tmp_path).mkdir(parents=True)
    (sub.submitted_dir(tmp_path) / "ps1.ipynb").write_text('{"cells": []}')
    return tmp_path, sub


# --- completion marks ------------------------------------------------------------------------------------------

def test_a_mark_holds_the_hash_of_what_was_graded(course):
    root, sub = course
    assert not is_graded(root, sub)
    write_mark(root, sub, {"score": 2.0}, submission_hash(sub.submitted_dir(root)))
    assert is_graded(root, sub) and read_mark(root, sub)["score"] == 2.0
    assert not sub.mark(root).is_relative_to(root / "autograded") and not sub.mark(root).is_relative_to(
        root / "submitted")


def test_a_resubmission_with_old_file_times_is_graded_again(course):
    """The near miss of the old mtime rule: the new file carries an old time."""
    root, sub = course
    path = sub.submitted_dir(root) / "ps1.ipynb"
    write_mark(root, sub, {}, submission_hash(sub.submitted_dir(root)))
    before = os.stat(path)
    path.write_text('{"cells": [1]}')
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns - 10**12))
    assert not is_graded(root, sub)


def test_a_mark_planted_where_marks_used_to_be_is_never_read(course):
    root, sub = course
    mark = {"student": "alice", "score": 10.0, "max_score": 10.0,
            "submission_sha256": submission_hash(sub.submitted_dir(root))}
    sub.autograded_dir(root).mkdir(parents=True)
    for folder in (sub.autograded_dir(root), sub.submitted_dir(root)):  # copied there, or left by a kernel
        (folder / STUDENT_PLANTED[0]).write_text(json.dumps(mark))
    assert not is_graded(root, sub) and read_mark(root, sub) is None


def test_a_mark_outlives_no_clearing(course):
    root, sub = course
    write_mark(root, sub, {}, submission_hash(sub.submitted_dir(root)))
    remove_mark(root, sub)
    remove_mark(root, sub)  # twice: nothing left, no error
    assert not is_graded(root, sub)


def test_hashing_a_submission_follows_no_link_and_opens_no_fifo(course, tmp_path_factory):
    root, sub = course
    outside = tmp_path_factory.mktemp("outside") / "big"
    outside.write_text("a")
    folder = sub.submitted_dir(root)
    os.symlink(outside, folder / "link")
    os.mkfifo(folder / "pipe")  # opening it for reading would block until a writer comes
    first = submission_hash(folder)
    outside.write_text("b")  # what the link points to is not the submission's
    assert submission_hash(folder) == first


# --- sealed verdicts -------------------------------------------------------------------------------------------

def _judged_notebook():
    """The ps1 notebook as grading leaves it: each check cell with a verdict and a kept answer."""
    nb = source_notebook(Spec.from_file(REPO / "source" / "ps1" / "ps1.spec.toml"))
    for cell in nb.cells:
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        if grade_id.endswith("-check"):
            step = grade_id.removesuffix("-check")
            cell.metadata["autograder"] = {"step": step, "points": 0.0, "max_points": 2.0, "kernel_outputs": [
                {"output_type": "display_data", "data": {ANSWER_MIME: {"step": step, "answer": "a*y"}}}]}
    nb.metadata["autograder"] = {"spec_sha256": "x"}
    return nb


def _check(nb, step):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == f"{step}-check")


def test_a_sealed_notebook_verifies_and_any_change_to_a_record_breaks_the_seal():
    key = b"k" * 64
    nb = _judged_notebook()
    seal(nb, key, WHO)
    assert broken_seal(nb, key, WHO) is None
    changed = copy.deepcopy(nb)
    _check(changed, "dL_dz").metadata["autograder"]["kernel_outputs"][0]["data"][ANSWER_MIME]["answer"] = "a - y"
    assert "does not match" in broken_seal(changed, key, WHO)
    swapped = copy.deepcopy(nb)  # the same records, moved between check cells
    a, b = _check(swapped, "dL_da"), _check(swapped, "dL_dz")
    a.metadata["autograder"], b.metadata["autograder"] = b.metadata["autograder"], a.metadata["autograder"]
    assert "does not match" in broken_seal(swapped, key, WHO)
    assert "does not match" in broken_seal(nb, key, ("bob", "ps1", "ps1"))  # another student's sealed notebook
    assert "does not match" in broken_seal(nb, b"j" * 64, WHO)  # a seal made with another key
    del nb.metadata["autograder"]["seal"]
    assert "no seal" in broken_seal(nb, key, WHO)


def test_regrade_reads_a_sealed_notebook_whatever_a_student_put_on_other_cells(tmp_path):
    """The reported attack: grader metadata without kept answers on a markdown cell made regrade skip the student.
    Near misses: the same on a code cell of the student's, and a check cell's record changed after sealing."""
    key = b"k" * 64
    nb = _judged_notebook()
    nb.cells.insert(0, new_markdown_cell("hi", metadata={"autograder": {"step": "dL_da", "points": 2.0}}))
    nb.cells.insert(1, nbformat.v4.new_code_cell("x = 1", metadata={"autograder": {"points": 2.0}}))
    seal(nb, key, WHO)
    path = tmp_path / "ps1.ipynb"
    nbformat.write(nb, path)
    notebooks, why = _read_judged([path], key, "alice", "ps1")
    assert why is None and list(notebooks) == [path]
    _check(nb, "dL_da").metadata["autograder"]["points"] = 2.0
    nbformat.write(nb, path)
    notebooks, why = _read_judged([path], key, "alice", "ps1")
    assert notebooks == {} and "does not match" in why and "--students alice" in why


def test_the_judging_key_is_made_once_and_readable_by_the_grader_only(tmp_path):
    path = tmp_path / ".autograder" / "judge.key"
    key = judge_key(path)
    assert judge_key(path) == key and len(key) == 64
    assert os.stat(path).st_mode & 0o077 == 0
    assert [p.name for p in path.parent.iterdir()] == ["judge.key"]  # no temporary file left


# --- repairs for plain nbgrader --------------------------------------------------------------------------------

def _nbgrader_sanitizes(nb):
    """nbgrader's own sanitizing steps that stop on malformed metadata, as autograde runs them."""
    from nbgrader.preprocessors import CheckCellMetadata, DeduplicateIds

    for preprocessor in (DeduplicateIds(), CheckCellMetadata()):
        nb, _ = preprocessor.preprocess(nb, {})
    return nb


def _released():
    return nbformat.read(RELEASE, as_version=4)


def test_a_copied_locked_cell_stops_nbgrader_unless_repaired():
    """nbgrader's DeduplicateIds leaves the copy an empty metadata dict, read as an outdated schema: that
    exception stops plain `nbgrader autograde` for the whole class."""
    from nbgrader.nbgraderformat import SchemaTooOldError

    nb = _released()
    nb.cells.insert(1, copy.deepcopy(nb.cells[0]))
    raw = nbformat.writes(nb).encode()
    with pytest.raises(SchemaTooOldError):
        _nbgrader_sanitizes(nbformat.reads(raw.decode(), as_version=4))
    repaired, message = repair_notebook(raw, _released())
    _nbgrader_sanitizes(repaired)
    assert "duplicated" in message and "duplicated" in repaired.cells[0].source


@pytest.mark.parametrize("meta, phrase", [
    ({}, "naming no cell"),  # what DeduplicateIds leaves
    ("answer", "naming no cell"),
    ({"grade": True, "grade_id": "bonus", "points": 100.0, "locked": True, "solution": False, "task": False,
      "schema_version": 3}, "naming no cell"),
    ({"grade": False, "grade_id": "intro", "locked": True, "solution": False, "schema_version": 1},
     "intro was changed"),
    ({"grade": False, "grade_id": "intro", "locked": True, "solution": False, "task": False, "schema_version": 4},
     "intro was changed"),
])
def test_grading_metadata_nbgrader_would_refuse_is_restored_or_dropped(meta, phrase):
    nb = _released()
    if isinstance(meta, dict) and meta.get("grade_id") == "intro":
        nb.cells[0].metadata["nbgrader"] = meta
    else:
        nb.cells.insert(1, nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": meta}))
    repaired, message = repair_notebook(nbformat.writes(nb).encode(), _released())
    _nbgrader_sanitizes(repaired)
    assert phrase in message and phrase in repaired.cells[0].source


def test_an_honest_notebook_is_left_as_it_is():
    """The near miss of every repair rule: nothing to say about a notebook nobody damaged."""
    nb = _released()
    nb.cells[3].source = "dL_da = a"
    repaired, message = repair_notebook(nbformat.writes(nb).encode(), _released())
    assert message is None and repaired == nb


def _submit(tmp_path, text: str) -> Path:
    path = tmp_path / "submitted" / "alice" / "ps1" / "ps1.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    return path


def test_the_exporter_drops_grader_metadata_and_notes_planted_marks(tmp_path):
    nb = _released()
    nb.cells[0].metadata["autograder"] = {"points": 2.0}
    nb.metadata["autograder"] = {"seal": "00"}
    path = _submit(tmp_path, nbformat.writes(nb))
    (path.parent / STUDENT_PLANTED[0]).write_text("{}")
    graded, notes = sanitized(path, _released())
    assert not any("autograder" in c.metadata for c in graded.cells) and "autograder" not in graded.metadata
    assert "2 place(s)" in graded.cells[0].source and STUDENT_PLANTED[0] in graded.cells[0].source
    assert len(notes) == 1 and path.read_text() == nbformat.writes(nb)  # the student's file is not written


@pytest.mark.parametrize("make, phrase", [
    (lambda p: p.write_text("{ not json"), "not valid JSON"),
    (lambda p: os.mkfifo(p), "it is a fifo"),
    (lambda p: os.symlink("/etc/passwd", p), "it is a link"),
])
def test_a_submission_that_cannot_be_read_is_graded_blank_without_blocking(tmp_path, make, phrase):
    path = tmp_path / "ps1.ipynb"
    make(path)
    graded, notes = sanitized(path, _released())
    assert phrase in notes[0] and phrase in graded.cells[0].source and len(graded.cells) == len(_released().cells) + 1



def test_a_cell_the_student_added_is_named_by_its_place_in_their_notebook_not_after_the_grader_note():
    """The note cell repair puts first is not the student's: "cell 2" stays the second cell they wrote."""
    from autograder.nbgrader.codescan import static_objection

    nb = _released()
    nb.cells.insert(1, nbformat.v4.new_code_cell("import os"))
    check = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "dL_da-check")
    step = {"id": "dL_da"}
    assert "cell 2 (a cell you added)" in static_objection(nb, step, check)
    from autograder.grading.repair import add_note

    add_note(nb, "repaired")
    assert "cell 2 (a cell you added)" in static_objection(nb, step, check + 1)
