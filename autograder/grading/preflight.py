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
import hashlib
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder.protocol import METADATA_KEY
from autograder.upstream import Upstream

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


_DONE: set = set()  # (course root, assignment, solutions' digest) whose solutions got full marks in this process

#: nbgrader calls ``c.Autograde.pre_convert_hook`` with the assignment, student and notebooks only; the course root
#: and the command's config are those of the converter running it, found as the ``self`` of nbgrader's
#: ``run_pre_convert_hook`` (formgrader's autograde button runs the converter inside the Jupyter server, where
#: ``AutogradeApp.instance()`` is not the running app but raises: the check was skipped there).
HOOK_CALLER = Upstream("nbgrader", "0.9.6", {
    "nbgrader.converters.base.BaseConverter.run_pre_convert_hook": "dde4cf759e56d874",
}, why="that nbgrader's converter still calls pre_convert_hook from its own run_pre_convert_hook method "
        "(autograder.grading.preflight.running_converter)")


def running_converter():
    """The nbgrader converter whose ``run_pre_convert_hook`` is calling this hook's caller, or None (another
    nbgrader version, or called from elsewhere)."""
    if not HOOK_CALLER.installed():
        return None
    from nbgrader.converters.base import BaseConverter

    frame = sys._getframe(1)
    while frame is not None:
        candidate = frame.f_locals.get("self")
        if isinstance(candidate, BaseConverter):
            return candidate
        frame = frame.f_back
    return None


def _command_app():
    """``nbgrader autograde``'s app when it is this process's app (not so in a Jupyter server), else None."""
    from nbgrader.apps import AutogradeApp
    from traitlets.config import MultipleInstanceError

    try:
        return AutogradeApp.instance() if AutogradeApp.initialized() else None
    except MultipleInstanceError:
        return None


def nbgrader_pre_convert_hook(assignment=None, student=None, notebooks=None, **_):
    """``c.Autograde.pre_convert_hook``: ``nbgrader autograde`` (and formgrader's autograde button) grades the
    solutions before its first submission, and stops (exit 1, one line saying why) unless they get full marks."""
    if assignment:
        check_solutions_once(running_converter() or _command_app(), assignment)


def check_solutions_once(runner, assignment: str) -> None:
    """Grade ``assignment``'s solutions with the config of ``runner`` (nbgrader's converter or app; None: this
    folder's course) unless this process already saw these solutions pass; stop (SystemExit 1) unless they do."""
    root = runner.coursedir.root if runner is not None else os.getcwd()
    coursedir = runner.coursedir if runner is not None else None
    source = (coursedir.format_path(coursedir.source_directory, ".", assignment) if coursedir is not None
              else os.path.join(root, "source", assignment))
    key = (os.path.realpath(root), assignment, _solutions_digest(source))
    if key in _DONE:
        return
    outcome = grade_solutions(root, assignment, _flatten(runner.config) if runner is not None else None)
    if not outcome.ok:
        message = f"autograder: stopped before grading: {outcome.reason()}"
        if runner is not None:
            runner.log.error(message)  # formgrader shows the converter's log, not the server's stderr
        print(message, file=sys.stderr, flush=True)
        raise SystemExit(1)  # nbgrader catches Exception around its hooks, not SystemExit (formgrader catches all)
    _DONE.add(key)  # only a pass is remembered: a failed check runs again on the next click, after the fix
    if not outcome.sandboxed:
        from autograder.sandbox import UNSANDBOXED_BANNER

        print(f"autograder: {UNSANDBOXED_BANNER}", file=sys.stderr, flush=True)


def _solutions_digest(source) -> str:
    """A digest of the files in the folder ``source``: a long-lived server checks again after the solutions change.

    >>> _solutions_digest("/nonexistent") == hashlib.sha256().hexdigest()
    True
    """
    digest = hashlib.sha256()
    source = Path(source)
    for path in sorted(source.glob("*")) if source.is_dir() else ():
        if path.is_file() and not path.is_symlink():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


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
