"""Weekly and monthly tops, and the lagged daily list: each schedule once per period, with its own key,
across week and month boundaries and a DST change, ranked on the latest known upvotes."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from test_daily_scheduler import at
from test_daily_scheduler import drive as drive_every_5_minutes

from paperboy.bot.delivery.scheduler import DailyScheduler
from paperboy.bot.delivery.schedules import covered, due_posts, read_every, read_weekday


async def drive(scheduler: DailyScheduler, clock, until: datetime):
    return await drive_every_5_minutes(scheduler, clock, until, step=timedelta(minutes=15))


def titles(delivery) -> list[str]:
    return [item["paper"]["title"] for item in delivery.payload["items"]]


async def test_daily_and_weekly_posts_go_out_each_once_per_period_with_their_own_keys(store, stock, clock):
    stock.hf_days("2026-11-16", 21)  # three weeks of lists, Mon 16 Nov to Sun 6 Dec
    channel = stock.channel(daily_time="09:00", tz="UTC", every="day,week", week_day="mon",
                            configured_at="2026-11-28T12:00:00Z")  # a Saturday: last Monday's post is not owed
    clock.set(at("2026-11-29T00:00"))  # a Sunday
    queued = await drive(DailyScheduler(store, clock), clock, at("2026-12-07T23:00"))
    keys = [key for _, key in queued]
    weekly = [k for k in keys if k.startswith("weekly:")]
    daily = [k for k in keys if k.startswith("daily:")]
    assert weekly == [f"weekly:{channel.id}:2026-11-30", f"weekly:{channel.id}:2026-12-07"]
    # Sun 29 Nov .. Sun 6 Dec, one each; Mon 7 Dec has no new list, so no daily post yet.
    assert len(daily) == len(set(daily)) == 8
    assert (at("2026-11-30T09:00"), f"weekly:{channel.id}:2026-11-30") in queued
    first = store.get_delivery(f"weekly:{channel.id}:2026-11-30")
    assert first.payload["title"] == "Top papers of the week — 23 Nov to 29 Nov 2026"
    assert first.payload["digest"]["list_date"] == "2026-11-29"
    # The week crosses into December: 30 Nov .. 6 Dec.
    second = store.get_delivery(f"weekly:{channel.id}:2026-12-07")
    assert second.payload["title"] == "Top papers of the week — 30 Nov to 6 Dec 2026"


async def test_a_week_is_ranked_on_the_latest_upvotes_of_every_list_it_covers(store, stock, clock):
    early = stock.hf_day("2026-11-23", [5, 40], titles=["Early riser", "Monday star"])
    stock.hf_day("2026-11-25", [30], titles=["Midweek"])
    # The Monday paper is listed again on Friday with the upvotes it gathered since.
    store.record_daily_list("2026-11-27", "hf", [(early[0].key, 90)])
    stock.hf_day("2026-11-30", [999], titles=["Next week"])  # outside the week: not counted
    channel = stock.channel(daily_time="08:00", tz="UTC", every="week", week_day="mon", top_n=3)
    clock.set(at("2026-11-30T08:00"))
    assert await DailyScheduler(store, clock).tick() == [f"weekly:{channel.id}:2026-11-30"]
    post = store.get_delivery(f"weekly:{channel.id}:2026-11-30")
    assert titles(post) == ["Early riser", "Monday star", "Midweek"]
    assert [item["paper"]["upvotes"] for item in post.payload["items"]] == [90, 40, 30]
    assert "by their latest upvotes" in post.payload["note"]


async def test_monthly_post_on_the_first_covers_the_month_before_across_the_year_end(store, stock, clock):
    stock.hf_day("2026-11-30", [7], titles=["November's last"])
    stock.hf_day("2026-12-10", [20], titles=["December A"])
    stock.hf_day("2026-12-31", [50], titles=["December B"])
    stock.hf_day("2027-01-01", [500], titles=["New year"])
    channel = stock.channel(daily_time="10:00", tz="Europe/Berlin", every="month",
                            configured_at="2026-12-02T00:00:00Z")
    clock.set(at("2026-12-31T12:00"))
    queued = await drive(DailyScheduler(store, clock), clock, at("2027-01-02T12:00"))
    assert queued == [(at("2027-01-01T09:00"), f"monthly:{channel.id}:2026-12")]  # 10:00 in Berlin is 09:00 UTC
    post = store.get_delivery(f"monthly:{channel.id}:2026-12")
    assert post.payload["title"] == "Top papers of December 2026"
    assert titles(post) == ["December B", "December A"]


async def test_weekly_post_keeps_its_local_time_across_the_dst_change(store, stock, clock):
    # Berlin leaves summer time on Sun 25 Oct 2026: UTC+2 before, UTC+1 after.
    stock.hf_days("2026-10-12", 21, per_day=1)
    channel = stock.channel(daily_time="09:00", tz="Europe/Berlin", every="week", week_day="mon")
    clock.set(at("2026-10-18T00:00"))
    queued = await drive(DailyScheduler(store, clock), clock, at("2026-11-02T12:00"))
    assert queued == [
        (at("2026-10-19T07:00"), f"weekly:{channel.id}:2026-10-19"),
        (at("2026-10-26T08:00"), f"weekly:{channel.id}:2026-10-26"),
        (at("2026-11-02T08:00"), f"weekly:{channel.id}:2026-11-02"),
    ]


async def test_a_weekly_post_missed_on_its_day_goes_out_later_that_week_once(store, stock, clock):
    stock.hf_days("2026-11-23", 7)
    channel = stock.channel(daily_time="09:00", tz="UTC", every="week", week_day="mon")
    clock.set(at("2026-12-02T15:00"))  # paperboy was down from Monday to Wednesday
    scheduler = DailyScheduler(store, clock)
    assert await scheduler.tick() == [f"weekly:{channel.id}:2026-11-30"]
    assert await drive(scheduler, clock, at("2026-12-06T23:00")) == []


async def test_a_week_with_nothing_to_show_is_recorded_as_skipped_with_the_reason(store, stock, clock):
    channel = stock.channel(daily_time="09:00", tz="UTC", every="week", week_day="mon")
    clock.set(at("2026-11-30T08:00"))
    assert await drive(DailyScheduler(store, clock), clock, at("2026-12-01T01:00")) == []
    skipped = store.get_delivery(f"weekly:{channel.id}:2026-11-30")
    assert skipped.status == "skipped"
    assert "no Hugging Face Daily Papers papers between 2026-11-23 and 2026-11-29" in skipped.note


async def test_lag_one_posts_yesterdays_list_on_its_settled_upvotes_and_says_which_day(store, stock, clock):
    sunday = stock.hf_day("2026-11-29", [3, 10], titles=["Slow starter", "Early favourite"])
    stock.hf_day("2026-11-30", [100], titles=["Monday's own"])
    store.record_daily_list("2026-11-29", "hf", [(sunday[0].key, 80), (sunday[1].key, 12)])  # the refresh
    channel = stock.channel(daily_time="09:00", tz="UTC", lag_days=1)
    clock.set(at("2026-11-30T09:00"))
    assert await DailyScheduler(store, clock).tick() == [f"daily:{channel.id}:2026-11-30"]
    post = store.get_delivery(f"daily:{channel.id}:2026-11-30")
    assert post.payload["title"] == "Trending papers — Sun 29 Nov 2026"
    assert titles(post) == ["Slow starter", "Early favourite"]
    assert "upvotes gathered since" in post.payload["note"]


def test_schedule_words_and_periods():
    assert read_every("week") == ("week",)
    assert read_every("weekly, day") == ("day", "week")
    assert read_every("fortnight") is None
    assert read_weekday("Friday") == "fri" and read_weekday("fr") is None
    assert covered("month", date(2027, 3, 1)).first == "2027-02-01"
    assert covered("month", date(2027, 3, 1)).last == "2027-02-28"
    # Before the time on the post day nothing is due; after it, both schedules are.
    morning = datetime(2026, 11, 30, 8, 59)
    assert due_posts(1, "day,week", "mon", 0, morning, datetime(2026, 1, 1, 9, 0).time()) == []
    due = due_posts(1, "day,week", "mon", 0, morning.replace(hour=9, minute=0), datetime(2026, 1, 1, 9, 0).time())
    assert [d.key for d in due] == ["daily:1:2026-11-30", "weekly:1:2026-11-30"]


async def test_a_monthly_post_missed_on_the_first_goes_out_later_that_month_once(store, stock, clock):
    stock.hf_day("2026-11-10", [12], titles=["November paper"])
    channel = stock.channel(daily_time="09:00", tz="UTC", every="month")
    clock.set(at("2026-12-03T10:00"))  # paperboy was down on 1 and 2 December
    scheduler = DailyScheduler(store, clock)
    assert await scheduler.tick() == [f"monthly:{channel.id}:2026-11"]
    assert await drive(scheduler, clock, at("2026-12-31T23:00")) == []
