"""One query in, ranked papers out: arXiv ids resolve exactly; titles (typos and all) and
keywords go through the in-memory title index and FTS5, fused into one ranking; what the store
cannot answer confidently is also asked of the paper sources, within a time bound.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import BrokenExecutor, Future
from contextlib import contextmanager

from paperboy.bot.clock import Clock, SystemClock, iso
from paperboy.bot.ids import find_paper_ids, parse_paper_id
from paperboy.bot.models import Paper, normalize_title
from paperboy.bot.replies import Scored
from paperboy.bot.search import fts
from paperboy.bot.search.aliases import ECHO_SAMPLE, Choice, asked_name_words, by_echo, choose
from paperboy.bot.search.local_search import (
    DESCRIPTION_HITS,
    Ranking,
    candidate_positions,
    described_hits,
    judge,
    word_completions,
)
from paperboy.bot.search.match import (
    LookupsBusy,
    Match,
    NotReached,
    Ranker,
    SourcesAsked,
    Unreached,
    sources_note,
    with_sources,
)
from paperboy.bot.search.naming import name_pending
from paperboy.bot.search.query_terms import QueryTerms, analyze
from paperboy.bot.search.ranking import TITLE_CONFIDENT, is_confident
from paperboy.bot.search.saved_titles import build_index, open_index, open_saved, saved_version, too_far_behind
from paperboy.bot.search.semantic import SemanticSearch  # imports torch only when a model is loaded
from paperboy.bot.search.title_index import TitleIndex

log = logging.getLogger(__name__)

FetchById = Callable[[str], Awaitable["Paper | None"]]
SearchRemote = Callable[[str, int], Awaitable[list[Paper]]]

REMOTE_RESULTS = 10
TITLES_REFRESH_EVERY = 1.0  # seconds between title index refreshes while many papers arrive
SMALL_BACKLOG = 200  # papers stored since the last refresh that a lookup indexes at once

class Matcher:
    def __init__(self, store, *, fetch_by_id: FetchById | None = None,
                 search_remote: SearchRemote | None = None, remote_timeout: float = 2.0,
                 clock: Clock | None = None, sources_off: bool = False, aliases: bool = True,
                 semantic: SemanticSearch | None = None, names_papers: bool = True, ranker: Ranker | None = None,
                 max_pending: int | None = None):
        """`aliases`: a query that is a paper's name ("LoRA", "the CLIP paper") answers the paper
        that introduced it (the store's alias index); off, names are ranked as any words.
        `semantic`: dense retrieval for descriptions; None: lexical ranking only. `names_papers`:
        the papers this matcher indexes as new get their names mined at once (naming); off in a
        lookup worker, whose bot's process names them."""
        self.store = store
        self.aliases = aliases
        self.names_papers = names_papers
        self.semantic = semantic
        self._fetch_by_id = fetch_by_id
        self._search_remote = search_remote
        self.remote_timeout = remote_timeout
        self.sources_off = sources_off  # switched off here: lookups say so instead of asking
        self._clock = clock or SystemClock()
        self._index: TitleIndex | None = None
        self._title_changes = 0  # the store's last title change the index follows
        self._saved_seen: tuple | None = None  # the saved index last looked at (saved_titles.saved_version)
        self._refreshed = 0.0  # time.monotonic() of the last refresh
        self._stragglers: set[asyncio.Task] = set()
        self.build_seconds: float | None = None
        # Lookups' CPU work off the bot's process (lookup_pool.LookupPool); None: on the store's thread.
        self.ranker = ranker
        # At most this many lookups waiting to be ranked (or being ranked); past it LookupsBusy.
        # Time spent asking the paper sources does not count: it costs no CPU.
        self.max_pending = max_pending
        self._pending = 0

    # ---- the in-memory index --------------------------------------------------------------

    def refresh(self) -> int:
        """Builds the title index, or brings it up to date: adds the papers stored since and
        follows the titles that changed. Returns how many papers were added."""
        if self._index is None:
            started = time.perf_counter()
            self._saved_seen = saved_version(self.store)
            self._index, self._title_changes = open_index(self.store)
            if too_far_behind(self._index, coming=self.store.max_rowid() - self._index.max_rowid):
                self._index, self._title_changes = build_index(self.store)  # not after adding them all
            self._index.add(self.store.titles_since(self._index.max_rowid))
            added = len(self._index)
            self._index.prepare_corrections()
            self.build_seconds = time.perf_counter() - started
        else:
            newest = self.store.max_rowid()
            self._take_newer_saved_index(coming=newest - self._index.max_rowid)
            added = self._index.add(self.store.titles_since(self._index.max_rowid)) \
                if newest > self._index.max_rowid else 0
        self._title_changes, changed = self.store.title_changes_since(self._title_changes)
        for rowid, title in changed:
            self._index.replace(rowid, title)
        if self.names_papers and (added or changed):  # papers just stored are found by name at once
            name_pending(self.store, min(added + len(changed), SMALL_BACKLOG), newest_first=True)
        self._refreshed = time.monotonic()
        return added

    def _take_newer_saved_index(self, coming: int) -> None:
        """After an import in another process saved a larger index, uses it instead of holding
        every paper that import stored beside the older one (`coming`: papers not added yet)."""
        assert self._index is not None
        if not too_far_behind(self._index, coming) or (version := saved_version(self.store)) == self._saved_seen:
            return
        self._saved_seen = version
        opened = open_saved(self.store)
        if opened is not None and len(opened[0].packed) > len(self._index.packed):
            self._index, self._title_changes = opened
            self._index.prepare_corrections()
            log.info("title index: opened the saved one of %d papers", len(self._index.packed))

    @property
    def index(self) -> TitleIndex:
        """The title index, with what was stored since: at once when that is a few papers, at most
        once a second while many arrive (an import in another process), so lookups meanwhile do not
        each pay for indexing thousands of titles."""
        if self._index is None or time.monotonic() - self._refreshed >= TITLES_REFRESH_EVERY:
            self.refresh()
        elif self.store.max_rowid() - self._index.max_rowid <= SMALL_BACKLOG:
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
        match = await self._ranked(text, limit)
        if match.confident or self._search_remote is None or not fts.tokenize(match.query):
            return match
        return await self._with_remote(match, limit)

    def rank(self, query: str, limit: int = 5, *, describe: bool = True) -> Match:
        """The store's answer alone (no sources), synchronously: async code runs it with store.run.
        `describe` False: a query that reads as a description gets the title ranking alone (a
        lookup worker's, when the bot's process ranks such a query again with dense retrieval)."""
        index = self.index
        terms = analyze(query, index)
        if terms.is_empty:
            return Match(query=terms.text, best=None, note="empty query")
        if (named := self._named(query, index, limit)) is not None:
            return named
        meaning = self._encode_if_description(terms)
        try:
            ranking = judge(self.store, index, terms, candidate_positions(index, terms))
            lexical = _to_match(terms, ranking, limit, index)
            return self._described(terms, ranking, lexical, limit, meaning) if describe else lexical
        finally:
            if meaning is not None:
                meaning.cancel()  # not needed after all: dropped (a running encoding ends on its own)

    async def _ranked(self, text: str, limit: int) -> Match:
        """rank(), in the lookup workers when there are some. Dense retrieval lives in this process
        (the model is not loaded in each worker): a query that reads as a description gets only the
        title ranking there, and unless a title settles it, it is ranked again here, with the model.
        A worker that died answers here once (the pool restarts)."""
        with self._taking_on():
            if self.ranker is not None:
                try:
                    match = await self.ranker.rank(text, limit, describe=self.semantic is None)
                except BrokenExecutor:
                    pass
                else:
                    if self.semantic is None or match.confident or not reads_as_description(match.query):
                        return match
            return await self.store.run(self.rank, text, limit)

    async def suggest(self, partial: str, limit: int = 25) -> list[Paper]:
        """suggest_titles(), in the lookup workers when there are some."""
        with self._taking_on():
            if self.ranker is not None:
                try:
                    return await self.ranker.suggest_titles(partial, limit)
                except BrokenExecutor:
                    pass
            return await self.store.run(self.suggest_titles, partial, limit)

    @contextmanager
    def _taking_on(self) -> Iterator[None]:
        if self.max_pending is not None and self._pending >= self.max_pending:
            raise LookupsBusy(f"{self._pending} lookups are waiting to be ranked")
        self._pending += 1
        try:
            yield
        finally:
            self._pending -= 1

    # ---- descriptions ------------------------------------------------------------------------

    def _encode_if_description(self, terms: QueryTerms) -> Future | None:
        """A query long enough to be a description starts its encoding at once, so the model
        works while the title index and the full-text search do (the answer waits for the slower)."""
        if self.semantic is None or not reads_as_description(terms.text):
            return None
        self.semantic.refresh_if_due()
        return self.semantic.encode_meanwhile(terms.text) if len(self.semantic) else None

    def _described(self, terms: QueryTerms, ranking: Ranking, lexical: Match, limit: int,
                   meaning: Future | None = None) -> Match:
        """For a query that reads like a description ("the one where a model trained on arithmetic
        predicts gambling choices"), the papers whose abstracts say the same: full-text search over
        its telling words, fused by reciprocal rank with the papers nearest its meaning (the
        semantic extra, when installed). The lexical ranking, which looks for a title, does not
        take part: for such a query no title fits, and its guesses crowd out the right paper.

        A confident lexical answer (an exact or near-exact title, rare keywords) stands; so does a
        query of fewer than DESCRIPTION_WORDS words, or one a title fits at TITLE_CONFIDENT."""
        judged = ranking.judged
        if lexical.confident or not reads_as_description(terms.text) \
                or (judged and judged[0].title >= TITLE_CONFIDENT):
            return lexical
        words = described_hits(self.store, terms)
        nearest: list[tuple[int, float]] = []
        if self.semantic is not None:
            if meaning is not None:
                nearest = self.semantic.nearest_to(meaning.result(), DESCRIPTION_HITS)
            elif len(self.semantic):
                nearest = self.semantic.nearest(terms.text, DESCRIPTION_HITS)
        papers = self.store.get_papers_by_rowid(list(dict.fromkeys([*words, *(r for r, _ in nearest)])))
        by_words = [papers[r] for r in words if r in papers and not papers[r].withdrawn]
        by_meaning = [(papers[r], cosine) for r, cosine in nearest if r in papers and not papers[r].withdrawn]
        if not by_words and not by_meaning:
            return lexical
        fused: dict[str, float] = {}
        shown: dict[str, Scored] = {}
        for ranked, weight in (([p for p, _ in by_meaning], DENSE_WEIGHT), (by_words, WORDS_WEIGHT)):
            seen: set[str] = set()
            for paper in ranked:
                title = normalize_title(paper.title)  # a paper stored twice counts once
                if title in seen:
                    continue
                seen.add(title)
                fused[title] = fused.get(title, 0.0) + weight / (RRF_K + len(seen))
                if title not in shown or (shown[title].paper.arxiv_id is None and paper.arxiv_id):
                    shown[title] = Scored(paper, 0.0)
        cosines = {normalize_title(p.title): c for p, c in by_meaning}
        order = sorted(fused, key=fused.__getitem__, reverse=True)
        if by_words and _nearest_margin(by_meaning) < DENSE_MARGIN:
            # Nearest papers in meaning crowd within a few hundredths of each other: such a
            # ranking may add candidates, but only a clearly nearest paper overrules the words' first.
            lead = normalize_title(by_words[0].title)
            order = [lead, *(t for t in order if t != lead)]
        order = order[:limit]
        top = max(fused.values())
        scored = [Scored(shown[t].paper, round(max(0.0, cosines.get(t, fused[t] / top * DESCRIPTION_SCORE)), 4))
                  for t in order]
        return Match(query=terms.text, best=scored[0], alternatives=tuple(scored[1:]),
                     confident=_agreed(by_meaning, by_words), via="description")

    def _named(self, query: str, index: TitleIndex, limit: int) -> Match | None:
        """The paper a query names ("LoRA", "the CLIP paper"), by the alias index: the paper that
        introduced the name, or a short list when several did; None when the query is no name,
        is a paper's exact title (which the ranking answers), or names nothing in particular."""
        if not self.aliases or (name := asked_name_words(query)) is None or index.exact(normalize_title(query)):
            return None
        choice = choose(self.store.papers_named("".join(name)))
        if choice is None:
            return None
        if not choice.confident:
            choice = self._by_echo(choice, name, index)
        papers = self.store.get_papers_by_rowid(list(choice.rowids))
        found = [papers[r] for r in choice.rowids if r in papers and not papers[r].withdrawn][:limit]
        if not found:
            return None
        confident = choice.confident and found[0].key == papers[choice.rowids[0]].key
        scored = [Scored(p, 1.0 if confident and i == 0 else round(0.9 - 0.01 * i, 4)) for i, p in enumerate(found)]
        return Match(query=" ".join(query.split()), best=scored[0], alternatives=tuple(scored[1:]),
                     confident=confident, via="alias")

    def _by_echo(self, choice: Choice, name: list[str], index: TitleIndex) -> Choice:
        """The papers a name may mean, ordered by what the newest papers using it talk about."""
        sample = self.store.fts_newest(fts.quote_term(" ".join(name)), ECHO_SAMPLE + len(choice.rowids))
        users = [r for r in sample if r not in choice.rowids][:ECHO_SAMPLE]
        papers = self.store.get_papers_by_rowid(users + list(choice.rowids))
        texts = [f"{papers[r].title} {papers[r].abstract or ''}" for r in users if r in papers]
        return by_echo(choice, {r: papers[r].title for r in choice.rowids if r in papers}, texts, index.idf, name)

    def library_size(self) -> int:
        """How many papers lookups search locally."""
        return len(self.index)

    def suggest_titles(self, partial: str, limit: int = 25) -> list[Paper]:
        """Papers whose titles begin with (or contain the words of) what the user has typed so far."""
        text = (partial or "").strip()[:300]
        paper_id = parse_paper_id(text)
        if paper_id:
            found = self.store.get_paper(paper_id)
            return [found] if found and not found.withdrawn else []
        norm = normalize_title(text)
        if not norm or limit <= 0:
            return []
        index = self.index
        positions = index.with_prefix(norm, limit)
        if len(positions) < limit:
            for position in word_completions(index, norm, ends_word=partial[-1:].isspace(), limit=limit * 2):
                if position not in positions:
                    positions.append(position)
                if len(positions) >= limit:
                    break
        papers = self.store.get_papers_by_rowid([index.rowids[p] for p in positions])
        return [papers[index.rowids[p]] for p in positions if index.rowids[p] in papers
                and not papers[index.rowids[p]].withdrawn]

    async def aclose(self) -> None:
        """Waits for source calls that were cut off at their deadline to finish cancelling, and
        for a description's encoding still running."""
        for task in list(self._stragglers):
            task.cancel()
        if self._stragglers:
            await asyncio.gather(*self._stragglers, return_exceptions=True)
        self._stragglers.clear()
        if self.semantic is not None:
            await asyncio.to_thread(self.semantic.close)

    # ---- ids ------------------------------------------------------------------------------

    async def _lookup_id(self, text: str, paper_id: str) -> Match:
        paper = await self.store.run(self.store.get_paper, paper_id)
        if paper is not None and paper.withdrawn:
            return Match(query=text, best=None, via="id", paper_id=paper_id, withdrawn=True,
                         note=f"arXiv:{paper_id} was withdrawn from arXiv")
        note, asked, unreached = None, None, None
        if paper is None and self._fetch_by_id is not None:
            fetch = self._fetch_by_id
            fetched, asked, unreached = await self._bounded(lambda: fetch(paper_id), f"fetching {paper_id}")
            note = sources_note(asked, unreached)
            if isinstance(fetched, Paper):
                paper = await self.store.run(self._stored, fetched)
        if paper is None:
            return Match(query=text, best=None, via="id", paper_id=paper_id, sources=asked, unreached=unreached,
                         note=note or f"arXiv:{paper_id} is not in the library or at the paper sources")
        return Match(query=text, best=Scored(paper, 1.0), confident=True, via="id", paper_id=paper_id, sources=asked)

    # ---- the paper sources ----------------------------------------------------------------

    async def _with_remote(self, local: Match, limit: int) -> Match:
        search = self._search_remote
        assert search is not None
        found, asked, unreached = await self._bounded(
            lambda: search(local.query, max(REMOTE_RESULTS, limit)), "searching the paper sources")
        papers = [p for p in (found or []) if isinstance(p, Paper) and p.title]
        if not papers:
            return with_sources(local, asked, unreached)
        return with_sources(await self.store.run(self._rank_with, local.query, papers, limit), asked, unreached)

    def _stored(self, paper: Paper) -> Paper:
        self.store.upsert_papers([paper], iso(self._clock.now()))
        return self.store.get_paper(paper.key) or paper

    def _rank_with(self, query: str, papers: list[Paper], limit: int) -> Match:
        """rank(), with papers the sources found stored first and sure to be considered."""
        stored = self.store.upsert_papers(papers, iso(self._clock.now()))
        self.refresh()
        index = self.index
        terms = analyze(query, index)
        positions = candidate_positions(index, terms)
        for paper in papers:
            for position in index.exact(normalize_title(paper.title)):
                if position not in positions:
                    positions.append(position)
        ranking = judge(self.store, index, terms, positions)
        match = self._described(terms, ranking, _to_match(terms, ranking, limit, index), limit)
        if match.best is not None and match.best.paper.key in stored.new_keys:
            match = Match(match.query, match.best, match.alternatives, match.confident, "remote")
        return match

    async def _bounded(self, call: Callable[[], Awaitable],
                       what: str) -> tuple[object, SourcesAsked, Unreached | None]:
        """Awaits a source call for at most remote_timeout; errors are logged, never raised.
        An error saying the sources' hosts could not be reached at all comes back as Unreached.

        A call still running at the deadline is cancelled and kept until it has finished
        cancelling (aclose waits for the stubborn ones), so nothing is left unowned."""
        if self.sources_off:
            return None, "off", None
        try:
            task = asyncio.ensure_future(call())
        except Exception as exc:  # the source failed before it could even start
            log.warning("%s failed: %r", what, exc)
            return None, "unreachable", None
        done, _ = await asyncio.wait({task}, timeout=self.remote_timeout)
        if not done:
            task.cancel()
            self._stragglers.add(task)
            task.add_done_callback(self._stragglers.discard)
            log.warning("%s took longer than %.1fs; answering without it", what, self.remote_timeout)
            return None, "timeout", None
        try:
            return task.result(), "answered", None
        except Exception as exc:  # a source failing must never fail the lookup
            if isinstance(exc, NotReached):
                if exc.asked:
                    log.warning("%s failed: %s", what, exc)
                else:  # asked a moment ago, and said then
                    log.info("%s: %s", what, exc)
                return None, "unreachable", Unreached(exc.reason, exc.asked, exc.retry_in)
            log.warning("%s failed: %r", what, exc)
            return None, "unreachable", None


def _to_match(terms: QueryTerms, ranking: Ranking, limit: int, index: TitleIndex) -> Match:
    judged = ranking.judged
    if not judged:
        return Match(query=terms.text, best=None, note="no paper matches these words")
    top = judged[:limit]
    best = top[0]
    return Match(
        query=terms.text,
        best=Scored(best.paper, round(best.score, 4)),
        alternatives=tuple(Scored(j.paper, round(j.score, 4)) for j in top[1:]),
        confident=is_confident(judged, terms, index, crowded=ranking.crowded),
        via="title" if best.by_title else "keywords",
    )


# Descriptions: the full-text and the dense rankings fused by reciprocal rank (bench/RESULTS.md).
DESCRIPTION_WORDS = 5  # fewer words are a title, a name or keywords (the keyword queries of bench/queries.py have 3-4)
RRF_K = 60
DENSE_WEIGHT = 1.0
WORDS_WEIGHT = 1.0
DESCRIPTION_SCORE = 0.5  # the score shown for a description answer the dense ranking did not find
# The dense ranking leads a description's answer only when its nearest paper is clearly nearer
# than the next (DENSE_MARGIN); otherwise the words' first paper does. A description answer is a
# card only when the nearest paper is near (DENSE_CONFIDENT), its words find it first and it is
# ahead by DENSE_MARGIN_AGREED, or its words find it among their first WORDS_AGREE while it is
# clearly nearest. Measured: bench/RESULTS.md.
DENSE_CONFIDENT = 0.55  # cosine of query and paper
DENSE_MARGIN = 0.08  # over the next paper's cosine
DENSE_MARGIN_AGREED = 0.02
WORDS_AGREE = 3


def reads_as_description(query: str) -> bool:
    """Long enough to be a description, not a title, a name or keywords."""
    return len(fts.tokenize(query)) >= DESCRIPTION_WORDS


def _nearest_margin(by_meaning: list[tuple[Paper, float]]) -> float:
    """How much nearer the nearest paper is than the next other title (0 with none)."""
    if not by_meaning:
        return 0.0
    nearest, cosine = by_meaning[0]
    title = normalize_title(nearest.title)
    return cosine - next((c for p, c in by_meaning[1:] if normalize_title(p.title) != title), 0.0)


def _agreed(by_meaning: list[tuple[Paper, float]], by_words: list[Paper]) -> bool:
    """Whether the paper nearest the query's meaning is clearly its answer, as above."""
    if not by_meaning or not by_words:
        return False
    nearest, cosine = by_meaning[0]
    title = normalize_title(nearest.title)
    found = [normalize_title(p.title) for p in by_words[:WORDS_AGREE]]
    if cosine < DENSE_CONFIDENT or title not in found:
        return False
    return _nearest_margin(by_meaning) >= (DENSE_MARGIN_AGREED if found[0] == title else DENSE_MARGIN)


def _single_linked_id(text: str) -> str | None:
    """A message holding exactly one paper link and little else ("see arxiv.org/abs/...")."""
    ids = find_paper_ids(text)
    if len(ids) == 1 and len(fts.tokenize(text)) <= 12:
        return ids[0]
    return None
