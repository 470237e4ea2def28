"""Drive a notebook in JupyterLab the way a student does, and read back what the page shows."""

from __future__ import annotations

import re
import time
import unicodedata

from playwright.sync_api import Locator, Page

#: The notebook in the current tab (JupyterLab keeps other documents' panels hidden in the DOM).
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"

#: True once Run All is over: the kernel is idle, no cell is queued or running (``[*]:``), and either
#: every code cell shows an execution count (``[3]:``) or a cell failed, which stops Run All.
RUN_ALL_FINISHED = """() => {
    const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
    if (panel === null) return false;
    const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
    const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
    const failed = panel.querySelector('[data-mime-type="application/vnd.jupyter.stderr"]') !== null;
    return prompts.length > 0 && indicator !== null && indicator.dataset.status === 'idle'
        && !prompts.some(p => p.textContent.includes('*'))
        && (failed || prompts.every(p => /\\[\\d+\\]/.test(p.textContent)));
}"""

#: True once every code cell of the notebook has its CodeMirror editor (they are attached lazily).
EDITORS_READY = """() => {
    const cells = [...document.querySelectorAll(
        '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-CodeCell')];
    return cells.length > 0 && cells.every(c => c.querySelector('.cm-content .cm-line') !== null);
}"""

#: Unicode that MathJax's accessible text and sympy's pretty forms use for ASCII operators.
_OPERATORS = str.maketrans({"\u2212": "-", "\u22c5": "*", "\u00b7": "*", "\u00d7": "*", "\u2061": ""})


def math_plain(text: str) -> str:
    """Fold text to compare formulas across renderings: NFKC (math italic 𝑎 → a), ASCII operators, no spaces.

    >>> math_plain("(𝑎 − 𝑦) / (a*(1 - a))")
    '(a-y)/(a*(1-a))'
    """
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).translate(_OPERATORS))


#: Each typeset formula on the page, written back as LaTeX-like text from MathJax's accessible MathML:
#: fractions, powers and roots keep their braces, so two adjacent fractions cannot run together into
#: text that neither contains (the drawn glyphs of 1-y over 1-a, minus y over a, read "1-y1-a-ya").
MATH_ON_PAGE = """(root) => {
    const write = node => {
        if (node.nodeType === Node.TEXT_NODE) return node.textContent;
        const parts = [...node.childNodes].map(write);
        switch (node.localName) {
            case 'mfrac': return '\\\\frac{' + parts[0] + '}{' + parts[1] + '}';
            case 'msup': return parts[0] + '^{' + parts[1] + '}';
            case 'msub': return parts[0] + '_{' + parts[1] + '}';
            case 'msqrt': return '\\\\sqrt{' + parts.join('') + '}';
            default: return parts.join('');
        }
    };
    return [...(root || document).querySelectorAll('mjx-container mjx-assistive-mml > math')].map(write);
}"""

#: All text in the page's body (hidden parts too) except typeset formulas, which MATH_ON_PAGE reads.
TEXT_WITHOUT_MATH = """() => {
    const body = document.body.cloneNode(true);
    body.querySelectorAll('mjx-container, script, style').forEach(e => e.remove());
    return body.textContent;
}"""


#: The page body's HTML (attributes included) without style sheets and scripts, whose CSS class names
#: and code are the page's machinery, not something shown to the student.
BODY_HTML = """() => {
    const body = document.body.cloneNode(true);
    body.querySelectorAll('script, style, link').forEach(e => e.remove());
    return body.outerHTML;
}"""


#: Where, on screen, the caret of a parse message sits, and the character it should point at: the
#: caret block is the answer's text, a newline, spaces and "^" (autograder.notebook.caret_lines).
CARET_POSITIONS = """(pre) => {
    const node = pre.firstChild;
    const [line, marker] = node.textContent.split('\\n');
    const box = offset => {
        const range = document.createRange();
        range.setStart(node, offset);
        range.setEnd(node, offset + 1);
        const r = range.getBoundingClientRect();
        return {left: r.left, top: r.top, height: r.height};
    };
    const column = marker.indexOf('^');
    return {target: box(column), caret: box(line.length + 1 + column)};
}"""


def latex_structure(latex: str) -> str:
    """Fold LaTeX to what ``MATH_ON_PAGE`` writes for the same formula once MathJax has typeset it.

    >>> latex_structure(r"\\frac{a - y}{a \\left(1 - a\\right)}")
    '\\\\frac{a-y}{a(1-a)}'
    >>> latex_structure(r"\\log{\\left(a \\right)} + e^{- z}")
    'log(a)+e^{-z}'
    """
    text = re.sub(r"\\left|\\right|\\operatorname|\\,|\\!|\\;", "", latex)
    text = re.sub(r"\\(log|ln|exp|sin|cos|tan|tanh)\b", r"\1", text)
    text = re.sub(r"\b(log|ln|exp|sin|cos|tan|tanh)\{(\(.*?\))\}", r"\1\2", text)  # \log{(a)} -> log(a)
    text = re.sub(r"\\(cdot|times)\b", "", text)  # MathML writes products by juxtaposition too
    return math_plain(text)


def open_notebook(page: Page, url: str) -> Locator:
    """Open a notebook address in JupyterLab, wait for its kernel to be idle, return its cells."""
    page.goto(url)
    page.locator(f"{NOTEBOOK} .jp-Cell").first.wait_for()
    page.locator(
        ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status='idle']"
    ).wait_for(timeout=60_000)
    page.wait_for_function(EDITORS_READY)
    return page.locator(f"{NOTEBOOK} .jp-Cell")


def editor_text(cell: Locator) -> str:
    """The source shown in a cell's CodeMirror editor (one line per ``.cm-line``)."""
    return "\n".join(cell.locator(".cm-content .cm-line").all_inner_texts())


def find_code_cell(cells: Locator, pattern: str, timeout: float = 20.0) -> int:
    """Index of the first code cell whose editor text matches the regular expression ``pattern``.

    Polls until ``timeout``: on a busy machine JupyterLab may still be filling editors in.
    """
    deadline = time.monotonic() + timeout
    while True:
        for index in range(cells.count()):
            cell = cells.nth(index)
            if "jp-CodeCell" in (cell.get_attribute("class") or "") and re.search(
                pattern, editor_text(cell), re.MULTILINE
            ):
                return index
        if time.monotonic() > deadline:
            shown = [editor_text(cells.nth(i))[:50] for i in range(cells.count())]
            raise AssertionError(f"no code cell matches {pattern!r} after {timeout:g} s; cells: {shown}")
        time.sleep(0.25)


def previous_code_cell(cells: Locator, index: int) -> int:
    """Index of the nearest code cell above cell ``index``."""
    for above in range(index - 1, -1, -1):
        if "jp-CodeCell" in (cells.nth(above).get_attribute("class") or ""):
            return above
    raise AssertionError(f"no code cell above cell {index}")


def type_into_cell(page: Page, cell: Locator, source: str) -> None:
    """Replace a cell's source by typing, as a student does: click the editor, select all, type."""
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.type(source)
    typed = editor_text(cell)
    # CodeMirror may auto-close brackets or indent; what the kernel runs must be exactly what we meant.
    assert typed == source, f"the editor holds {typed!r} after typing {source!r}"
    page.keyboard.press("Escape")  # back to command mode, as after editing


def run_all_cells(page: Page, cells: Locator, timeout_ms: int = 90_000) -> None:
    """Run every cell through the *Run → Run All Cells* menu, wait for the end, and check all cells ran."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True).click()
    page.wait_for_function(RUN_ALL_FINISHED, timeout=timeout_ms)
    not_run = []
    for index in range(cells.count()):
        cell = cells.nth(index)
        if "jp-CodeCell" in (cell.get_attribute("class") or "") and not re.search(
            r"\[\d+\]", cell.locator(".jp-InputArea-prompt").first.inner_text()
        ):
            not_run.append(f"cell {index}: {editor_text(cell)[:60]!r}")
    assert not not_run, "Run All stopped before these cells ran (an earlier cell failed?):\n" + "\n".join(not_run)


def math_on_page(page: Page, within: Locator | None = None) -> list[str]:
    """Every typeset formula on the page (or ``within`` an element), each folded like ``latex_structure``."""
    found = within.evaluate(MATH_ON_PAGE) if within is not None else page.evaluate(MATH_ON_PAGE)
    return [math_plain(text) for text in found]


def text_without_math(page: Page) -> str:
    """The page body's text outside typeset formulas, folded by ``math_plain``."""
    return math_plain(page.evaluate(TEXT_WITHOUT_MATH))


def body_html(page: Page) -> str:
    """The body's HTML without style sheets and scripts, folded by ``math_plain``."""
    return math_plain(page.evaluate(BODY_HTML))


def output_area(cell: Locator) -> Locator:
    """The outputs shown under a code cell."""
    return cell.locator(".jp-OutputArea")
