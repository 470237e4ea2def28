"""``autograder check NOTEBOOK``: run a filled-in notebook in a real kernel and report every step's check."""

from __future__ import annotations

from autograder.protocol import CHECKS_SUFFIX

HELP = "run a filled-in assignment notebook and print each step's points and feedback (exit 0 if all pass)"
EXAMPLES = """examples:
  autograder check release/ps1/ps1.ipynb
  autograder check ~/ps1/ps1.ipynb --timeout 60
On a grader machine (the notebook is in a course that holds a gradebook or submissions, e.g.
submitted/<student>/ps1/ps1.ipynb) the kernel runs in the grading sandbox (apt-get install -y bubblewrap).
"""


def register(parser) -> None:
    parser.epilog = EXAMPLES
    parser.add_argument("notebook", help=f"the notebook to run (its folder must hold the *{CHECKS_SUFFIX} file)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds each cell may run (default 30)")
    parser.add_argument("--unsandboxed", action="store_true",
                        help="on a grader machine without bubblewrap, run the notebook anyway (with your rights)")


def run(args) -> int:
    from pathlib import Path

    from rich.console import Console
    from rich.table import Table

    from autograder.local_check import check_notebook, on_grader_machine

    path = Path(args.notebook)
    if not path.is_file():
        print(f"error: no notebook at {path}")
        return 2
    sandboxed = on_grader_machine(path)
    if sandboxed:
        from autograder.sandbox import UNSANDBOXED_BANNER, sandbox_problem

        problem = sandbox_problem()
        if problem and not args.unsandboxed:
            print(f"error: {problem}")
            return 2
        if problem:
            print(UNSANDBOXED_BANNER)
            sandboxed = False
    report = check_notebook(path, timeout=args.timeout, sandboxed=sandboxed)
    table = Table(title=f"{path.name}: local checks")
    for column in ("step", "points", "result", "feedback"):
        table.add_column(column, overflow="fold")
    for r in report.results:
        table.add_row(r.title, f"{r.points:g}/{r.max_points:g}", "PASS" if r.passed else "FAIL", r.feedback)
    console = Console()
    console.print(table)
    for problem in report.problems:
        console.print(f"[yellow]note:[/yellow] {problem}", markup=True, highlight=False)
    console.print(f"total: {report.points:g}/{report.max_points:g}", highlight=False)
    return 0 if report.all_passed else 1
