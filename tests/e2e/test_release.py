"""release/ps1 reveals no reference answer anywhere, and `autograder check` reports on a filled-in notebook."""

import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.demo import load_class

from .test_assignments import reference_forms

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
PS1_SPEC = REPO / "source" / "ps1" / "ps1.spec.toml"


def test_release_leaves_out_the_spec():
    assert not list((REPO / "release").rglob("*.spec.toml"))
    assert list((REPO / "source" / "ps1").glob("*.spec.toml")), "the spec this test relies on has moved"


def test_no_reference_in_any_released_file():
    forms = reference_forms(PS1_SPEC)
    assert "a - y" in forms and r"\frac{a - y}{a \left(1 - a\right)}" in forms  # the forms are the real ones
    files = [p for p in (REPO / "release").rglob("*") if p.is_file()]
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        squeezed = text.replace(" ", "")
        for form in forms:
            assert form not in text and form.replace(" ", "") not in squeezed, f"{path} reveals {form!r}"


def test_the_leak_check_would_catch_a_leak(tmp_path):
    """The same scan finds a reference planted in a copy of the release (so it is not vacuous)."""
    copy = tmp_path / "release"
    shutil.copytree(REPO / "release", copy)
    nb_path = copy / "ps1" / "ps1.ipynb"
    nb = nbformat.read(nb_path, 4)
    nb.cells[-1].source += "\n# hint: a*(1 - a)"
    nbformat.write(nb, nb_path)
    assert any(f in nb_path.read_text() for f in reference_forms(PS1_SPEC))


CHECKED = ["alice", "carol", "grace"]  # whose local check a test reads (tests/data/demo_class/ps1/)


def local_check(local_checks, student_id):
    local_checks.start("ps1", CHECKED)  # this module's checks, two at a time from the first one asked for
    return local_checks("ps1", student_id)


def test_autograder_check_passes_a_correct_notebook(local_checks):
    proc = local_check(local_checks, "alice")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "total: 10/10" in proc.stdout
    assert proc.stdout.count("PASS") == 5


def test_autograder_check_reports_the_same_diagnoses_as_grading(local_checks):
    proc = local_check(local_checks, "carol")
    assert proc.returncode == 1
    out = proc.stdout
    carol = next(s for s in load_class("ps1") if s.id == "carol")  # her hand-worked score, follow-through included
    assert f"total: {sum(carol.expected.values()):g}/10" in out
    assert "Keep the minus sign in front of the whole loss" in out
    assert "negative of the right result" in out


def test_autograder_check_survives_a_dead_kernel_and_agrees_with_grading(local_checks):
    proc = local_check(local_checks, "grace")
    assert proc.returncode == 1
    assert "the kernel died" in proc.stdout
    assert "total: 4/10" in proc.stdout  # the same total autograde gives grace
    assert "import os is used in dL_dz_chain-answer" in proc.stdout
