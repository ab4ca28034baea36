"""`paperboy import`'s progress bar on a terminal: papers read, rate, how far through the file, time left."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

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
