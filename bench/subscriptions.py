"""Subscription matching: 2,000 new papers against 100,000 subscriptions (target: under 1 s).

    .venv/bin/python bench/subscriptions.py [--subscriptions 100000] [--papers 2000] [--runs 7]

Subscriptions are built from a seeded RNG out of real titles, authors and categories of
../shared/corpus when it is present (a synthetic vocabulary otherwise): plain words, phrases,
OR groups, exclusions, author: and cat:. The new papers are real corpus papers with abstracts.
The indexed matcher (paperboy.bot.subscriptions.index.SubscriptionIndex) is timed against the naive loop, which
checks every subscription against every paper, in the same process; the naive loop is run on a
sample of subscriptions and extrapolated, and its results on that sample must equal the
indexed ones exactly. Before each timed run the word-form memo (spelling.canonical) is emptied and refilled from another
2,000 papers ("yesterday's"), so the words new to the batch are stemmed inside the timed run.
Finally enqueue_alerts writes the alerts of some of the papers into an in-memory store, twice
(the second time must add nothing). The data are prepared in a child process, so the measuring
process does not carry the heap left over from parsing the corpus.
"""
from __future__ import annotations

import argparse
import gc
import json
import lzma
import os
import random
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import describe_machine  # noqa: E402
from paperboy.bot.models import (  # noqa: E402
    Paper,
    Subscription,  # noqa: E402
    key_for_unnumbered,
)
from paperboy.bot.spelling import american, canonical  # noqa: E402
from paperboy.bot.subscriptions.alerts import enqueue_alerts  # noqa: E402
from paperboy.bot.subscriptions.index import SubscriptionIndex  # noqa: E402
from paperboy.bot.subscriptions.paper_text import PaperText  # noqa: E402
from paperboy.bot.subscriptions.query import QueryError, parse  # noqa: E402
from paperboy.bot.text import words  # noqa: E402
from paperboy.storage.sqlite import SQLiteStore  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "papers-304k.jsonl.xz"
# Words nobody subscribes to on their own.
GENERIC = set("""a an the of for and or in on to with by from via is are be we our this that these as at
can it its their which using based new towards toward into than not more such also both between
learning model models method methods approach approaches results data show propose proposed paper
performance task tasks network networks large training study analysis towards via under over
efficient effective improving improved robust general framework system systems through without
deep neural novel simple better beyond what when how why does do can your you all one two
multi high low via end""".split())


machine = describe_machine


def load_corpus(limit_papers: int, rng: random.Random) -> tuple[list[Paper], list[dict]] | None:
    """New papers (arXiv papers with an abstract) and, for building queries, every record cut
    down to what the query maker reads."""
    if not CORPUS.is_file():
        return None
    records, candidates = [], []
    with lzma.open(CORPUS, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if not record.get("title"):
                continue
            if record.get("id") and record.get("abstract") and record.get("categories"):
                candidates.append(record)
            records.append({"title": record["title"], "abstract": record.get("abstract"),
                            "authors": (record.get("authors") or [])[:3], "categories": record.get("categories")})
    chosen = rng.sample(candidates, min(limit_papers, len(candidates)))
    return [to_paper(r) for r in chosen], records


def to_paper(record: dict) -> Paper:
    key = record.get("id") or key_for_unnumbered(record["title"], record.get("venue"))
    return Paper(key=key, title=record["title"], abstract=record.get("abstract"),
                 authors=tuple(record.get("authors") or ()), categories=tuple(record.get("categories") or ()),
                 arxiv_id=record.get("id"), published=record.get("published"))


def synthetic(count: int, rng: random.Random) -> tuple[list[Paper], list[dict]]:
    """A Zipf-like vocabulary of made-up words, for when the corpus is absent."""
    syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "qua", "zen", "pri", "dor", "fel", "gu",
                 "bix", "tor", "ha", "jun", "pe", "wol"]
    vocabulary = list(dict.fromkeys("".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(60000)))
    cumulative = list(accumulate(1 / (rank + 20) for rank in range(len(vocabulary))))
    surnames = ["".join(rng.choices(syllables, k=3)).title() for _ in range(5000)]
    categories = [f"cs.{c}" for c in ("LG", "CL", "CV", "AI", "RO", "IR", "CR")] + ["stat.ML", "astro-ph.GA"]

    def record(n: int) -> dict:
        title = " ".join(rng.choices(vocabulary, cum_weights=cumulative, k=rng.randint(5, 12)))
        abstract = " ".join(rng.choices(vocabulary, cum_weights=cumulative, k=rng.randint(80, 200)))
        authors = [f"{rng.choice(surnames)[0]}. {rng.choice(surnames)}" for _ in range(rng.randint(1, 8))]
        return {"id": f"2501.{n:05d}", "title": title, "abstract": abstract, "authors": authors,
                "categories": rng.sample(categories, rng.randint(1, 3))}

    records = [record(n) for n in range(max(count * 5, 20000))]
    return [to_paper(r) for r in records[:count]], records


def content_words(title: str) -> list[str]:
    words = [w.strip(".,:;!?()[]{}\"'").lower() for w in title.split()]
    return [w for w in words if len(w) >= 3 and w.isalpha() and w not in GENERIC]


def make_queries(count: int, records: list[dict], rng: random.Random) -> list[str]:
    """Queries like people write: topics of two or three words, phrases, a few single words
    that are specific enough to be worth an alert, distinctive surnames, full names."""
    titled = [content_words(r["title"]) for r in records]
    titled = [title_words for title_words in titled if len(title_words) >= 3]
    # A single word is worth an alert when at most 0.5% of abstracts use it.
    with_abstract = [r for r in records if r.get("abstract")]
    texts = rng.sample(with_abstract, min(20000, len(with_abstract)))
    text_frequency = Counter(canonical(w) for r in texts for w in set(words(r["title"] + " " + r["abstract"])))
    specific = max(2, len(texts) // 200)
    people = [a for r in records for a in (r.get("authors") or ())[:3] if " " in a and len(a) < 40]
    surname_frequency = Counter(name.split()[-1] for name in people)
    distinctive = [name for name in people if surname_frequency[name.split()[-1]] <= 20]
    categories = [c for r in records for c in (r.get("categories") or ())]

    def some_words(k: int) -> list[str]:
        while True:
            title = rng.choice(titled)
            start = rng.randrange(0, len(title) - k + 1)
            picked = title[start:start + k]
            if k > 1 or text_frequency[canonical(picked[0])] <= specific:
                return picked

    def word() -> str:
        return some_words(1)[0]

    makers = [
        (12, lambda: word()),
        (22, lambda: " ".join(some_words(rng.choice((2, 2, 3))))),
        (20, lambda: f'"{" ".join(some_words(rng.choice((2, 2, 3))))}"'),
        (8, lambda: f"{word()} OR {word()} {word()}"),
        (8, lambda: f"{' '.join(some_words(2))} -{word()}"),
        (8, lambda: f"author:{rng.choice(distinctive).split()[-1]}"),
        (6, lambda: f'author:"{rng.choice(people)}"'),
        (3, lambda: f"author:{rng.choice(distinctive).split()[-1]} {word()}"),
        (6, lambda: f"cat:{rng.choice(categories)} {word()}"),
        (6, lambda: f'"{" ".join(some_words(2))}" OR {word()} -"{" ".join(some_words(2))}" '
                    f"cat:{rng.choice(categories).split('.')[0]}"),
        (0.2, lambda: f"cat:{rng.choice(categories)} -{word()}"),
    ]
    weights = [w for w, _ in makers]
    queries = []
    while len(queries) < count:
        text = rng.choices(makers, weights)[0][1]()
        try:
            queries.append(str(parse(text)))
        except QueryError:
            continue  # e.g. a surname made only of initials
    return queries


def naive(subscriptions: list[Subscription], papers: list[Paper]) -> set[tuple[int, str]]:
    """Every subscription against every paper, each paper folded once."""
    parsed = [(sub, parse(sub.query)) for sub in subscriptions]
    found = set()
    for paper in papers:
        text = PaperText.of(paper)
        for sub, query in parsed:
            if query.matches_text(text):
                found.add((sub.id, paper.key))
    return found


def timed(function, runs: int) -> tuple[list[float], list[float], object]:
    """Wall-clock and CPU seconds of each run, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return walls, cpus, result


def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def prepare(args: argparse.Namespace) -> tuple[str, list[Paper], list[Paper], list[str]]:
    """Today's papers, yesterday's (they warm the word-form memo before each run, as earlier ingests
    would have, so the words first seen today are stemmed inside the timed run) and the queries."""
    rng = random.Random(args.seed)
    loaded = None if args.synthetic else load_corpus(2 * args.papers, rng)
    source = f"corpus {CORPUS.name}" if loaded else "synthetic vocabulary (corpus absent)"
    both_days, records = loaded or synthetic(2 * args.papers, rng)
    queries = make_queries(args.subscriptions, records, rng)
    return source, both_days[:args.papers], both_days[args.papers:], queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--papers", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--naive-sample", type=int, default=1_000)
    parser.add_argument("--enqueue-papers", type=int, default=200,
                        help="papers whose alerts are written to an in-memory store")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--synthetic", action="store_true", help="ignore the corpus even when present")
    args = parser.parse_args()

    print(f"machine: {machine()}; load average at start: {load()}")
    start = time.perf_counter()
    # Prepared in a child process: parsing 300,000 JSON records leaves a heap whose scattered
    # leftovers slow everything after by a third, which a running bot does not carry.
    with ProcessPoolExecutor(max_workers=1) as child:
        source, papers, yesterday, queries = child.submit(prepare, args).result()
    rng = random.Random(args.seed + 1)
    subscriptions = [Subscription(n + 1, "discord", "guild", f"user{n % 20000}", "chan", rng.choice(("dm", "channel")),
                                  query, "2025-01-01T00:00:00Z") for n, query in enumerate(queries)]
    print(f"data: {source}; {len(papers)} new papers, {len(subscriptions)} subscriptions "
          f"({len(set(queries))} distinct queries); prepared in {time.perf_counter() - start:.1f} s")

    build_runs = max(1, args.runs // 3)
    walls, _, index = timed(lambda: SubscriptionIndex.build(subscriptions), build_runs)
    print(f"index build: {statistics.median(walls):.2f} s (median of {build_runs})")
    walls, _, _ = timed(lambda: SubscriptionIndex.build(subscriptions, previous=index), build_runs)
    print(f"index rebuild reusing the previous index's parsed queries: {statistics.median(walls):.2f} s")

    walls, cpus, matches = [], [], []
    for _ in range(args.runs):
        del matches  # a run's hundreds of thousands of pairs must not weigh on the next run
        canonical.cache_clear()  # the word forms of a cold start, as after a restart
        american.cache_clear()
        for paper in yesterday:
            PaperText.of(paper)
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        matches = index.matches(papers)
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    match_time = statistics.median(walls)
    pairs = {(sub.id, paper.key) for sub, paper in matches}
    print(f"indexed matching of {len(papers)} papers against {len(subscriptions)} subscriptions: "
          f"median {match_time * 1000:.0f} ms, best {min(walls) * 1000:.0f} ms, "
          f"CPU median {statistics.median(cpus) * 1000:.0f} ms ({args.runs} runs)")
    print(f"  {len(matches)} matches; {len({sub_id for sub_id, _ in pairs})} subscriptions with at least one, "
          f"{len({key for _, key in pairs})} papers with at least one")

    sample = rng.sample(subscriptions, min(args.naive_sample, len(subscriptions)))
    naive_walls, _, expected = timed(lambda: naive(sample, papers), 1)
    sample_ids = {sub.id for sub in sample}
    got = {pair for pair in pairs if pair[0] in sample_ids}
    assert got == expected, f"indexed and naive differ on {len(got ^ expected)} pairs"  # type: ignore[operator]
    naive_full = naive_walls[0] * len(subscriptions) / len(sample)
    print(f"naive loop, every subscription against every paper (each paper folded once): "
          f"{len(sample)} subscriptions in {naive_walls[0]:.2f} s, so {naive_full:.0f} s for all {len(subscriptions)}")
    print(f"indexed == naive on the sample: {len(expected)} matching pairs, identical")
    print(f"speed-up over the naive loop: {naive_full / match_time:.0f}x; "
          f"target under 1 s: {'met' if match_time < 1 else 'NOT met'} ({match_time:.3f} s median)")

    store = SQLiteStore(memory=True)
    now = datetime(2025, 1, 2, 8, 0, tzinfo=UTC)
    some = papers[:args.enqueue_papers]
    walls, _, added = timed(lambda: enqueue_alerts(store, some, now, index), 1)
    again_walls, _, again = timed(lambda: enqueue_alerts(store, some, now, index), 1)
    expected_alerts = sum(1 for _, paper in matches if paper.key in {p.key for p in some})
    assert added == expected_alerts and again == 0
    print(f"enqueue_alerts for {len(some)} of the papers into an in-memory store: {added} alerts in "
          f"{walls[0]:.2f} s ({added / walls[0]:.0f}/s); the same papers again: {again} in {again_walls[0]:.2f} s")
    print(f"load average at the end: {load()}")


if __name__ == "__main__":
    main()
