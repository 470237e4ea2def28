"""Before a class is graded, the instructor's own solutions are: anything short of full marks stops the batch.

A set-up that cannot grade (bubblewrap missing, the sandbox hiding the package the
setup cell imports, a spec the notebook does not match) would otherwise give every
student zero and exit 0. The source notebook is run through the course's autograde
preprocessors (the gradebook-writing ones left out), with its kernel in the same
sandbox and environment the submissions get, in a scratch folder inside the course.

>>> Preflight("ps1", 10.0, 10.0, []).ok
True
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder.protocol import METADATA_KEY

# nbgrader's preprocessors that write to the gradebook: not run on the instructor's solutions
_GRADEBOOK_WRITERS = ("SaveAutoGrades", "AssignLatePenalties")


@dataclass
class Preflight:
    assignment: str
    score: float
    max_score: float
    problems: list = field(default_factory=list)  # "<notebook> <cell>: why it lost points"
    sandboxed: bool = True

    @property
    def ok(self) -> bool:
        return self.max_score > 0 and self.score >= self.max_score and not self.problems

    def reason(self) -> str:
        """One line for the instructor: what the solutions scored and the first reasons."""
        why = "; ".join(self.problems[:3]) or "no graded cells found"
        return (f"the solutions of {self.assignment} score {self.score:g}/{self.max_score:g} when graded as a "
                f"submission, so every student would be graded wrong; nothing was graded. {why}")


def grade_solutions(root, assignment: str, overrides: dict | None = None) -> Preflight:
    """Grade ``source/<assignment>/*.ipynb`` (the solutions) like a submission; never touches the gradebook."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.utils import determine_grade
    from traitlets.utils.importstring import import_item

    from autograder.authoring.quiz_build import INSTRUCTOR_ID

    from .course_config import load_course_config

    config = load_course_config(root, overrides)
    coursedir = NbGraderAPI(config=config).coursedir
    source = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
    notebooks = sorted(source.glob("*.ipynb"))
    if not notebooks:
        return Preflight(assignment, 0.0, 0.0, [f"no notebook in {source}"])
    from nbgrader.converters import Autograde

    names = config.Autograde.get("autograde_preprocessors") or Autograde.class_traits()[
        "autograde_preprocessors"].default()
    classes = [import_item(n) if isinstance(n, str) else n for n in names]
    classes = [c for c in classes if c.__name__ not in _GRADEBOOK_WRITERS]
    result = Preflight(assignment, 0.0, 0.0)
    # inside the course, so the sandbox hides the course from this kernel exactly as from a student's
    scratch = Path(tempfile.mkdtemp(prefix=".autograder-preflight-", dir=coursedir.root))
    try:
        folder = scratch / assignment
        shutil.copytree(source, folder, ignore=lambda d, files: [f for f in files if _ignored(f, coursedir.ignore)])
        for path in notebooks:
            import nbformat

            nb = nbformat.read(folder / path.name, as_version=nbformat.NO_CONVERT)
            # a quiz's solutions are worked out for the instructor's variant
            resources = {"metadata": {"path": str(folder)},
                         "nbgrader": {"assignment": assignment, "notebook": path.stem, "student": INSTRUCTOR_ID,
                                      "db_url": coursedir.db_url}}
            for cls in classes:
                nb, resources = cls(config=config)(nb, resources)  # as nbgrader calls them: disabled ones pass
            result.sandboxed = result.sandboxed and resources.get(METADATA_KEY, {}).get("sandboxed", True)
            for cell in nb.cells:
                meta = cell.metadata.get("nbgrader", {})
                if not meta.get("grade"):
                    continue
                score, max_score = determine_grade(cell)
                result.score += score or 0.0
                result.max_score += max_score or 0.0
                if (score or 0.0) < (max_score or 0.0):
                    result.problems.append(f"{path.name} {meta.get('grade_id')}: {_why(cell)}")
    except Exception as exc:  # the set-up cannot grade at all (e.g. the sandbox cannot start): say why
        result.problems.append(f"{type(exc).__name__}: {exc}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return result


def _ignored(name: str, patterns) -> bool:
    return any(fnmatch.fnmatch(name, p) for p in patterns)


def _why(cell) -> str:
    verdict = cell.metadata.get(METADATA_KEY, {})
    if verdict.get("feedback"):
        return str(verdict["feedback"])[:300]
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        return f"{errors[-1].get('ename')}: {str(errors[-1].get('evalue'))[:300]}"
    return "lost points"


_DONE: set = set()


def nbgrader_pre_convert_hook(assignment=None, student=None, notebooks=None, **_):
    """``c.Autograde.pre_convert_hook``: ``nbgrader autograde`` grades the solutions once, before its first
    submission, and stops (exit 1, one line saying why) unless they get full marks."""
    from nbgrader.apps import AutogradeApp

    app = AutogradeApp.instance() if AutogradeApp.initialized() else None
    root = app.coursedir.root if app is not None else os.getcwd()
    key = (root, assignment)
    if key in _DONE or not assignment:
        return
    _DONE.add(key)
    overrides = _flatten(app.config) if app is not None else None
    outcome = grade_solutions(root, assignment, overrides)
    if not outcome.ok:
        print(f"autograder: stopped before grading: {outcome.reason()}", file=sys.stderr, flush=True)
        raise SystemExit(1)  # nbgrader catches Exception around its hooks, not SystemExit
    if not outcome.sandboxed:
        from autograder.sandbox import UNSANDBOXED_BANNER

        print(f"autograder: {UNSANDBOXED_BANNER}", file=sys.stderr, flush=True)


_PROBED: dict[int, str | None] = {}  # this process's sandbox probe (a worker grades many submissions)


def stop_unless_sandbox_runs(config) -> None:
    """Stop ``nbgrader autograde`` (exit 2, one line, as ``autograder grade`` does) when the sandbox its ``config``
    requires cannot start here (``sandbox.sandbox_problem``: no bubblewrap, no user namespaces); nothing when its
    kernels are not sandboxed ones or it opted out (``require_sandbox = False``)."""
    if config is None or not str(_flatten(config).get("Execute.kernel_manager_class", "")).endswith(
            "SandboxedKernelManager"):
        return
    from autograder.sandbox import SandboxedKernelManager, sandbox_problem

    if not SandboxedKernelManager(config=config).require_sandbox:  # read as the kernels will (a command line's string)
        return
    if os.getpid() not in _PROBED:

        _PROBED[os.getpid()] = sandbox_problem()
    if _PROBED[os.getpid()]:
        print(f"autograder: stopped before grading: {_PROBED[os.getpid()]}", file=sys.stderr, flush=True)
        raise SystemExit(2)


def _flatten(config) -> dict:
    """{"Section.trait": value} of a traitlets Config (the command line's options on top of the file's)."""
    return {f"{section}.{trait}": value for section, traits in config.items() if hasattr(traits, "items")
            for trait, value in traits.items()}
