"""Proposes (paper, sibling) pairs for bench/similar.py: papers of one named family in the corpus.

    python bench/similar_pairs.py [--limit 300] > /tmp/similar-candidates.txt

A family is a name a title opens with before its colon ("VideoLLaMA 2: ...", "VideoLLaMA 3: ..."),
cut to its first run of letters ("videollama"), that few titles open with (generic openings such
as "Towards" or "Rethinking" open hundreds) and whose papers share at least one author. The
earliest paper with an abstract is the query, the next one of the family its sibling. Nothing
here ranks by content: the pairs come from title families and authors only, so the benchmark
does not grade similar_papers by its own rule.

The proposals are read by hand (titles, authors, dates) and the real follow-ups and siblings,
with a one-line reason each, are kept in bench/similar_pairs.json.
"""
from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import iter_records, record_to_paper  # noqa: E402
from paperboy.bot.models import Paper, normalize_title  # noqa: E402
from paperboy.bot.text import words  # noqa: E402

MAX_FAMILY = 6  # titles opening with the name: more and it is a common word, not a name
_NAME = re.compile(r"[A-Za-z]{3,}")
_NAME_BREAK = re.compile(r"\s*[,;]\s*|\s+and\s+")


def family(title: str) -> str | None:
    """The family name a title opens with, lower case, or None."""
    head, colon, _ = title.partition(":")
    if not colon or len(head.split()) > 3:
        return None
    found = _NAME.match(head.strip())
    return found.group(0).lower() if found else None


def authors(paper: Paper) -> set[str]:
    names = (part for name in paper.authors for part in _NAME_BREAK.split(name))
    return {folded for folded in (" ".join(words(name)) for name in names) if folded}


def propose(limit: int) -> list[tuple[Paper, Paper, set[str]]]:
    families: dict[str, list[Paper]] = defaultdict(list)
    for record in iter_records():
        paper = record_to_paper(record)
        if paper is None:
            continue
        name = family(paper.title)
        if name:
            families[name].append(paper)
    proposals = []
    for members in families.values():
        if not 2 <= len(members) <= MAX_FAMILY:
            continue
        members.sort(key=lambda p: (p.published or "9999", p.key))
        for i, query in enumerate(members):
            if not query.abstract:
                continue
            later = [p for p in members[i + 1:] if authors(p) & authors(query)
                     and normalize_title(p.title) != normalize_title(query.title)]
            if later:
                proposals.append((query, later[0], authors(query) & authors(later[0])))
                break
    proposals.sort(key=lambda found: found[0].key)
    return proposals[:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=100_000)
    args = parser.parse_args()
    for query, sibling, shared in propose(args.limit):
        print(f"{query.key}\t{sibling.key}")
        print(f"   Q {query.published} {query.title}")
        print(f"   S {sibling.published} {sibling.title}")
        print(f"     shared: {', '.join(sorted(shared))}")


if __name__ == "__main__":
    main()
