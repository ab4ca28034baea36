"""Many alerts for one subscription, due together at one destination, go out as one list.

A broad subscription can match dozens of papers in one arXiv announcement; one message per paper
would bury the channel (and run into the platform's rate limits). Each match keeps its own outbox
entry, so "told exactly once" is still kept per (subscription, paper): a bundle is only a way of
sending several entries in one message, and they are marked sent, retried or failed together.
"""
from __future__ import annotations

from collections.abc import Sequence

from paperboy.bot.kinds import DeliveryKind, DeliveryKinds
from paperboy.bot.models import Delivery
from paperboy.bot.replies import Card, PaperList, Scored
from paperboy.bot.serialize import reply_from_dict
from paperboy.bot.subscriptions.alerts import ALERTS, alert_of
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


def register_kinds(kinds: DeliveryKinds) -> None:
    """Alerts: a subscription's; several due at once at one place go out as one list."""
    kinds.register(DeliveryKind(ALERTS, "subscription", bundle=bundle_alerts, bundle_reply=bundle_reply))


def bundle_alerts(messages: list[list[Delivery]]) -> list[list[Delivery]]:
    """A destination's messages, in order, with a subscription's alerts that go alone made into
    lists of up to BUNDLE_SIZE, most upvoted and newest first, when there are at least BUNDLE_FROM
    of them; a list goes where the first of its alerts was. Everything else is left as it is."""
    by_subscription: dict[int, list[Delivery]] = {}
    for message in messages:
        subscription = _subscription_of(message[0]) if len(message) == 1 else None
        if subscription is not None:
            by_subscription.setdefault(subscription, []).append(message[0])
    bundled = {sub: _most_wanted_first(alerts)
               for sub, alerts in by_subscription.items() if len(alerts) >= BUNDLE_FROM}
    regrouped: list[list[Delivery]] = []
    for message in messages:
        subscription = _subscription_of(message[0]) if len(message) == 1 else None
        if subscription not in bundled:
            regrouped.append(message)
        elif message[0] is by_subscription[subscription][0]:
            alerts = bundled[subscription]
            regrouped.extend(alerts[start:start + BUNDLE_SIZE] for start in range(0, len(alerts), BUNDLE_SIZE))
    return regrouped


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
    """One list for alerts of one subscription (as grouped by bundle_alerts), for a platform that
    types commands with `syntax`."""
    cards = [reply_from_dict(a.payload) for a in alerts]
    alert = alert_of(alerts[0])
    if alert is None or not all(isinstance(card, Card) for card in cards):
        raise ValueError("only card alerts of one subscription can be bundled")
    return PaperList(title=bundle_title(alert.subscription, alert.description or None, len(cards)),
                     items=tuple(Scored(card.paper, 0.0) for card in cards), note=bundle_note(syntax))
