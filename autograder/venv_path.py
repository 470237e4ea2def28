"""This environment's commands first on PATH, as in an activated venv: the one helper the CLI, the demo, the tests
and the benchmarks use (nbgrader runs `alembic` and the kernels by name, so they must be this environment's).

Imports only the standard library: the CLI calls it before any command is loaded."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

#: A bare shell's PATH, for runs that must not see the caller's other commands.
BARE_PATH = "/usr/bin:/bin"


def bin_dir() -> Path:
    """The folder of this interpreter's console scripts (``.venv/bin`` when run from the venv).

    >>> bin_dir() == Path(sys.executable).parent
    True"""
    return Path(sys.executable).parent


def console_script_path(name: str) -> str:
    """The path of this environment's console script ``name`` (``autograder``, ``nbgrader``, ``dask``).

    >>> Path(console_script_path("nbgrader")).parent == bin_dir()
    True"""
    return str(bin_dir() / name)


def path_with_bin(path: str | None, bindir: str | Path | None = None) -> str:
    """``path`` with ``bindir`` (default: this environment's) first and nowhere else; empty entries, which would
    mean the current folder, are dropped.

    >>> path_with_bin("/usr/bin:/venv/bin::/bin", "/venv/bin")
    '/venv/bin:/usr/bin:/bin'"""
    first = str(bindir or bin_dir())
    rest = [entry for entry in (path or "").split(os.pathsep) if entry and entry != first]
    return os.pathsep.join([first, *rest])


def env_with_bin(base: Mapping[str, str] | None = None, *, bindir: str | Path | None = None,
                 extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of ``base`` (default: this process's environment) with ``bindir`` first on its PATH, then ``extra``.

    >>> env_with_bin({"PATH": "/bin", "LANG": "C"}, bindir="/venv/bin", extra={"COLUMNS": "200"})
    {'PATH': '/venv/bin:/bin', 'LANG': 'C', 'COLUMNS': '200'}"""
    env = dict(os.environ if base is None else base)
    env["PATH"] = path_with_bin(env.get("PATH"), bindir)
    return {**env, **(extra or {})}


def put_bin_on_path() -> None:
    """Put this environment's bin folder first on this process's PATH, for every command it starts."""
    os.environ["PATH"] = path_with_bin(os.environ.get("PATH"))
