"""Drive a notebook in JupyterLab the way a student does, and read back what the page shows."""

from __future__ import annotations

import re
import unicodedata

from playwright.sync_api import Locator, Page

#: The notebook in the current tab (JupyterLab keeps other documents' panels hidden in the DOM).
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"

#: True once the kernel is idle and every code cell shows an execution count: ``[3]:``, not ``[*]:``
#: (queued or running) nor ``[ ]:`` (never ran).
ALL_CELLS_RAN = """() => {
    const prompts = [...document.querySelectorAll(
        '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt')];
    const indicator = document.querySelector(
        '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator');
    return prompts.length > 0
        && prompts.every(p => /\\[\\d+\\]/.test(p.textContent))
        && indicator !== null && indicator.dataset.status === 'idle';
}"""

#: Unicode that MathJax's accessible text and sympy's pretty forms use for ASCII operators.
_OPERATORS = str.maketrans({"\u2212": "-", "\u22c5": "*", "\u00b7": "*", "\u00d7": "*", "\u2061": ""})


def math_plain(text: str) -> str:
    """Fold text to compare formulas across renderings: NFKC (math italic 𝑎 → a), ASCII operators, no spaces.

    >>> math_plain("(𝑎 − 𝑦) / (a*(1 - a))")
    '(a-y)/(a*(1-a))'
    """
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).translate(_OPERATORS))


def latex_glyphs(latex: str) -> str:
    """The characters MathJax draws for simple LaTeX, in reading order (commands and braces dropped).

    A fraction reads numerator then denominator, so this is what ``math_plain`` makes of the
    page text of the rendered formula.

    >>> latex_glyphs(r"\\frac{a - y}{a \\left(1 - a\\right)}")
    'a-ya(1-a)'
    """
    return math_plain(re.sub(r"\\[A-Za-z]+|[{}]", "", latex))


def open_notebook(page: Page, url: str) -> Locator:
    """Open a notebook address in JupyterLab, wait for its kernel to be idle, return its cells."""
    page.goto(url)
    page.locator(f"{NOTEBOOK} .jp-Cell").first.wait_for()
    page.locator(
        ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status='idle']"
    ).wait_for(timeout=60_000)
    return page.locator(f"{NOTEBOOK} .jp-Cell")


def editor_text(cell: Locator) -> str:
    """The source shown in a cell's CodeMirror editor (one line per ``.cm-line``)."""
    return "\n".join(cell.locator(".cm-content .cm-line").all_inner_texts())


def find_code_cell(cells: Locator, pattern: str) -> int:
    """Index of the first code cell whose editor text matches the regular expression ``pattern``."""
    for index in range(cells.count()):
        cell = cells.nth(index)
        if "jp-CodeCell" in (cell.get_attribute("class") or "") and re.search(
            pattern, editor_text(cell), re.MULTILINE
        ):
            return index
    raise AssertionError(f"no code cell matches {pattern!r}")


def type_into_cell(page: Page, cell: Locator, source: str) -> None:
    """Replace a cell's source by typing, as a student does: click the editor, select all, type."""
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.type(source)
    typed = editor_text(cell)
    # CodeMirror may auto-close brackets or indent; what the kernel runs must be exactly what we meant.
    assert typed == source, f"the editor holds {typed!r} after typing {source!r}"
    page.keyboard.press("Escape")  # back to command mode, as after editing


def run_all_cells(page: Page, timeout_ms: int = 90_000) -> None:
    """Run every cell through the *Run → Run All Cells* menu and wait until the kernel is idle again."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True).click()
    page.wait_for_function(ALL_CELLS_RAN, timeout=timeout_ms)


def output_area(cell: Locator) -> Locator:
    """The outputs shown under a code cell."""
    return cell.locator(".jp-OutputArea")
