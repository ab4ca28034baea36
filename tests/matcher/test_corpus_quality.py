"""A quick quality check on real titles and abstracts: 50 queries over a 20k-paper slice of
the shared corpus (skipped when the corpus is absent). bench/quality.py is the full measure."""
from __future__ import annotations

import json
import lzma
import random
import re
from collections import Counter
from pathlib import Path

import pytest

from paperboy.bot.models import Paper, key_for_unnumbered, normalize_title
from paperboy.bot.search.matcher import Matcher
from paperboy.storage.sqlite import SQLiteStore

CORPUS_FILE = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "papers-304k.jsonl.xz"
SLICE = 20_000
SEED = 1234
_WORD = re.compile(r"[^\W_]+")


def _paper(record: dict) -> Paper | None:
    title = (record.get("title") or "").strip()
    if not title:
        return None
    return Paper(key=record.get("id") or key_for_unnumbered(title, record.get("venue")), title=title,
                 abstract=record.get("abstract"), authors=tuple(record.get("authors") or ()),
                 arxiv_id=record.get("id"), venue=record.get("venue"))


@pytest.fixture(scope="module")
def corpus_slice() -> tuple[SQLiteStore, list[Paper]]:
    if not CORPUS_FILE.is_file():
        pytest.skip("../shared/corpus is not present")
    rng = random.Random(SEED)
    papers: list[Paper] = []
    with lzma.open(CORPUS_FILE, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if number >= SLICE * 3:
                break
            if rng.random() < 1 / 3 and (paper := _paper(json.loads(line))):
                papers.append(paper)
    store = SQLiteStore(memory=True)
    store.upsert_papers(papers, "2025-01-01T00:00:00Z")
    yield store, papers
    store.close()


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w.isascii() and w.isalpha() and len(w) >= 5]


def _slip(word: str, rng: random.Random) -> str:
    at = rng.randrange(1, len(word) - 1)
    return word[:at] + word[at + 1] + word[at] + word[at + 2:] if rng.random() < 0.5 else word[:at] + word[at + 1:]


def _queries(papers: list[Paper]) -> list[tuple[str, str, Paper]]:
    rng = random.Random(SEED)
    frequencies = Counter(w for p in papers if p.abstract for w in set(_words(p.abstract)))
    pool = rng.sample(papers, 400)
    queries: list[tuple[str, str, Paper]] = []
    wanted = {"typos": 15, "lower": 10, "first_half": 10, "abstract": 15}
    for paper in pool:
        words = paper.title.split()
        if len(words) < 5:
            continue
        if wanted["typos"]:
            long_words = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
            if len(long_words) >= 2:
                for i in rng.sample(long_words, 2):
                    words[i] = _slip(words[i], rng)
                queries.append(("typos", " ".join(words), paper))
                wanted["typos"] -= 1
                continue
        if wanted["lower"]:
            queries.append(("lower", paper.title.lower(), paper))
            wanted["lower"] -= 1
        elif wanted["first_half"] and len(words) >= 8:
            queries.append(("first_half", " ".join(words[: len(words) // 2 + 1]), paper))
            wanted["first_half"] -= 1
        elif wanted["abstract"] and paper.abstract and len(paper.abstract) > 400:
            title_words = set(_words(paper.title))
            rare = sorted({w for w in _words(paper.abstract) if w not in title_words and frequencies[w] >= 2},
                          key=lambda w: frequencies[w])[:8]
            if len(rare) >= 4:
                queries.append(("abstract", " ".join(rng.sample(rare, 4)), paper))
                wanted["abstract"] -= 1
    return queries


@pytest.mark.corpus
async def test_fifty_queries_over_a_corpus_slice(corpus_slice):
    store, papers = corpus_slice
    queries = _queries(papers)
    assert len(queries) == 50
    matcher = Matcher(store)
    top1 = top5 = confident = confident_right = 0
    misses = []
    for kind, text, paper in queries:
        match = await matcher.lookup(text)
        titles = [normalize_title(c.paper.title) for c in match.candidates]
        right = normalize_title(paper.title)
        first = bool(titles) and titles[0] == right
        top1 += first
        top5 += right in titles
        confident += match.confident
        confident_right += match.confident and first
        if not first:
            misses.append((kind, text, paper.title, match.best.paper.title if match.best else None))
    assert top1 >= 45, misses  # 90%
    assert top5 >= 48, misses
    assert confident_right >= confident - 1, misses  # a confident answer is (almost) never wrong
