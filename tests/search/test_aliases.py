"""Paper names ("LoRA", "the CLIP paper"): mined from titles and abstracts
(paperboy.bot.search.aliases), kept by the store as papers arrive (SQLite and PostgreSQL), and
answered by Matcher.rank: the paper that introduced a name, a short list when several did."""
from __future__ import annotations

import pytest

from paperboy.bot.models import Paper
from paperboy.bot.search.aliases import (
    DEFINED_ACRONYM,
    INTRODUCED_NAME,
    TITLE_NAME,
    Choice,
    Named,
    acronym_letters,
    alias_key,
    asked_alias,
    by_echo,
    choose,
    dated,
    expansion_of,
    mine,
)
from paperboy.bot.search.matcher import Matcher
from paperboy.bot.search.naming import name_all_pending, name_pending

SEEN_AT = "2026-01-20T08:00:00Z"


def kinds(title: str, abstract: str | None = None) -> dict[str, tuple[str, str]]:
    return {a.alias: (a.kind, a.expansion) for a in mine(title, abstract)}


# ---- mining ------------------------------------------------------------------------------------

def test_a_titles_own_name_before_its_colon():
    assert kinds("LoRA: Low-Rank Adaptation of Large Language Models") == {
        "lora": (TITLE_NAME, "low rank adaptation")}
    assert kinds("Toolformer: Language Models Can Teach Themselves to Use Tools") == {"toolformer": (TITLE_NAME, "")}
    assert kinds("Llama 2: Open Foundation and Fine-Tuned Chat Models") == {"llama2": (TITLE_NAME, "")}


def test_a_title_before_a_colon_that_is_no_name():
    assert kinds("Deep Learning: A Survey") == {}
    assert kinds("Attention: What Transformers Look At") == {}
    assert kinds("Review: Gravitational Lensing") == {}
    assert kinds("A Bayesian framework: priors for everyone") == {}


def test_acronyms_defined_in_an_abstract_with_what_they_stand_for():
    found = kinds("An Image is Worth 16x16 Words",
                  "Vision Transformer (ViT) attains excellent results. We compare with Generative "
                  "Adversarial Networks (GANs) and Contrastive Language-Image Pre-training (CLIP) and "
                  "Chain-of-Thought (CoT) prompting.")
    assert found == {"vit": (DEFINED_ACRONYM, "vision transformer"),
                     "gan": (DEFINED_ACRONYM, "generative adversarial network"),
                     "clip": (DEFINED_ACRONYM, "contrastive language image pre training"),
                     "cot": (DEFINED_ACRONYM, "chain of thought")}


def test_an_acronym_whose_letters_the_words_before_do_not_spell_is_no_definition():
    assert kinds("Tuning", "We tune a Large Language Model (LoRA) and a neural network (CLIP).") == {}
    assert expansion_of("vit", "we use a Variational Transformer") is None
    assert expansion_of("vit", "we use a Vision Transformer") == ["Vision", "Transformer"]
    assert acronym_letters("(see)") is None and acronym_letters("Fig") is None
    assert acronym_letters("GANs") == "gan"


def test_names_an_abstract_gives_what_it_introduces():
    found = kinds("Language Models are Few-Shot Learners",
                  "Specifically, we train GPT-3, an autoregressive language model. We introduce a new "
                  "language representation model called BERT, which stands for something. We call it Zebra-7.")
    assert found == {"gpt3": (INTRODUCED_NAME, ""), "bert": (INTRODUCED_NAME, ""), "zebra7": (INTRODUCED_NAME, "")}
    assert kinds("Retrieval", "We propose Retrieval-Augmented Generation (RAG) for questions.")["rag"] == (
        INTRODUCED_NAME, "retrieval augmented generation")
    assert kinds("Low rank", "We propose Low-Rank Adaptation, or LoRA, which freezes the weights.")["lora"] == (
        INTRODUCED_NAME, "")


def test_names_of_reports_versions_kinds_and_titled_names():
    assert kinds("Gemma 3 Technical Report") == {"gemma3": (TITLE_NAME, "")}
    assert kinds("Qwen2.5-VL Technical Report") == {"qwen25vl": (TITLE_NAME, "")}
    assert kinds("A Technical Report") == {} and kinds("Annual Technical Report") == {}
    assert kinds("Models", "We introduce Gemma 3, a multimodal addition to the family.")["gemma3"] == (INTRODUCED_NAME, "")
    assert kinds("Mean flows", "Our method, termed the MeanFlow model, is self-contained.")["meanflow"] == (
        INTRODUCED_NAME, "")
    assert kinds("R1", "To address this, we introduce Dr. GRPO, an unbiased method.")["drgrpo"] == (INTRODUCED_NAME, "")
    assert asked_alias("Dr. GRPO") == "drgrpo" and asked_alias("gemma 3") == "gemma3"


def test_a_paper_without_a_date_is_dated_by_its_arxiv_id():
    assert dated(None, None, "2410.06940") == "2024-10"
    assert dated(None, "ICLR 2025", "2410.06940") == "2024-10"  # the preprint came first
    assert dated("2024-10-09", None, "2410.06940") == "2024-10-09"
    assert dated(None, "ICLR 2025", "hep-th/9901001") == "2025" and dated(None, None, None) is None


def test_names_compare_by_the_one_folding():
    assert alias_key("GPT-3") == alias_key("gpt 3") == alias_key("GPT3") == "gpt3"
    assert alias_key("ViT") == alias_key("VIT") and alias_key("Word2Vec") == alias_key("word2vec")
    assert asked_alias("the CLIP paper") == asked_alias("CLIP paper") == asked_alias("clip") == "clip"
    assert asked_alias("The LoRA paper") == "lora"
    assert asked_alias("Attention is all you need") is None  # a title, not a name


# ---- choosing ----------------------------------------------------------------------------------

def named(rowid: int, kind: str, expansion: str = "", dated: str | None = "2020-01-01", users: int = 1,
          total: int = 1) -> Named:
    return Named(rowid, kind, expansion, dated, users, total)


def test_the_introducer_is_chosen_over_the_papers_using_its_name():
    users = [named(10 + i, DEFINED_ACRONYM, "low rank adaptation", f"2022-0{i + 1}-01", 6, 8) for i in range(6)]
    holders = [named(1, TITLE_NAME, "low rank adaptation", "2021-06-01", 6, 8),
               named(2, TITLE_NAME, "logical reasoning augmented", "2023", 1, 8), *users]
    assert choose(holders).rowids == (1,) and choose(holders).confident


def test_a_name_several_papers_give_themselves_answers_a_short_list():
    holders = [named(1, TITLE_NAME, "", "2021"), named(2, TITLE_NAME, "", "2023-12-01")]
    choice = choose(holders)
    assert choice.rowids == (1, 2) and not choice.confident
    assert choose([named(i, TITLE_NAME, "", "2021") for i in range(9)]) is None  # "PRISM": nobody's


def test_different_meanings_in_use_answer_a_short_list_and_a_common_term_nothing():
    vision = [named(i, DEFINED_ACRONYM, "contrastive language image pre training", f"202{i}-01-01", 4, 7)
              for i in range(1, 5)]
    speech = [named(10 + i, DEFINED_ACRONYM, "clipped linear prosody", f"201{i}-01-01", 3, 7) for i in range(3)]
    choice = choose(vision + speech)
    assert set(choice.rowids) == {1, 10} and not choice.confident
    llm = [named(i, DEFINED_ACRONYM, "large language model", "2023-01-01", 40, 40) for i in range(40)]
    assert choose(llm) is None


def test_a_late_claim_to_an_established_name_is_not_its_introducer():
    users = [named(10 + i, DEFINED_ACRONYM, "direct preference optimization", "2023-06-01", 5, 6) for i in range(5)]
    assert choose([named(1, INTRODUCED_NAME, "direct preference optimization", "2025-01-01", 5, 6), *users]) is None


def test_a_short_list_is_ordered_by_what_the_names_users_talk_about():
    titles = {1: "MAMBA: Multi-level Aggregation via Memory Bank for Video Object Detection",
              2: "Mamba: Linear-Time Sequence Modeling with Selective State Spaces"}
    idf = lambda word: 1.0  # noqa: E731
    users = [f"Vision Mamba {n}: a selective state space model for sequences" for n in range(12)]
    choice = by_echo(Choice((1, 2), confident=False), titles, users, idf, ["mamba"])
    assert choice.rowids == (2, 1) and choice.confident
    few = by_echo(Choice((1, 2), confident=False), titles, users[:3], idf, ["mamba"])
    assert few.rowids == (2, 1) and not few.confident  # too few users to be sure
    mixed = users[:6] + [f"Video object detection {n} with a memory bank" for n in range(6)]
    assert not by_echo(Choice((1, 2), confident=False), titles, mixed, idf, ["mamba"]).confident
    assert by_echo(Choice((1, 2), confident=False), titles, [], idf, ["mamba"]).rowids == (1, 2)


# ---- the store keeps names up to date; the matcher answers them ---------------------------------

LORA = Paper(key="2106.09685", arxiv_id="2106.09685", title="LoRA: Low-Rank Adaptation of Large Language Models",
             abstract="We propose Low-Rank Adaptation, or LoRA, which freezes the pretrained model weights.",
             published="2021-06-17")
LORA_DATASET = Paper(key="p:loradataset", title="LoRA: A Logical Reasoning Augmented Dataset for Visual Questions",
                     venue="NeurIPS 2023")
USERS = [Paper(key=f"2401.0{i:04d}", arxiv_id=f"2401.0{i:04d}", title=f"Adapter study number {word}",
               abstract=f"We fine-tune with Low-Rank Adaptation (LoRA) on {word} tasks.", published=f"2024-01-{i + 1:02d}")
         for i, word in enumerate(["algebra", "botany", "chemistry", "dance"])]
TOOLFORMER = Paper(key="2302.04761", arxiv_id="2302.04761",
                   title="Toolformer: Language Models Can Teach Themselves to Use Tools",
                   abstract="In this paper, we introduce Toolformer, a model trained to call tools.",
                   published="2023-02-09")
MAMBA_TITLE = Paper(key="p:mambatitle", title="Mamba", venue="ICLR 2024", abstract="A paper titled by one word.")
MAMBA_SSM = Paper(key="2312.00752", arxiv_id="2312.00752", title="Mamba: Linear-Time Sequence Modeling",
                  published="2023-12-01")


def test_the_store_answers_a_name_by_its_introducer_before_its_users(store):
    store.upsert_papers([*USERS, LORA, LORA_DATASET, TOOLFORMER], SEEN_AT)
    match = Matcher(store).rank("LoRA")
    assert match.confident and match.via == "alias" and match.best.paper.key == LORA.key
    for query in ("lora", "the LoRA paper", "LoRA paper"):
        assert Matcher(store).rank(query).best.paper.key == LORA.key
    without = Matcher(store, aliases=False).rank("LoRA")
    assert without.via != "alias"
    assert Matcher(store).rank("Toolformer").best.paper.key == TOOLFORMER.key


def test_an_exact_title_and_an_id_still_win(store):
    store.upsert_papers([MAMBA_TITLE, MAMBA_SSM], SEEN_AT)
    match = Matcher(store).rank("Mamba")
    assert match.via == "title" and match.best.paper.key == MAMBA_TITLE.key


async def test_an_id_still_wins(store):
    store.upsert_papers([LORA, *USERS], SEEN_AT)
    match = await Matcher(store).lookup(USERS[0].arxiv_id)
    assert match.via == "id" and match.best.paper.key == USERS[0].key


def test_an_ambiguous_name_answers_a_short_list(store):
    other = Paper(key="p:lorawan", title="LoRA: Long Range Radio for Sensors", venue="SenSys 2021")
    store.upsert_papers([LORA_DATASET, other], SEEN_AT)
    match = Matcher(store).rank("LoRA")
    assert not match.confident and match.via == "alias"
    assert [c.paper.key for c in match.candidates] == [other.key, LORA_DATASET.key]


def test_of_papers_sharing_a_name_the_one_its_users_write_about_answers(store):
    video = Paper(key="p:mambavideo", title="MAMBA: Multi-level Aggregation via Memory Bank for Video Object Detection",
                  venue="AAAI 2021")
    ssm = Paper(key="2312.00752", arxiv_id="2312.00752",
                title="Mamba: Linear-Time Sequence Modeling with Selective State Spaces")
    users = [Paper(key=f"2402.{n:05d}", arxiv_id=f"2402.{n:05d}", title=f"Selective state spaces for {word}",
                   abstract=f"We adapt Mamba, a selective state space sequence model, to {word}.")
             for n, word in enumerate(["speech", "genomics", "vision", "graphs", "music", "tables",
                                       "point clouds", "weather", "video", "code", "robots", "proteins"])]
    store.upsert_papers([video, ssm, *users], SEEN_AT)
    match = Matcher(store).rank("mamba")
    assert match.via == "alias" and match.confident and match.best.paper.key == ssm.key
    assert [c.paper.key for c in match.alternatives] == [video.key]


def test_names_follow_papers_as_they_change_and_arrive_in_bulk(store):
    # The store keeps which papers wait for their names; the core mines them (naming).
    store.upsert_papers([LORA_DATASET], SEEN_AT)
    name_all_pending(store)
    assert [n.kind for n in store.papers_named("lora")] == [TITLE_NAME]
    store.bulk_upsert_papers([LORA, *USERS], SEEN_AT)
    name_all_pending(store)
    holders = store.papers_named("lora")
    assert len(holders) == 6 and holders[0].total == 6
    assert Matcher(store).rank("LoRA").best.paper.key == LORA.key
    # A title that changes loses its old name and gains the new one.
    store.upsert_papers([LORA_DATASET.with_changes(title="Logical Reasoning Augmented Questions")], SEEN_AT)
    name_all_pending(store)
    assert [n.kind for n in store.papers_named("lora")].count(TITLE_NAME) == 1
    store.mark_withdrawn([LORA.arxiv_id])
    assert all(n.kind != TITLE_NAME for n in store.papers_named("lora"))


def test_papers_stored_before_names_were_kept_get_them_by_the_backfill(store):
    store.upsert_papers([LORA, TOOLFORMER, *USERS], SEEN_AT)
    with store._transaction() as tx:  # as a database migrated with papers already in it
        tx.execute("DELETE FROM paper_aliases")
    assert store.papers_named("toolformer") == [] and store.names_left() == 6
    assert name_pending(store, 4) == 4 and store.names_left() == 2
    assert name_pending(store, 4) == 2 and name_pending(store, 4) == 0
    assert store.names_left() == 0
    assert [n.kind for n in store.papers_named("toolformer")] == [TITLE_NAME]
    assert Matcher(store).rank("lora").best.paper.key == LORA.key


@pytest.mark.parametrize("query", ["Toolformer: Language Models Can Teach Themselves to Use Tools",
                                   "toolformer language models teach themselves tools"])
def test_titles_are_ranked_as_before(store, query):
    store.upsert_papers([TOOLFORMER, *USERS], SEEN_AT)
    match = Matcher(store).rank(query)
    assert match.best.paper.key == TOOLFORMER.key and match.via == "title"


async def test_the_leader_names_what_is_left_and_goes_on_looking(store):
    import asyncio

    from paperboy.bot.search.naming import name_papers

    async def all_named() -> None:
        for _ in range(1000):
            if not await store.run(store.names_left):
                return
            await asyncio.sleep(0.01)
        raise AssertionError("papers were left without their names")

    store.upsert_papers([TOOLFORMER], SEEN_AT)  # as a process that stopped before naming what it stored
    stop = asyncio.Event()
    leading = asyncio.create_task(name_papers(store, stop, idle=0.01))
    try:
        await all_named()
        store.upsert_papers([LORA], SEEN_AT)  # stored later, by another process
        await all_named()
    finally:
        stop.set()
        named = await asyncio.wait_for(leading, 10)
    assert named == 2
    assert [n.kind for n in store.papers_named("toolformer")] == [TITLE_NAME]
    assert [n.kind for n in store.papers_named("lora")] == [TITLE_NAME]
