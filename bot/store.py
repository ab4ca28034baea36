"""What every subsystem's store stands on: the store's own thread, papers, and small named state.

There is no one store interface: each subsystem declares what it asks of a store beside its own code
(bot/search/store.py, bot/delivery/store.py, bot/subscriptions/store.py, bot/reading/store.py,
bot/trends/store.py), and receives only those. `paperboy.storage` implements every one of them for
each engine (SQLite, the embedded default, and PostgreSQL, shared by processes on many machines) and
is the only place that speaks SQL. Times are ISO UTC text as `paperboy.bot.clock.iso` writes them.
Any call may raise paperboy.bot.models.StoreUnavailable when the database cannot be reached for a
while (nothing was half written); callers answer or retry, never crash.

The methods are plain calls. Async code never makes them on the event loop: it hands the work to
`run`, which does it on the store's own thread, so a write waiting for another process's lock,
or a search over many rows, never holds up the loop (and every interaction waiting on it).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from paperboy.bot.models import Paper, UpsertResult

T = TypeVar("T")


class StoreThread(Protocol):
    """The store's own thread, which every store protocol shares."""

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """`work(*args)`, sync code that uses this store, done on the store's own thread."""

    def close(self) -> None: ...


class PaperStore(StoreThread, Protocol):
    """Papers: stored (one record per work), read, counted."""

    def upsert_papers(self, papers: Iterable[Paper], seen_at: str, *, news: bool = False) -> UpsertResult:
        """Insert or refresh papers in one transaction; reports which keys are new. An incoming
        empty value never erases a stored one, so a thin record (an arXiv listing) keeps what a
        richer one (Hugging Face) stored. New papers that are `news` (an ingest's) wait for
        subscription matching (unmatched_papers); others (a lookup's, a file's) never alert."""

    def bulk_rows(self, papers: list[Paper], seen_at: str) -> list[tuple]:
        """Papers as the rows bulk_upsert_rows takes. Separate so a caller can build the next
        batch's rows on one thread while another thread stores the previous batch."""

    def bulk_upsert_rows(self, rows: list[tuple]) -> UpsertResult:
        """upsert_papers for large batches (file import), from bulk_rows: the same rules and result.
        What it stores is catalogue, never news."""

    def mark_withdrawn(self, arxiv_ids: Iterable[str]) -> int:
        """Papers arXiv deleted: kept, never offered as an answer, listed or alerted again. Returns
        how many were newly marked."""

    def get_paper(self, key: str) -> Paper | None: ...

    def get_papers(self, keys: list[str]) -> dict[str, Paper]: ...

    def get_papers_by_rowid(self, rowids: list[int]) -> dict[int, Paper]: ...

    def count_papers(self) -> int: ...

    def max_rowid(self) -> int: ...

    def papers_by_source(self) -> dict[str, int]:
        """How many papers each source brought (hf, arxiv, file, ...), most first."""

    def side_file(self, suffix: str) -> Path | None:
        """Where a file derived from this database may be kept on this machine (a saved index):
        beside a database file, in a cache folder for a database server; None for a database in
        memory."""


class StateStore(StoreThread, Protocol):
    """Small named values: cursors, the last ingest, harvest progress; and counts."""

    def get_state(self, name: str) -> str | None: ...

    def set_state(self, name: str, value: str) -> None: ...

    def delete_state(self, name: str) -> None: ...

    def states_with_prefix(self, prefix: str) -> dict[str, str]:
        """Every state whose name begins with `prefix`, by name."""

    def stats(self, now: str | None = None) -> dict[str, Any]:
        """What the database holds, by name: papers (and news not yet matched), daily lists,
        channels (and paused ones), subscriptions, deliveries pending, sending (and the oldest
        lease), sent, failed (and failed in the day before `now`)."""
