"""The store's own answer to a query: candidates from the title index (exact, prefix, word
sets) and from FTS5, each scored in full (ranking) and ranked; and title completions
while the user types.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process

from paperboy.bot.models import normalize_title
from paperboy.bot.search import fts
from paperboy.bot.search.position_sets import intersection, union
from paperboy.bot.search.query_terms import Group, QueryTerms, all_of_expression, any_of_expression, searchable_groups
from paperboy.bot.search.ranking import Judged, fuse, keyword_evidence, title_similarity
from paperboy.bot.search.title_index import TitleIndex
from paperboy.bot.spelling import canonical

FTS_WEIGHTS = (10.0, 1.0, 2.0)  # title, abstract, authors
FTS_LIMIT = 20
PRESCORED = 20  # title candidates scored in full (their records are read from the store)
COMPLETION_POOL = 3000
NEARLY_WHOLE_TITLE = 92  # fuzz.ratio of the whole query to a whole title
TITLE_PART_CHARS = 20  # a query this long that a title begins or ends with is taken for that title


def candidate_positions(index: TitleIndex, terms: QueryTerms) -> list[int]:
    """Titles equal to the query, beginning with it, or holding (nearly) all its words."""
    positions: dict[int, None] = {}
    for position in index.exact(terms.norm):
        positions[position] = None
    if len(terms.norm) >= 4:
        for position in index.with_prefix(terms.norm, 20):
            positions[position] = None
    for position in index.gather([g.alternatives for g in terms.groups], terms.full):
        positions[position] = None
    return list(positions)


@dataclass(frozen=True)
class Ranking:
    judged: list[Judged]  # best first
    crowded: bool = False  # the full-text search matched more records than it ranked


def fts_hits(store, terms: QueryTerms) -> tuple[dict[int, float], bool]:
    """rowid -> bm25 share (1.0 for the best hit) from the most specific search that finds any,
    and whether it matched more records than it ranked.

    The specific words as typed go first (a word titles lack may be an author's name or an
    abstract's term rather than a typo), then with spelling guesses, then only the words titles
    know, then any of the three rarest. A search that matches too much is narrowed with the
    common words, which are only worth their cost then."""
    specific, filler = searchable_groups(terms)
    if not specific:
        return {}, False
    attempts = [all_of_expression(specific)]  # each: every one of its groups must match
    if any(g.has_guesses for g in specific):
        attempts.insert(0, all_of_expression(specific, with_guesses=False))
    known = [g for g in specific if g.title_df or g.corrected]
    if known and len(known) < len(specific):
        attempts.append(all_of_expression(known))
    any_rare = any_of_expression(specific[:3]) if len(terms.groups) > 1 else ""
    for expression in [*attempts, any_rare]:
        if not expression:
            continue
        hits = []
        # Ranking every paper a word is in costs ~100 ms at millions of papers: when the search
        # would be narrowed anyway, the narrower one is ranked first.
        if filler and expression != any_rare and store.fts_count(expression, FTS_LIMIT) >= FTS_LIMIT:
            hits = store.fts_search(f"{expression} AND {all_of_expression(filler)}", FTS_LIMIT, FTS_WEIGHTS)
        hits = hits or store.fts_search(expression, FTS_LIMIT, FTS_WEIGHTS)
        if not hits:
            continue
        best = hits[0][1] or -1e-9
        return {rowid: (rank / best if best < 0 else 1.0) for rowid, rank in hits}, len(hits) >= FTS_LIMIT
    return {}, False


DESCRIPTION_TERMS = 10  # a description's telling words searched at most
DESCRIPTION_POSTINGS = 40_000  # papers those words may be in, all told: what the search costs
DESCRIPTION_COUNTED = 30_000  # counting a word's papers stops here (a word this common tells little)
DESCRIPTION_WEIGHTS = (1.0, 1.0, 0.5)  # title, abstract, authors: a description says what the abstract says
DESCRIPTION_HITS = 50


def described_hits(store, terms: QueryTerms) -> list[int]:
    """Papers whose title, abstract or authors say most of what a description says, best first:
    bm25 over any of its rarest words, as typed. A description rarely shares all its words with
    a paper (fts_hits wants every word); its rarest are the telling ones, and ranking every paper
    a common word is in costs hundreds of milliseconds, so words are taken rarest first while the
    papers they are in stay within DESCRIPTION_POSTINGS (three at least)."""
    groups = [g for g in terms.groups if g.typed and g.word not in fts.STOPWORDS]
    counts = store.fts_counts([fts.quote_terms(g.typed, "OR") for g in groups], DESCRIPTION_COUNTED)
    chosen: list[Group] = []
    postings = 0
    for count, group in sorted(zip(counts, groups, strict=True), key=lambda pair: pair[0]):
        if count == 0:
            continue
        if len(chosen) >= DESCRIPTION_TERMS or (postings + count > DESCRIPTION_POSTINGS and len(chosen) >= 3):
            break
        chosen.append(group)
        postings += count
    spellings = list(dict.fromkeys(s for g in chosen for s in g.typed))
    if not spellings:
        return []
    return [rowid for rowid, _ in store.fts_search(fts.quote_terms(spellings, "OR"), DESCRIPTION_HITS,
                                                     DESCRIPTION_WEIGHTS)]


def judge(store, index: TitleIndex, terms: QueryTerms, positions: list[int]) -> Ranking:
    """Every candidate scored, best first. Title candidates are shortlisted by a quick WRatio
    on their indexed titles; full-text hits are always scored. A query that is already nearly
    a whole title, or the whole beginning or end of one, skips the full-text search: it could only add
    worse candidates (and at millions of papers it is the slowest part of a lookup)."""
    by_rowid: dict[int, int] = {}
    title_like = False
    if positions:
        titles = {p: canonical_title(index.titles[p]) for p in positions}
        quick = process.extract(terms.full, titles, scorer=fuzz.WRatio, limit=PRESCORED)
        by_rowid = {index.rowids[p]: p for _, _, p in quick}
        title_like = any(fuzz.ratio(terms.full, titles[p]) >= NEARLY_WHOLE_TITLE for _, _, p in quick[:5]) \
            or begins_or_ends_a_title(index, terms, positions)
    bm25_share, crowded = ({}, False) if title_like else fts_hits(store, terms)
    for rowid in bm25_share:
        if rowid not in by_rowid and (position := index.position_of(rowid)) is not None:
            by_rowid[rowid] = position
    if not by_rowid:
        return Ranking([])
    papers = store.get_papers_by_rowid(list(by_rowid))
    judged = []
    for rowid, paper in papers.items():
        if paper.withdrawn:
            continue
        norm = index.titles[by_rowid[rowid]]
        fit = title_similarity(terms, paper.title, norm, index)
        keywords = keyword_evidence(terms, paper, bm25_share.get(rowid, 0.0))
        judged.append(Judged(paper, canonical_title(norm), fit.score, keywords, fuse(fit.score, keywords), fit.view))
    judged.sort(key=_rank_key, reverse=True)
    return Ranking(one_per_title(judged), crowded)


def begins_or_ends_a_title(index: TitleIndex, terms: QueryTerms, positions: list[int]) -> bool:
    """The query is a stored title's first words or its last ones (a title half remembered, or
    its part after the colon), as typed."""
    if len(terms.norm) < TITLE_PART_CHARS or len(terms.norm.split()) < 3:
        return False
    ending = " " + terms.norm
    return bool(index.with_prefix(terms.norm, 1)) or any(index.titles[p].endswith(ending) for p in positions)


def one_per_title(judged: list[Judged]) -> list[Judged]:
    """Each title once, at the place of its best-ranked record, shown as the record with an arXiv id
    when one of them has one (a paper stored twice, with and without its id)."""
    kept: dict[str, int] = {}
    out: list[Judged] = []
    for item in judged:
        title = normalize_title(item.paper.title)
        place = kept.get(title)
        if place is None:
            kept[title] = len(out)
            out.append(item)
        elif out[place].paper.arxiv_id is None and item.paper.arxiv_id is not None:
            out[place] = replace(out[place], paper=item.paper)
    return out


def _rank_key(judged: Judged) -> tuple:
    paper = judged.paper
    return (round(judged.score, 6), paper.upvotes or 0, bool(paper.abstract), paper.published or "")


def canonical_title(norm_title: str) -> str:
    return " ".join(canonical(w) for w in norm_title.split())


def word_completions(index: TitleIndex, norm: str, ends_word: bool, limit: int) -> list[int]:
    """Titles holding every finished word typed so far plus a word the unfinished one begins."""
    words = norm.split()
    finished = words if ends_word else words[:-1]
    unfinished = None if ends_word else words[-1]
    wanted = [canonical(w) for w in finished if w not in fts.STOPWORDS]
    if any(not index.knows(w) for w in wanted):
        return []
    endings = None
    if unfinished:
        # The vocabulary is in canonical form ("polici"): the word as typed so far may be one's
        # beginning, or its canonical form may ("policy" is "polici").
        endings = union([index.positions(word) for prefix in dict.fromkeys((unfinished, canonical(unfinished)))
                         for word in index.words_with_prefix(prefix, limit=30)])
    if wanted:
        pool = intersection([index.positions(w) for w in wanted] + ([endings] if endings is not None else []))
    else:
        pool = endings if endings is not None else union([])
    candidates = pool[:COMPLETION_POOL].tolist()
    ranked = process.extract(norm, [index.titles[p] for p in candidates], scorer=fuzz.WRatio, limit=limit)
    return [candidates[i] for _, _, i in ranked]
