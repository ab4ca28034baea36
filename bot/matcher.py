"""One query in, ranked papers out: arXiv ids resolve exactly; titles (typos and all) and
keywords go through the in-memory title index and FTS5, fused into one ranking; what the store
cannot answer confidently is also asked of the paper sources, within a time bound.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

from rapidfuzz import fuzz, process

from bot import fts
from bot.clock import Clock, SystemClock, iso
from bot.ids import find_paper_ids, parse_paper_id
from bot.models import Paper, normalize_title
from bot.query_terms import (
    QueryTerms, all_of_expression, analyze, any_of_expression, searchable_groups, specific_groups,
)
from bot.ranking import Judged, fuse, is_confident, keyword_evidence, title_similarity
from bot.replies import Scored
from bot.spelling import canonical
from bot.title_index import TitleIndex

log = logging.getLogger(__name__)

FetchById = Callable[[str], Awaitable["Paper | None"]]
SearchRemote = Callable[[str, int], Awaitable[list[Paper]]]

FTS_WEIGHTS = (10.0, 1.0, 2.0)  # title, abstract, authors
FTS_LIMIT = 20
PRESCORED = 20  # candidates scored in full (their records are read from the store)
REMOTE_RESULTS = 10
_COMPLETION_POOL = 3000


@dataclass(frozen=True)
class Match:
    query: str
    best: Scored | None
    alternatives: tuple[Scored, ...] = ()
    confident: bool = False
    via: str = "none"  # "id", "title", "keywords", "remote" or "none"
    paper_id: str | None = None  # the arXiv id the query named, if it named one
    note: str | None = None  # why an answer is missing or thin (not found, a source timed out)

    @property
    def candidates(self) -> tuple[Scored, ...]:
        return ((self.best,) if self.best else ()) + self.alternatives


class Matcher:
    def __init__(self, store, *, fetch_by_id: FetchById | None = None,
                 search_remote: SearchRemote | None = None, remote_timeout: float = 2.0,
                 clock: Clock | None = None):
        self.store = store
        self._fetch_by_id = fetch_by_id
        self._search_remote = search_remote
        self.remote_timeout = remote_timeout
        self._clock = clock or SystemClock()
        self._index: TitleIndex | None = None
        self._stragglers: set[asyncio.Task] = set()
        self.build_seconds: float | None = None

    # ---- the in-memory index --------------------------------------------------------------

    def refresh(self) -> int:
        """Builds the title index, or adds the rows stored since; returns how many were added."""
        if self._index is None:
            started = time.perf_counter()
            self._index = TitleIndex.build(self.store.iter_titles())
            self.build_seconds = time.perf_counter() - started
            log.info("title index: %d papers in %.2fs", len(self._index), self.build_seconds)
            return len(self._index)
        if self.store.max_rowid() <= self._index.max_rowid:
            return 0
        return self._index.add(self.store.titles_since(self._index.max_rowid))

    def rebuild(self) -> int:
        """From scratch: for when stored titles were changed rather than added."""
        self._index = None
        return self.refresh()

    @property
    def index(self) -> TitleIndex:
        self.refresh()
        assert self._index is not None
        return self._index

    # ---- lookups --------------------------------------------------------------------------

    async def lookup(self, query: str, limit: int = 5) -> Match:
        """The paper a query means: by id, else from the store, else from the paper sources."""
        text = (query or "").strip()
        limit = max(1, limit)
        paper_id = parse_paper_id(text) or _single_linked_id(text)
        if paper_id:
            return await self._lookup_id(text, paper_id)
        match = self.rank(text, limit)
        if match.confident or self._search_remote is None or not fts.tokenize(match.query):
            return match
        return await self._with_remote(match, limit)

    def rank(self, query: str, limit: int = 5) -> Match:
        """The store's answer alone (no sources), synchronously."""
        index = self.index
        terms = analyze(query, index)
        if terms.is_empty:
            return Match(query=terms.text, best=None, note="empty query")
        judged = self._judge(terms, index, self._candidate_positions(terms, index))
        return _to_match(terms, judged, limit, index)

    def suggest_titles(self, partial: str, limit: int = 25) -> list[Paper]:
        """Papers whose titles begin with (or contain the words of) what the user has typed so far."""
        text = (partial or "").strip()[:300]
        paper_id = parse_paper_id(text)
        if paper_id:
            found = self.store.get_paper(paper_id)
            return [found] if found else []
        norm = normalize_title(text)
        if not norm or limit <= 0:
            return []
        index = self.index
        positions = index.with_prefix(norm, limit)
        if len(positions) < limit:
            for position in self._word_completions(norm, ends_word=partial[-1:].isspace(), index=index,
                                                   limit=limit * 2):
                if position not in positions:
                    positions.append(position)
                if len(positions) >= limit:
                    break
        papers = self.store.get_papers_by_rowid([index.rowids[p] for p in positions])
        return [papers[index.rowids[p]] for p in positions if index.rowids[p] in papers]

    @staticmethod
    def _word_completions(norm: str, ends_word: bool, index: TitleIndex, limit: int) -> list[int]:
        """Titles holding every finished word typed so far plus a word the unfinished one begins."""
        words = norm.split()
        finished = words if ends_word else words[:-1]
        unfinished = None if ends_word else words[-1]
        wanted = [canonical(w) for w in finished if w not in fts.STOPWORDS]
        if any(not index.knows(w) for w in wanted):
            return []
        endings: set[int] = set()
        if unfinished:
            for word in index.words_with_prefix(unfinished, limit=30):
                endings.update(index.positions(word))
        if wanted:
            sets = sorted((index.positions(w) for w in wanted), key=len)
            pool = sets[0].intersection(*sets[1:])
            if unfinished:
                pool = pool & endings
        else:
            pool = endings
        candidates = list(pool)[:_COMPLETION_POOL]
        ranked = process.extract(norm, [index.titles[p] for p in candidates], scorer=fuzz.WRatio, limit=limit)
        return [candidates[i] for _, _, i in ranked]

    async def aclose(self) -> None:
        """Waits for source calls that were cut off at their deadline to finish cancelling."""
        for task in list(self._stragglers):
            task.cancel()
        if self._stragglers:
            await asyncio.gather(*self._stragglers, return_exceptions=True)
        self._stragglers.clear()

    # ---- ids ------------------------------------------------------------------------------

    async def _lookup_id(self, text: str, paper_id: str) -> Match:
        paper = self.store.get_paper(paper_id)
        note = None
        if paper is None and self._fetch_by_id is not None:
            fetch = self._fetch_by_id
            fetched, note = await self._bounded(lambda: fetch(paper_id), f"fetching {paper_id}")
            if isinstance(fetched, Paper):
                self.store.upsert_papers([fetched], iso(self._clock.now()))
                paper = self.store.get_paper(fetched.key) or fetched
        if paper is None:
            return Match(query=text, best=None, via="id", paper_id=paper_id,
                         note=note or f"arXiv:{paper_id} is not in the library or at the paper sources")
        return Match(query=text, best=Scored(paper, 1.0), confident=True, via="id", paper_id=paper_id)

    # ---- the paper sources ----------------------------------------------------------------

    async def _with_remote(self, local: Match, limit: int) -> Match:
        search = self._search_remote
        assert search is not None
        found, note = await self._bounded(
            lambda: search(local.query, max(REMOTE_RESULTS, limit)), "searching the paper sources")
        papers = [p for p in (found or []) if isinstance(p, Paper) and p.title]
        if not papers:
            return local if note is None else _with_note(local, note)
        stored = self.store.upsert_papers(papers, iso(self._clock.now()))
        self.refresh()
        index = self.index
        terms = analyze(local.query, index)
        positions = self._candidate_positions(terms, index)
        for paper in papers:
            for position in index.exact(normalize_title(paper.title)):
                if position not in positions:
                    positions.append(position)
        match = _to_match(terms, self._judge(terms, index, positions), limit, index)
        if match.best is not None and match.best.paper.key in stored.new_keys:
            match = Match(match.query, match.best, match.alternatives, match.confident, "remote")
        return match

    async def _bounded(self, call: Callable[[], Awaitable], what: str) -> tuple[object, str | None]:
        """Awaits a source call for at most remote_timeout; errors are logged, never raised.

        A call still running at the deadline is cancelled and kept until it has finished
        cancelling (aclose waits for the stubborn ones), so nothing is left unowned."""
        try:
            task = asyncio.ensure_future(call())
        except Exception as exc:  # the source failed before it could even start
            log.warning("%s failed: %r", what, exc)
            return None, "the paper sources could not be reached"
        done, _ = await asyncio.wait({task}, timeout=self.remote_timeout)
        if not done:
            task.cancel()
            self._stragglers.add(task)
            task.add_done_callback(self._stragglers.discard)
            log.warning("%s took longer than %.1fs; answering without it", what, self.remote_timeout)
            return None, "the paper sources did not answer in time"
        try:
            return task.result(), None
        except Exception as exc:  # a source failing must never fail the lookup
            log.warning("%s failed: %r", what, exc)
            return None, "the paper sources could not be reached"

    # ---- candidates and scoring -----------------------------------------------------------

    def _candidate_positions(self, terms: QueryTerms, index: TitleIndex) -> list[int]:
        positions: dict[int, None] = {}
        for position in index.exact(terms.norm):
            positions[position] = None
        if len(terms.norm) >= 4:
            for position in index.with_prefix(terms.norm, 20):
                positions[position] = None
        groups = [g.alternatives for g in terms.groups]
        for position in index.gather(groups, terms.full):
            positions[position] = None
        return list(positions)

    def _fts_hits(self, terms: QueryTerms, index: TitleIndex) -> dict[int, float]:
        """rowid -> bm25 share (1.0 for the best hit) from the most specific search that finds any."""
        groups = searchable_groups(terms)
        if not groups:
            return {}
        attempts = [all_of_expression(groups)]
        known = [g for g in groups if g.title_df or g.corrected]
        if known and len(known) < len(groups):
            attempts.append(all_of_expression(known))
        rare = specific_groups(groups)[:3]
        if len(groups) > 1 and rare:
            attempts.append(any_of_expression(rare))
        for expression in attempts:
            if not expression:
                continue
            hits = self.store.fts_search(expression, FTS_LIMIT, FTS_WEIGHTS)
            if hits:
                best = hits[0][1] or -1e-9
                return {rowid: (rank / best if best < 0 else 1.0) for rowid, rank in hits}
        return {}

    def _judge(self, terms: QueryTerms, index: TitleIndex, positions: list[int]) -> list[Judged]:
        bm25_share = self._fts_hits(terms, index)
        for rowid in bm25_share:
            position = index.position_of(rowid)
            if position is not None and position not in positions:
                positions.append(position)
        if not positions:
            return []
        quick = process.extract(
            terms.full, {p: _canonical_title(index.titles[p]) for p in positions},
            scorer=fuzz.WRatio, limit=None)
        shortlisted = [p for _, _, p in quick[:PRESCORED]]
        by_rowid = {index.rowids[p]: p for p in shortlisted}
        for rowid in bm25_share:
            if rowid not in by_rowid and (position := index.position_of(rowid)) is not None:
                by_rowid[rowid] = position
        papers = self.store.get_papers_by_rowid(list(by_rowid))
        judged = []
        for rowid, paper in papers.items():
            norm = index.titles[by_rowid[rowid]]
            fit = title_similarity(terms, paper.title, norm, index)
            keywords = keyword_evidence(terms, paper, bm25_share.get(rowid, 0.0))
            judged.append(Judged(paper, _canonical_title(norm), fit.score, keywords,
                                 fuse(fit.score, keywords), fit.whole))
        judged.sort(key=_rank_key, reverse=True)
        return judged


def _rank_key(judged: Judged) -> tuple:
    paper = judged.paper
    return (round(judged.score, 6), paper.upvotes or 0, bool(paper.abstract), paper.published or "")


def _canonical_title(norm_title: str) -> str:
    return " ".join(canonical(w) for w in norm_title.split())


def _to_match(terms: QueryTerms, judged: list[Judged], limit: int, index: TitleIndex) -> Match:
    if not judged:
        return Match(query=terms.text, best=None, note="no paper matches these words")
    top = judged[:limit]
    best = top[0]
    return Match(
        query=terms.text,
        best=Scored(best.paper, round(best.score, 4)),
        alternatives=tuple(Scored(j.paper, round(j.score, 4)) for j in top[1:]),
        confident=is_confident(judged, terms, index),
        via="title" if best.by_title else "keywords",
    )


def _with_note(match: Match, note: str) -> Match:
    return Match(match.query, match.best, match.alternatives, match.confident, match.via, match.paper_id, note)


def _single_linked_id(text: str) -> str | None:
    """A message holding exactly one paper link and little else ("see arxiv.org/abs/...")."""
    ids = find_paper_ids(text)
    if len(ids) == 1 and len(fts.tokenize(text)) <= 12:
        return ids[0]
    return None
