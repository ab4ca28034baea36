"""Channels and their posts' settings."""
from __future__ import annotations

from typing import Any

from paperboy.bot.models import ChannelConfig
from paperboy.storage.sql.base import SQLBase, write


def channel_of(row: Any) -> ChannelConfig:
    return ChannelConfig(
        id=row["id"], platform=row["platform"], workspace=row["workspace"], channel=row["channel"],
        daily_time=row["daily_time"], tz=row["tz"], top_n=row["top_n"], min_upvotes=row["min_upvotes"],
        filter=row["filter"], sources=row["sources"], thread_per_paper=bool(row["thread_per_paper"]),
        enabled=bool(row["enabled"]), paused=row["paused"], every=row["every"], week_day=row["week_day"],
        lag_days=row["lag_days"])


class ChannelSQL(SQLBase):
    """Channels, as every engine stores and reads them."""

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
