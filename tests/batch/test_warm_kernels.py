"""Kernels forked from the warm template start clean: nothing one student leaves behind (a global, a file, a
monkeypatched module, a process, an environment variable) reaches the next, and the template never sees the course.
Where forking is impossible the kernel starts afresh in its own sandbox, and the log says why."""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import nbformat
import psutil
import pytest
from nbclient import NotebookClient

from autograder.sandbox import SandboxedKernelManager
from autograder.warm import provisioner as warm
from tests.batch.test_sandbox import kernel_config

pytestmark = pytest.mark.e2e

LEAVE_BEHIND = """
import os, builtins, subprocess, sympy, autograder.notebook as notebook
left_global = 'alice'
open('/tmp/left.txt', 'w').write('alice')
open('left.txt', 'w').write('alice')
sympy.sin = lambda x: 'patched'
notebook.planted = 'alice'
builtins.planted = 'alice'
os.environ['LEFT_BEHIND'] = 'alice'
subprocess.Popen(['sleep', '120'], start_new_session=True)
print(os.getuid())
"""

LOOK = """
import os, json, builtins, sympy, autograder.notebook as notebook
others = [p for p in os.listdir('/proc') if p.isdigit() and open(f'/proc/{p}/cmdline').read().startswith('sleep')]
print(json.dumps({'global': 'left_global' in globals(), 'tmp': os.path.exists('/tmp/left.txt'),
       'folder': os.path.exists('left.txt'), 'sympy': sympy.sin(0) == 0, 'module': hasattr(notebook, 'planted'),
       'builtins': hasattr(builtins, 'planted'), 'env': 'LEFT_BEHIND' in os.environ, 'sleep': others,
       'pid': os.getpid(), 'uid': os.getuid()}))
"""


def execute(source: str, workdir: Path, start: str = "warm") -> tuple[str, SandboxedKernelManager]:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    km = SandboxedKernelManager(kernel_name="python3", config=kernel_config(start))
    forked = []
    client = NotebookClient(nb, km=km, timeout=30, allow_errors=True, resources={"metadata": {"path": str(workdir)}})
    client.on_notebook_start = lambda **_: forked.append(isinstance(km.provisioner.process, warm.ForkedKernel))
    client.execute()
    outputs = "".join(o.get("text", "") + "".join(o.get("traceback", [])) for o in nb.cells[0].outputs)
    return outputs, km, forked == [True]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap is not installed: apt-get install -y bubblewrap (make test installs it)")
    if os.geteuid() != 0:
        pytest.fail("warm kernels fork only when grading runs as root (make test runs as root in CI)")
    root = tmp_path_factory.mktemp("warm") / "course"
    (root / "source" / "ps1").mkdir(parents=True)
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    (root / "source" / "ps1" / "ps1.spec.toml").write_text("reference = 'a - y'\n")
    for student in ("alice", "bob"):
        (root / "autograded" / student / "ps1").mkdir(parents=True)
    return root


def test_nothing_one_student_leaves_reaches_the_next(course):
    first, _, forked_first = execute(LEAVE_BEHIND, course / "autograded" / "alice" / "ps1")
    second, _, forked_second = execute(LOOK, course / "autograded" / "bob" / "ps1")
    assert forked_first and forked_second, (first, second)
    seen = json.loads(second.strip().splitlines()[-1])
    assert seen["global"] is False and seen["tmp"] is False and seen["folder"] is False
    assert seen["sympy"] is True and seen["module"] is False and seen["builtins"] is False and seen["env"] is False
    assert seen["sleep"] == []  # alice's process is not in bob's PID namespace (it ended with her kernel)
    assert seen["pid"] == 2 and seen["uid"] != int(first.strip().splitlines()[-1])  # after its namespace's init
    assert not (course / "autograded" / "alice" / "ps1" / "left.txt").exists()


def test_the_template_never_sees_the_course(course):
    execute("print(1)", course / "autograded" / "alice" / "ps1")
    templates = [t for key, t in warm._TEMPLATES.items() if key[0] == os.getpid() and t.alive()]
    assert templates
    for template in templates:
        inside = [p for p in psutil.Process(template.process.pid).children() if "autograder.warm.template" in
                  " ".join(p.cmdline())]
        assert inside, "the template runs under bubblewrap"
        view = Path(f"/proc/{inside[0].pid}/root")
        assert (view / "usr").is_dir()  # its own root, as the kernels see it
        assert not (view / str(course).lstrip("/")).exists()
        assert not (view / "home").exists() and not (view / "run").exists()


def test_where_forking_is_impossible_the_kernel_starts_afresh_and_says_why(course, monkeypatch, caplog):
    monkeypatch.setattr(warm.WarmForkProvisioner, "fork_problem",
                        staticmethod(lambda kernel_cmd, euid=None: "the test says it cannot"))
    monkeypatch.setattr(warm.WarmForkProvisioner, "_said", set())
    with caplog.at_level(logging.WARNING):
        out, km, forked = execute("import os; print(os.getpid(), os.getuid())", course / "autograded" / "bob" / "ps1")
    assert not forked and km.sandboxed
    assert int(out.split()[1]) >= 1_000_000  # in bubblewrap's own sandbox, as a plain uid
    assert any("instead of a warm-forked one: the test says it cannot" in r.getMessage() for r in caplog.records)


def test_a_killed_kernels_exit_is_known_when_kill_returns(course):
    """(jupyter_client would otherwise poll for it every 0.1 s, a wait each graded submission paid)"""
    import asyncio

    async def run():
        km = SandboxedKernelManager(kernel_name="python3", config=kernel_config("warm"))
        await km.start_kernel(cwd=str(course / "autograded" / "alice" / "ps1"))
        process = km.provisioner.process
        try:
            assert isinstance(process, warm.ForkedKernel)
            await km.provisioner.kill()
            return process.poll()
        finally:
            await km.shutdown_kernel(now=True)

    assert asyncio.run(run()) is not None
