"""Quiz questions: multiple choice, numeric with a tolerance, symbolic; numbers varied per student.

A question's numbers come from the student's id through a hash, so every student
has their own variant, the same on every run, and the grader can rebuild it
from the id alone. Grading returns points and one sentence of feedback.

>>> q = Numeric("q1", "σ'({z}) = ?", params={"z": [0, 1, 2]}, answer="sigma(z)*(1-sigma(z))", points=2)
>>> v = q.variant("alice")
>>> q.grade(str(float(q.expected(v))), v).points
2.0
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

import mpmath
import sympy

from .evaluate import NotNumeric, evaluate
from .parse import Names, ParseError, parse_expression


class QuizError(ValueError):
    """A question an instructor wrote that cannot be asked (not a student error)."""


@dataclass(frozen=True)
class QuestionResult:
    question: str
    points: float
    max_points: float
    feedback: str

    def __post_init__(self):
        object.__setattr__(self, "points", float(self.points))
        object.__setattr__(self, "max_points", float(self.max_points))

    def to_dict(self) -> dict:
        return {"question": self.question, "points": self.points, "max_points": self.max_points,
                "feedback": self.feedback}


def normalize_id(student_id) -> str:
    """Student ids compare without case and surrounding spaces; an empty id is refused.

    >>> normalize_id("  Alice ")
    'alice'
    """
    text = str(student_id or "").strip().lower()
    if not text:
        raise ValueError("enter your student id in the marked cell before answering")
    return text


def _rng(quiz_id: str, question_id: str, student_id: str) -> random.Random:
    digest = hashlib.sha256(f"{quiz_id}\0{question_id}\0{normalize_id(student_id)}".encode()).digest()
    return random.Random(digest)


@dataclass(frozen=True)
class Choice:
    """Multiple choice; with several correct options, each wrong pick cancels a right one."""

    id: str
    prompt: str
    options: tuple[str, ...]
    correct: frozenset[int]
    points: float = 1.0
    shuffle: bool = True
    quiz_id: str = "quiz"

    def __post_init__(self):
        if not self.correct or not all(0 <= i < len(self.options) for i in self.correct):
            raise QuizError(f"question {self.id}: the correct options must be among 0..{len(self.options) - 1}")

    @property
    def multiple(self) -> bool:
        return len(self.correct) > 1

    def variant(self, student_id) -> dict:
        """The order the options are shown in (letters a, b, c, … map to original indices)."""
        order = list(range(len(self.options)))
        if self.shuffle:
            _rng(self.quiz_id, self.id, student_id).shuffle(order)
        return {"order": order}

    def shown(self, variant: dict) -> list[str]:
        return [self.options[i] for i in variant["order"]]

    def picked(self, answer, variant: dict) -> frozenset | None:
        """The options ``answer`` picks, as indices into ``options`` (the same for every order they were shown
        in); None when it names no option that exists.

        >>> Choice("q", "?", ("x", "y", "z"), frozenset({0})).picked("b", {"order": [2, 0, 1]})
        frozenset({0})
        """
        letters = _letters(answer)
        if letters is None or any(ord(c) - 97 >= len(self.options) for c in letters):
            return None
        return frozenset(variant["order"][ord(c) - 97] for c in letters)

    def grade(self, answer, variant: dict) -> QuestionResult:
        """``answer``: letters as shown ("b", "a,c", ["a", "c"]) for this student's order."""
        if _letters(answer) is None:
            return QuestionResult(self.id, 0.0, self.points, "Answer with the letter(s) of your choice, e.g. 'b' or 'a, c'.")
        picked = self.picked(answer, variant)
        if picked is None:
            return QuestionResult(self.id, 0.0, self.points,
                                  f"There are only options a–{chr(96 + len(self.options))}.")
        if not self.multiple and len(picked) != 1:
            return QuestionResult(self.id, 0.0, self.points, "Pick exactly one option.")
        right, wrong = len(picked & self.correct), len(picked - self.correct)
        score = self.points * max(0, right - wrong) / len(self.correct)
        if score == self.points:
            return QuestionResult(self.id, score, self.points, "Correct.")
        if score > 0:
            return QuestionResult(self.id, score, self.points,
                                  f"Partly right: {right} of {len(self.correct)} correct options, {wrong} wrong.")
        return QuestionResult(self.id, 0.0, self.points, "Not correct." if not self.multiple else
                              "Not correct: check each option against the definitions.")


def _letters(answer):
    if isinstance(answer, str):
        parts = [p.strip().lower() for p in answer.replace(",", " ").split()]
    elif isinstance(answer, (list, tuple, set)):
        parts = [str(p).strip().lower() for p in answer]
    else:
        return None
    if not parts or not all(len(p) == 1 and p.isalpha() for p in parts):
        return None
    return sorted(set(parts))


@dataclass(frozen=True)
class Numeric:
    """A number computed from per-student parameters; accepted within a relative/absolute tolerance."""

    id: str
    prompt: str  # with {name} placeholders for the parameters
    params: dict  # name -> list of values, or {"min": lo, "max": hi} (integers)
    answer: str  # expression in the parameters giving the right number
    points: float = 1.0
    rel_tol: float = 1e-3
    abs_tol: float = 1e-9
    quiz_id: str = "quiz"
    names: Names = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self):
        object.__setattr__(self, "names", Names.of(self.params))
        try:
            parse_expression(self.answer, self.names)
        except ParseError as exc:
            raise QuizError(f"question {self.id}: answer {self.answer!r}: {exc.message}") from exc

    def variant(self, student_id) -> dict:
        rng = _rng(self.quiz_id, self.id, student_id)
        values = {}
        for name, spec in sorted(self.params.items()):
            if isinstance(spec, dict):
                values[name] = rng.randint(int(spec["min"]), int(spec["max"]))
            else:
                values[name] = rng.choice(list(spec))
        return values

    def text(self, variant: dict) -> str:
        return self.prompt.format(**variant)

    def expected(self, variant: dict):
        expr = parse_expression(self.answer, self.names)
        with mpmath.workdps(30):
            point = {sympy.Symbol(k): mpmath.mpf(v) for k, v in variant.items()}
            return mpmath.re(evaluate(expr, point))

    def close(self, given, want) -> bool:
        """Whether ``given`` is ``want`` within this question's tolerance (relative to ``want``).

        >>> Numeric("q", "{z}", {"z": [1]}, "z").close(1.0005, 1), Numeric("q", "{z}", {"z": [1]}, "z").close(1.01, 1)
        (True, False)
        """
        return abs(given - want) <= max(self.abs_tol, self.rel_tol * abs(want))

    def grade(self, answer, variant: dict) -> QuestionResult:
        """``answer``: a number, or a plain expression of numbers such as '1/4' or 'exp(-1)'."""
        try:
            given = bounded_number(answer)
        except (ParseError, NotNumeric, TypeError, ValueError) as exc:
            message = exc.message if isinstance(exc, ParseError) else str(exc)
            return QuestionResult(self.id, 0.0, self.points, f"Your answer is not a number: {message}.")
        want = self.expected(variant)
        if self.close(given, want):
            return QuestionResult(self.id, self.points, self.points, "Correct.")
        if want != 0 and self.close(-given, want):
            return QuestionResult(self.id, 0.0, self.points, "Not correct: check the sign.")
        return QuestionResult(self.id, 0.0, self.points,
                              f"Not correct (answers within {self.rel_tol:.1%} of the right value are accepted).")


def bounded_number(answer, timeout: float = 2.0):
    """``_number`` in a time- and memory-bounded worker: ``9**9**9**9`` must not hang grading."""
    from .limits import BoundExceeded, run_bounded

    try:
        return run_bounded(_number, (answer,), timeout=timeout)
    except BoundExceeded as exc:
        raise ValueError(f"it could not be evaluated in time ({exc.reason})") from exc


def _number(answer):
    if isinstance(answer, bool) or answer is None:
        raise ValueError(f"expected a number, got {answer!r}")
    if isinstance(answer, (int, float)):
        value = mpmath.mpf(answer)
    else:
        expr = parse_expression(answer if isinstance(answer, str) else answer, Names.of([]))
        with mpmath.workdps(30):
            value = evaluate(expr, {})
    if mpmath.im(value) != 0:
        raise ValueError("a real number is expected")
    return mpmath.re(value)


@dataclass(frozen=True)
class Symbolic:
    """A short symbolic answer judged by the answer engine; parameters become numbers per student."""

    id: str
    prompt: str
    reference: str
    points: float = 1.0
    params: dict = field(default_factory=dict)
    domain: dict = field(default_factory=dict)
    define: dict = field(default_factory=dict)
    symbols: tuple = ()
    forbid: tuple = ("diff", "Derivative", "integrate")
    quiz_id: str = "quiz"
    decimals: str = "exact"  # the course's decimal policy: a lone decimal must be the value (docs/engine.md, "Decimals")

    def variant(self, student_id) -> dict:
        return Numeric(self.id, "", self.params, "0", quiz_id=self.quiz_id).variant(student_id) if self.params else {}

    def text(self, variant: dict) -> str:
        return self.prompt.format(**variant)

    def reference_for(self, variant: dict) -> str:
        ref = self.reference
        for name, value in variant.items():
            ref = _substitute(ref, name, value)
        return ref

    def grade(self, answer, variant: dict) -> QuestionResult:
        from .api import check_equivalent

        v = check_equivalent(answer, self.reference_for(variant), domain=self.domain, define=self.define,
                             symbols=self.symbols, forbid=self.forbid, decimals=self.decimals)
        return QuestionResult(self.id, self.points if v.accepted else 0.0, self.points, v.feedback)


def _substitute(text: str, name: str, value) -> str:
    import re

    return re.sub(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", f"({value})", text)
