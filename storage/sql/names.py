"""The names papers give themselves (paper_aliases), and the backfill of papers stored before them."""
from __future__ import annotations

from typing import Any

from paperboy.bot.models import Named
from paperboy.bot.search.aliases import dated, mine
from paperboy.storage.sql.base import SQLBase, Transaction, chunks, marks, write

# Papers stored before names were kept get theirs mined by backfill_aliases, up to the newest paper
# stored then (set by the migration that made the table), in steps that record how far they got.
ALIASES_BACKFILL_END, ALIASES_BACKFILL_DONE = "aliases_backfill_end", "aliases_backfill_done"

_ALIAS_SOURCE = "SELECT rowid, title, abstract, published, venue, arxiv_id, withdrawn FROM papers"

_STATE_SQL = "INSERT INTO state (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value"


class NameSQL(SQLBase):
    """Names, as every engine stores and reads them."""

    @staticmethod
    def _index_aliases(tx: Transaction, keys: list[str]) -> None:
        """Inside a transaction that stored these papers: the names they give themselves and
        define (paperboy.bot.search.aliases), mined again from what is stored now."""
        for chunk in chunks(list(dict.fromkeys(keys))):
            NameSQL._write_aliases(tx, tx.execute(f"{_ALIAS_SOURCE} WHERE key IN ({marks(chunk)})", chunk).fetchall())

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
