"""A file's records as batches of store rows, read here or in a second process.

A large import is two jobs of about equal weight: decompressing and parsing the file, and SQLite
storing and indexing the rows. In one process they share one core (Python's lock); read in a
second process, the file's parsing runs on the other core, and only finished rows (cheap to pass
along) come back.
"""
from __future__ import annotations

import multiprocessing
import pickle
import queue
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from paperboy.bot.models import Paper
from paperboy.bot.sources import DailyBatch
from paperboy.bot.sources.files import ReadPosition, iter_file_batches
from paperboy.bot.sources.records import Noted, Skipped

ToRows = Callable[[list[Paper], str], list[tuple]]
SECOND_PROCESS_FROM = 32 * 1024 * 1024  # file bytes: below this, starting a process costs more than it saves
_AHEAD = 4  # batches the second process may read ahead of the store


@dataclass
class RowBatch:
    rows: list[tuple]
    papers: int = 0
    notes: list[Noted] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    daily_lists: list[DailyBatch] = field(default_factory=list)
    done: int = 0  # how far through the file (its own bytes) reading is
    total: int = 0


def row_batches(path: str | Path, batch_size: int, to_rows: ToRows, seen_at: str,
                second_process_from: int = SECOND_PROCESS_FROM) -> Iterator[RowBatch]:
    """The file's records as rows, a batch at a time; a file of `second_process_from` bytes or
    more is read in a second process."""
    if Path(path).stat().st_size >= second_process_from:
        return _from_second_process(path, batch_size, to_rows, seen_at)
    return _read(path, batch_size, to_rows, seen_at)


def _read(path: str | Path, batch_size: int, to_rows: ToRows, seen_at: str) -> Iterator[RowBatch]:
    position = ReadPosition()
    for items in iter_file_batches(path, batch_size, position):
        papers, batch = [], RowBatch([])
        for item in items:
            if isinstance(item, Paper):
                papers.append(item)
            elif isinstance(item, Noted):
                batch.notes.append(item)
            elif isinstance(item, DailyBatch):
                batch.daily_lists.append(item)
            else:
                batch.skipped.append(item)
        batch.rows, batch.papers = to_rows(papers, seen_at), len(papers)
        batch.done, batch.total = position.done, position.total
        yield batch


def _from_second_process(path: str | Path, batch_size: int, to_rows: ToRows, seen_at: str) -> Iterator[RowBatch]:
    # spawn, not fork: the importing process has threads (the store's), which fork would copy half-way.
    context = multiprocessing.get_context("spawn")
    batches = context.Queue(maxsize=_AHEAD)
    reader = context.Process(target=_read_into, args=(str(path), batch_size, to_rows, seen_at, batches),
                             name="paperboy-import-reader", daemon=True)
    reader.start()
    try:
        while True:
            try:
                kind, value = batches.get(timeout=0.5)
            except queue.Empty:
                if not reader.is_alive() and batches.empty():
                    raise RuntimeError(f"the file reader stopped (exit code {reader.exitcode})") from None
                continue
            if kind == "batch":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        if reader.is_alive():
            reader.terminate()
        reader.join(5)
        batches.close()


def _read_into(path: str, batch_size: int, to_rows: ToRows, seen_at: str, batches) -> None:
    """The second process: reads the file and puts its batches, then ("end", None) or the error."""
    try:
        for batch in _read(path, batch_size, to_rows, seen_at):
            batches.put(("batch", batch))
        batches.put(("end", None))
    except BaseException as exc:  # handed to the importing process, which raises it
        try:
            pickle.dumps(exc)
        except Exception:
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        batches.put(("error", exc))
    finally:
        batches.close()
        batches.join_thread()
