"""How well one paper answers one query: title similarity and keyword evidence fused into a
score in [0, 1], and the rule for when the best answer is clearly good.

Title similarity is the best of several views, each scaled by how much it proves: the whole
title (typos forgiven by edit distance), one segment of it (the part before or after a colon,
an acronym-style name), its beginning (a half-remembered title), the same words in another
order, and how much of the query's rare vocabulary the title holds. Keyword evidence is the
share of the query's words the whole record contains and the FTS5 bm25 rank.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot import fts
from bot.models import Paper
from bot.query_terms import ARTICLES, QueryTerms
from bot.spelling import canonical
from bot.title_index import TitleIndex

_SEGMENT_BREAK = re.compile(r"\s*[:|;?!\u2013\u2014]\s*|\s+-\s+|\s*\(\s*|\s*\)\s*")

# Confidence: a title match must be this good and this far ahead of the next different title.
TITLE_CONFIDENT = 0.86
TITLE_MARGIN = 0.04
KEYWORD_CONFIDENT = 0.80
KEYWORD_MARGIN = 0.10
# Specificity a query must carry before matching only part of a title counts as sure.
MIN_PART_SPECIFICITY = 0.9


@dataclass(frozen=True)
class Judged:
    paper: Paper
    canonical_title: str  # what "the same title" means when looking for a runner-up
    title: float
    keywords: float
    score: float
    whole_title: bool = False

    @property
    def by_title(self) -> bool:
        return self.title >= self.keywords


def _content(words: list[str]) -> str:
    """Canonical words without articles: "reversal curse" is "The Reversal Curse"."""
    return " ".join(canonical(w) for w in words if w not in ARTICLES)


def segments(title: str) -> list[str]:
    """Canonical content text of each part of a title split at colons, dashes and brackets."""
    parts = [p for p in _SEGMENT_BREAK.split(title or "") if p and p.strip()]
    if len(parts) < 2:
        return []
    return [c for c in (_content(fts.tokenize(p)) for p in parts) if c]


def initials(text: str) -> str:
    return "".join(w[0] for w in text.split() if w)


@dataclass(frozen=True)
class TitleFit:
    score: float
    whole: bool  # the query matched the whole title, not a part of it


def title_similarity(terms: QueryTerms, title: str, norm_title: str, index: TitleIndex) -> TitleFit:
    words = norm_title.split()
    full = " ".join(canonical(w) for w in words)
    content = _content(words)
    query_full, query_content = terms.full, terms.content
    if not query_full or not full:
        return TitleFit(0.0, False)
    # The canonical views score a hair under the literal one, so an exact spelling ranks first.
    whole = max(fuzz.ratio(terms.norm, norm_title) / 100,
                0.995 * fuzz.ratio(query_full, full) / 100,
                0.995 * fuzz.ratio(query_content, content) / 100,
                0.96 * fuzz.token_sort_ratio(query_content, content) / 100)
    parts = []
    for part in segments(title):
        parts.append(0.97 * fuzz.ratio(query_content, part) / 100)
        if " " not in query_content and 2 <= len(query_content) <= 8 and " " in part:
            if query_content == initials(part):
                parts.append(0.9)
    if 10 <= len(query_full) < len(full):
        head = full[: len(query_full)]
        parts.append(fuzz.ratio(query_full, head) / 100 * (0.86 + 0.1 * len(query_full) / len(full)))
    parts.append(_coverage_view(terms, set(content.split()), index))
    best_part = max(parts)
    return TitleFit(max(whole, best_part), whole >= best_part)


def _coverage_view(terms: QueryTerms, title_words: set[str], index: TitleIndex) -> float:
    """All of a query's rare words in a title is strong evidence even when the title is longer."""
    if not terms.groups or not title_words:
        return 0.0
    held = wanted = 0.0
    matched_words: set[str] = set()
    for group in terms.groups:
        weight = group.weight
        wanted += weight
        hit = next((a for a in group.alternatives if a in title_words), None)
        if hit is not None:
            held += weight * (1.0 if hit == group.alternatives[0] else 0.92)
            matched_words.add(hit)
    if not wanted:
        return 0.0
    query_share = held / wanted
    title_weight = sum(index.idf(w) for w in title_words) or 1.0
    title_share = sum(index.idf(w) for w in matched_words) / title_weight
    return query_share ** 2 * (0.70 + 0.22 * min(1.0, title_share))


def keyword_evidence(terms: QueryTerms, paper: Paper, bm25_share: float) -> float:
    """Share of the query's words the record holds (squared), scaled by the bm25 rank share.

    Only words searched in the full text count: the halves of a split word ("semantic" and
    "poss" from "semanticposs") help find titles, but the record is judged on the word as typed."""
    searched = [g for g in terms.groups if g.fts_words]
    if not searched:
        return 0.0
    text = " ".join((paper.title, paper.abstract or "", " ".join(paper.authors), " ".join(paper.ai_keywords)))
    tokens = set(fts.tokenize(text, max_tokens=10_000, max_chars=50_000))
    held = sum(1.0 for g in searched if not tokens.isdisjoint(g.forms))
    share = held / len(searched)
    return 0.88 * share ** 2 * (0.55 + 0.45 * bm25_share)


def fuse(title: float, keywords: float) -> float:
    """The stronger evidence, nudged by the weaker one; 1.0 only when both are perfect."""
    return (max(title, keywords) + 0.05 * min(title, keywords)) / 1.05


def specificity(terms: QueryTerms, index: TitleIndex) -> float:
    """How much a query's words single out titles, in "unique words": the summed idf of its
    known words over the idf of a word only one title has."""
    total = sum(g.weight for g in terms.groups if any(index.knows(a) for a in g.alternatives))
    return total / max(index.max_idf(), 1e-9)


def is_confident(ranked: list[Judged], terms: QueryTerms, index: TitleIndex) -> bool:
    if not ranked:
        return False
    best = ranked[0]
    runner_up = next((j.score for j in ranked[1:] if j.canonical_title != best.canonical_title), 0.0)
    margin = best.score - runner_up
    if best.by_title:
        # One short word ("lora", "dpo") names many papers; it needs a wide lead to be sure.
        needed_margin = TITLE_MARGIN if len(terms.groups) > 1 else 3 * TITLE_MARGIN
        # A part of a title made of everyday words ("A Comprehensive Review") could be anyone's.
        if not best.whole_title and specificity(terms, index) < MIN_PART_SPECIFICITY:
            return False
        return best.title >= TITLE_CONFIDENT and margin >= needed_margin
    return len(terms.groups) >= 2 and best.keywords >= KEYWORD_CONFIDENT and margin >= KEYWORD_MARGIN
