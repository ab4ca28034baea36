"""The Sources facade: configuration from the environment, offline mode, lookups that fall back, merged search."""
from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime

import httpx
import pytest
from fake_paper_sources import EXPECTED, Reply, atom_feed, fixture_json
from no_network import UNRESOLVABLE

from paperboy.bot.clock import FakeClock
from paperboy.bot.delivery.ingest import ingest_arxiv, ingest_hf
from paperboy.bot.sources import Reachability, SourceError, SourceOffline, Sources, SourceUnreachable
from paperboy.bot.sources.arxiv import ArxivGate, ArxivSource
from paperboy.bot.sources.hf import HuggingFaceSource

ATOM = "application/atom+xml; charset=utf-8"
NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


@pytest.fixture
def sources(fake_sources, http_client, sleeps, quick_policy):
    return Sources(HuggingFaceSource(http_client, fake_sources.url, policy=quick_policy, sleep=sleeps),
                   ArxivSource(http_client, fake_sources.url, gate=ArxivGate(0.0)), search_budget=1.0)


async def test_offline_mode_touches_no_network(store):
    asked: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        raise AssertionError("offline sources made a request")

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as guard:
        sources = Sources.from_env({"PAPERBOY_OFFLINE": "1", "PAPERBOY_HF_BASE_URL": "http://127.0.0.1:9"},
                                   client=guard)
        assert sources.offline
        with pytest.raises(SourceOffline):
            await sources.fetch_by_id("2309.12288")
        with pytest.raises(SourceOffline):
            await sources.search("reversal curse", 5)
        with pytest.raises(SourceOffline):
            await sources.daily_papers("2026-11-24")
        with pytest.raises(SourceOffline):
            await ingest_hf(store, sources, "2026-11-24", NOW)
        with pytest.raises(SourceOffline):
            await ingest_arxiv(store, sources, "cs.LG", 2, NOW)
        await sources.aclose()
    assert asked == [] and store.count_papers() == 0


def test_base_urls_come_from_the_environment_with_defaults():
    defaults = Sources.from_env({})
    custom = Sources.from_env({"PAPERBOY_HF_BASE_URL": "http://127.0.0.1:8001/hf/",
                               "PAPERBOY_ARXIV_BASE_URL": "http://127.0.0.1:8002"})
    assert (defaults.hf.base_url, defaults.arxiv.base_url) == ("https://huggingface.co", "https://export.arxiv.org")
    assert (custom.hf.base_url, custom.arxiv.base_url) == ("http://127.0.0.1:8001/hf", "http://127.0.0.1:8002")
    assert not defaults.offline and Sources.from_env({"PAPERBOY_OFFLINE": "0"}).offline is False
    asyncio.run(defaults.aclose())
    asyncio.run(custom.aclose())


def test_a_base_url_that_is_not_http_is_a_clear_configuration_error():
    with pytest.raises(ValueError) as caught:
        Sources.from_env({"PAPERBOY_HF_BASE_URL": "huggingface.co"})
    assert "PAPERBOY_HF_BASE_URL" in str(caught.value)


async def test_sources_share_the_arxiv_gate_they_are_given(http_client):
    gate = ArxivGate(3.0)
    one, two = Sources.from_env({}, client=http_client, gate=gate), Sources.from_env({}, client=http_client, gate=gate)
    assert one.arxiv.gate is gate and two.arxiv.gate is gate


async def test_fetch_by_id_prefers_hugging_face(fake_sources, sources):
    fake_sources.serve_fixture("hf_paper_2607.19592.json")
    paper = await sources.fetch_by_id("2607.19592")
    assert paper.key == "2607.19592" and paper.upvotes == 180
    assert [s.path for s in fake_sources.seen] == ["/api/papers/2607.19592"]


async def test_fetch_by_id_falls_back_to_arxiv_when_hugging_face_does_not_know_it(fake_sources, sources):
    fake_sources.serve_fixture("arxiv_id_list_one.xml")
    paper = await sources.fetch_by_id("arXiv:2607.19865v1")
    assert (paper.key, paper.title) == ("2607.19865", EXPECTED["arxiv_id_list_one.xml"]["papers"][0]["title"])
    assert [s.path for s in fake_sources.seen] == ["/api/papers/2607.19865", "/api/query"]


async def test_fetch_by_id_falls_back_to_arxiv_when_hugging_face_is_down(fake_sources, sources):
    fake_sources.route("/api/papers/2607.19865", Reply(503))
    fake_sources.serve_fixture("arxiv_id_list_one.xml")
    assert (await sources.fetch_by_id("2607.19865")).key == "2607.19865"


async def test_an_id_nobody_knows_is_none(fake_sources, sources):
    fake_sources.route("/api/query", Reply(200, atom_feed([]), ATOM))
    assert await sources.fetch_by_id("2607.00042") is None
    assert await sources.fetch_by_id("hello") is None
    assert len(fake_sources.seen) == 2


async def test_old_style_ids_go_to_arxiv_only(fake_sources, sources):
    fake_sources.route("/api/query", Reply(200, atom_feed([
        {"id": "hep-th/9901001v1", "title": "Old", "published": "1999-01-04", "categories": ["hep-th"]}]), ATOM))
    assert (await sources.fetch_by_id("hep-th/9901001")).key == "hep-th/9901001"
    assert [s.path for s in fake_sources.seen] == ["/api/query"]


def hf_search_answer(*names: str) -> bytes:
    items = {i["paper"]["id"]: i for i in fixture_json("hf_daily_papers_2026-11-24.json")}
    return json.dumps([items[n] for n in names]).encode()


async def test_search_interleaves_both_sources_and_merges_the_same_paper(fake_sources, sources):
    fake_sources.route("/api/papers/search", Reply(200, hf_search_answer("2607.19592", "2607.19865")))
    fake_sources.route("/api/query", Reply(200, atom_feed([
        {"id": "2607.19865v1", "title": "DocOps", "published": "2026-07-23", "categories": ["cs.AI", "cs.CL"]},
        {"id": "2601.00001v1", "title": "Something else", "published": "2026-01-01"},
    ]), ATOM))

    found = await sources.search("document operations", 10)

    assert [p.key for p in found] == ["2607.19592", "2607.19865", "2601.00001"]
    docops = found[1]
    assert docops.upvotes == 134 and docops.categories == ("cs.AI", "cs.CL")  # from each source its own


async def test_search_survives_one_source_failing(fake_sources, sources):
    fake_sources.route("/api/papers/search", Reply(500))
    fake_sources.route("/api/query", Reply(200, atom_feed([
        {"id": "2601.00001v1", "title": "Only arXiv", "published": "2026-01-01"}]), ATOM))
    assert [p.key for p in await sources.search("only arxiv", 5)] == ["2601.00001"]


async def test_search_fails_only_when_every_source_fails(fake_sources, sources):
    fake_sources.route("/api/papers/search", Reply(500))
    fake_sources.route("/api/query", Reply(200, b"<html>down</html>", "text/html"))
    with pytest.raises(SourceError):
        await sources.search("anything", 5)


async def test_a_slow_source_is_left_out_within_the_budget(fake_sources, sources):
    fake_sources.route("/api/papers/search", Reply(200, hf_search_answer("2607.19592")))
    fake_sources.route("/api/query", Reply(200, atom_feed([]), ATOM, delay=5.0))
    started = time.monotonic()

    found = await sources.search("knowledge", 5)

    assert [p.key for p in found] == ["2607.19592"]
    assert time.monotonic() - started < 2.5


def _without_network(counting_client, clock: FakeClock, **urls: str) -> Sources:
    """Sources as the environment gives them, every host unresolvable unless `urls` says otherwise."""
    env = {"PAPERBOY_HF_BASE_URL": f"http://{UNRESOLVABLE}", "PAPERBOY_ARXIV_BASE_URL": f"http://{UNRESOLVABLE}",
           "PAPERBOY_ARXIV_OAI_URL": f"http://{UNRESOLVABLE}/oai", **urls}
    return Sources.from_env(env, counting_client, gate=ArxivGate(0.0, clock=clock), reach=Reachability(clock))


async def test_without_a_network_the_sources_are_asked_once_then_left_alone_for_a_minute(counting_client):
    clock = FakeClock(NOW)
    sources = _without_network(counting_client, clock)

    with pytest.raises(SourceUnreachable) as first:
        await sources.search("reversal curse", 5)
    assert first.value.asked and first.value.reason == "no network"
    assert len(counting_client.sent) == 2  # Hugging Face and arXiv, once each

    with pytest.raises(SourceUnreachable) as second:
        await sources.search("reversal curse", 5)
    with pytest.raises(SourceUnreachable):
        await sources.fetch_by_id("2309.12288")
    with pytest.raises(SourceUnreachable):
        await sources.oai_page("cs", "2026-11-23", "2026-11-24")  # the same host: one record of it
    assert not second.value.asked and second.value.retry_in == 60
    assert len(counting_client.sent) == 2  # nothing asked meanwhile

    clock.advance(seconds=60)
    with pytest.raises(SourceUnreachable) as later:
        await sources.search("reversal curse", 5)
    assert later.value.asked and later.value.retry_in == 120  # still down: twice as long
    assert len(counting_client.sent) == 4


async def test_a_source_that_answered_with_an_error_is_told_before_one_that_could_not_be_reached(
        fake_sources, counting_client):
    fake_sources.route("/api/query", Reply(200, b"<html>down</html>", "text/html"))
    sources = _without_network(counting_client, FakeClock(NOW), PAPERBOY_ARXIV_BASE_URL=fake_sources.url)

    with pytest.raises(SourceError) as caught:
        await sources.search("anything", 5)

    assert not isinstance(caught.value, SourceUnreachable) and caught.value.source == "arxiv"


async def test_no_network_at_one_source_is_told_before_the_other_running_out_of_time(fake_sources, counting_client):
    # arXiv's turn may be seconds away (its 3-second spacing): cut off at the budget, it says little.
    fake_sources.route("/api/query", Reply(200, atom_feed([]), ATOM, delay=5.0))
    clock = FakeClock(NOW)
    sources = _without_network(counting_client, clock, PAPERBOY_ARXIV_BASE_URL=fake_sources.url)
    sources.search_budget = 0.2

    with pytest.raises(SourceUnreachable) as first:
        await sources.search("anything", 5)
    assert first.value.asked and first.value.source == "hf"

    with pytest.raises(SourceError) as later:  # Hugging Face left resting: not the reason arXiv gave nothing
        await sources.search("anything", 5)
    assert not isinstance(later.value, SourceUnreachable) and later.value.source == "arXiv"
