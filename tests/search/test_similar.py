"""Similar papers (paperboy.bot.search.similar and /paper similar), on SQLite and PostgreSQL: a small
library with one family of related papers among distractors."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from paperboy.bot.clock import FakeClock
from paperboy.bot.commands.dispatch import build_core
from paperboy.bot.commands.invocation import Invocation, Place
from paperboy.bot.commands.similar import similar
from paperboy.bot.commands.spec import Context
from paperboy.bot.models import Paper, key_for_unnumbered
from paperboy.bot.replies import Error, Notice, PaperList
from paperboy.bot.search.matcher import Matcher
from paperboy.bot.search.similar import distinctive_terms, similar_papers

SEEN_AT = "2026-01-20T08:00:00Z"

QUOKKA = Paper(
    key="2401.00001", arxiv_id="2401.00001", title="Quokka: Hypergraph Tokenizers for Protein Folding",
    abstract="We introduce Quokka, hypergraph tokenizers that turn residue contacts into tokens for protein "
             "folding. Quokka predicts tertiary contacts from sparse hyperedges.",
    authors=("Ada Lovelace", "Bo Chen"), categories=("q-bio.BM", "cs.LG"), published="2024-01-01")
QUOKKA_2 = Paper(
    key="2501.00002", arxiv_id="2501.00002", title="Quokka-2: Scaling Hypergraph Tokenizers to Protein Complexes",
    abstract="Quokka-2 extends hypergraph tokenizers from single chains to protein complexes, with residue "
             "contacts across chains.",
    authors=("Ada Lovelace", "Carl Weber"), categories=("q-bio.BM", "cs.LG"), published="2025-01-01")
# The same paper again: a conference record of it under its own key.
QUOKKA_AGAIN = Paper(key=key_for_unnumbered(QUOKKA.title, "ICML 2024"), title=QUOKKA.title,
                     abstract=QUOKKA.abstract, authors=QUOKKA.authors, venue="ICML 2024")
# A record without an arXiv id: its key is what a card's button carries.
WORKSHOP = Paper(key=key_for_unnumbered("Quokka Tokenizers at Scale: A Workshop Report", "NeurIPS 2025"),
                 title="Quokka Tokenizers at Scale: A Workshop Report", venue="NeurIPS 2025",
                 abstract="Lessons from running Quokka hypergraph tokenizers on protein complexes.",
                 authors=("Carl Weber",))
# Alike in every word the query has (only "chemistry" / "geology" differ): one shares an author or categories.
TWIN_TEXT = "Hyperedges between residue contacts, studied as tokenizers for {}."
SHARES_AUTHOR = Paper(key="2402.00010", arxiv_id="2402.00010", title="Hypergraph Tokenizers in Chemistry",
                      abstract=TWIN_TEXT.format("chemistry"), authors=("Bo Chen",), categories=("physics.chem-ph",))
SHARES_NOTHING = Paper(key="2402.00011", arxiv_id="2402.00011", title="Hypergraph Tokenizers in Geology",
                       abstract=TWIN_TEXT.format("geology"), authors=("Dana Scully",), categories=("physics.geo-ph",))
SHARES_CATEGORIES = Paper(key="2402.00012", arxiv_id="2402.00012", title="Hypergraph Tokenizers in Zoology",
                          abstract=TWIN_TEXT.format("zoology"), authors=("Eve Moneypenny",),
                          categories=("q-bio.BM", "cs.LG"))
DISTRACTORS = [
    Paper(key=f"2403.{n:05d}", arxiv_id=f"2403.{n:05d}", title=title, abstract=abstract, authors=(author,),
          categories=(category,))
    for n, (title, abstract, author, category) in enumerate([
        ("Dark Matter Halos of Dwarf Galaxies", "We measure rotation curves of dwarf galaxies.", "Vera Rubin", "astro-ph.GA"),
        ("Diffusion Models for Image Synthesis", "Denoising diffusion produces images from noise.", "Jonathan Ho", "cs.CV"),
        ("Protein Structure from Cryo-EM Maps", "We fit protein models into cryo-EM density maps.", "Fred Sanger", "q-bio.BM"),
        ("Tokenizers for Multilingual Text", "Byte-pair tokenizers split words of many languages.", "Rico Sennrich", "cs.CL"),
        ("Graph Neural Networks on Molecules", "Message passing over molecular graphs predicts properties.",
         "Justin Gilmer", "cs.LG"),
        ("Coral Reef Acoustics", "Reef soundscapes reveal the health of coral ecosystems.", "Steve Simpson", "q-bio.PE"),
        ("Sparse Attention for Long Documents", "Sparse attention patterns scale transformers to long inputs.",
         "Iz Beltagy", "cs.CL"),
        ("Folding Paper Robots", "Origami folding makes cheap robots from flat sheets.", "Daniela Rus", "cs.RO"),
    ])]
LIBRARY = [QUOKKA, QUOKKA_2, QUOKKA_AGAIN, WORKSHOP, SHARES_NOTHING, SHARES_AUTHOR, SHARES_CATEGORIES, *DISTRACTORS]


@pytest.fixture
def library(store):
    store.upsert_papers(LIBRARY, SEEN_AT)
    return store


def keys(found) -> list[str]:
    return [scored.paper.key for scored in found]


def test_the_sibling_that_shares_rare_title_terms_comes_first(library):
    found = similar_papers(library, QUOKKA)
    assert keys(found)[0] == QUOKKA_2.key
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    assert len(found) == 5


def test_the_paper_itself_and_its_other_records_are_never_among_the_answers(library):
    for paper in (QUOKKA, QUOKKA_AGAIN):
        found = keys(similar_papers(library, paper, limit=20))
        assert QUOKKA.key not in found and QUOKKA_AGAIN.key not in found
        assert QUOKKA_2.key in found


def test_a_shared_author_lifts_one_of_two_otherwise_equal_candidates(library):
    found = keys(similar_papers(library, QUOKKA, limit=20))
    assert found.index(SHARES_AUTHOR.key) < found.index(SHARES_NOTHING.key)


def test_shared_categories_lift_one_of_two_otherwise_equal_candidates(library):
    found = keys(similar_papers(library, QUOKKA, limit=20))
    assert found.index(SHARES_CATEGORIES.key) < found.index(SHARES_NOTHING.key)


def test_authors_are_compared_folded_and_a_list_in_one_string_is_split(library):
    folded = Paper(key="x:1", title="Quokka: Hypergraph Tokenizers for Protein Folding Revisited",
                   abstract=QUOKKA.abstract, authors=("BO CHËN, Someone Else",))
    found = keys(similar_papers(library, folded, limit=20))
    assert found.index(SHARES_AUTHOR.key) < found.index(SHARES_NOTHING.key)


def test_a_paper_not_in_the_library_works_from_its_text(library):
    fetched = Paper(key="2601.09999", arxiv_id="2601.09999", title="Quokka-3: Hypergraph Tokenizers for RNA Folding",
                    abstract="Hypergraph tokenizers for RNA, after Quokka.", authors=("Ada Lovelace",))
    found = keys(similar_papers(library, fetched))
    assert set(found[:2]) == {QUOKKA.key, QUOKKA_2.key}
    assert fetched.key not in found


def test_title_terms_weigh_more_and_common_words_are_left_out(library):
    terms = {t.form: t for t in distinctive_terms(library, QUOKKA)}
    assert "quokka" in terms and "we" not in terms and "model" not in terms
    assert terms["hypergraph"].weight > terms["residu"].weight  # in the title, against only in the abstract


def test_a_paper_without_words_the_library_knows_gets_no_answer(library):
    assert similar_papers(library, Paper(key="x:2", title="Zyxxy Qwopp")) == []
    assert similar_papers(library, Paper(key="x:3", title="The of and")) == []
    assert similar_papers(library, QUOKKA, limit=0) == []


def test_search_syntax_in_a_paper_text_is_only_words(library):
    odd = Paper(key="x:4", title='Quokka" OR (hypergraph* NEAR tokenizers) AND -protein: "^folding"',
                abstract="title : quokka AND NOT { } ' ; --")
    assert QUOKKA.key in keys(similar_papers(library, odd))


# ---- /paper similar ---------------------------------------------------------------------------

@pytest.fixture
def ctx(library) -> Context:
    return Context.over(library, FakeClock(datetime(2026, 1, 20, 8, tzinfo=UTC)), Matcher(library))


def invocation(text: str) -> Invocation:
    return Invocation("paper", f"similar {text}", "alice", Place("console", "lab", "general"))


@pytest.mark.parametrize("text", [QUOKKA.key, f"arXiv:{QUOKKA.key}", f"https://arxiv.org/abs/{QUOKKA.key}v2",
                                  "Quokka: Hypergraph Tokenizers for Protein Folding"])
async def test_similar_resolves_an_id_a_link_a_key_or_a_title(ctx, text):
    reply = await similar(ctx, invocation(text), text)
    assert isinstance(reply, PaperList)
    assert reply.title == "Papers like “Quokka: Hypergraph Tokenizers for Protein Folding”"
    assert reply.items[0].paper.key == QUOKKA_2.key
    assert QUOKKA.key not in keys(reply.items)
    assert "distinctive terms" in reply.note


async def test_similar_takes_a_key_a_button_carries(ctx):
    reply = await similar(ctx, invocation(WORKSHOP.key), WORKSHOP.key)
    assert isinstance(reply, PaperList) and reply.title == "Papers like “Quokka Tokenizers at Scale: A Workshop Report”"
    assert keys(reply.items)[0] == QUOKKA_2.key and WORKSHOP.key not in keys(reply.items)


async def test_similar_without_text_says_what_to_give(ctx):
    reply = await similar(ctx, invocation(""), "   ")
    assert isinstance(reply, Error) and "which paper" in reply.text


async def test_similar_refuses_a_huge_argument_plainly(library):
    core = build_core(library, clock=FakeClock(datetime(2026, 1, 20, 8, tzinfo=UTC)))
    reply = await core.dispatch(invocation("q" * 10_000))
    assert isinstance(reply, Error) and "10,008 characters" in reply.text and "at most 500" in reply.text


async def test_similar_with_search_syntax_answers_plainly(ctx):
    reply = await similar(ctx, invocation("x"), '") OR * NEAR( "')
    assert isinstance(reply, (Notice, Error))
    assert not isinstance(reply, Notice) or reply.no_match


async def test_similar_with_an_unknown_id_says_so(ctx):
    reply = await similar(ctx, invocation("2612.99999"), "2612.99999")
    assert isinstance(reply, Error) and "arXiv:2612.99999" in reply.text


async def test_similar_with_words_matching_nothing_says_no_paper(ctx):
    reply = await similar(ctx, invocation("x"), "zyxxy qwopp blorft")
    assert isinstance(reply, Notice) and reply.no_match and "No paper found" in reply.text


async def test_similar_with_a_vague_title_offers_did_you_mean(ctx):
    reply = await similar(ctx, invocation("x"), "hypergraph tokenizers")
    assert isinstance(reply, PaperList) and reply.title.startswith("No confident match")
    assert {s.paper.key for s in reply.items} & {QUOKKA.key, QUOKKA_2.key, SHARES_AUTHOR.key}
