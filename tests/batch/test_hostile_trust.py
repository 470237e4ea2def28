"""Only what the grader wrote is trusted, and one malformed submission never stops plain nbgrader (issue 23,
parts 4 and 5): each attack of tests/data/hostile/trust.toml scores what the honest wrong version scores and tells
the student what was ignored or repaired — graded by plain ``nbgrader autograde`` with the course's config, then
by ``autograder grade`` in the same course (where plain nbgrader has just copied each planted file into
``autograded/``, which is where ``autograder grade`` used to read its marks), then regraded after a spec change
that lowers a grade: it reaches every student, the one who planted grader metadata too. One class, graded once
per command."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import nbformat
import pytest

from autograder.demo import (ASSIGNMENT, Student, console_script, nbgrader, prepare_course, read_scores,
                             submission_notebook)
from autograder.grading.submissions import submission_hash

from .test_hostile import grade

pytestmark = pytest.mark.e2e

CORPUS = Path(__file__).resolve().parents[1] / "data" / "hostile" / "trust.toml"
HONEST = "t00-honest-wrong"
TAMPERED = "t05-check-cell-metadata"  # its autograded record is also changed after grading (as a kernel would)
RIGHT_DL_DA, LOWERED_DL_DA = 'reference = "(a - y)/(a*(1 - a))"', 'reference = "(y - a)/(a*(1 - a))"'


def load_corpus() -> tuple[dict, list[dict]]:
    data = tomllib.loads(CORPUS.read_text(encoding="utf-8"))
    return data, data["student"]


def _value(value, data):
    return data["verdict"] if value == "{verdict}" else value


def _cell_index(nb: dict, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb["cells"]) if isinstance(c["metadata"].get("nbgrader"), dict)
                and c["metadata"]["nbgrader"].get("grade_id") == grade_id)


def write_attack(course: Path, release_nb, data: dict, entry: dict) -> None:
    """``submitted/<id>/ps1/``: the honest wrong notebook, then the entry's operations, written as raw JSON (so
    nothing repairs it on the way), then its planted files."""
    folder = course / "submitted" / entry["id"] / ASSIGNMENT
    folder.mkdir(parents=True)
    student = Student(id=entry["id"], about=entry.get("about", ""), answers=data["wrong"])
    nb = json.loads(nbformat.writes(submission_notebook(release_nb, student)))
    text, plants = None, []
    for op in entry.get("do", []):
        if "cell_metadata" in op:
            nb["cells"][_cell_index(nb, op["cell_metadata"])]["metadata"][op["key"]] = _value(op["value"], data)
        elif "notebook_metadata" in op:
            nb["metadata"][op["notebook_metadata"]] = _value(op["value"], data)
        elif "add_cell" in op:
            cell = json.loads(nbformat.writes(nbformat.v4.new_notebook(cells=[
                getattr(nbformat.v4, f"new_{op['add_cell']}_cell")(op["source"])])))["cells"][0]
            cell["metadata"] = {k: _value(v, data) for k, v in op.get("metadata", {}).items()}
            if "id_of" in op:
                cell["id"] = nb["cells"][_cell_index(nb, op["id_of"])]["id"]
            nb["cells"].insert(_cell_index(nb, op["after"]) + 1, cell)
        elif "copy_cell" in op:
            at = _cell_index(nb, op["copy_cell"])
            nb["cells"].insert(at + 1, json.loads(json.dumps(nb["cells"][at])))
        elif "delete" in op:
            del nb["cells"][_cell_index(nb, op["delete"])]
        elif "duplicate_ids" in op:
            for cell in nb["cells"]:
                cell["id"] = nb["cells"][0]["id"]
        elif "truncate" in op:
            text = json.dumps(nb, indent=1)[:-op["truncate"]]
        elif "plant_file" in op:
            plants.append(op)
        else:
            raise ValueError(f"{entry['id']}: unknown operation {op}")
    (folder / f"{ASSIGNMENT}.ipynb").write_text(text if text is not None else json.dumps(nb, indent=1))
    for op in plants:  # the hash of the folder as it is, as the grader's own mark would hold it
        (folder / op["plant_file"]).write_text(op["content"].replace("{hash}", submission_hash(folder)))


def _autograded_texts(course: Path) -> dict:
    return {p.parts[-3]: p.read_text() for p in course.glob(f"autograded/*/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")}


def _regrade(course: Path) -> subprocess.CompletedProcess:
    exe, env = console_script("autograder", extra_env={"COLUMNS": "250"})
    return subprocess.run([exe, "regrade", ASSIGNMENT, "--no-feedback"], cwd=course, env=env, capture_output=True,
                          text=True, timeout=300)


def _tamper(course: Path, student: str) -> None:
    """Change the answer the grader kept in a check cell of ``student``'s autograded notebook to the right one."""
    path = course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, as_version=4)
    record = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "dL_dz-check")
    for output in record.metadata["autograder"]["kernel_outputs"]:
        for value in output.get("data", {}).values():
            value["answer"] = "a - y"
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    data, corpus = load_corpus()
    course = prepare_course(tmp_path_factory.mktemp("trust") / "course")
    logs = tmp_path_factory.mktemp("trust-logs")
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    release_nb = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for entry in corpus:
        write_attack(course, release_nb, data, entry)

    plain = nbgrader(course, "autograde", ASSIGNMENT, "--force", "--ExecutePreprocessor.timeout=5",
                     "--Execute.timeout=5", check=False)
    plain_scores, plain_texts = read_scores(course), _autograded_texts(course)
    planted_copied = sorted(p.parts[-3] for p in course.glob(f"autograded/*/{ASSIGNMENT}/.autograder-graded.json"))

    run = grade(course, logs / "grade.log")
    scores = read_scores(course)
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    feedback = {p.parts[-3]: p.read_text() for p in course.glob(f"feedback/*/{ASSIGNMENT}/{ASSIGNMENT}.html")}

    _tamper(course, TAMPERED)
    spec = course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.spec.toml"
    assert spec.read_text().count(RIGHT_DL_DA) == 1
    spec.write_text(spec.read_text().replace(RIGHT_DL_DA, LOWERED_DL_DA))
    regrade = _regrade(course)
    return dict(corpus=corpus, plain=plain, plain_scores=plain_scores, plain_texts=plain_texts,
                planted_copied=planted_copied, run=run, scores=scores, feedback=feedback, regrade=regrade,
                regraded_scores=read_scores(course), course=course)


IDS = [entry["id"] for entry in load_corpus()[1]]


def test_plain_nbgrader_grades_the_whole_class(graded):
    plain = graded["plain"]
    assert plain.returncode == 0, plain.stderr[-3000:]
    assert set(graded["plain_scores"]) == set(IDS)
    assert "t01-planted-mark" in graded["planted_copied"]  # nbgrader copies it: only reading it was the hole


def test_the_honest_wrong_version_scores_what_the_corpus_says(graded):
    for scores in (graded["plain_scores"], graded["scores"]):
        assert scores[HONEST]["dL_da"] == 2.0 and sum(scores[HONEST].values()) == 2.0, scores[HONEST]


@pytest.mark.parametrize("student", IDS)
def test_each_attack_scores_the_honest_wrong_versions_points_both_ways(graded, student):
    entry = next(e for e in graded["corpus"] if e["id"] == student)
    for way in ("plain_scores", "scores"):
        got = graded[way][student]
        assert sum(got.values()) == entry["expected"], (way, got)
        if entry["expected"] == 2:
            assert got == graded[way][HONEST], way  # step by step, as graded in this run


def test_each_student_reads_what_happened_both_ways(graded):
    for entry in graded["corpus"]:
        for phrase in entry.get("reads", []):
            assert phrase in graded["plain_texts"][entry["id"]], (entry["id"], "nbgrader autograde", phrase)
            assert phrase in graded["feedback"][entry["id"]], (entry["id"], "autograder grade", phrase)


def test_autograder_grade_ignores_the_planted_marks(graded):
    """Plain nbgrader left each planted mark in autograded/: autograder grade still grades every student."""
    run = graded["run"]
    assert run.returncode == 0, run.stdout[-3000:]
    assert f"{len(IDS)} to grade, 0 already graded (kept)" in run.stdout, run.stdout[-3000:]
    assert "kept" not in run.stdout.split("graded in")[-1]  # no row of the table says kept
    assert ".autograder-graded.json: ignored" in run.stdout
    assert all((graded["course"] / ".autograder" / "graded" / ASSIGNMENT / f"{s}.json").is_file() for s in IDS)


def test_regrade_reaches_every_student_who_planted_grader_metadata(graded):
    regrade = graded["regrade"]
    skipped = [line for line in regrade.stdout.splitlines() if "not regraded" in line]
    assert [line for line in skipped if TAMPERED not in line] == [], regrade.stdout[-3000:]
    for student in IDS:
        if student != TAMPERED:
            assert graded["regraded_scores"][student]["dL_da"] == 0.0, student  # the lowered step reached them
    assert graded["regraded_scores"]["t03-markdown-metadata"] == {**graded["scores"]["t03-markdown-metadata"],
                                                                   "dL_da": 0.0}


def test_a_record_changed_after_grading_is_not_trusted(graded):
    """The near miss of planting before grading: changing the grader's kept answer in autograded/ afterwards."""
    regrade = graded["regrade"]
    assert f"not regraded: {TAMPERED}: {ASSIGNMENT}.ipynb: the grader did not write" in regrade.stdout, \
        regrade.stdout[-3000:]
    assert regrade.returncode == 1
    assert graded["regraded_scores"][TAMPERED] == graded["scores"][TAMPERED]  # neither zeroed nor raised
