"""The notebook contract: every name the student's kernel, the build and the grader agree on, in one place.

The kernel module (``autograder.notebook``) writes what is named here into a notebook's outputs and reads the
checks file; the build (``autograder.authoring``) names cells with these suffixes; the grader
(``autograder.nbgrader``, ``autograder.grading``, the commands) reads them back and writes its verdicts under
these metadata keys. This module imports nothing of the package, so every side can import it without the other.

>>> answer_cell_id("dL_da"), check_cell_id("dL_da")
('dL_da-answer', 'dL_da-check')
>>> StepResult("da", "∂a/∂z", 2.0, 2.0, "Correct.").passed
True
"""

from __future__ import annotations

import ast
from dataclasses import asdict, dataclass, field, fields

# --- what the kernel emits ------------------------------------------------------------------------------
ANSWER_MIME = "application/vnd.autograder.answer+json"  # what record_answer emits; the judge reads it
RESULT_MIME = "application/vnd.autograder.result+json"  # what check_step emits; `autograder check` reads it
RECORD_CALL = "record_answer"  # the kernel function a graded check cell calls: record_answer("<step id>", answer)

# --- files and environment ------------------------------------------------------------------------------
CHECKS_SUFFIX = ".checks.json"  # the per-notebook file of sample values, shipped in the release
# set in the environment of a kernel that nbgrader grades (ResilientExecute): there the grader judges every step
# against its reference and replaces the check cells' outputs with its verdicts
GRADING_ENV = "AUTOGRADER_GRADING"

# --- cell ids (nbgrader grade_id) -----------------------------------------------------------------------
ANSWER_SUFFIX = "-answer"  # a step's (or question's) answer cell is "<id>-answer"
CHECK_SUFFIX = "-check"  # a step's graded cell is "<id>-check"; grading, exports and checks read it back
STUDENT_ID_CELL = "student_id" + ANSWER_SUFFIX  # a quiz's cell where the student enters their id

# --- metadata the grader writes (and only the grader: sanitize strips it from submissions) ---------------
METADATA_KEY = "autograder"  # cell.metadata[METADATA_KEY]: the verdict; nb.metadata[METADATA_KEY]: the fields below
KERNEL_KEY = "kernel_outputs"  # cell field: what the kernel recorded in the cell, so regrading needs no kernel
INPUTS_KEY = "judged_inputs"  # cell field: a hash of everything the verdict depends on (regrade re-judges changes)
SPEC_HASH_KEY = "spec_sha256"  # notebook field: the hash of the spec the notebook was judged with
SEAL_KEY = "seal"  # notebook field: hex HMAC-SHA256 over the verdicts (autograder/nbgrader/seal.py)
SANDBOX_KEY = "sandbox"  # notebook field: how the kernel was confined (ResilientExecute)
KERNEL_START_KEY = "kernel"  # notebook field: how the kernel started, forked warm or afresh (ResilientExecute)

# --- step results: StepResult (below) and the diagnoses the scoring rules give it (autograder/scoring.py) ---------
FOLLOW_THROUGH = "follow_through"  # the diagnosis of a step credited for the student's own earlier answers
# ...and of one right for them too but refused it: they were no real attempt, or it only repeats a wrong one
NO_FOLLOW_THROUGH = "no_follow_through"


def answer_cell_id(step_id: str) -> str:
    """The grade_id of the answer cell of ``step_id``."""
    return step_id + ANSWER_SUFFIX


def check_cell_id(step_id: str) -> str:
    """The grade_id of the graded check cell of ``step_id``."""
    return step_id + CHECK_SUFFIX


def recorded_step(cell) -> str | None:
    """The step id of a graded code cell whose source calls ``record_answer("<id>", ...)``, else None.

    >>> from nbformat.v4 import new_code_cell
    >>> c = new_code_cell('check_step("s", s)\\nrecord_answer("s", s)')
    >>> c.metadata["nbgrader"] = {"grade": True, "solution": False}
    >>> recorded_step(c)
    's'
    """
    meta = cell.metadata.get("nbgrader", {})
    if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
        return None
    try:
        tree = ast.parse(cell.source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == RECORD_CALL
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            return node.args[0].value
    return None


@dataclass(frozen=True)
class StepResult:
    """The outcome of one step: points out of ``max_points``, one feedback sentence, the answer as LaTeX.

    ``lines`` (derivation steps only) holds one dict per line: text, latex, ok, feedback.
    ``column`` is the 1-based column a parse message points at, for a caret under ``answer_text``.
    ``status`` is the engine's verdict on the answer itself (``not_equivalent`` for an answer credited by
    follow-through too); None when no verdict was reached.
    ``not_an_attempt`` (a wrong expression answer only): why a later step may not build on it for follow-through
    (a key of ``autograder.scoring.NOT_AN_ATTEMPT``), or None when it may.
    """

    step: str
    title: str
    points: float
    max_points: float
    feedback: str
    answer_text: str | None = None
    answer_latex: str | None = None
    column: int | None = None
    diagnosis: str | None = None
    lines: list = field(default_factory=list)
    status: str | None = None
    not_an_attempt: str | None = None

    @property
    def passed(self) -> bool:
        return self.points >= self.max_points

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "StepResult":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})
