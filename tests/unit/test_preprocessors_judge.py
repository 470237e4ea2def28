"""JudgeAnswers on in-memory notebooks: the score nbgrader reads comes only from the judge's own verdict."""

from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_output
from nbgrader.utils import determine_grade
from traitlets.config import Config

from autograder.authoring.build import source_notebook
from autograder.authoring.spec import Spec
from autograder.nbgrader.codescan import find_unsafe, find_uses
from autograder.nbgrader.judge import JudgeAnswers
from autograder.protocol import ANSWER_MIME

REPO = Path(__file__).resolve().parents[2]
SPEC = Spec.from_file(REPO / "source" / "ps1" / "ps1.spec.toml")


KEY = None  # the judging key file of the running test


@pytest.fixture(autouse=True)
def _seal_key(tmp_path):
    """JudgeAnswers seals its verdicts with the course's key: this course is the repository, in which these
    tests must not leave a key file."""
    global KEY
    KEY = tmp_path / "judge.key"


def _judge(nb):
    config = Config()
    config.CourseDirectory.root = str(REPO)
    config.JudgeAnswers.seal_key = str(KEY)
    resources = {"nbgrader": {"assignment": "ps1", "student": "s", "notebook": "ps1"}}
    JudgeAnswers(config=config).preprocess(nb, resources)
    return nb


def _notebook(answers: dict, *, record=True):
    """The instructor's notebook as autograde leaves it: answer cells as typed, check cells with recorded answers."""
    nb = source_notebook(SPEC)
    for cell in nb.cells:
        gid = cell.metadata["nbgrader"]["grade_id"]
        step = gid.rsplit("-", 1)[0]
        if gid.endswith("-answer"):
            cell.source = f"{SPEC.step(step).variable} = {answers.get(step)!r}"
        if gid.endswith("-check") and record and step in answers:
            cell.outputs = [new_output("display_data", data={ANSWER_MIME: {"step": step, "answer": answers[step]},
                                                             "text/plain": "recorded"})]
    return nb


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _grades(nb):
    return {c.metadata["nbgrader"]["grade_id"].removesuffix("-check"): determine_grade(c)[0]
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}


CORRECT = {"dL_da": "-y/a + (1-y)/(1-a)", "da_dz": "a*(1 - a)", "dL_dz_chain": "a - y", "dL_dz": "a - y",
           "simplify_dL_da": ["-y/a + (1-y)/(1-a)", "(a*(1-y) - y*(1-a))/(a*(1-a))", "(a-y)/(a*(1-a))"]}


def test_correct_answers_get_full_marks_through_nbgrader_determine_grade():
    nb = _judge(_notebook(CORRECT))
    assert _grades(nb) == {"dL_da": 2, "da_dz": 2, "dL_dz_chain": 2, "dL_dz": 2, "simplify_dL_da": 2}
    out = _cell(nb, "dL_da-check").outputs
    assert [o.output_type for o in out] == ["display_data", "stream"]
    assert "$" in out[0].data["text/html"]  # the answer as math for the feedback page


def test_a_wrong_answer_scores_zero_with_the_diagnosis_in_the_error():
    nb = _judge(_notebook(dict(CORRECT, dL_da="(y-a)/(a*(1-a))")))
    assert _grades(nb)["dL_da"] == 0
    error = _cell(nb, "dL_da-check").outputs[-1]
    assert error.output_type == "error" and "minus sign" in error.evalue
    assert _cell(nb, "dL_da-check").metadata["autograder"]["points"] == 0


def test_a_partial_derivation_scores_a_bare_float():
    lines = ["-y/a + (1-y)/(1-a)", "(a*(1-y) - y*(1-a))/(a*(1-a))"]  # stops before simplifying
    nb = _judge(_notebook(dict(CORRECT, simplify_dL_da=lines)))
    assert _grades(nb)["simplify_dL_da"] == 1.0
    assert _cell(nb, "simplify_dL_da-check").outputs[-1].output_type == "execute_result"


def test_student_outputs_in_a_check_cell_are_discarded():
    """A fake score, a fake pass and a forged record for another step do not count: no record → zero."""
    nb = _notebook(CORRECT, record=False)
    check = _cell(nb, "dL_da-check")
    check.outputs = [new_output("stream", name="stdout", text="✓ passed 2/2\n"),
                     new_output("display_data", data={ANSWER_MIME: {"step": "da_dz", "answer": "a*(1-a)"}}),
                     new_output("execute_result", data={"text/plain": "2.0"}, execution_count=1)]
    nb = _judge(nb)
    assert _grades(nb)["dL_da"] == 0
    assert "No answer recorded" in _cell(nb, "dL_da-check").outputs[-1].evalue


def test_a_missing_record_explains_the_answer_cells_error():
    nb = _notebook(CORRECT, record=False)
    _cell(nb, "da_dz-answer").outputs = [new_output("error", ename="CellTimeoutError", evalue="", traceback=[])]
    nb = _judge(nb)
    assert "your answer cell: CellTimeoutError" in _cell(nb, "da_dz-check").outputs[-1].evalue


def test_diff_in_an_answer_cell_zeroes_that_step_only():
    nb = _notebook(CORRECT)
    _cell(nb, "da_dz-answer").source = "da_dz = sigma(z).diff(z)"
    nb = _judge(nb)
    assert _grades(nb) == {"dL_da": 2, "da_dz": 0, "dL_dz_chain": 2, "dL_dz": 2, "simplify_dL_da": 2}
    assert "derive it yourself; diff was used" in _cell(nb, "da_dz-check").outputs[-1].evalue


def test_unsafe_code_zeroes_the_checks_that_run_after_it_and_keeps_earlier_ones():
    nb = _notebook(CORRECT)
    at = nb.cells.index(_cell(nb, "da_dz-check")) + 1
    nb.cells.insert(at, new_code_cell("open('../../../source/ps1/ps1.spec.toml').read()"))
    nb = _judge(nb)
    assert _grades(nb) == {"dL_da": 2, "da_dz": 2, "dL_dz_chain": 0, "dL_dz": 0, "simplify_dL_da": 0}
    assert "open is used in cell" in _cell(nb, "dL_dz_chain-check").outputs[-1].evalue


def test_a_check_cell_recording_an_unknown_step_is_an_instructor_error():
    nb = _notebook(CORRECT)
    _cell(nb, "dL_da-check").source = 'record_answer("no_such_step", dL_da)'
    with pytest.raises(ValueError, match="no_such_step"):
        _judge(nb)


@pytest.mark.parametrize("source, found", [
    ("x = a.diff(z)", [("diff", 1)]),
    ("from sympy import diff as d\nx = d(a, z)", [("diff", 1)]),
    ("x = Derivative(a, z).doit()", [("Derivative", 1)]),
    ("x = a*(1-a)  # diff in a comment is fine", []),
])
def test_find_uses_of_derivative_helpers(source, found):
    assert find_uses(source, {"diff", "Derivative"}) == found


@pytest.mark.parametrize("source, what", [
    ("import os", "import os"),
    ("x = ().__class__", ".__class__"),
    ("eval('1')", "eval"),
    ("!cat /etc/passwd", "get_ipython"),
    ("x = getattr(a, 'di' + 'ff')", "getattr"),
    ("x = a.subs(a, '__import__(1)')", "a string containing '__'"),
])
def test_find_unsafe_constructs(source, what):
    assert find_unsafe(source)[0][0] == what


def test_plain_answers_are_not_unsafe():
    assert find_unsafe("dL_da = (a - y)/(a*(1 - a))\nlines = ['a', 'b']") == []


def test_outputs_of_student_cells_from_unsafe_code_on_are_removed():
    """What such code printed (it might be a reference read from disk) never reaches the feedback."""
    nb = _notebook(CORRECT)
    honest = _cell(nb, "dL_da-answer")
    honest.outputs = [new_output("stream", name="stdout", text="honest output\n")]
    at = nb.cells.index(_cell(nb, "dL_da-check")) + 1
    nb.cells.insert(at, new_code_cell("import pathlib\nprint(pathlib.Path('x').read_text())"))
    nb.cells[at].outputs = [new_output("stream", name="stdout", text="reference = '(a - y)/(a*(1 - a))'\n")]
    _cell(nb, "da_dz-answer").outputs = [new_output("stream", name="stdout", text="a*(1 - a)\n")]
    nb = _judge(nb)
    assert honest.outputs[0].text == "honest output\n"
    for cell in (nb.cells[at], _cell(nb, "da_dz-answer")):
        assert "output removed by the grader" in cell.outputs[0].text and len(cell.outputs) == 1


CAROL = dict(CORRECT, dL_da="(y - a)/(a*(1 - a))", dL_dz_chain="-a + y", dL_dz="y - a")


def test_follow_through_credit_reaches_nbgrader_with_its_own_diagnosis():
    nb = _judge(_notebook(CAROL))
    assert _grades(nb) == {"dL_da": 0, "da_dz": 2, "dL_dz_chain": 2, "dL_dz": 2, "simplify_dL_da": 2}
    chain = _cell(nb, "dL_dz_chain-check")
    assert chain.metadata["autograder"]["diagnosis"] == "follow_through"
    assert "Right for your ∂L/∂a, which was wrong" in chain.outputs[0].data["text/html"]


def test_a_step_whose_earlier_check_was_zeroed_by_forbidden_code_gets_no_follow_through():
    nb = _notebook(CAROL)
    _cell(nb, "dL_da-answer").source = "dL_da = diff(-(y*log(a) + (1-y)*log(1-a)), a) * -1"
    assert _grades(_judge(nb))["dL_dz_chain"] == 0


def test_the_judge_keeps_what_the_kernel_recorded_and_which_spec_judged_it():
    import hashlib

    nb = _judge(_notebook(CORRECT))
    kept = _cell(nb, "da_dz-check").metadata["autograder"]["kernel_outputs"]
    assert kept == [{"output_type": "display_data", "data": {ANSWER_MIME: {"step": "da_dz", "answer": "a*(1 - a)"}}}]
    spec_file = REPO / "source" / "ps1" / "ps1.spec.toml"
    assert nb.metadata["autograder"]["spec_sha256"] == hashlib.sha256(spec_file.read_bytes()).hexdigest()


def test_judging_again_from_the_kept_answers_gives_the_same_verdicts_without_a_kernel():
    from autograder.nbgrader.judge import judge_notebook

    nb = _judge(_notebook(CAROL))
    before = {c.metadata["nbgrader"]["grade_id"]: c.metadata["autograder"] for c in nb.cells if "autograder" in c.metadata}
    again = judge_notebook(nb, REPO / "source" / "ps1" / "ps1.spec.toml", "s", recorded_in_metadata=True)
    assert {f"{k}-check": v.to_dict() for k, v in again.items()} == \
        {k: {f: x for f, x in v.items() if f not in ("kernel_outputs", "judged_inputs")} for k, v in before.items()}
    assert _grades(nb) == {"dL_da": 0, "da_dz": 2, "dL_dz_chain": 2, "dL_dz": 2, "simplify_dL_da": 2}


def test_answers_planted_in_a_check_cells_metadata_are_never_read_when_autograding():
    nb = _notebook(CORRECT, record=False)
    _cell(nb, "da_dz-check").metadata["autograder"] = {"kernel_outputs": [
        {"output_type": "display_data", "data": {ANSWER_MIME: {"step": "da_dz", "answer": "a*(1 - a)"}}}]}
    nb = _judge(nb)
    assert _grades(nb)["da_dz"] == 0
    assert _cell(nb, "da_dz-check").metadata["autograder"]["kernel_outputs"] == []


def test_regrading_judges_again_only_the_steps_whose_inputs_changed(tmp_path, monkeypatch):
    """A changed reference re-judges its step (and the steps whose earlier answers it changes); the rest keep
    their verdicts without an engine call."""
    import autograder.nbgrader.judge as judge_module

    nb = _judge(_notebook(CAROL))
    judged = []
    real = judge_module.score_answer
    monkeypatch.setattr(judge_module, "score_answer", lambda info, *a, **k: judged.append(info["id"]) or real(
        info, *a, **k))
    spec = tmp_path / "ps1.spec.toml"
    text = (REPO / "source" / "ps1" / "ps1.spec.toml").read_text()
    spec.write_text(text)
    judge_module.judge_notebook(nb, spec, "s", recorded_in_metadata=True)
    assert judged == []
    spec.write_text(text.replace('reference = "a - y"\nsame_as', 'reference = "y - a"\nsame_as'))
    results = judge_module.judge_notebook(nb, spec, "s", recorded_in_metadata=True)
    assert judged == ["dL_dz"]
    assert (results["dL_dz"].points, results["dL_dz"].diagnosis) == (2.0, None)  # carol's y - a, now right outright


def test_quiz_answers_are_judged_in_the_same_walk_and_kept_for_regrading():
    """The quiz path: the instructor's own solutions, recorded as the kernel would, score full marks for the
    instructor's id and zero for a submission under another id; judging again from metadata agrees."""
    import ast

    from autograder.authoring.quiz_build import INSTRUCTOR_ID, quiz_notebook
    from autograder.authoring.quiz_spec import QuizSpec
    from autograder.nbgrader.judge import judge_notebook

    path = REPO / "source" / "quiz1" / "quiz1.spec.toml"
    spec = QuizSpec.from_file(path)

    def recorded_notebook():
        nb = quiz_notebook(spec)
        for cell in nb.cells:
            gid = cell.metadata["nbgrader"]["grade_id"]
            if gid.endswith("-check"):
                qid = gid.removesuffix("-check")
                answer_cell = _cell(nb, f"{qid}-answer")
                solution = ast.literal_eval(answer_cell.source.split("### BEGIN SOLUTION")[1]
                                            .split("### END SOLUTION")[0].strip())
                cell.outputs = [new_output("display_data", data={ANSWER_MIME: {"step": qid, "answer": solution}}),
                                new_output("display_data", data={ANSWER_MIME: {"step": "student_id",
                                                                              "answer": INSTRUCTOR_ID}})]
        return nb

    mine = judge_notebook(recorded_notebook(), path, INSTRUCTOR_ID)
    assert mine and all(r.points == r.max_points for r in mine.values())
    nb = recorded_notebook()
    other = judge_notebook(nb, path, "someone-else")
    assert all(r.points == 0 for r in other.values())
    again = judge_notebook(nb, path, "someone-else", recorded_in_metadata=True)
    assert {k: r.to_dict() for k, r in again.items()} == {k: r.to_dict() for k, r in other.items()}
