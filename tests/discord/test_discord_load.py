"""A burst of interactions through the real discord.py client, with lookups in a worker process:
every one acknowledged within Discord's 3 s, past the bound a plain "busy" answer, and the daily
fan-out still going out meanwhile. Figures for steady rates are in bench/load.py, not here."""
from __future__ import annotations

import asyncio
import json
from functools import partial

import pytest
from conftest import PAPERS, START, make_adapter
from fake_discord import FakeDiscord
from fake_discord_wire import INTERACTION_DEADLINE, InteractionRecord
from test_discord_commands import EPHEMERAL, option

from paperboy.bot.clock import FakeClock, iso
from paperboy.bot.commands.dispatch import build_core
from paperboy.bot.delivery.outbox import DeliveryWorker
from paperboy.bot.delivery.registry import delivery_kinds
from paperboy.bot.delivery.scheduler import DailyScheduler
from paperboy.bot.search.lookup_pool import LookupPool
from paperboy.storage import open_store
from paperboy.storage.sqlite import SQLiteStore

BOUND = 4
QUERIES = ["the reversal curse", "retro serch untaken paths", "2309.12288", "inverse reinforcement misspecification",
           "arxiv.org/abs/2504.04383", "reversal curse llms trained on a is b"]
LIST_DAY = "2026-11-24"


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "paperboy.db"
    store = SQLiteStore(path)
    store.upsert_papers(PAPERS, iso(START))
    store.close()
    return path


@pytest.fixture
async def bot(db, fake):
    """Store, core with a bound of BOUND, one lookup worker process, the adapter connected."""
    store = SQLiteStore(db)
    core = build_core(store, clock=FakeClock(START))
    core.matcher.max_pending = BOUND
    pool = LookupPool(partial(open_store, db), 1)
    await pool.start()
    core.matcher.ranker = pool
    adapter = make_adapter(core, fake)
    await adapter.start()
    yield adapter
    await adapter.stop()
    await pool.close()
    store.close()


def answered(record: InteractionRecord) -> bool:
    """An answer (not just a deferral) reached Discord."""
    return bool(record.callbacks) and (record.callback.get("type") in (4, 8) or bool(record.followups))


def answer_of(record: InteractionRecord) -> dict:
    return record.callback["data"] if record.callback.get("type") == 4 else record.followups[0].body


async def burst(fake: FakeDiscord, count: int, autocompletes: int = 0) -> tuple[list, list]:
    """`count` /paper commands and `autocompletes` suggestions, written to the gateway at once."""
    commands = [fake.interaction_payload("paper", [option("query", QUERIES[n % len(QUERIES)])], user_id=str(10**17 + n))
                for n in range(count)]
    typing = [fake.interaction_payload("paper", [option("query", "reversal cu"[: 4 + n % 8], focused=True)], kind=4)
              for n in range(autocompletes)]
    records = await asyncio.gather(*(fake.interact(p) for p in commands + typing))
    await asyncio.gather(*(r.wait_for(answered, timeout=20) for r in records))
    return list(records[:count]), list(records[count:])


async def test_a_burst_is_acknowledged_in_time_and_what_is_past_the_bound_hears_busy(fake, bot):
    commands, typing = await burst(fake, 120, autocompletes=30)
    for record in commands + typing:
        # The fake refuses an acknowledgement later than Discord's deadline: a callback is one in time.
        assert record.callbacks and record.answered_after < INTERACTION_DEADLINE
    busy = [r for r in commands if "busy" in json.dumps(answer_of(r))]
    cards = [r for r in commands if answer_of(r).get("embeds") and r not in busy]
    assert busy, "nothing was past the bound"
    assert len(cards) >= BOUND  # those admitted got their paper
    for record in busy:
        assert answer_of(record)["content"] == "paperboy is busy, try again in a few seconds."
        assert answer_of(record)["flags"] & EPHEMERAL  # told to the one who asked, nobody else
    assert all(r.callback["type"] == 8 for r in typing)  # suggestions, or none: never late
    assert not fake.rejected


async def test_after_the_burst_lookups_are_answered_again(fake, bot):
    await burst(fake, 80)
    record = await fake.interact(fake.interaction_payload("paper", [option("query", "the reversal curse")]))
    await record.wait_for(answered)
    assert "Reversal Curse" in json.dumps(answer_of(record))
    assert bot.core.admission.working == 0


async def test_the_daily_fan_out_goes_out_during_a_storm_and_the_storm_is_still_answered_in_time(db, fake, bot):
    guild = fake.add_guild(channels=20)
    store, clock = bot.core.context.papers, bot.core.clock
    store.record_daily_list(LIST_DAY, "hf", [(p.key, p.upvotes) for p in PAPERS[:3]])
    for channel in fake.channel_ids(guild):
        store.configure_channel("discord", guild, channel, iso(START), daily_time="06:00", tz="UTC")
    await DailyScheduler(store, clock).tick()
    worker = DeliveryWorker(store, {"discord": bot}, clock, delivery_kinds())

    async def deliver() -> None:
        while any(not fake.channel_messages(c) for c in fake.channel_ids(guild)):
            await worker.run_once()
            await asyncio.sleep(0.01)

    posting = asyncio.create_task(deliver())
    commands = []
    try:
        for _ in range(6):  # a storm of a few seconds, not one burst the fan-out could wait out
            commands += (await burst(fake, 50))[0]
        await asyncio.wait_for(asyncio.shield(posting), 30)
    finally:
        posting.cancel()
        await asyncio.gather(posting, return_exceptions=True)
    assert all(r.callbacks and r.answered_after < INTERACTION_DEADLINE for r in commands)
    assert any("busy" in json.dumps(answer_of(r)) for r in commands)  # the storm filled the bound
    posts = [c for c in fake.requests("POST", r"^/channels/\d+/messages$")]
    assert len(posts) == 20 and store.stats(iso(clock.now()))["deliveries_sent"] == 20
    assert posts[0].at < commands[-1].sent_at  # posting began while the storm went on
