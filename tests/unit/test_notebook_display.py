"""The student's local check: same feedback as grading, shown as an HTML table with math, text elsewhere."""

from pathlib import Path

import pytest

from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from autograder.notebook import (RESULT_MIME, answer_payload, check_step, expr, local_result, matrix, result_html,
                                 result_text, symbols)
from autograder.notebook import exp, hadamard, sum as np_sum, tanh

a, y = symbols("a y")

RELEASE = Path(__file__).resolve().parents[2] / "release" / "ps1"


def test_a_correct_sympy_answer_passes_locally():
    r = local_result("da_dz", a * (1 - a), folder=RELEASE)
    assert (r.points, r.max_points, r.passed) == (2.0, 2.0, True)


def test_a_sign_error_gets_the_authored_feedback_locally():
    r = local_result("dL_da", (y - a) / (a * (1 - a)), folder=RELEASE)
    assert r.points == 0 and "minus sign" in r.feedback


def test_html_renders_the_answer_as_math_for_mathjax():
    html = result_html(local_result("dL_da", (y - a) / (a * (1 - a)), folder=RELEASE))
    assert r"$\frac{- a + y}{a \left(1 - a\right)}$" in html
    assert 'class="autograder-fail"' in html and "minus sign" in html


def test_a_parse_error_shows_a_caret_under_the_column_not_a_traceback():
    r = local_result("dL_da", "(a-y)/(a(1-a)", folder=RELEASE)
    assert r.column == 7
    assert "(a-y)/(a(1-a)\n      ^" in result_html(r)
    assert "white-space:pre" in result_html(r)  # the caret stays under its column on a narrow page
    text = result_text(r)
    assert "Traceback" not in text and "      ^" in text


def test_derivation_lines_are_each_marked():
    lines = ["-y/a + (1-y)/(1-a)", "(y*(1-a) - a*(1-y))/(a*(1-a))", "(y-a)/(a*(1-a))"]
    r = local_result("simplify_dL_da", lines, folder=RELEASE)
    assert r.points == 0.5
    html = result_html(r)
    assert html.count("<li>") == 3 and "<li>✓" in html and "<li>✗" in html


def test_none_and_missing_files_give_a_sentence_not_an_exception(tmp_path):
    assert "still None" in local_result("dL_da", None, folder=RELEASE).feedback
    assert "No local check for step" in local_result("dL_da", a, folder=tmp_path).feedback


def test_answer_payload_is_plain_json():
    assert answer_payload([a, "y"]) == ["a", "y"] and answer_payload(a * y) == "a*y"


def test_check_step_displays_html_text_and_result_and_returns_none(monkeypatch):
    InteractiveShell.instance()
    monkeypatch.chdir(RELEASE)
    with capture_output() as captured:
        value = check_step("da_dz", a * (1 - a))
    assert value is None  # a graded cell must not end in a value nbgrader would read as a score
    (bundle,) = [o.data for o in captured.outputs]
    assert {"text/html", "text/plain", RESULT_MIME} <= set(bundle)
    assert bundle[RESULT_MIME]["points"] == 2.0
    assert "PASS" in bundle["text/plain"]


def test_functions_act_element_by_element_on_matrices_as_numpy_does():
    Z = matrix("Z", 1, 3)
    assert tanh(Z) == matrix("Z", 1, 3).applyfunc(lambda v: __import__("sympy").tanh(v))
    assert exp(a) == __import__("sympy").exp(a)  # scalars unchanged
    assert hadamard(Z, Z) == Z.applyfunc(lambda v: v**2)
    assert np_sum(Z) == Z[0] + Z[1] + Z[2] and np_sum([1, 2, 3]) == 6


def test_expr_reads_with_the_assignments_symbols():
    assert expr("a(1-a)", folder=RELEASE) == a * (1 - a)


def test_in_a_graded_kernel_check_step_leaves_the_judging_to_the_grader(monkeypatch):
    import autograder.notebook as notebook

    InteractiveShell.instance()
    monkeypatch.chdir(RELEASE)
    monkeypatch.setenv(notebook.GRADING_ENV, "1")
    monkeypatch.setattr(notebook, "local_result", lambda *a, **k: pytest.fail("judged in the graded kernel"))
    with capture_output() as captured:
        assert check_step("da_dz", a * (1 - a)) is None
    (bundle,) = [o.data for o in captured.outputs]
    assert bundle == {"text/plain": "da_dz: judged by the grader against the reference"}


def test_resilient_execute_tells_the_kernel_it_is_graded(monkeypatch):
    import asyncio

    from nbclient import NotebookClient

    from autograder.nbgrader.execute import ResilientExecute
    from autograder.protocol import GRADING_ENV

    started = {}

    async def start(self, **kwargs):
        started.update(kwargs)

    monkeypatch.setattr(NotebookClient, "async_start_new_kernel", start)
    asyncio.run(ResilientExecute().async_start_new_kernel(cwd="/tmp"))
    assert started["env"][GRADING_ENV] == "1" and started["env"]["PATH"] and started["cwd"] == "/tmp"
