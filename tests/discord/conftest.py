"""Fixtures for the Discord adapter: a fake Discord on loopback and the real client against it."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route
from fake_discord import FakeDiscord

from paperboy.adapters.discord.adapter import DiscordAdapter
from paperboy.adapters.discord.pacer import RequestPacer
from paperboy.adapters.discord.settings import DiscordSettings
from paperboy.bot.clock import FakeClock, iso
from paperboy.bot.commands.dispatch import build_core
from paperboy.bot.models import Paper
from paperboy.storage.sqlite import SQLiteStore

START = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)

PAPERS = [
    Paper(key="2309.12288", arxiv_id="2309.12288",
          title='The Reversal Curse: LLMs trained on "A is B" fail to learn "B is A"',
          abstract="We expose a surprising failure of generalization in auto-regressive large language models "
                   "(LLMs). If a model is trained on a sentence of the form A is B, it will not automatically "
                   "generalize to the reverse direction B is A. This is the Reversal Curse.",
          authors=("Lukas Berglund", "Meg Tong", "Max Kaufmann", "Mikita Balesni", "Asa Cooper Stickland",
                   "Tomasz Korbak", "Owain Evans"),
          published="2023-09-21", categories=("cs.CL", "cs.AI"), upvotes=12,
          hf_url="https://huggingface.co/papers/2309.12288", code_url="https://github.com/lukasberglund/reversal_curse"),
    Paper(key="2504.04383", arxiv_id="2504.04383",
          title="Retro-Search: Exploring Untaken Paths for Deeper and Efficient Reasoning",
          abstract="Large reasoning models exhibit remarkable reasoning capabilities via long, elaborate reasoning "
                   "trajectories. We introduce Retro-Search, an MCTS-inspired search algorithm.",
          authors=("Ximing Lu", "Seungju Han"), published="2025-04-06", categories=("cs.CL",), upvotes=30),
    Paper(key="2312.00001", arxiv_id="2312.00001",
          title="Quantifying the Sensitivity of Inverse Reinforcement Learning to Misspecification",
          abstract="Inverse reinforcement learning (IRL) aims to infer an agent's preferences from behaviour.",
          authors=("Joar Skalse", "Alessandro Abate"), published="2024-03-11", categories=("cs.LG",)),
    Paper(key="2401.00003", arxiv_id="2401.00003",
          title="@everyone <@123456789012345678> **Bold** claims: a [link](http://evil.example) in a title",
          abstract="# Heading\n> quote @here <@&987654321098765432> `code` ||spoiler|| ~~strike~~ _under_",
          authors=("<@U123>", "@everyone"), published="2024-01-03", categories=("cs.CR",), upvotes=3,
          code_url="javascript:alert(1)"),
]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def store():
    opened = SQLiteStore(memory=True)
    opened.upsert_papers(PAPERS, iso(START))
    yield opened
    opened.close()


@pytest.fixture
def core(store: SQLiteStore, clock: FakeClock):
    return build_core(store, clock=clock)


@pytest.fixture
async def fake():
    server = await FakeDiscord().start()
    yield server
    await server.stop()


def make_adapter(core, fake: FakeDiscord, **options) -> DiscordAdapter:
    env = fake.env(**options.pop("env", {}))
    settings = DiscordSettings.from_env(env)
    assert settings is not None
    options.setdefault("guild_ready_timeout", 0.05)
    options.setdefault("identify_spacing", 0.0)
    options.setdefault("ready_timeout", 10)
    options.setdefault("pacer", RequestPacer(rate=2000))
    return DiscordAdapter(core, settings, **options)


@pytest.fixture
async def running(core, fake):
    """The adapter logged in, commands synced, gateway ready; stopped (and endpoints restored) after."""
    base, gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    adapter = make_adapter(core, fake)
    await adapter.start()
    yield adapter
    await adapter.stop()
    assert (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY) == (base, gateway)
