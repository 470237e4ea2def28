"""``autograder grade ASSIGNMENT``: autograde every submission in parallel, resumably, with progress."""

from __future__ import annotations

import os
import sys
import time

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


# The classes whose `timeout` a course's config may set for the cells nbgrader runs: nbconvert's preprocessor,
# nbgrader's Execute (a subclass: its section wins over its parent's) and ours (autograder.nbgrader.execute).
CELL_TIMEOUT_CLASSES = ("ExecutePreprocessor", "Execute", "ResilientExecute")


def cell_timeout_overrides(seconds: int) -> dict:
    """Config giving each cell ``seconds``, whichever of the classes above the course's config sets.

    >>> cell_timeout_overrides(5)["Execute.timeout"]
    5
    """
    return {f"{name}.timeout": seconds for name in CELL_TIMEOUT_CLASSES}


def run(args) -> int:
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)
    from rich.table import Table

    from autograder.grading.batch import (Limits, NotReleased, check_gradebook, check_solutions, plan,
                                          previous_results, run_batch, sandbox_overrides)
    from autograder.grading.gradebook_faults import GradebookUnavailable
    from autograder.sandbox import UNSANDBOXED_BANNER, sandbox_problem
    from autograder.warm.provisioner import FELL_BACK, run_fork_problem

    console = Console(soft_wrap=True)  # messages carry commands and paths to copy: never wrap them
    course = os.path.abspath(args.course)
    try:
        todo, done = plan(course, args.assignment, args.students, args.force)
    except FileNotFoundError as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    if not todo and not done:
        console.print(f"[red]error:[/] no submissions of {args.assignment} in {course}/submitted/<student>/")
        return 2
    problem = sandbox_problem() if not args.scheduler else None  # a cluster's workers are checked by grading
    unsandboxed = args.unsandboxed and problem is not None
    if problem and not args.unsandboxed:
        console.print(f"[red]error:[/] {problem}")
        return 2
    if unsandboxed:
        console.print(f"[bold red]{UNSANDBOXED_BANNER}[/] ({problem})")
    elif (no_fork := run_fork_problem()) and not args.scheduler:  # the workers' own logs are not shown
        console.print(f"note: {FELL_BACK}: {no_fork}")
    overrides = sandbox_overrides(args.unsandboxed)
    if args.db_url:
        overrides["CourseDirectory.db_url"] = args.db_url
    if args.cell_timeout:
        overrides.update(cell_timeout_overrides(args.cell_timeout))
    try:
        db_url = check_gradebook(course, args.assignment, overrides, wait=args.gradebook_wait)
    except NotReleased as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    except GradebookUnavailable as exc:
        console.print(f"[red]error:[/] {exc}")
        return 1
    if db_url.startswith("sqlite") and (args.scheduler or args.jobs > 2):
        # SQLite serialises writers, and its locks are not safe on a network file system that several machines share
        console.print(f"[yellow]note:[/] the gradebook is SQLite ({db_url}); with many writers, or workers on "
                      "several machines, use PostgreSQL: --db-url postgresql://user:password@host:5432/gradebook")
    where = f"Dask at {args.scheduler}" if args.scheduler else f"{args.jobs} local process(es)"
    limits = Limits(args.timeout, args.memory, args.gradebook_wait)
    if todo:
        solutions = check_solutions(course, args.assignment, scheduler=args.scheduler, overrides=overrides,
                                    limits=limits)
        if not solutions.ok:
            console.print(f"[red]error:[/] {solutions.reason()}")
            return 1
        unsandboxed = unsandboxed or not solutions.sandboxed
    console.print(f"{args.assignment}: {len(todo)} to grade, {len(done)} already graded (kept) — on {where}")

    failures = 0
    started = time.monotonic()
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("[red]{task.fields[failed]} failed"), TextColumn("{task.fields[rate]}/min"),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("grading", total=len(todo), failed=0, rate="–")

        def on_result(result):
            nonlocal failures
            failures += result["status"] != "graded"
            elapsed = time.monotonic() - started
            count = progress.tasks[0].completed + 1
            progress.update(task, advance=1, failed=failures, rate=f"{60 * count / elapsed:.1f}")

        try:
            results = run_batch(course, todo, jobs=args.jobs, scheduler=args.scheduler, overrides=overrides,
                                limits=limits, on_result=on_result)
        except KeyboardInterrupt:
            console.print("[yellow]interrupted:[/] run the same command again to grade the rest")
            return 130

    elapsed = time.monotonic() - started
    table = Table(title=f"{args.assignment}: graded in {elapsed:.1f} s")
    for col in ("student", "status", "score", "seconds", "peak MB", "message"):
        table.add_column(col, justify="right" if col in ("score", "seconds", "peak MB") else "left")
    for r in sorted(results + previous_results(course, done), key=lambda r: r["student"]):
        score = f"{r['score']:g} / {r['max_score']:g}" if "score" in r else "–"
        style = {"graded": "green", "kept": "dim", "failed": "red"}[r["status"]]
        table.add_row(r["student"], f"[{style}]{r['status']}[/]", score, f"{r.get('seconds', 0):.1f}",
                      f"{r.get('peak_rss_mb', 0):.0f}", r.get("error", "") or "; ".join(
                          [*r.get("repairs", []), *(["graded again after a gradebook fault"]
                                                    if r.get("gradebook_faults") else [])]))
    console.print(table)
    for r in sorted(results, key=lambda r: r["student"]):
        if r["status"] == "failed":  # in full, unwrapped: the table cell may be cut short
            console.print(f"[red]failed[/] {r['student']}: {r.get('error', '')}", soft_wrap=True)
    if results:
        again = sum(bool(r.get("gradebook_faults")) for r in results)
        console.print(f"this run: {len(results) - failures} graded, {failures} failed, "
                      f"{60 * len(results) / elapsed:.1f} submissions/min"
                      + (f", {again} graded again after a gradebook fault" if again else ""))
    down = next((r["gradebook_down"] for r in results if r.get("gradebook_down")), None)
    if down:
        console.print(f"[red]stopped:[/] {down}; run the same command again once it answers")
    if unsandboxed or any(r.get("sandbox", "").startswith("none") for r in results):
        console.print(f"[bold red]{UNSANDBOXED_BANNER}[/] (recorded in each .autograder/graded/"
                      f"{args.assignment}/<student>.json and autograded notebook)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(run(None))
