"""The one interface every chat adapter implements: start, send, stop."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from paperboy.bot.models import Target
from paperboy.bot.replies import Reply
from paperboy.bot.syntax import Syntax


@dataclass(frozen=True)
class SendResult:
    external_id: str | None = None  # the platform's message id
    note: str | None = None  # e.g. "DMs closed: posted in the channel instead"


class DeliveryError(Exception):
    """A send that did not happen. `permanent` ones (channel gone, bot removed) are not retried."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class Adapter(Protocol):
    platform: str  # what deliveries for this adapter are addressed to (Target.platform)
    syntax: Syntax  # how its users type commands: what is sent to it names commands this way

    async def start(self) -> None:
        """Connect and begin taking invocations; returns once connected."""

    async def send(self, target: Target, reply: Reply, *, delivery_key: str | None = None,
                   resend: bool = False) -> SendResult:
        """Post a reply to a target. Raises DeliveryError when it could not. `delivery_key` is the
        same every time one delivery is tried; `resend` says an earlier try may have posted (it was
        cut off, or its outcome is unknown), so the adapter looks, where its platform lets it,
        before posting again."""

    async def stop(self) -> None:
        """Disconnect and release everything start() took."""


@runtime_checkable
class Interactive(Protocol):
    """An adapter with a conversation of its own (the terminal): the bot runs until it ends."""

    async def interact(self) -> None: ...


@runtime_checkable
class Monitored(Protocol):
    """An adapter that can tell whether its connection to the platform is up right now (health checks)."""

    async def connected(self) -> bool: ...
