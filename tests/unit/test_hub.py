"""The hub's pieces that need no running hub: which accounts it may remove, which folders it must reopen for its
users' servers, and the config it writes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from autograder.hub.config import HubSettings, config_text
from autograder.hub.course import make_exchange, remove_made_folders
from autograder.hub.reach import closed_ancestor, needed_folders, reopenings
from autograder.hub.users import HubUserError, ours, remove_user


def test_removal_refuses_an_account_the_hub_did_not_create():
    with pytest.raises(HubUserError, match="not created by the hub"):
        remove_user("root")
    assert not ours("root")
    remove_user("no-such-user-of-the-hub")  # the near miss: an account already gone is fine, nothing raised


@pytest.fixture
def open_tmp():
    """A temporary folder every user may enter (pytest's own tmp_path sits under a 0700 folder)."""
    with tempfile.TemporaryDirectory(prefix="hub-reach-") as folder:
        os.chmod(folder, 0o755)
        yield Path(folder)


def test_the_top_most_closed_folder_is_the_one_reopened(open_tmp):
    tmp_path = open_tmp
    (tmp_path / "outer" / "inner" / "venv").mkdir(parents=True)
    for folder in (tmp_path, tmp_path / "outer", tmp_path / "outer" / "inner"):
        folder.chmod(0o755)
    assert closed_ancestor(tmp_path / "outer" / "inner" / "venv") is None  # the near miss: all open
    (tmp_path / "outer" / "inner").chmod(0o750)
    (tmp_path / "outer").chmod(0o700)
    assert closed_ancestor(tmp_path / "outer" / "inner" / "venv") == tmp_path / "outer"
    assert reopenings([tmp_path / "outer" / "inner" / "venv", Path("/usr/bin")]) == {
        tmp_path / "outer": [tmp_path / "outer" / "inner" / "venv"]}
    assert len(needed_folders()) == 3


def test_the_config_allows_only_the_course_users_through_pam(tmp_path):
    from traitlets.config.loader import PyFileConfigLoader

    settings = HubSettings(tmp_path, ("teach", "ann"), Path("/opt/chp"), port=8123)
    text = config_text(settings)
    (tmp_path / "jupyterhub_config.py").write_text(text)
    c = PyFileConfigLoader("jupyterhub_config.py", path=str(tmp_path)).load_config()  # as jupyterhub loads it
    assert c.Authenticator.allowed_users == {"ann", "teach"}
    assert c.JupyterHub.authenticator_class == "pam" and c.PAMAuthenticator.open_sessions is False
    assert c.JupyterHub.bind_url == "http://127.0.0.1:8123"
    assert c.ConfigurableHTTPProxy.command == ["/opt/chp"]
    assert c.JupyterHub.spawner_class == "autograder.hub.spawner.CourseSpawner"
    assert config_text(settings).split("auth_token")[0] == text.split("auth_token")[0]  # stable but the token


def test_taking_the_hub_down_removes_the_exchange_folders_it_made_when_empty(tmp_path):
    (tmp_path / "srv").mkdir()  # there before: not the hub's
    made = make_exchange(tmp_path / "srv" / "nbgrader" / "exchange")
    assert made == [tmp_path / "srv" / "nbgrader", tmp_path / "srv" / "nbgrader" / "exchange"]
    assert (tmp_path / "srv" / "nbgrader" / "exchange").stat().st_mode & 0o7777 == 0o1777
    assert remove_made_folders([str(p) for p in made]) == [f"removed {made[1]}", f"removed {made[0]}"]
    assert [p.name for p in tmp_path.iterdir()] == ["srv"] and not any((tmp_path / "srv").iterdir())


def test_an_exchange_folder_someone_filled_is_kept(tmp_path):
    made = make_exchange(tmp_path / "exchange")
    (tmp_path / "exchange" / "other-course").mkdir()  # another course's, released meanwhile
    assert remove_made_folders([str(p) for p in made]) == [f"kept {made[0]}: not empty"]
    assert (tmp_path / "exchange" / "other-course").is_dir()
