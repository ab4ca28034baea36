"""Keyword subscriptions."""
from __future__ import annotations

from paperboy.bot.models import Subscription
from paperboy.storage.sql.base import SQLBase, write


class SubscriptionSQL(SQLBase):
    """Subscriptions, as every engine stores and reads them."""

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
