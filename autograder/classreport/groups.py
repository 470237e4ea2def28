"""The wrong answers a class gave again and again, grouped by mathematical equivalence with the engine.

Answers are first grouped by their text (spaces aside); the most frequent distinct texts are then merged when the
engine's :func:`~autograder.check_equivalent` says one equals another (under the step's domain and definitions),
within bounds: at most ``MAX_DISTINCT`` texts per step are compared, each comparison with a short timeout, so a
class of any size costs a bounded number of checks per step. The rest stay groups of their own text.

>>> text_key(" (y - a) / a ")
'(y-a)/a'
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

MAX_DISTINCT = 12  # distinct wrong texts per step compared with the engine (the most frequent ones)
CHECK_TIMEOUT = 1.0  # seconds per comparison
WRONG = ("wrong", "partial", "follow_through", "undecided")  # whose own answer was not right (compared)
GROUPED = WRONG + ("unreadable",)  # ...and answers the engine could not read, grouped by their text only


@dataclass
class AnswerGroup:
    """Wrong answers equal to each other: the most frequent text shown, how many gave one, what they read."""

    text: str
    latex: str | None
    count: int = 0
    texts: Counter = field(default_factory=Counter)
    diagnosis: str | None = None
    feedback: Counter = field(default_factory=Counter)
    students: list = field(default_factory=list)
    comparable: bool = True  # False for answers the engine could not read: they group by text alone

    def to_dict(self) -> dict:
        return {"answer": self.text, "readable": self.comparable, "latex": self.latex, "count": self.count, "diagnosis": self.diagnosis,
                "forms": dict(self.texts), "feedback": dict(self.feedback), "students": sorted(self.students)}


def text_key(text: str) -> str:
    """An answer's text without spaces: the same text typed with other spacing is the same answer."""
    return "".join(str(text).split())


def wrong_answer_groups(records, equal=None) -> dict:
    """{step: [AnswerGroup] by count, largest first} of the answers that were not right on their own
    (unreadable ones too, by their text).

    ``equal(a, b, step)`` says whether two answer texts are equal (default: the engine, :func:`engine_equal`)."""
    equal = equal or engine_equal(records.spec)
    by_step: dict = {}
    for o in records.outcomes:
        text = o.verdict.get("answer_text")
        if o.category in GROUPED and text and not o.verdict.get("lines"):  # derivations: per line, not grouped here
            by_step.setdefault(o.step, []).append(o)
    return {step: _merge(step, outcomes, equal) for step, outcomes in by_step.items()}


def _merge(step: str, outcomes: list, equal) -> list:
    """Group ``outcomes`` by text, then merge the ``MAX_DISTINCT`` most frequent texts that the engine finds equal."""
    by_text: dict = {}
    for o in outcomes:
        by_text.setdefault(text_key(o.verdict["answer_text"]), []).append(o)
    ordered = sorted(by_text.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    groups: list = []  # [(representative key, AnswerGroup)]
    for rank, (key, members) in enumerate(ordered):
        home = None
        if rank < MAX_DISTINCT and members[0].category in WRONG:
            home = next((g for rep, g in groups[:MAX_DISTINCT]
                         if g.comparable and equal(key, rep, step)), None)
        if home is None:
            first = members[0].verdict
            home = AnswerGroup(first["answer_text"], first.get("answer_latex"), diagnosis=first.get("diagnosis"),
                               comparable=members[0].category in WRONG)
            groups.append((key, home))
        for o in members:
            home.count += 1
            home.texts[o.verdict["answer_text"]] += 1
            home.feedback[str(o.verdict.get("feedback") or "")] += 1
            home.students.append(o.student)
    return sorted((g for _, g in groups), key=lambda g: (-g.count, g.text))


def engine_equal(spec):
    """``equal(a, b, step)``: the engine's verdict that answer ``a`` equals ``b`` as the step's reference would be
    compared (its domain, definitions, symbols), bounded by ``CHECK_TIMEOUT``; False for a step the spec lacks."""
    from autograder import check_equivalent
    from autograder.api import _without_name  # "dL_da = …" written as an answer: the expression after the name

    steps = {s.id: s for s in getattr(spec, "steps", ())}
    engine = spec.engine_kwargs() if hasattr(spec, "engine_kwargs") else {}

    def equal(a: str, b: str, step: str) -> bool:
        if step not in steps:
            return False
        quantity = (steps[step].variable, step)
        return check_equivalent(a, _without_name(b, quantity)[0], timeout=CHECK_TIMEOUT, quantity=quantity, decimals="exact",
                                **engine).status == "equivalent"
    return equal
