"""What the instructor sees of a batch, drawn with rich: the plan, a progress bar as results come, the summary.

Everything here reads typed results (``grading.results``); nothing here grades.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable, Iterator

from .batch import Batch
from .results import BatchResult, GradingResult, Outcome

STYLES = {Outcome.GRADED: "green", Outcome.KEPT: "dim", Outcome.FAILED: "red"}  # the outcome's colour in the table
COLUMNS = ("student", "status", "score", "seconds", "peak MB", "message")
RIGHT = ("score", "seconds", "peak MB")


def print_plan(console, batch: Batch, where: str) -> None:
    """Before grading: the opt-out banner, advice, and what will be graded where."""
    from autograder.sandbox import UNSANDBOXED_BANNER

    if batch.sandbox_off:
        console.print(f"[bold red]{UNSANDBOXED_BANNER}[/] ({batch.sandbox_off})")
    for note in batch.notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print(f"{batch.assignment}: {len(batch.todo)} to grade, {len(batch.done)} already graded (kept) — "
                  f"on {where}")


@contextmanager
def progress_bar(console, total: int) -> Iterator[Callable[[GradingResult], None]]:
    """A progress bar of ``total`` gradings (done, failed, rate, ETA); yields the callback that advances it."""
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("[red]{task.fields[failed]} failed"), TextColumn("{task.fields[rate]}/min"),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    started, failures = time.monotonic(), 0
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("grading", total=total, failed=0, rate="–")

        def advance(result: GradingResult) -> None:
            nonlocal failures
            failures += result.outcome is Outcome.FAILED
            count = progress.tasks[0].completed + 1
            progress.update(task, advance=1, failed=failures,
                            rate=f"{60 * count / max(time.monotonic() - started, 1e-9):.1f}")

        yield advance


def summary_table(assignment: str, outcome: BatchResult):
    """One row per student, this run's and the kept ones: outcome, score, seconds, peak memory, message."""
    from rich.table import Table

    table = Table(title=f"{assignment}: graded in {outcome.seconds:.1f} s")
    for column in COLUMNS:
        table.add_column(column, justify="right" if column in RIGHT else "left")
    for r in outcome.every_student():
        table.add_row(r.student, f"[{STYLES[r.outcome]}]{r.outcome.value}[/]", r.score_text, f"{r.seconds:.1f}",
                      f"{r.peak_rss_mb:.0f}", r.message)
    return table


def print_summary(console, batch: Batch, outcome: BatchResult) -> None:
    """After grading: the table, each failure in full, the run's counts, why it stopped, the opt-out banner."""
    from autograder.sandbox import UNSANDBOXED_BANNER

    console.print(summary_table(batch.assignment, outcome))
    for r in sorted(outcome.failed, key=lambda r: r.student):  # in full, unwrapped: the table cell may be cut short
        console.print(f"[red]failed[/] {r.student}: {r.error}", soft_wrap=True)
    if outcome.results:
        count, failed, again = len(outcome.results), len(outcome.failed), outcome.graded_again
        console.print(f"this run: {count - failed} graded, {failed} failed, "
                      f"{60 * count / max(outcome.seconds, 1e-9):.1f} submissions/min"
                      + (f", {again} graded again after a gradebook fault" if again else ""))
    if outcome.stopped_by:
        console.print(f"[red]stopped:[/] {outcome.stopped_by}; run the same command again once it answers")
    if batch.unsandboxed or outcome.unsandboxed:
        console.print(f"[bold red]{UNSANDBOXED_BANNER}[/] (recorded in each .autograder/graded/"
                      f"{batch.assignment}/<student>.json and autograded notebook)")
