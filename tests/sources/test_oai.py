"""Harvesting arXiv's OAI-PMH interface from the recorded two-page answer served on loopback:
what is stored, resumption tokens, 503 Retry-After, noRecordsMatch, deletions, resuming a cut-off
harvest."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fake_paper_sources import EXPECTED, Reply, fixture_bytes

from paperboy.bot.delivery.harvest import harvest_set, harvest_state
from paperboy.bot.models import Paper
from paperboy.bot.sources import SourceError, Sources
from paperboy.bot.sources.arxiv import ArxivGate
from paperboy.bot.sources.http import RetryPolicy
from paperboy.bot.sources.oai import OaiSource, parse_page, set_of
from paperboy.bot.text import readable_math

XML = "text/xml; charset=utf-8"
NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
FIRST_PAGE = {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "math", "from": "2026-11-24",
              "until": "2026-11-24"}
TOKEN = "7384712|1001"


def page(name: str, status: int = 200, **headers) -> Reply:
    return Reply(status, fixture_bytes(name), XML, dict(headers))


@pytest.fixture
def oai_sources(fake_sources, http_client, sleeps):
    gate = ArxivGate(0.0)
    gate.clock.sleep = sleeps  # type: ignore[method-assign]
    policy = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, max_retry_after=30.0)
    return Sources(None, None, client=http_client, oai=OaiSource(http_client, fake_sources.url + "/oai", gate=gate,
                                                                  policy=policy))


def serve_both_pages(fake_sources, first: tuple[Reply, ...] = ()) -> None:
    fake_sources.route("/oai", *(first or (page("arxiv_oai_page1.xml"),)), query=FIRST_PAGE)
    fake_sources.route("/oai", page("arxiv_oai_page2.xml"), query={"verb": "ListRecords", "resumptionToken": TOKEN})


async def harvest(store, sources, **kw):
    return await harvest_set(store, sources, "math", NOW, since="2026-11-24", until="2026-11-24", **kw)


async def test_two_pages_are_stored_as_expected(fake_sources, oai_sources, store):
    expected = EXPECTED["arxiv_oai_page1.xml+arxiv_oai_page2.xml"]
    store.upsert_papers([Paper(key="2611.99999", arxiv_id="2611.99999", title="Soon to be withdrawn")],
                        "2026-11-20T00:00:00Z")
    serve_both_pages(fake_sources)
    report = await harvest(store, oai_sources)
    assert report.pages == expected["requests"] == len(fake_sources.requests_to("/oai"))
    assert fake_sources.requests_to("/oai")[1].query == {"verb": "ListRecords", "resumptionToken": TOKEN}
    for want in expected["stores"]:
        stored = store.get_paper(want["arxiv_id"])
        assert stored is not None and stored.published == want["published"]
        for name in ("authors", "categories"):
            if name in want:
                assert list(getattr(stored, name)) == want[name]
        if "doi" in want:
            assert stored.doi == want["doi"]
        if "title_display" in want:
            assert readable_math(stored.title) == want["title_display"]
            assert "$" in stored.title  # the stored title keeps the source's text
    withdrawn = store.get_paper("2611.99999")
    assert withdrawn.withdrawn and report.withdrawn == len(expected["deleted"]) == 1
    state = harvest_state(store, "math")
    assert state.finished and state.token is None and state.harvested_until == "2026-11-24"


async def test_a_503_with_retry_after_is_waited_out(fake_sources, oai_sources, store, sleeps):
    serve_both_pages(fake_sources, first=(Reply(503, b"Retry later", "text/plain", {"Retry-After": "7"}),
                                          page("arxiv_oai_page1.xml")))
    report = await harvest(store, oai_sources)
    assert 7.0 in sleeps.waits and report.papers == 4


async def test_a_harvest_cut_off_resumes_with_its_token(fake_sources, oai_sources, store):
    fake_sources.route("/oai", page("arxiv_oai_page1.xml"), query=FIRST_PAGE)
    fake_sources.route("/oai", Reply(500, b"down", "text/plain"), query={"resumptionToken": TOKEN})
    with pytest.raises(SourceError):
        await harvest(store, oai_sources)
    state = harvest_state(store, "math")
    assert not state.finished and state.token == TOKEN and store.get_paper("1910.03186") is not None
    fake_sources.route("/oai", page("arxiv_oai_page2.xml"), query={"resumptionToken": TOKEN})
    asked_before = len(fake_sources.requests_to("/oai"))
    report = await harvest(store, oai_sources)
    assert report.resumed and store.get_paper("2005.12954") is not None
    assert [s.query for s in fake_sources.requests_to("/oai")[asked_before:]] == [
        {"verb": "ListRecords", "resumptionToken": TOKEN}]  # the first page was not asked again
    assert harvest_state(store, "math").finished


async def test_an_expired_token_starts_again_from_the_last_datestamp(fake_sources, oai_sources, store):
    expired = (b'<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
               b'<error code="badResumptionToken">expired</error></OAI-PMH>')
    # The first page's query, asked again from the last datestamp (the same day here), then has the rest.
    fake_sources.route("/oai", page("arxiv_oai_page1.xml"), page("arxiv_oai_page2.xml"), query=FIRST_PAGE)
    fake_sources.route("/oai", Reply(200, expired, XML), query={"resumptionToken": TOKEN})
    report = await harvest(store, oai_sources)
    asked = [s.query for s in fake_sources.requests_to("/oai")]
    assert asked == [FIRST_PAGE, {"verb": "ListRecords", "resumptionToken": TOKEN}, FIRST_PAGE]
    assert report.pages == 2 and store.get_paper("2005.12954") is not None


async def test_no_records_is_an_empty_day_not_an_error(fake_sources, oai_sources, store):
    fake_sources.route("/oai", page("arxiv_oai_norecords.xml"), query={"set": "math"})
    report = await harvest(store, oai_sources)
    assert (report.pages, report.papers) == (1, 0) and harvest_state(store, "math").finished


async def test_a_withdrawn_paper_is_never_offered(fake_sources, oai_sources, store):
    from paperboy.bot.commands.dispatch import build_core
    from paperboy.bot.commands.invocation import Place
    from paperboy.bot.commands.typed import TypedCommands
    from paperboy.bot.replies import Notice

    store.upsert_papers([Paper(key="2611.99999", arxiv_id="2611.99999", title="Soon to be withdrawn")],
                        "2026-11-20T00:00:00Z")
    serve_both_pages(fake_sources)
    await harvest(store, oai_sources)
    core = build_core(store)
    commands = TypedCommands(core.specs)
    place = Place("console", "w", "c")
    by_id = await core.dispatch(commands.read("/paper 2611.99999", user="u", place=place))
    assert isinstance(by_id, Notice) and "withdrawn" in by_id.text and by_id.no_match
    by_title = await core.dispatch(commands.read("/paper Soon to be withdrawn", user="u", place=place))
    assert "2611.99999" not in str(by_title)


def test_garbage_and_oai_errors_are_source_errors():
    with pytest.raises(SourceError):
        parse_page(b"<html>maintenance</html>")
    with pytest.raises(SourceError, match="badArgument"):
        parse_page(b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><error code="badArgument">no</error>'
                   b"</OAI-PMH>")


@pytest.mark.parametrize("category, expected", [("cs.LG", "cs"), ("hep-th", "physics"), ("math.AG", "math"),
                                                ("astro-ph.GA", "physics"), ("q-bio.NC", "q-bio"),
                                                ("stat.ML", "stat"), ("quant-ph", "physics")])
def test_each_category_has_its_set(category, expected):
    assert set_of(category) == expected


def test_the_harvest_is_due_once_a_day_after_arxivs_announcement():
    from paperboy.bot.clock import iso
    from paperboy.bot.delivery.harvest import HarvestState, harvest_due, last_harvest_moment

    # 20:00 in New York plus two hours: 03:00 UTC in November (EST).
    assert last_harvest_moment(datetime(2026, 11, 25, 4, 0, tzinfo=UTC)) == datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    assert last_harvest_moment(datetime(2026, 11, 25, 2, 0, tzinfo=UTC)) == datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    done_before = HarvestState("cs", last_success=iso(datetime(2026, 11, 25, 2, 59, tzinfo=UTC)))
    done_after = HarvestState("cs", last_success=iso(datetime(2026, 11, 25, 3, 1, tzinfo=UTC)))
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert harvest_due(done_before, now) and not harvest_due(done_after, now)
    assert harvest_due(HarvestState("cs"), now) and harvest_due(HarvestState("cs", last_success=iso(now),
                                                                             finished=False), now)


def test_the_sets_to_harvest_come_from_channels_and_subscriptions(store):
    from paperboy.bot.delivery.harvest import wanted_sets

    store.configure_channel("discord", "g", "c1", "2026-11-24T00:00:00Z", enabled=True, sources="cs.LG,math.AG")
    store.configure_channel("discord", "g", "c2", "2026-11-24T00:00:00Z", enabled=True, sources="hf")
    store.add_subscription("discord", "g", "u1", "c1", "dm", "cat:hep-th diffusion", "2026-11-24T00:00:00Z")
    store.add_subscription("discord", "g", "u2", "c1", "dm", "diffusion -cat:q-bio", "2026-11-24T00:00:00Z")
    assert wanted_sets(store) == ["cs", "math", "physics"]


async def test_the_bots_ingest_harvests_due_sets_and_alerts_their_subscribers(fake_sources, oai_sources, store):
    from paperboy.bot.delivery.pipeline import ingest_once

    store.add_subscription("discord", "g", "u1", "c1", "dm", "cat:math.QA coulomb", "2026-11-24T00:00:00Z")
    # As if 1910.03186 had been submitted the day before: news. 1510.03908 (a new version of a 2015
    # paper, also about Coulomb branches but not in math.QA) stays catalogue either way.
    fresh = fixture_bytes("arxiv_oai_page1.xml").replace(b"<created>2019-10-08</created>",
                                                         b"<created>2026-11-24</created>")
    fake_sources.route("/oai", Reply(200, fresh, XML), query={"set": "math"})
    fake_sources.route("/oai", page("arxiv_oai_page2.xml"), query={"resumptionToken": TOKEN})
    summary = await ingest_once(store, oai_sources, NOW)
    assert [s.query.get("set") for s in fake_sources.requests_to("/oai")][0] == "math"
    assert summary["alerts"] == 1
    [alert] = store.deliveries(kind="alert")
    assert alert.dedupe_key.endswith(":1910.03186") and alert.target.user == "u1"
    again = await ingest_once(store, oai_sources, NOW)
    assert len(fake_sources.requests_to("/oai")) == 2 and again["alerts"] == 0  # harvested once a day
