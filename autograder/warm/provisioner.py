"""A kernel provisioner that forks each grading kernel from a warm template instead of starting Python afresh.

Set it in nbgrader_config.py (with ``SandboxedKernelManager``, which tells it what
each kernel needs)::

    c.KernelProvisionerFactory.default_provisioner_name = "autograder-warm-fork"

Each grading process starts one template (``autograder.warm.template``) in the
sandbox the first time it needs a kernel, and asks it for a fork per submission:
Python, ipykernel, sympy and ``autograder.notebook`` are imported once, not once per
student. Where forking is impossible (the grader is not root, the kernel is not
ipykernel in this interpreter, the template does not start) the kernel starts the
usual way, in its own bubblewrap sandbox, and a log line says why.

>>> WarmForkProvisioner.fork_problem(["/usr/bin/R", "--slave"], euid=0)
'the kernel is not ipykernel (/usr/bin/R --slave)'
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import time

from jupyter_client.provisioning import LocalProvisioner

from ..sandbox import kernel_environment, template_command
from ..sandbox_policy import ForkRequest, ForksKernels
from .template import _ipykernel_args

FELL_BACK = "Starting a fresh sandboxed kernel instead of a warm-forked one"
READY_TIMEOUT = 120.0  # seconds the template may take to import everything on a loaded machine
KILL_WAIT = 2.0  # seconds a killed kernel's exit is awaited here before jupyter_client's own polling takes over


class TemplateFailed(RuntimeError):
    """The warm template could not start or could not fork a kernel."""


class ForkedKernel:
    """The ``subprocess.Popen`` face of a kernel the template forked: a pid to signal (through a pidfd, so a
    reused pid is never hit) and the template's connection, on which the kernel's exit code arrives."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, conn: socket.socket, reader):
        self.pid, self._conn, self._reader, self.returncode = pid, conn, reader, None
        try:
            self._pidfd = os.pidfd_open(pid)
        except OSError:  # already gone
            self._pidfd = None

    def _read_exit(self, timeout: float | None) -> int | None:
        if self.returncode is not None:
            return self.returncode
        ready, _, _ = select.select([self._conn], [], [], timeout)
        if not ready:
            return None
        line = self._reader.readline()
        try:
            self.returncode = int(json.loads(line)["exit"]) if line else -signal.SIGKILL
        except (ValueError, KeyError, TypeError):
            self.returncode = -signal.SIGKILL
        self._close()
        return self.returncode

    def poll(self) -> int | None:
        return self._read_exit(0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._read_exit(timeout)
        if code is None:
            raise subprocess.TimeoutExpired("forked kernel", timeout)
        return code

    def send_signal(self, signum: int) -> None:
        if self.returncode is None and self._pidfd is not None:
            try:
                signal.pidfd_send_signal(self._pidfd, signum)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def _close(self) -> None:
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None
        self._reader.close()
        self._conn.close()


class WarmTemplate:
    """One template process (in bubblewrap) and its control socket; forks kernels on request."""

    def __init__(self, python: str, visible: tuple[str, ...], root, ipc_root: str):
        self.control = os.path.join(ipc_root, f"template-{secrets.token_hex(4)}")  # one per template this process starts
        cmd = template_command(python, self.control, ipc_root, root, shutil.which("bwrap") or "bwrap",
                               visible=visible)
        # the kernel's environment, not the grader's: every kernel is a copy of this process, /proc/self/environ too
        self.process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        env=kernel_environment(os.environ))
        ready, _, _ = select.select([self.process.stdout], [], [], READY_TIMEOUT)
        line = self.process.stdout.readline() if ready else b""
        if line.strip() != b"ready":
            self.stop()
            raise TemplateFailed(f"the warm template did not start (exit code {self.process.poll()})")

    def alive(self) -> bool:
        return self.process.poll() is None

    def fork(self, request: dict, folder: str) -> ForkedKernel:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            conn.connect(self.control)
            socket.send_fds(conn, [json.dumps(request).encode() + b"\n"], [fd])
        except OSError as exc:
            conn.close()
            raise TemplateFailed(f"the warm template did not take the request: {exc}") from exc
        finally:
            os.close(fd)
        reader = conn.makefile("rb")
        ready, _, _ = select.select([conn], [], [], 30)
        reply = json.loads(reader.readline() or b"{}") if ready else {}
        if "pid" not in reply:
            reader.close()
            conn.close()
            raise TemplateFailed(reply.get("error", "the warm template did not answer"))
        return ForkedKernel(int(reply["pid"]), conn, reader)

    def stop(self) -> None:
        """Ask the template to end (so its CPU time is counted where it was started), else kill it."""
        if self.process.poll() is None:
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                    conn.connect(self.control)
                    conn.sendall(b'{"stop": true}\n')
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


_TEMPLATES: dict[tuple, WarmTemplate] = {}  # (our pid, python, visible, course) -> this process's template


def warm_template(python: str, visible: tuple[str, ...], root, ipc_root: str) -> WarmTemplate:
    """This process's template for kernels of ``python`` (started on first use, again if it died)."""
    key = (os.getpid(), python, visible, str(root))
    template = _TEMPLATES.get(key)
    if template is None or not template.alive():
        template = _TEMPLATES[key] = WarmTemplate(python, visible, root, ipc_root)
    return template


@atexit.register
def _stop_templates() -> None:
    for key, template in list(_TEMPLATES.items()):
        if key[0] == os.getpid():
            template.stop()
    _TEMPLATES.clear()


def run_fork_problem(euid: int | None = None) -> str | None:
    """Why no kernel of this run can be forked from a template (the grader is not root), or None: said once at the
    start of ``autograder grade``, whose workers' logs the instructor does not see.

    >>> run_fork_problem(euid=0) is None, run_fork_problem(euid=1000).startswith("the grader does not run as root")
    (True, True)
    """
    if (os.geteuid() if euid is None else euid) != 0:
        return ("the grader does not run as root, which the template needs to give each kernel its own namespaces "
                "and user")
    return None


class WarmForkProvisioner(ForksKernels, LocalProvisioner):
    """``LocalProvisioner`` whose kernels are forked from this process's warm template (see the module docstring);
    the kernel manager passes what the kernel needs as ``warm_fork`` (a ``ForkRequest``: the kernel's sandbox
    policy, with a function making the bubblewrap command to fall back on)."""

    _said: set[str] = set()  # fallback reasons already logged by this process

    @staticmethod
    def fork_problem(kernel_cmd: list[str], euid: int | None = None) -> str | None:
        """Why this kernel cannot be forked from a template here, or None."""
        problem = run_fork_problem(euid)
        if problem is not None:
            return problem
        if _ipykernel_args(kernel_cmd) is None:
            return f"the kernel is not ipykernel ({' '.join(kernel_cmd)})"
        if shutil.which("bwrap") is None:
            return "bubblewrap is not installed"
        return None

    async def launch_kernel(self, cmd: list[str], **kwargs):
        fork: ForkRequest | None = kwargs.pop("warm_fork", None)
        if fork is not None:
            started = time.monotonic()
            try:
                self.process = await asyncio.get_running_loop().run_in_executor(None, self._fork, fork)
            except TemplateFailed as exc:
                self._fall_back(str(exc))
                cmd = fork.fallback_cmd()
            else:
                self.pid, self.pgid, self.cwd = self.process.pid, None, fork.policy.cwd
                self.log.debug("Forked kernel %s from the warm template in %.3f s", self.pid,
                               time.monotonic() - started)
                return self.connection_info
        return await super().launch_kernel(cmd, **kwargs)

    async def kill(self, restart: bool = False) -> None:
        await super().kill(restart=restart)
        # jupyter_client then polls is_alive every 0.1 s; the exit code arrives within milliseconds of the signal
        if self.process is not None:
            await asyncio.get_running_loop().run_in_executor(None, _wait_quietly, self.process, KILL_WAIT)

    def _fork(self, fork: ForkRequest) -> ForkedKernel:
        kernel_cmd, policy = list(fork.kernel_cmd), fork.policy
        problem = self.fork_problem(kernel_cmd)
        if problem is not None:
            raise TemplateFailed(problem)
        if policy.uid is None:
            raise TemplateFailed("the kernel has no user of its own, which a forked kernel needs")
        python = shutil.which(kernel_cmd[0], path=dict(policy.env).get("PATH")) or kernel_cmd[0]
        template = warm_template(python, policy.visible, policy.root, fork.ipc_root)
        request = {"policy": policy.to_json(), "args": _ipykernel_args(kernel_cmd)}
        return template.fork(request, policy.cwd)

    def _fall_back(self, reason: str) -> None:
        if reason not in self._said:
            self._said.add(reason)
            self.log.warning("%s: %s", FELL_BACK, reason)


def _wait_quietly(process, timeout: float) -> None:
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        pass  # jupyter_client goes on waiting, and warns

