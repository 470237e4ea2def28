"""Grade a class with a fault a third of the way in, as issue 25 did, and print what it cost against a clean run.

Faults, each real and each against a clean run of an identical copy of the class (N synthetic ps1 submissions, the
demo class's answers cycled, as bench_grading.py makes them):
  - sigkill:  `autograder grade ps1 --jobs 2`, its process group killed with SIGKILL, then the same command again;
  - postgres: the same into a PostgreSQL gradebook, the server restarted with `pg_ctl restart -m fast`;
  - dask:     `autograder grade ps1 --scheduler …` on two `dask worker` processes (nanny + worker each), one
              worker and its nanny killed with SIGKILL.
For each: seconds of the clean and the faulted run, commands it took, submissions graded again after a gradebook
fault, grades identical to the clean run's, and the processes of the batch left a few seconds after the fault and
at the end (this script adopts its descendants' orphans: tests/batch/orphans.py).

Run: .venv/bin/python benchmarks/bench_faults.py [--count 24] [--faults sigkill postgres dask]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_grading import synthetic_course  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from autograder.demo import ASSIGNMENT, console_script, nbgrader  # noqa: E402
from tests.batch.dask_workers import dask_workers  # noqa: E402
from tests.batch.orphans import Orphans  # noqa: E402
from tests.batch.postgres import postgres_control  # noqa: E402


def marks(course: Path) -> int:
    """How many submissions are marked graded (the marks sit where ``Submission.mark`` puts them)."""
    from autograder.grading.submissions import Submission

    return len(list(Submission(ASSIGNMENT, "*").mark(course).parent.glob("*.json")))


def grade(course: Path, *args) -> subprocess.Popen:
    exe, env = console_script("autograder")
    return subprocess.Popen([exe, "grade", ASSIGNMENT, *args], cwd=course, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def finish(proc: subprocess.Popen) -> str:
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(out[-3000:])
    return out


def until(count: int, course: Path, proc: subprocess.Popen) -> None:
    while marks(course) < count:
        if proc.poll() is not None:
            raise RuntimeError(proc.communicate()[0][-3000:])
        time.sleep(0.1)


def scores(db_url: str) -> dict:
    """student -> (their submissions' notebooks, total score): one notebook each when each is graded once."""
    from nbgrader.api import Gradebook

    from autograder.grading.grade_one import load_course_config

    with Gradebook(db_url, load_course_config(REPO).CourseDirectory.course_id) as gb:
        return {s.student.id: (len(s.notebooks), s.score) for s in gb.assignment_submissions(ASSIGNMENT)}


def again(out: str) -> int:
    found = re.search(r"(\d+) graded again after a gradebook fault", out)
    return int(found.group(1)) if found else 0


def run_sigkill(base: Path, work: Path, third: int, orphans: Orphans) -> dict:
    clean, faulted = (Path(shutil.copytree(base, work / f"sigkill-{n}")) for n in ("clean", "fault"))
    start = time.monotonic()
    finish(grade(clean, "--jobs", "2"))
    clean_s = time.monotonic() - start
    start = time.monotonic()
    proc = grade(faulted, "--jobs", "2")
    until(third, faulted, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    left_after_fault = orphans.left(within=5.0)
    out = finish(grade(faulted, "--jobs", "2"))
    return dict(clean=clean_s, fault=time.monotonic() - start, commands=2, again=again(out),
                expected=scores(f"sqlite:///{clean / 'gradebook.db'}"),
                got=scores(f"sqlite:///{faulted / 'gradebook.db'}"), left_after_fault=left_after_fault)


def run_postgres(base: Path, work: Path, third: int, orphans: Orphans) -> dict:
    import psutil

    result = {}
    for name in ("clean", "fault"):
        course = Path(shutil.copytree(base, work / f"postgres-{name}"))
        with postgres_control() as server:
            nbgrader(course, "generate_assignment", ASSIGNMENT, "--force", f"--CourseDirectory.db_url={server.url}")
            start = time.monotonic()
            proc = grade(course, "--jobs", "2", "--db-url", server.url)
            if name == "fault":
                until(third, course, proc)
                server.restart("fast")
                orphans.known.update(p.pid for p in psutil.Process().children() if "postgres" in p.name())
            out = finish(proc)
            result[name] = time.monotonic() - start
            result["expected" if name == "clean" else "got"] = scores(server.url)
    return dict(clean=result["clean"], fault=result["fault"], commands=1, again=again(out),
                expected=result["expected"], got=result["got"], left_after_fault=[])


def run_dask(base: Path, work: Path, third: int, orphans: Orphans) -> dict:
    result = {}
    for name in ("clean", "fault"):  # each on two fresh workers
        course = Path(shutil.copytree(base, work / f"dask-{name}"))
        with dask_workers(2) as cluster:
            orphans.known.update(cluster.pids)
            start = time.monotonic()
            proc = grade(course, "--scheduler", cluster.scheduler_address)
            orphans.known.add(proc.pid)  # running, not orphaned
            if name == "fault":
                until(third, course, proc)
                cluster.kill(cluster.nannies[0])
                result["left_after_fault"] = orphans.left(within=5.0)
            finish(proc)
            result[name] = time.monotonic() - start
            result["expected" if name == "clean" else "got"] = scores(f"sqlite:///{course / 'gradebook.db'}")
    return dict(clean=result["clean"], fault=result["fault"], commands=1, again=0, expected=result["expected"],
                got=result["got"], left_after_fault=result["left_after_fault"])


RUNS = {"sigkill": ("SIGKILL of `autograder grade --jobs 2`'s process group, then the same command", run_sigkill),
        "postgres": ("PostgreSQL `pg_ctl restart -m fast` under `autograder grade --jobs 2 --db-url …`", run_postgres),
        "dask": ("a Dask worker and its nanny killed (SIGKILL) under `autograder grade --scheduler …`", run_dask)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=24)
    parser.add_argument("--faults", nargs="+", choices=list(RUNS), default=list(RUNS))
    args = parser.parse_args(argv)
    console = Console(width=200)
    work = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    base = synthetic_course(work / "base", args.count)
    console.print(f"{args.count} submissions of {ASSIGNMENT} in {work}; {os.cpu_count()} cores; the fault lands "
                  f"once {args.count // 3} are graded")
    table = Table(title=f"A class of {args.count} with a fault a third of the way in")
    for col in ("fault", "clean s", "faulted s", "× clean", "commands", "graded again", "graded once, grades as clean",
                "processes left after the fault", "at the end"):
        table.add_column(col, justify="left" if col == "fault" else "right")
    with Orphans() as orphans:
        for name in args.faults:
            label, run = RUNS[name]
            r = run(base, work, args.count // 3, orphans)
            once = all(n == 1 for n, _ in r["got"].values())
            same = r["got"] == r["expected"] and len(r["got"]) == args.count
            left_end = orphans.left(within=5.0)
            for line in r["left_after_fault"] + left_end:
                console.print(f"[red]left:[/] {line}")
            for student in sorted(set(r["got"]) | set(r["expected"])):
                if r["got"].get(student) != r["expected"].get(student):
                    console.print(f"[red]{name}: {student}[/] clean {r['expected'].get(student)}, "
                                  f"faulted {r['got'].get(student)}")
            table.add_row(label, f"{r['clean']:.1f}", f"{r['fault']:.1f}", f"{r['fault'] / r['clean']:.2f}",
                          str(r["commands"]), str(r["again"]), "yes" if once and same else "NO",
                          str(len(r["left_after_fault"])), str(len(left_end)))
    console.print(table)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
