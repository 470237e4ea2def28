"""``autograder demo``: the whole instructor path on the demo class, in a scratch copy of the course."""

from __future__ import annotations

HELP = "grade the demo class with the real nbgrader commands in a temporary course copy and print the grades"
EXAMPLES = """examples:
  autograder demo                      # = make demo: every assignment with a demo class
  autograder demo ps1                  # only ps1's demo class
  autograder demo --dir /tmp/course    # grade in this folder (created; must be empty or absent)
  autograder demo --timeout 5          # seconds before a looping cell is interrupted
"""


def register(parser) -> None:
    parser.epilog = EXAMPLES
    parser.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                        help="assignments to grade (default: every one with a demo class)")
    parser.add_argument("--dir", help="course folder to grade in (default: a new temporary folder, kept)")
    parser.add_argument("--timeout", type=int, default=None,
                        help="seconds each cell may run during autograde (default: nbgrader_config.py)")
    parser.add_argument("--unsandboxed", action="store_true",
                        help="grade even without bubblewrap (student code then runs with your rights)")


def without_demo_course() -> str | None:
    """The one line saying the demo needs the repository, when this installation has no demo course beside it
    (an installed wheel holds the package only: not ``source/`` nor ``tests/data/demo_class/``), else None."""
    from autograder.demo import DEMO_CLASS, REPO

    needed = [REPO / "source", REPO / "nbgrader_config.py", DEMO_CLASS]
    if all(path.exists() for path in needed):
        return None
    return ("autograder demo needs the repository's demo course (source/, nbgrader_config.py, "
            "tests/data/demo_class/), which the installed package does not hold: clone the repository it comes from "
            f"(git clone {installed_from() or '<its URL>'}) and run `make demo` or `autograder demo` in the clone")


def installed_from() -> str | None:
    """The repository pip installed this package from (``pip install 'chainrule-grader @ git+URL'`` records it in
    the distribution's direct_url.json, PEP 610), or None (a wheel file, an index, a clone)."""
    import json
    from importlib import metadata

    from autograder.cli import DISTRIBUTION

    try:
        found = json.loads(metadata.distribution(DISTRIBUTION).read_text("direct_url.json") or "{}")
    except (metadata.PackageNotFoundError, ValueError):
        return None
    return found.get("url") if isinstance(found, dict) and "vcs_info" in found else None


def run(args) -> int:
    import os
    import sys
    import tempfile
    import time
    from pathlib import Path

    from rich.console import Console

    from autograder.demo import demo_assignments, grade_table, prepare_course, run_demo
    from autograder.sandbox import UNSANDBOXED_BANNER, sandbox_problem

    missing_course = without_demo_course()
    if missing_course:
        print(missing_course, file=sys.stderr)
        return 2
    # piped into a file or a CI log, rich would assume 80 columns and cut ps4's ten step names to "d…"
    console = Console(width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160)
    known = demo_assignments()
    unknown = [a for a in args.assignments if a not in known]
    if unknown:
        console.print(f"error: no demo class for {', '.join(unknown)}; there is one for {', '.join(known)}")
        return 2
    if args.dir and Path(args.dir).exists() and any(Path(args.dir).iterdir()):
        console.print(f"error: {args.dir} is not empty")
        return 2
    workdir = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="autograder-demo-"))  # made once checked
    missing = sandbox_problem()
    if missing and not args.unsandboxed:
        console.print(f"error: {missing}", highlight=False, markup=False, soft_wrap=True)
        return 2
    if missing:  # opted out: the demo course's config says so, and the output at its start and end
        console.print(f"[bold red]{UNSANDBOXED_BANNER}[/] ({missing})")
        prepare_course(workdir)
        with open(workdir / "nbgrader_config.py", "a", encoding="utf-8") as config:
            config.write("\n# autograder demo --unsandboxed, on a machine without bubblewrap\n"
                         "c.SandboxedKernelManager.require_sandbox = False\n")
    console.print(f"Grading the demo class in {workdir} (log: {workdir / 'demo.log'}) …", highlight=False)
    started = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    ok = True
    with open(workdir / "demo.log", "w", encoding="utf-8") as log:
        for assignment in args.assignments or known:
            result = run_demo(workdir, assignment, timeout=args.timeout, log=log)
            console.print(grade_table(result))
            for problem in result["problems"]:
                console.print(f"problem: {problem}", highlight=False, markup=False)
            steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result["timings"].items())
            console.print(f"{assignment} with nbgrader: {steps}", highlight=False)
            ok = ok and all(result["scores"].get(s.id, {}).get(k) == v
                            for s in result["students"] for k, v in s.expected.items())
    if missing:
        console.print(f"[bold red]{UNSANDBOXED_BANNER}[/]")
    console.print(f"total {time.monotonic() - started:.1f} s. Results kept in {workdir}: "
                  f"feedback/<student>/<assignment>/<assignment>.html, grades.csv, gradebook.db", highlight=False)
    console.print(f"what a class got wrong: cd {workdir} && autograder report {(args.assignments or known)[0]}",
                  highlight=False, soft_wrap=True)
    return 0 if ok else 1
