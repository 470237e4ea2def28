"""Run by tests/batch/test_nonroot.py as a non-root instructor: two sandboxed kernels at once, attacked and honest.

Kernel A forks until refused and keeps its children; while A is full, kernel B (started before A's fork bomb) runs
an honest cell (numpy, 32 threads, 32 processes) and this process (the instructor's own) forks 150 children. B then
attacks: writes in its socket folder, reads this process's environment and attaches ptrace to it. The same attack
code run unsandboxed by this process's user is the near miss. Prints the outputs as JSON.

Usage: python nonroot_kernels.py WORKDIR  (with GRADER_SECRET in the environment)
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

from autograder.sandbox import SandboxedKernelManager

FORK_BOMB = """
import os, time
n = 0
try:
    while n < 10_000:
        if os.fork() == 0:
            time.sleep(600); os._exit(0)
        n += 1
except OSError as e:
    print('stopped', n, e.errno)
"""
HONEST = """
import numpy as np, threading, os, time
a = np.random.default_rng(0).random((300, 300))
ok = np.allclose(a @ np.linalg.inv(a), np.eye(300), atol=1e-6)
gate = threading.Event()
threads = [threading.Thread(target=gate.wait) for _ in range(32)]
for t in threads: t.start()
kids = []
for _ in range(32):
    pid = os.fork()
    if pid == 0:
        time.sleep(0.5); os._exit(0)
    kids.append(pid)
gate.set()
for t in threads: t.join()
print('honest', ok, len(threads), sum(os.waitpid(p, 0)[1] == 0 for p in kids))
"""
STILL_FULL = """
import threading
try:
    threading.Thread(target=lambda: None).start(); print('started')
except RuntimeError as e:
    print('refused', e)
"""
IPC_WRITE = """
import os, ipykernel.connect
folder = os.path.dirname(ipykernel.connect.get_connection_file())
try:
    open(os.path.join(folder, 'planted'), 'w').write('x'); print('written', folder)
except OSError as e:
    print('refused', e.errno, folder)
"""
# the attack on the grader's process: its environment (the gradebook's password lives there), then ptrace
ATTACK = """
import ctypes, os
pid = {pid}
try:
    print('environ', 'GRADER_SECRET' in open(f'/proc/{{pid}}/environ', 'rb').read().decode(errors='replace'))
except OSError as e:
    print('environ refused', e.errno)
libc = ctypes.CDLL(None, use_errno=True)
# PTRACE_SEIZE: attaches without stopping the process (detached again when this process ends)
attached = libc.ptrace(0x4206, pid, None, None) == 0
print('ptrace', 'attached' if attached else f'refused {{ctypes.get_errno()}}')
"""


async def _start(workdir: str) -> tuple:
    km = SandboxedKernelManager(kernel_name="python3")
    await km.start_kernel(cwd=workdir)
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=120)
    return km, kc


async def _run(kc, code: str) -> str:
    out = []

    def hook(msg):
        content = msg["content"]
        if msg["msg_type"] == "stream":
            out.append(content["text"])
        elif msg["msg_type"] == "error":
            out.append(f"{content['ename']}: {content['evalue']}")

    await kc.execute_interactive(code, output_hook=hook, timeout=120)
    return "".join(out).strip()


def _instructor_forks(count: int) -> int:
    """Children this process (the instructor's) can fork now: each exits at once and is reaped."""
    started = []
    try:
        for _ in range(count):
            pid = os.fork()
            if pid == 0:
                time.sleep(0.5)
                os._exit(0)
            started.append(pid)
    except OSError:
        pass
    for pid in started:
        os.waitpid(pid, 0)
    return len(started)


async def main(workdir: str) -> dict:
    found = {}
    (km_a, kc_a), (km_b, kc_b) = await _start(workdir), await _start(workdir)
    try:
        found["bomb"] = await _run(kc_a, FORK_BOMB)
        found["honest_b"] = await _run(kc_b, HONEST)
        found["instructor_forks"] = _instructor_forks(150)
        found["a_still_full"] = await _run(kc_a, STILL_FULL)
        found["strays_ended"] = km_a.end_strays()
        time.sleep(0.5)  # the SIGKILLs land
        found["a_after_strays"] = await _run(kc_a, STILL_FULL)
        found["ipc_write"] = await _run(kc_b, IPC_WRITE)
        # the near miss: the same user, outside the kernel's mount namespace, writes there (no permission bit stops
        # the kernel: the read-only remount in its sandbox does)
        planted = os.path.join(os.path.dirname(km_b.connection_file), "planted-by-grader")
        with open(planted, "w") as f:
            f.write("x")
        found["ipc_write_by_grader"] = os.path.exists(planted)
        found["attack"] = await _run(kc_b, ATTACK.format(pid=os.getpid()))
        found["max_processes"] = km_a.max_processes
    finally:
        for km, kc in ((km_a, kc_a), (km_b, kc_b)):
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
    # the near miss: the same attack, unsandboxed, by this user
    found["attack_unsandboxed"] = subprocess.run(
        [sys.executable, "-c", ATTACK.format(pid=os.getpid())], capture_output=True, text=True, timeout=60).stdout
    return found


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1]))))
