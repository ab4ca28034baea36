"""Titles, typos, fragments, spellings and abstract words find the right paper in the store,
and a query that fits nothing says so instead of naming a wrong paper."""
from __future__ import annotations

import pytest
from conftest import SEEN_AT, library

from paperboy.bot.models import Paper
from paperboy.bot.search.matcher import Match, Matcher
from paperboy.storage.sqlite import SQLiteStore

REVERSAL = "2309.12288"
RETRO_SEARCH = "2501.00002"


def key_of(match: Match) -> str | None:
    return match.best.paper.key if match.best else None


def key_for_title(title: str) -> str:
    return next(p.key for p in library() if p.title == title)


@pytest.mark.parametrize("paper", library(), ids=lambda p: p.title[:40])
async def test_every_exact_title_is_found_confidently(matcher, paper):
    match = await matcher.lookup(paper.title)
    assert match.best is not None
    assert match.best.paper.title == paper.title
    assert match.confident or _has_twin(paper)
    assert match.via == "title"


def _has_twin(paper: Paper) -> bool:
    """The colours/Colors pair: the same paper twice, so neither is ahead of the other."""
    return "Primordiality" in paper.title.title()


async def test_lower_case_and_missing_punctuation_do_not_matter(matcher):
    match = await matcher.lookup("retro search exploring untaken paths for deeper and efficient reasoning")
    assert key_of(match) == RETRO_SEARCH and match.confident
    assert match.best.score >= 0.95


@pytest.mark.parametrize("query, key", [
    ("retro serch untaken paths", RETRO_SEARCH),
    ("Retro-Serch: Exploring Untakn Paths for Deeper and Eficient Reasoning", RETRO_SEARCH),
    ("the reversl curse llms trained on a is b fail to lern b is a", REVERSAL),
    ("Direct Preferance Optimisation: Your Langauge Model is Secretly a Reward Model", "2305.18290"),
    ("scor based generative modelling through stochastic diferential equations", "2011.13456"),
    ("Tversky Nueral Networks", key_for_title(
        "Tversky Neural Networks: Psychologically Plausible Deep Learning with Differentiable Tversky Similarity")),
])
async def test_typos_are_forgiven(matcher, query, key):
    match = await matcher.lookup(query)
    assert key_of(match) == key, [c.paper.title for c in match.candidates]
    assert match.confident


@pytest.mark.parametrize("query, key", [
    ("reversal curse", REVERSAL),
    ("The Reversal Curse", REVERSAL),
    ("LLMs trained on A is B fail to learn B is A", REVERSAL),
    ("Exploring Untaken Paths for Deeper and Efficient Reasoning", RETRO_SEARCH),
    ("Low-Rank Adaptation of Large Language Models", "2106.09685"),
    ("your language model is secretly a reward model", "2305.18290"),
    ("Quantifying the Sensitivity of Inverse Reinforcement", "2501.00001"),
])
async def test_partial_titles_and_subtitles(matcher, query, key):
    match = await matcher.lookup(query)
    assert key_of(match) == key, [c.paper.title for c in match.candidates]
    assert match.confident


async def test_a_short_name_before_the_colon_finds_its_paper(matcher):
    match = await matcher.lookup("LoRA")
    assert key_of(match) == "2106.09685"
    match = await matcher.lookup("DINO-WM")
    assert match.best.paper.title.startswith("DINO-WM")


@pytest.mark.parametrize("query, key", [
    ("behavioral cloning and the optimization of sequential decision making", "2402.00001"),
    ("Behavioural Cloning Optimisation", "2402.00001"),
    ("Score-Based Generative Modelling through Stochastic Differential Equations", "2011.13456"),
])
async def test_british_and_american_spellings_match_each_other(matcher, query, key):
    match = await matcher.lookup(query)
    assert key_of(match) == key
    assert match.confident


async def test_spelling_twins_are_both_offered_and_the_exact_spelling_wins(matcher):
    american = "Causal Evidence for the Primordiality of Colors in Trans-Neptunian Objects"
    british = "Causal evidence for the primordiality of colours in trans-Neptunian objects"
    match = await matcher.lookup(american)
    assert match.best.paper.title == american
    assert match.alternatives[0].paper.title == british
    assert match.confident  # the twin is the same paper, not a rival
    match = await matcher.lookup(british.lower())
    assert match.best.paper.title == british


@pytest.mark.parametrize("query, key", [
    ("Olaf Scholz ninth Chancellor of Germany", REVERSAL),
    ("retrosynthesis commercially available starting materials", "2501.00003"),
    ("trainable rank decomposition matrices", "2106.09685"),
    ("Kaiming He residual", None),
])
async def test_words_from_the_abstract_or_authors_find_the_paper(matcher, query, key):
    match = await matcher.lookup(query)
    if key is None:
        assert match.best.paper.title == "Deep Residual Learning for Image Recognition"
    else:
        assert key_of(match) == key, [c.paper.title for c in match.candidates]
    assert match.via in ("keywords", "title")


@pytest.mark.parametrize("query, key", [
    ("freezing the pretrained weights and injecting small trainable matrices into each layer", "2106.09685"),
    ("models taught that one person did something cannot answer who did it, asked the other way", REVERSAL),
])
async def test_a_description_finds_its_paper_by_what_the_abstract_says(matcher, query, key):
    match = await matcher.lookup(query)
    assert key_of(match) == key and match.via == "description", [(c.paper.key, c.paper.title[:30]) for c in match.candidates]
    assert not match.confident  # without the semantic extra the words alone never make a card of it
    titles_only = matcher.rank(query, describe=False)  # what a worker answers when dense retrieval follows
    assert titles_only.via != "description" and not titles_only.confident


@pytest.mark.parametrize("query", [
    "asdkjh qwpoeiru zxmcnv", "quantum chromodynamics lattice gauge", "banana bread recipe",
    "the of and", "zzzz", "x" * 10_000,
])
async def test_nonsense_gets_no_confident_answer(matcher, query):
    match = await matcher.lookup(query)
    assert not match.confident
    assert match.best is None or match.best.score < 0.8


async def test_results_are_ranked_scored_and_limited(matcher):
    match = await matcher.lookup("reversal", limit=5)
    assert 1 <= len(match.candidates) <= 5
    assert len(match.alternatives) <= 4
    scores = [c.score for c in match.candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    titles = {c.paper.title for c in match.candidates}
    assert any("Reversal" in t for t in titles)
    assert not match.confident  # four papers are about reversal: a list, not a card
    assert len((await matcher.lookup("reversal", limit=2)).candidates) == 2


@pytest.mark.parametrize("query", [
    '"', '"reversal curse', "reversal -curse", "rev*", "NEAR(reversal curse)", "reversal AND curse OR NOT x",
    "(reversal", "title:reversal", "^curse", "reversal: curse", "日本語", "🙂 reversal curse 🙂", "café",
    "reversal " * 1_000, "'; DROP TABLE papers; --", "\x00", "-", "*", "()", ":",
])
async def test_fts_syntax_in_queries_never_raises(matcher, store, query):
    match = await matcher.lookup(query)
    assert isinstance(match, Match)
    assert store.count_papers() == len(library())  # nothing was lost or changed
    if "reversal" in query and "curse" in query and "-curse" not in query:
        assert "Reversal" in match.best.paper.title


async def test_empty_query(matcher):
    match = await matcher.lookup("   ")
    assert match.best is None and not match.confident and match.via == "none"


async def test_new_papers_are_picked_up_without_a_rebuild(matcher, store):
    assert (await matcher.lookup("Mixture of Quantized Sparse Experts for Edge Devices")).confident is False
    built = len(matcher.index)
    store.upsert_papers([Paper(key="2502.11111", arxiv_id="2502.11111",
                               title="Mixture of Quantized Sparse Experts for Edge Devices")], SEEN_AT)
    match = await matcher.lookup("mixture of quantised sparse experts for edge devices")
    assert key_of(match) == "2502.11111" and match.confident
    assert len(matcher.index) == built + 1
    assert matcher.refresh() == 0


def test_rank_is_the_synchronous_local_answer(store):
    matcher = Matcher(store)
    match = matcher.rank("retro serch untaken paths")
    assert key_of(match) == RETRO_SEARCH


@pytest.mark.parametrize("query", ["Michałowska", "Michałowska Kędzierski", "michalowska kedzierski"])
async def test_names_with_letters_the_index_keeps_are_found_as_written_or_as_typed_plainly(store, query):
    store.upsert_papers([Paper(key="2411.00009", arxiv_id="2411.00009", title="Sparse probes for tabular agents",
                               abstract="We probe tabular agents.", authors=("Anna Michałowska", "Piotr Kędzierski"))],
                        SEEN_AT)
    match = await Matcher(store).lookup(query)
    assert key_of(match) == "2411.00009"


async def test_a_title_changed_at_the_source_is_found_by_its_new_title_at_once(store):
    matcher = Matcher(store)
    old = "Graph Sparsification by Effective Resistances Revisited"
    store.upsert_papers([Paper(key="2411.00077", arxiv_id="2411.00077", title=old,
                               abstract="We revisit spectral sparsifiers.")], SEEN_AT)
    assert [p.key for p in matcher.suggest_titles("graph sparsification by eff")] == ["2411.00077"]
    new = "Quantum Walks on Expander Graphs with Tunable Mixing"
    store.upsert_papers([Paper(key="2411.00077", arxiv_id="2411.00077", title=new,
                               abstract="We revisit spectral sparsifiers.")], SEEN_AT)  # the source renamed it
    match = await matcher.lookup(new)
    assert key_of(match) == "2411.00077" and match.confident and match.via == "title"
    assert [p.key for p in matcher.suggest_titles("quantum walks on exp")] == ["2411.00077"]
    assert matcher.suggest_titles("graph sparsification by eff") == []
    again = await matcher.lookup(old)
    assert not (key_of(again) == "2411.00077" and again.confident)  # the old title names it no more


@pytest.mark.parametrize("query", ["Secretly a Reward Model", "Direct Preference Optimization: Your Language",
                                   "your language model is secretly a reward model"])
async def test_a_title_s_beginning_or_end_beats_abstracts_full_of_its_words(query):
    store = SQLiteStore(memory=True)
    store.upsert_papers(library(), SEEN_AT)
    store.upsert_papers([Paper(key=f"2501.{n:05d}", arxiv_id=f"2501.{n:05d}", title=f"Reward shaping study {n}",
                               abstract="Your language model is secretly a reward model; direct preference "
                                        "optimization of your language model, secretly a reward model. " * 3)
                         for n in range(30)], SEEN_AT)
    match = await Matcher(store).lookup(query)
    assert key_of(match) == "2305.18290", [c.paper.title for c in match.candidates]
