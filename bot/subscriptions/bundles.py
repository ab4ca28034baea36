"""Many alerts for one subscription, due together at one destination, go out as one list.

A broad subscription can match dozens of papers in one arXiv announcement; one message per paper
would bury the channel (and run into the platform's rate limits). Each match keeps its own outbox
entry, so "told exactly once" is still kept per (subscription, paper): a bundle is only a way of
sending several entries in one message, and they are marked sent, retried or failed together.
"""
from __future__ import annotations

import re
from typing import Sequence

from paperboy.bot.replies import Card, PaperList, Scored
from paperboy.bot.serialize import reply_from_dict
from paperboy.bot.models import Delivery

# Two matches still read well as two cards; from three on they become a list.
BUNDLE_FROM = 3
# Papers per bundled message: a list as long as the longest daily post.
BUNDLE_SIZE = 10

NOTE_PREFIX = "New paper matching your subscription"
_ALERT_KEY = re.compile(r"alert:(\d+):")
_NOTE = re.compile(re.escape(NOTE_PREFIX) + r" #\d+: (?P<description>.*)", re.DOTALL)


def alert_note(subscription_id: int, description: str) -> str:
    return f"{NOTE_PREFIX} #{subscription_id}: {description}"


def bundle_title(subscription_id: int, description: str | None, count: int) -> str:
    about = f": {description}" if description else ""
    return f"{count} new papers matching your subscription #{subscription_id}{about}"


BUNDLE_NOTE = ('Too many? Narrow the subscription with -word, cat:cs.LG or author:"Name" '
               "(/subscriptions lists yours).")


def subscription_of(delivery: Delivery) -> int | None:
    """The subscription an alert delivery is for; None for anything that is not a card alert."""
    if delivery.kind != "alert" or delivery.payload.get("kind") != "card":
        return None
    found = _ALERT_KEY.match(delivery.dedupe_key)
    return int(found.group(1)) if found else None


def bundle_lane(lane: Sequence[Delivery]) -> list[list[Delivery]]:
    """The lane's deliveries as messages, in lane order: a subscription's alerts become lists of up
    to BUNDLE_SIZE, most upvoted and newest first, when there are at least BUNDLE_FROM of them;
    everything else goes alone."""
    by_subscription: dict[int, list[Delivery]] = {}
    for delivery in lane:
        subscription = subscription_of(delivery)
        if subscription is not None:
            by_subscription.setdefault(subscription, []).append(delivery)
    bundled = {sub: _most_wanted_first(alerts)
               for sub, alerts in by_subscription.items() if len(alerts) >= BUNDLE_FROM}
    messages: list[list[Delivery]] = []
    for delivery in lane:
        subscription = subscription_of(delivery)
        if subscription not in bundled:
            messages.append([delivery])
        elif delivery is by_subscription[subscription][0]:  # the list goes where its first alert was
            alerts = bundled[subscription]
            messages.extend(alerts[start:start + BUNDLE_SIZE] for start in range(0, len(alerts), BUNDLE_SIZE))
    return messages


def _most_wanted_first(alerts: list[Delivery]) -> list[Delivery]:
    """Most upvoted first, then newest, then by key (sorts are stable: the last one decides first)."""
    def paper(delivery: Delivery) -> dict:
        found = delivery.payload.get("paper")
        return found if isinstance(found, dict) else {}

    def upvotes_then_date(delivery: Delivery) -> tuple[int, str]:
        upvotes, published = paper(delivery).get("upvotes"), paper(delivery).get("published")
        return (upvotes if isinstance(upvotes, int) else 0, published if isinstance(published, str) else "")

    ordered = sorted(alerts, key=lambda d: str(paper(d).get("key", "")))
    ordered.sort(key=upvotes_then_date, reverse=True)
    return ordered


def bundle_reply(alerts: Sequence[Delivery]) -> PaperList:
    """One list for alerts of one subscription (as grouped by bundle_lane)."""
    cards = [reply_from_dict(a.payload) for a in alerts]
    if not all(isinstance(card, Card) for card in cards):
        raise ValueError("only card alerts can be bundled")
    subscription = subscription_of(alerts[0])
    found = _NOTE.match(cards[0].note or "")
    description = found.group("description") if found else None
    return PaperList(title=bundle_title(subscription or 0, description, len(cards)),
                     items=tuple(Scored(card.paper, 0.0) for card in cards), note=BUNDLE_NOTE)


def bundle_key(alerts: Sequence[Delivery]) -> str:
    """The delivery key of a bundle: a platform that drops repeats by key drops a re-sent bundle
    of the same alerts, and never confuses it with its first alert sent alone."""
    if len(alerts) == 1:
        return alerts[0].dedupe_key
    return f"{alerts[0].dedupe_key}+{len(alerts) - 1}"
