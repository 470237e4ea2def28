"""Run the student's kernel in a bubblewrap sandbox while grading: no network, course hidden, bounded writes.

Inside, the kernel sees the system (/usr, /etc, …) read-only, what its own
interpreter imports (asked of that interpreter) read-only, and two size-capped
private folders: the working folder, where the submission's files are mounted
read-only, and /tmp. Nothing else of the machine is there: not the course (spec
files with the references, the gradebook, other students' submissions), not
/home, /root or /run. The kernel has
a network namespace of its own (no interface but its own loopback) and talks to
the grader over Jupyter's IPC transport, through unix sockets in a folder bound in.
Processes of the grader are invisible (own PID namespace). Run by root, the kernel
runs as a fresh unprivileged user, so its process cap (RLIMIT_NPROC) holds; run by
another user, bubblewrap gives the kernel a user namespace of its own, in which the
cap counts that kernel's processes only (Linux 5.14 and later count them per
namespace and user).
Configure it for autograding in nbgrader_config.py::

    c.Execute.kernel_manager_class = "autograder.sandbox.SandboxedKernelManager"

Its kernels are forked from a warm template in the same sandbox (``autograder.warm``) unless the config names
another provisioner (``c.KernelProvisionerFactory.default_provisioner_name = "local-provisioner"``).

>>> policy = SandboxPolicy("/course/autograded/s1/ps1", root="/course")
>>> cmd = bwrap_command(["python", "-m", "ipykernel_launcher"], policy)
>>> cmd[:4], cmd[-3:]
(['bwrap', '--die-with-parent', '--unshare-pid', '--unshare-net'], ['python', '-m', 'ipykernel_launcher'])
"""

from __future__ import annotations

import atexit
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import uuid
from functools import lru_cache
from pathlib import Path

from jupyter_client import AsyncKernelManager
from traitlets import Bool, DottedObjectName, Integer, Type

from .sandbox_policy import (DISK_MB, MAX_PROCESSES, MIB, PRIVATE_FOLDERS, SANDBOX_ENV, ForkRequest, ForksKernels,
                             SandboxPolicy, become_script, become_student)

INSTALL = "apt-get install -y bubblewrap"
OPT_OUT = "--unsandboxed, or c.SandboxedKernelManager.require_sandbox = False in nbgrader_config.py"
UNSANDBOXED_BANNER = ("UNSANDBOXED: student code runs with the grader's rights, network and disk (opted out "
                      "of the bubblewrap sandbox); a grade is only worth what its isolation is worth")
MISSING_BWRAP = (f"bubblewrap (bwrap) is not installed, and grading does not run student code unsandboxed: "
                 f"{INSTALL}   (to opt out on a machine that cannot have it: {OPT_OUT})")
# A uid nobody on the machine has: the kernel of a grader running as root gets one of its own, so that
# RLIMIT_NPROC (ignored for root) caps its processes and no other kernel's processes count against it.
_SPARE_UIDS = (2_000_000_000, 2_100_000_000)  # below 2**31: bwrap prints uids as signed ints


# What bwrap says when this machine lets no unprivileged user create namespaces: a sysctl at 0 (Debian's
# unprivileged_userns_clone, user.max_user_namespaces, a container's seccomp or nesting limit) or AppArmor's
# restriction (Ubuntu 24.04: bwrap then fails setting up its uid map or loopback)
NO_USERNS = re.compile(r"namespace|setting up uid map|RTM_NEWADDR", re.IGNORECASE)
NAMESPACES_REFUSED = (
    "this machine does not let a user who is not root create the namespaces the grading sandbox needs (bwrap said: "
    "{said}); nothing was graded. An admin enables them with `sysctl -w user.max_user_namespaces=15000` (and "
    "`kernel.unprivileged_userns_clone=1` on older Debian kernels, `kernel.apparmor_restrict_unprivileged_userns=0` "
    "or an AppArmor profile allowing userns for bwrap on Ubuntu 24.04), or a container platform that allows them "
    "(e.g. docker --security-opt seccomp=unconfined); or grade as root")


class SandboxMissing(RuntimeError):
    """Grading would run student code unsandboxed and the configuration does not allow it."""


# What of the grader's environment a kernel gets: what Python, Jupyter and the locale need, nothing else (a gradebook
# password, a cloud token or a Dask address set for the grader is no business of student code). HOME and IPYTHONDIR
# are the sandbox's own inside it; the kernel spec's own variables and AUTOGRADER_GRADING (set by ResilientExecute)
# are kept too.
KERNEL_ENV = ("PATH", "HOME", "IPYTHONDIR", "LANG", "LANGUAGE", "TZ", "PYTHONPATH", "PYTHONIOENCODING", "PYTHONUTF8",
              "PYDEVD_DISABLE_FILE_VALIDATION")
KERNEL_ENV_PREFIXES = ("LC_", "JPY_")


def kernel_environment(env, keep=()) -> dict:
    """The part of ``env`` (the grader's environment, with what Jupyter added) a kernel gets: the names of
    ``KERNEL_ENV``, those starting with ``KERNEL_ENV_PREFIXES``, ``keep`` and AUTOGRADER_GRADING.

    >>> kernel_environment({"PATH": "/usr/bin", "GRADEBOOK_PASSWORD": "x", "LC_ALL": "C.UTF-8"})
    {'PATH': '/usr/bin', 'LC_ALL': 'C.UTF-8'}
    """
    from .protocol import GRADING_ENV

    wanted = {*KERNEL_ENV, *keep, GRADING_ENV}
    return {name: value for name, value in env.items()
            if name in wanted or name.startswith(KERNEL_ENV_PREFIXES)}


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


# The system the kernel sees, read-only; nothing else of the machine's file system is there (not the course,
# not /home, /root, /srv or /work where other courses and clones live, not /run with the host daemons' unix
# sockets) but what the kernel's interpreter imports, mounted back.
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")


def _system(path: Path) -> bool:
    return any(_inside(path, Path(top)) for top in SYSTEM if os.path.isdir(top) and not os.path.islink(top))


def bwrap_command(kernel_cmd: list[str], policy: SandboxPolicy, bwrap: str = "bwrap") -> list[str]:
    """``kernel_cmd`` wrapped in bubblewrap as ``policy`` says: no network; the system read-only plus its
    ``visible`` paths (what the interpreter imports), never the course ``root`` whole; the working folder and /tmp
    private, writable up to ``disk_bytes`` each, with the files of ``cwd`` in it read-only; ``ipc_dir`` (the
    kernel's sockets) bound in; run as ``uid`` (bwrap itself must then run as root)."""
    workdir = Path(policy.cwd)
    size = str(policy.disk_bytes)
    cmd = [bwrap, "--die-with-parent", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
    if policy.uid is None and os.geteuid() != 0:
        # a user namespace of the kernel's own, where its process cap counts only its processes (implied when bwrap is
        # not setuid; asked for, so that a setuid bwrap makes one too)
        cmd.append("--unshare-user")
    view, bound = _system_view(size, policy.root, policy.visible)
    cmd += view
    # the working folder: a private, size-capped copy in which the submission's files are read-only
    cmd += [*_reachable(workdir, bound), *_private(size, str(workdir))]
    if workdir.is_dir():
        # bwrap follows a link it binds: only plain files and folders go in (the warm fork's copy leaves links out too)
        for entry in sorted(os.scandir(workdir), key=lambda e: e.name):
            if entry.is_file(follow_symlinks=False) or entry.is_dir(follow_symlinks=False):
                cmd += ["--ro-bind", entry.path, entry.path]
    cmd += ["--chdir", str(workdir)]
    ipc_dir = policy.ipc_dir
    if ipc_dir is not None:
        cmd += [*_reachable(Path(ipc_dir), bound), "--bind", str(ipc_dir), str(ipc_dir)]
    for flag, value in zip(kernel_cmd, kernel_cmd[1:]):  # a connection file outside ipc_dir
        if flag in ("-f", "--f") and os.path.exists(value) and not (ipc_dir and _inside(Path(value), Path(ipc_dir))):
            cmd += [*_reachable(Path(value), bound), "--ro-bind", value, value]
    if policy.uid is not None:
        # bwrap runs as root (it can read what it mounts, wherever it is); the kernel then becomes ``uid``,
        # a user whose RLIMIT_NPROC holds, with no capabilities left (bwrap sets no_new_privs itself)
        cmd += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    # the limits are set here, inside the sandbox, after bwrap made its namespaces: a grader that is not root has its
    # kernel in a user namespace of its own, where RLIMIT_NPROC counts that kernel's processes only; set before bwrap
    # it would count every process of the grader's user (and cap the namespace's whole tree at it)
    return cmd + [sys.executable, "-c", become_script(policy)] + list(kernel_cmd)


def _system_view(size: str, root, visible) -> tuple[list[str], list[Path]]:
    """bwrap's arguments for what every sandboxed process sees: the system read-only, /dev, /proc, a private /tmp
    and /dev/shm of ``size`` bytes, and what the interpreter imports (``visible``) read-only unless binding it
    would bring back the course ``root`` whole; also the paths bound so far."""
    cmd: list[str] = []
    for top in SYSTEM:
        if os.path.islink(top):  # merged /usr: /bin -> usr/bin
            cmd += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            cmd += ["--ro-bind", top, top]
    cmd += ["--dev", "/dev", "--proc", "/proc"]
    for folder in PRIVATE_FOLDERS:
        cmd += _private(size, folder)
    for name, value in SANDBOX_ENV:  # --die-with-parent does the parent poller's job (see SANDBOX_ENV)
        cmd += ["--setenv", name, value]
    # what the interpreter imports comes back read-only, wherever it lives (a clone in /tmp, a course's .venv),
    # unless binding it would bring back the course whole (the course's own folder on sys.path) or another course
    course = Path(root).resolve() if root is not None else None
    keep = sorted({Path(p).resolve() for p in (sys.prefix, sys.base_prefix, Path(__file__).resolve().parent,
                                                *visible)})
    bound: list[Path] = []
    for path in keep:
        if (not path.exists() or _system(path) or any(_inside(path, b) for b in bound)
                or (course is not None and _inside(course, path)) or _holds_a_course(path)):
            continue
        cmd += [*_reachable(path, bound), "--ro-bind", str(path), str(path)]
        bound.append(path)
    # Jupyter's system-wide config folders may hold an nbgrader_config.py with the gradebook's URL and password
    for config in _jupyter_config_dirs():
        if any(_inside(config, b) for b in [Path("/etc"), Path("/usr"), *bound]):
            cmd += ["--tmpfs", str(config)]
    return cmd, bound


def _holds_a_course(path: Path) -> bool:
    """Whether ``path`` is a course folder or a folder of courses (an nbgrader_config.py at its top or one level
    down): the course repository on PYTHONPATH would bring back every spec; its package is then not importable and
    the solutions-first check stops the batch, saying so."""
    if (path / "nbgrader_config.py").exists():
        return True
    try:
        return any((child / "nbgrader_config.py").exists() for child in path.iterdir() if child.is_dir())
    except OSError:
        return False


def template_command(python: str, control: str, ipc_root, root=None, bwrap: str = "bwrap", *,
                     visible=()) -> list[str]:
    """The warm template (``autograder.warm.template``) in bubblewrap, as root with its capabilities, which each
    kernel it forks needs to make its own namespaces and then drops: the same view of the machine as a kernel's
    (no submission, no course), no network, the kernels' socket folders (``ipc_root``) bound in."""
    view, bound = _system_view(str(DISK_MB * MIB), root, visible)
    ipc_root = Path(ipc_root)
    under_tmp = [str(b) for b in bound if _inside(b, Path("/tmp"))]
    return [bwrap, "--die-with-parent", "--unshare-net", "--unshare-ipc", "--unshare-uts", *view,
            "--setenv", "PYDEVD_DISABLE_FILE_VALIDATION", "1", *_reachable(ipc_root, bound),
            "--bind", str(ipc_root), str(ipc_root), "--chdir", "/", "--cap-add", "ALL",
            python, "-m", "autograder.warm.template", control, json.dumps(under_tmp)]


def _jupyter_config_dirs() -> list[Path]:
    """The existing folders jupyter_core reads system and environment config from (/etc/jupyter, …)."""
    try:
        from jupyter_core.paths import jupyter_config_path

        return [Path(p).resolve() for p in jupyter_config_path() if os.path.isdir(p)]
    except Exception:
        return [Path(p) for p in ("/etc/jupyter", "/usr/local/etc/jupyter") if os.path.isdir(p)]


def _reachable(path: Path, bound: list[Path]) -> list[str]:
    """The folders leading to ``path`` that bwrap creates, made traversable by anyone (it would make them 0700,
    which the kernel's unprivileged user could not cross). Folders of the system, /tmp, or of a path already
    mounted exist as they are. Inside the private /tmp they are created too: a clone under /tmp (as CI makes) has
    its venv there, and bwrap's own 0700 folders would hide it from the kernel's user."""
    steps = [a for a in path.parents if a not in (Path("/"), Path("/tmp")) and not _system(a)
             and not any(_inside(a, b) for b in bound)]
    return [arg for a in reversed(steps) for arg in ("--perms", "0755", "--dir", str(a))]


def _private(size: str, path: str) -> list[str]:
    """An empty folder at ``path``, writable by anyone (the kernel's user), holding at most ``size`` bytes."""
    return ["--perms", "1777", "--size", size, "--tmpfs", path]


_PROBE = r"""
import json, os, sys
paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))}
paths.update(p for p in sys.path if p)
for finder in sys.meta_path:  # editable installs (setuptools' finder maps package names to source folders)
    mapping = getattr(sys.modules.get(getattr(finder, "__module__", "")), "MAPPING", None)
    if isinstance(mapping, dict):
        paths.update(str(v) for v in mapping.values())
try:
    import importlib.metadata as md, importlib.util as iu
    for dist in md.distributions():
        url = json.loads(dist.read_text("direct_url.json") or "{}")
        if url.get("dir_info", {}).get("editable"):
            for name in (dist.read_text("top_level.txt") or "").split():
                spec = iu.find_spec(name)
                if spec is not None:
                    paths.update(spec.submodule_search_locations or [os.path.dirname(spec.origin or "")])
except Exception:
    pass
print(json.dumps(sorted(p for p in paths if p)))
"""


@lru_cache(maxsize=16)
def _import_paths(python: str, pythonpath: str | None) -> tuple[str, ...]:
    env = dict(os.environ)
    if pythonpath is None:
        env.pop("PYTHONPATH", None)
    else:
        env["PYTHONPATH"] = pythonpath
    try:
        out = subprocess.run([python, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=60,
                             cwd="/").stdout
        return tuple(json.loads(out))
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return ()


def import_paths(kernel_cmd: list[str], env: dict | None = None) -> tuple[str, ...]:
    """Everything the kernel's interpreter imports from: its prefixes, its ``sys.path`` and the source folders of
    editable installs (asked of that interpreter, not this process: the two may differ)."""
    env = os.environ if env is None else env
    python = shutil.which(kernel_cmd[0], path=env.get("PATH")) if kernel_cmd else None
    return _import_paths(python, env.get("PYTHONPATH")) if python else ()


def sandbox_problem() -> str | None:
    """Why the sandbox cannot run on this machine (one line: what is missing and how to install it), or None."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return MISSING_BWRAP
    probe = bwrap_command(["true"], SandboxPolicy(str(Path(tempfile.gettempdir()).resolve()),
                                                  uid=_SPARE_UIDS[0] if os.geteuid() == 0 else None), bwrap)
    try:
        proc = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap ({bwrap}) does not run: {exc}"
    if proc.returncode != 0:
        said = " ".join(proc.stderr.split())[:300]
        if os.geteuid() != 0 and NO_USERNS.search(said):
            return NAMESPACES_REFUSED.format(said=said)
        return (f"bubblewrap ({bwrap}) cannot create its sandbox here: {said} "
                "(it needs version 0.8 or newer, and unprivileged user namespaces unless the grader runs as root)")
    return None


def _limit_child(policy: SandboxPolicy):
    """A preexec function: ``policy``'s cap on file sizes on bwrap, which its kernel inherits (``become_student``
    with no uid switch and no process cap: bwrap's own script sets that inside the sandbox, and switches user)."""
    def limit():
        become_student(None, policy.disk_bytes, None)
    return limit


def _tasks_of(uid: int) -> int:
    """Processes and threads ``uid`` has now (RLIMIT_NPROC counts them all where it is not per namespace)."""
    import psutil

    count = 0
    for proc in psutil.process_iter(["uids", "num_threads"]):
        try:
            if proc.info["uids"] and proc.info["uids"].real == uid:
                count += proc.info["num_threads"] or 1
        except (psutil.Error, TypeError):
            pass
    return count


def nproc_per_namespace(release: str | None = None) -> bool:
    """Whether this Linux counts RLIMIT_NPROC per user namespace and user (5.14 and later), so that a cap set in a
    kernel's own namespace counts that kernel's processes only.

    >>> nproc_per_namespace("5.13.0-generic"), nproc_per_namespace("6.18.44")
    (False, True)
    """
    found = re.match(r"(\d+)\.(\d+)", release or os.uname().release)
    return found is not None and (int(found.group(1)), int(found.group(2))) >= (5, 14)


_FACTORIES: dict[str, object] = {}


WARM_PROVISIONER = "autograder-warm-fork"


def _provisioner_factory(config):
    """A provisioner factory reading ``config``, whose default provisioner is the warm fork unless the config names
    another (``c.KernelProvisionerFactory.default_provisioner_name = "local-provisioner"`` starts every kernel
    afresh); one per distinct setting: making one scans the installed entry points, which a class should pay once."""
    from jupyter_client.provisioning import KernelProvisionerFactory
    from traitlets.config import Config

    settings = dict(config.KernelProvisionerFactory) if "KernelProvisionerFactory" in config else {}
    settings.setdefault("default_provisioner_name", WARM_PROVISIONER)
    key = repr(sorted(settings.items()))
    factory = _FACTORIES.get(key)
    if factory is None:
        factory = _FACTORIES[key] = KernelProvisionerFactory(config=Config({"KernelProvisionerFactory": settings}))
    return factory


_SOCKET_ROOTS: dict[int, str] = {}
SOCKET_ROOT = re.compile(r"agk-(\d+)-(\d+)-")  # agk-<owner pid>-<owner's start time>-<random>, in /tmp


def _start_time(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, from /proc), or None if there is no such process or it
    has ended (a zombie: a container's PID 1 may take its time to reap an orphan): with the pid it names one
    process for good, whatever reuses the pid later.

    >>> _start_time(os.getpid()) is not None
    True
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return None if fields[0] in (b"Z", b"X") else fields[19].decode()
    except (OSError, IndexError):
        return None


def kernel_socket_root() -> str:
    """This process's folder for its kernels' socket folders, under /tmp (short: a unix socket's path may not
    exceed 107 bytes), traversable by the kernels' users; a warm template binds it whole.

    Its name says which process owns it, so that any process can tell a folder whose owner is gone: a grading
    worker killed by its timeout (SIGKILL), or ended by ``os._exit``, never runs its atexit; its parent's and the
    next run's ``sweep_socket_roots`` remove what it left."""
    pid = os.getpid()
    root = _SOCKET_ROOTS.get(pid)
    if root is None or not os.path.isdir(root):
        sweep_socket_roots()
        root = _SOCKET_ROOTS[pid] = tempfile.mkdtemp(prefix=f"agk-{pid}-{_start_time(pid)}-", dir="/tmp")
        os.chmod(root, 0o755)
        atexit.register(_remove_socket_root, pid, root)
    return root


def owner_ended(name: str) -> bool:
    """Whether ``name`` is a socket folder's name whose owner process has ended (one still running keeps it).

    >>> owner_ended(f"agk-{os.getpid()}-{_start_time(os.getpid())}-x"), owner_ended("agk-1-0-x"), owner_ended("tmp")
    (False, True, False)
    """
    found = SOCKET_ROOT.match(name)
    return found is not None and _start_time(int(found.group(1))) != found.group(2)


def sweep_socket_roots(tmp: str = "/tmp") -> int:
    """Remove the socket folders in ``tmp`` whose owner process is gone; returns how many went.

    >>> sweep_socket_roots("/nonexistent")
    0
    """
    removed = 0
    try:
        entries = list(os.scandir(tmp))
    except OSError:
        return 0
    for entry in entries:
        if owner_ended(entry.name) and entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed += not os.path.exists(entry.path)
    return removed


def _remove_socket_root(owner: int, root: str) -> None:
    if os.getpid() == owner:
        shutil.rmtree(root, ignore_errors=True)


# every process that grades (nbgrader, `autograder grade` and its forked workers' parent, a Dask worker) removes at
# its end the socket folders of the workers it outlived
atexit.register(sweep_socket_roots)


def _kill(processes) -> int:
    """SIGKILL each of ``processes`` (psutil processes; one already gone is skipped); returns how many there were."""
    import psutil

    for proc in processes:
        try:
            proc.kill()
        except psutil.Error:
            pass
    return len(processes)


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that starts the kernel inside ``bwrap_command`` (see the module docstring)."""

    require_sandbox = Bool(
        True,
        help="Refuse to start a kernel without bubblewrap. False only on a machine that cannot have it: "
             "student code then runs with the grader's rights (a banner says so, and it is recorded).",
    ).tag(config=True)
    disk_mb = Integer(DISK_MB, help="MiB student code may write in its working folder, and again in /tmp.").tag(
        config=True)
    max_processes = Integer(MAX_PROCESSES, help="Processes and threads the kernel may have.").tag(config=True)

    # ready when the kernel has answered, without jupyter_client's 0.2 s of iopub silence per kernel (both traits:
    # AsyncKernelManager declares client_factory with a default of its own, which no longer follows client_class)
    client_class = DottedObjectName("autograder.kernel_client.PromptKernelClient", config=True)
    client_factory = Type(klass="autograder.kernel_client.PromptKernelClient", config=True)

    sandboxed = Bool(False, help="Whether the last kernel started runs in the sandbox (set at launch).")
    _ipc_dir = None
    _uid = None  # the kernel's own uid, when the grader runs as root

    async def _async_pre_start_kernel(self, **kw):
        if self.provisioner is None:
            # a factory made with this manager's config, so the course's nbgrader_config.py can name the provisioner
            # (jupyter_client's own call builds its singleton factory without it); the warm fork by default
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = _provisioner_factory(self.config).create_provisioner_instance(
                self.kernel_id, self.kernel_spec, parent=self)
        if shutil.which("bwrap") is not None:
            # The kernel has no network: it binds unix sockets in a folder of its own, bound into the sandbox.
            # (Kept short: a unix socket's path may not exceed 107 bytes.)
            if self._ipc_dir is None:
                self._ipc_dir = tempfile.mkdtemp(prefix="k", dir=kernel_socket_root())
                self.transport = "ipc"
                self.ip = os.path.join(self._ipc_dir, "k")
                self.connection_file = os.path.join(self._ipc_dir, "kernel.json")
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        bwrap = shutil.which("bwrap")
        workdir = kw.get("cwd") or os.getcwd()
        self.sandboxed = bwrap is not None
        # none of the grader's environment but what the kernel needs; its output never reaches the grader's log (a
        # student's thread writing to fd 2 after its cell would write into nbgrader's)
        kw["env"] = kernel_environment(kw.get("env") or os.environ, (self.kernel_spec.env or {}).keys())
        kw["stdout"] = kw["stderr"] = subprocess.DEVNULL
        if bwrap is None:
            if self.require_sandbox:
                raise SandboxMissing(MISSING_BWRAP)
            self.log.warning(UNSANDBOXED_BANNER)
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        uid = None
        if os.geteuid() == 0:
            uid = self._uid = secrets.randbelow(_SPARE_UIDS[1] - _SPARE_UIDS[0]) + _SPARE_UIDS[0]
            os.chown(self._ipc_dir, uid, uid)
            os.chown(self.connection_file, uid, uid)
            processes = self.max_processes
        elif nproc_per_namespace():  # the kernel's own user namespace: the cap counts its processes only
            processes = self.max_processes
        else:  # an older Linux counts every process of this user: leave room for the ones it has
            processes = _tasks_of(os.getuid()) + self.max_processes
        root = course_root(workdir)
        policy = SandboxPolicy(
            cwd=str(Path(workdir).resolve()), disk_bytes=self.disk_mb * MIB, processes=processes, uid=uid,
            ipc_dir=self._ipc_dir, env=tuple(kw["env"].items()),
            visible=tuple(str(p) for p in import_paths(kernel_cmd, kw["env"])),
            root=None if root is None else str(root))
        kw["preexec_fn"] = _limit_child(policy)

        # A SIGINT to the process group would also hit bwrap, which dies and takes the kernel with it;
        # an interrupt_request message makes the kernel interrupt itself inside the sandbox.
        self.kernel_spec.interrupt_mode = "message"
        if isinstance(self.provisioner, ForksKernels):  # the template forks the kernel; bwrap's command if it cannot
            kw["warm_fork"] = ForkRequest(tuple(kernel_cmd), policy, kernel_socket_root(),
                                          lambda: bwrap_command(kernel_cmd, policy, bwrap))
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        return await super()._async_launch_kernel(bwrap_command(kernel_cmd, policy, bwrap), **kw)

    def seal_ipc_dir(self) -> None:
        """Give the kernel's socket folder back to root once the kernel is ready (its client calls this when the
        kernel has answered, before any cell runs): the kernel's own user can then write nothing there, in the
        grader's /tmp, outside the kernel's size caps. (Not sooner: ipykernel writes its connection file back once
        its sockets are bound.) A grader that is not root remounts the folder read-only in the kernel's sandbox
        instead (``autograder.sandbox_seal``)."""
        if self._ipc_dir is None or not self.sandboxed:
            return
        if self._uid is None:
            self._seal_unprivileged()
            return
        for path in (self.connection_file, self._ipc_dir):
            try:
                os.chown(path, 0, 0)
            except FileNotFoundError:
                pass
        os.chmod(self._ipc_dir, 0o755)

    def _seal_unprivileged(self) -> None:
        from .sandbox_seal import sandbox_init, seal_readonly

        process = getattr(self.provisioner, "process", None)
        init = sandbox_init(process.pid) if process is not None else None
        problem = "the sandbox has no process" if init is None else seal_readonly(init, self._ipc_dir)
        if problem is not None:  # the kernel may then write in its socket folder (within its file size cap)
            self.log.warning("The kernel's socket folder %s stays writable by the kernel: %s", self._ipc_dir, problem)

    def end_strays(self) -> int:
        """End every process of the kernel's sandbox but the kernel (a fork bomb's children, which an interrupt
        does not reach); returns how many there were. As root, the processes of the kernel's own user; otherwise the
        processes under the sandbox's init but the kernel (its first child)."""
        import psutil

        uid = self._uid
        if uid is None:
            return self._end_strays_in_sandbox()
        mine = []
        for proc in psutil.process_iter(["uids", "ppid"]):
            try:
                if proc.info["uids"] and proc.info["uids"].real == uid:
                    mine.append(proc)
            except (psutil.Error, TypeError):
                pass
        pids = {p.pid for p in mine}
        return _kill([p for p in mine if p.info["ppid"] in pids])  # the kernel is the one whose parent is bwrap's

    def _end_strays_in_sandbox(self) -> int:
        import psutil

        from .sandbox_seal import sandbox_init

        process = getattr(self.provisioner, "process", None)
        init = sandbox_init(process.pid) if self.sandboxed and process is not None else None
        if init is None:
            return 0
        try:
            inside = sorted(psutil.Process(init).children(), key=lambda p: p.create_time())
        except psutil.Error:
            return 0
        # the kernel is the init's first child; the others are orphans the init adopted, plus the kernel's children
        return _kill(inside[1:] + (inside[0].children(recursive=True) if inside else []))

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart and self._ipc_dir is not None:
            shutil.rmtree(self._ipc_dir, ignore_errors=True)
            self._ipc_dir = None
