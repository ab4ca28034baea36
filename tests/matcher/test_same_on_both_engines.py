"""PostgreSQL answers as SQLite does: the same full-text matches, the same bm25 scores, and so the
same /paper rankings, on the seed library (tests/matcher/conftest.py) held by both engines."""
from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import SEEN_AT, library

from paperboy.bot.search.matcher import Matcher
from paperboy.storage import open_store
from paperboy.storage.sqlite import SQLiteStore

EXPRESSIONS = [
    '"reversal"', '"model" OR "models"', '"diffusion" AND "model"', '"state-space"', '"rev"*', '"language models"',
    '"world" AND ("model" OR "models")', '"the"', '"a"', '"deep" OR "learning" OR "network"', '"hu"',
    '"sde" OR "score" OR "based"', '"survey" OR "medical" OR "state"', '("score") AND ("generative") AND ("modeling")',
    '"modelling"', '"colours" OR "colors"', '"it\'s"', '"łukasz"', '"nothing-like-this"', '""',
]
WEIGHTS = [(10.0, 1.0, 2.0), (1.0, 1.0, 0.5)]
# The two held-out queries PostgreSQL ranked differently (issue 22), descriptions and titles beside them.
QUERIES = [
    "score based generative modeling sde", "survey of state space models in medical image analysis",
    "the one where a model trained on arithmetic predicts risky choices", "reversal curse", "retro search",
    "world models on pretrained visual features", "colours of trans-neptunian objects", "lora",
    "how post training reshapes llms", "deep equilibrium models and neural odes", "rafailov sharma preference",
]


@pytest.fixture(scope="module")
def engines(postgres_server, postgres_template):
    sqlite = SQLiteStore(memory=True)
    postgres = open_store(postgres_server.new_database(template=postgres_template))
    for store in (sqlite, postgres):
        store.upsert_papers(library(), SEEN_AT)
    yield sqlite, postgres
    sqlite.close()
    postgres.close()


def keyed(store, hits: list[tuple[int, float]]) -> list[tuple[str, float]]:
    papers = store.get_papers_by_rowid([rowid for rowid, _ in hits])
    return [(papers[rowid].key, score) for rowid, score in hits]


@pytest.mark.parametrize("weights", WEIGHTS)
@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_full_text_search_finds_and_scores_as_fts5(engines, expression, weights):
    sqlite, postgres = engines
    expected = keyed(sqlite, sqlite.fts_search(expression, 50, weights))
    found = keyed(postgres, postgres.fts_search(expression, 50, weights))
    assert [key for key, _ in found] == [key for key, _ in expected]
    assert [score for _, score in found] == pytest.approx([score for _, score in expected], rel=1e-12)


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_counts_and_newest_are_fts5s(engines, expression):
    sqlite, postgres = engines
    assert postgres.fts_count(expression, 100) == sqlite.fts_count(expression, 100)
    assert postgres.fts_counts([expression, '"model"'], 3) == sqlite.fts_counts([expression, '"model"'], 3)
    newest = [store.get_papers_by_rowid(store.fts_newest(expression, 5)) for store in engines]
    assert [p.key for p in newest[1].values()] == [p.key for p in newest[0].values()]


@pytest.mark.parametrize("query", QUERIES)
def test_lookups_rank_the_same_papers_the_same_way(engines, query):
    sqlite, postgres = engines
    expected, found = Matcher(sqlite).rank(query, 5), Matcher(postgres).rank(query, 5)
    assert [(s.paper.key, s.score) for s in found.candidates] == [(s.paper.key, s.score) for s in expected.candidates]
    assert (found.via, found.confident) == (expected.via, expected.confident)


def test_a_paper_rewritten_is_searched_by_its_new_words_and_weighs_as_on_sqlite(postgres_server, postgres_template):
    """Totals (papers, tokens) and each entry follow a paper whose title and abstract change."""
    stores = [SQLiteStore(memory=True), open_store(postgres_server.new_database(template=postgres_template))]
    first = library()[0]
    for store in stores:
        store.upsert_papers(library(), SEEN_AT)
        store.upsert_papers([replace(first, title="Zymurgy of Misspecified Rewards",
                                     abstract="Zymurgy, zymurgy and reward learning " * 3)], SEEN_AT)
    sqlite, postgres = stores
    for expression in ('"zymurgy"', '"inverse"', '"reward" OR "zymurgy"', '"misspecification"'):
        expected, found = keyed(sqlite, sqlite.fts_search(expression)), keyed(postgres, postgres.fts_search(expression))
        assert [key for key, _ in found] == [key for key, _ in expected]
        assert [score for _, score in found] == pytest.approx([score for _, score in expected], rel=1e-12)
    assert keyed(postgres, postgres.fts_search('"zymurgy"'))[0][0] == first.key
    for store in stores:
        store.close()
