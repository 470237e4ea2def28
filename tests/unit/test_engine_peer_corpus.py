"""The peers' corpus (STACK, Math-Verify and PrairieLearn test data): the engine accepts no pair labelled wrong.

Speed and accuracy against the peers are measured by ``make bench``; this only holds the line that matters most
(a wrong answer is never accepted), on every pair labelled not equivalent and its derived near misses.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_equivalence import declared  # noqa: E402
from corpus import load_peer_corpus  # noqa: E402

from autograder.domain import DomainError  # noqa: E402
from autograder.judge import judge  # noqa: E402

PAIRS = load_peer_corpus(derive=True)


def test_the_corpus_cites_an_origin_for_every_row_and_is_large():
    own = [p for p in PAIRS if not p.derived]
    assert len(own) >= 300 and len(PAIRS) >= 600
    assert all(p.peer_name in ("moodle-qtype_stack", "Math-Verify", "PrairieLearn") and ":" in p.origin for p in own)


def test_no_pair_labelled_not_equivalent_is_accepted():
    accepted = []
    for p in PAIRS:
        if p.equivalent:
            continue
        try:
            v = judge(p.answer, p.reference, domain=p.domain, symbols=tuple(declared(p.answer, p.reference)))
        except DomainError:
            continue
        if v.equivalent:
            accepted.append((p.answer, p.reference, p.origin))
    assert accepted == []


@pytest.mark.parametrize("answer, reference", [
    ("0.0833333333333333", "1/12"), ("4.123105625617661", "sqrt(17)"), ("5.1e-2", "51/1000"),
    ("sec(x)**2", "1 + tan(x)**2"), ("log(x, 2)", "log(x)/log(2)"), ("Sum(k**2, (k, 1, n))", "n*(n+1)*(2*n+1)/6"),
])
def test_the_issue_examples_are_accepted(answer, reference):
    assert judge(answer, reference, symbols=tuple(declared(answer, reference))).accepted
