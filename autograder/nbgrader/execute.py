"""nbgrader's Execute, made to survive a student's kernel dying: the cells that ran keep their outputs.

Stock nbgrader lets ``DeadKernelError`` escape, which discards the whole submission. Here the dying
cell gets an error output saying so, later cells are left without outputs (their answers count as
"not recorded"), and grading carries on with the rest of the notebook and the rest of the class.
A cell that runs past ``timeout`` is interrupted by nbclient (``interrupt_on_timeout``) and gets
nbgrader's ``CellTimeoutError`` output; the kernel then runs the next cell as usual.

An error that is the sandbox's limit (disk full, too many processes, out of memory) gets a sentence saying
so in front of its message, which the student sees in the feedback:

>>> explain_limit("OSError", "[Errno 28] No space left on device", disk_mb=256, processes=128)[:60]
'The grader stopped this: a submission may write at most 256 '

Whether the kernel ran in the sandbox is recorded with the graded notebook, in its metadata
(``autograder.sandbox``), and in ``resources["autograder"]["sandboxed"]``; how it started (forked from the
warm template or started afresh) in ``autograder.kernel``.
"""

from __future__ import annotations

import asyncio
import os

from jupyter_core.utils import run_sync
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool

from ..protocol import GRADING_ENV, KERNEL_START_KEY, METADATA_KEY, SANDBOX_KEY
from ..upstream import Upstream
from ..warm.provisioner import ForkedKernel

SANDBOXED = "bubblewrap: no network, course hidden, writes and processes capped"
UNSANDBOXED = "none: the kernel ran with the grader's rights"
WARM = "forked from the warm template"
FRESH = "started afresh"
KERNEL_ALIVE_POLL = 0.05  # seconds between looks at whether the kernel is still alive while a cell runs
# ResilientExecute._async_poll_kernel_alive is nbclient's private method of that name with a shorter sleep (nbclient
# has no setting for it): used only with the nbclient it was copied from
POLL_COPIED_FROM = Upstream(
    "nbclient", "0.11.0", {"nbclient.client.NotebookClient._async_poll_kernel_alive": "d5e001d6b3eaafe1",
                           "nbclient.client.NotebookClient.async_execute_cell": "366a0d406d758da2"},
    why="the copy in autograder/nbgrader/execute.py (ResilientExecute._async_poll_kernel_alive) must still do what "
        "upstream's does (check the kernel, cancel task_poll_for_reply on DeadKernelError), and async_execute_cell "
        "must still start it as a task beside the reply's")


def explain_limit(ename: str, evalue: str, *, disk_mb: int, processes: int) -> str | None:
    """The sentence for an error raised by one of the sandbox's limits, or None."""
    if "[Errno 28]" in evalue or "[Errno 27]" in evalue:  # ENOSPC, EFBIG
        return (f"The grader stopped this: a submission may write at most {disk_mb} MiB in its folder and "
                f"{disk_mb} MiB in /tmp.")
    if "[Errno 11]" in evalue or "can't start new thread" in evalue:  # EAGAIN from fork or clone
        return f"The grader stopped this: a submission may run at most {processes} processes and threads."
    if ename == "MemoryError":
        return "The grader stopped this: the submission ran out of the memory grading allows."
    return None


class ResilientExecute(Execute):
    """Execute every cell; after a kernel death, mark the cell and skip the rest instead of failing."""

    # A cell whose reply came but whose output is still arriving after iopub_timeout (a fork bomb's children
    # all printing their tracebacks, a RecursionError's on a loaded machine) keeps what arrived, and grading
    # goes on with the next cell; nbgrader's default (raise) would fail the whole submission.
    raise_on_iopub_timeout = Bool(False, config=True, help=Execute.raise_on_iopub_timeout.help)

    async def async_start_new_kernel(self, **kwargs):
        # tell the notebook module it is graded: its check cells then leave the judging to JudgeAnswers
        kwargs["env"] = {**(kwargs.get("env") or os.environ), GRADING_ENV: "1"}
        return await super().async_start_new_kernel(**kwargs)

    start_new_kernel = run_sync(async_start_new_kernel)

    async def _async_poll_kernel_alive(self) -> None:
        # nbclient looks once a second whether the kernel died under a cell (a student's os._exit), and the grading
        # waits that long for each dead kernel; a look is one waitpid/select, so look every KERNEL_ALIVE_POLL
        if not POLL_COPIED_FROM.installed():  # another nbclient: its own method, slower but written for it
            return await super()._async_poll_kernel_alive()
        while True:
            await asyncio.sleep(KERNEL_ALIVE_POLL)
            try:
                await self._async_check_alive()
            except DeadKernelError:
                self.task_poll_for_reply.cancel()
                return

    def preprocess(self, nb, resources=None, km=None):
        self._dead_at = None
        self._sandboxed = self._warm = False
        self._limits = {"disk_mb": 0, "processes": 0}
        resources = {} if resources is None else resources
        try:
            nb, resources = super().preprocess(nb, resources, km)
        except DeadKernelError:
            # Shutting down an already-dead kernel can raise again; the outputs are already in nb.
            if self._dead_at is None:
                raise
        resources.setdefault(METADATA_KEY, {})["sandboxed"] = self._sandboxed
        nb.metadata.setdefault(METADATA_KEY, {})[SANDBOX_KEY] = SANDBOXED if self._sandboxed else UNSANDBOXED
        nb.metadata[METADATA_KEY][KERNEL_START_KEY] = WARM if self._warm else FRESH
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if self.km is not None:  # the manager is dropped at shutdown: note it while it runs
            self._sandboxed = bool(getattr(self.km, "sandboxed", False))
            self._warm = isinstance(getattr(getattr(self.km, "provisioner", None), "process", None), ForkedKernel)
            self._limits = {"disk_mb": getattr(self.km, "disk_mb", 0),
                            "processes": getattr(self.km, "max_processes", 0)}
        if self._dead_at is not None:
            if cell.cell_type == "code":
                cell.outputs = []
            return cell, resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
            # a cell that hit a limit ends in an error; looking for strays costs a scan of /proc (~50 ms)
            failed = any(out.get("output_type") == "error" for out in cell.get("outputs", []))
            self._explain_limits(cell, strays=self._end_strays() if failed else 0)
            return cell, resources
        except DeadKernelError:
            self._dead_at = index
            cell.outputs.append(new_output(
                "error", ename="DeadKernelError",
                evalue="The kernel died while running this cell; the cells after it were not run.",
                traceback=["DeadKernelError: the kernel died while running this cell"]))
            self.log.warning("Kernel died in cell %d; grading the cells that ran before it", index)
            return cell, resources


    def _end_strays(self) -> int:
        """Processes the cell left behind in the sandbox (a fork bomb), ended before the next cell runs."""
        end = getattr(self.km, "end_strays", None)
        return end() if end is not None else 0

    def _explain_limits(self, cell, strays: int = 0) -> None:
        if not self._sandboxed:
            return
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            sentence = explain_limit(out.get("ename", ""), str(out.get("evalue", "")), **self._limits)
            if sentence is None and strays:
                sentence = (f"The grader stopped this: a submission may run at most {self._limits['processes']} "
                            f"processes and threads; the {strays} this cell started were ended.")
            if sentence and not str(out.get("evalue", "")).startswith(sentence):
                out["evalue"] = f"{sentence} ({out['evalue']})" if out.get("evalue") else sentence
                out["traceback"] = [*out.get("traceback", []), sentence]
