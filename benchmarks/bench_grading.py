"""Benchmark class grading: serial `nbgrader autograde` vs `autograder grade --jobs 2`, kernels fresh and warm-forked.

Builds N synthetic ps1 submissions (the demo class's answers, cycled; the student
whose cell loops forever and the corrupted upload nbgrader cannot read are left out),
grades identical copies of the course in the same run, and prints for each method
submissions per minute, the ratio to serial, CPU-seconds per submission and whether
every grade is identical to serial's:
  - `nbgrader autograde`, serial, every kernel started afresh under bubblewrap (the baseline),
  - `autograder grade --jobs 2` with fresh kernels,
  - `autograder grade --jobs 2` with kernels forked from the warm template (the course's configuration),
  - optionally the same on a Dask cluster of 2 `dask worker` processes (tests/batch/dask_workers.py);
then `autograder regrade` on the warm copy's 200 (no kernels). "Fresh" copies differ from the course only by one
line appended to their nbgrader_config.py naming jupyter_client's own provisioner.
CPU time is read from a cpuacct cgroup per run where one can be made (every process the run starts, kernels killed
mid-way included); elsewhere from the run's reaped children, which misses killed kernels (it says which).
Targets on 2 cores: warm ≥ 5× the serial rate, CPU per submission ≤ a third of fresh `--jobs 2`'s, same grades.

Run: .venv/bin/python benchmarks/bench_grading.py [--count 200] [--no-dask]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.demo import (ASSIGNMENT, Student, console_script, load_class, nbgrader, prepare_course,  # noqa: E402
                             read_scores, write_submissions)
from tests.batch.dask_workers import dask_workers  # noqa: E402

# frank loops until the cell timeout (one timeout would dominate the figure); zack's upload is not a
# notebook, which serial nbgrader cannot grade at all (it exits 1), so neither is a fair unit of work
SKIP = {"frank", "zack"}


def synthetic_class(count: int) -> list[Student]:
    demo = [s for s in load_class() if s.id not in SKIP]
    return [dataclasses.replace(demo[i % len(demo)], id=f"s{i:03d}{demo[i % len(demo)].id}") for i in range(count)]


def synthetic_course(folder: Path, count: int) -> Path:
    """A course in ``folder`` with ps1 released and ``count`` synthetic submissions of it."""
    course = prepare_course(folder)
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    write_submissions(course, synthetic_class(count))
    return course


FRESH = '\nc.KernelProvisionerFactory.default_provisioner_name = "local-provisioner"  # benchmark: no warm fork\n'
CGROUP = Path("/sys/fs/cgroup/cpuacct")


def autograder(course: Path, *args, preexec=None) -> None:
    exe, env = console_script("autograder")
    proc = subprocess.run([exe, *args], cwd=course, env=env, capture_output=True, text=True, preexec_fn=preexec)
    if proc.returncode not in (0, 1):
        raise RuntimeError(proc.stdout[-3000:] + proc.stderr[-3000:])


def nbgrader_cmd(course: Path, *args, preexec=None) -> None:
    exe, env = console_script("nbgrader")
    proc = subprocess.run([exe, *args], cwd=course, env=env, capture_output=True, text=True, preexec_fn=preexec)
    if proc.returncode != 0:
        raise RuntimeError(proc.stdout[-3000:] + proc.stderr[-3000:])


class CpuMeter:
    """CPU-seconds of everything one command starts: a cpuacct cgroup of its own if this machine lets us make one,
    else the reaped children's rusage."""

    def __init__(self, label: str):
        self.group = None
        try:
            group = CGROUP / f"bench-grading-{os.getpid()}-{label}"
            group.mkdir()
            self.group = group
        except OSError:
            pass
        self.source = "cgroup" if self.group else "rusage"

    def enter(self):
        if self.group is not None:
            (self.group / "cgroup.procs").write_text(str(os.getpid()))

    def run(self, func) -> tuple[float, float]:
        """(wall seconds, CPU seconds) of ``func(preexec)``."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        func(self.enter)
        wall = time.monotonic() - start
        if self.group is not None:
            cpu = int((self.group / "cpuacct.usage").read_text()) / 1e9
            for _ in range(50):  # the group empties once its last process is reaped
                try:
                    self.group.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)
        else:
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        return wall, cpu


def kernel_starts(course: Path) -> str:
    """How the graded notebooks' kernels started, as ResilientExecute recorded it: "200 forked from the warm
    template", or the mix."""
    starts: dict[str, int] = {}
    for path in sorted((course / "autograded").glob(f"*/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")):
        start = nbformat.read(path, as_version=4).metadata.get("autograder", {}).get("kernel", "not recorded")
        starts[start] = starts.get(start, 0) + 1
    return ", ".join(f"{n} {start}" for start, n in sorted(starts.items()))


def rate_table(title: str, names: tuple[str, str], results: dict, count: int, copies: dict) -> Table:
    """Per run of ``results`` ({name: (label, wall s, CPU s or None, CPU source)}): seconds, submissions per minute,
    the rate as a multiple of the base run's, CPU-s per submission, and how many grades in its course (``copies``)
    equal the base run's; ``names`` = (the first column's heading, the base run's name)."""
    heading, base = names
    reference = read_scores(copies[base])
    table = Table(title=title)
    for col in (heading, "seconds", "submissions/min", f"× {base}", "CPU-s/submission", "CPU from",
                f"grades identical to {base}", "kernels"):
        table.add_column(col, justify="left" if col == heading else "right")
    base_rate = 60 * count / results[base][1]
    for name, (label, wall, cpu, source) in results.items():
        rate = 60 * count / wall
        scores = read_scores(copies[name])
        same = sum(scores.get(s) == reference.get(s) for s in reference)
        table.add_row(label, f"{wall:.1f}", f"{rate:.1f}", f"{rate / base_rate:.2f}",
                      "-" if cpu is None else f"{cpu / count:.3f}", source, f"{same}/{len(reference)}",
                      kernel_starts(copies[name]))
    return table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args(argv)
    console = Console(width=170)
    work = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    base = synthetic_course(work / "base", args.count)
    names = ["serial", "jobs2-fresh", "jobs2-warm"] + ([] if args.no_dask else ["dask-warm"])
    copies = {name: Path(shutil.copytree(base, work / name)) for name in names}
    for name in ("serial", "jobs2-fresh"):
        with open(copies[name] / "nbgrader_config.py", "a") as config:
            config.write(FRESH)
    console.print(f"{args.count} submissions of {ASSIGNMENT} in {work}; {os.cpu_count()} cores")

    runs = {
        "serial": ("nbgrader autograde (serial, fresh kernels)",
                   lambda pre: nbgrader_cmd(copies["serial"], "autograde", ASSIGNMENT, preexec=pre)),
        "jobs2-fresh": ("autograder grade --jobs 2, fresh kernels",
                        lambda pre: autograder(copies["jobs2-fresh"], "grade", ASSIGNMENT, "--jobs", "2",
                                               preexec=pre)),
        "jobs2-warm": ("autograder grade --jobs 2, warm-forked kernels",
                       lambda pre: autograder(copies["jobs2-warm"], "grade", ASSIGNMENT, "--jobs", "2",
                                              preexec=pre)),
    }
    results = {}
    for name, (label, func) in runs.items():
        meter = CpuMeter(name)
        results[name] = (label, *meter.run(func), meter.source)
    if not args.no_dask:
        with dask_workers(2) as cluster:
            # the cluster's workers are not children of the command: only its wall time is comparable
            start = time.monotonic()
            autograder(copies["dask-warm"], "grade", ASSIGNMENT, "--scheduler", cluster.scheduler_address)
            results["dask-warm"] = ("autograder grade --scheduler (Dask, 2 workers), warm-forked",
                                    time.monotonic() - start, None, "-")
    regrade = CpuMeter("regrade")
    regrade_wall, regrade_cpu = regrade.run(lambda pre: autograder(copies["jobs2-warm"], "regrade", ASSIGNMENT,
                                                                   "--no-feedback", preexec=pre))

    console.print(rate_table(f"Grading {args.count} ps1 submissions on {os.cpu_count()} cores (same run)",
                             ("method", "serial"), results, args.count, copies))
    fresh_cpu, warm_cpu = results["jobs2-fresh"][2], results["jobs2-warm"][2]
    console.print(f"CPU per submission, warm-forked / fresh (--jobs 2): {warm_cpu / fresh_cpu:.2f}")
    console.print(f"autograder regrade of the same {args.count} (no kernels): {regrade_wall:.1f} s, "
                  f"{1000 * regrade_wall / args.count:.0f} ms and {regrade_cpu / args.count:.3f} CPU-s a submission "
                  f"({regrade.source})")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
