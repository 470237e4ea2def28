"""The pytest plugin (``autograder/pytest_plugin.py``): which notebooks it collects, and real runs of demo
students' notebooks through pytest's own ``pytester`` — one test per step, the step's sentence as the failure,
the total in the summary, JUnit XML naming each step, and the usual options (-k, -x, -q, exit status)."""

import os
import re
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from autograder.demo import ASSIGNMENT, load_class
from autograder.pytest_plugin import assignment_steps

from ..helpers import filled_release

pytest_plugins = ["pytester"]
REPO = Path(__file__).resolve().parents[2]
STUDENTS = load_class()
STEP_IDS = [s for s, _, _ in assignment_steps(REPO / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")]
TIMEOUT = "--autograder-timeout=5"  # the looping demo student then costs 5 s, as in the other e2e tests


def _release_copy(folder: Path) -> Path:
    shutil.copytree(REPO / "release" / ASSIGNMENT, folder)
    return folder / f"{ASSIGNMENT}.ipynb"


def test_the_release_notebook_lists_its_steps_in_notebook_order():
    steps = assignment_steps(REPO / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    nb = nbformat.read(REPO / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    graded = [c.metadata["nbgrader"]["grade_id"].removesuffix("-check") for c in nb.cells
              if c.metadata.get("nbgrader", {}).get("grade")]
    assert [s for s, _, _ in steps] == graded and len(graded) >= 5
    assert sum(points for _, _, points in steps) == 10


def test_only_assignment_notebooks_are_collected(pytester):
    """A notebook without a checks file, or beside one but without step cells, is not a test file."""
    _release_copy(pytester.path / "hw")
    scratch = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nbformat.write(scratch, pytester.path / "hw" / "scratch.ipynb")
    nbformat.write(nbformat.v4.new_notebook(), pytester.path / "analysis.ipynb")
    result = pytester.runpytest("--collect-only", "-q")
    assert result.ret == 0
    collected = [line for line in result.outlines if "::" in line]
    assert collected == [f"hw/{ASSIGNMENT}.ipynb::{step}" for step in STEP_IDS]


def test_a_broken_hand_in_fails_with_the_reason_rather_than_being_skipped(pytester):
    notebook = _release_copy(pytester.path / "hw")
    notebook.write_text("{ this is not a notebook", encoding="utf-8")
    result = pytester.runpytest(TIMEOUT)
    result.assert_outcomes(failed=len(STEP_IDS))
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*The notebook could not be run:*"])
    assert "Traceback" not in result.stdout.str()


def test_the_repository_own_test_run_collects_no_assignment_notebook():
    """`testpaths` keeps source/ and release/ out of our suite; nothing under the test paths (outside the
    ignored data folder) may look like an assignment notebook either."""
    options = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    ignored = [REPO / arg.removeprefix("--ignore=") for arg in options["addopts"].split() if arg.startswith("--ignore=")]
    assert "source" not in options["testpaths"] and "release" not in options["testpaths"]
    notebooks = [p for path in options["testpaths"] for p in (REPO / path).rglob("*.ipynb")
                 if not any(p.is_relative_to(i) for i in ignored)]
    assert [p for p in notebooks if assignment_steps(p) is not None] == []


def _junit(path: Path) -> dict:
    """{(classname, step): None if it passed, else the failure message} from a JUnit XML file."""
    outcomes = {}
    for case in ET.parse(path).iter("testcase"):
        failure = case.find("failure")
        outcomes[(case.get("classname"), case.get("name"))] = None if failure is None else failure.get("message")
    return outcomes


def _graded_feedback(graded_class, student_id: str) -> dict:
    path = graded_class["course"] / "autograded" / student_id / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    cells = nbformat.read(path, 4).cells
    return {c.metadata["autograder"]["step"]: c.metadata["autograder"]["feedback"] for c in cells
            if "autograder" in c.metadata}


def _tampered(student, step: str) -> bool:
    """The student edited or deleted this step's check cell (ivan, mallory) or redefined check_step in their kernel
    (henry). The local run then sees no result for the step and fails it; grading restores check cells (a deleted
    one is put back) and never trusts the kernel, so it still judges the recorded answer. Locally such a step can
    only lose points, never gain them."""
    check = f"{step}-check"
    return (check in student.edits or check in student.deleted
            or any("def check_step" in src for src in student.answers.values()))


def _points(message: str | None) -> float:
    """The points a step earned, from its failure message ("∂L/∂a: 0.5/2 points"); full marks if it passed."""
    if message is None:
        return 2.0
    found = re.search(r": ([\d.]+)/2 points$", message.splitlines()[0])
    return float(found.group(1)) if found else 0.0


def _pytest_run(cwd: Path, folder: str) -> subprocess.CompletedProcess:
    """``pytest <folder>`` as a student or a CI job runs it, in a process of its own, with a JUnit report."""
    return subprocess.run([sys.executable, "-m", "pytest", folder, TIMEOUT, f"--junitxml={folder}.xml",
                           "-p", "no:cacheprovider"], cwd=cwd, capture_output=True, text=True, timeout=900,
                          env=dict(os.environ, COLUMNS="250"))


@pytest.mark.e2e
def test_every_demo_student_passes_exactly_the_steps_grading_gives_full_points(pytester, graded_class):
    """Run on the whole demo class, a folder of notebooks per half of the class, the two pytest runs at once (each
    spends much of its time waiting on a kernel): pass/fail per step, points and sentence as grading gave them,
    the total in the summary. Where grading recorded no answer at all (a cell that raised or looped), the local
    run words the reason differently (it sees the exception in the kernel), so only the points are compared."""
    halves = {"class-a": STUDENTS[0::2], "class-b": STUDENTS[1::2]}
    for folder, students in halves.items():
        for student in students:
            filled_release(pytester.path / folder, ASSIGNMENT, student.id)
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = dict(zip(halves, pool.map(lambda folder: _pytest_run(pytester.path, folder), halves)))
    wrong = []
    for folder, students in halves.items():
        run, outcomes = runs[folder], _junit(pytester.path / f"{folder}.xml")
        assert run.returncode == 1, run.stdout[-4000:] + run.stderr[-2000:]  # every half has a student who fails
        assert len(outcomes) == len(students) * len(STEP_IDS)
        assert "Traceback" not in run.stdout and "Captured" not in run.stdout, run.stdout[-4000:]
        for student in students:
            wrong += _disagreements(graded_class, student, folder, outcomes, run.stdout.splitlines())
    assert not wrong, "\n".join(wrong)


def _disagreements(graded_class, student, folder: str, outcomes: dict, lines: list) -> list:
    """Where the pytest run's outcome for ``student``'s steps, or the total it printed, differs from grading's."""
    graded = _graded_feedback(graded_class, student.id) if student.raw_notebook is None else {}
    local, wrong = {}, []
    for step in STEP_IDS:
        message = outcomes[(f"{folder}.{student.id}.{ASSIGNMENT}.{ASSIGNMENT}.ipynb", step)]
        local[step], expected, sentence = _points(message), student.expected[step], graded.get(step)
        if _tampered(student, step):
            ok = local[step] <= expected
        else:
            ok = local[step] == expected and (message is None) == (expected == 2)
            if message is not None and sentence and not sentence.startswith("No answer recorded"):
                ok = ok and sentence in message
        if not ok:
            wrong.append(f"{student.id}/{step}: grading gave {expected:g}/2 ({sentence!r}), pytest said "
                         f"{'pass' if message is None else message!r}")
    total = f"{folder}/{student.id}/{ASSIGNMENT}/{ASSIGNMENT}.ipynb: total {sum(local.values()):g}/10 points"
    if total not in lines:
        wrong.append(f"{student.id}: no line {total!r} in the summary")
    return wrong


@pytest.mark.e2e
def test_pytest_options_behave_as_usual_on_a_notebook(pytester):
    """carol (tests/data/demo_class/ps1/carol_*.toml) gets da_dz right and dL_da wrong."""
    notebook = filled_release(pytester.path, ASSIGNMENT, "carol")

    only = pytester.runpytest(str(notebook), "-q", "-k", "da_dz", TIMEOUT)
    only.assert_outcomes(passed=1, deselected=len(STEP_IDS) - 1)
    assert only.ret == 0
    assert "test session starts" not in only.stdout.str()  # -q
    only.stdout.fnmatch_lines(["*ps1.ipynb: total *10 points"])

    first = pytester.runpytest(str(notebook), "-x", TIMEOUT)
    first.assert_outcomes(failed=1)  # dL_da comes first, fails, and -x stops there
    assert first.ret == 1
    first.stdout.fnmatch_lines(["*∂L/∂a: 0/2 points", "Keep the minus sign in front of the whole loss*",
                                "FAILED *ps1.ipynb::dL_da - ∂L/∂a: 0/2 points"])


def _in_a_course(root: Path, student_id: str) -> Path:
    """A grader's course folder (nbgrader_config.py, a gradebook) with the demo student's notebook submitted."""
    root.mkdir()
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    (root / "gradebook.db").write_bytes(b"")
    return filled_release(root / "submitted", ASSIGNMENT, student_id)


def test_on_a_grader_machine_without_the_sandbox_the_notebook_is_not_run(pytester, monkeypatch):
    import autograder.local_check
    import autograder.sandbox

    runs = []
    monkeypatch.setattr(autograder.local_check, "check_notebook", lambda *a, **k: runs.append(k))
    monkeypatch.setattr(autograder.sandbox, "sandbox_problem", lambda: "bubblewrap (bwrap) is not installed")
    notebook = _in_a_course(pytester.path / "course", "carol")
    result = pytester.runpytest(str(notebook), TIMEOUT)
    result.assert_outcomes(failed=len(STEP_IDS))
    result.stdout.fnmatch_lines(["Not run: this notebook is in a course on a grader machine and its kernel must be "
                                 "sandboxed, but bubblewrap (bwrap) is not installed"])
    assert runs == []


@pytest.mark.e2e
def test_on_a_grader_machine_the_notebook_runs_in_the_grading_sandbox(pytester, monkeypatch):
    """As `autograder check`: a notebook inside a course that holds a gradebook runs sandboxed (bubblewrap is
    installed for the test suite), with the same results."""
    import autograder.local_check

    real, calls = autograder.local_check.check_notebook, []
    monkeypatch.setattr(autograder.local_check, "check_notebook",
                        lambda path, **options: calls.append(options) or real(path, **options))
    notebook = _in_a_course(pytester.path / "course", "carol")
    result = pytester.runpytest(str(notebook), TIMEOUT, "-p", "no:cacheprovider")
    carol = next(s for s in STUDENTS if s.id == "carol")
    result.assert_outcomes(passed=sum(p == 2 for p in carol.expected.values()),
                           failed=sum(p < 2 for p in carol.expected.values()))
    assert [c["sandboxed"] for c in calls] == [True]
