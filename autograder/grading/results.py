"""What grading one submission came to (a typed result), and what a whole run of the batch came to.

A result crosses process and machine boundaries (a Dask worker pickles it back), so it holds only plain values.

>>> r = GradingResult.failed("ada", "hw", "grading took longer than 8 s")
>>> r.outcome, r.ok, r.message
(<Outcome.FAILED: 'failed'>, False, 'grading took longer than 8 s')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Outcome(Enum):
    """What became of one submission in this run."""

    GRADED = "graded"  # graded in this run: its grades are in the gradebook, its mark written
    FAILED = "failed"  # not graded (nbgrader failed, a limit was hit, the gradebook went away): nothing half-written
    KEPT = "kept"  # graded by an earlier run and unchanged since: left as it was


@dataclass(frozen=True)
class GradingResult:
    """One submission's result: its score when graded, the reason when not, and how the grading went."""

    student: str
    assignment: str
    outcome: Outcome
    score: float | None = None  # None: not graded in this run, or kept from a run that recorded none
    max_score: float | None = None
    seconds: float = 0.0  # wall time of the grading, kernel included
    peak_rss_mb: float = 0.0  # the grading process's peak resident memory (the kernel not counted)
    sandbox: str = ""  # how its kernels ran, as the graded notebooks record it ("bubblewrap …", "none …")
    repairs: tuple[str, ...] = ()  # what was put right in the submission before grading, one sentence each
    error: str = ""  # why it failed: one line for the instructor
    gradebook_faults: tuple[str, ...] = ()  # gradebook faults it was graded again after (empty: none)
    gradebook_down: str = ""  # set when the gradebook stayed away: why the batch stopped

    @classmethod
    def graded(cls, record: dict, faults=()) -> "GradingResult":
        """From the record a grading writes into its mark (``grade_one.grade_submission``)."""
        return cls._from_record(record["student"], record["assignment"], record, Outcome.GRADED,
                                gradebook_faults=tuple(faults))

    @classmethod
    def kept(cls, student: str, assignment: str, record: dict | None) -> "GradingResult":
        """From the mark an earlier run left (None, or fields missing: shown as unknown, the grade stays).

        >>> GradingResult.kept("ada", "hw", {"score": 3, "max_score": "x"}).score_text
        '3 / ?'
        """
        return cls._from_record(student, assignment, record or {}, Outcome.KEPT)

    @classmethod
    def failed(cls, student: str, assignment: str, error: str, *, seconds: float = 0.0, faults=(),
               gradebook_down: str = "") -> "GradingResult":
        return cls(student, assignment, Outcome.FAILED, seconds=seconds, error=error, gradebook_faults=tuple(faults),
                   gradebook_down=gradebook_down)

    @classmethod
    def _from_record(cls, student: str, assignment: str, record: dict, outcome: Outcome, **more) -> "GradingResult":
        return cls(student, assignment, outcome, score=_number(record.get("score")),
                   max_score=_number(record.get("max_score")), seconds=_number(record.get("seconds")) or 0.0,
                   peak_rss_mb=_number(record.get("peak_rss_mb")) or 0.0, sandbox=str(record.get("sandbox") or ""),
                   repairs=tuple(map(str, record.get("repairs") or ())), **more)

    @property
    def score_text(self) -> str:
        """``3 / 3``, ``–`` when there is no score.

        >>> GradingResult("ada", "hw", Outcome.GRADED, 2.5, 3.0).score_text
        '2.5 / 3'
        >>> GradingResult("bo", "hw", Outcome.FAILED).score_text
        '–'
        """
        if self.score is None:
            return "–"
        return f"{self.score:g} / " + ("?" if self.max_score is None else f"{self.max_score:g}")

    @property
    def ok(self) -> bool:
        """Graded now or kept: the student has a grade."""
        return self.outcome is not Outcome.FAILED

    @property
    def unsandboxed(self) -> bool:
        """Its kernels ran without the sandbox (an opt-out, recorded)."""
        return self.sandbox.startswith("none")

    @property
    def message(self) -> str:
        """The one line the instructor reads beside it: the error, else the repairs and a regrading after a fault.

        >>> GradingResult("ada", "hw", Outcome.GRADED, repairs=("a cell put back",), gradebook_faults=("x",)).message
        'a cell put back; graded again after a gradebook fault'
        """
        if self.error:
            return self.error
        return "; ".join([*self.repairs, *(["graded again after a gradebook fault"] if self.gradebook_faults else [])])


@dataclass
class BatchResult:
    """What one run of ``autograder grade`` came to: the results of this run, and the submissions it kept."""

    results: list[GradingResult] = field(default_factory=list)  # one per submission handled in this run
    kept: list[GradingResult] = field(default_factory=list)  # already graded (kept as they were)
    seconds: float = 0.0  # wall time of the grading, from the first submission started to the last finished

    def add(self, result: GradingResult) -> None:
        self.results.append(result)

    @property
    def failed(self) -> list[GradingResult]:
        return [r for r in self.results if r.outcome is Outcome.FAILED]

    @property
    def graded_again(self) -> int:
        """How many of this run's gradings were done again after a gradebook fault."""
        return sum(bool(r.gradebook_faults) for r in self.results)

    @property
    def stopped_by(self) -> str:
        """Why the gradebook stopped the batch, or "" when it did not."""
        return next((r.gradebook_down for r in self.results if r.gradebook_down), "")

    @property
    def unsandboxed(self) -> bool:
        return any(r.unsandboxed for r in self.results)

    def every_student(self) -> list[GradingResult]:
        """This run's results and the kept ones, by student."""
        return sorted(self.results + self.kept, key=lambda r: r.student)

    @property
    def exit_code(self) -> int:
        """The command's: 1 if any submission failed, else 0."""
        return 1 if self.failed else 0


def _number(value) -> float | None:
    """``value`` as a float, or None when it is none (a mark written by another version, or damaged).

    >>> _number("2.5"), _number(None), _number("x")
    (2.5, None, None)
    """
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None
