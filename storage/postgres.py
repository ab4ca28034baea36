"""The store for several machines: one PostgreSQL database shared by every paperboy process, through
psycopg 3 and a psycopg-pool connection pool.

It implements every store protocol of the core (bot/store.py and each subsystem's store.py) with the SQL of storage.sql (its `?` placeholders become
psycopg's) and does its own way what differs: full-text search by SQLite's FTS5 rules (its words,
its bm25) on a weighted tsvector with a GIN index (storage/postgres_words.py); bulk loading through COPY; claims that skip rows another
process has locked; and paper writes one at a time under an advisory lock (ids are then stored in
the order handed out, which the title indexes' change cursor relies on). A lost connection is
retried with backoff; past `unavailable_after` seconds the caller gets StoreUnavailable, never a
half-done write.
"""
from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import psycopg_pool

from paperboy.bot.models import StoreUnavailable, UpsertResult, WordsMatch
from paperboy.storage import postgres_files, postgres_schema, postgres_words
from paperboy.storage.locations import redacted
from paperboy.storage.sql import ON_CONFLICT, PAPER_COLUMNS, SQLStore, chunks, marks, write

T = TypeVar("T")
log = logging.getLogger(__name__)

# Advisory locks a transaction can take (SQLStore._transaction's `lock`): one writer at a time.
_ADVISORY_LOCKS = {"papers": 7_061_706_102, "vectors": 7_061_706_103}


_FIRST_RETRY = 0.1
_STAGE_COLUMNS = ", ".join(PAPER_COLUMNS)
# A key staged twice is stored once, as its last row, at the place of its first (as row by row).
_UPSERT_FROM_STAGE_SQL = (
    f"INSERT INTO papers ({_STAGE_COLUMNS}, matched) SELECT {_STAGE_COLUMNS}, 1 FROM "
    f"(SELECT DISTINCT ON (key) *, min(seq) OVER (PARTITION BY key) AS first_seq FROM paper_stage "
    f"ORDER BY key, seq DESC) AS last_of_each ORDER BY first_seq {ON_CONFLICT}")
# A string literal (copied, its % doubled), a placeholder, a named placeholder (not a ::cast), a
# bare %, or IS NOT before anything but NULL (PostgreSQL's IS NOT is only for NULL and booleans).
_SQL_PIECES = re.compile(r"'(?:[^']|'')*'|\?|(?<![:\w]):([A-Za-z_]\w*)|%|\bIS NOT (?!NULL\b)")


@functools.lru_cache(maxsize=512)
def postgres_sql(sql: str) -> str:
    """storage.sql's SQL in psycopg's words."""
    def swap(match: re.Match[str]) -> str:
        piece = match.group(0)
        if piece.startswith("'"):
            return piece.replace("%", "%%")
        if match.group(1):
            return f"%({match.group(1)})s"
        return {"?": "%s", "%": "%%"}.get(piece, "IS DISTINCT FROM ")
    return _SQL_PIECES.sub(swap, sql)


def tsquery(expression: str) -> str:
    """A full-text expression of paperboy.bot.search.fts as tsquery text: FTS5's words for each
    quoted string, a phrase when it has several, each a quoted lexeme (nothing in it is syntax)."""
    return postgres_words.expression(expression)[0]


def _tsquery_phrase(item: WordsMatch) -> str:
    """One item as tsquery text, as SQLite's store writes it for FTS5 (`{title abstract} : ...`, an
    initial a prefix): its words in a row, each limited to its fields' weights (title A and
    abstract D, or authors B)."""
    first = postgres_words.tokens(item.words[0]) if item.words else []
    rest = postgres_words.tokens(" ".join(item.words[1:]))
    return postgres_words.phrase(first + rest, prefix_at=len(first) - 1 if item.initial and first else None,
                                 fields="AD" if item.field == "text" else "B")


class _Row(tuple):
    """A row read by position or by column name, as sqlite3.Row is."""
    __slots__ = ()
    columns: dict[str, int] = {}

    def __getitem__(self, key: Any) -> Any:
        return tuple.__getitem__(self, self.columns[key] if isinstance(key, str) else key)

    def keys(self) -> list[str]:
        return list(self.columns)


@functools.lru_cache(maxsize=256)
def _row_class(names: tuple[str, ...]) -> type[_Row]:
    return type("Row", (_Row,), {"__slots__": (), "columns": {name: i for i, name in enumerate(names)}})


def _rows(cursor: Any) -> Callable[[Any], _Row]:
    """psycopg's row factory: each result's rows as a Row class made for its columns."""
    return _row_class(tuple(column.name for column in cursor.description or ()))


class _Transaction:
    def __init__(self, conn: psycopg.Connection):
        self.conn = conn

    def execute(self, sql: str, params: Any = ()) -> psycopg.Cursor:
        return self.conn.execute(postgres_sql(sql), params if isinstance(params, dict) else tuple(params))

    def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> int:
        with self.conn.cursor() as cursor:
            cursor.executemany(postgres_sql(sql), [tuple(row) for row in rows])
            return max(cursor.rowcount, 0)


def _configure(conn: psycopg.Connection) -> None:
    # JIT compiling pays off for long analytical queries; for a lookup's searches (milliseconds,
    # but estimated dear) it cost hundreds of milliseconds each.
    conn.execute("SET jit = off")


_ISO = """'YYYY-MM-DD"T"HH24:MI:SS"Z"'"""


class PostgresStore(SQLStore):
    """A paperboy database on a PostgreSQL server, shared by every process that opens its URL."""

    # Leases go by the server's clock, the one clock every machine shares: clock_timestamp(), the
    # time when the statement reads it, rather than now(), the time its transaction began. The two
    # differ by whatever the transaction did or waited for first, and a lease judged against a time
    # already past is taken over late and granted short. Each is a scalar subquery, read once per
    # statement, so that the index on lease_until still serves it (a volatile call would not be).
    DB_NOW = f"(SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', {_ISO}))"
    DB_LATER = (f"(SELECT to_char(to_timestamp(ceil(extract(epoch FROM clock_timestamp()) + ?::float8)) "
                f"AT TIME ZONE 'UTC', {_ISO}))")
    SKIP_LOCKED = " FOR UPDATE SKIP LOCKED"
    # A bundle's alerts are chosen by the claim that gets its lock; the others pass them by.
    WHOLE_BUNDLES = " AND (bundle IS NULL OR pg_try_advisory_xact_lock(hashtext(bundle)))"

    def __init__(self, url: str, *, pool_size: int = 4, connect_timeout: float = 10,
                 unavailable_after: float = 5.0, cache_dir: str | Path | None = None, migrate: bool = True):
        """`unavailable_after`: how long a lost connection is retried before a call gives up;
        `cache_dir`: where this machine keeps files derived from the database (postgres_files);
        `migrate`: False for a further store on a database this process has opened already; it
        then connects in the background and its first call waits for that (up to unavailable_after)."""
        self.url = url
        self.connect_timeout = connect_timeout
        self.cache_dir = postgres_files.cache_folder(cache_dir)
        self._database_id: str | None = None
        self.unavailable_after = unavailable_after
        # A call waits for a connection at most `unavailable_after`; _retrying tries again. Connections
        # are not checked before each use (a round trip on every lookup): one the server cut fails
        # its call, the pool drops it, and _retrying's next try gets another.
        self.pool = psycopg_pool.ConnectionPool(
            url, min_size=1, max_size=pool_size, open=False, name="paperboy", timeout=unavailable_after,
            kwargs={"autocommit": True, "row_factory": _rows, "connect_timeout": max(1, int(connect_timeout))},
            configure=_configure, reconnect_timeout=0)
        if not migrate:
            self.pool.open(wait=False)
            return
        # One plain connection first: it migrates, and when the server cannot be reached its error
        # says why (the pool's would only say it timed out).
        with psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(connect_timeout))) as conn:
            postgres_schema.apply(conn)
        self.pool.open(wait=True, timeout=connect_timeout)

    def close(self) -> None:
        self._stop_thread()
        self._close_lease_lane()
        self.pool.close()

    def _open_lease_lane(self) -> PostgresStore:
        # A pool of one connection, apart from this store's pool: a renewal never waits for a
        # connection the store's work holds, and opening it waits for nothing (a database that
        # cannot be reached now makes the first renewal fail, not the process).
        return PostgresStore(self.url, pool_size=1, connect_timeout=self.connect_timeout,
                             unavailable_after=self.unavailable_after, cache_dir=self.cache_dir, migrate=False)

    def __repr__(self) -> str:
        return f"PostgresStore({redacted(self.url)!r})"

    def _retrying(self, work: Callable[[], T]) -> T:
        """Connection failures (and a serialization failure or deadlock, which PostgreSQL asks the
        client to retry) are retried with doubling waits; past `unavailable_after` seconds the
        call raises StoreUnavailable. A transaction cut off is never half applied: PostgreSQL rolls
        it back, and the retry does it whole."""
        deadline = time.monotonic() + self.unavailable_after
        wait = _FIRST_RETRY
        while True:
            try:
                return work()
            except psycopg.OperationalError as exc:
                if time.monotonic() + wait > deadline:
                    raise StoreUnavailable(f"the database is unavailable: {type(exc).__name__}") from exc
                log.warning("database call failed (%s); trying again in %.1fs", type(exc).__name__, wait)
            time.sleep(wait)
            wait *= 2

    @contextmanager
    def _transaction(self, lock: str = "") -> Iterator[_Transaction]:
        with self.pool.connection() as conn, conn.transaction():
            if lock in _ADVISORY_LOCKS:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCKS[lock]])
            yield _Transaction(conn)

    def _all(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        def read() -> list[Any]:
            with self.pool.connection() as conn:
                return conn.execute(postgres_sql(sql), tuple(params)).fetchall()
        return self._retrying(read)

    # ---- what PostgreSQL does its own way --------------------------------------------------

    def fts_search(self, match_expression: str, limit: int = 50,
                   weights: tuple[float, float, float] = (10.0, 1.0, 2.0)) -> list[tuple[int, float]]:
        # FTS5's bm25, computed as FTS5 does (storage/postgres_words.py).
        query, phrases = postgres_words.expression(match_expression)
        rows = self._all(postgres_words.bm25_sql(len(phrases)),
                         postgres_words.bm25_parameters(query, phrases, weights, limit))
        return [(r[0], r[1]) for r in rows]

    def fts_newest(self, match_expression: str, limit: int) -> list[int]:
        return [r[0] for r in self._all("SELECT rowid FROM paper_search WHERE search @@ ?::tsquery "
                                        "ORDER BY rowid DESC LIMIT ?", [tsquery(match_expression), limit])]

    def fts_count(self, match_expression: str, up_to: int) -> int:
        return self._one("SELECT count(*) FROM (SELECT 1 FROM paper_search WHERE search @@ ?::tsquery LIMIT ?) AS found",
                         [tsquery(match_expression), up_to])[0]

    def fts_counts(self, match_expressions: list[str], up_to: int) -> list[int]:
        counts: list[int] = []
        for chunk in chunks(match_expressions, 100):  # one round trip per hundred, each count its own subquery
            sql = "SELECT " + ", ".join(
                ["(SELECT count(*) FROM (SELECT 1 FROM paper_search WHERE search @@ ?::tsquery LIMIT ?) AS found)"]
                * len(chunk))
            counts.extend(self._one(sql, [value for expression in chunk for value in (tsquery(expression), up_to)]))
        return counts

    def _fulltext_rowids(self, clauses: list[tuple[WordsMatch, ...]]) -> tuple[str, list[Any]]:
        expression = " & ".join("(" + " | ".join(map(_tsquery_phrase, clause)) + ")" for clause in clauses)
        return "SELECT rowid FROM paper_search WHERE search @@ ?::tsquery", [expression]

    def _index_words(self, tx: _Transaction, keys: list[str]) -> None:
        """The papers' words as FTS5 indexes them (storage/postgres_words.py), copied in and
        stored in one statement."""
        for chunk in chunks(list(dict.fromkeys(keys))):
            papers = tx.execute(f"SELECT key, title, abstract, authors FROM papers WHERE key IN ({marks(chunk)})",
                                chunk).fetchall()
            postgres_words.index(tx.conn, [tuple(paper) for paper in papers])

    def iter_titles(self) -> Iterator[tuple[int, str]]:
        # A server-side cursor: millions of titles arrive in batches, never all at once.
        with self.pool.connection() as conn, conn.transaction(), conn.cursor(name="titles") as cursor:
            cursor.itersize = 20_000
            cursor.execute("SELECT rowid, norm_title FROM papers ORDER BY rowid")
            for row in cursor:
                yield row[0], row[1]

    def side_file(self, suffix: str) -> Path:
        """In this machine's cache folder, named by the database's id: every process of the machine
        opens the same file, and another database never mistakes it for its own."""
        if self._database_id is None:
            self._database_id = self._one("SELECT id FROM database_id")[0]
        return self.cache_dir / f"{self._database_id}.{suffix}"

    def shared_copy(self, suffix: str) -> str | None:
        return self._retrying(lambda: self._with_connection(postgres_files.kept_copy, suffix))

    def fetch_shared_copy(self, suffix: str) -> str | None:
        return self._retrying(lambda: self._with_connection(postgres_files.fetch, suffix, self.side_file(suffix)))

    def keep_shared_copy(self, suffix: str, copy: str) -> None:
        written = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self._retrying(lambda: self._with_connection(postgres_files.keep, suffix, self.side_file(suffix), copy, written))

    def _with_connection(self, work: Callable[..., T], *args: Any) -> T:
        with self.pool.connection() as conn:
            return work(conn, *args)

    @write
    def bulk_upsert_rows(self, rows: list[tuple]) -> UpsertResult:
        """Rows from bulk_rows are copied (COPY) into a staging table and moved into papers by one
        statement, as the SQLite store does."""
        if not rows:
            return UpsertResult((), 0)
        with self._transaction(lock="papers") as tx:
            tx.conn.execute(f"CREATE TEMP TABLE paper_stage ON COMMIT DROP AS SELECT {_STAGE_COLUMNS} FROM papers "
                            "WITH NO DATA")
            tx.conn.execute("ALTER TABLE paper_stage ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY")
            with tx.conn.cursor() as cursor, cursor.copy(f"COPY paper_stage ({_STAGE_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return self._store_staged(tx, rows, _UPSERT_FROM_STAGE_SQL, "seq")

    def highest_id_given(self, table: str, column: str) -> int:
        """The highest id `table` ever handed out: its sequence remembers ids since deleted."""
        most = self._one(f"SELECT coalesce(max({column}), 0) FROM {table}")[0]
        sequence = self._one("SELECT pg_get_serial_sequence(?, ?)", [table, column])[0]
        given = self._one(f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {sequence}")[0]
        return max(most, given)

    @write
    def ids_continue_after(self, table: str, column: str, highest: int) -> None:
        """Ids handed out from now on are above `highest` and above every stored one."""
        with self._transaction() as tx:
            tx.execute(f"SELECT setval(pg_get_serial_sequence(?, ?), greatest(?, (SELECT coalesce(max({column}), 0) "
                       f"FROM {table}), 1))", [table, column, highest])

    @write
    def forget_payloads(self, settled_before: str) -> int:
        with self._transaction() as tx:
            return tx.execute(
                "UPDATE deliveries SET payload = CASE WHEN payload::jsonb -> 'digest' IS NULL THEN '{}' "
                "ELSE '{\"digest\":' || (payload::jsonb -> 'digest')::text || '}' END "
                "WHERE status IN ('sent', 'failed', 'cancelled') AND settled_at < ? AND payload != '{}' "
                "AND payload NOT LIKE '{\"digest\":%'", [settled_before]).rowcount
