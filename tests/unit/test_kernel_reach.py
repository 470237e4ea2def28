"""What of the grader a student's kernel could find, without starting one: the package mounted in the sandbox holds
no assignment's reference, the kernel's environment holds none of the grader's, and the kernels' socket folders
of a process that is gone are removed (tests/batch/test_hostile_kernel.py grades the attacks themselves)."""

from __future__ import annotations

import os
import re
import signal
import time
import tomllib
from pathlib import Path

import psutil
import pytest

from autograder import sandbox
from autograder.sandbox import kernel_environment, sweep_socket_roots

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "autograder"  # what the sandbox mounts for the kernel to import (sandbox._system_view)
LONG = 12  # characters (spaces aside) from which a reference is specific enough to be found rewritten


def references() -> set[str]:
    """Every ``reference`` string of every assignment's spec, at any depth."""
    found = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "reference" and isinstance(value, str):
                    found.add(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for spec in sorted(REPO.glob("source/*/*.spec.toml")):
        walk(tomllib.loads(spec.read_text(encoding="utf-8")))
    return found


def references_in(folder: Path, refs) -> list[tuple[str, str]]:
    """(file, reference) for each reference found in a file under ``folder``: as written, and with the spaces
    taken out for the long ones (a docstring's ``(a-y)/(a*(1-a))`` is the reference all the same)."""
    hits = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        text = path.read_text(encoding="utf-8", errors="replace")
        squeezed = re.sub(r"\s+", "", text)
        for ref in refs:
            bare = re.sub(r"\s+", "", ref)
            if ref in text or (len(bare) >= LONG and bare in squeezed):
                hits.append((str(path.relative_to(folder)), ref))
    return hits


def test_the_specs_have_references():
    refs = references()
    assert len(refs) >= 20 and "(a - y)/(a*(1 - a))" in refs  # ps1's first step: the grep below has something to find


def test_no_reference_ships_in_the_package():
    assert references_in(PACKAGE, references()) == []


@pytest.mark.parametrize("written", ['"(a - y)/(a*(1 - a))"', "(a-y)/(a*(1-a))", "x = 'a - y'"])
def test_the_grep_finds_a_reference_added_to_the_package(tmp_path, written):
    (tmp_path / "warm.py").write_text(f"SAMPLE = {written!r}\n")
    assert references_in(tmp_path, references()) != []


def test_a_short_reference_rewritten_is_not_a_reference(tmp_path):
    # "a-y" with its spaces gone is in too much ordinary text to mean ps1's answer; written as the spec has it, it is
    (tmp_path / "doc.py").write_text("# data-y, a*(2-a)\n")
    assert references_in(tmp_path, references()) == []


def test_the_kernel_environment_has_nothing_of_the_grader():
    grader = {"PATH": "/usr/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "JPY_SESSION_NAME": "ps1.ipynb",
              "PYTHONPATH": "/opt/course-lib", "AUTOGRADER_GRADING": "1", "GRADEBOOK_PASSWORD": "hunter2",
              "AWS_SECRET_ACCESS_KEY": "k", "DASK_SCHEDULER_ADDRESS": "tls://s:8786", "KERNEL_OWN": "x"}
    env = kernel_environment(grader, keep=["KERNEL_OWN"])
    assert set(env) == {"PATH", "LANG", "LC_ALL", "JPY_SESSION_NAME", "PYTHONPATH", "AUTOGRADER_GRADING",
                        "KERNEL_OWN"}
    assert "hunter2" not in repr(env)


def test_a_killed_owners_socket_folder_is_swept():
    """A grading worker killed by its timeout (SIGKILL) never runs its atexit: its folder goes at the next sweep."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker: makes its socket folder, says where, waits to be killed
        os.close(read)
        os.write(write, sandbox.kernel_socket_root().encode())
        os.close(write)
        signal.pause()
        os._exit(0)
    os.close(write)
    root = os.read(read, 4096).decode()
    os.close(read)
    mine = sandbox.kernel_socket_root()  # this process's own, alive: must stay
    try:
        assert os.path.isdir(root) and root != mine
        sweep_socket_roots()
        assert os.path.isdir(root)  # its owner still runs: kept
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        assert sweep_socket_roots() >= 1
        assert not os.path.exists(root) and os.path.isdir(mine)
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def test_a_reused_pid_does_not_keep_a_folder(tmp_path):
    """The owner is named by pid and start time: a live process that reuses a dead owner's pid keeps nothing."""
    alive = os.getpid()
    stale = tmp_path / f"agk-{alive}-1-abc"  # this pid, but a start time that is not this process's
    kept = tmp_path / f"agk-{alive}-{sandbox._start_time(alive)}-abc"
    other = tmp_path / "agk-old-style"
    for folder in (stale, kept, other):
        folder.mkdir()
    assert sweep_socket_roots(str(tmp_path)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([kept.name, other.name])


def test_an_owner_that_ended_but_is_not_yet_reaped_keeps_nothing(tmp_path):
    """A killed grader's worker can stay a zombie for a while (a container's PID 1 may reap orphans late): it has
    ended, so its folder goes; the near miss, a live owner, keeps its folder."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    try:
        deadline = time.monotonic() + 10
        while psutil.Process(pid).status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
            time.sleep(0.01)
        assert psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        with open(f"/proc/{pid}/stat") as f:
            started = f.read().rsplit(")", 1)[1].split()[19]
        ended = tmp_path / f"agk-{pid}-{started}-abc"
        alive = tmp_path / f"agk-{os.getpid()}-{sandbox._start_time(os.getpid())}-abc"
        ended.mkdir()
        alive.mkdir()
        assert sweep_socket_roots(str(tmp_path)) == 1
        assert [p.name for p in tmp_path.iterdir()] == [alive.name]
    finally:
        os.waitpid(pid, 0)
