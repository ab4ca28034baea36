"""/paper and /subscribe through the real Discord adapter while `paperboy import` of the whole corpus
runs in another process on the same database.

The bot (real discord.py client, the project's fake Discord on loopback) starts on a database that
holds the first 2,000 corpus papers. It answers a steady stream of interactions (lookups by title,
by keywords, by id; subscriptions, which write) once with nothing else running (the baseline,
same process, same database), then again while a `paperboy import` child process loads all
304,613 papers into that database. Measured per interaction: when the first answer reached
Discord (the acknowledgement Discord needs within 3 s), and when the whole answer had arrived.
Targets: p99 of the first answer under 500 ms during the import, and no interaction past 3 s.

    python bench/import_contention.py [--rate 8]
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import lzma
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "discord"))

from fake_discord import FakeDiscord  # noqa: E402

from bench.corpus import CORPUS, corpus_available  # noqa: E402
from bench.machine import describe_machine  # noqa: E402
from paperboy.adapters.discord.adapter import DiscordAdapter  # noqa: E402
from paperboy.adapters.discord.settings import DiscordSettings  # noqa: E402
from paperboy.bot.commands.dispatch import build_core  # noqa: E402
from paperboy.bot.delivery.ingest import import_file  # noqa: E402
from paperboy.bot.delivery.leader import Leadership  # noqa: E402
from paperboy.bot.sources.files import iter_file  # noqa: E402
from paperboy.storage.sqlite import SQLiteStore  # noqa: E402

SEED = 2000
DEADLINE = 3.0
TARGET_P99 = 0.5


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def interactions(papers: list) -> itertools.cycle:
    """What people send: a title, keywords from an abstract, an id, a subscription (a write)."""
    asks = []
    for n, paper in enumerate(papers[:200]):
        words = [w for w in (paper.abstract or "").split() if len(w) > 6][:3]
        asks.append(("paper", paper.title))
        asks.append(("paper", " ".join(words) or paper.title))
        asks.append(("paper", paper.arxiv_id or paper.title))
        asks.append(("subscribe", f"{paper.title.split()[0]} topic{n}"))
    return itertools.cycle(asks)


async def drive(fake: FakeDiscord, asks: itertools.cycle, seconds: float, rate: float,
                until: asyncio.Future | None = None) -> tuple[list[float], list[float]]:
    """Sends interactions at `rate` per second for `seconds` (or until `until` is done); returns the
    seconds to each first answer and to each whole answer."""
    first, whole, pending = [], [], []
    started = time.monotonic()
    user = itertools.count(1)

    async def one(command: str, text: str) -> None:
        option = {"type": 3, "name": "query", "value": text[:100]}
        record = await fake.interact(fake.interaction_payload(command, [option], user_id=str(next(user))))
        await record.wait_for(lambda r: r.callbacks, timeout=30)
        first.append(record.answered_after)
        deferred = record.callbacks[0].body.get("type") == 5
        if deferred:
            await record.wait_for(lambda r: r.followups or r.edits, timeout=30)
            done = (r.at for r in (*record.followups, *record.edits))
            whole.append(min(done) - record.sent_at)
        else:
            whole.append(record.answered_after)

    while time.monotonic() - started < seconds and not (until is not None and until.done()):
        command, text = next(asks)
        pending.append(asyncio.create_task(one(command, text)))
        await asyncio.sleep(1 / rate)
    await asyncio.gather(*pending)
    return first, whole


def report(name: str, first: list[float], whole: list[float]) -> str:
    late = sum(1 for s in first if s > DEADLINE)
    return (f"{name:<22} n={len(first):5d}  first answer p50 {percentile(first, .5) * 1000:7.1f} ms  "
            f"p99 {percentile(first, .99) * 1000:7.1f} ms  max {max(first) * 1000:7.1f} ms  past 3 s: {late}  "
            f"| whole answer p99 {percentile(whole, .99) * 1000:7.1f} ms")


async def _wait_until(until: asyncio.Event) -> None:
    await until.wait()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=8.0, help="interactions per second")
    parser.add_argument("--baseline-seconds", type=float, default=20.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if not corpus_available():
        print("corpus not found (../shared/corpus); nothing to measure")
        return
    print(describe_machine())
    folder = Path(tempfile.mkdtemp(prefix="paperboy-contention-"))
    db = folder / "paperboy.db"
    head = folder / "head.jsonl"
    with lzma.open(CORPUS, "rt") as source, head.open("w") as out:
        out.writelines(itertools.islice(source, SEED))
    store = SQLiteStore(db)
    import_file(store, head, datetime.now(UTC))
    papers = [p for p in iter_file(head) if not isinstance(p, str) and getattr(p, "title", None)]
    core = build_core(store)
    await store.run(core.matcher.refresh)
    # The bot holds the leader's lease as `paperboy run` does: it is how an import knows to keep its
    # transactions short.
    stop = asyncio.Event()
    leading = asyncio.create_task(Leadership(store, "bench-bot").run(stop, _wait_until))
    fake = await FakeDiscord().start()
    adapter = DiscordAdapter(core, DiscordSettings.from_env(fake.env()), guild_ready_timeout=0.1, identify_spacing=0)
    await adapter.start()
    asks = interactions(papers)
    try:
        base_first, base_whole = await drive(fake, asks, args.baseline_seconds, args.rate)
        env = {**os.environ, "PAPERBOY_OFFLINE": "1"}
        importing = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "paperboy.cli", "--db", str(db), "import", str(CORPUS), env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        import_started = time.monotonic()
        finished = asyncio.ensure_future(importing.communicate())
        busy_first, busy_whole = await drive(fake, asks, 10_000, args.rate, until=finished)
        out, err = await finished
        import_seconds = time.monotonic() - import_started
    finally:
        await adapter.stop()
        await fake.stop()
        stop.set()
        await leading
    print(f"database: {SEED:,} papers to start with; the import child process: {out.decode().strip() or err.decode()[-300:]}"
          f" ({import_seconds:.0f} s wall)")
    print(report("alone (baseline)", base_first, base_whole))
    print(report("during the import", busy_first, busy_whole))
    p99 = percentile(busy_first, .99)
    ratio = p99 / max(percentile(base_first, .99), 1e-9)
    print(f"first-answer p99 during the import / alone: {ratio:.1f}x; target p99 < {TARGET_P99 * 1000:.0f} ms: "
          f"{'met' if p99 < TARGET_P99 else 'NOT met'}; interactions past 3 s: {sum(s > DEADLINE for s in busy_first)}")
    store.close()


if __name__ == "__main__":
    asyncio.run(main())
