"""``autograder equiv ANSWER REFERENCE``: is one expression equivalent to another? Exit 0 if so."""

from __future__ import annotations

import json

from ._options import add_exercise_options, exercise_kwargs

HELP = "check whether ANSWER is equivalent to REFERENCE (exit 0 if it is, 1 if not)"
EXAMPLES = """examples:
  autograder equiv "a(1-a)" "exp(-z)/(1+exp(-z))^2" --define 'a=1/(1+exp(-z))'
  autograder equiv "log(a*b)" "log(a)+log(b)" --domain 'a=(0,)' --domain 'b=(0,)'
  autograder equiv "\\frac{a-y}{a(1-a)}" "-y/a+(1-y)/(1-a)" --domain 'a=(0,1)' --json
"""


def register(parser) -> None:
    parser.epilog = EXAMPLES
    parser.add_argument("answer")
    parser.add_argument("reference")
    add_exercise_options(parser)


def run(args) -> int:
    from autograder import DomainError, check_equivalent

    try:
        verdict = check_equivalent(args.answer, args.reference, require_simplified=args.simplified,
                                   **exercise_kwargs(args))
    except DomainError as exc:
        print(f"error: {exc}")
        return 2
    if args.json:
        print(json.dumps(verdict.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(f"{verdict.status}: {verdict.feedback}")
        print(f"  (decided by {verdict.method})")
    return 0 if verdict.accepted else 1
