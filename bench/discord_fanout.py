"""Daily fan-out to 1,000 Discord channels: scheduler -> outbox -> the real discord.py client ->
a fake Discord on loopback that enforces Discord's global limit (50 requests in any second,
answered with a global 429 like Discord's).

Compares the adapter's pace (45 requests/s) with the same run unpaced (the baseline: only
discord.py's own reaction to 429s). Prints, for each: wall time, posts per second, the most
requests Discord saw in any one second, how many 429s it had to send, posts lost or doubled.

    python bench/discord_fanout.py [--channels 1000] [--storm 200]

--storm N additionally answers N message posts with a (non-global) 429, retry_after 0.5 s.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "discord"))

from fake_discord import FakeDiscord  # noqa: E402

from paperboy.adapters.discord.adapter import DiscordAdapter
from paperboy.adapters.discord.pacer import RequestPacer  # noqa: E402
from paperboy.adapters.discord.settings import DiscordSettings  # noqa: E402
from paperboy.bot.clock import FakeClock, iso  # noqa: E402
from paperboy.bot.commands.dispatch import build_core  # noqa: E402
from paperboy.bot.delivery.outbox import DeliveryWorker  # noqa: E402
from paperboy.bot.delivery.registry import delivery_kinds
from paperboy.bot.delivery.scheduler import DailyScheduler  # noqa: E402
from paperboy.bot.models import Paper  # noqa: E402
from paperboy.storage.sqlite import SQLiteStore  # noqa: E402

DAY = "2026-11-24"


def stock(store: SQLiteStore, guild: str, channels: list[str]) -> None:
    papers = [Paper(key=f"2611.{n:05d}", arxiv_id=f"2611.{n:05d}", title=f"A trending paper number {n}",
                    abstract="An abstract.", authors=("A. Author", "B. Author"), published=DAY, upvotes=100 - n)
              for n in range(10)]
    store.upsert_papers(papers, "2026-11-24T00:00:00Z")
    store.record_daily_list(DAY, "hf", [(p.key, p.upvotes) for p in papers])
    for channel in channels:
        store.configure_channel("discord", guild, channel, "2026-11-01T00:00:00Z", daily_time="09:00", tz="UTC")


async def fan_out(channels: int, pacer: RequestPacer, storm: int) -> dict:
    fake = FakeDiscord(global_limit=50)
    fake.guilds.clear()
    guild = fake.add_guild(channels=channels)
    await fake.start()
    if storm:
        fake.rate_limit("POST", r"/channels/\d+/messages", times=storm, retry_after=0.5)
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "bench.db")
        stock(store, guild, fake.channel_ids(guild))
        clock = FakeClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
        core = build_core(store, clock=clock)
        settings = DiscordSettings.from_env(fake.env())
        adapter = DiscordAdapter(core, settings, pacer=pacer, guild_ready_timeout=0.1, identify_spacing=0)
        await adapter.start()
        worker = DeliveryWorker(store, {"discord": adapter}, clock, delivery_kinds(), concurrency=8)
        queued = await DailyScheduler(store, clock).tick()
        started = time.perf_counter()
        rounds = 0
        while store.deliveries(status="pending") or store.deliveries(status="sending"):
            await worker.run_once()
            rounds += 1
            if store.deliveries(status="pending") and not store.claim_due_deliveries(iso(clock.now()), []):
                clock.advance(seconds=1)  # retries wait on the outbox clock
        elapsed = time.perf_counter() - started
        await adapter.stop()
        sent = store.deliveries(status="sent")
        store.close()
    await fake.stop()
    posts = sorted(c.at for c in fake.requests("POST", r"/channels/\d+/messages") if c.status == 200)
    every = sorted(c.at for c in fake.calls if not c.path.startswith(("/interactions/", "/webhooks/")))
    window_peak = 0
    right = 0
    for left, start in enumerate(every):
        while right < len(every) and every[right] < start + 1.0:
            right += 1
        window_peak = max(window_peak, right - left)
    per_channel = [len(fake.channel_messages(c)) for c in fake.channel_ids(guild)]
    return {
        "queued": len(queued), "sent": len(sent), "seconds": elapsed, "posts_per_s": len(posts) / elapsed,
        "peak_requests_in_1s": window_peak, "global_429": fake.global_limited,
        "storm_429": storm, "lost": per_channel.count(0), "doubled": sum(1 for n in per_channel if n > 1),
        "pacer_wait_s": pacer.waited,
    }


def show(name: str, result: dict) -> None:
    print(f"{name:>10}: {result['sent']}/{result['queued']} sent in {result['seconds']:.1f}s "
          f"({result['posts_per_s']:.1f} posts/s), peak {result['peak_requests_in_1s']} requests in 1s, "
          f"{result['global_429']} global 429s, storm 429s {result['storm_429']}, "
          f"lost {result['lost']}, doubled {result['doubled']}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--storm", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"fan-out of one daily list to {args.channels} channels; fake Discord enforces 50 requests/s globally")
    baseline = await fan_out(args.channels, RequestPacer(rate=100_000), args.storm)
    show("unpaced", baseline)
    paced = await fan_out(args.channels, RequestPacer(), args.storm)
    show("paced", paced)
    ratio = paced["seconds"] / baseline["seconds"] if baseline["seconds"] else float("nan")
    print(f"paced / unpaced wall time: {ratio:.2f}; global 429s: {paced['global_429']} vs {baseline['global_429']}")


if __name__ == "__main__":
    asyncio.run(main())
