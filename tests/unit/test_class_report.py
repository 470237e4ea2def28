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
    assert [(g.count, g.readable) for g in groups["dL_da"]] == [(18, True), (4, False), (3, True)]
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


QUIZ = None


def _quiz():
    from autograder.authoring.quiz_spec import QuizSpec

    global QUIZ
    QUIZ = QUIZ or QuizSpec.from_file(REPO / "source" / "quiz1" / "quiz1.spec.toml")
    return QUIZ


def _quiz_class(answers: list) -> ClassRecords:
    """A quiz1 class whose ``answers`` [(student, question, answer)] are graded by the question for the student's
    own variant, and recorded as the quiz judge records them."""
    from autograder.protocol import StepResult

    quiz = _quiz()
    records = ClassRecords("quiz1", spec=quiz)
    for student, qid, answer in answers:
        q = quiz.question(qid)
        if (qid, qid, float(q.points)) not in records.steps:
            records.steps.append((qid, qid, float(q.points)))
        result = q.grade(answer, q.variant(student))
        records.outcomes.append(Outcome(student, qid, StepResult(qid, qid, result.points, result.max_points,
                                                                 result.feedback, answer_text=answer).to_dict()))
    return records


def _ids(where, count: int) -> list:
    """The first ``count`` ids s0, s1, … whose variant satisfies ``where``."""
    found = [s for s in (f"s{i}" for i in range(2000)) if where(s)]
    assert len(found) >= count
    return found[:count]


def test_a_choice_groups_by_the_option_picked_not_the_letter():
    """The same wrong option picked under two shuffled orders (two letters) is one answer; the same letter that
    names another option in another order is another answer."""
    q1 = _quiz().question("q1")
    wrong, other = sorted(set(range(len(q1.options))) - q1.correct)[:2]
    letter = lambda student, option: chr(97 + q1.variant(student)["order"].index(option))  # noqa: E731
    first = "s0"
    twin = _ids(lambda s: s != first and letter(s, wrong) != letter(first, wrong), 1)[0]
    near = _ids(lambda s: q1.variant(s)["order"][ord(letter(first, wrong)) - 97] == other, 1)[0]
    records = _quiz_class([(first, "q1", letter(first, wrong)), (twin, "q1", letter(twin, wrong)),
                           (near, "q1", letter(first, wrong))])
    groups = wrong_answer_groups(records)["q1"]
    assert [(g.text, sorted(g.students)) for g in groups] == [(q1.options[wrong], sorted([first, twin])),
                                                              (q1.options[other], [near])]


def test_a_numeric_answer_groups_by_its_value_within_one_variant():
    """1/2, 0.5 and 0.50004 (within 0.1 %) for the same z are one answer; 0.5 for another z, and 0.6, are not."""
    q4 = _quiz().question("q4")
    z = q4.variant("s0")["z"]
    same = _ids(lambda s: q4.variant(s)["z"] == z, 5)
    elsewhere = _ids(lambda s: q4.variant(s)["z"] != z, 1)[0]
    records = _quiz_class([(same[0], "q4", "0.5"), (same[1], "q4", "1/2"), (same[2], "q4", "0.50004"),
                           (same[3], "q4", "0.6"), (same[4], "q4", "half"), (elsewhere, "q4", "0.5")])
    assert all(o.category != "right" for o in records.outcomes)
    groups = wrong_answer_groups(records)["q4"]
    half = next(g for g in groups if same[0] in g.students)
    assert sorted(half.students) == sorted(same[:3]) and half.variant == f"z={z}"
    assert sorted(half.texts) == ["0.5", "0.50004", "1/2"]
    apart = sorted((sorted(g.students), g.readable) for g in groups if g is not half)
    assert apart == sorted([([same[3]], True), ([same[4]], False), ([elsewhere], True)])


def test_a_symbolic_question_groups_equal_forms_with_the_engine():
    q10 = _quiz().question("q10")
    """...and an answer the engine cannot read (recorded as merely wrong, as a quiz records it) stays apart, read
    as unreadable; were it compared, as the other side of the engine's check an unreadable text raises: `equal`
    says "not equal" instead (the near miss: a readable pair is compared)."""
    from autograder.classreport.groups import engine_equal

    equal = engine_equal(_quiz())
    assert equal("sigma(2*x)", "2*sigma(2*x*(1 - x)", "q10") is False
    assert equal("sigma(2*x)*sigma(-2*x)", "sigma(2*x)*(1 - sigma(2*x))", "q10") is True
    k2 = _ids(lambda s: q10.variant(s)["k"] == 2, 3)
    k3 = _ids(lambda s: q10.variant(s)["k"] == 3, 1)[0]
    records = _quiz_class([(k2[0], "q10", "sigma(2*x)*(1 - sigma(2*x))"), (k2[1], "q10", "sigma(2*x)*sigma(-2*x)"),
                           (k3, "q10", "sigma(3*x)*(1 - sigma(3*x))"), (k2[2], "q10", "2*sigma(2*x*(1 - x)")])
    assert records.outcomes[-1].category == "wrong"
    groups = wrong_answer_groups(records)["q10"]
    assert sorted(sorted(g.students) for g in groups) == sorted([sorted(k2[:2]), [k3], [k2[2]]])
    assert groups[0].students == k2[:2] and groups[0].latex  # typeset, though the quiz recorded no LaTeX
    assert [g.readable for g in groups if g.students == [k2[2]]] == [False]


def test_a_derivation_groups_by_the_line_where_it_went_wrong():
    """Two derivations that break at equal lines (written differently) are one group, shown by that line; one that
    breaks elsewhere is another; a right derivation is in none."""
    start = "-y/a + (1 - y)/(1 - a)"
    derivations = {
        "plus": [start, "(a + y)/(a*(1 - a))", "(a + y)/(a*(1 - a))"],
        "plus_split": [start, "a/(a*(1 - a)) + y/(a*(1 - a))", "(a + y)/(a*(1 - a))"],
        "minus_two": [start, "(a - 2*y)/(a*(1 - a))", "(a - 2*y)/(a*(1 - a))"],
        "right": [start, "(-y*(1 - a) + a*(1 - y))/(a*(1 - a))", "(a - y)/(a*(1 - a))"],
    }
    records = ClassRecords("ps1", spec=PS1, steps=[("simplify_dL_da", "s", 2.0)])
    for student, lines in derivations.items():
        verdict = graded_in_order({"simplify_dL_da": lines}, PS1)["simplify_dL_da"].to_dict()
        records.outcomes.append(Outcome(student, "simplify_dL_da", verdict))
    groups = wrong_answer_groups(records)["simplify_dL_da"]
    assert [(sorted(g.students), g.text) for g in groups] == [
        (["plus", "plus_split"], "(a + y)/(a*(1 - a))"), (["minus_two"], "(a - 2*y)/(a*(1 - a))")]
    assert groups[0].diagnosis == "derivation" and len(groups[0].texts) == 2


def test_compare_refuses_what_is_not_an_earlier_report_of_this_assignment(synthetic_class, tmp_path):
    """An earlier report of another assignment, or with markup where a count should be, is refused with where."""
    import json

    from autograder.classreport.compare import earlier_state

    earlier = json.loads(write_report(synthetic_class, tmp_path, ("json",))[0].read_text(encoding="utf-8"))
    steps, scores = earlier_state(earlier, "ps1")  # the near miss: this one is accepted
    assert steps["dL_da"]["right"] == 25 and len(scores) == 50
    with pytest.raises(ValueError, match="the earlier report is of 'ps1', not 'ps2'"):
        earlier_state(earlier, "ps2")
    earlier["steps"][1]["counts"]["wrong"] = "<img src=x onerror=alert(1)>"
    with pytest.raises(ValueError, match=r"steps\[1\] \(da_dz\): counts.wrong is '<img"):
        earlier_state(earlier, "ps1")
    with pytest.raises(ValueError, match="not a report's JSON"):
        earlier_state([], "ps1")


def test_a_quiz_with_many_variants_is_compared_per_parameter_value(tmp_path):
    """q8 has hundreds of variants (one per student here): the page compares each parameter's values instead, and
    each value's row counts exactly the students whose variant had it; a choice question is compared by the letter
    its right option was shown as."""
    from autograder.classreport.stats import parameter_difficulty

    quiz = _quiz()
    q8, q1 = quiz.question("q8"), quiz.question("q1")
    students = [f"s{i}" for i in range(60)]
    records = _quiz_class([(s, "q8", "0") for s in students] + [(s, "q1", "a") for s in students])
    by_value = parameter_difficulty(records)
    for value, cell in by_value["q8"]["a1"].items():
        assert cell["students"] == sum(str(q8.variant(s)["a1"]) == value for s in students) > 0
    shown_as = {s: chr(97 + q1.variant(s)["order"].index(next(iter(q1.correct)))) for s in students}
    assert {v: c["right"] for v, c in by_value["q1"]["right option shown as"].items()} == \
        {letter: sum(shown_as[s] == letter == "a" for s in students) for letter in set(shown_as.values())}
    page = write_report(records, tmp_path, ("html",))[0].read_text(encoding="utf-8")
    variants = len({str(q8.variant(s)) for s in students})
    assert variants > 12 and f"{variants} variants, too many to compare one by one" in page
    assert "<th>a1</th>" in page and "<th>right option shown as</th>" in page


def test_a_class_of_1000_costs_a_bounded_number_of_comparisons():
    """1,000 students with 400 distinct wrong answers to one step: all are counted, yet at most the
    MAX_DISTINCT most frequent distinct ones are ever compared (the engine's cost does not grow with the class)."""
    from autograder.classreport.groups import MAX_DISTINCT

    records = ClassRecords("ps1", spec=PS1, steps=[("dL_da", "∂L/∂a", 2.0)])
    for i in range(1000):
        text = f"(y - a)/(a*(1 - a)) + {i % 400}"  # 400 different answers, 2 or 3 students each
        records.outcomes.append(Outcome(f"s{i:04d}", "dL_da", {"points": 0.0, "max_points": 2.0, "answer_text": text,
                                                               "status": "not_equivalent", "feedback": "Not equal."}))
    asked = []
    groups = wrong_answer_groups(records, equal=lambda a, b, step: asked.append((a, b)) or False)["dL_da"]
    assert sum(g.count for g in groups) == 1000 and len(groups) == 400
    compared = {text for pair in asked for text in pair}
    assert len(compared) == MAX_DISTINCT and len(asked) == MAX_DISTINCT * (MAX_DISTINCT - 1) // 2


@pytest.mark.parametrize("content, said", [
    ("[" * 100_000 + "]" * 100_000, "maximum recursion depth"),
    ('{"assignment": "ps2", "steps": [], "students": {}}', "the earlier report is of 'ps2', not 'ps1'"),
    ("{not json", "Expecting property name"),
    # the near miss: a good earlier report passes, and the command goes on to find no class here
    ('{"assignment": "ps1", "steps": [], "students": {}}', "expected one *.spec.toml in"),
])
def test_the_command_refuses_a_bad_earlier_report_before_reading_the_class(tmp_path, capsys, content, said):
    """`autograder report ps1 --compare F` with F unreadable, or another assignment's: exit 2 saying so, before
    the class is read (there is no gradebook here at all) and with nothing written."""
    import argparse

    from autograder.commands import report

    (tmp_path / "before.json").write_text(content, encoding="utf-8")
    args = argparse.Namespace(assignment="ps1", course=str(tmp_path), db_url=None, out="reports", formats=None,
                              compare=str(tmp_path / "before.json"))
    assert report.run(args) == 2
    assert said in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["before.json"]
