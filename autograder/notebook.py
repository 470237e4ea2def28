"""What a student's notebook imports: the symbols, ``check_step`` for local feedback, ``record_answer`` for grading.

Nothing here decides a grade. ``check_step`` shows feedback computed from sample values shipped with
the assignment (never the reference); ``record_answer`` only writes the answer into the cell's output,
and the grader judges it later, outside this kernel.

>>> from sympy import latex
>>> a = symbols("a")
>>> latex(a * (1 - a))
'a \\\\left(1 - a\\\\right)'
"""

from __future__ import annotations

import builtins
import json
import os
from pathlib import Path

import sympy
from sympy.printing.str import StrPrinter

from autograder.functions import CONSTANTS, FUNCTIONS
from autograder import matrices
from autograder.matrices import MATRIX_FUNCTIONS, broadcast_apply, element_matrix, elementwise
from autograder.protocol import ANSWER_MIME, CHECKS_SUFFIX, GRADING_ENV, RESULT_MIME, StepResult
from autograder.scoring import earlier_answers, no_answer, score_answer
from autograder.step_view import caret_lines, result_html, result_text  # noqa: F401 - check_step shows them



def _student_function(name: str, func):
    """``func`` as the student calls it: on a matrix it applies element by element, as numpy does (and a
    two-argument function such as max(0, Z) broadcasts its arguments, as np.maximum does)."""

    def apply(value, *more):
        if not more:
            return elementwise(func, value)
        if len(more) == 1 and (isinstance(value, sympy.MatrixBase) or isinstance(more[0], sympy.MatrixBase)):
            return broadcast_apply(func, value, more[0], name)
        return func(value, *more)

    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"{name}(x); on a matrix, element by element."
    return apply


# Every function and constant an answer string may use is also a Python name in the notebook,
# so a student can write the same answer either way. Python's own max/min/abs/sum stay shadowed
# on purpose: inside an answer they mean the math functions.
_names = {name: _student_function(name, func) for name, (func, _) in FUNCTIONS.items()}
_names.update({name: func for name, (func, _) in MATRIX_FUNCTIONS.items()})


def _sum(values, *args, **kwargs):
    """``sum(A)`` adds a matrix's elements (np.sum, with axis and keepdims); on anything else it is Python's sum."""
    if isinstance(values, sympy.MatrixBase):
        return matrices.total(values, *args, **kwargs)
    return builtins.sum(values, *args, **kwargs)


class NumpyStandIn:
    """``np`` (and ``numpy``, ``math``) in the notebook: numpy's names for the same symbolic functions answer
    strings use, so ``np.dot(W.T, dZ) * (1 - np.power(A, 2))`` builds the sympy matrix the string means.
    Nothing here is numpy: answers stay exact expressions of the assignment's symbols.

    >>> A, np = matrix("A", 1, 2), NumpyStandIn("np")
    >>> np.sum(A, axis=1, keepdims=True)
    Matrix([[A_0_0 + A_0_1]])
    """

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr):
        from autograder.parse import numpy_name

        if attr.startswith("_"):
            raise AttributeError(attr)
        if attr in ("pi", "e"):
            return CONSTANTS[attr]
        if attr in matrices.NOT_UNDER_NAMESPACE:
            raise AttributeError(f"{self._name}.{attr} is a reduction in numpy, not the larger of two values: "
                                 f"write {matrices.NOT_UNDER_NAMESPACE[attr]}")
        known = numpy_name(attr)
        if known is None:
            raise AttributeError(f"{self._name}.{attr}: {self._name} here is the notebook's symbolic stand-in for "
                                 f"numpy, with exp, log, tanh, dot, matmul, sum, mean, power, square, where, maximum, "
                                 f"… — not {attr}")
        return _names[known]

    def __repr__(self):
        return f"<{self._name}: the notebook's symbolic stand-in (sympy, not numpy)>"


def _array(rows):
    """``np.array([[…], […]])`` as a matrix, ``np.array([…])`` as a 1-D array."""
    if rows and not isinstance(rows[0], (list, tuple)):
        return matrices.flat(rows)
    return matrices.ArrayMatrix(rows)


def _power_is_not_xor():
    """``a^2`` on a sympy symbol raises a TypeError that says to write ``**``, as ArrayMatrix's does, instead of
    "unsupported operand type(s) for ^" (it raised before too). The only change this module makes to sympy, and
    only in a notebook's kernel (see the module's end): the grader and its workers import this module too."""
    sympy.Expr.__xor__ = sympy.Expr.__rxor__ = matrices._no_xor


_names["sum"] = _sum
_names["where"] = matrices.where
_names["array"] = _array
_names.update({name: value for name, value in CONSTANTS.items() if name != "e"})  # `e` is too easy to shadow
_names.update(np=NumpyStandIn("np"), numpy=NumpyStandIn("numpy"), math=NumpyStandIn("math"))


def __getattr__(name: str):
    """The notebook's math names (``exp``, ``tanh``, ``np``, …) as this module's attributes, so the setup cell's
    ``from autograder.notebook import *`` puts them in the kernel's namespace, while this module's own globals
    stay as written: importing it elsewhere (the grader, the plugin) shadows no builtin (sum, max, abs) here.

    >>> from autograder.notebook import exp, sum
    >>> sum([1, 2]), exp.__name__
    (3, 'exp')
    """
    try:
        return _names[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__():
    return sorted(set(globals()) | set(_names))


def symbols(names: str):
    """The assignment's scalar symbols, as the setup cell creates them.

    >>> a, y = symbols("a y")
    >>> a * (2 - y)
    a*(2 - y)
    """
    _prepare_this_kernel()
    return sympy.symbols(names)


def matrix(name: str, rows: int, cols: int) -> "ArrayMatrix":
    """A ``rows``×``cols`` matrix of element symbols (``X_0_0``, ``X_0_1``, …), as the setup cell creates it.

    >>> X = matrix("X", 2, 3)
    >>> (X.T @ X).shape, (X * X).shape
    ((3, 3), (2, 3))
    """
    _prepare_this_kernel()
    return element_matrix(name, rows, cols)


__all__ = sorted(_names) + ["symbols", "matrix", "check_step", "expr"]


def expr(text: str, *, folder="."):
    """Read plain math text into a sympy expression with the assignment's symbols (safely; no eval).

    The symbols and matrices are the ones in the assignment's ``*.checks.json`` next to the notebook.

    >>> expr("y(1-a)", folder=Path(__file__).parents[1] / "release" / "ps1")
    y*(1 - a)
    """
    from autograder.parse import Names, parse_expression

    engine = _assignment_engine(Path(folder))
    return parse_expression(text, Names.of(engine.get("symbols", ()), matrices=engine.get("matrices")))


def _assignment_engine(folder: Path) -> dict:
    for path in sorted(folder.glob("*" + CHECKS_SUFFIX)):
        try:
            return json.loads(path.read_text(encoding="utf-8")).get("engine", {})
        except (OSError, ValueError):
            continue
    return {}


def record_answer(step_id: str, answer) -> None:
    """Put the answer in this cell's output for the grader (hidden test cells call this); no verdict here."""
    from IPython.display import display

    display({ANSWER_MIME: {"step": step_id, "answer": answer_payload(answer)},
             "text/plain": f"answer for step {step_id} recorded"}, raw=True)


def answer_payload(answer):
    """The JSON form of an answer: a string, a list of strings (derivations), or None.

    >>> a = symbols("a")
    >>> answer_payload(a * (2 - a)), answer_payload(["a", a]), answer_payload(None)
    ('a*(2 - a)', ['a', 'a'], None)
    >>> answer_payload(matrices.where(a > 0, 1, a))
    'where(a > 0, 1, a)'
    """
    if answer is None or isinstance(answer, str):
        return answer
    if isinstance(answer, (list, tuple)):
        return [item if isinstance(item, str) else answer_text(item) for item in answer]
    return answer_text(answer)


class _AnswerPrinter(StrPrinter):
    """sympy's str, with a two-case Piecewise written ``where(condition, a, b)`` as an answer string says it."""

    def _print_Piecewise(self, expr):
        (value, condition), rest = expr.args[0], expr.args[1:]
        if not rest:
            return super()._print_Piecewise(expr)
        otherwise = rest[0].expr if len(rest) == 1 and rest[0].cond is sympy.true else sympy.Piecewise(*rest)
        return f"where({self._print(condition)}, {self._print(value)}, {self._print(otherwise)})"


def answer_text(answer) -> str:
    """An answer built in the kernel as the text the engine reads (a matrix as Matrix([...]), a 1-D array as
    array([...]), numpy's where as where(...))."""
    if isinstance(answer, sympy.MatrixBase) and not matrices.is_flat(answer):
        return "Matrix(%s)" % _AnswerPrinter().doprint(answer.tolist())
    return _AnswerPrinter().doprint(answer) if isinstance(answer, sympy.Basic) else str(answer)


def check_step(step_id: str, answer, *, folder=".", namespace=None) -> None:
    """Show how ``answer`` does on step ``step_id``: the same feedback grading gives, from sample values.

    Displays a table (HTML with the answer as math; plain text elsewhere) and returns None, so a
    graded cell never ends in a value nbgrader would read as a score. The student's earlier answers, for
    follow-through, are read from ``namespace`` (by default the notebook's own variables).
    """
    from IPython.display import display

    if os.environ.get(GRADING_ENV) == "1":
        # what the samples would say here is replaced by the grader's verdict: not judged twice (a check worker
        # and ~0.1 CPU-s per graded notebook)
        display({"text/plain": f"{step_id}: judged by the grader against the reference"}, raw=True)
        return
    result = local_result(step_id, answer, folder=folder,
                          namespace=_notebook_namespace() if namespace is None else namespace)
    display({"text/html": result_html(result), "text/plain": result_text(result),
             RESULT_MIME: result.to_dict()}, raw=True)


def local_result(step_id: str, answer, *, folder=".", namespace=None) -> StepResult:
    """Judge ``answer`` against the shipped samples of ``step_id`` (found in ``*.checks.json`` in ``folder``).

    A step with follow-through is also judged against the student's own answers to the steps it builds on,
    taken from ``namespace`` (variable → value) and each judged against its own samples, with its own
    follow-through (whether an earlier answer earned it decides what a repeat of it earns): the product of the
    student's values is evaluated at this step's sample points, so no reference is needed.
    """
    found = _load_checks(step_id, Path(folder))
    if isinstance(found, str):
        return no_answer({"id": step_id, "points": 0}, found)
    engine, step = found
    earlier = None
    if step.get("follow_through") and namespace is not None:
        results = {other["id"]: (answer_payload(namespace[other["variable"]]),
                                 local_result(other["id"], namespace[other["variable"]], folder=folder,
                                              namespace=namespace))
                   for other in step.get("builds_on", ()) if other["variable"] in namespace}
        earlier = earlier_answers(step, results)
    return score_answer(step, answer_payload(answer), samples=step["samples"], engine=engine, earlier=earlier)


def _notebook_namespace():
    """The running notebook's variables (where the student's earlier answers are), or None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return shell.user_ns if shell is not None else None


class AnswerCellError(NameError):
    """A check ran on a step variable whose answer cell raised: the message is that cell's error."""


def watch_answer_cells(shell) -> None:
    """Make a check of a variable whose answer cell raised name that cell's error, not a bare NameError.

    A cell that raises leaves its variables unassigned, so the check cell below it would only say
    ``name 'dL_dz_chain' is not defined``. After every cell this remembers the error of a cell that raised, per
    variable it assigns (a later successful run forgets it); a NameError for such a variable is then shown as
    an ``AnswerCellError`` carrying that error.
    """
    failed = {}  # variable -> "Ename: message" of the last run of the cell assigning it, if that run raised

    def after_cell(result):
        names = _assigned_names(getattr(getattr(result, "info", None), "raw_cell", "") or "")
        error = getattr(result, "error_before_exec", None) or getattr(result, "error_in_exec", None)
        cause = f"{type(error).__name__}: {error}"
        if isinstance(error, NameError) and getattr(error, "name", None) in failed:
            cause = f"NameError: {error.name} has no value (its answer cell raised {failed[error.name]})"
        for name in names:
            if error is None:
                failed.pop(name, None)
            else:
                failed[name] = cause

    def on_name_error(self, etype, value, tb, tb_offset=None):
        name = getattr(value, "name", None)
        if name not in failed:
            return self.showtraceback((etype, value, tb), tb_offset=tb_offset)
        cause = failed[name]
        strings = cause.startswith("TypeError") and ("sequence" in cause or "'str'" in cause)
        advice = ("; a string answer must be read with expr(...) before it is combined with another answer, "
                  "as in expr(dL_da) * expr(da_dz)" if strings else "")
        error = AnswerCellError(f"{name} has no value: its answer cell raised {cause}{advice}. Fix that cell and "
                                f"run it again, then run this check")
        return self.showtraceback((AnswerCellError, error, None), exception_only=True)

    shell.events.register("post_run_cell", after_cell)
    shell.set_custom_exc((NameError,), on_name_error)


def _assigned_names(source: str) -> set:
    """The names a cell assigns at its top level (``x = ...``, ``x: T = ...``, ``x += ...``)."""
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):  # the cell does not parse: its `name =` lines still say what it meant
        import re

        return set(re.findall(r"^([A-Za-z_]\w*)\s*=(?!=)", source, flags=re.MULTILINE))
    names = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _load_checks(step_id: str, folder: Path):
    files = sorted(folder.glob("*" + CHECKS_SUFFIX))
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return f"Cannot read {path.name} ({exc}); download it again with the assignment."
        if step_id in data.get("steps", {}):
            engine = dict(data.get("engine", {}))
            engine["domain"] = {k: tuple(v) for k, v in (engine.get("domain") or {}).items()}
            engine["symbols"] = tuple(engine.get("symbols") or ())
            return engine, data["steps"][step_id]
    where = ", ".join(p.name for p in files) or f"no *{CHECKS_SUFFIX} file next to this notebook"
    return f"No local check for step {step_id!r} ({where}); keep the assignment's files together."


# --- quizzes -------------------------------------------------------------------------------------------
# Built only from the public question data in ``<quiz>.checks.json`` (prompt templates, parameter ranges,
# options in sorted order); the right options, formulas and references are not in the student's folder.

def _quiz_data(folder=".") -> dict:
    for path in sorted(Path(folder).glob("*" + CHECKS_SUFFIX)):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if "questions" in data:
            return data
    raise FileNotFoundError(f"no quiz *{CHECKS_SUFFIX} next to this notebook; keep the quiz's files together")


def quiz_question_text(question: dict, quiz_id: str, student_id) -> str:
    """The question as this student sees it: their numbers filled in, their order of the options."""
    from .quiz import Choice, Numeric

    head = f"{question['id']} ({question['points']:g} pt). "
    if question["kind"] == "choice":
        q = Choice(question["id"], question["prompt"], tuple(question["options"]), frozenset({0}), quiz_id=quiz_id)
        order = q.variant(student_id)["order"]
        several = " (one or more are right; list every right letter)" if question.get("several") else \
            " (exactly one is right)"
        lines = [head + question["prompt"] + several]
        lines += [f"  {chr(97 + k)}) {question['options'][i]}" for k, i in enumerate(order)]
        return "\n".join(lines)
    params = question.get("params") or {}
    values = Numeric(question["id"], "", params, "0", quiz_id=quiz_id).variant(student_id) if params else {}
    return head + question["prompt"].format(**values)


def show_quiz(student_id, *, folder=".") -> None:
    """Print every question for ``student_id`` (or ask for the id)."""
    from .quiz import normalize_id

    try:
        normalize_id(student_id)
    except ValueError as exc:
        print(f"Enter your student id above first: {exc}.")
        return
    data = _quiz_data(folder)
    print(f"{data['title']}: questions for student id {str(student_id).strip()!r}\n")
    for question in data["questions"].values():
        print(quiz_question_text(question, data["quiz"], student_id) + "\n")


def quiz_format_problem(question: dict, answer) -> str | None:
    """Why ``answer`` cannot be graded as an answer to ``question`` (None if its format is fine).

    >>> quiz_format_problem({"kind": "choice", "options": ["x", "y"], "several": False}, "b")
    >>> quiz_format_problem({"kind": "choice", "options": ["x", "y"], "several": False}, "c")
    'There are only options a–b.'
    >>> quiz_format_problem({"kind": "numeric"}, "1/")[:24]
    'Your answer is not a num'
    """
    from .parse import Names, ParseError, parse_expression
    from .quiz import _letters, bounded_number

    if answer is None:
        return "No answer yet: replace None with your answer."
    kind = question["kind"]
    if kind == "choice":
        letters = _letters(answer)
        if letters is None:
            return "Answer with the letter(s) of your choice as a string, e.g. 'b' or 'a, c'."
        if any(ord(c) - 97 >= len(question["options"]) for c in letters):
            return f"There are only options a–{chr(96 + len(question['options']))}."
        if not question.get("several") and len(letters) != 1:
            return "Pick exactly one option."
        return None
    if kind == "numeric":
        try:
            bounded_number(answer if isinstance(answer, (int, float, str)) else str(answer))
        except ParseError as exc:
            return f"Your answer is not a number: {exc.message}."
        except Exception as exc:  # noqa: BLE001 - any failure is a format problem for the student
            return f"Your answer is not a number: {exc}."
        return None
    try:
        parse_expression(answer if isinstance(answer, str) else str(answer), Names.of(question.get("symbols", [])))
    except ParseError as exc:
        return f"Your expression does not parse: {exc.message}."
    return None


def check_quiz_answer(question_id: str, answer, student_id=None, *, folder=".") -> None:
    """Check the FORMAT of a quiz answer and say what will be recorded; never whether it is right."""
    from IPython.display import display

    text, result = quiz_local_result(question_id, answer, student_id, folder=folder)
    display({"text/plain": text, RESULT_MIME: result.to_dict()}, raw=True)


def quiz_local_result(question_id: str, answer, student_id, *, folder=".") -> tuple[str, StepResult]:
    """The line the local quiz check prints and its result (0 of 0 points when the format is fine)."""
    from .quiz import normalize_id

    question = _quiz_data(folder)["questions"][question_id]
    try:
        normalize_id(student_id)
        problem = quiz_format_problem(question, answer)
    except ValueError:
        problem = "enter your student id in the marked cell first; without it nothing can be graded."
    if problem:
        text = f"{question_id}: ✗ format problem: {problem}"
        result = no_answer(question, f"Format problem: {problem}")
    else:
        text = (f"{question_id}: format OK; recorded for id {str(student_id).strip()!r}: "
                f"{answer_payload(answer)!r} (judged after you submit)")
        # 0 of 0 points: the format is fine, and whether the answer is right is not known locally.
        result = StepResult(question_id, question_id, 0.0, 0.0, "Format OK; judged after you submit.",
                            answer_text=str(answer_payload(answer)))
    return text, result


def prepare_kernel(shell) -> None:
    """What this module changes in a notebook's kernel, and only there: ``^`` on a symbol says to write ``**``,
    and a check names the error of the answer cell that raised. Runs once per kernel: when the setup cell
    imports the module, or, in a kernel that imported it before its shell existed (forked from a warm
    template), when the setup cell makes the assignment's symbols."""
    if shell in _PREPARED:
        return
    _PREPARED.append(shell)
    _power_is_not_xor()
    watch_answer_cells(shell)


_PREPARED: list = []  # the IPython shell(s) prepare_kernel has run for


def _prepare_this_kernel() -> None:
    if _notebook_namespace() is not None:
        from IPython import get_ipython

        prepare_kernel(get_ipython())


__all__ += [record_answer.__name__, "show_quiz", "check_quiz_answer"]  # record_answer: the protocol's RECORD_CALL

_prepare_this_kernel()  # imported by a notebook's setup cell, in the kernel running the notebook
