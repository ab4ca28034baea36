"""The arXiv API (Atom over HTTP), asked politely: one request at a time, spaced out, process-wide."""
from __future__ import annotations

import asyncio
import contextlib
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from paperboy.bot.clock import Clock, SystemClock
from paperboy.bot.models import Paper
from paperboy.bot.sources.http import Reachability, RetryPolicy, SourceError, fetch
from paperboy.bot.sources.records import BadRecord, Skipped, arxiv_id_of, codes, day_of, names, tidy, title_of
from paperboy.bot.sources.xml import text_of, xml_root

SOURCE = "arxiv"
_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
_CATEGORY = re.compile(r"[a-z][a-z\-]*(?:\.[A-Za-z][A-Za-z\-]*)?")
_WORD = re.compile(r"\w+")
PAGE_SIZE = 100
MAX_IDS_PER_REQUEST = 100
MAX_TITLE_WORDS = 12


class ArxivGate:
    """arXiv asks for at most one request every 3 seconds over a single connection. One gate per
    process, handed to every ArxivSource, makes that hold however many sources and tasks there are;
    with `reserve` (the store's shared pacing), it holds across every process on one database too:
    each request starts at a moment reserved for it, min_interval after the one reserved before."""

    def __init__(self, min_interval: float = 3.0, *, clock: Clock | None = None,
                 reserve: Callable[[float, float], Awaitable[float]] | None = None):
        self.min_interval = min_interval
        self.clock = clock or SystemClock()
        self._reserve = reserve  # (now, interval) -> the epoch second this request may start
        self._lock = asyncio.Lock()
        self._last_done: datetime | None = None

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Held for the whole request; entered no sooner than min_interval after the last one ended."""
        async with self._lock:
            if self._last_done is not None:
                wait = self.min_interval - (self.clock.now() - self._last_done).total_seconds()
                if wait > 0:
                    await self.clock.sleep(wait)
            if self._reserve is not None:
                slot = await self._reserve(self.clock.now().timestamp(), self.min_interval)
                wait = slot - self.clock.now().timestamp()
                if wait > 0:
                    await self.clock.sleep(wait)
            try:
                yield
            finally:
                self._last_done = self.clock.now()


@dataclass(frozen=True)
class ArxivEntry:
    paper: Paper
    updated: str | None  # YYYY-MM-DD of the latest version: what sortBy=submittedDate orders by


@dataclass(frozen=True)
class ArxivPage:
    entries: tuple[ArxivEntry, ...]
    total_results: int | None
    start_index: int | None
    skipped: tuple[Skipped, ...] = ()

    @property
    def papers(self) -> list[Paper]:
        return [e.paper for e in self.entries]


def _int(element: ET.Element | None) -> int | None:
    try:
        return int((text_of(element) or "").strip())
    except ValueError:
        return None


def parse_feed(content: bytes) -> ArxivPage:
    """An arXiv API Atom feed as papers. arXiv's error entry becomes a SourceError with its message."""
    root = xml_root(content, f"{_ATOM}feed", format="Atom XML", answer="an Atom feed", source=SOURCE)
    entries: list[ArxivEntry] = []
    skipped: list[Skipped] = []
    for position, entry in enumerate(root.iter(f"{_ATOM}entry"), 1):
        _raise_if_error(entry)
        try:
            entries.append(_entry(entry))
        except BadRecord as exc:
            skipped.append(Skipped(position, str(exc)))
    return ArxivPage(tuple(entries), _int(root.find(f"{_OPENSEARCH}totalResults")),
                     _int(root.find(f"{_OPENSEARCH}startIndex")), tuple(skipped))


def _raise_if_error(entry: ET.Element) -> None:
    entry_id = text_of(entry.find(f"{_ATOM}id")) or ""
    if "/api/errors" in entry_id or (tidy(text_of(entry.find(f"{_ATOM}title"))) == "Error"
                                     and "/abs/" not in entry_id):
        message = tidy(text_of(entry.find(f"{_ATOM}summary"))) or "unknown error"
        raise SourceError(f"arXiv says: {message}", source=SOURCE)


def _entry(entry: ET.Element) -> ArxivEntry:
    raw_id = (text_of(entry.find(f"{_ATOM}id")) or "").strip()
    tail = raw_id.split("/abs/", 1)[1] if "/abs/" in raw_id else raw_id
    arxiv_id = arxiv_id_of(tail)
    if arxiv_id is None:
        raise BadRecord(f"not an arXiv id: {raw_id[:60]!r}")
    primary = entry.find(f"{_ARXIV}primary_category")
    categories = [primary.get("term")] if primary is not None else []
    categories += [c.get("term") for c in entry.findall(f"{_ATOM}category")]
    authors = [text_of(a.find(f"{_ATOM}name")) for a in entry.findall(f"{_ATOM}author")]
    paper = Paper(
        key=arxiv_id,
        arxiv_id=arxiv_id,
        title=title_of(text_of(entry.find(f"{_ATOM}title"))),
        abstract=tidy(text_of(entry.find(f"{_ATOM}summary"))),
        authors=names(authors),
        published=day_of(text_of(entry.find(f"{_ATOM}published"))),
        categories=codes(categories),
        source=SOURCE,
    )
    return ArxivEntry(paper, day_of(text_of(entry.find(f"{_ATOM}updated"))))


def title_query(text: str) -> str:
    """search_query for titles containing every word of `text`. Each word is quoted and only word
    characters survive, so quotes, colons, brackets and AND/OR/ANDNOT in user text stay plain words."""
    words = _WORD.findall(text.replace("_", " "))[:MAX_TITLE_WORDS]
    return " AND ".join(f'ti:"{w}"' for w in words)


# arXiv asks for 3 s between requests; a retry waits at least that long too.
ARXIV_POLICY = RetryPolicy(base_delay=3.0, max_delay=30.0)


class ArxivSource:
    def __init__(self, client: httpx.AsyncClient, base_url: str = "https://export.arxiv.org", *,
                 min_interval: float = 3.0, clock: Clock | None = None, gate: ArxivGate | None = None,
                 policy: RetryPolicy = ARXIV_POLICY, reach: Reachability | None = None):
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.gate = gate or ArxivGate(min_interval, clock=clock)
        self.policy = policy
        self.reach = reach

    async def query(self, params: dict[str, str | int]) -> ArxivPage:
        fetched = await fetch(self.client, self.base_url + "/api/query", params=params, accept=(400,),
                              source=SOURCE, policy=self.policy, sleep=self.gate.clock.sleep, pace=self.gate.slot,
                              reach=self.reach)
        try:
            page = parse_feed(fetched.content)  # a 400 carries arXiv's error entry, raised here
        except SourceError as exc:
            raise SourceError(exc.message, status=fetched.status, source=SOURCE) from None
        if fetched.status != 200:
            raise SourceError("the request was refused", status=fetched.status, source=SOURCE)
        return page

    async def by_ids(self, ids: list[str]) -> list[Paper]:
        """Papers by arXiv id, in the order asked; ids arXiv does not know are left out."""
        wanted = list(dict.fromkeys(i for i in (arxiv_id_of(x) for x in ids) if i))
        found: dict[str, Paper] = {}
        for start in range(0, len(wanted), MAX_IDS_PER_REQUEST):
            chunk = wanted[start:start + MAX_IDS_PER_REQUEST]
            page = await self.query({"id_list": ",".join(chunk), "max_results": len(chunk)})
            found.update((p.key, p) for p in page.papers)
        return [found[i] for i in wanted if i in found]

    async def category_page(self, cat: str, start: int = 0, max_results: int = PAGE_SIZE) -> ArxivPage:
        if not _CATEGORY.fullmatch(cat or ""):
            raise ValueError(f"not an arXiv category: {cat!r}")
        return await self.query({
            "search_query": f"cat:{cat}", "start": max(0, start), "max_results": max(1, min(max_results, 2000)),
            "sortBy": "submittedDate", "sortOrder": "descending",
        })

    async def category(self, cat: str, start: int = 0, max_results: int = PAGE_SIZE) -> list[Paper]:
        """Newest submissions of a category (e.g. cs.LG), newest first."""
        return (await self.category_page(cat, start, max_results)).papers

    async def recent(self, cat: str, days: int, now: datetime, *, page_size: int = PAGE_SIZE,
                     max_pages: int = 30) -> list[Paper]:
        """Papers of a category first published on or after the UTC date `days` days before `now`.
        Pages through the newest-first listing until a whole page is older than that."""
        since = (now - timedelta(days=max(0, days))).date().isoformat()
        found: dict[str, Paper] = {}
        start = 0
        for _ in range(max_pages):
            page = await self.category_page(cat, start, page_size)
            fresh = [e for e in page.entries if (e.paper.published or "") >= since]
            for entry in fresh:
                found.setdefault(entry.paper.key, entry.paper)
            start += len(page.entries) + len(page.skipped)
            listed_recently = any(max(e.updated or "", e.paper.published or "") >= since for e in page.entries)
            if not page.entries or not listed_recently:
                break
            if page.total_results is not None and start >= page.total_results:
                break
        return list(found.values())

    async def search_title(self, query: str, limit: int = 10) -> list[Paper]:
        """arXiv's search over titles for every word of `query`, most relevant first."""
        search = title_query(query)
        if not search or limit <= 0:
            return []
        page = await self.query({"search_query": search, "start": 0, "max_results": min(limit, 50),
                                 "sortBy": "relevance", "sortOrder": "descending"})
        return page.papers[:limit]
