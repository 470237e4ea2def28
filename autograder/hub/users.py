"""The hub's people as real system users: created with generated passwords (PAM checks them at the hub's login page),
removed with their homes and processes, and never a user this module did not create (its GECOS field says so)."""

from __future__ import annotations

import os
import pwd
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

#: Written into the GECOS field of every user created here: removal refuses any account without it.
MARKER = "chainrule-grader hub"


class HubUserError(RuntimeError):
    """A user could not be created or removed (the message says which and why)."""


@dataclass(frozen=True)
class HubUser:
    """One login of the hub: a system account, its role in the course and the password generated for it."""

    name: str
    role: str  # "instructor" or "student"
    password: str

    @property
    def home(self) -> Path:
        """The account's home folder, as the system has it."""
        return Path(pwd.getpwnam(self.name).pw_dir)

    @property
    def uid(self) -> int:
        """The account's user id."""
        return pwd.getpwnam(self.name).pw_uid


def generate_password() -> str:
    """A fresh random password, typed once from the printed logins (no characters that read alike).

    >>> p = generate_password(); len(p) == 16 and p != generate_password()
    True
    """
    alphabet = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY34679"
    return "".join(secrets.choice(alphabet) for _ in range(16))


def ours(name: str) -> bool:
    """Whether ``name`` is an account this module created (it exists and carries ``MARKER``).

    >>> ours("root"), ours("no-such-user-here")
    (False, False)
    """
    try:
        return pwd.getpwnam(name).pw_gecos == MARKER
    except KeyError:
        return False


def create_user(name: str, role: str, home_base: Path) -> HubUser:
    """Create the system account ``name`` with its home (0700) under ``home_base`` and a generated password.

    Refuses a name that is already an account: the hub never takes over someone's login.
    """
    try:
        pwd.getpwnam(name)
    except KeyError:
        pass
    else:
        raise HubUserError(f"user {name} already exists: remove it (`make hub-clean` removes the hub's own) "
                           "or choose other names")
    _run(["useradd", "--create-home", "--base-dir", str(home_base), "--shell", "/bin/bash",
          "--comment", MARKER, "--user-group", name], f"creating user {name}")
    user = HubUser(name, role, generate_password())
    _run(["chpasswd"], f"setting the password of {name}", stdin=f"{name}:{user.password}\n")
    user.home.chmod(0o700)  # the instructor's course and each student's work: readable by their owner only
    return user


def remove_user(name: str, grace: float = 5.0) -> None:
    """Stop every process of ``name``, then delete the account and its home; a user already gone is fine.

    Refuses an account this module did not create.
    """
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return
    if entry.pw_gecos != MARKER:
        raise HubUserError(f"user {name} was not created by the hub ({MARKER!r} is not its comment): left alone")
    stop_processes_of(entry.pw_uid, grace)
    _run(["userdel", "--remove", name], f"removing user {name}", ok_codes=(0, 12))  # 12: no mail spool, home gone


def processes_of(uid: int) -> list[int]:
    """The ids of the live processes running as ``uid`` (zombies excluded: they are only waiting for their parent).

    >>> processes_of(os.getuid()) != []
    True
    """
    import psutil

    found = []
    for proc in psutil.process_iter(["uids", "status"]):
        uids = proc.info["uids"]
        if uids and uid in (uids.real, uids.effective) and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(proc.pid)
    return found


def stop_processes_of(uid: int, grace: float = 5.0) -> list[int]:
    """SIGTERM every process of ``uid``, SIGKILL (each by its id) what is left after ``grace`` s; return the ids of
    every process that was running. A process forked while the others were stopping is caught by the next pass."""
    stopped: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGKILL):
        deadline = time.monotonic() + grace
        while (pids := processes_of(uid)) and time.monotonic() < deadline:
            for pid in pids:
                if pid not in stopped:
                    stopped.append(pid)
                try:
                    os.kill(pid, signum)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
    return stopped


def _run(command: list[str], doing: str, stdin: str | None = None, ok_codes=(0,)) -> None:
    """Run a user-administration command; raise ``HubUserError`` naming what was being done when it fails."""
    proc = subprocess.run(command, input=stdin, capture_output=True, text=True)
    if proc.returncode not in ok_codes:
        raise HubUserError(f"{doing} failed ({' '.join(command)} exited {proc.returncode}): {proc.stderr.strip()}")


def require_root() -> None:
    """Stop with the reason when not root: creating users, PAM logins and spawning as them need it."""
    if os.geteuid() != 0:
        raise HubUserError("the hub creates system users and starts servers as them: run it as root "
                           "(sudo make hub)")
