"""Quiz specs: ``source/<quiz>/<quiz>.spec.toml`` with a top-level ``questions`` array.

Each question has ``id``, ``kind`` ("choice", "numeric" or "symbolic"), ``prompt`` and ``points``;
choice questions list ``options`` and ``correct`` (indices into ``options``); numeric questions give
``params`` (name → list of values or {min, max}), ``answer`` (formula in the params) and optionally
``rel_tol``; symbolic questions give ``reference`` and optionally ``params``, ``domain``, ``symbols`` and
``decimals`` (the step's decimal policy, "exact" unless said: a lone decimal must be the value itself).
Errors name the question.

>>> q = QuizSpec.from_string('''
... title = "Q"
... [[questions]]
... id = "q1"
... kind = "choice"
... prompt = "Pick"
... options = ["b", "a"]
... correct = [0]
... points = 1
... ''', name="quiz9")
>>> q.question("q1").options, sorted(q.question("q1").correct)
(('a', 'b'), [1])
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from autograder.authoring.spec import DECIMALS, DEFAULT_DECIMALS
from autograder.quiz import Choice, Numeric, QuizError, Symbolic

KINDS = ("choice", "numeric", "symbolic")
_KEYS = {"choice": {"options", "correct"}, "numeric": {"params", "answer", "rel_tol", "abs_tol"},
         "symbolic": {"reference", "params", "domain", "symbols", "decimals"}}


@dataclass(frozen=True)
class QuizSpec:
    name: str
    title: str
    intro: str
    questions: tuple

    @classmethod
    def from_file(cls, path) -> "QuizSpec":
        path = Path(path)
        return cls.from_string(path.read_text(encoding="utf-8"), name=path.name.removesuffix(".spec.toml"))

    @classmethod
    def from_string(cls, text: str, *, name: str) -> "QuizSpec":
        data = tomllib.loads(text)
        if "steps" in data:
            raise QuizError("a quiz spec has a `questions` array, not `steps`")
        raw = data.get("questions")
        if not isinstance(raw, list) or not raw:
            raise QuizError("a quiz spec needs a non-empty [[questions]] array")
        seen, questions = set(), []
        for i, q in enumerate(raw):
            qid = q.get("id")
            if not isinstance(qid, str) or not qid.isidentifier() or qid == "student_id":
                raise QuizError(f"question #{i + 1}: `id` must be a Python name other than student_id, got {qid!r}")
            if qid in seen:
                raise QuizError(f"question {qid}: the id is used twice")
            seen.add(qid)
            questions.append(_question(q, qid, name))
        return cls(name, str(data.get("title", name)), str(data.get("intro", "")), tuple(questions))

    def question(self, qid: str):
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)


def is_quiz_spec(path) -> bool:
    """True if the spec file has a top-level ``questions`` array."""
    return "questions" in tomllib.loads(Path(path).read_text(encoding="utf-8"))


def _question(q: dict, qid: str, quiz_id: str):
    kind = q.get("kind")
    if kind not in KINDS:
        raise QuizError(f"question {qid}: `kind` must be one of {', '.join(KINDS)}, got {kind!r}")
    unknown = set(q) - {"id", "kind", "prompt", "points"} - _KEYS[kind]
    if unknown:
        raise QuizError(f"question {qid}: unknown key(s) for a {kind} question: {', '.join(sorted(unknown))}")
    prompt = q.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise QuizError(f"question {qid}: `prompt` is missing")
    points = q.get("points")
    if not isinstance(points, (int, float)) or points <= 0:
        raise QuizError(f"question {qid}: `points` must be a positive number")
    params = q.get("params", {})
    for pname, pspec in params.items():
        ok = (isinstance(pspec, list) and pspec) or (isinstance(pspec, dict) and {"min", "max"} <= set(pspec))
        if not ok:
            raise QuizError(f"question {qid}: parameter {pname} needs a list of values or {{min, max}}")
    try:
        if kind == "choice":
            options, correct = q.get("options"), q.get("correct")
            if not isinstance(options, list) or len(options) < 2 or len(set(options)) != len(options):
                raise QuizError(f"question {qid}: `options` must list at least two different texts")
            if not isinstance(correct, list) or not correct:
                raise QuizError(f"question {qid}: `correct` must list the indices of the right options")
            if not all(isinstance(i, int) and 0 <= i < len(options) for i in correct):
                raise QuizError(f"question {qid}: `correct` indices must be among 0..{len(options) - 1}")
            # Options are kept in sorted order, so the order that ships says nothing about which are right.
            shown = tuple(sorted(options))
            right = frozenset(shown.index(options[i]) for i in correct)
            return Choice(qid, prompt, shown, right, points=float(points), quiz_id=quiz_id)
        if kind == "numeric":
            if not params or "answer" not in q:
                raise QuizError(f"question {qid}: a numeric question needs `params` and `answer`")
            _check_placeholders(qid, prompt, params)
            return Numeric(qid, prompt, params, str(q["answer"]), points=float(points),
                           rel_tol=float(q.get("rel_tol", 1e-3)), abs_tol=float(q.get("abs_tol", 1e-9)),
                           quiz_id=quiz_id)
        if "reference" not in q:
            raise QuizError(f"question {qid}: a symbolic question needs `reference`")
        _check_placeholders(qid, prompt, params)
        domain = {k: tuple(v) for k, v in q.get("domain", {}).items()}
        decimals = q.get("decimals", DEFAULT_DECIMALS)
        if decimals not in DECIMALS:
            raise QuizError(f"question {qid}: `decimals` must be \"exact\" or \"rounded\", got {decimals!r}")
        return Symbolic(qid, prompt, str(q["reference"]), points=float(points), params=params, domain=domain,
                        symbols=tuple(q.get("symbols", ())), quiz_id=quiz_id, decimals=decimals)
    except QuizError as exc:
        raise QuizError(str(exc) if str(exc).startswith(f"question {qid}") else f"question {qid}: {exc}") from exc


def _check_placeholders(qid: str, prompt: str, params: dict) -> None:
    import string

    used = {field for _, field, _, _ in string.Formatter().parse(prompt) if field}
    if used - set(params):
        raise QuizError(f"question {qid}: the prompt uses {{{', '.join(sorted(used - set(params)))}}} "
                        "which is not a parameter")
    if set(params) - used:
        raise QuizError(f"question {qid}: parameter(s) {', '.join(sorted(set(params) - used))} are not shown "
                        "in the prompt")


def public_question(q) -> dict:
    """What a student's notebook may know about a question: the prompt template, parameter ranges and,
    for choices, the options in sorted order. Never the right options, formula or reference."""
    kind = {Choice: "choice", Numeric: "numeric", Symbolic: "symbolic"}[type(q)]
    data = {"id": q.id, "kind": kind, "prompt": q.prompt, "points": q.points}
    if kind == "choice":
        data.update(options=list(q.options), several=q.multiple)
    else:
        data["params"] = q.params
    if kind == "symbolic":
        data["symbols"] = sorted(set(q.symbols) | set(q.domain))
    return data
