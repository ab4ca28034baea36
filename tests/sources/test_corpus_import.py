"""The real corpus, when it is beside the repo: the first 20,000 records import cleanly, and twice adds nothing."""
from __future__ import annotations

import itertools
import lzma
from datetime import UTC, datetime
from pathlib import Path

import pytest

from paperboy.bot.delivery.ingest import import_file
from paperboy.bot.models import normalize_title
from paperboy.bot.sources.files import iter_file
from paperboy.bot.text import words_any
from paperboy.storage.sqlite import SQLiteStore

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "papers-304k.jsonl.xz"
LINES = 20_000

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def corpus_head(tmp_path_factory) -> Path:
    """The first lines of the corpus as a temporary .xz file (never inside the repo)."""
    if not CORPUS.is_file():
        pytest.skip("../shared/corpus is not present")
    path = tmp_path_factory.mktemp("corpus") / "head.jsonl.xz"
    with lzma.open(CORPUS, "rb") as source, lzma.open(path, "wb", preset=0) as head:
        head.writelines(itertools.islice(source, LINES))
    return path


def test_the_corpus_head_imports_and_a_second_import_adds_nothing(corpus_head, tmp_path):
    store = SQLiteStore(tmp_path / "corpus.db")
    now = datetime(2026, 11, 26, tzinfo=UTC)

    first = import_file(store, corpus_head, now)

    assert first.read == LINES and first.skipped == 0
    assert first.new == store.count_papers() == LINES  # the corpus has one record per paper
    second = import_file(store, corpus_head, now)
    assert (second.new, second.updated, second.skipped) == (0, 0, 0)
    fts = store.conn.execute("SELECT count(*) FROM papers_fts WHERE papers_fts MATCH 'galaxy'").fetchone()[0]
    assert fts > 0


def test_fast_title_normalisation_matches_on_real_titles(corpus_head):
    titles = [p.title for p in iter_file(corpus_head)]
    assert len(titles) == LINES
    assert [t for t in titles if normalize_title(t) != " ".join(words_any(t))] == []
