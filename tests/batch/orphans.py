"""Counting what a batch leaves behind: the caller adopts its descendants' orphans while a fault is tested.

A process made a child subreaper (PR_SET_CHILD_SUBREAPER) becomes the parent of any
orphan among its descendants, instead of init: a grading worker, a warm template or a
kernel that outlived the grader killed under it is then a child of the test (or of the
benchmark), where it is counted, reported and killed.
"""

from __future__ import annotations

import ctypes
import os
import time

import psutil

PR_SET_CHILD_SUBREAPER = 36


class Orphans:
    """While it is on, this process adopts every orphan of its descendants (a child subreaper)."""

    def __init__(self):
        self._prctl = ctypes.CDLL(None, use_errno=True).prctl
        self.known: set[int] = set()  # children of ours that are meant to be (a Dask worker, the PostgreSQL server)

    def __enter__(self):
        assert self._prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
        return self

    def left(self, within: float = 5.0) -> list[str]:
        """The processes still alive ``within`` seconds (at most) that are not known children: orphans of the batch
        (each is killed, so the next test starts clean). Zombies are reaped."""
        deadline = time.monotonic() + within
        while True:
            alive = []
            for child in psutil.Process().children():
                try:
                    if child.pid in self.known:
                        continue
                    if child.status() == psutil.STATUS_ZOMBIE:
                        os.waitpid(child.pid, os.WNOHANG)
                    else:
                        alive.append(child)
                except (psutil.Error, ChildProcessError):
                    pass
            if not alive or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        found = []
        for proc in alive:
            try:
                found.append(f"{proc.pid} {' '.join(proc.cmdline())[:160]}")
                for p in [*proc.children(recursive=True), proc]:
                    p.kill()
                os.waitpid(proc.pid, 0)
            except (psutil.Error, ChildProcessError):
                pass
        return found

    def __exit__(self, *exc):
        self._prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)



def sweep_what_the_killed_left() -> list[str]:
    """Remove the kernel socket folders (/tmp/agk-*) of processes the faults killed, as the next grading run on the
    machine would (``sandbox.sweep_socket_roots``); returns those still there whose owner has ended."""
    from autograder.sandbox import owner_ended, sweep_socket_roots

    sweep_socket_roots()
    return [entry.path for entry in os.scandir("/tmp") if owner_ended(entry.name)]
