"""How fast `paperboy import` loads a large JSON Lines file, full-text index included.

    python bench/import_rate.py [FILE] [--limit N] [--db PATH]

FILE defaults to ../shared/corpus/papers-304k.jsonl.xz. Prints, for the same file and in the
same process: the import rate into a fresh database (FTS5 kept in sync by the papers triggers),
the rate of a second import of the same file (which must add nothing), and the baselines that
bound it: decompression alone, decompression plus json.loads, FTS5 indexing alone (the same title,
abstract and authors inserted into a bare contentless FTS5 table with the same tokenizer and
pending-terms size), the same without term positions (detail=none), the import's Python side
alone, the import without the index, and the CPU floor those imply against the CPU time the
machine's cores have at 20,000 papers/s.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import describe_machine  # noqa: E402
from paperboy.bot.delivery.ingest import import_file  # noqa: E402
from paperboy.bot.models import Paper  # noqa: E402
from paperboy.bot.sources.files import iter_file_batches  # noqa: E402
from paperboy.bot.sources.opening import open_binary  # noqa: E402
from paperboy.storage.sqlite import SQLiteStore  # noqa: E402

DEFAULT_FILE = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "papers-304k.jsonl.xz"
BLOCK = 1 << 20


machine = describe_machine


class Timer:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def lines_of(path: Path, limit: int | None):
    with open_binary(path) as stream:
        yield from itertools.islice(stream, limit)


def limited_copy(path: Path, limit: int, into: Path) -> Path:
    """The first `limit` lines as a plain file, so every measurement reads the same records."""
    target = into / "limited.jsonl"
    with open(target, "wb") as out:
        out.writelines(lines_of(path, limit))
    return target


def decompress_only(path: Path) -> tuple[int, Timer]:
    size = 0
    with Timer() as timer, open_binary(path) as stream:
        while block := stream.read(BLOCK):
            size += len(block)
    return size, timer


def parse_only(path: Path) -> tuple[int, Timer]:
    """Lines json.loads reads; a broken line costs its attempt and is not counted, as in the import."""
    count = 0
    with Timer() as timer:
        for line in lines_of(path, None):
            if line.strip():
                try:
                    json.loads(line)
                except ValueError:
                    continue
                count += 1
    return count, timer


def remove_database(db_path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)


def records_only(path: Path) -> tuple[int, Timer]:
    """Decompression, parsing, record checks and row building, as the import does them, stored nowhere."""
    count = 0
    seen_at = "2026-01-01T00:00:00Z"
    with Timer() as timer:
        for batch in iter_file_batches(path, 20000):
            count += len(SQLiteStore.bulk_rows([p for p in batch if isinstance(p, Paper)], seen_at))
    return count, timer


def store_without_index(path: Path, workdir: Path) -> tuple[int, Timer]:
    """The import into a scratch database whose papers insert trigger is dropped: the cost of
    storing the rows and their B-tree indexes without FTS5."""
    db_path = workdir / "no_index.db"
    store = SQLiteStore(db_path)
    store.conn.execute("DROP TRIGGER papers_ai")
    with Timer() as timer:
        report = import_file(store, path, datetime.now(UTC))
    store.close()
    remove_database(db_path)
    return report.read, timer


def fts_only(path: Path, workdir: Path, tokenizer: str, hashsize: int, detail: str = "full") -> tuple[int, float]:
    """Seconds spent inside SQLite inserting the file's text into a bare FTS5 table on disk, with
    the papers index's tokenizer and pending-terms size, 20,000 papers per transaction as in the import."""
    db_path = workdir / f"fts_only_{detail}.db"
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    # Contentless, like the papers index (external content): only the index itself is written.
    db.execute(f"CREATE VIRTUAL TABLE f USING fts5(title, abstract, authors, content='', "
               f"tokenize='{tokenizer}', detail={detail})")
    db.execute("INSERT INTO f(f, rank) VALUES ('hashsize', ?)", [hashsize])
    db.commit()
    spent = 0.0
    count = 0
    rowid = 0
    for batch in iter_file_batches(path, 20000):
        rows = []
        for item in batch:
            if isinstance(item, Paper):
                rowid += 1
                rows.append((rowid, item.title, item.abstract, json.dumps(list(item.authors), ensure_ascii=False)))
        started = time.perf_counter()
        with db:
            db.executemany("INSERT INTO f(rowid, title, abstract, authors) VALUES (?, ?, ?, ?)", rows)
        spent += time.perf_counter() - started
        count += len(rows)
    db.close()
    remove_database(db_path)
    return count, spent


def tokenizer_of(store: SQLiteStore) -> str:
    sql = store.conn.execute("SELECT sql FROM sqlite_master WHERE name = 'papers_fts'").fetchone()[0]
    return sql.split("tokenize=", 1)[1].split("'")[1]


def hashsize_of(store: SQLiteStore) -> int:
    row = store.conn.execute("SELECT v FROM papers_fts_config WHERE k = 'hashsize'").fetchone()
    return int(row[0]) if row else 1024 * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--limit", type=int, default=None, help="only the first N lines (plain copy in a temp dir)")
    parser.add_argument("--db", type=Path, default=None, help="database to create (default: a temp dir)")
    args = parser.parse_args()
    if not args.file.is_file():
        print(f"no such file: {args.file} (the corpus lives in ../shared/corpus)", file=sys.stderr)
        return 2

    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="paperboy-bench-") as tmp:
        work = Path(tmp)
        source = limited_copy(args.file, args.limit, work) if args.limit else args.file
        print(f"file: {args.file}" + (f" (first {args.limit:,} lines)" if args.limit else ""))

        size, unpack = decompress_only(source)
        print(f"baseline, decompression alone: {size / 1e6:,.0f} MB in {unpack.wall:.1f}s "
              f"(cpu {unpack.cpu:.1f}s)")
        records, parse = parse_only(source)
        print(f"baseline, decompression + json.loads: {records / parse.wall:,.0f} records/s "
              f"({records:,} in {parse.wall:.1f}s, cpu {parse.cpu:.1f}s)")

        db_path = args.db or work / "import.db"
        remove_database(db_path)
        store = SQLiteStore(db_path)
        now = datetime.now(UTC)
        with Timer() as first_timer:
            first = import_file(store, source, now)
        rate = first.read / first_timer.wall
        print(f"import: {first.read:,} read, {first.new:,} new, {first.updated:,} updated, {first.skipped:,} skipped "
              f"in {first_timer.wall:.1f}s (cpu {first_timer.cpu:.1f}s on {os.cpu_count()} cores): "
              f"{rate:,.0f} papers/s")
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db_size = sum(Path(f"{db_path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{db_path}{s}").exists())
        print(f"database: {db_size / 1e6:,.0f} MB, {store.count_papers():,} papers")

        with Timer() as second_timer:
            second = import_file(store, source, now)
        print(f"second import: {second.new:,} new, {second.updated:,} updated in {second_timer.wall:.1f}s: "
              f"{second.read / second_timer.wall:,.0f} papers/s" + ("" if second.new == 0 else "  <-- NOT IDEMPOTENT"))
        tokenizer, hashsize = tokenizer_of(store), hashsize_of(store)
        store.close()

        indexed, fts_seconds = fts_only(source, work, tokenizer, hashsize)
        print(f"baseline, FTS5 indexing alone ({tokenizer}, hashsize {hashsize >> 20} MiB): "
              f"{indexed / fts_seconds:,.0f} papers/s ({fts_seconds:.1f}s inside SQLite)")
        bare, bare_seconds = fts_only(source, work, tokenizer, hashsize, detail="none")
        print(f"bound, the same index without term positions or counts (detail=none): "
              f"{bare / bare_seconds:,.0f} papers/s ({bare_seconds:.1f}s inside SQLite)")
        checked, rows = records_only(source)
        print(f"baseline, decompression + parsing + record checks + rows, stored nowhere: "
              f"{checked / rows.wall:,.0f} papers/s ({rows.cpu:.1f} CPU-s)")
        stored, plain = store_without_index(source, work)
        print(f"baseline, the import without the FTS5 index: {stored / plain.wall:,.0f} papers/s "
              f"({plain.wall:.1f}s, {plain.cpu:.1f} CPU-s)")
        sql_cpu = plain.cpu - rows.cpu
        print(f"CPU floor at 20,000 papers/s: decompression + json.loads {parse.cpu:.1f} + FTS5 alone "
              f"{fts_seconds:.1f} = {parse.cpu + fts_seconds:.1f} CPU-s; + record checks and rows "
              f"{rows.cpu - parse.cpu:.1f} + storing rows ~{sql_cpu:.1f} = "
              f"{rows.cpu + fts_seconds + sql_cpu:.1f} CPU-s, against {os.cpu_count() * records / 20000:.1f} "
              f"CPU-s that {os.cpu_count()} cores give in {records / 20000:.1f}s")
        print(f"ratios: import / FTS5-alone = {rate / (indexed / fts_seconds):.2f}, "
              f"import / json.loads = {rate / (records / parse.wall):.2f}, "
              f"decompression share of the import time = {unpack.wall / first_timer.wall:.0%}")
        print(f"target 20,000 papers/s: {'met' if rate >= 20000 else 'NOT met'} on this machine")
        print(f"machine after: load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
