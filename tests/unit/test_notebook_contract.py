"""The notebook contract has one home, ``autograder/protocol.py``: every string the kernel module, the build and the
grader agree on is spelled there only, and the package's import graph has no cycle and no grader-side module that
imports the student's kernel module (``autograder.notebook``), which patches sympy in a kernel."""

import ast
from pathlib import Path

import pytest

from autograder import protocol

PACKAGE = Path(__file__).resolve().parents[2] / "autograder"
KERNEL_MODULE = "autograder.notebook"
# contract strings distinctive enough that the package spells them nowhere else, not even inside a longer string
DISTINCT = {name: getattr(protocol, name) for name in (
    "ANSWER_MIME", "RESULT_MIME", "RECORD_CALL", "CHECKS_SUFFIX", "GRADING_ENV", "ANSWER_SUFFIX", "CHECK_SUFFIX",
    "KERNEL_KEY", "INPUTS_KEY", "SPEC_HASH_KEY")}
# metadata keys that are also plain words ("autograder" is the package's name too): never a literal key of a lookup
# (SANDBOX_KEY, "sandbox", is also a field of the grading record of each student: not checked)
KEY_WORDS = {name: getattr(protocol, name) for name in ("METADATA_KEY", "SEAL_KEY", "KERNEL_START_KEY")}


def _code_strings(tree) -> list:
    """The string constants of a module that are code, not docstrings (docs may name the contract)."""
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def spellings(package: Path, value: str) -> list[str]:
    """``path:line`` of every code string constant in ``package`` that contains ``value`` (f-string parts too)."""
    return [f"{path.relative_to(package.parent).as_posix()}:{line}" for path in sorted(package.rglob("*.py"))
            for line in sorted({node.lineno for node in _code_strings(ast.parse(path.read_text(encoding="utf-8")))
                                if value in node.value})]


def literal_keys(package: Path, key: str) -> list[str]:
    """``path:line`` of every ``x[key]``, ``x.get(key…)``, ``x.setdefault(key…)``, ``key in x`` with ``key`` a literal."""
    found = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            used = (node.slice if isinstance(node, ast.Subscript) else
                    node.args[0] if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("get", "setdefault", "pop") and node.args else
                    node.left if isinstance(node, ast.Compare) and isinstance(node.ops[0], (ast.In, ast.NotIn)) else
                    None)
            if isinstance(used, ast.Constant) and used.value == key:
                found.append(f"{path.relative_to(package.parent).as_posix()}:{node.lineno}")
    return found


def modules(package: Path) -> dict:
    """Dotted module name → file, for every module of ``package``."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_graph(package: Path) -> dict:
    """Module → the package's modules it imports, at the top or inside a function (``from m import x`` counts as
    ``m.x`` when that is a module, else as ``m``)."""
    found = modules(package)
    graph = {}
    for name, path in found.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_bytes())):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                targets |= {f"{base}.{a.name}" if f"{base}.{a.name}" in found else base for a in node.names}
        graph[name] = {t for t in targets if t in found and t != name}
    return graph


def cycles(graph: dict) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while not component or component[-1] != v:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def reached(graph: dict, start: str) -> set:
    """``start`` and every module it imports, directly or not."""
    seen, pending = set(), [start]
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending += graph.get(name, ())
    return seen


def importers_of_kernel_module(graph: dict, kernel: str = KERNEL_MODULE) -> list[str]:
    """Grader-side modules (all but the kernel module and what it needs) that import the kernel module."""
    kernel_side = reached(graph, kernel)
    return sorted(name for name, targets in graph.items() if kernel in targets and name not in kernel_side)


@pytest.mark.parametrize("name", sorted(DISTINCT))
def test_each_contract_string_is_spelled_only_in_the_protocol(name):
    where = spellings(PACKAGE, DISTINCT[name])
    assert where == [f"autograder/protocol.py:{_line_of(name + ' = ')}"], where


@pytest.mark.parametrize("name", sorted(KEY_WORDS))
def test_no_lookup_spells_a_metadata_key(name):
    assert literal_keys(PACKAGE, KEY_WORDS[name]) == []


def test_the_scanners_find_a_spelling_outside_the_protocol(tmp_path):
    """Near misses: a planted f-string part, a string containing a suffix, and literal metadata lookups are found;
    a docstring naming the contract is not."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "a.py").write_text('"""Reads ``*.checks.json`` and the -answer cell."""\n'
                                  'cell = f"{step}-answer"\nquiz = "student_id-answer"\n'
                                  'v = cell.metadata["autograder"]\nw = nb.get("autograder", {})\n'
                                  'x = "autograder" in nb\n')
    assert spellings(package, "-answer") == ["pkg/a.py:2", "pkg/a.py:3"]
    assert spellings(package, ".checks.json") == []
    assert literal_keys(package, "autograder") == ["pkg/a.py:4", "pkg/a.py:5", "pkg/a.py:6"]


def test_the_package_has_no_import_cycle():
    assert cycles(import_graph(PACKAGE)) == []


def test_no_grader_side_module_imports_the_kernel_module():
    graph = import_graph(PACKAGE)
    assert KERNEL_MODULE in graph and importers_of_kernel_module(graph) == []
    # the contract sits below both sides: the kernel module and the nbgrader glue import it, it imports nothing
    assert "autograder.protocol" in graph[KERNEL_MODULE] and "autograder.protocol" in graph["autograder.nbgrader.judge"]
    assert graph["autograder.protocol"] == set()


def test_the_graph_checks_catch_a_cycle_and_a_grader_importing_the_kernel_module(tmp_path):
    """Near misses: a cycle closed by a function-level relative import, and a grader module importing the kernel
    module inside a function, are both found; the kernel module's own helper importing it back is a cycle only."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "contract.py").write_text("X = 1\n")
    (package / "kernel.py").write_text("from pkg.contract import X\nfrom pkg import helper\n")
    (package / "helper.py").write_text("def f():\n    from . import kernel\n")
    (package / "sub" / "grader.py").write_text("from ..contract import X\n\ndef g():\n    import pkg.kernel\n")
    graph = import_graph(package)
    assert graph["pkg.sub.grader"] == {"pkg.contract", "pkg.kernel"}
    assert cycles(graph) == [["pkg.helper", "pkg.kernel"]]
    assert importers_of_kernel_module(graph, "pkg.kernel") == ["pkg.sub.grader"]


def test_the_build_names_cells_with_the_protocol_suffixes():
    from autograder.authoring.build import source_notebook
    from autograder.authoring.spec import Spec

    spec = Spec.from_file(PACKAGE.parent / "source" / "ps1" / "ps1.spec.toml")
    ids = [c.metadata["nbgrader"]["grade_id"] for c in source_notebook(spec).cells]
    assert [i for i in ids if i.endswith(protocol.CHECK_SUFFIX)] == [protocol.check_cell_id(s.id) for s in spec.steps]
    assert [i for i in ids if i.endswith(protocol.ANSWER_SUFFIX)] == [protocol.answer_cell_id(s.id) for s in spec.steps]


def _line_of(prefix: str) -> int:
    lines = (PACKAGE / "protocol.py").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(prefix))
