"""`autograder report` on a class of ps1 submissions: how long the class report takes for ``--count`` students.

ps1's demo class is autograded for real, then copied up to ``--count`` submissions (gradebook rows and autograded
notebooks, as bench_regrade.py copies them); each copy is sealed for its new student id with the course's key, as
grading would have sealed it, so the report counts every one. `autograder report ps1` then runs through its
command line; prints the time and what it wrote.

    .venv/bin/python benchmarks/bench_report.py --count 1000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from autograder.demo import ASSIGNMENT, console_script, run_demo  # noqa: E402
from bench_regrade import copy_class  # noqa: E402


def seal_copies(course: Path) -> int:
    """Seal every copied autograded notebook for the student it now belongs to (copies are named ``copy…``)."""
    import nbformat

    from autograder.grading.grade_one import load_course_config
    from autograder.nbgrader.seal import judge_key, key_path, seal

    key = judge_key(key_path(load_course_config(course)))
    sealed = 0
    for path in sorted(course.glob(f"autograded/copy*/{ASSIGNMENT}/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        seal(nb, key, (path.parts[-3], ASSIGNMENT, path.stem))
        nbformat.write(nb, path)
        sealed += 1
    return sealed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000, help="submissions in the class (default 1000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        course = run_demo(Path(tmp) / "course", ASSIGNMENT, timeout=5)["course"]
        total = copy_class(course, args.count)
        seal_copies(course)
        exe, env = console_script("autograder", inherit=False)
        started = time.monotonic()
        proc = subprocess.run([exe, "report", ASSIGNMENT, "--out", str(Path(tmp) / "out")], cwd=course,
                              capture_output=True, text=True, env=env)
        elapsed = time.monotonic() - started
        if proc.returncode != 0:
            raise SystemExit(f"autograder report failed:\n{proc.stdout}\n{proc.stderr}")
        sizes = {p.name: p.stat().st_size for p in sorted((Path(tmp) / "out").iterdir())}
    print(proc.stdout.strip())
    print(f"autograder report {ASSIGNMENT} on {total} submissions: {elapsed:.1f} s wall, command start to exit "
          f"(files: {', '.join(f'{n} {s // 1024} KiB' for n, s in sizes.items())})")


if __name__ == "__main__":
    main()
