"""Descriptions find their paper through dense retrieval fused with full-text search, with the real
model (all-MiniLM-L6-v2 from the semantic extra); exact titles and ids still win outright, and a
vague query gets a list, not a card. Skipped, with the reason, where the extra is not installed."""
from __future__ import annotations

from functools import partial

import pytest
from conftest import SEEN_AT, library

from paperboy.bot.search import semantic
from paperboy.bot.search.lookup_pool import LookupPool
from paperboy.bot.search.matcher import Matcher
from paperboy.storage.sqlite import SQLiteStore

pytestmark = pytest.mark.skipif(
    not semantic.available(),
    reason="the semantic extra is not installed (pip install 'paperboy[semantic]'; .ci/run installs it)")

LORA = "2106.09685"
DPO = "2305.18290"
REVERSAL = "2309.12288"
RESNET = next(p.key for p in library() if p.title == "Deep Residual Learning for Image Recognition")

# Each paraphrases what the paper did, without its title's distinctive words.
DESCRIPTIONS = [
    ("very deep image classifiers train better when each layer learns a correction added to its input", RESNET),
    ("freezing the weights and training small extra matrices to adapt a big language model cheaply", LORA),
    ("language models fail to infer the reverse direction of a fact they learned", REVERSAL),
]


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """The matcher library with every paper's vector (embedded once for the module)."""
    store = SQLiteStore(tmp_path_factory.mktemp("semantic") / "papers.db")
    store.upsert_papers(library(), SEEN_AT)
    embedder = semantic.MiniLMEmbedder(threads=2)
    assert semantic.embed_pending(store, embedder).done == len(library())
    yield store, semantic.SemanticSearch(store, embedder)
    store.close()


@pytest.fixture
def plain(embedded) -> Matcher:
    return Matcher(embedded[0])


@pytest.fixture
def dense(embedded) -> Matcher:
    store, search = embedded
    return Matcher(store, semantic=search)


async def test_with_lookup_workers_titles_go_to_them_and_descriptions_stay_with_the_model(embedded):
    store, search = embedded
    pool = LookupPool(partial(SQLiteStore, store.path), 1)
    await pool.start()
    try:
        matcher = Matcher(store, semantic=search)
        matcher.ranker = pool
        title = await matcher.lookup("Deep Residual Learning for Image Recognition")
        assert title.confident and title.best.paper.key == RESNET
        assert matcher.build_seconds is None  # a worker ranked it: this process never built a title index
        query, key = DESCRIPTIONS[1]
        described = await matcher.lookup(query)  # the words alone never make a card of it: the model did
        assert described.best.paper.key == key and described.via == "description" and described.confident
    finally:
        await pool.close()


@pytest.mark.parametrize("query,key", DESCRIPTIONS, ids=lambda v: str(v)[:30])
def test_a_description_finds_its_paper_through_dense_retrieval(plain, dense, query, key):
    without = plain.rank(query)
    assert not without.confident  # the words alone never make a card of a description
    match = dense.rank(query)
    assert match.best is not None and match.best.paper.key == key
    assert match.via == "description"
    assert match.confident  # clearly the nearest: a card


def test_fusion_lifts_the_paper_nearest_in_meaning_over_the_words_first_guess(plain, dense):
    query = DESCRIPTIONS[0][0]
    words = plain.rank(query)  # full-text search over the description's telling words alone
    assert words.via == "description" and words.best.paper.key != RESNET
    assert RESNET in [c.paper.key for c in words.candidates]
    fused = dense.rank(query)
    assert fused.best.paper.key == RESNET and fused.alternatives[0].paper.key == words.best.paper.key


def test_crowded_nearest_papers_do_not_overrule_the_words_first(plain, dense, embedded):
    query = "some results on training neural networks"
    nearest = embedded[1].nearest(query, 2)
    assert nearest[0][1] - nearest[1][1] < 0.08  # MiniLM finds several papers about equally near
    words, fused = plain.rank(query), dense.rank(query)
    assert fused.best.paper.key == words.best.paper.key and not fused.confident
    assert {c.paper.key for c in fused.candidates} != {c.paper.key for c in words.candidates}  # meaning adds others


@pytest.mark.parametrize("title", [p.title for p in library() if p.key in (LORA, DPO, REVERSAL, RESNET)])
def test_an_exact_title_still_wins_outright(plain, dense, title):
    before, after = plain.rank(title), dense.rank(title)
    assert after.best is not None and after.best.paper.title == title
    assert after.confident and after.via == "title"
    assert after == before


async def test_an_id_still_wins_outright(dense):
    match = await dense.lookup(DPO)
    assert match.via == "id" and match.confident and match.best.paper.key == DPO


@pytest.mark.parametrize("query", ["a paper about language models", "some results on training neural networks"])
def test_a_vague_description_gets_a_list_not_a_card(dense, query):
    match = dense.rank(query)
    assert match.best is not None and not match.confident
    assert len(match.candidates) >= 3


def test_short_queries_keep_the_lexical_answer(plain, dense):
    for query in ("dpo", "lora", "neural networks"):
        assert dense.rank(query) == plain.rank(query)


async def test_a_description_lookup_through_the_async_path_finds_its_paper(dense):
    # How fast is measured by bench/latency.py --semantic, not here.
    await dense.lookup("warming up the model with a first description query")
    match = await dense.lookup(DESCRIPTIONS[1][0])
    assert match.best.paper.key == LORA


async def test_a_description_keeps_its_dense_answer_when_the_paper_sources_are_asked(embedded):
    store, search = embedded
    asked = []

    async def search_remote(query: str, limit: int):  # a paper source answering with a paper already stored
        asked.append(query)
        return [p for p in library() if p.key == DPO]

    matcher = Matcher(store, semantic=search, search_remote=search_remote)
    query = "image classifiers that are very deep and made of blocks adding to their input"
    local = matcher.rank(query)
    assert local.via == "description" and not local.confident
    match = await matcher.lookup(query)
    assert asked == [query]  # not confident: the sources were asked too
    assert match.best.paper.key == local.best.paper.key == RESNET and match.via == "description"
