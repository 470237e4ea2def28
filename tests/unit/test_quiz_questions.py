"""Quiz questions: choice, numeric and symbolic grading, and per-student variants."""

import pytest

from autograder.quiz import Choice, Numeric, QuizError, Symbolic, normalize_id

CHAIN = Choice("chain", "Which equal dL/dz?", ("a - y", "y - a", "(a-y)/(a(1-a)) · a(1-a)", "a(1-a)"),
               frozenset({0, 2}), points=2, quiz_id="quiz1")
ONE = Choice("one", "σ'(z) = ?", ("σ(z)(1-σ(z))", "σ(z)", "1-σ(z)"), frozenset({0}), points=1, quiz_id="quiz1")


def letters_for(q, student, wanted):
    order = q.variant(student)["order"]
    return ",".join(chr(97 + order.index(i)) for i in wanted)


def test_choice_full_partial_and_zero():
    v = CHAIN.variant("ada")
    assert CHAIN.grade(letters_for(CHAIN, "ada", [0, 2]), v).points == 2
    assert CHAIN.grade(letters_for(CHAIN, "ada", [0]), v).points == 1
    assert CHAIN.grade(letters_for(CHAIN, "ada", [0, 1]), v).points == 0  # a wrong pick cancels a right one
    assert CHAIN.grade(letters_for(CHAIN, "ada", [1, 3]), v).points == 0


def test_choice_bad_answers_are_explained():
    v = ONE.variant("ada")
    assert "exactly one" in ONE.grade("a, b", v).feedback
    assert "only options a–c" in ONE.grade("e", v).feedback
    assert "letter" in ONE.grade("the first one", v).feedback
    assert ONE.grade(None, v).points == 0


def test_option_order_is_per_student_and_stable():
    orders = {s: tuple(CHAIN.variant(s)["order"]) for s in ("ada", "ben", "cy", "dee", "eve", "fay")}
    assert len(set(orders.values())) > 1
    assert CHAIN.variant(" ADA ") == CHAIN.variant("ada")


SIG = Numeric("sig", "σ'({z}) for z = {z}?", params={"z": [-2, -1, 0, 1, 2]}, answer="sigma(z)*(1-sigma(z))",
              points=2, quiz_id="quiz1")
GD = Numeric("gd", "w = {w}, dw = {dw}, α = {alpha}/100: new w?", params={"w": {"min": 1, "max": 9},
             "dw": {"min": -5, "max": 5}, "alpha": [1, 5, 10]}, answer="w - alpha/100*dw", quiz_id="quiz1")


def test_numeric_within_tolerance_and_sign_feedback():
    v = GD.variant("ben")
    want = v["w"] - v["alpha"] / 100 * v["dw"]
    assert GD.grade(want, v).points == 1
    assert GD.grade(str(want * (1 + 5e-4)), v).points == 1
    assert GD.grade(want * 1.01, v).points == 0
    if want:
        assert "sign" in GD.grade(-want, v).feedback
    assert "not a number" in GD.grade("w - 1", v).feedback
    assert "not a number" in GD.grade("__import__('os')", v).feedback


def test_numeric_accepts_exact_expressions():
    v = {"z": 0}
    assert SIG.grade("1/4", v).points == 2
    assert SIG.grade("exp(0)/4", v).points == 2


def test_two_students_get_different_values_and_their_own_grading():
    students = [f"student{i}" for i in range(12)]
    variants = {s: GD.variant(s) for s in students}
    assert len({tuple(sorted(v.items())) for v in variants.values()}) > 1
    a, b = next((x, y) for x in students for y in students
                if GD.expected(variants[x]) != GD.expected(variants[y]))
    answer_a = float(GD.expected(variants[a]))
    assert GD.grade(answer_a, variants[a]).points == 1
    assert GD.grade(answer_a, variants[b]).points == 0  # a's answer is wrong for b


def test_symbolic_question_uses_the_engine_and_per_student_numbers():
    q = Symbolic("dk", "d/dz σ({k}·z) = ?", reference="k*sigma(k*z)*(1-sigma(k*z))", params={"k": [2, 3, 4]},
                 symbols=("z",), quiz_id="quiz1")
    v = q.variant("cy")
    k = v["k"]
    assert q.grade(f"{k}*sigma({k}z)*(1-sigma({k}z))", v).points == 1
    r = q.grade(f"sigma({k}z)*(1-sigma({k}z))", v)
    assert r.points == 0 and "constant factor" in r.feedback
    assert q.grade("diff(sigma(z), z)", v).points == 0


def test_authoring_errors_are_loud():
    with pytest.raises(QuizError):
        Choice("bad", "?", ("x", "y"), frozenset({5}))
    with pytest.raises(QuizError):
        Numeric("bad", "?", params={"z": [1]}, answer="q + 1")
    with pytest.raises(ValueError, match="student id"):
        normalize_id("  ")


def test_an_unreadable_number_is_told_why():
    """The parser's own sentence reaches the student (it once came back from the worker as a pickling error)."""
    feedback = GD.grade("w - 1", GD.variant("ben")).feedback
    assert "unknown name 'w'" in feedback and "__init__" not in feedback
