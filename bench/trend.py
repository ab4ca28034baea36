"""/paper trend at corpus scale: counting (the store's queries) and drawing, timed apart and together.

    python bench/trend.py      # about a minute; needs the corpus database of bench/corpus.py

About 30 realistic trend queries (single words, phrases, author:, cat:, two and three series) run
against the 304k-paper corpus as the handler runs them: one monthly_counts query per series and one
most_upvoted query, then the chart drawn to PNG. The first drawing pays for importing matplotlib and
is reported apart. Baseline, in the same process: the same months counted by reading the window's
papers and testing each with query.matches, on a sample of the queries (each takes seconds); the
counts of both are compared too, since the store's full-text index is close to, not the same as,
matches(). Target: a chart within 500 ms (p99 of the total).

The corpus database is copied beside itself (corpus-all.trend.db) before this branch's schema steps
are applied, so the shared cache other benchmarks use is never changed.
"""
from __future__ import annotations

import shutil
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import CACHE_DIR  # noqa: E402
from bench.machine import describe_machine  # noqa: E402
from paperboy.bot.replies import Scored  # noqa: E402
from paperboy.bot.subscriptions.paper_filter import paper_filter  # noqa: E402
from paperboy.bot.trends.chart import build_chart, series_of  # noqa: E402
from paperboy.bot.trends.months import choose_months  # noqa: E402
from paperboy.bot.trends.request import parse_trend  # noqa: E402
from paperboy.storage.sql import PAPER_FIELDS, row_to_paper  # noqa: E402
from paperboy.storage.sqlite import SQLiteStore  # noqa: E402

SOURCE = CACHE_DIR / "corpus-all.db"
COPY = CACHE_DIR / "corpus-all.trend.db"
QUERIES = [
    "transformer", "mamba", "diffusion", "reinforcement learning", "graph neural network", "quantum",
    "dark matter", "llm", "robot", "protein", '"state space models"', '"large language models"',
    '"diffusion models"', '"retrieval augmented generation"', "multi-agent", "author:Lee", "author:Wang",
    'author:"Yann LeCun"', "author:Hinton", "cat:cs.LG", "cat:cs.CL", "cat:astro-ph", "cat:cs",
    "diffusion -video", "agents cat:cs.AI", "mamba | transformer", '"state space models" | mamba | transformer',
    "cat:cs.CL | cat:cs.CV | cat:cs.LG", "llm | agent | reasoning", "graph OR gnn | transformer since=2023-01",
]
BASELINE_QUERIES = ["mamba", '"state space models"', "transformer", "author:Lee", "cat:cs.LG", "diffusion -video"]


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def describe(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (f"{name:34s} n={len(ms):3d}  p50 {percentile(ms, .5):7.1f} ms  p99 {percentile(ms, .99):7.1f} ms  "
            f"max {max(ms):7.1f} ms")


def open_copy() -> SQLiteStore:
    if not COPY.exists() or COPY.stat().st_mtime < SOURCE.stat().st_mtime:
        print(f"copying {SOURCE} to {COPY} (once)", flush=True)
        shutil.copyfile(SOURCE, COPY)
    return SQLiteStore(COPY)


def chart_for(store: SQLiteStore, text: str, now: datetime):
    request = parse_trend(text)
    start = time.perf_counter()
    window = choose_months(now, store.latest_published(now.date().isoformat()) or "", request.since, request.until)
    filters = [paper_filter(line.query) for line in request.series]
    series = [series_of(line.label, window.months, store.monthly_counts(each, window.first, window.last))
              for line, each in zip(request.series, filters, strict=True)]
    top = store.most_upvoted(filters, window.first, window.last, 3)
    counted = time.perf_counter()
    chart = build_chart(series, window.partial_month, tuple(Scored(p, float(p.upvotes or 0)) for p in top))
    drawn = time.perf_counter()
    return chart, window, counted - start, drawn - counted


def main() -> int:
    if not SOURCE.exists():
        print(f"skipped: the corpus database {SOURCE} is absent (build it with python bench/corpus.py)")
        return 0
    print(describe_machine())
    store = open_copy()
    now = datetime.now(UTC)
    print(f"{store.count_papers():,} papers; now {now:%Y-%m-%d}")

    first_chart, _, first_count, first_draw = chart_for(store, "mamba", now)
    count_times, draw_times, totals = [], [], []
    by_query: dict[str, list[tuple[float, float]]] = {}
    for _ in range(3):
        for text in QUERIES:
            _, _, counting, drawing = chart_for(store, text, now)
            count_times.append(counting)
            draw_times.append(drawing)
            totals.append(counting + drawing)
            by_query.setdefault(text, []).append((counting, drawing))

    # Baseline: the window's papers read once, then each query's months counted with query.matches.
    _, window, _, _ = chart_for(store, "mamba", now)
    start = time.perf_counter()
    rows = store._all(f"SELECT {PAPER_FIELDS} FROM papers WHERE published >= ? AND published < ? AND withdrawn = 0",
                      [window.first, window.last + "-32"])
    papers = [row_to_paper(row) for row in rows]
    load = time.perf_counter() - start
    scan_times, store_times, differences = [], [], []
    for text in BASELINE_QUERIES:
        query = parse_trend(text).series[0].query
        start = time.perf_counter()
        expected = Counter(p.published[:7] for p in papers if query.matches(p))
        scan_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        counted = store.monthly_counts(paper_filter(query), window.first, window.last)
        store_times.append(time.perf_counter() - start)
        found, wanted = sum(counted.values()), sum(expected.values())
        differences.append(f"{text}: store {found:,}, matches {wanted:,} ({(found - wanted) / max(wanted, 1):+.1%})")

    print("\n---- results ----")
    print(f"machine: {describe_machine()}")
    print(f"corpus: {store.count_papers():,} papers, window {window.first}..{window.last} "
          f"({len(papers):,} papers in it); {len(QUERIES)} queries x 3 rounds")
    print(f"first chart: counting {first_count * 1000:.1f} ms, drawing {first_draw * 1000:.1f} ms "
          "(includes importing matplotlib)")
    print(describe("count (store queries)", count_times))
    print(describe("draw (PNG)", draw_times))
    print(describe("total", totals))
    print(f"target total p99 <= 500 ms: {'met' if percentile(totals, .99) <= 0.5 else 'NOT met'}")
    print("slowest queries (median of 3: counting + drawing):")
    medians = {text: (statistics.median(c for c, _ in runs), statistics.median(d for _, d in runs))
               for text, runs in by_query.items()}
    for text, (counting, drawing) in sorted(medians.items(), key=lambda kv: -sum(kv[1]))[:6]:
        print(f"  {counting * 1000:6.1f} + {drawing * 1000:5.1f} ms  {text}")
    print(f"baseline, Python scan with query.matches over the window's {len(papers):,} papers "
          f"({len(BASELINE_QUERIES)} single-series queries; reading the papers once took {load * 1000:.0f} ms, "
          "not counted):")
    print(describe("  scan per series", scan_times))
    print(describe("  store count per series", store_times))
    ratio = statistics.median(scan_times) / statistics.median(store_times)
    print(f"  store counting is {ratio:.0f}x faster than the scan (median per series; "
          f"{(statistics.median(scan_times) + load) / statistics.median(store_times):.0f}x with the reading)")
    print("counts, store against matches():")
    for line in differences:
        print(f"  {line}")
    print(f"example PNG: {len(first_chart.image.data):,} bytes")
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
