"""The wrong answers a class gave again and again, grouped by what they mean, not by how they were typed.

Each answer that was not right on its own is first *read* as its step's kind asks (:class:`Reader`):

- an expression step, or a symbolic quiz question: its text, compared with the engine's ``check_equivalent`` (a
  symbolic quiz answer is read by the engine first, for its LaTeX and whether it can be read at all);
- a derivation: the line where it went wrong (the first that does not follow; the last when every line follows
  but the result is not simplified), compared with the engine;
- a choice question: the options picked, whatever letters this student's shuffled order gave them;
- a numeric question: the number's value (evaluated by the engine, bounded), for the student's variant only (the
  same number answers another question in another variant), compared within the question's tolerance.

Answers read alike (same text spaces aside, same options, same value) are one group at once; the most frequent
distinct readings of a step are then merged when ``equal`` says they are equal, within bounds: at most
``MAX_DISTINCT`` per step are compared, each engine comparison with a short timeout, so a class of any size costs a
bounded number of checks per step. The rest stay groups of their own. Answers the engine could not read are
grouped by their text alone.

>>> text_key(" (y - a) / a ")
'(y-a)/a'
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

MAX_DISTINCT = 12  # distinct wrong readings per step compared with `equal` (the most frequent ones)
CHECK_TIMEOUT = 1.0  # seconds per engine comparison
WRONG = ("wrong", "partial", "follow_through", "undecided")  # whose own answer was not right (compared)
GROUPED = WRONG + ("unreadable",)  # ...and answers the engine could not read, grouped by their text only


@dataclass(frozen=True)
class Reading:
    """One wrong answer as the report groups it.

    ``key``: readings with equal keys are the same answer, nothing asked; ``text``: what the student wrote (of a
    derivation, the line that went wrong); ``compared``: what ``equal`` compares with another reading's, or None
    for an answer grouped by its key alone; ``variant``: the quiz variant the answer is a value for, if that
    matters to what it means."""

    key: tuple
    text: str
    latex: str | None = None
    compared: object = None
    readable: bool = True
    variant: str | None = None


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
    readable: bool = True  # False for answers the engine could not read: they group by text alone
    variant: str | None = None  # a numeric quiz answer: the variant its value answers

    def to_dict(self) -> dict:
        return {"answer": self.text, "readable": self.readable, "latex": self.latex, "count": self.count,
                "diagnosis": self.diagnosis, "variant": self.variant, "forms": dict(self.texts),
                "feedback": dict(self.feedback), "students": sorted(self.students)}


def text_key(text: str) -> str:
    """An answer's text without spaces: the same text typed with other spacing is the same answer."""
    return "".join(str(text).split())


class Reader:
    """Reads each wrong answer of an assignment (``spec``: its Spec or QuizSpec) as its step's kind asks."""

    def __init__(self, spec):
        self.questions = {q.id: q for q in getattr(spec, "questions", ())}
        self._values: dict = {}  # answer text -> its number, or None (not a number): each text evaluated once
        self._read: dict = {}  # symbolic answer text -> the engine's reading of it: each text read once

    def read(self, outcome) -> Reading | None:
        """``outcome``'s answer as a :class:`Reading`; None when there is no answer text to group."""
        from autograder.quiz import Choice, Numeric, Symbolic

        verdict = outcome.verdict
        if verdict.get("lines"):
            return derivation_reading(verdict["lines"])
        text = verdict.get("answer_text")
        if not text:
            return None
        if outcome.category == "unreadable":
            return as_typed(text, verdict.get("answer_latex"))
        question = self.questions.get(outcome.step)
        if isinstance(question, Choice):
            return self._choice(question, outcome.student, text)
        if isinstance(question, Numeric):
            return self._number(question, outcome.student, text)
        if isinstance(question, Symbolic):
            return self._expression(question, text)
        return Reading(("text", text_key(text)), text, verdict.get("answer_latex"), compared=text)

    def _expression(self, question, text: str) -> Reading:
        """A symbolic quiz answer: the quiz records no LaTeX and no readability, so the engine reads it here."""
        from autograder.api import read_answer

        if text not in self._read:
            self._read[text] = read_answer(text, timeout=CHECK_TIMEOUT, domain=question.domain,
                                           define=question.define, symbols=question.symbols, forbid=question.forbid)
        verdict = self._read[text]
        if verdict.status == "invalid":
            return as_typed(text)
        return Reading(("text", text_key(text)), text, verdict.answer_latex, compared=text)

    def _choice(self, question, student: str, text: str) -> Reading:
        picked = question.picked(text, question.variant(student))
        if picked is None:  # letters of no option
            return as_typed(text)
        return Reading(("options", tuple(sorted(picked))), "; ".join(question.options[i] for i in sorted(picked)))

    def _number(self, question, student: str, text: str) -> Reading:
        from .stats import variant_label

        value = self._value(text)
        if value is None:
            return as_typed(text)
        label = variant_label(question.variant(student))
        return Reading(("value", label, repr(value)), text, compared=(label, value), variant=label)

    def _value(self, text: str) -> float | None:
        if text not in self._values:
            from autograder.evaluate import NotNumeric
            from autograder.parse import ParseError
            from autograder.quiz import bounded_number

            try:
                self._values[text] = float(bounded_number(text))
            except (ParseError, NotNumeric, TypeError, ValueError, OverflowError):
                self._values[text] = None
        return self._values[text]


def as_typed(text: str, latex: str | None = None) -> Reading:
    """An answer the engine could not read: grouped with the same text (spaces aside) only, never compared."""
    return Reading(("text", text_key(text)), text, latex, readable=False)


def derivation_reading(lines: list) -> Reading:
    """A derivation's line where it went wrong: the first that does not follow, else the last (every line follows
    but the result is not simplified, or there are too few lines).

    >>> derivation_reading([{"text": "a", "latex": "a", "ok": True}, {"text": "b", "latex": None, "ok": False}]).text
    'b'
    """
    line = next((ln for ln in lines if not ln.get("ok")), lines[-1])
    text = str(line.get("text") or "")
    readable = line.get("latex") is not None  # no LaTeX: the engine could not read the line
    return Reading(("line", text_key(text)), text, line.get("latex"), compared=text if readable else None,
                   readable=readable)


def wrong_answer_groups(records, equal=None) -> dict:
    """{step: [AnswerGroup] by count, largest first} of the answers that were not right on their own
    (unreadable ones too, by their text).

    ``equal(a, b, step)`` says whether two readings' ``compared`` values are equal (default: :func:`engine_equal`)."""
    equal = equal or engine_equal(records.spec)
    reader = Reader(records.spec)
    by_step: dict = {}
    for o in records.outcomes:
        reading = reader.read(o) if o.category in GROUPED else None
        if reading is not None:
            by_step.setdefault(o.step, []).append((o, reading))
    return {step: _merge(step, read, equal) for step, read in by_step.items()}


def _merge(step: str, read: list, equal) -> list:
    """Group ``read`` ([(Outcome, Reading)]) by key, then merge the ``MAX_DISTINCT`` most frequent keys that
    ``equal`` finds equal."""
    by_key: dict = {}
    for o, reading in read:
        by_key.setdefault(reading.key, []).append((o, reading))
    ordered = sorted(by_key.values(), key=lambda members: (-len(members), str(members[0][1].key)))
    groups: list = []  # [(representative Reading, AnswerGroup)]
    for rank, members in enumerate(ordered):
        first_outcome, first = members[0]
        home = None
        if rank < MAX_DISTINCT and first.compared is not None:
            home = next((g for rep, g in groups[:MAX_DISTINCT]
                         if rep.compared is not None and equal(first.compared, rep.compared, step)), None)
        if home is None:
            home = AnswerGroup(first.text, first.latex, diagnosis=first_outcome.verdict.get("diagnosis"),
                               readable=first.readable, variant=first.variant)
            groups.append((first, home))
        for o, reading in members:
            home.count += 1
            home.texts[reading.text] += 1
            home.feedback[str(o.verdict.get("feedback") or "")] += 1
            home.students.append(o.student)
    return sorted((g for _, g in groups), key=lambda g: (-g.count, g.text))


def engine_equal(spec):
    """``equal(a, b, step)``: whether two readings of ``step`` are equal. Answer texts: the engine's verdict as the
    step's reference would be compared (its domain, definitions, symbols), bounded by ``CHECK_TIMEOUT``; numbers
    of a numeric question: the same variant and within the question's tolerance. False for a step the spec lacks."""
    from autograder import check_equivalent
    from autograder.api import _without_name  # "dL_da = …" written as an answer: the expression after the name
    from autograder.limits import BoundExceeded
    from autograder.quiz import Numeric, Symbolic

    steps = {s.id: s for s in getattr(spec, "steps", ())}
    questions = {q.id: q for q in getattr(spec, "questions", ())}
    engine = spec.engine_kwargs() if hasattr(spec, "engine_kwargs") else {}

    def verdict(a, b, step: str):
        question = questions.get(step)
        if isinstance(question, Symbolic):
            return check_equivalent(a, b, timeout=CHECK_TIMEOUT, domain=question.domain, define=question.define,
                                    symbols=question.symbols, decimals="exact")
        quantity = (steps[step].variable, step)
        return check_equivalent(a, _without_name(b, quantity)[0], timeout=CHECK_TIMEOUT, quantity=quantity,
                                decimals="exact", **engine)

    def equal(a, b, step: str) -> bool:
        question = questions.get(step)
        if isinstance(question, Numeric):
            return a[0] == b[0] and question.close(a[1], b[1])
        if step not in steps and not isinstance(question, Symbolic):
            return False
        try:
            return verdict(a, b, step).status == "equivalent"
        except (ValueError, BoundExceeded):  # `b`, a student's answer, stands in for the reference here: the
            return False  # engine refuses a reference it cannot read (an instructor's error), and so do we
    return equal
