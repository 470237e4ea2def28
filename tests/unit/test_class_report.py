"""The class report's counting, grouping and pages on a synthetic class of 50, judged by the real engine.

Five answer profiles are judged once each as grading does (``graded_in_order``: the reference, follow-through) and
handed to 50 students; the report must count them, group equal wrong answers with the engine, and escape what a
student wrote."""

import statistics
from pathlib import Path

import pytest

from autograder.authoring.spec import Spec
from autograder.classreport.groups import wrong_answer_groups
from autograder.classreport.records import ClassRecords, Outcome
from autograder.classreport.render import build_report, write_report
from autograder.classreport.stats import mistakes_together, step_quality
from tests.helpers import graded_in_order

REPO = Path(__file__).resolve().parents[2]
PS1 = Spec.from_file(REPO / "source" / "ps1" / "ps1.spec.toml")
STEPS = ("dL_da", "da_dz", "dL_dz_chain")
RIGHT = {"dL_da": "(a - y)/(a*(1 - a))", "da_dz": "a*(1 - a)", "dL_dz_chain": "a - y"}
PROFILES = {  # name: (answers, how many students)
    "right": (RIGHT, 17),
    "sign": ({**RIGHT, "dL_da": "(y - a)/(a*(1 - a))", "dL_dz_chain": "y - a"}, 12),
    # the same wrong dL_da written another way: one group with "sign"'s, not two
    "sign_expanded": ({**RIGHT, "dL_da": "y/a - (1 - y)/(1 - a)", "dL_dz_chain": "y - a"}, 6),
    "no_factor": ({**RIGHT, "da_dz": "1 - a", "dL_dz_chain": "(a - y)/a"}, 8),
    # another wrong dL_da, not equal to the sign error (its chain step is the reference's: right)
    "other": ({**RIGHT, "dL_da": "(a + y)/(a*(1 - a))"}, 3),
    # hostile text: must reach the page escaped, never as markup
    "markup": ({**RIGHT, "dL_da": "<script>alert(1)</script>"}, 4),
}


@pytest.fixture(scope="module")
def synthetic_class() -> ClassRecords:
    records = ClassRecords("ps1", spec=PS1)
    records.steps = [(s, PS1.step(s).title or s, float(PS1.step(s).points)) for s in STEPS]
    records.max_score = sum(top for _, _, top in records.steps)
    number = 0
    for name, (answers, size) in PROFILES.items():
        verdicts = graded_in_order(answers, PS1)
        for _ in range(size):
            student = f"{name}{number:02d}"
            number += 1
            for step in STEPS:
                records.outcomes.append(Outcome(student, step, verdicts[step].to_dict()))
            records.scores[student] = sum(verdicts[s].points for s in STEPS)
    return records


def test_counts_each_step_by_outcome(synthetic_class):
    report = build_report(synthetic_class)
    counts = {s["step"]: s["counts"] for s in report["steps"]}
    assert counts["dL_da"]["students"] == 50 and counts["dL_da"]["answered"] == 50
    assert counts["dL_da"]["right"] == 17 + 8  # the no_factor profile's dL_da is right
    assert (counts["dL_da"]["wrong"], counts["dL_da"]["unreadable"]) == (12 + 6 + 3, 4)
    assert counts["da_dz"]["right"] == 50 - 8 and counts["da_dz"]["wrong"] == 8
    # the chain built on a wrong earlier step, right for it: credited by follow-through, not counted right
    assert counts["dL_dz_chain"]["follow_through"] == 12 + 6 + 8 and counts["dL_dz_chain"]["right"] == 17 + 3 + 4
    assert report["scores"]["students"] == 50


def test_equal_wrong_answers_are_one_group_with_the_diagnosis_and_feedback(synthetic_class):
    groups = wrong_answer_groups(synthetic_class)
    sign = groups["dL_da"][0]
    assert sign.count == 18 and len(sign.texts) == 2  # two written forms, one mathematical answer
    assert all(s.startswith("sign") for s in sign.students)
    assert sign.diagnosis and sum(sign.feedback.values()) == 18
    missing = groups["da_dz"][0]
    assert (missing.count, missing.diagnosis) == (8, "missing_factor")


def test_unequal_wrong_answers_stay_apart(synthetic_class):
    groups = wrong_answer_groups(synthetic_class)
    assert [(g.count, g.comparable) for g in groups["dL_da"]] == [(18, True), (4, False), (3, True)]
    # the near miss: an `equal` that says yes to everything merges the two readable ones; the engine does not
    merged = wrong_answer_groups(synthetic_class, equal=lambda a, b, step: True)
    assert [g.count for g in merged["dL_da"]] == [21, 4]  # the unreadable text is never compared


def test_discrimination_and_mistakes_together(synthetic_class):
    quality = step_quality(synthetic_class)
    assert quality["dL_da"]["difficulty"] == round(25 / 50, 3)
    # item-rest correlation, computed here with the standard library from the students' own points
    table = synthetic_class.by_student()
    own = [table[s]["da_dz"].fraction for s in table]
    rest = [synthetic_class.scores[s] - table[s]["da_dz"].verdict["points"] for s in table]
    assert quality["da_dz"]["discrimination"] == round(statistics.correlation(own, rest), 3)
    pairs = {(a, b): (n, phi) for a, b, n, phi in mistakes_together(synthetic_class)}
    # who misses dL_da misses the chain step too (follow-through is not right on one's own): they go together
    missed = [[float(table[s][step].category != "right") for s in table] for step in ("dL_da", "dL_dz_chain")]
    phi = statistics.correlation(*missed)
    assert pairs[("dL_da", "dL_dz_chain")] == (18, round(phi, 3)) and phi > 0


def test_pages_escape_answers_and_hold_no_reference_to_the_network(synthetic_class, tmp_path):
    paths = write_report(synthetic_class, tmp_path)
    assert sorted(p.name for p in paths) == ["ps1-report.csv", "ps1-report.html", "ps1-report.json"]
    page = (tmp_path / "ps1-report.html").read_text(encoding="utf-8")
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    assert page.count('<img class="math"') >= 2  # the wrong answers typeset as SVG
    rows = (tmp_path / "ps1-report.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 1 + len(STEPS) and rows[1].startswith("dL_da,2.0,50,25,0,0,21,4,")


def test_a_dollar_in_a_student_id_is_text_not_math(synthetic_class, tmp_path):
    from autograder.classreport.plots import heat_map

    table = synthetic_class.by_student()
    students = sorted(table)[:3]
    odd = {"$\\frac{$": table[students[0]]}  # unbalanced mathtext: parsed as math it would raise
    assert heat_map(["$\\frac{$"], synthetic_class.steps, odd).startswith("data:image/svg+xml;base64,")


def test_quiz_questions_are_counted_per_variant():
    """Each student's outcome lands under the variant grading used for their id (q4's z), and only there."""
    from autograder.authoring.quiz_spec import QuizSpec
    from autograder.classreport.stats import variant_difficulty, variant_label

    quiz = QuizSpec.from_file(REPO / "source" / "quiz1" / "quiz1.spec.toml")
    q4 = quiz.question("q4")
    records = ClassRecords("quiz1", steps=[("q4", "q4", float(q4.points))], spec=quiz)
    students = [f"s{i:02d}" for i in range(40)]
    for i, student in enumerate(students):
        points = float(q4.points) if i % 2 else 0.0
        records.outcomes.append(Outcome(student, "q4", {"points": points, "max_points": float(q4.points),
                                                        "answer_text": "1", "status": None}))
    table = variant_difficulty(records)["q4"]
    assert sum(c["students"] for c in table.values()) == 40 and len(table) > 1
    for label, cell in table.items():
        mine = [i for i, s in enumerate(students) if variant_label(q4.variant(s)) == label]
        assert cell == {"students": len(mine), "right": sum(i % 2 for i in mine)}
        assert label.startswith("z=")
