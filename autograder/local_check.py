"""The local check: run a filled-in assignment notebook in a real kernel and collect each step's result.

What ``autograder check`` prints and the pytest plugin reports (one test per step): the same run, the same results.
"""

from __future__ import annotations

from dataclasses import dataclass


def on_grader_machine(path) -> bool:
    """Whether ``path`` lies in a course that holds a gradebook or submissions: whoever wrote the notebook, its
    code must not run with the grader's rights there."""
    from autograder.sandbox import course_root

    root = course_root(path)
    return root is not None and any((root / name).exists()
                                    for name in ("gradebook.db", "submitted", "autograded", "feedback"))


@dataclass(frozen=True)
class Report:
    """Per-step results of one run, in the order of the steps in the checks file, plus run problems.

    >>> Report([], ["the kernel died"]).all_passed
    False
    """

    results: list  # StepResult, one per step
    problems: list  # what went wrong with the run itself, one sentence each

    @property
    def points(self) -> float:
        return sum(r.points for r in self.results)

    @property
    def max_points(self) -> float:
        return sum(r.max_points for r in self.results)

    @property
    def all_passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results) and not self.problems


def check_notebook(path, *, timeout: float = 30.0, sandboxed: bool = False) -> Report:
    """Execute ``path`` with nbclient in its own folder and collect what each ``check_step`` displayed.

    A step whose check showed nothing (its cell raised, the kernel died or a cell timed out) is a
    failure with the reason; the notebook file itself is not modified. ``sandboxed`` runs the kernel in the
    grading sandbox.
    """
    import json
    from pathlib import Path

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from autograder.nbgrader.codescan import static_objection
    from autograder.protocol import CHECK_SUFFIX, CHECKS_SUFFIX, RESULT_MIME, StepResult
    from autograder.scoring import no_answer

    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    problems = []
    extra = {}
    if sandboxed:  # the grading sandbox (autograder.sandbox): no network, the course hidden, writes capped
        from autograder.sandbox import SandboxedKernelManager

        extra["kernel_manager_class"] = SandboxedKernelManager
    client = NotebookClient(nb, timeout=int(timeout), allow_errors=True, interrupt_on_timeout=True,
                            kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"),
                            resources={"metadata": {"path": str(path.parent)}}, **extra)
    try:
        client.execute()
    except DeadKernelError:
        problems.append("the kernel died while running the notebook; later cells did not run")
    except CellTimeoutError:
        problems.append(f"a cell ran longer than {timeout:g} s and could not be interrupted")
    shown, errors, objections = {}, {}, {}
    for index, cell in enumerate(nb.cells):
        step_id = cell.metadata.get("nbgrader", {}).get("grade_id", "").removesuffix(CHECK_SUFFIX)
        if step_id and cell.metadata["nbgrader"].get("grade"):
            objections[step_id] = index
        for out in cell.get("outputs", []):
            if out.get("output_type") == "display_data" and RESULT_MIME in out.get("data", {}):
                result = StepResult.from_dict(out["data"][RESULT_MIME])
                shown[result.step] = result
            elif out.get("output_type") == "error" and step_id:
                errors[step_id] = f"{out.get('ename')}: {out.get('evalue')}"
    checks = sorted(path.parent.glob("*" + CHECKS_SUFFIX))
    if not checks:
        problems.append(f"no *{CHECKS_SUFFIX} next to the notebook: cannot list the steps")
        return Report(list(shown.values()), problems)
    data = json.loads(checks[0].read_text(encoding="utf-8"))
    steps = data["steps"] if "steps" in data else data["questions"]  # a quiz: format checks per question
    in_notebook = [c.metadata.get("nbgrader", {}).get("grade_id", "").removesuffix(CHECK_SUFFIX) for c in nb.cells]
    order = step_order(in_notebook, steps)
    results = []
    for step_id in order:
        info = steps[step_id]
        objection = static_objection(nb, info, objections[step_id]) if step_id in objections else None
        if objection:  # grading gives 0 for this, whatever the check showed
            results.append(no_answer(info, objection))
        elif step_id in shown:
            results.append(shown[step_id])
        else:
            why = errors.get(step_id, "its check cell did not run")
            results.append(no_answer(info, f"No result: {why}."))
    return Report(results, problems)


def step_order(in_notebook, steps) -> list:
    """The order steps are reported in: as their cells stand in the notebook, then steps whose cells are gone.

    >>> step_order(["intro", "b", "a"], {"a": {}, "b": {}, "c": {}})
    ['b', 'a', 'c']
    """
    return [s for s in in_notebook if s in steps] + [s for s in steps if s not in in_notebook]
