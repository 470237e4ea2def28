"""The steps of grading a class, whatever the backend: plan the run, prepare it, run it.

``plan_batch`` finds the submissions and checks everything that would otherwise fail every student alike (the
sandbox, the gradebook, the solutions) before one is graded; a problem stops it with a ``BatchStop`` that says what
to do. ``run_batch`` grades the plan's submissions on a backend and collects a ``BatchResult``.
"""

from __future__ import annotations

import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .backends import GradingBackend
from .results import BatchResult, GradingResult
from .submissions import Submission, find_submissions, is_graded, read_mark
from .tasks import Limits

# The classes whose `timeout` a course's config may set for the cells nbgrader runs: nbconvert's preprocessor,
# nbgrader's Execute (a subclass: its section wins over its parent's) and ours (autograder.nbgrader.execute).
CELL_TIMEOUT_CLASSES = ("ExecutePreprocessor", "Execute", "ResilientExecute")


class BatchStop(Exception):
    """Nothing can be graded: the message says why and what to do; ``exit_code`` is the command's (2 for a
    usage or set-up problem, 1 for a gradebook that does not answer or solutions that fail)."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


class NotReleased(BatchStop):
    """The gradebook does not know the assignment yet (nbgrader generate_assignment was not run on it)."""


@dataclass(frozen=True)
class GradingOptions:
    """What the instructor chose for this run (the command's options)."""

    students: tuple[str, ...] | None = None  # only these (None: everyone who submitted)
    force: bool = False  # grade again what is already graded
    db_url: str | None = None  # the gradebook (None: the course's)
    cell_timeout: int | None = None  # seconds per cell (None: the course's config)
    unsandboxed: bool = False  # grade even without bubblewrap (recorded)
    limits: Limits = Limits()


@dataclass(frozen=True)
class Batch:
    """A planned run: what to grade and what to keep, with the config every grading gets."""

    root: str  # the course folder, absolute
    assignment: str
    todo: list[Submission]
    done: list[Submission]  # already graded: kept
    overrides: dict  # config on top of the course's for every grading
    limits: Limits
    db_url: str = ""
    sandbox_off: str = ""  # the instructor opted out (--unsandboxed) on a machine without the sandbox: why it is off
    solutions_sandboxed: bool = True  # whether the solutions' kernel ran in the sandbox (where the class will)
    notes: tuple[str, ...] = ()  # advice for the instructor before grading starts

    @property
    def unsandboxed(self) -> bool:
        """Student code of this run may run without the sandbox (said at the start and in the summary)."""
        return bool(self.sandbox_off) or not self.solutions_sandboxed


def plan(root, assignment: str, students=None, force: bool = False) -> tuple[list[Submission], list[Submission]]:
    """(to grade, already graded) for this run."""
    subs = find_submissions(root, assignment, students)
    if force:
        return subs, []
    graded = {s for s in subs if is_graded(root, s)}  # once each: it hashes the submission
    return [s for s in subs if s not in graded], [s for s in subs if s in graded]


def sandbox_overrides(unsandboxed: bool = False) -> dict:
    """Config every grading of a batch gets: the sandboxed kernel and the sanitizing exporter whatever the course's
    config says (the sandbox required unless ``unsandboxed``), and no solutions check per worker (the batch does it
    once, first): the hook only drops a submission's hostile files, as the course's does before nbgrader copies
    them."""
    overrides = {"Execute.kernel_manager_class": "autograder.sandbox.SandboxedKernelManager",
                 "Autograde.pre_convert_hook": "autograder.nbgrader.submission_files.drop_pre_convert_hook",
                 # submissions read in memory, repaired, without the grader's own metadata (see sanitize.py)
                 "Autograde.exporter_class": "autograder.nbgrader.sanitize.SanitizingExporter"}
    if unsandboxed:
        overrides["SandboxedKernelManager.require_sandbox"] = False
    return overrides


def cell_timeout_overrides(seconds: int) -> dict:
    """Config giving each cell ``seconds``, whichever of the classes above the course's config sets.

    >>> cell_timeout_overrides(5)["Execute.timeout"]
    5
    """
    return {f"{name}.timeout": seconds for name in CELL_TIMEOUT_CLASSES}


def grading_overrides(options: GradingOptions) -> dict:
    """The config on top of the course's for every grading of this run.

    >>> grading_overrides(GradingOptions(db_url="postgresql://db/gb"))["CourseDirectory.db_url"]
    'postgresql://db/gb'
    """
    overrides = sandbox_overrides(options.unsandboxed)
    if options.db_url:
        overrides["CourseDirectory.db_url"] = options.db_url
    if options.cell_timeout:
        overrides.update(cell_timeout_overrides(options.cell_timeout))
    return overrides


def check_gradebook(root, assignment: str, overrides: dict | None = None, wait: float = Limits.gradebook_wait) -> str:
    """The gradebook's URL; fail early, with the command that fixes it, when it has no notebooks for ``assignment``
    (GradebookUnavailable when it does not answer within ``wait`` seconds)."""
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.apps import NbGraderAPI

    from .course_config import load_course_config
    from .gradebook_faults import wait_for_gradebook

    coursedir = NbGraderAPI(config=load_course_config(root, overrides)).coursedir
    wait_for_gradebook(coursedir.db_url, wait)
    try:
        with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
            if gb.find_assignment(assignment).notebooks:
                return coursedir.db_url
    except MissingEntry:
        pass
    db = f" --db {coursedir.db_url}" if (overrides or {}).get("CourseDirectory.db_url") else ""
    raise NotReleased(f"the gradebook has no notebooks for {assignment}: run "
                      f"`nbgrader generate_assignment {assignment}{db}` first")


def plan_batch(course, assignment: str, backend: GradingBackend, options: GradingOptions = GradingOptions()) -> Batch:
    """Plan a run of ``assignment`` in ``course`` on ``backend``: the submissions to grade and to keep, checked to
    be gradable (a sandbox, a gradebook that knows the assignment, solutions at full marks graded where the class
    will be); raise BatchStop with the reason otherwise."""
    from autograder.sandbox import sandbox_problem
    from autograder.warm.provisioner import FELL_BACK, run_fork_problem

    from .gradebook_faults import GradebookUnavailable

    root = str(Path(course).resolve())
    try:
        todo, done = plan(root, assignment, options.students, options.force)
    except FileNotFoundError as exc:
        raise BatchStop(str(exc)) from None
    if not todo and not done:
        raise BatchStop(f"no submissions of {assignment} in {root}/submitted/<student>/")
    problem = sandbox_problem() if backend.checks_sandbox_here else None
    if problem and not options.unsandboxed:
        raise BatchStop(problem)
    overrides, limits = grading_overrides(options), options.limits
    try:
        db_url = check_gradebook(root, assignment, overrides, wait=limits.gradebook_wait)
    except GradebookUnavailable as exc:
        raise BatchStop(str(exc), exit_code=1) from None
    notes = ()
    if db_url.startswith("sqlite") and backend.many_gradebook_writers:
        # SQLite serialises writers, and its locks are not safe on a network file system that several machines share
        notes = (f"the gradebook is SQLite ({db_url}); with many writers, or workers on several machines, use "
                 "PostgreSQL: --db-url postgresql://user:password@host:5432/gradebook",)
    if not problem and backend.checks_sandbox_here and (no_fork := run_fork_problem()):
        notes += (f"{FELL_BACK}: {no_fork}",)  # said once here: the grading workers' own logs are not shown
    solutions_sandboxed = True
    if todo:
        solutions = backend.check_solutions(root, assignment, overrides, limits)
        if not solutions.ok:
            raise BatchStop(solutions.reason(), exit_code=1)
        solutions_sandboxed = solutions.sandboxed
    return Batch(root, assignment, todo, done, overrides, limits, db_url, problem or "", solutions_sandboxed, notes)


def previous_results(root, done) -> list[GradingResult]:
    """The kept submissions' results, from the marks their gradings left."""
    return [GradingResult.kept(s.student, s.assignment, read_mark(root, s)) for s in done]


def run_batch(backend: GradingBackend, batch: Batch,
              on_result: Callable[[GradingResult], None] = lambda r: None) -> BatchResult:
    """Grade ``batch.todo`` on ``backend``, calling ``on_result`` as each finishes; the kept ones are listed too.
    A KeyboardInterrupt stops what runs (the backend clears it) and is raised again."""
    outcome = BatchResult(kept=previous_results(batch.root, batch.done))
    started = time.monotonic()
    with closing(backend.grade(batch.root, batch.todo, batch.overrides, batch.limits)) as results:
        for result in results:
            outcome.add(result)
            on_result(result)
    outcome.seconds = time.monotonic() - started
    return outcome
