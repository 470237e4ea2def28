"""Two states of one class side by side: this report against an earlier report's JSON (e.g. made before a spec
change and ``autograder regrade``), per step and per student.

The earlier JSON is read as data and checked for the shape this module wrote: counts must be whole numbers and
scores numbers, or the comparison is refused with what is wrong and where (nothing of it reaches the page
unchecked).

>>> now = {"assignment": "ps1", "steps": [{"step": "s", "counts": {"right": 3}}], "students": {"al": {"score": 2}}}
>>> old = {"assignment": "ps1", "steps": [{"step": "s", "counts": {"right": 1}}], "students": {"al": {"score": 1}}}
>>> r = compare_with(now, old); r["steps"][0]["before"]["right"], r["score_changes"]
(1, {'al': {'before': 1, 'now': 2}})
"""

from __future__ import annotations

from numbers import Real

from .records import CATEGORIES


def compare_with(report: dict, before: dict) -> dict:
    """``report`` with, per step, the counts of ``before`` (an earlier report of the same assignment) under
    ``before``; each student's score then under ``score_before``; and ``score_changes``: {student: {before, now}}
    of the students whose score differs (``before`` None: not in the earlier report)."""
    then_steps, then_scores = earlier_state(before, report["assignment"])
    for s in report["steps"]:
        s["before"] = then_steps.get(s["step"])
    changes = {}
    for student, row in report["students"].items():
        row["score_before"] = then_scores.get(student)
        if row["score_before"] != row["score"]:
            changes[student] = {"before": row["score_before"], "now": row["score"]}
    report["score_changes"] = changes
    return report


def earlier_state(before, assignment: str) -> tuple[dict, dict]:
    """({step: counts}, {student: score}) of an earlier report's JSON data of ``assignment``; ValueError says what
    is not a report's, or whose it is.

    >>> earlier_state({"assignment": "ps1", "steps": [{"step": "s", "counts": {"right": "3"}}], "students": {}}, "ps1")
    Traceback (most recent call last):
    ...
    ValueError: steps[0] (s): counts.right is '3', not a whole number
    """
    if not isinstance(before, dict) or not isinstance(before.get("assignment"), str) \
            or not isinstance(before.get("steps"), list) or not isinstance(before.get("students"), dict):
        raise ValueError("not a report's JSON: it needs `assignment`, a list of `steps` and a table of `students`")
    if before["assignment"] != assignment:
        raise ValueError(f"the earlier report is of {before['assignment']!r}, not {assignment!r}")
    steps = {}
    for i, s in enumerate(before["steps"]):
        if not isinstance(s, dict) or not isinstance(s.get("step"), str) or not isinstance(s.get("counts"), dict):
            raise ValueError(f"steps[{i}] is not a step of a report (it needs `step` and `counts`)")
        for k in CATEGORIES:
            n = s["counts"].get(k, 0)
            if isinstance(n, bool) or not isinstance(n, int):
                raise ValueError(f"steps[{i}] ({s['step']}): counts.{k} is {n!r}, not a whole number")
        steps[s["step"]] = {k: s["counts"].get(k, 0) for k in CATEGORIES}
    scores = {}
    for student, row in before["students"].items():
        score = row.get("score") if isinstance(row, dict) else None
        if isinstance(score, bool) or not isinstance(score, Real):
            raise ValueError(f"students.{student}: score is {score!r}, not a number")
        scores[student] = score
    return steps, scores
