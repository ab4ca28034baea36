"""arXiv: Atom parsing against the recorded answers, the error entry, paging, title search, the gate."""
from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from itertools import pairwise

import pytest
from fake_paper_sources import EXPECTED, Reply, atom_feed, fixture_bytes

from paperboy.bot.clock import FakeClock
from paperboy.bot.sources.arxiv import ArxivGate, ArxivSource, parse_feed, title_query
from paperboy.bot.sources.http import RetryPolicy, SourceError

ATOM = "application/atom+xml; charset=utf-8"
START = datetime(2026, 7, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def arxiv(fake_sources, http_client, clock):
    fake_sources.clock = clock
    return ArxivSource(http_client, fake_sources.url, min_interval=3.0, clock=clock,
                       policy=RetryPolicy(attempts=3, base_delay=0.5, max_delay=2.0))


async def test_category_listing_matches_the_expected_ids_and_collapsed_titles(fake_sources, arxiv):
    fake_sources.serve_fixture("arxiv_query_cs.LG.xml")
    expected = EXPECTED["arxiv_query_cs.LG.xml"]

    page = await arxiv.category_page("cs.LG", 0, 6)

    assert [(p.key, p.title) for p in page.papers] == [(e["arxiv_id"], e["title"]) for e in expected["papers"]]
    assert page.total_results == expected["total_results"] and page.start_index == expected["start_index"]
    first = page.papers[0]
    assert first.categories == ("cs.LG", "q-bio.BM")
    assert first.published == "2026-07-23"
    assert first.authors == ("Aaron Feller", "Kris Deibler", "Maxim Secor")
    assert first.arxiv_id == first.key and first.source == "arxiv"
    assert "\n" not in first.abstract and first.abstract.startswith("Molecular property prediction")
    revised = page.papers[4]
    assert (revised.key, revised.published) == ("2606.02993", "2026-06-02")  # v2: id without version, v1 date
    assert fake_sources.seen[0].query == {"search_query": "cat:cs.LG", "start": "0", "max_results": "6",
                                          "sortBy": "submittedDate", "sortOrder": "descending"}


async def test_the_doi_link_and_element_is_ignored(fake_sources, arxiv):
    fake_sources.serve_fixture("arxiv_query_cs.LG.xml")
    papers = await arxiv.category("cs.LG", 0, 6)
    with_doi = papers[-1]
    assert with_doi.key == "2507.02782"
    assert with_doi.title == "Understanding and Improving Length Generalization in Recurrent Models"
    assert not any("doi" in (value or "") for value in (with_doi.code_url, with_doi.project_url, with_doi.hf_url))


async def test_by_ids_strips_versions_and_prefixes(fake_sources, arxiv):
    fake_sources.serve_fixture("arxiv_id_list_one.xml")

    papers = await arxiv.by_ids(["arXiv:2607.19865v1", "2607.19865", "not-an-id"])

    [expected] = EXPECTED["arxiv_id_list_one.xml"]["papers"]
    assert [(p.key, p.title) for p in papers] == [(expected["arxiv_id"], expected["title"])]
    assert fake_sources.seen[0].query["id_list"] == "2607.19865"


async def test_the_error_entry_becomes_a_source_error_with_arxivs_message(fake_sources, arxiv):
    fake_sources.serve_fixture("arxiv_error.xml")
    with pytest.raises(SourceError) as caught:
        await arxiv.query({"id_list": "1234.12345"})
    assert EXPECTED["arxiv_error.xml"]["error"]["summary"] in str(caught.value)
    assert str(caught.value).startswith("arxiv: ") and caught.value.status == 400
    assert len(fake_sources.seen) == 1  # a 400 is an answer, not something to retry


def test_old_style_ids_and_bad_entries():
    page = parse_feed(atom_feed([
        {"id": "hep-th/9901001v2", "title": "Old  style\n   id", "published": "1999-01-04", "categories": ["hep-th"]},
        {"id": "garbage", "title": "Bad id", "published": "2026-01-01"},
        {"id": "2601.00001v1", "title": "New style", "published": "2026-01-01"},
    ]))
    assert [(p.key, p.title) for p in page.papers] == [("hep-th/9901001", "Old style id"), ("2601.00001", "New style")]
    assert [(s.position, s.reason) for s in page.skipped] == [(2, "not an arXiv id: 'http://arxiv.org/abs/garbage'")]


@pytest.mark.parametrize("body, words", [
    (b"<html><body>Service Unavailable</body></html>", "expected an Atom feed"),
    (fixture_bytes("arxiv_query_cs.LG.xml")[:4000], "not valid Atom XML"),
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><feed/>', "DOCTYPE"),
])
async def test_garbage_bodies_become_clear_source_errors(fake_sources, arxiv, body, words):
    fake_sources.route("/api/query", Reply(200, body, ATOM))
    with pytest.raises(SourceError) as caught:
        await arxiv.category("cs.LG")
    assert words in str(caught.value)


def test_title_queries_quote_every_word_so_user_text_cannot_change_the_search():
    assert title_query('Attention "is" all: you (need) AND -transformers* ti:x') == (
        'ti:"Attention" AND ti:"is" AND ti:"all" AND ti:"you" AND ti:"need" AND ti:"AND" '
        'AND ti:"transformers" AND ti:"ti" AND ti:"x"')
    assert title_query('"") (: -*') == ""


async def test_search_title_sends_the_quoted_query(fake_sources, arxiv):
    fake_sources.route("/api/query", Reply(200, atom_feed([
        {"id": "2309.12288v4", "title": "The Reversal Curse", "published": "2023-09-21"}]), ATOM))

    found = await arxiv.search_title("reversal (curse", limit=5)

    assert [p.key for p in found] == ["2309.12288"]
    assert fake_sources.seen[0].query["search_query"] == 'ti:"reversal" AND ti:"curse"'
    assert fake_sources.seen[0].query["max_results"] == "5"
    assert await arxiv.search_title('()"":') == [] and len(fake_sources.seen) == 1


async def test_recent_pages_until_a_whole_page_is_older_than_the_window(fake_sources, arxiv):
    listing = [
        {"id": "2607.00010v1", "title": "P10", "published": "2026-07-24"},
        {"id": "2607.00009v1", "title": "P9", "published": "2026-07-23"},
        {"id": "2606.00001v2", "title": "Revised", "published": "2026-06-01", "updated": "2026-07-23"},
        {"id": "2607.00008v1", "title": "P8", "published": "2026-07-22"},
        {"id": "2607.00007v1", "title": "P7", "published": "2026-07-22"},
        {"id": "2607.00006v1", "title": "P6", "published": "2026-07-21"},
        {"id": "2607.00005v1", "title": "P5", "published": "2026-07-21"},
        {"id": "2607.00004v1", "title": "P4", "published": "2026-07-20"},
        {"id": "2607.00003v1", "title": "P3", "published": "2026-07-20"},
        {"id": "2607.00002v1", "title": "P2", "published": "2026-07-19"},
    ]

    def page(query: dict[str, str]) -> Reply:
        start, size = int(query["start"]), int(query["max_results"])
        return Reply(200, atom_feed(listing[start:start + size], total=len(listing), start=start), ATOM)

    fake_sources.route("/api/query", dynamic=page)

    papers = await arxiv.recent("cs.LG", 2, START, page_size=3)

    assert [p.key for p in papers] == ["2607.00010", "2607.00009", "2607.00008", "2607.00007"]
    assert [s.query["start"] for s in fake_sources.seen] == ["0", "3", "6"]


async def test_the_gate_spaces_requests_by_the_interval_on_the_injected_clock(fake_sources, arxiv, clock):
    fake_sources.route("/api/query", Reply(200, atom_feed([]), ATOM))
    started = time.monotonic()

    for _ in range(3):
        await arxiv.category("cs.LG")

    times = [s.clock_at for s in fake_sources.seen]
    gaps = [(b - a).total_seconds() for a, b in pairwise(times)]
    assert gaps == [3.0, 3.0]
    assert time.monotonic() - started < 2.0  # the fake clock moved, the test did not wait


async def test_one_gate_holds_one_request_at_a_time_across_sources_and_tasks(fake_sources, http_client, clock):
    fake_sources.clock = clock
    fake_sources.route("/api/query", Reply(200, atom_feed([]), ATOM, delay=0.05))
    gate = ArxivGate(3.0, clock=clock)
    first = ArxivSource(http_client, fake_sources.url, gate=gate)
    second = ArxivSource(http_client, fake_sources.url, gate=gate)

    await asyncio.gather(first.category("cs.LG"), second.category("cs.CL"), first.search_title("x"),
                         second.by_ids(["2607.19865"]))

    assert len(fake_sources.seen) == 4 and fake_sources.max_active == 1
    times = [s.clock_at for s in fake_sources.seen]
    assert all((b - a).total_seconds() >= 3.0 for a, b in pairwise(times))


async def test_retries_go_through_the_gate_too(fake_sources, arxiv, clock):
    fake_sources.route("/api/query", Reply(503, b"", "text/plain"), Reply(200, atom_feed([]), ATOM))

    await arxiv.category("cs.LG")

    first, second = [s.clock_at for s in fake_sources.seen]
    assert (second - first).total_seconds() >= 3.0


async def test_a_bad_category_is_refused_before_any_request(fake_sources, arxiv):
    with pytest.raises(ValueError):
        await arxiv.category("cs.LG OR all:x")
    assert fake_sources.seen == []
