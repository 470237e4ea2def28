"""Verdicts: what the answer engine concluded about one answer or one derivation.

>>> Verdict.from_dict(Verdict("equivalent", True, accepted=True).to_dict()).accepted
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

STATUSES = ("equivalent", "not_equivalent", "invalid", "undecided")


@dataclass(frozen=True)
class Verdict:
    """The judgement on one answer against one reference.

    ``equivalent`` is True/False when the engine decided and None only when the
    answer was invalid or the check could not decide (never a silent guess).
    ``accepted`` is what a grader awards: equivalent *and* in the required form.
    ``feedback`` is one sentence for the student and never contains the reference.
    """

    status: str
    equivalent: bool | None
    diagnosis: str | None = None
    feedback: str = ""
    method: str = ""
    answer_latex: str | None = None
    accepted: bool = False
    column: int | None = None  # 1-based column a parse message points at

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"unknown verdict status {self.status!r}")
        expected = {"equivalent": True, "not_equivalent": False}.get(self.status)
        if self.equivalent is not expected:
            raise ValueError(f"status {self.status!r} needs equivalent={expected}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Verdict":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def invalid(diagnosis: str, feedback: str, column: int | None = None) -> Verdict:
    """A verdict for an answer that could not be read.

    >>> invalid("empty", "The answer is empty.").equivalent is None
    True
    """
    return Verdict("invalid", None, diagnosis, feedback, "parse", column=column)


def undecided(feedback: str, method: str = "") -> Verdict:
    """A verdict for a check that could not decide (time or memory limit, too few usable points)."""
    return Verdict("undecided", None, "undecided", feedback, method)


@dataclass(frozen=True)
class DerivationVerdict:
    """The judgement on a chain of steps: each step against the one before it.

    ``steps[i]`` compares step i with step i-1 (``steps[0]`` with ``start`` when
    given, else it only says whether step 0 could be read).
    """

    steps: tuple[Verdict, ...]
    first_invalid: int | None
    final: Verdict | None = None
    start: Verdict | None = field(default=None)

    @property
    def ok(self) -> bool:
        """True when every step follows and the last one matches ``final`` (if given)."""
        return self.first_invalid is None and (self.final is None or self.final.accepted)

    def to_dict(self) -> dict:
        return {
            "steps": [s.to_dict() for s in self.steps],
            "first_invalid": self.first_invalid,
            "final": self.final.to_dict() if self.final else None,
            "ok": self.ok,
        }
