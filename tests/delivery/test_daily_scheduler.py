"""DailyScheduler: each channel's list once a day at its local time, whatever the clock does."""
from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from paperboy.bot.clock import FakeClock
from paperboy.bot.delivery.scheduler import DailyScheduler, daily_key
from paperboy.storage import open_store
from paperboy.storage.sqlite import SQLiteStore

UTC = UTC


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def drive(scheduler: DailyScheduler, clock: FakeClock, until: datetime,
                step: timedelta = timedelta(minutes=5)) -> list[tuple[datetime, str]]:
    """Ticks every `step` up to `until`; returns (UTC time, key) for every post queued."""
    queued = []
    while clock.now() <= until:
        for key in await scheduler.tick():
            queued.append((clock.now(), key))
        clock.advance(seconds=step.total_seconds())
    return queued


def daily(store: SQLiteStore, status: str | None = None):
    return store.deliveries(status=status, kind="daily")


async def test_posts_once_at_the_local_time(store, stock, clock):
    stock.hf_days("2026-11-23", 2)
    channel = stock.channel(daily_time="09:00", tz="Europe/Berlin")
    scheduler = DailyScheduler(store, clock)
    queued = await drive(scheduler, clock, at("2026-11-24T23:55"))
    # Berlin is UTC+1 in November.
    assert queued == [(at("2026-11-24T08:00"), daily_key(channel.id, "2026-11-24"))]
    delivery = store.get_delivery(daily_key(channel.id, "2026-11-24"))
    assert delivery.status == "pending"
    assert (delivery.target.platform, delivery.target.workspace, delivery.target.channel) == ("memory", "w1", "c1")
    assert delivery.target.mode == "channel"
    assert delivery.payload["kind"] == "list"
    assert delivery.payload["title"] == "Trending papers — Tue 24 Nov 2026"


async def test_thread_per_paper_channels_get_a_threads_target(store, stock, clock):
    stock.hf_days("2026-11-24", 1)
    channel = stock.channel(daily_time="01:00", tz="UTC", thread_per_paper=True)
    clock.set(at("2026-11-24T01:00"))
    assert await DailyScheduler(store, clock).tick() == [daily_key(channel.id, "2026-11-24")]
    assert store.get_delivery(daily_key(channel.id, "2026-11-24")).target.mode == "threads"


async def test_channels_in_three_time_zones_each_post_at_their_own_nine(store, stock, clock):
    stock.hf_days("2026-11-22", 4)
    # Set up at 22:00 UTC, when it is already past 09:00 on the 23rd in all three places.
    setup = "2026-11-23T22:00:00Z"
    berlin = stock.channel("berlin", daily_time="09:00", tz="Europe/Berlin", configured_at=setup)
    new_york = stock.channel("new-york", daily_time="09:00", tz="America/New_York", configured_at=setup)
    kolkata = stock.channel("kolkata", daily_time="09:00", tz="Asia/Kolkata", configured_at=setup)
    clock.set(at("2026-11-23T22:00"))
    queued = await drive(DailyScheduler(store, clock), clock, at("2026-11-24T22:00"))
    assert queued == [
        (at("2026-11-24T03:30"), daily_key(kolkata.id, "2026-11-24")),  # UTC+5:30
        (at("2026-11-24T08:00"), daily_key(berlin.id, "2026-11-24")),  # UTC+1
        (at("2026-11-24T14:00"), daily_key(new_york.id, "2026-11-24")),  # UTC-5
    ]


async def test_disabled_channels_get_nothing(store, stock, clock):
    stock.hf_days("2026-11-24", 1)
    stock.channel(daily_time="00:00", tz="UTC", enabled=False)
    clock.set(at("2026-11-24T12:00"))
    assert await DailyScheduler(store, clock).tick() == []
    assert daily(store) == []


@pytest.mark.parametrize("tz, days, expected_utc", [
    # Berlin springs forward on 2026-03-29 (CET -> CEST) and falls back on 2026-10-25.
    ("Europe/Berlin", ("2026-03-28", "2026-03-29", "2026-03-30"), ("08:00", "07:00", "07:00")),
    ("Europe/Berlin", ("2026-10-24", "2026-10-25", "2026-10-26"), ("07:00", "08:00", "08:00")),
    # New York springs forward on 2026-03-08 (EST -> EDT) and falls back on 2026-11-01.
    ("America/New_York", ("2026-03-07", "2026-03-08", "2026-03-09"), ("14:00", "13:00", "13:00")),
    ("America/New_York", ("2026-10-31", "2026-11-01", "2026-11-02"), ("13:00", "14:00", "14:00")),
])
async def test_dst_changes_keep_the_local_time(store, stock, tz, days, expected_utc):
    stock.hf_days(days[0], len(days))
    channel = stock.channel(daily_time="09:00", tz=tz)
    clock = FakeClock(at(f"{days[0]}T00:00"))
    queued = await drive(DailyScheduler(store, clock), clock, at(f"{days[-1]}T23:59"))
    assert queued == [(at(f"{day}T{hhmm}"), daily_key(channel.id, day)) for day, hhmm in zip(days, expected_utc, strict=True)]


async def test_a_time_skipped_by_spring_forward_still_posts_once(store, stock):
    # 02:30 does not exist in Berlin on 2026-03-29: the clock jumps from 02:00 CET to 03:00 CEST.
    stock.hf_days("2026-03-28", 3)
    channel = stock.channel(daily_time="02:30", tz="Europe/Berlin")
    clock = FakeClock(at("2026-03-28T00:00"))
    queued = await drive(DailyScheduler(store, clock), clock, at("2026-03-30T23:59"), step=timedelta(minutes=1))
    assert queued == [
        (at("2026-03-28T01:30"), daily_key(channel.id, "2026-03-28")),
        (at("2026-03-29T01:00"), daily_key(channel.id, "2026-03-29")),  # 03:00 CEST, the first moment past 02:30
        (at("2026-03-30T00:30"), daily_key(channel.id, "2026-03-30")),
    ]


async def test_a_time_repeated_by_fall_back_posts_once(store, stock):
    # 02:30 happens twice in Berlin on 2026-10-25: at 00:30 UTC (CEST) and at 01:30 UTC (CET).
    stock.hf_days("2026-10-25", 1)
    channel = stock.channel(daily_time="02:30", tz="Europe/Berlin")
    clock = FakeClock(at("2026-10-24T22:00"))
    queued = await drive(DailyScheduler(store, clock), clock, at("2026-10-25T22:00"), step=timedelta(minutes=1))
    assert queued == [(at("2026-10-25T00:30"), daily_key(channel.id, "2026-10-25"))]


async def test_restarts_never_post_the_same_day_twice(db_path, clock, stock_for):
    first = open_store(db_path)
    stock = stock_for(first)
    stock.hf_days("2026-11-23", 3)
    channel = stock.channel(daily_time="09:00", tz="Europe/Berlin")
    clock.set(at("2026-11-24T07:00"))
    queued = await drive(DailyScheduler(first, clock), clock, at("2026-11-24T08:30"))
    assert [key for _, key in queued] == [daily_key(channel.id, "2026-11-24")]
    first.close()
    for _ in range(3):  # three restarts later the same day: nothing more
        reopened = open_store(db_path)
        assert await drive(DailyScheduler(reopened, clock), clock, clock.now() + timedelta(hours=1)) == []
        reopened.close()
    reopened = open_store(db_path)
    clock.set(at("2026-11-25T07:00"))
    queued = await drive(DailyScheduler(reopened, clock), clock, at("2026-11-25T12:00"))
    assert [key for _, key in queued] == [daily_key(channel.id, "2026-11-25")]
    assert len(reopened.deliveries(kind="daily")) == 2
    reopened.close()


async def test_catch_up_after_downtime_posts_once_not_once_per_missed_day(store, stock, clock):
    stock.hf_days("2026-11-20", 6)  # lists for Fri 20 .. Wed 25
    channel = stock.channel(daily_time="09:00", tz="Europe/Berlin")
    scheduler = DailyScheduler(store, clock)
    clock.set(at("2026-11-21T07:00"))
    assert await drive(scheduler, clock, at("2026-11-21T07:50")) == []  # went down before Saturday's post
    clock.set(at("2026-11-24T12:00"))  # back on Tuesday afternoon
    queued = await drive(scheduler, clock, at("2026-11-24T23:55"))
    assert queued == [(at("2026-11-24T12:00"), daily_key(channel.id, "2026-11-24"))]
    delivery = store.get_delivery(daily_key(channel.id, "2026-11-24"))
    assert delivery.payload["digest"]["list_date"] == "2026-11-24"  # the newest list, not a backlog
    assert [d.dedupe_key for d in daily(store)] == [daily_key(channel.id, "2026-11-24")]


async def test_an_empty_day_says_nothing_and_is_recorded_as_skipped(store, stock, clock, caplog):
    channel = stock.channel(daily_time="09:00", tz="Europe/Berlin")
    scheduler = DailyScheduler(store, clock)
    with caplog.at_level(logging.INFO, logger="paperboy.bot.delivery.scheduler"):
        assert await drive(scheduler, clock, at("2026-11-24T22:55")) == []
        assert daily(store) == []  # the day is not over in Berlin: it may still come
        assert await drive(scheduler, clock, at("2026-11-25T00:00")) == []
    skipped = daily(store, "skipped")
    assert [d.dedupe_key for d in skipped] == [daily_key(channel.id, "2026-11-24")]
    assert "nothing posted on 2026-11-24" in skipped[0].note
    assert "no Hugging Face Daily Papers list" in skipped[0].note
    assert any("recorded as skipped" in r.getMessage() for r in caplog.records)
    assert store.deliveries(status="pending") == []


async def test_papers_arriving_later_the_same_day_are_still_posted(store, stock, clock):
    channel = stock.channel(daily_time="09:00", tz="Europe/Berlin")
    scheduler = DailyScheduler(store, clock)
    assert await drive(scheduler, clock, at("2026-11-24T10:55")) == []
    stock.hf_days("2026-11-24", 1)  # ingest lands at 11:00 UTC
    queued = await drive(scheduler, clock, at("2026-11-25T07:00"))
    assert queued == [(at("2026-11-24T11:00"), daily_key(channel.id, "2026-11-24"))]
    assert daily(store, "skipped") == []


async def test_the_same_list_is_never_posted_twice(store, stock, clock):
    stock.hf_days("2026-11-24", 1)  # no list on the 25th
    channel = stock.channel(daily_time="09:00", tz="UTC")
    scheduler = DailyScheduler(store, clock)
    queued = await drive(scheduler, clock, at("2026-11-25T23:55"))
    assert [key for _, key in queued] == [daily_key(channel.id, "2026-11-24")]
    stock.hf_days("2026-11-26", 1)
    queued = await drive(scheduler, clock, at("2026-11-26T23:55"))
    assert [key for _, key in queued] == [daily_key(channel.id, "2026-11-26")]
    skipped = daily(store, "skipped")
    assert [d.dedupe_key for d in skipped] == [daily_key(channel.id, "2026-11-25")]
    assert "(2026-11-24) was already posted" in skipped[0].note
    posted = [d.payload["digest"]["list_date"] for d in daily(store, "pending")]
    assert posted == ["2026-11-24", "2026-11-26"]


async def test_the_same_list_is_not_reposted_after_a_restart(db_path, clock, stock_for):
    store = open_store(db_path)
    stock = stock_for(store)
    stock.hf_days("2026-11-24", 1)
    channel = stock.channel(daily_time="09:00", tz="UTC")
    clock.set(at("2026-11-24T09:00"))
    assert await DailyScheduler(store, clock).tick() == [daily_key(channel.id, "2026-11-24")]
    store.close()
    store = open_store(db_path)
    clock.set(at("2026-11-25T09:00"))
    assert await drive(DailyScheduler(store, clock), clock, at("2026-11-25T23:55")) == []
    store.close()


async def test_a_channel_with_a_broken_schedule_does_not_stop_the_others(store, stock, clock, caplog):
    stock.hf_days("2026-11-24", 1)
    stock.channel("broken", daily_time="09:00", tz="Mars/Olympus_Mons")
    good = stock.channel("good", daily_time="09:00", tz="UTC")
    clock.set(at("2026-11-24T09:00"))
    scheduler = DailyScheduler(store, clock)
    with caplog.at_level(logging.ERROR, logger="paperboy.bot.delivery.scheduler"):
        assert await scheduler.tick() == [daily_key(good.id, "2026-11-24")]
        await scheduler.tick()
    complaints = [r for r in caplog.records if "no usable schedule" in r.getMessage()]
    assert len(complaints) == 1  # said once, not every tick


async def test_sources_change_lets_the_other_source_post(store, stock, clock):
    stock.hf_days("2026-11-24", 1)
    stock.paper("Fresh LG", published="2026-11-24", categories=["cs.LG"])
    channel = stock.channel(daily_time="09:00", tz="UTC")
    clock.set(at("2026-11-24T09:00"))
    scheduler = DailyScheduler(store, clock)
    assert await scheduler.tick() == [daily_key(channel.id, "2026-11-24")]
    stock.channel(sources="cs.LG")
    clock.set(at("2026-11-25T09:00"))
    assert await scheduler.tick() == [daily_key(channel.id, "2026-11-25")]
    assert store.get_delivery(daily_key(channel.id, "2026-11-25")).payload["title"].startswith("New in cs.LG")


async def test_run_ticks_until_stopped(store, stock, clock):
    stock.hf_days("2026-11-24", 1)
    channel = stock.channel(daily_time="09:00", tz="UTC")
    stop = asyncio.Event()
    task = asyncio.create_task(DailyScheduler(store, clock).run(stop, interval=60))
    key = daily_key(channel.id, "2026-11-24")
    while not store.has_delivery(key):
        await asyncio.sleep(0)
    posted_at = clock.now()
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert at("2026-11-24T09:00") <= posted_at <= at("2026-11-24T09:01")
    assert len(daily(store)) == 1


async def test_a_channel_set_up_after_todays_time_starts_tomorrow(store, stock, clock):
    stock.hf_days("2026-11-23", 3)
    channel = stock.channel(daily_time="09:00", tz="Europe/Berlin", configured_at="2026-11-24T10:00:00Z")
    clock.set(at("2026-11-24T10:00"))
    queued = await drive(DailyScheduler(store, clock), clock, at("2026-11-25T23:55"))
    assert queued == [(at("2026-11-25T08:00"), daily_key(channel.id, "2026-11-25"))]
    assert daily(store, "skipped") == []  # not a missed day: there was nothing to miss


async def test_a_channel_set_up_before_todays_time_posts_today(store, stock, clock):
    stock.hf_days("2026-11-24", 1)
    channel = stock.channel(daily_time="09:00", tz="Europe/Berlin", configured_at="2026-11-24T07:59:00Z")
    clock.set(at("2026-11-24T07:59"))
    queued = await drive(DailyScheduler(store, clock), clock, at("2026-11-24T12:00"), step=timedelta(minutes=1))
    assert queued == [(at("2026-11-24T08:00"), daily_key(channel.id, "2026-11-24"))]


async def test_an_arxiv_channel_waiting_for_news_posts_once_papers_arrive(store, stock, clock):
    stock.paper("Yesterday's LG", published="2026-11-23", categories=["cs.LG"])
    channel = stock.channel(daily_time="09:00", tz="UTC", sources="cs.LG")
    scheduler = DailyScheduler(store, clock)
    clock.set(at("2026-11-23T09:00"))
    assert await scheduler.tick() == [daily_key(channel.id, "2026-11-23")]
    clock.set(at("2026-11-24T09:00"))
    assert await drive(scheduler, clock, at("2026-11-24T12:00")) == []  # only the posted day so far
    stock.paper("Today's LG", published="2026-11-24", categories=["cs.LG"])
    queued = await drive(scheduler, clock, at("2026-11-24T13:00"))
    assert [key for _, key in queued] == [daily_key(channel.id, "2026-11-24")]
    payload = store.get_delivery(daily_key(channel.id, "2026-11-24")).payload
    assert [item["paper"]["title"] for item in payload["items"]] == ["Today's LG"]


async def test_changing_a_waiting_channel_is_seen_at_once(store, stock, clock):
    stock.paper("Fresh CL", published="2026-11-24", categories=["cs.CL"])
    channel = stock.channel(daily_time="09:00", tz="UTC", sources="cs.LG")
    scheduler = DailyScheduler(store, clock)
    clock.set(at("2026-11-24T09:00"))
    assert await scheduler.tick() == []
    stock.channel(sources="cs.CL")
    clock.advance(minutes=1)
    assert await scheduler.tick() == [daily_key(channel.id, "2026-11-24")]
