"""Fixtures for batch grading: a small real nbgrader course with submissions, PostgreSQL, a Dask cluster."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from autograder.venv_path import bin_dir, env_with_bin

BIN = bin_dir()
ENV = env_with_bin()

# What each synthetic student wrote in the one answer cell, and the score nbgrader should give (of 3).
STUDENTS = {
    "ada": ("    return 2 * x", 3),
    "ben": ("    return 3 * x", 0),
    "cy": ("    return x + x if x != 3 else 0", 1),
    "dee": ("    return 2 * x", 3),
    "eve": ("    while True:\n        pass", 0),  # each test cell times out
    "fay": ("    return x * 2", 3),
}


def _cell(source, **meta):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"schema_version": 3, "solution": False, "grade": False, "locked": False, **meta}
    return cell


def make_course(root: Path) -> Path:
    """A one-notebook course 'hw' (answer cell + two graded test cells), released with the real nbgrader."""
    (root / "source" / "hw").mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        _cell("def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION", solution=True,
              grade_id="answer"),
        _cell("assert f(2) == 4", grade=True, locked=True, grade_id="test_two", points=1),
        _cell("assert f(3) == 6", grade=True, locked=True, grade_id="test_three", points=2),
    ]
    nbformat.write(nb, root / "source" / "hw" / "hw.ipynb")
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'mini'\nc.ExecutePreprocessor.timeout = 3\n")
    nbgrader(root, "generate_assignment", "hw")
    return root


def nbgrader(root: Path, *args, check=True):
    return subprocess.run([str(BIN / "nbgrader"), *args], cwd=root, env=ENV, capture_output=True, text=True,
                          timeout=600, check=check)


def submit(root: Path, student: str, body: str) -> None:
    release = json.loads((root / "release" / "hw" / "hw.ipynb").read_text())
    src = "".join(release["cells"][0]["source"])
    release["cells"][0]["source"] = src.replace("    # YOUR CODE HERE\n    raise NotImplementedError()", body)
    dest = root / "submitted" / student / "hw"
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "hw.ipynb").write_text(json.dumps(release))


def autograder(root: Path, *args, timeout=600, **kw):
    return subprocess.run([str(BIN / "autograder"), *args], cwd=root, env=ENV, capture_output=True, text=True,
                          timeout=timeout, **kw)


@pytest.fixture(scope="module")
def course_template(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("mini") / "course")
    for student, (body, _) in STUDENTS.items():
        submit(root, student, body)
    return root


@pytest.fixture
def course(course_template, tmp_path):
    return Path(shutil.copytree(course_template, tmp_path / "course"))


def gradebook_scores(root: Path, db_url: str | None = None) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(db_url or f"sqlite:///{root / 'gradebook.db'}", "mini") as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions("hw")}
