"""A deterministic /paper query set over the shared corpus, for bench/quality.py and bench/latency.py.

    python bench/queries.py            # writes (once) and summarizes the query set

Kinds: exact titles, lower-case titles, titles with one and with two typos, the first half of
a title, the subtitle (after the colon), distinctive abstract words, and arXiv ids in the forms
people paste. Seeded sampling, so every run asks the same questions.
"""
from __future__ import annotations

import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import CACHE_DIR, corpus_available, iter_records, record_to_paper  # noqa: E402
from paperboy.bot.models import normalize_title  # noqa: E402
from paperboy.bot.search.fts import STOPWORDS  # noqa: E402

SEED = 20240917
VERSION = 2
PER_KIND = {
    "exact": 30, "lower": 30, "typo1": 40, "typo2": 40, "first_half": 40, "subtitle": 30,
    "abstract": 50, "id": 40,
}
_TOKEN = re.compile(r"[^\W_]+")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def query_set_path() -> Path:
    return CACHE_DIR / f"queries-v{VERSION}.json"


def load_queries() -> list[dict]:
    """The query set, generated on first use. Each: {kind, query, key, norm_title}."""
    path = query_set_path()
    if not path.exists():
        queries = generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(queries, indent=1, ensure_ascii=False))
    return json.loads(path.read_text())


def _abstract_frequencies() -> tuple[Counter, int]:
    frequencies: Counter = Counter()
    count = 0
    for record in iter_records():
        count += 1
        abstract = record.get("abstract")
        if abstract:
            frequencies.update(set(_words(abstract)))
    return frequencies, count


def _words(text: str) -> list[str]:
    """Whole tokens as the index splits them, kept only when purely alphabetic ASCII: a piece
    such as "efficientnetb" out of "EfficientNetB0" is not a word anyone could search for."""
    return [t for t in _TOKEN.findall(text.lower()) if t.isascii() and t.isalpha()]


def generate() -> list[dict]:
    print("generating the query set (one pass over the corpus for word frequencies) ...", file=sys.stderr)
    frequencies, count = _abstract_frequencies()
    rng = random.Random(SEED)
    order = list(range(count))
    rng.shuffle(order)
    wanted = set(order[:12_000])
    sampled: dict[int, dict] = {}
    for number, record in enumerate(iter_records()):
        if number in wanted:
            sampled[number] = record
    pool = [sampled[n] for n in order[:12_000] if n in sampled]

    queries: list[dict] = []
    makers = {
        "exact": lambda r: r["title"],
        "lower": lambda r: r["title"].lower(),
        "typo1": lambda r: with_typos(r["title"], 1, rng),
        "typo2": lambda r: with_typos(r["title"], 2, rng),
        "first_half": first_half,
        "subtitle": subtitle,
        "abstract": lambda r: abstract_words(r, frequencies, rng),
        "id": lambda r: id_form(r, rng),
    }
    used: set[str] = set()
    for kind, needed in PER_KIND.items():
        made = 0
        for record in pool:
            if made >= needed:
                break
            paper = record_to_paper(record)
            if paper is None or paper.key in used or len(record["title"].split()) < 3:
                continue
            query = makers[kind](record)
            if not query:
                continue
            used.add(paper.key)
            queries.append({"kind": kind, "query": query, "key": paper.key,
                            "norm_title": normalize_title(paper.title)})
            made += 1
    return queries


def with_typos(title: str, count: int, rng: random.Random) -> str | None:
    """`count` single-letter slips (swap, drop, double, replace) in different words of 4+ letters."""
    words = title.split(" ")
    eligible = [i for i, w in enumerate(words) if sum(ch.isalpha() for ch in w) >= 4]
    if len(eligible) < count:
        return None
    for i in rng.sample(eligible, count):
        words[i] = _slip(words[i], rng)
    changed = " ".join(words)
    return changed if changed != title else None


def _slip(word: str, rng: random.Random) -> str:
    letters = [i for i, ch in enumerate(word) if ch.isalpha()]
    at = rng.choice(letters[1:] or letters)
    kind = rng.choice(("swap", "drop", "double", "replace"))
    if kind == "swap" and at + 1 < len(word) and word[at + 1].isalpha():
        return word[:at] + word[at + 1] + word[at] + word[at + 2:]
    if kind == "drop":
        return word[:at] + word[at + 1:]
    if kind == "double":
        return word[:at] + word[at] + word[at:]
    replacement = rng.choice([ch for ch in _LETTERS if ch != word[at].lower()])
    return word[:at] + replacement + word[at + 1:]


def first_half(record: dict) -> str | None:
    words = record["title"].split()
    if len(words) < 6:
        return None
    return " ".join(words[: (len(words) + 1) // 2])


def subtitle(record: dict) -> str | None:
    title = record["title"]
    if ":" not in title:
        return None
    after = title.split(":", 1)[1].strip()
    return after if len(after.split()) >= 3 else None


def abstract_words(record: dict, frequencies: Counter, rng: random.Random) -> str | None:
    """Four of the abstract's ten most distinctive real words, none of them in the title.

    Distinctive: in few abstracts. Real: in at least five (a word seen once or twice is mostly a
    line-break fragment such as "servations", which nobody would type)."""
    abstract = record.get("abstract")
    if not abstract or len(abstract) < 300:
        return None
    title_words = set(_words(record["title"]))
    words = []
    for word in _words(abstract):
        if (word not in STOPWORDS and word not in title_words and word not in words
                and len(word) >= 5 and 5 <= frequencies[word] <= 5000):
            words.append(word)
    if len(words) < 6:
        return None
    distinctive = sorted(words, key=lambda w: frequencies[w])[:10]
    chosen = set(rng.sample(distinctive, 4))
    return " ".join(w for w in words if w in chosen)


def id_form(record: dict, rng: random.Random) -> str | None:
    paper_id = record.get("id")
    if not paper_id:
        return None
    forms = [
        paper_id, f"{paper_id}v2", f"arXiv:{paper_id}", f"https://arxiv.org/abs/{paper_id}",
        f"https://arxiv.org/pdf/{paper_id}v1.pdf", f"https://huggingface.co/papers/{paper_id}",
        f"https://doi.org/10.48550/arXiv.{paper_id}", f"alphaxiv.org/overview/{paper_id}",
    ]
    return rng.choice(forms)


if __name__ == "__main__":
    if not corpus_available():
        print("corpus not found; skipping")
        sys.exit(0)
    queries = load_queries()
    print(f"{len(queries)} queries in {query_set_path()}")
    for kind in PER_KIND:
        sample = [q["query"] for q in queries if q["kind"] == kind][:3]
        print(f"  {kind:10s} {sum(q['kind'] == kind for q in queries):3d}  e.g. {sample}")
