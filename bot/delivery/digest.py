"""The daily list a channel gets: what `/digest` shows and what the scheduler posts."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from paperboy.bot.delivery.fetch_log import fetch_record
from paperboy.bot.delivery.schedules import Period
from paperboy.bot.delivery.store import DailyListStore
from paperboy.bot.models import ChannelConfig, Paper
from paperboy.bot.replies import PaperList, Scored
from paperboy.bot.subscriptions.query import QueryError, parse
from paperboy.bot.syntax import SLASH, Syntax

log = logging.getLogger(__name__)

HF_SOURCE = "hf"
DEFAULT_TOP_N = 10
# A busy arXiv category announces a few hundred papers a day; this bounds one day's candidates
# (a month's: thirty times as many).
_ARXIV_DAY_LIMIT = 2000
_ARXIV_MONTH_LIMIT = 60_000
_EARLIEST = "0000-00-00"


@dataclass(frozen=True)
class Digest:
    reply: PaperList
    list_date: str  # the day the list is of (YYYY-MM-DD), which may be before the local date; a
    # weekly or monthly post's last day
    sources: str  # "hf" or the arXiv categories, e.g. "cs.LG,cs.CL"
    considered: int  # papers on that day's list before min_upvotes, filter and top_n


@dataclass(frozen=True)
class _Settings:
    sources: str
    top_n: int
    min_upvotes: int
    filter: str | None

    @classmethod
    def of(cls, channel: ChannelConfig | None) -> _Settings:
        if channel is None:
            return cls(HF_SOURCE, DEFAULT_TOP_N, 0, None)
        return cls(normalize_sources(channel.sources), max(1, channel.top_n), max(0, channel.min_upvotes),
                   channel.filter or None)

    @property
    def categories(self) -> list[str]:
        return [] if self.sources == HF_SOURCE else self.sources.split(",")


def normalize_sources(sources: str | None) -> str:
    """"hf" when Hugging Face is among the sources (it wins), else the arXiv categories joined by commas."""
    parts = [p.strip() for p in (sources or "").replace(" ", ",").split(",") if p.strip()]
    if not parts or any(p.lower() in (HF_SOURCE, "huggingface") for p in parts):
        return HF_SOURCE
    return ",".join(dict.fromkeys(parts))


def build_digest(store: DailyListStore, channel: ChannelConfig | None, local_date: str,
                 syntax: Syntax = SLASH) -> Digest | None:
    """The channel's list for its local date, or None when there is nothing to show.
    `channel=None` means the defaults: Hugging Face, top 10, no minimum. `syntax` is how the
    channel's platform types commands, for a note that names one."""
    return build_digest_explained(store, channel, local_date, syntax)[0]


def build_digest_explained(store: DailyListStore, channel: ChannelConfig | None, local_date: str,
                           syntax: Syntax = SLASH, period: Period | None = None) -> tuple[Digest | None, str]:
    """Like build_digest, plus a sentence saying what was found (why nothing, when None). A weekly
    or monthly `period` ranks every paper listed in it on its latest known upvotes."""
    settings = _Settings.of(channel)
    period = period or Period("day", local_date, local_date)
    where = f"arXiv {', '.join(settings.categories)}" if settings.categories else "Hugging Face Daily Papers"
    if period.every != "day":
        list_date, candidates = _period(store, settings, period)
        if list_date is None:
            return None, f"no {where} papers between {period.first} and {period.last}"
    elif settings.categories:
        list_date, candidates = _arxiv_day(store, settings.categories, period.last)
    else:
        list_date, candidates = _hf_day(store, period.last)
    if list_date is None:
        return None, f"no {where} list on or before {period.last}: {_why_missing(store, settings)}"
    ranked = sorted(candidates, key=_rank_key)
    kept = [s for s in ranked if (s.paper.upvotes or 0) >= settings.min_upvotes]
    accepts, filter_problem = _filter(settings.filter, syntax)
    if accepts is not None:
        kept = [s for s in kept if accepts(s.paper)]
    if not kept:
        return None, _why_empty(settings, where, list_date, len(candidates), accepts is not None)
    shown = kept[: settings.top_n]
    title = _title(settings, list_date) if period.every == "day" else _period_title(settings, period)
    note = _note(settings, where, len(shown), len(candidates), filter_problem, period, local_date)
    reply = PaperList(title=title, items=tuple(shown), note=note)
    digest = Digest(reply=reply, list_date=list_date, sources=settings.sources, considered=len(candidates))
    if period.every != "day":
        return digest, f"{len(shown)} of {len(candidates)} {where} papers of {period.first}..{period.last}"
    return digest, f"{len(shown)} of {len(candidates)} papers from the {where} list of {list_date}"


def _why_empty(settings: _Settings, where: str, list_date: str, considered: int, filtered: bool) -> str:
    if not considered:
        return f"the {where} list of {list_date} is empty"
    conditions = []
    if settings.min_upvotes:
        conditions.append(f"has at least {settings.min_upvotes} upvotes")
    if filtered:
        conditions.append(f"matches {settings.filter}")
    return f"none of the {considered} papers in the {where} list of {list_date} {' and '.join(conditions)}"


def _why_missing(store: DailyListStore, settings: _Settings) -> str:
    if not settings.categories:
        return fetch_record(store, HF_SOURCE).explain("Hugging Face")
    return "; ".join(fetch_record(store, f"arxiv:{c}").explain(f"arXiv {c}") for c in settings.categories)


def _hf_day(store: DailyListStore, local_date: str) -> tuple[str | None, list[Scored]]:
    list_date = store.latest_daily_date(HF_SOURCE, local_date)
    if list_date is None:
        return None, []
    scored = []
    for paper, list_upvotes in store.daily_list(list_date, HF_SOURCE):
        # Upvotes only grow: the newer of the list's and the paper's own count is the truer one.
        known = [v for v in (list_upvotes, paper.upvotes) if v is not None]
        upvotes = max(known) if known else None
        scored.append(Scored(paper.with_changes(upvotes=upvotes), float(upvotes or 0)))
    return list_date, scored


def _arxiv_day(store: DailyListStore, categories: list[str], local_date: str) -> tuple[str | None, list[Scored]]:
    newest = store.papers_in_categories(categories, _EARLIEST, local_date, limit=1)
    if not newest or not newest[0].published:
        return None, []
    list_date = newest[0].published
    papers = store.papers_in_categories(categories, list_date, list_date, limit=_ARXIV_DAY_LIMIT)
    return list_date, [Scored(p, float(p.upvotes or 0)) for p in papers]


def _period(store: DailyListStore, settings: _Settings, period: Period) -> tuple[str | None, list[Scored]]:
    """Every paper listed in the period once, with the highest upvotes known for it."""
    if settings.categories:
        papers = store.papers_in_categories(settings.categories, period.first, period.last, limit=_ARXIV_MONTH_LIMIT)
        return (period.last if papers else None), [Scored(p, float(p.upvotes or 0)) for p in papers]
    best: dict[str, Scored] = {}
    for paper, list_upvotes, _ in store.daily_lists_between(HF_SOURCE, period.first, period.last):
        seen = best.get(paper.key)
        known = [v for v in (list_upvotes, paper.upvotes, seen.paper.upvotes if seen else None) if v is not None]
        upvotes = max(known) if known else None
        best[paper.key] = Scored(paper.with_changes(upvotes=upvotes), float(upvotes or 0))
    return (period.last if best else None), list(best.values())


def _rank_key(item: Scored) -> tuple[float, str]:
    # Most upvoted first; among equals, the order of the arXiv announcement (ascending id).
    return (-item.score, item.paper.arxiv_id or item.paper.key)


def _filter(text: str | None, syntax: Syntax) -> tuple[Callable[[Paper], bool] | None, str | None]:
    """The channel's keyword filter as a predicate, or None with the reason it cannot apply."""
    if not text:
        return None, None
    try:
        query = parse(text)
    except QueryError as exc:
        # Validated when configured, so this is a stored filter the current grammar rejects:
        # post the list anyway and say so, rather than going silent every day.
        log.warning("channel filter %r no longer parses (%s): not applied", text, exc)
        return None, f"filter not applied ({exc}); fix it with {syntax.say('digest config filter=...')}"
    return query.matches, None


def _title(settings: _Settings, list_date: str) -> str:
    day = date.fromisoformat(list_date)
    when = f"{day:%a} {day.day} {day:%b %Y}"
    if settings.categories:
        return f"New in {', '.join(settings.categories)} — {when}"
    return f"Trending papers — {when}"


def _period_title(settings: _Settings, period: Period) -> str:
    first, last = date.fromisoformat(period.first), date.fromisoformat(period.last)
    what = f"in {', '.join(settings.categories)}" if settings.categories else "papers"
    if period.every == "month":
        return f"Top {what} of {first:%B %Y}"
    span = f"{first.day} {first:%b}" if first.year == last.year else f"{first.day} {first:%b %Y}"
    return f"Top {what} of the week — {span} to {last.day} {last:%b %Y}"


def _note(settings: _Settings, where: str, shown: int, considered: int, filter_problem: str | None,
          period: Period, local_date: str) -> str:
    ranking = "by upvotes" if not settings.categories else "most upvoted first"
    if period.every != "day":
        ranking = "by their latest upvotes"
    elif period.last < local_date:
        ranking = "on the upvotes gathered since"
    parts = [f"Top {shown} of {considered} from {where}, {ranking}"]
    if settings.min_upvotes:
        parts.append(f"at least {settings.min_upvotes} upvotes")
    if settings.filter and filter_problem is None:
        parts.append(f"filter: {settings.filter}")
    if filter_problem:
        parts.append(filter_problem)
    return " · ".join(parts)
