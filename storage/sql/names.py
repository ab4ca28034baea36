"""The names papers give themselves (paper_aliases), as the core mines them, and the papers whose
names are still to be mined (names_pending): a paper stored with a new or changed title or abstract
waits there, in the same transaction that stored it, until the core's names replace its old ones.
Mining is the core's (paperboy.bot.search.naming); the store keeps what it is handed."""
from __future__ import annotations

from paperboy.bot.models import Named, NameSource
from paperboy.storage.sql.base import SQLBase, Transaction, chunks, marks, write

_NAME_SOURCE = "SELECT p.rowid, p.title, p.abstract, p.published, p.venue, p.arxiv_id, p.withdrawn FROM papers p"


class NameSQL(SQLBase):
    """Names, as every engine stores and reads them."""

    @staticmethod
    def _names_pending(tx: Transaction, keys: list[str]) -> None:
        """Inside a transaction that stored these papers: their names are to be mined again."""
        for chunk in chunks(list(dict.fromkeys(keys))):
            tx.execute(f"INSERT INTO names_pending (paper_rowid) SELECT rowid FROM papers "
                       f"WHERE key IN ({marks(chunk)}) ON CONFLICT (paper_rowid) DO NOTHING", chunk)

    def papers_to_name(self, limit: int, newest_first: bool = False) -> list[NameSource]:
        order = "DESC" if newest_first else ""
        rows = self._all(f"{_NAME_SOURCE} JOIN names_pending n ON n.paper_rowid = p.rowid "
                         f"ORDER BY n.paper_rowid {order} LIMIT ?", [limit])
        return [NameSource(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in rows]

    @write
    def save_names(self, rowids: list[int], names: list[tuple[str, int, str, int, str, str | None]]) -> int:
        with self._transaction() as tx:
            for chunk in chunks(rowids):
                tx.execute(f"DELETE FROM paper_aliases WHERE paper_rowid IN ({marks(chunk)})", chunk)
            if names:
                tx.executemany("INSERT INTO paper_aliases (alias, paper_rowid, kind, strength, expansion, dated) "
                               "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (alias, paper_rowid) DO NOTHING", names)
            done = 0
            for chunk in chunks(rowids):
                done += tx.execute(f"DELETE FROM names_pending WHERE paper_rowid IN ({marks(chunk)})", chunk).rowcount
        return done

    def names_left(self) -> int:
        return self._one("SELECT count(*) FROM names_pending")[0]

    def papers_named(self, alias: str, limit: int = 50) -> list[Named]:
        rows = self._all(
            "SELECT paper_rowid, kind, expansion, dated, count(*) OVER (PARTITION BY expansion) AS users, "
            "count(*) OVER () AS total FROM paper_aliases WHERE alias = ? "
            "ORDER BY strength DESC, dated IS NULL, dated, paper_rowid LIMIT ?", [alias, limit])
        return [Named(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]
