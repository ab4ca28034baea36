"""Hugging Face papers: the Daily Papers list, single papers and paper search."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from paperboy.bot.models import Paper
from paperboy.bot.sources.http import DEFAULT_POLICY, Reachability, RetryPolicy, Sleep, SourceError, fetch
from paperboy.bot.sources.records import (
    BadRecord,
    Skipped,
    arxiv_id_of,
    codes,
    count_of,
    day_of,
    names,
    tidy,
    title_of,
    web_link,
)

SOURCE = "hf"
PAPER_PAGE = "https://huggingface.co/papers/"
MAX_QUERY_CHARS = 300


@dataclass(frozen=True)
class DailyBatch:
    """One day of Daily Papers: the papers, their keys ranked by upvotes, and what was left out."""
    date: str
    papers: tuple[Paper, ...]
    ranking: tuple[str, ...]
    skipped: tuple[Skipped, ...] = ()

    def ranked(self) -> list[tuple[str, int | None]]:
        """(key, upvotes) best first: what a daily list records."""
        upvotes = {p.key: p.upvotes for p in self.papers}
        return [(key, upvotes[key]) for key in self.ranking]


def paper_from_hf(item: Any) -> Paper:
    """A Daily Papers item ({paper: {...}, title, summary, ...}) or a bare paper object, as a Paper.
    Raises BadRecord with the reason when the record cannot be used."""
    if not isinstance(item, dict):
        raise BadRecord(f"expected an object, got {type(item).__name__}")
    paper = item.get("paper", item)
    if not isinstance(paper, dict):
        raise BadRecord("'paper' is not an object")
    raw_id = paper.get("id")
    arxiv_id = arxiv_id_of(raw_id)
    if arxiv_id is None:
        raise BadRecord("missing paper id" if raw_id in (None, "") else f"not an arXiv id: {str(raw_id)[:40]!r}")
    title = title_of(paper.get("title") if paper.get("title") is not None else item.get("title"))
    authors = paper.get("authors")
    author_names = [a.get("name") if isinstance(a, dict) else a for a in authors] if isinstance(authors, list) else None
    return Paper(
        key=arxiv_id,
        arxiv_id=arxiv_id,
        title=title,
        abstract=tidy(paper.get("summary")) or tidy(item.get("summary")),
        authors=names(author_names),
        published=day_of(paper.get("publishedAt")) or day_of(item.get("publishedAt")),
        upvotes=count_of(paper.get("upvotes")),
        hf_url=PAPER_PAGE + arxiv_id,
        code_url=web_link(paper.get("githubRepo")),
        project_url=web_link(paper.get("projectPage")),
        github_stars=count_of(paper.get("githubStars")),
        ai_summary=tidy(paper.get("ai_summary")),
        ai_keywords=codes(paper.get("ai_keywords")),
        source=SOURCE,
    )


def papers_from_items(items: list[Any]) -> tuple[list[Paper], list[Skipped]]:
    """Every usable record as a Paper; the others with their 1-based position and reason.
    A paper listed twice is kept once (its first listing)."""
    papers: list[Paper] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for position, item in enumerate(items, 1):
        try:
            paper = paper_from_hf(item)
        except BadRecord as exc:
            skipped.append(Skipped(position, str(exc)))
            continue
        if paper.key in seen:
            skipped.append(Skipped(position, f"{paper.key} listed twice"))
            continue
        seen.add(paper.key)
        papers.append(paper)
    return papers, skipped


def rank_by_upvotes(papers: list[Paper]) -> tuple[str, ...]:
    """Keys by upvotes, most first; papers without a count go last; ties by newer id first."""
    ordered = sorted(papers, key=lambda p: p.key, reverse=True)
    ordered.sort(key=lambda p: -1 if p.upvotes is None else p.upvotes, reverse=True)
    return tuple(p.key for p in ordered)


def daily_batch(date: str, items: Any) -> DailyBatch:
    if not isinstance(items, list):
        raise SourceError(f"expected a JSON array of daily papers, got {type(items).__name__}", source=SOURCE)
    papers, skipped = papers_from_items(items)
    return DailyBatch(date, tuple(papers), rank_by_upvotes(papers), tuple(skipped))


class HuggingFaceSource:
    def __init__(self, client: httpx.AsyncClient, base_url: str = "https://huggingface.co", *,
                 policy: RetryPolicy = DEFAULT_POLICY, sleep: Sleep = asyncio.sleep, reach: Reachability | None = None):
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.policy = policy
        self.sleep = sleep
        self.reach = reach

    async def _get(self, path: str, params: dict[str, str] | None = None, accept: tuple[int, ...] = ()):
        return await fetch(self.client, self.base_url + path, params=params, accept=accept, source=SOURCE,
                           policy=self.policy, sleep=self.sleep, reach=self.reach)

    async def daily_papers(self, date: str) -> DailyBatch:
        """The Daily Papers list of one day (YYYY-MM-DD)."""
        if day_of(date) != date:
            raise ValueError(f"not a date (YYYY-MM-DD): {date!r}")
        fetched = await self._get("/api/daily_papers", {"date": date})
        return daily_batch(date, fetched.json(SOURCE))

    async def paper(self, arxiv_id: str) -> Paper | None:
        """One paper by arXiv id; None when Hugging Face does not know it."""
        bare = arxiv_id_of(arxiv_id)
        if bare is None or "/" in bare:  # Hugging Face pages exist only for new-style ids
            return None
        fetched = await self._get(f"/api/papers/{quote(bare)}", accept=(404,))
        if fetched.status == 404:
            return None
        try:
            return paper_from_hf(fetched.json(SOURCE))
        except BadRecord as exc:
            raise SourceError(f"unusable paper record: {exc}", status=fetched.status, source=SOURCE) from None

    async def search(self, query: str, limit: int = 10) -> list[Paper]:
        """Hugging Face's own paper search, best first."""
        text = " ".join(query.split())[:MAX_QUERY_CHARS]
        if not text or limit <= 0:
            return []
        fetched = await self._get("/api/papers/search", {"q": text})
        found = fetched.json(SOURCE)
        if not isinstance(found, list):
            raise SourceError(f"expected a JSON array of papers, got {type(found).__name__}", source=SOURCE)
        papers, _ = papers_from_items(found)
        return papers[:limit]
