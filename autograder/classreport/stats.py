"""The report's numbers, computed from :class:`~autograder.classreport.records.ClassRecords` (pure functions).

>>> correlation([1, 0, 1, 0], [4, 1, 3, 2])
0.894
>>> correlation([1, 1, 1], [1, 2, 3]) is None  # a step everyone got right separates no one
True
"""

from __future__ import annotations

import math
from collections import Counter

from .records import CATEGORIES

NO_DIAGNOSIS = "(none named)"  # a wrong answer the engine named no slip for


def step_counts(records) -> dict:
    """{step: {answered, right, follow_through, partial, wrong, unreadable, undecided, empty, students}}."""
    counts = {step: dict.fromkeys(CATEGORIES, 0) for step, _, _ in records.steps}
    for o in records.outcomes:
        counts[o.step][o.category] += 1
    for c in counts.values():
        c["students"] = sum(c[k] for k in CATEGORIES)
        c["answered"] = c["students"] - c["empty"]
    return counts


def diagnoses(records) -> dict:
    """{step: Counter of the engine's diagnoses of the answers that did not earn full marks on their own}.

    Follow-through answers count too: their own answer was wrong (their diagnosis is the credit, named as such)."""
    found = {step: Counter() for step, _, _ in records.steps}
    for o in records.outcomes:
        if o.category in ("wrong", "partial", "follow_through", "undecided"):
            found[o.step][o.verdict.get("diagnosis") or NO_DIAGNOSIS] += 1
    return found


def correlation(xs, ys) -> float | None:
    """Pearson's r of two equal-length sequences, to 3 places; None when either does not vary."""
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return round(sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / math.sqrt(sxx * syy), 3)


def step_quality(records) -> dict:
    """{step: {difficulty, discrimination, upper_lower}} over the students whose verdicts were read.

    difficulty: the share of them right on their own (full marks, follow-through not counted);
    discrimination: item-rest correlation, the step's share of points against each student's points on the other
    steps (point-biserial for an all-or-nothing step); upper_lower: share right in the top third minus the bottom
    third by total points."""
    table = records.by_student()
    students = sorted(table)
    totals = {s: sum(o.verdict.get("points") or 0 for o in table[s].values()) for s in students}
    ranked = sorted(students, key=lambda s: totals[s])
    third = max(1, len(ranked) // 3)
    lower, upper = set(ranked[:third]), set(ranked[-third:])
    quality = {}
    for step, _, _ in records.steps:
        here = [s for s in students if step in table[s]]
        right = {s: table[s][step].category == "right" for s in here}
        own = [table[s][step].fraction for s in here]
        rest = [totals[s] - (table[s][step].verdict.get("points") or 0) for s in here]

        def share(group):
            members = [s for s in here if s in group]
            return sum(right[s] for s in members) / len(members) if members else 0.0
        quality[step] = {"difficulty": round(sum(right.values()) / len(here), 3) if here else None,
                         "discrimination": correlation(own, rest),
                         "upper_lower": round(share(upper) - share(lower), 3) if len(ranked) >= 3 else None}
    return quality


def mistakes_together(records) -> list:
    """Pairs of steps whose mistakes go together: [(step a, step b, students wrong on both, phi)], by phi, highest
    first; "wrong" is anything but full marks on one's own (follow-through counts as wrong, it was)."""
    table = records.by_student()
    students = sorted(table)
    steps = [s for s, _, _ in records.steps]
    missed = {step: [0 if step in table[s] and table[s][step].category == "right" else 1 for s in students]
              for step in steps}
    pairs = []
    for i, a in enumerate(steps):
        for b in steps[i + 1:]:
            both = sum(x and y for x, y in zip(missed[a], missed[b]))
            phi = correlation(missed[a], missed[b])
            if both and phi is not None:
                pairs.append((a, b, both, phi))
    return sorted(pairs, key=lambda p: (-p[3], -p[2], p[0], p[1]))


def score_distribution(records) -> dict:
    """{min, median, mean, max, max_score, students} of the gradebook's scores."""
    values = sorted(records.scores.values())
    if not values:
        return {"students": 0, "max_score": records.max_score}
    n = len(values)
    median = values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2
    return {"students": n, "max_score": records.max_score, "min": values[0], "median": median,
            "mean": round(sum(values) / n, 3), "max": values[-1]}


def variant_difficulty(records) -> dict:
    """Quizzes: {question: {variant label: {"students": n, "right": k}}}; {} for an assignment without variants."""
    found: dict = {}
    for o, question, variant in graded_variants(records):
        _tally(found.setdefault(o.step, {}), variant_label(variant), o)
    return {q: dict(sorted(v.items())) for q, v in found.items() if len(v) > 1 or next(iter(v)) != "(one variant)"}


def parameter_difficulty(records) -> dict:
    """Quizzes: {question: {parameter: {value: {"students": n, "right": k}}}}: whether one value of a parameter
    makes a question harder, readable where the variants are too many to compare one by one. A choice question's
    parameter is the letter(s) its right option(s) were shown as (is a right answer shown first easier?)."""
    found: dict = {}
    for o, question, variant in graded_variants(records):
        for name, value in variant_parameters(question, variant).items():
            _tally(found.setdefault(o.step, {}).setdefault(name, {}), str(value), o)
    return {q: {name: dict(sorted(values.items())) for name, values in params.items() if len(values) > 1}
            for q, params in found.items()}


def graded_variants(records):
    """(outcome, question, variant) of each quiz answer: the variant it was graded against, rebuilt from the
    student's id as grading does (``question.variant``)."""
    questions = {q.id: q for q in getattr(records.spec, "questions", ())}
    for o in records.outcomes:
        if o.step in questions:
            yield o, questions[o.step], questions[o.step].variant(o.student)


def _tally(table: dict, label: str, outcome) -> None:
    """Count ``outcome`` under ``label`` of ``table``: one more student, one more right if it was."""
    cell = table.setdefault(label, {"students": 0, "right": 0})
    cell["students"] += 1
    cell["right"] += outcome.category == "right"


def variant_parameters(question, variant: dict) -> dict:
    """A variant's parameters one by one; of a choice question, the letters its right options were shown as.

    >>> from autograder.quiz import Choice
    >>> variant_parameters(Choice("q", "?", ("x", "y", "z"), frozenset({0})), {"order": [2, 0, 1]})
    {'right option shown as': 'b'}
    """
    if set(variant) == {"order"}:
        letters = [chr(97 + i) for i, option in enumerate(variant["order"]) if option in question.correct]
        return {"right option shown as": ", ".join(letters)}
    return dict(variant)


def variant_label(variant: dict) -> str:
    """A variant as text: its parameters, or the order options were shown in.

    >>> variant_label({"b": 3, "a": 2}), variant_label({"order": [2, 0, 1]}), variant_label({})
    ('a=2, b=3', 'options shown c, a, b', '(one variant)')
    """
    if not variant:
        return "(one variant)"
    if set(variant) == {"order"}:
        return "options shown " + ", ".join(chr(97 + i) for i in variant["order"])
    return ", ".join(f"{k}={v}" for k, v in sorted(variant.items()))
