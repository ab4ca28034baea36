"""The embedded default store: one SQLite file (or memory), through sqlite-utils.

It implements paperboy.bot.store.Store, whose docstrings say what each method promises; the
comments here say how SQLite keeps it. This package is the only place that speaks SQL."""
from __future__ import annotations

import asyncio
import functools
import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from paperboy.bot.models import ChannelConfig, Delivery, Paper, Subscription, Target, UpsertResult, normalize_title
from paperboy.storage import duplicates, migrations

T = TypeVar("T")
_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
_RETRY_EVERY = 0.003
_CONNECTION_WAIT = 0.02  # SQLite's own wait for a lock, before _waits_its_turn tries again

_PAPER_COLUMNS = (
    "key", "arxiv_id", "title", "norm_title", "abstract", "authors", "published", "categories",
    "upvotes", "venue", "hf_url", "code_url", "project_url", "github_stars", "ai_summary",
    "ai_keywords", "source", "doi", "journal_ref", "comments", "updated", "first_seen", "last_seen",
)
# On conflict an incoming value replaces the stored one only when it is not NULL, so a thin
# record (an arXiv listing) never erases what a richer one (Hugging Face) stored.
# A new paper is stored unmatched (matched = 0) when it is news that subscriptions must see; an
# existing one keeps its state.
_ON_CONFLICT = (
    "ON CONFLICT(key) DO UPDATE SET "
    "title = excluded.title, norm_title = excluded.norm_title, "
    "abstract = coalesce(excluded.abstract, abstract), "
    "authors = CASE WHEN excluded.authors != '[]' THEN excluded.authors ELSE authors END, "
    "published = coalesce(published, excluded.published), "
    "categories = CASE WHEN excluded.categories != '[]' THEN excluded.categories ELSE categories END, "
    "upvotes = coalesce(excluded.upvotes, upvotes), venue = coalesce(excluded.venue, venue), "
    "hf_url = coalesce(excluded.hf_url, hf_url), code_url = coalesce(excluded.code_url, code_url), "
    "project_url = coalesce(excluded.project_url, project_url), "
    "github_stars = coalesce(excluded.github_stars, github_stars), "
    "ai_summary = coalesce(excluded.ai_summary, ai_summary), "
    "ai_keywords = CASE WHEN excluded.ai_keywords != '[]' THEN excluded.ai_keywords ELSE ai_keywords END, "
    "doi = coalesce(excluded.doi, doi), journal_ref = coalesce(excluded.journal_ref, journal_ref), "
    "comments = coalesce(excluded.comments, comments), updated = coalesce(excluded.updated, updated), "
    "last_seen = excluded.last_seen "
    "WHERE title IS NOT excluded.title OR abstract IS NOT coalesce(excluded.abstract, abstract) "
    "OR authors IS NOT (CASE WHEN excluded.authors != '[]' THEN excluded.authors ELSE authors END) "
    "OR categories IS NOT (CASE WHEN excluded.categories != '[]' THEN excluded.categories ELSE categories END) "
    "OR upvotes IS NOT coalesce(excluded.upvotes, upvotes) OR venue IS NOT coalesce(excluded.venue, venue) "
    "OR hf_url IS NOT coalesce(excluded.hf_url, hf_url) OR code_url IS NOT coalesce(excluded.code_url, code_url) "
    "OR project_url IS NOT coalesce(excluded.project_url, project_url) "
    "OR github_stars IS NOT coalesce(excluded.github_stars, github_stars) "
    "OR ai_summary IS NOT coalesce(excluded.ai_summary, ai_summary) "
    "OR ai_keywords IS NOT (CASE WHEN excluded.ai_keywords != '[]' THEN excluded.ai_keywords ELSE ai_keywords END) "
    "OR (published IS NULL AND excluded.published IS NOT NULL) "
    "OR doi IS NOT coalesce(excluded.doi, doi) OR journal_ref IS NOT coalesce(excluded.journal_ref, journal_ref) "
    "OR comments IS NOT coalesce(excluded.comments, comments) OR updated IS NOT coalesce(excluded.updated, updated)"
)
_UPSERT_SQL = (f"INSERT INTO papers ({', '.join(_PAPER_COLUMNS)}, matched) "
               f"VALUES ({', '.join('?' * len(_PAPER_COLUMNS))}, ?) {_ON_CONFLICT}")


# A record merged into a stored paper (storage.duplicates) fills the paper's blanks and changes nothing else.
_MERGE_SQL = (
    "UPDATE papers SET abstract = coalesce(abstract, :abstract), "
    "authors = CASE WHEN authors = '[]' THEN :authors ELSE authors END, published = coalesce(published, :published), "
    "categories = CASE WHEN categories = '[]' THEN :categories ELSE categories END, "
    "upvotes = coalesce(upvotes, :upvotes), venue = coalesce(venue, :venue), last_seen = :seen "
    "WHERE key = :key AND ((abstract IS NULL AND :abstract IS NOT NULL) OR (authors = '[]' AND :authors != '[]') "
    "OR (published IS NULL AND :published IS NOT NULL) OR (categories = '[]' AND :categories != '[]') "
    "OR (upvotes IS NULL AND :upvotes IS NOT NULL) OR (venue IS NULL AND :venue IS NOT NULL))"
)


def _waits_its_turn(write: Callable[..., T]) -> Callable[..., T]:
    """A write that finds another connection writing tries again every few milliseconds until the
    store's busy_timeout. SQLite's own wait backs off to one try every 100 ms, which a writer
    committing every few dozen milliseconds (an import in another process) could starve; the
    connection's own wait is kept short for that reason. The transaction is rolled back before each
    new try, so the write is done whole, once."""
    @functools.wraps(write)
    def retrying(self: SQLiteStore, *args: Any, **kwargs: Any) -> T:
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                return write(self, *args, **kwargs)
            except sqlite3.OperationalError as exc:
                # The primary code: SQLITE_BUSY_SNAPSHOT (a read snapshot another writer moved past) too.
                if (getattr(exc, "sqlite_errorcode", 0) & 0xFF) not in _BUSY or time.monotonic() >= deadline:
                    raise
            time.sleep(_RETRY_EVERY)
    return retrying


def _after(key_prefix: str) -> str:
    """The first key past every key starting with key_prefix: a key range, unlike LIKE, is served by
    the unique index on dedupe_key."""
    if not key_prefix:
        raise ValueError("key_prefix must not be empty")
    return key_prefix[:-1] + chr(ord(key_prefix[-1]) + 1)


def _ids(delivery_ids: int | Iterable[int]) -> list[int]:
    return [delivery_ids] if isinstance(delivery_ids, int) else list(delivery_ids)


def _row_to_paper(row: sqlite3.Row) -> Paper:
    return Paper(
        key=row["key"], title=row["title"], abstract=row["abstract"],
        authors=tuple(json.loads(row["authors"])), published=row["published"],
        categories=tuple(json.loads(row["categories"])), upvotes=row["upvotes"],
        arxiv_id=row["arxiv_id"], venue=row["venue"], hf_url=row["hf_url"], code_url=row["code_url"],
        project_url=row["project_url"], github_stars=row["github_stars"], ai_summary=row["ai_summary"],
        ai_keywords=tuple(json.loads(row["ai_keywords"])), source=row["source"], doi=row["doi"],
        journal_ref=row["journal_ref"], comments=row["comments"], updated=row["updated"],
        withdrawn=bool(row["withdrawn"]), first_seen=row["first_seen"], last_seen=row["last_seen"],
    )


def _paper_values(p: Paper, seen_at: str, news: bool) -> tuple:
    return (
        p.key, p.arxiv_id, p.title, normalize_title(p.title), p.abstract,
        json.dumps(list(p.authors), ensure_ascii=False), p.published,
        json.dumps(list(p.categories)), p.upvotes, p.venue, p.hf_url, p.code_url, p.project_url,
        p.github_stars, p.ai_summary, json.dumps(list(p.ai_keywords), ensure_ascii=False), p.source,
        p.doi, p.journal_ref, p.comments, p.updated, seen_at, seen_at, 0 if news else 1,
    )


BULK_CACHE_KIB = 65536
_STAGE_INSERT_SQL = f"INSERT INTO temp.paper_stage VALUES ({', '.join('?' * len(_PAPER_COLUMNS))})"
# The staged rows in their batch order, so a key staged twice ends as its last row, as with executemany.
# ("WHERE true" keeps SQLite from reading ON CONFLICT as a join constraint.)
# Bulk loads are catalogue, not news: stored as matched, they never raise alerts.
_UPSERT_FROM_STAGE_SQL = (f"INSERT INTO papers ({', '.join(_PAPER_COLUMNS)}, matched) "
                          f"SELECT {', '.join(_PAPER_COLUMNS)}, 1 FROM temp.paper_stage WHERE true ORDER BY rowid "
                          f"{_ON_CONFLICT}")
# json.dumps with a keyword argument builds a new encoder per call; one encoder gives the same text.
_dumps_unicode = json.JSONEncoder(ensure_ascii=False).encode


def _bulk_paper_values(p: Paper, seen_at: str) -> tuple:
    return (
        p.key, p.arxiv_id, p.title, normalize_title(p.title), p.abstract,
        _dumps_unicode(list(p.authors)) if p.authors else "[]", p.published,
        json.dumps(list(p.categories)) if p.categories else "[]", p.upvotes, p.venue, p.hf_url, p.code_url,
        p.project_url, p.github_stars, p.ai_summary,
        _dumps_unicode(list(p.ai_keywords)) if p.ai_keywords else "[]", p.source, p.doi, p.journal_ref,
        p.comments, p.updated, seen_at, seen_at,
    )


class SQLiteStore:
    """A paperboy database: papers with their FTS index, daily lists, channels, subscriptions, outbox."""

    def __init__(self, path: str | Path | None = None, *, memory: bool = False, busy_timeout: float = 30):
        """`busy_timeout`: how long a write waits for another connection's write to finish."""
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
        migrations.apply(self.db)
        conn.execute(f"PRAGMA busy_timeout = {int(min(busy_timeout, _CONNECTION_WAIT) * 1000)}")
        # One thread does every piece of work async code hands over (run): SQLite work is then
        # never on the event loop, and never two at once on this connection.
        self._thread: ThreadPoolExecutor | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paperboy-store")
        return await asyncio.get_running_loop().run_in_executor(self._thread, work, *args)

    def close(self) -> None:
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None
        self.conn.close()

    def _all(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, tuple(params)).fetchall()

    def _one(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, tuple(params)).fetchone()

    # ---- papers -------------------------------------------------------------------------

    @_waits_its_turn
    def upsert_papers(self, papers: Iterable[Paper], seen_at: str, *, news: bool = False) -> UpsertResult:
        batch = list(papers)
        if not batch:
            return UpsertResult((), 0)
        rows = [_paper_values(p, seen_at, news) for p in batch]
        with self.conn:
            todo = duplicates.plan(rows, duplicates.stored_alike(self.conn, rows))
            self._take_over(todo.rekeys)
            keys = [row[0] for row in todo.rows]
            existing = self._existing_keys(keys)
            cur = self.conn.executemany(_UPSERT_SQL, todo.rows)
            changed = max(cur.rowcount, 0) + self._merge(todo.merges, seen_at)
        return UpsertResult(tuple(k for k in dict.fromkeys(keys) if k not in existing), changed)

    def _take_over(self, rekeys: list[tuple[str, str, str]]) -> None:
        """Stored papers without an id become the arXiv papers that arrived for them (duplicates)."""
        for old, new, arxiv_id in rekeys:
            self.conn.execute("UPDATE papers SET key = ?, arxiv_id = ? WHERE key = ? AND NOT EXISTS "
                              "(SELECT 1 FROM papers WHERE key = ? OR arxiv_id = ?)", [new, arxiv_id, old, new, arxiv_id])

    def _merge(self, merges: list[tuple[str, tuple]], seen_at: str) -> int:
        """Records merged into a stored paper fill in what it lacks; returns how many papers changed."""
        changed = 0
        for target, row in merges:
            values = {"abstract": row[4], "authors": row[5], "published": row[6], "categories": row[7],
                      "upvotes": row[8], "venue": row[9], "seen": seen_at, "key": target}
            changed += self.conn.execute(_MERGE_SQL, values).rowcount
        return changed

    def _existing_keys(self, keys: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(keys), 900):
            chunk = keys[start:start + 900]
            rows = self.conn.execute(
                f"SELECT key FROM papers WHERE key IN ({','.join('?' * len(chunk))})", chunk
            ).fetchall()
            found.update(r[0] for r in rows)
        return found

    def get_paper(self, key: str) -> Paper | None:
        row = self._one("SELECT * FROM papers WHERE key = ?", [key])
        return _row_to_paper(row) if row else None

    def get_papers(self, keys: list[str]) -> dict[str, Paper]:
        out: dict[str, Paper] = {}
        for start in range(0, len(keys), 900):
            chunk = keys[start:start + 900]
            for row in self._all(f"SELECT * FROM papers WHERE key IN ({','.join('?' * len(chunk))})", chunk):
                out[row["key"]] = _row_to_paper(row)
        return out

    def get_papers_by_rowid(self, rowids: list[int]) -> dict[int, Paper]:
        out: dict[int, Paper] = {}
        for start in range(0, len(rowids), 900):
            chunk = rowids[start:start + 900]
            rows = self._all(
                f"SELECT rowid AS _rowid, * FROM papers WHERE rowid IN ({','.join('?' * len(chunk))})", chunk
            )
            for row in rows:
                out[row["_rowid"]] = _row_to_paper(row)
        return out

    def fts_search(self, match_expression: str, limit: int = 50,
                   weights: tuple[float, float, float] = (10.0, 1.0, 2.0)) -> list[tuple[int, float]]:
        sql = (
            "SELECT rowid, bm25(papers_fts, ?, ?, ?) AS rank FROM papers_fts "
            "WHERE papers_fts MATCH ? ORDER BY rank LIMIT ?"
        )
        return [(r[0], r[1]) for r in self._all(sql, [*weights, match_expression, limit])]

    def fts_count(self, match_expression: str, up_to: int) -> int:
        return self._one("SELECT count(*) FROM (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? LIMIT ?)",
                         [match_expression, up_to])[0]

    def iter_titles(self) -> Iterator[tuple[int, str]]:
        yield from map(tuple, self.conn.execute("SELECT rowid, norm_title FROM papers ORDER BY rowid"))

    def titles_since(self, rowid: int) -> list[tuple[int, str]]:
        return [(r[0], r[1]) for r in self._all(
            "SELECT rowid, norm_title FROM papers WHERE rowid > ? ORDER BY rowid", [rowid])]

    def titles_of(self, rowids: list[int]) -> dict[int, str]:
        return {r[0]: r[1] for r in self._all(
            f"SELECT rowid, norm_title FROM papers WHERE rowid IN ({','.join('?' * len(rowids))})", rowids)}

    def side_file(self, suffix: str) -> Path | None:
        return None if self.path is None else self.path.with_name(f"{self.path.name}.{suffix}")

    def title_changes_since(self, seq: int) -> tuple[int, list[tuple[int, str]]]:
        last = self._one("SELECT coalesce(max(seq), 0) FROM title_changes")[0]
        if last <= seq:
            return last, []
        rows = self._all("SELECT p.rowid, p.norm_title FROM title_changes c JOIN papers p ON p.rowid = c.paper_rowid "
                         "WHERE c.seq > ? AND c.seq <= ? ORDER BY c.seq", [seq, last])
        return last, list(dict((r[0], r[1]) for r in rows).items())

    def count_papers(self) -> int:
        return self._one("SELECT count(*) FROM papers")[0]

    def max_rowid(self) -> int:
        return self._one("SELECT coalesce(max(rowid), 0) FROM papers")[0]

    def bulk_upsert_papers(self, papers: list[Paper], seen_at: str) -> UpsertResult:
        """upsert_papers through the bulk path, in one call."""
        return self.bulk_upsert_rows(self.bulk_rows(papers, seen_at))

    @staticmethod
    def bulk_rows(papers: list[Paper], seen_at: str) -> list[tuple]:
        return [_bulk_paper_values(p, seen_at) for p in papers]

    @_waits_its_turn
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
            conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS paper_stage ({', '.join(_PAPER_COLUMNS)})")
            self._bulk_ready = True
        with conn:  # staging touches only the temporary database: other writers go on meanwhile
            conn.execute("DELETE FROM temp.paper_stage")
            conn.executemany(_STAGE_INSERT_SQL, rows)
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            todo = duplicates.plan(rows, duplicates.stored_alike_staged(conn))
            self._take_over(todo.rekeys)
            merged_keys = [row[0] for _, row in todo.merges]
            for start in range(0, len(merged_keys), 900):
                chunk = merged_keys[start:start + 900]
                conn.execute(f"DELETE FROM temp.paper_stage WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            new = [r[0] for r in conn.execute(
                "SELECT key FROM temp.paper_stage WHERE key NOT IN (SELECT key FROM main.papers) ORDER BY rowid")]
            changed = max(conn.execute(_UPSERT_FROM_STAGE_SQL).rowcount, 0)
            changed += self._merge(todo.merges, rows[0][-1])
            conn.execute("DELETE FROM temp.paper_stage")
        return UpsertResult(tuple(dict.fromkeys(new)), changed)

    def unmatched_papers(self, limit: int = 2000) -> list[Paper]:
        rows = self._all("SELECT * FROM papers WHERE matched = 0 ORDER BY rowid LIMIT ?", [limit])
        return [_row_to_paper(r) for r in rows]

    @_waits_its_turn
    def mark_withdrawn(self, arxiv_ids: Iterable[str]) -> int:
        ids = list(arxiv_ids)
        changed = 0
        with self.conn:
            for start in range(0, len(ids), 900):
                chunk = ids[start:start + 900]
                # Matched too: a withdrawn paper raises no alert.
                changed += self.conn.execute(
                    f"UPDATE papers SET withdrawn = 1, matched = 1 WHERE withdrawn = 0 AND arxiv_id IN "
                    f"({','.join('?' * len(chunk))})", chunk).rowcount
        return changed

    @_waits_its_turn
    def record_matches(self, paper_keys: Iterable[str], alerts: Iterable[tuple[str, str, Target, dict[str, Any]]],
                       now: str) -> int:
        keys = list(paper_keys)
        with self.conn:
            added = self._enqueue(alerts, now)
            for start in range(0, len(keys), 900):
                chunk = keys[start:start + 900]
                self.conn.execute(f"UPDATE papers SET matched = 1 WHERE key IN ({','.join('?' * len(chunk))})", chunk)
        return added

    # ---- daily lists --------------------------------------------------------------------

    @_waits_its_turn
    def record_daily_list(self, date: str, source: str, entries: list[tuple[str, int | None]]) -> None:
        with self.conn:
            self.conn.execute("DELETE FROM daily_lists WHERE date = ? AND source = ?", [date, source])
            self.conn.executemany(
                "INSERT OR REPLACE INTO daily_lists (date, source, rank, paper_key, upvotes) VALUES (?, ?, ?, ?, ?)",
                [(date, source, rank, key, up) for rank, (key, up) in enumerate(entries, 1)],
            )

    def daily_list(self, date: str, source: str) -> list[tuple[Paper, int | None]]:
        rows = self._all(
            "SELECT p.*, d.upvotes AS list_upvotes FROM daily_lists d JOIN papers p ON p.key = d.paper_key "
            "WHERE d.date = ? AND d.source = ? AND p.withdrawn = 0 ORDER BY d.rank", [date, source])
        return [(_row_to_paper(r), r["list_upvotes"]) for r in rows]

    def latest_daily_date(self, source: str, on_or_before: str) -> str | None:
        row = self._one("SELECT max(date) FROM daily_lists WHERE source = ? AND date <= ?", [source, on_or_before])
        return row[0] if row else None

    def papers_in_categories(self, categories: list[str], published_from: str, published_to: str,
                             limit: int = 200) -> list[Paper]:
        if not categories:
            return []
        likes = " OR ".join("categories LIKE ?" for _ in categories)
        params = [f'%"{c}"%' for c in categories]
        rows = self._all(
            f"SELECT * FROM papers WHERE ({likes}) AND published BETWEEN ? AND ? AND withdrawn = 0 "
            "ORDER BY published DESC, coalesce(upvotes, 0) DESC LIMIT ?",
            [*params, published_from, published_to, limit])
        return [_row_to_paper(r) for r in rows]

    # ---- channels -----------------------------------------------------------------------

    @_waits_its_turn
    def configure_channel(self, platform: str, workspace: str, channel: str, now: str, **settings: Any) -> ChannelConfig:
        allowed = {"daily_time", "tz", "top_n", "min_upvotes", "filter", "sources", "thread_per_paper", "enabled",
                   "paused"}
        unknown = set(settings) - allowed
        if unknown:
            raise ValueError(f"unknown channel settings: {sorted(unknown)}")
        values = {k: (int(v) if isinstance(v, bool) else v) for k, v in settings.items()}
        with self.conn:
            self.conn.execute(
                "INSERT INTO channels (platform, workspace, channel, created, updated) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(platform, workspace, channel) DO NOTHING", [platform, workspace, channel, now, now])
            if values:
                assignments = ", ".join(f"{k} = ?" for k in values)
                self.conn.execute(
                    f"UPDATE channels SET {assignments}, updated = ? WHERE platform = ? AND workspace = ? AND channel = ?",
                    [*values.values(), now, platform, workspace, channel])
        found = self.get_channel(platform, workspace, channel)
        assert found is not None
        return found

    def get_channel(self, platform: str, workspace: str, channel: str) -> ChannelConfig | None:
        row = self._one("SELECT * FROM channels WHERE platform = ? AND workspace = ? AND channel = ?",
                        [platform, workspace, channel])
        return self._channel(row) if row else None

    def enabled_channels(self, platform: str | None = None) -> list[ChannelConfig]:
        if platform:
            rows = self._all("SELECT * FROM channels WHERE enabled = 1 AND paused IS NULL AND platform = ? ORDER BY id",
                             [platform])
        else:
            rows = self._all("SELECT * FROM channels WHERE enabled = 1 AND paused IS NULL ORDER BY id")
        return [self._channel(r) for r in rows]

    @staticmethod
    def _channel(row: sqlite3.Row) -> ChannelConfig:
        return ChannelConfig(
            id=row["id"], platform=row["platform"], workspace=row["workspace"], channel=row["channel"],
            daily_time=row["daily_time"], tz=row["tz"], top_n=row["top_n"], min_upvotes=row["min_upvotes"],
            filter=row["filter"], sources=row["sources"], thread_per_paper=bool(row["thread_per_paper"]),
            enabled=bool(row["enabled"]), paused=row["paused"])

    @_waits_its_turn
    def pause_channel(self, channel_id: int, reason: str) -> bool:
        with self.conn:
            cur = self.conn.execute("UPDATE channels SET paused = ? WHERE id = ? AND paused IS NULL",
                                    [reason[:1000], channel_id])
        return cur.rowcount > 0

    def channel_configured_at(self, channel_id: int) -> str | None:
        row = self._one("SELECT updated FROM channels WHERE id = ?", [channel_id])
        return row[0] if row else None

    # ---- subscriptions ------------------------------------------------------------------

    @_waits_its_turn
    def add_subscription(self, platform: str, workspace: str, owner: str, channel: str, notify: str,
                         query: str, now: str) -> Subscription:
        with self.conn:
            cur = self.conn.execute(
                "INSERT INTO subscriptions (platform, workspace, owner, channel, notify, query, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", [platform, workspace, owner, channel, notify, query, now])
        return self.get_subscription(cur.lastrowid)  # type: ignore[return-value]

    def get_subscription(self, sub_id: int) -> Subscription | None:
        row = self._one("SELECT * FROM subscriptions WHERE id = ?", [sub_id])
        return Subscription(**dict(row)) if row else None

    @_waits_its_turn
    def remove_subscription(self, platform: str, workspace: str, owner: str, sub_id: int) -> bool:
        with self.conn:
            cur = self.conn.execute(
                "DELETE FROM subscriptions WHERE id = ? AND platform = ? AND workspace = ? AND owner = ?",
                [sub_id, platform, workspace, owner])
        return cur.rowcount > 0

    def subscriptions_of(self, platform: str, workspace: str, owner: str) -> list[Subscription]:
        rows = self._all("SELECT * FROM subscriptions WHERE platform = ? AND workspace = ? AND owner = ? ORDER BY id",
                         [platform, workspace, owner])
        return [Subscription(**dict(r)) for r in rows]

    def all_subscriptions(self) -> list[Subscription]:
        return [Subscription(**dict(r)) for r in self._all("SELECT * FROM subscriptions ORDER BY id")]

    @_waits_its_turn
    def add_subscriptions_bulk(self, rows: list[tuple[str, str, str, str, str, str]], now: str) -> None:
        """(platform, workspace, owner, channel, notify, query) rows: seeding and benchmarks."""
        with self.conn:
            self.conn.executemany(
                "INSERT INTO subscriptions (platform, workspace, owner, channel, notify, query, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", [(*r, now) for r in rows])

    # ---- deliveries (the outbox) --------------------------------------------------------

    @_waits_its_turn
    def enqueue_delivery(self, dedupe_key: str, kind: str, target: Target, payload: dict[str, Any],
                         now: str) -> bool:
        with self.conn:
            cur = self.conn.execute(
                "INSERT INTO deliveries (dedupe_key, kind, platform, workspace, channel, user, mode, payload, "
                "status, next_attempt_at, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) "
                "ON CONFLICT(dedupe_key) DO NOTHING",
                [dedupe_key, kind, target.platform, target.workspace, target.channel, target.user, target.mode,
                 json.dumps(payload, ensure_ascii=False), now, now])
        return cur.rowcount > 0

    @_waits_its_turn
    def enqueue_deliveries(self, rows: Iterable[tuple[str, str, Target, dict[str, Any]]], now: str) -> int:
        with self.conn:
            return self._enqueue(rows, now)

    def _enqueue(self, rows: Iterable[tuple[str, str, Target, dict[str, Any]]], now: str) -> int:
        """Inside the caller's transaction: pending deliveries, keys already present left alone."""
        values = [(key, kind, t.platform, t.workspace, t.channel, t.user, t.mode,
                   json.dumps(payload, ensure_ascii=False), now, now) for key, kind, t, payload in rows]
        if not values:
            return 0
        before = self.conn.total_changes
        self.conn.executemany(
            "INSERT INTO deliveries (dedupe_key, kind, platform, workspace, channel, user, mode, payload, "
            "status, next_attempt_at, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) "
            "ON CONFLICT(dedupe_key) DO NOTHING", values)
        return self.conn.total_changes - before

    @_waits_its_turn
    def record_skipped(self, dedupe_key: str, kind: str, target: Target, note: str, now: str) -> bool:
        with self.conn:
            cur = self.conn.execute(
                "INSERT INTO deliveries (dedupe_key, kind, platform, workspace, channel, user, mode, payload, "
                "status, next_attempt_at, created, settled_at, note) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, '{}', 'skipped', ?, ?, ?, ?) ON CONFLICT(dedupe_key) DO NOTHING",
                [dedupe_key, kind, target.platform, target.workspace, target.channel, target.user, target.mode,
                 now, now, now, note])
        return cur.rowcount > 0

    def has_delivery(self, dedupe_key: str) -> bool:
        return self._one("SELECT 1 FROM deliveries WHERE dedupe_key = ?", [dedupe_key]) is not None

    def get_delivery(self, dedupe_key: str) -> Delivery | None:
        row = self._one("SELECT * FROM deliveries WHERE dedupe_key = ?", [dedupe_key])
        return self._delivery(row) if row else None

    @_waits_its_turn
    def claim_due_deliveries(self, now: str, platforms: Iterable[str], limit: int = 50, *, owner: str = "",
                             lease_seconds: float = 60) -> list[Delivery]:
        names = list(platforms)
        if not names:
            return []
        # One statement inside an immediate (write-locked) transaction: the rows chosen are the rows
        # taken, and a second process claiming at the same moment waits, then finds them taken.
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            rows = self._all(
                "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, lease_owner = ?, "
                "lease_until = strftime('%Y-%m-%dT%H:%M:%SZ', ?, ?), "
                "note = CASE WHEN status = 'sending' THEN 'interrupted while sending' ELSE note END "
                "WHERE id IN (SELECT id FROM deliveries WHERE "
                "((status = 'pending' AND next_attempt_at <= ?) OR (status = 'sending' AND lease_until <= ?)) "
                f"AND platform IN ({','.join('?' * len(names))}) ORDER BY next_attempt_at, id LIMIT ?) "
                "AND ((status = 'pending' AND next_attempt_at <= ?) OR (status = 'sending' AND lease_until <= ?)) "
                "RETURNING *",
                [owner, now, f"+{lease_seconds} seconds", now, now, *names, limit, now, now])
        return sorted((self._delivery(r) for r in rows), key=lambda d: (d.next_attempt_at, d.id))

    @_waits_its_turn
    def renew_leases(self, delivery_ids: Iterable[int], owner: str, now: str, lease_seconds: float = 60) -> int:
        ids = list(delivery_ids)
        if not ids:
            return 0
        with self.conn:
            cur = self.conn.execute(
                "UPDATE deliveries SET lease_until = strftime('%Y-%m-%dT%H:%M:%SZ', ?, ?) "
                f"WHERE status = 'sending' AND lease_owner = ? AND id IN ({','.join('?' * len(ids))})",
                [now, f"+{lease_seconds} seconds", owner, *ids])
        return cur.rowcount

    @_waits_its_turn
    def release_leases(self, delivery_ids: Iterable[int], owner: str, now: str) -> int:
        ids = list(delivery_ids)
        if not ids:
            return 0
        with self.conn:
            cur = self.conn.execute(
                "UPDATE deliveries SET status = 'pending', next_attempt_at = ?, lease_owner = NULL, lease_until = NULL, "
                f"note = 'released at a stop' WHERE status = 'sending' AND lease_owner = ? "
                f"AND id IN ({','.join('?' * len(ids))})", [now, owner, *ids])
        return cur.rowcount

    @_waits_its_turn
    def mark_bundled(self, delivery_ids: Iterable[int], bundle: str, *, owner: str) -> int:
        ids = list(delivery_ids)
        with self.conn:
            cur = self.conn.execute(
                f"UPDATE deliveries SET bundle = ? WHERE status = 'sending' AND lease_owner = ? "
                f"AND id IN ({','.join('?' * len(ids))})", [bundle, owner, *ids])
        return cur.rowcount

    def mark_delivered(self, delivery_ids: int | Iterable[int], now: str, external_id: str | None = None,
                       note: str | None = None, *, owner: str | None = None) -> int:
        return self._settle(
            "status = 'sent', sent_at = ?, settled_at = ?, external_id = ?, note = coalesce(?, note), "
            "last_error = NULL", [now, now, external_id, note], delivery_ids, owner)

    def mark_retry(self, delivery_ids: int | Iterable[int], error: str, retry_at: str, *,
                   owner: str | None = None) -> int:
        return self._settle("status = 'pending', last_error = ?, next_attempt_at = ?", [error[:1000], retry_at],
                            delivery_ids, owner)

    def mark_failed(self, delivery_ids: int | Iterable[int], error: str, now: str, *,
                    owner: str | None = None) -> int:
        return self._settle("status = 'failed', settled_at = ?, last_error = ?", [now, error[:1000]],
                            delivery_ids, owner)

    @_waits_its_turn
    def _settle(self, assignments: str, values: list[Any], delivery_ids: int | Iterable[int],
                owner: str | None) -> int:
        """Ends claims (the lease goes with them); with `owner`, only claims that owner still holds."""
        where = "id = ?" if owner is None else "id = ? AND status = 'sending' AND lease_owner = ?"
        rows = [(*values, i) if owner is None else (*values, i, owner) for i in _ids(delivery_ids)]
        with self.conn:
            before = self.conn.total_changes
            self.conn.executemany(
                f"UPDATE deliveries SET {assignments}, lease_owner = NULL, lease_until = NULL WHERE {where}", rows)
            return self.conn.total_changes - before

    def latest_outcomes(self, key_prefix: str, limit: int) -> list[str]:
        rows = self._all("SELECT status FROM deliveries WHERE dedupe_key >= ? AND dedupe_key < ? "
                         "AND status IN ('sent', 'failed') ORDER BY id DESC LIMIT ?",
                         [key_prefix, _after(key_prefix), limit])
        return [r[0] for r in rows]

    @_waits_its_turn
    def cancel_deliveries(self, key_prefix: str, now: str, reason: str) -> int:
        with self.conn:
            cur = self.conn.execute(
                "UPDATE deliveries SET status = 'cancelled', settled_at = ?, note = ?, lease_owner = NULL, lease_until = NULL "
                "WHERE dedupe_key >= ? AND dedupe_key < ? "
                "AND (status = 'pending' OR (status = 'sending' AND lease_until <= ?))",
                [now, reason[:1000], key_prefix, _after(key_prefix), now])
        return cur.rowcount

    def deliveries(self, status: str | None = None, kind: str | None = None) -> list[Delivery]:
        clauses, params = [], []
        if status:
            clauses.append("status = ?")
            params.append(status)
        if kind:
            clauses.append("kind = ?")
            params.append(kind)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return [self._delivery(r) for r in self._all(f"SELECT * FROM deliveries {where} ORDER BY id", params)]

    @staticmethod
    def _delivery(row: sqlite3.Row) -> Delivery:
        return Delivery(
            id=row["id"], dedupe_key=row["dedupe_key"], kind=row["kind"],
            target=Target(row["platform"], row["workspace"], row["channel"], row["user"], row["mode"]),
            payload=json.loads(row["payload"]), status=row["status"], attempts=row["attempts"],
            next_attempt_at=row["next_attempt_at"], last_error=row["last_error"],
            external_id=row["external_id"], note=row["note"], lease_owner=row["lease_owner"],
            lease_until=row["lease_until"], created=row["created"], bundle=row["bundle"])

    def latest_delivery(self, key_prefix: str, statuses: Iterable[str] = ("pending", "sending", "sent")
                        ) -> Delivery | None:
        names = list(statuses)
        after_prefix = _after(key_prefix)
        row = self._one(
            f"SELECT * FROM deliveries WHERE dedupe_key >= ? AND dedupe_key < ? "
            f"AND status IN ({','.join('?' * len(names))}) ORDER BY id DESC LIMIT 1",
            [key_prefix, after_prefix, *names])
        return self._delivery(row) if row else None

    # ---- leases and shared pacing ---------------------------------------------------------

    @_waits_its_turn
    def take_lease(self, name: str, owner: str, now: str, seconds: float) -> bool:
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "INSERT INTO leases (name, owner, until) VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', ?, ?)) "
                "ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, until = excluded.until "
                "WHERE leases.owner = excluded.owner OR leases.until <= ?",
                [name, owner, now, f"+{seconds} seconds", now])
            holder = self._one("SELECT owner FROM leases WHERE name = ?", [name])
        return holder is not None and holder[0] == owner

    @_waits_its_turn
    def release_lease(self, name: str, owner: str) -> None:
        with self.conn:
            self.conn.execute("DELETE FROM leases WHERE name = ? AND owner = ?", [name, owner])

    def lease_holder(self, name: str, now: str) -> str | None:
        row = self._one("SELECT owner FROM leases WHERE name = ? AND until > ?", [name, now])
        return row[0] if row else None

    @_waits_its_turn
    def reserve_slot(self, name: str, now: float, interval: float) -> float:
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            row = self._one("SELECT next_free FROM pacing WHERE name = ?", [name])
            slot = max(now, row[0]) if row else now
            self.conn.execute("INSERT INTO pacing (name, next_free) VALUES (?, ?) "
                              "ON CONFLICT(name) DO UPDATE SET next_free = excluded.next_free", [name, slot + interval])
        return slot

    # ---- small state (last ingest, cursors) ---------------------------------------------

    def get_state(self, name: str) -> str | None:
        row = self._one("SELECT value FROM state WHERE name = ?", [name])
        return row[0] if row else None

    @_waits_its_turn
    def set_state(self, name: str, value: str) -> None:
        with self.conn:
            self.conn.execute("INSERT INTO state (name, value) VALUES (?, ?) "
                              "ON CONFLICT(name) DO UPDATE SET value = excluded.value", [name, value])

    def papers_by_source(self) -> dict[str, int]:
        return {r[0] or "unknown": r[1] for r in self._all(
            "SELECT source, count(*) FROM papers GROUP BY source ORDER BY count(*) DESC")}

    def states_with_prefix(self, prefix: str) -> dict[str, str]:
        rows = self._all("SELECT name, value FROM state WHERE name >= ? AND name < ?", [prefix, _after(prefix)])
        return {r[0]: r[1] for r in rows}

    @_waits_its_turn
    def delete_state(self, name: str) -> None:
        with self.conn:
            self.conn.execute("DELETE FROM state WHERE name = ?", [name])

    @_waits_its_turn
    def forget_payloads(self, settled_before: str) -> int:
        with self.conn:
            cur = self.conn.execute(
                "UPDATE deliveries SET payload = CASE WHEN json_extract(payload, '$.digest') IS NULL THEN '{}' "
                "ELSE json_object('digest', json_extract(payload, '$.digest')) END "
                "WHERE status IN ('sent', 'failed', 'cancelled') AND settled_at < ? AND payload != '{}' "
                "AND payload NOT LIKE '{\"digest\":%'", [settled_before])
        return cur.rowcount

    def stats(self, now: str | None = None) -> dict[str, Any]:
        one = lambda sql, *params: self._one(sql, params)[0]  # noqa: E731
        a_day_ago = self._one("SELECT strftime('%Y-%m-%dT%H:%M:%SZ', coalesce(?, 'now'), '-1 day')", [now])[0]
        return {
            "papers": one("SELECT count(*) FROM papers"),
            "with_arxiv_id": one("SELECT count(*) FROM papers WHERE arxiv_id IS NOT NULL"),
            "daily_lists": one("SELECT count(DISTINCT date || source) FROM daily_lists"),
            "channels": one("SELECT count(*) FROM channels WHERE enabled = 1"),
            "channels_paused": one("SELECT count(*) FROM channels WHERE enabled = 1 AND paused IS NOT NULL"),
            "subscriptions": one("SELECT count(*) FROM subscriptions"),
            "deliveries_pending": one("SELECT count(*) FROM deliveries WHERE status = 'pending'"),
            "deliveries_sending": one("SELECT count(*) FROM deliveries WHERE status = 'sending'"),
            "oldest_lease_until": one("SELECT min(lease_until) FROM deliveries WHERE status = 'sending'") or "-",
            "deliveries_sent": one("SELECT count(*) FROM deliveries WHERE status = 'sent'"),
            "deliveries_failed": one("SELECT count(*) FROM deliveries WHERE status = 'failed'"),
            "failed_last_day": one("SELECT count(*) FROM deliveries WHERE status = 'failed' AND settled_at >= ?",
                                   a_day_ago),
            "papers_unmatched": one("SELECT count(*) FROM papers WHERE matched = 0"),
        }
