"""Start the hub and stop it with everything it started: the proxy, the users' servers and their kernels."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from autograder.hub.config import HubSettings, config_text
from autograder.hub.users import processes_of, stop_processes_of
from autograder.venv_path import bin_dir, env_with_bin

#: Where the Makefile's `npm ci` puts configurable-http-proxy: inside the venv, beside bin/.
PROXY_IN_VENV = Path("hub-proxy") / "node_modules" / ".bin" / "configurable-http-proxy"


class HubError(RuntimeError):
    """The hub could not be started or stopped cleanly (the message says what and where to look)."""


def find_proxy() -> Path:
    """configurable-http-proxy: the venv's (``make hub`` installs it there), else one on PATH."""
    local = bin_dir().parent / PROXY_IN_VENV
    if local.exists():
        return local
    found = shutil.which("configurable-http-proxy")
    if found:
        return Path(found)
    raise HubError(f"configurable-http-proxy is not installed: `make hub` installs it into {local.parents[2]} "
                   "(npm ci with tools/hub-proxy/package-lock.json)")


class HubProcess:
    """``jupyterhub`` running in a session of its own with the config of ``settings``; ``stop`` ends it all."""

    def __init__(self, settings: HubSettings, user_ids: list[int]):
        self.settings, self.user_ids = settings, user_ids
        self.process: subprocess.Popen | None = None
        self.log_path = settings.state / "jupyterhub.log"

    def start(self, timeout: float = 60.0) -> "HubProcess":
        """Write the config, start the hub and wait until its login page answers."""
        self.settings.state.mkdir(mode=0o700, parents=True, exist_ok=True)
        config = self.settings.state / "jupyterhub_config.py"
        config.write_text(config_text(self.settings), encoding="utf-8")
        config.chmod(0o600)  # it holds the proxy's token
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(self.settings.venv_bin / "jupyterhub"), "-f", str(config)], cwd=self.settings.state,
                env=env_with_bin(bindir=self.settings.venv_bin), stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HubError(f"jupyterhub exited with code {self.process.returncode}; log:\n{self.log_tail()}")
            if self.answers():
                return self
            time.sleep(0.25)
        raise HubError(f"jupyterhub did not answer {self.settings.url} within {timeout:.0f} s; "
                       f"log:\n{self.log_tail()}")

    def answers(self) -> bool:
        """Whether the login page answers through the proxy."""
        try:
            with urllib.request.urlopen(self.settings.url, timeout=2.0) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the hub's log (its own lines and the proxy's)."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def stop(self, grace: float = 15.0) -> list[str]:
        """Stop the hub (it stops the users' servers and the proxy), then whatever of theirs is left.

        Returns what had to be stopped by force, one line each (empty when the hub stopped it all itself).
        """
        forced = []
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                forced.append(f"jupyterhub (pid {self.process.pid}) did not stop in {grace:.0f} s: killed")
                _kill_group(self.process.pid)
                self.process.wait(timeout=grace)
        if self.process is not None:
            _kill_group(self.process.pid)
        proxy = _proxy_left(self.settings.state / "proxy.pid")  # in a session of its own: had the hub died first
        if proxy is not None:
            forced.append(f"configurable-http-proxy (pid {proxy.pid}) outlived the hub: killed")
            proxy.kill()
            proxy.wait(timeout=grace)
        for uid in self.user_ids:
            left = stop_processes_of(uid)
            if left:
                forced.append(f"uid {uid}: {len(left)} process(es) left by its server, stopped")
        return forced

    def leftovers(self) -> dict[int, list[int]]:
        """The users' processes still alive ({uid: pids}), for a caller that wants to prove none are."""
        return {uid: pids for uid in self.user_ids if (pids := processes_of(uid))}


def _proxy_left(pid_file: Path):
    """The proxy process the hub recorded in ``pid_file``, if it is still running (a psutil.Process), else None."""
    import psutil

    try:
        proc = psutil.Process(int(pid_file.read_text().strip()))
        return proc if any("configurable-http-proxy" in part for part in proc.cmdline()) else None
    except (OSError, ValueError, psutil.Error):
        return None


def _kill_group(pid: int) -> None:
    """SIGKILL the process group ``pid`` leads; a group already gone is fine."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
