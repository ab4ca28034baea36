"""Keyword search on PostgreSQL's own full-text search (tsvector, GIN, ts_rank_cd) against SQLite's
FTS5, for /paper at 304k papers: which one a PostgreSQL store should use for the full-text half of
a lookup (the title half is the process-local title index either way).

    python bench/postgres_search.py [--keep]

Starts a throwaway PostgreSQL server from the binaries on the machine (as the `postgres` user when
run as root), copies the corpus database's papers into it with a weighted tsvector (title A,
authors B, abstract C) and a GIN index, and runs bench/quality.py's 300 queries through the same
Matcher twice in one process: once with every store call on SQLite, once with the full-text
searches answered by PostgreSQL (the FTS5 expressions paperboy builds, turned into tsquery). Prints
top-1/top-5 by kind and latency by kind for both. Skips when the corpus, PostgreSQL or psycopg
(`pip install '.[postgres]'`) is absent.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import corpus_available, corpus_store  # noqa: E402
from bench.machine import describe_machine  # noqa: E402
from bench.queries import load_queries  # noqa: E402
from paperboy.bot.models import normalize_title  # noqa: E402
from paperboy.bot.search.matcher import Matcher  # noqa: E402
from paperboy.bot.text import words  # noqa: E402
from paperboy.storage.sqlite import SQLiteStore  # noqa: E402

WEIGHTS = "{0.0, 0.1, 0.2, 1.0}"  # D, C (abstract), B (authors), A (title): FTS5's 1 / 2 / 10
_TOKEN = re.compile(r'"((?:[^"]|"")*)"(\*?)|\(|\)|AND|OR')


class PostgresServer:
    """A throwaway server in a temporary folder, on a free loopback port."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="paperboy-pg-"))
        self.port = _free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.folder, "postgres")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> PostgresServer:
        data = self.folder / "data"
        subprocess.run([*self.as_user, "initdb", "-D", str(data), "-A", "trust", "-U", "postgres"],
                       check=True, capture_output=True)
        subprocess.run([*self.as_user, "pg_ctl", "-D", str(data), "-l", str(self.folder / "log"), "-w", "-o",
                        f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                        "-c shared_buffers=512MB -c fsync=off -c maintenance_work_mem=1GB", "start"],
                       check=True, capture_output=True)
        return self

    def stop(self) -> None:
        subprocess.run([*self.as_user, "pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def available() -> bool:
    return all(shutil.which(program) for program in ("initdb", "pg_ctl", "postgres"))


def to_tsquery(expression: str) -> str:
    """paperboy's FTS5 expression (quoted strings, AND, OR, parentheses, a trailing *) as to_tsquery
    text: a quoted string of several words becomes a phrase (<->)."""
    parts = []
    for match in _TOKEN.finditer(expression):
        token = match.group(0)
        if match.group(1) is not None:
            terms = words(match.group(1).replace('""', '"'))
            if not terms:
                terms = ["x"]  # keeps the expression well formed; matches next to nothing
            phrase = " <-> ".join(terms) + (":*" if match.group(2) else "")
            parts.append(f"({phrase})" if len(terms) > 1 else phrase)
        else:
            parts.append({"AND": "&", "OR": "|"}.get(token, token))
    return " ".join(parts)


class PostgresSearch(SQLiteStore):
    """The SQLite store, with its full-text searches answered by PostgreSQL over the same rows."""

    def __init__(self, path: Path, connection) -> None:
        super().__init__(path)
        self.pg = connection

    def fts_search(self, match_expression, limit=50, weights=(10.0, 1.0, 2.0)):
        rows = self.pg.execute(
            f"SELECT id, ts_rank_cd('{WEIGHTS}', tsv, q, 1) AS r FROM papers, to_tsquery('english', %s) q "
            "WHERE tsv @@ q ORDER BY r DESC LIMIT %s", [to_tsquery(match_expression), limit]).fetchall()
        return [(rowid, -rank) for rowid, rank in rows]

    def fts_count(self, match_expression, up_to):
        return self.pg.execute("SELECT count(*) FROM (SELECT 1 FROM papers, to_tsquery('english', %s) q "
                               "WHERE tsv @@ q LIMIT %s) s", [to_tsquery(match_expression), up_to]).fetchone()[0]


def copy_papers(sqlite_path: Path, connection) -> float:
    started = time.perf_counter()
    connection.execute("CREATE TABLE papers (id bigint PRIMARY KEY, title text, abstract text, authors text)")
    source = SQLiteStore(sqlite_path)
    with connection.cursor().copy("COPY papers (id, title, abstract, authors) FROM STDIN") as copy:
        for row in source.conn.execute("SELECT rowid, title, abstract, authors FROM papers"):
            copy.write_row(tuple(row))
    source.close()
    connection.execute(
        "ALTER TABLE papers ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
        "setweight(to_tsvector('english', coalesce(authors, '')), 'B') || "
        "setweight(to_tsvector('english', coalesce(abstract, '')), 'C')) STORED")
    connection.execute("CREATE INDEX papers_tsv ON papers USING gin (tsv)")
    connection.execute("ANALYZE papers")
    return time.perf_counter() - started


async def measure(store: SQLiteStore, queries: list[dict]) -> dict[str, dict]:
    matcher = Matcher(store)
    matcher.refresh()
    by_kind: dict[str, dict] = {}
    for query in queries:
        began = time.perf_counter()
        match = await matcher.lookup(query["query"], limit=5)
        took = time.perf_counter() - began
        marks = [s.paper.key == query["key"] or (query["kind"] != "id"
                                                 and normalize_title(s.paper.title) == query["norm_title"])
                 for s in match.candidates]
        kind = by_kind.setdefault(query["kind"], {"n": 0, "top1": 0, "top5": 0, "times": []})
        kind["n"] += 1
        kind["top1"] += bool(marks[:1] and marks[0])
        kind["top5"] += any(marks[:5])
        kind["times"].append(took)
    await matcher.aclose()
    return by_kind


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def report(results: dict[str, dict[str, dict]]) -> None:
    names = list(results)
    print(f"\n{'kind':12s}" + "".join(f"{n + ' top1/top5':>26s}{n + ' p50/p99 ms':>24s}" for n in names))
    kinds = list(next(iter(results.values())))
    totals = {name: [0, 0, 0] for name in names}
    for kind in kinds:
        row = f"{kind:12s}"
        for name in names:
            k = results[name][kind]
            totals[name][0] += k["n"]
            totals[name][1] += k["top1"]
            totals[name][2] += k["top5"]
            row += f"{100 * k['top1'] / k['n']:>19.1f}/{100 * k['top5'] / k['n']:5.1f}%"
            row += f"{1000 * statistics.median(k['times']):>16.1f}/{1000 * _p99(k['times']):6.1f}"
        print(row)
    print(f"{'all':12s}" + "".join(f"{100 * t[1] / t[0]:>19.1f}/{100 * t[2] / t[0]:5.1f}%{'':>24s}"
                                   for t in totals.values()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="leave the server's folder in place")
    args = parser.parse_args()
    if not corpus_available():
        print("corpus not found; nothing to measure")
        return 0
    if not available():
        print("PostgreSQL's initdb, pg_ctl and postgres are not on PATH; nothing to measure")
        return 0
    try:
        import psycopg
    except ImportError:
        print("psycopg is not installed: pip install '.[postgres]'; nothing to measure")
        return 0
    print(f"machine: {describe_machine()}")
    corpus = corpus_store()
    database = corpus.path
    corpus.close()
    queries = load_queries()
    server = PostgresServer().start()
    try:
        with psycopg.connect(server.url, autocommit=True) as connection:
            print(f"PostgreSQL {connection.info.server_version}: papers copied and indexed in "
                  f"{copy_papers(database, connection):.1f}s")
            results = {"sqlite": asyncio.run(measure(SQLiteStore(database), queries)),
                       "postgres": asyncio.run(measure(PostgresSearch(database, connection), queries))}
        report(results)
    finally:
        if not args.keep:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
