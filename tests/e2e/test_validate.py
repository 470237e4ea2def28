"""`nbgrader validate`, an instructor's first check of an assignment, passes on every source notebook and on
every release filled in with the source's solutions: no assignment ships with solutions that fail their own
checks when run as Python (element names, `where`, numpy's operators, `^`). Each runs the real command in a
temporary copy of the course, with the course's nbgrader_config.py."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.demo import nbgrader, prepare_course

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
ASSIGNMENTS = sorted(p.parent.name for p in (REPO / "source").glob("*/*.spec.toml"))
PASSED = "Success! Your notebook passes all the tests."


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return prepare_course(tmp_path_factory.mktemp("validate"))


def validate(course: Path, notebook: Path) -> str:
    proc = nbgrader(course, "validate", str(notebook), check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0 and PASSED in proc.stdout, output[-4000:]
    assert "VALIDATION FAILED" not in output, output[-4000:]
    return output


def filled_with_solutions(course: Path, assignment: str) -> Path:
    """``release/<assignment>`` copied into the course, each answer cell holding the source's solution."""
    folder = course / "filled" / assignment
    shutil.copytree(REPO / "release" / assignment, folder)
    path = folder / f"{assignment}.ipynb"
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source
                 for c in nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", 4).cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.read(path, 4)
    answer_cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert {c.metadata["nbgrader"]["grade_id"] for c in answer_cells} == set(solutions)
    for cell in answer_cells:
        assert "None  # replace None with your answer" in cell.source  # the release's stub, replaced below
        cell.source = solutions[cell.metadata["nbgrader"]["grade_id"]]
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_source_notebook_validates(course, assignment):
    validate(course, Path("source") / assignment / f"{assignment}.ipynb")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_release_filled_with_the_solutions_validates_and_scores_full_marks(course, assignment):
    notebook = filled_with_solutions(course, assignment)
    validate(course, notebook.relative_to(course))
    # validate only sees that nothing raised; the local check also judges each solution against the samples
    exe = Path(sys.executable).with_name("autograder")
    proc = subprocess.run([str(exe), "check", str(notebook), "--timeout", "20"], capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, COLUMNS="250"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "FAIL" not in proc.stdout, proc.stdout
