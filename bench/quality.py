"""/paper quality over the shared corpus: top-1 and top-5 accuracy of paperboy's matcher, side
by side with two baselines run in the same process on the same database.

    python bench/quality.py [--failures] [--fresh] [--only generated|hand]

The corpus database and the query set are built on first use (bench/corpus.py, about a minute;
bench/queries.py, half a minute) under $PAPERBOY_BENCH_CACHE (default /tmp/paperboy-bench).
Beside the generated kinds, the hand-written queries of bench/descriptions.json: "description"
(what a paper did or found, in everyday words) and "nickname" (the name a paper is known by);
bench/check_descriptions.py checks them against the corpus.

Matchers, both paperboy's, built by build_matchers():
  paperboy  the full Matcher: aliases on, and dense retrieval when the semantic extra is
            installed and the database holds vectors (`paperboy --db ... embed`).
  lexical   the Matcher with aliases=False and no vectors: titles, typos and keywords, and
            descriptions by full-text search over their rarest words.
For descriptions, the ceiling of any fusion is printed too: how often the paper is among the 50
the full-text ranking finds, among the 50 nearest vectors, and in either (no reordering of those
candidates can put first a paper neither finds).

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


HAND_WRITTEN = Path(__file__).resolve().parent / "descriptions.json"
HAND_KINDS = ("description", "nickname")
MATCHER_SETTINGS: dict[str, dict] = {}  # the keyword arguments build_matchers() passed


def load_hand_queries(store) -> list[dict]:
    """bench/descriptions.json in the shape of the generated queries ({kind, query, key,
    norm_title}); a paper missing from the benchmark database is left out, and said so."""
    if not HAND_WRITTEN.exists():
        return []
    written = json.loads(HAND_WRITTEN.read_text())
    papers = store.get_papers([q["id"] for q in written])
    missing = [q["id"] for q in written if q["id"] not in papers]
    if missing:
        print(f"hand-written queries: {len(missing)} papers not in the database, left out: {missing}",
              file=sys.stderr)
    return [{"kind": q["kind"], "query": q["query"], "key": q["id"],
             "norm_title": normalize_title(papers[q["id"]].title)}
            for q in written if q["id"] in papers]


def semantic_index(store):
    """The semantic index when the extra is installed and the database holds vectors (`paperboy embed`)."""
    try:
        from paperboy.bot.search.semantic import open_semantic
    except ImportError:
        return None
    return open_semantic(store, threads=1)  # as `paperboy run` has it: one torch thread beside the lookups


def build_matchers(store) -> dict[str, Matcher]:
    """{"paperboy": the full matcher (aliases, and dense retrieval when vectors exist), "lexical":
    titles, typos and keywords alone (no aliases, no vectors)}."""
    full: dict = {"aliases": True}
    bare: dict = {"aliases": False}
    index = semantic_index(store)
    if index is not None:
        full["semantic"] = index
    MATCHER_SETTINGS.update(paperboy=full, lexical=bare)
    return {"paperboy": Matcher(store, **full), "lexical": Matcher(store, **bare)}


def is_correct(query: dict, key: str, norm_title: str) -> bool:
    if query["kind"] == "id":
        return key == query["key"]
    return key == query["key"] or norm_title == query["norm_title"]


async def run(show_failures: bool, fresh: bool, only: str | None = None) -> None:
    store = corpus_store()
    queries = [] if only == "hand" else load_queries()
    if only != "generated":
        queries += load_hand_queries(store)
    kinds = [k for k in list(PER_KIND) + list(HAND_KINDS) if any(q["kind"] == k for q in queries)]
    matchers = build_matchers(store)
    started = time.perf_counter()
    for matcher in {id(m): m for m in matchers.values()}.values():
        matcher.refresh()
    build = time.perf_counter() - started
    for matcher in matchers.values():  # loads the model and the vectors, when there are some: not timed
        await matcher.lookup("a warm-up query long enough to be read as a description")
    shared = matchers["paperboy"] is matchers["lexical"]
    baselines = {"wratio": WRatioBaseline(store, queries, fresh), "fts": FtsBaseline(store)}

    hits: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    seconds: dict[str, float] = defaultdict(float)
    latencies: dict[str, list[float]] = defaultdict(list)  # the paperboy matcher's, per kind
    confident = confident_right = 0
    failures = []
    for query in queries:
        kind, text = query["kind"], query["query"]
        results: dict[str, list[tuple[str, str]]] = {}
        match = None
        for name, matcher in matchers.items():
            if name == "lexical" and shared:
                results[name] = results["paperboy"]
                continue
            began = time.perf_counter()
            found = await matcher.lookup(text, limit=5)
            took = time.perf_counter() - began
            seconds[name] += took
            if name == "paperboy":
                match = found
                latencies[kind].append(took)
            results[name] = [(s.paper.key, normalize_title(s.paper.title)) for s in found.candidates]
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
        ranked = results["paperboy"]
        top1 = bool(ranked) and is_correct(query, *ranked[0])
        assert match is not None
        if match.confident:
            confident += 1
            confident_right += top1
        if not top1:
            failures.append((query, match))

    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}, "
          f"{_cpus()} cores; {store.count_papers():,} papers; title index built in {build:.2f}s")
    counts = {k: sum(q["kind"] == k for q in queries) for k in kinds}
    print(f"{len(queries)} queries (generated ones seeded, hand-written ones from {HAND_WRITTEN.name}): "
          + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print("matchers: " + ("paperboy and lexical are one matcher here (Matcher takes neither aliases "
                          "nor semantic yet)" if shared else _describe()))
    names = ["paperboy", "lexical", "fts", "wratio"]
    groups = {"generated": [k for k in kinds if k in PER_KIND], "hand": [k for k in kinds if k in HAND_KINDS]}
    rows = kinds + [g for g, members in groups.items() if members] + ["all"]
    print(f"\n{'kind':12s}" + "".join(f"{n + ' top1':>15s}{n + ' top5':>15s}" for n in names))
    for row_kind in rows:
        members = groups.get(row_kind, kinds if row_kind == "all" else [row_kind])
        row = f"{row_kind:12s}"
        for name in names:
            total = sum(hits[name][k][0] for k in members)
            one = sum(hits[name][k][1] for k in members)
            five = sum(hits[name][k][2] for k in members)
            row += f"{_pct(one, total):>15s}{_pct(five, total):>15s}"
        print(row)
    print(f"\npaperboy latency per query (ms)\n{'kind':12s}{'p50':>8s}{'p99':>8s}{'max':>8s}")
    for row_kind in rows:
        members = groups.get(row_kind, kinds if row_kind == "all" else [row_kind])
        taken = sorted(t for k in members for t in latencies[k])
        print(f"{row_kind:12s}{1000 * _quantile(taken, 0.5):8.1f}{1000 * _quantile(taken, 0.99):8.1f}"
              f"{1000 * (taken[-1] if taken else 0.0):8.1f}")
    if (search := MATCHER_SETTINGS["paperboy"].get("semantic")) is not None:
        _print_ceiling(store, matchers["paperboy"], search, [q for q in queries if q["kind"] == "description"])
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


def _print_ceiling(store, matcher: Matcher, search, descriptions: list[dict]) -> None:
    """Whether each description's paper is among the candidates either ranking offers fusion."""
    from paperboy.bot.search.local_search import DESCRIPTION_HITS, described_hits
    from paperboy.bot.search.query_terms import analyze
    words = meaning = either = 0
    for query in descriptions:
        by_words = described_hits(store, analyze(query["query"], matcher.index))
        by_meaning = [rowid for rowid, _ in search.nearest(query["query"], DESCRIPTION_HITS)]
        papers = store.get_papers_by_rowid(list({*by_words, *by_meaning}))
        found = [{r for r in ranked if r in papers and is_correct(query, papers[r].key, normalize_title(papers[r].title))}
                 for ranked in (by_words, by_meaning)]
        words += bool(found[0])
        meaning += bool(found[1])
        either += bool(found[0] or found[1])
    n = len(descriptions)
    print(f"\ndescriptions, the paper among the first {DESCRIPTION_HITS} candidates: full text {_pct(words, n)}, "
          f"nearest vectors {_pct(meaning, n)}, either {_pct(either, n)} (the ceiling of any fusion of the two); "
          f"{len(search):,} vectors")


def _describe() -> str:
    """The keyword arguments each matcher was built with, a semantic index by its type."""
    def shown(key: str, value) -> str:
        return type(value).__name__ if key == "semantic" and value is not None else repr(value)
    return ", ".join(
        f"{name} (" + (", ".join(f"{k}={shown(k, v)}" for k, v in kw.items()) or "defaults") + ")"
        for name, kw in MATCHER_SETTINGS.items())


def _quantile(ordered: list[float], q: float) -> float:
    """The nearest-rank quantile of an ascending list (0 when empty)."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered))) - 1))]


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--failures", action="store_true", help="list the queries paperboy gets wrong")
    parser.add_argument("--fresh", action="store_true", help="recompute the cached WRatio baseline answers")
    parser.add_argument("--only", choices=("generated", "hand"),
                        help="just the generated queries, or just the hand-written ones")
    args = parser.parse_args()
    if not corpus_available():
        print("corpus not found (../shared/corpus); skipping the quality benchmark")
        sys.exit(0)
    asyncio.run(run(args.failures, args.fresh, args.only))
