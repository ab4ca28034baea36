"""Posts each channel's lists once, at the channel's local time: daily, weekly and monthly
(paperboy.bot.delivery.schedules says which are due and what each covers).

Everything the scheduler knows lives in the store, so any number of restarts, or a new scheduler on
the same database, never posts a period twice: the delivery key (`daily:<channel id>:<local date>`,
`weekly:...`, `monthly:...`) settles it, whether it was posted or recorded as skipped.
"""
from __future__ import annotations

import asyncio
import json
import logging
import zoneinfo
from collections.abc import Mapping
from datetime import datetime, time
from typing import Protocol

from paperboy.bot.clock import Clock, iso, parse_iso, wait_or_stop
from paperboy.bot.delivery.digest import HF_SOURCE, Digest, build_digest_explained, normalize_sources
from paperboy.bot.delivery.schedules import EVERY, KIND_OF, DuePost, Every, due_posts, posts_of
from paperboy.bot.delivery.store import ChannelStore, DailyListStore, OutboxStore
from paperboy.bot.kinds import DeliveryKind, DeliveryKinds, delivery_key
from paperboy.bot.models import ChannelConfig, Delivery, Target
from paperboy.bot.serialize import reply_to_dict
from paperboy.bot.store import StateStore
from paperboy.bot.syntax import SLASH, Syntax


class SchedulerStore(ChannelStore, DailyListStore, OutboxStore, StateStore, Protocol):
    """What the scheduler uses: channels, the lists it posts, the outbox it queues them in, and its
    cursors."""


class PausingStore(ChannelStore, OutboxStore, Protocol):
    """What pausing a channel whose posts keep failing uses."""


log = logging.getLogger(__name__)

PAUSE_AFTER = 3  # daily posts in a row that failed for good before their channel is paused


def register_kinds(kinds: DeliveryKinds) -> None:
    """The scheduler's posts: a channel's daily, weekly and monthly lists. A channel whose daily
    post fails for good PAUSE_AFTER days running is paused."""
    for every, name in KIND_OF.items():
        kinds.register(DeliveryKind(name, "channel", failed_for_good=pause_if_failing if every == "day" else None))


def daily_key(channel_id: int, local_date: str) -> str:
    return delivery_key(KIND_OF["day"], channel_id, local_date)


def daily_posts_of(channel_id: int) -> str:
    """The key prefix of every daily post of one channel."""
    return posts_of(channel_id, "day")


def pause_if_failing(store: PausingStore, delivery: Delivery, reason: str) -> None:
    """A channel whose daily post failed for good PAUSE_AFTER days running (paperboy was removed,
    the channel deleted) is paused with the reason; /digest config resumes it."""
    target = delivery.target
    channel = store.get_channel(target.platform, target.workspace, target.channel)
    if channel is None or channel.paused:
        return
    outcomes = store.latest_outcomes(daily_posts_of(channel.id), PAUSE_AFTER)
    if outcomes == ["failed"] * PAUSE_AFTER and store.pause_channel(
            channel.id, f"its daily post failed {PAUSE_AFTER} days running ({reason})"):
        log.warning("channel %s (%s/%s) paused: its daily post failed %d days running (%s)",
                    channel.id, target.platform, target.channel, PAUSE_AFTER, reason,
                    extra={"platform": target.platform, "channel": target.channel})


def channel_target(channel: ChannelConfig) -> Target:
    return Target(channel.platform, channel.workspace, channel.channel,
                  mode="threads" if channel.thread_per_paper else "channel")


def parse_daily_time(text: str) -> time:
    """"09:00" (also "9:00" or "09:00:00") as a wall-clock time."""
    hour, minute = text.strip().split(":")[:2]
    return time(int(hour), int(minute))


class DailyScheduler:
    def __init__(self, store: SchedulerStore, clock: Clock, syntaxes: Mapping[str, Syntax] | None = None):
        self.store = store
        self.clock = clock
        self.syntaxes = dict(syntaxes or {})  # platform -> how its users type commands, for notes
        self._reported_bad_schedule: set[tuple[int, str, str]] = set()
        self._waiting_on: dict[int, tuple] = {}  # channel id -> what its last empty check saw

    async def run(self, stop: asyncio.Event, interval: float = 30) -> None:
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("daily scheduler tick failed")
            await wait_or_stop(stop, self.clock, interval)

    async def tick(self) -> list[str]:
        """Queues every daily post now due; returns the delivery keys queued."""
        now = self.clock.now()
        queued: list[str] = []
        for channel in await self.store.run(self.store.enabled_channels):
            try:  # on the store's thread: the event loop goes on between channels
                queued += await self.store.run(self._tick_channel, channel, now)
            except Exception:  # one broken channel must not hold up the others
                log.exception("daily post for channel %s (%s) failed", channel.id, _where(channel))
        return queued

    def _tick_channel(self, channel: ChannelConfig, now: datetime) -> list[str]:
        schedule = self._schedule(channel)
        if schedule is None:
            return []
        zone, at = schedule
        local_now = now.astimezone(zone)
        local_date = local_now.date().isoformat()
        self._settle_waiting_days(channel, local_date, now)
        # Wall-clock comparison: on a spring-forward day a time that does not exist (02:30 in
        # Berlin) becomes due when the clock jumps past it; on a fall-back day the key for the
        # local date keeps the repeated hour from posting again.
        queued = []
        for post in due_posts(channel.id, channel.every, channel.week_day, channel.lag_days, local_now, at):
            if self._queue(channel, post, local_now, at, now):
                queued.append(post.key)
        return queued

    def _queue(self, channel: ChannelConfig, post: DuePost, local_now: datetime, at: time, now: datetime) -> bool:
        if self.store.has_delivery(post.key):
            return False
        if self._configured_after(channel, datetime.combine(post.post_date, at, tzinfo=local_now.tzinfo)):
            return False  # set up (or changed) after this post's moment: the first post is the next one
        local_date = local_now.date().isoformat()
        # Building an arXiv-category digest scans the papers table, so while a channel waits for
        # news it is rebuilt only once papers were added. Hugging Face lists are cheap to read,
        # and can change without new papers, so they are always looked at.
        fingerprint = None
        if normalize_sources(channel.sources) != HF_SOURCE:
            fingerprint = (channel, post.key, self.store.max_rowid())
            if self._waiting_on.get((channel.id, post.every)) == fingerprint:
                return False
        syntax = self.syntaxes.get(channel.platform, SLASH)
        digest, found = build_digest_explained(self.store, channel, local_date, syntax, post.period)
        if digest is not None and post.every == "day":
            posted = self._last_posted_list_date(channel)
            if posted is not None and digest.list_date <= posted:
                digest, found = None, f"the newest list ({digest.list_date}) was already posted"
        if digest is None:
            self._note_waiting(channel, post, found)
            if fingerprint is not None:
                self._waiting_on[(channel.id, post.every)] = fingerprint
            return False
        if not self.store.enqueue_delivery(post.key, KIND_OF[post.every], channel_target(channel), _payload(digest),
                                           iso(now)):
            return False
        log.info("%s post queued for channel %s (%s): %s, due %s %s %s, now %s", post.every, channel.id,
                 _where(channel), found, post.post_date, channel.daily_time, channel.tz,
                 local_now.strftime("%Y-%m-%d %H:%M"))
        return True

    def _schedule(self, channel: ChannelConfig) -> tuple[zoneinfo.ZoneInfo, time] | None:
        try:
            return zoneinfo.ZoneInfo(channel.tz), parse_daily_time(channel.daily_time)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            marker = (channel.id, channel.tz, channel.daily_time)
            if marker not in self._reported_bad_schedule:
                self._reported_bad_schedule.add(marker)
                log.error("channel %s (%s) has no usable schedule (time %r, tz %r: %s); no daily post",
                          channel.id, _where(channel), channel.daily_time, channel.tz, exc)
            return None

    def _configured_after(self, channel: ChannelConfig, due_moment: datetime) -> bool:
        configured = self.store.channel_configured_at(channel.id)
        try:
            configured_at = parse_iso(configured) if configured else None
        except ValueError:
            configured_at = None
        if configured_at is None:
            return False
        return configured_at > due_moment

    def _last_posted_list_date(self, channel: ChannelConfig) -> str | None:
        last = self.store.latest_delivery(daily_posts_of(channel.id))
        if last is None:
            return None
        meta = last.payload.get("digest") or {}
        if meta.get("sources") != normalize_sources(channel.sources):
            return None  # the channel changed sources: dates of another source say nothing
        return meta.get("list_date")

    # A post with nothing to show is noted in the store while its day lasts (papers may still
    # arrive) and settled as skipped, with the reason, on the first tick after that local day.

    def _note_waiting(self, channel: ChannelConfig, post: DuePost, reason: str) -> None:
        name = _waiting_state(channel, post.every)
        value = json.dumps({"date": post.post_date.isoformat(), "key": post.key, "reason": reason})
        if self.store.get_state(name) != value:
            self.store.set_state(name, value)
            log.info("channel %s (%s): nothing new for its %s post of %s yet (%s); checking again later",
                     channel.id, _where(channel), post.every, post.post_date, reason)

    def _settle_waiting_days(self, channel: ChannelConfig, local_date: str, now: datetime) -> None:
        for every in EVERY:
            name = _waiting_state(channel, every)
            raw = self.store.get_state(name)
            if not raw:
                continue
            waiting = json.loads(raw)
            if waiting["date"] >= local_date:
                continue
            key = waiting.get("key") or daily_key(channel.id, waiting["date"])
            note = f"nothing posted on {waiting['date']}: {waiting['reason']}"
            if self.store.record_skipped(key, KIND_OF[every], channel_target(channel), note, iso(now)):
                log.warning("channel %s (%s): %s; recorded as skipped", channel.id, _where(channel), note)
            self.store.set_state(name, "")


def _payload(digest: Digest) -> dict:
    # The reply as adapters will get it, plus which list it is, so a later day can tell whether
    # the newest list was already posted here. reply_from_dict ignores the extra entry.
    return {**reply_to_dict(digest.reply), "digest": {"list_date": digest.list_date, "sources": digest.sources}}


def _waiting_state(channel: ChannelConfig, every: Every) -> str:
    suffix = "" if every == "day" else f".{every}"  # the daily one keeps the name it always had
    return f"scheduler.waiting.{channel.id}{suffix}"


def _where(channel: ChannelConfig) -> str:
    return "/".join(p for p in (channel.platform, channel.workspace, channel.channel) if p)
