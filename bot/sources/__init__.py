"""The paper sources behind one object, configured from the environment: Hugging Face Daily Papers
and arXiv (hf, arxiv) over one careful HTTP client (http), and the file formats paperboy imports
(files, records). Imports only the shared modules of paperboy.bot.

PAPERBOY_HF_BASE_URL, PAPERBOY_ARXIV_BASE_URL and PAPERBOY_ARXIV_OAI_URL point the sources at mirrors,
proxies or test servers; PAPERBOY_OFFLINE=1 turns every source call off without touching the network.
A host that could not be reached at all (no network) is not asked again for a while (http.Reachability).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime

import httpx

from paperboy.bot.models import Paper
from paperboy.bot.settings import flag
from paperboy.bot.sources.arxiv import ArxivGate, ArxivSource
from paperboy.bot.sources.hf import DailyBatch, HuggingFaceSource
from paperboy.bot.sources.http import Reachability, SourceError, SourceOffline, SourceUnreachable, make_client
from paperboy.bot.sources.oai import DEFAULT_OAI_URL, ExpiredToken, OaiPage, OaiSource
from paperboy.bot.sources.records import Skipped, arxiv_id_of

__all__ = ["Sources", "SourceError", "SourceOffline", "SourceUnreachable", "Reachability", "DailyBatch", "Skipped",
           "ArxivGate", "OaiPage", "ExpiredToken"]

log = logging.getLogger(__name__)

DEFAULT_HF_BASE_URL = "https://huggingface.co"
DEFAULT_ARXIV_BASE_URL = "https://export.arxiv.org"


class Sources:
    """Hugging Face first (richer records), arXiv second; or nothing at all when offline."""

    def __init__(self, hf: HuggingFaceSource | None, arxiv: ArxivSource | None, *,
                 client: httpx.AsyncClient | None = None, owns_client: bool = False,
                 search_budget: float = 1.8, oai: OaiSource | None = None):
        self.hf = hf
        self.arxiv = arxiv
        self.oai = oai
        self.search_budget = search_budget  # seconds search() waits for the slower source
        self._client = client
        self._owns_client = owns_client

    @property
    def offline(self) -> bool:
        return self.hf is None and self.arxiv is None

    @classmethod
    def from_env(cls, env: Mapping[str, str], client: httpx.AsyncClient | None = None, *,
                 gate: ArxivGate | None = None, reach: Reachability | None = None) -> Sources:
        """Sources as the environment configures them. A client passed in stays the caller's to
        close; otherwise aclose() closes the one made here. `gate` is the process's arXiv gate,
        `reach` its record of the hosts that could not be reached (new ones when not given)."""
        if flag(env, "PAPERBOY_OFFLINE"):
            return cls(None, None)
        hf_url = _base_url(env, "PAPERBOY_HF_BASE_URL", DEFAULT_HF_BASE_URL)
        arxiv_url = _base_url(env, "PAPERBOY_ARXIV_BASE_URL", DEFAULT_ARXIV_BASE_URL)
        oai_url = _base_url(env, "PAPERBOY_ARXIV_OAI_URL", DEFAULT_OAI_URL)
        owns = client is None
        client = client or make_client()
        gate = gate or ArxivGate()  # the API and OAI-PMH are one arXiv: one pace for both
        reach = reach or Reachability()
        return cls(HuggingFaceSource(client, hf_url, reach=reach),
                   ArxivSource(client, arxiv_url, gate=gate, reach=reach),
                   client=client, owns_client=owns, oai=OaiSource(client, oai_url, gate=gate, reach=reach))

    def _online(self, what: str) -> tuple[HuggingFaceSource, ArxivSource]:
        if self.hf is None or self.arxiv is None:
            raise SourceOffline(what)
        return self.hf, self.arxiv

    async def daily_papers(self, date: str) -> DailyBatch:
        hf, _ = self._online("hf")
        return await hf.daily_papers(date)

    async def arxiv_recent(self, category: str, days: int, now: datetime) -> list[Paper]:
        _, arxiv = self._online("arxiv")
        return await arxiv.recent(category, days, now)

    async def oai_page(self, set_spec: str, since: str, until: str, token: str | None = None) -> OaiPage:
        """One page of arXiv's OAI-PMH records of a set (see sources.oai)."""
        if self.oai is None:
            raise SourceOffline("arxiv-oai")
        return await self.oai.page(set_spec, since, until, token)

    async def fetch_by_id(self, arxiv_id: str) -> Paper | None:
        """One paper by arXiv id: Hugging Face when it knows it, else arXiv. None when arXiv does not
        know it either; SourceError when arXiv could not be asked (SourceOffline when switched off)."""
        hf, arxiv = self._online("sources")
        if arxiv_id_of(arxiv_id) is None:
            return None
        try:
            found = await hf.paper(arxiv_id)
            if found is not None:
                return found
        except SourceError as exc:
            log.info("Hugging Face lookup of %s failed: %s", arxiv_id, exc)
        papers = await arxiv.by_ids([arxiv_id])
        return papers[0] if papers else None

    async def search(self, query: str, limit: int = 10) -> list[Paper]:
        """Hugging Face search and arXiv title search side by side, interleaved best first, each paper
        once. Whatever has not answered within `search_budget` seconds is cancelled and left out, so
        one slow source (arXiv's 3-second spacing) does not hold back the other. SourceError only
        when no source gave an answer (SourceOffline when switched off): a SourceUnreachable when
        none could be reached at all (one that was asked rather than one left resting)."""
        hf, arxiv = self._online("sources")
        if not query.strip() or limit <= 0:
            return []
        tasks = [asyncio.ensure_future(hf.search(query, limit)),
                 asyncio.ensure_future(arxiv.search_title(query, limit))]
        try:
            await asyncio.wait(tasks, timeout=self.search_budget)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        lists: list[list[Paper]] = []
        errors: list[SourceError] = []
        for name, task in zip(("Hugging Face", "arXiv"), tasks, strict=True):
            if task.cancelled():
                errors.append(_NoAnswerInTime(f"no answer within {self.search_budget:.1f}s", source=name))
            elif isinstance(task.exception(), SourceError):
                errors.append(task.exception())  # type: ignore[arg-type]
            elif task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
            else:
                lists.append(task.result())
        for error in errors:
            log.info("paper search: %s", error)
        if not lists:
            raise _first_to_tell(errors)
        return _interleave(lists, limit)

    async def aclose(self) -> None:
        if self._owns_client and self._client is not None:
            await self._client.aclose()


class _NoAnswerInTime(SourceError):
    """A source search() cut off at its budget: waiting for arXiv's turn, or slow to answer."""


def _first_to_tell(errors: list[SourceError]) -> SourceError:
    """The error that says best why no source answered: one from a source that was reached and
    failed; else a host that could not be reached just now (no network says more than the other
    source running out of time, which it may have spent waiting for arXiv's turn); else a source
    cut off at the budget; else a host left resting (not asked), the one asked again soonest."""
    def rank(error: SourceError) -> tuple[int, float]:
        if isinstance(error, SourceUnreachable):
            return (1, 0.0) if error.asked else (3, error.retry_in or 0.0)
        return (2, 0.0) if isinstance(error, _NoAnswerInTime) else (0, 0.0)
    return min(errors, key=rank)


def _base_url(env: Mapping[str, str], name: str, default: str) -> str:
    url = env.get(name, "").strip() or default
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError(f"{name} must be an http:// or https:// URL, not {url[:100]!r}")
    return url


def _interleave(lists: list[list[Paper]], limit: int) -> list[Paper]:
    merged: dict[str, Paper] = {}
    for rank in range(max((len(found) for found in lists), default=0)):
        for found in lists:
            if rank < len(found):
                paper = found[rank]
                known = merged.get(paper.key)
                merged[paper.key] = paper if known is None else _richer(known, paper)
    return list(merged.values())[:limit]


def _richer(first: Paper, second: Paper) -> Paper:
    """`first` with the blanks filled from `second` (Hugging Face lacks categories, arXiv lacks upvotes)."""
    changes = {}
    for name in ("abstract", "published", "upvotes", "hf_url", "code_url", "project_url", "github_stars",
                 "ai_summary", "venue"):
        if getattr(first, name) is None and getattr(second, name) is not None:
            changes[name] = getattr(second, name)
    for name in ("authors", "categories", "ai_keywords"):
        if not getattr(first, name) and getattr(second, name):
            changes[name] = getattr(second, name)
    return first.with_changes(**changes) if changes else first
