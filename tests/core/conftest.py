"""A test bot in the style of errbot's: a real Core over an in-memory store, driven by chat lines."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from paperboy.bot.clock import FakeClock, iso
from paperboy.bot.commands.dispatch import build_core
from paperboy.bot.commands.invocation import Place
from paperboy.bot.commands.typed import TypedCommands
from paperboy.bot.models import Paper
from paperboy.bot.replies import Reply
from paperboy.storage import open_store
from paperboy.storage.sqlite import SQLiteStore

SEED = [
    Paper(key="2309.12288", arxiv_id="2309.12288",
          title='The Reversal Curse: LLMs trained on "A is B" fail to learn "B is A"',
          abstract="We expose a surprising failure of generalization in auto-regressive large language models "
                   "(LLMs). If a model is trained on a sentence of the form A is B, it will not automatically "
                   "generalize to the reverse direction B is A.",
          authors=("Lukas Berglund", "Meg Tong", "Max Kaufmann", "Mikita Balesni", "Asa Cooper Stickland",
                   "Tomasz Korbak", "Owain Evans"),
          published="2023-09-21", categories=("cs.CL", "cs.AI"), upvotes=12),
    Paper(key="2504.04383", arxiv_id="2504.04383",
          title="Retro-Search: Exploring Untaken Paths for Deeper and Efficient Reasoning",
          abstract="Large reasoning models exhibit remarkable reasoning capabilities via long, elaborate reasoning "
                   "trajectories. We introduce Retro-Search, an MCTS-inspired search algorithm, for distilling "
                   "higher quality reasoning paths from large reasoning models.",
          authors=("Ximing Lu", "Seungju Han"), published="2025-04-06", categories=("cs.CL",), upvotes=30),
    Paper(key="2312.00001", arxiv_id="2312.00001",
          title="Quantifying the Sensitivity of Inverse Reinforcement Learning to Misspecification",
          abstract="Inverse reinforcement learning (IRL) aims to infer an agent's preferences from their "
                   "behaviour. We analyse how sensitive the IRL problem is to misspecification.",
          authors=("Joar Skalse", "Alessandro Abate"), published="2024-03-11", categories=("cs.LG",)),
    Paper(key="2301.00002", arxiv_id="2301.00002",
          title="Retrosynthetic Planning with Dual Value Networks",
          abstract="Retrosynthesis aims to find a route to synthesize a target molecule from commercially "
                   "available starting materials; we leverage reinforcement learning.",
          authors=("Guoqing Liu", "Di Xue"), published="2023-01-01", categories=("cs.LG", "q-bio.BM")),
    Paper(key="2401.00003", arxiv_id="2401.00003",
          title="@everyone <!channel> **Bold** claims: a [link](http://evil.example) in a title",
          abstract="Hostile titles must neither ping nor break layout.",
          authors=("<@U123>",), published="2024-01-03", categories=("cs.CR",)),
]

START = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


class TestBot:
    def __init__(self, store: SQLiteStore, clock: FakeClock):
        self.store = store
        self.clock = clock
        self.core = build_core(store, clock=clock)
        self.commands = TypedCommands(self.core.specs)

    async def exec_command(self, line: str, *, user: str = "alice", channel: str = "general",
                           can_configure: bool = True, is_dm: bool = False) -> Reply:
        place = Place(platform="console", workspace="lab", channel="" if is_dm else channel, is_dm=is_dm)
        inv = self.commands.read(line, user=user, place=place, can_configure=can_configure)
        assert inv is not None
        return await self.core.dispatch(inv)


@pytest.fixture
def store(backend, request):
    """The seed papers in a store of this test's backend: the commands run on SQLite and PostgreSQL."""
    if backend == "sqlite":
        store = SQLiteStore(memory=True)
    else:
        store = open_store(request.getfixturevalue("db_location"))
    store.upsert_papers(SEED, iso(START))
    yield store
    store.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def testbot(store: SQLiteStore, clock: FakeClock) -> TestBot:
    return TestBot(store, clock)
