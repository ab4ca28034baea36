"""An adapter that keeps every post in memory: a real backend for tests and dry runs.

It records what the delivery engine asked it to send and can be told to misbehave the way real
platforms and processes do: refuse sends (rate limits, outages, a deleted channel), or die right
after a message went out but before the sender heard back (the crash the outbox must survive).
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from paperboy.bot.adapter import DeliveryError, SendResult
from paperboy.bot.clock import Clock
from paperboy.bot.models import Target
from paperboy.bot.replies import Reply
from paperboy.bot.syntax import SLASH, Syntax


@dataclass(frozen=True)
class SentMessage:
    target: Target
    reply: Reply
    delivery_key: str | None
    external_id: str
    at: datetime | None = None  # when it was posted, by the adapter's clock


class MemoryAdapter:
    """Implements bot.adapter.Adapter. `platform` is whatever name deliveries are addressed to."""

    def __init__(self, platform: str = "memory", *, idempotent: bool = False, clock: Clock | None = None,
                 syntax: Syntax = SLASH):
        self.platform = platform
        self.syntax = syntax
        self.clock = clock
        # When True, a send repeating an earlier delivery_key returns the first result and posts
        # nothing, like a platform that honours an idempotency key (Discord's enforced nonce).
        self.idempotent = idempotent
        self.sent: list[SentMessage] = []  # what reached the "platform", in order
        self.attempts: list[tuple[Target, str | None]] = []  # every send call, failed ones too
        self.resends: list[str | None] = []  # keys sent again after a try that may have posted
        self.started = False
        self.stopped = False
        self.in_flight = 0
        self.max_in_flight = 0
        self.gate: asyncio.Event | None = None  # when set up, sends wait until it is set
        self._failures: list[BaseException] = []
        self._crash_after_send: BaseException | None = None
        self._failing_channels: dict[str, BaseException] = {}
        self._by_key: dict[str, SendResult] = {}

    # ---- Adapter protocol -----------------------------------------------------------------

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def send(self, target: Target, reply: Reply, *, delivery_key: str | None = None,
                   resend: bool = False) -> SendResult:
        self.attempts.append((target, delivery_key))
        if resend:
            self.resends.append(delivery_key)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.gate is not None:
                await self.gate.wait()
            if target.channel in self._failing_channels:
                raise self._failing_channels[target.channel]
            if self._failures:
                raise self._failures.pop(0)
            if self.idempotent and delivery_key is not None and delivery_key in self._by_key:
                return self._by_key[delivery_key]
            message = SentMessage(target, reply, delivery_key, f"{self.platform}-{len(self.sent) + 1}",
                                  self.clock.now() if self.clock else None)
            self.sent.append(message)
            result = SendResult(external_id=message.external_id)
            if delivery_key is not None:
                self._by_key[delivery_key] = result
            if self._crash_after_send is not None:
                crash, self._crash_after_send = self._crash_after_send, None
                raise crash
            return result
        finally:
            self.in_flight -= 1

    # ---- misbehaviour on request --------------------------------------------------------

    def fail_next(self, count: int = 1, error: BaseException | None = None) -> None:
        """The next `count` sends raise `error` (default: a temporary DeliveryError) and post nothing."""
        for _ in range(count):
            self._failures.append(error if error is not None else DeliveryError("simulated outage"))

    def crash_after_next_send(self, error: BaseException) -> None:
        """The next successful send posts, then raises `error` instead of returning its result."""
        self._crash_after_send = error

    def fail_channel(self, channel: str, error: BaseException | None = None) -> None:
        """Every send to this channel raises (default: a permanent DeliveryError, channel gone)."""
        self._failing_channels[channel] = error if error is not None else DeliveryError(
            f"channel {channel} not found", permanent=True)

    def heal_channel(self, channel: str) -> None:
        """Sends to this channel work again (paperboy was invited back)."""
        self._failing_channels.pop(channel, None)

    def hold(self) -> asyncio.Event:
        """Sends block until the returned event is set: lets a test see sends in flight."""
        self.gate = asyncio.Event()
        return self.gate

    # ---- what happened ------------------------------------------------------------------

    def sent_to(self, channel: str) -> list[SentMessage]:
        return [m for m in self.sent if m.target.channel == channel]

    def keys_sent(self) -> list[str | None]:
        return [m.delivery_key for m in self.sent]
