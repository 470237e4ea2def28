"""Start and stop a real, isolated ``jupyter lab`` server for the browser tests."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from autograder.venv_path import bin_dir, path_with_bin

#: The venv's ``bin`` folder: the server must be the project's pinned JupyterLab, not one on PATH.
VENV_BIN = bin_dir()


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now.

    >>> 1024 <= free_port() <= 65535
    True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_open(port: int, host: str = "127.0.0.1") -> bool:
    """Say whether something accepts TCP connections on ``host:port``.

    >>> port_is_open(free_port())
    False
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def isolated_jupyter_env(home: Path) -> dict[str, str]:
    """Environment variables that keep a Jupyter server away from the user's own config and runtime.

    The sys-prefix config of the venv (``.venv/etc/jupyter``, where nbgrader enables its server
    extensions) still applies: Jupyter always reads it in addition to ``JUPYTER_CONFIG_DIR``.

    >>> env = isolated_jupyter_env(Path("/tmp/h"))
    >>> env["JUPYTER_CONFIG_DIR"], env["HOME"]
    ('/tmp/h/.jupyter', '/tmp/h')
    """
    env = dict(os.environ)
    dirs = {
        "HOME": home,
        "JUPYTER_CONFIG_DIR": home / ".jupyter",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
        "JUPYTER_DATA_DIR": home / "data",
        "IPYTHONDIR": home / ".ipython",
    }
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    env.update({name: str(path) for name, path in dirs.items()})
    # Kernels must import the project's packages from the venv, whatever PATH the test runner had.
    env["PATH"] = path_with_bin(env.get("PATH"), VENV_BIN)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class JupyterLab:
    """A running ``jupyter lab`` process serving ``root_dir`` on 127.0.0.1 with a random token."""

    root_dir: Path
    home: Path
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(24))
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """An address on this server with the token attached, e.g. ``url("/lab/tree/ps1/ps1.ipynb")``."""
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}{path}{sep}token={self.token}"

    def api(self, path: str, method: str = "GET", timeout: float = 5.0):
        """Call the server's REST API and return the decoded JSON body (None when empty)."""
        request = urllib.request.Request(
            self.url(path), method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def start(self, startup_timeout: float = 60.0) -> "JupyterLab":
        """Launch the server in its own process group and wait until ``/api/status`` answers."""
        self.log_path = self.home / "jupyter-lab.log"
        log = open(self.log_path, "wb")
        command = [
            str(VENV_BIN / "jupyter"), "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port-retries=0",  # a taken port must fail loudly, not silently move elsewhere
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            "--ServerApp.allow_root=True",  # CI runs as root
            "--ServerApp.open_browser=False",
            "--LabApp.news_url=",  # no calls to the internet from the page
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        # cwd = the course: nbgrader's formgrader reads nbgrader_config.py from the server's cwd.
        self.process = subprocess.Popen(
            command, cwd=self.root_dir, env=isolated_jupyter_env(self.home),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited with code {self.process.returncode} before answering; "
                    f"log:\n{self.log_text()}"
                )
            try:
                self.api("/api/status", timeout=2.0)
                return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.25)
        raise TimeoutError(
            f"jupyter lab did not answer /api/status within {startup_timeout:.0f} s; log:\n{self.log_text()}"
        )

    def log_text(self, tail: int = 4000) -> str:
        """The last ``tail`` characters of the server's combined stdout/stderr."""
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        return self.log_path.read_text(errors="replace")[-tail:]

    def shutdown_kernels(self) -> None:
        """Ask the server to shut every running kernel down (best effort: the server may be gone)."""
        try:
            kernels = self.api("/api/kernels")
        except (OSError, ValueError):
            return
        for kernel in kernels or []:
            try:
                self.api(f"/api/kernels/{kernel['id']}", method="DELETE", timeout=10.0)
            except (OSError, ValueError):
                pass

    def stop(self, grace: float = 5.0) -> None:
        """Stop the server and everything it started; raise if a process survives or the port stays open.

        Kernels run in sessions of their own (jupyter_client starts them with ``start_new_session``),
        so killing the server's process group alone would orphan them: collect every descendant first.
        """
        if self.process is None:
            return
        descendants: list[psutil.Process] = []
        try:
            descendants = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            pass
        self.shutdown_kernels()
        if self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _signal_group(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=grace)
        _, alive = psutil.wait_procs(descendants, timeout=grace)
        for proc in alive:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        _, still_alive = psutil.wait_procs(alive, timeout=grace)
        survivors = [p.pid for p in still_alive]
        deadline = time.monotonic() + grace
        while port_is_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.1)
        if survivors:
            raise RuntimeError(f"processes started by jupyter lab survived the shutdown: {survivors}")
        if port_is_open(self.port):
            raise RuntimeError(f"port {self.port} is still listening after jupyter lab was stopped")

    def __enter__(self) -> "JupyterLab":
        try:
            return self.start()
        except BaseException:
            self.stop()  # a server that never answered may still hold the port or have children
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


def _signal_group(pid: int, sig: int) -> None:
    """Send ``sig`` to the process group led by ``pid``; a group already gone is fine."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
