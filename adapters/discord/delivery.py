"""Posting daily lists and alerts to channels, threads and DMs, with Discord's errors turned
into the delivery engine's terms (retry later, or give up for good)."""
from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict

import aiohttp
import discord

from paperboy.adapters.discord.pacer import RequestPacer
from paperboy.adapters.discord.render import Outgoing, render, render_card, thread_name
from paperboy.adapters.discord.transport import send_kwargs
from paperboy.bot.adapter import DeliveryError, SendResult
from paperboy.bot.models import Target
from paperboy.bot.replies import Card, PaperList, Reply
from paperboy.bot.retry_after import retry_after_header

log = logging.getLogger(__name__)

DMS_CLOSED_NOTE = "DMs closed: posted in channel"
CANNOT_MESSAGE_USER = 50007
PUBLIC_THREAD = 11
_PERMANENT_CODES = {
    10003: "unknown channel", 10013: "unknown user", 50001: "missing access",
    50013: "missing permissions", 50007: "cannot message this user", 50035: "invalid message",
}


def nonce_for(delivery_key: str | None, part: str) -> str | None:
    """Discord remembers a message's nonce for a few minutes and, with enforce_nonce, answers a
    repeat with the message already created: the same delivery sent twice posts once."""
    if not delivery_key:
        return None
    return hashlib.sha256(f"{delivery_key}|{part}".encode()).hexdigest()[:25]


def _snowflake(value: str | None, what: str) -> int:
    text = (value or "").strip()
    if not text.isdigit():
        raise DeliveryError(f"{what} {text!r} is not a Discord id", permanent=True)
    return int(text)


def delivery_error(exc: BaseException) -> DeliveryError:
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, discord.RateLimited):
        return DeliveryError(f"rate limited for {exc.retry_after:.1f}s", retry_after=exc.retry_after)
    if isinstance(exc, discord.HTTPException):
        code, status = exc.code, exc.status
        reason = _PERMANENT_CODES.get(code, exc.text or "")
        text = f"Discord answered {status} (code {code}: {reason})"
        if status == 429:
            retry_after = retry_after_header(getattr(exc.response, "headers", None))
            return DeliveryError(text, retry_after=retry_after)
        if status >= 500:
            return DeliveryError(text)
        return DeliveryError(text, permanent=status in (400, 403, 404) or code in _PERMANENT_CODES)
    if isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError, OSError, discord.GatewayNotFound)):
        return DeliveryError(f"network error talking to Discord: {type(exc).__name__}: {exc}")
    return DeliveryError(f"{type(exc).__name__}: {exc}")


class Deliverer:
    """Sends replies to targets through a connected client, paced under the global limit."""

    def __init__(self, client: discord.Client, pacer: RequestPacer, *, thread_archive_minutes: int = 1440,
                 dm_cache_size: int = 10_000):
        self.client = client
        self.pacer = pacer
        self.thread_archive_minutes = thread_archive_minutes
        self._dm_channels: OrderedDict[int, int] = OrderedDict()
        self._dm_cache_size = dm_cache_size

    async def send(self, target: Target, reply: Reply, delivery_key: str | None = None, *,
                   resend: bool = False) -> SendResult:
        try:
            if target.mode == "dm":
                return await self._send_dm(target, reply, delivery_key)
            channel = _snowflake(target.channel, "channel")
            if target.mode == "mention":
                user = _snowflake(target.user, "user")
                return await self._post(channel, render(reply), delivery_key, mention_user=user)
            if target.mode == "threads" and isinstance(reply, PaperList) and reply.items:
                guild = int(target.workspace) if resend and target.workspace.isdigit() else None
                return await self._post_with_threads(channel, reply, delivery_key, look_in=guild)
            return await self._post(channel, render(reply), delivery_key)
        except DeliveryError:
            raise
        except Exception as exc:  # every failure becomes a DeliveryError the outbox understands
            error = delivery_error(exc)
            if error.retry_after:
                self.pacer.hold(error.retry_after)
            raise error from exc

    async def _post(self, channel_id: int, messages: list[Outgoing], delivery_key: str | None, *,
                    mention_user: int | None = None, part: str = "") -> SendResult:
        first_id = None
        messageable = self.client.get_partial_messageable(channel_id)
        for index, message in enumerate(messages):
            await self.pacer.acquire()
            sent = await messageable.send(
                **send_kwargs(message, mention_user=mention_user if index == 0 else None),
                nonce=nonce_for(delivery_key, f"{part}{index}"),
            )
            first_id = first_id or str(sent.id)
        return SendResult(external_id=first_id)

    async def _dm_channel(self, user_id: int) -> int:
        known = self._dm_channels.get(user_id)
        if known is not None:
            self._dm_channels.move_to_end(user_id)
            return known
        await self.pacer.acquire()
        data = await self.client.http.start_private_message(user_id)
        channel_id = int(data["id"])
        self._dm_channels[user_id] = channel_id
        while len(self._dm_channels) > self._dm_cache_size:
            self._dm_channels.popitem(last=False)
        return channel_id

    async def _send_dm(self, target: Target, reply: Reply, delivery_key: str | None) -> SendResult:
        user = _snowflake(target.user, "user")
        messages = render(reply)
        try:
            return await self._post(await self._dm_channel(user), messages, delivery_key)
        except discord.Forbidden as exc:
            if exc.code != CANNOT_MESSAGE_USER:
                raise
            if not (target.channel or "").strip():
                raise DeliveryError("the user's DMs are closed and there is no channel to mention them in",
                                    permanent=True) from exc
            fallback = await self._post(_snowflake(target.channel, "channel"), messages, delivery_key,
                                        mention_user=user, part="fallback")
            return SendResult(external_id=fallback.external_id, note=DMS_CLOSED_NOTE)

    async def _post_with_threads(self, channel_id: int, paper_list: PaperList, delivery_key: str | None, *,
                                 look_in: int | None = None) -> SendResult:
        """The list, then one thread per paper with its card inside. The list is the delivery:
        a thread that cannot be opened is reported in the note, not retried (that would repeat
        the list). Opening a thread carries no nonce, so when a try may already have opened some
        (`look_in`: the guild), the channel's active threads are looked at first: one of the same
        name is used again, and its card is posted only if the thread is still empty."""
        posted = await self._post(channel_id, render(paper_list), delivery_key)
        opened = await self._threads_in(look_in, channel_id) if look_in is not None else {}
        failed = 0
        for number, item in enumerate(paper_list.items, 1):
            name = thread_name(number, item.paper)
            try:
                thread_id = opened.get(name)
                if thread_id is not None and await self._has_messages(thread_id):
                    continue
                if thread_id is None:
                    await self.pacer.acquire()
                    thread = await self.client.http.start_thread_without_message(
                        channel_id, name=name, auto_archive_duration=self.thread_archive_minutes, type=PUBLIC_THREAD)
                    thread_id = int(thread["id"])
                await self._post(thread_id, [render_card(Card(item.paper))], delivery_key, part=f"thread{number}-")
            except (TimeoutError, discord.HTTPException, aiohttp.ClientError, OSError) as exc:
                failed += 1
                log.warning("thread for paper %s in channel %s failed: %s", number, channel_id, exc)
        note = f"{failed} of {len(paper_list.items)} paper threads could not be opened" if failed else None
        return SendResult(external_id=posted.external_id, note=note)

    async def _threads_in(self, guild_id: int, channel_id: int) -> dict[str, int]:
        """The active threads of one channel, by name."""
        await self.pacer.acquire()
        data = await self.client.http.get_active_threads(guild_id)
        return {t["name"]: int(t["id"]) for t in data.get("threads", []) if str(t.get("parent_id")) == str(channel_id)}

    async def _has_messages(self, thread_id: int) -> bool:
        await self.pacer.acquire()
        return bool(await self.client.http.logs_from(thread_id, 1))
