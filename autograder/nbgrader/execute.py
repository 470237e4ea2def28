"""nbgrader's Execute, made to survive a student's kernel dying: the cells that ran keep their outputs.

Stock nbgrader lets ``DeadKernelError`` escape, which discards the whole submission. Here the dying
cell gets an error output saying so, later cells are left without outputs (their answers count as
"not recorded"), and grading carries on with the rest of the notebook and the rest of the class.
A cell that runs past ``timeout`` is interrupted by nbclient (``interrupt_on_timeout``) and gets
nbgrader's ``CellTimeoutError`` output; the kernel then runs the next cell as usual.

Whether the kernel ran in the sandbox is recorded with the graded notebook, in its metadata
(``autograder.sandbox``), and in ``resources["autograder"]["sandboxed"]``.
"""

from __future__ import annotations

from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute

SANDBOXED = "bubblewrap: no network, course hidden, writes and processes capped"
UNSANDBOXED = "none: the kernel ran with the grader's rights"


class ResilientExecute(Execute):
    """Execute every cell; after a kernel death, mark the cell and skip the rest instead of failing."""

    def preprocess(self, nb, resources=None, km=None):
        self._dead_at = None
        self._sandboxed = False
        resources = {} if resources is None else resources
        try:
            nb, resources = super().preprocess(nb, resources, km)
        except DeadKernelError:
            # Shutting down an already-dead kernel can raise again; the outputs are already in nb.
            if self._dead_at is None:
                raise
        resources.setdefault("autograder", {})["sandboxed"] = self._sandboxed
        nb.metadata.setdefault("autograder", {})["sandbox"] = SANDBOXED if self._sandboxed else UNSANDBOXED
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if self.km is not None:  # the manager is dropped at shutdown: note it while it runs
            self._sandboxed = bool(getattr(self.km, "sandboxed", False))
        if self._dead_at is not None:
            if cell.cell_type == "code":
                cell.outputs = []
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._dead_at = index
            cell.outputs.append(new_output(
                "error", ename="DeadKernelError",
                evalue="The kernel died while running this cell; the cells after it were not run.",
                traceback=["DeadKernelError: the kernel died while running this cell"]))
            self.log.warning("Kernel died in cell %d; grading the cells that ran before it", index)
            return cell, resources

