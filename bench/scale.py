"""All of arXiv on one machine: paperboy at 3 million papers, beside the same figures at 304k.

    python bench/scale.py [--papers 3000000] [--only generate,import,measure] [--seed 11]

Generates (once, cached under $PAPERBOY_BENCH_CACHE, default /tmp/paperboy-bench) a JSON Lines
file of `--papers` realistic records from ../shared/corpus: the real 304,613 papers, then
synthetic ones, each a recombination of three real papers (the first third of one title, the
middle of another, the last third of a third; two sentences of each abstract, shuffled; the
rarer words exchanged for others of the same frequency; authors and categories drawn from the
corpus; a synthetic arXiv id from 2015-2026 or, for one in ten, no id and a venue), from a
fixed seed. Then, for the 304k corpus and the generated file alike, in one
run: the import (`paperboy import`'s loader and its file-reading process, then the title index it
saves; the CPU time of both processes), database size,
`paperboy run` from start to its first answered /paper in a terminal, one-shot `paperboy ask`,
the resident memory of `paperboy run` after 1,000 mixed queries, /paper latency by kind in
process, and bench/quality.py's queries (their answers are among the real papers of both).
Subscription matching does not depend on the library's size: bench/subscriptions.py measures it
(2,000 and 6,000 papers against 100,000 subscriptions).

Skips (exit 0) when ../shared/corpus is absent. Results go to stdout and to scale-results.json.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import pty
import random
import re
import select
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import CACHE_DIR, CORPUS, corpus_available, iter_records  # noqa: E402
from bench.machine import describe_machine  # noqa: E402
from bench.queries import load_queries  # noqa: E402
from paperboy.bot.delivery.ingest import import_file  # noqa: E402
from paperboy.bot.models import normalize_title  # noqa: E402
from paperboy.bot.search import saved_titles  # noqa: E402
from paperboy.bot.search.matcher import Matcher  # noqa: E402
from paperboy.storage.sqlite import SQLiteStore  # noqa: E402

REAL = 304_613
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
KINDS = {"id": ("id",), "title": ("exact", "lower", "typo1", "typo2", "first_half", "subtitle"),
         "keyword": ("abstract",)}


# ---- the generated library -------------------------------------------------------------------

GENERATOR = 3  # bumped when the generated records change, so a cached file of another kind is not used


def generated_path(total: int, seed: int) -> Path:
    return CACHE_DIR / f"scale-{total}-seed{seed}-g{GENERATOR}.jsonl"


def generate(total: int, seed: int) -> Path:
    path = generated_path(total, seed)
    if path.exists():
        return path
    rng = random.Random(seed)
    records = [r for r in iter_records() if r.get("title")]
    authors = sorted({a for r in records for a in (r.get("authors") or ())})
    with_categories = [r["categories"] for r in records if r.get("categories")]
    per_month: dict[str, int] = {}
    started = time.perf_counter()
    swap = _word_swap(rng, records)
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        for n in range(total - len(records)):
            record = _synthetic(rng, records, authors, with_categories, per_month, swap)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            if n and n % 500_000 == 0:
                print(f"  generated {len(records) + n:,} records in {time.perf_counter() - started:.0f}s",
                      file=sys.stderr, flush=True)
    partial.rename(path)
    print(f"generated {total:,} records into {path} ({path.stat().st_size / 1e9:.2f} GB) in "
          f"{time.perf_counter() - started:.0f}s", file=sys.stderr)
    return path


COMMON_WORDS_KEPT = 3_000  # the corpus's most frequent words stay as they are
SWAP_BAND = 500  # a rarer word is swapped for another of about the same frequency


def _word_swap(rng: random.Random, records: list[dict]) -> dict[str, str]:
    """A fixed exchange of the corpus's rarer words (as written), each for another of about the same
    frequency: generated papers keep the corpus's word statistics (how many papers hold a word, at
    ten times the size) without repeating the distinctive words of the real papers they come from."""
    counts: Counter[str] = Counter()
    for record in records:
        counts.update(record["title"].split())
        counts.update((record.get("abstract") or "").split())
    ranked = [word for word, _ in counts.most_common()][COMMON_WORDS_KEPT:]
    swap = {}
    for start in range(0, len(ranked), SWAP_BAND):
        band = ranked[start:start + SWAP_BAND]
        shuffled = band[:]
        rng.shuffle(shuffled)
        swap.update(zip(band, shuffled, strict=True))
    return swap


def _swapped(text: str, swap: dict[str, str]) -> str:
    return " ".join([swap.get(word, word) for word in text.split()])


def _synthetic(rng: random.Random, records: list[dict], authors: list[str], categories: list[list[str]],
               per_month: dict[str, int], swap: dict[str, str]) -> dict:
    # A third of each of three titles, and two sentences from each of three abstracts, with their
    # rarer words swapped (_word_swap): like real papers, a generated one shares phrasing and common
    # words with others, but not the distinctive words the quality queries are made of (copied
    # verbatim, they would give those queries several right answers).
    first, middle, last = rng.choice(records), rng.choice(records), rng.choice(records)
    words = [r["title"].split() for r in (first, middle, last)]
    title = " ".join(words[0][:max(1, len(words[0]) // 3)] + words[1][len(words[1]) // 3:2 * len(words[1]) // 3]
                     + words[2][2 * len(words[2]) // 3:])
    sentences = []
    for source in (first, middle, last):
        if source.get("abstract"):
            split = _SENTENCE_END.split(source["abstract"])
            sentences += rng.sample(split, min(2, len(split)))
    rng.shuffle(sentences)
    title = _swapped(title, swap)
    sentences = [_swapped(sentence, swap) for sentence in sentences]
    day = date(2015, 1, 1) + timedelta(days=rng.randrange((date(2026, 11, 28) - date(2015, 1, 1)).days))
    record = {"title": title, "abstract": " ".join(sentences) or None,
              "authors": rng.sample(authors, rng.randint(1, 8)), "published": day.isoformat(),
              "categories": rng.choice(categories), "source": "scale-bench"}
    if rng.random() < 0.1:
        record.update(id=None, venue=f"SynthConf {day.year}")
    else:
        month = f"{day:%y%m}"
        number = per_month.get(month, 60_000)
        per_month[month] = number + 1
        record["id"] = f"{month}.{number:05d}"
    return record


# ---- measures --------------------------------------------------------------------------------

def imported(label: str, source: Path, results: dict) -> Path:
    """The library as a database, imported once (and timed that once)."""
    path = CACHE_DIR / f"scale-{label}.db"
    marker = CACHE_DIR / f"scale-{label}.imported.json"
    if path.exists() and marker.exists():
        results.update(json.loads(marker.read_text()))
        return path
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    store = SQLiteStore(path)
    wall, cpu = time.perf_counter(), _cpu_seconds()
    report = import_file(store, source, datetime.now(UTC), batch_size=20_000)
    papers_in = time.perf_counter() - wall
    # As `paperboy import` does: the title index is built and saved for the next start.
    saved_titles.build_index(store)
    wall, cpu = time.perf_counter() - wall, _cpu_seconds() - cpu
    store.close()
    measured = {"import_seconds": round(wall, 1), "import_papers_seconds": round(papers_in, 1),
                "import_title_index_seconds": round(wall - papers_in, 1), "import_cpu_seconds": round(cpu, 1),
                "import_rate": round(report.read / wall), "papers": report.read - report.skipped,
                "import_cores_busy": round(cpu / wall, 2)}
    marker.write_text(json.dumps(measured))
    results.update(measured)
    return path


def _cpu_seconds() -> float:
    """CPU time of this process and of the processes it waited for (the import's file reader)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _env(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOY_", "DISCORD_", "SLACK_"))}
    env.update(PAPERBOY_DB=str(db), PAPERBOY_OFFLINE="1", COLUMNS="120")
    return env


def _read_until(master: int, wanted: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{wanted!r} not seen; last output: {seen[-300:]!r}")
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            seen += os.read(master, 1 << 16)
    return seen


def run_session(db: Path, queries: list[str], first_answer: str) -> dict:
    """`paperboy run` in a terminal: seconds from start to its first answered /paper, then the
    resident memory after the queries."""
    master, slave = pty.openpty()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "paperboy.cli", "run"], env=_env(db), stdin=slave,
                               stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    try:
        _read_until(master, b"paperboy>", 600)
        os.write(master, f"/paper {queries[0]}\n".encode())
        _read_until(master, first_answer.encode(), 120)
        first = time.perf_counter() - started
        answered = []
        for query in queries[1:]:
            began = time.perf_counter()
            os.write(master, f"/paper {query}\n".encode())
            _read_until(master, b"paperboy>", 120)
            answered.append(time.perf_counter() - began)
        rss = _rss_mb(process.pid)
        os.write(master, b"/quit\n")
        process.wait(30)
    finally:
        process.kill()
        os.close(master)
    return {"start_to_first_answer_s": round(first, 2), "rss_after_queries_mb": rss, "session_queries": len(queries),
            "session_p50_ms": round(1000 * statistics.median(answered), 1)}


def _rss_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return -1


def one_shot_ask(db: Path, query: str, runs: int = 3) -> float:
    walls = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "paperboy.cli", "ask", f"/paper {query}"], env=_env(db),
                       capture_output=True, check=False, timeout=600)
        walls.append(time.perf_counter() - began)
    return round(min(walls), 2)


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def in_process(db: Path, queries: list[dict]) -> dict:
    """Latency by kind (each query's first lookup) and quality, in this process."""
    store = SQLiteStore(db)
    matcher = Matcher(store)
    began = time.perf_counter()
    matcher.refresh()
    measured: dict = {"title_index_open_s": round(time.perf_counter() - began, 2)}
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    top1 = top5 = 0
    for query in queries:
        kind = next(k for k, kinds in KINDS.items() if query["kind"] in kinds)
        began = time.perf_counter()
        match = await matcher.lookup(query["query"], limit=5)
        times[kind].append(time.perf_counter() - began)
        marks = [s.paper.key == query["key"] or (query["kind"] != "id"
                                                 and normalize_title(s.paper.title) == query["norm_title"])
                 for s in match.candidates]
        top1 += bool(marks[:1] and marks[0])
        top5 += any(marks[:5])
    for kind, samples in times.items():
        measured[f"{kind}_p50_ms"] = round(1000 * statistics.median(samples), 1)
        measured[f"{kind}_p99_ms"] = round(1000 * _percentile(samples, 0.99), 1)
    measured["quality_top1_pct"] = round(100 * top1 / len(queries), 1)
    measured["quality_top5_pct"] = round(100 * top5 / len(queries), 1)
    await matcher.aclose()
    store.close()
    return measured


def measure(label: str, source: Path, queries: list[dict]) -> dict:
    results: dict = {}
    db = imported(label, source, results)
    size = sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists())
    results["database_gb"] = round(size / 1e9, 2)
    results["bytes_per_paper"] = round(size / max(1, results["papers"]))
    results.update(asyncio.run(in_process(db, queries)))
    mixed = [q["query"] for q in queries]
    session = [q["query"] for q in queries if q["kind"] == "id"][:1] + (mixed * 4)[:999]
    first = next(q for q in queries if q["kind"] == "id")
    answer = SQLiteStore(db).get_paper(first["key"]).title[:30]
    results.update(run_session(db, session, answer))
    title_query = next(q["query"] for q in queries if q["kind"] == "typo1")
    results["one_shot_ask_s"] = one_shot_ask(db, title_query)
    return results


TARGETS = {
    "import_seconds": ("at most 300 s for 3M", lambda v, n: n < 1_000_000 or v <= 300),
    "start_to_first_answer_s": ("at most 3 s", lambda v, n: v <= 3),
    "one_shot_ask_s": ("at most 1.5 s", lambda v, n: v <= 1.5),
    "rss_after_queries_mb": ("at most 1,024 MB", lambda v, n: v <= 1024),
    "title_p99_ms": ("at most 50 ms", lambda v, n: v <= 50),
    "keyword_p99_ms": ("at most 50 ms", lambda v, n: v <= 50),
    "id_p99_ms": ("at most 5 ms", lambda v, n: v <= 5),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=3_000_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--only", default="generate,import,measure")
    args = parser.parse_args()
    if not corpus_available():
        print(f"corpus not found at {CORPUS}; nothing to measure")
        return 0
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    print(f"machine: {describe_machine()}")
    source = generate(args.papers, args.seed)
    if "measure" not in args.only:
        return 0
    queries = load_queries()
    columns = {"304k": measure("304k", CORPUS, queries), f"{args.papers // 1000}k": measure(
        source.stem.removeprefix("scale-"), source, queries)}
    (CACHE_DIR / "scale-results.json").write_text(json.dumps(columns, indent=1))
    names = sorted({name for column in columns.values() for name in column}, key=list(columns["304k"]).index)
    print(f"\n{'measure':28s}" + "".join(f"{label:>14s}" for label in columns) + "  target")
    for name in names:
        target = TARGETS.get(name)
        row = f"{name:28s}" + "".join(f"{column.get(name, '-')!s:>14s}" for column in columns.values())
        if target:
            big = list(columns.values())[-1]
            met = target[1](big.get(name, 0), big.get("papers", 0))
            row += f"  {target[0]}: {'met' if met else 'NOT met'}"
        print(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
