"""One ingest round as `paperboy run` does it: sources in, papers stored, subscribers alerted once."""
from __future__ import annotations

import copy
import json
import logging
from datetime import UTC, date, datetime

import pytest
from fake_paper_sources import Reply, fixture_bytes
from no_network import UNRESOLVABLE, unresolvable

from paperboy.bot.clock import FakeClock
from paperboy.bot.delivery.fetch_log import NotFetched, fetch_record
from paperboy.bot.delivery.pipeline import ingest_once, unreached_line
from paperboy.bot.sources import Reachability, Sources
from paperboy.bot.sources.arxiv import ArxivGate, ArxivSource
from paperboy.bot.sources.hf import HuggingFaceSource

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def sources(fake_sources, http_client, sleeps, quick_policy):
    return Sources(HuggingFaceSource(http_client, fake_sources.url, policy=quick_policy, sleep=sleeps),
                   ArxivSource(http_client, fake_sources.url, gate=ArxivGate(0.0), policy=quick_policy))


async def test_a_round_stores_the_day_and_alerts_each_match_once(fake_sources, sources, store):
    fake_sources.route("/api/daily_papers", Reply(200, b"[]"))  # the days before: empty lists
    fake_sources.serve_fixture("hf_daily_papers_2026-11-24.json")
    fake_sources.route("/api/daily_papers", Reply(200, b"[]"), query={"date": "2026-11-23"})
    sub = store.add_subscription("slack", "T1", "U1", "C1", "dm", "memory", NOW.isoformat())
    other = store.add_subscription("slack", "T1", "U2", "C1", "dm", "spectroscopy", NOW.isoformat())

    summary = await ingest_once(store, sources, NOW)

    assert summary["failures"] == [] and summary["new"] == 12
    assert [p.key for p, _ in store.daily_list("2026-11-24", "hf")][0] == "2607.19592"
    alerts = store.deliveries(kind="alert")
    keys = {d.dedupe_key for d in alerts}
    # PRO-LONG (Programmatic Memory) and Mi-Memory mention memory; nothing is about spectroscopy.
    assert {f"alert:{sub.id}:2607.20064", f"alert:{sub.id}:2607.18975"} <= keys
    assert not any(k.startswith(f"alert:{other.id}:") for k in keys)
    assert all(d.target.user == "U1" and d.target.mode == "dm" for d in alerts)

    again = await ingest_once(store, sources, NOW)
    assert again["new"] == 0 and again["alerts"] == 0
    assert len(store.deliveries(kind="alert")) == len(alerts)


async def test_a_failing_source_is_reported_and_the_others_still_run(fake_sources, sources, store):
    fake_sources.route("/api/daily_papers", Reply(200, b"[]"))
    fake_sources.serve_fixture("hf_daily_papers_2026-11-24.json")
    fake_sources.route("/api/daily_papers", Reply(500, b"oops"), query={"date": "2026-11-23"})
    fake_sources.route("/api/query", Reply(503, b"down", "text/plain"))
    store.configure_channel("discord", "g", "c", NOW.isoformat(), sources="cs.LG")

    summary = await ingest_once(store, sources, NOW)

    assert summary["new"] == 12
    assert any("hf 2026-11-23" in f for f in summary["failures"])
    assert any("arxiv cs.LG" in f for f in summary["failures"])
    assert store.count_papers() == 12


def _week_of_lists(fake_sources, rise_by: dict[str, int]) -> None:
    """Each of the 7 days up to 24 Nov lists one paper of the fixture; its upvotes are the fixture's
    plus whatever rise_by (a shared, mutable count) says by then."""
    items = json.loads(fixture_bytes("hf_daily_papers_2026-11-24.json"))

    def listed(query: dict[str, str]) -> Reply:
        day = query["date"]
        back = (date(2026, 11, 24) - date.fromisoformat(day)).days
        if not 0 <= back < len(items):
            return Reply(200, b"[]")
        item = copy.deepcopy(items[back])
        item["paper"]["upvotes"] += rise_by["now"]
        return Reply(200, json.dumps([item]).encode())

    fake_sources.route("/api/daily_papers", dynamic=listed)


async def test_once_a_day_the_last_seven_days_lists_are_fetched_again_for_their_upvotes(fake_sources, sources,
                                                                                        store):
    rise = {"now": 0}
    _week_of_lists(fake_sources, rise)
    await ingest_once(store, sources, NOW)
    asked = [s.query["date"] for s in fake_sources.requests_to("/api/daily_papers")]
    assert sorted(asked) == [f"2026-11-{d}" for d in range(18, 25)]  # one request per day's list
    five_days_back = store.daily_list("2026-11-19", "hf")
    [(paper, first_count)] = five_days_back

    rise["now"] = 40  # upvotes kept coming in
    await ingest_once(store, sources, NOW.replace(hour=18))  # later the same day: today and yesterday only
    asked = [s.query["date"] for s in fake_sources.requests_to("/api/daily_papers")]
    assert len(asked) == 7 + 2
    assert store.daily_list("2026-11-19", "hf")[0][1] == first_count

    await ingest_once(store, sources, NOW.replace(day=25, hour=6))  # the next day: the week again
    asked = [s.query["date"] for s in fake_sources.requests_to("/api/daily_papers")]
    assert len(asked) == 7 + 2 + 7
    assert store.daily_list("2026-11-19", "hf")[0][1] == first_count + 40
    assert store.get_paper(paper.key).upvotes == first_count + 40


async def test_a_refresh_that_failed_is_tried_again_on_the_next_round(fake_sources, sources, store):
    fake_sources.route("/api/daily_papers", Reply(200, b"[]"))
    fake_sources.route("/api/daily_papers", Reply(500, b"oops"), query={"date": "2026-11-20"})
    await ingest_once(store, sources, NOW)
    fake_sources.route("/api/daily_papers", Reply(200, b"[]"), query={"date": "2026-11-20"})
    before = len(fake_sources.requests_to("/api/daily_papers"))
    await ingest_once(store, sources, NOW.replace(hour=13))
    assert len(fake_sources.requests_to("/api/daily_papers")) - before == 7
    await ingest_once(store, sources, NOW.replace(hour=14))
    assert len(fake_sources.requests_to("/api/daily_papers")) - before == 7 + 2


async def test_news_stored_by_a_process_that_died_before_alerting_is_alerted_on_the_next_round(
        fake_sources, sources, db_location):
    from paperboy.bot.delivery.ingest import ingest_hf
    from paperboy.bot.delivery.pipeline import match_news
    from paperboy.storage import open_store

    fake_sources.serve_fixture("hf_daily_papers_2026-11-24.json")
    first = open_store(db_location)
    sub = first.add_subscription("slack", "T1", "U1", "C1", "dm", "memory", NOW.isoformat())
    await ingest_hf(first, sources, "2026-11-24", NOW)  # stored and committed, then the process died
    first.close()

    restarted = open_store(db_location)
    assert len(restarted.unmatched_papers()) == 12
    assert match_news(restarted, NOW) == 2  # the two papers about memory, told now
    assert {d.dedupe_key for d in restarted.deliveries(kind="alert")} == {
        f"alert:{sub.id}:2607.20064", f"alert:{sub.id}:2607.18975"}
    assert restarted.unmatched_papers() == [] and match_news(restarted, NOW) == 0
    restarted.close()


async def test_papers_a_lookup_or_an_import_stores_are_catalogue_never_news(store):
    from paperboy.bot.delivery.pipeline import match_news
    from paperboy.bot.models import Paper

    store.add_subscription("slack", "T1", "U1", "C1", "dm", "memory", NOW.isoformat())
    store.upsert_papers([Paper(key="2001.00001", title="Memory networks, looked up")], NOW.isoformat())
    store.bulk_upsert_papers([Paper(key="2001.00002", title="Memory networks, imported")], NOW.isoformat())
    assert store.unmatched_papers() == [] and match_news(store, NOW) == 0


async def test_without_a_network_a_round_asks_each_host_once_and_says_so_in_one_line(store, counting_client,
                                                                                     caplog):
    caplog.set_level(logging.INFO)
    clock = FakeClock(NOW)
    sources = Sources.from_env({"PAPERBOY_HF_BASE_URL": f"http://{UNRESOLVABLE}",
                                "PAPERBOY_ARXIV_BASE_URL": f"http://{unresolvable('export.arxiv')}",
                                "PAPERBOY_ARXIV_OAI_URL": f"http://{unresolvable('oaipmh.arxiv')}/oai"},
                               counting_client,
                               gate=ArxivGate(0.0, clock=clock), reach=Reachability(clock))
    store.configure_channel("discord", "g", "c", NOW.isoformat(), sources="cs.LG,cs.CL")

    summary = await ingest_once(store, sources, NOW, next_round=1800)

    assert len(counting_client.sent) == 3  # one day of Hugging Face, one category of arXiv, one set of OAI-PMH
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warned == ["Hugging Face, arXiv and arXiv OAI-PMH unreachable (no network); "
                      "7 days, 2 categories and 1 set not fetched; retrying in 30 min"]
    details = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert f"ingest failed: hf 2026-11-24: hf: no network: could not resolve {UNRESOLVABLE}" in details
    assert len(summary["failures"]) == 3
    assert fetch_record(store, "hf").last_error.endswith(f"could not resolve {UNRESOLVABLE}")
    assert fetch_record(store, "arxiv:cs.CL").last_error is not None
    assert fetch_record(store, "arxiv:cs.LG").last_attempt is None  # the categories after it are not tried

    clock.advance(seconds=1800)
    caplog.clear()
    await ingest_once(store, sources, NOW.replace(hour=12, minute=30), next_round=1800)
    assert len(counting_client.sent) == 6  # the rest was over: asked again, once each
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "Hugging Face, arXiv and arXiv OAI-PMH unreachable (no network); "
        "7 days, 2 categories and 1 set not fetched; retrying in 30 min"]

    await ingest_once(store, sources, NOW.replace(hour=12, minute=45))  # while the hosts rest
    assert len(counting_client.sent) == 6
    assert fetch_record(store, "hf").last_attempt == "2026-11-24T12:30:00Z"  # no attempt made, none recorded


def test_the_line_says_when_the_first_round_that_asks_again_comes():
    left = [NotFetched("Hugging Face", "no network", "2 days", 1800, "hf 2026-11-24: ..."),
            NotFetched("arXiv", "connection refused", "1 category", 1500, "arxiv cs.LG: ...")]
    assert unreached_line(left, 600) == ("Hugging Face and arXiv unreachable (no network, connection refused); "
                                         "2 days and 1 category not fetched; retrying in 30 min")
    assert unreached_line(left[:1]) == "Hugging Face unreachable (no network); 2 days not fetched"
