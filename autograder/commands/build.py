"""``autograder build SPEC``: validate an exercise spec and write its source notebook and local-check samples."""

from __future__ import annotations

from autograder.protocol import CHECKS_SUFFIX

HELP = f"validate an exercise spec (TOML) and write <name>.ipynb and <name>{CHECKS_SUFFIX} next to it"
EXAMPLES = """examples:
  autograder build source/ps1/ps1.spec.toml
  nbgrader generate_assignment ps1 --force    # then regenerate the release
"""


def register(parser) -> None:
    parser.epilog = EXAMPLES
    parser.add_argument("spec", nargs="+", help="spec file(s), e.g. source/ps1/ps1.spec.toml")


def run(args) -> int:
    from autograder.authoring.build import build
    from autograder.authoring.spec import SpecError

    status = 0
    for spec in args.spec:
        try:
            notebook, checks = build(spec)
        except SpecError as exc:
            print(f"error: {exc}")
            status = 1
            continue
        print(f"wrote {notebook} and {checks}")
    return status
