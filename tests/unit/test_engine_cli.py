"""The engine's command line: `autograder equiv` and `autograder derivation`, run as a user would."""

import json
import subprocess
import sys

import pytest


def autograder(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "autograder.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=60)


def test_equiv_exit_codes_and_json():
    ok = autograder("equiv", "a(1-a)", "exp(-z)/(1+exp(-z))^2", "--define", "a=1/(1+exp(-z))")
    assert ok.returncode == 0 and ok.stdout.startswith("equivalent")
    bad = autograder("equiv", "log(a)+log(b)", "log(a*b)", "--json")  # complex where a, b < 0
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["status"] == "not_equivalent"
    pos = autograder("equiv", "log(a*b)", "log(a)+log(b)", "--domain", "a=(0,)", "--domain", "b=(0,)")
    assert pos.returncode == 0


def test_equiv_reports_invalid_answers():
    r = autograder("equiv", "(a-y", "a-y", "--json")
    assert r.returncode == 1
    assert json.loads(r.stdout)["diagnosis"] == "syntax_error"


@pytest.mark.parametrize("command", ["equiv", "derivation"])
@pytest.mark.parametrize("bad, says", [("a=0,1", "write NAME=(LO,HI) or NAME={V1,V2,...}"),
                                       ("a=(x,1)", "the bounds must be numbers")])
def test_bad_options_say_what(command, bad, says):
    """A usage error exits 2, which a script tells apart from "not equivalent" (1)."""
    operands = ["a", "a"] if command == "equiv" else ["-"]  # derivation: its lines on stdin
    r = autograder(command, *operands, "--domain", bad, stdin="a\n")
    assert (r.returncode, r.stdout) == (2, f"error: --domain '{bad}': {says}\n"), r.stdout + r.stderr


def test_derivation_from_a_file(tmp_path):
    f = tmp_path / "steps.txt"
    f.write_text("# dL/da over a common denominator\n-y/a + (1-y)/(1-a)\n(-y*(1-a) + a*(1-y))/(a*(1-a))\n"
                 "(a-y)/(a(1-a))\n")
    r = autograder("derivation", str(f), "--domain", "a=(0,1)", "--domain", "y=(0,1)")
    assert r.returncode == 0, r.stdout
    f.write_text("-y/a + (1-y)/(1-a)\n(-y - a*y + a - a*y)/(a*(1-a))\n")
    r = autograder("derivation", str(f), "--domain", "a=(0,1)", "--domain", "y=(0,1)", "--json")
    assert r.returncode == 1 and json.loads(r.stdout)["first_invalid"] == 1


def test_derivation_missing_file():
    r = autograder("derivation", "/nonexistent/steps.txt")
    assert r.returncode == 2 and "cannot read" in r.stdout
