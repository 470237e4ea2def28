"""``autograder derivation FILE``: check that each line follows from the one before. Exit 0 if all do."""

from __future__ import annotations

import json
import sys

from ._options import add_exercise_options, exercise_kwargs

HELP = "check a derivation, one step per line of FILE ('-' for stdin); exit 0 if every line follows"
EXAMPLES = """examples:
  autograder derivation steps.txt --domain 'a=(0,1)' --domain 'y=(0,1)'
  printf 'x^2-1\\n(x-1)(x+1)\\n' | autograder derivation - --symbols x
Blank lines and lines starting with '#' are skipped.
"""


def register(parser) -> None:
    parser.epilog = EXAMPLES
    parser.add_argument("file")
    parser.add_argument("--final", help="the expression the last line must equal")
    add_exercise_options(parser)


def run(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from autograder import DomainError, check_derivation

    try:
        text = sys.stdin.read() if args.file == "-" else open(args.file, encoding="utf-8").read()
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}")
        return 2
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    try:
        result = check_derivation(lines, final=args.final, require_simplified=args.simplified,
                                  **exercise_kwargs(args))
    except DomainError as exc:
        print(f"error: {exc}")
        return 2
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return 0 if result.ok else 1
    table = Table(title=f"Derivation in {args.file}")
    for column in ("line", "expression", "follows", "feedback"):
        table.add_column(column)
    for i, (line, verdict) in enumerate(zip(lines, result.steps), 1):
        mark = "[green]yes[/]" if verdict.equivalent else "[red]no[/]"
        table.add_row(str(i), line, mark, "" if verdict.equivalent else verdict.feedback)
    console = Console()
    console.print(table)
    if result.final is not None:
        console.print(f"last line against --final: {result.final.status}: {result.final.feedback}")
    console.print("[green]every line follows[/]" if result.ok else "[red]the derivation is broken[/]")
    return 0 if result.ok else 1
