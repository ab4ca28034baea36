"""Every paper's normalized title, for lookups: exact and prefix, word postings with document
frequencies, and spelling correction against the title vocabulary.

Two parts: the packed titles (PackedTitles: flat arrays, built in one pass or memory-mapped from
their file) and what changed since, kept in dicts (papers stored later, papers retitled). Positions
are dense ints: the packed titles' first, in rowid order, then the later papers'. A word's
positions come back as a sorted numpy array, so candidate sets are intersected in C.
"""
from __future__ import annotations

import bisect
import math
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from paperboy.bot.search.fts import STOPWORDS
from paperboy.bot.search.packed_titles import PackedTitles
from paperboy.bot.search.position_sets import EMPTY, in_at_least, union
from paperboy.bot.spelling import canonical

# Query word groups used to gather candidates (the rarest ones); the rest only score them.
MAX_GATHER_GROUPS = 6
# Unions of a common word's spellings are kept between lookups.
_SET_CACHE_MIN_DF = 2_000
_SET_CACHE_SIZE = 48
MAX_POOL = 5_000


class _Later:
    """Titles of papers stored after the packed ones, and packed papers' new titles."""

    def __init__(self) -> None:
        self.titles: dict[int, str] = {}  # position -> title
        self.postings: dict[str, list[int]] = defaultdict(list)  # word as written -> positions
        self.forms: dict[str, list[str]] = defaultdict(list)  # canonical word -> words as written
        self.in_order: list[tuple[str, int]] = []  # (title, position), sorted

    def put(self, position: int, title: str) -> list[str]:
        """Files a title; returns the canonical words met here for the first time."""
        self.titles[position] = title
        fresh = []
        for word in set(title.split()):
            if word not in self.postings and word not in STOPWORDS:
                canon = canonical(word)
                if canon not in self.forms:
                    fresh.append(canon)
                self.forms[canon].append(word)
            self.postings[word].append(position)
        bisect.insort(self.in_order, (title, position))
        return fresh

    def take(self, position: int) -> None:
        title = self.titles.pop(position)
        for word in set(title.split()):
            self.postings[word].remove(position)
        del self.in_order[bisect.bisect_left(self.in_order, (title, position))]


class TitleIndex:
    def __init__(self, packed: PackedTitles | None = None) -> None:
        self.packed = packed if packed is not None else PackedTitles.build([])
        self._base = len(self.packed)
        self._later = _Later()
        self._later_rowids: list[int] = []  # rowids of positions from _base on, ascending
        self._retitled: set[int] = set()  # packed positions with a new title (kept in _later)
        self._retitled_sorted = EMPTY
        self.titles: Sequence[str] = _Titles(self)
        self.rowids: Sequence[int] = _Rowids(self)
        self._vocabulary: list[str] | None = None
        self._by_first: dict[tuple[str, int], list[str]] | None = None
        self._by_last: dict[tuple[str, int], list[str]] = {}
        self._corrections: dict[str, tuple[str, ...]] = {}
        self._sets: OrderedDict[str, np.ndarray] = OrderedDict()
        self._idf: dict[str, float] = {}

    # ---- building -------------------------------------------------------------------------

    @classmethod
    def build(cls, rows: Iterable[tuple[int, str]]) -> TitleIndex:
        return cls(PackedTitles.build(rows))

    def add(self, rows: Iterable[tuple[int, str]]) -> int:
        """Appends rows with rowids above max_rowid (others are ignored); returns how many."""
        added = 0
        for rowid, title in rows:
            if rowid > self.max_rowid:
                self._later_rowids.append(rowid)
                self._learn(self._later.put(self._base + len(self._later_rowids) - 1, title or ""))
                added += 1
        if added:
            self._changed()
        return added

    def replace(self, rowid: int, title: str) -> bool:
        """Gives an indexed paper its new title, so the old one no longer finds it and the new one
        does; False when the paper is not indexed or its title is the same."""
        position = self.position_of(rowid)
        title = title or ""
        if position is None or self.titles[position] == title:
            return False
        if position in self._later.titles:
            self._later.take(position)
        else:
            self._retitled.add(position)
            self._retitled_sorted = np.array(sorted(self._retitled), dtype=np.int64)
        self._learn(self._later.put(position, title))
        self._changed()
        return True

    def _learn(self, canons: list[str]) -> None:
        if not canons:
            return
        self._vocabulary = None
        if self._by_first is not None:
            for canon in canons:
                self._file_for_corrections(canon)

    def _changed(self) -> None:
        self._corrections.clear()
        self._sets.clear()
        self._idf.clear()

    # ---- reading --------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._base + len(self._later_rowids)

    @property
    def max_rowid(self) -> int:
        if self._later_rowids:
            return self._later_rowids[-1]
        return int(self.packed.rowids[-1]) if self._base else 0

    def position_of(self, rowid: int) -> int | None:
        if self._later_rowids and rowid > int(self.packed.rowids[-1] if self._base else 0):
            at = bisect.bisect_left(self._later_rowids, rowid)
            found = at < len(self._later_rowids) and self._later_rowids[at] == rowid
            return self._base + at if found else None
        return self.packed.position_of(rowid)

    def exact(self, norm_title: str) -> list[int]:
        return self.with_prefix(norm_title, limit=20, whole=True)

    def with_prefix(self, prefix: str, limit: int = 25, whole: bool = False) -> list[int]:
        """Positions whose title starts with `prefix` (or equals it, when whole), in title order."""
        if not prefix:
            return []
        found = [(self.packed.title(p), p) for p in self.packed.with_prefix(prefix, limit + len(self._retitled), whole)
                 if p not in self._retitled][:limit]
        later = self._later.in_order
        at = bisect.bisect_left(later, (prefix, -1))
        for title, position in later[at:at + limit]:
            if (whole and title != prefix) or not title.startswith(prefix):
                break
            found.append((title, position))
        return [p for _, p in sorted(found)[:limit]]

    def forms(self, canon: str) -> list[str]:
        """How titles spell a canonical word (the full text index is not canonical)."""
        packed = self.packed.forms(canon)
        later = self._later.forms.get(canon)
        return list(dict.fromkeys(packed + later)) if later else packed

    surfaces = forms

    def knows(self, canon: str) -> bool:
        return self.packed.document_frequency(canon) > 0 or canon in self._later.forms

    def document_frequency(self, canon: str) -> int:
        found = self.packed.document_frequency(canon)
        if self._later.titles:
            found += sum(len(self._later.postings.get(w, ())) for w in self.forms(canon))
        return found

    def idf(self, canon: str) -> float:
        found = self._idf.get(canon)
        if found is None:
            found = math.log((len(self) + 1) / (self.document_frequency(canon) + 0.5))
            if len(self._idf) > 200_000:
                self._idf.clear()
            self._idf[canon] = found
        return found

    def max_idf(self) -> float:
        return math.log((len(self) + 1) / 1.5)

    def words_with_prefix(self, prefix: str, limit: int = 50) -> list[str]:
        """Canonical vocabulary words starting with prefix, most frequent first."""
        vocabulary = self._sorted_vocabulary()
        at = bisect.bisect_left(vocabulary, prefix)
        found = []
        while at < len(vocabulary) and vocabulary[at].startswith(prefix) and len(found) < 2000:
            found.append(vocabulary[at])
            at += 1
        found.sort(key=self.document_frequency, reverse=True)
        return found[:limit]

    def _sorted_vocabulary(self) -> list[str]:
        if self._vocabulary is None:
            new = [c for c in self._later.forms if self.packed.document_frequency(c) == 0]
            self._vocabulary = sorted(self.packed.canons + new) if new else self.packed.canons
        return self._vocabulary

    # ---- spelling -------------------------------------------------------------------------

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

    def prepare_corrections(self) -> None:
        """Files the vocabulary by first and last letter and length (a second at 3 million papers):
        done at start, not at the first typo."""
        if self._by_first is None:
            self._by_first = {}
            for canon in self._sorted_vocabulary():
                self._file_for_corrections(canon)

    def _file_for_corrections(self, canon: str) -> None:
        assert self._by_first is not None
        self._by_first.setdefault((canon[0], len(canon)), []).append(canon)
        self._by_last.setdefault((canon[-1], len(canon)), []).append(canon)

    def _find_corrections(self, word: str, limit: int) -> tuple[str, ...]:
        length = len(word)
        if length < 4 or not word.isalpha():
            return ()
        self.prepare_corrections()
        assert self._by_first is not None
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

    def positions(self, canon: str) -> np.ndarray:
        """Every position whose title has the word in any of its spellings, ascending."""
        cached = self._sets.get(canon)
        if cached is not None:
            self._sets.move_to_end(canon)
            return cached
        parts = []
        for word in self.forms(canon):
            packed = self.packed.word_postings(word)
            if self._retitled and packed.size:
                packed = packed[~np.isin(packed, self._retitled_sorted)]
            if packed.size:
                parts.append(packed)
            later = self._later.postings.get(word)
            if later:
                parts.append(np.array(later, dtype=np.int64))
        if not parts:
            return EMPTY
        if len(parts) == 1 and not self._retitled:
            return parts[0]  # one word's packed postings: already sorted, nothing copied
        found = union(parts)
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
        sets = sorted((union([self.positions(w) for w in g]) for g in rarest), key=len)
        chosen = EMPTY
        for keep_count in range(len(sets), 0, -1):
            misses = unknown + len(sets) - keep_count
            if chosen.size and (misses > 2 or keep_count * 2 < len(sets)):
                break
            chosen = in_at_least(sets, keep_count)
            if len(chosen) >= want:
                break
        if len(chosen) <= want:
            return chosen.tolist()
        # Everyday words alone ("learning") qualify tens of thousands of titles; any few thousand
        # of them make an equally good shortlist at a tenth of the cost.
        pool = chosen[:MAX_POOL].tolist()
        best = process.extract(query, [self.titles[p] for p in pool], scorer=fuzz.ratio, limit=want)
        return [pool[i] for _, _, i in best]


class _Titles(Sequence[str]):
    def __init__(self, index: TitleIndex):
        self._index = index

    def __len__(self) -> int:
        return len(self._index)

    def __getitem__(self, position):  # type: ignore[override]
        later = self._index._later.titles.get(position)
        if later is not None:
            return later
        if not 0 <= position < self._index._base:
            raise IndexError(position)
        return self._index.packed.title(position)


class _Rowids(Sequence[int]):
    def __init__(self, index: TitleIndex):
        self._index = index

    def __len__(self) -> int:
        return len(self._index)

    def __getitem__(self, position):  # type: ignore[override]
        base = self._index._base
        if 0 <= position < base:
            return int(self._index.packed.rowids[position])
        if base <= position < len(self._index):
            return self._index._later_rowids[position - base]
        raise IndexError(position)
