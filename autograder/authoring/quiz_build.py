"""Quiz spec → nbgrader source notebook and ``<quiz>.checks.json`` (public question data only).

>>> from autograder.authoring.quiz_spec import QuizSpec
>>> spec = QuizSpec.from_string('''
... title = "Q"
... [[questions]]
... id = "q1"
... kind = "numeric"
... prompt = "Twice {n}?"
... params = {n = [1, 2]}
... answer = "2*n"
... points = 1
... ''', name="quiz9")
>>> [c.metadata["nbgrader"]["grade_id"] for c in quiz_notebook(spec).cells]
['intro', 'setup', 'student_id-answer', 'show', 'q1-prompt', 'q1-answer', 'q1-check']
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

from autograder.quiz import Choice, Numeric

from ..protocol import CHECKS_SUFFIX, RECORD_CALL, STUDENT_ID_CELL, answer_cell_id, check_cell_id
from .cells import SETUP_IMPORT, course_notebook, graded_cell as _cell
from .quiz_spec import QuizSpec, public_question

INSTRUCTOR_ID = "instructor"  # the id the source notebook's solutions are worked out for

HOW_TO = """
**How this quiz works.** Enter your student id (the one you submit with) in the marked cell and run it:
the cell below it then shows *your* questions — the numbers and the order of the options come from your id,
so your neighbour's quiz is different. A submission graded for an id other than the one you submit with
scores zero on every question, so do not borrow someone else's id.

Answer each question in its cell:
- multiple choice: the letter(s) as a string, e.g. `"b"`, or `"a, c"` when several options are right;
- numeric: a number, or a plain numeric expression such as `"1/4"` or `"exp(-1)"` (within 0.1% counts);
- symbolic: an expression as a string (write σ as `sigma`, e.g. `"2*sigma(3*x)"`).

**The local check only checks the format** (a letter among the options, a number, an expression that parses)
and repeats what will be recorded. It does not say whether you are right: a check that said "correct" could
be tried letter by letter. Your answers are judged after you submit.
"""


def checks_data(spec: QuizSpec) -> dict:
    return {"title": spec.title, "quiz": spec.name,
            "questions": {q.id: public_question(q) for q in spec.questions}}


def quiz_notebook(spec: QuizSpec) -> nbformat.NotebookNode:
    cells = [_cell(new_markdown_cell(f"# {spec.title}\n{spec.intro}\n{HOW_TO}"), "intro"),
             _cell(new_code_cell(SETUP_IMPORT), "setup"),
             _cell(new_code_cell(f'student_id = (\n    ### BEGIN SOLUTION\n    "{INSTRUCTOR_ID}"\n'
                                 f"    ### END SOLUTION\n)"), STUDENT_ID_CELL, solution=True),
             _cell(new_code_cell("show_quiz(student_id)"), "show")]
    for n, q in enumerate(spec.questions, 1):
        cells.append(_cell(new_markdown_cell(_prompt(n, q)), f"{q.id}-prompt"))
        cells.append(_cell(new_code_cell(f"{q.id} = (\n    ### BEGIN SOLUTION\n    {_solution(q)}\n"
                                         f"    ### END SOLUTION\n)"), answer_cell_id(q.id), solution=True))
        cells.append(_cell(new_code_cell(f'check_quiz_answer("{q.id}", {q.id}, student_id)\n'
                                         f"### BEGIN HIDDEN TESTS\n"
                                         f'{RECORD_CALL}("{q.id}", {q.id})\n'
                                         f'{RECORD_CALL}("student_id", student_id)\n'
                                         f"### END HIDDEN TESTS"), check_cell_id(q.id), points=q.points))
    return course_notebook(cells)


def _prompt(n: int, q) -> str:
    """The question's template: parameters as ⟨name⟩; the student's own values are printed by ``show_quiz``."""
    points = f"{q.points:g} point" + ("" if q.points == 1 else "s")
    text = q.prompt
    for name in getattr(q, "params", {}) or {}:
        text = text.replace("{" + name + "}", f"⟨{name}⟩")
    if isinstance(q, Choice):
        where = "the options, in your order, are printed above" + (" (one or more are right)" if q.multiple
                                                                     else " (exactly one is right)")
    elif "⟨" in text:
        where = "your values of ⟨…⟩ are printed above"
    else:
        where = "printed above too"
    return f"**Question {n}** (`{q.id}`, {points}): {text}\n\n*({where}; answer in the cell below)*"


def _solution(q) -> str:
    """The right answer for the instructor's id (source notebook only; solutions are cleared on release)."""
    v = q.variant(INSTRUCTOR_ID)
    if isinstance(q, Choice):
        return repr(", ".join(chr(97 + v["order"].index(i)) for i in sorted(q.correct)))
    if isinstance(q, Numeric):
        return repr(float(q.expected(v)))
    return repr(q.reference_for(v))


def build_quiz(spec_path) -> tuple[Path, Path]:
    spec_path = Path(spec_path)
    spec = QuizSpec.from_file(spec_path)
    name = spec.name
    notebook_path, checks_path = spec_path.with_name(name + ".ipynb"), spec_path.with_name(name + CHECKS_SUFFIX)
    nbformat.write(quiz_notebook(spec), notebook_path)
    checks_path.write_text(json.dumps(checks_data(spec), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return notebook_path, checks_path
