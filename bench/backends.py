"""SQLite and PostgreSQL side by side, in one run: what a fleet gains and pays by sharing a server.

    python bench/backends.py [--only import,lookups,outbox,subscriptions] [--deliveries 20000]

Starts a throwaway PostgreSQL 15 server from the binaries on the machine (as the `postgres` user
when run as root), with synchronous_commit=off, which is the durability SQLite's WAL with
synchronous=NORMAL gives (a power cut may lose the last commits, never consistency). Then, for each
backend in turn, on the same data:

- import: the 304k corpus through `paperboy import`'s loader (import_file) into an empty database;
  papers/s and the database's size.
- lookups: bench/quality.py's 300 generated queries and the hand-written ones of
  bench/descriptions.json (descriptions, nicknames) through the same Matcher: top-1/top-5 and
  p50/p99 by kind (ids; titles: exact, lower-case, typos, halves, subtitles; keywords: abstract
  words), each query asked on both engines in turn (so both see the same load), every query whose
  first answer differs between the engines listed; and the start: the title index built, opened
  from this machine's saved file, and (PostgreSQL) fetched from the database by a process with an
  empty cache folder, as on another machine.

    python bench/backends.py --only lookups --sqlite /tmp/corpus.db --postgres postgresql://...

reuses databases already holding the corpus (copies are not made: the benchmark only reads, and
saves the title index beside a SQLite file or in the PostgreSQL database).
- outbox: 20,000 queued deliveries sent by 1 and by 4 worker processes (DeliveryWorker with an
  adapter that answers at once); deliveries claimed, sent and marked per second.
- subscriptions: 2,000 new papers against 100,000 subscriptions (bench/subscriptions.py's data),
  as the leader does it (paperboy.bot.delivery.pipeline.match_news), with the store's parts timed
  apart: storing the news, reading the subscriptions and the news, recording the alerts.

Skips what it cannot measure (no corpus, no PostgreSQL binaries) and says so.
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from postgres_server import PostgresServer, binaries_missing  # noqa: E402

from bench.corpus import CORPUS, corpus_available  # noqa: E402
from bench.machine import describe_machine  # noqa: E402
from bench.queries import load_queries  # noqa: E402
from paperboy.bot.clock import SystemClock, iso  # noqa: E402
from paperboy.bot.delivery.ingest import import_file  # noqa: E402
from paperboy.bot.delivery.registry import delivery_kinds
from paperboy.bot.models import Target, normalize_title  # noqa: E402
from paperboy.bot.replies import Notice  # noqa: E402
from paperboy.bot.search.matcher import Matcher  # noqa: E402
from paperboy.bot.serialize import reply_to_dict  # noqa: E402
from paperboy.bot.subscriptions.alerts import alert_rows  # noqa: E402
from paperboy.bot.subscriptions.index import SubscriptionIndex  # noqa: E402
from paperboy.storage import open_store  # noqa: E402

KIND_GROUPS = {"id": "ids", "abstract": "keywords", "description": "hand-written", "nickname": "hand-written"}
# every other kind is a form of the title
NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def p(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Backends:
    """Makes empty databases: SQLite files in a temporary folder, databases on one PostgreSQL server."""

    def __init__(self, server: PostgresServer | None):
        self.server = server
        self.folder = Path(tempfile.mkdtemp(prefix="paperboy-backends-"))
        self.made = 0

    def names(self) -> list[str]:
        return ["sqlite"] + (["postgres"] if self.server else [])

    def new(self, backend: str) -> Path | str:
        self.made += 1
        if backend == "sqlite":
            return self.folder / f"bench-{self.made}.db"
        return self.server.new_database()

    def size(self, location: Path | str) -> int:
        if isinstance(location, Path):
            return sum(f.stat().st_size for f in location.parent.glob(location.name + "*") if f.is_file())
        store = open_store(location)
        try:
            return store._one("SELECT pg_database_size(current_database())")[0]
        finally:
            store.close()


# ---- import and lookups -------------------------------------------------------------------------

def bench_import(backends: Backends) -> dict[str, Path | str]:
    print(f"\n## import of {CORPUS.name}", flush=True)
    loaded = {}
    for backend in backends.names():
        location = backends.new(backend)
        store = open_store(location)
        report = import_file(store, CORPUS, NOW)
        store.close()
        loaded[backend] = location
        size = backends.size(location)
        print(f"{backend:9} {report.read:,} read, {report.new:,} stored in {report.seconds:.1f} s: "
              f"{report.read / report.seconds:,.0f} papers/s; database {size / 2**20:,.0f} MiB "
              f"({size / max(report.new, 1):,.0f} B/paper)", flush=True)
    return loaded


def measure_start(backend: str, location: Path | str) -> dict[str, float]:
    """Seconds from opening the store to a title index ready for lookups: built (no saved index),
    opened from the saved one, and, for PostgreSQL, fetched from the database into an empty cache
    folder (a process on another machine)."""
    from paperboy.bot.search import saved_titles

    def start(**options) -> tuple[float, bool]:
        began = time.perf_counter()
        store = open_store(location, **options)
        matcher = Matcher(store)
        matcher.refresh()
        took, mapped = time.perf_counter() - began, matcher.index.packed.mapped
        store.close()
        return took, mapped

    cache = Path(tempfile.mkdtemp(prefix="paperboy-cache-"))
    options = {} if backend == "sqlite" else {"cache_dir": cache / "a"}
    began = time.perf_counter()
    store = open_store(location, **options)
    saved_titles.build_index(store)  # as at a new database's first start: built, saved (and kept in the database)
    store.close()
    times = {"built": time.perf_counter() - began, "opened": min(start(**options)[0] for _ in range(3))}
    if backend != "sqlite":
        fetched = []
        for n in range(3):
            took, mapped = start(cache_dir=cache / f"b{n}")
            assert mapped, "the copy kept in the database was not used"
            fetched.append(took)
        times["fetched"] = min(fetched)
    return times


async def measure_lookups(locations: dict[str, Path | str], queries: list[dict]) -> dict[str, dict]:
    """Each query asked of every backend in turn; by kind: n, top1, top5, times; and "firsts":
    each backend's first answer (key) per query."""
    matchers = {}
    for backend, location in locations.items():
        store = open_store(location)
        matchers[backend] = Matcher(store)
        matchers[backend].refresh()
    results: dict[str, dict] = {backend: {"firsts": []} for backend in locations}
    for query in queries:
        for backend, matcher in matchers.items():
            began = time.perf_counter()
            match = await matcher.lookup(query["query"], limit=5)
            took = time.perf_counter() - began
            marks = [s.paper.key == query["key"] or (query["kind"] != "id"
                                                     and normalize_title(s.paper.title) == query["norm_title"])
                     for s in match.candidates]
            results[backend]["firsts"].append(match.best.paper.key if match.best else None)
            for kind in (query["kind"], KIND_GROUPS.get(query["kind"], "titles"), "all"):
                found = results[backend].setdefault(kind, {"n": 0, "top1": 0, "top5": 0, "times": []})
                found["n"] += 1
                found["top1"] += bool(marks[:1] and marks[0])
                found["top5"] += any(marks[:5])
                found["times"].append(took)
    for matcher in matchers.values():
        await matcher.aclose()
        matcher.store.close()
    return results


def bench_lookups(loaded: dict[str, Path | str], rounds: int = 2) -> None:
    from bench.quality import load_hand_queries

    reference = open_store(loaded["sqlite"])
    queries = load_queries() + load_hand_queries(reference)
    reference.close()
    print(f"\n## /paper: {len(queries)} queries (bench/queries.py and bench/descriptions.json), "
          f"best of {rounds} rounds each", flush=True)
    for backend, location in loaded.items():
        times = measure_start(backend, location)
        print(f"{backend:9} start to a ready title index: " + ", ".join(f"{how} {seconds:.2f} s"
                                                                    for how, seconds in times.items()), flush=True)
    runs = [asyncio.run(measure_lookups(loaded, queries)) for _ in range(rounds)]
    results = runs[0]
    for backend in results:  # each query's best time over the rounds: the machine is shared
        for kind, found in results[backend].items():
            if kind != "firsts":
                found["times"] = [min(times) for times in zip(*(run[backend][kind]["times"] for run in runs),
                                                                          strict=True)]
    kinds = ["ids", "titles", "keywords", "hand-written", "description", "nickname", "all",
             *sorted(k for k in results["sqlite"] if k not in ("ids", "titles", "keywords", "hand-written", "all", "firsts",
                                                                "description", "nickname"))]
    print(f"{'kind':12}" + "".join(f"{b + ' top1/top5 %':>24}{b + ' p50/p99/mean ms':>27}" for b in results))
    for kind in kinds:
        if kind not in results["sqlite"]:
            continue
        row = f"{kind:12}"
        for found in (results[b][kind] for b in results):
            row += f"{100 * found['top1'] / found['n']:>17.1f}/{100 * found['top5'] / found['n']:5.1f} "
            row += (f"{1000 * statistics.median(found['times']):>12.1f}/{1000 * p(found['times'], 0.99):6.1f}"
                    f"/{1000 * statistics.mean(found['times']):6.1f} ")
        print(row, flush=True)
    if len(results) > 1:
        firsts = list(zip(*(results[b]["firsts"] for b in results), strict=True))
        differ = [(q, f) for q, f in zip(queries, firsts, strict=True) if len(set(f)) > 1]
        print(f"first answer the same on both engines: {len(queries) - len(differ)} of {len(queries)}")
        for query, found in differ:
            print(f"  differs: {query['kind']} {query['query']!r}: " + ", ".join(
                f"{b} {k}" for b, k in zip(results, found, strict=True)))


# ---- the outbox -----------------------------------------------------------------------------------

def _send_all(location: str, start: multiprocessing.synchronize.Barrier, results: multiprocessing.Queue) -> None:
    """One worker process: sends until nothing is due; puts how many it sent."""
    from paperboy.adapters.memory.adapter import MemoryAdapter
    from paperboy.bot.delivery.outbox import DeliveryWorker

    store = open_store(location)
    worker = DeliveryWorker(store, {"memory": MemoryAdapter()}, SystemClock(), delivery_kinds())

    async def drain() -> int:
        sent = 0
        while tried := await worker.run_once():
            sent += tried
        return sent
    start.wait()
    try:
        results.put(asyncio.run(drain()))
    finally:
        store.close()


def bench_outbox(backends: Backends, count: int) -> None:
    print(f"\n## outbox: {count:,} deliveries claimed, sent (an adapter that answers at once) and marked", flush=True)
    payload = reply_to_dict(Notice("A notice."))
    context = multiprocessing.get_context("spawn")
    for backend in backends.names():
        for workers in (1, 4):
            location = backends.new(backend)
            store = open_store(location)
            store.enqueue_deliveries([(f"alert:1:{n:06d}", "alert", Target("memory", "w", f"c{n % 500}", f"u{n}", "dm"),
                                       payload) for n in range(count)], iso(NOW))
            store.close()
            start, results = context.Barrier(workers + 1), context.Queue()
            running = [context.Process(target=_send_all, args=(str(location), start, results)) for _ in range(workers)]
            for process in running:
                process.start()
            start.wait()  # every worker has started and opened the store
            began = time.perf_counter()
            sent = sum(results.get(timeout=600) for _ in running)
            took = time.perf_counter() - began
            for process in running:
                process.join()
            store = open_store(location)
            settled = store.stats()["deliveries_sent"]
            store.close()
            print(f"{backend:9} {workers} worker process{'es' if workers > 1 else ''}: {sent:,} sent in "
                  f"{took:.1f} s, {sent / took:,.0f} deliveries/s ({settled:,} marked sent)", flush=True)


# ---- subscriptions --------------------------------------------------------------------------------

def bench_subscriptions(backends: Backends, count: int, papers_count: int) -> None:
    from bench import subscriptions as data

    args = argparse.Namespace(seed=20240601, synthetic=False, papers=papers_count, subscriptions=count)
    with ProcessPoolExecutor(max_workers=1) as child:
        source, papers, _, queries = child.submit(data.prepare, args).result()
    print(f"\n## subscriptions: {len(papers):,} new papers against {len(queries):,} subscriptions ({source})",
          flush=True)
    for backend in backends.names():
        store = open_store(backends.new(backend))
        store.add_subscriptions_bulk([("discord", "guild", f"user{n % 20000}", "chan", "dm", q)
                                      for n, q in enumerate(queries)], iso(NOW))
        timer = {}
        began = time.perf_counter()
        store.upsert_papers(papers, iso(NOW), news=True)
        timer["store the news"] = time.perf_counter() - began
        began = time.perf_counter()
        news = store.unmatched_papers(len(papers))
        timer["read the news"] = time.perf_counter() - began
        began = time.perf_counter()
        subscriptions = store.all_subscriptions()
        timer["read the subscriptions"] = time.perf_counter() - began
        began = time.perf_counter()
        index = SubscriptionIndex.build(subscriptions)
        timer["build the index"] = time.perf_counter() - began
        began = time.perf_counter()
        alerts = list(alert_rows(index, news))
        timer["match"] = time.perf_counter() - began
        began = time.perf_counter()
        added = store.record_matches([paper.key for paper in news], alerts, iso(NOW))
        timer["record the alerts"] = time.perf_counter() - began
        store.close()
        total = sum(timer.values()) - timer["store the news"]
        store_part = timer["read the news"] + timer["read the subscriptions"] + timer["record the alerts"]
        print(f"{backend:9} {added:,} alerts; matching as the leader does it {total * 1000:,.0f} ms, of which the "
              f"store {store_part * 1000:,.0f} ms: " + ", ".join(f"{name} {seconds * 1000:,.0f} ms"
                                                                 for name, seconds in timer.items()), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="import,lookups,outbox,subscriptions")
    parser.add_argument("--deliveries", type=int, default=20_000)
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--papers", type=int, default=2_000)
    parser.add_argument("--sqlite", help="a SQLite database already holding the corpus (lookups only)")
    parser.add_argument("--postgres", help="a PostgreSQL database already holding the corpus (lookups only)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of lookups (each query's best time is kept)")
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    print(describe_machine(), flush=True)
    missing = binaries_missing()
    server = None
    if missing:
        print(f"PostgreSQL: {missing}; SQLite only")
    else:
        server = PostgresServer().start("synchronous_commit=off", "shared_buffers=512MB",
                                        "maintenance_work_mem=512MB", "max_wal_size=4GB")
        import psycopg

        with psycopg.connect(server.url) as connection:
            version = connection.execute("SHOW server_version").fetchone()[0]
        print(f"PostgreSQL {version}, synchronous_commit=off, shared_buffers=512MB")
    backends = Backends(server)
    try:
        if args.sqlite and args.postgres and wanted == {"lookups"}:
            bench_lookups({"sqlite": Path(args.sqlite), "postgres": args.postgres}, args.rounds)
        elif {"import", "lookups"} & wanted:
            if not corpus_available():
                print("corpus not found: no import or lookup figures")
            else:
                loaded = bench_import(backends)
                if "lookups" in wanted:
                    bench_lookups(loaded, args.rounds)
        if "outbox" in wanted:
            bench_outbox(backends, args.deliveries)
        if "subscriptions" in wanted:
            bench_subscriptions(backends, args.subscriptions, args.papers)
    finally:
        if server is not None:
            server.stop()
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
