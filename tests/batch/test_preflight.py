"""`nbgrader autograde` with the course's config: no bubblewrap stops it in one line, an opt-out is announced and
recorded, and the kernel sees the package wherever its interpreter imports it from (the solutions are graded
first, so a set-up that could not grade stops the batch instead of giving the class zero)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.demo import REPO, load_class, nbgrader, prepare_course, read_scores, write_submissions
from autograder.venv_path import bin_dir, env_with_bin

pytestmark = pytest.mark.e2e
BIN = bin_dir()


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    course = prepare_course(tmp_path_factory.mktemp("preflight") / "course")
    nbgrader(course, "generate_assignment", "ps1", "--force")
    return course


@pytest.fixture
def course(released, tmp_path):
    course = Path(shutil.copytree(released, tmp_path / "course"))
    write_submissions(course, [s for s in load_class("ps1") if s.id == "alice"], "ps1")
    return course


def autograde(course, env, *args):
    return subprocess.run([str(BIN / "nbgrader"), "autograde", "ps1", "--force", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=600)


def without_bwrap(tmp_path) -> dict:
    empty = tmp_path / "bin-without-bwrap"
    empty.mkdir(exist_ok=True)
    return env_with_bin({**os.environ, "PATH": str(empty)})


def test_without_bubblewrap_autograde_stops_with_one_line(course, tmp_path):
    r = autograde(course, without_bwrap(tmp_path))
    assert r.returncode == 2, r.stderr[-3000:]  # as `autograder grade`: the set-up, not a submission, is wrong
    ours = [line for line in r.stderr.splitlines() if line.startswith("autograder:")]
    assert len(ours) == 1 and "apt-get install -y bubblewrap" in ours[0], r.stderr[-3000:]
    assert read_scores(course, "ps1") == {}  # nobody was graded (to zero or otherwise)


def test_the_opt_out_is_announced_and_recorded(course, tmp_path):
    r = autograde(course, without_bwrap(tmp_path), "--SandboxedKernelManager.require_sandbox=False")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "UNSANDBOXED" in r.stderr
    assert sum(read_scores(course, "ps1")["alice"].values()) == 10
    nb = json.loads((course / "autograded" / "alice" / "ps1" / "ps1.ipynb").read_text())
    assert nb["metadata"]["autograder"]["sandbox"].startswith("none")


def test_the_kernel_sees_a_package_only_its_interpreter_imports(course, tmp_path):
    """The issue's set-up: the kernel imports autograder from another checkout under /tmp (here through its
    kernelspec's env), which the grading process never imported; the sandbox mounts it back."""
    other = tmp_path / "other-checkout"
    shutil.copytree(REPO / "autograder", other / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3", "language": "python", "env": {"PYTHONPATH": str(other)}}))
    env = {**os.environ, "JUPYTER_PATH": str(tmp_path / "jupyter")}
    r = autograde(course, env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert sum(read_scores(course, "ps1")["alice"].values()) == 10
    nb = json.loads((course / "autograded" / "alice" / "ps1" / "ps1.ipynb").read_text())
    assert nb["metadata"]["autograder"]["sandbox"].startswith("bubblewrap")


def test_autograder_demo_refuses_without_bubblewrap(tmp_path):
    r = subprocess.run([str(BIN / "autograder"), "demo", "ps1", "--dir", str(tmp_path / "demo")],
                       env=without_bwrap(tmp_path), capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    lines = [line for line in r.stdout.splitlines() if line.strip()]
    assert len(lines) == 1 and "apt-get install -y bubblewrap" in lines[0], r.stdout


def test_autograder_check_on_a_grader_machine_is_sandboxed(course, tmp_path):
    import nbformat

    notebook = course / "submitted" / "alice" / "ps1" / "ps1.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    outside = tmp_path / "written-by-alice.txt"
    nb.cells.append(nbformat.v4.new_code_cell(f"open({str(outside)!r}, 'w').write('x')"))
    nbformat.write(nb, notebook)
    r = subprocess.run([str(BIN / "autograder"), "check", str(notebook), "--timeout", "20"], cwd=course,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "total: 10/10" in r.stdout, r.stdout[-3000:]
    assert not outside.exists()  # the kernel ran in the sandbox: its /tmp is private
    r = subprocess.run([str(BIN / "autograder"), "check", str(notebook)], cwd=course, env=without_bwrap(tmp_path),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "apt-get install -y bubblewrap" in r.stdout, r.stdout


# formgrader's autograde button: NbGraderAPI.autograde inside the Jupyter server's process, whose app is the server
# (so AutogradeApp.instance() raises there) and whose working folder is not the course
FORMGRADER_AUTOGRADE = """
import json, sys
from jupyter_server.serverapp import ServerApp
from nbgrader.apps import NbGraderAPI
from autograder.grading.course_config import load_course_config
ServerApp.instance()
api = NbGraderAPI(config=load_course_config(sys.argv[1]))
for click in range(int(sys.argv[2])):
    print(json.dumps(api.autograde("ps1", "alice")))
"""


def formgrader_autograde(course, tmp_path, clicks: int = 1) -> list[dict]:
    r = subprocess.run([sys.executable, "-c", FORMGRADER_AUTOGRADE, str(course), str(clicks)], cwd=tmp_path,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]


def test_formgraders_autograde_button_grades_the_solutions_first(course, tmp_path):
    spec = course / "source" / "ps1" / "ps1.spec.toml"
    right = 'reference = "(a - y)/(a*(1 - a))"'
    assert right in spec.read_text()
    spec.write_text(spec.read_text().replace(right, 'reference = "(y - a)/(a*(1 - a))"'))  # a broken set-up
    (first, second) = formgrader_autograde(course, tmp_path, clicks=2)
    for click in (first, second):  # a failed check is not remembered: the second click checks again
        assert not click["success"], click
        assert "stopped before grading: the solutions of ps1 score" in click["log"], click["log"][-3000:]
    assert read_scores(course, "ps1") == {}  # nobody graded


def test_formgraders_autograde_button_grades_with_sound_solutions(course, tmp_path):
    (click,) = formgrader_autograde(course, tmp_path)  # the near miss: the same click, the solutions intact
    assert click["success"], click["log"][-3000:]
    assert "stopped before grading" not in click["log"]
    assert sum(read_scores(course, "ps1")["alice"].values()) == 10


def test_a_forced_autograde_stopped_by_the_solutions_keeps_the_earlier_grading(course):
    assert autograde(course, os.environ).returncode == 0
    graded = course / "autograded" / "alice" / "ps1" / "ps1.ipynb"
    before = (graded.read_bytes(), read_scores(course, "ps1"))
    spec = course / "source" / "ps1" / "ps1.spec.toml"
    spec.write_text(spec.read_text().replace('reference = "(a - y)/(a*(1 - a))"', 'reference = "(y - a)/(a*(1 - a))"'))
    r = autograde(course, os.environ)  # --force: nbgrader removes a student's grading before its per-student hook
    assert r.returncode == 1 and "stopped before grading: the solutions of ps1 score" in r.stderr, r.stderr[-3000:]
    assert (graded.read_bytes(), read_scores(course, "ps1")) == before
