"""Hugging Face: the recorded Daily Papers and paper responses, served as recorded, read correctly."""
from __future__ import annotations

import json

import pytest
from fake_paper_sources import EXPECTED, Reply, fixture_bytes, fixture_json

from paperboy.bot.sources.hf import HuggingFaceSource
from paperboy.bot.sources.http import SourceError

DAILY = "hf_daily_papers_2026-11-24.json"


@pytest.fixture
def hf(fake_sources, http_client, sleeps, quick_policy):
    return HuggingFaceSource(http_client, fake_sources.url, policy=quick_policy, sleep=sleeps)


async def test_daily_papers_match_the_expected_ids_titles_upvotes_and_ranking(fake_sources, hf):
    fake_sources.serve_fixture(DAILY)
    expected = EXPECTED[DAILY]

    batch = await hf.daily_papers("2026-11-24")

    assert [(p.key, p.title) for p in batch.papers] == [(e["arxiv_id"], e["title"]) for e in expected["papers"]]
    assert {p.key: p.upvotes for p in batch.papers} == expected["upvotes"]
    assert list(batch.ranking) == expected["ids_by_upvotes_desc"]
    assert batch.ranked()[0] == ("2607.19592", 180)
    assert batch.skipped == ()
    assert fake_sources.seen[0].query == {"date": "2026-11-24"}


async def test_daily_papers_carry_every_field_the_api_gives(fake_sources, hf):
    fake_sources.serve_fixture(DAILY)
    raw = {item["paper"]["id"]: item["paper"] for item in fixture_json(DAILY)}

    batch = await hf.daily_papers("2026-11-24")

    for paper in batch.papers:
        source = raw[paper.key]
        assert paper.arxiv_id == paper.key
        assert paper.hf_url == f"https://huggingface.co/papers/{paper.key}"
        assert paper.authors == tuple(a["name"] for a in source["authors"])
        assert paper.published == source["publishedAt"][:10]
        assert paper.code_url == source.get("githubRepo")
        assert paper.project_url == source.get("projectPage")
        assert paper.github_stars == source.get("githubStars")
        assert paper.ai_summary == source.get("ai_summary")
        assert paper.ai_keywords == tuple(source.get("ai_keywords", ()))
        assert paper.abstract == " ".join(source["summary"].split())
        assert paper.source == "hf"
    assert any(p.code_url for p in batch.papers) and any(p.ai_keywords for p in batch.papers)


async def test_a_malformed_record_is_skipped_and_reported_while_the_rest_is_kept(fake_sources, hf):
    fake_sources.route("/api/daily_papers", Reply(200, fixture_bytes("hf_daily_papers_malformed.json")))

    batch = await hf.daily_papers("2026-11-24")

    assert [p.key for p in batch.papers] == ["2607.20268", "2607.20064", "2607.19865"]
    assert [(s.position, s.reason) for s in batch.skipped] == [
        (2, "missing title"),
        (4, "expected an object, got str"),
        (5, "missing paper id"),
        (7, "not an arXiv id: 'hello world'"),
        (8, "'paper' is not an object"),
    ]
    assert list(batch.ranking) == ["2607.19865", "2607.20064", "2607.20268"]


@pytest.mark.parametrize("body, content_type, words", [
    (b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "text/html", "not valid JSON"),
    (fixture_bytes(DAILY)[:5000], "application/json", "not valid JSON"),
    (b'{"error": "Invalid date"}', "application/json", "expected a JSON array"),
])
async def test_garbage_bodies_become_clear_source_errors(fake_sources, hf, body, content_type, words):
    fake_sources.route("/api/daily_papers", Reply(200, body, content_type))
    with pytest.raises(SourceError) as caught:
        await hf.daily_papers("2026-11-24")
    assert words in str(caught.value) and str(caught.value).startswith("hf: ")


async def test_a_bad_date_is_refused_before_any_request(fake_sources, hf):
    with pytest.raises(ValueError):
        await hf.daily_papers("2026-11-24&x=1")
    assert fake_sources.seen == []


@pytest.mark.parametrize("name", ["hf_paper_2607.19592.json", "hf_paper_2607.20268.json"])
async def test_one_paper_by_id(fake_sources, hf, name):
    fake_sources.serve_fixture(name)
    [expected] = EXPECTED[name]["papers"]

    paper = await hf.paper(expected["arxiv_id"] + "v2")  # a version in the request is dropped

    assert paper is not None
    assert (paper.key, paper.title) == (expected["arxiv_id"], expected["title"])
    assert paper.upvotes == EXPECTED[name]["upvotes"][expected["arxiv_id"]]
    assert fake_sources.seen[0].path == f"/api/papers/{expected['arxiv_id']}"


async def test_an_unknown_paper_is_none(fake_sources, hf):
    assert await hf.paper("2607.00001") is None  # the fake answers 404 like Hugging Face
    assert await hf.paper("not an id/../../etc") is None
    assert [s.path for s in fake_sources.seen] == ["/api/papers/2607.00001"]


async def test_search_accepts_daily_items_and_bare_paper_objects(fake_sources, hf):
    items = fixture_json(DAILY)
    answer = [items[3], fixture_json("hf_paper_2607.20268.json"), {"paper": "junk"}, items[1]]
    fake_sources.route("/api/papers/search", Reply(200, json.dumps(answer).encode()))

    found = await hf.search('knowledge "self-improvement" -x AND (y)', limit=2)

    assert [p.key for p in found] == ["2607.19592", "2607.20268"]
    assert fake_sources.seen[0].query == {"q": 'knowledge "self-improvement" -x AND (y)'}


async def test_search_with_a_huge_query_sends_a_bounded_one(fake_sources, hf):
    fake_sources.route("/api/papers/search", Reply(200, b"[]"))
    assert await hf.search("word " * 2000) == []
    assert len(fake_sources.seen[0].query["q"]) <= 300
