"""What every part of the SQL stores stands on: the store's own thread, the transaction and read
hooks each engine supplies, and small helpers for writing SQL once for both engines."""
from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

CHUNK = 900  # ids per IN (...): under SQLite's old limit of 999 parameters


class Transaction(Protocol):
    def execute(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> Any:
        """Runs one statement; the result has rowcount, fetchone, fetchall and iterates rows."""

    def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> int:
        """Runs one statement per row; returns how many rows they changed."""


def write(method: Callable[..., T]) -> Callable[..., T]:
    """A method that writes: done whole, once, through the backend's `_retrying` (another writer
    holding the lock, a lost connection); a transaction cut off is rolled back before a new try."""
    @functools.wraps(method)
    def retrying(self: SQLBase, *args: Any, **kwargs: Any) -> T:
        return self._retrying(lambda: method(self, *args, **kwargs))
    return retrying


def later(now: str, seconds: float) -> str:
    """The stored time `seconds` after the stored time `now` (second precision, as clock.iso).
    For times on the caller's clock; a lease's end is the database's (SQLBase.DB_LATER)."""
    moment = datetime.strptime(now, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def key_range(key_prefix: str) -> tuple[str, str]:
    """Every key starting with key_prefix lies in [key_prefix, end): a key range, unlike LIKE, is
    served by the unique index on dedupe_key (text compared by code point on both engines)."""
    if not key_prefix:
        raise ValueError("key_prefix must not be empty")
    return key_prefix, key_prefix[:-1] + chr(ord(key_prefix[-1]) + 1)


def chunks(values: list[T], size: int = CHUNK) -> Iterator[list[T]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def marks(values: list[Any]) -> str:
    return ",".join("?" * len(values))


def ids(delivery_ids: int | Iterable[int]) -> list[int]:
    return [delivery_ids] if isinstance(delivery_ids, int) else list(delivery_ids)


_LANE_OPENING = threading.Lock()


class SQLBase:
    """The hooks an engine supplies (SQLiteStore, PostgresStore), the store's thread, and the lease
    lane: the same database on a thread and a connection of its own."""

    # Leases are timed by the database's clock, never a caller's: a host whose clock runs ahead
    # would otherwise take live leases, one behind would leave a dead process's work waiting. Each
    # engine says, in SQL, what time it is (DB_NOW) and when a lease of `?` seconds taken now ends
    # (DB_LATER, rounded up to the second, so that no lease ends before its seconds have passed),
    # both as stored text (clock.iso's format). A lease has run out once `until <= DB_NOW`.
    DB_NOW = ""
    DB_LATER = ""
    # Appended to the claim's choice of rows: PostgreSQL lets concurrent claims pass each other by,
    # and (WHOLE_BUNDLES) keeps two claims from choosing parts of one bundle; SQLite's claims never
    # run side by side.
    SKIP_LOCKED = ""
    WHOLE_BUNDLES = ""
    # One thread does every piece of work async code hands over (run): store work is then never
    # on the event loop, and never two at once on one connection.
    _thread: ThreadPoolExecutor | None = None
    _thread_name = "paperboy-store"
    _lane: SQLBase | None = None

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self._thread_name)
        return await asyncio.get_running_loop().run_in_executor(self._thread, work, *args)

    def _stop_thread(self) -> None:
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None

    def lease_lane(self) -> SQLBase:
        """This database again, with a thread (its `run`) and a connection of its own, opened on
        first use and closed with this store: lease renewals and the leader's heartbeat go there,
        so that no work queued on this store's thread (a long lookup, background embedding, a
        write waiting for a lock) can hold them up until a live process's lease runs out."""
        with _LANE_OPENING:
            if self._lane is None:
                lane = self._open_lease_lane()
                if lane is not self:
                    lane._lane = lane
                    lane._thread_name = "paperboy-leases"
                self._lane = lane
            return self._lane

    def _open_lease_lane(self) -> SQLBase:
        """A second store on this database, connected apart from this one (the engine's hook)."""
        raise NotImplementedError

    def _close_lease_lane(self) -> None:
        lane, self._lane = self._lane, None
        if lane is not None and lane is not self:
            lane.close()

    def close(self) -> None:
        raise NotImplementedError

    def _transaction(self, lock: str = "") -> AbstractContextManager[Transaction]:
        """One transaction, committed at the end of the block. `lock`: "write" when it reads what
        it then writes (SQLite takes its write lock at once; PostgreSQL's row locks do the same);
        "papers" when it stores papers: one such transaction at a time across every process, so
        paper ids are stored in the order handed out, which the title indexes' change cursor
        (titles_since) relies on; "vectors" likewise for vectors and vectors_written_after."""
        raise NotImplementedError

    def _all(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        raise NotImplementedError

    def _one(self, sql: str, params: Iterable[Any] = ()) -> Any | None:
        rows = self._all(sql, params)
        return rows[0] if rows else None

    def _retrying(self, work: Callable[[], T]) -> T:
        raise NotImplementedError
