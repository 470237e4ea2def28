"""The public checks: each runs the judging pipeline in the bounded worker and always returns a verdict.

>>> check_equivalent("a(1-a)", "a - a^2").status
'equivalent'
"""

from __future__ import annotations

import re
from dataclasses import replace

import sympy

from .compare import DECIMAL_POLICIES, EQUATION
from .domain import DomainError
from .judge import (_reference_names, accurate, attempt_facts, build_target, judge, judge_against, judge_own, read,
                    repeats)
from .limits import BoundExceeded, run_bounded
from .target import Target
from .verdict import DerivationVerdict, Verdict, invalid, undecided

MARGIN = 0.5  # seconds beyond ``timeout`` the caller may wait for a worker to be replaced


def check_equivalent(answer, reference, *, domain=None, define=None, forbid=(), symbols=None, matrices=None,
                     require_simplified=False, mistakes=None, hints=None, timeout=2.0, quantity=None,
                     decimals="rounded") -> Verdict:
    """Is ``answer`` equivalent to ``reference`` on ``domain``? Never raises for a bad answer.

    ``decimals`` is the step's decimal policy: "rounded" (a lone decimal may stand for the value it rounds to at
    least 4 significant digits) or "exact" (it must be the value: 0.125 for 1/8, never 0.3333 for 1/3).

    ``quantity`` names what the step asks for (its variable, e.g. "dL_dz", or several names): an answer written
    ``dL_dz = a - 2*y`` is then read as ``a - 2*y``. A reference that is an equation is compared as one.

    >>> v = check_equivalent("(y-a)/(a*(2-a))", "(a-y)/(a*(2-a))", domain={"a": (0, 1), "y": (0, 1)})
    >>> v.status, v.diagnosis
    ('not_equivalent', 'sign_error')
    >>> check_equivalent("dL_dz = a - 2*y", "a - 2*y", quantity="dL_dz").status
    'equivalent'
    """
    early = _precheck(answer)
    if early is not None:
        return early
    answer, offset = (answer, 0) if _is_equation(reference) else _without_name(answer, quantity)
    kwargs = dict(domain=domain, define=define, forbid=tuple(forbid), symbols=tuple(symbols or ()),
                  matrices=matrices, require_simplified=require_simplified, mistakes=mistakes, hints=hints,
                  decimals=_policy(decimals))
    return _shifted(_bounded(judge, (answer, reference), kwargs, timeout), offset)


def _policy(decimals: str) -> str:
    """The decimal policy, checked here: a wrong one is the caller's mistake, said at once (not a verdict)."""
    if decimals not in DECIMAL_POLICIES:
        raise ValueError(f"decimals must be one of {', '.join(DECIMAL_POLICIES)}, got {decimals!r}")
    return decimals


def reference_samples(reference, *, domain=None, define=None, symbols=None, matrices=None, mistakes=None,
                      timeout=10.0) -> dict:
    """Values of ``reference`` at fixed points, as a JSON-able dict to ship to students (no expression).

    >>> s = reference_samples("a*(1-a)", domain={"a": (0, 1)})
    >>> check_against_samples("a - a^2", s).accepted, "a*(1-a)" in str(s)
    (True, False)
    """
    kwargs = dict(domain=domain, define=define, symbols=tuple(symbols or ()), matrices=matrices,
                  mistakes=mistakes, salt="local")
    return run_bounded(_samples, (reference,), kwargs, timeout=timeout)


def _samples(reference, **kwargs) -> dict:
    return accurate(build_target(reference, **kwargs)).to_json()


def check_against_samples(answer, samples: dict, *, forbid=(), require_simplified=False, hints=None,
                          timeout=2.0, quantity=None, decimals="rounded") -> Verdict:
    """Judge ``answer`` against shipped samples: the same verdicts and diagnoses, without the reference.

    The shipped values have 30 digits and no expression behind them, so a point agrees when the answer's value
    is within 1e-20 of the reference's, relative (or, evaluated again at higher precision, approaches it):
    a difference smaller than that is left to grading, which has the reference."""
    early = _precheck(answer)
    if early is not None:
        return early
    answer, offset = (answer, 0) if samples.get("shape") == list(EQUATION) else _without_name(answer, quantity)
    kwargs = dict(forbid=tuple(forbid), require_simplified=require_simplified, hints=hints,
                  decimals=_policy(decimals))
    return _shifted(_bounded(_judge_samples, (answer, samples), kwargs, timeout), offset)


def _without_name(answer, quantity):
    """``answer`` without a leading ``name =`` (or ``Eq(name, …)``) naming the step's own quantity, and how many
    characters went, so a parse message still points into what the student typed."""
    names = {quantity} if isinstance(quantity, str) else set(quantity or ()) - {None}
    if isinstance(answer, str):
        found = re.match(r"\s*([A-Za-z_]\w*)\s*=(?!=)\s*", answer)
        if found and found.group(1) in names and answer[found.end():].strip():
            return answer[found.end():], found.end()
    elif isinstance(answer, sympy.Equality) and getattr(answer.lhs, "name", None) in names:
        return answer.rhs, 0
    return answer, 0


def _is_equation(reference) -> bool:
    if isinstance(reference, str):
        return bool(re.search(r"(?<![<>=!])=(?!=)", reference)) and not re.search(r"[<>]=|\w\s*=\s*(True|False)",
                                                                                 reference)
    return isinstance(reference, sympy.Equality)


def _shifted(verdict: Verdict, offset: int) -> Verdict:
    if not offset or verdict.column is None:
        return verdict
    feedback = re.sub(r"(?<=column )\d+", lambda m: str(int(m.group()) + offset), verdict.feedback)
    return replace(verdict, column=verdict.column + offset, feedback=feedback)


def _judge_samples(answer, samples, **kwargs) -> Verdict:
    return judge_against(answer, Target.from_json(samples), **kwargs)


def warm_up() -> None:
    """Judge a few answers in this process, without the bounded worker: a process forked from this one (a warm
    template's kernels, and their workers) starts with sympy's caches and lazily built parts (assumptions, the
    parser, the printers) made, instead of paying for them at its first cell. No student input is involved.

    The expressions are no assignment's reference, nor one renamed (a forked kernel holds them in its memory, and
    this file is mounted in its sandbox), but exercise what a chain-rule check does: samples of a rational
    reference on a bounded domain with a defined sigmoid, answers as text and as sympy objects, a sign error's
    diagnosis, and an expression in exp judged through the definition (tests/unit/test_no_reference_ships.py).

    >>> warm_up()
    """
    engine = dict(domain={"p": (0, 1), "t": (0, 1)}, define={"p": "1/(1 + exp(-w))"}, symbols=("p", "t", "w"))
    samples = _samples("(t - p)**2/(p*(1 + p))", salt="local", **engine)
    p, t, w = sympy.symbols("p t w")
    for answer in ("(p**2 - 2*p*t + t**2)/(p + p**2)", (p - t) ** 2 / (p + p ** 2), -(t - p) ** 2 / (p * (1 + p)),
                   "t - p"):
        _judge_samples(answer, samples, forbid=("diff",), require_simplified=False, hints=None)
    judge(sympy.exp(-w) / (1 + sympy.exp(-w)), "1 - p", **engine)


def check_own_answers(answer, reference, own, *, forbid=(), require_simplified=False, hints=None, timeout=2.0,
                      decimals="rounded", **engine) -> Verdict:
    """Is ``answer`` right for the student's own earlier answers ``own`` (whose product replaces ``reference``,
    an expression or shipped samples)? The check behind follow-through credit.

    >>> check_own_answers("2*y - a", "a - 2*y", ["(2*y-a)/(a(1-a))", "a(1-a)"],
    ...                   domain={"a": (0, 1), "y": (0, 1)}).status
    'equivalent'
    """
    early = _precheck(answer)
    if early is not None:
        return early
    kwargs = dict(_engine(engine), forbid=tuple(forbid), require_simplified=require_simplified, hints=hints,
                  decimals=_policy(decimals))
    return _bounded(judge_own, (answer, reference, list(own)), kwargs, timeout)


def own_answer_facts(answer, known, *, timeout=2.0, **engine) -> dict | None:
    """What follow-through asks of a wrong answer at its own step (``known``: the step's reference or shipped
    samples): ``{"constant": …, "same_variables": …}`` (see ``judge.attempt_facts``); None when it does not read or
    could not be worked out in time.

    >>> own_answer_facts("0", "a*(1-a)", domain={"a": (0, 1)})
    {'constant': True, 'same_variables': False}
    """
    return _bounded_value(attempt_facts, (answer, known), _engine(engine), timeout, None)


def repeats_answer(answer, earlier, known, *, timeout=2.0, **engine) -> bool:
    """Is ``answer`` the student's ``earlier`` answer written again (see ``judge.repeats``)? False when unsure.

    >>> repeats_answer("p - q", "(p - q)", "2*p - q")
    True
    """
    return bool(_bounded_value(repeats, (answer, earlier, known), _engine(engine), timeout, False))


def _engine(engine: dict) -> dict:
    kwargs = dict(engine)
    if "symbols" in kwargs:
        kwargs["symbols"] = tuple(kwargs["symbols"] or ())
    return kwargs


def _bounded_value(func, args, kwargs, timeout, otherwise):
    """``func`` run in the bounded worker, or ``otherwise`` when it runs out of time or memory or fails on the
    answer (never on a wrong reference: that stays loud, as in ``_bounded``)."""
    if any(_precheck(a) is not None for a in args):
        return otherwise  # refused before it is copied anywhere, as a check would refuse it
    _latex_ready(args)
    try:
        return run_bounded(func, args, kwargs, timeout=timeout)
    except DomainError:
        raise
    except Exception:  # noqa: BLE001 - a bound exceeded or an engine failure on this answer: nothing to build on
        return otherwise


def check_derivation(steps, *, final=None, start=None, timeout=2.0, **kwargs) -> DerivationVerdict:
    """Check that each step follows from the one before; ``start``/``final`` may be expressions or samples.

    >>> dv = check_derivation(["-y/a + y/(1-a)", "(-y*(1-a) + a*y)/(a*(1-a))", "y*(2*a-1)/(a*(1-a))"],
    ...                       domain={"a": (0, 1), "y": (0, 1)})
    >>> dv.ok, dv.first_invalid
    (True, None)
    """
    steps = list(steps)
    if not steps:
        empty = invalid("empty", "The derivation has no lines.")
        return DerivationVerdict((empty,), 0)
    forbid = kwargs.pop("forbid", ())
    require_simplified = kwargs.pop("require_simplified", False)
    names = set(kwargs.pop("symbols", None) or ())
    for known in (start, final):
        if known is not None and not isinstance(known, dict):
            names |= _reference_names(known)
    kwargs["symbols"] = tuple(sorted(names))
    readable = [read_answer(step, timeout=timeout, **dict(kwargs, forbid=forbid)) for step in steps]
    verdicts = []
    for i, step in enumerate(steps):
        if readable[i].status == "invalid":
            v = readable[i]
        elif i == 0:
            v = _against(step, start, forbid, False, kwargs, timeout) if start is not None else readable[0]
        elif readable[i - 1].status == "invalid":
            v = undecided(f"Line {i} cannot be read, so this line cannot be checked against it.")
        else:
            v = check_equivalent(step, steps[i - 1], forbid=forbid, timeout=timeout, **kwargs)
        verdicts.append(_numbered(v, i))
    first = next((i for i, v in enumerate(verdicts) if not v.equivalent), None)
    last = (_against(steps[-1], final, forbid, require_simplified, kwargs, timeout)
            if final is not None else None)
    return DerivationVerdict(tuple(verdicts), first, last)


def read_answer(answer, *, timeout=2.0, **engine) -> Verdict:
    """Only read ``answer`` with an exercise's names (domain, define, symbols, forbid), bounded: an invalid
    verdict saying why, or one carrying the answer's LaTeX; nothing is compared.

    >>> read_answer("a(1-a)", symbols=("a",)).answer_latex, read_answer("a(1-a", symbols=("a",)).status
    ('a \\\\left(1 - a\\\\right)', 'invalid')
    """
    return _bounded(read, (answer,), engine, timeout)


def _against(step, reference, forbid, require_simplified, kwargs, timeout) -> Verdict:
    if isinstance(reference, dict) and "format" in reference:
        return check_against_samples(step, reference, forbid=forbid, require_simplified=require_simplified,
                                     timeout=timeout, decimals=kwargs.get("decimals", "rounded"))
    return check_equivalent(step, reference, forbid=forbid, require_simplified=require_simplified,
                            timeout=timeout, **kwargs)


def _numbered(v: Verdict, i: int) -> Verdict:
    if v.equivalent:
        return v
    if v.status == "undecided":
        return v
    if v.status == "invalid" or i == 0:
        feedback = f"Line {i + 1}: {v.feedback}"
    else:
        feedback = f"Line {i + 1} does not follow from line {i}: {v.feedback.replace('Your answer', 'this line')}"
    return Verdict(v.status, v.equivalent, v.diagnosis, feedback, v.method,
                   v.answer_latex, v.accepted, v.column)


def _precheck(answer) -> Verdict | None:
    """Reject what needs no worker: absurd sizes are refused before they are copied anywhere."""
    if isinstance(answer, str) and len(answer) > 100_000:
        return invalid("too_long", f"The answer is {len(answer):,} characters long; the limit is 2,000.")
    return None


_LATEX_LOADED = False


def _load_latex() -> None:
    from sympy.parsing.latex import parse_latex

    parse_latex("x")


def _latex_ready(args) -> None:
    """Load sympy's LaTeX parser (a second or more on a busy machine) before the first LaTeX check, outside that
    answer's time limit, so loading it never makes a right answer "undecided": here, so that workers forked later
    (after one ran out of time) have it, and in the current worker."""
    global _LATEX_LOADED
    if _LATEX_LOADED or not any(isinstance(a, str) and "\\" in a for a in args):
        return
    _load_latex()
    try:
        run_bounded(_load_latex, (), timeout=60)
    except BoundExceeded:
        return  # the check itself will say so
    _LATEX_LOADED = True


def _bounded(func, args, kwargs, timeout) -> Verdict:
    _latex_ready(args)
    try:
        return run_bounded(func, args, kwargs, timeout=timeout)
    except BoundExceeded as exc:
        return undecided(f"Could not check this answer: it {exc.reason}. Try writing it more simply.",
                         "bounded worker")
    except DomainError:
        raise  # the instructor's reference or domain is wrong: that must be loud, not a student's zero
    except Exception as exc:  # an engine bug must not take down a batch or a notebook
        return undecided(f"Could not check this answer ({type(exc).__name__}).", "error")
