"""Every assignment in source/: its release is what nbgrader makes (not stale), it reveals no reference,
and its demo class (tests/data/demo_class/<assignment>/) gets the expected score per step on real nbgrader.

ps1 has more detailed tests of its own (test_demo_class.py, test_release.py); the checks here are the
ones every assignment must pass, so a new assignment is covered as soon as its spec and demo class exist.
"""

import json
import tomllib
from pathlib import Path

import nbformat
import pytest
import sympy
from nbgrader.api import Gradebook

from autograder.demo import demo_assignments, load_class

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
ASSIGNMENTS = sorted(p.parent.name for p in (REPO / "source").glob("*/*.spec.toml"))
STEP_SPECS = [p for p in sorted((REPO / "source").glob("*/*.spec.toml")) if "steps" in tomllib.loads(p.read_text())]
OTHER_DEMOS = [a for a in demo_assignments() if a != "ps1"]  # graded by conftest.graded_demos


def _comparable(nb):
    cells = [(c.cell_type, c.get("id"), c.source, json.dumps(c.metadata, sort_keys=True)) for c in nb.cells]
    return cells, json.dumps(nb.metadata.get("kernelspec"), sort_keys=True)


@pytest.fixture(scope="session")
def released(graded_courses):
    """{assignment: a temporary course in which the real `nbgrader generate_assignment` made its release}: the
    courses in which the session graded each demo class (every assignment has one: see below)."""
    return {a: result["course"] for a, result in graded_courses.items()}


def test_every_assignment_is_released():
    assert ASSIGNMENTS and all((REPO / "release" / a).is_dir() for a in ASSIGNMENTS), \
        f"release/ lacks some of {ASSIGNMENTS}: run `nbgrader generate_assignment <assignment>` and commit"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_release_matches_a_fresh_generate_assignment(released, assignment):
    assert assignment in released, f"no demo class for {assignment}, so no course released it"
    fresh, committed = released[assignment] / "release" / assignment, REPO / "release" / assignment
    assert sorted(p.name for p in fresh.iterdir()) == sorted(p.name for p in committed.iterdir()), \
        f"release/{assignment} has different files than a fresh `nbgrader generate_assignment {assignment}`"
    for path in committed.iterdir():
        if path.suffix == ".ipynb":
            assert _comparable(nbformat.read(path, 4)) == _comparable(nbformat.read(fresh / path.name, 4)), \
                f"{path} is stale: run `nbgrader generate_assignment {assignment} --force` and commit release/"
        else:
            assert path.read_bytes() == (fresh / path.name).read_bytes(), f"{path} is stale"


def reference_forms(spec_path: Path) -> set[str]:
    """Every way a reference of this spec could be written into a file: as authored, as sympy prints it, as LaTeX."""
    from autograder.authoring.spec import Spec
    from autograder.parse import Names, parse_expression

    spec = Spec.from_file(spec_path)
    names = Names.of(spec.symbols, matrices={n: m["shape"] for n, m in spec.matrices.items()})
    texts = [s.reference for s in spec.steps if s.reference] + [line for s in spec.steps for line in s.lines]
    forms = set()
    for text in texts:
        expr = parse_expression(text, names)
        for form in (text, str(expr), sympy.latex(expr)):
            forms |= {form, form.replace(" ", "")}
    return forms


@pytest.mark.parametrize("spec_path", STEP_SPECS, ids=[p.parent.name for p in STEP_SPECS])
def test_no_reference_in_the_released_files(spec_path):
    forms = reference_forms(spec_path)
    files = [p for p in (REPO / "release" / spec_path.parent.name).rglob("*") if p.is_file()]
    assert files and forms
    for path in files:
        text = path.read_text(encoding="utf-8")
        squeezed = text.replace(" ", "")
        for form in forms:
            assert form not in text and form.replace(" ", "") not in squeezed, f"{path} reveals {form!r}"


def test_every_assignment_has_a_demo_class():
    missing = [a for a in ASSIGNMENTS if a not in demo_assignments()]
    assert not missing, f"no demo class (tests/data/demo_class/<assignment>/*.toml) for {missing}"


@pytest.mark.parametrize(("assignment", "student"), [(a, s) for a in OTHER_DEMOS for s in load_class(a)],
                         ids=[f"{a}-{s.id}" for a in OTHER_DEMOS for s in load_class(a)])
def test_demo_student_scores_as_expected(graded_demos, assignment, student):
    course = graded_demos[assignment]["course"]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(assignment, assignment, student.id)
        got = {g.name.removesuffix("-check"): g.score for g in notebook.grades}
    assert student.expected, f"{assignment}/{student.id} has no [expected] scores"
    assert got == student.expected, student.about


@pytest.mark.parametrize("assignment", OTHER_DEMOS)
def test_demo_students_get_feedback_with_a_sentence_per_step(graded_demos, assignment):
    result = graded_demos[assignment]
    for student in result["students"]:
        if student.raw_notebook is not None:
            continue
        page = (result["course"] / "feedback" / student.id / assignment / f"{assignment}.html").read_text()
        assert "autograder-feedback" in page, f"{assignment}/{student.id}: no verdict table in the feedback"
