"""What happens around an ingest: new papers become searchable and reach their subscribers."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from paperboy.bot.clock import Clock, iso, wait_or_stop
from paperboy.bot.delivery.ingest import ingest_arxiv, ingest_hf
from paperboy.bot.models import Paper
from paperboy.bot.sources import Sources
from paperboy.bot.store import Store
from paperboy.bot.subscriptions.alerts import alert_rows, enqueue_alerts
from paperboy.bot.subscriptions.index import SubscriptionIndex

log = logging.getLogger(__name__)


class Refreshable(Protocol):
    """What must see new papers as soon as they are stored (the matcher's title index)."""

    def refresh(self) -> int: ...


def _refreshed_with_new_papers(store: Store, new_keys: Iterable[str], matcher: Refreshable | None) -> list[Paper]:
    """Makes the matcher see what the ingest stored, and returns the new papers themselves."""
    if matcher is not None:
        matcher.refresh()
    keys = list(dict.fromkeys(new_keys))
    return list(store.get_papers(keys).values()) if keys else []


def after_ingest(store: Store, new_keys: Iterable[str], now: datetime, matcher: Refreshable | None = None) -> int:
    """Refreshes the matcher's indexes and enqueues one alert per (subscription, new paper) match."""
    papers = _refreshed_with_new_papers(store, new_keys, matcher)
    return enqueue_alerts(store, papers, now) if papers else 0


async def alert_off_loop(store: Store, new_keys: Iterable[str], now: datetime,
                         matcher: Refreshable | None = None) -> int:
    """after_ingest for a running bot: the store is read and written on the event loop, while
    the CPU-heavy part (indexing every subscription, matching) runs in a worker thread."""
    papers = _refreshed_with_new_papers(store, new_keys, matcher)
    if not papers:
        return 0
    subscriptions = store.all_subscriptions()

    def match() -> list:
        return alert_rows(SubscriptionIndex.build(subscriptions), papers)

    return store.enqueue_deliveries(await asyncio.to_thread(match), iso(now))


async def ingest_once(store: Store, sources: Sources, now: datetime, matcher: Refreshable | None = None,
                      hf_days: int = 2, arxiv_days: int = 2) -> dict[str, Any]:
    """Today's and yesterday's Hugging Face lists plus the arXiv categories channels asked for.
    A source that fails is logged and skipped; the others still run."""
    new: list[str] = []
    failures: list[str] = []
    for back in range(hf_days):
        day = (now - timedelta(days=back)).date().isoformat()
        try:
            report = await ingest_hf(store, sources, day, now)
            new.extend(report.new_keys)
        except Exception as exc:  # one source down must not stop the rest
            failures.append(f"hf {day}: {exc}")
    categories = sorted({c for ch in store.enabled_channels() if ch.sources != "hf" for c in ch.sources.split(",")})
    for category in categories:
        try:
            report = await ingest_arxiv(store, sources, category, arxiv_days, now)
            new.extend(report.new_keys)
        except Exception as exc:
            failures.append(f"arxiv {category}: {exc}")
    for failure in failures:
        log.warning("ingest failed: %s", failure)
    alerts = await alert_off_loop(store, new, now, matcher)
    return {"new": len(set(new)), "alerts": alerts, "failures": failures}


async def ingest_forever(store: Store, sources: Sources, clock: Clock, stop: asyncio.Event,
                         matcher: Refreshable | None = None, interval: float = 1800) -> None:
    while not stop.is_set():
        try:
            summary = await ingest_once(store, sources, clock.now(), matcher)
            log.info("ingest: %(new)s new papers, %(alerts)s alerts queued", summary)
        except Exception:
            log.exception("ingest round failed")
        await wait_or_stop(stop, clock, interval)
