"""tools/system-packages.sh, the set-up step of `make demo` and `make test`, on a fake machine: PATH holds only
fake programs, so the branches for missing packages run without touching this machine's packages."""

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "system-packages.sh"
ALL = ["bubblewrap", "chromium", "chromium-driver", "postgresql"]
PROGRAM = {"bubblewrap": "bwrap", "chromium": "chromium", "chromium-driver": "chromedriver"}


def _executable(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)


@pytest.fixture
def machine(tmp_path):
    """A fake machine: ``bin/`` is the whole PATH, ``pg/`` stands for /usr/lib/postgresql."""
    bin_dir, pg = tmp_path / "bin", tmp_path / "pg"
    bin_dir.mkdir()
    pg.mkdir()

    def have(*packages):
        for package in packages:
            if package == "postgresql":
                (pg / "17" / "bin").mkdir(parents=True)
                _executable(pg / "17" / "bin" / "initdb", "exit 0")
            else:
                _executable(bin_dir / PROGRAM[package], "exit 0")

    def user(uid: int):
        _executable(bin_dir / "id", f'[ "$1" = -u ] && echo {uid}')

    def apt_get(installs: bool = True):
        # Logs each call; `install` creates the programs of the packages it is given, as the real one would.
        creates = "".join(
            f'    {p}) printf "#!/bin/sh\\n" > {bin_dir}/{PROGRAM[p]}; /bin/chmod +x {bin_dir}/{PROGRAM[p]} ;;\n'
            for p in PROGRAM) + f'    postgresql) /bin/mkdir -p {pg}/16/bin; printf "#!/bin/sh\\n" > {pg}/16/bin/initdb ;;\n'
        body = f'echo "$@" >> {tmp_path}/apt.log\n'
        if installs:
            body += 'if [ "$1" = install ]; then for p in "$@"; do case "$p" in\n' + creates + "esac; done; fi"
        _executable(bin_dir / "apt-get", body)

    def run(*packages):
        return subprocess.run(["/bin/bash", str(SCRIPT), *packages], capture_output=True, text=True,
                              env={"PATH": str(bin_dir), "POSTGRES_LIB": str(pg)})

    def apt_log():
        log = tmp_path / "apt.log"
        return log.read_text().splitlines() if log.exists() else []

    return have, user, apt_get, run, apt_log


def test_everything_present_is_silent_and_installs_nothing(machine):
    have, user, apt_get, run, apt_log = machine
    have(*ALL)
    user(1000)
    apt_get()
    proc = run(*ALL)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert apt_log() == []


def test_not_root_stops_with_the_one_command_to_run(machine):
    have, user, apt_get, run, apt_log = machine
    have("bubblewrap", "chromium")
    user(1000)
    apt_get()
    proc = run(*ALL)
    assert proc.returncode == 1
    assert "Missing system packages: chromium-driver postgresql" in proc.stderr
    assert "sudo sh -c 'apt-get update && apt-get install -y chromium-driver postgresql'" in proc.stderr
    assert apt_log() == []


def test_root_installs_exactly_what_is_missing(machine):
    have, user, apt_get, run, apt_log = machine
    have("chromium", "chromium-driver")
    user(0)
    apt_get()
    proc = run(*ALL)
    assert proc.returncode == 0, proc.stderr
    assert apt_log() == ["update -qq", "install -y -qq bubblewrap postgresql"]
    assert run(*ALL).returncode == 0 and apt_log()[-1] == "install -y -qq bubblewrap postgresql"  # idempotent


def test_demo_needs_only_bubblewrap(machine):
    have, user, apt_get, run, apt_log = machine
    have("bubblewrap")
    user(1000)
    proc = run("bubblewrap")
    assert (proc.returncode, proc.stderr) == (0, "")


def test_an_install_that_leaves_the_program_missing_fails(machine):
    have, user, apt_get, run, apt_log = machine
    user(0)
    apt_get(installs=False)
    proc = run("bubblewrap")
    assert proc.returncode == 1
    assert "still not found" in proc.stderr


def test_the_makefile_runs_it_before_demo_and_test():
    dry = subprocess.run(["make", "-n", "demo", "test"], cwd=SCRIPT.parents[1], capture_output=True, text=True,
                         env=dict(os.environ, MAKEFLAGS=""))
    lines = dry.stdout.splitlines()
    assert lines.index("tools/system-packages.sh bubblewrap") < lines.index(".venv/bin/autograder demo")
    assert lines.index("tools/system-packages.sh bubblewrap chromium chromium-driver postgresql") < \
        lines.index(".venv/bin/python -m pytest")
