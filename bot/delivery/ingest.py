"""Bringing papers in: a day of Hugging Face papers, recent arXiv submissions, or a whole file.

Each returns a report whose `new_keys` are the papers stored for the first time, so the caller
can match them against subscriptions. A source that fails raises SourceError before anything is
written: what was stored before stays as it was.
"""
from __future__ import annotations

import queue
import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, TypeVar

from paperboy.bot.clock import iso
from paperboy.bot.delivery.fetch_log import record_fetch
from paperboy.bot.delivery.leader import LEADER
from paperboy.bot.delivery.store import DailyListStore, LeaseStore
from paperboy.bot.models import Paper, UpsertResult
from paperboy.bot.sources import DailyBatch, Sources
from paperboy.bot.sources.batches import SECOND_PROCESS_FROM, row_batches
from paperboy.bot.sources.files import ReadPosition, UnreadableFile
from paperboy.bot.sources.records import Noted, Skipped
from paperboy.bot.store import StateStore

T = TypeVar("T")
HF_LIST = "hf"
SKIPPED_SAMPLE = 20
TRANSACTION_SECONDS = 0.08  # how long one import transaction may hold the database's write lock
FIRST_BATCH_ROWS = 1000
MIN_BATCH_ROWS, MAX_BATCH_ROWS = 100, 20000


class IngestStore(DailyListStore, StateStore, LeaseStore, Protocol):
    """What an ingest or an import uses: papers and daily lists, the fetch log in state, and the
    leader's lease (an import sizes its transactions to a running bot's)."""


@dataclass(frozen=True)
class IngestReport:
    source: str  # "hf" or "arxiv:<category>"
    dates: tuple[str, ...]  # the daily lists recorded
    papers: tuple[str, ...]  # keys of every paper fetched, in the source's order
    new_keys: tuple[str, ...]  # first seen by this ingest
    updated: int  # already known, and something about them changed
    skipped: tuple[Skipped, ...] = ()

    @property
    def count(self) -> int:
        return len(self.papers)


@dataclass(frozen=True)
class ImportReport:
    path: str
    read: int  # records read, skipped ones included
    new: int
    updated: int
    skipped: int
    skipped_sample: tuple[Skipped, ...]  # the first few, for the user to look at
    seconds: float
    new_keys: tuple[str, ...] = ()
    noted: int = 0  # fields left out of stored papers (wrong type, unknown)
    notes: tuple[str, ...] = ()  # what was left out, grouped, for the user to read
    daily_lists: tuple[str, ...] = ()  # dates of the daily lists a saved daily_papers response recorded

    @property
    def skipped_reasons(self) -> list[str]:
        return [str(s) for s in self.skipped_sample]


class PartialImport(Exception):
    """The file could not be read to its end (`problem`, e.g. damaged or cut short): what was read
    before it is stored all the same, and `report` counts it."""

    def __init__(self, problem: UnreadableFile, report: ImportReport):
        super().__init__(str(problem))
        self.problem, self.report = problem, report


class _Notes:
    """Fields left out of stored papers, grouped so that a field unknown on every line is one line
    (with the first lines it was on), and other problems each with its line, up to `shown` of them."""

    def __init__(self, shown: int = SKIPPED_SAMPLE):
        self.count = 0
        self._shown = shown
        self._by_field: dict[tuple[str, str], list[int]] = {}  # (field, problem) -> first lines
        self._field_count: dict[tuple[str, str], int] = defaultdict(int)
        self._problems: list[Noted] = []
        self._problem_count = 0

    def add(self, noted: Noted) -> None:
        self.count += 1
        if noted.about_the_field:
            group = (noted.field, noted.problem)
            self._field_count[group] += 1
            lines = self._by_field.setdefault(group, [])
            if len(lines) < 3:
                lines.append(noted.position)
            return
        self._problem_count += 1
        if len(self._problems) < self._shown:
            self._problems.append(noted)

    def summary(self) -> tuple[str, ...]:
        lines = []
        for (field, problem), positions in self._by_field.items():
            more = self._field_count[(field, problem)] - len(positions)
            where = ", ".join(f"{n:,}" for n in positions) + (f" and {more:,} more" if more else "")
            lines.append(f"{field} {problem} (line{'s' if len(positions) + more > 1 else ''} {where})")
        lines.extend(str(n) for n in self._problems)
        if self._problem_count > len(self._problems):
            lines.append(f"and {self._problem_count - len(self._problems):,} more")
        return tuple(lines)


async def ingest_hf(store: IngestStore, sources: Sources, date: str, now: datetime) -> IngestReport:
    """Stores one day of Hugging Face Daily Papers and records that day's list, most upvoted first.
    An empty answer leaves an already recorded list alone."""
    batch = await _fetched(store, HF_LIST, now, sources.daily_papers(date))
    return await store.run(_store_hf_day, store, date, batch, now)


def _store_hf_day(store: IngestStore, date: str, batch: DailyBatch, now: datetime) -> IngestReport:
    result = store.upsert_papers(batch.papers, iso(now), news=True)
    dates: tuple[str, ...] = ()
    if batch.papers:
        store.record_daily_list(date, HF_LIST, batch.ranked())
        dates = (date,)
    return _report(HF_LIST, dates, batch.papers, result, batch.skipped)


async def ingest_arxiv(store: IngestStore, sources: Sources, category: str, days: int, now: datetime) -> IngestReport:
    """Stores a category's papers of the last `days` days and records one list per publication
    date (source "arxiv:<category>"), in announcement order."""
    papers = await _fetched(store, f"arxiv:{category}", now, sources.arxiv_recent(category, days, now))
    return await store.run(_store_arxiv_days, store, category, papers, now)


async def _fetched(store: IngestStore, source: str, now: datetime, fetch: Awaitable[T]) -> T:
    """What `fetch` returns, with the attempt and its outcome noted in the fetch log."""
    try:
        result = await fetch
    except Exception as exc:
        await store.run(record_fetch, store, source, now, exc)
        raise
    await store.run(record_fetch, store, source, now)
    return result


def _store_arxiv_days(store: IngestStore, category: str, papers: list[Paper], now: datetime) -> IngestReport:
    result = store.upsert_papers(papers, iso(now), news=True)
    source = f"arxiv:{category}"
    by_date: dict[str, list[Paper]] = defaultdict(list)
    for paper in papers:
        if paper.published:
            by_date[paper.published].append(paper)
    for day, listed in sorted(by_date.items()):
        listed.sort(key=lambda p: p.key)
        store.record_daily_list(day, source, [(p.key, p.upvotes) for p in listed])
    return _report(source, tuple(sorted(by_date)), papers, result, ())


def _report(source: str, dates: tuple[str, ...], papers, result: UpsertResult,
            skipped: tuple[Skipped, ...]) -> IngestReport:
    keys = tuple(p.key for p in papers)
    return IngestReport(source, dates, keys, result.new_keys,
                        max(0, result.changed - len(result.new_keys)), tuple(skipped))


class _Writer:
    """Stores batches on a second thread. SQLite releases the GIL while it inserts and indexes a
    batch, so reading and parsing the next one goes on at the same time.

    Each batch is one transaction, and while it runs every other writer on the database waits (a
    running bot's alerts, a subscription being added). While a bot runs on the database (it holds
    the leader's lease), batches are sized as the import goes so that one takes about
    TRANSACTION_SECONDS: a waiting writer is never held long. Alone, the import writes the largest
    batches (full-text indexing costs least in large transactions: 1.4x the speed)."""

    def __init__(self, store: IngestStore, seen_at: str):
        self.store = store
        self.seen_at = seen_at
        self.batch_rows = FIRST_BATCH_ROWS
        self.new_keys: list[str] = []
        self.changed = 0
        self.error: BaseException | None = None
        self._batches: queue.Queue[list[tuple] | None] = queue.Queue(maxsize=2)
        self._thread = threading.Thread(target=self._run, name="paperboy-import-writer", daemon=True)

    def __enter__(self) -> _Writer:
        self._thread.start()
        return self

    def submit(self, rows: list[tuple]) -> None:
        """Queues a batch of rows (IngestStore.bulk_rows) for the writer's thread."""
        self._raise_if_failed()
        if not self._put(rows):
            self._raise_if_failed()

    def _put(self, item: list[tuple] | None) -> bool:
        """Queues item unless the writer's thread has ended (it failed); says whether it did."""
        while self._thread.is_alive():
            try:
                self._batches.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            while True:
                rows = self._batches.get()
                if rows is None:
                    return
                started = time.perf_counter()
                result = self.store.bulk_upsert_rows(rows)
                self._resize(len(rows), time.perf_counter() - started)
                self.new_keys.extend(result.new_keys)
                self.changed += result.changed
        except BaseException as exc:  # handed to the importing thread, which raises it
            self.error = exc

    def _resize(self, rows: int, seconds: float) -> None:
        """The next batches' size: what would have taken TRANSACTION_SECONDS, the largest when no bot
        runs on the database."""
        if self.store.lease_holder(LEADER) is None:
            self.batch_rows = MAX_BATCH_ROWS
            return
        wanted = rows * TRANSACTION_SECONDS / max(seconds, 1e-6)
        # Down at once (a bot just started), up at most twofold a batch.
        self.batch_rows = int(min(MAX_BATCH_ROWS, max(MIN_BATCH_ROWS, min(wanted, self.batch_rows * 2))))

    def _raise_if_failed(self) -> None:
        if self.error is not None:
            raise self.error

    def __exit__(self, *exc_info) -> None:
        self._put(None)
        self._thread.join()
        if exc_info[0] is None:
            self._raise_if_failed()


def import_file(store: IngestStore, path: str | Path, now: datetime,
                progress: Callable[[int, ReadPosition], None] | None = None, batch_size: int = 5000,
                second_process_from: int = SECOND_PROCESS_FROM) -> ImportReport:
    """Loads a JSON Lines file (plain, .gz or .xz), arXiv's metadata snapshot or a saved daily_papers
    response (and its daily list) into the store. Bad lines are counted and sampled, never fatal;
    fields left out are noted. Importing the same file again adds nothing. A large file is read in
    a second process (see row_batches). A file that cannot be read to its end raises PartialImport,
    once what was read before the problem is stored.
    `progress` is called with the number of records read so far and how far into the file that is,
    every `batch_size` records or so."""
    started = time.perf_counter()
    read = skipped = 0
    sample: list[Skipped] = []
    notes = _Notes()
    pending: list[tuple] = []
    lists: list[DailyBatch] = []
    position = ReadPosition()
    seen_at = iso(now)
    problem: UnreadableFile | None = None
    with _Writer(store, seen_at) as writer:
        try:
            for batch in row_batches(path, batch_size, store.bulk_rows, seen_at, second_process_from):
                read += batch.papers + len(batch.skipped)
                skipped += len(batch.skipped)
                sample.extend(batch.skipped[:SKIPPED_SAMPLE - len(sample)])
                for note in batch.notes:
                    notes.add(note)
                lists.extend(batch.daily_lists)
                pending.extend(batch.rows)
                while len(pending) >= (size := writer.batch_rows):  # the writer resizes it as it goes
                    writer.submit(pending[:size])
                    pending = pending[size:]
                position.done, position.total = batch.done, batch.total
                if progress is not None:
                    progress(read, position)
        except UnreadableFile as exc:
            problem = exc
        if pending:
            writer.submit(pending)
    for listed in lists:
        store.record_daily_list(listed.date, HF_LIST, listed.ranked())
    new_keys = tuple(dict.fromkeys(writer.new_keys))
    report = ImportReport(
        path=str(path), read=read, new=len(new_keys), updated=max(0, writer.changed - len(new_keys)),
        skipped=skipped, skipped_sample=tuple(sample), seconds=time.perf_counter() - started, new_keys=new_keys,
        noted=notes.count, notes=notes.summary(), daily_lists=tuple(b.date for b in lists),
    )
    if problem is not None:
        raise PartialImport(problem, report) from problem
    return report
