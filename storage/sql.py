"""What both stores share: the Store methods whose SQL is the same on SQLite and PostgreSQL.

SQL here is written once, with `?` placeholders, in the subset both engines speak: the PostgreSQL
store turns `?` into its own placeholders and `IS NOT x` into `IS DISTINCT FROM x`. Each backend
supplies a transaction (`_transaction`), reads (`_all`, `_one`), its way of waiting out a busy or
lost database (`_retrying`), and the few methods whose SQL has to differ (full-text search, bulk
loading, claiming). Times are computed here, not by the engine, so both store the same text.
"""
from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from paperboy.bot.models import (
    CategoryMatch,
    ChannelConfig,
    Delivery,
    FilterItem,
    Named,
    Paper,
    PaperFilter,
    Subscription,
    Target,
    UpsertResult,
    WordsMatch,
    normalize_title,
)
from paperboy.bot.search.aliases import dated, mine
from paperboy.storage import duplicates

T = TypeVar("T")
CHUNK = 900  # ids per IN (...): under SQLite's old limit of 999 parameters

PAPER_COLUMNS = (
    "key", "arxiv_id", "title", "norm_title", "abstract", "authors", "published", "categories",
    "upvotes", "venue", "hf_url", "code_url", "project_url", "github_stars", "ai_summary",
    "ai_keywords", "source", "doi", "journal_ref", "comments", "updated", "first_seen", "last_seen",
)
# What a paper is read as: its columns, without the store's bookkeeping (rowid, matched).
PAPER_FIELDS = ", ".join([*PAPER_COLUMNS, "withdrawn"])
_FILLED_IF_GIVEN = ("abstract", "upvotes", "venue", "hf_url", "code_url", "project_url", "github_stars",
                    "ai_summary", "doi", "journal_ref", "comments", "updated")
_LISTS = ("authors", "categories", "ai_keywords")


def _incoming(column: str) -> str:
    """The value a conflicting insert leaves in `column`: a given value replaces the stored one,
    and a missing one (NULL, an empty list) keeps it."""
    if column in _LISTS:
        return f"(CASE WHEN excluded.{column} != '[]' THEN excluded.{column} ELSE papers.{column} END)"
    return f"coalesce(excluded.{column}, papers.{column})"


# On conflict an incoming value replaces the stored one only when it is not NULL, so a thin record
# (an arXiv listing) never erases what a richer one (Hugging Face) stored; a row whose values all
# stay is not written at all (and reported unchanged). A new paper is stored unmatched (matched =
# 0) when it is news that subscriptions must see; an existing one keeps its state.
ON_CONFLICT = (
    "ON CONFLICT(key) DO UPDATE SET title = excluded.title, norm_title = excluded.norm_title, "
    + "".join(f"{c} = {_incoming(c)}, " for c in (*_FILLED_IF_GIVEN, *_LISTS))
    + "published = coalesce(papers.published, excluded.published), last_seen = excluded.last_seen "
    "WHERE papers.title IS NOT excluded.title OR "
    + " OR ".join(f"papers.{c} IS NOT {_incoming(c)}" for c in (*_FILLED_IF_GIVEN, *_LISTS))
    + " OR (papers.published IS NULL AND excluded.published IS NOT NULL)"
)
_UPSERT_SQL = (f"INSERT INTO papers ({', '.join(PAPER_COLUMNS)}, matched) "
               f"VALUES ({', '.join('?' * len(PAPER_COLUMNS))}, ?) {ON_CONFLICT}")

# A record merged into a stored paper (storage.duplicates) fills the paper's blanks and changes nothing else.
_MERGE_SQL = (
    "UPDATE papers SET abstract = coalesce(abstract, :abstract), "
    "authors = CASE WHEN authors = '[]' THEN :authors ELSE authors END, published = coalesce(published, :published), "
    "categories = CASE WHEN categories = '[]' THEN :categories ELSE categories END, "
    "upvotes = coalesce(upvotes, :upvotes), venue = coalesce(venue, :venue), last_seen = :seen "
    "WHERE key = :key AND ((abstract IS NULL AND CAST(:abstract AS TEXT) IS NOT NULL) "
    "OR (authors = '[]' AND :authors != '[]') "
    "OR (published IS NULL AND CAST(:published AS TEXT) IS NOT NULL) OR (categories = '[]' AND :categories != '[]') "
    "OR (upvotes IS NULL AND CAST(:upvotes AS INTEGER) IS NOT NULL) "
    "OR (venue IS NULL AND CAST(:venue AS TEXT) IS NOT NULL))"
)
_ENQUEUE_SQL = (
    'INSERT INTO deliveries (dedupe_key, kind, platform, workspace, channel, "user", mode, payload, '
    "status, next_attempt_at, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) "
    "ON CONFLICT(dedupe_key) DO NOTHING")
# Papers stored before names were kept get theirs mined by backfill_aliases, up to the newest paper
# stored then (set by the migration that made the table), in steps that record how far they got.
ALIASES_BACKFILL_END, ALIASES_BACKFILL_DONE = "aliases_backfill_end", "aliases_backfill_done"
_ALIAS_SOURCE = "SELECT rowid, title, abstract, published, venue, arxiv_id, withdrawn FROM papers"
_STATE_SQL = "INSERT INTO state (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value"
_DUE = "((status = 'pending' AND next_attempt_at <= ?) OR (status = 'sending' AND lease_until <= ?))"


class Transaction(Protocol):
    def execute(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> Any:
        """Runs one statement; the result has rowcount, fetchone, fetchall and iterates rows."""

    def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> int:
        """Runs one statement per row; returns how many rows they changed."""


def write(method: Callable[..., T]) -> Callable[..., T]:
    """A method that writes: done whole, once, through the backend's `_retrying` (another writer
    holding the lock, a lost connection); a transaction cut off is rolled back before a new try."""
    @functools.wraps(method)
    def retrying(self: SQLStore, *args: Any, **kwargs: Any) -> T:
        return self._retrying(lambda: method(self, *args, **kwargs))
    return retrying


def later(now: str, seconds: float) -> str:
    """The stored time `seconds` after the stored time `now` (second precision, as clock.iso)."""
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


def _ids(delivery_ids: int | Iterable[int]) -> list[int]:
    return [delivery_ids] if isinstance(delivery_ids, int) else list(delivery_ids)


def month_after(month: str) -> str:
    """"2024-12" -> "2025-01"."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def _surname_condition(item: WordsMatch) -> tuple[str, list[Any]]:
    """The name ends with the word, or its first hyphenated half is the word: compared on the
    stored JSON list of names, lower-cased (a name is followed by its closing quote)."""
    last = item.words[-1]
    return ("(lower(authors) LIKE ? OR lower(authors) LIKE ?)", [f'%{last}"%', f"%{last}-%"])


def _contains_condition(item: WordsMatch) -> tuple[str, list[Any]]:
    pattern = f"%{item.contains}%"
    return "(lower(title) LIKE ? OR lower(abstract) LIKE ?)", [pattern, pattern]


def _row_conditions(item: WordsMatch) -> list[tuple[str, list[Any]]]:
    """What an item asks of the row besides its full-text match."""
    found = [_surname_condition(item)] if item.surname else []
    if item.contains:
        found.append(_contains_condition(item))
    return found


def _category_condition(item: CategoryMatch) -> tuple[str, list[Any]]:
    if item.archive:
        return "(lower(categories) LIKE ? OR lower(categories) LIKE ?)", [f'%"{item.category}.%', f'%"{item.category}"%']
    return "lower(categories) LIKE ?", [f'%"{item.category}"%']


def row_to_paper(row: Any) -> Paper:
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


# json.dumps with a keyword argument builds a new encoder per call; one encoder gives the same text.
_dumps_unicode = json.JSONEncoder(ensure_ascii=False).encode


def bulk_paper_values(p: Paper, seen_at: str) -> tuple:
    return (
        p.key, p.arxiv_id, p.title, normalize_title(p.title), p.abstract,
        _dumps_unicode(list(p.authors)) if p.authors else "[]", p.published,
        json.dumps(list(p.categories)) if p.categories else "[]", p.upvotes, p.venue, p.hf_url, p.code_url,
        p.project_url, p.github_stars, p.ai_summary,
        _dumps_unicode(list(p.ai_keywords)) if p.ai_keywords else "[]", p.source, p.doi, p.journal_ref,
        p.comments, p.updated, seen_at, seen_at,
    )


def delivery_of(row: Any) -> Delivery:
    return Delivery(
        id=row["id"], dedupe_key=row["dedupe_key"], kind=row["kind"],
        target=Target(row["platform"], row["workspace"], row["channel"], row["user"], row["mode"]),
        payload=json.loads(row["payload"]), status=row["status"], attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"], last_error=row["last_error"],
        external_id=row["external_id"], note=row["note"], lease_owner=row["lease_owner"],
        lease_until=row["lease_until"], created=row["created"], bundle=row["bundle"])


def channel_of(row: Any) -> ChannelConfig:
    return ChannelConfig(
        id=row["id"], platform=row["platform"], workspace=row["workspace"], channel=row["channel"],
        daily_time=row["daily_time"], tz=row["tz"], top_n=row["top_n"], min_upvotes=row["min_upvotes"],
        filter=row["filter"], sources=row["sources"], thread_per_paper=bool(row["thread_per_paper"]),
        enabled=bool(row["enabled"]), paused=row["paused"], every=row["every"], week_day=row["week_day"],
        lag_days=row["lag_days"])


class SQLStore:
    """The shared half of a store; SQLiteStore and PostgresStore supply the rest."""

    # Appended to the claim's choice of rows: PostgreSQL lets concurrent claims pass each other by,
    # and (WHOLE_BUNDLES) keeps two claims from choosing parts of one bundle; SQLite's claims never
    # run side by side.
    SKIP_LOCKED = ""
    WHOLE_BUNDLES = ""
    # One thread does every piece of work async code hands over (run): store work is then never
    # on the event loop, and never two at once on one connection.
    _thread: ThreadPoolExecutor | None = None

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paperboy-store")
        return await asyncio.get_running_loop().run_in_executor(self._thread, work, *args)

    def _stop_thread(self) -> None:
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None

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

    # ---- papers -------------------------------------------------------------------------

    @write
    def upsert_papers(self, papers: Iterable[Paper], seen_at: str, *, news: bool = False) -> UpsertResult:
        batch = list(papers)
        if not batch:
            return UpsertResult((), 0)
        rows = [_paper_values(p, seen_at, news) for p in batch]
        with self._transaction(lock="papers") as tx:
            todo = duplicates.plan(rows, duplicates.stored_alike(tx, rows))
            self._take_over(tx, todo.rekeys)
            keys = [row[0] for row in todo.rows]
            existing = self._existing_keys(tx, keys)
            changed = tx.executemany(_UPSERT_SQL, todo.rows) + self._merge(tx, todo.merges, seen_at)
            self._index_words(tx, [*keys, *(target for target, _ in todo.merges)])
            self._index_aliases(tx, [*keys, *(target for target, _ in todo.merges)])
        return UpsertResult(tuple(k for k in dict.fromkeys(keys) if k not in existing), changed)

    def _index_words(self, tx: Transaction, keys: list[str]) -> None:
        """Inside a transaction that stored these papers: their full-text index entries, where the
        engine does not keep them itself (SQLite's triggers do)."""

    @staticmethod
    def _index_aliases(tx: Transaction, keys: list[str]) -> None:
        """Inside a transaction that stored these papers: the names they give themselves and
        define (paperboy.bot.search.aliases), mined again from what is stored now."""
        for chunk in chunks(list(dict.fromkeys(keys))):
            SQLStore._write_aliases(tx, tx.execute(f"{_ALIAS_SOURCE} WHERE key IN ({marks(chunk)})", chunk).fetchall())

    @staticmethod
    def _write_aliases(tx: Transaction, papers: list[Any]) -> None:
        """Replaces the names of these papers (rows of _ALIAS_SOURCE); a withdrawn paper has none."""
        for chunk in chunks([paper[0] for paper in papers]):
            tx.execute(f"DELETE FROM paper_aliases WHERE paper_rowid IN ({marks(chunk)})", chunk)
        rows = [(alias.alias, rowid, alias.kind, alias.strength, alias.expansion, dated(published, venue, arxiv_id))
                for rowid, title, abstract, published, venue, arxiv_id, withdrawn in papers if not withdrawn
                for alias in mine(title, abstract)]
        if rows:
            tx.executemany("INSERT INTO paper_aliases (alias, paper_rowid, kind, strength, expansion, dated) "
                           "VALUES (?, ?, ?, ?, ?, ?)", rows)

    def papers_named(self, alias: str, limit: int = 50) -> list[Named]:
        rows = self._all(
            "SELECT paper_rowid, kind, expansion, dated, count(*) OVER (PARTITION BY expansion) AS users, "
            "count(*) OVER () AS total FROM paper_aliases WHERE alias = ? "
            "ORDER BY strength DESC, dated IS NULL, dated, paper_rowid LIMIT ?", [alias, limit])
        return [Named(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]

    @write
    def backfill_aliases(self, batch: int = 2000) -> int:
        with self._transaction(lock="papers") as tx:
            end = tx.execute("SELECT value FROM state WHERE name = ?", [ALIASES_BACKFILL_END]).fetchone()
            if end is None:
                return 0
            done = tx.execute("SELECT value FROM state WHERE name = ?", [ALIASES_BACKFILL_DONE]).fetchone()
            papers = tx.execute(f"{_ALIAS_SOURCE} WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?",
                                [int(done[0]) if done else 0, int(end[0]), batch]).fetchall()
            if not papers:
                tx.execute("DELETE FROM state WHERE name IN (?, ?)", [ALIASES_BACKFILL_END, ALIASES_BACKFILL_DONE])
                return 0
            self._write_aliases(tx, papers)
            tx.execute(_STATE_SQL, [ALIASES_BACKFILL_DONE, str(papers[-1][0])])
            return len(papers)

    def aliases_backfill_left(self) -> int:
        end = self.get_state(ALIASES_BACKFILL_END)
        if end is None:
            return 0
        done = int(self.get_state(ALIASES_BACKFILL_DONE) or 0)
        return self._one("SELECT count(*) FROM papers WHERE rowid > ? AND rowid <= ?", [done, int(end)])[0]

    @staticmethod
    def _take_over(tx: Transaction, rekeys: list[tuple[str, str, str]]) -> None:
        """Stored papers without an id become the arXiv papers that arrived for them (duplicates)."""
        for old, new, arxiv_id in rekeys:
            tx.execute("UPDATE papers SET key = ?, arxiv_id = ? WHERE key = ? AND NOT EXISTS "
                       "(SELECT 1 FROM papers WHERE key = ? OR arxiv_id = ?)", [new, arxiv_id, old, new, arxiv_id])

    @staticmethod
    def _merge(tx: Transaction, merges: list[tuple[str, tuple]], seen_at: str) -> int:
        """Records merged into a stored paper fill in what it lacks; returns how many papers changed."""
        changed = 0
        for target, row in merges:
            values = {"abstract": row[4], "authors": row[5], "published": row[6], "categories": row[7],
                      "upvotes": row[8], "venue": row[9], "seen": seen_at, "key": target}
            changed += tx.execute(_MERGE_SQL, values).rowcount
        return changed

    @staticmethod
    def _existing_keys(tx: Transaction, keys: list[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunks(keys):
            found.update(r[0] for r in tx.execute(f"SELECT key FROM papers WHERE key IN ({marks(chunk)})", chunk))
        return found

    def get_paper(self, key: str) -> Paper | None:
        row = self._one(f"SELECT {PAPER_FIELDS} FROM papers WHERE key = ?", [key])
        return row_to_paper(row) if row else None

    def get_papers(self, keys: list[str]) -> dict[str, Paper]:
        out: dict[str, Paper] = {}
        for chunk in chunks(keys):
            for row in self._all(f"SELECT {PAPER_FIELDS} FROM papers WHERE key IN ({marks(chunk)})", chunk):
                out[row["key"]] = row_to_paper(row)
        return out

    def get_papers_by_rowid(self, rowids: list[int]) -> dict[int, Paper]:
        out: dict[int, Paper] = {}
        for chunk in chunks(rowids):
            for row in self._all(f"SELECT rowid AS _rowid, {PAPER_FIELDS} FROM papers "
                                 f"WHERE rowid IN ({marks(chunk)})", chunk):
                out[row["_rowid"]] = row_to_paper(row)
        return out

    def titles_since(self, rowid: int) -> list[tuple[int, str]]:
        return [(r[0], r[1]) for r in self._all(
            "SELECT rowid, norm_title FROM papers WHERE rowid > ? ORDER BY rowid", [rowid])]

    def titles_of(self, rowids: list[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        for chunk in chunks(rowids):
            found.update((r[0], r[1]) for r in self._all(
                f"SELECT rowid, norm_title FROM papers WHERE rowid IN ({marks(chunk)})", chunk))
        return found

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

    # ---- sentence embeddings (paperboy.bot.search.semantic) ----------------------------------

    def papers_without_vectors(self, after_rowid: int, limit: int) -> list[tuple[int, str, str | None]]:
        return [(r[0], r[1], r[2]) for r in self._all(
            "SELECT p.rowid, p.title, p.abstract FROM papers p WHERE p.rowid > ? AND NOT EXISTS "
            "(SELECT 1 FROM paper_vectors v WHERE v.paper_rowid = p.rowid) ORDER BY p.rowid LIMIT ?",
            [after_rowid, limit])]

    @write
    def save_vectors(self, rows: list[tuple[int, bytes]]) -> None:
        if not rows:
            return
        with self._transaction(lock="vectors") as tx:
            tx.executemany("INSERT INTO paper_vectors (paper_rowid, vec, written_seq) VALUES (?, ?, "
                           "(SELECT coalesce(max(written_seq), 0) + 1 FROM paper_vectors)) "
                           "ON CONFLICT (paper_rowid) DO UPDATE SET vec = excluded.vec, "
                           "written_seq = excluded.written_seq", rows)

    def vectors_written_after(self, seq: int, limit: int) -> list[tuple[int, int, bytes]]:
        return [(r[0], r[1], bytes(r[2])) for r in self._all(
            "SELECT written_seq, paper_rowid, vec FROM paper_vectors WHERE written_seq > ? "
            "ORDER BY written_seq LIMIT ?", [seq, limit])]

    def vectors_of(self, rowids: list[int]) -> dict[int, bytes]:
        found: dict[int, bytes] = {}
        for chunk in chunks(rowids):
            found.update((r[0], bytes(r[1])) for r in self._all(
                f"SELECT paper_rowid, vec FROM paper_vectors WHERE paper_rowid IN ({marks(chunk)})", chunk))
        return found

    def count_vectors(self) -> int:
        return self._one("SELECT count(*) FROM paper_vectors")[0]

    @write
    def clear_vectors(self) -> None:
        with self._transaction() as tx:
            tx.execute("DELETE FROM paper_vectors")

    def bulk_upsert_papers(self, papers: list[Paper], seen_at: str) -> UpsertResult:
        """upsert_papers through the bulk path, in one call."""
        return self.bulk_upsert_rows(self.bulk_rows(papers, seen_at))

    @staticmethod
    def bulk_rows(papers: list[Paper], seen_at: str) -> list[tuple]:
        return [bulk_paper_values(p, seen_at) for p in papers]

    def bulk_upsert_rows(self, rows: list[tuple]) -> UpsertResult:
        raise NotImplementedError

    def _store_staged(self, tx: Transaction, rows: list[tuple], upsert_from_stage: str, order: str) -> UpsertResult:
        """Inside a "papers" transaction: `rows`, staged in the table paper_stage (in the order of
        its column `order`), moved into papers by `upsert_from_stage` by upsert_papers' rules."""
        todo = duplicates.plan(rows, duplicates.stored_alike_staged(tx))
        self._take_over(tx, todo.rekeys)
        for chunk in chunks([row[0] for _, row in todo.merges]):
            tx.execute(f"DELETE FROM paper_stage WHERE key IN ({marks(chunk)})", chunk)
        # NOT EXISTS, not NOT IN: PostgreSQL answers NOT IN over a subquery too large to hash by
        # scanning the subquery once for every staged row.
        new = [r[0] for r in tx.execute(
            f"SELECT key FROM paper_stage s WHERE NOT EXISTS (SELECT 1 FROM papers p WHERE p.key = s.key) "
            f"ORDER BY {order}")]
        # Only the rows the upsert inserted or changed come back: a re-import rewrites no word index.
        written = [r[0] for r in tx.execute(f"{upsert_from_stage} RETURNING key").fetchall()]
        changed = len(written) + self._merge(tx, todo.merges, rows[0][-1])
        self._index_words(tx, written + [target for target, _ in todo.merges])
        self._index_aliases(tx, written + [target for target, _ in todo.merges])
        return UpsertResult(tuple(dict.fromkeys(new)), changed)

    def unmatched_papers(self, limit: int = 2000) -> list[Paper]:
        rows = self._all(f"SELECT {PAPER_FIELDS} FROM papers WHERE matched = 0 ORDER BY rowid LIMIT ?", [limit])
        return [row_to_paper(r) for r in rows]

    @write
    def mark_withdrawn(self, arxiv_ids: Iterable[str]) -> int:
        changed = 0
        with self._transaction() as tx:
            for chunk in chunks(list(arxiv_ids)):
                # Matched too: a withdrawn paper raises no alert.
                changed += tx.execute(f"UPDATE papers SET withdrawn = 1, matched = 1 WHERE withdrawn = 0 "
                                      f"AND arxiv_id IN ({marks(chunk)})", chunk).rowcount
                # A withdrawn paper is never an answer, so no name leads to it.
                tx.execute(f"DELETE FROM paper_aliases WHERE paper_rowid IN (SELECT rowid FROM papers "
                           f"WHERE arxiv_id IN ({marks(chunk)}))", chunk)
        return changed

    @write
    def record_matches(self, paper_keys: Iterable[str], alerts: Iterable[tuple[str, str, Target, dict[str, Any]]],
                       now: str) -> int:
        with self._transaction() as tx:
            added = self._enqueue(tx, alerts, now)
            for chunk in chunks(list(paper_keys)):
                tx.execute(f"UPDATE papers SET matched = 1 WHERE key IN ({marks(chunk)})", chunk)
        return added

    # ---- daily lists --------------------------------------------------------------------

    @write
    def record_daily_list(self, date: str, source: str, entries: list[tuple[str, int | None]]) -> None:
        with self._transaction() as tx:
            tx.execute("DELETE FROM daily_lists WHERE date = ? AND source = ?", [date, source])
            tx.executemany(
                "INSERT INTO daily_lists (date, source, rank, paper_key, upvotes) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (date, source, paper_key) DO UPDATE SET rank = excluded.rank, upvotes = excluded.upvotes",
                [(date, source, rank, key, up) for rank, (key, up) in enumerate(entries, 1)])

    def daily_list(self, date: str, source: str) -> list[tuple[Paper, int | None]]:
        fields = ", ".join(f"p.{c}" for c in PAPER_FIELDS.split(", "))
        rows = self._all(
            f"SELECT {fields}, d.upvotes AS list_upvotes FROM daily_lists d JOIN papers p ON p.key = d.paper_key "
            "WHERE d.date = ? AND d.source = ? AND p.withdrawn = 0 ORDER BY d.rank", [date, source])
        return [(row_to_paper(r), r["list_upvotes"]) for r in rows]

    def daily_lists_between(self, source: str, first: str, last: str) -> list[tuple[Paper, int | None, str]]:
        fields = ", ".join(f"p.{c}" for c in PAPER_FIELDS.split(", "))
        rows = self._all(
            f"SELECT {fields}, d.upvotes AS list_upvotes, d.date AS list_date FROM daily_lists d "
            "JOIN papers p ON p.key = d.paper_key WHERE d.source = ? AND d.date BETWEEN ? AND ? AND p.withdrawn = 0 "
            "ORDER BY d.date, d.rank", [source, first, last])
        return [(row_to_paper(r), r["list_upvotes"], r["list_date"]) for r in rows]

    def latest_daily_date(self, source: str, on_or_before: str) -> str | None:
        row = self._one("SELECT max(date) FROM daily_lists WHERE source = ? AND date <= ?", [source, on_or_before])
        return row[0] if row else None

    def papers_in_categories(self, categories: list[str], published_from: str, published_to: str,
                             limit: int = 200) -> list[Paper]:
        if not categories:
            return []
        likes = " OR ".join("categories LIKE ?" for _ in categories)
        rows = self._all(
            f"SELECT {PAPER_FIELDS} FROM papers WHERE ({likes}) AND published BETWEEN ? AND ? AND withdrawn = 0 "
            "ORDER BY published DESC, coalesce(upvotes, 0) DESC LIMIT ?",
            [*(f'%"{c}"%' for c in categories), published_from, published_to, limit])
        return [row_to_paper(r) for r in rows]

    # ---- papers by query and month (trend charts) -----------------------------------------

    def _fulltext_rowids(self, clauses: list[tuple[WordsMatch, ...]]) -> tuple[str, list[Any]]:
        """SQL selecting the rowids of the papers matching every clause (each an OR of items), by
        the engine's full-text index, with its parameters."""
        raise NotImplementedError

    def _item_condition(self, item: FilterItem) -> tuple[str, list[Any]]:
        if isinstance(item, CategoryMatch):
            return _category_condition(item)
        sql, params = self._fulltext_rowids([(item,)])
        extra = _row_conditions(item)
        if not extra:
            return f"+rowid IN ({sql})", params
        return ("(" + " AND ".join([f"+rowid IN ({sql})", *(each for each, _ in extra)]) + ")",
                [*params, *(value for _, more in extra for value in more)])

    def _filter_where(self, paper_filter: PaperFilter) -> tuple[str, list[Any]]:
        """The filter as one SQL condition on papers: the clauses made only of words go to the
        full-text index together, in one lookup; categories, surnames and mixed clauses are
        conditions on the row. The matches are a set the month's papers are checked against (the
        unary + keeps SQLite from looking each match up by rowid instead): the papers of a range of
        months are read from the papers_by_month index alone, so a common word costs no more
        than the months' papers."""
        if not paper_filter.clauses:
            raise ValueError("a paper filter needs at least one clause")
        fulltext: list[tuple[WordsMatch, ...]] = []
        conditions: list[tuple[str, list[Any]]] = []
        for clause in paper_filter.clauses:
            words_only = all(isinstance(item, WordsMatch) for item in clause)
            if words_only and len(clause) == 1:
                fulltext.append(clause)  # type: ignore[arg-type]
                conditions.extend(_row_conditions(clause[0]))  # type: ignore[arg-type]
            elif words_only and not any(_row_conditions(item) for item in clause):  # type: ignore[arg-type]
                fulltext.append(clause)  # type: ignore[arg-type]
            else:
                parts = [self._item_condition(item) for item in clause]
                conditions.append(("(" + " OR ".join(sql for sql, _ in parts) + ")",
                                   [value for _, params in parts for value in params]))
        if fulltext:
            sql, params = self._fulltext_rowids(fulltext)
            conditions.insert(0, (f"+rowid IN ({sql})", params))
        for item in paper_filter.excluded:
            sql, params = self._item_condition(item)
            conditions.append((f"NOT {sql}", params))
        return " AND ".join(sql for sql, _ in conditions), [value for _, params in conditions for value in params]

    def monthly_counts(self, paper_filter: PaperFilter, since_month: str, until_month: str) -> dict[str, int]:
        where, params = self._filter_where(paper_filter)
        rows = self._all(
            "SELECT substr(published, 1, 7) AS month, count(*) FROM papers "
            f"WHERE published >= ? AND published < ? AND withdrawn = 0 AND {where} GROUP BY substr(published, 1, 7)",
            [since_month, month_after(until_month), *params])
        return {row[0]: row[1] for row in rows}

    def most_upvoted(self, paper_filters: Sequence[PaperFilter], since_month: str, until_month: str,
                     limit: int = 3) -> list[Paper]:
        wheres = [self._filter_where(paper_filter) for paper_filter in paper_filters]
        if not wheres:
            return []
        where = " OR ".join(f"({sql})" for sql, _ in wheres)
        # The order is decided on the index alone; only the few papers kept are read whole.
        order = "ORDER BY coalesce(upvotes, -1) DESC, published DESC, rowid DESC"
        rows = self._all(
            f"SELECT {PAPER_FIELDS} FROM papers WHERE rowid IN (SELECT rowid FROM papers "
            f"WHERE published >= ? AND published < ? AND withdrawn = 0 AND ({where}) {order} LIMIT ?) {order}",
            [since_month, month_after(until_month), *(value for _, params in wheres for value in params), limit])
        return [row_to_paper(r) for r in rows]

    def latest_published(self, on_or_before: str) -> str | None:
        row = self._one("SELECT max(published) FROM papers WHERE published <= ?", [on_or_before])
        return row[0] if row else None

    # ---- channels -----------------------------------------------------------------------

    @write
    def configure_channel(self, platform: str, workspace: str, channel: str, now: str, **settings: Any) -> ChannelConfig:
        allowed = {"daily_time", "tz", "top_n", "min_upvotes", "filter", "sources", "thread_per_paper", "enabled",
                   "paused", "every", "week_day", "lag_days"}
        unknown = set(settings) - allowed
        if unknown:
            raise ValueError(f"unknown channel settings: {sorted(unknown)}")
        values = {k: (int(v) if isinstance(v, bool) else v) for k, v in settings.items()}
        with self._transaction() as tx:
            tx.execute(
                "INSERT INTO channels (platform, workspace, channel, created, updated) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(platform, workspace, channel) DO NOTHING", [platform, workspace, channel, now, now])
            if values:
                assignments = ", ".join(f"{k} = ?" for k in values)
                tx.execute(f"UPDATE channels SET {assignments}, updated = ? "
                           "WHERE platform = ? AND workspace = ? AND channel = ?",
                           [*values.values(), now, platform, workspace, channel])
            row = tx.execute("SELECT * FROM channels WHERE platform = ? AND workspace = ? AND channel = ?",
                             [platform, workspace, channel]).fetchone()
        return channel_of(row)

    def get_channel(self, platform: str, workspace: str, channel: str) -> ChannelConfig | None:
        row = self._one("SELECT * FROM channels WHERE platform = ? AND workspace = ? AND channel = ?",
                        [platform, workspace, channel])
        return channel_of(row) if row else None

    def enabled_channels(self, platform: str | None = None) -> list[ChannelConfig]:
        if platform:
            rows = self._all("SELECT * FROM channels WHERE enabled = 1 AND paused IS NULL AND platform = ? ORDER BY id",
                             [platform])
        else:
            rows = self._all("SELECT * FROM channels WHERE enabled = 1 AND paused IS NULL ORDER BY id")
        return [channel_of(r) for r in rows]

    @write
    def pause_channel(self, channel_id: int, reason: str) -> bool:
        with self._transaction() as tx:
            return tx.execute("UPDATE channels SET paused = ? WHERE id = ? AND paused IS NULL",
                              [reason[:1000], channel_id]).rowcount > 0

    def channel_configured_at(self, channel_id: int) -> str | None:
        row = self._one("SELECT updated FROM channels WHERE id = ?", [channel_id])
        return row[0] if row else None

    # ---- subscriptions ------------------------------------------------------------------

    @write
    def add_subscription(self, platform: str, workspace: str, owner: str, channel: str, notify: str,
                         query: str, now: str) -> Subscription:
        """The owner's subscription to `query`: added, or the one they already have. A write retried
        after its commit went through but the answer was lost (a dropped connection) finds the row
        it added instead of adding a second, which would tell the owner of each paper twice."""
        same = "platform = ? AND workspace = ? AND owner = ? AND query = ?"
        with self._transaction() as tx:
            row = tx.execute(
                "INSERT INTO subscriptions (platform, workspace, owner, channel, notify, query, created) "
                f"SELECT ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM subscriptions WHERE {same}) RETURNING *",
                [platform, workspace, owner, channel, notify, query, now, platform, workspace, owner, query]
            ).fetchone()
            if row is None:
                row = tx.execute(f"SELECT * FROM subscriptions WHERE {same} ORDER BY id LIMIT 1",
                                 [platform, workspace, owner, query]).fetchone()
        return Subscription(**dict(row))

    def get_subscription(self, sub_id: int) -> Subscription | None:
        row = self._one("SELECT * FROM subscriptions WHERE id = ?", [sub_id])
        return Subscription(**dict(row)) if row else None

    @write
    def remove_subscription(self, platform: str, workspace: str, owner: str, sub_id: int) -> bool:
        with self._transaction() as tx:
            return tx.execute("DELETE FROM subscriptions WHERE id = ? AND platform = ? AND workspace = ? AND owner = ?",
                              [sub_id, platform, workspace, owner]).rowcount > 0

    def subscriptions_of(self, platform: str, workspace: str, owner: str) -> list[Subscription]:
        rows = self._all("SELECT * FROM subscriptions WHERE platform = ? AND workspace = ? AND owner = ? ORDER BY id",
                         [platform, workspace, owner])
        return [Subscription(**dict(r)) for r in rows]

    def all_subscriptions(self) -> list[Subscription]:
        return [Subscription(**dict(r)) for r in self._all("SELECT * FROM subscriptions ORDER BY id")]

    @write
    def add_subscriptions_bulk(self, rows: list[tuple[str, str, str, str, str, str]], now: str) -> None:
        """(platform, workspace, owner, channel, notify, query) rows: seeding and benchmarks."""
        with self._transaction() as tx:
            tx.executemany("INSERT INTO subscriptions (platform, workspace, owner, channel, notify, query, created) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)", [(*r, now) for r in rows])

    # ---- reading lists -------------------------------------------------------------------

    @write
    def save_paper(self, platform: str, workspace: str, owner: str, paper_key: str, now: str) -> bool:
        with self._transaction() as tx:
            return tx.execute("INSERT INTO saved_papers (platform, workspace, owner, paper_key, saved_at) "
                              "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                              [platform, workspace, owner, paper_key, now]).rowcount > 0

    def saved_papers(self, platform: str, workspace: str, owner: str) -> list[tuple[Paper, str]]:
        fields = ", ".join(f"p.{c}" for c in PAPER_FIELDS.split(", "))
        rows = self._all(f"SELECT {fields}, s.saved_at AS saved_at FROM saved_papers s JOIN papers p "
                         "ON p.key = s.paper_key WHERE s.platform = ? AND s.workspace = ? AND s.owner = ? "
                         "ORDER BY s.saved_at DESC, p.key", [platform, workspace, owner])
        return [(row_to_paper(r), r["saved_at"]) for r in rows]

    @write
    def unsave_papers(self, platform: str, workspace: str, owner: str, paper_keys: Iterable[str] | None = None) -> int:
        keys = None if paper_keys is None else list(paper_keys)
        if keys == []:
            return 0
        with self._transaction() as tx:
            where = "" if keys is None else f" AND paper_key IN ({marks(keys)})"
            return tx.execute(f"DELETE FROM saved_papers WHERE platform = ? AND workspace = ? AND owner = ?{where}",
                              [platform, workspace, owner, *(keys or [])]).rowcount

    # ---- deliveries (the outbox) --------------------------------------------------------

    @write
    def enqueue_delivery(self, dedupe_key: str, kind: str, target: Target, payload: dict[str, Any],
                         now: str) -> bool:
        with self._transaction() as tx:
            return self._enqueue(tx, [(dedupe_key, kind, target, payload)], now) > 0

    @write
    def enqueue_deliveries(self, rows: Iterable[tuple[str, str, Target, dict[str, Any]]], now: str) -> int:
        with self._transaction() as tx:
            return self._enqueue(tx, rows, now)

    @staticmethod
    def _enqueue(tx: Transaction, rows: Iterable[tuple[str, str, Target, dict[str, Any]]], now: str) -> int:
        """Inside the caller's transaction: pending deliveries, keys already present left alone."""
        values = [(key, kind, t.platform, t.workspace, t.channel, t.user, t.mode,
                   json.dumps(payload, ensure_ascii=False), now, now) for key, kind, t, payload in rows]
        return tx.executemany(_ENQUEUE_SQL, values) if values else 0

    @write
    def record_skipped(self, dedupe_key: str, kind: str, target: Target, note: str, now: str) -> bool:
        with self._transaction() as tx:
            return tx.execute(
                'INSERT INTO deliveries (dedupe_key, kind, platform, workspace, channel, "user", mode, payload, '
                "status, next_attempt_at, created, settled_at, note) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, '{}', 'skipped', ?, ?, ?, ?) ON CONFLICT(dedupe_key) DO NOTHING",
                [dedupe_key, kind, target.platform, target.workspace, target.channel, target.user, target.mode,
                 now, now, now, note]).rowcount > 0

    def has_delivery(self, dedupe_key: str) -> bool:
        return self._one("SELECT 1 FROM deliveries WHERE dedupe_key = ?", [dedupe_key]) is not None

    def get_delivery(self, dedupe_key: str) -> Delivery | None:
        row = self._one("SELECT * FROM deliveries WHERE dedupe_key = ?", [dedupe_key])
        return delivery_of(row) if row else None

    @write
    def claim_due_deliveries(self, now: str, platforms: Iterable[str], limit: int = 50, *, owner: str = "",
                             lease_seconds: float = 60) -> list[Delivery]:
        names = list(platforms)
        if not names:
            return []
        # One statement: the rows chosen are the rows taken. SQLite runs it under the write lock,
        # so a second process claiming at the same moment waits, then finds them taken; PostgreSQL
        # locks the chosen rows and a second claim skips them and takes the next ones.
        with self._transaction(lock="write") as tx:
            # The choice is made once (MATERIALIZED): as a plain subquery PostgreSQL may run it again
            # for each row it updates, and each run would find the next row still due. Alerts that
            # went out together once (a bundle) are taken together, all of them: sent again in
            # parts, each part would carry the bundle's key, and the platform would take the second
            # part for a repeat of the first.
            rows = tx.execute(
                f"WITH chosen AS MATERIALIZED (SELECT id, bundle FROM deliveries WHERE {_DUE} "
                f"AND platform IN ({marks(names)}){self.WHOLE_BUNDLES} "
                f"ORDER BY next_attempt_at, id LIMIT ?{self.SKIP_LOCKED}) "
                "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, lease_owner = ?, lease_until = ?, "
                "note = CASE WHEN status = 'sending' THEN 'interrupted while sending' ELSE note END "
                "WHERE (id IN (SELECT id FROM chosen) OR bundle IN (SELECT bundle FROM chosen WHERE bundle IS NOT NULL)) "
                f"AND {_DUE} RETURNING *",
                [now, now, *names, limit, owner, later(now, lease_seconds), now, now]).fetchall()
        return sorted((delivery_of(r) for r in rows), key=lambda d: (d.next_attempt_at, d.id))

    @write
    def renew_leases(self, delivery_ids: Iterable[int], owner: str, now: str, lease_seconds: float = 60) -> int:
        ids = list(delivery_ids)
        if not ids:
            return 0
        with self._transaction() as tx:
            return tx.execute(f"UPDATE deliveries SET lease_until = ? WHERE status = 'sending' AND lease_owner = ? "
                              f"AND id IN ({marks(ids)})", [later(now, lease_seconds), owner, *ids]).rowcount

    @write
    def release_leases(self, delivery_ids: Iterable[int], owner: str, now: str) -> int:
        ids = list(delivery_ids)
        if not ids:
            return 0
        with self._transaction() as tx:
            return tx.execute(
                "UPDATE deliveries SET status = 'pending', next_attempt_at = ?, lease_owner = NULL, lease_until = NULL, "
                f"note = 'released at a stop' WHERE status = 'sending' AND lease_owner = ? AND id IN ({marks(ids)})",
                [now, owner, *ids]).rowcount

    @write
    def mark_bundled(self, delivery_ids: Iterable[int], bundle: str, *, owner: str) -> int:
        ids = list(delivery_ids)
        with self._transaction() as tx:
            return tx.execute(f"UPDATE deliveries SET bundle = ? WHERE status = 'sending' AND lease_owner = ? "
                              f"AND id IN ({marks(ids)})", [bundle, owner, *ids]).rowcount

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

    @write
    def _settle(self, assignments: str, values: list[Any], delivery_ids: int | Iterable[int],
                owner: str | None) -> int:
        """Ends claims (the lease goes with them); with `owner`, only claims that owner still holds.
        Counted only once the commit returns: a connection lost before then raises instead."""
        where = "id = ?" if owner is None else "id = ? AND status = 'sending' AND lease_owner = ?"
        rows = [(*values, i) if owner is None else (*values, i, owner) for i in _ids(delivery_ids)]
        with self._transaction() as tx:
            return tx.executemany(
                f"UPDATE deliveries SET {assignments}, lease_owner = NULL, lease_until = NULL WHERE {where}", rows)

    def latest_outcomes(self, key_prefix: str, limit: int) -> list[str]:
        rows = self._all("SELECT status FROM deliveries WHERE dedupe_key >= ? AND dedupe_key < ? "
                         "AND status IN ('sent', 'failed') ORDER BY id DESC LIMIT ?", [*key_range(key_prefix), limit])
        return [r[0] for r in rows]

    @write
    def cancel_deliveries(self, key_prefix: str, now: str, reason: str) -> int:
        with self._transaction() as tx:
            return tx.execute(
                "UPDATE deliveries SET status = 'cancelled', settled_at = ?, note = ?, lease_owner = NULL, "
                "lease_until = NULL WHERE dedupe_key >= ? AND dedupe_key < ? "
                "AND (status = 'pending' OR (status = 'sending' AND lease_until <= ?))",
                [now, reason[:1000], *key_range(key_prefix), now]).rowcount

    def deliveries(self, status: str | None = None, kind: str | None = None) -> list[Delivery]:
        clauses, params = [], []
        if status:
            clauses.append("status = ?")
            params.append(status)
        if kind:
            clauses.append("kind = ?")
            params.append(kind)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return [delivery_of(r) for r in self._all(f"SELECT * FROM deliveries {where} ORDER BY id", params)]

    def latest_delivery(self, key_prefix: str, statuses: Iterable[str] = ("pending", "sending", "sent")
                        ) -> Delivery | None:
        names = list(statuses)
        row = self._one(f"SELECT * FROM deliveries WHERE dedupe_key >= ? AND dedupe_key < ? "
                        f"AND status IN ({marks(names)}) ORDER BY id DESC LIMIT 1", [*key_range(key_prefix), *names])
        return delivery_of(row) if row else None

    # ---- leases and shared pacing ---------------------------------------------------------

    @write
    def take_lease(self, name: str, owner: str, now: str, seconds: float) -> bool:
        with self._transaction(lock="write") as tx:
            tx.execute("INSERT INTO leases (name, owner, until) VALUES (?, ?, ?) "
                       "ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, until = excluded.until "
                       "WHERE leases.owner = excluded.owner OR leases.until <= ?", [name, owner, later(now, seconds), now])
            holder = tx.execute("SELECT owner FROM leases WHERE name = ?", [name]).fetchone()
        return holder is not None and holder[0] == owner

    @write
    def release_lease(self, name: str, owner: str) -> None:
        with self._transaction() as tx:
            tx.execute("DELETE FROM leases WHERE name = ? AND owner = ?", [name, owner])

    def lease_holder(self, name: str, now: str) -> str | None:
        row = self._one("SELECT owner FROM leases WHERE name = ? AND until > ?", [name, now])
        return row[0] if row else None

    @write
    def reserve_slot(self, name: str, now: float, interval: float) -> float:
        # One UPDATE reads and moves the next free moment, so two processes never get the same slot.
        with self._transaction(lock="write") as tx:
            tx.execute("INSERT INTO pacing (name, next_free) VALUES (?, ?) ON CONFLICT(name) DO NOTHING", [name, now])
            row = tx.execute("UPDATE pacing SET next_free = (CASE WHEN next_free > ? THEN next_free ELSE ? END) + ? "
                             "WHERE name = ? RETURNING next_free", [now, now, interval, name]).fetchone()
        return row[0] - interval

    # ---- small state (last ingest, cursors) ---------------------------------------------

    def get_state(self, name: str) -> str | None:
        row = self._one("SELECT value FROM state WHERE name = ?", [name])
        return row[0] if row else None

    @write
    def set_state(self, name: str, value: str) -> None:
        with self._transaction() as tx:
            tx.execute("INSERT INTO state (name, value) VALUES (?, ?) "
                       "ON CONFLICT(name) DO UPDATE SET value = excluded.value", [name, value])

    def papers_by_source(self) -> dict[str, int]:
        return {r[0] or "unknown": r[1] for r in self._all(
            "SELECT source, count(*) FROM papers GROUP BY source ORDER BY count(*) DESC")}

    def states_with_prefix(self, prefix: str) -> dict[str, str]:
        rows = self._all("SELECT name, value FROM state WHERE name >= ? AND name < ?", key_range(prefix))
        return {r[0]: r[1] for r in rows}

    @write
    def delete_state(self, name: str) -> None:
        with self._transaction() as tx:
            tx.execute("DELETE FROM state WHERE name = ?", [name])

    def stats(self, now: str | None = None) -> dict[str, Any]:
        one = lambda sql, *params: self._one(sql, params)[0]  # noqa: E731
        a_day_ago = later(now or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), -86400)
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
