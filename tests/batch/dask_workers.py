"""A Dask cluster on this machine as a grader would run one: a scheduler, and `dask worker` processes (a nanny with
its worker process under it) started by the command, for the tests and the benchmarks that grade on Dask."""

from __future__ import annotations

import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from autograder.sandbox import sweep_socket_roots
from autograder.venv_path import console_script_path, env_with_bin


@dataclass
class DaskWorkers:
    """A running scheduler's address and the `dask worker` commands (nannies) connected to it."""

    scheduler_address: str
    nannies: list[subprocess.Popen]

    @property
    def pids(self) -> set[int]:
        """The nannies' process ids (children of this process that are meant to be: not orphans)."""
        return {nanny.pid for nanny in self.nannies}

    def kill(self, nanny: subprocess.Popen) -> None:
        """Kill ``nanny`` and the worker process under it with SIGKILL, as a machine that fails does, and wait until
        both are gone (a worker the test process adopted as a subreaper is reaped here, not left a zombie)."""
        import psutil

        try:
            children = psutil.Process(nanny.pid).children()
        except psutil.NoSuchProcess:
            children = []
        for process in children:
            try:
                # multiprocessing's resource tracker is left to do its job: once the nanny and the worker are gone
                # it unlinks the semaphores they made in /dev/shm, and exits (killed, it would leave them there)
                if not any("resource_tracker" in part for part in process.cmdline()):
                    process.kill()
            except psutil.NoSuchProcess:
                pass
        nanny.kill()
        nanny.wait()
        psutil.wait_procs(children, timeout=30)


def dask_worker(address: str) -> subprocess.Popen:
    """``dask worker ADDRESS`` of this environment, one worker process of one thread (as one grading slot)."""
    return subprocess.Popen([console_script_path("dask"), "worker", address, "--nworkers", "1", "--nthreads", "1",
                             "--no-dashboard", "--host", "127.0.0.1"], env=env_with_bin(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@contextmanager
def dask_workers(count: int = 2, timeout: float = 120) -> Iterator[DaskWorkers]:
    """A scheduler in this process and ``count`` `dask worker` commands connected to it; on exit every worker
    is killed and waited for, and the scheduler closed once it has seen them go (nothing is left running)."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=0, dashboard_address=None, host="127.0.0.1") as cluster:
        workers = DaskWorkers(cluster.scheduler_address, [])
        try:
            workers.nannies.extend(dask_worker(cluster.scheduler_address) for _ in range(count))
            with Client(cluster.scheduler_address) as client:
                client.wait_for_workers(count, timeout=timeout)
            yield workers
        finally:
            for nanny in workers.nannies:
                workers.kill(nanny)
            # a worker killed so never removes its kernels' socket folders: on a real machine the next grading run
            # sweeps them; here they go at once (the tests count them)
            sweep_socket_roots()
            with Client(cluster.scheduler_address) as client:  # closed with none left: no reconnect attempts
                deadline = time.monotonic() + 30
                while client.scheduler_info()["workers"] and time.monotonic() < deadline:
                    time.sleep(0.2)
