"""The ``autograder`` command line: one subcommand per module in ``autograder.commands``."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys

from autograder.venv_path import put_bin_on_path

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
    "report": "report",
    "hub": "hub",
}

DISTRIBUTION = "chainrule-grader"  # the name on the package index (pyproject.toml); "autograder" there is another's

# Extra of pyproject.toml -> the top-level modules it installs that the commands import.
EXTRA_MODULES = {
    "nbgrader": ("nbgrader", "nbformat", "nbclient", "nbconvert", "ipykernel", "jupyter_client", "psutil"),
    "dask": ("dask", "distributed"),
    "postgres": ("psycopg",),
    "report": ("nbgrader", "nbformat", "matplotlib"),
    "hub": ("jupyterhub", "jupyterlab", "nbgrader", "psutil"),
}

# Subcommand -> the extra it always needs (equiv and derivation need only the core dependencies).
COMMAND_EXTRAS = {"check": "nbgrader", "demo": "nbgrader", "build": "nbgrader", "grade": "nbgrader",
                  "regrade": "nbgrader", "report": "report", "hub": "hub"}


def _load(name: str):
    return importlib.import_module(f"autograder.commands.{SUBCOMMANDS[name]}")


def _installed(module: str) -> bool:
    """Whether ``module`` can be imported here, without importing it (nbgrader alone takes seconds).

    >>> _installed("sympy"), _installed("no_such_module_here")
    (True, False)
    """
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a finder that refuses it, or a half-imported module without a spec
        return False


def missing_extra(names) -> str | None:
    """The first of the extras ``names`` whose modules are not all installed, or None.

    >>> missing_extra([]) is None, missing_extra(["nbgrader"]) is None  # this test venv has the nbgrader extra
    (True, True)
    """
    return next((extra for extra in names if not all(map(_installed, EXTRA_MODULES[extra]))), None)


def extras_needed(command: str, args=None) -> list[str]:
    """The extras ``command`` needs, with the options of ``args`` (a Dask scheduler, a PostgreSQL gradebook).

    >>> extras_needed("equiv"), extras_needed("grade")
    ([], ['nbgrader'])
    """
    needed = [COMMAND_EXTRAS[command]] if command in COMMAND_EXTRAS else []
    if getattr(args, "scheduler", None):
        needed.append("dask")
    if str(getattr(args, "db_url", None) or "").startswith("postgres"):
        needed.append("postgres")
    return needed


def extra_message(command: str, extra: str) -> str:
    """The one line that says which extra a command needs and how to install it.

    >>> extra_message("grade", "nbgrader")
    "autograder grade needs the nbgrader extra: pip install 'chainrule-grader[nbgrader]'"
    """
    return f"autograder {command} needs the {extra} extra: pip install '{DISTRIBUTION}[{extra}]'"


def _extra_of_module(module: str | None) -> str | None:
    """The extra that installs top-level module ``module`` (e.g. ``nbgrader.apps``), or None."""
    top = (module or "").split(".")[0]
    return next((extra for extra, modules in EXTRA_MODULES.items() if top in modules), None)


def build_parser(names=None) -> argparse.ArgumentParser:
    """The full argument parser; ``names`` limits which subcommands are imported.

    Every subcommand is listed whatever is installed (their modules import only the standard library at the top);
    one whose extra is missing says so in its help line.

    >>> build_parser(["equiv"]).prog
    'autograder'
    """
    parser = argparse.ArgumentParser(
        prog="autograder",
        description="Check chain-rule derivations symbolically and grade them with nbgrader.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in names or SUBCOMMANDS:
        module = _load(name)
        extra = missing_extra(extras_needed(name))
        help_line = module.HELP + (f" (needs: pip install '{DISTRIBUTION}[{extra}]')" if extra else "")
        module.register(sub.add_parser(name, help=help_line, description=help_line,
                                       formatter_class=argparse.RawDescriptionHelpFormatter))
    return parser


def main(argv=None) -> int:
    put_bin_on_path()  # nbgrader runs `alembic` and the kernels by name
    argv = list(sys.argv[1:] if argv is None else argv)
    names = [argv[0]] if argv and argv[0] in SUBCOMMANDS else None
    args = build_parser(names).parse_args(argv)
    extra = missing_extra(extras_needed(args.command, args))
    if extra:
        print(extra_message(args.command, extra), file=sys.stderr)
        return 2
    try:
        return _load(args.command).run(args)
    except ModuleNotFoundError as exc:  # an extra needed on a path the checks above do not foresee
        extra = _extra_of_module(exc.name)
        if extra is None or _installed(exc.name.split(".")[0]):
            raise  # not an extra's module, or a broken installation: the traceback says more than a hint
        print(extra_message(args.command, extra), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
