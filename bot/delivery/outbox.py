"""Sends what the deliveries table holds: every post, retried until it is sent or is impossible.

A delivery is claimed before the adapter is called and marked after: the claim is a lease, held
by this worker for `lease_seconds` and renewed while the send runs, timed by the database's clock
and renewed on the store's lease lane (a thread and a connection of its own), so that neither a
host's clock nor work queued on the store's thread lets a live worker's lease run out. Any number
of workers, in any number of processes, share one outbox: a delivery is only ever leased to one of
them at a time.
A worker that dies mid-send leaves its leases to expire; then any worker takes them over and sends
them again with the same delivery key, which a platform that honours one uses to drop the repeat.
Nothing is put back wholesale at start-up, so a starting process never resends what a live one
is sending.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import secrets
import socket
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Protocol

from paperboy.bot.adapter import Adapter, DeliveryError
from paperboy.bot.clock import Clock, iso, parse_iso, wait_or_stop
from paperboy.bot.delivery.store import ChannelStore, LeaseLanes, OutboxStore
from paperboy.bot.kinds import DeliveryKinds
from paperboy.bot.models import Delivery
from paperboy.bot.serialize import reply_from_dict


class WorkerStore(OutboxStore, ChannelStore, LeaseLanes, Protocol):
    """What the delivery worker uses: the outbox, its lease lane, and what the kinds' hooks use when
    a post fails for good (the channels a failing daily post pauses)."""


log = logging.getLogger(__name__)

CLAIM_BATCH = 50
LEASE_SECONDS = 60
GIVE_UP_AFTER_ATTEMPTS = 20  # a delivery still failing after this many tries, or this long, fails
GIVE_UP_AFTER = timedelta(days=7)
KEEP_PAYLOADS = timedelta(days=30)  # a settled delivery's content, kept this long for the record
HOUSEKEEPING_EVERY = timedelta(hours=1)


def _about(message: list[Delivery]) -> dict[str, object]:
    """A delivery's fields for structured logs (PAPERBOY_LOG_FORMAT=json)."""
    target = message[0].target
    about: dict[str, object] = {"delivery_key": bundle_key(message), "kind": message[0].kind,
                                "platform": target.platform, "channel": target.channel or None}
    if target.mode == "dm":
        about["user"] = target.user
    return about


def messages_of(lane: list[Delivery], kinds: DeliveryKinds) -> list[list[Delivery]]:
    """A destination's claimed deliveries, in lane order, as the messages they go out in: those
    that already went out together once (an interruption left them unrecorded) together again, as
    they were; the rest as each kind's bundling rule groups them (alone by default)."""
    again: dict[str, list[Delivery]] = {}
    for delivery in lane:
        if delivery.bundle is not None:
            again.setdefault(delivery.bundle, []).append(delivery)
    messages = [[delivery] for delivery in lane if delivery.bundle is None]
    for kind in kinds:
        if kind.bundle is not None:
            messages = kind.bundle(messages)
    return [*again.values(), *messages]


def bundle_key(message: list[Delivery]) -> str:
    """The delivery key of a message: a platform that drops repeats by key drops a re-sent bundle
    of the same deliveries, and never confuses it with its first delivery sent alone."""
    if message[0].bundle is not None:
        return message[0].bundle
    if len(message) == 1:
        return message[0].dedupe_key
    return f"{message[0].dedupe_key}+{len(message) - 1}"


def worker_name() -> str:
    """Unique among live processes on any host: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class DeliveryWorker:
    def __init__(self, store: WorkerStore, adapters: Mapping[str, Adapter], clock: Clock, kinds: DeliveryKinds, *,
                 concurrency: int = 4, base_backoff: float = 5, max_backoff: float = 3600,
                 lease_seconds: float = LEASE_SECONDS, name: str | None = None):
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.store = store
        self.kinds = kinds
        self.leases = store.lease_lane()
        self.adapters = dict(adapters)
        self.clock = clock
        self.concurrency = concurrency
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.lease_seconds = lease_seconds
        self.name = name or worker_name()
        self._held: set[int] = set()  # deliveries this worker has claimed and not yet settled

    async def run(self, stop: asyncio.Event, interval: float = 2, grace: float = 1.0) -> None:
        """Rounds until `stop`. A stop in the middle of a round gives its sends `grace` seconds to
        finish; then they are cut off, and their deliveries released for any process to send."""
        next_housekeeping = self.clock.now()
        while not stop.is_set():
            if self.clock.now() >= next_housekeeping:
                await self.store.run(self.housekeeping)
                next_housekeeping = self.clock.now() + HOUSEKEEPING_EVERY
            try:
                handled = await _unless_stopped(self.run_once(), stop, grace)
            except Exception:
                log.exception("delivery round failed")
                handled = 0
            if handled < CLAIM_BATCH:  # a full batch means more are waiting: go again at once
                await wait_or_stop(stop, self.clock, interval)

    def housekeeping(self) -> int:
        """Settled deliveries older than KEEP_PAYLOADS drop their content (their keys stay, so a
        repeat is still refused). Returns how many were emptied."""
        try:
            emptied = self.store.forget_payloads(iso(self.clock.now() - KEEP_PAYLOADS))
        except Exception:
            log.exception("forgetting old delivery payloads failed")
            return 0
        if emptied:
            log.info("%d delivered posts older than %d days dropped their content", emptied, KEEP_PAYLOADS.days)
        return emptied

    async def run_once(self) -> int:
        """Claims the deliveries due now for platforms with an adapter and tries each once.
        Returns how many were tried (sent, failed or put back for a retry)."""
        claimed = await self.store.run(lambda: self.store.claim_due_deliveries(
            iso(self.clock.now()), self.adapters.keys(), limit=CLAIM_BATCH, owner=self.name,
            lease_seconds=self.lease_seconds))
        if not claimed:
            return 0
        taken_over = [d.dedupe_key for d in claimed if d.note == "interrupted while sending"]
        if taken_over:
            log.warning("%d deliveries were left mid-send by a stopped worker; sending them again: %s",
                        len(taken_over), ", ".join(taken_over[:5]))
        self._held.update(d.id for d in claimed)
        # One lane per destination keeps a channel's posts in order; lanes run side by side,
        # at most `concurrency` sends at a time per platform, every platform independently.
        lanes: dict[tuple, list[Delivery]] = defaultdict(list)
        for delivery in claimed:
            t = delivery.target
            lanes[(t.platform, t.workspace, t.channel, t.user)].append(delivery)
        limits = {platform: asyncio.Semaphore(self.concurrency) for platform in self.adapters}
        finished = asyncio.Event()
        renewing = asyncio.create_task(self._renew_leases(finished))
        try:
            async with asyncio.TaskGroup() as group:
                for (platform, *_), lane in lanes.items():
                    group.create_task(self._send_lane(lane, limits[platform]))
        except asyncio.CancelledError:  # cut off by a stop: what was not settled goes back
            unsettled = [d.id for d in claimed if d.id in self._held]
            if unsettled:
                await self.leases.run(self.leases.release_leases, unsettled, self.name)
                log.warning("%d deliveries cut off by the stop were released; they are sent again", len(unsettled))
            raise
        finally:
            finished.set()
            await renewing
            self._held.difference_update(d.id for d in claimed)
        return len(claimed)

    async def _renew_leases(self, finished: asyncio.Event) -> None:
        """Keeps this round's leases alive while its sends run (a send may wait out a rate limit).
        Paced in real time, not by the clock: leases must outlive real sends."""
        while not finished.is_set():
            try:
                await asyncio.wait_for(finished.wait(), timeout=self.lease_seconds / 3)
            except TimeoutError:
                try:
                    await self.leases.run(self.leases.renew_leases, list(self._held), self.name, self.lease_seconds)
                except Exception:  # the next renewal may succeed; an expired lease is only resent
                    log.exception("renewing delivery leases failed")

    async def _send_lane(self, lane: list[Delivery], limit: asyncio.Semaphore) -> None:
        for message in messages_of(lane, self.kinds):
            async with limit:
                await self._send(message)

    async def _send(self, message: list[Delivery]) -> None:
        """Sends one message: a delivery, or several alerts bundled (paperboy.bot.subscriptions.bundles),
        which then share their fate: sent, retried or failed together."""
        first = message[0]
        key = bundle_key(message)
        adapter = self.adapters[first.target.platform]
        try:
            reply = reply_from_dict(first.payload) if len(message) == 1 else self._bundle_reply(message, adapter)
        except Exception as exc:  # a payload that cannot be read now never will be
            if len(message) > 1:  # one bad alert must not sink the others: they go alone
                for delivery in message:
                    await self._send([delivery])
                return
            unreadable = f"unreadable payload: {type(exc).__name__}: {exc}"
            await self._record(message, lambda ids: self.store.mark_failed(ids, unreadable, self._now(),
                                                                           owner=self.name))
            log.error("delivery %s has an unreadable payload; marked failed", key, extra=_about(message))
            return
        if len(message) > 1 and first.bundle is None and not await self._bundle(message, key):
            return
        try:
            result = await adapter.send(first.target, reply, delivery_key=key, resend=first.attempts > 1)
        except DeliveryError as exc:
            if exc.permanent:
                reason = str(exc) or "permanent delivery error"
                await self._record(message, lambda ids: self.store.mark_failed(ids, reason, self._now(),
                                                                               owner=self.name))
                log.warning("delivery %s failed for good: %s", key, exc, extra=_about(message))
                await self.store.run(self._failed_for_good, first, reason)
                return
            await self._retry_later(message, f"DeliveryError: {exc}", exc.retry_after)
            return
        except Exception as exc:  # an adapter bug or a network surprise: retried, never dropped
            log.exception("sending %s raised", key, extra=_about(message))
            await self._retry_later(message, f"{type(exc).__name__}: {exc}", None)
            return
        await self._record(message, lambda ids: self.store.mark_delivered(
            ids, iso(self.clock.now()), result.external_id, result.note, owner=self.name))
        log.info("delivered %s", key, extra=_about(message))

    async def _bundle(self, message: list[Delivery], key: str) -> bool:
        """Records that these deliveries go out as one message, before it is sent: were this worker
        to die mid-send, the next would send them together again, under the same key."""
        ids = [d.id for d in message]
        try:
            held = await self.store.run(lambda: self.store.mark_bundled(ids, key, owner=self.name))
        except Exception:
            log.exception("recording bundle %s failed; it is tried again when its lease expires", key,
                          extra=_about(message))
            return False
        if held < len(ids):
            log.warning("bundle %s was taken over by another worker before it was sent", key, extra=_about(message))
            return False
        return True

    async def _record(self, message: list[Delivery], mark: Callable[[list[int]], int]) -> None:
        """Settles a message's deliveries in the store. When the store fails here they stay leased
        and are taken up again once the lease expires: never lost, and the other lanes go on."""
        ids = [d.id for d in message]
        try:
            changed = await self.store.run(mark, ids)
        except Exception:
            log.exception("recording delivery %s failed; it is tried again when its lease expires",
                          bundle_key(message), extra=_about(message))
            return
        finally:
            self._held.difference_update(ids)
        if changed < len(ids):
            log.warning("delivery %s was taken over by another worker (this one held it past its lease)",
                        bundle_key(message), extra=_about(message))

    def _bundle_reply(self, message: list[Delivery], adapter: Adapter):
        kind = self.kinds.get(message[0].kind)
        if kind is None or kind.bundle_reply is None:
            raise ValueError(f"deliveries of kind {message[0].kind!r} are not sent together")
        return kind.bundle_reply(message, adapter.syntax)

    def _failed_for_good(self, delivery: Delivery, reason: str) -> None:
        """What the delivery's kind does when one of its posts fails for good (on the store's thread)."""
        kind = self.kinds.get(delivery.kind)
        if kind is None or kind.failed_for_good is None:
            return
        try:
            kind.failed_for_good(self.store, delivery, reason)
        except Exception:
            log.exception("after delivery %s failed for good, its kind's follow-up failed", delivery.dedupe_key)

    def _now(self) -> str:
        return iso(self.clock.now())

    async def _retry_later(self, message: list[Delivery], error: str, retry_after: float | None) -> None:
        first = message[0]
        attempt = max(1, first.attempts)  # claiming already counted this attempt
        age = self.clock.now() - parse_iso(first.created) if first.created else timedelta(0)
        if attempt >= GIVE_UP_AFTER_ATTEMPTS or age >= GIVE_UP_AFTER:
            given_up = f"gave up after {attempt} attempts over {age.days} days; the last: {error}"
            await self._record(message, lambda ids: self.store.mark_failed(ids, given_up, self._now(),
                                                                           owner=self.name))
            log.warning("delivery %s failed for good: %s", bundle_key(message), given_up, extra=_about(message))
            return
        delay = self.retry_delay(first.dedupe_key, attempt, retry_after)
        retry_at = iso(_ceil_to_second(self.clock.now() + timedelta(seconds=delay)))
        await self._record(message, lambda ids: self.store.mark_retry(ids, error, retry_at, owner=self.name))
        log.warning("delivery %s attempt %d failed (%s); retrying at %s", bundle_key(message), attempt, error,
                    retry_at, extra=_about(message))

    def retry_delay(self, dedupe_key: str, attempt: int, retry_after: float | None) -> float:
        """Seconds before the next try: what the platform asked for, else exponential backoff with
        up to 10% jitter (fixed per delivery, so a platform outage does not end in a stampede),
        never more than max_backoff."""
        if retry_after is not None:
            return max(0.0, retry_after)
        backoff = min(self.max_backoff, self.base_backoff * 2 ** min(attempt - 1, 40))
        spread = int.from_bytes(hashlib.sha1(dedupe_key.encode()).digest()[:2], "big") / 65535
        return min(self.max_backoff, backoff * (1 + 0.1 * spread))


async def _unless_stopped(work: Awaitable[int], stop: asyncio.Event, grace: float) -> int:
    """`work`'s result; if `stop` comes first, `grace` seconds more, then `work` is cancelled (0)."""
    doing = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({doing, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if not doing.done():
            await asyncio.wait({doing}, timeout=grace)
    finally:
        stopped.cancel()
        if not doing.done():
            doing.cancel()
        await asyncio.gather(doing, stopped, return_exceptions=True)
    return 0 if doing.cancelled() else doing.result()


def _ceil_to_second(moment: datetime) -> datetime:
    # Stored times have second precision; rounding down would make a retry due before its time.
    if moment.microsecond:
        return moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment
