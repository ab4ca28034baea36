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

from paperboy.bot.models import Paper
from paperboy.bot.search import fts
from paperboy.bot.search.query_terms import ARTICLES, QueryTerms
from paperboy.bot.search.title_index import TitleIndex
from paperboy.bot.spelling import canonical

_SEGMENT_BREAK = re.compile(r"\s*[:|;?!\u2013\u2014]\s*|\s+-\s+|\s*\(\s*|\s*\)\s*")

# Confidence: a title match must be this good and this far ahead of the next different title.
TITLE_CONFIDENT = 0.88
TITLE_MARGIN = 0.04
KEYWORD_CONFIDENT = 0.76
KEYWORD_MARGIN = 0.10
# Specificity a query must carry before matching only part of a title counts as sure.
MIN_PART_SPECIFICITY = 0.9
MIN_WORDS_SPECIFICITY = 1.2


@dataclass(frozen=True)
class Judged:
    paper: Paper
    canonical_title: str  # what "the same title" means when looking for a runner-up
    title: float
    keywords: float
    score: float
    title_view: str = "words"  # TitleFit.view of the title score

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
    view: str  # what matched: the "whole" title, a "segment", its "beginning", or its "words"


def title_similarity(terms: QueryTerms, title: str, norm_title: str, index: TitleIndex) -> TitleFit:
    words = norm_title.split()
    full = " ".join(canonical(w) for w in words)
    content = _content(words)
    query_full, query_content = terms.full, terms.content
    if not query_full or not full:
        return TitleFit(0.0, "words")
    # The canonical views score a hair under the literal one, so an exact spelling ranks first.
    reordered = 0.96 * fuzz.token_sort_ratio(query_content, content) / 100
    same_length = query_content.count(" ") == content.count(" ")
    whole = max(fuzz.ratio(terms.norm, norm_title) / 100,
                0.995 * fuzz.ratio(query_full, full) / 100,
                0.995 * fuzz.ratio(query_content, content) / 100,
                reordered if same_length else 0.0)
    # The same words in another order are the whole title only when no word is missing.
    scattered = [_coverage_view(terms, set(content.split()), index)] + ([] if same_length else [reordered])
    parts = []
    for part in segments(title):
        parts.append(0.97 * fuzz.ratio(query_content, part) / 100)
        if " " not in query_content and 2 <= len(query_content) <= 8 and " " in part:
            if query_content == initials(part):
                parts.append(0.9)
    beginning = 0.0
    if 10 <= len(query_full) < len(full):
        head = full[: len(query_full)]
        beginning = fuzz.ratio(query_full, head) / 100 * (0.86 + 0.1 * len(query_full) / len(full))
    views = {"whole": whole, "segment": max(parts, default=0.0), "beginning": beginning,
             "words": max(scattered)}
    view = max(views, key=views.__getitem__)  # ties go to the earlier, stricter view
    return TitleFit(views[view], view)


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
    # A record that only has a guess at a word ("marker" for "Parker") holds it less surely.
    held = sum(1.0 if not tokens.isdisjoint(g.forms) else 0.7 if not tokens.isdisjoint(g.guessed_forms) else 0.0
               for g in searched)
    share = held / len(searched)
    return 0.88 * share ** 2 * (0.8 + 0.2 * bm25_share)


def fuse(title: float, keywords: float) -> float:
    """The stronger evidence, nudged by the weaker one; 1.0 only when both are perfect."""
    return (max(title, keywords) + 0.05 * min(title, keywords)) / 1.05


def specificity(terms: QueryTerms, index: TitleIndex) -> float:
    """How much a query's words single out titles, in "unique words": the summed idf of its
    known words over the idf of a word only one title has."""
    total = sum(g.weight for g in terms.groups if any(index.knows(a) for a in g.alternatives))
    return total / max(index.max_idf(), 1e-9)


def is_confident(ranked: list[Judged], terms: QueryTerms, index: TitleIndex, crowded: bool = False) -> bool:
    """Whether the best is clearly right. A keyword answer also needs the words to be rare
    enough that the full-text search found only a handful of records (not `crowded`)."""
    if not ranked:
        return False
    best = ranked[0]
    runner_up = next((j.score for j in ranked[1:] if j.canonical_title != best.canonical_title), 0.0)
    margin = best.score - runner_up
    if best.by_title:
        # One short word ("lora", "dpo") names many papers; it needs a wide lead to be sure.
        needed_margin = TITLE_MARGIN if len(terms.groups) > 1 else 3 * TITLE_MARGIN
        # A part of a title made of everyday words ("A Comprehensive Review") could be anyone's;
        # words merely found in a longer title need to be rarer still; and a beginning must
        # be the beginning of one title only.
        view = best.title_view
        needed = MIN_WORDS_SPECIFICITY if view == "words" else MIN_PART_SPECIFICITY if view != "whole" else 0.0
        if needed and specificity(terms, index) < needed:
            return False
        if view == "beginning" and len(index.with_prefix(terms.norm, 2)) != 1:
            return False
        return best.title >= TITLE_CONFIDENT and margin >= needed_margin
    return (len(terms.groups) >= 2 and not crowded and best.keywords >= KEYWORD_CONFIDENT
            and margin >= KEYWORD_MARGIN)
