"""Run the student's kernel in a bubblewrap sandbox while grading: read-only system, course hidden.

Inside, the file system is read-only except the submission's own folder and a
private /tmp; the course folder (spec files with the references, the gradebook,
other students' submissions) is replaced by an empty one, with only the Python
environment and this package mounted back read-only; processes of the grader
are invisible (own PID namespace) and capabilities are dropped. Configure it for
autograding in nbgrader_config.py::

    c.Execute.kernel_manager_class = "autograder.sandbox.SandboxedKernelManager"

>>> cmd = sandbox_command(["python", "-m", "ipykernel_launcher"], "/course/autograded/s1/ps1", "/course")
>>> cmd[:3], cmd[-3:]
(['bwrap', '--die-with-parent', '--unshare-pid'], ['python', '-m', 'ipykernel_launcher'])
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from jupyter_client import AsyncKernelManager
from traitlets import Bool

INSTALL = "apt-get install -y bubblewrap"


def course_root(workdir) -> Path | None:
    """The nearest folder above ``workdir`` holding nbgrader_config.py (the course), if any."""
    for parent in Path(workdir).resolve().parents:
        if (parent / "nbgrader_config.py").exists():
            return parent
    return None


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def sandbox_command(kernel_cmd: list[str], workdir, root=None, bwrap: str = "bwrap") -> list[str]:
    """``kernel_cmd`` wrapped in bubblewrap: only ``workdir`` writable, ``root`` hidden but for Python's files."""
    workdir = str(Path(workdir).resolve())
    # JPY_PARENT_PID=1 turns off ipykernel's parent poller, which
    # would take PID 1 of the new PID namespace for an orphaned kernel; --die-with-parent does its job.
    cmd = [bwrap, "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
           "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
           "--setenv", "HOME", "/tmp", "--setenv", "IPYTHONDIR", "/tmp/.ipython", "--setenv", "JPY_PARENT_PID", "1"]
    hidden = [Path("/tmp")]
    if root is not None:
        hidden.append(Path(root).resolve())
        cmd += ["--tmpfs", str(hidden[-1])]  # the course disappears ...
    # ... but the interpreter and this package come back read-only, wherever they live (a clone in /tmp too)
    keep = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, Path(__file__).resolve().parent)}
    for path in sorted(keep):
        if any(_inside(path, place) for place in hidden):
            cmd += ["--ro-bind", str(path), str(path)]
    cmd += ["--bind", workdir, workdir, "--chdir", workdir]
    for flag, value in zip(kernel_cmd, kernel_cmd[1:]):  # the connection file may live in the hidden /tmp
        if flag in ("-f", "--f") and os.path.exists(value):
            cmd += ["--ro-bind", value, value]
    return cmd + list(kernel_cmd)


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that starts the kernel inside ``sandbox_command`` (see the module docstring)."""

    require_sandbox = Bool(
        False,
        help="Refuse to grade when bubblewrap is missing (otherwise grade unsandboxed, with a warning).",
    ).tag(config=True)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        bwrap = shutil.which("bwrap")
        workdir = kw.get("cwd") or os.getcwd()
        if bwrap is None:
            message = f"bubblewrap is not installed, so student code runs unsandboxed ({INSTALL})"
            if self.require_sandbox:
                raise RuntimeError(message)
            self.log.warning(message)
        else:
            kernel_cmd = sandbox_command(kernel_cmd, workdir, course_root(workdir), bwrap)
            # A SIGINT to the process group would also hit bwrap, which dies and takes the kernel with it;
            # an interrupt_request message makes the kernel interrupt itself inside the sandbox.
            self.kernel_spec.interrupt_mode = "message"
        return await super()._async_launch_kernel(kernel_cmd, **kw)
