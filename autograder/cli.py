"""The ``autograder`` command line: one subcommand per module in ``autograder.commands``."""

from __future__ import annotations

import argparse
import importlib
import sys

# Subcommand name -> module in autograder.commands. Each module defines
# ``HELP`` (one line), ``register(parser)`` to add its arguments and
# ``run(args) -> int`` (the process exit code). Modules are imported only when
# listed or run, so ``autograder equiv`` never pays for importing nbgrader.
SUBCOMMANDS = {
    "equiv": "equiv",
    "derivation": "derivation",
    "check": "check",
    "demo": "demo",
    "build": "build",
    "grade": "grade",
    "regrade": "regrade",
}


def _load(name: str):
    return importlib.import_module(f"autograder.commands.{SUBCOMMANDS[name]}")


def build_parser(names=None) -> argparse.ArgumentParser:
    """The full argument parser; ``names`` limits which subcommands are imported.

    >>> build_parser(["equiv"]).prog
    'autograder'
    """
    parser = argparse.ArgumentParser(
        prog="autograder",
        description="Check chain-rule derivations symbolically and grade them with nbgrader.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in names or SUBCOMMANDS:
        try:
            module = _load(name)
        except ModuleNotFoundError:
            continue  # a subcommand whose module is not written yet is simply not offered
        module.register(sub.add_parser(name, help=module.HELP, description=module.HELP,
                                       formatter_class=argparse.RawDescriptionHelpFormatter))
    return parser


def _venv_on_path() -> None:
    """Put this interpreter's bin folder on PATH: nbgrader runs `alembic` and the kernels by name."""
    import os

    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def main(argv=None) -> int:
    _venv_on_path()
    argv = list(sys.argv[1:] if argv is None else argv)
    names = [argv[0]] if argv and argv[0] in SUBCOMMANDS else None
    args = build_parser(names).parse_args(argv)
    return _load(args.command).run(args)


if __name__ == "__main__":
    sys.exit(main())
