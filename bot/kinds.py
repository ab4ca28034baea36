"""Delivery kinds: what a producer of posts (the scheduler's daily, weekly and monthly posts; the
subscriptions' alerts; whatever comes next) registers with the outbox, so that the outbox and the
commands know its posts only through the registry.

A delivery's key is `<kind>:<scope id>:<item>`: the kind, whose posts they are (a channel's, a
subscription's), and what makes the post one of a kind (a day, a paper). A key settles the post:
a key queued once is never queued again. Every post of one scope is found by its key prefix, so
turning a channel's posts off or removing a subscription cancels what it still had queued.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from paperboy.bot.models import Delivery
from paperboy.bot.replies import Reply
from paperboy.bot.syntax import Syntax

Scope = Literal["channel", "subscription"]  # whose posts a kind's are
# The messages a destination's due posts go out in, in order (each a list of deliveries; at first
# one each), with this kind's regrouped: a subscription's many alerts as one list.
Bundler = Callable[[list[list[Delivery]]], list[list[Delivery]]]


def delivery_key(kind: str, scope_id: int | str, item: str) -> str:
    return f"{scope_prefix(kind, scope_id)}{item}"


def scope_prefix(kind: str, scope_id: int | str) -> str:
    """The key prefix of every post of one kind for one scope (a channel's daily posts)."""
    return f"{kind}:{scope_id}:"


@dataclass(frozen=True)
class DeliveryKind:
    name: str
    scope: Scope
    bundle: Bundler | None = None  # None: each of this kind's posts goes alone
    # The reply a message of several of this kind's posts is sent as.
    bundle_reply: Callable[[Sequence[Delivery], Syntax], Reply] | None = None
    # Called on the delivery worker's store thread, with its store, when a post of this kind fails
    # for good (a channel whose posts keep failing is paused).
    failed_for_good: Callable[[Any, Delivery, str], None] | None = None

    def key(self, scope_id: int | str, item: str) -> str:
        return delivery_key(self.name, scope_id, item)

    def prefix(self, scope_id: int | str) -> str:
        return scope_prefix(self.name, scope_id)


class DeliveryKinds:
    """The kinds registered, by name: one registry per process, filled by each producer's
    register_kinds at start and handed to the outbox and the commands."""

    def __init__(self, *kinds: DeliveryKind):
        self._kinds: dict[str, DeliveryKind] = {}
        for kind in kinds:
            self.register(kind)

    def register(self, kind: DeliveryKind) -> DeliveryKind:
        if kind.name in self._kinds and self._kinds[kind.name] != kind:
            raise ValueError(f"delivery kind {kind.name!r} is registered twice")
        self._kinds[kind.name] = kind
        return kind

    def __getitem__(self, name: str) -> DeliveryKind:
        return self._kinds[name]

    def get(self, name: str) -> DeliveryKind | None:
        return self._kinds.get(name)

    def __iter__(self):
        return iter(self._kinds.values())

    def prefixes(self, scope: Scope, scope_id: int | str) -> list[str]:
        """The key prefixes of every post of one scope, whatever its kind."""
        return [kind.prefix(scope_id) for kind in self if kind.scope == scope]
