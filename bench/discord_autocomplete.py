"""/paper autocomplete at corpus scale (304k papers): how fast the bot answers while the user types.

Measures, over partial titles as people type them (first 4, 10 and 20 characters, lower case,
and whole words plus the start of the next):
  core     core.autocomplete("titles", ...) alone;
  discord  the whole bot-side path with the real discord.py client: INTERACTION_CREATE written to
           the gateway by a fake Discord on loopback, until the fake receives the callback
           (an upper bound for the bot's share: it includes both loopback hops and the fake);
  baseline rapidfuzz process.extract(WRatio) over every title, the obvious fuzzy approach,
           on a subset of the same partials (it is slow).
Target: p99 under 100 ms on the bot's side.

    python bench/discord_autocomplete.py [--queries 300]
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "discord"))

from fake_discord import FakeDiscord  # noqa: E402

from bench.corpus import corpus_available, corpus_store  # noqa: E402
from paperboy.adapters.discord.adapter import DiscordAdapter
from paperboy.adapters.discord.settings import DiscordSettings  # noqa: E402
from paperboy.bot.commands.dispatch import build_core  # noqa: E402
from paperboy.bot.commands.invocation import Invocation, Place  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def summary(name: str, millis: list[float]) -> str:
    return (f"{name:>9}: n={len(millis):4d}  p50 {percentile(millis, 0.5):7.2f} ms  p99 {percentile(millis, 0.99):7.2f} ms"
            f"  max {max(millis):7.2f} ms  mean {statistics.fmean(millis):7.2f} ms")


def partials_of(titles: list[str], count: int) -> list[str]:
    rng = random.Random(7)
    chosen = rng.sample(titles, min(count, len(titles)))
    typed = []
    for n, title in enumerate(chosen):
        words = title.split()
        forms = [title[:4], title[:10].lower(), title[:20]]
        if len(words) > 2:
            forms.append(" ".join(words[:2]) + " " + words[2][:2])
        typed.append(forms[n % len(forms)])
    return typed


async def measure_core(core, partials: list[str]) -> list[float]:
    inv = Invocation("paper", "", "1", Place("discord", "1", "2"))
    timings = []
    for partial in partials:
        started = time.perf_counter()
        await core.autocomplete("titles", partial, inv)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def measure_discord(core, partials: list[str]) -> tuple[list[float], int]:
    fake = await FakeDiscord().start()
    adapter = DiscordAdapter(core, DiscordSettings.from_env(fake.env()), guild_ready_timeout=0.1, identify_spacing=0)
    await adapter.start()
    timings, empty = [], 0
    try:
        for partial in partials:
            option = {"type": 3, "name": "query", "value": partial, "focused": True}
            record = await fake.interact(fake.interaction_payload("paper", [option], kind=4))
            await record.wait_for(lambda r: r.callbacks)
            timings.append(record.answered_after * 1000)
            empty += not record.callback["data"]["choices"]
    finally:
        await adapter.stop()
        await fake.stop()
    return timings, empty


def measure_baseline(titles: list[str], partials: list[str]) -> list[float]:
    from rapidfuzz import fuzz, process

    timings = []
    for partial in partials:
        started = time.perf_counter()
        process.extract(partial, titles, scorer=fuzz.WRatio, limit=25)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--baseline-queries", type=int, default=30)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if not corpus_available():
        print("corpus not found (../shared/corpus); nothing to measure")
        return
    store = corpus_store()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{store.count_papers():,} papers")
    core = build_core(store)
    started = time.perf_counter()
    core.matcher.refresh()
    print(f"title index built in {time.perf_counter() - started:.1f}s (once, at startup)")
    titles = [row[0] for row in store.conn.execute("SELECT title FROM papers")]
    partials = partials_of(titles, args.queries)
    await measure_core(core, partials[:20])  # warm caches
    core_ms = await measure_core(core, partials)
    discord_ms, empty = await measure_discord(core, partials)
    baseline_ms = measure_baseline(titles, partials[: args.baseline_queries])
    print(summary("core", core_ms))
    print(summary("discord", discord_ms) + f"  (no suggestion for {empty})")
    print(summary("baseline", baseline_ms))
    print(f"baseline p50 / core p50: {percentile(baseline_ms, 0.5) / percentile(core_ms, 0.5):.0f}x; "
          f"discord p99 {'within' if percentile(discord_ms, 0.99) < 100 else 'OVER'} the 100 ms target")


if __name__ == "__main__":
    asyncio.run(main())
