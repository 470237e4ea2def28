"""How one step's answer earns points: the same rules for the student's local check and for grading.

The local check judges against shipped samples (no reference); grading judges against the reference.
Both end in a :class:`~autograder.protocol.StepResult` (the notebook contract's) so the student sees locally
exactly the feedback grading gives.

>>> r = score_answer({"id": "da", "points": 2, "forbid": []}, "a(1-a)",
...                  reference="a*(1-a)", engine={"domain": {"a": (0, 1)}})
>>> r.points, r.feedback
(2.0, 'Correct.')

A step that builds on earlier ones (``builds_on``, ``follow_through``) also earns its follow-through fraction when it
is wrong but right for the student's own earlier answers, one of which was wrong (``earlier``, see
:func:`earlier_answers`), and each wrong one is a real attempt: not a constant where the result is not, and either
wrong by a slip the engine names or depending on the variables the result depends on (:func:`why_not_an_attempt`).
A same_as step asking for the simplified form that only repeats a wrong earlier answer earns it only when that
answer was itself follow-through.
This module is the one place the rule lives: grading (``nbgrader/judge.py``) and the local check (``notebook.py``)
both score through :func:`score_answer` and :func:`earlier_answers`.
"""

from __future__ import annotations

from dataclasses import replace

from autograder import check_against_samples, check_derivation, check_equivalent
from autograder.api import check_own_answers, own_answer_facts, repeats_answer
from autograder.protocol import FOLLOW_THROUGH, NO_FOLLOW_THROUGH, StepResult

MAX_ANSWER_CHARS = 20_000  # a recorded answer longer than this is refused, not judged
# the engine's named slips (autograder/diagnose.py): a wrong answer it names so is a real attempt to build on
SLIPS = frozenset({"sign_error", "constant_factor", "reciprocal", "missing_factor", "extra_factor", "extra_term",
                   "missing_term", "known_mistake", "wrong_at_point"})
# why a wrong earlier answer gives follow-through nothing to build on (StepResult.not_an_attempt), as the feedback says
NOT_AN_ATTEMPT = {
    "constant": "constant where the result is not",
    "unrelated": "neither a slip the grader can name nor in the variables the result depends on",
    "unchecked": "not checkable in time",
}


def no_answer(step: dict, feedback: str) -> StepResult:
    """Zero points with a reason (nothing recorded, still None, wrong type, forbidden code...).

    >>> no_answer({"id": "da", "points": 2}, "No answer yet.").points
    0.0
    """
    return StepResult(step["id"], step.get("title") or step["id"], 0.0, float(step["points"]), feedback)


def score_answer(step: dict, answer, *, reference=None, samples=None, engine=None, timeout=5.0,
                 earlier=None) -> StepResult:
    """Judge ``answer`` for ``step`` against ``reference`` (grading) or ``samples`` (local check).

    ``step`` is a plain dict: id, title, points, kind ("expression"/"derivation"), forbid,
    require_simplified, mistakes, min_lines, and for follow-through builds_on and follow_through.
    ``engine`` carries domain/define/symbols. ``earlier`` is :func:`earlier_answers` for this step.
    """
    engine = dict(engine or {})
    problem = _unusable(step, answer)
    if problem:
        return no_answer(step, problem)
    if step.get("kind", "expression") == "derivation":
        return _score_derivation(step, list(answer), reference if samples is None else samples, engine, timeout)
    forbid = tuple(step.get("forbid", ()))
    if samples is not None:
        v = check_against_samples(answer, samples, forbid=forbid, decimals=_decimals(step),
                                  require_simplified=step.get("require_simplified", False), timeout=timeout,
                                  quantity=(step.get("variable"), step["id"]))
    else:
        mistakes = [tuple(m) for m in step.get("mistakes", ())] or None
        v = check_equivalent(answer, reference, forbid=forbid, decimals=_decimals(step),
                             require_simplified=step.get("require_simplified", False),
                             mistakes=mistakes, timeout=timeout, quantity=(step.get("variable"), step["id"]), **engine)
    points = float(step["points"]) if v.accepted else 0.0
    result = StepResult(step["id"], step.get("title") or step["id"], points, float(step["points"]), v.feedback,
                        _text(answer), v.answer_latex, v.column, v.diagnosis, status=v.status)
    if v.status != "not_equivalent":
        return result
    known, engine = (reference, engine) if samples is None else (samples, {})
    result = replace(result, not_an_attempt=why_not_an_attempt(answer, v.diagnosis, known, engine, timeout))
    if earlier:
        return _follow_through(step, answer, result, earlier, known, engine, timeout) or result
    return result


def why_not_an_attempt(answer, diagnosis: str | None, known, engine: dict, timeout: float = 5.0) -> str | None:
    """Why a wrong ``answer`` (judged against ``known``, a reference or samples, with ``diagnosis``) is no real
    attempt a later step may build on for follow-through, or None when it is one: a constant where the result is
    not never is; otherwise a named slip (``SLIPS``) or an answer in exactly the result's variables is.

    >>> why_not_an_attempt("12345", "not_equivalent", "a*(1-a)", {"domain": {"a": (0, 1)}})
    'constant'
    >>> why_not_an_attempt("a", "missing_factor", "a*(1-a)", {"domain": {"a": (0, 1)}}) is None
    True
    """
    facts = own_answer_facts(answer, known, timeout=timeout, **engine)
    if facts is None:
        return "unchecked"
    if facts["constant"]:
        return "constant"
    return None if diagnosis in SLIPS or facts["same_variables"] else "unrelated"


def earlier_answers(step: dict, results: dict) -> list | None:
    """What follow-through needs of the steps ``step`` builds on: ``[{"title", "answer", "wrong", "not_an_attempt",
    "credited"}]`` in order, from ``results`` (step id → (recorded answer, its StepResult)); None when the step gets
    no follow-through or an earlier answer is missing or unreadable (then there is nothing to be right for).
    ``credited``: that answer itself earned follow-through.

    >>> wrong = StepResult("d", "∂L/∂a", 0.0, 2.0, "Wrong sign.", diagnosis="sign_error", status="not_equivalent")
    >>> earlier_answers({"follow_through": 1.0, "builds_on": [{"id": "d"}]}, {"d": ("y - a", wrong)})
    [{'title': '∂L/∂a', 'answer': 'y - a', 'wrong': True, 'not_an_attempt': None, 'credited': False}]
    """
    if not step.get("follow_through"):
        return None
    found = []
    for other in step.get("builds_on", ()):
        answer, result = results.get(other["id"], (None, None))
        if not isinstance(answer, str) or result is None or result.status not in ("equivalent", "not_equivalent"):
            return None
        wrong = result.status == "not_equivalent"
        found.append({"title": result.title, "answer": answer, "wrong": wrong,
                      "not_an_attempt": result.not_an_attempt if wrong else None,
                      "credited": result.diagnosis == FOLLOW_THROUGH})
    return found


def _follow_through(step: dict, answer, result: StepResult, earlier: list, known, engine: dict,
                    timeout: float) -> StepResult | None:
    """The follow-through result of a wrong ``answer`` (judged alone as ``result``), or None: only when an earlier
    answer was wrong and ``answer`` equals the product of the student's own earlier answers (in the required form);
    no credit, said why, when a wrong earlier answer is no real attempt or ``answer`` only repeats it."""
    wrong = [e["title"] for e in earlier if e["wrong"]]
    if not wrong:
        return None  # every earlier answer was right: the step's own reference is the only way to credit
    v = check_own_answers(answer, known, [e["answer"] for e in earlier], forbid=tuple(step.get("forbid", ())),
                          decimals=_decimals(step),
                          require_simplified=step.get("require_simplified", False), timeout=timeout, **engine)
    if not v.equivalent:
        return None
    refusal = _nothing_to_build_on(step, answer, earlier, known, engine, timeout)
    if refusal:
        return replace(result, feedback=f"{result.feedback} {refusal}", diagnosis=NO_FOLLOW_THROUGH)
    most = float(step["points"])
    if not v.accepted:
        return StepResult(step["id"], step.get("title") or step["id"], 0.0, most,
                          f"Right for your {' and '.join(wrong)}, which {'was' if len(wrong) == 1 else 'were'} wrong, "
                          "but not in the form this step asks for: simplify it as far as it goes.",
                          _text(answer), v.answer_latex, None, "not_simplified", status="not_equivalent",
                          not_an_attempt=result.not_an_attempt)
    points = round(most * float(step["follow_through"]), 2)
    feedback = (f"Right for your {' and '.join(wrong)}, which {'was' if len(wrong) == 1 else 'were'} wrong: "
                f"follow-through credit, {points:g} of {most:g} points.")
    return StepResult(step["id"], step.get("title") or step["id"], points, most, feedback, _text(answer),
                      v.answer_latex, None, FOLLOW_THROUGH, status="not_equivalent",
                      not_an_attempt=result.not_an_attempt)


def _nothing_to_build_on(step: dict, answer, earlier: list, known, engine: dict, timeout: float) -> str | None:
    """Why an answer right for the student's own earlier answers still earns no follow-through (the sentence), or
    None: a wrong earlier answer that is no real attempt, or, on a step that asks for the simplified form, the one
    earlier answer, wrong and not itself follow-through, written again (there was nothing left to simplify). A step
    that only asks for another form of the earlier one (ps2's db, np.sum(dZ)/m for its sum) is not refused for a
    repeat: the grader reads numpy's forms as the expressions they compute, so both are recorded alike."""
    vacuous = [e for e in earlier if e["wrong"] and e["not_an_attempt"] and not e["credited"]]
    if vacuous:
        titles = " and ".join(e["title"] for e in vacuous)
        reasons = sorted({NOT_AN_ATTEMPT.get(e["not_an_attempt"], e["not_an_attempt"]) for e in vacuous})
        return (f"It is right for your {titles}, but {'that was' if len(vacuous) == 1 else 'those were'} "
                f"{' and '.join(reasons)}: follow-through credit builds only on a real attempt.")
    if step.get("require_simplified") and len(earlier) == 1 and earlier[0]["wrong"] and not earlier[0]["credited"] \
            and repeats_answer(answer, earlier[0]["answer"], known, timeout=timeout, **engine):
        return (f"It repeats your {earlier[0]['title']}, which was wrong: follow-through credit is for a step "
                "carried out on a wrong answer, not for the same answer again.")
    return None


def _decimals(step: dict) -> str:
    """The step's decimal policy; a step built before steps had one keeps the rule it was built with ("rounded").

    >>> _decimals({"decimals": "exact"}), _decimals({})
    ('exact', 'rounded')
    """
    return step.get("decimals", "rounded")


def _unusable(step: dict, answer) -> str | None:
    """Why an answer cannot be judged at all, or None."""
    if answer is None:
        return f"No answer yet: `{step.get('variable', step['id'])}` is still None."
    if step.get("kind", "expression") == "derivation":
        if not isinstance(answer, (list, tuple)) or not all(isinstance(s, str) for s in answer):
            return "Write the derivation as a list of strings, one line of math per string."
        if not answer:
            return "The derivation has no lines."
        if sum(len(s) for s in answer) > MAX_ANSWER_CHARS:
            return f"The derivation is longer than {MAX_ANSWER_CHARS:,} characters."
    elif isinstance(answer, str) and len(answer) > MAX_ANSWER_CHARS:
        return f"The answer is longer than {MAX_ANSWER_CHARS:,} characters."
    return None


def _score_derivation(step: dict, lines: list, known, engine: dict, timeout: float) -> StepResult:
    """Credit: one unit per line up to the first that does not follow, one for a simplified last line.

    Fewer lines than ``min_lines`` still count as ``min_lines`` units, so a bare final answer is not
    a full derivation.
    """
    dv = check_derivation(lines, start=known, final=known, require_simplified=True, decimals=_decimals(step),
                          forbid=tuple(step.get("forbid", ())), timeout=timeout, **engine)
    n = len(lines)
    good = n if dv.first_invalid is None else dv.first_invalid
    units = max(n, int(step.get("min_lines", 1))) + 1
    earned = good + (1 if dv.first_invalid is None and dv.final is not None and dv.final.accepted else 0)
    points = round(float(step["points"]) * earned / units, 2)
    if dv.first_invalid is not None:
        feedback = dv.steps[dv.first_invalid].feedback
        if dv.first_invalid == 0 and dv.steps[0].status != "invalid":
            feedback = "Line 1 must be the derivative you found for this step, before simplifying: " + \
                dv.steps[0].feedback.removeprefix("Line 1: ")
    elif not dv.final.accepted:
        feedback = "Every line follows, but the last line is not the simplified result: " + dv.final.feedback
    elif n + 1 < units:
        feedback = f"Correct, but show the intermediate lines: at least {units - 1} lines."
    else:
        feedback = "Correct: every line follows from the one before and the last one is simplified."
    per_line = [{"text": text, "latex": v.answer_latex, "ok": bool(v.equivalent), "feedback": v.feedback,
                 "column": v.column} for text, v in zip(lines, dv.steps)]
    return StepResult(step["id"], step.get("title") or step["id"], points, float(step["points"]), feedback,
                      "\n".join(lines), None, None, None if dv.ok else "derivation", per_line)


def _text(answer) -> str:
    return answer if isinstance(answer, str) else str(answer)
