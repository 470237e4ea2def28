"""The engine's own CPU time per check, in this process (no bounded worker), on the peers' and the course's corpora.

    .venv/bin/python benchmarks/engine_cpu.py [SOURCE_DIR]

SOURCE_DIR (default: this checkout) is the tree whose ``autograder`` is timed, so two versions can be run one after
the other on a machine shared with others: ``time.thread_time`` counts this thread's CPU only, which the others'
load barely moves (the wall-clock p50 of ``make bench`` moved 4x with three benchmarks running at once). Prints the
p50 in ms over all pairs, over the right and over the wrong answers, and how many verdicts match the labels.
"""

import statistics
import sys
import time
from pathlib import Path

SOURCE = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]).resolve()
sys.path[:0] = [str(SOURCE), str(SOURCE / "benchmarks")]

from bench_equivalence import declared  # noqa: E402
from corpus import load_corpus, load_peer_corpus  # noqa: E402

from autograder.domain import DomainError  # noqa: E402
from autograder.judge import judge  # noqa: E402


def timed(answer, reference, domain, define, symbols):
    """(verdict as True/False/None, CPU ms) of one check."""
    start = time.thread_time()
    try:
        v = judge(answer, reference, domain=domain, define=define, symbols=tuple(symbols))
        verdict = None if v.status == "undecided" else v.status == "equivalent"
    except DomainError:
        verdict = False
    return verdict, (time.thread_time() - start) * 1000


def main() -> None:
    judge("a/2", "a/2")  # sympy's lazily built parts, outside the timing
    corpora = (("peers'", [(p.answer, p.reference, p.domain, {}, declared(p.answer, p.reference), p.equivalent)
                           for p in load_peer_corpus(derive=True)]),
               ("course", [(c.answer, c.reference, c.domain, c.define,
                            declared(c.answer, c.reference) | set(c.define), c.equivalent) for c in load_corpus()]))
    for name, items in corpora:
        right, times = 0, {True: [], False: []}
        for answer, reference, domain, define, symbols, label in items:
            verdict, ms = timed(answer, reference, domain, define, symbols)
            times[label].append(ms)
            right += verdict == label
        every = times[True] + times[False]
        print(f"{SOURCE.name} {name}: p50 {statistics.median(every):.3f} ms (right answers "
              f"{statistics.median(times[True]):.3f}, wrong {statistics.median(times[False]):.3f}), "
              f"{right}/{len(items)} as labelled")


if __name__ == "__main__":
    main()
