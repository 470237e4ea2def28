"""The grading kernel's sandbox: student code cannot write outside its folder, read the course, or stop grading."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.sandbox import SandboxedKernelManager

pytestmark = pytest.mark.e2e

CELLS = {
    "cwd": "import os; print(os.getcwd())",
    "own": "open('mine.txt', 'w').write('ok'); print(open('mine.txt').read())",
    # lands in the sandbox's private /tmp, never on the host
    "write_outside": "try:\n    open({outside!r}, 'w').write('x')\nexcept OSError as e:\n    print('blocked', type(e).__name__)",
    "write_venv": "import sys\ntry:\n    open(sys.prefix + '/evil.txt', 'w').write('x')\nexcept OSError as e:\n    print('blocked', type(e).__name__)",
    "read_spec": "try:\n    print(open('../../../source/ps1/ps1.spec.toml').read())\nexcept OSError as e:\n    print('hidden', type(e).__name__)",
    "read_gradebook": "try:\n    print(len(open('../../../gradebook.db', 'rb').read()))\nexcept OSError as e:\n    print('hidden', type(e).__name__)",
    "others": "print(sorted(os.listdir('../..')))",
    "shell": "import subprocess; print(subprocess.run(['sh', '-c', 'touch {outside}; echo done'], capture_output=True, text=True).stderr)",
    "loop": "while True:\n    pass",
    "after": "print('after interrupt')",
    "kill_parent": "import signal\ntry:\n    os.kill(os.getppid(), signal.SIGKILL)\nexcept OSError as e:\n    print(type(e).__name__)",
    "imports": "import sympy, autograder.notebook; print('imports ok')",
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
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
    outside = base / "outside.txt"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src.format(outside=str(outside)))
                                         for src in CELLS.values()])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(nb, timeout=5, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
                            resources={"metadata": {"path": str(work)}},
                            kernel_manager_class=SandboxedKernelManager)
    client.execute()
    outputs = {name: "".join(o.get("text", o.get("ename", "")) for o in cell.outputs)
               for name, cell in zip(CELLS, nb.cells)}
    return outputs, work, outside


def test_own_folder_is_writable(run):
    out, work, _ = run
    assert out["cwd"].strip() == str(work.resolve())
    assert out["own"].strip() == "ok" and (work / "mine.txt").read_text() == "ok"


def test_nothing_outside_is_written(run):
    import sys

    out, _, outside = run
    assert not outside.exists()  # neither by Python nor by a shell command
    assert "blocked OSError" in out["write_venv"] and not (Path(sys.prefix) / "evil.txt").exists()


def test_the_course_is_hidden(run):
    out, _, _ = run
    assert "hidden" in out["read_spec"] and "a - y" not in out["read_spec"]
    assert "hidden" in out["read_gradebook"]
    assert out["others"].strip() == "['alice']"  # bob's submission is not there


def test_timeouts_interrupt_inside_the_sandbox_and_grading_goes_on(run):
    out, _, _ = run
    assert "KeyboardInterrupt" in out["loop"]
    assert out["after"].strip() == "after interrupt"
    assert out["imports"].strip() == "imports ok"  # ran after the kill attempt: the kernel and grader live
