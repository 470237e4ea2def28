"""The sandbox policy both kernel sandboxes read (bubblewrap's command, the warm fork): checked when made and when it
arrives at the template, its uid drop and limits written once and really applied, and no import cycle between the
sandbox's modules."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.sandbox_policy import PolicyError, SandboxPolicy, become_script
from autograder.warm.template import checked_request

REPO = Path(__file__).resolve().parents[2]
GOOD = SandboxPolicy(cwd="/course/autograded/s1/ps1", disk_bytes=10 << 20, processes=64, uid=2_000_000_007,
                     ipc_dir="/tmp/agk-1-2-x/k1", env=(("PATH", "/usr/bin"), ("LANG", "C.UTF-8")),
                     visible=("/opt/venv",), root="/course")


def test_a_policy_crosses_the_templates_socket_unchanged():
    wire = json.loads(json.dumps({"policy": GOOD.to_json(), "args": ["-f", "/tmp/k.json"]}))
    assert checked_request(wire) == {"policy": GOOD, "args": ["-f", "/tmp/k.json"]}


@pytest.mark.parametrize("change, says", [
    ({"uid": 0}, "uid"),  # a kernel as root
    ({"uid": None}, "uid of its own"),  # the template is root: no uid would leave the kernel root
    ({"uid": True}, "uid"),  # a bool is not a uid
    ({"uid": 2**31}, "uid"),
    ({"processes": 0}, "processes"),
    ({"disk_bytes": "268435456"}, "disk_bytes"),
    ({"cwd": "course/s1"}, "cwd"),
    ({"ipc_dir": "/tmp/a\0b"}, "ipc_dir"),
    ({"env": [["PATH"]]}, "env"),
    ({"env": {"PATH": "/usr/bin"}}, "env"),
    ({"env": [["A=B", "c"]]}, "env"),
    ({"visible": "/opt/venv"}, "visible"),
    ({"extra": 1}, "unexpected fields ['extra']"),
])
def test_a_bad_policy_is_refused_on_arrival_saying_which_field(change, says):
    wire = {**GOOD.to_json(), **change}
    with pytest.raises(ValueError, match=says.replace("[", r"\[").replace("]", r"\]")):
        checked_request({"policy": wire, "args": []})


def test_a_policy_missing_a_field_or_a_request_with_bad_args_is_refused():
    wire = GOOD.to_json()
    del wire["processes"]
    with pytest.raises(PolicyError, match=r"missing \['processes'\]"):
        checked_request({"policy": wire, "args": []})
    with pytest.raises(ValueError, match="args"):
        checked_request({"policy": GOOD.to_json(), "args": [1]})
    with pytest.raises(ValueError, match="policy and args"):
        checked_request({"policy": GOOD.to_json(), "args": [], "uid": 0})


def test_the_sandboxs_own_environment_wins_over_the_graders():
    env = SandboxPolicy(cwd="/w", env=(("HOME", "/root"), ("JPY_PARENT_PID", "77"), ("LANG", "C"))).environment
    assert env == {"HOME": "/tmp", "IPYTHONDIR": "/tmp/.ipython", "JPY_PARENT_PID": "1", "LANG": "C"}


def test_bwraps_command_runs_the_same_become_student_the_warm_fork_calls(tmp_path):
    """The script bubblewrap runs before the kernel, run here for real: the process it execs has the policy's user
    (when this runs as root) and its limits."""
    root = os.geteuid() == 0
    policy = SandboxPolicy(cwd=str(tmp_path), disk_bytes=5 << 20, processes=4000,
                           uid=2_000_000_009 if root else None)
    # the exec'd process is a system shell: the grader's interpreter may live where the new user cannot read
    out = subprocess.run([sys.executable, "-c", become_script(policy), "/bin/sh", "-c", "id -u; cat /proc/self/limits"],
                         cwd="/", capture_output=True, text=True, timeout=60, check=True).stdout.splitlines()
    limits = {line[:26].strip(): line[26:].split()[0] for line in out[2:]}
    assert out[0] == str(policy.uid if root else os.getuid())
    assert (limits["Max file size"], limits["Max processes"]) == (str(5 << 20), "4000")
    cmd = sandbox.bwrap_command(["python"], policy)
    assert cmd[-2] == become_script(policy)  # inside the sandbox, as root or not: the process cap is set there


def _calls(path: Path) -> dict[str, set[str]]:
    """For each function of the module at ``path``: the names it calls (``a.b(...)`` counts as ``b``)."""
    found = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef):
            found[node.name] = {getattr(c.func, "attr", getattr(c.func, "id", None))
                                for c in ast.walk(node) if isinstance(c, ast.Call)}
    return found


def test_the_uid_drop_and_limits_are_written_once():
    policy_module = _calls(REPO / "autograder" / "sandbox_policy.py")
    assert {"setuid", "setgid", "setgroups", "setrlimit"} <= policy_module["become_student"]
    for module in ("sandbox.py", "warm/template.py"):
        calls = _calls(REPO / "autograder" / module)
        assert not {"setuid", "setgid", "setgroups", "setrlimit"} & set().union(*calls.values()), module
    assert "become_student" in _calls(REPO / "autograder" / "warm" / "template.py")["_become_student"]
    assert "become_student" in _calls(REPO / "autograder" / "sandbox.py")["limit"]
    assert "become_script" in _calls(REPO / "autograder" / "sandbox.py")["bwrap_command"]


SCOPE = ("autograder.sandbox", "autograder.sandbox_policy", "autograder.warm")


def _imports(module: str) -> set[str]:
    """The autograder modules ``module`` imports, at its top or inside a function (relative imports resolved)."""
    path = REPO / Path(*module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    return _imports_of(path.read_text(encoding="utf-8"), package)


def _imports_of(source: str, package: str) -> set[str]:
    """The autograder modules ``source`` (a module of ``package``) imports, wherever in it."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[:len(base) - node.level + 1] if node.level else []
            name = ".".join([*base, *([node.module] if node.module else [])])
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
    return {n for n in found if n.startswith("autograder.")}


def _in_scope(name: str) -> bool:
    return any(name == s or name.startswith(s + ".") for s in SCOPE)


def _graph() -> dict[str, set[str]]:
    modules = ["autograder.sandbox", "autograder.sandbox_policy",
               *(f"autograder.warm.{p.stem}" for p in (REPO / "autograder" / "warm").glob("*.py")
                 if p.stem != "__init__")]
    return {m: {n for n in _imports(m) if _in_scope(n) and n in modules and n != m} for m in modules}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` (as the modules along it), or None."""
    state: dict[str, int] = {}

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt]
            if nxt not in state:
                found = visit(nxt, path + [nxt])
                if found:
                    return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def test_no_import_cycle_among_the_sandboxs_modules():
    graph = _graph()
    assert "autograder.sandbox" in graph["autograder.warm.provisioner"]  # the graph sees the imports it should
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_the_cycle_check_sees_a_function_level_import():
    # the near miss: an import hidden in a function, as sandbox.py once had (from .warm.provisioner import is_warm)
    hidden = _imports_of("def launch():\n    from .warm.provisioner import is_warm\n", "autograder")
    assert "autograder.warm.provisioner" in hidden
    graph = _graph()
    graph["autograder.sandbox"] |= {n for n in hidden if n in graph}
    assert _cycle(graph) == ["autograder.sandbox", "autograder.warm.provisioner", "autograder.sandbox"]
