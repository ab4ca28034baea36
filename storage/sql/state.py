"""Small named values (cursors, the last ingest) and what the database holds in all."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from paperboy.storage.sql.base import SQLBase, key_range, later, write


class StateSQL(SQLBase):
    """State and counts, as every engine keeps them."""

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
