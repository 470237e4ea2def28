"""`autograder report` on the demo classes graded once per session by real nbgrader (``graded_courses``): what it
counts per step equals the gradebook and the demo students' expected points, and known mistakes of demo students
appear under their diagnosis with the feedback they read. No grading here: the report reads what grading wrote."""

import json
import shutil
import subprocess

import pytest

from autograder.classreport.records import read_class
from autograder.classreport.render import build_report
from autograder.demo import console_script
from autograder.grading.grade_one import load_course_config
from tests.e2e.test_regrade import RIGHT, TYPO, _spec

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


def test_a_regrade_shows_before_and_after(ps1_report, graded_class, tmp_path):
    """Report, change the spec (∂L/∂z's reference typed with the wrong sign), regrade, report again with
    ``--compare``: exactly the students the regrade marked down move, each step's before → now counts are the
    difference of the students' outcomes in the two reports, and every step the regrade did not touch is as it was."""
    from autograder.nbgrader.regrade import regrade

    before, _, out = ps1_report
    course = shutil.copytree(graded_class["course"], tmp_path / "course")
    _spec(course, RIGHT, TYPO)
    changes = regrade(load_course_config(course), "ps1").changes
    assert {c.step for c in changes} == {"dL_dz"} and len(changes) >= 3
    exe, env = console_script("autograder", inherit=False)
    proc = subprocess.run([exe, "report", "ps1", "--out", str(tmp_path / "after"), "--format", "json",
                           "--format", "html", "--compare", str(out / "ps1-report.json")], cwd=course,
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = json.loads((tmp_path / "after" / "ps1-report.json").read_text(encoding="utf-8"))
    assert after["score_changes"] == {c.student: {"before": before["students"][c.student]["score"],
                                                  "now": before["students"][c.student]["score"] + c.delta}
                                      for c in changes}
    for step_now, step_then in zip(after["steps"], before["steps"]):
        step = step_now["step"]
        moved = {c.student for c in changes if c.step == step}
        outcome = {when: {s: row["steps"].get(step, {}).get("outcome") for s, row in report["students"].items()}
                   for when, report in (("then", before), ("now", after))}
        assert {s for s in outcome["now"] if outcome["now"][s] != outcome["then"][s] and s in moved} == moved
        for kind, then in step_now["before"].items():
            assert then == step_then["counts"][kind]
            assert step_now["counts"][kind] - then == (sum(o == kind for o in outcome["now"].values())
                                                       - sum(o == kind for o in outcome["then"].values()))
        if not moved:  # the near miss: a step no grade of which changed has the same counts
            assert step_now["counts"] == step_then["counts"], step
    dL_dz = next(s for s in after["steps"] if s["step"] == "dL_dz")
    assert dL_dz["counts"]["right"] < dL_dz["before"]["right"]  # the typo marked right answers down
    page = (tmp_path / "after" / "ps1-report.html").read_text(encoding="utf-8")
    assert f"Scores changed for {len(changes)} student(s)" in page
    assert f"right {dL_dz['before']['right']} → {dL_dz['counts']['right']}" in page



def test_quiz_wrong_answers_are_read_as_their_question_asks(graded_demos):
    """quiz1's demo class: bob's letter for q3 is shown as the option it picked in his shuffled order (no 1/m),
    carol's rounded q5 as a value for her own variant, frank's q10 that does not parse as a group of its own."""
    records = read_class(load_course_config(graded_demos["quiz1"]["course"]), "quiz1")
    report = build_report(records)
    q3 = records.spec.question("q3")
    bob = _group_of(report, "q3", "bob")
    assert bob["answer"] == "dw = np.dot(X, dZ.T)" == q3.options[next(iter(q3.picked("d", q3.variant("bob"))))]
    carol = _group_of(report, "q5", "carol")
    assert (carol["answer"], carol["variant"]) == ("0.19", "z=1")
    frank = _group_of(report, "q10", "frank")
    assert frank["students"] == ["frank"] and frank["count"] == 1
