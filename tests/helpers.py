"""What the per-assignment tests share: a release filled in as a demo student, `autograder check` run on it, and
one answer judged both by grading (the spec's reference) and by the student's local check (release samples)."""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import nbformat

from autograder.authoring.build import grading_step
from autograder.authoring.spec import Spec
from autograder.demo import console_script, load_class, submission_notebook
from autograder.protocol import StepResult
from autograder.scoring import score_answer
from autograder.notebook import answer_payload, local_result

REPO = Path(__file__).resolve().parents[1]
ANY = object()  # a diagnosis the case does not state


def filled_release(tmp_path: Path, assignment: str, student_id: str) -> Path:
    """A copy of ``release/<assignment>`` with its notebook filled in as the demo student did; the notebook's path."""
    folder = tmp_path / student_id / assignment
    shutil.copytree(REPO / "release" / assignment, folder)
    student = next(s for s in load_class(assignment) if s.id == student_id)
    notebook = folder / f"{assignment}.ipynb"
    nbformat.write(submission_notebook(nbformat.read(notebook, 4), student), notebook)
    return notebook


def local_check(tmp_path: Path, assignment: str, student_id: str) -> subprocess.CompletedProcess:
    """`autograder check` on the demo student's filled-in release, as a student runs it."""
    exe, env = console_script("autograder", extra_env={"COLUMNS": "250"})  # one table row per line: no wrapping
    notebook = filled_release(tmp_path, assignment, student_id)
    return subprocess.run([exe, "check", str(notebook), "--timeout", "10"], capture_output=True, text=True,
                          timeout=180, env=env)


class LocalChecks:
    """`autograder check` on demo students' filled-in releases, each (assignment, student) run once per session and
    two at a time (each run waits on its kernel much of the time): tests that only read a report share it.

    ``start(assignment, students)`` queues a module's runs at once; calling the object waits for one report."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.pool = ThreadPoolExecutor(max_workers=2)
        self.runs: dict[tuple[str, str], Future] = {}

    def start(self, assignment: str, students) -> None:
        for student_id in students:
            if (assignment, student_id) not in self.runs:
                self.runs[assignment, student_id] = self.pool.submit(local_check, self.folder / assignment,
                                                                     assignment, student_id)

    def __call__(self, assignment: str, student_id: str) -> subprocess.CompletedProcess:
        self.start(assignment, [student_id])
        return self.runs[assignment, student_id].result()


class AssignmentAnswers:
    """Answers to one step assignment judged as grading judges them and as the student's local check does."""

    def __init__(self, assignment: str):
        self.spec = Spec.from_file(REPO / "source" / assignment / f"{assignment}.spec.toml")
        self.release = REPO / "release" / assignment

    def graded(self, step_id: str, answer) -> StepResult:
        info, reference = grading_step(self.spec, self.spec.step(step_id))
        return score_answer(info, answer_payload(answer), reference=reference, engine=self.spec.engine_kwargs())

    def assert_case(self, step_id, answer, points, fragment, diagnosis=ANY, *, same_feedback=True) -> None:
        """Grading gives ``points`` (and ``diagnosis`` when stated) with ``fragment`` in its sentence, and the
        local check agrees: same points and diagnosis, and the same sentence when ``same_feedback``."""
        grade = self.graded(step_id, answer)
        assert grade.points == points, grade.feedback
        if diagnosis is not ANY:
            assert grade.diagnosis == diagnosis, grade.feedback
        assert fragment in grade.feedback, grade.feedback
        local = local_result(step_id, answer, folder=self.release)
        assert (local.points, local.diagnosis) == (grade.points, grade.diagnosis)
        if same_feedback:
            assert local.feedback == grade.feedback

    def assert_every_step_exercised(self, steps_right: set, steps_wrong: set) -> None:
        every = {s.id for s in self.spec.steps}
        assert steps_right == steps_wrong == every


def graded_in_order(answers: dict, spec: Spec) -> dict:
    """Step id → StepResult: each step of ``answers`` judged in the order given, as grading does (against the
    reference, with follow-through from the results before it)."""
    from autograder.scoring import earlier_answers

    results = {}
    for step_id, answer in answers.items():
        info, reference = grading_step(spec, spec.step(step_id))
        results[step_id] = (answer, score_answer(info, answer, reference=reference, engine=spec.engine_kwargs(),
                                                 earlier=earlier_answers(info, results)))
    return {k: r for k, (_, r) in results.items()}
