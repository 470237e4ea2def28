"""Let the hub's users run this environment's programs when a folder on the way is closed to them (the interpreter of
a pyenv under /root, a clone in a 0700 folder): in a private mount namespace of the user's server, a tmpfs is laid
over each closed folder and only the folders the programs need are brought back. Nothing changes on the host."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from autograder.venv_path import bin_dir
from autograder.warm.template import CLONE_NEWNS, MS_BIND, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT, _check, _libc, \
    _mount  # the warm template's system calls: one copy of them


def needed_folders() -> list[Path]:
    """What a user's server must reach: the interpreter's installation, the venv, and this package.

    >>> Path(sys.base_prefix).resolve() in needed_folders()
    True
    """
    import autograder

    return [Path(os.path.realpath(sys.base_prefix)), bin_dir().parent.resolve(),
            Path(autograder.__file__).resolve().parent]


def closed_ancestor(path: Path) -> Path | None:
    """The top-most folder above ``path`` that other users may not cross (no ``o+x``), or None.

    >>> closed_ancestor(Path("/usr/bin")) is None
    True
    """
    for parent in reversed(path.parents):
        if not os.stat(parent).st_mode & stat.S_IXOTH:
            return parent
    return None


def reopenings(paths: list[Path]) -> dict[Path, list[Path]]:
    """{closed folder: the needed paths under it}, for the needed paths that other users cannot reach."""
    plan: dict[Path, list[Path]] = {}
    for path in paths:
        closed = closed_ancestor(path)
        if closed is not None:
            plan.setdefault(closed, []).append(path)
    return plan


def reopen(plan: dict[Path, list[Path]]) -> None:
    """In a new mount namespace of this process (it must be root: called before it becomes the user), cover each
    closed folder with a small tmpfs (0755) and bind the needed paths back, read-only, at the same places.

    Runs between fork and exec of the user's server: only system calls, no thread, no import.
    """
    _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing of what follows reaches the host
    for closed, paths in plan.items():
        held = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in paths]  # before the tmpfs hides them
        _mount("tmpfs", str(closed), "tmpfs", 0, "mode=0755,size=1m")
        for path, fd in held:
            os.makedirs(path, exist_ok=True)
            _mount(f"/proc/self/fd/{fd}", str(path), None, MS_BIND | MS_REC)
            _mount(None, str(path), None, MS_BIND | MS_REMOUNT | MS_RDONLY)
            os.close(fd)
