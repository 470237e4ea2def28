"""``autograder report ASSIGNMENT``: what the class got wrong, per step, from what grading recorded (no kernel, no
regrading): a self-contained HTML page with plots, plus JSON and CSV (see autograder/classreport/)."""

from __future__ import annotations

import os

HELP = "report what the class got wrong in ASSIGNMENT, per step, from the graded notebooks (HTML, JSON, CSV)"
EXAMPLES = """examples:
  autograder report ps1                         # after grading: reports/ps1-report.html, .json, .csv
  autograder report ps1 --format html --out /tmp/ps1
  cp reports/ps1-report.json before.json; autograder regrade ps1; autograder report ps1 --compare before.json
  autograder report ps1 --db-url postgresql://grader@127.0.0.1:5432/gradebook
Scores come from the gradebook; each step's verdict, answer and diagnosis from the autograded notebooks, read only
under the grader's seal (as autograder regrade reads them). The HTML opens offline: plots and math are inline SVG.
"""
FORMATS = ("html", "json", "csv")


def register(parser) -> None:
    parser.epilog = EXAMPLES
    parser.add_argument("assignment")
    parser.add_argument("--db-url", help="nbgrader gradebook URL (default: the course's)")
    parser.add_argument("--course", default=".", help="course folder (default: the current one)")
    parser.add_argument("--out", default="reports", help="folder to write into (default: reports/ in the course)")
    parser.add_argument("--format", action="append", choices=FORMATS, dest="formats",
                        help="write only this format (repeatable; default: all three)")
    parser.add_argument("--compare", metavar="JSON",
                        help="an earlier report's JSON (e.g. made before `autograder regrade`): show before → now")


def run(args) -> int:
    import time

    from autograder.authoring.spec import SpecError
    from autograder.classreport.records import read_class
    from autograder.classreport.render import write_report
    from autograder.grading.course_config import load_course_config

    course = os.path.abspath(args.course)
    config = load_course_config(course, {"CourseDirectory.db_url": args.db_url} if args.db_url else None)
    before = None
    if args.compare:
        import json

        from autograder.classreport.compare import earlier_state

        try:
            with open(args.compare, encoding="utf-8") as f:
                before = json.load(f)
            earlier_state(before, args.assignment)  # checked before any work: a wrong file is said at once
        except (OSError, ValueError, RecursionError) as exc:  # RecursionError: JSON nested too deep to read
            print(f"error: --compare {args.compare}: {exc}")
            return 2
    started = time.monotonic()
    try:
        records = read_class(config, args.assignment)
    except (FileNotFoundError, SpecError) as exc:
        print(f"error: {exc}")
        return 2
    if not records.scores:
        print(f"error: no submission of {args.assignment} in the gradebook: grade it first")
        return 2
    out = args.out if os.path.isabs(args.out) else os.path.join(course, args.out)
    paths = write_report(records, out, tuple(args.formats or FORMATS), before=before)
    for student, why in sorted(records.unread.items()):
        print(f"not counted per step: {student}: {why}")
    print(f"{args.assignment}: {len(records.scores)} submission(s) reported in {time.monotonic() - started:.1f} s")
    for path in paths:
        print(f"  {path}")
    return 0
