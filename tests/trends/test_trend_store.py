"""The store's counts per month and most upvoted papers for a query, against query.matches over the
same papers (on SQLite and PostgreSQL)."""
from __future__ import annotations

from collections import Counter

import pytest

from paperboy.bot.models import Paper
from paperboy.bot.subscriptions.paper_filter import paper_filter
from paperboy.bot.subscriptions.query import parse

NOW = "2026-11-24T08:00:00Z"
SINCE, UNTIL = "2025-01", "2025-12"


def _paper(n, title, abstract="", authors=("Ann Other",), categories=("cs.LG",), published="2025-03-10",
           upvotes=None):
    return Paper(key=f"2501.{n:05d}", arxiv_id=f"2501.{n:05d}", title=title, abstract=abstract,
                 authors=tuple(authors), categories=tuple(categories), published=published, upvotes=upvotes)


SEED = [
    _paper(1, "State space models for long sequences", "We study selective state space models.",
           ("Albert Gu", "Tri Dao"), ("cs.LG",), "2025-01-05", 40),
    _paper(2, "Mamba: linear time sequence modeling", "A state space model with selection.",
           ("Albert Gu", "Tri Dao"), ("cs.LG", "cs.AI"), "2025-01-20", 90),
    _paper(3, "Attention is all you need, again", "A transformer for translation.",
           ("Ashish Vaswani",), ("cs.CL",), "2025-02-11", 12),
    _paper(4, "Vision transformers at scale", "Transformers for images.",
           ("Lucas Beyer", "Xiaohua Zhai"), ("cs.CV",), "2025-02-28"),
    _paper(5, "Diffusion policies for robots", "A diffusion policy learns from demonstrations.",
           ("Cheng Chi", "Shuran Song"), ("cs.RO",), "2025-03-03", 7),
    _paper(6, "Video diffusion models", "Diffusion for video generation.",
           ("Jonathan Ho",), ("cs.CV",), "2025-03-15", 55),
    _paper(7, "Multi-agent coordination with language models", "Agents talk.",
           ("Yann LeCun", "Sarah Lee"), ("cs.MA", "cs.AI"), "2025-04-01"),
    _paper(8, "Multiagent reinforcement learning survey", "A survey of multi agent methods.",
           ("Lee Smith",), ("cs.LG",), "2025-04-12", 3),
    _paper(9, "Colour constancy in the wild", "Color correction for photographs.",
           ("Y. LeCun", "Kim Lee-Park"), ("eess.IV",), "2025-05-09"),
    _paper(10, "Galaxy rotation curves", "Dark matter halos of spiral galaxies.",
           ("Vera Rubin",), ("astro-ph.GA",), "2025-05-30", 1),
    _paper(11, "A state space model for galaxies", "Sequence models meet astronomy.",
           ("Jane Doe",), ("astro-ph.GA", "cs.LG"), "2025-06-02"),
    _paper(12, "Transformer circuits", "Mechanistic interpretability of transformer models.",
           ("Chris Olah",), ("cs.LG",), "2025-06-20", 200),
    _paper(13, "Old mamba paper", "State space models before the window.",
           ("Albert Gu",), ("cs.LG",), "2024-11-02", 500),
    _paper(14, "Mamba withdrawn", "State space models, withdrawn.",
           ("Albert Gu",), ("cs.LG",), "2025-07-02", 999),
    _paper(15, "Retrieval for question answering", "Dense retrieval with a dual encoder.",
           ("Sarah Lee",), ("cs.IR", "cs.CL"), "2025-12-31"),
]

QUERIES = [
    "mamba", "transformer", "transformers", "diffusion", "policy", "model", "state space",
    '"state space models"', '"diffusion policy"', "mamba OR transformer", "diffusion -video",
    "models -cat:cs.CV", "multi-agent", "colour", "author:Lee", "author:Gu", 'author:"Yann LeCun"',
    'author:"Y. LeCun"', "author:Park", "cat:cs.LG", "cat:cs", "cat:astro-ph", "cat:cs.LG -mamba",
    "mamba OR cat:cs.CV", "model -author:Gu", "retrieval cat:cs.IR",
]


@pytest.fixture
def seeded(store):
    store.upsert_papers(SEED, NOW)
    store.mark_withdrawn(["2501.00014"])
    return store


def _expected(query_text):
    query = parse(query_text)
    kept = [p for p in SEED if p.key != "2501.00014" and SINCE <= p.published[:7] <= UNTIL and query.matches(p)]
    return kept, Counter(p.published[:7] for p in kept)


@pytest.mark.parametrize("query_text", QUERIES)
def test_counts_per_month_are_what_matches_finds(seeded, query_text):
    kept, expected = _expected(query_text)
    assert kept, "every case should match something, or it compares nothing"
    assert seeded.monthly_counts(paper_filter(parse(query_text)), SINCE, UNTIL) == dict(expected)


@pytest.mark.parametrize("query_text", ["mamba", "cat:cs.LG", "author:Lee", "diffusion -video"])
def test_most_upvoted_are_the_matching_papers_by_upvotes_then_newest(seeded, query_text):
    kept, _ = _expected(query_text)
    ordered = sorted(kept, key=lambda p: (p.upvotes if p.upvotes is not None else -1, p.published), reverse=True)
    found = seeded.most_upvoted([paper_filter(parse(query_text))], SINCE, UNTIL, 3)
    assert [p.key for p in found] == [p.key for p in ordered[:3]]


def test_most_upvoted_over_several_series_takes_papers_matching_any(seeded):
    filters = [paper_filter(parse("mamba")), paper_filter(parse("transformer"))]
    found = seeded.most_upvoted(filters, SINCE, UNTIL, 3)
    assert [p.key for p in found] == ["2501.00012", "2501.00002", "2501.00003"]


def test_months_outside_the_range_and_withdrawn_papers_are_not_counted(seeded):
    counts = seeded.monthly_counts(paper_filter(parse("mamba")), "2024-11", "2025-12")
    assert counts == {"2024-11": 1, "2025-01": 1}  # 2501.00014 (July) is withdrawn
    assert seeded.monthly_counts(paper_filter(parse("retrieval")), "2025-12", "2025-12") == {"2025-12": 1}


def test_latest_published_is_the_newest_date_not_after_the_day(seeded):
    assert seeded.latest_published("2026-11-24") == "2025-12-31"
    assert seeded.latest_published("2025-03-01") == "2025-02-28"
    assert seeded.latest_published("2000-01-01") is None
