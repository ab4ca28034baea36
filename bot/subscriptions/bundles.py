"""Many alerts for one subscription, due together at one destination, go out as one list.

A broad subscription can match dozens of papers in one arXiv announcement; one message per paper
would bury the channel (and run into the platform's rate limits). Each match keeps its own outbox
entry, so "told exactly once" is still kept per (subscription, paper): a bundle is only a way of
sending several entries in one message, and they are marked sent, retried or failed together.
"""
from __future__ import annotations

from collections.abc import Sequence

from paperboy.bot.models import Delivery
from paperboy.bot.replies import Card, PaperList, Scored
from paperboy.bot.serialize import reply_from_dict
from paperboy.bot.subscriptions.alerts import alert_of
from paperboy.bot.syntax import SLASH, Syntax

# Two matches still read well as two cards; from three on they become a list.
BUNDLE_FROM = 3
# Papers per bundled message: a list as long as the longest daily post.
BUNDLE_SIZE = 10


def bundle_title(subscription_id: int, description: str | None, count: int) -> str:
    about = f": {description}" if description else ""
    return f"{count} new papers matching your subscription #{subscription_id}{about}"


def bundle_note(syntax: Syntax) -> str:
    return ('Too many? Narrow the subscription with -word, cat:cs.LG or author:"Name" '
            f"({syntax.say('subscriptions')} lists yours).")


def _subscription_of(delivery: Delivery) -> int | None:
    alert = alert_of(delivery)
    return alert.subscription if alert is not None else None


def bundle_lane(lane: Sequence[Delivery]) -> list[list[Delivery]]:
    """The lane's deliveries as messages, in lane order: a subscription's alerts become lists of up
    to BUNDLE_SIZE, most upvoted and newest first, when there are at least BUNDLE_FROM of them;
    everything else goes alone. Deliveries that already went out together once (an interruption
    left them unrecorded) go together again, as they were."""
    again: dict[str, list[Delivery]] = {}
    for delivery in lane:
        if delivery.bundle is not None:
            again.setdefault(delivery.bundle, []).append(delivery)
    fresh = [delivery for delivery in lane if delivery.bundle is None]
    return [*again.values(), *_bundled(fresh)]


def _bundled(lane: Sequence[Delivery]) -> list[list[Delivery]]:
    by_subscription: dict[int, list[Delivery]] = {}
    for delivery in lane:
        subscription = _subscription_of(delivery)
        if subscription is not None:
            by_subscription.setdefault(subscription, []).append(delivery)
    bundled = {sub: _most_wanted_first(alerts)
               for sub, alerts in by_subscription.items() if len(alerts) >= BUNDLE_FROM}
    messages: list[list[Delivery]] = []
    for delivery in lane:
        subscription = _subscription_of(delivery)
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


def bundle_reply(alerts: Sequence[Delivery], syntax: Syntax = SLASH) -> PaperList:
    """One list for alerts of one subscription (as grouped by bundle_lane), for a platform that
    types commands with `syntax`."""
    cards = [reply_from_dict(a.payload) for a in alerts]
    alert = alert_of(alerts[0])
    if alert is None or not all(isinstance(card, Card) for card in cards):
        raise ValueError("only card alerts of one subscription can be bundled")
    return PaperList(title=bundle_title(alert.subscription, alert.description or None, len(cards)),
                     items=tuple(Scored(card.paper, 0.0) for card in cards), note=bundle_note(syntax))


def bundle_key(alerts: Sequence[Delivery]) -> str:
    """The delivery key of a bundle: a platform that drops repeats by key drops a re-sent bundle
    of the same alerts, and never confuses it with its first alert sent alone."""
    if alerts[0].bundle is not None:
        return alerts[0].bundle
    if len(alerts) == 1:
        return alerts[0].dedupe_key
    return f"{alerts[0].dedupe_key}+{len(alerts) - 1}"
