"""Daily lists (Hugging Face's, by day) and the papers of arXiv categories by publication day."""
from __future__ import annotations

from paperboy.bot.models import Paper
from paperboy.storage.sql.base import SQLBase, write
from paperboy.storage.sql.papers import PAPER_FIELDS, row_to_paper


class ListSQL(SQLBase):
    """Daily lists, as every engine stores and reads them."""

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
