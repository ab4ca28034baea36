"""/paper latency at corpus scale, measured inside one process.

    python bench/latency.py     # about a minute once the corpus database and query set exist
    python bench/latency.py --semantic   # the same with dense retrieval on (bench/semantic.py's index)

Times Matcher.lookup for id, title (exact, lower case, typos, halves, subtitles) and keyword
(abstract words) queries from bench/queries.py, each query's first lookup (nothing cached
for it) and a repeat; then suggest_titles for partial titles as they are typed; then the same
title queries through two baselines in the same process: rapidfuzz WRatio extractOne over all
titles, and plain FTS5 bm25. Targets: p99 <= 50 ms for title and keyword queries, <= 5 ms for ids.

Wall-clock times include whatever else the machine is doing; each line also gives the
thread's own CPU time, which other processes cannot inflate. The load average is printed.
"""
from __future__ import annotations

import asyncio
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import rapidfuzz  # noqa: E402
from rapidfuzz import fuzz, process, utils  # noqa: E402

from bench.corpus import corpus_available, corpus_store  # noqa: E402
from bench.machine import describe_machine  # noqa: E402
from bench.queries import load_queries  # noqa: E402
from paperboy.bot.search import fts  # noqa: E402
from paperboy.bot.search.matcher import Matcher  # noqa: E402

KIND_GROUPS = {
    "id": ("id",),
    "title": ("exact", "lower", "typo1", "typo2", "first_half", "subtitle"),
    "keyword": ("abstract",),
}
BASELINE_SAMPLE = 25  # WRatio over 300k titles takes about a second a query


def machine() -> str:
    return f"{describe_machine()}; rapidfuzz {rapidfuzz.__version__}"


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def describe(name: str, samples: list[float], cpu: list[float] | None = None) -> str:
    ms = [s * 1000 for s in samples]
    line = (f"{name:28s} n={len(ms):4d}  p50 {percentile(ms, .5):7.2f} ms  p90 {percentile(ms, .9):7.2f} ms  "
            f"p99 {percentile(ms, .99):7.2f} ms  max {max(ms):7.2f} ms")
    if cpu:
        line += f"   (own CPU time p50 {percentile(cpu, .5) * 1000:.2f}, p99 {percentile(cpu, .99) * 1000:.2f} ms)"
    return line


CPU_TIMES: dict[int, list[float]] = {}


async def timed_lookups(matcher: Matcher, texts: list[str]) -> list[float]:
    """Wall-clock seconds per lookup; the thread's own CPU seconds go to CPU_TIMES[id(result)]."""
    samples, cpu = [], []
    for text in texts:
        began, began_cpu = time.perf_counter(), time.thread_time()
        await matcher.lookup(text, limit=5)
        samples.append(time.perf_counter() - began)
        cpu.append(time.thread_time() - began_cpu)
    CPU_TIMES[id(samples)] = cpu
    return samples


def partials(titles: list[str]) -> list[str]:
    """What a user has typed so far: a few letters, a word and a half, most of a title."""
    typed = []
    for title in titles:
        for cut in (3, 8, 14, 24, 40):
            if cut < len(title):
                typed.append(title[:cut])
    return typed


async def run() -> None:
    store = corpus_store()
    queries = load_queries()
    print(f"machine: {machine()}")
    print(f"papers: {store.count_papers():,}")

    dense = None
    if "--semantic" in sys.argv:  # the semantic extra's index, padded to every paper (bench/semantic.py)
        from bench.semantic import padded_search
        from paperboy.bot.search.semantic import MiniLMEmbedder

        embedder = MiniLMEmbedder(threads=1)
        embedder.encode(["warm up"])
        dense, real = padded_search(store, embedder, store.count_papers())
        print(f"semantic on: {real:,} computed vectors padded to {len(dense):,}")
    started = time.perf_counter()
    matcher = Matcher(store, semantic=dense)
    matcher.refresh()
    build = time.perf_counter() - started
    print(f"title index build (Matcher.refresh on a new Matcher): {build:.2f} s")

    by_group = {g: [q["query"] for q in queries if q["kind"] in kinds] for g, kinds in KIND_GROUPS.items()}
    order = random.Random(7)
    print("\n/paper lookups, each query's first lookup:")
    results = {}
    for group, texts in by_group.items():
        texts = texts[:]
        order.shuffle(texts)
        results[group] = await timed_lookups(matcher, texts)
        print("  " + describe(group, results[group], CPU_TIMES[id(results[group])]))
    print("the same queries again (corrections and word sets cached):")
    for group, texts in by_group.items():
        again = await timed_lookups(matcher, texts)
        print("  " + describe(group, again, CPU_TIMES[id(again)]))

    titles = [q["query"] for q in queries if q["kind"] == "exact"]
    typed = partials(titles)
    samples, cpu = [], []
    for text in typed:
        began, began_cpu = time.perf_counter(), time.thread_time()
        matcher.suggest_titles(text, limit=25)
        samples.append(time.perf_counter() - began)
        cpu.append(time.thread_time() - began_cpu)
    print("\nsuggest_titles while typing (target < 100 ms):")
    print("  " + describe("partial titles", samples, cpu))

    sample = by_group["title"][:BASELINE_SAMPLE]
    choices = [utils.default_process(t) for _, t in store.iter_titles()]
    wratio = []
    for text in sample:
        began = time.perf_counter()
        process.extractOne(utils.default_process(text), choices, scorer=fuzz.WRatio)
        wratio.append(time.perf_counter() - began)
    plain_fts = []
    for text in by_group["title"] + by_group["keyword"]:
        words = fts.content_tokens(fts.tokenize(text)) or fts.tokenize(text)
        began = time.perf_counter()
        store.fts_search(fts.quote_terms(words, "OR"), 5)
        plain_fts.append(time.perf_counter() - began)
    ours = await timed_lookups(matcher, sample)
    print(f"\nbaselines (same process; WRatio on the first {len(sample)} title queries):")
    print("  " + describe("WRatio extractOne", wratio))
    print("  " + describe("FTS5 bm25, words ORed", plain_fts))
    print("  " + describe("paperboy, same title queries", ours))
    print(f"  paperboy p50 is {statistics.median(wratio) / statistics.median(ours):.0f}x faster than WRatio, "
          f"{statistics.median(plain_fts) / statistics.median(results['title'] + results['keyword']):.1f}x "
          "the speed of plain FTS5")

    targets = {"id": 5.0, "title": 50.0, "keyword": 50.0}
    print("\ntargets (p99 of first lookups):")
    for group, limit in targets.items():
        p99 = percentile([s * 1000 for s in results[group]], .99)
        print(f"  {group:8s} p99 {p99:6.2f} ms  target <= {limit:.0f} ms  {'met' if p99 <= limit else 'MISSED'}")


if __name__ == "__main__":
    if not corpus_available():
        print("corpus not found (../shared/corpus); skipping the latency benchmark")
        sys.exit(0)
    asyncio.run(run())
