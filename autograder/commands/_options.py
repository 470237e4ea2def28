"""Command-line options shared by the engine's subcommands: --domain, --define, --symbols, --forbid, --json."""

from __future__ import annotations

import argparse
import re

from autograder.domain import DomainError  # the commands say it in one line, exit 2


def add_exercise_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--domain", action="append", default=[], metavar="NAME=(LO,HI)",
                        help="a symbol's open interval, e.g. 'a=(0,1)' or 'x=(0,)'; or a set 'y={0,1}'")
    parser.add_argument("--define", action="append", default=[], metavar="NAME=EXPR",
                        help="a symbol defined by an expression, e.g. 'a=1/(1+exp(-z))'")
    parser.add_argument("--symbols", default="", help="extra symbol names an answer may use, comma-separated")
    parser.add_argument("--forbid", default="", help="names an answer may not use, e.g. 'diff,Derivative'")
    parser.add_argument("--simplified", action="store_true", help="require the simplest form")
    parser.add_argument("--decimals", choices=("exact", "rounded"), default="rounded",
                        help="a lone decimal answer must be the value itself (exact), or may round it to at least "
                             "4 significant digits (rounded, the default)")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds per check (default 2)")
    parser.add_argument("--json", action="store_true", help="print the verdict as JSON")


def parse_domain(items: list[str]) -> dict:
    """'a=(0,1)' → {'a': (0.0, 1.0)}; 'y={0,1}' → {'y': {0.0, 1.0}}; an empty end is None.

    >>> parse_domain(["a=(0,1)", "x=(0,)", "y={0,1}"])
    {'a': (0.0, 1.0), 'x': (0.0, None), 'y': {0.0, 1.0}}
    """
    result = {}
    for item in items:
        m = re.fullmatch(r"\s*([A-Za-z]\w*)\s*=\s*([({])(.*)([)}])\s*", item)
        if not m or (m.group(2) == "(") != (m.group(4) == ")"):
            raise DomainError(f"--domain {item!r}: write NAME=(LO,HI) or NAME={{V1,V2,...}}")
        name, values = m.group(1), [v.strip() for v in m.group(3).split(",")]
        try:
            numbers = [float(v) if v else None for v in values]
        except ValueError:
            raise DomainError(f"--domain {item!r}: the bounds must be numbers") from None
        if m.group(2) == "{":
            result[name] = set(numbers)
        elif len(numbers) != 2:
            raise DomainError(f"--domain {item!r}: an interval has two ends")
        else:
            result[name] = tuple(numbers)
    return result


def parse_define(items: list[str]) -> dict:
    """'a=1/(1+exp(-z))' → {'a': '1/(1+exp(-z))'}."""
    result = {}
    for item in items:
        name, sep, body = item.partition("=")
        if not sep or not name.strip().isidentifier():
            raise DomainError(f"--define {item!r}: write NAME=EXPRESSION")
        result[name.strip()] = body.strip()
    return result


def exercise_kwargs(args) -> dict:
    return dict(domain=parse_domain(args.domain), define=parse_define(args.define),
                symbols=[s for s in args.symbols.split(",") if s.strip()],
                forbid=tuple(s for s in args.forbid.split(",") if s.strip()), timeout=args.timeout,
                decimals=args.decimals)
