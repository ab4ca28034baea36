"""Scheduler, outbox and adapters together, across restarts, crashes and outages."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from lease_time import SHORT_LEASE, delivery_leases_run_out

from paperboy.adapters.memory.adapter import MemoryAdapter
from paperboy.bot.adapter import DeliveryError
from paperboy.bot.clock import FakeClock
from paperboy.bot.delivery.outbox import LEASE_SECONDS, DeliveryWorker
from paperboy.bot.delivery.registry import delivery_kinds
from paperboy.bot.delivery.scheduler import DailyScheduler
from paperboy.bot.replies import PaperList
from paperboy.storage import open_store

UTC = UTC


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class SimulatedCrash(BaseException):
    pass


async def live(db_path, clock: FakeClock, adapters: dict, until: datetime, *, step_minutes: int = 1,
               lease_seconds: float = LEASE_SECONDS) -> None:
    """One lifetime of the bot: open the database, tick scheduler and worker, stop. What a previous
    lifetime left mid-send is taken over once its lease runs out (by the database's clock)."""
    store = open_store(db_path)
    scheduler = DailyScheduler(store, clock)
    worker = DeliveryWorker(store, adapters, clock, delivery_kinds(), base_backoff=30, lease_seconds=lease_seconds)
    try:
        while clock.now() < until:
            await scheduler.tick()
            await worker.run_once()
            clock.advance(minutes=step_minutes)
    finally:
        store.close()


def post_times(adapter: MemoryAdapter, channel: str) -> list[tuple[datetime, str]]:
    return [(m.at, m.reply.title) for m in adapter.sent_to(channel)]


async def test_three_days_with_restarts_post_once_a_day_at_each_local_nine(db_path, stock_for):
    clock = FakeClock(at("2026-11-23T00:00"))
    discord = MemoryAdapter("discord", clock=clock)
    slack = MemoryAdapter("slack", clock=clock)
    adapters = {"discord": discord, "slack": slack}
    store = open_store(db_path)
    stock = stock_for(store)
    stock.hf_days("2026-11-23", 3)
    stock.channel("berlin", platform="discord", workspace="g1", daily_time="09:00", tz="Europe/Berlin")
    stock.channel("new-york", platform="slack", workspace="T1", daily_time="09:00", tz="America/New_York")
    stock.channel("kolkata", platform="discord", workspace="g1", daily_time="09:00", tz="Asia/Kolkata")
    store.close()

    # Restarts every few hours, some right around the posting times.
    stops = ["2026-11-23T03:31", "2026-11-23T08:00", "2026-11-23T14:01", "2026-11-24T02:00",
             "2026-11-24T08:00", "2026-11-24T19:00", "2026-11-25T08:01", "2026-11-25T23:59"]
    for stop in stops:
        await live(db_path, clock, adapters, at(stop))

    days = ["Mon 23 Nov 2026", "Tue 24 Nov 2026", "Wed 25 Nov 2026"]
    assert [title for _, title in post_times(discord, "berlin")] == [f"Trending papers — {d}" for d in days]
    assert [title for _, title in post_times(slack, "new-york")] == [f"Trending papers — {d}" for d in days]
    assert [title for _, title in post_times(discord, "kolkata")] == [f"Trending papers — {d}" for d in days]
    assert [t for t, _ in post_times(discord, "berlin")] == [at(f"2026-11-2{d}T08:00") for d in (3, 4, 5)]
    assert [t for t, _ in post_times(slack, "new-york")] == [at(f"2026-11-2{d}T14:00") for d in (3, 4, 5)]
    assert [t for t, _ in post_times(discord, "kolkata")] == [at(f"2026-11-2{d}T03:30") for d in (3, 4, 5)]


async def test_down_across_the_posting_time_posts_once_on_return(db_path, stock_for):
    clock = FakeClock(at("2026-11-24T06:00"))
    discord = MemoryAdapter("discord", clock=clock)
    store = open_store(db_path)
    stock = stock_for(store)
    stock.hf_days("2026-11-20", 5)
    stock.channel("berlin", platform="discord", daily_time="09:00", tz="Europe/Berlin")
    store.close()
    await live(db_path, clock, {"discord": discord}, at("2026-11-24T07:30"))
    clock.set(at("2026-11-24T10:15"))  # down from 07:30 to 10:15 UTC, across 08:00
    await live(db_path, clock, {"discord": discord}, at("2026-11-24T23:00"))
    assert post_times(discord, "berlin") == [(at("2026-11-24T10:15"), "Trending papers — Tue 24 Nov 2026")]


async def test_a_platform_outage_delays_the_daily_post_but_loses_nothing(db_path, stock_for):
    clock = FakeClock(at("2026-11-24T07:00"))
    slack = MemoryAdapter("slack", clock=clock)
    store = open_store(db_path)
    stock = stock_for(store)
    stock.hf_days("2026-11-24", 1)
    stock.channel("general", platform="slack", daily_time="09:00", tz="Europe/Berlin")
    store.close()
    slack.fail_next(5, DeliveryError("503 Service Unavailable"))
    await live(db_path, clock, {"slack": slack}, at("2026-11-24T10:00"))
    assert [title for _, title in post_times(slack, "general")] == ["Trending papers — Tue 24 Nov 2026"]
    assert post_times(slack, "general")[0][0] > at("2026-11-24T08:00")
    assert len(slack.attempts) == 6


async def test_a_crash_right_after_posting_repeats_the_post_at_most_once(db_path, stock_for):
    clock = FakeClock(at("2026-11-24T07:00"))
    discord = MemoryAdapter("discord", clock=clock)
    store = open_store(db_path)
    stock = stock_for(store)
    stock.hf_days("2026-11-24", 1)
    stock.channel("berlin", platform="discord", daily_time="09:00", tz="Europe/Berlin")
    store.close()
    discord.crash_after_next_send(SimulatedCrash())
    crashed = False
    try:
        await live(db_path, clock, {"discord": discord}, at("2026-11-24T12:00"), lease_seconds=SHORT_LEASE)
    except* SimulatedCrash:
        crashed = True
    assert crashed and clock.now() == at("2026-11-24T08:00")
    clock.advance(minutes=3)  # the service manager restarts it
    store = open_store(db_path)
    await delivery_leases_run_out(store)  # as three minutes would have let it
    store.close()
    await live(db_path, clock, {"discord": discord}, at("2026-11-25T07:00"))
    keys = discord.keys_sent()
    assert keys == ["daily:1:2026-11-24", "daily:1:2026-11-24"]


async def test_scheduler_and_worker_run_loops_deliver_and_stop(db_path, stock_for):
    clock = FakeClock(at("2026-11-24T07:55"))
    discord = MemoryAdapter("discord", clock=clock)
    store = open_store(db_path)
    stock = stock_for(store)
    stock.hf_days("2026-11-24", 1)
    stock.channel("berlin", platform="discord", daily_time="09:00", tz="Europe/Berlin")
    stop = asyncio.Event()
    worker = DeliveryWorker(store, {"discord": discord}, clock, delivery_kinds())
    async with asyncio.TaskGroup() as group:
        group.create_task(DailyScheduler(store, clock).run(stop, interval=30))
        group.create_task(worker.run(stop, interval=2))
        while not discord.sent:
            await asyncio.sleep(0)
        stop.set()
    assert len(discord.sent) == 1 and isinstance(discord.sent[0].reply, PaperList)
    # Both loops sleep on one fake clock, and each sleep moves it for both: "on time" is within
    # a couple of scheduler intervals here.
    assert at("2026-11-24T08:00") <= discord.sent[0].at <= at("2026-11-24T08:02")
    store.close()
