"""Every stored title in a few flat arrays: the titles, their order, each word's postings. Built in
one pass, saved in one file, and opened again by memory-mapping it, so a bot over 3 million papers
starts in a second and keeps in memory only the pages its lookups touch. Read-only once built:
TitleIndex puts what changes later beside it.

The file: 8 bytes of MAGIC, 8 bytes giving the header's length, the header (JSON: what the file
describes, and each array's type, offset and length), then the arrays, each aligned to 64 bytes.
It is written to a temporary name and moved into place, so a reader never meets half a file and a
running bot keeps the one it opened.
"""
from __future__ import annotations

import bisect
import json
import mmap
import os
from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from paperboy.bot.search.fts import STOPWORDS
from paperboy.bot.search.position_sets import union
from paperboy.bot.spelling import canonical

MAGIC = b"PBTITLE1"
_ALIGN = 64


class PackedTitles:
    def __init__(self, arrays: dict[str, np.ndarray], meta: dict[str, Any], keep: object = None):
        self.meta = meta
        self.rowids = arrays["rowids"]  # int64, ascending: position -> rowid
        self._offsets = arrays["title_offsets"]  # int64, n + 1
        self._blob = arrays["titles"]  # uint8: every title in UTF-8, one after another
        self.in_title_order = arrays["title_order"]  # int32: positions, their titles sorted
        self._postings_offsets = arrays["postings_offsets"]  # int64, one per word + 1
        self._postings = arrays["postings"]  # int32: each word's positions, ascending
        words = _strings(arrays["words"])  # the title vocabulary as written, sorted
        self.canons = _strings(arrays["canons"])  # canonical forms, sorted
        self._forms_offsets = arrays["forms_offsets"]  # int64, one per canon + 1
        self._forms = arrays["forms"]  # int32: word numbers, by canon
        self.canon_df = arrays["canon_df"]  # int32: titles holding any form of each canon
        self.words = words
        self._word_number = {w: i for i, w in enumerate(words)}
        self._canon_number = {c: i for i, c in enumerate(self.canons)}
        self._keep = keep  # the memory map the arrays are views of

    # ---- building -------------------------------------------------------------------------

    @classmethod
    def build(cls, rows: Iterable[tuple[int, str]], meta: dict[str, Any] | None = None) -> PackedTitles:
        rowids = array("q")
        titles: list[str] = []
        for rowid, title in rows:
            if rowids and rowid <= rowids[-1]:
                continue
            rowids.append(rowid)
            titles.append(title or "")
        encoded = [t.encode() for t in titles]
        offsets = np.zeros(len(titles) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        order = sorted(range(len(titles)), key=titles.__getitem__)

        number: dict[str, int] = {}
        word_of, position_of = array("i"), array("i")
        for position, title in enumerate(titles):
            for word in set(title.split()):
                found = number.get(word)
                if found is None:
                    found = number[word] = len(number)
                word_of.append(found)
                position_of.append(position)
        words = sorted(number)
        renumber = np.empty(len(words), dtype=np.int32)
        for new, word in enumerate(words):
            renumber[number[word]] = new
        word_ids = renumber[np.frombuffer(word_of, dtype=np.int32)] if word_of else np.zeros(0, np.int32)
        by_word = np.argsort(word_ids, kind="stable")  # positions stay ascending within a word
        postings = np.frombuffer(position_of, dtype=np.int32)[by_word] if position_of else np.zeros(0, np.int32)
        counts = np.bincount(word_ids, minlength=len(words))
        postings_offsets = np.zeros(len(words) + 1, dtype=np.int64)
        np.cumsum(counts, out=postings_offsets[1:])

        canon_of = {w: canonical(w) for w in words if w not in STOPWORDS}
        canons = sorted(set(canon_of.values()))
        canon_number = {c: i for i, c in enumerate(canons)}
        word_canon = np.array([canon_number[canon_of[w]] if w in canon_of else -1 for w in words], dtype=np.int64)
        with_canon = np.flatnonzero(word_canon >= 0)
        forms = with_canon[np.argsort(word_canon[with_canon], kind="stable")].astype(np.int32)
        forms_offsets = np.zeros(len(canons) + 1, dtype=np.int64)
        np.cumsum(np.bincount(word_canon[with_canon], minlength=len(canons)), out=forms_offsets[1:])
        # A title holding two forms of one word counts once.
        canon_df = np.zeros(len(canons), dtype=np.int32)
        for c in range(len(canons)):
            members = forms[forms_offsets[c]:forms_offsets[c + 1]]
            if len(members) == 1:
                canon_df[c] = counts[members[0]]
            else:
                canon_df[c] = len(union([postings[postings_offsets[w]:postings_offsets[w + 1]] for w in members]))
        arrays = {
            "rowids": np.frombuffer(rowids, dtype=np.int64) if rowids else np.zeros(0, np.int64),
            "title_offsets": offsets,
            "titles": np.frombuffer(b"".join(encoded), dtype=np.uint8),
            "title_order": np.array(order, dtype=np.int32),
            "postings_offsets": postings_offsets, "postings": postings,
            "words": _blob(words), "canons": _blob(canons),
            "forms_offsets": forms_offsets, "forms": forms, "canon_df": canon_df,
        }
        return cls(arrays, dict(meta or {}))

    # ---- the file -------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        path = Path(path)
        arrays = self._arrays()
        described, at = {}, 0
        for name, values in arrays.items():
            described[name] = [values.dtype.str, at, int(values.size)]
            at += _aligned(values.nbytes)
        header = json.dumps({"meta": self.meta, "arrays": described}).encode()
        start = _aligned(16 + len(header))
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with temporary.open("wb") as out:
                out.write(MAGIC + len(header).to_bytes(8, "little") + header)
                out.write(b"\0" * (start - 16 - len(header)))
                for values in arrays.values():
                    data = np.ascontiguousarray(values).tobytes()
                    out.write(data + b"\0" * (_aligned(len(data)) - len(data)))
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)

    @classmethod
    def load(cls, path: str | Path) -> PackedTitles:
        """The saved index; ValueError when the file is not one (or a damaged one)."""
        with open(path, "rb") as file:
            if os.fstat(file.fileno()).st_size < 16:
                raise ValueError("too short")
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        if mapped[:8] != MAGIC:
            raise ValueError("not a paperboy title index")
        length = int.from_bytes(mapped[8:16], "little")
        try:
            header = json.loads(mapped[16:16 + length])
            start = _aligned(16 + length)
            arrays = {}
            for name, (dtype, offset, size) in header["arrays"].items():
                arrays[name] = np.frombuffer(mapped, dtype=np.dtype(dtype), count=size, offset=start + offset)
            return cls(arrays, header["meta"], keep=mapped)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"damaged: {exc}") from None

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"rowids": self.rowids, "title_offsets": self._offsets, "titles": self._blob,
                "title_order": self.in_title_order, "postings_offsets": self._postings_offsets,
                "postings": self._postings, "words": _blob(self.words), "canons": _blob(self.canons),
                "forms_offsets": self._forms_offsets, "forms": self._forms, "canon_df": self.canon_df}

    # ---- reading --------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.rowids)

    @property
    def mapped(self) -> bool:
        """Opened from its file (rather than built in this process)."""
        return self._keep is not None

    def title(self, position: int) -> str:
        return self._blob[self._offsets[position]:self._offsets[position + 1]].tobytes().decode()

    def position_of(self, rowid: int) -> int | None:
        at = int(np.searchsorted(self.rowids, rowid))
        return at if at < len(self.rowids) and self.rowids[at] == rowid else None

    def with_prefix(self, prefix: str, limit: int, whole: bool = False) -> list[int]:
        order = self.in_title_order
        at = bisect.bisect_left(order, prefix, key=self.title)
        found = []
        while at < len(order) and len(found) < limit:
            position = int(order[at])
            title = self.title(position)
            if (whole and title != prefix) or not title.startswith(prefix):
                break
            found.append(position)
            at += 1
        return found

    def word_postings(self, word: str) -> np.ndarray:
        number = self._word_number.get(word)
        if number is None:
            return _NONE
        return self._postings[self._postings_offsets[number]:self._postings_offsets[number + 1]]

    def forms(self, canon: str) -> list[str]:
        number = self._canon_number.get(canon)
        if number is None:
            return []
        return [self.words[w] for w in self._forms[self._forms_offsets[number]:self._forms_offsets[number + 1]]]

    def document_frequency(self, canon: str) -> int:
        number = self._canon_number.get(canon)
        return 0 if number is None else int(self.canon_df[number])


_NONE = np.zeros(0, dtype=np.int32)


def _blob(strings: list[str]) -> np.ndarray:
    return np.frombuffer("\n".join(strings).encode(), dtype=np.uint8)


def _strings(blob: np.ndarray) -> list[str]:
    return blob.tobytes().decode().split("\n") if blob.size else []


def _aligned(size: int) -> int:
    return (size + _ALIGN - 1) // _ALIGN * _ALIGN
