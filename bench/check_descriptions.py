"""Checks the hand-written queries in bench/descriptions.json against the shared corpus.

    python bench/check_descriptions.py [--strict]

For every query: its arXiv id is in the corpus with an abstract, its kind is "description" or
"nickname", and nobody asks the same thing twice. For descriptions, the honesty checks: no run of
four words shared with the paper's title or abstract (a copied sentence), and no title word
beyond the common ones (a description that leans on the title is a title query in disguise).
For nicknames: whether the nickname is written in the paper's title or abstract (it names that
paper) and how many other titles carry it too (ambiguity: the query still wants the paper that
introduced the name). Prints every flag; --strict exits 1 when a description is flagged.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import corpus_available, iter_records  # noqa: E402
from paperboy.bot.search.fts import STOPWORDS  # noqa: E402

QUERIES = Path(__file__).resolve().parent / "descriptions.json"
KINDS = ("description", "nickname")
_WORD = re.compile(r"[a-z0-9]+")
# words that say nothing about which paper is meant, on top of the search stopwords
_COMMON = frozenset("""
    model models learning language large llm llms data based using via new paper approach method
    methods deep neural network networks training trained towards study analysis
""".split())


def load_queries(path: Path = QUERIES) -> list[dict]:
    return json.loads(path.read_text())


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def shared_ngrams(query: str, text: str, n: int = 4) -> set[str]:
    def grams(tokens: list[str]) -> set[str]:
        return {" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}
    return grams(words(query)) & grams(words(text))


def title_words(query: str, title: str) -> set[str]:
    ignored = STOPWORDS | _COMMON
    return {w for w in words(query) if len(w) > 2 and w not in ignored} & set(words(title))


def _compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _word_runs(text: str, longest: int = 4) -> list[str]:
    """Runs of up to `longest` whole words, written together: "V-JEPA 2" gives "vjepa2" and
    "REPA" is not found inside "repair"."""
    tokens = words(text)
    return ["".join(tokens[i:j]) for i in range(len(tokens)) for j in range(i + 1, min(i + longest, len(tokens)) + 1)]


def check(queries: list[dict]) -> tuple[list[str], list[str]]:
    """Returns (description flags, other notes)."""
    wanted = {q["id"] for q in queries}
    nicknames = {_compact(q["query"].removeprefix("the ").removesuffix(" paper")): q
                 for q in queries if q["kind"] == "nickname"}
    papers: dict[str, dict] = {}
    carrying: dict[str, int] = dict.fromkeys(nicknames, 0)
    for record in iter_records():
        if record.get("id") in wanted:
            papers[record["id"]] = record
        for nick in set(_word_runs(record.get("title") or "")) & carrying.keys():
            carrying[nick] += 1

    flags: list[str] = []
    notes: list[str] = []
    seen: set[str] = set()
    for q in queries:
        label = f"[{q['kind']}] {q['id']} {q['query']!r}"
        if q["kind"] not in KINDS:
            flags.append(f"{label}: unknown kind")
        if q["query"].lower() in seen:
            flags.append(f"{label}: asked twice")
        seen.add(q["query"].lower())
        paper = papers.get(q["id"])
        if paper is None or not paper.get("abstract"):
            flags.append(f"{label}: not in the corpus with an abstract")
            continue
        title, abstract = paper["title"], paper["abstract"]
        if q["kind"] == "description":
            count = len(words(q["query"]))
            if not 6 <= count <= 25:
                flags.append(f"{label}: {count} words (6-25 wanted)")
            copied = shared_ngrams(q["query"], title) | shared_ngrams(q["query"], abstract)
            if copied:
                flags.append(f"{label}: shares with the paper: {sorted(copied)}")
            borrowed = title_words(q["query"], title)
            if borrowed:
                flags.append(f"{label}: title words {sorted(borrowed)}")
        else:
            nick = _compact(q["query"].removeprefix("the ").removesuffix(" paper"))
            where = [name for name, text in (("title", title), ("abstract", abstract)) if nick in _compact(text)]
            notes.append(f"{label}: named in {'+'.join(where) or 'neither (check by hand)'}; "
                         f"{carrying[nick]} corpus titles carry it")
    return flags, notes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when anything is flagged")
    args = parser.parse_args()
    if not corpus_available():
        print("corpus not found (../shared/corpus); nothing to check")
        return 0
    queries = load_queries()
    flags, notes = check(queries)
    counts = {kind: sum(q["kind"] == kind for q in queries) for kind in KINDS}
    print(f"{len(queries)} queries: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for note in notes:
        print("  note", note)
    for flag in flags:
        print("  FLAG", flag)
    print(f"{len(flags)} flagged")
    return 1 if flags and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
