"""Benchmark grading as a non-root instructor beside grading as root: the same class, the same run.

Builds N synthetic ps1 submissions (bench_grading's class), grades identical copies of the course with
`autograder grade --jobs 2`:
  - as root, kernels forked from the warm template (the course's configuration),
  - as root, every kernel started afresh under bubblewrap (`local-provisioner`),
  - as a system user made for the run (its course in its 0700 home), where every kernel starts afresh under
    bubblewrap in a user namespace of its own (the warm template needs root);
and prints for each the wall time, submissions per minute, CPU-seconds per submission and whether every grade is
identical to root's warm run. Needs root (it creates, then removes, the user).

Run: .venv/bin/python benchmarks/bench_nonroot.py [--count 60]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_grading import FRESH, CpuMeter, autograder, rate_table, synthetic_class  # noqa: E402

from autograder.demo import ASSIGNMENT, nbgrader, prepare_course, write_submissions  # noqa: E402
from tests.batch.system_users import as_user_command, chown_tree, reach_preexec, system_users  # noqa: E402


def grade_as(user, course: Path, preexec=None) -> None:
    """`autograder grade --jobs 2` run by ``user`` in ``course`` (a clean environment, as a login gives)."""
    proc = subprocess.run(as_user_command(user, ["autograder", "grade", ASSIGNMENT, "--jobs", "2"]), cwd=course,
                          capture_output=True, text=True, preexec_fn=reach_preexec(preexec))
    if proc.returncode not in (0, 1):
        raise RuntimeError(proc.stdout[-3000:] + proc.stderr[-3000:])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=60)
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("bench_nonroot: run as root (it creates a system user to grade as)", file=sys.stderr)
        return 2
    console = Console(width=170)
    work = Path(tempfile.mkdtemp(prefix="bench-nonroot-"))
    try:
        base = prepare_course(work / "base")
        nbgrader(base, "generate_assignment", ASSIGNMENT, "--force")
        write_submissions(base, synthetic_class(args.count))
        copies = {name: Path(shutil.copytree(base, work / name)) for name in ("root-warm", "root-fresh")}
        with open(copies["root-fresh"] / "nbgrader_config.py", "a") as config:
            config.write(FRESH)
        console.print(f"{args.count} submissions of {ASSIGNMENT}; {os.cpu_count()} cores; kernel {os.uname().release}")
        results = {}
        for name, label in (("root-warm", "root, warm-forked kernels"), ("root-fresh", "root, fresh kernels")):
            meter = CpuMeter(name)
            results[name] = (label, *meter.run(lambda pre, n=name: autograder(copies[n], "grade", ASSIGNMENT,
                                                                               "--jobs", "2", preexec=pre)),
                             meter.source)
        with system_users("bench") as (user,):
            copies["non-root"] = Path(shutil.copytree(base, user.home / "course"))
            chown_tree(copies["non-root"], user)
            meter = CpuMeter("non-root")
            results["non-root"] = ("non-root user, fresh kernels in their own user namespaces",
                                   *meter.run(lambda pre: grade_as(user, copies["non-root"], pre)),
                                   meter.source)
            # read while the user's course is there (it goes with the user's home)
            console.print(rate_table(f"`autograder grade --jobs 2` of {args.count} ps1 submissions, root and "
                                     "non-root (same run)", ("who grades", "root-warm"), results, args.count, copies))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
