"""Real system users for the tests of grading as a non-root instructor and of isolation between users.

``system_users(...)`` creates users with ``useradd`` (unique names, homes 0700) and removes them with their homes
and every process they still have (each killed by its pid), even when the test failed. ``as_user`` runs a command
as one of them the way a login would: ``setpriv`` to their uid, gid and groups, an environment of HOME, USER, PATH
and the locale only. This checkout (its interpreter, venv and repository) may live where other users cannot go (a
pyenv or a clone under /root): the command then runs in a private mount namespace in which only those folders are
brought back, under a tmpfs laid over the closed folder (nothing changes on the host).
"""

from __future__ import annotations

import os
import pwd
import secrets
import shlex
import shutil
import stat
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from autograder.venv_path import BARE_PATH, bin_dir, path_with_bin


@dataclass(frozen=True)
class User:
    """A system user the test created."""

    name: str
    uid: int
    gid: int
    home: Path


def require_root() -> None:
    import pytest

    if os.geteuid() != 0 or shutil.which("useradd") is None:
        pytest.fail("these tests create system users: run them as root (make test does, in CI)")


@contextmanager
def system_users(*roles: str):
    """One new user per role (``agi`` + role + random letters), yielded as a list; all removed afterwards."""
    users: list[User] = []
    try:
        for role in roles:
            name = f"agi{role}{secrets.token_hex(3)}"[:31]
            subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", "--user-group", name], check=True,
                           capture_output=True, timeout=60)
            entry = pwd.getpwnam(name)
            home = Path(entry.pw_dir)
            home.chmod(0o700)  # an instructor's course lives here: readable by nobody else
            users.append(User(name, entry.pw_uid, entry.pw_gid, home))
        yield users
    finally:
        left = [f"{user.name}: {pid}" for user in users for pid in end_processes_of(user.uid)]
        for user in users:
            subprocess.run(["userdel", "--remove", user.name], capture_output=True, timeout=60)
            shutil.rmtree(user.home, ignore_errors=True)
        assert not left, f"processes of test users were still running at teardown: {left}"


def processes_of(uid: int) -> list[int]:
    """The pids of ``uid``'s processes now (zombies, already dead, left out)."""
    import psutil

    found = []
    for proc in psutil.process_iter(["uids", "status"]):
        try:
            if (proc.info["uids"] and uid in (proc.info["uids"].real, proc.info["uids"].effective)
                    and proc.info["status"] != psutil.STATUS_ZOMBIE):
                found.append(proc.pid)
        except (psutil.Error, TypeError):
            pass
    return found


def end_processes_of(uid: int, within: float = 5.0) -> list[int]:
    """Kill every process of ``uid`` (by pid, after ``within`` seconds to end on its own); returns those killed."""
    deadline = time.monotonic() + within
    while (pids := processes_of(uid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in pids:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    return pids


def user_env(user: User, **extra: str) -> dict[str, str]:
    """What a login gives ``user`` (HOME, USER, LOGNAME, the locale), this environment's commands first on PATH."""
    return {"HOME": str(user.home), "USER": user.name, "LOGNAME": user.name, "LANG": "C.UTF-8",
            "PATH": path_with_bin(BARE_PATH, bin_dir()), **extra}


def _closed_ancestor(path: Path) -> Path | None:
    """The top-most folder above ``path`` that other users may not cross (no o+x), if any."""
    for parent in reversed(path.parents):
        if not os.stat(parent).st_mode & stat.S_IXOTH:
            return parent
    return None


def _needed_paths() -> list[Path]:
    """What a user's command needs of this checkout: the interpreter's installation, the venv and the repository
    (the package, the tests' scripts); the top-most of any nested ones."""
    paths = sorted({Path(os.path.realpath(p)) for p in (sys.base_prefix, sys.prefix, Path(__file__).parents[2])})
    return [p for p in paths if not any(q != p and p.is_relative_to(q) for q in paths)]


def _reopen_script(stage: Path) -> list[str]:
    """Shell commands (run as root in a private mount namespace) that make each needed path reachable where a
    closed folder (a home such as /root) is on its way: each is bound aside under ``stage``, a tmpfs laid over the
    closed folder, and each bound back at its own path; nothing else of the closed folder is there."""
    closed: dict[Path, list[Path]] = {}
    for path in _needed_paths():
        top = _closed_ancestor(path)
        if top is not None:
            closed.setdefault(top, []).append(path)
    commands = []
    for n, (top, paths) in enumerate(sorted(closed.items())):
        for m, path in enumerate(paths):
            aside = shlex.quote(str(stage / f"{n}-{m}"))
            commands.append(f"mkdir -p {aside} && mount --bind {shlex.quote(str(path))} {aside}")
        commands.append(f"mount -t tmpfs -o mode=0755,size=1m tmpfs {shlex.quote(str(top))}")
        for m, path in enumerate(paths):
            aside = shlex.quote(str(stage / f"{n}-{m}"))
            commands.append(f"mkdir -p {shlex.quote(str(path))} && mount --bind {aside} {shlex.quote(str(path))}")
    return commands


def as_user_command(user: User, argv: list[str], stage: Path | None = None) -> list[str]:
    """``argv`` run as ``user``: setpriv to the user's ids and groups, in a clean environment (see ``as_user``);
    in a private mount namespace where this checkout is reachable when it is not on the host (``stage`` is a
    root-only folder the mounts use)."""
    become = ["setpriv", f"--reuid={user.uid}", f"--regid={user.gid}", "--init-groups", "--", "env", "-i",
              *(f"{k}={v}" for k, v in user_env(user).items()), *argv]
    if stage is None:
        return become
    commands = _reopen_script(stage)
    if not commands:
        return become
    script = " && ".join([*commands, 'exec "$@"'])
    return ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "sh", *become]


def as_user(user: User, argv: list[str], cwd: Path | str, stage: Path, timeout: float = 600,
            **kw) -> subprocess.CompletedProcess:
    """Run ``argv`` as ``user`` in ``cwd``; its output captured as text."""
    return subprocess.run(as_user_command(user, argv, stage), cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, **kw)


def chown_tree(path: Path, user: User) -> None:
    """Give ``path`` and everything under it to ``user`` (links themselves, never their targets)."""
    for folder, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.chown(os.path.join(folder, name), user.uid, user.gid, follow_symlinks=False)
    os.chown(path, user.uid, user.gid, follow_symlinks=False)
