"""The report's figures and typeset answers as SVG, made offline with matplotlib (Agg-free SVG backend, glyphs as
paths, so a page shows them with no font or network), each returned as a ``data:`` URI for an ``<img>``: an image
runs no script and its ids cannot clash with the page's.

>>> math_svg_uri("\\\\frac{y - a}{a}").startswith("data:image/svg+xml;base64,")
True
>>> math_svg_uri("\\\\notacommand{") is None  # mathtext cannot typeset it: the caller shows the text
True
"""

from __future__ import annotations

import base64
import io
import math
from functools import lru_cache

CATEGORY_COLOURS = {"right": "#2e7d32", "follow_through": "#81c784", "partial": "#fdd835", "wrong": "#e53935",
                    "unreadable": "#8e24aa", "undecided": "#90a4ae", "empty": "#e0e0e0"}
LABELLED_ROWS = 60  # a heat map with more students than this names none of them (rows would be unreadable)


def _figure(width: float, height: float):
    from matplotlib import rcParams
    from matplotlib.figure import Figure

    rcParams["svg.fonttype"] = "path"  # glyphs drawn as paths: no font needed where the page is viewed
    rcParams["svg.hashsalt"] = "autograder-report"  # the same class gives the same file
    rcParams["text.parse_math"] = False  # a "$" in a student id or step label is text, never mathtext to parse
    return Figure(figsize=(width, height), layout="constrained")


def svg_uri(fig) -> str:
    """The figure as an SVG ``data:`` URI (no date in it: the same class gives the same page)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight", pad_inches=0.02)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@lru_cache(maxsize=512)
def math_svg_uri(latex: str, size: float = 13) -> str | None:
    """``latex`` typeset by matplotlib's mathtext as an SVG data URI, or None when mathtext cannot parse it."""
    from matplotlib.mathtext import MathTextParser

    try:
        MathTextParser("path").parse(f"${latex}$")
    except Exception:  # mathtext covers a subset of LaTeX: the page then shows the answer as text
        return None
    fig = _figure(0.1, 0.1)
    fig.text(0, 0, f"${latex}$", fontsize=size, parse_math=True)
    try:
        return svg_uri(fig)
    except Exception:  # parsed, yet not drawable (a glyph or size mathtext refuses): shown as text
        return None


def score_histogram(scores: list, max_score: float) -> str:
    """The gradebook's scores as a histogram."""
    fig = _figure(6, 2.6)
    ax = fig.add_subplot()
    bins = max(1, min(20, int(math.ceil(max_score)) or 1))
    ax.hist(scores, bins=bins, range=(0, max_score or 1), color="#1565c0", edgecolor="white")
    ax.set_xlabel(f"score (out of {max_score:g})")
    ax.set_ylabel("students")
    return svg_uri(fig)


def outcome_bars(steps: list, counts: dict) -> str:
    """One horizontal bar per step, split by outcome (right, follow-through, …, empty)."""
    fig = _figure(7, 0.45 * len(steps) + 1.2)
    ax = fig.add_subplot()
    names = [s for s, _, _ in steps][::-1]
    left = [0] * len(names)
    for cat, colour in CATEGORY_COLOURS.items():
        widths = [counts[s][cat] for s in names]
        if any(widths):
            ax.barh(names, widths, left=left, color=colour, label=cat.replace("_", "-"))
            left = [a + b for a, b in zip(left, widths)]
    ax.set_xlabel("students")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=4, fontsize=8, frameon=False)
    return svg_uri(fig)


def quality_scatter(quality: dict) -> str:
    """Difficulty (share right) against discrimination (item-rest correlation), one labelled point per step."""
    fig = _figure(6, 3.6)
    ax = fig.add_subplot()
    for step, q in quality.items():
        if q["difficulty"] is None or q["discrimination"] is None:
            continue
        ax.scatter(q["difficulty"], q["discrimination"], color="#1565c0")
        ax.annotate(step, (q["difficulty"], q["discrimination"]), fontsize=8, xytext=(4, 4),
                    textcoords="offset points")
    ax.axhline(0, color="#999", linewidth=0.8)
    ax.set_xlim(-0.05, 1.1)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("share right (higher = easier)")
    ax.set_ylabel("discrimination (item-rest r)")
    return svg_uri(fig)


def heat_map(students: list, steps: list, table: dict) -> str:
    """Students (rows, by total) × steps (columns): the share of the step's points earned; blank = not read."""
    import numpy as np

    names = [s for s, _, _ in steps]
    grid = np.full((len(students), len(names)), np.nan)
    for i, student in enumerate(students):
        for j, step in enumerate(names):
            if step in table.get(student, {}):
                grid[i, j] = table[student][step].fraction
    fig = _figure(0.7 * len(names) + 2.5, min(12, 0.22 * len(students) + 1.5))
    ax = fig.add_subplot()
    image = ax.imshow(grid, aspect="auto", cmap="RdYlGn", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks(range(len(names)), names, rotation=40, ha="right", fontsize=8)
    if len(students) <= LABELLED_ROWS:
        ax.set_yticks(range(len(students)), students, fontsize=8)
    else:
        ax.set_ylabel(f"{len(students)} students, highest total at the top")
    fig.colorbar(image, ax=ax, label="share of the step's points")
    return svg_uri(fig)


def together_map(steps: list, pairs: list) -> str:
    """A steps × steps map of how strongly mistakes go together (phi of "not right on one's own")."""
    import numpy as np

    names = [s for s, _, _ in steps]
    index = {s: i for i, s in enumerate(names)}
    grid = np.full((len(names), len(names)), np.nan)
    for a, b, _, phi in pairs:
        grid[index[a], index[b]] = grid[index[b], index[a]] = phi
    fig = _figure(0.6 * len(names) + 2.5, 0.6 * len(names) + 1.5)
    ax = fig.add_subplot()
    image = ax.imshow(grid, cmap="PuOr_r", vmin=-1, vmax=1)
    ax.set_xticks(range(len(names)), names, rotation=40, ha="right", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    fig.colorbar(image, ax=ax, label="phi (1: always wrong together)")
    return svg_uri(fig)
