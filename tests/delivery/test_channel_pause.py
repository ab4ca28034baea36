"""A channel whose daily post fails for good three days running is paused, not failed again daily;
configuring it again resumes it; `paperboy stats` counts the paused."""
from __future__ import annotations

from datetime import UTC, datetime

from paperboy.adapters.memory.adapter import MemoryAdapter
from paperboy.bot.commands.dispatch import build_core
from paperboy.bot.commands.invocation import Place
from paperboy.bot.commands.typed import TypedCommands
from paperboy.bot.delivery.outbox import DeliveryWorker
from paperboy.bot.delivery.registry import delivery_kinds
from paperboy.bot.delivery.scheduler import DailyScheduler


def morning(day: int) -> datetime:
    return datetime(2026, 11, day, 9, 5, tzinfo=UTC)


async def post_on(day: int, store, clock, scheduler, worker) -> list[str]:
    clock.set(morning(day))
    queued = await scheduler.tick()
    await worker.run_once()
    return queued


async def test_three_permanent_failures_in_a_row_pause_the_channel_until_it_is_configured(store, stock, clock):
    stock.hf_days("2026-11-20", 10)
    channel = stock.channel("gone", daily_time="09:00", tz="UTC")
    platform = MemoryAdapter()
    platform.fail_channel("gone")  # paperboy was removed from the channel
    scheduler, worker = DailyScheduler(store, clock), DeliveryWorker(store, {"memory": platform}, clock, delivery_kinds())

    for day in (24, 25):
        assert await post_on(day, store, clock, scheduler, worker)
        assert store.get_channel("memory", "w1", "gone").paused is None  # two failures: not yet
    assert await post_on(26, store, clock, scheduler, worker)
    paused = store.get_channel("memory", "w1", "gone")
    assert paused.paused and "3 days running" in paused.paused and "not found" in paused.paused
    assert store.stats()["channels_paused"] == 1
    assert await post_on(27, store, clock, scheduler, worker) == []  # no fourth failure
    assert len(platform.attempts) == 3

    platform.heal_channel("gone")  # paperboy is invited back, and a manager configures it again
    core = build_core(store, clock=clock)
    inv = TypedCommands(core.specs).read("/digest config time=10:00", user="u1", can_configure=True,
                                         place=Place("memory", "w1", "gone"))
    reply = await core.dispatch(inv)
    assert reply.text.startswith("Resumed: it had stopped because its daily post failed 3 days running")
    assert store.get_channel("memory", "w1", "gone").paused is None and store.stats()["channels_paused"] == 0
    clock.set(datetime(2026, 11, 28, 10, 5, tzinfo=UTC))
    assert await scheduler.tick() == [f"daily:{channel.id}:2026-11-28"]
    await worker.run_once()
    assert len(platform.sent) == 1


async def test_a_failure_between_successes_does_not_pause(store, stock, clock):
    stock.hf_days("2026-11-20", 10)
    stock.channel("flaky", daily_time="09:00", tz="UTC")
    platform = MemoryAdapter()
    scheduler, worker = DailyScheduler(store, clock), DeliveryWorker(store, {"memory": platform}, clock, delivery_kinds())
    for day in (24, 25, 26, 27):
        if day != 26:
            platform.fail_channel("flaky")
        else:
            platform.heal_channel("flaky")
        await post_on(day, store, clock, scheduler, worker)
    assert store.get_channel("memory", "w1", "flaky").paused is None
