"""A student answers ps1 in JupyterLab: feedback, rendered math and no reference answer on the page."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from lab_server import JupyterLab
from notebook_page import (
    CARET_POSITIONS, NOTEBOOK, body_html, find_code_cell, latex_structure, math_on_page, math_plain, open_notebook,
    previous_code_cell, run_all_cells, text_without_math, type_into_cell,
)
from reference_forms import REPO, load_ps1_spec, reference_forms, verdict_for

pytestmark = pytest.mark.browser

#: What the student types. A correct form that is neither the reference nor a line of the
#: instructor's derivation, a sign error, and a product with a bracket never closed; none holds a
#: reference, so any reference text on the page is a leak (the test checks this precondition itself).
CORRECT = ("dL_da", "(y - a)/(a**2 - a)")
SIGN_ERROR = ("da_dz", "a*(a-1)")
UNPARSABLE = ("dL_dz_chain", '"(y-a)/(a**2-a) * a(a-1"')
TYPED = (CORRECT, SIGN_ERROR, UNPARSABLE)


@pytest.fixture
def student_home(tmp_path) -> Path:
    """A student's folder holding ps1 exactly as released (what ``nbgrader fetch_assignment`` gives them)."""
    home = tmp_path / "student"
    shutil.copytree(REPO / "release" / "ps1", home / "ps1")
    return home


def answer_text(typed, var: str) -> str:
    """What the student typed for ``var``, without the quotes of a string answer."""
    return dict(typed)[var].strip('"')


def scroll_to_top(cell) -> None:
    """Put a cell at the top of the notebook's scroll area, so a screenshot shows it and what follows."""
    cell.evaluate("e => e.scrollIntoView({block: 'start'})")


def test_student_sees_pass_sign_error_and_math_but_no_reference(
    browser, lab_home, student_home, screenshot_dir
):
    # The engine runs (and forks its worker) here, before the browser starts: see the `browser` fixture.
    spec = load_ps1_spec()
    steps = {step.variable: step for step in spec.steps}
    # A string answer reaches the engine as the text inside the quotes.
    expected = {var: verdict_for(spec, steps[var], answer.strip('"')) for var, answer in TYPED}
    # The inputs must be what this test claims they are, judged by the engine itself: one right,
    # one exactly the negative of the right result, one that does not parse at a known column.
    assert expected[CORRECT[0]].status == "equivalent"
    assert expected[SIGN_ERROR[0]].status == "not_equivalent"
    negated = verdict_for(spec, steps[SIGN_ERROR[0]], f"-({SIGN_ERROR[1]})")
    assert negated.status == "equivalent", negated
    assert expected[UNPARSABLE[0]].status == "invalid" and expected[UNPARSABLE[0]].column
    text_leaks, math_leaks = set(), set()
    for var, step in steps.items():
        text_forms, typeset_forms = reference_forms(step, spec.symbols)
        text_leaks |= {(var, form) for form in text_forms}
        math_leaks |= {(var, form) for form in typeset_forms}
    # Guard against a vacuous check: nothing the student typed (or sees typeset of it) holds a reference.
    typed = [math_plain(answer) for _, answer in TYPED]
    typeset = [latex_structure(v.answer_latex) for v in expected.values() if v.answer_latex]
    self_inflicted = {(v, f) for v, f in text_leaks if any(f in t for t in typed)}
    self_inflicted |= {(v, f) for v, f in math_leaks if any(f in t for t in typeset)}
    assert not self_inflicted, f"the typed answers hold reference forms: {self_inflicted}"

    with JupyterLab(root_dir=student_home, home=lab_home) as lab:
        started = time.monotonic()
        page = browser.new_page()
        cells = open_notebook(page, lab.url("/lab/tree/ps1/ps1.ipynb"))
        answer_cells = {}
        for var, answer in TYPED:
            # The blank is the code cell just above the step's check cell, whatever its stub says.
            check_index = find_code_cell(cells, rf"check_step\(\s*[\"']{steps[var].id}[\"']")
            index = previous_code_cell(cells, check_index)
            type_into_cell(page, cells.nth(index), f"{var} = {answer}")
            answer_cells[var] = index
        run_all_cells(page, cells)
        print(f"opened, typed and ran the notebook in {time.monotonic() - started:.1f} s")

        for var, index in answer_cells.items():
            step, verdict = steps[var], expected[var]
            # The check cell's rich display for this step (autograder.notebook.result_html).
            result = page.locator(f"table.autograder-result[data-step='{step.id}']")
            assert result.count() == 1, f"{result.count()} result tables for step {step.id}"
            if verdict.answer_latex:  # the answer parsed: it is shown as typeset math
                result.locator("mjx-container").first.wait_for()
                typeset = math_on_page(page, within=result)
                assert latex_structure(verdict.answer_latex) in typeset, (var, typeset)
            else:  # it did not: the text is shown with a caret under the column the message names
                caret = result.locator(".autograder-caret").inner_text().split("\n")
                assert caret[0] == answer_text(TYPED, var), caret
                assert caret[1] == " " * (verdict.column - 1) + "^", caret
            feedback = math_plain(result.locator(".autograder-feedback").inner_text())
            assert math_plain(verdict.feedback) in feedback, (var, feedback)
            points = math_plain(result.locator("tbody td").nth(3).inner_text())
            if verdict.status == "equivalent":  # the table's points column, e.g. "2 / 2"
                assert "passed" in result.locator(".autograder-pass").inner_text()
                assert points == f"{step.points:g}/{step.points:g}", points
            else:
                assert result.locator(".autograder-pass").count() == 0
                assert "not yet" in result.locator(".autograder-fail").inner_text()
                assert points == f"0/{step.points:g}", points
            scroll_to_top(cells.nth(max(index - 1, 0)))  # the prompt, the answer, its feedback
            page.screenshot(path=str(screenshot_dir / f"student-{var}-{verdict.status}.png"))

        # The caret must point, on screen, at the character the parse message names: below it,
        # at the same horizontal position (a proportional font or a stripped space would move it).
        unparsable = steps[UNPARSABLE[0]].id
        at = page.locator(f"table.autograder-result[data-step='{unparsable}'] .autograder-caret").evaluate(
            CARET_POSITIONS
        )
        target, caret = at["target"], at["caret"]
        assert abs(caret["left"] - target["left"]) < 2 and caret["top"] > target["top"], (
            f"the caret is not under the character it points at: {at}"
        )

        # Feedback, not tracebacks: no cell of the notebook printed an error or anything to stderr.
        errors = page.locator(f"{NOTEBOOK} [data-mime-type='application/vnd.jupyter.stderr']")
        assert errors.count() == 0, errors.all_inner_texts()

        text, html, formulas = text_without_math(page), body_html(page), math_on_page(page)
        found = {(v, f) for v, f in text_leaks if f in text or f in html}
        found |= {(v, f) for v, f in math_leaks if any(f in formula for formula in formulas)}
        found = sorted(found)
        assert not found, f"reference answers appear on the page: {found}" + "".join(
            f"\n  {form!r}: ...{where[max(0, where.find(form) - 60):where.find(form) + 60]}..."
            for _, form in found for where in (text, html, *formulas) if form in where
        )
