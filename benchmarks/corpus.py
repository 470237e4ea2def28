"""Load the labeled equivalence corpus (tests/data/equivalence_corpus.toml) as a flat list of cases."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
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


PEER_CORPUS = CORPUS.parent / "peer_corpus.toml"


@dataclass(frozen=True)
class PeerPair:
    answer: str
    reference: str
    equivalent: bool  # this course's label: the peer's, or ``course`` where the rules of docs/engine.md decide otherwise
    peer: bool  # the peer's own label
    domain: dict
    origin: str
    derived: bool = False  # a near miss made by the loader from a pair the peer labels equivalent

    @property
    def peer_name(self) -> str:
        return self.origin.split("@")[0].split("/")[-1]


def load_peer_corpus(path: Path = PEER_CORPUS, derive: bool = False) -> list[PeerPair]:
    """The pairs transcribed from STACK's, Math-Verify's and PrairieLearn's test suites (each row cites its origin).

    With ``derive``, each pair labelled equivalent also yields its negation and its double as wrong answers
    (plain-text answers whose reference is not 0), so the corpus has near misses for every right form as the
    course corpus does.
    """
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    pairs = []
    for row in data["pair"]:
        common = dict(reference=row["reference"], domain=_domain(row.get("domain", {})), origin=row["origin"])
        label = row.get("course", row["equivalent"])
        pairs.append(PeerPair(answer=row["answer"], equivalent=label, peer=row["equivalent"], **common))
        plain = "\\" not in row["answer"] and "=" not in row["answer"] and "=" not in row["reference"]
        plain = plain and row["reference"].strip() != "0"  # −0 and 2·0 are still right
        if derive and label and plain:
            for wrong in (f"-({row['answer']})", f"2*({row['answer']})"):
                pairs.append(PeerPair(answer=wrong, equivalent=False, peer=False, derived=True, **common))
    return pairs


ADVERSARIAL_CORPUS = CORPUS.parent / "adversarial_corpus.toml"


@dataclass(frozen=True)
class AdversarialPair:
    answer: str
    reference: str
    equivalent: bool
    kind: str  # what the wrong answers of its group exploit (far_kink, tiny_scale, branch, ...; see the file)
    source: str  # "issue 24", "own", or the peer test suite the expressions were taken from
    domain: dict
    define: dict
    symbols: tuple  # names the exercise declares besides the reference's
    decimals: str | None = None  # "exact" or "rounded": the decimal policy under which the label holds
    witness: dict = field(default_factory=dict)  # name -> values where a narrow window of a wrong answer lies


def load_adversarial_corpus(path: Path = ADVERSARIAL_CORPUS) -> list[AdversarialPair]:
    """The wrong answers built to beat sampling (tests/data/adversarial_corpus.toml), each group's right answers
    first, then its wrong ones, with the group's reference, domain, definitions and decimal policy."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    pairs = []
    for group in data["group"]:
        common = dict(reference=group["reference"], kind=group["kind"], source=group["source"],
                      domain=_domain(group.get("domain", {})), define=group.get("define", {}),
                      symbols=tuple(group.get("symbols", ())), decimals=group.get("decimals"),
                      witness=group.get("witness", {}))
        pairs += [AdversarialPair(answer=a, equivalent=True, **common) for a in group.get("right", [])]
        pairs += [AdversarialPair(answer=a, equivalent=False, **common) for a in group.get("wrong", [])]
    return pairs
