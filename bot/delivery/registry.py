"""Every delivery kind paperboy's producers register: the scheduler's posts and the subscriptions'
alerts. A new producer adds its register_kinds here; the outbox and the commands take the registry."""
from __future__ import annotations

from paperboy.bot.delivery import scheduler
from paperboy.bot.kinds import DeliveryKinds
from paperboy.bot.subscriptions import bundles


def delivery_kinds() -> DeliveryKinds:
    kinds = DeliveryKinds()
    scheduler.register_kinds(kinds)
    bundles.register_kinds(kinds)
    return kinds
