"""A small library of hand-made papers (the seed listing plus a few chosen edge cases)."""
from __future__ import annotations

import pytest
from matcher_seed import seed_papers

from paperboy.bot.models import Paper, key_for_unnumbered
from paperboy.bot.search.matcher import Matcher
from paperboy.storage import open_store
from paperboy.storage.sqlite import SQLiteStore

SEEN_AT = "2025-01-20T08:00:00Z"

EXTRA = [
    Paper(key="2106.09685", arxiv_id="2106.09685", title="LoRA: Low-Rank Adaptation of Large Language Models",
          abstract="We propose Low-Rank Adaptation, or LoRA, which freezes the pretrained model weights and "
                   "injects trainable rank decomposition matrices into each layer of the Transformer.",
          authors=("Edward J. Hu", "Yelong Shen")),
    Paper(key="2305.18290", arxiv_id="2305.18290",
          title="Direct Preference Optimization: Your Language Model is Secretly a Reward Model",
          abstract="We introduce a new parameterization of the reward model in RLHF that enables extraction "
                   "of the corresponding optimal policy in closed form.",
          authors=("Rafael Rafailov", "Archit Sharma")),
    Paper(key="2402.00001", arxiv_id="2402.00001",
          title="Behavioural Cloning and the Optimisation of Sequential Decision Making",
          abstract="A study of imitation from demonstrations with colour-coded trajectories.",
          authors=("C. Smith",)),
    Paper(key="hep-th/9901001", arxiv_id="hep-th/9901001",
          title="Anti de Sitter Space and Holography in String Compactifications",
          abstract="We study holographic dualities for compactifications of type IIB strings."),
    Paper(key=key_for_unnumbered("Deep Residual Learning for Image Recognition", "CVPR 2016"),
          title="Deep Residual Learning for Image Recognition", venue="CVPR 2016",
          abstract="Deeper neural networks are more difficult to train. We present a residual learning "
                   "framework to ease the training of networks that are substantially deeper.",
          authors=("Kaiming He", "Xiangyu Zhang")),
]


def library() -> list[Paper]:
    return seed_papers() + EXTRA


@pytest.fixture
def store(backend, request):
    """The library in a store of this test's backend: lookups are proven on SQLite and PostgreSQL."""
    store = SQLiteStore(memory=True) if backend == "sqlite" else open_store(request.getfixturevalue("db_location"))
    store.upsert_papers(library(), SEEN_AT)
    yield store
    store.close()


@pytest.fixture
def matcher(store) -> Matcher:
    return Matcher(store)
