"""The grading step that counts: judge each recorded answer outside the student's kernel.

Runs in nbgrader's own process after ``Execute``. For every graded test cell whose (instructor-restored)
source calls ``record_answer("<step>", ...)`` it takes the recorded answer from that cell's outputs,
judges it against the reference in the instructor's spec (``source/<assignment>/*.spec.toml``, never
shipped and never sent to the kernel), and replaces the cell's outputs with the verdict in the form
nbgrader's ``determine_grade`` scores: full marks → text only, partial → a bare float, zero → an error
whose message is the feedback. Whatever the student's code printed or patched is discarded.
"""

from __future__ import annotations

import ast
import html
from pathlib import Path

from nbformat.v4 import new_output
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from autograder.authoring.build import grading_step
from autograder.authoring.spec import Spec
from autograder.notebook import ANSWER_MIME, caret_lines, result_html

from autograder.authoring.quiz_spec import QuizSpec, is_quiz_spec

from .codescan import first_unsafe_cell, static_objection
from .quiz_judge import judge_question
from .scoring import StepResult, no_answer, score_answer

METADATA_KEY = "autograder"  # cell.metadata[METADATA_KEY] holds the verdict for formgrader and tests


class JudgeAnswers(NbGraderPreprocessor):
    """Replace each answer-recording test cell's outputs with the verdict computed here."""

    spec_glob = Unicode(
        "*.spec.toml",
        help="File pattern, inside source/<assignment>/, of the spec holding the references the judge uses.",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        assignment = resources["nbgrader"]["assignment"]
        spec_path = self._spec_path(assignment)
        if is_quiz_spec(spec_path):
            lookup = _quiz_lookup(QuizSpec.from_file(spec_path), str(resources["nbgrader"].get("student") or ""))
        else:
            lookup = _step_lookup(Spec.from_file(spec_path))
        answer_cells = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
                        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}
        for index, cell in enumerate(nb.cells):
            recorded_id = recorded_step(cell)
            if recorded_id is None:
                continue
            try:
                info, judge = lookup(recorded_id)
            except KeyError as exc:
                raise ValueError(f"{assignment}: a test cell records {recorded_id!r}, which {spec_path} does "
                                 f"not have") from exc
            objection = static_objection(nb, info, index)
            _write_verdict(cell, no_answer(info, objection) if objection else judge(cell, answer_cells))
        _scrub_after_unsafe_code(nb)
        return nb, resources

    def _spec_path(self, assignment: str) -> Path:
        coursedir = CourseDirectory(config=self.config)
        folder = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
        specs = sorted(folder.glob(self.spec_glob))
        if len(specs) != 1:
            raise FileNotFoundError(f"expected one {self.spec_glob} in {folder}, found {len(specs)}")
        return specs[0]


def _step_lookup(spec: Spec):
    """For a recorded step id: its grading info and a judge of (check cell, answer cells) → StepResult.
    KeyError for an id the spec does not have."""
    def lookup(step_id):
        info, reference = grading_step(spec, spec.step(step_id))
        return info, lambda cell, answer_cells: _judge_step(info, reference, spec, cell,
                                                            answer_cells.get(f"{step_id}-answer"))
    return lookup


def _quiz_lookup(quiz: QuizSpec, submitter: str):
    """Like ``_step_lookup`` for quiz questions, judged against the submitter's own variant (see quiz_judge)."""
    def lookup(qid):
        question = quiz.question(qid)

        def judge(cell, answer_cells):
            note = (_error_note(answer_cells.get(f"{qid}-answer"), "your answer cell")
                    or _error_note(answer_cells.get("student_id-answer"), "your student id cell")
                    or _error_note(cell, "the check cell"))
            return judge_question(question, cell, submitter, note)
        return {"id": qid, "title": qid, "points": question.points}, judge
    return lookup


def _judge_step(info, reference, spec, cell, answer_cell) -> StepResult:
    """The last answer the kernel recorded for the step in ``cell``'s outputs, scored against ``reference``."""
    recorded = [o for o in cell.get("outputs", []) if o.get("output_type") == "display_data"
                and o.get("data", {}).get(ANSWER_MIME, {}).get("step") == info["id"]]
    if not recorded:
        note = _error_note(answer_cell, "your answer cell") or _error_note(cell, "the check cell")
        return no_answer(info, "No answer recorded: the cell did not run, raised an error, or the kernel "
                               "died or timed out" + note + ".")
    answer = recorded[-1]["data"][ANSWER_MIME].get("answer")
    return score_answer(info, answer, reference=reference, engine=spec.engine_kwargs())


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
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "record_answer"
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            return node.args[0].value
    return None


def _scrub_after_unsafe_code(nb) -> None:
    """Drop what student cells printed from the first unsafe one on: it could be the references, read from
    disk, and outputs go back to the student in the feedback. Check cells keep the judge's verdict."""
    start = first_unsafe_cell(nb)
    if start is None:
        return
    for cell in nb.cells[start:]:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (not meta or meta.get("solution")) and cell.get("outputs"):
            cell.outputs = [new_output("stream", name="stdout",
                                       text="(output removed by the grader: this cell runs after code that is "
                                            "not allowed in an answer)\n")]


def _error_note(cell, where: str) -> str:
    """`` (where: Ename: message)`` for the last error output of ``cell``, or ""."""
    errors = [o for o in (cell or {}).get("outputs", []) if o.get("output_type") == "error"]
    if not errors:
        return ""
    ename, evalue = errors[-1].get("ename", "Error"), str(errors[-1].get("evalue", ""))[:200]
    return f" ({where}: {ename}: {evalue})" if evalue else f" ({where}: {ename})"


def _write_verdict(cell, result: StepResult) -> None:
    """Outputs nbgrader scores correctly, plus an HTML view with the answer as math for the feedback page."""
    outputs = [new_output("display_data", data={"text/html": result_html(result), "text/plain": _summary(result)})]
    if result.passed:
        outputs.append(new_output("stream", name="stdout", text=f"✓ {_summary(result)}\n"))
    elif result.points > 0:
        outputs.append(new_output("execute_result", data={"text/plain": repr(float(result.points))},
                                  execution_count=cell.get("execution_count")))
    else:
        shown = (f"\n{caret_lines(result.answer_text, result.column)}"
                 if result.column and result.answer_text else "")
        outputs.append(new_output("error", ename="Not correct", evalue=result.feedback,
                                  traceback=[f"{result.title}: {html.unescape(result.feedback)}{shown}"]))
    cell.outputs = outputs
    cell.metadata[METADATA_KEY] = result.to_dict()


def _summary(r: StepResult) -> str:
    return f"{r.title}: {r.points:g}/{r.max_points:g} points. {r.feedback}"
