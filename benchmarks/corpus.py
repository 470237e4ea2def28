"""Load the labeled equivalence corpus (tests/data/equivalence_corpus.toml) as a flat list of cases."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "equivalence_corpus.toml"


@dataclass(frozen=True)
class Case:
    step: str
    answer: str
    reference: str
    equivalent: bool
    domain: dict
    define: dict
    derived: bool = False  # made by the loader from a correct answer (negated, doubled)


def _domain(raw: dict) -> dict:
    """TOML has no tuples, sets or infinity: [lo, hi] is an interval ("inf" an open end), [[v, ...]] a set."""
    result = {}
    for name, spec in raw.items():
        if len(spec) == 1 and isinstance(spec[0], list):
            result[name] = set(spec[0])
        else:
            result[name] = tuple(None if v in ("inf", "-inf") else v for v in spec)
    return result


def load_corpus(path: Path = CORPUS, derive: bool = True) -> list[Case]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    cases = []
    for step in data["step"]:
        common = dict(step=step["name"], reference=step["reference"], domain=_domain(step.get("domain", {})),
                      define=step.get("define", {}))
        for answer in step.get("correct", []):
            cases.append(Case(answer=answer, equivalent=True, **common))
            if derive and "\\" not in answer:
                cases.append(Case(answer=f"-({answer})", equivalent=False, derived=True, **common))
                cases.append(Case(answer=f"2*({answer})", equivalent=False, derived=True, **common))
        for answer in step.get("wrong", []):
            cases.append(Case(answer=answer, equivalent=False, **common))
    return cases
