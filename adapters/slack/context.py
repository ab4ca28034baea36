"""What every listener needs, handed over explicitly: the core, the typed commands, rights, posting,
in-flight work."""
from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from paperboy.adapters.slack.blocks import SlackMessage
from paperboy.adapters.slack.pacing import ChannelPacer
from paperboy.adapters.slack.permissions import ConfigureRights
from paperboy.bot.commands.dispatch import Core
from paperboy.bot.commands.typed import TypedCommands
from paperboy.bot.retry_after import retry_after_header

log = logging.getLogger(__name__)

# Slack gives an app one slash command: every other command is a word under it (`/paper sub ...`).
UMBRELLA = "paper"
SLASH_COMMAND = f"/{UMBRELLA}"

# What a call to Slack can fail with: Slack's refusal, or not reaching Slack at all.
SLACK_FAILURES = (SlackApiError, aiohttp.ClientError, asyncio.TimeoutError)


def failure_name(exc: BaseException) -> str:
    """Slack's error code ("not_in_channel"), or the kind of network failure; never a token."""
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
    return type(exc).__name__


class InFlight:
    """The listener runs still working (bolt starts them as tasks); stop() lets them finish or cancels them."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    @asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._tasks.discard(task)

    def __len__(self) -> int:
        return len(self._tasks)

    async def wind_down(self, grace: float) -> None:
        pending = {t for t in self._tasks if not t.done() and t is not asyncio.current_task()}
        if not pending:
            return
        _, still_running = await asyncio.wait(pending, timeout=grace)
        for task in still_running:
            task.cancel()
        if still_running:
            await asyncio.gather(*still_running, return_exceptions=True)


class Poster:
    """chat.postMessage through the per-channel pacer; a 429 also holds that channel back."""

    def __init__(self, client: AsyncWebClient, pacer: ChannelPacer):
        self.client = client
        self.pacer = pacer

    async def post(self, channel: str, message: SlackMessage, *, thread_ts: str | None = None,
                   patient: bool = False, metadata: dict | None = None) -> str:
        """Posts and returns the message ts. `patient` posts (answers to people) wait out however
        long a 429 asks and try again; deliveries are not patient here, the outbox reschedules them."""
        attempts = 4 if patient else 1
        for attempt in itertools.count(1):
            async with self.pacer.slot(channel):
                try:
                    extra = {"metadata": metadata} if metadata else {}
                    response = await self.client.chat_postMessage(
                        channel=channel, thread_ts=thread_ts, unfurl_links=False, unfurl_media=False,
                        **message.as_kwargs(), **extra)
                    return str(response.get("ts") or "")
                except SlackApiError as exc:
                    wait = retry_after_header(exc.response.headers) if exc.response.status_code == 429 else None
                    if wait is None:
                        raise
                    self.pacer.hold(channel, wait)  # the next slot for this channel starts after the wait
                    if attempt >= attempts:
                        raise
        return ""  # not reached: the loop returns or raises

    async def open_dm(self, user: str) -> str:
        response = await self.client.conversations_open(users=user)
        return response["channel"]["id"]


@dataclass
class SlackContext:
    core: Core
    client: AsyncWebClient
    commands: TypedCommands
    rights: ConfigureRights
    poster: Poster
    # Answer inside the ack when the core is this quick, else ack at once and answer through
    # response_url: Slack allows 3 s, and the rest is margin for a busy event loop and the network.
    ack_budget: float = 1.0
    inflight: InFlight = field(default_factory=InFlight)
