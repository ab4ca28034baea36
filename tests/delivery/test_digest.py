"""build_digest: which list a channel gets, ranked, trimmed and filtered as configured."""
from __future__ import annotations

import pytest

from paperboy.bot.delivery.digest import build_digest, build_digest_explained
from paperboy.bot.replies import PaperList
from paperboy.bot.serialize import reply_from_dict, reply_to_dict
from paperboy.bot.subscriptions.query import QueryError, parse
from paperboy.bot.syntax import Syntax


def titles(digest) -> list[str]:
    return [s.paper.title for s in digest.reply.items]


def test_hf_list_ranked_by_upvotes_with_a_dated_title(store, stock):
    stock.hf_day("2026-11-24", [3, 40, 12], ["Low", "High", "Middle"])
    digest = build_digest(store, None, "2026-11-24")
    assert digest is not None
    assert isinstance(digest.reply, PaperList)
    assert digest.list_date == "2026-11-24"
    assert digest.reply.title == "Trending papers — Tue 24 Nov 2026"
    assert titles(digest) == ["High", "Middle", "Low"]
    assert [s.score for s in digest.reply.items] == [40.0, 12.0, 3.0]
    assert "Top 3 of 3" in digest.reply.note


def test_the_newest_list_on_or_before_the_local_date_is_used(store, stock):
    stock.hf_day("2026-11-22", [5], ["Sunday paper"])
    stock.hf_day("2026-11-23", [5], ["Monday paper"])
    stock.hf_day("2026-11-26", [5], ["Thursday paper"])  # after the local date: not shown yet
    digest = build_digest(store, None, "2026-11-25")
    assert digest.list_date == "2026-11-23"
    assert titles(digest) == ["Monday paper"]
    assert "Mon 23 Nov 2026" in digest.reply.title


def test_nothing_stored_gives_none_with_a_reason(store):
    assert build_digest(store, None, "2026-11-24") is None
    digest, why = build_digest_explained(store, None, "2026-11-24")
    assert digest is None and "no Hugging Face Daily Papers list" in why


def test_defaults_show_the_top_ten(store, stock):
    stock.hf_day("2026-11-24", list(range(1, 16)))
    digest = build_digest(store, None, "2026-11-24")
    assert [s.score for s in digest.reply.items] == [float(n) for n in range(15, 5, -1)]
    assert digest.considered == 15


def test_top_n_and_min_upvotes_are_honoured(store, stock):
    stock.hf_day("2026-11-24", [1, 2, 5, 8, 13, 21, 34])
    channel = stock.channel(top_n=3, min_upvotes=6)
    digest = build_digest(store, channel, "2026-11-24")
    assert [s.score for s in digest.reply.items] == [34.0, 21.0, 13.0]
    channel = stock.channel(top_n=10, min_upvotes=6)
    digest = build_digest(store, channel, "2026-11-24")
    assert [s.score for s in digest.reply.items] == [34.0, 21.0, 13.0, 8.0]
    assert "at least 6 upvotes" in digest.reply.note


def test_min_upvotes_leaving_nothing_gives_none_and_says_why(store, stock):
    stock.hf_day("2026-11-24", [1, 2, 3])
    channel = stock.channel(min_upvotes=50)
    digest, why = build_digest_explained(store, channel, "2026-11-24")
    assert digest is None
    assert "none of the 3 papers" in why and "at least 50 upvotes" in why


def test_upvotes_grown_since_the_list_was_stored_count(store, stock):
    early, late = stock.hf_day("2026-11-24", [10, 5], ["Early favourite", "Late bloomer"])
    store.upsert_papers([late.with_changes(upvotes=99)], "2026-11-24T20:00:00Z")
    digest = build_digest(store, None, "2026-11-24")
    assert titles(digest) == ["Late bloomer", "Early favourite"]
    assert digest.reply.items[0].paper.upvotes == 99


def test_arxiv_categories_use_the_newest_published_day(store, stock):
    stock.paper("Old LG", published="2026-11-20", categories=["cs.LG"])
    stock.paper("New LG", published="2026-11-23", categories=["cs.LG"], upvotes=2)
    stock.paper("New CL", published="2026-11-23", categories=["cs.CL", "cs.AI"], upvotes=7)
    stock.paper("New CV", published="2026-11-23", categories=["cs.CV"], upvotes=50)
    stock.paper("Future LG", published="2026-11-25", categories=["cs.LG"])
    channel = stock.channel(sources="cs.LG,cs.CL")
    digest = build_digest(store, channel, "2026-11-24")
    assert digest.list_date == "2026-11-23"
    assert digest.sources == "cs.LG,cs.CL"
    assert titles(digest) == ["New CL", "New LG"]
    assert digest.reply.title == "New in cs.LG, cs.CL — Mon 23 Nov 2026"


def test_arxiv_top_n_and_min_upvotes(store, stock):
    for n in range(8):
        stock.paper(f"LG {n}", published="2026-11-23", categories=["cs.LG"], upvotes=n)
    channel = stock.channel(sources="cs.LG", top_n=2, min_upvotes=3)
    assert titles(build_digest(store, channel, "2026-11-23")) == ["LG 7", "LG 6"]
    assert build_digest(store, stock.channel(sources="cs.CL"), "2026-11-23") is None


def test_the_digest_survives_the_outbox_payload_round_trip(store, stock):
    stock.hf_day("2026-11-24", [3, 4])
    digest = build_digest(store, None, "2026-11-24")
    assert reply_from_dict(reply_to_dict(digest.reply)) == digest.reply


# The keyword filter is a subscription query (paperboy.bot.subscriptions.query).

def test_filter_keeps_only_matching_papers(store, stock):
    stock.hf_day("2026-11-24", [50, 40, 30, 20],
                 ["Diffusion models for medical imaging", "Scaling diffusion transformers",
                  "A study of attention sinks", "Diffusion policies for robots"])
    channel = stock.channel(filter="diffusion -medical")
    digest = build_digest(store, channel, "2026-11-24")
    assert titles(digest) == ["Scaling diffusion transformers", "Diffusion policies for robots"]
    assert "filter: diffusion -medical" in digest.reply.note


def test_filter_applies_before_top_n(store, stock):
    stock.hf_day("2026-11-24", [90, 80, 70, 5, 4],
                 ["Vision one", "Vision two", "Vision three", "Speech one", "Speech two"])
    channel = stock.channel(filter="speech", top_n=1)
    assert titles(build_digest(store, channel, "2026-11-24")) == ["Speech one"]


def test_filter_matching_nothing_gives_none(store, stock):
    stock.hf_day("2026-11-24", [9, 8], ["Graph networks", "Protein folding"])
    digest, why = build_digest_explained(store, stock.channel(filter="quantum"), "2026-11-24")
    assert digest is None and "matches quantum" in why


def test_a_stored_filter_that_no_longer_parses_is_not_silently_applied(store, stock):
    with pytest.raises(QueryError):
        parse("-medical")  # a query needs a positive term
    stock.hf_day("2026-11-24", [9, 8], ["Medical imaging", "Protein folding"])
    digest = build_digest(store, stock.channel(filter="-medical"), "2026-11-24")
    assert titles(digest) == ["Medical imaging", "Protein folding"]
    assert "filter not applied" in digest.reply.note
    assert "fix it with /digest config filter=..." in digest.reply.note
    on_slack = build_digest(store, stock.channel(filter="-medical"), "2026-11-24", Syntax("paper"))
    assert "fix it with /paper digest config filter=..." in on_slack.reply.note
