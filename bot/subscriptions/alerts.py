"""One alert per (subscription, new paper) match, into the outbox, keyed so a match is told once ever.

An alert's payload is the paper's card with a note for the reader, plus the subscription it is
for as data (`"alert": {"subscription": id, "description": ...}`), which bundling reads back:
nothing is ever parsed out of the note or the delivery key.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from paperboy.bot.clock import iso
from paperboy.bot.kinds import delivery_key
from paperboy.bot.models import Delivery, Paper, Subscription, Target
from paperboy.bot.replies import Card
from paperboy.bot.serialize import reply_to_dict
from paperboy.bot.subscriptions.index import SubscriptionIndex
from paperboy.bot.subscriptions.store import SubscriptionStore

ALERTS = "alert"  # the delivery kind of alerts (bundles.register_kinds registers it)
NOTE_PREFIX = "New paper matching your subscription"


@dataclass(frozen=True)
class AlertOf:
    """The subscription an alert delivery is for, as its payload stores it."""
    subscription: int
    description: str


def alert_target(sub: Subscription) -> Target:
    return Target(sub.platform, sub.workspace, channel=sub.channel, user=sub.owner,
                  mode="dm" if sub.notify == "dm" else "mention")


def alert_key(subscription_id: int, paper_key: str) -> str:
    return delivery_key(ALERTS, subscription_id, paper_key)


def alert_payload(card: dict[str, Any], subscription_id: int, description: str) -> dict[str, Any]:
    """A serialized card (paperboy.bot.serialize) made into an alert."""
    return {**card, "note": f"{NOTE_PREFIX} #{subscription_id}: {description}",
            "alert": {"subscription": subscription_id, "description": description}}


def alert_of(delivery: Delivery) -> AlertOf | None:
    """What a card alert is for; None for anything else (a daily post, an alert stored without it)."""
    if delivery.kind != ALERTS or delivery.payload.get("kind") != "card":
        return None
    meta = delivery.payload.get("alert")
    if not isinstance(meta, dict) or not isinstance(meta.get("subscription"), int):
        return None
    description = meta.get("description")
    return AlertOf(meta["subscription"], description if isinstance(description, str) else "")


class AlertStore(SubscriptionStore, Protocol):
    """Subscriptions, and an outbox to queue their alerts in (the delivery subsystem's, as a running
    bot has it; matched papers are queued by the pipeline, with record_matches)."""

    def enqueue_deliveries(self, rows: list[tuple[str, str, Target, dict]], now: str) -> int: ...


def enqueue_alerts(store: AlertStore, papers: list[Paper], now: datetime,
                   index: SubscriptionIndex | None = None) -> int:
    """One pending alert per (subscription, paper) match. Returns how many were newly enqueued."""
    if not papers:
        return 0
    if index is None:
        index = SubscriptionIndex.build(store.all_subscriptions())
    return store.enqueue_deliveries(alert_rows(index, papers), iso(now))


def alert_rows(index: SubscriptionIndex, papers: list[Paper]) -> list[tuple[str, str, Target, dict]]:
    """(dedupe_key, kind, target, payload) for every match: pure computation, no store access,
    so it can run off the event loop."""
    cards: dict[str, dict] = {}  # a paper's card without its note, serialized once per paper
    rows = []
    for sub, paper in index.matches(papers):
        card = cards.get(paper.key)
        if card is None:
            card = cards[paper.key] = reply_to_dict(Card(paper))
        payload = alert_payload(card, sub.id, index.description_of(sub))
        rows.append((alert_key(sub.id, paper.key), ALERTS, alert_target(sub), payload))
    return rows
