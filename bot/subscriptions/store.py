"""What the subscriptions subsystem asks of a store: the subscriptions themselves."""
from __future__ import annotations

from typing import Protocol

from paperboy.bot.models import Notify, Subscription
from paperboy.bot.store import StoreThread


class SubscriptionStore(StoreThread, Protocol):
    """Keyword subscriptions."""

    def add_subscription(self, platform: str, workspace: str, owner: str, channel: str, notify: Notify,
                         query: str, now: str) -> Subscription:
        """A new subscription; ids are never reused, so an old alert never points at a new one."""

    def get_subscription(self, sub_id: int) -> Subscription | None: ...

    def remove_subscription(self, platform: str, workspace: str, owner: str, sub_id: int) -> bool:
        """Removes only the owner's own subscription; False when there is none with that id."""

    def subscriptions_of(self, platform: str, workspace: str, owner: str) -> list[Subscription]: ...

    def all_subscriptions(self) -> list[Subscription]: ...
