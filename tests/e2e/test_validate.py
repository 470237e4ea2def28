"""`nbgrader validate`, an instructor's first check of an assignment, passes on every source notebook and on
every release filled in with the source's solutions: no assignment ships with solutions that fail their own
checks when run as Python (element names, `where`, numpy's operators, `^`). The real command runs once, on all
those notebooks at once, in a temporary copy of the course with the course's nbgrader_config.py; while it runs,
`autograder check` judges each filled release (two at a time)."""

import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from autograder.demo import console_script, nbgrader, prepare_course

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
ASSIGNMENTS = sorted(p.parent.name for p in (REPO / "source").glob("*/*.spec.toml"))
PASSED = "Success! Your notebook passes all the tests."
# nbgrader's Validator starts each notebook's report with one of these lines (validator.py's *_warning traits)
REPORT_START = re.compile(r"^(Success! |VALIDATION FAILED ON |THE CONTENTS OF |THE TYPES OF )", re.MULTILINE)


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


def local_check(notebook: Path) -> subprocess.CompletedProcess:
    exe, env = console_script("autograder", extra_env={"COLUMNS": "250"})
    return subprocess.run([exe, "check", str(notebook), "--timeout", "20"], capture_output=True, text=True,
                          timeout=300, env=env)


def reports(stdout: str, notebooks: list) -> dict:
    """{notebook: its part of ``nbgrader validate``'s output}: the Validator reports on the notebooks in the order
    they were given, each report starting with one of the lines in REPORT_START."""
    starts = [m.start() for m in REPORT_START.finditer(stdout)]
    assert len(starts) == len(notebooks), f"{len(notebooks)} notebooks, {len(starts)} reports:\n{stdout[-6000:]}"
    parts = [stdout[a:b] for a, b in zip(starts, starts[1:] + [len(stdout)])]
    return dict(zip(notebooks, parts))


@pytest.fixture(scope="module")
def validated(tmp_path_factory):
    course = prepare_course(tmp_path_factory.mktemp("validate"))
    sources = {a: Path("source") / a / f"{a}.ipynb" for a in ASSIGNMENTS}
    filled = {a: filled_with_solutions(course, a) for a in ASSIGNMENTS}
    notebooks = list(sources.values()) + [p.relative_to(course) for p in filled.values()]
    with ThreadPoolExecutor(max_workers=2) as pool:  # the checks wait on their kernels while validate runs
        checks = {a: pool.submit(local_check, path) for a, path in filled.items()}
        proc = nbgrader(course, "validate", *map(str, notebooks), check=False)
        checks = {a: future.result() for a, future in checks.items()}
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    found = reports(proc.stdout, notebooks)
    return dict(output=output, source={a: found[p] for a, p in sources.items()},
                filled={a: found[p.relative_to(course)] for a, p in filled.items()}, checks=checks)


def assert_passes(report: str, output: str) -> None:
    assert report.strip() == PASSED, report[-4000:]
    assert "VALIDATION FAILED" not in output, output[-4000:]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_source_notebook_validates(validated, assignment):
    assert_passes(validated["source"][assignment], validated["output"])


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_release_filled_with_the_solutions_validates_and_scores_full_marks(validated, assignment):
    assert_passes(validated["filled"][assignment], validated["output"])
    # validate only sees that nothing raised; the local check also judges each solution against the samples
    proc = validated["checks"][assignment]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "FAIL" not in proc.stdout, proc.stdout
