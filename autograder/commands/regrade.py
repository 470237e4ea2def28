"""``autograder regrade ASSIGNMENT``: judge the recorded answers of every autograded submission again after the
spec changed (a reference fixed, a mistake or hint added, points changed), without starting a kernel."""

from __future__ import annotations

import os

HELP = "judge every autograded submission of ASSIGNMENT again against the current spec (no kernel) and update grades"
EXAMPLES = """examples:
  autograder regrade ps1                       # after editing source/ps1/ps1.spec.toml
  autograder regrade ps1 --students alice bob
  autograder regrade ps1 --db-url postgresql://grader@127.0.0.1:5432/gradebook
The answers come from the autograded notebooks (kept there by grading); the gradebook's scores, the autograded
notebooks' outputs and the spec's SHA-256 recorded in each are updated. Feedback pages of students whose grades
changed are generated again when they already had one.
"""


def register(parser) -> None:
    parser.epilog = EXAMPLES
    parser.add_argument("assignment")
    parser.add_argument("--students", nargs="+", metavar="ID", help="only these students")
    parser.add_argument("--db-url", help="nbgrader gradebook URL (default: the course's)")
    parser.add_argument("--course", default=".", help="course folder (default: the current one)")
    parser.add_argument("--no-feedback", action="store_true", help="do not generate feedback pages again")


def run(args) -> int:
    import time

    from rich.console import Console

    from autograder.grading.grade_one import load_course_config
    from autograder.nbgrader.regrade import regrade
    from autograder.authoring.spec import SpecError

    console = Console(soft_wrap=True)
    course = os.path.abspath(args.course)
    config = load_course_config(course, {"CourseDirectory.db_url": args.db_url} if args.db_url else None)
    started = time.monotonic()
    try:
        report = regrade(config, args.assignment, args.students)
    except (FileNotFoundError, SpecError) as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    elapsed = time.monotonic() - started
    console.print(change_table(report, args.assignment))
    for student, why in sorted(report.skipped.items()):
        console.print(f"[yellow]not regraded:[/] {student}: {why}", highlight=False)
    before = {h for h in report.previous_hashes.values()} - {report.spec_sha256}
    console.print(f"{len(report.regraded)} submission(s) judged in {elapsed:.1f} s against spec sha256 "
                  f"{report.spec_sha256[:12]}" + (f" (before: {', '.join(sorted(str(h)[:12] for h in before))})"
                                                   if before else ""), highlight=False)
    changed = sorted({c.student for c in report.changes})
    if changed and not args.no_feedback:
        _feedback_again(config, args.assignment, changed, course, console)
    return 1 if report.skipped else 0


def change_table(report, assignment: str):
    """A rich Table of the changed grades: student, step, old → new points, and the feedback now given."""
    from rich.table import Table

    table = Table(title=f"{assignment}: grades changed by regrading ({len(report.changes)})")
    for column in ("student", "step", "old → new", "feedback"):
        table.add_column(column, overflow="fold")
    for c in sorted(report.changes, key=lambda c: (c.student, c.notebook, c.step)):
        colour = "green" if c.delta > 0 else "red"
        note = "" if c.manual is None else f" (manual score {c.manual:g} still counts)"
        old = "—" if c.old is None else f"{c.old:g}"
        table.add_row(c.student, c.step, f"[{colour}]{old} → {c.new:g}[/] / {c.max_points:g}", c.feedback + note)
    return table


def _feedback_again(config, assignment, students, course, console) -> None:
    """nbgrader generate_feedback for the students whose grades changed and who already had a feedback page."""
    from pathlib import Path

    from nbgrader.apps import NbGraderAPI

    api = NbGraderAPI(config=config)
    had = [s for s in students
           if Path(api.coursedir.format_path(api.coursedir.feedback_directory, s, assignment)).is_dir()]
    for student in had:
        result = api.generate_feedback(assignment, student, force=True)
        if not result.get("success"):
            console.print(f"[yellow]feedback not generated again for {student}:[/] {result.get('error', '')[-300:]}")
    if had:
        console.print(f"feedback generated again for {len(had)} student(s)")
