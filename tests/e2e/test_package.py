"""The wheel, installed with its [nbgrader] extra in a fresh venv, gives a CLI that lists and runs every command,
and `autograder grade` grades a real submission in the real sandbox from that venv alone."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.cli import SUBCOMMANDS
from autograder.demo import load_class, prepare_course, read_scores, write_submissions
from autograder.venv_path import BARE_PATH, console_script_path, env_with_bin, path_with_bin

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
STUDENT = "bob"  # partial credit: the grade shows the answers were judged, not all-or-nothing


def run(*cmd, cwd=None, env=None, timeout=600) -> subprocess.CompletedProcess:
    """Run ``cmd``; fail the test with its output if it exits non-zero."""
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory):
    """A venv holding only the wheel and its [nbgrader] extra (pinned by constraints.txt); its bin folder.

    The wheel is built from a copy of the package (setuptools would leave build/ and *.egg-info in the clone)."""
    root = tmp_path_factory.mktemp("package")
    src = root / "src"
    shutil.copytree(REPO / "autograder", src / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    run(*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", root / "dist", src)
    (wheel,) = (root / "dist").glob("chainrule_grader-*.whl")
    venv = root / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)  # this pip installs into it: no ensurepip
    run(*pip, "--python", venv / "bin" / "python", "install", f"{wheel}[nbgrader]", "-c", REPO / "constraints.txt")
    return venv / "bin"


def bare_env(bindir: Path) -> dict:
    """An environment that knows nothing of the test's venv: the fresh venv's bin first, as when activated."""
    return {"PATH": path_with_bin(BARE_PATH, bindir), "HOME": os.environ.get("HOME", "/tmp"), "COLUMNS": "200",
            "LANG": "C.UTF-8"}


def test_the_venv_holds_only_what_the_extra_declares(fresh_venv):
    names = run(sys.executable, "-m", "pip", "--python", fresh_venv / "python", "list", "--format=freeze",
                timeout=120).stdout.lower()
    assert "chainrule-grader==0.1.0" in names and "nbgrader==0.9.6" in names
    for absent in ("playwright==", "pytest==", "dask==", "psycopg==", "matplotlib=="):  # not asked for: not there
        assert absent not in names


def test_help_lists_every_command(fresh_venv):
    out = run(fresh_venv / "autograder", "--help", env=bare_env(fresh_venv), timeout=60).stdout
    assert re.findall(r"^ {4}(\w+)", out, re.MULTILINE) == list(SUBCOMMANDS)
    # the [nbgrader] extra is there: only the report (matplotlib for its plots) and the hub (jupyterhub) name theirs
    assert re.findall(r"needs: pip install '([^']+)'", out) == ["chainrule-grader[report]", "chainrule-grader[hub]"]


def test_equiv_runs_from_the_wheel(fresh_venv):
    env = bare_env(fresh_venv)
    assert "equivalent" in run(fresh_venv / "autograder", "equiv", "a*(1-a)", "a - a**2", env=env).stdout
    proc = subprocess.run([fresh_venv / "autograder", "equiv", "a*(1+a)", "a - a**2"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the near miss is refused


def test_a_missing_extra_names_it(fresh_venv, tmp_path):
    proc = subprocess.run([fresh_venv / "autograder", "grade", "ps1", "--scheduler", "tcp://127.0.0.1:1"],
                          cwd=tmp_path, env=bare_env(fresh_venv), capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stderr) == (
        2, "autograder grade needs the dask extra: pip install 'chainrule-grader[dask]'\n")


def test_grade_grades_a_submission_in_the_sandbox(fresh_venv, tmp_path):
    """generate_assignment and `autograder grade` of the fresh venv, sandboxed: the student's points are the
    demo class's expected ones."""
    course = prepare_course(tmp_path / "course")
    env = bare_env(fresh_venv)
    run(fresh_venv / "nbgrader", "generate_assignment", "ps1", "--force", cwd=course, env=env)
    (student,) = [s for s in load_class("ps1") if s.id == STUDENT]
    write_submissions(course, [student])
    proc = run(fresh_venv / "autograder", "grade", "ps1", "--jobs", "1", "--cell-timeout", "5", cwd=course, env=env)
    assert "1 graded, 0 failed" in proc.stdout and "UNSANDBOXED" not in proc.stdout.upper(), proc.stdout
    scores = read_scores(course)[STUDENT]
    assert scores == student.expected and 0 < sum(scores.values()) < 10, scores


def test_demo_from_the_wheel_says_it_needs_the_repository(fresh_venv, tmp_path):
    """The wheel holds the package, not the demo course: one line saying so and where to get it, exit 2, no
    traceback. The near miss: the same command in the repository's own environment finds the demo course."""
    proc = subprocess.run([fresh_venv / "autograder", "demo", "ps1"], cwd=tmp_path, env=bare_env(fresh_venv),
                          capture_output=True, text=True, timeout=120)
    lines = proc.stderr.splitlines()
    assert (proc.returncode, proc.stdout, len(lines)) == (2, "", 1), proc.stdout + proc.stderr
    assert lines[0].startswith("autograder demo needs the repository's demo course") and "git clone" in lines[0]
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    here = subprocess.run([console_script_path("autograder"), "demo", "nosuch"], cwd=tmp_path,
                          env=env_with_bin(extra={"TMPDIR": str(scratch)}), capture_output=True, text=True, timeout=120)
    assert here.returncode == 2 and "no demo class for nosuch; there is one for ps1" in here.stdout, here.stderr
    assert list(scratch.iterdir()) == []  # refused before its scratch course was made
