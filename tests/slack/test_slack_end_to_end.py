"""Daily posts and subscription alerts through the core's delivery engine and the real Slack adapter.

The clock is a FakeClock: the scheduler and the outbox run when told (tick, run_once) at the moments
the test sets, while the Slack side (bolt, Socket Mode, Web API) runs for real against the fake."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from slack_steps import slash
from slack_world import PAPERS, make_adapter

from paperboy.bot.clock import iso
from paperboy.bot.commands.dispatch import build_core
from paperboy.bot.delivery.outbox import DeliveryWorker
from paperboy.bot.delivery.pipeline import match_news
from paperboy.bot.delivery.registry import delivery_kinds
from paperboy.bot.delivery.scheduler import DailyScheduler
from paperboy.bot.models import Paper
from paperboy.bot.subscriptions.alerts import enqueue_alerts
from paperboy.storage.sqlite import SQLiteStore

NEW_YORK = ZoneInfo("America/New_York")


def new_york(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=NEW_YORK).astimezone(UTC)


class Running:
    """One paperboy process: store, core, Slack adapter, scheduler and delivery worker on one database."""

    def __init__(self, db_path, clock, fake):
        self.store = SQLiteStore(db_path)
        self.core = build_core(self.store, clock=clock)
        self.adapter = make_adapter(self.core, fake)
        self.scheduler = DailyScheduler(self.store, clock)
        self.worker = DeliveryWorker(self.store, {"slack": self.adapter}, clock, delivery_kinds())

    async def __aenter__(self) -> Running:
        await self.adapter.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.adapter.stop()
        self.store.close()

    async def round(self) -> None:
        await self.scheduler.tick()
        await self.worker.run_once()


def daily_posts(fake):
    """Slash command answers travel in acks; in this channel only daily posts go through chat.postMessage."""
    return fake.posts("C0PAPERS")


async def test_channel_gets_its_list_once_at_nine_new_york_across_restarts(fake, store, clock, db_path):
    store.record_daily_list("2026-11-24", "hf", [(p.key, p.upvotes) for p in PAPERS[:4]])
    clock.set(new_york(24, 8, 0))
    async with Running(db_path, clock, fake) as bot:
        answer = await slash(fake, "digest config time=09:00 tz=America/New_York top=3", user="U0ALICE")
        assert "Posts on: daily" in answer.all_text
        await bot.round()
        clock.set(new_york(24, 8, 59))
        await bot.round()
        assert daily_posts(fake) == []

        clock.set(new_york(24, 9, 0))
        await bot.round()
        [post] = daily_posts(fake)
        items = [b["text"]["text"].split("\n")[0] for b in post["blocks"] if b["type"] == "section"]
        assert items == ["1. Attention Is All You Need",
                         "2. Mamba: Linear-Time Sequence Modeling with Selective State Spaces",
                         "3. Denoising Diffusion Probabilistic Models"]
        assert post["text"]  # a fallback for notifications
        clock.set(new_york(24, 9, 5))
        await bot.round()
        assert len(daily_posts(fake)) == 1

    clock.set(new_york(24, 9, 30))
    async with Running(db_path, clock, fake) as bot:  # a restart the same morning posts nothing more
        await bot.round()
        clock.set(new_york(24, 23, 59))
        await bot.round()
    assert len(daily_posts(fake)) == 1

    # Down over the next morning's 09:00: the new day's list goes out once after the restart.
    ingest = SQLiteStore(db_path)
    try:
        ingest.record_daily_list("2026-11-25", "hf", [(PAPERS[4].key, 3), (PAPERS[0].key, 31)])
    finally:
        ingest.close()
    clock.set(new_york(25, 11, 15))
    async with Running(db_path, clock, fake) as bot:
        await bot.round()
        await bot.round()
    posts = daily_posts(fake)
    assert len(posts) == 2
    second = [b["text"]["text"].split("\n")[0] for b in posts[1]["blocks"] if b["type"] == "section"]
    assert second[0].startswith("1. The Reversal Curse")
    assert "&lt;!channel&gt;" in second[1] and "<!channel>" not in posts[1]["text"]


async def test_subscription_alert_arrives_once_by_dm(fake, slack, store, clock, core):
    answer = await slash(fake, "sub linear attention", user="U0BOB")
    assert "Subscribed (#1)" in answer.all_text
    await slash(fake, "sub protein folding", user="U0ALICE")
    worker = DeliveryWorker(store, {"slack": slack}, clock, delivery_kinds())

    clock.set(new_york(24, 10, 0))
    fresh = Paper(key="2611.04321", arxiv_id="2611.04321", title="Linear Attention Is Enough for Long Documents",
                  abstract="We revisit linear attention for documents of a million tokens.",
                  authors=("Ada Admin",), published="2026-11-24", categories=("cs.CL",), upvotes=7, source="hf")
    store.upsert_papers([fresh, PAPERS[1]], iso(clock.now()), news=True)
    assert match_news(store, clock.now(), core.matcher) == 1
    await worker.run_once()

    [opened] = fake.calls_to("conversations.open")
    assert opened.params["users"] == "U0BOB"
    [post] = fake.posts()
    assert post["channel"] == "D0BOB"
    assert "subscription #1" in post["blocks"][0]["elements"][0]["text"]
    assert post["blocks"][1]["text"]["text"] == "Linear Attention Is Enough for Long Documents"

    # The same paper seen again (the next ingest) alerts no one a second time.
    store.upsert_papers([fresh], iso(clock.now()), news=True)
    assert match_news(store, clock.now(), core.matcher) == 0
    assert enqueue_alerts(store, [fresh], clock.now()) == 0  # matched again on purpose: still no second alert
    await worker.run_once()
    assert len(fake.posts()) == 1


async def test_a_busy_day_for_one_subscription_arrives_as_one_list(fake, slack, store, clock, core):
    answer = await slash(fake, "sub linear attention", user="U0BOB")
    assert "Subscribed (#1)" in answer.all_text
    worker = DeliveryWorker(store, {"slack": slack}, clock, delivery_kinds())
    clock.set(new_york(24, 10, 0))
    fresh = [Paper(key=f"2611.0432{n}", arxiv_id=f"2611.0432{n}", title=f"Linear attention <!channel> study {n}",
                   abstract="Linear attention again.", authors=("Ada Admin",), published="2026-11-24",
                   categories=("cs.CL",), upvotes=n, source="hf") for n in range(5)]
    store.upsert_papers(fresh, iso(clock.now()), news=True)
    assert match_news(store, clock.now(), core.matcher) == 5
    await worker.run_once()

    [post] = fake.posts()
    assert post["channel"] == "D0BOB"
    text = json.dumps(post["blocks"])
    assert "5 new papers matching your subscription #1" in text
    assert "<!channel>" not in text
    assert [text.index(f"study {n}") for n in (4, 3, 2, 1, 0)] == sorted(text.index(f"study {n}") for n in range(5))
    assert {d.status for d in store.deliveries(kind="alert")} == {"sent"}
