"""A graded class as the report reads it: each student's verdict per step and score, with no kernel and no regrading.

The verdicts are the ones grading wrote into each autograded notebook's check cells (``JudgeAnswers``), read back
only under the grader's seal, exactly as ``autograder regrade`` reads them (:func:`read_judged`): metadata a
student wrote is never counted. The scores are the gradebook's.

>>> category({"points": 2.0, "max_points": 2.0, "diagnosis": None, "status": "equivalent"})
'right'
>>> category({"points": 0.0, "max_points": 2.0, "diagnosis": "sign_error", "status": "not_equivalent"})
'wrong'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from autograder.protocol import FOLLOW_THROUGH

# Each step's outcome for one student, in the order the report shows them.
CATEGORIES = ("right", FOLLOW_THROUGH, "partial", "wrong", "unreadable", "undecided", "empty")


@dataclass(frozen=True)
class Outcome:
    """One student's verdict on one step, as grading recorded it (``verdict`` is StepResult.to_dict())."""

    student: str
    step: str
    verdict: dict

    @property
    def category(self) -> str:
        return category(self.verdict)

    @property
    def fraction(self) -> float:
        """Points as a share of the step's maximum (0 for a step worth nothing)."""
        top = float(self.verdict.get("max_points") or 0)
        return float(self.verdict.get("points") or 0) / top if top else 0.0


@dataclass
class ClassRecords:
    """Everything the report counts for one assignment."""

    assignment: str
    steps: list = field(default_factory=list)  # [(step id, title, max points)] in notebook order
    outcomes: list = field(default_factory=list)  # [Outcome]
    scores: dict = field(default_factory=dict)  # student -> the gradebook's score of the assignment
    max_score: float = 0.0
    unread: dict = field(default_factory=dict)  # student -> why their verdicts are not counted
    spec: object = None  # the assignment's Spec or QuizSpec, for the engine's settings when grouping answers

    def by_student(self) -> dict:
        """{student: {step: Outcome}}."""
        table: dict = {}
        for o in self.outcomes:
            table.setdefault(o.student, {})[o.step] = o
        return table


def category(verdict: dict) -> str:
    """Which of :data:`CATEGORIES` a recorded verdict is.

    >>> category({"points": 1.0, "max_points": 2.0, "diagnosis": "follow_through", "status": "not_equivalent"})
    'follow_through'
    >>> category({"points": 0.0, "max_points": 2.0, "answer_text": None, "status": None})
    'empty'
    """
    points, top = float(verdict.get("points") or 0), float(verdict.get("max_points") or 0)
    if verdict.get("diagnosis") == FOLLOW_THROUGH and points > 0:
        return "follow_through"
    if top and points >= top:
        return "right"
    if points > 0:
        return "partial"
    status = verdict.get("status")
    if status == "invalid":
        return "unreadable"
    if status == "undecided":
        return "undecided"
    if status is None and not verdict.get("answer_text") and not verdict.get("lines"):
        return "empty"  # nothing recorded, still None, forbidden code: no answer the engine could read
    return "wrong"


def read_class(config, assignment: str) -> ClassRecords:
    """The class of ``assignment`` in the course of ``config`` (nbgrader's): gradebook scores and sealed verdicts."""
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.apps import NbGraderAPI

    from autograder.nbgrader.judge import _read_spec, spec_hash, spec_path
    from autograder.nbgrader.regrade import _read_judged
    from autograder.nbgrader.seal import judge_key, key_path
    from autograder.protocol import INPUTS_KEY, KERNEL_KEY, METADATA_KEY, recorded_step

    coursedir = NbGraderAPI(config=config).coursedir
    path = spec_path(config, assignment)
    records = ClassRecords(assignment, spec=_read_spec(str(path), spec_hash(path)))
    key = judge_key(key_path(config))
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        try:
            records.max_score = float(gb.find_assignment(assignment).max_score)
        except MissingEntry:
            raise FileNotFoundError(f"no assignment {assignment!r} in the gradebook ({coursedir.db_url}): "
                                    "grade it first") from None
        for student in sorted(s.id for s in gb.students):
            try:
                records.scores[student] = float(gb.find_submission(assignment, student).score)
            except MissingEntry:
                continue  # nothing submitted: not part of this assignment's class
    for student in records.scores:
        folder = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
        notebooks, why = _read_judged(sorted(folder.glob("*.ipynb")), key, student, assignment)
        if why:
            records.unread[student] = why
            continue
        for nb in notebooks.values():
            for cell in nb.cells:
                step = recorded_step(cell)
                verdict = cell.metadata.get(METADATA_KEY) if step is not None else None
                if not isinstance(verdict, dict):
                    continue
                verdict = {k: v for k, v in verdict.items() if k not in (KERNEL_KEY, INPUTS_KEY)}
                if step not in [s[0] for s in records.steps]:
                    records.steps.append((step, str(verdict.get("title") or step),
                                          float(verdict.get("max_points") or 0)))
                records.outcomes.append(Outcome(student, step, verdict))
    order = [s.id for s in getattr(records.spec, "steps", None) or getattr(records.spec, "questions", ())]
    records.steps.sort(key=lambda s: order.index(s[0]) if s[0] in order else len(order))
    return records
