"""nbgrader's copies of a submission (submitted → autograded → feedback) see only plain files and folders.

nbgrader copies every other file of a submission with ``shutil.copy``, which follows links, before it converts the
notebook (``BaseConverter.init_assignment``, for ``nbgrader autograde`` and ``generate_feedback`` alike, so also
under ``autograder grade``, which calls the same autograde). Its one seam before that copy is the converter's
``pre_convert_hook``, called once per submission: ``autograde_pre_convert_hook`` and ``drop_pre_convert_hook``
(named in ``nbgrader_config.py``; ``autograder grade`` uses the second) remove from the submission folder every
entry ``hostile_files`` refuses (a link is removed, never its target), record what and why beside the folder, and
put the blank assignment in place of a notebook that was such an entry. nbgrader logs and ignores an exception from
a hook, so ``NoteRefusedFiles``, the first sanitizing preprocessor, checks again that nothing refused is left (or
fails that submission) and writes the note the student reads at the top of the graded notebook.

>>> note_markdown([Refused("ps1/notes.txt", "a link")])
'**⚠ Files the grader refused:**\\n\\n- ps1/notes\\\\.txt is a link: not graded, not returned'
"""

from __future__ import annotations

import functools
import html
import os
import re

from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.grading.hostile_files import (HostileFile, Refused, drop_refused, find_refused, load_record,
                                              open_submission, save_record)
from autograder.grading.repair import note_cell, replace_with_blank


def drop_hostile_files(folder, release=None) -> list[Refused]:
    """Remove what is refused from the submission ``folder`` (reached without a link: ``open_submission``), add
    it to the folder's record, and grade a notebook that was refused as the blank assignment from the ``release``
    folder; return what was removed."""
    name = os.path.basename(os.path.abspath(folder))
    fd = open_submission(folder)
    try:
        dropped = drop_refused(fd, name)
        save_record(folder, dropped)
        for refused in dropped:
            notebook = refused.path.removeprefix(f"{name}/")
            if release is not None and "/" not in notebook and os.path.isfile(os.path.join(release, notebook)):
                replace_with_blank(fd, notebook, os.path.join(release, notebook), f"it is {refused.why}")
    finally:
        os.close(fd)
    return dropped


def autograde_pre_convert_hook(assignment=None, student=None, notebooks=None, **kwargs):
    """``c.Autograde.pre_convert_hook``: drop the submission's hostile files, then (once per run) grade the
    solutions first (``autograder.grading.preflight``)."""
    from autograder.grading.preflight import nbgrader_pre_convert_hook

    _drop_before_copy(notebooks)
    nbgrader_pre_convert_hook(assignment=assignment, student=student, notebooks=notebooks, **kwargs)


def drop_pre_convert_hook(assignment=None, student=None, notebooks=None, **kwargs):
    """``c.GenerateFeedback.pre_convert_hook`` (the autograded folder is the grader's own, but one graded before
    this check existed may hold a link nbgrader copied), and ``autograder grade``'s (which checks the solutions
    once itself): drop the hostile files only."""
    _drop_before_copy(notebooks)


def _drop_before_copy(notebooks) -> None:
    """The hook's work for the submission whose notebooks nbgrader is about to convert (nbgrader has changed to
    the course's folder). An error is logged, not raised: nbgrader would only log it at INFO, and
    ``NoteRefusedFiles`` fails the submission if anything refused is still there."""
    from traitlets.log import get_logger

    log = get_logger()
    folders = sorted({os.path.dirname(os.path.abspath(n)) for n in notebooks or ()})
    for folder in folders:
        try:
            for refused in drop_hostile_files(folder, _release_folder(os.getcwd(), os.path.basename(folder))):
                log.warning("Refused %s (%s): %s", refused.path, folder, refused.note)
        except Exception as exc:
            log.error("Could not remove the refused files of %s: %s", folder, exc)


@functools.lru_cache(maxsize=8)
def _release_folder(course: str, assignment: str) -> str:
    """The released assignment's folder, by the running nbgrader app's config or else the course's (read once per
    grading process: an ``autograder grade`` worker grades one submission after another)."""
    from nbgrader.apps.baseapp import NbGrader
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Application

    if Application.initialized() and isinstance(Application.instance(), NbGrader):
        config = Application.instance().config  # the nbgrader command's: the course's file and its options
    else:  # NbGraderAPI (an ``autograder grade`` worker, formgrader in a Jupyter server) in the course's folder
        from autograder.grading.course_config import load_course_config

        config = load_course_config(course)
    coursedir = CourseDirectory(config=config)
    return coursedir.format_path(coursedir.release_directory, ".", assignment)


class NoteRefusedFiles(NbGraderPreprocessor):
    """Before a submission is graded: fail it if its folder still holds anything a grader must not follow (the
    pre-convert hook should have removed it), and open the notebook with a note listing every entry that was
    refused, by ``nbgrader collect`` or before grading, and why, so the student's feedback says it."""

    def preprocess(self, nb, resources):
        folder = resources.get("metadata", {}).get("path") or "."
        name = os.path.basename(os.path.abspath(folder))
        fd = open_submission(folder)
        try:
            left = find_refused(fd, name)
        finally:
            os.close(fd)
        if left:
            raise HostileFile(Refused(left[0].path, f"{left[0].why} the grader could not remove"))
        refused = load_record(folder)
        if refused:
            nb.cells.insert(0, note_cell(note_markdown(refused)))
        return nb, resources


def note_markdown(refused: list[Refused]) -> str:
    """The note's markdown; every name escaped (a file name is the student's text: no markup, no HTML)."""
    lines = "\n".join(f"- {_escape(r.note)}" for r in refused)
    return f"**⚠ Files the grader refused:**\n\n{lines}"


def _escape(text: str) -> str:
    """``text`` shown literally in markdown (and the HTML it becomes), on one line.

    >>> print(_escape("<img src=x>*a*"))
    &lt;img src=x&gt;\\*a\\*
    """
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~>])", r"\\\1", html.escape(text, quote=True))
