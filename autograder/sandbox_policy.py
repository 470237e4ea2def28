"""What a grading kernel's sandbox allows, written once: read by the bubblewrap command (``autograder.sandbox``) and
by the warm template's fork (``autograder.warm.template``), which gets it across its socket as JSON.

A ``SandboxPolicy`` says where the kernel works (``cwd``, a private size-capped copy of the submission's folder), how
much it may write (``disk_bytes``, in that folder and again in /tmp and /dev/shm), how many processes and threads
its user may have (``processes``), which user it becomes (``uid``; None: the grader's own, when the grader is not
root), its socket folder (``ipc_dir``), its environment (``env``), what of the machine it sees besides the system
(``visible``: what its interpreter imports) and the course that must stay hidden (``root``).

This module imports the standard library only: the template (inside the sandbox) imports it too.

>>> p = SandboxPolicy(cwd="/c/autograded/s1/ps1", uid=2_000_000_001, env=(("PATH", "/usr/bin"),))
>>> SandboxPolicy.from_json(json.loads(json.dumps(p.to_json()))) == p
True
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os  # noqa: F401 - loaded here: become_student imports them again as a grader's preexec function, after a
import resource  # noqa: F401 - fork, where loading a module could wait forever on a lock another thread held
from dataclasses import dataclass
from typing import Callable

MIB = 1024 * 1024
DISK_MB = 256  # writable MiB in the kernel's working folder, and as much again in its /tmp
MAX_PROCESSES = 128  # processes and threads the kernel's user may have (ipykernel itself uses about 10)
# Folders every kernel gets empty, private and capped at ``disk_bytes`` (its working folder is one more)
PRIVATE_FOLDERS = ("/tmp", "/dev/shm")
# The sandbox's own values, over whatever the environment says: HOME and IPython's folder in the private /tmp, and
# JPY_PARENT_PID=1, which turns off ipykernel's parent poller (it would take PID 1 of the kernel's PID namespace for
# an orphaned kernel; the sandbox ends the kernel with its parent itself)
SANDBOX_ENV = (("HOME", "/tmp"), ("IPYTHONDIR", "/tmp/.ipython"), ("JPY_PARENT_PID", "1"))
MAX_UID = 2**31 - 1  # bwrap prints uids as signed ints


class PolicyError(ValueError):
    """A sandbox policy that is not well formed (says which field and why)."""


def _absolute(name: str, value) -> None:
    if not isinstance(value, str) or not value.startswith("/") or "\0" in value:
        raise PolicyError(f"sandbox policy: {name} must be an absolute path, not {value!r}")


def _count(name: str, value, low: int, high: int) -> None:
    if type(value) is not int or not low <= value <= high:  # noqa: E721 - a bool is no count
        raise PolicyError(f"sandbox policy: {name} must be a whole number from {low} to {high}, not {value!r}")


@dataclass(frozen=True)
class SandboxPolicy:
    """One kernel's sandbox (see the module docstring); checked when made, so a bad one never reaches a kernel."""

    cwd: str
    disk_bytes: int = DISK_MB * MIB
    processes: int = MAX_PROCESSES
    uid: int | None = None
    ipc_dir: str | None = None
    env: tuple[tuple[str, str], ...] = ()
    visible: tuple[str, ...] = ()
    root: str | None = None

    def __post_init__(self):
        _absolute("cwd", self.cwd)
        _count("disk_bytes", self.disk_bytes, 1, 2**62)
        _count("processes", self.processes, 1, 2**31)
        if self.uid is not None:
            _count("uid", self.uid, 1, MAX_UID)  # never 0: a kernel never runs as root
        for name in ("ipc_dir", "root"):
            if getattr(self, name) is not None:
                _absolute(name, getattr(self, name))
        if not isinstance(self.env, tuple) or not all(
                isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(s, str) and "\0" not in s for s in pair)
                and pair[0] and "=" not in pair[0] for pair in self.env):
            raise PolicyError(f"sandbox policy: env must be (name, value) pairs of strings, not {self.env!r}")
        if not isinstance(self.visible, tuple):
            raise PolicyError(f"sandbox policy: visible must be a tuple of paths, not {self.visible!r}")
        for path in self.visible:
            _absolute("visible", path)

    @property
    def environment(self) -> dict[str, str]:
        """The kernel's environment: ``env`` with the sandbox's own values (``SANDBOX_ENV``) over it.

        >>> SandboxPolicy(cwd="/w", env=(("HOME", "/root"), ("LANG", "C"))).environment["HOME"]
        '/tmp'
        """
        return {**dict(self.env), **dict(SANDBOX_ENV)}

    def private_folders(self) -> tuple[str, ...]:
        """The folders the kernel gets empty and its own, each capped at ``disk_bytes``.

        >>> SandboxPolicy(cwd="/w").private_folders()
        ('/tmp', '/dev/shm', '/w')
        """
        return (*PRIVATE_FOLDERS, self.cwd)

    def to_json(self) -> dict:
        """The policy as JSON-safe values (lists for tuples), as the warm template receives it."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    @classmethod
    def from_json(cls, data) -> SandboxPolicy:
        """The policy ``to_json`` gave, checked: exactly its fields, each well formed (else ``PolicyError``)."""
        if not isinstance(data, dict):
            raise PolicyError(f"sandbox policy: expected an object, not {type(data).__name__}")
        fields = {f.name for f in dataclasses.fields(cls)}
        if set(data) != fields:
            raise PolicyError(f"sandbox policy: unexpected fields {sorted(set(data) - fields)}, "
                              f"missing {sorted(fields - set(data))}")
        values = dict(data)
        if not isinstance(values["env"], list) or not all(isinstance(p, list) for p in values["env"]):
            raise PolicyError(f"sandbox policy: env must be a list of [name, value] pairs, not {values['env']!r}")
        values["env"] = tuple(tuple(pair) for pair in values["env"])
        if not isinstance(values["visible"], list):
            raise PolicyError(f"sandbox policy: visible must be a list of paths, not {values['visible']!r}")
        values["visible"] = tuple(values["visible"])
        return cls(**values)


def become_student(uid, disk_bytes, processes):
    """Cap the calling process's file sizes and (``processes`` not None) its user's processes, then (``uid`` not
    None) become ``uid`` with no groups and, from root, no capabilities left. Both sandboxes call this: the warm fork
    in its kernel's process, bubblewrap's command as the script it runs before the kernel (``become_script``), and
    the grader before bwrap (file sizes only: the process cap is set inside the sandbox, see ``bwrap_command``).
    Self-contained (its imports inside): its source is that script."""
    import os
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (disk_bytes, disk_bytes))
    if processes is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)  # from root to a plain uid: every capability is dropped


def become_script(policy: SandboxPolicy) -> str:
    """A ``python -c`` script that calls ``become_student`` for ``policy``, then execs its arguments.

    >>> "os.setuid(uid)" in become_script(SandboxPolicy(cwd="/w", uid=2_000_000_001))
    True
    """
    return (f"{inspect.getsource(become_student)}\nimport os, sys\n"
            f"become_student({policy.uid!r}, {policy.disk_bytes!r}, {policy.processes!r})\n"
            "os.execvp(sys.argv[1], sys.argv[1:])\n")


class ForksKernels:
    """Marks a kernel provisioner that forks kernels from a warm template: the sandboxed kernel manager then hands
    its ``launch_kernel`` a ``ForkRequest`` as the ``warm_fork`` keyword. (A marker here, so that the manager need
    not import the provisioner, which imports the manager's module.)"""


@dataclass(frozen=True)
class ForkRequest:
    """What a warm provisioner needs to fork one kernel: the kernel spec's command, the kernel's policy, the socket
    folder the template binds (``ipc_root``, which holds ``policy.ipc_dir``) and the bubblewrap command to fall
    back on when the template cannot fork it."""

    kernel_cmd: tuple[str, ...]
    policy: SandboxPolicy
    ipc_root: str
    fallback_cmd: Callable[[], list[str]]
