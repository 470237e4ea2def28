"""Which code `autograder regrade` treats as the judging code: a verdict is reused only while none of it changed.
The files are found by reading imports from the module that computes verdicts, so a module added to the engine
or moved into a subpackage still counts."""

import json
import subprocess
import sys
from pathlib import Path

from autograder.nbgrader.judge import JUDGING_MODULE, judging_files

PACKAGE = Path(__file__).resolve().parents[2] / "autograder"


def test_a_module_moved_into_a_subpackage_still_counts(tmp_path):
    package = tmp_path / "pkg"
    files = {
        "__init__.py": "",
        "scoring.py": "from .engine.core import compare\nfrom pkg import helpers\n\n"
                      "def score():\n    from pkg.engine import late\n    import json\n    return compare, late\n",
        "helpers.py": "from . import constants\n",
        "constants.py": "",
        "engine/__init__.py": "",
        "engine/core.py": "from ..constants import *\nfrom .late import later\n",
        "engine/late.py": "def later():\n    from pkg.engine.deep.rules import RULE\n",
        "engine/deep/__init__.py": "",
        "engine/deep/rules.py": "RULE = 1\n",
        "unrelated.py": "import pkg.scoring\n",  # imports the judging code; is not part of it
        "cli.py": "",
    }
    for name, text in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    found = {p.relative_to(package).as_posix() for p in judging_files("pkg.scoring", package)}
    assert found == set(files) - {"unrelated.py", "cli.py"}


_LOADED_WHILE_JUDGING = """
import json, sys
def ours():
    return {m.__file__ for name, m in list(sys.modules.items())
            if name.split(".")[0] == "autograder" and getattr(m, "__file__", None)}
import autograder.scoring as scoring
at_import = ours()
from pathlib import Path
from autograder.authoring.build import grading_step
from autograder.authoring.spec import Spec
before = ours()
for assignment, answers in json.loads(sys.argv[1]).items():
    spec = Spec.from_file(Path("source") / assignment / f"{assignment}.spec.toml")
    for step in spec.steps:
        info, reference = grading_step(spec, step)
        for answer in answers:
            scoring.score_answer(info, answer, reference=reference, engine=spec.engine_kwargs())
print(json.dumps(sorted(at_import | (ours() - before))))
"""


def test_every_module_loaded_while_judging_is_hashed():
    """In a fresh interpreter: what importing the judging module loads, and what judging answers to every step of
    a scalar and a matrix assignment loads on top (lazy imports included), is all among the hashed files."""
    answers = {"ps1": ["a - y", "(a-y", "diff(L, a)", "0"], "ps3": ["A2 - Y", "W2 @ A1", "1/0"]}
    proc = subprocess.run([sys.executable, "-c", _LOADED_WHILE_JUDGING, json.dumps(answers)], cwd=PACKAGE.parent,
                          capture_output=True, text=True, timeout=300, check=True)
    loaded = {Path(p).resolve() for p in json.loads(proc.stdout)}
    hashed = set(judging_files(JUDGING_MODULE, PACKAGE))
    assert loaded - hashed == set()
    assert {PACKAGE / "scoring.py", PACKAGE / "protocol.py", PACKAGE / "compare.py", PACKAGE / "parse.py"} <= hashed
