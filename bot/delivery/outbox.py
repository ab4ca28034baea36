"""Sends what the deliveries table holds: every post, retried until it is sent or is impossible.

A delivery is claimed (status 'sending') before the adapter is called and marked sent after, so a
crash in between leaves it 'sending'; recover() puts those back, and they go out again with the
same delivery key, which a platform that supports idempotency keys uses to drop the repeat.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta

from paperboy.bot.adapter import Adapter, DeliveryError
from paperboy.bot.clock import Clock, iso, wait_or_stop
from paperboy.bot.models import Delivery
from paperboy.bot.serialize import reply_from_dict
from paperboy.bot.store import Store
from paperboy.bot.subscriptions.bundles import bundle_key, bundle_lane, bundle_reply

log = logging.getLogger(__name__)

CLAIM_BATCH = 50


class DeliveryWorker:
    def __init__(self, store: Store, adapters: Mapping[str, Adapter], clock: Clock, *, concurrency: int = 4,
                 base_backoff: float = 5, max_backoff: float = 3600):
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.store = store
        self.adapters = dict(adapters)
        self.clock = clock
        self.concurrency = concurrency
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff

    def recover(self) -> int:
        """Call once at startup, before run(): deliveries a crash left 'sending' become due again."""
        count = self.store.requeue_interrupted(iso(self.clock.now()), platforms=list(self.adapters))
        if count:
            log.warning("%d deliveries were interrupted while sending; they will be sent again", count)
        return count

    async def run(self, stop: asyncio.Event, interval: float = 2) -> None:
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception:
                log.exception("delivery round failed")
                handled = 0
            if handled < CLAIM_BATCH:  # a full batch means more are waiting: go again at once
                await wait_or_stop(stop, self.clock, interval)

    async def run_once(self) -> int:
        """Claims the deliveries due now for platforms with an adapter and tries each once.
        Returns how many were tried (sent, failed or put back for a retry)."""
        claimed = self.store.claim_due_deliveries(iso(self.clock.now()), self.adapters.keys(), limit=CLAIM_BATCH)
        if not claimed:
            return 0
        # One lane per destination keeps a channel's posts in order; lanes run side by side,
        # at most `concurrency` sends at a time per platform, every platform independently.
        lanes: dict[tuple, list[Delivery]] = defaultdict(list)
        for delivery in claimed:
            t = delivery.target
            lanes[(t.platform, t.workspace, t.channel, t.user)].append(delivery)
        limits = {platform: asyncio.Semaphore(self.concurrency) for platform in self.adapters}
        async with asyncio.TaskGroup() as group:
            for (platform, *_), lane in lanes.items():
                group.create_task(self._send_lane(lane, limits[platform]))
        return len(claimed)

    async def _send_lane(self, lane: list[Delivery], limit: asyncio.Semaphore) -> None:
        for message in bundle_lane(lane):
            async with limit:
                await self._send(message)

    async def _send(self, message: list[Delivery]) -> None:
        """Sends one message: a delivery, or several alerts bundled (paperboy.bot.subscriptions.bundles), which
        then share their fate: sent, retried or failed together."""
        first = message[0]
        ids = [d.id for d in message]
        key = bundle_key(message)
        adapter = self.adapters[first.target.platform]
        try:
            reply = reply_from_dict(first.payload) if len(message) == 1 else bundle_reply(message, adapter.syntax)
        except Exception as exc:  # a payload that cannot be read now never will be
            if len(message) > 1:  # one bad alert must not sink the others: they go alone
                for delivery in message:
                    await self._send([delivery])
                return
            self.store.mark_failed(ids, f"unreadable payload: {type(exc).__name__}: {exc}")
            log.error("delivery %s has an unreadable payload; marked failed", key)
            return
        try:
            result = await adapter.send(first.target, reply, delivery_key=key)
        except DeliveryError as exc:
            if exc.permanent:
                self.store.mark_failed(ids, str(exc) or "permanent delivery error")
                log.warning("delivery %s failed for good: %s", key, exc)
                return
            self._retry_later(message, f"DeliveryError: {exc}", exc.retry_after)
            return
        except Exception as exc:  # an adapter bug or a network surprise: retried, never dropped
            log.exception("sending %s raised", key)
            self._retry_later(message, f"{type(exc).__name__}: {exc}", None)
            return
        self.store.mark_delivered(ids, iso(self.clock.now()), result.external_id, result.note)

    def _retry_later(self, message: list[Delivery], error: str, retry_after: float | None) -> None:
        first = message[0]
        attempt = max(1, first.attempts)  # claiming already counted this attempt
        delay = self.retry_delay(first.dedupe_key, attempt, retry_after)
        retry_at = _ceil_to_second(self.clock.now() + timedelta(seconds=delay))
        self.store.mark_retry([d.id for d in message], error, iso(retry_at))
        log.warning("delivery %s attempt %d failed (%s); retrying at %s", bundle_key(message), attempt, error,
                    iso(retry_at))

    def retry_delay(self, dedupe_key: str, attempt: int, retry_after: float | None) -> float:
        """Seconds before the next try: what the platform asked for, else exponential backoff with
        up to 10% jitter (fixed per delivery, so a platform outage does not end in a stampede),
        never more than max_backoff."""
        if retry_after is not None:
            return max(0.0, retry_after)
        backoff = min(self.max_backoff, self.base_backoff * 2 ** min(attempt - 1, 40))
        spread = int.from_bytes(hashlib.sha1(dedupe_key.encode()).digest()[:2], "big") / 65535
        return min(self.max_backoff, backoff * (1 + 0.1 * spread))


def _ceil_to_second(moment: datetime) -> datetime:
    # Stored times have second precision; rounding down would make a retry due before its time.
    if moment.microsecond:
        return moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment
