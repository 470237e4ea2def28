"""`autograder report` on the demo classes graded once per session by real nbgrader (``graded_courses``): what it
counts per step equals the gradebook and the demo students' expected points, and known mistakes of demo students
appear under their diagnosis with the feedback they read. No grading here: the report reads what grading wrote."""

import json
import subprocess

import pytest

from autograder.classreport.records import read_class
from autograder.classreport.render import build_report
from autograder.demo import console_script
from autograder.grading.grade_one import load_course_config

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def ps1_report(graded_class, tmp_path_factory):
    """`autograder report ps1` run as an instructor runs it, in the graded course; its JSON and the run."""
    out = tmp_path_factory.mktemp("ps1-report")
    exe, env = console_script("autograder", inherit=False)
    proc = subprocess.run([exe, "report", "ps1", "--out", str(out)], cwd=graded_class["course"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads((out / "ps1-report.json").read_text(encoding="utf-8")), proc, out


def _agrees_with_gradebook(report: dict, result: dict) -> None:
    """Each student's points per step and score are the gradebook's, and the demo's expected points; each step's
    counts add up to the students read, and its full marks are the gradebook's."""
    gradebook = result["scores"]
    assert set(report["students"]) == set(gradebook)
    expected = {s.id: s.expected for s in result["students"]}
    for student, row in report["students"].items():
        assert row["score"] == pytest.approx(sum(v or 0 for v in gradebook[student].values())), student
        if student in report["not_read"]:
            continue
        for step, cell in row["steps"].items():
            assert cell["points"] == gradebook[student][step], (student, step)
            if step in expected[student]:
                assert cell["points"] == expected[student][step], (student, step)
    read = [s for s in report["students"] if s not in report["not_read"]]
    for s in report["steps"]:
        counts = s["counts"]
        assert counts["students"] == sum(counts[k] for k in ("right", "follow_through", "partial", "wrong",
                                                             "unreadable", "undecided", "empty"))
        full = {st for st in read if gradebook[st].get(s["step"]) == s["max_points"]}
        assert {st for st in read if report["students"][st]["steps"].get(s["step"], {}).get("outcome") == "right"} \
            <= full
        assert counts["right"] <= len(full) <= counts["right"] + counts["follow_through"], s["step"]


def test_ps1_counts_are_the_gradebooks(ps1_report, graded_class):
    report, proc, out = ps1_report
    _agrees_with_gradebook(report, graded_class)
    assert f"ps1: {len(graded_class['scores'])} submission(s) reported" in proc.stdout
    assert sorted(p.name for p in out.iterdir()) == ["ps1-report.csv", "ps1-report.html", "ps1-report.json"]
    # follow-through as the autograded notebooks record it, per step
    credited = {}
    for steps in graded_class["follow_through"].values():
        for step, (diagnosis, _) in steps.items():
            credited[step] = credited.get(step, 0) + (diagnosis == "follow_through")
    for s in report["steps"]:
        assert s["counts"]["follow_through"] == credited.get(s["step"], 0), s["step"]


def _group_of(report: dict, step: str, student: str) -> dict:
    step_report = next(s for s in report["steps"] if s["step"] == step)
    return next(g for g in step_report["wrong_answers"] if student in g["students"])


def test_known_mistakes_appear_under_their_diagnosis(ps1_report):
    report, _, _ = ps1_report
    carol = _group_of(report, "dL_da", "carol")  # her sign error in ∂L/∂a
    dL_da = next(s for s in report["steps"] if s["step"] == "dL_da")
    assert dL_da["diagnoses"][carol["diagnosis"]] >= carol["count"] >= 2  # not hers alone in the class
    assert any("minus sign" in f for f in carol["feedback"]), carol["feedback"]
    dave = _group_of(report, "da_dz", "dave")  # he forgot the a(1 - a) factor's a
    assert dave["diagnosis"] == "missing_factor" and dave["students"] == ["dave"]
    # the near miss: a student right on a step is in none of its wrong-answer groups
    with pytest.raises(StopIteration):
        _group_of(report, "da_dz", "carol")


@pytest.mark.parametrize("assignment", ["ps2", "ps3", "ps4", "quiz1"])
def test_every_demo_class_reports_as_its_gradebook_says(graded_demos, assignment):
    result = graded_demos[assignment]
    report = build_report(read_class(load_course_config(result["course"]), assignment))
    _agrees_with_gradebook(report, result)
    assert report["steps"] and any(s["wrong_answers"] for s in report["steps"])
