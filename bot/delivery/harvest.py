"""Harvesting arXiv's OAI-PMH sets: every new and changed paper of a field, page by page, resumable.

Each set keeps its place in the store's state ("harvest:<set>"): the range being harvested, the
resumption token of the next page and the latest datestamp stored. A harvest cut off (a crash, a
stop, the source failing) starts where it stopped the next time: with the token while it is valid,
else from the latest datestamp. A finished harvest records the last day it covered; the next one
starts from that day again, since records keep arriving through it.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from paperboy.bot.clock import iso, parse_iso
from paperboy.bot.delivery.fetch_log import NotFetched, not_fetched, record_fetch
from paperboy.bot.delivery.store import ChannelStore
from paperboy.bot.sources import ExpiredToken, OaiPage, Sources, SourceUnreachable
from paperboy.bot.sources.oai import set_of
from paperboy.bot.store import PaperStore, StateStore
from paperboy.bot.subscriptions.query import QueryError, parse
from paperboy.bot.subscriptions.store import SubscriptionStore


class HarvestStore(PaperStore, StateStore, ChannelStore, SubscriptionStore, Protocol):
    """What a harvest uses: it stores papers, keeps its progress in state, and harvests the sets
    the channels and subscriptions ask for."""


log = logging.getLogger(__name__)

MAX_PAGES = 10_000  # a guard against a server that hands out tokens forever
NEWS_DAYS = 3  # a harvested paper first submitted this close to the harvest is news; older ones
# (a new version of a 2015 paper) are stored as catalogue and raise no alerts


@dataclass(frozen=True)
class HarvestState:
    set_spec: str
    since: str | None = None  # the range of the harvest under way, or of the last one
    until: str | None = None
    token: str | None = None  # the next page's resumption token while a harvest is under way
    last_datestamp: str | None = None  # the latest datestamp stored by the harvest under way
    finished: bool = True
    last_success: str | None = None  # when a harvest last finished
    harvested_until: str | None = None  # the last day a finished harvest covered


@dataclass(frozen=True)
class HarvestReport:
    set_spec: str
    since: str
    until: str
    pages: int
    papers: int
    new_keys: tuple[str, ...]
    withdrawn: int
    resumed: bool


def _name(set_spec: str) -> str:
    return f"harvest:{set_spec}"


def harvest_state(store: HarvestStore, set_spec: str) -> HarvestState:
    text = store.get_state(_name(set_spec))
    if not text:
        return HarvestState(set_spec)
    data = json.loads(text)
    return HarvestState(set_spec, **{k: v for k, v in data.items() if k in HarvestState.__dataclass_fields__
                                     and k != "set_spec"})


def harvest_states(store: HarvestStore) -> list[HarvestState]:
    """Every set harvested on this database, by name."""
    names = sorted(store.states_with_prefix("harvest:"))
    return [harvest_state(store, name.removeprefix("harvest:")) for name in names]


def _save(store: HarvestStore, state: HarvestState) -> None:
    store.set_state(_name(state.set_spec), json.dumps({k: v for k, v in state.__dict__.items() if k != "set_spec"}))


def default_range(state: HarvestState, now: datetime) -> tuple[str, str]:
    """From the last day a harvest covered (or yesterday, the first time) to today, UTC."""
    today = now.date()
    since = state.harvested_until or (today - timedelta(days=1)).isoformat()
    return since, today.isoformat()


async def harvest_set(store: HarvestStore, sources: Sources, set_spec: str, now: datetime, *,
                      since: str | None = None, until: str | None = None) -> HarvestReport:
    """Harvests one set over [since, until] (default: default_range), resuming a harvest of the same
    range that was cut off. New papers are stored as news (subscriptions see them), deleted records
    mark their papers withdrawn. SourceError when the source fails; what was stored stays, and the
    next call goes on from there."""
    state = await store.run(harvest_state, store, set_spec)
    default_since, default_until = default_range(state, now)
    since, until = since or default_since, until or default_until
    resumed = not state.finished and state.since == since and state.until == until
    token = state.token if resumed else None
    start = (state.last_datestamp or since) if resumed and not token else since
    state = HarvestState(set_spec, since, until, token, state.last_datestamp if resumed else None, False,
                         state.last_success, state.harvested_until)
    await store.run(_save, store, state)
    pages = papers = withdrawn = 0
    new_keys: list[str] = []
    try:
        while pages < MAX_PAGES:
            try:
                page = await sources.oai_page(set_spec, start, until, state.token)
            except ExpiredToken:
                log.warning("harvest %s: the resumption token expired; going on from %s", set_spec,
                            state.last_datestamp or since)
                start, state = state.last_datestamp or since, _with(state, token=None)
                continue
            pages += 1
            stored, marked = await store.run(_store_page, store, page, now, since)
            new_keys += stored
            papers += len(page.papers)
            withdrawn += marked
            state = _with(state, token=page.token,
                          last_datestamp=max(filter(None, (state.last_datestamp, page.last_datestamp)), default=None))
            await store.run(_save, store, state)
            if not page.token:
                break
    except Exception as exc:
        await store.run(record_fetch, store, f"oai:{set_spec}", now, exc)
        raise
    state = _with(state, token=None, finished=True, last_success=iso(now), harvested_until=until)
    await store.run(_save, store, state)
    await store.run(record_fetch, store, f"oai:{set_spec}", now)
    return HarvestReport(set_spec, since, until, pages, papers, tuple(dict.fromkeys(new_keys)), withdrawn, resumed)


def _with(state: HarvestState, **changes) -> HarvestState:
    return HarvestState(**{**state.__dict__, **changes})


def _store_page(store: HarvestStore, page: OaiPage, now: datetime, since: str) -> tuple[tuple[str, ...], int]:
    fresh_from = (date.fromisoformat(since) - timedelta(days=NEWS_DAYS)).isoformat()
    news = [p for p in page.papers if (p.published or "") >= fresh_from]
    catalogue = [p for p in page.papers if (p.published or "") < fresh_from]
    new_keys: list[str] = []
    for papers, is_news in ((news, True), (catalogue, False)):
        if papers:
            new_keys += store.upsert_papers(papers, iso(now), news=is_news).new_keys
    marked = store.mark_withdrawn(page.deleted) if page.deleted else 0
    return tuple(new_keys), marked


ANNOUNCED_AT = time(20, 0)  # arXiv's new listings go out at 20:00 US Eastern time
ANNOUNCE_ZONE = ZoneInfo("America/New_York")
HARVEST_DELAY = timedelta(hours=2)  # then OAI-PMH has them


def last_harvest_moment(now: datetime) -> datetime:
    """The latest moment, at or before `now`, at which a day's announcement is in OAI-PMH."""
    local = now.astimezone(ANNOUNCE_ZONE)
    moment = datetime.combine(local.date(), ANNOUNCED_AT, ANNOUNCE_ZONE) + HARVEST_DELAY
    if moment > local:
        moment -= timedelta(days=1)
    return moment


def harvest_due(state: HarvestState, now: datetime) -> bool:
    """Whether a set has not been harvested since the latest announcement became harvestable (or
    a harvest of it was cut off)."""
    if not state.finished or state.last_success is None:
        return True
    return parse_iso(state.last_success) < last_harvest_moment(now)


def wanted_sets(store: HarvestStore) -> list[str]:
    """The sets holding every arXiv category a channel's daily post or a subscription (cat:) uses."""
    categories: set[str] = set()
    for channel in store.enabled_channels():
        if channel.sources != "hf":
            categories.update(c for c in channel.sources.split(",") if c)
    for subscription in store.all_subscriptions():
        try:
            categories |= parse(subscription.query).categories()
        except QueryError:
            continue
    return sorted({found for found in map(set_of, categories) if found})


async def harvest_due_sets(store: HarvestStore, sources: Sources,
                           now: datetime) -> tuple[list[str], list[str], NotFetched | None]:
    """Harvests every wanted set that is due; returns the new papers' keys, the failures, and, when
    arXiv's OAI-PMH could not be reached, that failure and what it left undone (the sets after it
    are not tried). A set that fails is tried again at the next round and resumes where it stopped."""
    new: list[str] = []
    failures: list[str] = []
    due = []
    for set_spec in await store.run(wanted_sets, store):
        if harvest_due(await store.run(harvest_state, store, set_spec), now):
            due.append(set_spec)
    for done, set_spec in enumerate(due):
        try:
            report = await harvest_set(store, sources, set_spec, now)
            new.extend(report.new_keys)
            log.info("harvest %s %s..%s: %d papers, %d new", set_spec, report.since, report.until, report.papers,
                     len(report.new_keys))
        except SourceUnreachable as exc:  # the sets after it would only fail the same way
            return new, failures, not_fetched("arXiv OAI-PMH", f"oai {set_spec}", exc, len(due) - done, "set", "sets")
        except Exception as exc:  # one set failing must not stop the others
            failures.append(f"oai {set_spec}: {exc}")
    return new, failures, None
