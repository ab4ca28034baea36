"""Slack's rate limits, kept: about one message per second per channel, and 429 Retry-After honoured."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from paperboy.bot.retry_after import retry_after_header

log = logging.getLogger(__name__)

CREATES_MESSAGES = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.scheduleMessage"})


class ChannelPacer:
    """Spaces posts to one channel at least `interval` seconds apart; other channels are not held up.

    Callers wait their turn instead of being refused, so a burst is delayed, never dropped."""

    def __init__(self, interval: float = 1.0, *, monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.interval = interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._next_free: dict[str, float] = {}

    def reserve(self, channel: str) -> float:
        """Takes the channel's next slot; returns how long to wait for it."""
        now = self._monotonic()
        start = max(now, self._next_free.get(channel, now))
        self._next_free[channel] = start + self.interval
        if len(self._next_free) > 1000:
            self._forget_idle(now)
        return start - now

    def hold(self, channel: str, seconds: float) -> None:
        """Slack said to wait (429): no post to this channel before then."""
        until = self._monotonic() + seconds
        self._next_free[channel] = max(self._next_free.get(channel, 0.0), until)

    @asynccontextmanager
    async def slot(self, channel: str) -> AsyncIterator[None]:
        wait = self.reserve(channel)
        if wait > 0:
            await self._sleep(wait)
        yield

    def _forget_idle(self, now: float) -> None:
        for channel in [c for c, free in self._next_free.items() if free <= now]:
            del self._next_free[channel]


class NoRepeatedPosts(AsyncConnectionErrorRetryHandler):
    """slack_sdk's retry of calls whose connection failed, except calls that create a message: the
    first may have been posted before the connection broke, and trying again could post it twice.
    Such a failure reaches the outbox, which sends again (with the delivery key) only after
    looking for the first post."""

    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        if _method(request) in CREATES_MESSAGES:
            return False
        return await super()._can_retry_async(state=state, request=request, response=response, error=error)


class PatientRateLimitRetry(AsyncRetryHandler):
    """Retries a 429 after exactly the Retry-After Slack asked for, when that is short.

    A longer wait is not slept through here: the error reaches the caller, whose send is then
    rescheduled by the outbox (DeliveryError.retry_after) instead of holding a worker."""

    def __init__(self, max_retry_count: int = 3, max_wait: float = 10.0,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait
        self._sleep = sleep

    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: HttpResponse | None = None,
                               error: Exception | None = None) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after_header(response.headers)
        return (wait if wait is not None else 1.0) <= self.max_wait

    async def prepare_for_next_attempt_async(self, *, state: RetryState, request: HttpRequest,
                                             response: HttpResponse | None = None,
                                             error: Exception | None = None) -> None:
        wait = retry_after_header(response.headers if response else None)
        wait = 1.0 if wait is None else wait
        log.info("Slack rate-limited %s; retrying in %.1f s", _method(request), wait)
        state.next_attempt_requested = True
        await self._sleep(wait)
        state.increment_current_attempt()


def _method(request: HttpRequest) -> str:
    return request.url.rsplit("/", 1)[-1].split("?", 1)[0]
