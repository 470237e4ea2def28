"""The course on the hub: nbgrader's shared exchange, the course folder in the instructor's home (0700), and each
user's Jupyter settings (where the exchange is; formgrader for the instructor only, the Assignments tab for all)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from autograder.hub.users import HubUser

#: What of the repository the instructor's course folder gets: the config, the specs and the student releases.
COURSE_PARTS = ("nbgrader_config.py", "source", "release")
#: The course folder's name in the instructor's home.
COURSE_FOLDER = "course"
#: nbgrader's lab plugins a student does not get: the instructor's grading and authoring tools.
INSTRUCTOR_LAB_PLUGINS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment")
#: nbgrader's server extension that serves formgrader (a student's server does not load it).
FORMGRADER_SERVER_EXTENSION = "nbgrader.server_extensions.formgrader"
#: JupyterLab settings every hub user gets: no request to the internet for news from the page.
QUIET_LAB_SETTINGS = {"@jupyterlab/apputils-extension/notification": {"fetchNews": "false"}}


def make_exchange(root: Path) -> list[Path]:
    """Create nbgrader's exchange root, world-writable with the sticky bit (no one deletes another's folder);
    return the folders this made, outermost first (taking the hub down removes them again when empty).

    nbgrader's release step makes the course's own folders in it (outbound 0755, inbound and feedback 0733, so a
    student writes into them but cannot list them) and checks the root's ``rwxrwxrwx``.
    """
    made = [folder for folder in (*reversed(root.parents), root) if not folder.exists()]
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o1777)
    return made


def remove_made_folders(made: list[str]) -> list[str]:
    """Remove the folders ``make_exchange`` made (innermost first) that are empty now; one line for each folder
    removed or kept (a folder someone put something into stays)."""
    done = []
    for folder in reversed(made):
        try:
            os.rmdir(folder)
            done.append(f"removed {folder}")
        except FileNotFoundError:
            pass
        except OSError:
            done.append(f"kept {folder}: not empty")
    return done


def course_id(repo: Path) -> str:
    """The course id of the repository's nbgrader_config.py (``chain-rule-101`` for the demo course)."""
    from autograder.grading.course_config import load_course_config

    return load_course_config(repo).CourseDirectory.course_id


def install_course(instructor: HubUser, repo: Path, exchange: Path) -> Path:
    """Copy the course (config, specs, releases) into ``~instructor/course``, owned by the instructor, 0700.

    The copied nbgrader_config.py gets one line more: the shared exchange instead of the repository's local one.
    """
    course = instructor.home / COURSE_FOLDER
    course.mkdir(mode=0o700)
    for part in COURSE_PARTS:
        source = repo / part
        if source.is_dir():
            shutil.copytree(source, course / part, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        else:
            shutil.copy2(source, course / part)
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as config:
        config.write(f"\n# The hub's shared exchange (autograder hub), in place of the local one above.\n"
                     f"c.Exchange.root = {str(exchange)!r}\n")
    chown_tree(course, instructor)
    return course


def write_user_settings(user: HubUser, exchange: Path, course: str, course_root: Path | None = None,
                        lab_settings: dict | None = None) -> None:
    """Write ``user``'s Jupyter settings into their home: nbgrader's exchange and course id (and for the
    instructor the course folder), formgrader off for a student, and JupyterLab user settings.
    """
    jupyter = user.home / ".jupyter"
    lines = [f"c.Exchange.root = {str(exchange)!r}", f"c.CourseDirectory.course_id = {course!r}",
             # a submission open to the instructor's group only, not to whoever learns its name (docs/security.md)
             'c.ExchangeFactory.submit = "autograder.nbgrader.submit.GroupPrivateSubmit"']
    if course_root is not None:
        lines.append(f"c.CourseDirectory.root = {str(course_root)!r}")
    _write(jupyter / "nbgrader_config.py", "\n".join(["c = get_config()  # noqa: F821", *lines, ""]))
    if user.role != "instructor":
        _write_json(jupyter / "jupyter_server_config.json",
                    {"ServerApp": {"jpserver_extensions": {FORMGRADER_SERVER_EXTENSION: False}}})
        _write_json(jupyter / "labconfig" / "page_config.json",
                    {"disabledExtensions": {plugin: True for plugin in INSTRUCTOR_LAB_PLUGINS}})
    for plugin, values in {**QUIET_LAB_SETTINGS, **(lab_settings or {})}.items():
        _write_json(jupyter / "lab" / "user-settings" / f"{plugin}.jupyterlab-settings", values)
    chown_tree(jupyter, user)


def chown_tree(path: Path, user: HubUser) -> None:
    """Give ``path`` and everything under it to ``user`` (links are not followed: the tree is ours, but still)."""
    uid, gid = user.uid, user.home.stat().st_gid
    os.chown(path, uid, gid, follow_symlinks=False)
    for folder, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(folder, name), uid, gid, follow_symlinks=False)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _write_json(path: Path, data: dict) -> None:
    _write(path, json.dumps(data, indent=1))
