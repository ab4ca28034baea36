"""Sentence vectors (paperboy.bot.search.semantic) without the model: stored compactly on SQLite and
PostgreSQL, resumed after a stopped or killed run without redoing a paper, searched in memory, and
embedded in the background while lookups go on. A small embedder of hashed words stands in for the
model here (it is an Embedder like the real one); the real model's tests are in
tests/matcher/test_semantic_matcher.py."""
from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from paperboy.bot.models import Paper
from paperboy.bot.search import semantic
from paperboy.bot.search.matcher import Matcher
from paperboy.storage.sqlite import SQLiteStore

SEEN_AT = "2026-01-20T08:00:00Z"
REPO = Path(__file__).resolve().parents[2]


class HashedWords:
    """An Embedder: each word adds a fixed pseudo-random direction; rows normalized."""

    name = "hashed-words@test"
    dim = 64

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.encoded: list[str] = []
        self.threads: set[str] = set()

    def encode(self, texts: list[str]) -> np.ndarray:
        self.threads.add(threading.current_thread().name)
        if self.delay:
            time.sleep(self.delay)
        self.encoded.extend(texts)
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "little")
                out[i] += np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def papers(n: int) -> list[Paper]:
    return [Paper(key=f"2601.{i:05d}", arxiv_id=f"2601.{i:05d}", title=f"Paper number {i} on topic t{i % 7}",
                  abstract=None if i % 3 == 0 else f"We study subject s{i} and method m{i % 5}.")
            for i in range(1, n + 1)]


def test_a_vector_is_a_scale_and_one_byte_a_dimension_and_keeps_its_dot_products():
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((200, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    blobs = [semantic.encode_vector(v) for v in vectors]
    assert {len(b) for b in blobs} == {4 + 384}
    index = semantic.VectorIndex(384)
    index.add(list(enumerate(blobs, start=1)))
    exact = vectors @ vectors[17]
    found = index.search_all(vectors[17], 5)
    assert index.search(vectors[17], 5, shortlist=200) == found  # the signs' shortlist holds the best
    assert found[0] == (18, pytest.approx(1.0, abs=0.01))
    assert [score for _, score in found] == sorted((score for _, score in found), reverse=True)
    for rowid, score in found:  # quantized scores stay within 0.01 of the float32 ones
        assert score == pytest.approx(exact[rowid - 1], abs=0.01)
    assert {rowid for rowid, _ in found[:2]} == {int(i) + 1 for i in np.argsort(-exact)[:2]}
    assert index.nbytes == 200 * (384 + 4 + 8 + 48)  # int8 components, a float32 scale, an int64 rowid, signs


def test_beyond_the_memory_size_signs_shortlist_and_stored_vectors_rescore(store):
    """Signs alone in memory (plus the rowid) find what scoring every int8 vector finds, with the same scores."""
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((20, 128)).astype(np.float32)
    vectors = centres[rng.integers(0, 20, 3000)] + 0.6 * rng.standard_normal((3000, 128)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = [(rowid, semantic.encode_vector(v)) for rowid, v in enumerate(vectors, start=1)]
    store.save_vectors(rows)
    exact = semantic.VectorIndex(128)
    signs = semantic.VectorIndex(128, in_memory=False, fetch=store.vectors_of)
    exact.add(rows)
    signs.add(rows)
    assert signs.nbytes == 3000 * (16 + 8) and exact.nbytes == 3000 * (128 + 4 + 8 + 16)
    for probe in (5, 777, 2024):
        query = vectors[probe] + 0.3 * rng.standard_normal(128).astype(np.float32)
        query /= np.linalg.norm(query)
        wanted, got = exact.search_all(query, 10), signs.search(query, 10, shortlist=300)
        assert exact.search(query, 10, shortlist=300) == got
        assert got[0] == wanted[0]
        assert signs.search(query, 10, shortlist=3000) == wanted  # everything shortlisted: exactly the same
        assert dict(got)[got[0][0]] == pytest.approx(dict(wanted)[got[0][0]], abs=1e-5)


def test_vectors_are_stored_compactly_on_both_engines(store):
    store.upsert_papers(papers(10), SEEN_AT)
    embedder = HashedWords()
    report = semantic.embed_pending(store, embedder, batch=4)
    assert report.done == 10 and store.count_vectors() == 10
    rows = [(rowid, vec) for _, rowid, vec in store.vectors_written_after(0, 100)]
    assert [r for r, _ in rows] == [r for r, _ in store.titles_since(0)]
    assert all(isinstance(b, bytes) and len(b) == 4 + HashedWords.dim for _, b in rows)
    scale, values = semantic.decode_vector(rows[0][1])
    first = embedder.encode([semantic.paper_text("Paper number 1 on topic t1", "We study subject s1 and method m1.")])[0]
    assert np.allclose(values * scale, first, atol=scale)
    assert semantic.embed_pending(store, embedder).done == 0  # nothing left to do


def test_a_stopped_run_resumes_without_redoing_a_paper(store):
    store.upsert_papers(papers(25), SEEN_AT)
    first = HashedWords()
    batches = []
    report = semantic.embed_pending(store, first, batch=5, should_stop=lambda: len(batches) >= 2,
                                    progress=lambda r: batches.append(r.done))
    assert report.done == 10 and store.count_vectors() == 10
    again = HashedWords()
    assert semantic.embed_pending(store, again, batch=5).done == 15
    assert len(again.encoded) == 15 and not set(again.encoded) & set(first.encoded)
    assert store.count_vectors() == 25


def test_a_paper_whose_text_changes_is_embedded_again_from_its_new_text(store):
    store.upsert_papers(papers(4), SEEN_AT)
    semantic.embed_pending(store, HashedWords())
    revised = papers(4)[1].with_changes(abstract="Version 2: we study a different subject entirely.")
    store.upsert_papers([revised, papers(4)[2].with_changes(upvotes=9)], SEEN_AT)  # a new version; an upvote
    assert store.count_vectors() == 3  # only the changed text lost its vector
    again = HashedWords()
    assert semantic.embed_pending(store, again).done == 1
    assert again.encoded == [semantic.paper_text(revised.title, revised.abstract)]


def test_vectors_of_another_model_are_made_again(store):
    store.upsert_papers(papers(6), SEEN_AT)
    semantic.embed_pending(store, HashedWords())

    class Other(HashedWords):
        name = "another-model"

    other = Other()
    assert semantic.embed_pending(store, other).done == 6
    assert store.get_state(semantic.MODEL_STATE) == "another-model"


def test_a_killed_process_resumes_where_its_last_batch_was_committed(tmp_path):
    db = tmp_path / "papers.db"
    setup = SQLiteStore(db)
    setup.upsert_papers(papers(40), SEEN_AT)
    setup.close()
    # The child embeds batches of 6 and is killed (SIGKILL: no cleanup at all) during its 4th batch.
    child = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_semantic_store import HashedWords
        from paperboy.bot.search import semantic
        from paperboy.storage.sqlite import SQLiteStore

        class Dying(HashedWords):
            def encode(self, texts):
                if len(self.encoded) >= 18:
                    os.kill(os.getpid(), signal.SIGKILL)
                return super().encode(texts)

        semantic.embed_pending(SQLiteStore({str(db)!r}), Dying(), batch=6)
    """)
    done = subprocess.run([sys.executable, "-c", child], cwd=REPO, timeout=60)
    assert done.returncode == -signal.SIGKILL
    store = SQLiteStore(db)
    try:
        assert store.count_vectors() == 18
        resumed = HashedWords()
        assert semantic.embed_pending(store, resumed, batch=6).done == 22
        assert len(resumed.encoded) == 22 and store.count_vectors() == 40
    finally:
        store.close()


async def test_background_embedding_never_blocks_answers(store):
    store.upsert_papers(papers(60), SEEN_AT)
    slow = HashedWords(delay=0.4)  # every batch takes 0.4 s of "encoding"
    search = semantic.SemanticSearch(store, slow)
    matcher = Matcher(store, semantic=search)
    await store.run(matcher.refresh)
    stop = asyncio.Event()
    loop_task = asyncio.create_task(semantic.embed_forever(store, slow, stop, batch=5, interval=0.05))
    try:
        while not slow.encoded:
            await asyncio.sleep(0.01)
        started = time.perf_counter()
        match = await matcher.lookup("Paper number 12 on topic t5")
        took = time.perf_counter() - started
        assert match.best is not None and match.best.paper.key == "2601.00012"
        assert took < 0.3, f"a lookup waited {took:.2f} s for the embedder"
    finally:
        stop.set()
        await asyncio.wait_for(loop_task, 5)  # it stops between batches
    assert loop_task.done() and loop_task.exception() is None
    assert 0 < store.count_vectors() <= 60
    assert "MainThread" not in slow.threads  # encoding ran off the event loop's thread


async def test_a_description_is_encoded_beside_the_full_text_search_and_a_name_not_at_all(store):
    store.upsert_papers(papers(12), SEEN_AT)
    embedder = HashedWords()
    semantic.embed_pending(store, embedder)
    embedder.encoded.clear()
    embedder.threads.clear()
    matcher = Matcher(store, semantic=semantic.SemanticSearch(store, embedder))
    query = "the one where they studied some subject with a method"
    match = await matcher.lookup(query)
    assert match.via == "description" and not match.confident
    assert embedder.encoded == [query]
    assert {name.split("_")[0] for name in embedder.threads} == {"paperboy-encode"}  # its own thread
    await matcher.lookup("s7 m2")  # too short to be a description: never encoded
    assert len(embedder.encoded) == 1
    await matcher.aclose()


async def test_the_background_loop_embeds_papers_stored_later(store):
    store.upsert_papers(papers(8), SEEN_AT)
    embedder = HashedWords()
    stop = asyncio.Event()
    task = asyncio.create_task(semantic.embed_forever(store, embedder, stop, batch=4, interval=0.05))
    try:
        for _ in range(200):
            if store.count_vectors() == 8:
                break
            await asyncio.sleep(0.02)
        store.upsert_papers([Paper(key="2602.00001", arxiv_id="2602.00001", title="A later paper")], SEEN_AT)
        for _ in range(200):
            if store.count_vectors() == 9:
                break
            await asyncio.sleep(0.02)
        assert store.count_vectors() == 9
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


def test_the_index_follows_new_vectors_and_finds_the_nearest(store):
    store.upsert_papers(papers(12), SEEN_AT)
    embedder = HashedWords()
    semantic.embed_pending(store, embedder, limit=6)
    search = semantic.SemanticSearch(store, embedder)
    assert search.refresh() == 6
    semantic.embed_pending(store, embedder)
    assert search.refresh() == 6 and len(search) == 12
    rowid_of = {title: rowid for rowid, title in store.titles_since(0)}
    nearest = search.nearest("Paper number 8 on topic t1. We study subject s8 and method m3.", 3)
    assert nearest[0] == (rowid_of["paper number 8 on topic t1"], pytest.approx(1.0, abs=0.01))
    assert nearest[1][1] < 0.9


def test_a_running_index_follows_a_paper_embedded_again_without_a_restart(store):
    store.upsert_papers(papers(6), SEEN_AT)
    embedder = HashedWords()
    semantic.embed_pending(store, embedder)
    search = semantic.SemanticSearch(store, embedder)
    assert search.refresh() == 6
    new_text = "Quokka routing for sparse mixtures of experts"
    revised = papers(6)[1].with_changes(abstract=new_text)
    store.upsert_papers([revised], SEEN_AT)
    semantic.embed_pending(store, embedder)
    assert search.refresh() == 1 and len(search) == 6  # replaced, not added beside the old one
    rowid = dict((title, r) for r, title in store.titles_since(0))[revised.title.lower()]
    nearest = search.nearest(semantic.paper_text(revised.title, new_text), 2)
    assert nearest[0] == (rowid, pytest.approx(1.0, abs=0.01))


def test_vectors_are_read_in_the_order_written_and_a_rewritten_one_comes_again(store):
    store.upsert_papers(papers(3), SEEN_AT)
    blob = semantic.encode_vector(np.ones(4, np.float32) / 2)
    rowids = [r for r, _ in store.titles_since(0)]
    store.save_vectors([(rowids[2], blob), (rowids[0], blob)])
    store.save_vectors([(rowids[1], blob)])
    written = store.vectors_written_after(0, 10)
    assert [r for _, r, _ in written] == [rowids[2], rowids[0], rowids[1]]
    last = written[-1][0]
    store.save_vectors([(rowids[2], blob)])
    assert [(r, b) for _, r, b in store.vectors_written_after(last, 10)] == [(rowids[2], blob)]
    assert store.count_vectors() == 3


def test_the_index_replaces_held_vectors_whatever_order_they_came_in():
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((6, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    blob = {i: semantic.encode_vector(v) for i, v in enumerate(vectors)}
    index = semantic.VectorIndex(32)
    index.add([(10, blob[0]), (20, blob[1])])
    index.add([(5, blob[2])])  # an older paper's first vector, after newer ones
    index.add([(20, blob[3]), (5, blob[4]), (30, blob[5])])
    assert len(index) == 4
    for rowid, i in ((10, 0), (20, 3), (5, 4), (30, 5)):
        assert index.search(vectors[i], 1, shortlist=4)[0] == (rowid, pytest.approx(1.0, abs=0.01))
    many = semantic.VectorIndex(32)  # papers embedded in no particular order, then all again
    rowids = rng.permutation(np.arange(1, 2001)).tolist()
    vectors = rng.standard_normal((2000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    for start in range(0, 2000, 300):
        many.add([(r, semantic.encode_vector(-vectors[r - 1])) for r in rowids[start:start + 300]])
    many.add([(r, semantic.encode_vector(vectors[r - 1])) for r in range(1, 2001)])
    assert len(many) == 2000
    for r in (1, 777, 2000):
        assert many.search(vectors[r - 1], 1, shortlist=2000)[0] == (r, pytest.approx(1.0, abs=0.01))
    signs = semantic.VectorIndex(32, in_memory=False, fetch=lambda rowids: {})
    signs.add([(1, blob[0]), (2, blob[1])])
    signs.add([(1, blob[1])])
    assert len(signs) == 2


def test_switched_off_or_absent_vectors_mean_no_semantic_search(store):
    store.upsert_papers(papers(3), SEEN_AT)
    assert semantic.open_semantic(store, env={"PAPERBOY_SEMANTIC": "0"}) is None
    assert semantic.open_semantic(store, env={}) is None  # no vectors yet: nothing to load


def test_without_torch_the_model_says_how_to_install_the_extra():
    code = textwrap.dedent("""
        import sys
        sys.modules["torch"] = None  # as if PyTorch were not installed
        from paperboy.bot.search import semantic
        from paperboy.bot.search.matcher import Matcher  # lookups import fine without it
        try:
            semantic.MiniLMEmbedder().encode(["a description"])
        except semantic.SemanticUnavailable as exc:
            print(exc)
            raise SystemExit(0)
        raise SystemExit("no error")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr
    assert "semantic extra" in done.stdout and f"{sys.executable} -m pip install " in done.stdout
    assert "[semantic]'" in done.stdout  # the package, or the clone paperboy runs from
