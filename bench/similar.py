"""Similar papers over the shared corpus: does a paper's well-known sibling come up among the 5?

    python bench/similar.py [--failures]

For the 100 hand-checked (paper, sibling) pairs of bench/similar_pairs.json (follow-ups and
siblings of one named system with an author in common; bench/similar_pairs.py proposed them),
asks paperboy's similar_papers for the paper's 5 closest and counts the pairs whose sibling is
among them (hit@5) or first (hit@1). Beside it, in the same process on the same database, the
baseline: a plain bm25 "more like this" over the abstract (its content words, quoted and ORed
into one FTS5 query, bm25 with every column weighted alike, the paper itself left out, no boosts
and no title weighting). Latency p50/p99/max for both, each pair asked twice (the first ask warms
the pages it reads; both asks are counted). Target: p99 <= 50 ms at 304k papers.

Needs the corpus database bench/corpus.py builds (/tmp/paperboy-bench/corpus-all.db); skips with
a message when it is absent.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import CACHE_DIR  # noqa: E402
from bench.latency import percentile  # noqa: E402
from bench.machine import describe_machine  # noqa: E402
from paperboy.bot.models import Paper  # noqa: E402
from paperboy.bot.search import fts  # noqa: E402
from paperboy.bot.search.similar import similar_papers  # noqa: E402
from paperboy.storage.sqlite import SQLiteStore  # noqa: E402

PAIRS = Path(__file__).with_name("similar_pairs.json")
DATABASE = CACHE_DIR / "corpus-all.db"
BASELINE_WEIGHTS = (1.0, 1.0, 1.0)


def baseline(store: SQLiteStore, paper: Paper, limit: int = 5) -> list[str]:
    """Plain "more like this": the abstract's content words ORed, bm25, the paper itself left out."""
    expression = fts.quote_terms(fts.content_tokens(fts.tokenize(paper.abstract, as_indexed=True)))
    if not expression:
        return []
    hits = store.fts_search(expression, limit + 1, BASELINE_WEIGHTS)
    found = store.get_papers_by_rowid([rowid for rowid, _ in hits])
    keys = [found[rowid].key for rowid, _ in hits if rowid in found]
    return [key for key in keys if key != paper.key][:limit]


def ours(store: SQLiteStore, paper: Paper, limit: int = 5) -> list[str]:
    return [scored.paper.key for scored in similar_papers(store, paper, limit)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures", action="store_true", help="list the pairs each method misses")
    args = parser.parse_args()
    if not DATABASE.exists():
        print(f"skipped: {DATABASE} is absent (python bench/corpus.py builds it)")
        return
    pairs = json.loads(PAIRS.read_text())
    store = SQLiteStore(DATABASE)
    print(describe_machine())
    print(f"{store.count_papers():,} papers, {len(pairs)} pairs")
    methods = {"similar_papers": ours, "baseline bm25": baseline}
    results = {}
    for name, method in methods.items():
        hit1 = hit5 = 0
        times: list[float] = []
        missed = []
        for pair in pairs:
            paper = store.get_paper(pair["paper"])
            assert paper is not None, pair
            for _ in range(2):
                started = time.perf_counter()
                keys = method(store, paper)
                times.append((time.perf_counter() - started) * 1000)
            hit1 += bool(keys) and keys[0] == pair["sibling"]
            hit5 += pair["sibling"] in keys
            if pair["sibling"] not in keys:
                missed.append(pair["reason"])
        results[name] = (hit1, hit5, times, missed)
    base_hit5 = results["baseline bm25"][1] or 1
    for name, (hit1, hit5, times, missed) in results.items():
        print(f"{name:15}  hit@5 {hit5}/{len(pairs)} ({hit5 / len(pairs):.0%}, {hit5 / base_hit5:.2f}x baseline)  "
              f"hit@1 {hit1}/{len(pairs)}  latency p50 {percentile(times, 0.5):.1f} ms  "
              f"p99 {percentile(times, 0.99):.1f} ms  max {max(times):.1f} ms")
        if args.failures:
            for reason in missed:
                print(f"    missed: {reason}")
    store.close()


if __name__ == "__main__":
    main()
