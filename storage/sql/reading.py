"""Reading lists: the papers each reader saved."""
from __future__ import annotations

from collections.abc import Iterable

from paperboy.bot.models import Paper
from paperboy.storage.sql.base import SQLBase, marks, write
from paperboy.storage.sql.papers import PAPER_FIELDS, row_to_paper


class ReadingSQL(SQLBase):
    """Reading lists, as every engine stores and reads them."""

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
