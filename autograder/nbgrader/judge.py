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
import hashlib
import html
import json
from functools import lru_cache
from pathlib import Path

from nbformat.v4 import new_output
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from autograder.authoring.build import grading_step
from autograder.authoring.quiz_spec import QuizSpec, is_quiz_spec
from autograder.authoring.spec import Spec
from autograder.protocol import (ANSWER_MIME, INPUTS_KEY, KERNEL_KEY, METADATA_KEY, SPEC_HASH_KEY, STUDENT_ID_CELL,
                                 StepResult, answer_cell_id, recorded_step)
from autograder.scoring import earlier_answers, no_answer, score_answer
from autograder.step_view import caret_lines, result_html

from .codescan import first_unsafe_cell, static_objection
from .quiz_judge import judge_question



class JudgeAnswers(NbGraderPreprocessor):
    """Replace each answer-recording test cell's outputs with the verdict computed here."""

    spec_glob = Unicode(
        "*.spec.toml",
        help="File pattern, inside source/<assignment>/, of the spec holding the references the judge uses.",
    ).tag(config=True)
    seal_key = Unicode(
        "", help="File holding the grader's key that seals verdicts for regrading (default: "
                 "<course>/.autograder/judge.key, made on first use; see autograder/nbgrader/seal.py).",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        assignment = resources["nbgrader"]["assignment"]
        student = str(resources["nbgrader"].get("student") or "")
        judge_notebook(nb, spec_path(self.config, assignment, self.spec_glob), student)
        from .seal import judge_key, key_path, seal  # regrading trusts only records the grader sealed

        notebook = str(resources["nbgrader"].get("notebook") or "")
        seal(nb, judge_key(key_path(self.config)), (student, assignment, notebook))
        return nb, resources


def spec_path(config, assignment: str, spec_glob: str = "*.spec.toml") -> Path:
    """The one spec of ``assignment`` in the course's source folder."""
    coursedir = CourseDirectory(config=config)
    folder = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
    specs = sorted(folder.glob(spec_glob))
    if len(specs) != 1:
        raise FileNotFoundError(f"expected one {spec_glob} in {folder}, found {len(specs)}")
    return specs[0]


def spec_hash(path) -> str:
    """The SHA-256 of the spec file: which version of the references graded a submission."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def judge_notebook(nb, path, submitter: str, *, recorded_in_metadata=False) -> dict:
    """Judge every answer-recording check cell of ``nb`` against the spec at ``path``, in place; return
    ``{step id: StepResult}``.

    The answers are the kernel's outputs of each check cell (autograding), or, with ``recorded_in_metadata``,
    the copy of them this function kept in the cell's metadata when it last judged the notebook (regrading:
    no kernel runs). Autograding never reads that metadata, so a student cannot plant answers in it. Regrading
    keeps a verdict whose inputs (the step as the spec now has it, the answer, the earlier answers follow-through
    uses, the judging code) hash to what they were: judging them again would give the same verdict.
    """
    digest = spec_hash(path)
    spec = _read_spec(str(path), digest)
    lookup = _quiz_lookup(spec, submitter) if isinstance(spec, QuizSpec) else _step_lookup(spec)
    checks, answer_cells = _answer_walk(nb)
    results, judged = {}, {}  # step id -> (recorded answer, StepResult) for follow-through; -> StepResult
    for index, cell, recorded_id in checks:
        try:
            info, judge = lookup(recorded_id)
        except KeyError as exc:
            raise ValueError(f"{path}: a test cell records {recorded_id!r}, which the spec does not have") from exc
        kernel = (list(cell.metadata.get(METADATA_KEY, {}).get(KERNEL_KEY, [])) if recorded_in_metadata
                  else kernel_outputs(cell))
        objection = static_objection(nb, info, index)
        inputs = None
        if objection:
            result = no_answer(info, objection)
        else:
            previous = cell.metadata.get(METADATA_KEY, {}) if recorded_in_metadata else {}
            answer, result, inputs = judge(kernel, answer_cells, results, previous)
            results[recorded_id] = (answer, result)
        judged[recorded_id] = result
        _write_verdict(cell, result, kernel, inputs)
    nb.metadata.setdefault(METADATA_KEY, {})[SPEC_HASH_KEY] = digest
    _scrub_after_unsafe_code(nb)
    return judged


@lru_cache(maxsize=8)
def _read_spec(path: str, digest: str):
    """The spec at ``path``, read once per version (``digest``) when a batch judges many notebooks against it."""
    return QuizSpec.from_file(path) if is_quiz_spec(path) else Spec.from_file(path)


def _answer_walk(nb):
    """One walk over the notebook: the check cells that record an answer, as (index, cell, step id), and the
    answer cells by grade id."""
    checks, answer_cells = [], {}
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {}) if cell.cell_type == "code" else {}
        if meta.get("solution"):
            answer_cells[meta.get("grade_id")] = cell
        recorded_id = recorded_step(cell)
        if recorded_id is not None:
            checks.append((index, cell, recorded_id))
    return checks, answer_cells


def kernel_outputs(cell) -> list:
    """What judging reads of a check cell's outputs: the recorded answers and any error (without traceback)."""
    kept = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "display_data" and ANSWER_MIME in o.get("data", {}):
            kept.append({"output_type": "display_data", "data": {ANSWER_MIME: o["data"][ANSWER_MIME]}})
        elif o.get("output_type") == "error":
            kept.append({"output_type": "error", "ename": o.get("ename", "Error"),
                         "evalue": str(o.get("evalue", ""))[:200]})
    return kept


def _step_lookup(spec: Spec):
    """For a recorded step id: its grading info and a judge of (kernel outputs, answer cells, earlier results)
    → (recorded answer, StepResult). KeyError for an id the spec does not have."""
    engine = spec.engine_kwargs()

    def lookup(step_id):
        info, reference = grading_step(spec, spec.step(step_id))

        def judge(kernel, answer_cells, results, previous):
            return _judge_step(info, reference, engine, kernel, answer_cells.get(answer_cell_id(step_id)), results,
                               previous)
        return info, judge
    return lookup


def _quiz_lookup(quiz: QuizSpec, submitter: str):
    """Like ``_step_lookup`` for quiz questions, judged against the submitter's own variant (see quiz_judge)."""
    def lookup(qid):
        question = quiz.question(qid)

        def judge(kernel, answer_cells, results, previous):
            note = (_error_note(answer_cells.get(answer_cell_id(qid)), "your answer cell")
                    or _error_note(answer_cells.get(STUDENT_ID_CELL), "your student id cell")
                    or _error_note({"outputs": kernel}, "the check cell"))
            return None, judge_question(question, {"outputs": kernel}, submitter, note), None
        return {"id": qid, "title": qid, "points": question.points}, judge
    return lookup


def _judge_step(info, reference, engine, kernel, answer_cell, results, previous):
    """The last answer the kernel recorded for the step, scored against ``reference`` (with follow-through
    from the earlier ``results``), and the hash of those inputs; ``previous`` is kept if they hash the same."""
    recorded = [o for o in kernel if o.get("output_type") == "display_data"
                and o.get("data", {}).get(ANSWER_MIME, {}).get("step") == info["id"]]
    if not recorded:
        note = _error_note(answer_cell, "your answer cell") or _error_note({"outputs": kernel}, "the check cell")
        return None, no_answer(info, "No answer recorded: the cell did not run, raised an error, or the kernel "
                                     "died or timed out" + note + "."), None
    answer = recorded[-1]["data"][ANSWER_MIME].get("answer")
    earlier = earlier_answers(info, results)
    inputs = hashlib.sha256(json.dumps([_judging_code(), info, reference, engine, answer, earlier], sort_keys=True,
                                       default=str).encode()).hexdigest()
    if previous.get(INPUTS_KEY) == inputs:
        return answer, StepResult.from_dict(previous), inputs
    return answer, score_answer(info, answer, reference=reference, engine=engine, earlier=earlier), inputs


# Where a verdict is computed (score_answer); the judging code is this module and everything it imports.
JUDGING_MODULE = "autograder.scoring"


@lru_cache(maxsize=1)
def _judging_code() -> str:
    """A hash of the judging code (the engine and the scoring rules): a new version judges everything again."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in judging_files(JUDGING_MODULE, package):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def judging_files(module: str, package: Path) -> list[Path]:
    """The source files of ``module`` and of every module of its package it imports, directly or not, at the
    top or inside a function, with their packages' ``__init__.py``: read from the import statements, so a
    module added or moved into a subpackage is found where it now is.

    >>> package = Path(__file__).resolve().parents[1]
    >>> [p.name for p in judging_files("autograder.scoring", package)][:2]
    ['__init__.py', 'api.py']
    """
    top = package.name
    found: dict[str, Path] = {}
    pending = [module]
    while pending:
        name = pending.pop()
        parts = name.split(".")
        for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__.py and a/b/__init__.py first
            dotted = ".".join(parts[:i])
            if dotted in found:
                continue
            path = _module_file(package, parts[1:i])
            if path is None:
                continue  # a name imported from a module, not a module
            found[dotted] = path
            pending += _imported_modules(path, dotted, top)
    return sorted(set(found.values()))


def _module_file(package: Path, parts: list[str]) -> Path | None:
    base = package.joinpath(*parts)
    for path in (base.with_suffix(".py") if parts else None, base / "__init__.py"):
        if path is not None and path.is_file():
            return path
    return None


def _imported_modules(path: Path, dotted: str, top: str) -> list[str]:
    """Dotted names of ``top``'s modules that the file of module ``dotted`` imports (``from m import x`` also
    yields ``m.x``, which counts if it is a module)."""
    here = dotted if path.name == "__init__.py" else dotted.rpartition(".")[0]
    names = []
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            names += [base] + [f"{base}.{alias.name}" for alias in node.names if alias.name != "*"]
    return [n for n in names if n == top or n.startswith(top + ".")]


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


def _write_verdict(cell, result: StepResult, kernel: list, inputs: str | None = None) -> None:
    """Outputs nbgrader scores correctly, plus an HTML view with the answer as math for the feedback page;
    the metadata keeps the verdict and what the kernel recorded."""
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
    cell.metadata[METADATA_KEY] = dict(result.to_dict(), **{KERNEL_KEY: kernel})
    if inputs:
        cell.metadata[METADATA_KEY][INPUTS_KEY] = inputs


def _summary(r: StepResult) -> str:
    return f"{r.title}: {r.points:g}/{r.max_points:g} points. {r.feedback}"
