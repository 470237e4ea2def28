"""One helper puts this environment's commands first on PATH for the CLI, the demo, the tests and the benchmarks."""

from __future__ import annotations

import os
import subprocess
import sys

from autograder.demo import console_script
from autograder.venv_path import BARE_PATH, bin_dir, env_with_bin, path_with_bin


def test_the_bin_folder_comes_first_once_and_no_empty_entry_stays():
    bindir = str(bin_dir())
    path = path_with_bin(f"/usr/local/bin::{bindir}:/usr/bin")
    assert path.split(os.pathsep) == [bindir, "/usr/local/bin", "/usr/bin"]
    # the near misses of a plain f"{bindir}:{path}": a second copy, and "" (the current folder) left in
    assert path.count(bindir) == 1 and "" not in path.split(os.pathsep)
    assert path_with_bin(None) == bindir  # no PATH at all: only the bin folder, not "bin:" (the current folder)


def test_console_script_is_this_environment_s_and_inherits_only_when_asked(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_TEST_MARKER", "1")
    exe, env = console_script("autograder", extra_env={"COLUMNS": "200"})
    assert exe == str(bin_dir() / "autograder") and os.access(exe, os.X_OK)
    assert env["PATH"].split(os.pathsep)[0] == str(bin_dir()) and env["AUTOGRADER_TEST_MARKER"] == "1"
    assert env["COLUMNS"] == "200"
    _, bare = console_script("autograder", inherit=False)
    assert bare == {"PATH": path_with_bin(BARE_PATH)}  # nothing of the caller's environment


def test_the_cli_runs_its_commands_from_its_own_environment():
    """`autograder` started with a PATH that lacks its bin folder still finds nbgrader's commands (alembic, the
    kernels) by name: its main puts the folder first before any command runs."""
    probe = ("import contextlib, io, shutil\nfrom autograder import cli\n"
             "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
             "    cli.main(['--help'])\nprint(shutil.which('nbgrader'))")
    env = env_with_bin({"PATH": BARE_PATH}, bindir="/nonexistent/bin")
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == str(bin_dir() / "nbgrader"), out.stderr
    # the near miss: with the same PATH and no call, the venv's nbgrader is not found
    out = subprocess.run([sys.executable, "-c", "import shutil; print(shutil.which('nbgrader'))"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() != str(bin_dir() / "nbgrader")
