"""The embedded default store: one SQLite file (or memory), through sqlite-utils.

It implements every store protocol of the core (bot/store.py and each subsystem's store.py, whose
docstrings say what each method promises); the SQL both engines share is in storage.sql, and this
module holds how SQLite connects, waits its turn, searches (FTS5) and bulk-loads. This package is the only place that speaks SQL."""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from paperboy.bot.models import UpsertResult, WordsMatch, normalize_title
from paperboy.storage import migrations
from paperboy.storage.sql import ON_CONFLICT, PAPER_COLUMNS, SQLStore, chunks, write

T = TypeVar("T")
_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
_RETRY_EVERY = 0.003
_CONNECTION_WAIT = 0.02  # SQLite's own wait for a lock, before _retrying tries again

BULK_CACHE_KIB = 65536
_STAGE_INSERT_SQL = f"INSERT INTO temp.paper_stage VALUES ({', '.join('?' * len(PAPER_COLUMNS))})"
# The staged rows in their batch order, so a key staged twice ends as its last row, as with executemany.
# ("WHERE true" keeps SQLite from reading ON CONFLICT as a join constraint.)
# Bulk loads are catalogue, not news: stored as matched, they never raise alerts.
_UPSERT_FROM_STAGE_SQL = (f"INSERT INTO papers ({', '.join(PAPER_COLUMNS)}, matched) "
                          f"SELECT {', '.join(PAPER_COLUMNS)}, 1 FROM temp.paper_stage WHERE true ORDER BY rowid "
                          f"{ON_CONFLICT}")


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _fts5_phrase(item: WordsMatch) -> str:
    """One item as an FTS5 phrase limited to its columns; an initial is a prefix token."""
    columns = "{title abstract}" if item.field == "text" else "authors"
    if item.initial:
        phrase = " + ".join([_quoted(item.words[0]) + " *", *map(_quoted, item.words[1:])])
    else:
        phrase = _quoted(" ".join(item.words))
    return f"{columns} : ({phrase})"


class _Transaction:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params if isinstance(params, dict) else tuple(params))

    def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> int:
        return max(self.conn.executemany(sql, rows).rowcount, 0)  # rows the statements changed, not their triggers


class SQLiteStore(SQLStore):
    """A paperboy database: papers with their FTS index, daily lists, channels, subscriptions, outbox."""

    # Every process on a SQLite file runs on one machine: leases go by that machine's clock, read
    # by SQLite itself ('now' is the same throughout one statement). A lease's end, in epoch seconds,
    # is rounded up by hand: SQLite has ceil() only when built with its math functions.
    DB_NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
    DB_LATER = ("(SELECT strftime('%Y-%m-%dT%H:%M:%SZ', CAST(t AS INTEGER) + (t > CAST(t AS INTEGER)), 'unixepoch') "
                "FROM (SELECT (julianday('now') - 2440587.5) * 86400.0 + ? AS t))")

    def __init__(self, path: str | Path | None = None, *, memory: bool = False, busy_timeout: float = 30,
                 migrate: bool = True):
        """`busy_timeout`: how long a write waits for another connection's write to finish.
        `migrate`: False for a further connection to a database this process has opened already."""
        self.busy_timeout = busy_timeout
        self.path = None if memory or path is None else Path(path)
        if memory or path is None:
            conn = sqlite3.connect(":memory:", check_same_thread=False)
        else:
            conn = sqlite3.connect(str(path), check_same_thread=False)
        conn.row_factory = sqlite3.Row
        # Migrations recompute stored title forms with the same rule the code compares them by.
        conn.create_function("normalize_title", 1, normalize_title, deterministic=True)
        self.db = sqlite_utils.Database(conn)
        # Opening waits as long as any write may (an import elsewhere may hold the lock); after
        # that, writes wait in _waits_its_turn's short steps.
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        if not memory and path is not None:
            self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        if migrate:
            migrations.apply(self.db)
        conn.execute(f"PRAGMA busy_timeout = {int(min(busy_timeout, _CONNECTION_WAIT) * 1000)}")

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def close(self) -> None:
        self._stop_thread()
        self._close_lease_lane()
        self.conn.close()

    def _open_lease_lane(self) -> SQLiteStore:
        # A database in memory lives in one connection, and in one process: no other can take
        # its leases, so they stay on this store's thread.
        if self.path is None:
            return self
        return SQLiteStore(self.path, busy_timeout=self.busy_timeout, migrate=False)

    def _all(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, tuple(params)).fetchall()

    def _one(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, tuple(params)).fetchone()

    @contextmanager
    def _transaction(self, lock: str = "") -> Iterator[_Transaction]:
        with self.conn:
            if lock:
                self.conn.execute("BEGIN IMMEDIATE")
            yield _Transaction(self.conn)

    def _retrying(self, work: Callable[[], T]) -> T:
        """A write that finds another connection writing tries again every few milliseconds until
        the store's busy_timeout. SQLite's own wait backs off to one try every 100 ms, which a
        writer committing every few dozen milliseconds (an import in another process) could
        starve; the connection's own wait is kept short for that reason. The transaction is rolled
        back before each new try, so the write is done whole, once."""
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                return work()
            except sqlite3.OperationalError as exc:
                # The primary code: SQLITE_BUSY_SNAPSHOT (a read snapshot another writer moved past) too.
                if (getattr(exc, "sqlite_errorcode", 0) & 0xFF) not in _BUSY or time.monotonic() >= deadline:
                    raise
            time.sleep(_RETRY_EVERY)

    # ---- what SQLite does its own way ------------------------------------------------------

    def fts_search(self, match_expression: str, limit: int = 50,
                   weights: tuple[float, float, float] = (10.0, 1.0, 2.0)) -> list[tuple[int, float]]:
        sql = (
            "SELECT rowid, bm25(papers_fts, ?, ?, ?) AS rank FROM papers_fts "
            "WHERE papers_fts MATCH ? ORDER BY rank, rowid LIMIT ?"
        )
        return [(r[0], r[1]) for r in self._all(sql, [*weights, match_expression, limit])]

    def fts_newest(self, match_expression: str, limit: int) -> list[int]:
        """The rowids of the papers stored last that match, unranked (cheap at any count)."""
        return [r[0] for r in self._all("SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
                                        [match_expression, limit])]

    def fts_count(self, match_expression: str, up_to: int) -> int:
        return self._one("SELECT count(*) FROM (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? LIMIT ?)",
                         [match_expression, up_to])[0]

    def fts_counts(self, match_expressions: list[str], up_to: int) -> list[int]:
        counts: list[int] = []
        for chunk in chunks(match_expressions, 100):  # one statement per hundred, each count its own subquery
            sql = "SELECT " + ", ".join(
                ["(SELECT count(*) FROM (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? LIMIT ?))"] * len(chunk))
            counts.extend(self._one(sql, [value for expression in chunk for value in (expression, up_to)]))
        return counts

    def _fulltext_rowids(self, clauses: list[tuple[WordsMatch, ...]]) -> tuple[str, list[Any]]:
        expression = " AND ".join("(" + " OR ".join(map(_fts5_phrase, clause)) + ")" for clause in clauses)
        return "SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?", [expression]

    def iter_titles(self) -> Iterator[tuple[int, str]]:
        yield from map(tuple, self.conn.execute("SELECT rowid, norm_title FROM papers ORDER BY rowid"))

    def side_file(self, suffix: str) -> Path | None:
        return None if self.path is None else self.path.with_name(f"{self.path.name}.{suffix}")

    # Every process using a SQLite file is on its machine and opens the side file itself.
    def shared_copy(self, suffix: str) -> None:
        return None

    def fetch_shared_copy(self, suffix: str) -> None:
        return None

    def keep_shared_copy(self, suffix: str, copy: str) -> None:
        pass

    @write
    def bulk_upsert_rows(self, rows: list[tuple]) -> UpsertResult:
        """Stores rows from bulk_rows. They are staged in a temporary table and moved into papers by
        one statement: row by row, every statement makes FTS5 flush its pending index data, while in
        one statement the whole batch is indexed in one pass. SQLite also runs that statement without
        holding Python's GIL, so other threads go on meanwhile (see paperboy.bot.delivery.ingest.import_file)."""
        if not rows:
            return UpsertResult((), 0)
        conn = self.conn
        if not getattr(self, "_bulk_ready", False):
            conn.execute("PRAGMA temp_store = MEMORY")
            # The FTS segments of a large batch are written and merged through the page cache;
            # 64 MiB instead of the default 2 MiB keeps those pages from going to and fro.
            conn.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
            conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS paper_stage ({', '.join(PAPER_COLUMNS)})")
            self._bulk_ready = True
        with conn:  # staging touches only the temporary database: other writers go on meanwhile
            conn.execute("DELETE FROM temp.paper_stage")
            conn.executemany(_STAGE_INSERT_SQL, rows)
        with self._transaction(lock="papers") as tx:
            stored = self._store_staged(tx, rows, _UPSERT_FROM_STAGE_SQL, "rowid")
            tx.execute("DELETE FROM temp.paper_stage")
        return stored

    def highest_id_given(self, table: str, column: str) -> int:
        """The highest id `table` ever handed out: AUTOINCREMENT remembers ids since deleted."""
        most = self._one(f"SELECT coalesce(max({column}), 0) FROM {table}")[0]
        remembered = self._one("SELECT seq FROM sqlite_sequence WHERE name = ?", [table])
        return max(most, remembered[0] if remembered else 0)

    @write
    def ids_continue_after(self, table: str, column: str, highest: int) -> None:
        """Ids handed out from now on are above `highest` (where the table remembers, AUTOINCREMENT)."""
        with self._transaction() as tx:
            if tx.execute("SELECT 1 FROM sqlite_sequence WHERE name = ?", [table]).fetchone():
                tx.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", [highest, table])
            elif table == "subscriptions":
                tx.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", [table, highest])

    @write
    def forget_payloads(self, settled_before: str) -> int:
        with self._transaction() as tx:
            return tx.execute(
                "UPDATE deliveries SET payload = CASE WHEN json_extract(payload, '$.digest') IS NULL THEN '{}' "
                "ELSE json_object('digest', json_extract(payload, '$.digest')) END "
                "WHERE status IN ('sent', 'failed', 'cancelled') AND settled_at < ? AND payload != '{}' "
                "AND payload NOT LIKE '{\"digest\":%'", [settled_before]).rowcount
