"""`^` on a sympy symbol says "write **" only inside a notebook's kernel: importing autograder.notebook elsewhere
(the grader, its Dask workers, the pytest plugin's process) leaves sympy as it is."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _python(code: str) -> str:
    """``code`` run by a fresh interpreter (so no earlier import has changed sympy), its stdout (where IPython
    also prints tracebacks)."""
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                          check=True)
    return proc.stdout.strip()


def test_importing_the_module_outside_a_notebook_leaves_sympy_alone():
    out = _python("import sympy\n"
                  "before = (sympy.Expr.__dict__.get('__xor__'), sympy.Expr.__dict__.get('__rxor__'))\n"
                  "import autograder.notebook\n"
                  "print(before == (sympy.Expr.__dict__.get('__xor__'), sympy.Expr.__dict__.get('__rxor__')))")
    assert out == "True"


def test_in_a_notebook_a_caret_on_a_symbol_says_to_write_a_power():
    """As in a kernel: an IPython shell runs the setup cell's import, then cells that use `^` on symbols."""
    out = _python(
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "assert shell.run_cell('from autograder.notebook import *\\nm = symbols(\"m\")').success\n"
        "for cell in ('m ^ 2', '2 ^ m', '1 - m ^ 2'):\n"
        "    error = shell.run_cell(cell, silent=True).error_in_exec\n"
        "    print('raised:', type(error).__name__, error)\n")
    lines = [line.removeprefix("raised: ") for line in out.splitlines() if line.startswith("raised: ")]
    assert len(lines) == 3
    assert all(line.startswith("TypeError ") and "write ** for a power" in line for line in lines), out


def test_a_kernel_that_imported_the_module_before_its_shell_existed_is_prepared_by_the_setup_cell():
    """As in a kernel forked from a warm template (autograder/warm/), which imports the module first."""
    out = _python(
        "import autograder.notebook\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "assert shell.run_cell('from autograder.notebook import *\\nm = symbols(\"m\")').success\n"
        "error = shell.run_cell('m ^ 2', silent=True).error_in_exec\n"
        "print('raised:', type(error).__name__, error)\n")
    lines = [line.removeprefix("raised: ") for line in out.splitlines() if line.startswith("raised: ")]
    assert len(lines) == 1 and lines[0].startswith("TypeError ") and "write ** for a power" in lines[0], out


def test_importing_the_module_outside_a_notebook_fills_no_globals():
    """The math names (sum, max, exp, np, …) are the module's attributes, not its globals: imported by the grader
    they shadow no builtin in it, and nothing is written anywhere else (builtins stay Python's)."""
    out = _python("import builtins\n"
                  "before = dict(vars(builtins))\n"
                  "import autograder.notebook as nb\n"
                  "print(sorted(n for n in ('sum', 'max', 'abs', 'exp', 'np', 'tanh') if n in vars(nb)))\n"
                  "print(nb.sum([1, 2]), nb.exp.__name__, vars(builtins) == before)")
    assert out.splitlines() == ["[]", "3 exp True"]


def test_the_setup_cell_import_gives_the_kernel_every_name_the_module_offers():
    """Near miss of the test above: the kernel's namespace still gets them all, as the built setup cell imports
    them (autograder/authoring/build.py writes ``from autograder.notebook import *``)."""
    out = _python(
        "import autograder.notebook as nb\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "assert shell.run_cell('from autograder.notebook import *\\nX = matrix(\"X\", 1, 2)').success\n"
        "missing = [n for n in nb.__all__ if n not in shell.user_ns]\n"
        "print(len(nb.__all__) > 40, missing, shell.user_ns['sum'] is nb.sum, shell.user_ns['np'] is nb.np)\n"
        "print(shell.run_cell('print(sum(X), np.exp(X)[0])').success)\n")
    assert out.splitlines()[0] == "True [] True True"
    assert out.splitlines()[1:] == ["X_0_0 + X_0_1 exp(X_0_0)", "True"]
