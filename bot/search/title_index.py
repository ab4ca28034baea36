"""In-memory index of every paper's normalized title: exact and prefix lookups, word postings
with document frequencies, and spelling correction against the title vocabulary.

Built once from Store.iter_titles (a few seconds at 300k papers) and extended cheaply with the
rows added since (Store.titles_since). Positions are dense ints in rowid order, so the rowid of a
position and the position of a rowid are both one list access or one bisect away.
"""
from __future__ import annotations

import bisect
import math
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from itertools import combinations, islice, takewhile

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from paperboy.bot.search.fts import STOPWORDS
from paperboy.bot.spelling import canonical

# Query word groups used to gather candidates (the rarest ones); the rest only score them.
MAX_GATHER_GROUPS = 6
# Sets of common words' positions are kept between lookups: building one costs ~1 ms per 40k.
_SET_CACHE_MIN_DF = 2_000
_SET_CACHE_SIZE = 48
MAX_POOL = 5_000
BUCKET_CHARS = 4


class TitleIndex:
    def __init__(self) -> None:
        self.rowids: list[int] = []
        self.titles: list[str] = []  # normalized titles, by position
        # Titles in order, filed by their first BUCKET_CHARS characters: adding one is an insertion
        # into a short list, however many titles there are. Bucket -> (titles, their positions).
        self._buckets: dict[str, tuple[list[str], list[int]]] = {}
        self._bucket_keys: list[str] | None = None  # sorted, made again when a bucket is added
        self._postings: dict[str, list[int]] = defaultdict(list)  # word as written -> positions
        self._forms: dict[str, list[str]] = defaultdict(list)  # canonical word -> words as written
        self._by_first: dict[tuple[str, int], list[str]] = defaultdict(list)
        self._by_last: dict[tuple[str, int], list[str]] = defaultdict(list)
        self._vocabulary_sorted: list[str] | None = None
        self._corrections: dict[str, tuple[str, ...]] = {}
        self._sets: OrderedDict[str, frozenset[int]] = OrderedDict()
        self._idf: dict[str, float] = {}

    # ---- building -------------------------------------------------------------------------

    @classmethod
    def build(cls, rows: Iterable[tuple[int, str]]) -> TitleIndex:
        index = cls()
        index.add(rows)
        return index

    def add(self, rows: Iterable[tuple[int, str]]) -> int:
        """Appends rows with rowids above max_rowid (others are ignored); returns how many."""
        start = len(self.titles)
        last = self.max_rowid
        for rowid, title in rows:
            if rowid > last:
                self.rowids.append(rowid)
                self.titles.append(title or "")
                last = rowid
        added = len(self.titles) - start
        if not added:
            return 0
        self._index_words(start)
        self._index_sorted(start)
        self._vocabulary_sorted = None  # sorted again when autocomplete next needs it
        self._corrections.clear()
        self._sets.clear()
        self._idf.clear()
        return added

    def _index_words(self, start: int) -> None:
        postings = self._postings
        known = len(postings)
        before = set(postings) if start else set()
        titles = self.titles
        for position in range(start, len(titles)):
            for word in set(titles[position].split()):
                postings[word].append(position)
        if len(postings) == known:
            return
        fresh = [w for w in postings if w not in before] if start else list(postings)
        for word in fresh:
            self._learn(word)
        self._vocabulary_sorted = None

    def _learn(self, word: str) -> None:
        """Files a word titles use for the first time under its canonical form."""
        if word in STOPWORDS:
            return
        canon = canonical(word)
        forms = self._forms[canon]
        if not forms:
            self._by_first[(canon[0], len(canon))].append(canon)
            self._by_last[(canon[-1], len(canon))].append(canon)
        forms.append(word)

    def replace(self, rowid: int, title: str) -> bool:
        """Gives an indexed paper its new title, so the old one no longer finds it and the new one
        does; False when the paper is not indexed or its title is the same."""
        position = self.position_of(rowid)
        title = title or ""
        if position is None or self.titles[position] == title:
            return False
        old = self.titles[position]
        for word in set(old.split()):
            self._postings[word].remove(position)
        for word in set(title.split()):
            if word not in self._postings:
                self._learn(word)
                self._vocabulary_sorted = None
            self._postings[word].append(position)
        titles, positions = self._buckets[old[:BUCKET_CHARS]]
        at = bisect.bisect_left(titles, old)
        while positions[at] != position:  # equal titles sit side by side
            at += 1
        del titles[at], positions[at]
        self._file(title, position)
        self.titles[position] = title
        self._corrections.clear()
        self._sets.clear()
        self._idf.clear()
        return True

    def _index_sorted(self, start: int) -> None:
        if start == 0:
            for position in sorted(range(len(self.titles)), key=self.titles.__getitem__):
                self._file(self.titles[position], position, at_end=True)
            return
        for position in range(start, len(self.titles)):
            self._file(self.titles[position], position)

    def _file(self, title: str, position: int, *, at_end: bool = False) -> None:
        """Puts a title in its bucket, in order (`at_end`: it is known to sort last there)."""
        key = title[:BUCKET_CHARS]
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = ([], [])
            self._bucket_keys = None
        titles, positions = bucket
        at = len(titles) if at_end else bisect.bisect_right(titles, title)
        titles.insert(at, title)
        positions.insert(at, position)

    # ---- reading --------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.titles)

    @property
    def max_rowid(self) -> int:
        return self.rowids[-1] if self.rowids else 0

    def position_of(self, rowid: int) -> int | None:
        at = bisect.bisect_left(self.rowids, rowid)
        return at if at < len(self.rowids) and self.rowids[at] == rowid else None

    def exact(self, norm_title: str) -> list[int]:
        return self.with_prefix(norm_title, limit=20, whole=True)

    def with_prefix(self, prefix: str, limit: int = 25, whole: bool = False) -> list[int]:
        """Positions whose title starts with `prefix` (or equals it, when whole), in title order."""
        if not prefix:
            return []
        if len(prefix) >= BUCKET_CHARS:
            keys: Iterable[str] = (prefix[:BUCKET_CHARS],)
        else:  # every bucket whose key begins with the prefix, in order
            if self._bucket_keys is None:
                self._bucket_keys = sorted(self._buckets)
            at = bisect.bisect_left(self._bucket_keys, prefix)
            keys = takewhile(lambda key: key.startswith(prefix), islice(self._bucket_keys, at, None))
        found: list[int] = []
        for key in keys:
            titles, positions = self._buckets.get(key, ((), ()))
            at = bisect.bisect_left(titles, prefix)
            while at < len(titles) and len(found) < limit:
                title = titles[at]
                if (whole and title != prefix) or not title.startswith(prefix):
                    break
                found.append(positions[at])
                at += 1
            if len(found) >= limit:
                break
        return found

    def knows(self, canon: str) -> bool:
        return canon in self._forms

    def document_frequency(self, canon: str) -> int:
        forms = self._forms.get(canon)
        return sum(len(self._postings[w]) for w in forms) if forms else 0

    def idf(self, canon: str) -> float:
        found = self._idf.get(canon)
        if found is None:
            found = math.log((len(self.titles) + 1) / (self.document_frequency(canon) + 0.5))
            if len(self._idf) > 200_000:
                self._idf.clear()
            self._idf[canon] = found
        return found

    def max_idf(self) -> float:
        return math.log((len(self.titles) + 1) / 1.5)

    def surfaces(self, canon: str) -> list[str]:
        """How titles spell a canonical word (the full text index is not canonical)."""
        return list(self._forms.get(canon, ()))

    def words_with_prefix(self, prefix: str, limit: int = 50) -> list[str]:
        """Canonical vocabulary words starting with prefix, most frequent first."""
        if self._vocabulary_sorted is None:
            self._vocabulary_sorted = sorted(self._forms)
        vocabulary = self._vocabulary_sorted
        at = bisect.bisect_left(vocabulary, prefix)
        found = []
        while at < len(vocabulary) and vocabulary[at].startswith(prefix) and len(found) < 2000:
            found.append(vocabulary[at])
            at += 1
        found.sort(key=self.document_frequency, reverse=True)
        return found[:limit]

    def corrections(self, canon: str, limit: int = 3) -> tuple[str, ...]:
        """Vocabulary words one or two edits away that titles use far more often than `canon`."""
        cached = self._corrections.get(canon)
        if cached is not None:
            return cached
        found = self._find_corrections(canon, limit)
        if len(self._corrections) > 50_000:
            self._corrections.clear()
        self._corrections[canon] = found
        return found

    def _find_corrections(self, word: str, limit: int) -> tuple[str, ...]:
        length = len(word)
        if length < 4 or not word.isalpha():
            return ()
        max_edits = 1 if length <= 5 else 2
        pool: set[str] = set()
        # A typo rarely changes both the first and the last letter: searching the words that
        # share either one covers nearly every typo at a small fraction of the vocabulary.
        for size in range(length - max_edits, length + max_edits + 1):
            pool.update(self._by_first.get((word[0], size), ()))
            pool.update(self._by_last.get((word[-1], size), ()))
        pool.discard(word)
        if not pool:
            return ()
        own = self.document_frequency(word)
        needed = max(2, 5 * own) if own else 1
        close = process.extract(word, list(pool), scorer=OSA.distance, score_cutoff=max_edits, limit=50)
        ranked = sorted(
            (distance, -frequency, other) for other, distance, _ in close
            if (frequency := self.document_frequency(other)) >= needed
        )
        return tuple(other for _, _, other in ranked[:limit])

    # ---- candidate gathering --------------------------------------------------------------

    def positions(self, canon: str) -> frozenset[int]:
        """Every position whose title has the word in any of its spellings."""
        cached = self._sets.get(canon)
        if cached is not None:
            self._sets.move_to_end(canon)
            return cached
        forms = self._forms.get(canon, ())
        found = frozenset(self._postings[forms[0]]) if len(forms) == 1 else \
            frozenset().union(*(self._postings[w] for w in forms))
        if len(found) >= _SET_CACHE_MIN_DF:
            self._sets[canon] = found
            if len(self._sets) > _SET_CACHE_SIZE:
                self._sets.popitem(last=False)
        return found

    def gather(self, groups: list[tuple[str, ...]], query: str, want: int = 150) -> list[int]:
        """Positions of titles that contain every query word group, else all but one or two.

        A group is one query word with its corrections (any of them counts). Only the rarest
        groups gather; when more titles qualify than `want`, the ones closest to `query` win.
        """
        known = [g for g in groups if any(self.knows(w) for w in g)]
        unknown = len(groups) - len(known) if len(groups) <= MAX_GATHER_GROUPS else 0
        # Sets are built for the rarest groups only: the common ones would cost the most.
        rarest = sorted(known, key=lambda g: sum(self.document_frequency(w) for w in g))[:MAX_GATHER_GROUPS]
        sets = sorted((frozenset().union(*(self.positions(w) for w in g)) if len(g) > 1 else self.positions(g[0])
                       for g in rarest), key=len)
        chosen: set[int] = set()
        for keep_count in range(len(sets), 0, -1):
            misses = unknown + len(sets) - keep_count
            if chosen and (misses > 2 or keep_count * 2 < len(sets)):
                break
            for combo in combinations(sets, keep_count):
                chosen.update(combo[0].intersection(*combo[1:]) if keep_count > 1 else combo[0])
            if len(chosen) >= want:
                break
        if len(chosen) <= want:
            return list(chosen)
        # Everyday words alone ("learning") qualify tens of thousands of titles; any few thousand
        # of them make an equally good shortlist at a tenth of the cost.
        pool = list(islice(chosen, MAX_POOL))
        best = process.extract(query, [self.titles[p] for p in pool], scorer=fuzz.ratio, limit=want)
        return [pool[i] for _, _, i in best]
