"""One paper per work: a record without an arXiv id and the arXiv record of the same paper become one
paper, whichever arrives first, through the ingest path and the import path alike."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from paperboy.bot.clock import FakeClock
from paperboy.bot.commands.dispatch import build_core
from paperboy.bot.commands.invocation import Place
from paperboy.bot.commands.typed import TypedCommands
from paperboy.bot.models import Paper, key_for_unnumbered
from paperboy.bot.replies import Card, PaperList
from paperboy.storage.sqlite import SQLiteStore

T0, T1 = "2026-11-24T08:00:00Z", "2026-11-25T08:00:00Z"
TITLE = "Retro-Search: Exploring Untaken Paths for Deeper and Efficient Reasoning"
ABSTRACT = "Large reasoning models exhibit remarkable reasoning capabilities via long trajectories."


def from_arxiv(**changes) -> Paper:
    paper = Paper(key="2504.04383", arxiv_id="2504.04383", title=TITLE, abstract=ABSTRACT,
                  authors=("Ximing Lu", "Seungju Han"), published="2025-04-06", categories=("cs.CL",))
    return paper.with_changes(**changes) if changes else paper


def without_id(title: str = TITLE, venue: str | None = "ICLR 2026", **changes) -> Paper:
    paper = Paper(key=key_for_unnumbered(title, venue), title=title, authors=("X. Lu",), venue=venue)
    return paper.with_changes(**changes) if changes else paper


WAYS = {"ingest": lambda s, papers, at: s.upsert_papers(papers, at, news=True),
        "import": lambda s, papers, at: s.bulk_upsert_papers(papers, at)}


@pytest.mark.parametrize("first_way", WAYS)
@pytest.mark.parametrize("then_way", WAYS)
def test_the_arxiv_record_takes_over_a_paper_stored_without_an_id(store, first_way, then_way):
    WAYS[first_way](store, [without_id()], T0)
    result = WAYS[then_way](store, [from_arxiv()], T1)
    assert store.count_papers() == 1
    paper = store.get_paper("2504.04383")
    assert paper.venue == "ICLR 2026" and paper.abstract == ABSTRACT and paper.authors == ("Ximing Lu", "Seungju Han")
    assert result.new_keys == ()  # the paper was known already
    assert store.get_paper(without_id().key) is None


@pytest.mark.parametrize("first_way", WAYS)
@pytest.mark.parametrize("then_way", WAYS)
def test_a_record_without_an_id_is_merged_into_the_stored_arxiv_paper(store, first_way, then_way):
    WAYS[first_way](store, [from_arxiv(abstract=None)], T0)
    result = WAYS[then_way](store, [without_id(abstract="The conference abstract.", title=TITLE.upper())], T1)
    assert store.count_papers() == 1 and result.new_keys == () and result.changed == 1
    paper = store.get_paper("2504.04383")
    assert paper.title == TITLE  # the arXiv record's own fields stay; only blanks are filled
    assert paper.venue == "ICLR 2026" and paper.abstract == "The conference abstract."
    assert paper.authors == ("Ximing Lu", "Seungju Han")
    again = WAYS[then_way](store, [without_id(abstract="The conference abstract.", title=TITLE.upper())], T1)
    assert again.changed == 0 and store.count_papers() == 1


def test_the_same_title_in_one_batch_is_one_paper(store):
    result = store.bulk_upsert_papers([without_id(venue="NeurIPS 2025"), from_arxiv(), without_id()], T0)
    assert store.count_papers() == 1 and result.new_keys == ("2504.04383",)
    assert store.get_paper("2504.04383").venue == "NeurIPS 2025"


def test_two_records_without_ids_from_two_venues_are_one_paper(store):
    store.bulk_upsert_papers([without_id(venue="ICLR 2026", abstract=None)], T0)
    store.upsert_papers([without_id(venue="ICLR 2026 Workshop", abstract=ABSTRACT)], T1)
    [key] = [row[0] for row in store._all("SELECT key FROM papers")]
    assert key == without_id(venue="ICLR 2026").key and store.get_paper(key).abstract == ABSTRACT


def test_different_first_authors_are_different_papers(store):
    store.bulk_upsert_papers([from_arxiv()], T0)
    store.bulk_upsert_papers([without_id(authors=("Yejin Choi",))], T1)
    assert store.count_papers() == 2


@pytest.mark.parametrize("authors, merged", [((), False), (("Kaiming He",), True), (("Ross Girshick",), False)])
def test_a_short_title_needs_the_same_first_author(store, authors, merged):
    store.bulk_upsert_papers([from_arxiv(title="Deep Residual Learning", authors=("K. He",))], T0)
    store.bulk_upsert_papers([without_id(title="Deep Residual Learning", authors=authors)], T1)
    assert store.count_papers() == (1 if merged else 2)


def test_a_paper_on_a_daily_list_keeps_its_key(store):
    store.bulk_upsert_papers([without_id()], T0)
    store.record_daily_list("2026-11-24", "hf", [(without_id().key, 3)])
    store.upsert_papers([from_arxiv()], T1)
    assert [p.key for p, _ in store.daily_list("2026-11-24", "hf")] == [without_id().key]


async def lookup(store: SQLiteStore, query: str):
    core = build_core(store, clock=FakeClock(datetime(2026, 11, 25, tzinfo=UTC)))
    inv = TypedCommands(core.specs).read(f"/paper {query}", user="u", place=Place("console", "w", "c"),
                                         can_configure=False)
    return await core.dispatch(inv)


async def test_the_readmes_example_is_confident_after_an_import_and_the_arxiv_record(store):
    store.bulk_upsert_papers([without_id()], T0)
    store.upsert_papers([from_arxiv()], T1)
    reply = await lookup(store, "retro serch untaken paths")
    assert isinstance(reply, Card) and reply.paper.arxiv_id == "2504.04383"


async def test_results_never_show_the_same_title_twice_and_prefer_the_one_with_an_id(store):
    # Told apart by their first authors, so both are stored: the list still shows the title once.
    store.bulk_upsert_papers([without_id(authors=("Someone Else",), abstract=ABSTRACT + " reasoning paths"),
                              from_arxiv(), from_arxiv(key="2504.09999", arxiv_id="2504.09999",
                                                       title="Untaken Paths in Search")], T0)
    reply = await lookup(store, "untaken paths reasoning")
    items = reply.items if isinstance(reply, PaperList) else (reply,) + tuple(reply.alternatives)
    titles = [i.paper.title.lower() for i in items]
    assert len(titles) == len(set(titles)) and TITLE.lower() in titles
    assert next(i.paper for i in items if i.paper.title.lower() == TITLE.lower()).arxiv_id == "2504.04383"
