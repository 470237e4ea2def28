"""`autograder regrade` on a class of ps1 submissions, against re-running `nbgrader autograde` (the kernel way).

ps1's demo class is autograded for real (that run's time is the baseline: seconds per submission with kernels),
then copied, gradebook rows (nbgrader's Gradebook API) and autograded notebooks alike, up to ``--count``
submissions. `autograder regrade ps1` then runs twice through its command line: with the spec unchanged, and with
one reference changed (dL_dz's "a - y" typed as "y - a"). Prints both times, per submission, and the ratio.

    .venv/bin/python benchmarks/bench_regrade.py --count 200
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder.demo import ASSIGNMENT, console_script, run_demo  # noqa: E402


def copy_class(course: Path, count: int) -> int:
    """Add copies of the autograded demo students (gradebook rows and autograded notebooks) up to ``count``."""
    from nbgrader.api import Gradebook

    db_url = f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(db_url) as gb:
        templates = [s for s in gb.assignment_submissions(ASSIGNMENT)
                     if (course / "autograded" / s.student.id / ASSIGNMENT).is_dir()]
        scores = {t.student.id: {g.name: g.auto_score for g in t.notebooks[0].grades} for t in templates}
        total = len(scores)
        for i in range(count - total):
            template = templates[i % len(templates)].student.id
            student = f"copy{i:04d}_{template}"
            gb.add_student(student)
            submission = gb.add_submission(ASSIGNMENT, student)
            for grade in submission.notebooks[0].grades:
                grade.auto_score = scores[template][grade.name]
            shutil.copytree(course / "autograded" / template, course / "autograded" / student)
            total += 1
        gb.db.commit()
    return total


def regrade(course: Path) -> tuple[float, str]:
    exe, env = console_script("autograder", extra_env={"COLUMNS": "200"}, inherit=False)
    started = time.monotonic()
    proc = subprocess.run([exe, "regrade", ASSIGNMENT, "--no-feedback"], cwd=course, capture_output=True,
                          text=True, env=env)
    elapsed = time.monotonic() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"autograder regrade failed:\n{proc.stdout}\n{proc.stderr}")
    title = next((line.strip() for line in proc.stdout.splitlines() if "grades changed" in line), "?")
    return elapsed, title


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200, help="submissions in the class (default 200)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-regrade-") as tmp:
        demo = run_demo(tmp, ASSIGNMENT, timeout=5)
        course = demo["course"]
        graded = len(list(course.glob(f"autograded/*/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")))
        per_autograde = demo["timings"]["autograde"] / graded
        total = copy_class(course, args.count)
        same, same_title = regrade(course)
        spec = course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.spec.toml"
        spec.write_text(spec.read_text().replace('reference = "a - y"\nsame_as', 'reference = "y - a"\nsame_as'))
        changed, changed_title = regrade(course)
    print(f"class: {total} autograded submissions of {ASSIGNMENT} ({graded} graded by nbgrader, the rest copies)")
    print(f"baseline nbgrader autograde (kernels): {demo['timings']['autograde']:.1f} s for {graded} = "
          f"{per_autograde:.2f} s/submission -> {per_autograde * total:.0f} s for {total}")
    for label, seconds, title in (("spec unchanged", same, same_title), ("one reference changed", changed,
                                                                          changed_title)):
        print(f"autograder regrade, {label}: {seconds:.1f} s = {1000 * seconds / total:.0f} ms/submission, "
              f"{per_autograde * total / seconds:.0f}x faster than autograding again  [{title}]")


if __name__ == "__main__":
    main()
