"""The bubblewrap command line: what is hidden from the student's kernel and what is mounted back."""

from __future__ import annotations

import sys
from pathlib import Path

import autograder.sandbox as sandbox


def ro_binds(cmd: list[str]) -> set[str]:
    return {cmd[i + 1] for i, flag in enumerate(cmd) if flag == "--ro-bind"}


def test_an_environment_under_tmp_is_mounted_back(monkeypatch, tmp_path):
    # A clone in /tmp (a CI checkout, a fresh clone) keeps its .venv there; the private /tmp would hide it.
    venv = tmp_path / "clone" / ".venv"
    venv.mkdir(parents=True)
    monkeypatch.setattr(sys, "prefix", str(venv))
    cmd = sandbox.sandbox_command(["python"], tmp_path / "course" / "autograded", tmp_path / "course")
    assert str(venv.resolve()) in ro_binds(cmd)
    assert cmd.index("--tmpfs") < cmd.index("--ro-bind", cmd.index("--tmpfs"))


def test_an_environment_inside_the_course_is_mounted_back_and_the_rest_hidden(monkeypatch, tmp_path):
    course = tmp_path / "course"
    (course / ".venv").mkdir(parents=True)
    monkeypatch.setattr(sys, "prefix", str(course / ".venv"))
    cmd = sandbox.sandbox_command(["python"], course / "autograded" / "s1", course)
    assert cmd[cmd.index(str(course.resolve())) - 1] == "--tmpfs"
    assert str((course / ".venv").resolve()) in ro_binds(cmd)
    assert str(course.resolve()) not in ro_binds(cmd)


def test_an_environment_elsewhere_needs_no_mount(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "prefix", "/usr")
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    cmd = sandbox.sandbox_command(["python"], tmp_path / "course" / "autograded", tmp_path / "course")
    assert "/usr" not in ro_binds(cmd)
    package = str(Path(sandbox.__file__).resolve().parent)
    assert (package in ro_binds(cmd)) == package.startswith(("/tmp", str(tmp_path)))
