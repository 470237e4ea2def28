"""The exercise spec: what an instructor writes in ``<assignment>.spec.toml``, read into plain dataclasses.

>>> spec = Spec.from_string('''
... title = "T"
... [symbols.a]
... domain = [0, 1]
... [[steps]]
... id = "da"
... variable = "da"
... reference = "a*(1-a)"
... points = 2
... ''')
>>> spec.steps[0].points, spec.engine_kwargs()["domain"]
(2.0, {'a': (0.0, 1.0)})
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

KINDS = ("expression", "derivation")
DECIMALS = ("exact", "rounded")
DEFAULT_DECIMALS = "exact"  # the course's: a derivation's steps are exact values; a step that wants a number says so
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SpecError(ValueError):
    """A spec that cannot be turned into an assignment; the message names the file, line, step and key."""


_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-]+)\s*\]\]?")
_KEY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_\-]*)\s*=")


def key_lines(text: str) -> dict:
    """Line numbers (1-based) of each table and key: ``{(section, key): line}``, ``key`` None for the header.

    Sections are ``""`` (top level), ``"symbols.a"``, ``"define"``, … and ``"steps#0"``, ``"steps#1"`` … for
    the array of tables. Lines inside multi-line strings are skipped.

    >>> key_lines("title = 'T'\\n[[steps]]\\nid = 's'\\nprompt = '''\\nx = 1\\n'''\\n")
    {('', 'title'): 1, ('steps#0', None): 2, ('steps#0', 'id'): 3, ('steps#0', 'prompt'): 4}
    """
    found, section, counts, in_string = {}, "", {}, None
    for number, line in enumerate(text.splitlines(), 1):
        if in_string:
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        header = _HEADER.match(line)
        if header and not _KEY.match(line):
            name = header.group(2)
            if header.group(1) == "[[":
                counts[name] = counts.get(name, -1) + 1
                name = f"{name}#{counts[name]}"
            section = name
            found.setdefault((section, None), number)
            continue
        key = _KEY.match(line)
        if key:
            found.setdefault((section, key.group(1)), number)
        for quote in ("'''", '"""'):
            if line.count(quote) % 2 == 1:
                in_string = quote
                break
    return found


@dataclass(frozen=True)
class Step:
    """One graded blank: the student assigns ``variable``; the grader compares it with ``reference``.

    ``kind = "derivation"``: the variable is a list of lines; the first must equal step ``start``'s
    reference, each must follow from the one before, the last must equal it in simplified form.
    ``lines`` is the instructor's own derivation (validated at build time, never released).
    ``chain``: this step's reference must equal the product of these steps' references.
    ``same_as``: this step's reference must equal that step's reference.
    ``follow_through``: the fraction of ``points`` an answer earns when it is wrong but right for the
    student's own answers to the ``chain``/``same_as`` steps, one of which was wrong (0: no such credit).
    ``decimals``: "exact" (a lone decimal answer must be the value itself) or "rounded" (it may round it, to at
    least 4 significant digits); the spec's top-level ``decimals``, else DEFAULT_DECIMALS.
    """

    id: str
    variable: str
    points: float
    title: str = ""
    prompt: str = ""
    kind: str = "expression"
    reference: str = ""
    lines: tuple[str, ...] = ()
    start: str = ""
    require_simplified: bool = False
    forbid: tuple[str, ...] = ()
    hint: str = ""
    mistakes: tuple[tuple[str, str], ...] = ()
    chain: tuple[str, ...] = ()
    same_as: str = ""
    follow_through: float = 0.0
    decimals: str = DEFAULT_DECIMALS

    @property
    def builds_on(self) -> tuple[str, ...]:
        """The earlier steps this step's result is made of: its ``chain``, or its ``same_as``."""
        return self.chain or ((self.same_as,) if self.same_as else ())


@dataclass(frozen=True)
class Spec:
    """A whole assignment: intro, symbols (with domains), definitions and steps, in order."""

    title: str
    steps: tuple[Step, ...]
    intro: str = ""
    symbols: dict = field(default_factory=dict)  # name -> {"domain": (lo, hi) | None, "meaning": str}
    matrices: dict = field(default_factory=dict)  # name -> {"shape": (rows, cols), "meaning": str}
    define: dict = field(default_factory=dict)  # name -> expression string
    forbid: tuple[str, ...] = ()
    source: str = "<string>"
    lines: dict = field(default_factory=dict, compare=False, repr=False)  # key_lines() of the TOML text

    def where(self, step: Step | None = None, key: str | None = None) -> str:
        """``file:line: step 'id'`` for messages: the line of ``key`` in that step (else its ``[[steps]]``).

        >>> spec = Spec.from_string('title = "T"\\n[[steps]]\\nid = "s"\\nvariable = "s"\\nreference = "a"\\n'
        ...                         'points = 1', source="x.toml")
        >>> spec.where(spec.steps[0], "reference")
        "x.toml:5: step 's'"
        """
        if step is None:
            return f"{self.source}:{self.lines.get(('', key), 1)}"
        section = f"steps#{[s.id for s in self.steps].index(step.id)}"
        line = self.lines.get((section, key)) or self.lines.get((section, None))
        return f"{self.source}:{line}: step {step.id!r}" if line else f"{self.source}: step {step.id!r}"

    @classmethod
    def from_file(cls, path) -> "Spec":
        """Read a spec file; a TOML syntax error or a bad key raises SpecError naming the file."""
        path = Path(path)
        try:
            return cls.from_string(path.read_text(encoding="utf-8"), source=str(path))
        except OSError as exc:
            raise SpecError(f"{path}: cannot read the spec ({exc.strerror})") from exc

    @classmethod
    def from_string(cls, text: str, source: str = "<string>") -> "Spec":
        """Read a spec from TOML text (see the module example)."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(f"{source}: not valid TOML: {exc}") from exc
        return _spec_from_data(data, source, key_lines(text))

    def step(self, step_id: str) -> Step:
        """The step with this id; KeyError names the known ids."""
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(f"no step {step_id!r}; the steps are {', '.join(s.id for s in self.steps)}")

    def engine_kwargs(self) -> dict:
        """The keyword arguments every engine call for this assignment shares (domain, define, symbols)."""
        domain = {n: tuple(s["domain"]) for n, s in self.symbols.items() if s.get("domain") is not None}
        kwargs = {"domain": domain, "define": dict(self.define) or None, "symbols": tuple(self.symbols)}
        if self.matrices:
            kwargs["matrices"] = {n: tuple(m["shape"]) for n, m in self.matrices.items()}
        return kwargs

    @property
    def total_points(self) -> float:
        return sum(s.points for s in self.steps)


_TOP_KEYS = {"title", "intro", "symbols", "matrices", "define", "forbid", "steps", "decimals"}
_STEP_KEYS = {"id", "variable", "points", "title", "prompt", "kind", "reference", "lines", "start",
              "require_simplified", "forbid", "hint", "mistakes", "chain", "same_as", "follow_through", "decimals"}


def _spec_from_data(data: dict, source: str, lines: dict) -> Spec:
    _no_unknown_keys(data, _TOP_KEYS, f"{source}")
    if not isinstance(data.get("title"), str) or not data["title"].strip():
        raise SpecError(f"{source}: `title` (a non-empty string) is required")
    symbols = {}
    for name, info in (data.get("symbols") or {}).items():
        where = f"{source}:{lines.get((f'symbols.{name}', None), '?')}: [symbols.{name}]"
        if not IDENTIFIER.fullmatch(name):
            raise SpecError(f"{where}: not a valid symbol name")
        info = info or {}
        _no_unknown_keys(info, {"domain", "meaning"}, where)
        domain = info.get("domain")
        if domain is not None:
            if not (isinstance(domain, list) and len(domain) == 2 and all(isinstance(v, (int, float)) for v in domain)
                    and domain[0] < domain[1]):
                raise SpecError(f"{where}: domain must be [low, high] with low < high, got {domain!r}")
            domain = (float(domain[0]), float(domain[1]))
        symbols[name] = {"domain": domain, "meaning": str(info.get("meaning", ""))}
    matrices = {}
    for name, info in (data.get("matrices") or {}).items():
        where = f"{source}:{lines.get((f'matrices.{name}', None), '?')}: [matrices.{name}]"
        if not IDENTIFIER.fullmatch(name) or name in symbols:
            raise SpecError(f"{where}: not a valid matrix name (or already a symbol)")
        info = info or {}
        _no_unknown_keys(info, {"shape", "meaning"}, where)
        shape = info.get("shape")
        if not (isinstance(shape, list) and len(shape) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 8 for v in shape)):
            raise SpecError(f"{where}: shape must be [rows, columns], whole numbers from 1 to 8, got {shape!r}")
        matrices[name] = {"shape": (shape[0], shape[1]), "meaning": str(info.get("meaning", ""))}
    steps_data = data.get("steps") or []
    if not steps_data:
        raise SpecError(f"{source}: no [[steps]]: an assignment needs at least one step")
    forbid = tuple(data.get("forbid", ()))
    decimals = _decimals(data.get("decimals", DEFAULT_DECIMALS), f"{source}:{lines.get(('', 'decimals'), '?')}")
    steps = tuple(_step_from_data(d, i, f"{source}:{lines.get((f'steps#{i}', None), '?')}", forbid, decimals)
                  for i, d in enumerate(steps_data))
    seen = set()
    for s in steps:
        for value, what in ((s.id, "id"), (s.variable, "variable")):
            if (what, value) in seen:
                line = lines.get((f"steps#{steps.index(s)}", what), "?")
                raise SpecError(f"{source}:{line}: step {s.id!r}: {what} {value!r} is used by two steps")
            seen.add((what, value))
    return Spec(title=data["title"], steps=steps, intro=str(data.get("intro", "")), symbols=symbols, matrices=matrices,
                define=dict(data.get("define") or {}), forbid=forbid, source=source, lines=lines)


def _decimals(value, where: str) -> str:
    """A decimal policy as written in the spec, checked.

    >>> _decimals("rounded", "x.toml:3")
    'rounded'
    """
    if value not in DECIMALS:
        raise SpecError(f"{where}: `decimals` must be \"exact\" or \"rounded\", got {value!r}")
    return value


def _step_from_data(d: dict, index: int, source: str, default_forbid: tuple,
                    default_decimals: str = DEFAULT_DECIMALS) -> Step:
    where = f"{source}: step {d.get('id', index + 1)!r}"
    _no_unknown_keys(d, _STEP_KEYS, where)
    for key in ("id", "variable"):
        if not isinstance(d.get(key), str) or not IDENTIFIER.fullmatch(d[key]):
            raise SpecError(f"{where}: `{key}` must be a Python identifier, got {d.get(key)!r}")
    points = d.get("points")
    if not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
        raise SpecError(f"{where}: `points` must be a positive number, got {points!r}")
    kind = d.get("kind", "expression")
    if kind not in KINDS:
        raise SpecError(f"{where}: `kind` must be one of {', '.join(KINDS)}, got {kind!r}")
    if kind == "expression" and not d.get("reference"):
        raise SpecError(f"{where}: an expression step needs a `reference`")
    if kind == "derivation" and not (d.get("lines") and d.get("start")):
        raise SpecError(f"{where}: a derivation step needs `lines` (your own derivation) and `start` "
                        f"(the step whose result the derivation simplifies)")
    mistakes = []
    for m in d.get("mistakes", ()):
        if not (isinstance(m, dict) and set(m) == {"answer", "feedback"}):
            raise SpecError(f"{where}: each mistake is {{answer = \"...\", feedback = \"...\"}}, got {m!r}")
        mistakes.append((m["answer"], m["feedback"]))
    return Step(id=d["id"], variable=d["variable"], points=float(points), title=d.get("title", d["id"]),
                follow_through=_follow_through(d, where),
                prompt=d.get("prompt", ""), kind=kind, reference=d.get("reference", ""),
                lines=tuple(d.get("lines", ())), start=d.get("start", ""),
                require_simplified=bool(d.get("require_simplified", False)),
                forbid=tuple(d.get("forbid", default_forbid)), hint=d.get("hint", ""),
                mistakes=tuple(mistakes), chain=tuple(d.get("chain", ())), same_as=d.get("same_as", ""),
                decimals=_decimals(d.get("decimals", default_decimals), where))


def _follow_through(d: dict, where: str) -> float:
    """The step's follow-through fraction: ``true`` (the default for chain and same_as steps) is 1."""
    builds_on = bool(d.get("chain") or d.get("same_as"))
    value = d.get("follow_through", builds_on)
    if value is False:
        return 0.0
    if value is True:
        value = 1.0
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value <= 1:
        raise SpecError(f"{where}: `follow_through` is true, false or the fraction of the points it gives "
                        f"(0 < fraction <= 1), got {value!r}")
    if not builds_on:
        raise SpecError(f"{where}: `follow_through` needs `chain` or `same_as`: it credits an answer that is right "
                        f"for the student's own answers to those steps")
    return float(value)


def _no_unknown_keys(data: dict, known: set, where: str) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(known))}")
