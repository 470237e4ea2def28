"""Benchmark the answer engine on the labeled corpus against naive ``sympy.simplify(answer - reference) == 0``.

Prints accuracy, false accepts and p50/p99 latency per check for both, on the
same pairs in the same run, and the speed ratio. Targets (2 cores): zero false
accepts, p50 ≤ 5 ms, p99 ≤ 200 ms, ≥ 10× faster than naive at equal or better accuracy.

Run: make bench   (or .venv/bin/python benchmarks/bench_equivalence.py [--naive-timeout 5])
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sympy  # noqa: E402
from corpus import load_corpus  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from autograder import check_equivalent  # noqa: E402
from autograder.domain import Domain  # noqa: E402
from autograder.judge import _reference_names  # noqa: E402
from autograder.limits import BoundExceeded, run_bounded  # noqa: E402
from autograder.parse import ParseError, parse_expression  # noqa: E402


def naive_equivalent(answer, reference, domain, define):
    """The usual one-liner: both sides parsed (safely), definitions substituted, simplify(difference) == 0."""
    dom = Domain.build(domain, define, _reference_names(reference) | _reference_names(answer))
    try:
        a = dom.expand(parse_expression(answer, dom.names))
    except ParseError:
        return None
    r = dom.expand(parse_expression(reference, dom.names))
    return bool(sympy.simplify(a - r) == 0)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(name, cases, check):
    times, right, false_accepts, false_rejects, undecided = [], 0, 0, 0, 0
    for case in cases:
        start = time.perf_counter()
        result = check(case)
        times.append((time.perf_counter() - start) * 1000)
        if result is None:
            undecided += 1
        elif result == case.equivalent:
            right += 1
        elif result:
            false_accepts += 1
        else:
            false_rejects += 1
    return dict(name=name, n=len(cases), accuracy=right / len(cases), false_accepts=false_accepts,
                false_rejects=false_rejects, undecided=undecided, p50=percentile(times, 50),
                p99=percentile(times, 99), mean=statistics.fmean(times), total=sum(times) / 1000)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--naive-timeout", type=float, default=10.0,
                        help="seconds before one naive simplify counts as undecided (default 10)")
    args = parser.parse_args(argv)
    cases = load_corpus()
    console = Console(width=150)
    console.print(f"{len(cases)} labeled pairs ({sum(c.equivalent for c in cases)} equivalent) from "
                  f"{len({c.step for c in cases})} steps")

    # start the worker and load the LaTeX parser outside the timed region, as a long-running grader has
    check_equivalent("\\frac{a}{2}", "a/2")

    def engine(case):
        return check_equivalent(case.answer, case.reference, domain=case.domain, define=case.define).equivalent

    def naive(case):
        try:
            return run_bounded(naive_equivalent, (case.answer, case.reference, case.domain, case.define),
                               timeout=args.naive_timeout)
        except BoundExceeded:
            return None

    rows = [measure("autograder.check_equivalent", cases, engine), measure("naive simplify(a - r) == 0", cases, naive)]
    table = Table(title="Equivalence checking on the corpus (same pairs, same run)")
    for col in ("method", "pairs", "accuracy", "false accepts", "false rejects", "undecided",
                "p50 ms", "p99 ms", "mean ms", "total s"):
        table.add_column(col, justify="right" if col != "method" else "left")
    for r in rows:
        table.add_row(r["name"], str(r["n"]), f"{r['accuracy']:.1%}", str(r["false_accepts"]),
                      str(r["false_rejects"]), str(r["undecided"]), f"{r['p50']:.2f}", f"{r['p99']:.1f}",
                      f"{r['mean']:.2f}", f"{r['total']:.1f}")
    console.print(table)
    ours, theirs = rows
    console.print(f"speed: engine is {theirs['mean'] / ours['mean']:.1f}x faster than naive on the mean, "
                  f"{theirs['p50'] / ours['p50']:.1f}x on the median")
    return 0


if __name__ == "__main__":
    sys.exit(main())
