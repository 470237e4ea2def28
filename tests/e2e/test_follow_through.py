"""Follow-through credit on the real instructor path (nbgrader autograde of ps1's demo class, the demo's grade
table) and in the student's own kernel (`autograder check` on a filled-in release)."""

import nbformat
import pytest
from rich.console import Console

from autograder.demo import ASSIGNMENT, Student, grade_table, submission_notebook
from autograder.scoring import FOLLOW_THROUGH, NO_FOLLOW_THROUGH
from tests.helpers import REPO

pytestmark = pytest.mark.e2e


def _verdicts(graded_class, student_id):
    path = graded_class["course"] / "autograded" / student_id / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, as_version=4)
    return {c.metadata["autograder"]["step"]: c.metadata["autograder"] for c in nb.cells if "autograder" in c.metadata}


def test_carols_chain_step_is_credited_for_her_own_wrong_dL_da(graded_class):
    verdicts = _verdicts(graded_class, "carol")
    assert (verdicts["dL_dz_chain"]["points"], verdicts["dL_dz_chain"]["diagnosis"]) == (2, FOLLOW_THROUGH)
    assert verdicts["dL_dz_chain"]["feedback"].startswith("Right for your ∂L/∂a, which was wrong")
    page = (graded_class["course"] / "feedback" / "carol" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "Right for your ∂L/∂a, which was wrong" in page


def test_string_answers_combined_with_expr_follow_through_and_a_right_answer_is_simply_right(graded_class):
    verdicts = _verdicts(graded_class, "olga")
    assert verdicts["dL_dz_chain"]["diagnosis"] == FOLLOW_THROUGH
    assert (verdicts["dL_dz"]["points"], verdicts["dL_dz"]["diagnosis"]) == (2, None)


def test_the_demo_grade_table_marks_follow_through_credit(graded_class):
    console = Console(width=200, record=True)
    console.print(grade_table(graded_class))
    text = console.export_text()
    carol = next(line for line in text.splitlines() if line.strip("│ ").startswith("carol"))
    assert carol.count("2 ft") == 2
    assert "ft: follow-through credit" in text
    # nora's zeros: her 0 for the chain is 0 × 0, right for her own answers, and refused; the sentence she reads
    nora = next(line for line in text.splitlines() if line.strip("│ ").startswith("nora"))
    assert nora.count("0 no ft") == 2 and "2 ft" not in nora
    verdicts = _verdicts(graded_class, "nora")
    assert (verdicts["dL_dz_chain"]["points"], verdicts["dL_dz_chain"]["diagnosis"]) == (0, NO_FOLLOW_THROUGH)
    assert " ".join(text.split()).count(" ".join(verdicts["dL_dz_chain"]["feedback"].split())) == 1
    assert "those were constant where the result is not" in verdicts["dL_dz_chain"]["feedback"]


def _filled(tmp_path, answers: dict):
    folder = tmp_path / "s" / ASSIGNMENT
    folder.mkdir(parents=True)
    for name in (f"{ASSIGNMENT}.ipynb", f"{ASSIGNMENT}.checks.json"):
        (folder / name).write_bytes((REPO / "release" / ASSIGNMENT / name).read_bytes())
    notebook = folder / f"{ASSIGNMENT}.ipynb"
    student = Student(id="s", about="", answers=answers)
    nbformat.write(submission_notebook(nbformat.read(notebook, as_version=4), student), notebook)
    return notebook


def test_the_local_check_gives_carol_the_follow_through_grading_gives(local_checks):
    proc = local_checks(ASSIGNMENT, "carol")  # the report test_release.py reads too
    rows = [line for line in proc.stdout.splitlines() if "Right for your" in line]
    assert len(rows) == 2 and "∂L/∂a, which was wrong" in rows[0] and "chain rule, which was wrong" in rows[1]
    assert "2/2" in rows[0] and "2/2" in rows[1]


def test_a_check_after_an_answer_cell_that_raised_names_that_cells_error(tmp_path):
    from nbclient import NotebookClient

    notebook = _filled(tmp_path, {"dL_da": 'dL_da = "(a-y)/(a(1-a))"', "da_dz": "da_dz = a*(1 - a)",
                                  "dL_dz_chain": "dL_dz_chain = dL_da * da_dz", "dL_dz": "dL_dz = a - y",
                                  "simplify_dL_da": "pass  # never assigned, and nothing raised"})
    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(nb, timeout=30, allow_errors=True, kernel_name="python3",
                   resources={"metadata": {"path": str(notebook.parent)}}).execute()
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    [error] = [o for o in by_id["dL_dz_chain-check"].outputs if o.output_type == "error"]
    assert error.ename == "AnswerCellError"
    assert error.evalue.startswith("dL_dz_chain has no value: its answer cell raised TypeError: can't multiply")
    assert "expr(dL_da) * expr(da_dz)" in error.evalue
    # a check whose answer cell ran is unaffected, and a plain NameError elsewhere stays a NameError
    assert not [o for o in by_id["dL_dz-check"].outputs if o.output_type == "error"]
    [plain] = [o for o in by_id["simplify_dL_da-check"].outputs if o.output_type == "error"]
    assert (plain.ename, plain.evalue) == ("NameError", "name 'simplify_dL_da' is not defined")
