"""Papers like a given one: "more like this" by the paper's own distinctive terms.

The paper's title and abstract words (folded as paperboy.bot.text folds them, without stopwords and
the words too common in abstracts to tell anything, paperboy.bot.search.common_words) are weighed
by rarity, the inverse document frequency the full-text index gives for each, and title words count
more than abstract words. The heaviest few, under a budget of index entries that keeps the search
fast, are ORed into one full-text search; its best POOL candidates are scored again by how much of
that weight each one holds (in its title more than in its abstract, words compared in their one
canonical form, paperboy.bot.spelling) together with the index's own rank, then lifted for authors
(compared folded) and arXiv categories they share with the paper. The paper itself, and any other
record of it (its arXiv id, its key, its title), is never among the answers.

Only the paper's text is needed: a paper fetched from the sources and not stored works as well.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from paperboy.bot.ids import parse_paper_id
from paperboy.bot.models import Paper, normalize_title
from paperboy.bot.replies import Scored
from paperboy.bot.search import fts
from paperboy.bot.search.common_words import is_common_in_abstracts
from paperboy.bot.spelling import canonical
from paperboy.bot.text import words

TITLE_WEIGHT = 3.0  # a title word weighs this much more than one mention in the abstract
ABSTRACT_TOKENS = 400  # abstract words read (longer abstracts repeat their point)
ABSTRACT_CHARS = 5000
LOOKUPS = 24  # words whose document frequency is asked (title words first, then the abstract's most repeated)
MAX_TERMS = 12  # words in the search
COMMON_SHARE = 0.02  # a word in more than this share of the papers tells too little (and costs much to rank)
MIN_COMMON = 50  # ... counted in papers, for small libraries
POSTINGS_BUDGET = 8_000  # index entries the search may have to rank, summed over its words
POOL = 50  # candidates scored again
FTS_WEIGHTS = (5.0, 1.0, 0.0)  # title, abstract, authors: the words are the paper's title and abstract words
IN_ABSTRACT = 0.6  # a word found only in a candidate's abstract, against one in its title
OVERLAP_SHARE = 0.7  # the text score: this much the share of weight held, the rest the index's rank
AUTHOR_BOOST = 0.3  # at most (two or more shared authors), as a fraction of the text score
CATEGORY_BOOST = 0.2  # at most (the same categories), as a fraction of the text score
_NAME_BREAK = re.compile(r"\s*[,;]\s*|\s+and\s+")


@dataclass(frozen=True)
class Term:
    word: str  # as the index stores it: what the search asks for
    form: str  # canonical form: what candidates are compared by
    in_title: bool
    mentions: int  # in the abstract
    papers: int = 0  # document frequency
    weight: float = 0.0


def similar_papers(store, paper: Paper, limit: int = 5) -> list[Scored]:
    """The `limit` papers closest to `paper` in content, best first (synchronous: run it on the
    store's thread). Empty when the paper has no distinctive words the library knows."""
    if limit <= 0:
        return []
    terms = distinctive_terms(store, paper)
    if not terms:
        return []
    hits = store.fts_search(fts.quote_terms(t.word for t in terms), POOL, FTS_WEIGHTS)
    if not hits:
        return []
    found = store.get_papers_by_rowid([rowid for rowid, _ in hits])
    best_rank = hits[0][1] if hits[0][1] < 0 else -1e-9
    total = sum(t.weight for t in terms)
    own = _identity(paper)
    own_authors = _authors(paper)
    own_categories = set(paper.categories)
    scored = []
    for rowid, rank in hits:
        candidate = found.get(rowid)
        if candidate is None or candidate.withdrawn or _identity(candidate) & own:
            continue
        text = OVERLAP_SHARE * _overlap(terms, candidate) / total + (1 - OVERLAP_SHARE) * min(1.0, rank / best_rank)
        shared_authors = len(own_authors & _authors(candidate))
        categories = set(candidate.categories)
        shared_categories = len(own_categories & categories) / len(own_categories | categories) if categories else 0.0
        boost = 1 + AUTHOR_BOOST * min(shared_authors, 2) / 2 + CATEGORY_BOOST * shared_categories
        scored.append(Scored(candidate, round(text * boost, 4)))
    scored.sort(key=lambda s: -s.score)
    return scored[:limit]


def distinctive_terms(store, paper: Paper) -> list[Term]:
    """The paper's words worth searching for, heaviest first, with their document frequencies."""
    found: dict[str, Term] = {}
    order: list[str] = []
    for field, text, max_tokens, max_chars in (("title", paper.title, fts.MAX_TOKENS, fts.MAX_INPUT_CHARS),
                                                ("abstract", paper.abstract, ABSTRACT_TOKENS, ABSTRACT_CHARS)):
        folded = fts.tokenize(text, max_tokens, max_chars)
        indexed = fts.tokenize(text, max_tokens, max_chars, as_indexed=True)
        for word, as_indexed in zip(folded, indexed, strict=True):
            if len(word) < 2 or word in fts.STOPWORDS or word.isdigit() or is_common_in_abstracts(word):
                continue
            form = canonical(word)
            term = found.get(form)
            if term is None:
                term = found[form] = Term(as_indexed, form, field == "title", 0)
                order.append(form)
            if field == "abstract":
                found[form] = Term(term.word, form, term.in_title, term.mentions + 1)
    asked = sorted(order, key=lambda form: (not found[form].in_title, -found[form].mentions, order.index(form)))
    asked = asked[:LOOKUPS]
    if not asked:
        return []
    library = max(store.max_rowid(), 1)
    common = max(MIN_COMMON, int(library * COMMON_SHARE))
    counts = store.fts_counts([fts.quote_term(found[form].word) for form in asked], common)
    # A word only the paper itself holds finds nothing else: when the paper is stored, one is itself.
    alone = 1 if _stored(store, paper) else 0
    weighed = []
    for form, papers in zip(asked, counts, strict=True):
        if papers <= alone or papers >= common:
            continue
        term = found[form]
        rarity = math.log(1 + (library - papers + 0.5) / (papers + 0.5))
        weight = rarity * ((TITLE_WEIGHT if term.in_title else 0.0) + math.sqrt(min(term.mentions, 9)))
        weighed.append(Term(term.word, form, term.in_title, term.mentions, papers, weight))
    weighed.sort(key=lambda t: -t.weight)
    chosen, postings = [], 0
    for term in weighed:
        if postings + term.papers > POSTINGS_BUDGET:
            continue
        chosen.append(term)
        postings += term.papers
        if len(chosen) == MAX_TERMS:
            break
    return chosen


def _overlap(terms: list[Term], candidate: Paper) -> float:
    """The weight of the terms the candidate holds: in full in its title, IN_ABSTRACT in its abstract."""
    title = {canonical(w) for w in set(words(candidate.title))}
    abstract = {canonical(w) for w in set(fts.tokenize(candidate.abstract, ABSTRACT_TOKENS, ABSTRACT_CHARS))}
    return sum(t.weight * (1.0 if t.form in title else IN_ABSTRACT if t.form in abstract else 0.0) for t in terms)


def _identity(paper: Paper) -> set[str]:
    """What names a paper's record: its key, its arXiv id (without a version), its title's words."""
    names = {f"key:{paper.key}"}
    arxiv = parse_paper_id(paper.arxiv_id or "") or parse_paper_id(paper.key)
    if arxiv:
        names.add(f"arxiv:{arxiv}")
    title = normalize_title(paper.title or "")
    if title:
        names.add(f"title:{title}")
    return names


def _authors(paper: Paper) -> set[str]:
    """Author names folded. Some records hold the whole list in one string, "A, B and C": it is split."""
    names = (part for name in paper.authors for part in _NAME_BREAK.split(name))
    return {folded for folded in (" ".join(words(name)) for name in names) if folded}


def _stored(store, paper: Paper) -> bool:
    return store.get_paper(paper.key) is not None
