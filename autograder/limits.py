"""Run a function with a time and memory bound in a forked worker process, so no input can hang or crash the caller.

The worker is forked once and reused (forking after sympy is imported costs
about a millisecond and nothing is re-imported); a call that runs out of time
kills it, and the next call forks a fresh one.

>>> run_bounded(pow, (2, 10), timeout=5.0)
1024
"""

from __future__ import annotations

import os
import pickle
import resource
import signal
import threading
from multiprocessing.connection import Connection, Pipe

MEMORY_LIMIT = 2 * 1024**3  # bytes of address space for the worker


class BoundExceeded(RuntimeError):
    """The call ran out of time, or the worker died (memory limit, crash)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _Worker:
    def __init__(self):
        parent, child = Pipe()
        pid = os.fork()
        if pid == 0:  # the worker: serve calls until the pipe closes
            parent.close()
            _serve(child)
            os._exit(0)
        child.close()
        self.pid, self.conn = pid, parent

    def call(self, func, args, kwargs, timeout):
        self.conn.send_bytes(pickle.dumps((func, args, kwargs)))
        if not self.conn.poll(timeout):
            self.kill()
            raise BoundExceeded(f"took longer than {timeout:g} s")
        try:
            ok, value = pickle.loads(self.conn.recv_bytes())
        except (EOFError, OSError):
            self.kill()
            raise BoundExceeded("the checking process died (out of memory?)") from None
        if ok:
            return value
        raise value

    def kill(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self.conn.close()


def _serve(conn: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the caller, which kills us
    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ValueError, OSError):
        pass
    while True:
        try:
            func, args, kwargs = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        try:
            reply = (True, func(*args, **kwargs))
        except MemoryError:
            os._exit(3)
        except RecursionError as exc:
            reply = (False, BoundExceeded(f"too deeply nested ({exc.__class__.__name__})"))
        except Exception as exc:  # sent back and re-raised in the caller
            reply = (False, exc)
        try:
            conn.send_bytes(pickle.dumps(reply))
        except Exception as exc:  # an unpicklable result or exception
            conn.send_bytes(pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}"))))


def run_isolated(func, args=(), *, timeout: float, memory: int | None = None):
    """``func(*args)`` in a one-off child in its own process group; past ``timeout`` the whole group is killed.

    For work that starts processes of its own (a Jupyter kernel), which must die
    with it. Raises BoundExceeded on timeout or a crash; re-raises func's exception.

    >>> run_isolated(sum, ([1, 2, 3],), timeout=5)
    6
    """
    parent, child = Pipe()
    pid = os.fork()
    if pid == 0:
        parent.close()
        os.setsid()  # own process group: Ctrl-C in the terminal does not reach it; kill_isolated does
        if memory:
            try:
                resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            except (ValueError, OSError):
                pass
        try:
            reply = (True, func(*args))
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the caller
            reply = (False, exc if _picklable(exc) else RuntimeError(f"{type(exc).__name__}: {exc}"))
        try:
            child.send_bytes(pickle.dumps(reply))
        finally:
            os._exit(0)
    child.close()
    _ISOLATED.add(pid)
    try:
        if not parent.poll(timeout):
            raise BoundExceeded(f"took longer than {timeout:g} s")
        try:
            ok, value = pickle.loads(parent.recv_bytes())
        except (EOFError, OSError):
            raise BoundExceeded("the process died (out of memory or killed)") from None
    finally:
        _ISOLATED.discard(pid)
        _kill_group(pid)
        parent.close()
    if ok:
        return value
    raise value


_ISOLATED: set[int] = set()  # children of run_isolated still running


def kill_isolated() -> int:
    """Kill every running run_isolated child and its group (on Ctrl-C); returns how many there were."""
    pids = list(_ISOLATED)
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return len(pids)


def _picklable(exc) -> bool:
    try:
        pickle.loads(pickle.dumps(exc))
        return True
    except Exception:
        return False


def _kill_group(pid: int) -> None:
    """Kill a child's whole process group (its kernels too) and reap it."""
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


_LOCK = threading.Lock()
_WORKER: dict[int, _Worker] = {}  # keyed by our pid, so a forked caller never reuses its parent's worker


def run_bounded(func, args=(), kwargs=None, *, timeout: float = 2.0):
    """``func(*args, **kwargs)`` in the worker; raises BoundExceeded past ``timeout`` seconds or on a crash."""
    with _LOCK:
        me = os.getpid()
        worker = _WORKER.get(me)
        if worker is None:
            worker = _WORKER[me] = _Worker()
        try:
            return worker.call(func, args, kwargs or {}, timeout)
        except BoundExceeded:
            _WORKER.pop(me, None)
            raise
        except (BrokenPipeError, ConnectionResetError):
            _WORKER.pop(me, None)
            worker.kill()
            raise BoundExceeded("the checking process died") from None
