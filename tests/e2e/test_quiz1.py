"""quiz1 on real nbgrader: per-student variants, grading against the submitter's own variant, no leaks.

The generic checks (release not stale, demo scores == [expected], feedback pages) are in
test_assignments.py; these are the quiz-specific ones.
"""

import json
import re
from pathlib import Path

import nbformat
import pytest
import sympy

from autograder.authoring.quiz_spec import QuizSpec
from autograder.notebook import quiz_question_text
from autograder.parse import Names, parse_expression
from autograder.quiz import Choice, Numeric, Symbolic

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
SPEC = QuizSpec.from_file(REPO / "source" / "quiz1" / "quiz1.spec.toml")
RELEASE = REPO / "release" / "quiz1"
PUBLIC = json.loads((RELEASE / "quiz1.checks.json").read_text(encoding="utf-8"))


def _released_text() -> str:
    files = [p for p in RELEASE.rglob("*") if p.is_file()]
    assert {p.name for p in files} == {"quiz1.ipynb", "quiz1.checks.json"}
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def _forms(text: str, names) -> set[str]:
    expr = parse_expression(text, names)
    return {f for form in (text, str(expr), sympy.latex(expr)) for f in (form, form.replace(" ", ""))}


def test_quiz1_has_at_least_eight_questions_of_every_kind():
    kinds = [type(q) for q in SPEC.questions]
    assert len(kinds) >= 8 and {Choice, Numeric, Symbolic} <= set(kinds)
    assert any(isinstance(q, Choice) and q.multiple for q in SPEC.questions)


def test_release_has_no_answer_formula_or_reference():
    text = _released_text()
    squeezed = text.replace(" ", "")
    forms = set()
    for q in SPEC.questions:
        if isinstance(q, Numeric):
            forms |= _forms(q.answer, q.names)
        elif isinstance(q, Symbolic):
            names = Names.of(set(q.symbols) | set(q.domain) | set(q.params))
            forms |= _forms(q.reference, names)
            for k in q.params.get("k", []):  # the reference as each variant would substitute it
                forms |= _forms(q.reference_for({"k": k}), Names.of(q.symbols))
    assert forms
    for form in forms:
        assert form not in text and form not in squeezed, f"release/quiz1 reveals {form!r}"


def test_release_does_not_say_which_options_are_right():
    for q in SPEC.questions:
        shipped = PUBLIC["questions"][q.id]
        assert not {"correct", "answer", "reference"} & set(shipped), q.id
        if isinstance(q, Choice):
            # every option ships, in sorted order: neither presence nor position marks the right ones
            assert shipped["options"] == sorted(q.options)
    notebook = nbformat.read(RELEASE / "quiz1.ipynb", 4)
    answer_cells = [c.source for c in notebook.cells if c.metadata["nbgrader"].get("solution")]
    assert answer_cells and all("BEGIN SOLUTION" not in s and "None" in s for s in answer_cells)
    hidden = [c.source for c in notebook.cells if "record_answer" in c.source]
    assert not hidden, "the hidden recording code ships"


def test_the_local_check_says_only_whether_the_format_is_right(tmp_path):
    from autograder.notebook import quiz_local_result

    (tmp_path / "quiz1.checks.json").write_bytes((RELEASE / "quiz1.checks.json").read_bytes())

    def check(qid, answer, sid="alice"):
        return quiz_local_result(qid, answer, sid, folder=tmp_path)

    # "a" is alice's right letter for q1 and "c" a wrong one (tests/data/demo_class/quiz1/alice_all_right.toml)
    (right, r1), (wrong, r2) = check("q1", "a"), check("q1", "c")
    assert right.replace("'a'", "X") == wrong.replace("'c'", "X"), "right and wrong letters are told apart"
    assert (r1.points, r1.max_points, r1.feedback) == (r2.points, r2.max_points, r2.feedback) == \
        (0, 0, "Format OK; judged after you submit.")
    assert "only options a–d" in check("q1", "e")[0]
    assert "Pick exactly one" in check("q1", "a, b")[0]
    assert "not a number" in check("q4", "1/(")[0]
    assert "does not parse" in check("q10", "2*sigma(2*x")[0]
    assert "format OK" in check("q10", "2*sigma(2*x)")[0]
    no_id = check("q4", 0.5, None)
    assert "enter your student id" in no_id[0] and not no_id[1].passed


def test_two_students_get_different_values():
    texts = {sid: {q: quiz_question_text(PUBLIC["questions"][q], "quiz1", sid) for q in PUBLIC["questions"]}
             for sid in ("alice", "bob")}
    differ = [q for q in PUBLIC["questions"] if texts["alice"][q] != texts["bob"][q]]
    assert {"q4", "q6", "q7", "q8", "q9", "q10"} <= set(differ)
    assert "σ(3)" in texts["alice"]["q4"] and "σ(1.5)" in texts["bob"]["q4"]  # as worked out in the demo files
    # what the student sees is the variant the grader rebuilds
    q8 = SPEC.question("q8")
    for sid in ("alice", "bob"):
        v = q8.variant(sid)
        assert f"X = ({v['x1']}, {v['x2']})" in texts[sid]["q8"]


@pytest.fixture(scope="module")
def quiz1_graded(graded_demos):
    return graded_demos["quiz1"]


def _verdicts(result, student):
    nb = nbformat.read(result["course"] / "autograded" / student / "quiz1" / "quiz1.ipynb", 4)
    return {c.metadata["autograder"]["step"]: c.metadata["autograder"] for c in nb.cells
            if "autograder" in c.metadata}


def test_each_student_is_graded_against_their_own_variant(quiz1_graded):
    alice, bob = _verdicts(quiz1_graded, "alice"), _verdicts(quiz1_graded, "bob")
    # different right values for the same question, each accepted for its own student
    assert alice["q8"]["answer_text"] == "-0.4" and alice["q8"]["points"] == 2
    assert bob["q8"]["answer_text"] == "-3.45" and bob["q8"]["points"] == 2
    q8 = SPEC.question("q8")
    assert q8.grade("-0.4", q8.variant("bob")).points == 0  # alice's number is wrong for bob


def test_a_borrowed_id_gains_nothing(quiz1_graded):
    dave = _verdicts(quiz1_graded, "dave")
    assert dave and all(v["points"] == 0 for v in dave.values())
    assert all("'alice'" in v["feedback"] and "'dave'" in v["feedback"] for v in dave.values())
    erin = _verdicts(quiz1_graded, "erin")
    assert all(v["points"] == 0 and "No student id" in v["feedback"] for v in erin.values())


def test_partial_credit_and_tolerance(quiz1_graded):
    bob, carol = _verdicts(quiz1_graded, "bob"), _verdicts(quiz1_graded, "carol")
    assert bob["q2"]["points"] == 1 and "Partly right" in bob["q2"]["feedback"]
    assert bob["q7"]["feedback"] == "Not correct: check the sign."
    assert carol["q4"]["points"] == 1 and carol["q6"]["points"] == 0 and "0.1%" in carol["q6"]["feedback"]
    feedback = (quiz1_graded["course"] / "feedback" / "bob" / "quiz1" / "quiz1.html").read_text()
    assert "autograder-feedback" in feedback and re.search(r"Partly right", feedback)
