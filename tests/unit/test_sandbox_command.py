"""The bubblewrap command line: what is hidden from the student's kernel and what is mounted back."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import autograder.sandbox as sandbox

MOUNTS = {"--tmpfs": 1, "--ro-bind": 2, "--bind": 2, "--dir": 1, "--symlink": 2}


def command(kernel_cmd: list[str], workdir, root=None, *, visible=(), ipc_dir=None, disk_mb: int = sandbox.DISK_MB,
            run_as: int | None = None) -> list[str]:
    """``bwrap_command`` for the policy of a kernel working in ``workdir`` of the course ``root``."""
    return sandbox.bwrap_command(kernel_cmd, sandbox.SandboxPolicy(
        cwd=str(Path(workdir).resolve()), disk_bytes=disk_mb * sandbox.MIB, uid=run_as,
        ipc_dir=None if ipc_dir is None else str(ipc_dir), visible=tuple(str(p) for p in visible),
        root=None if root is None else str(root)))


def mounted_as(cmd: list[str], path) -> str:
    """How ``path`` looks inside the sandbox: the kind of the last mount covering it, 'absent' if none."""
    path, kind, i = Path(path).resolve(), "absent", 0
    while i < len(cmd):
        flag = cmd[i]
        if flag in MOUNTS:
            dest = Path(cmd[i + MOUNTS[flag]])
            if flag not in ("--dir", "--symlink") and (path == dest or dest in path.parents):
                kind = flag.removeprefix("--")
            i += MOUNTS[flag] + 1
        else:
            i += 1
    return kind


def test_an_environment_under_tmp_is_mounted_back(monkeypatch, tmp_path):
    # A clone in /tmp (a CI checkout, a fresh clone) keeps its .venv there; the private /tmp would hide it.
    venv = tmp_path / "clone" / ".venv"
    venv.mkdir(parents=True)
    monkeypatch.setattr(sys, "prefix", str(venv))
    cmd = command(["python"], tmp_path / "course" / "autograded", tmp_path / "course")
    assert mounted_as(cmd, venv / "lib") == "ro-bind"
    assert mounted_as(cmd, tmp_path / "clone" / "other") == "tmpfs"  # the private /tmp


def test_an_environment_inside_the_course_is_mounted_back_and_the_rest_hidden(monkeypatch, tmp_path):
    course = tmp_path / "course"
    (course / ".venv").mkdir(parents=True)
    (course / "source").mkdir()
    monkeypatch.setattr(sys, "prefix", str(course / ".venv"))
    cmd = command(["python"], course / "autograded" / "s1", course)
    assert mounted_as(cmd, course / ".venv" / "bin") == "ro-bind"
    assert mounted_as(cmd, course / "source" / "ps1.spec.toml") == "tmpfs"  # inside the private /tmp
    assert mounted_as(cmd, course / "gradebook.db") == "tmpfs"


def test_only_the_system_and_what_python_imports_are_there(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "prefix", "/srv/course/.venv")
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    cmd = command(["python"], "/srv/course/autograded/s1/ps1", "/srv/course",
                                  visible=["/srv/course/.venv/lib", "/srv/course", "/"])
    for path in ("/usr/lib/python3/dist-packages", "/etc/hostname"):
        assert mounted_as(cmd, path) == "ro-bind"
    for path in ("/srv/course/source/ps1/ps1.spec.toml", "/srv/course/gradebook.db", "/srv/course/submitted/bob",
                 "/home/prof/.ssh/id_rsa", "/root/.bash_history", "/run/postgresql/.s.PGSQL.5432", "/var/lib"):
        assert mounted_as(cmd, path) == "absent", path
    assert mounted_as(cmd, "/srv/course/autograded/s1/ps1/scratch.txt") == "tmpfs"


def test_a_visible_path_that_would_bring_back_the_course_is_not_bound(tmp_path):
    course = tmp_path / "course"
    (course / "pkg").mkdir(parents=True)
    cmd = command(["python"], course / "autograded" / "s1", course, visible=[course, course / "pkg"])
    assert mounted_as(cmd, course / "source" / "ps1.spec.toml") == "tmpfs"
    assert mounted_as(cmd, course / "pkg" / "mod.py") == "ro-bind"


def test_another_course_on_the_import_path_is_not_bound(tmp_path):
    # PYTHONPATH=<the course repository> (to run its package without installing it) would show every spec
    repo = tmp_path / "repo"
    (repo / "source" / "ps1").mkdir(parents=True)
    (repo / "nbgrader_config.py").write_text("c = get_config()\n")
    (repo / "autograder").mkdir()
    courses = tmp_path / "courses"
    (courses / "stats101").mkdir(parents=True)
    (courses / "stats101" / "nbgrader_config.py").write_text("c = get_config()\n")
    grading = tmp_path / "grading" / "autograded" / "s1"
    cmd = command(["python"], grading, tmp_path / "grading", visible=[repo, repo / "autograder", courses])
    assert mounted_as(cmd, repo / "source" / "ps1" / "ps1.spec.toml") == "tmpfs"
    assert mounted_as(cmd, courses / "stats101" / "nbgrader_config.py") == "tmpfs"
    assert mounted_as(cmd, repo / "autograder" / "notebook.py") == "ro-bind"  # the package alone may come back


def test_an_environment_elsewhere_needs_no_mount(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "prefix", "/usr")
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    cmd = command(["python"], tmp_path / "course" / "autograded", tmp_path / "course")
    assert mounted_as(cmd, "/usr/lib") == "ro-bind" and cmd.count("/usr") == 2  # the system's one mount


def test_no_network_private_size_capped_folders_and_host_sockets_hidden(tmp_path):
    work = tmp_path / "course" / "autograded" / "s1" / "ps1"
    work.mkdir(parents=True)
    (work / "ps1.checks.json").write_text("{}")
    ipc = tmp_path / "ipc"
    cmd = command(["python"], work, tmp_path / "course", ipc_dir=ipc, disk_mb=10)
    assert "--unshare-net" in cmd
    assert mounted_as(cmd, ipc / "k-1") == "bind"  # the kernel's unix sockets
    assert mounted_as(cmd, work / "new.txt") == "tmpfs" and mounted_as(cmd, "/tmp/x") == "tmpfs"
    assert mounted_as(cmd, work / "ps1.checks.json") == "ro-bind"  # the submission's files, read-only
    sizes = [cmd[i + 1] for i, flag in enumerate(cmd) if flag == "--size"]
    assert sizes and set(sizes) == {str(10 * 1024 * 1024)}
    assert mounted_as(cmd, "/run/postgresql/.s.PGSQL.5432") == "absent"


def test_links_and_fifos_in_the_working_folder_are_not_bound(tmp_path):
    """bwrap follows a link it binds: a link to the spec must not appear in the kernel's folder; its plain
    neighbour must (the near miss)."""
    work = tmp_path / "w"
    work.mkdir()
    secret = tmp_path / "spec.toml"
    secret.write_text("reference = 'a - y'")
    (work / "notes.txt").symlink_to(secret)
    os.mkfifo(work / "pipe")
    (work / "plain.txt").write_text("x")
    cmd = command(["python"], work, tmp_path)
    assert mounted_as(cmd, work / "plain.txt") == "ro-bind"
    assert str(secret) not in cmd and str(work / "notes.txt") not in cmd and str(work / "pipe") not in cmd


def test_run_as_an_unprivileged_user_drops_capabilities_after_mounting(tmp_path):
    cmd = command(["python", "-m", "ipykernel_launcher"], tmp_path / "w", None, run_as=2_000_000_123)
    assert "become_student(2000000123, " in cmd[-4] and cmd[-3:] == ["python", "-m", "ipykernel_launcher"]


def test_import_paths_come_from_the_kernels_interpreter(tmp_path, monkeypatch):
    # an import location only the kernel's interpreter has (here PYTHONPATH, as an editable install would add)
    other = tmp_path / "other-checkout"
    other.mkdir()
    env = {"PATH": str(Path(sys.executable).parent), "PYTHONPATH": str(other)}
    assert str(other) in sandbox.import_paths([Path(sys.executable).name], env)
    assert str(other) not in sandbox.import_paths([Path(sys.executable).name], {"PATH": env["PATH"]})


def test_jupyters_config_folders_are_hidden(monkeypatch, tmp_path):
    # /etc/jupyter/nbgrader_config.py may hold the gradebook's URL with its password
    etc = tmp_path / "venv" / "etc" / "jupyter"
    etc.mkdir(parents=True)
    (etc / "nbgrader_config.py").write_text("c.CourseDirectory.db_url = 'postgresql://grader:secret@db/gb'\n")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    monkeypatch.setattr(sandbox, "_jupyter_config_dirs", lambda: [etc.resolve(), Path("/etc/jupyter")])
    cmd = command(["python"], tmp_path / "course" / "autograded", tmp_path / "course")
    assert mounted_as(cmd, tmp_path / "venv" / "lib") == "ro-bind"
    assert mounted_as(cmd, etc / "nbgrader_config.py") == "tmpfs"
    assert mounted_as(cmd, "/etc/jupyter/nbgrader_config.py") == "tmpfs"
