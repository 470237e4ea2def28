"""The grading kernel's sandbox: student code cannot write outside its folder, read the course, reach any network,
fill the disk, fork without bound or stop grading; the same for a kernel started afresh under bubblewrap and for one
forked from the warm template (autograder/warm/)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from traitlets.config import Config

from autograder.sandbox import SandboxedKernelManager
from autograder.warm.provisioner import ForkedKernel

pytestmark = pytest.mark.e2e

# places of the machine that exist here and must not in the sandbox: host daemons' sockets, other courses (the
# repository's own spec), homes
HOST_PLACES = [p for p in ("/run", "/var", "/home", "/srv", str(Path(__file__).parents[2] / "source"),
                           os.path.expanduser("~/.cache")) if os.path.exists(p)]
DISK_MB = 32  # a small cap keeps the test fast; the default is autograder.sandbox.DISK_MB

CELLS = {
    "cwd": "import os; print(os.getcwd())",
    "own": "open('mine.txt', 'w').write('ok'); print(open('mine.txt').read())",
    "submitted_readable": "print(open('given.txt').read())",
    "submitted_readonly": "try:\n    open('given.txt', 'w').write('changed')\nexcept OSError as e:\n    print('blocked', type(e).__name__)",
    # lands in the sandbox's private /tmp, never on the host
    "write_outside": "try:\n    open({outside!r}, 'w').write('x')\nexcept OSError as e:\n    print('blocked', type(e).__name__)",
    "write_venv": "import sys\ntry:\n    open(sys.prefix + '/evil.txt', 'w').write('x')\nexcept OSError as e:\n    print('blocked', type(e).__name__)",
    "read_spec": "try:\n    print(open('../../../source/ps1/ps1.spec.toml').read())\nexcept OSError as e:\n    print('hidden', type(e).__name__)",
    "read_gradebook": "try:\n    print(len(open('../../../gradebook.db', 'rb').read()))\nexcept OSError as e:\n    print('hidden', type(e).__name__)",
    "others": "print(sorted(os.listdir('../..')))",
    "hidden_places": "print([p for p in {hidden!r} if os.path.exists(p)])",
    "uid": "print(os.getuid())",
    "shell": "import subprocess; print(subprocess.run(['sh', '-c', 'touch {outside}; echo done'], capture_output=True, text=True).stderr)",
    "loopback": ("import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=3); print('connected')\n"
                 "except OSError as e:\n    print('refused', type(e).__name__)"),
    "dns": "try:\n    print(socket.getaddrinfo('example.com', 80))\nexcept OSError as e:\n    print('no dns', type(e).__name__)",
    "interfaces": "print(sorted(name for _, name in socket.if_nameindex()))",
    "big_file": ("written = 0\ntry:\n    with open('big.bin', 'wb') as f:\n        while written < 4 * 1024**3:\n"
                 "            f.write(bytes(1024**2)); written += 1024**2\nexcept OSError as e:\n"
                 "    print('stopped', written // 1024**2, e.errno)"),
    "big_tmp": ("written = 0\ntry:\n    with open('/tmp/big.bin', 'wb') as f:\n        while written < 4 * 1024**3:\n"
                "            f.write(bytes(1024**2)); written += 1024**2\nexcept OSError as e:\n"
                "    print('stopped', written // 1024**2, e.errno)"),
    "many_files": ("os.remove('big.bin')\nn = 0\ntry:\n    os.mkdir('many')\n    while n < 100_000:\n"
                   "        with open(f'many/{{n}}', 'w') as f:\n            f.write('x' * 1000)\n        n += 1\nexcept OSError as e:\n"
                   "    print('stopped', n, e.errno)"),
    "fork_bomb": ("import time\nn = 0\ntry:\n    while n < 10_000:\n        if os.fork() == 0:\n"
                  "            time.sleep(3); os._exit(0)\n        n += 1\nexcept OSError as e:\n    print('stopped', n, e.errno)"),
    "loop": "while True:\n    pass",
    "after": "print('after interrupt')",
    "kill_parent": "import signal\ntry:\n    os.kill(os.getppid(), signal.SIGKILL)\nexcept OSError as e:\n    print(type(e).__name__)",
    "imports": "import sympy, autograder.notebook; print('imports ok')",
}


def kernel_config(start: str) -> Config:
    """The configuration that starts kernels ``fresh`` (each under its own bubblewrap) or ``warm`` (forked)."""
    config = Config()
    config.KernelProvisionerFactory.default_provisioner_name = (
        "autograder-warm-fork" if start == "warm" else "local-provisioner")
    return config


@pytest.fixture(scope="module", params=["fresh", "warm"])
def run(tmp_path_factory, request):
    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap is not installed: apt-get install -y bubblewrap (.ci/run installs it)")
    base = tmp_path_factory.mktemp("sandbox")
    root = base / "course"
    (root / "source" / "ps1").mkdir(parents=True)
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    (root / "source" / "ps1" / "ps1.spec.toml").write_text("reference = 'a - y'\n")
    (root / "gradebook.db").write_bytes(b"SQLite format 3\0secret")
    (root / "submitted" / "bob" / "ps1").mkdir(parents=True)
    work = root / "autograded" / "alice" / "ps1"
    work.mkdir(parents=True)
    (work / "given.txt").write_text("from the submission")
    outside = base / "outside.txt"
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    port = listener.getsockname()[1]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src.format(outside=str(outside), port=port,
                                                                           hidden=HOST_PLACES))
                                         for src in CELLS.values()])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    km = SandboxedKernelManager(kernel_name="python3", disk_mb=DISK_MB, config=kernel_config(request.param))
    client = NotebookClient(nb, km=km, timeout=8, allow_errors=True, interrupt_on_timeout=True,
                            resources={"metadata": {"path": str(work)}})
    forked = []
    client.on_notebook_start = lambda **_: forked.append(isinstance(km.provisioner.process, ForkedKernel))
    client.execute()
    assert forked == [request.param == "warm"]  # the warm kernel was forked, not started afresh as a fallback
    listener.close()
    outputs = {name: "".join(o.get("text", o.get("ename", "")) for o in cell.outputs)
               for name, cell in zip(CELLS, nb.cells)}
    return outputs, work, outside, accepted, km


def test_own_folder_is_writable_and_private(run):
    out, work, _, _, _ = run
    assert out["cwd"].strip() == str(work.resolve())
    assert out["own"].strip() == "ok"
    assert sorted(p.name for p in work.iterdir()) == ["given.txt"]  # nothing the kernel wrote reaches the host
    assert out["submitted_readable"].strip() == "from the submission"
    assert out["submitted_readonly"].strip() == "blocked PermissionError" or "blocked OSError" in out["submitted_readonly"]
    assert (work / "given.txt").read_text() == "from the submission"


def test_nothing_outside_is_written(run):
    import sys

    out, _, outside, _, _ = run
    assert not outside.exists()  # neither by Python nor by a shell command
    assert "blocked OSError" in out["write_venv"] and not (Path(sys.prefix) / "evil.txt").exists()


def test_the_course_and_the_hosts_sockets_are_hidden(run):
    out, _, _, _, _ = run
    assert "hidden" in out["read_spec"] and "a - y" not in out["read_spec"]
    assert "hidden" in out["read_gradebook"]
    assert out["others"].strip() == "['alice']"  # bob's submission is not there
    assert HOST_PLACES and out["hidden_places"].strip() == "[]"


def test_no_network_at_all(run):
    out, _, _, accepted, km = run
    assert out["loopback"].startswith("refused"), out["loopback"]
    assert accepted == []  # the port the test opened on the host's 127.0.0.1 saw no connection
    assert out["dns"].startswith("no dns"), out["dns"]
    assert out["interfaces"].strip() == "['lo']"
    assert km.transport == "ipc" and km.sandboxed  # the grader talked to the kernel over unix sockets


def test_the_kernel_runs_unprivileged(run):
    out, _, _, _, _ = run
    if os.geteuid() == 0:
        assert int(out["uid"]) >= 1_000_000  # a uid of its own, for which RLIMIT_NPROC holds
    else:
        assert int(out["uid"]) == os.getuid()


def test_writes_stop_at_the_cap(run):
    out, _, _, _, _ = run
    for cell in ("big_file", "big_tmp"):
        word, megabytes, errno = out[cell].split()
        assert word == "stopped" and int(megabytes) <= DISK_MB and int(errno) in (27, 28), out[cell]  # EFBIG, ENOSPC
    word, files, errno = out["many_files"].split()
    assert word == "stopped" and int(files) < 100_000 and int(errno) == 28, out["many_files"]


def test_a_fork_bomb_is_contained(run):
    out, _, _, _, km = run
    word, forks, errno = out["fork_bomb"].split()
    assert word == "stopped" and int(forks) < km.max_processes and int(errno) == 11, out["fork_bomb"]  # EAGAIN


def test_timeouts_interrupt_inside_the_sandbox_and_grading_goes_on(run):
    out, _, _, _, _ = run
    assert "KeyboardInterrupt" in out["loop"]
    assert out["after"].strip() == "after interrupt"
    assert out["imports"].strip() == "imports ok"  # ran after the kill attempt: the kernel and grader live


def test_without_bubblewrap_the_kernel_is_refused(tmp_path, monkeypatch):
    from autograder.sandbox import MISSING_BWRAP, SandboxMissing, sandbox_problem

    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no bwrap on it
    assert sandbox_problem() == MISSING_BWRAP and "apt-get install -y bubblewrap" in MISSING_BWRAP
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    km = SandboxedKernelManager(kernel_name="python3")
    with pytest.raises(SandboxMissing, match="apt-get install -y bubblewrap"):
        NotebookClient(nb, km=km, timeout=10, resources={"metadata": {"path": str(tmp_path)}}).execute()
