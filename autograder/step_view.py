"""How a step's result is shown: an HTML table for a notebook or the feedback page, plain text for a terminal.

Both the student's local check (``autograder.notebook``) and the grader's verdict (``autograder.nbgrader.judge``)
show a :class:`~autograder.protocol.StepResult` with these, so the two look alike.

>>> print(result_text(StepResult("da", "∂a/∂z", 2.0, 2.0, "Correct.", answer_text="a*(1-a)")))
∂a/∂z: PASS 2/2 — Correct.
  your answer: a*(1-a)
"""

from __future__ import annotations

import html

from autograder.protocol import StepResult


def result_html(r: StepResult) -> str:
    """An HTML table row set for one step; math in ``$...$`` so JupyterLab's MathJax renders it."""
    mark = "✓ passed" if r.passed else "✗ not yet"
    colour = "#1a7f37" if r.passed else "#b42318"
    pad = 'style="padding:4px 10px;text-align:left;vertical-align:top"'
    cells = [f"<td {pad}><b>{html.escape(r.title)}</b></td>", f"<td {pad}>{_answer_html(r)}</td>",
             f'<td {pad[:-1]};color:{colour}" class="autograder-{"pass" if r.passed else "fail"}">{mark}</td>',
             f"<td {pad}>{_num(r.points)} / {_num(r.max_points)}</td>",
             f'<td {pad} class="autograder-feedback">{html.escape(r.feedback)}</td>']
    head = "".join(f"<th {pad}>{h}</th>" for h in ("Step", "Your answer", "Result", "Points", "Feedback"))
    return (f'<table class="autograder-result" data-step="{html.escape(r.step)}" '
            f'style="border-collapse:collapse;border:1px solid #ccc">'
            f"<thead><tr>{head}</tr></thead><tbody><tr>{''.join(cells)}</tr></tbody></table>")


def _answer_html(r: StepResult) -> str:
    if r.lines:
        items = []
        for i, line in enumerate(r.lines, 1):
            shown = f"${html.escape(line['latex'])}$" if line["latex"] else f"<code>{html.escape(line['text'])}</code>"
            caret = _caret_html(line["text"], line.get("column"))
            items.append(f"<li>{'✓' if line['ok'] else '✗'} {shown}{caret}</li>")
        return f"<ol>{''.join(items)}</ol>"
    if r.answer_latex:
        return f"${html.escape(r.answer_latex)}$"
    if r.answer_text is None:
        return "<i>none</i>"
    return f"<code>{html.escape(r.answer_text)}</code>{_caret_html(r.answer_text, r.column)}"


def _caret_html(text: str, column: int | None) -> str:
    if not column:
        return ""
    # pre, not wrapped: the caret must stay under the column it points at, however narrow the page
    style = "white-space:pre;overflow-x:auto;margin:2px 0"
    return f'<pre class="autograder-caret" style="{style}">{html.escape(caret_lines(text, column))}</pre>'


def caret_lines(text: str, column: int) -> str:
    """The text with a caret under 1-based ``column`` (for parse messages).

    >>> print(caret_lines("(a-y)/(a(1-a)", 7))
    (a-y)/(a(1-a)
          ^
    """
    return f"{text}\n{' ' * (column - 1)}^"


def result_text(r: StepResult) -> str:
    """The plain-text form of one step's result (terminals, ``autograder check``)."""
    mark = "PASS" if r.passed else "FAIL"
    out = [f"{r.title}: {mark} {_num(r.points)}/{_num(r.max_points)} — {r.feedback}"]
    if r.lines:
        out += [f"  {'✓' if line['ok'] else '✗'} {line['text']}" for line in r.lines]
    elif r.answer_text is not None:
        shown = caret_lines(r.answer_text, r.column) if r.column else r.answer_text
        out += ["  your answer: " + shown.replace("\n", "\n               ")]
    return "\n".join(out)


def _num(x: float) -> str:
    return f"{x:g}"
