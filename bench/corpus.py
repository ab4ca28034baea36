"""The shared corpus as a paperboy database, built once and cached for the benchmarks.

    python bench/corpus.py      # builds $PAPERBOY_BENCH_CACHE/corpus-all.db (default /tmp/paperboy-bench)

Uses paperboy.bot.delivery.ingest.import_file (`paperboy import`'s loader); falls back to a small loader of its
own should that fail, and for slices (corpus_store(limit=N)).
"""
from __future__ import annotations

import json
import lzma
import os
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from paperboy.bot.models import Paper, key_for_unnumbered  # noqa: E402
from paperboy.storage.sqlite import SQLiteStore  # noqa: E402

CORPUS = Path(os.environ.get("PAPERBOY_CORPUS", ROOT.parent / "shared" / "corpus" / "papers-304k.jsonl.xz"))
CACHE_DIR = Path(os.environ.get("PAPERBOY_BENCH_CACHE", "/tmp/paperboy-bench"))
_LOADED_MARK = "bench_corpus_loaded"


def corpus_available() -> bool:
    return CORPUS.exists()


def iter_records(limit: int | None = None) -> Iterator[dict]:
    with lzma.open(CORPUS, "rt", encoding="utf-8") as lines:
        for count, line in enumerate(lines):
            if limit is not None and count >= limit:
                return
            yield json.loads(line)


def record_to_paper(record: dict) -> Paper | None:
    title = (record.get("title") or "").strip()
    if not title:
        return None
    arxiv_id = record.get("id")
    authors = record.get("authors") or ([record["first_author"]] if record.get("first_author") else [])
    return Paper(
        key=arxiv_id or key_for_unnumbered(title, record.get("venue")),
        title=title,
        abstract=record.get("abstract"),
        authors=tuple(authors),
        published=record.get("published"),
        categories=tuple(record.get("categories") or ()),
        arxiv_id=arxiv_id,
        venue=record.get("venue"),
        source="corpus",
    )


def load_into(store: SQLiteStore, records: Iterator[dict], batch_size: int = 5000) -> int:
    loaded = 0
    batch: list[Paper] = []
    for record in records:
        paper = record_to_paper(record)
        if paper is None:
            continue
        batch.append(paper)
        if len(batch) >= batch_size:
            loaded += store.upsert_papers(batch, "2026-01-01T00:00:00Z").changed
            batch = []
    if batch:
        loaded += store.upsert_papers(batch, "2026-01-01T00:00:00Z").changed
    return loaded


def _import_with_ingest(store: SQLiteStore) -> bool:
    try:
        from paperboy.bot.delivery.ingest import import_file  # type: ignore[attr-defined]
    except ImportError:
        return False
    import_file(store, CORPUS, datetime.now(UTC))
    return True


def corpus_store(limit: int | None = None, quiet: bool = False) -> SQLiteStore:
    """A Store holding the corpus (or its first `limit` records), built on first use."""
    name = f"corpus-{limit or 'all'}.db"
    path = CACHE_DIR / name
    path.parent.mkdir(parents=True, exist_ok=True)
    store = SQLiteStore(path)
    if store.get_state(_LOADED_MARK):
        _name_papers(store, quiet)
        return store
    started = time.perf_counter()
    if not quiet:
        print(f"building {path} from {CORPUS} (once) ...", file=sys.stderr, flush=True)
    if limit is not None or not _safe_ingest(store):
        load_into(store, iter_records(limit))
    _name_papers(store, quiet)
    store.set_state(_LOADED_MARK, "1")
    if not quiet:
        print(f"built {store.count_papers()} papers in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return store


def _name_papers(store: SQLiteStore, quiet: bool) -> None:
    """Names for the papers waiting for them (all of a new library, or of one built before names
    were kept), as a running bot's leader would mine them."""
    from paperboy.bot.search.naming import name_all_pending

    if not store.names_left():
        return
    started = time.perf_counter()
    covered = name_all_pending(store, 5000)
    if not quiet:
        print(f"mined the names of {covered} papers in {time.perf_counter() - started:.1f}s", file=sys.stderr)


def _safe_ingest(store: SQLiteStore) -> bool:
    try:
        return _import_with_ingest(store)
    except Exception as exc:  # an in-progress ingest module must not stop the benchmarks
        print(f"paperboy.bot.delivery.ingest.import_file failed ({exc!r}); using the built-in loader", file=sys.stderr)
        return False


if __name__ == "__main__":
    if not corpus_available():
        print(f"corpus not found at {CORPUS}; nothing to build")
        sys.exit(0)
    built = corpus_store()
    print(f"{built.count_papers()} papers in {CACHE_DIR}")
