"""A pytest plugin: ``pytest ps1/ps1.ipynb`` runs the notebook once, as ``autograder check`` does, one test per step.

Registered through the ``pytest11`` entry point, so installing the package is enough (no conftest). Only
assignment notebooks are collected — a ``*.checks.json`` beside them and graded check cells in them — so other
notebooks in a repository are left alone.

>>> from pathlib import Path; release = Path(__file__).resolve().parents[1] / "release"
>>> assignment_steps(release / "ps1" / "ps1.ipynb")[:2]
[('dL_da', '∂L/∂a', 2.0), ('da_dz', '∂a/∂z', 2.0)]
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.protocol import CHECK_SUFFIX, CHECKS_SUFFIX

REPORTS = pytest.StashKey[dict]()  # notebook node id -> its Report, for the summary


def pytest_addoption(parser) -> None:
    group = parser.getgroup("autograder", "assignment notebooks (autograder)")
    group.addoption("--autograder-timeout", type=float, default=30.0, metavar="SECONDS",
                    help="seconds each notebook cell may run (default 30, as `autograder check`)")


def pytest_configure(config) -> None:
    config.stash[REPORTS] = {}


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".ipynb" and assignment_steps(file_path) is not None:
        return AssignmentNotebook.from_parent(parent, path=file_path)
    return None


def _checks_file(notebook: Path) -> Path | None:
    files = sorted(notebook.parent.glob("*" + CHECKS_SUFFIX))
    return files[0] if files else None


def assignment_steps(notebook: Path) -> list[tuple[str, str, float]] | None:
    """``(step id, title, points)`` of each step of ``notebook`` in notebook order, or None if it is not an
    assignment notebook: no checks file beside it, or no graded check cell of a step of that file in it.

    A notebook named like its checks file (``ps1.ipynb`` beside ``ps1.checks.json``) counts even when it cannot
    be read, so a broken hand-in fails loudly instead of being skipped.
    """
    checks = _checks_file(notebook)
    if checks is None:
        return None
    try:
        data = json.loads(checks.read_text(encoding="utf-8"))
        steps = data["steps"] if "steps" in data else data["questions"]
    except (OSError, ValueError, KeyError):
        return None  # not one of ours
    named_alike = checks.name.removesuffix(CHECKS_SUFFIX) == notebook.stem
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
        graded = [c["metadata"]["nbgrader"]["grade_id"].removesuffix(CHECK_SUFFIX) for c in cells
                  if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        graded = []
    if not any(s in steps for s in graded) and not named_alike:
        return None
    from autograder.local_check import step_order

    return [(s, steps[s].get("title") or steps[s].get("id", s), float(steps[s]["points"]))
            for s in step_order(graded, steps)]


class AssignmentNotebook(pytest.File):
    """One assignment notebook: one :class:`StepItem` per step, all answered by a single run of the notebook."""

    def collect(self):
        self._report, self._error = None, None
        for step_id, title, points in assignment_steps(self.path) or []:
            yield StepItem.from_parent(self, name=step_id, title=title, max_points=points)

    def report(self):
        """The notebook's per-step results, from one run in a fresh kernel (the first step asking runs it)."""
        if self._error is not None:  # a run that could not happen is not retried for every step
            raise self._error
        if self._report is None:
            from autograder.local_check import check_notebook, on_grader_machine

            # As `autograder check`: inside a course that holds a gradebook or submissions the kernel runs in the
            # grading sandbox, and without one the notebook is not run (`autograder check --unsandboxed` is the
            # explicit opt-out; pytest offers none).
            sandboxed = on_grader_machine(self.path)
            if sandboxed:
                from autograder.sandbox import sandbox_problem

                problem = sandbox_problem()
                if problem:
                    self._error = NotebookNotRun(f"Not run: this notebook is in a course on a grader machine and "
                                                 f"its kernel must be sandboxed, but {problem}")
                    raise self._error
            try:
                self._report = _without_kernel_logs(lambda: check_notebook(
                    self.path, timeout=self.config.getoption("autograder_timeout"), sandboxed=sandboxed))
            except Exception as error:
                self._error = error
                raise
            self.config.stash[REPORTS][self.nodeid] = self._report
        return self._report


def _without_kernel_logs(run):
    """``run()`` with file descriptor 2 sent to a temporary file and nbclient's log records kept aside: the
    kernel logs its start-up on the stderr it inherits and nbclient logs timeouts, which pytest would print under
    the first step although the steps' sentences already say what happened. If the run fails, what was logged is
    added to the error, since it may say why."""
    import logging
    import os
    import tempfile

    records = []
    keep = logging.Handler()
    keep.emit = lambda record: records.append(record.getMessage())
    logger = logging.getLogger("traitlets")  # nbclient's NotebookClient logs through traitlets' logger
    with tempfile.TemporaryFile() as log:
        saved, propagate = os.dup(2), logger.propagate
        os.dup2(log.fileno(), 2)
        logger.addHandler(keep)
        logger.propagate = False
        try:
            return run()
        except Exception as error:
            log.seek(0)
            logged = "\n".join(records + [log.read().decode("utf-8", "replace").strip()]).strip()
            raise NotebookNotRun(f"The notebook could not be run: {error}" + (f"\n{logged}" if logged else "")) \
                from error
        finally:
            logger.removeHandler(keep)
            logger.propagate = propagate
            os.dup2(saved, 2)
            os.close(saved)


class StepFailed(Exception):
    """A step earned less than its points; the message is what a student reads."""


class NotebookNotRun(Exception):
    """The notebook could not be run at all (not a notebook, no kernel); the message says why."""


class StepItem(pytest.Item):
    """One step of an assignment notebook; it passes when the step earns all its points."""

    def __init__(self, *, title: str, max_points: float, **kwargs):
        super().__init__(**kwargs)
        self.title, self.max_points = title, max_points

    def runtest(self) -> None:
        report = self.parent.report()
        result = next((r for r in report.results if r.step == self.name), None)
        if result is None:
            raise StepFailed(f"{self.title}: 0/{self.max_points:g} points\nThis step was not checked.")
        self.user_properties += [("points", f"{result.points:g}"), ("max_points", f"{result.max_points:g}"),
                                 ("feedback", result.feedback)]
        if not result.passed:
            raise StepFailed(f"{result.title}: {result.points:g}/{result.max_points:g} points\n{result.feedback}")

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, (StepFailed, NotebookNotRun)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"{self.path.name}::{self.name} ({self.title})"


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    reports = config.stash.get(REPORTS, {})
    if not reports:
        return
    terminalreporter.section("autograder", sep="-")
    for nodeid, report in reports.items():
        terminalreporter.write_line(f"{nodeid}: total {report.points:g}/{report.max_points:g} points")
        for problem in report.problems:
            terminalreporter.write_line(f"  note: {problem}")
