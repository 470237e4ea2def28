"""Seal a kernel's socket folder when the grader is not root: remount it read-only inside the kernel's sandbox.

A grader running as root gives the folder back to root once the kernel is ready
(``SandboxedKernelManager.seal_ipc_dir``). A grader that is not root cannot: its
kernel runs as the grader's own uid (in a user namespace of its own) and owns the
folder. But the grader's user owns that namespace, so a helper process may enter it
and remount the folder's bind read-only in the kernel's mount namespace. The sockets
the kernel bound stay bound; the grader, in its own mount namespace, connects as
before; the kernel can create nothing there any more, and a namespace it makes of its
own cannot undo the remount (the kernel locks mount flags a less privileged
namespace inherits). ``setns`` into a user namespace needs a single-threaded process:
hence a helper, not this (threaded) process.
"""

from __future__ import annotations

import os
import subprocess
import sys

# statvfs's ST_* flag -> mount(2)'s MS_* flag, for the flags a remount must keep (a locked one may not be cleared)
_KEPT = ((os.ST_NOSUID, 2), (os.ST_NODEV, 4), (os.ST_NOEXEC, 8), (os.ST_NOATIME, 1024),
         (os.ST_NODIRATIME, 2048), (os.ST_RELATIME, 1 << 21))
MS_RDONLY, MS_REMOUNT, MS_BIND = 1, 32, 4096


# Run as `python -I -S -c _HELPER <pid> <path> <_KEPT as JSON> <base flags>`: enters the user namespace owning <pid>'s mount
# namespace (NS_GET_USERNS: bubblewrap's kernel sits in a nested one), then that mount namespace, and remounts
_HELPER = r"""
import ctypes, fcntl, json, os, sys
libc = ctypes.CDLL(None, use_errno=True)
pid, path, kept, base = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])
def fail(what):
    sys.exit(f"{what}: {os.strerror(ctypes.get_errno())}")
mnt = os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
owner = fcntl.ioctl(mnt, 0xB701)
if libc.setns(owner, 0x10000000) != 0:
    fail("cannot enter the kernel's user namespace")
if libc.setns(mnt, 0x00020000) != 0:
    fail("cannot enter the kernel's mount namespace")
os.chdir("/")
flags = os.statvfs(path).f_flag
if libc.mount(None, path.encode(), None, base | sum(ms for st, ms in kept if flags & st), None) != 0:
    fail(f"cannot remount {path} read-only")
"""


def seal_readonly(pid: int, path: str, timeout: float = 10.0) -> str | None:
    """Remount ``path`` read-only in the mount namespace of process ``pid`` (a process of a kernel's sandbox, which
    this process's user owns); None once done, else why not (one line)."""
    import json

    try:
        proc = subprocess.run([sys.executable, "-I", "-S", "-c", _HELPER, str(pid), path, json.dumps(_KEPT),
                               str(MS_RDONLY | MS_REMOUNT | MS_BIND)],
                              capture_output=True, text=True, timeout=timeout, env={}, cwd="/")
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"the sealing helper did not run: {exc}"
    if proc.returncode != 0:
        return (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
    return None


def sandbox_init(bwrap_pid: int) -> int | None:
    """The sandbox's first process (its PID 1, bubblewrap's child) under bwrap's outer process ``bwrap_pid``."""
    import psutil

    try:
        children = psutil.Process(bwrap_pid).children()
    except psutil.Error:
        return None
    return children[0].pid if children else None
