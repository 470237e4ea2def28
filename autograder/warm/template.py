"""The warm template: a process inside the grading sandbox that forks a clean kernel per submission.

It starts once per grading process (``autograder.warm.provisioner`` starts it under
bubblewrap, as root), imports what every kernel would import (ipykernel, IPython,
sympy, numpy, ``autograder.notebook``) and then only waits on a unix socket. Each
request forks a child that gives itself new mount, network, IPC, UTS and PID
namespaces and a fresh private /tmp, /dev/shm and working folder (size-capped, a
read-only copy of the submission's files in it; no other kernel's sockets); in them
an init (PID 1) forks the kernel, which becomes an unprivileged user of its own with
capped processes and file sizes and runs ipykernel in-process. The template itself never runs a
line of student code, so no student sees what another left behind: each kernel is
a copy of the same untouched process.

Protocol, one JSON line each way on a connection per kernel: the request
(``policy``, the kernel's ``autograder.sandbox_policy.SandboxPolicy`` as JSON, checked
on arrival; ``args``, ipykernel's arguments), sent with a descriptor of the
submission's folder whose files the kernel gets a copy of (the template never sees the course: nothing of it is mounted), is answered
``{"pid": <the init's pid>}`` (signal it to end the kernel and all it started) and,
when the kernel has exited, ``{"exit": <code>}``.

>>> _ipykernel_args(["python", "-m", "ipykernel_launcher", "-f", "/tmp/k.json"])
['-f', '/tmp/k.json']
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import socket
import sys

from autograder.limits import die_with_parent
from autograder.sandbox_policy import PolicyError, SandboxPolicy, become_student

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x20000, 0x4000000, 0x8000000, 0x20000000, \
    0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 32, 4096, 16384, \
    1 << 18
MNT_DETACH = 2
PR_SET_NO_NEW_PRIVS = 38
# what every kernel of a course imports: paid once here instead of once per submission
WARM_MODULES = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", "IPython", "sqlite3", "pdb",
                "sympy", "sympy.combinatorics", "numpy", "autograder.notebook",
                # and what IPKernelApp.initialize imports on its way
                "IPython.core.completerlib", "IPython.core.debugger", "IPython.core.oinspect",
                "IPython.extensions.storemagic", "IPython.utils.wildcard", "faulthandler", "tornado.platform.asyncio")

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source, target, fstype, flags=0, data=None) -> None:
    _check(_libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(), flags,
                       data and data.encode()), f"mount {target}")


def _ipykernel_args(argv: list[str]) -> list[str] | None:
    """The arguments ipykernel's launcher gets in a kernel spec's ``argv``, or None for another kernel."""
    try:
        at = argv.index("-m")
    except ValueError:
        return None
    return list(argv[at + 2:]) if argv[at + 1:at + 2] == ["ipykernel_launcher"] else None


def _private(path: str, size: int) -> None:
    os.makedirs(path, exist_ok=True)
    _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")


def _bind(source: str, target: str, readonly: bool) -> None:
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target):
            open(target, "a").close()
    _mount(source, target, None, MS_BIND | MS_REC)
    if readonly:
        _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _copy_tree(folder: int, target: str) -> None:
    """The files and folders under the descriptor ``folder`` copied to ``target``, read-only for the kernel's user
    (owned by root in a sticky folder); links are left out, since they would lead out of the copy."""
    for entry in os.scandir(folder):
        path = os.path.join(target, entry.name)
        if entry.is_dir(follow_symlinks=False):
            sub = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=folder)
            try:
                os.mkdir(path, 0o755)
                _copy_tree(sub, path)
            finally:
                os.close(sub)
        elif entry.is_file(follow_symlinks=False):
            with open(os.open(entry.name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=folder), "rb") as src, \
                    open(path, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            os.chmod(path, 0o444)


def _mount_private(policy: SandboxPolicy, folder: int, keep_under_tmp: list[str]) -> None:
    """In the kernel's new namespaces, as root: its own /proc and private folders (/tmp, /dev/shm, its working
    folder). Paths under the template's /tmp that the kernel needs (the interpreter's, its sockets) are mounted
    again from the old /tmp, reached through a descriptor."""
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    old_tmp = os.open("/tmp", os.O_PATH | os.O_DIRECTORY)
    private = policy.private_folders()
    _private(private[0], policy.disk_bytes)  # /tmp first: what the kernel needs of the old one is mounted back in it
    for path in [*keep_under_tmp, *([policy.ipc_dir] if policy.ipc_dir else [])]:
        if path.startswith("/tmp/"):
            _bind(f"/proc/self/fd/{old_tmp}/{os.path.relpath(path, '/tmp')}", path, readonly=path != policy.ipc_dir)
    os.close(old_tmp)
    for path in private[1:]:
        _private(path, policy.disk_bytes)
    _copy_tree(folder, policy.cwd)
    os.close(folder)  # a descriptor of the grader's folder would lead out of the sandbox: gone before any student line


def _become_student(policy: SandboxPolicy) -> None:
    """The kernel's user: a plain uid of its own (no capabilities left), its limits, no way to gain privileges."""
    os.chdir(policy.cwd)
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")  # bwrap sets it for its own kernels
    become_student(policy.uid, policy.disk_bytes, policy.processes)  # as bwrap's kernels do (sandbox_policy)
    # (again: a change of user clears it) the kernel dies with the init that waits for it, PID 1 of its namespace
    die_with_parent(1)


def _run_kernel(policy: SandboxPolicy, args: list[str]) -> None:
    """ipykernel, started in this process as ``python -m ipykernel_launcher <args>`` would start it."""
    os.environ.clear()
    os.environ.update(policy.environment)  # the grader sends the kernel's own (sandbox.kernel_environment)
    # the template's standard streams lead to the grader (its log, its pipe): the kernel's lead nowhere, so that no
    # thread of the student's writes into nbgrader's log (what it prints reaches the notebook through iopub)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    sys.argv = ["ipykernel_launcher", *args]
    sys.path[0] = policy.cwd  # as `python -m` puts the working folder first
    if "numpy" in sys.modules:  # a copy of the template's generator would give every student the same draws
        sys.modules["numpy"].random.seed()
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


def _serve_kernel(conn: socket.socket, request: dict, folder: int, keep_under_tmp: list[str]) -> None:
    """The forked child: new namespaces, whose PID 1 (an init that reaps orphans, as bubblewrap's does) it forks
    and reports; the init mounts the kernel's private folders and forks the kernel (PID 2)."""
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    # the init cannot see its parent (getppid() is 0 across the namespace): it watches this pipe instead
    lifeline, alive = os.pipe()
    init = os.fork()
    if init == 0:
        code = 1
        try:
            os.close(alive)
            die_with_parent(lifeline=lifeline)  # the init, and with it its namespace, ends with this process
            os.close(lifeline)
            os.setsid()
            _mount_private(request["policy"], folder, keep_under_tmp)
            conn.close()
            os.closerange(3, 1 << 16)
            code = _init(request)
        except BaseException as exc:  # noqa: BLE001 - whatever stopped the kernel is reported, then it exits
            print(f"warm kernel failed to start: {exc!r}", file=sys.stderr, flush=True)
        finally:
            os._exit(code)
    os.close(folder)
    os.close(lifeline)  # the write end stays open here until this process ends
    _send(conn, {"pid": init})
    _, status = os.waitpid(init, 0)
    _send(conn, {"exit": os.waitstatus_to_exitcode(status)})


def _init(request: dict) -> int:
    """PID 1: fork the kernel, reap every process of the namespace until the kernel has exited, return its code.
    (A kernel that were PID 1 itself would interrupt every process but itself: ipykernel signals its process
    group, and for PID 1 that group is "all".)"""
    kernel = os.fork()
    if kernel == 0:
        code = 1
        try:
            _become_student(request["policy"])
            _run_kernel(request["policy"], request["args"])
            code = 0
        except BaseException as exc:  # noqa: BLE001
            print(f"warm kernel failed to start: {exc!r}", file=sys.stderr, flush=True)
        finally:
            os._exit(code)
    while True:
        pid, status = os.waitpid(-1, 0)
        if pid == kernel:
            return os.waitstatus_to_exitcode(status) & 0xFF


def _send(conn: socket.socket, message: dict) -> None:
    try:
        conn.sendall(json.dumps(message).encode() + b"\n")
    except OSError:
        pass  # the grader stopped listening: the kernel's exit concerns nobody


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _read_request(conn: socket.socket) -> tuple[dict, list[int]]:
    """The request, checked (its ``policy`` made a ``SandboxPolicy``), and the descriptor of the submission's folder
    that came with it (SCM_RIGHTS)."""
    data, fds, _, _ = socket.recv_fds(conn, 1 << 20, 1)
    while data and not data.endswith(b"\n"):
        chunk = conn.recv(1 << 20)
        if not chunk:
            break
        data += chunk
    if not data.endswith(b"\n"):
        for fd in fds:
            os.close(fd)
        raise ConnectionError("the grader closed the connection before its request ended")
    try:
        return checked_request(json.loads(data)), fds
    except ValueError:
        for fd in fds:
            os.close(fd)
        raise


def checked_request(request) -> dict:
    """A kernel request as sent (``{"policy": {...}, "args": [...]}``) with its policy made a ``SandboxPolicy``,
    or ``{"stop": True}``; anything else raises ``ValueError`` saying what is wrong.

    >>> checked_request({"stop": True})
    {'stop': True}
    """
    if not isinstance(request, dict):
        raise ValueError(f"a request is an object, not {type(request).__name__}")
    if request.get("stop") is True:
        return {"stop": True}
    if set(request) != {"policy", "args"}:
        raise ValueError(f"a request has a policy and args, not {sorted(request)}")
    args = request["args"]
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise ValueError(f"args must be a list of strings, not {args!r}")
    policy = SandboxPolicy.from_json(request["policy"])
    if policy.uid is None:
        raise PolicyError("sandbox policy: a forked kernel needs a uid of its own (the template runs as root)")
    return {"policy": policy, "args": args}


def _warm_up() -> None:
    """Judge a few answers once, so no kernel pays sympy's first-use costs at its first cell; then freeze what
    exists, so the kernels' garbage collector never walks (and so never copies) the template's pages."""
    import gc

    try:
        from autograder.api import warm_up
    except ImportError:
        pass  # the kernel's interpreter has no autograder: nothing of ours to warm
    else:
        warm_up()
    gc.collect()
    gc.freeze()


def serve(control: str, keep_under_tmp: list[str]) -> None:
    """Import the warm modules, then fork a kernel for each request on the unix socket ``control``."""
    for name in WARM_MODULES:
        try:
            __import__(name)
        except ImportError:
            pass  # a kernel that needs it imports it itself, as a fresh one would
    _warm_up()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(control)
    os.chmod(control, 0o600)  # only root (the grader that started it) may ask for a kernel
    listener.listen(16)
    listener.settimeout(1.0)
    print("ready", flush=True)
    while True:
        _reap()
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        conn.settimeout(None)
        try:
            request, fds = _read_request(conn)
        except (OSError, ValueError) as exc:
            _send(conn, {"error": f"bad request: {exc}"})
            conn.close()
            continue
        if request.get("stop") or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            conn.close()
            if request.get("stop"):
                return
            continue
        template = os.getpid()
        pid = os.fork()
        if pid == 0:
            try:
                die_with_parent(template)  # this kernel's sandbox ends with the template, and so with the grader
                listener.close()
                _serve_kernel(conn, request, fds[0], keep_under_tmp)
            except BaseException as exc:  # noqa: BLE001
                _send(conn, {"error": f"the kernel's sandbox could not be made: {exc}"})
            finally:
                os._exit(0)
        os.close(fds[0])
        conn.close()


if __name__ == "__main__":
    serve(sys.argv[1], json.loads(sys.argv[2]))
