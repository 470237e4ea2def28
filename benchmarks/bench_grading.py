"""Benchmark class grading: serial `nbgrader autograde` vs `autograder grade --jobs 2` vs a 2-worker Dask cluster.

Builds N synthetic ps1 submissions (the demo class's answers, cycled; the student
whose cell loops forever and the corrupted upload nbgrader cannot read are left out),
grades identical copies of the course three ways in the same run, and prints
submissions per minute, the ratio to serial, and whether every grade is identical.
Target on 2 cores: ≥ 1.8× the serial rate with identical grades.

Run: .venv/bin/python benchmarks/bench_grading.py [--count 200] [--no-dask]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from rich.console import Console
from rich.table import Table

from autograder.demo import ASSIGNMENT, load_class, nbgrader, prepare_course, read_scores, write_submissions

# frank loops until the cell timeout (one timeout would dominate the figure); zack's upload is not a
# notebook, which serial nbgrader cannot grade at all (it exits 1), so neither is a fair unit of work
SKIP = {"frank", "zack"}


def synthetic_class(count: int) -> list[Student]:
    demo = [s for s in load_class() if s.id not in SKIP]
    return [dataclasses.replace(demo[i % len(demo)], id=f"s{i:03d}{demo[i % len(demo)].id}") for i in range(count)]


def autograder(course: Path, *args) -> None:
    exe = Path(sys.executable).with_name("autograder")
    env = dict(os.environ, PATH=f"{exe.parent}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run([str(exe), "grade", ASSIGNMENT, *args], cwd=course, env=env, capture_output=True,
                          text=True)
    if proc.returncode not in (0, 1):
        raise RuntimeError(proc.stdout[-3000:] + proc.stderr[-3000:])


def timed(label, func):
    start = time.monotonic()
    func()
    return label, time.monotonic() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args(argv)
    console = Console(width=130)
    work = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    base = prepare_course(work / "base")
    nbgrader(base, "generate_assignment", ASSIGNMENT, "--force")
    write_submissions(base, synthetic_class(args.count))
    copies = {name: Path(shutil.copytree(base, work / name)) for name in ("serial", "jobs2", "dask")}
    console.print(f"{args.count} submissions of {ASSIGNMENT} in {work}")

    runs = [timed("nbgrader autograde (serial)", lambda: nbgrader(copies["serial"], "autograde", ASSIGNMENT)),
            timed("autograder grade --jobs 2", lambda: autograder(copies["jobs2"], "--jobs", "2"))]
    if not args.no_dask:
        from distributed import LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                          host="127.0.0.1") as cluster:
            runs.append(timed("autograder grade --scheduler (Dask, 2 workers)",
                              lambda: autograder(copies["dask"], "--scheduler", cluster.scheduler_address)))
    reference = read_scores(copies["serial"])
    table = Table(title=f"Grading {args.count} ps1 submissions on {os.cpu_count()} cores (same run)")
    for col in ("method", "seconds", "submissions/min", "× serial", "grades identical to serial"):
        table.add_column(col, justify="left" if col == "method" else "right")
    serial_rate = None
    for (label, seconds), name in zip(runs, ("serial", "jobs2", "dask")):
        rate = 60 * args.count / seconds
        serial_rate = serial_rate or rate
        scores = read_scores(copies[name])
        same = sum(scores.get(s) == reference.get(s) for s in reference)
        table.add_row(label, f"{seconds:.1f}", f"{rate:.1f}", f"{rate / serial_rate:.2f}",
                      f"{same}/{len(reference)}")
    console.print(table)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
