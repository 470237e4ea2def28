"""Run a function with a time and memory bound in a forked worker process, so no input can hang or crash the caller.

The worker is forked once and reused (forking after sympy is imported costs
about a millisecond and nothing is re-imported); a call that runs out of time
kills it, and the next call forks a fresh one. ``run_isolated`` does the same for
work that starts processes of its own (grading one submission starts a kernel):
one worker per calling thread, in its own process group, killed with its kernels.

A worker never outlives its caller, however the caller ends (a crash, SIGKILL, an
out-of-memory kill): see ``die_with_parent`` and ``_watch_parent``.

>>> run_bounded(pow, (2, 10), timeout=5.0)
1024
"""

from __future__ import annotations

import gc
import os
import pickle
import resource
import select
import signal
import threading
from multiprocessing.connection import Connection, Pipe

MEMORY_LIMIT = 2 * 1024**3  # bytes of address space for the worker
SHARE_CPU = True  # run_bounded's caller and worker take turns on one CPU during a call (see _Worker._share_cpu)
RECYCLE_AFTER = 50  # gradings one run_isolated worker does before a fresh one is forked


class BoundExceeded(RuntimeError):
    """The call ran out of time, or the worker died (memory limit, crash)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _Gone(Exception):
    """The worker was dead before the call reached it (killed while idle): the call can go to a fresh one."""


class _Worker:
    def __init__(self, memory: int | None = MEMORY_LIMIT, own_group: bool = False, what: str = "checking",
                 share_cpu: bool = False):
        parent, child = Pipe()
        caller = os.getpid()
        # bound to the forking thread's life: a grading worker serves only the thread that forked it; a shared
        # checks worker only when the main thread forked it (it lives as long as the process does)
        bound_to_thread = own_group or threading.current_thread() is threading.main_thread()
        pid = os.fork()
        if pid == 0:  # the worker: serve calls until the pipe closes; never returns into the caller's code
            try:
                if bound_to_thread:
                    die_with_parent(caller)
                parent.close()
                _close_siblings()
                if own_group:
                    os.setsid()  # Ctrl-C in the terminal does not reach it or its kernels; kill() does
                _watch_parent(child, own_group)
                _serve(child, memory)
            finally:
                os._exit(0)
        child.close()
        self.pid, self.conn, self.own_group, self.what = pid, parent, own_group, what
        self.calls = 0
        self.share_cpu, self._cpu = share_cpu, None
        # one poll object for every reply: Connection.poll() builds and registers a selector at each call, which
        # took 25-40 us of a check's round trip (A/B against it, interleaved: 256 -> 225 us a call)
        self._replied = select.poll()
        self._replied.register(parent.fileno(), select.POLLIN)

    def call(self, func, args, kwargs, timeout):
        self.calls += 1
        shared = self._share_cpu() if self.share_cpu else None
        try:
            try:
                self.conn.send_bytes(pickle.dumps((func, args, kwargs)))
            except OSError as exc:  # BrokenPipeError, ConnectionResetError: it died while idle; nothing ran
                self.kill()
                raise _Gone() from exc
            replied = self._replied.poll(max(0, int(timeout * 1000)))
        finally:
            if shared is not None:
                _set_affinity(0, shared)
        if not replied:
            self.kill()
            raise BoundExceeded(f"took longer than {timeout:g} s")
        try:
            ok, value = pickle.loads(self.conn.recv_bytes())
        except (EOFError, OSError):
            self.kill()
            raise BoundExceeded(f"the {self.what} process died (out of memory or killed)") from None
        if ok:
            return value
        raise value

    def _share_cpu(self):
        """Put the calling thread and the worker on the CPU the caller runs on, for this call; returns the thread's
        own CPU set, to restore after it (None: nothing was changed).

        The caller only waits while the worker runs, so the two never need two CPUs; on two, the waiting one's CPU
        goes idle, and on a virtual machine waking an idle CPU costs far more than a switch on a busy one (a bare
        round trip around 1.3 ms of work: 121 us on two CPUs, 41 us on one). Only the calling thread is pinned,
        only while it waits; the worker follows the caller to whichever CPU the kernel gave it, so callers in
        several processes stay spread as the kernel spreads them."""
        cpu = _current_cpu()
        if cpu is None:
            return None
        try:
            allowed = os.sched_getaffinity(0)
            if cpu not in allowed:
                return None
            if self._cpu != cpu:
                os.sched_setaffinity(self.pid, {cpu})
                self._cpu = cpu
            os.sched_setaffinity(0, {cpu})
        except OSError:
            return None
        return allowed

    def kill(self):
        if self.own_group:
            _kill_group(self.pid)
        else:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
        self.conn.close()


PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None, lifeline: int | None = None) -> None:
    """In a process just forked: be killed (SIGKILL) when the thread that forked it ends, and end now if the
    parent is already gone.

    The kernel's parent-death signal fires when the forking *thread* ends (with its process, or alone), and
    never when the parent died before it was asked for; so, after asking, the child looks whether its parent
    is still there: ``parent``, the forking process's pid read before the fork (``os.getppid()`` changes when
    a parent dies), or, where the child cannot see its parent (the first process of a new PID namespace, whose
    ``getppid()`` is 0), ``lifeline``, the read end of a pipe whose write end only the parent holds.
    """
    import ctypes

    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
    if (parent is not None and os.getppid() != parent) or (lifeline is not None and _hung_up(lifeline)):
        os.kill(os.getpid(), signal.SIGKILL)


def _hung_up(fd: int, timeout_ms: int = 0) -> bool:
    """Whether every write end of the pipe or socket ``fd`` is closed (waits up to ``timeout_ms``; -1: forever)."""
    watch = select.poll()
    watch.register(fd, select.POLLIN | select.POLLHUP)  # POLLIN: a pipe's EOF; POLLHUP: a socket's peer gone
    while True:
        try:
            events = watch.poll(timeout_ms)
        except InterruptedError:
            continue
        if not events:
            return False
        if events[0][1] & (select.POLLHUP | select.POLLERR | select.POLLNVAL):
            return True
        if timeout_ms == 0:  # readable, not closed (a socket with a request waiting)
            return False
        if os.read(fd, 1) == b"":  # a pipe's EOF
            return True


def _watch_parent(conn: Connection, own_group: bool) -> None:
    """A thread of the worker that waits for its pipe's other end to close (the caller ended, however) and then
    kills the worker (its whole process group for a grading worker: the checks worker and kernels it started).

    Where the parent-death signal is not bound to the caller's life (a checks worker forked by a thread that may
    end before the process does), this is what ends it; elsewhere it is the second line. It needs the GIL, so a
    worker stuck in C code for long is ended by the signal, or by the caller's timeout while the caller lives."""
    def watch():
        watcher = select.poll()
        watcher.register(conn.fileno(), 0)  # no events asked for: woken only by POLLHUP/POLLERR
        while True:
            try:
                watcher.poll()
            except InterruptedError:
                continue
            break
        if own_group:
            try:
                os.killpg(0, signal.SIGKILL)
            except OSError:
                pass
        os.kill(os.getpid(), signal.SIGKILL)

    size = threading.stack_size(256 * 1024)  # its stack counts against the worker's address-space limit
    try:
        threading.Thread(target=watch, name="watch-parent", daemon=True).start()
    finally:
        threading.stack_size(size)


def _close_siblings() -> None:
    """In a new worker: close the caller's ends of the pipes to its other workers, so each worker's pipe is held
    by its caller alone and closes when the caller ends (a copy held here would keep a sibling waiting)."""
    for registry in (_ISOLATED, _WORKER):
        for worker in registry.values():
            try:
                worker.conn.close()
            except OSError:
                pass


def _set_affinity(pid, cpus):
    try:
        os.sched_setaffinity(pid, cpus)
    except OSError:
        pass


def _current_cpu():
    if _SCHED_GETCPU is None:
        return None
    cpu = _SCHED_GETCPU()
    return cpu if cpu >= 0 else None


def _sched_getcpu():
    try:
        import ctypes
        return ctypes.CDLL(None).sched_getcpu
    except (OSError, AttributeError):
        return None


_SCHED_GETCPU = _sched_getcpu()


def _serve(conn: Connection, memory: int | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the caller, which kills us
    # Everything inherited from the caller (sympy, its caches, the caller's own data) is left out of the collector's
    # full passes: those walked the whole inherited heap, and wrote to its pages, which the kernel then copied.
    # Measured on the peers' corpus: median check 2.47 -> 2.24 ms, page faults in the worker 18.3k -> 14.8k.
    gc.freeze()
    if memory:
        try:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
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
        except BaseException as exc:  # noqa: BLE001 - sent back and re-raised in the caller (SystemExit too)
            reply = (False, exc if _picklable(exc) else RuntimeError(f"{type(exc).__name__}: {exc}"))
        try:
            conn.send_bytes(pickle.dumps(reply))
        except OSError:
            return  # the caller is gone: nobody to answer
        except Exception as exc:  # an unpicklable result or exception
            conn.send_bytes(pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}"))))


def run_isolated(func, args=(), *, timeout: float, memory: int | None = None):
    """``func(*args)`` in this thread's worker, in its own process group; past ``timeout`` the whole group (its
    kernels too) is killed and the next call forks a fresh worker.

    One worker per calling thread grades submission after submission, as one ``nbgrader autograde`` process
    does, so what it imported and cached stays warm: forking a child per submission cost a quarter more CPU
    (measured on ps1: 1.12 against 0.85 CPU seconds a submission). ``memory`` bounds the worker's address
    space, which its kernels inherit. Raises BoundExceeded on timeout or a crash; re-raises func's exception.

    >>> run_isolated(sum, ([1, 2, 3],), timeout=5)
    6
    """
    key = (os.getpid(), threading.get_ident(), memory)
    try:
        return _call(_ISOLATED, key, lambda: _Worker(memory, own_group=True, what="grading"), func, args, {},
                     timeout)
    finally:
        worker = _ISOLATED.get(key)
        if worker is not None and worker.calls >= RECYCLE_AFTER:
            _ISOLATED.pop(key).kill()  # whatever a long run leaks cannot add up to one student's memory error


def _call(registry: dict, key, make, func, args, kwargs, timeout):
    """``func`` in the worker ``registry[key]`` (forked by ``make()`` if there is none); a worker that times out
    or dies is dropped from the registry, so the next call forks a fresh one."""
    for attempt in (1, 2):  # a worker found dead before the call reached it is replaced once
        worker = registry.get(key)
        if worker is None:
            worker = registry[key] = make()
        try:
            return worker.call(func, args, kwargs, timeout)
        except _Gone:
            registry.pop(key, None)
            if attempt == 2:
                raise BoundExceeded(f"the {worker.what} process died as it started") from None
        except BoundExceeded:
            registry.pop(key, None)
            raise


_ISOLATED: dict[tuple, _Worker] = {}  # run_isolated's workers: (our pid, thread, memory) -> worker


def kill_isolated() -> int:
    """Kill every run_isolated worker's group now (on Ctrl-C); the threads waiting on them get BoundExceeded.
    Returns how many there were."""
    workers = [w for key, w in list(_ISOLATED.items()) if key[0] == os.getpid()]
    for worker in workers:
        try:
            os.killpg(worker.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return len(workers)


def stop_isolated() -> None:
    """End this process's idle run_isolated workers (when a batch is done)."""
    for key in [k for k in _ISOLATED if k[0] == os.getpid()]:
        _ISOLATED.pop(key).kill()


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
_WORKER: dict[tuple, _Worker] = {}  # keyed by our pid (a forked caller never reuses its parent's worker) and name


def run_bounded(func, args=(), kwargs=None, *, timeout: float = 2.0, worker: str = "checks"):
    """``func(*args, **kwargs)`` in the worker; raises BoundExceeded past ``timeout`` seconds or on a crash.

    Calls under another ``worker`` name go to a worker of their own: what they cache, and their running out of
    time (which replaces a worker), never touch the other's (a benchmark keeps its baselines apart this way)."""
    with _LOCK:
        return _call(_WORKER, (os.getpid(), worker), lambda: _Worker(share_cpu=SHARE_CPU), func, args, kwargs or {},
                     timeout)
