"""Progress bars on a terminal: `paperboy import`'s (papers read, rate, how far through the file, time
left) and `paperboy migrate-db`'s (rows copied per table) and `paperboy embed`'s."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from paperboy.bot.search.semantic import EmbedProgress
from paperboy.bot.sources.files import ReadPosition


@contextmanager
def import_progress(console: Console) -> Iterator[Callable[[int, ReadPosition], None]]:
    """A progress callback for import_file that draws a bar while the block runs. The bar goes by the
    file's bytes (the number of papers is only known at the end), so the time left holds for
    compressed files too."""
    columns = (TextColumn("importing"), BarColumn(), TaskProgressColumn(),
               TextColumn("{task.fields[papers]:>10,} papers  {task.fields[rate]:>7,.0f}/s"),
               TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=console, refresh_per_second=4) as bar:
        task = bar.add_task("import", total=None, papers=0, rate=0.0)
        started = time.perf_counter()

        def show(read: int, position: ReadPosition) -> None:
            elapsed = max(time.perf_counter() - started, 1e-6)
            bar.update(task, total=position.total or None, completed=position.done, papers=read, rate=read / elapsed)

        yield show


@contextmanager
def copy_progress(console: Console) -> Iterator[Callable[[str, int, int], None]]:
    """A progress callback for copy_installation: a bar per table, as it comes."""
    columns = (TextColumn("{task.description:<14}"), BarColumn(), TaskProgressColumn(),
               TextColumn("{task.completed:>12,.0f} / {task.total:,.0f} rows"), TimeRemainingColumn())
    with Progress(*columns, console=console, refresh_per_second=4) as bar:
        tasks: dict[str, int] = {}

        def show(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = bar.add_task(table, total=max(total, 1))
            bar.update(tasks[table], completed=done if total else 1)

        yield show


@contextmanager
def embed_progress(console: Console, total: int) -> Iterator[Callable[[EmbedProgress], None]]:
    """A progress callback for semantic.embed_pending: papers embedded of those without a vector."""
    columns = (TextColumn("embedding"), BarColumn(), TaskProgressColumn(),
               TextColumn("{task.completed:>10,.0f} / {task.total:,.0f} papers  {task.fields[rate]:>6,.1f}/s"),
               TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=console, refresh_per_second=2) as bar:
        task = bar.add_task("embed", total=max(total, 1), rate=0.0)

        def show(report: EmbedProgress) -> None:
            bar.update(task, completed=report.done, rate=report.rate)

        yield show
