"""The labeled corpus: every label comes out right (zero false accepts, zero false rejects)."""

import sys
from pathlib import Path

from autograder import check_equivalent

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from corpus import load_corpus  # noqa: E402


def test_corpus_is_large_and_every_label_holds():
    cases = load_corpus()
    assert len(cases) >= 200
    wrong = [(c.step, c.answer, v.status) for c in cases
             for v in [check_equivalent(c.answer, c.reference, domain=c.domain, define=c.define)]
             if v.equivalent is not c.equivalent]
    assert wrong == []
