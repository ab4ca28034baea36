"""Threads or processes for lookups? Throughput of Matcher.rank, and what it does to the event loop.

    python bench/lookup_workers.py [--seconds 10]

The same query mix as bench/load.py (arXiv ids excepted: they never reach rank) is ranked as fast
as it goes by: one thread (today's store thread), two threads (each with its own connection and
matcher), and LookupPool with one and two worker processes. Meanwhile the event loop runs a
1 ms timer; its lateness (p50/p99) is what every interaction waiting on the loop would suffer.
A worker that releases the GIL scales with threads; one that holds it does not, and starves the loop.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import sys
import threading
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import corpus_available, corpus_store  # noqa: E402
from bench.machine import describe_machine  # noqa: E402
from bench.queries import load_queries  # noqa: E402
from paperboy.bot.search.lookup_pool import LookupPool  # noqa: E402
from paperboy.bot.search.matcher import Matcher  # noqa: E402
from paperboy.storage import open_store  # noqa: E402

KINDS = ("typo1", "typo2", "abstract", "lower")


def queries() -> list[str]:
    found = [q["query"] for q in load_queries() if q["kind"] in KINDS]
    random.Random(15).shuffle(found)
    return found


async def loop_lag(stop: asyncio.Event) -> list[float]:
    lags = []
    while not stop.is_set():
        began = time.perf_counter()
        await asyncio.sleep(0.001)
        lags.append(time.perf_counter() - began - 0.001)
    return lags


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0.0


async def threads(path: Path, count: int, texts: list[str], seconds: float) -> int:
    matchers = []
    for _ in range(count):
        matcher = Matcher(open_store(path))
        matcher.refresh()
        matchers.append(matcher)
    done = [0] * count
    deadline = time.monotonic() + seconds

    def work(n: int) -> None:
        i = n
        while time.monotonic() < deadline:
            matchers[n].rank(texts[i % len(texts)], 5)
            done[n] += 1
            i += count

    await asyncio.gather(*(asyncio.to_thread(work, n) for n in range(count)))
    return sum(done)


async def processes(path: Path, count: int, texts: list[str], seconds: float) -> int:
    pool = LookupPool(partial(open_store, path), count)
    await pool.start()
    done = 0
    deadline = time.monotonic() + seconds

    async def client(n: int) -> None:
        nonlocal done
        i = n
        while time.monotonic() < deadline:
            await pool.rank(texts[i % len(texts)], 5)
            done += 1
            i += 2 * count

    try:
        await asyncio.gather(*(client(n) for n in range(2 * count)))  # keeps every worker busy
    finally:
        await pool.close()
    return done


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    if not corpus_available():
        print("corpus not found (../shared/corpus); nothing to measure")
        return
    path = Path(corpus_store(quiet=True).path)
    texts = queries()
    print(describe_machine())
    print(f"{'how':28} {'lookups/s':>10} {'loop lag p50':>13} {'p99':>8}")
    for name, run in (("1 thread (today)", partial(threads, path, 1)), ("2 threads", partial(threads, path, 2)),
                      ("1 worker process", partial(processes, path, 1)),
                      ("2 worker processes", partial(processes, path, 2))):
        stop = asyncio.Event()
        lag = asyncio.create_task(loop_lag(stop))
        began = time.monotonic()
        done = await run(texts, args.seconds)
        took = time.monotonic() - began
        stop.set()
        lags = await lag
        print(f"{name:28} {done / took:10.0f} {pct(lags, 0.5):10.2f} ms {pct(lags, 0.99):6.2f} ms", flush=True)
    print(f"threads alive at the end: {threading.active_count()}")


if __name__ == "__main__":
    asyncio.run(main())
