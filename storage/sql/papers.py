"""Papers: storing them (one record per work, storage.duplicates), reading them, the title
changes the title indexes follow, and which are news not yet matched."""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from paperboy.bot.models import Paper, Target, UpsertResult, normalize_title
from paperboy.storage import duplicates
from paperboy.storage.sql.base import SQLBase, Transaction, chunks, marks, write

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


class PaperSQL(SQLBase):
    """Papers, as every engine stores and reads them."""

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
            self._names_pending(tx, [*keys, *(target for target, _ in todo.merges)])
        return UpsertResult(tuple(k for k in dict.fromkeys(keys) if k not in existing), changed)

    def _index_words(self, tx: Transaction, keys: list[str]) -> None:
        """Inside a transaction that stored these papers: their full-text index entries, where the
        engine does not keep them itself (SQLite's triggers do)."""

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
        self._names_pending(tx, written + [target for target, _ in todo.merges])
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
