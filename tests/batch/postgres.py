"""A real PostgreSQL server for tests: initdb into a temporary folder, listen on loopback, stop at the end.

Its role has a random password (scram-sha-256 for every connection, no trust authentication), as a gradebook
server should: the URL carries it.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager

INSTALL = "apt-get install -y postgresql   (make test does this when it is missing)"


def find_bindir() -> str:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(candidate, "initdb")):
            return candidate
    path = shutil.which("initdb")
    if path:
        return os.path.dirname(os.path.realpath(path))
    raise RuntimeError(f"PostgreSQL's server programs (initdb, pg_ctl) are not installed: {INSTALL}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def postgres_server(database: str = "gradebook"):
    """Yield a SQLAlchemy URL of a fresh database on a private server; the server is stopped afterwards."""
    with postgres_control(database) as server:
        yield server.url


class Server:
    """A running test server: its URL, and ``pg_ctl`` on it (``stop``, ``start``, ``restart`` as an operator would)."""

    def __init__(self, url: str, port: int, pg_ctl):
        self.url, self.port, self._pg_ctl = url, port, pg_ctl

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "-w", "stop")

    def start(self) -> None:
        self._pg_ctl("-w", "-t", "60", "start")

    def restart(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "-w", "-t", "60", "restart")


@contextmanager
def postgres_control(database: str = "gradebook"):
    """``postgres_server``, yielding a ``Server`` the test can stop, start and restart."""
    bindir = find_bindir()
    base = tempfile.mkdtemp(prefix="pg-test-")
    data, sockets = os.path.join(base, "data"), os.path.join(base, "sock")
    os.makedirs(sockets)
    as_user = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as the postgres system user
        shutil.chown(base, "postgres")
        shutil.chown(sockets, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()

    def run(*cmd, **kw):
        return subprocess.run([*as_user, *cmd], check=True, capture_output=True, text=True, timeout=120, **kw)

    password = secrets.token_urlsafe(16)
    pwfile = os.path.join(base, "pwfile")
    with open(pwfile, "w") as f:
        f.write(password + "\n")
    if as_user:
        shutil.chown(pwfile, "postgres")
    run(os.path.join(bindir, "initdb"), "-D", data, "-U", "grader", "--auth=scram-sha-256", f"--pwfile={pwfile}",
        "-E", "UTF8")
    os.remove(pwfile)
    def pg_ctl(*args):
        return run(os.path.join(bindir, "pg_ctl"), "-D", data, "-l", os.path.join(base, "log"), *args,
                   "-o", f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off")

    pg_ctl("-w", "-t", "60", "start")
    try:
        run(os.path.join(bindir, "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "grader", database,
            env={**os.environ, "PGPASSWORD": password})
        yield Server(f"postgresql://grader:{password}@127.0.0.1:{port}/{database}", port, pg_ctl)
    finally:
        subprocess.run([*as_user, os.path.join(bindir, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)
        for _ in range(50):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) != 0:
                    break
            time.sleep(0.1)
        shutil.rmtree(base, ignore_errors=True)
