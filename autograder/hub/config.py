"""The hub's jupyterhub_config.py, written from a few settings: PAM logins for the course's users only, servers
started as those users by LocalProcessSpawner from this environment, everything on 127.0.0.1."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from autograder.venv_path import BARE_PATH, bin_dir, path_with_bin


@dataclass(frozen=True)
class HubSettings:
    """Where the hub listens and keeps its state, who may log in, and the programs it starts."""

    state: Path                       # the hub's database, cookie secret, config, proxy pid and log
    users: tuple[str, ...]            # the only names PAM logins are accepted for
    proxy: Path                       # configurable-http-proxy
    port: int = 8000                  # the address users open: http://127.0.0.1:<port>/
    hub_port: int = 8081              # the hub's own API, for the proxy and the users' servers
    proxy_api_port: int = 8001        # the proxy's REST API, for the hub
    venv_bin: Path = field(default_factory=bin_dir)  # jupyterhub-singleuser, python, nbgrader, autograder

    @property
    def url(self) -> str:
        """The hub's login address.

        >>> HubSettings(Path("/s"), ("ann",), Path("/p"), port=8123).url
        'http://127.0.0.1:8123/hub/login'
        """
        return f"http://127.0.0.1:{self.port}/hub/login"


def config_text(settings: HubSettings) -> str:
    """jupyterhub_config.py for ``settings`` (every value a Python literal: nothing in it comes from a user).

    >>> text = config_text(HubSettings(Path("/s"), ("ann",), Path("/p")))
    >>> "c.Authenticator.allowed_users = {'ann'}" in text, "CourseSpawner" in text
    (True, True)
    """
    state = settings.state
    values = {
        "JupyterHub.bind_url": f"http://127.0.0.1:{settings.port}",
        "JupyterHub.hub_bind_url": f"http://127.0.0.1:{settings.hub_port}",
        "JupyterHub.db_url": f"sqlite:///{state / 'jupyterhub.sqlite'}",
        "JupyterHub.cookie_secret_file": str(state / "jupyterhub_cookie_secret"),
        # Ctrl-C (SIGTERM/SIGINT) stops the users' servers and the proxy the hub started
        "JupyterHub.cleanup_servers": True,
        "JupyterHub.cleanup_proxy": True,
        "ConfigurableHTTPProxy.command": [str(settings.proxy)],
        "ConfigurableHTTPProxy.api_url": f"http://127.0.0.1:{settings.proxy_api_port}",
        "ConfigurableHTTPProxy.auth_token": secrets.token_hex(32),
        "ConfigurableHTTPProxy.pid_file": str(state / "proxy.pid"),
        # PAM: the system's own password check for the accounts `autograder hub` created. No PAM session: in a
        # container pam_loginuid refuses one, and the servers need none.
        "JupyterHub.authenticator_class": "pam",
        "PAMAuthenticator.open_sessions": False,
        "Authenticator.allowed_users": set(settings.users),
        # LocalProcessSpawner, plus a private mount namespace where this environment is reachable (hub/reach.py)
        "JupyterHub.spawner_class": "autograder.hub.spawner.CourseSpawner",
        "Spawner.cmd": [str(settings.venv_bin / "jupyterhub-singleuser")],
        "Spawner.default_url": "/lab",
        # the kernels, nbgrader and autograder of this environment, whatever PATH the hub was started with
        "Spawner.environment": {"PATH": path_with_bin(BARE_PATH, settings.venv_bin)},
        "Spawner.args": ["--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        "Spawner.start_timeout": 90,
        "Spawner.http_timeout": 90,
    }
    lines = ["# Written by `autograder hub` (autograder/hub/config.py); rewritten at each start.",
             "c = get_config()  # noqa: F821"]
    lines += [f"c.{name} = {_literal(value)}" for name, value in values.items()]
    return "\n".join(lines) + "\n"


def _literal(value) -> str:
    """A Python literal for ``value``; sets sorted so the file reads the same at every start.

    >>> _literal({"b", "a"}), _literal([1, "x"])
    ("{'a', 'b'}", "[1, 'x']")
    """
    if isinstance(value, set):
        return "{" + ", ".join(repr(item) for item in sorted(value)) + "}"
    return repr(value)
