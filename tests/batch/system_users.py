"""Real system users for the tests of grading as a non-root instructor and of isolation between users.

``system_users(...)`` creates users with ``useradd`` (unique names, homes 0700) and removes them with their homes
and every process they still have (each killed by its pid), even when the test failed. ``as_user`` runs a command
as one of them the way a login would: ``setpriv`` to their uid, gid and groups, an environment of HOME, USER, PATH
and the locale only. This checkout may live where other users cannot go (a pyenv or a clone under /root): the
command then runs in the private mount namespace the hub gives its users' servers (``autograder.hub.reach``), where
only what it needs is brought back (nothing changes on the host).
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
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


def reach_preexec(then=None):
    """A preexec function that makes this checkout reachable for the user the command becomes (the hub's own
    ``reopen``, in a private mount namespace: the interpreter, the venv, the package and these tests' scripts), after
    ``then`` (another preexec function) if given."""
    from autograder.hub.reach import needed_folders, reopen, reopenings

    plan = reopenings([*needed_folders(), Path(__file__).resolve().parent])

    def preexec():
        if then is not None:
            then()
        if plan:
            reopen(plan)
    return preexec


def as_user_command(user: User, argv: list[str]) -> list[str]:
    """``argv`` run as ``user``: setpriv to the user's ids and groups, in a clean environment (``user_env``); run it
    with ``reach_preexec()``."""
    return ["setpriv", f"--reuid={user.uid}", f"--regid={user.gid}", "--init-groups", "--", "env", "-i",
            *(f"{k}={v}" for k, v in user_env(user).items()), *argv]


def as_user(user: User, argv: list[str], cwd: Path | str, timeout: float = 600, **kw) -> subprocess.CompletedProcess:
    """Run ``argv`` as ``user`` in ``cwd``; its output captured as text."""
    return subprocess.run(as_user_command(user, argv), cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          preexec_fn=reach_preexec(), **kw)


def chown_tree(path: Path, user: User) -> None:
    """Give ``path`` and everything under it to ``user`` (links themselves, never their targets)."""
    for folder, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.chown(os.path.join(folder, name), user.uid, user.gid, follow_symlinks=False)
    os.chown(path, user.uid, user.gid, follow_symlinks=False)
