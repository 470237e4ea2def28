"""Grades out of nbgrader's gradebook for an LMS: nbgrader ``export`` plugins (``--exporter``).

``StepExporter`` writes one row per student with one column per step (points), per-assignment totals and,
with ``--StepExporter.feedback=True``, each step's feedback sentence (the verdict grading stored in the
autograded notebook). ``CanvasExporter`` writes Canvas's gradebook import CSV: one column per assignment under
Canvas's five student columns, and its "Points Possible" row.

>>> [c.__name__ for c in (StepExporter, CanvasExporter)]
['StepExporter', 'CanvasExporter']
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from nbgrader.api import MissingEntry
from nbgrader.plugins.export import ExportPlugin
from traitlets import Bool, Dict, Enum, Unicode

from autograder.protocol import CHECK_SUFFIX, METADATA_KEY

# As Canvas's own gradebook export writes them (canvas-lms lib/gradebook_exporter.rb); its importer reads a row
# whose first cell matches /Points Possible/ as the assignments' points, not as a student (gradebook_importer.rb).
CANVAS_STUDENT_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_ROW = "    Points Possible"


def _number(x) -> str:
    """A score as a CSV cell: ``2.0`` → ``'2'``, ``0.5`` → ``'0.5'``, None → ``''``.

    >>> _number(2.0), _number(0.5), _number(None)
    ('2', '0.5', '')
    """
    return "" if x is None else f"{float(x):g}"


class _GradebookExport(ExportPlugin):
    """What both exporters share: the ``--assignment``/``--student`` selection, course paths, the score rule."""

    def selected(self, gradebook):
        """``(assignments, students)`` to export, in nbgrader's order, limited by ``--assignment``/``--student``."""
        wanted_assignments = {str(a) for a in self.assignment}
        wanted_students = {str(s) for s in self.student}
        assignments = [a for a in gradebook.assignments if not wanted_assignments or a.name in wanted_assignments]
        students = [s for s in gradebook.students if not wanted_students or s.id in wanted_students]
        # A typo must not export a file that looks like a class with no grades.
        for kind, wanted, found in (("assignment", wanted_assignments, [a.name for a in assignments]),
                                    ("student", wanted_students, [s.id for s in students])):
            if wanted - set(found):
                self.parent.fail(f"No {kind} named {', '.join(sorted(wanted - set(found)))} in the gradebook "
                                 f"({self.coursedir.db_url})")
        return assignments, students

    @staticmethod
    def score(gradebook, assignment, student) -> float | None:
        """The assignment's score as nbgrader's own ``export`` gives it (late penalty taken off, never below 0);
        None when the student submitted nothing."""
        try:
            submission = gradebook.find_submission(assignment.name, student.id)
        except MissingEntry:
            return None
        return max(0.0, submission.score - (submission.late_submission_penalty or 0.0))

    @property
    def coursedir(self):
        return self.parent.coursedir

    def destination(self, default: str) -> str:
        dest = self.to or default
        self.log.info("Exporting grades to %s", dest)
        return dest


class StepExporter(_GradebookExport):
    """One row per student: each step's points (and optionally feedback), each assignment's score and maximum.

    A step is a grade cell; its column is ``<assignment>:<step>`` (``<assignment>/<notebook>:<step>`` when the
    assignment has several notebooks), in the order of the source notebook.
    """

    feedback = Bool(False, help="Also write each step's feedback sentence, in a column after its points.").tag(
        config=True)

    def export(self, gradebook) -> None:
        assignments, students = self.selected(gradebook)
        steps = {a.name: self.steps(a) for a in assignments}
        header = ["student_id", "last_name", "first_name", "email"]
        for a in assignments:
            for _, _, column in steps[a.name]:
                header += [column] + ([f"{column} feedback"] if self.feedback else [])
            header += [f"{a.name}:score", f"{a.name}:max_score"]
        header += ["score", "max_score"]
        with open(self.destination("steps.csv"), "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            for student in students:
                row = [student.id, student.last_name or "", student.first_name or "", student.email or ""]
                total = 0.0
                for a in assignments:
                    points, sentences = self.student_steps(gradebook, a, student)
                    for notebook, grade_id, _ in steps[a.name]:
                        row.append(_number(points.get((notebook, grade_id))))
                        if self.feedback:
                            row.append(sentences.get((notebook, grade_id), ""))
                    score = self.score(gradebook, a, student)
                    total += score or 0.0
                    row += [_number(0.0 if score is None else score), _number(a.max_score)]
                row += [_number(total), _number(sum(a.max_score for a in assignments))]
                writer.writerow(row)

    def steps(self, assignment) -> list[tuple[str, str, str]]:
        """``(notebook, grade cell name, column)`` for every grade cell of ``assignment``."""
        several = len(assignment.notebooks) > 1
        found = []
        for nb in sorted(assignment.notebooks, key=lambda n: n.name):
            names = self.source_order(assignment.name, nb.name, [g.name for g in nb.grade_cells])
            prefix = f"{assignment.name}/{nb.name}" if several else assignment.name
            found += [(nb.name, name, f"{prefix}:{name.removesuffix(CHECK_SUFFIX)}") for name in names]
        return found

    def source_order(self, assignment: str, notebook: str, names: list[str]) -> list[str]:
        """``names`` in the order their cells have in the source notebook (sorted if it cannot be read)."""
        path = Path(self.coursedir.format_path(self.coursedir.source_directory, ".", assignment)) / f"{notebook}.ipynb"
        try:
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            order = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in cells]
        except (OSError, ValueError, KeyError):
            order = []
        position = {name: i for i, name in enumerate(order) if name}
        return sorted(names, key=lambda n: (position.get(n, len(position)), n))

    def student_steps(self, gradebook, assignment, student) -> tuple[dict, dict]:
        """``{(notebook, grade cell): points}`` from the gradebook and, when ``feedback`` is on,
        ``{(notebook, grade cell): sentence}`` from the autograded notebooks; empty if nothing was submitted."""
        points, sentences = {}, {}
        for nb in assignment.notebooks:
            try:
                submitted = gradebook.find_submission_notebook(nb.name, assignment.name, student.id)
            except MissingEntry:
                continue
            points.update({(nb.name, g.name): g.score for g in submitted.grades})
            if self.feedback:
                sentences.update({(nb.name, k): v for k, v in self.verdicts(assignment.name, nb.name, student.id)})
        return points, sentences

    def verdicts(self, assignment: str, notebook: str, student_id: str):
        """``(grade cell, feedback)`` of every verdict grading stored in the autograded notebook's cell metadata."""
        folder = Path(self.coursedir.format_path(self.coursedir.autograded_directory, student_id, assignment))
        try:
            cells = json.loads((folder / f"{notebook}.ipynb").read_text(encoding="utf-8"))["cells"]
        except (OSError, ValueError, KeyError) as error:
            self.log.warning("No feedback for %s/%s/%s: %s", student_id, assignment, notebook, error)
            return
        for cell in cells:
            metadata = cell.get("metadata", {})
            verdict, grade_id = metadata.get(METADATA_KEY), metadata.get("nbgrader", {}).get("grade_id")
            if isinstance(verdict, dict) and grade_id:
                yield grade_id, str(verdict.get("feedback", ""))


class CanvasExporter(_GradebookExport):
    """Canvas's gradebook import CSV: ``Student, ID, SIS User ID, SIS Login ID, Section``, one column per
    assignment, the ``Points Possible`` row (each assignment's maximum), then one row per student.

    Student is "Last, First" as Canvas writes it; ID is nbgrader's ``lms_user_id`` (Canvas's user id, empty when
    unknown); SIS User ID is the nbgrader student id. Canvas matches a column to an existing assignment by
    ``Name (canvas id)``: map names with ``--CanvasExporter.assignment_ids='{"ps1": "12345"}'``; a column Canvas
    does not know becomes a new assignment on import.
    """

    assignment_ids = Dict({}, help="nbgrader assignment name -> Canvas assignment id").tag(config=True)
    sis_login_id = Enum(["", "email", "id"], default_value="",
                        help="What to write as SIS Login ID: nothing, the student's email, or the student id.").tag(
        config=True)
    section = Unicode("", help="Section written for every student (Canvas's Section column)").tag(config=True)

    def export(self, gradebook) -> None:
        assignments, students = self.selected(gradebook)
        columns = [f"{a.name} ({self.assignment_ids[a.name]})" if a.name in self.assignment_ids else a.name
                   for a in assignments]
        with open(self.destination("canvas_grades.csv"), "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(CANVAS_STUDENT_COLUMNS + columns)
            writer.writerow([CANVAS_POINTS_ROW, "", "", "", ""] + [_number(a.max_score) for a in assignments])
            for student in students:
                name = ", ".join(n for n in (student.last_name, student.first_name) if n) or student.id
                login = {"": "", "email": student.email or "", "id": student.id}[self.sis_login_id]
                scores = [self.score(gradebook, a, student) for a in assignments]
                writer.writerow([name, student.lms_user_id or "", student.id, login, self.section]
                                + [_number(0.0 if s is None else s) for s in scores])
