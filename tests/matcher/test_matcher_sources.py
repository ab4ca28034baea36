"""Ids resolve exactly, from the store or the paper sources; what the store cannot answer is
searched at the sources within the time bound, and what comes back is kept."""
from __future__ import annotations

import asyncio
import logging
import time

import pytest

from paperboy.bot.models import Paper
from paperboy.bot.search.matcher import Matcher

FRESH = Paper(key="2410.05229", arxiv_id="2410.05229",
              title="GSM-Symbolic: Understanding the Limitations of Mathematical Reasoning in Large Language Models",
              abstract="We conduct a large-scale study on several state-of-the-art open and closed models.",
              authors=("Iman Mirzadeh",), source="hf")


class FakeSource:
    """Stands in for the paper sources: records calls, answers from a dict, can hang or fail."""

    def __init__(self, papers=(), delay: float = 0.0, error: Exception | None = None):
        self.papers = {p.key: p for p in papers}
        self.delay = delay
        self.error = error
        self.fetched: list[str] = []
        self.searched: list[tuple[str, int]] = []
        self.cancelled = 0

    async def _wait(self):
        try:
            await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        if self.error:
            raise self.error

    async def fetch_by_id(self, paper_id: str) -> Paper | None:
        self.fetched.append(paper_id)
        await self._wait()
        return self.papers.get(paper_id)

    async def search(self, query: str, limit: int) -> list[Paper]:
        self.searched.append((query, limit))
        await self._wait()
        words = set(query.lower().split())
        return [p for p in self.papers.values() if words & set(p.title.lower().replace(":", "").split())][:limit]


def matcher_with(store, source: FakeSource, timeout: float = 2.0) -> Matcher:
    return Matcher(store, fetch_by_id=source.fetch_by_id, search_remote=source.search, remote_timeout=timeout)


@pytest.mark.parametrize("query", ["2309.12288", "arXiv:2309.12288v3", "https://arxiv.org/pdf/2309.12288v2.pdf",
                                   "huggingface.co/papers/2309.12288", "10.48550/arXiv.2309.12288",
                                   "see https://www.alphaxiv.org/overview/2309.12288 please"])
async def test_an_id_in_the_store_resolves_without_the_sources(store, query):
    source = FakeSource()
    match = await matcher_with(store, source).lookup(query)
    assert match.best.paper.key == "2309.12288"
    assert match.confident and match.via == "id" and match.paper_id == "2309.12288"
    assert match.best.score == 1.0 and match.alternatives == ()
    assert source.fetched == [] and source.searched == []


async def test_an_old_style_id_resolves(store):
    match = await Matcher(store).lookup("arXiv:hep-th/9901001v2")
    assert match.best.paper.key == "hep-th/9901001" and match.via == "id"


async def test_a_missing_id_is_fetched_and_stored(store):
    source = FakeSource([FRESH])
    matcher = matcher_with(store, source)
    match = await matcher.lookup("https://arxiv.org/abs/2410.05229v1")
    assert source.fetched == ["2410.05229"]
    assert match.best.paper.title == FRESH.title and match.confident and match.via == "id"
    assert store.get_paper("2410.05229").title == FRESH.title
    again = await matcher.lookup("2410.05229")
    assert again.best.paper.key == "2410.05229" and source.fetched == ["2410.05229"]
    title_match = await matcher.lookup("gsm symbolic mathematical reasoning limitations")
    assert title_match.best.paper.key == "2410.05229"


async def test_an_id_nobody_knows_is_a_clear_not_found(store):
    source = FakeSource()
    match = await matcher_with(store, source).lookup("2412.99999")
    assert match.best is None and match.alternatives == () and not match.confident
    assert match.via == "id" and match.paper_id == "2412.99999"
    assert "2412.99999" in match.note
    match = await Matcher(store).lookup("2412.99999")  # no sources at all
    assert match.best is None and match.via == "id"


async def test_a_title_the_store_lacks_is_searched_at_the_sources_and_stored(store):
    source = FakeSource([FRESH])
    matcher = matcher_with(store, source)
    match = await matcher.lookup("GSM-Symbolic: Understanding the Limitations of Mathematical Reasoning")
    assert source.searched and source.searched[0][0].startswith("GSM-Symbolic")
    assert match.best.paper.key == "2410.05229"
    assert match.confident and match.via == "remote"
    assert store.get_paper("2410.05229") is not None
    searched = len(source.searched)
    again = await matcher.lookup("GSM-Symbolic: Understanding the Limitations of Mathematical Reasoning")
    assert again.best.paper.key == "2410.05229" and again.via == "title"
    assert len(source.searched) == searched  # a confident local answer needs no source


async def test_a_confident_local_answer_does_not_ask_the_sources(store):
    source = FakeSource([FRESH])
    match = await matcher_with(store, source).lookup("retro search exploring untaken paths")
    assert match.confident and source.searched == []


async def test_a_hanging_source_is_cut_off_at_the_timeout(store):
    source = FakeSource([FRESH], delay=30.0)
    matcher = matcher_with(store, source, timeout=0.2)
    started = time.monotonic()
    match = await matcher.lookup("reversal")
    assert time.monotonic() - started < 1.5
    assert source.searched  # it was asked
    assert match.best is not None and "Reversal" in match.best.paper.title  # the local answer stands
    assert "in time" in match.note
    started = time.monotonic()
    by_id = await matcher.lookup("2410.05229")
    assert time.monotonic() - started < 1.5
    assert by_id.best is None and by_id.via == "id"
    await matcher.aclose()
    assert source.cancelled == 2
    assert store.get_paper("2410.05229") is None


async def test_a_source_that_never_yields_to_cancellation_still_cannot_delay_the_answer(store):
    release = asyncio.Event()

    async def stubborn(query: str, limit: int) -> list[Paper]:
        while not release.is_set():
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                continue  # ignores cancellation until released
        return []

    matcher = Matcher(store, search_remote=stubborn, remote_timeout=0.1)
    started = time.monotonic()
    match = await matcher.lookup("banana bread recipe")
    assert time.monotonic() - started < 1.0
    assert not match.confident
    release.set()
    await matcher.aclose()


@pytest.mark.parametrize("error", [RuntimeError("boom"), ConnectionError("refused"), TimeoutError()])
async def test_a_failing_source_is_logged_and_swallowed(store, caplog, error):
    source = FakeSource([FRESH], error=error)
    matcher = matcher_with(store, source)
    match = await matcher.lookup("banana bread recipe")
    assert not match.confident and "could not be reached" in match.note
    by_id = await matcher.lookup("2410.05229")
    assert by_id.best is None and by_id.via == "id"
    assert any("failed" in r.getMessage() for r in caplog.records)


async def test_garbage_from_a_source_is_ignored(store):
    async def garbage(query: str, limit: int):
        return [None, "not a paper", 42, Paper(key="x", title="")]

    async def garbage_by_id(paper_id: str):
        return {"id": paper_id}

    matcher = Matcher(store, fetch_by_id=garbage_by_id, search_remote=garbage)
    assert not (await matcher.lookup("banana bread recipe")).confident
    assert (await matcher.lookup("2412.99999")).best is None
    assert store.get_paper("x") is None


async def test_a_source_that_fails_before_awaiting_is_swallowed_too(store):
    def broken(query: str, limit: int):
        raise RuntimeError("misconfigured")

    def broken_fetch(paper_id: str):
        return "not awaitable"

    matcher = Matcher(store, fetch_by_id=broken_fetch, search_remote=broken)
    assert not (await matcher.lookup("banana bread recipe")).confident
    match = await matcher.lookup("2412.99999")
    assert match.best is None and match.via == "id"


async def test_text_without_words_is_not_sent_to_the_sources(store):
    source = FakeSource([FRESH])
    match = await matcher_with(store, source).lookup("🙂 ?! ---")
    assert match.best is None and source.searched == []


async def test_a_fresh_install_answers_from_the_sources_and_remembers():
    from paperboy.storage.sqlite import SQLiteStore

    empty = SQLiteStore(memory=True)
    source = FakeSource([FRESH])
    matcher = matcher_with(empty, source)
    assert matcher.suggest_titles("gsm") == []
    match = await matcher.lookup("gsm symbolic limitations of mathematical reasoning")
    assert match.best.paper.key == "2410.05229" and match.via == "remote"
    assert empty.count_papers() == 1
    assert [p.key for p in matcher.suggest_titles("gsm sym")] == ["2410.05229"]
    nothing = await Matcher(SQLiteStore(memory=True)).lookup("anything at all")
    assert nothing.best is None and not nothing.confident


async def test_without_a_network_a_lookup_says_so_and_the_next_ones_ask_nothing(store, caplog):
    from datetime import UTC, datetime

    from no_network import UNRESOLVABLE, CountingClient

    from paperboy.bot.clock import FakeClock
    from paperboy.bot.sources import ArxivGate, Reachability, Sources

    clock = FakeClock(datetime(2026, 11, 24, 7, 0, tzinfo=UTC))
    async with CountingClient() as client:
        sources = Sources.from_env({"PAPERBOY_HF_BASE_URL": f"http://{UNRESOLVABLE}",
                                    "PAPERBOY_ARXIV_BASE_URL": f"http://{UNRESOLVABLE}"}, client,
                                   gate=ArxivGate(0.0, clock=clock), reach=Reachability(clock))
        matcher = Matcher(store, fetch_by_id=sources.fetch_by_id, search_remote=sources.search, clock=clock)

        first = await matcher.lookup("banana bread recipe")
        assert first.sources == "unreachable" and first.unreached.asked and first.unreached.reason == "no network"
        assert len(client.sent) == 2  # Hugging Face and arXiv, once each, no retries
        warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert warned == [f"searching the paper sources failed: hf: no network: could not resolve {UNRESOLVABLE}"]

        clock.advance(seconds=15)
        caplog.clear()
        later = [await matcher.lookup("banana bread recipe"), await matcher.lookup("2410.05229")]
        assert len(client.sent) == 2  # neither lookup asked the sources
        assert all(m.sources == "unreachable" and m.unreached.asked is False for m in later)
        assert later[0].unreached.retry_in == 45 and "not asked: no network" in later[0].note
        assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []  # said once, when it happened
