"""The distribution's extras hold the pinned versions, and a command whose extra is missing names it in one line."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from autograder.cli import COMMAND_EXTRAS, DISTRIBUTION, EXTRA_MODULES, SUBCOMMANDS, extra_message

REPO = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]

# Runs the CLI with `blocked` top-level modules made unimportable, as in an environment without them: a finder first
# on sys.meta_path refuses them the way a missing module fails (ModuleNotFoundError naming it).
BLOCKED_CLI = """
import sys
blocked = set(sys.argv[1].split(","))

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Blocker())
from autograder.cli import main
sys.exit(main(sys.argv[2:]))
"""


def cli_without(blocked: list[str], *argv: str, cwd=None) -> subprocess.CompletedProcess:
    """``autograder ARGV`` in a fresh interpreter in which the modules ``blocked`` cannot be imported."""
    return subprocess.run([sys.executable, "-c", BLOCKED_CLI, ",".join(blocked) or "-", *argv], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin",
                                                                            "COLUMNS": "200"})


def pins() -> dict[str, str]:
    """constraints.txt as {canonical name: pinned version}."""
    lines = (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines()
    return {canonicalize_name(name): version.strip() for name, sep, version in
            (line.split("#")[0].strip().partition("==") for line in lines) if sep}


def disagreements(requirements, pinned: dict[str, str]) -> list[str]:
    """The requirements whose range leaves out the pinned version, or that are not pinned at all."""
    bad = []
    for text in requirements:
        req = Requirement(text)
        version = pinned.get(canonicalize_name(req.name))
        if version is None or not req.specifier.contains(version, prereleases=True):
            bad.append(f"{text} (pinned: {version})")
    return bad


def test_the_distribution_is_not_the_other_autograder():
    assert PROJECT["name"] == DISTRIBUTION == "chainrule-grader"
    assert PROJECT["scripts"]["autograder"] == "autograder.cli:main"


def test_dependencies_and_extras_hold_the_pins():
    pinned = pins()
    requirements = PROJECT["dependencies"] + sum(PROJECT["optional-dependencies"].values(), [])
    assert len(requirements) >= 12
    assert disagreements(requirements, pinned) == []
    # the near misses: a range beside the pin, and a dependency constraints.txt does not pin
    assert disagreements(["nbgrader>=0.10", "nbgrader==0.9.6", "notpinned>=1"], pinned) == [
        "nbgrader>=0.10 (pinned: 0.9.6)", "notpinned>=1 (pinned: None)"]


def test_each_extra_the_cli_names_installs_its_modules():
    extras = PROJECT["optional-dependencies"]
    assert set(EXTRA_MODULES) == set(extras) == {"nbgrader", "dask", "postgres", "report", "hub"}
    assert set(COMMAND_EXTRAS.values()) <= set(extras) and set(COMMAND_EXTRAS) <= set(SUBCOMMANDS)
    for extra, modules in EXTRA_MODULES.items():  # the distribution of each module is declared in that extra
        declared = {canonicalize_name(Requirement(r).name) for r in extras[extra]}
        for module in modules:
            assert {canonicalize_name(d) for d in packages_distributions()[module]} & declared, (extra, module)


def test_a_missing_extra_is_one_line_and_exit_2(tmp_path):
    proc = cli_without(["nbgrader"], "grade", "ps1", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == extra_message("grade", "nbgrader") + "\n" and proc.stdout == ""
    assert proc.stderr == "autograder grade needs the nbgrader extra: pip install 'chainrule-grader[nbgrader]'\n"
    # the near miss: with nbgrader there, the same command goes on to look for submissions
    proc = cli_without([], "grade", "ps1", cwd=tmp_path)
    assert proc.returncode == 2 and "no submissions of ps1" in proc.stdout and "extra" not in proc.stderr


def test_an_option_needing_an_extra_names_it(tmp_path):
    proc = cli_without(["distributed"], "grade", "ps1", "--scheduler", "tcp://127.0.0.1:1", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (2, extra_message("grade", "dask") + "\n")
    proc = cli_without(["psycopg"], "regrade", "ps1", "--db-url", "postgresql://u@127.0.0.1:1/g", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (2, extra_message("regrade", "postgres") + "\n")


def test_help_lists_every_command_without_the_extras():
    proc = cli_without(["nbgrader", "nbformat", "nbclient", "distributed", "psycopg"], "--help")
    assert proc.returncode == 0, proc.stderr
    listed = re.findall(r"^ {4}(\w+)", proc.stdout, re.MULTILINE)  # a command's line, not a help line's wrap
    assert listed == list(SUBCOMMANDS)
    assert "(needs: pip install 'chainrule-grader[nbgrader]')" in proc.stdout


def test_the_core_commands_work_without_the_extras():
    proc = cli_without(["nbgrader", "nbformat", "nbclient", "ipykernel", "jupyter_client"], "equiv", "2*x", "x+x")
    assert proc.returncode == 0 and "equivalent" in proc.stdout, proc.stderr
