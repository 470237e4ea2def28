"""``autograder grade ASSIGNMENT``: autograde every submission in parallel, resumably, with progress."""

from __future__ import annotations

import os

HELP = "autograde every submission of ASSIGNMENT with nbgrader, in parallel and resumable"
EXAMPLES = """examples:
  autograder grade ps1                      # all of submitted/*/ps1 on 2 local processes
  autograder grade ps1 --jobs 4 --students alice bob
  autograder grade ps1 --db-url "postgresql://grader:$GRADEBOOK_PASSWORD@db.example:5432/gradebook"
  autograder grade ps1 --scheduler tls://scheduler.example:8786   # a TLS-secured Dask cluster sharing this folder
Interrupted (Ctrl-C, a crash), run the same command again: what was graded stays graded.
Student code runs in a bubblewrap sandbox (apt-get install -y bubblewrap); before the class, the source
notebook's solutions are graded the same way, and anything short of full marks stops the batch.
"""


def register(parser) -> None:
    parser.epilog = EXAMPLES
    parser.add_argument("assignment")
    parser.add_argument("--jobs", "-j", type=int, default=min(2, os.cpu_count() or 1),
                        help="local processes (default: 2 or the number of cores)")
    parser.add_argument("--students", nargs="+", metavar="ID", help="only these students")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler to run the gradings on")
    parser.add_argument("--db-url", help="nbgrader gradebook URL (default: the course's, SQLite)")
    parser.add_argument("--course", default=".", help="course folder (default: the current one)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per submission (default 600)")
    parser.add_argument("--memory", type=int, default=4096, help="MiB per submission (default 4096)")
    parser.add_argument("--gradebook-wait", type=float, default=60, metavar="SECONDS",
                        help="how long a gradebook that went away (a restart, a failover) is waited for before the "
                             "batch stops; gradings it broke are graded again (default 60)")
    parser.add_argument("--cell-timeout", type=int, help="seconds per cell (replaces the course config's ExecutePreprocessor/Execute.timeout)")
    parser.add_argument("--force", action="store_true", help="grade again what is already graded")
    parser.add_argument("--unsandboxed", action="store_true",
                        help="grade even without bubblewrap (student code then runs with your rights; recorded)")


def run(args) -> int:
    """Parse the options, build the backend, plan the batch, run it, report it."""
    from rich.console import Console

    from autograder.grading.backends import backend_for
    from autograder.grading.batch import BatchStop, plan_batch, run_batch
    from autograder.grading.progress import print_plan, print_summary, progress_bar

    console = Console(soft_wrap=True)  # messages carry commands and paths to copy: never wrap them
    backend = backend_for(args.jobs, args.scheduler)
    try:
        batch = plan_batch(args.course, args.assignment, backend, options(args))
    except BatchStop as stop:
        console.print(f"[red]error:[/] {stop}")
        return stop.exit_code
    print_plan(console, batch, backend.where)
    with progress_bar(console, len(batch.todo)) as advance:
        try:
            outcome = run_batch(backend, batch, on_result=advance)
        except KeyboardInterrupt:
            console.print("[yellow]interrupted:[/] run the same command again to grade the rest")
            return 130
    print_summary(console, batch, outcome)
    return outcome.exit_code


def options(args):
    """The run's options from the command line."""
    from autograder.grading.batch import GradingOptions
    from autograder.grading.tasks import Limits

    return GradingOptions(students=tuple(args.students) if args.students else None, force=args.force,
                          db_url=args.db_url, cell_timeout=args.cell_timeout, unsandboxed=args.unsandboxed,
                          limits=Limits(args.timeout, args.memory, args.gradebook_wait))
