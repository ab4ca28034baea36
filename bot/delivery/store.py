"""What the delivery subsystem asks of a store: the outbox, leases and shared pacing, channels and
their posts' settings, daily lists, and the news that waits for subscription matching."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from paperboy.bot.models import ChannelConfig, Delivery, DeliveryStatus, KindName, Paper, Target
from paperboy.bot.store import PaperStore, StoreThread


class OutboxStore(StoreThread, Protocol):
    """The outbox: deliveries, each under a unique key, claimed under a lease, settled once."""

    def enqueue_delivery(self, dedupe_key: str, kind: KindName, target: Target, payload: dict[str, Any],
                         now: str) -> bool:
        """Adds a pending delivery unless one with this key exists. True when added."""

    def enqueue_deliveries(self, rows: Iterable[tuple[str, KindName, Target, dict[str, Any]]],
                           now: str) -> int:
        """Many enqueue_delivery calls in one transaction: (dedupe_key, kind, target, payload) rows.
        Keys already present are left alone. Returns how many were added."""

    def record_skipped(self, dedupe_key: str, kind: KindName, target: Target, note: str, now: str) -> bool:
        """Marks a delivery key as settled with nothing to send (an empty day). True when added."""

    def has_delivery(self, dedupe_key: str) -> bool: ...

    def get_delivery(self, dedupe_key: str) -> Delivery | None: ...

    def claim_due_deliveries(self, now: str, platforms: Iterable[str], limit: int = 50, *, owner: str = "",
                             lease_seconds: float = 60) -> list[Delivery]:
        """Takes deliveries for these platforms, oldest due first: pending ones due by `now` (the
        caller's clock), and ones whose lease has run out by the database's clock (a process died or
        stalled while sending them; their note says so). Each is marked 'sending', leased to
        `owner` for `lease_seconds` from the database's now, in one atomic step: two processes
        claiming at once never both get a delivery."""

    def renew_leases(self, delivery_ids: Iterable[int], owner: str, lease_seconds: float = 60) -> int:
        """Extends the leases `owner` still holds to `lease_seconds` from the database's now;
        returns how many it still held."""

    def release_leases(self, delivery_ids: Iterable[int], owner: str) -> int:
        """Hands back deliveries `owner` holds, unsent, as pending and due again (a stop cut their
        sends off): any process may send them without waiting for the lease to run out."""

    def mark_bundled(self, delivery_ids: Iterable[int], bundle: str, *, owner: str) -> int:
        """Records, before they are sent, that these deliveries go out as one message under the key
        `bundle`, if `owner` still holds them all; returns how many it holds."""

    def mark_delivered(self, delivery_ids: int | Iterable[int], now: str, external_id: str | None = None,
                       note: str | None = None, *, owner: str | None = None) -> int:
        """One delivery, or several sent as one message (bundled alerts), marked in one transaction.
        With `owner`, only deliveries still leased to it change. Returns how many changed."""

    def mark_retry(self, delivery_ids: int | Iterable[int], error: str, retry_at: str, *,
                   owner: str | None = None) -> int:
        """Back to pending, due at `retry_at`, with the error kept."""

    def mark_failed(self, delivery_ids: int | Iterable[int], error: str, now: str, *,
                    owner: str | None = None) -> int:
        """Permanent failure (the target no longer exists): kept for the record, never retried."""

    def latest_outcomes(self, key_prefix: str, limit: int) -> list[str]:
        """'sent' or 'failed' for the newest settled deliveries whose key starts with key_prefix,
        newest first, at most `limit`."""

    def cancel_deliveries(self, key_prefix: str, now: str, reason: str) -> int:
        """Deliveries whose key starts with `key_prefix` that nobody is sending (pending, or left by
        a dead process: its lease run out by the database's clock) become 'cancelled' with the
        reason, kept for the record; returns how many."""

    def deliveries(self, status: DeliveryStatus | None = None, kind: KindName | None = None) -> list[Delivery]:
        ...

    def latest_delivery(self, key_prefix: str,
                        statuses: Iterable[DeliveryStatus] = ("pending", "sending", "sent")) -> Delivery | None:
        """The most recently enqueued delivery whose key starts with `key_prefix` and whose status
        is one of `statuses`: e.g. the last daily list queued for a channel ("daily:7:")."""

    def forget_payloads(self, settled_before: str) -> int:
        """Settled deliveries (sent, failed, cancelled) older than `settled_before` drop their payload
        (a daily post keeps which list it was); the row and its key stay, so a duplicate is still
        refused. Returns how many were emptied."""


class LeaseLane(StoreThread, Protocol):
    """What a lease's holder keeps it alive with, on a thread and a database connection of the
    lane's own (its `run`): no work waiting on the store's thread holds a renewal up. Leases are
    timed by the database's clock, whatever a caller's says: on SQLite the one machine's, on
    PostgreSQL the server's."""

    def take_lease(self, name: str, owner: str, seconds: float) -> bool:
        """Takes or renews the lease `name` for `owner` until `seconds` after the database's now,
        unless another owner holds it unexpired; says whether `owner` holds it now."""

    def release_lease(self, name: str, owner: str) -> None:
        """Gives the lease up, if `owner` holds it, so another process need not wait for it to expire."""

    def renew_leases(self, delivery_ids: Iterable[int], owner: str, lease_seconds: float = 60) -> int:
        """OutboxStore.renew_leases."""

    def release_leases(self, delivery_ids: Iterable[int], owner: str) -> int:
        """OutboxStore.release_leases."""


class LeaseLanes(Protocol):
    def lease_lane(self) -> LeaseLane:
        """This database on a thread and a connection of their own, for the lease path; opened on
        first use, closed with the store. (An in-memory SQLite database is one process's, whose
        leases nobody else can take: its lane is the store itself.)"""


class LeaseStore(LeaseLanes, StoreThread, Protocol):
    """Named leases (the leader's) and the pacing every process shares. Leases are timed by the
    database's clock, as LeaseLane says; the pacing by the callers' (epoch seconds they pass)."""

    def take_lease(self, name: str, owner: str, seconds: float) -> bool:
        """LeaseLane.take_lease, on the store's own thread and connection."""

    def release_lease(self, name: str, owner: str) -> None: ...

    def lease_holder(self, name: str) -> str | None:
        """Who holds the lease `name` unexpired by the database's clock, if anyone does."""

    def database_now(self) -> str:
        """The database's time, by which leases run out (clock.iso's text)."""

    def reserve_slot(self, name: str, now: float, interval: float) -> float:
        """The next moment (epoch seconds, not before `now`) at which the holder may act, each
        reservation `interval` after the previous one, across every process on this store."""


class ChannelStore(StoreThread, Protocol):
    """Channels and their posts' settings."""

    def configure_channel(self, platform: str, workspace: str, channel: str, now: str,
                          **settings: Any) -> ChannelConfig:
        """Creates the channel's settings on first use and changes the given ones (daily_time, tz,
        top_n, min_upvotes, filter, sources, thread_per_paper, enabled); ValueError for others."""

    def get_channel(self, platform: str, workspace: str, channel: str) -> ChannelConfig | None: ...

    def enabled_channels(self, platform: str | None = None) -> list[ChannelConfig]:
        """Channels with a daily post on and not paused."""

    def pause_channel(self, channel_id: int, reason: str) -> bool:
        """Stops a channel's daily post until it is configured again; False when already paused."""

    def channel_configured_at(self, channel_id: int) -> str | None:
        """When the channel's settings last changed: a daily post due before that moment belongs
        to the old settings, so the scheduler does not count it as missed."""


class DailyListStore(PaperStore, Protocol):
    """Daily lists, and the papers of arXiv categories by day."""

    def record_daily_list(self, date: str, source: str, entries: list[tuple[str, int | None]]) -> None:
        """Replace the list for (date, source) with entries [(paper_key, upvotes)], best first."""

    def daily_list(self, date: str, source: str) -> list[tuple[Paper, int | None]]:
        """The papers of a recorded list in its order, each with the upvotes the list gave it
        (withdrawn papers left out)."""

    def daily_lists_between(self, source: str, first: str, last: str) -> list[tuple[Paper, int | None, str]]:
        """(paper, its upvotes on the list, list date) for every list dated first..last, oldest first."""

    def latest_daily_date(self, source: str, on_or_before: str) -> str | None: ...

    def papers_in_categories(self, categories: list[str], published_from: str, published_to: str,
                             limit: int = 200) -> list[Paper]:
        """Papers whose categories include any of these, published in [from, to], newest and most
        upvoted first; withdrawn ones left out."""


class NewsStore(PaperStore, Protocol):
    """Papers stored as news, until their alerts are queued with them matched."""

    def unmatched_papers(self, limit: int = 2000) -> list[Paper]:
        """News not yet matched against the subscriptions, oldest first."""

    def record_matches(self, paper_keys: Iterable[str], alerts: Iterable[tuple[str, KindName, Target, dict[str, Any]]],
                       now: str) -> int:
        """In one transaction: the alerts enqueued (as enqueue_deliveries) and the papers marked
        matched. Returns how many alerts were added."""
