"""Daily posts and subscription alerts through the scheduler, the outbox and the real client,
across restarts of the bot and 429 storms from the fake Discord."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from conftest import PAPERS, make_adapter
from lease_time import SHORT_LEASE, wait_for_delivery_leases_to_run_out
from test_discord_commands import MANAGER, USER, option, run

from paperboy.adapters.discord.delivery import DMS_CLOSED_NOTE
from paperboy.bot.clock import FakeClock, iso
from paperboy.bot.commands.dispatch import build_core
from paperboy.bot.delivery.outbox import DeliveryWorker
from paperboy.bot.delivery.registry import delivery_kinds
from paperboy.bot.delivery.scheduler import DailyScheduler
from paperboy.bot.models import Paper
from paperboy.bot.subscriptions.alerts import enqueue_alerts
from paperboy.storage.sqlite import SQLiteStore

UTC = UTC
REVERSAL, RETRO, IRL, HOSTILE = PAPERS
LIST_DAY = "2026-11-24"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Bot:
    """One lifetime of paperboy on a database file: store, core, Discord adapter, scheduler, outbox."""

    def __init__(self, db_path, clock: FakeClock, fake, **adapter_options):
        self.store = SQLiteStore(db_path)
        self.clock = clock
        self.core = build_core(self.store, clock=clock)
        self.adapter = make_adapter(self.core, fake, **adapter_options)
        self.scheduler = DailyScheduler(self.store, clock)
        self.worker = DeliveryWorker(self.store, {"discord": self.adapter}, clock, delivery_kinds(), base_backoff=5)

    async def __aenter__(self) -> Bot:
        await self.adapter.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.adapter.stop()
        self.store.close()

    async def step(self) -> None:
        await self.scheduler.tick()
        await self.worker.run_once()


def stock_day(db_path) -> None:
    store = SQLiteStore(db_path)
    store.upsert_papers(PAPERS, iso(at("2026-11-24T00:00")))
    store.record_daily_list(LIST_DAY, "hf", [(p.key, p.upvotes) for p in (RETRO, REVERSAL, HOSTILE)])
    store.close()


async def live_until(bot: Bot, fake, channel: str, until: datetime, arrivals: list[datetime]) -> None:
    """Steps a minute at a time; notes the clock each time a new message reaches the channel."""
    while bot.clock.now() < until:
        before = len(fake.channel_messages(channel))
        await bot.step()
        arrivals += [bot.clock.now()] * (len(fake.channel_messages(channel)) - before)
        bot.clock.advance(minutes=1)


async def test_a_channel_set_to_nine_berlin_gets_its_list_once_at_nine_across_restarts(tmp_path, fake):
    db = tmp_path / "paperboy.db"
    stock_day(db)
    clock = FakeClock(at("2026-11-24T06:00"))
    channel = fake.channel_id
    arrivals: list[datetime] = []
    async with Bot(db, clock, fake) as bot:
        configured = await run(fake, "digest", option("time", "09:00"), option("tz", "Europe/Berlin"),
                               subcommand="config", permissions=MANAGER)
        assert "09:00 Europe/Berlin" in configured.callback["data"]["content"]
        await live_until(bot, fake, channel, at("2026-11-24T07:30"), arrivals)
    async with Bot(db, clock, fake) as bot:  # restarted before nine
        await live_until(bot, fake, channel, at("2026-11-24T08:00:30"), arrivals)
    async with Bot(db, clock, fake) as bot:  # restarted right after nine
        await live_until(bot, fake, channel, at("2026-11-24T12:00"), arrivals)

    assert arrivals == [at("2026-11-24T08:00")]  # 09:00 in Berlin, once
    (message,) = fake.channel_messages(channel)
    (embed,) = message["embeds"]
    assert embed["title"] == "Trending papers — Tue 24 Nov 2026"
    links = re.findall(r"(?<!\\)\]\((https://[^)]+)\)", embed["description"])
    assert links == [RETRO.abs_url, REVERSAL.abs_url, HOSTILE.abs_url]  # by upvotes
    assert message["allowed_mentions"] == {"parse": []}
    assert len(fake.requests("PUT", r"/commands$")) == 1  # commands written once, not per restart
    assert len(fake.identifies) == 3


async def test_a_crash_between_sending_and_recording_does_not_post_twice(tmp_path, fake):
    db = tmp_path / "paperboy.db"
    stock_day(db)
    clock = FakeClock(at("2026-11-24T07:59"))
    store = SQLiteStore(db)
    store.configure_channel("discord", fake.guild_id, fake.channel_id, "2026-11-01T00:00:00Z",
                            daily_time="09:00", tz="Europe/Berlin")
    store.close()
    async with Bot(db, clock, fake) as bot:
        clock.advance(minutes=1)
        (key,) = await bot.scheduler.tick()
        (claimed,) = bot.store.claim_due_deliveries(iso(clock.now()), ["discord"], lease_seconds=SHORT_LEASE)
        from paperboy.bot.serialize import reply_from_dict
        first = await bot.adapter.send(claimed.target, reply_from_dict(claimed.payload), delivery_key=claimed.dedupe_key)
        # the process dies here: the post went out, the outbox still says 'sending'
    clock.advance(minutes=2)
    store = SQLiteStore(db)
    wait_for_delivery_leases_to_run_out(store)  # as two minutes would have let it (leases go by the database's clock)
    store.close()
    async with Bot(db, clock, fake) as bot:
        await bot.step()
        delivery = bot.store.get_delivery(key)
        assert delivery.status == "sent" and delivery.attempts == 2
        assert delivery.external_id == first.external_id  # Discord answered the repeat with the first post
    assert len(fake.channel_messages(fake.channel_id)) == 1


async def test_thread_per_paper_channels_get_the_list_and_a_thread_for_each_paper(tmp_path, fake):
    db = tmp_path / "paperboy.db"
    stock_day(db)
    clock = FakeClock(at("2026-11-24T06:00"))
    async with Bot(db, clock, fake) as bot:
        await run(fake, "digest", option("time", "09:00"), option("tz", "Europe/Berlin"),
                  option("threads", True, kind=5), subcommand="config", permissions=MANAGER)
        await live_until(bot, fake, fake.channel_id, at("2026-11-24T08:05"), [])
    assert len(fake.channel_messages(fake.channel_id)) == 1
    assert [t["name"].split(" ", 1)[0] for t in fake.threads] == ["1.", "2.", "3."]
    assert all(len(fake.channel_messages(t["id"])) == 1 for t in fake.threads)


async def test_a_429_storm_delays_the_daily_fan_out_but_loses_nothing(tmp_path, fake):
    fake.guilds.clear()
    guild = fake.add_guild(channels=30)
    db = tmp_path / "paperboy.db"
    stock_day(db)
    store = SQLiteStore(db)
    for channel in fake.channel_ids(guild):
        store.configure_channel("discord", guild, channel, "2026-11-01T00:00:00Z", daily_time="09:00", tz="UTC")
    store.close()
    # Enough 429s that some sends outlast the client's own five tries and go back to the outbox.
    fake.rate_limit("POST", r"/channels/\d+/messages", times=40, retry_after=0.02)
    clock = FakeClock(at("2026-11-24T09:00"))
    async with Bot(db, clock, fake) as bot:
        await bot.scheduler.tick()
        for _ in range(30):
            await bot.worker.run_once()
            if not bot.store.deliveries(status="pending"):
                break
            clock.advance(seconds=5)
        assert {d.status for d in bot.store.deliveries(kind="daily")} == {"sent"}
        retried = [d for d in bot.store.deliveries(kind="daily") if d.attempts > 1]
    assert retried, "the storm should have pushed some posts back to the outbox"
    assert [len(fake.channel_messages(c)) for c in fake.channel_ids(guild)] == [1] * 30
    statuses = [c.status for c in fake.requests("POST", r"/channels/\d+/messages")]
    assert statuses.count(429) == 40 and statuses.count(200) == 30


def fresh_paper(title: str, abstract: str) -> Paper:
    return Paper(key="2611.09999", arxiv_id="2611.09999", title=title, abstract=abstract,
                 authors=("Ada Lovelace",), published="2026-11-24", categories=("cs.LG",), upvotes=1)


async def test_a_subscription_alert_arrives_once_by_dm(tmp_path, fake):
    db = tmp_path / "paperboy.db"
    stock_day(db)
    clock = FakeClock(at("2026-11-24T10:00"))
    async with Bot(db, clock, fake) as bot:
        await run(fake, "subscribe", option("query", "sparse autoencoders"))
        paper = fresh_paper("Sparse Autoencoders Find Interpretable Features", "We train sparse autoencoders.")
        new = bot.store.upsert_papers([paper], iso(clock.now())).new_keys
        assert enqueue_alerts(bot.store, list(bot.store.get_papers(list(new)).values()), clock.now()) == 1
        await bot.step()
        assert enqueue_alerts(bot.store, [paper], clock.now()) == 0  # seen again: no second alert
        await bot.step()
    dm = fake.dm_channels[USER]
    (alert,) = fake.channel_messages(dm)
    assert alert["embeds"][0]["url"] == "https://arxiv.org/abs/2611.09999"
    assert "matching your subscription #" in alert["content"]
    assert alert["allowed_mentions"] == {"parse": []}


async def test_channel_alerts_mention_the_subscriber_and_closed_dms_fall_back_on_record(tmp_path, fake):
    db = tmp_path / "paperboy.db"
    stock_day(db)
    clock = FakeClock(at("2026-11-24T10:00"))
    fake.closed_dms.add("555555555555555557")
    async with Bot(db, clock, fake) as bot:
        await run(fake, "subscribe", option("query", "sparse autoencoders"), option("notify", "channel"))
        await run(fake, "subscribe", option("query", "autoencoders"), user_id="555555555555555557")
        paper = fresh_paper("Sparse Autoencoders Find Interpretable Features", "We train sparse autoencoders.")
        bot.store.upsert_papers([paper], iso(clock.now()))
        assert enqueue_alerts(bot.store, [paper], clock.now()) == 2
        await bot.step()
        notes = {d.target.user: (d.status, d.note) for d in bot.store.deliveries(kind="alert")}
    assert notes == {USER: ("sent", None), "555555555555555557": ("sent", DMS_CLOSED_NOTE)}
    posts = fake.channel_messages(fake.channel_id)
    assert sorted(p["content"].split(" ", 1)[0] for p in posts) == ["<@555555555555555555>", "<@555555555555555557>"]
    for post in posts:
        user = post["content"][2:20]
        assert [str(u) for u in post["allowed_mentions"]["users"]] == [user]
        assert post["allowed_mentions"]["parse"] == []


async def test_a_subscription_made_before_a_restart_still_alerts_after_it(tmp_path, fake):
    db = tmp_path / "paperboy.db"
    stock_day(db)
    clock = FakeClock(at("2026-11-24T10:00"))
    async with Bot(db, clock, fake):
        await run(fake, "subscribe", option("query", "sparse autoencoders"))
    clock.advance(hours=1)
    async with Bot(db, clock, fake) as bot:
        paper = fresh_paper("Sparse Autoencoders at Scale", "Autoencoders, sparse ones.")
        bot.store.upsert_papers([paper], iso(clock.now()))
        enqueue_alerts(bot.store, [paper], clock.now())
        await bot.step()
    assert len(fake.channel_messages(fake.dm_channels[USER])) == 1
    assert timedelta(hours=1) == clock.now() - at("2026-11-24T10:00")


async def test_a_busy_day_for_one_subscription_arrives_as_one_mentioning_list(tmp_path, fake):
    db = tmp_path / "paperboy.db"
    stock_day(db)
    clock = FakeClock(at("2026-11-24T10:00"))
    async with Bot(db, clock, fake) as bot:
        await run(fake, "subscribe", option("query", "autoencoders"), option("notify", "channel"))
        papers = [Paper(key=f"2611.0990{n}", arxiv_id=f"2611.0990{n}", title=f"Autoencoders @everyone part {n}",
                        abstract="Sparse autoencoders.", authors=("Ada Lovelace",), published="2026-11-24",
                        upvotes=n) for n in range(4)]
        bot.store.upsert_papers(papers, iso(clock.now()))
        assert enqueue_alerts(bot.store, papers, clock.now()) == 4
        await bot.step()
        assert {d.status for d in bot.store.deliveries(kind="alert")} == {"sent"}
    (post,) = fake.channel_messages(fake.channel_id)
    assert post["content"].startswith(f"<@{USER}>")
    assert [str(u) for u in post["allowed_mentions"]["users"]] == [USER]
    assert post["allowed_mentions"]["parse"] == []
    text = json.dumps(post)
    assert "4 new papers matching your subscription #" in text
    assert [text.index(f"part {n}") for n in (3, 2, 1, 0)] == sorted(text.index(f"part {n}") for n in range(4))
