"""What happens around an ingest: new papers become searchable and reach their subscribers.

Papers an ingest stores are news, kept unmatched until they have been matched against every
subscription; their alerts are enqueued in the same transaction that marks them matched
(PipelineStore.record_matches). Whatever stops the process, storing and alerting resume where they were:
the next round, the next `paperboy ingest` or the next start matches what is still unmatched.
"""
from __future__ import annotations

import asyncio
import logging
import math
from datetime import datetime, timedelta
from typing import Any, Protocol

from paperboy.bot.clock import Clock, duration_words, iso, wait_or_stop
from paperboy.bot.delivery.fetch_log import NotFetched, not_fetched
from paperboy.bot.delivery.harvest import HarvestStore, harvest_due_sets
from paperboy.bot.delivery.ingest import IngestStore, ingest_arxiv, ingest_hf
from paperboy.bot.delivery.store import NewsStore
from paperboy.bot.sources import Sources, SourceUnreachable
from paperboy.bot.subscriptions.alerts import alert_rows
from paperboy.bot.subscriptions.index import SubscriptionIndex


class PipelineStore(IngestStore, HarvestStore, NewsStore, Protocol):
    """What an ingest round uses: everything an ingest and a harvest use, and the news it matches."""


log = logging.getLogger(__name__)

MATCH_BATCH = 2000  # papers matched per transaction
FIRST_HF_DAYS = 7  # a bot's first ingest fetches this many days: a new install starts with a week of papers
HF_DAYS = 2  # later ingests: today and yesterday (a list keeps changing into the next day)
# Upvotes go on rising for days: once a day the lists of the week before are fetched again, so
# weekly tops and lagged lists rank on current counts.
REFRESH_DAYS = 7
REFRESHED_STATE = "ingest.hf_upvotes_refreshed"  # the UTC date of the last full refresh


class Refreshable(Protocol):
    """What must see new papers as soon as they are stored (the matcher's title index)."""

    def refresh(self) -> int: ...


def match_news(store: PipelineStore, now: datetime, matcher: Refreshable | None = None) -> int:
    """Refreshes the matcher's indexes and enqueues one alert per (subscription, unmatched paper)
    match; returns how many alerts were added."""
    if matcher is not None:
        matcher.refresh()
    papers = store.unmatched_papers(MATCH_BATCH)
    if not papers:
        return 0
    index, added = SubscriptionIndex.build(store.all_subscriptions()), 0
    while papers:
        added += store.record_matches([p.key for p in papers], alert_rows(index, papers), iso(now))
        papers = store.unmatched_papers(MATCH_BATCH)
    return added


async def match_news_off_loop(store: PipelineStore, now: datetime, matcher: Refreshable | None = None) -> int:
    """match_news for a running bot, off the event loop."""
    if matcher is not None:
        await store.run(matcher.refresh)
    papers = await store.run(store.unmatched_papers, MATCH_BATCH)
    if not papers:
        return 0
    subscriptions = await store.run(store.all_subscriptions)
    # Matching is CPU work, done on a thread of its own: the store's thread stays free for lookups.
    index, added = await asyncio.to_thread(SubscriptionIndex.build, subscriptions), 0
    while papers:
        rows = await asyncio.to_thread(alert_rows, index, papers)
        added += await store.run(store.record_matches, [p.key for p in papers], rows, iso(now))
        papers = await store.run(store.unmatched_papers, MATCH_BATCH)
    return added


async def ingest_once(store: PipelineStore, sources: Sources, now: datetime, matcher: Refreshable | None = None,
                      hf_days: int = HF_DAYS, arxiv_days: int = 2, next_round: float | None = None) -> dict[str, Any]:
    """Today's and yesterday's Hugging Face lists (once a day the last REFRESH_DAYS days', for their
    upvotes), the arXiv categories channels asked for, and,
    once a day after arXiv's announcement, an OAI-PMH harvest of the sets holding every category a
    channel or a subscription (cat:) uses. A source that fails is logged and skipped; the others
    still run. A source that cannot be reached at all (no network) is not asked for the rest of the
    round, and the round says so in one line, with when the next (`next_round` seconds) asks again."""
    new: list[str] = []
    failures: list[str] = []
    left: list[NotFetched] = []  # sources that could not be reached
    today = now.date().isoformat()
    refresh = await store.run(store.get_state, REFRESHED_STATE) != today
    days = max(hf_days, REFRESH_DAYS) if refresh else hf_days
    for back in range(days):
        day = (now - timedelta(days=back)).date().isoformat()
        try:
            report = await ingest_hf(store, sources, day, now)
            new.extend(report.new_keys)
        except SourceUnreachable as exc:  # the days after it would only fail the same way
            left.append(not_fetched("Hugging Face", f"hf {day}", exc, days - back, "day", "days"))
            break
        except Exception as exc:  # one source down must not stop the rest
            failures.append(f"hf {day}: {exc}")
    hf_failed = any(f.startswith("hf ") for f in failures) or any(n.source == "Hugging Face" for n in left)
    if refresh and not hf_failed:
        await store.run(store.set_state, REFRESHED_STATE, today)
    channels = await store.run(store.enabled_channels)
    categories = sorted({c for ch in channels if ch.sources != "hf" for c in ch.sources.split(",")})
    for done, category in enumerate(categories):
        try:
            report = await ingest_arxiv(store, sources, category, arxiv_days, now)
            new.extend(report.new_keys)
        except SourceUnreachable as exc:
            left.append(not_fetched("arXiv", f"arxiv {category}", exc, len(categories) - done, "category",
                                    "categories"))
            break
        except Exception as exc:
            failures.append(f"arxiv {category}: {exc}")
    harvested, harvest_failures, harvest_left = await harvest_due_sets(store, sources, now)
    new.extend(harvested)
    failures.extend(harvest_failures)
    left.extend([harvest_left] if harvest_left is not None else [])
    for failure in failures:
        log.warning("ingest failed: %s", failure)
    for unreached in left:  # the details: the line after this tells them all
        log.info("ingest failed: %s", unreached.failure)
    if left:
        log.warning("%s", unreached_line(left, next_round))
    alerts = await match_news_off_loop(store, now, matcher)
    return {"new": len(set(new)), "alerts": alerts, "failures": failures + [n.failure for n in left]}


def unreached_line(left: list[NotFetched], next_round: float | None = None) -> str:
    """One line for the sources a round could not reach: "Hugging Face unreachable (no network);
    7 days not fetched; retrying in 30 min". The next round asks again once a source's rest is over."""
    line = (f"{_listed([n.source for n in left])} unreachable ({', '.join(dict.fromkeys(n.reason for n in left))}); "
            f"{_listed([n.left for n in left])} not fetched")
    if next_round is None or next_round <= 0:
        return line
    rounds = [max(1, math.ceil((n.retry_in or 0) / next_round - 1e-9)) for n in left]
    return f"{line}; retrying in {duration_words(min(rounds) * next_round)}"


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


async def ingest_forever(store: PipelineStore, sources: Sources, clock: Clock, stop: asyncio.Event,
                         matcher: Refreshable | None = None, interval: float = 1800) -> None:
    hf_days = FIRST_HF_DAYS
    while not stop.is_set():
        try:
            summary = await ingest_once(store, sources, clock.now(), matcher, hf_days=hf_days, next_round=interval)
            hf_days = HF_DAYS
            log.info("ingest: %(new)s new papers, %(alerts)s alerts queued", summary)
        except Exception:
            log.exception("ingest round failed")
        await wait_or_stop(stop, clock, interval)
