"""/paper quality over the shared corpus: top-1 and top-5 accuracy of paperboy's matcher, side
by side with two baselines run in the same process on the same database.

    python bench/quality.py [--failures] [--fresh]

The corpus database and the query set are built on first use (bench/corpus.py, about a minute;
bench/queries.py, half a minute) under $PAPERBOY_BENCH_CACHE (default /tmp/paperboy-bench).

Baselines:
  wratio  rapidfuzz process.extract(default_process(query), all titles already put through
          default_process, scorer=WRatio, limit=5): the same as processor=default_process
          without redoing 300k titles per query; its first result is what extractOne returns.
  fts     plain FTS5 bm25 (title 10, abstract 1, authors 2): the query's words minus
          stopwords, each quoted, ANDed; when that finds nothing, ORed.
Neither baseline knows arXiv ids, so both miss the "id" queries; the per-kind table shows it.
WRatio over 300k titles takes a second or two a query, so it runs in a process per core and
its answers are cached beside the benchmark database (--fresh recomputes them).
A result is correct when it is the sampled paper or has exactly its (normalized) title: the
corpus holds real duplicate submissions under one title.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from concurrent.futures import ProcessPoolExecutor  # noqa: E402

from rapidfuzz import fuzz, process, utils  # noqa: E402

from bench.corpus import CACHE_DIR, corpus_available, corpus_store  # noqa: E402
from bench.queries import PER_KIND, VERSION, load_queries  # noqa: E402
from paperboy.bot.models import normalize_title  # noqa: E402
from paperboy.bot.search import fts  # noqa: E402
from paperboy.bot.search.matcher import Matcher  # noqa: E402

_worker_titles: list[str] = []
_worker_rowids: list[int] = []


def _load_titles() -> None:
    store = corpus_store(quiet=True)
    rows = list(store.iter_titles())
    _worker_rowids[:] = [r[0] for r in rows]
    _worker_titles[:] = [utils.default_process(r[1]) for r in rows]
    store.close()


def _wratio_top5(query: str) -> list[int]:
    found = process.extract(utils.default_process(query), _worker_titles, scorer=fuzz.WRatio, limit=5)
    return [_worker_rowids[i] for _, _, i in found]


class WRatioBaseline:
    """Keys of the five best WRatio titles per query, computed on every core and cached (as
    paper keys, which survive rebuilding the benchmark database)."""

    def __init__(self, store, queries: list[dict], fresh: bool):
        self.store = store
        path = CACHE_DIR / f"baseline-wratio-v{VERSION}-{store.count_papers()}.json"
        cached = {} if fresh or not path.exists() else json.loads(path.read_text())
        missing = sorted({q["query"] for q in queries} - set(cached))
        if missing:
            print(f"WRatio baseline: {len(missing)} queries over all titles, {_cpus()} processes ...",
                  file=sys.stderr, flush=True)
            with ProcessPoolExecutor(max_workers=_cpus(), initializer=_load_titles) as pool:
                for query, rowids in zip(missing, pool.map(_wratio_top5, missing, chunksize=4), strict=True):
                    papers = store.get_papers_by_rowid(rowids)
                    cached[query] = [papers[r].key for r in rowids if r in papers]
            path.write_text(json.dumps(cached))
        self.answers = cached

    def top(self, query: str, limit: int = 5) -> list[tuple[str, str]]:
        keys = self.answers[query][:limit]
        papers = self.store.get_papers(keys)
        return [(k, normalize_title(papers[k].title)) for k in keys if k in papers]


class FtsBaseline:
    def __init__(self, store):
        self.store = store

    def top(self, query: str, limit: int = 5) -> list[tuple[str, str]]:
        words = fts.content_tokens(fts.tokenize(query)) or fts.tokenize(query)
        hits = []
        for operator in ("AND", "OR"):
            expression = fts.quote_terms(words, operator)
            if expression:
                hits = self.store.fts_search(expression, limit, (10.0, 1.0, 2.0))
            if hits:
                break
        papers = self.store.get_papers_by_rowid([rowid for rowid, _ in hits])
        return [(papers[r].key, normalize_title(papers[r].title)) for r, _ in hits if r in papers]


def is_correct(query: dict, key: str, norm_title: str) -> bool:
    if query["kind"] == "id":
        return key == query["key"]
    return key == query["key"] or norm_title == query["norm_title"]


async def run(show_failures: bool, fresh: bool) -> None:
    store = corpus_store()
    queries = load_queries()
    matcher = Matcher(store)
    started = time.perf_counter()
    matcher.refresh()
    build = time.perf_counter() - started
    baselines = {"wratio": WRatioBaseline(store, queries, fresh), "fts": FtsBaseline(store)}

    hits: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    seconds: dict[str, float] = defaultdict(float)
    confident = confident_right = 0
    failures = []
    for query in queries:
        kind, text = query["kind"], query["query"]
        began = time.perf_counter()
        match = await matcher.lookup(text, limit=5)
        seconds["paperboy"] += time.perf_counter() - began
        ranked = [(s.paper.key, normalize_title(s.paper.title)) for s in match.candidates]
        results = {"paperboy": ranked}
        for name, baseline in baselines.items():
            began = time.perf_counter()
            results[name] = baseline.top(text)
            seconds[name] += time.perf_counter() - began
        for name, found in results.items():
            marks = [is_correct(query, key, norm) for key, norm in found]
            tally = hits[name][kind]
            tally[0] += 1
            tally[1] += bool(marks[:1] and marks[0])
            tally[2] += any(marks[:5])
        top1 = bool(ranked) and is_correct(query, *ranked[0])
        if match.confident:
            confident += 1
            confident_right += top1
        if not top1:
            failures.append((query, match))

    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}, "
          f"{_cpus()} cores; {store.count_papers():,} papers; title index built in {build:.2f}s")
    print(f"{len(queries)} queries (seeded): " + ", ".join(f"{k} {v}" for k, v in PER_KIND.items()))
    names = ["paperboy", "wratio", "fts"]
    print(f"\n{'kind':12s}" + "".join(f"{n + ' top1':>16s}{n + ' top5':>16s}" for n in names))
    for kind in list(PER_KIND) + ["all"]:
        row = f"{kind:12s}"
        for name in names:
            if kind == "all":
                total = sum(t[0] for t in hits[name].values())
                one = sum(t[1] for t in hits[name].values())
                five = sum(t[2] for t in hits[name].values())
            else:
                total, one, five = hits[name][kind]
            row += f"{_pct(one, total):>16s}{_pct(five, total):>16s}"
        print(row)
    n = len(queries)
    print(f"\nconfident answers: {confident}/{n} ({_pct(confident, n)}), of which correct: "
          f"{confident_right}/{confident} ({_pct(confident_right, confident)})")
    print("mean time per query: " + ", ".join(f"{k} {1000 * v / n:.1f} ms" for k, v in seconds.items())
          + " (wratio: reading its cached answers; bench/latency.py times it)")
    if show_failures:
        print("\nmisses (top-1):")
        for query, match in failures:
            got = match.best.paper.title if match.best else None
            print(f"  [{query['kind']}] {query['query'][:90]!r}\n      want {query['norm_title'][:90]!r}"
                  f"\n      got  {got!r:.90} score={match.best.score if match.best else None} "
                  f"confident={match.confident}")


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--failures", action="store_true", help="list the queries paperboy gets wrong")
    parser.add_argument("--fresh", action="store_true", help="recompute the cached WRatio baseline answers")
    args = parser.parse_args()
    if not corpus_available():
        print("corpus not found (../shared/corpus); skipping the quality benchmark")
        sys.exit(0)
    asyncio.run(run(args.failures, args.fresh))
