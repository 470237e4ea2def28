"""Judge an assignment's autograded submissions again after its spec changed, without a kernel.

``JudgeAnswers`` keeps, in each check cell's metadata, what the kernel recorded there (the answers, any error).
Regrading reads that back, judges it against the current spec exactly as autograding does (same function,
:func:`autograder.nbgrader.judge.judge_notebook`), rewrites the autograded notebook's outputs, and sets each
grade's ``auto_score`` (and a grade cell's ``max_score`` when the spec's points changed) through nbgrader's
Gradebook API. Each autograded notebook records the SHA-256 of the spec that judged it.

Only what the grader wrote is read: the records of the check cells (the cells whose locked source records an
answer), under the grader's seal (:mod:`autograder.nbgrader.seal`). Metadata a student put on any other cell is
never looked at; a notebook whose seal is missing or does not match is reported, to be graded again.

>>> Change("alice", "ps1", "dL_da", 0.0, 2.0, 2.0, "Correct.").delta
2.0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.protocol import CHECK_SUFFIX, KERNEL_KEY, METADATA_KEY, SPEC_HASH_KEY, recorded_step

from .judge import judge_notebook, spec_hash, spec_path
from .seal import broken_seal, judge_key, key_path, seal


@dataclass(frozen=True)
class Change:
    """One grade that regrading changed: ``old`` → ``new`` points (``max_points`` as the spec now says)."""

    student: str
    notebook: str
    step: str
    old: float | None
    new: float
    max_points: float
    feedback: str
    manual: float | None = None  # a manual score the instructor gave, which nbgrader keeps counting

    @property
    def delta(self) -> float:
        return self.new - (self.old or 0.0)


@dataclass
class Report:
    """What a regrade did: the changed grades, the submissions judged, those that could not be, the spec's hash."""

    spec_sha256: str
    changes: list = field(default_factory=list)
    regraded: list = field(default_factory=list)  # student ids
    skipped: dict = field(default_factory=dict)  # student id -> why
    previous_hashes: dict = field(default_factory=dict)  # student id -> hash of the spec that judged it before


def autograded_students(coursedir, assignment: str, students=None) -> list[str]:
    """Students with an autograded copy of ``assignment``; a requested student without one is an error."""
    from autograder.grading.submissions import students_with

    return students_with(Path(coursedir.root) / coursedir.autograded_directory, assignment, students,
                         "autograded")


def regrade(config, assignment: str, students=None) -> Report:
    """Judge every autograded submission of ``assignment`` (or of ``students``) again against the current spec;
    update the autograded notebooks and the gradebook named by ``config`` (nbgrader's)."""
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.apps import NbGraderAPI

    coursedir = NbGraderAPI(config=config).coursedir
    path = spec_path(config, assignment)
    report = Report(spec_hash(path))
    key = judge_key(key_path(config))
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        for student in autograded_students(coursedir, assignment, students):
            folder = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
            notebooks, why = _read_judged(sorted(folder.glob("*.ipynb")), key, student, assignment)
            if why:
                report.skipped[student] = why
                continue
            for nb_path, nb in notebooks.items():
                try:
                    submitted = gb.find_submission_notebook(nb_path.stem, assignment, student)
                except MissingEntry:
                    report.skipped[student] = "no gradebook entry for this notebook: grade it first"
                    break
                report.previous_hashes[student] = nb.metadata.get(METADATA_KEY, {}).get(SPEC_HASH_KEY)
                before = _judged_state(nb)
                results = judge_notebook(nb, path, student, recorded_in_metadata=True)
                grades = {g.name: g for g in submitted.grades}
                for step, result in results.items():
                    grade = grades.get(f"{step}{CHECK_SUFFIX}")
                    if grade is None:
                        continue  # a check cell the gradebook does not know: nbgrader never scored it
                    _set_points(nb, f"{step}{CHECK_SUFFIX}", result.max_points)
                    if grade.cell.max_score != result.max_points:
                        grade.cell.max_score = result.max_points
                    if grade.auto_score != result.points:
                        report.changes.append(Change(student, nb_path.stem, step, grade.auto_score, result.points,
                                                     result.max_points, result.feedback, grade.manual_score))
                        grade.auto_score = result.points
                if _judged_state(nb) != before:  # unchanged verdicts and spec: the file stays as it is
                    seal(nb, key, (student, assignment, nb_path.stem))
                    nbformat.write(nb, nb_path)
            else:
                report.regraded.append(student)
            gb.db.commit()
    return report


def _read_judged(paths, key: bytes, student: str, assignment: str) -> tuple[dict, str | None]:
    """The autograded notebooks ({path: notebook}), or why they cannot be judged again without a kernel."""
    if not paths:
        return {}, "no autograded notebook"
    notebooks = {}
    for nb_path in paths:
        try:
            nb = nbformat.read(nb_path, as_version=4)
        except Exception as exc:  # one broken file is that student's problem, reported, never the batch's
            return {}, f"{nb_path.name} cannot be read ({type(exc).__name__})"
        why = broken_seal(nb, key, (student, assignment, nb_path.stem))
        if why:
            return {}, f"{nb_path.name}: {why}: grade it again (autograder grade {assignment} --force " \
                       f"--students {student})"
        checks = [c for c in nb.cells if recorded_step(c) is not None]  # never a cell the student made up
        if not all(KERNEL_KEY in c.metadata.get(METADATA_KEY, {}) for c in checks):
            return {}, f"{nb_path.name} was graded before answers were kept for regrading: grade it again"
        notebooks[nb_path] = nb
    return notebooks, None


def _judged_state(nb) -> list:
    """What judging writes into a notebook: the spec's hash and each cell's verdict, outputs and points."""
    return [nb.metadata.get(METADATA_KEY, {}).get(SPEC_HASH_KEY)] + [
        (c.metadata.get(METADATA_KEY), c.get("outputs"), c.metadata.get("nbgrader", {}).get("points"))
        for c in nb.cells if recorded_step(c) is not None]


def _set_points(nb, grade_id: str, points: float) -> None:
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") == grade_id and meta.get("grade"):
            meta["points"] = points
