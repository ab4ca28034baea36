"""The title index saved beside its database, so a start does not rebuild it (25 s at 3 million
papers): opened when it still describes the database, built and saved again when it does not,
or when too many papers came after it. A database server's processes on other machines share it
too: the database keeps a copy (SearchStore.keep_shared_copy), which a machine without it, or with
an older one, fetches instead of building the index itself.

What the file must agree with: the database's rowids and titles at the moment it was built (a few
sampled titles are compared, so a database restored from a backup or swapped for another is
noticed) and the number of the last title change it includes (later ones are replayed).
"""
from __future__ import annotations

import logging
import time
import uuid

from paperboy.bot.search.packed_titles import PackedTitles
from paperboy.bot.search.store import SearchStore
from paperboy.bot.search.title_index import TitleIndex

log = logging.getLogger(__name__)

SUFFIX = "titles"
FORMAT = 1
SAVE_FROM = 10_000  # smaller libraries are built at start in well under a second
SAMPLES = 32
REBUILD_AFTER = 50_000  # papers stored after the saved ones (or a tenth of those, when more)


def open_index(store: SearchStore) -> tuple[TitleIndex, int]:
    """The title index and the title change it follows: the saved one when it fits the database
    (the caller adds what came since), otherwise built now, and saved when the library is large."""
    return open_saved(store) or build_index(store)


def open_saved(store: SearchStore) -> tuple[TitleIndex, int] | None:
    """The saved title index when there is one and it fits the database; None otherwise."""
    path = store.side_file(SUFFIX)
    if path is None:
        return None
    packed = _load(path)
    shared = store.shared_copy(SUFFIX)
    if shared is not None and (packed is None or packed.meta.get("copy") != shared):
        started = time.perf_counter()
        if store.fetch_shared_copy(SUFFIX) is not None:
            packed = _load(path)
            log.info("title index: fetched the database's copy in %.2fs", time.perf_counter() - started)
    if packed is None:
        return None
    why_not = _unfit(store, packed)
    if why_not is not None:
        log.info("the saved title index is not used (%s)", why_not)
        return None
    if shared is None and "copy" in packed.meta:  # saved before the database kept copies
        store.keep_shared_copy(SUFFIX, packed.meta["copy"])
    return TitleIndex(packed), int(packed.meta["title_changes"])


def _load(path) -> PackedTitles | None:
    if not path.exists():
        return None
    try:
        return PackedTitles.load(path)
    except (OSError, ValueError) as exc:
        log.warning("the saved title index %s cannot be read (%s)", path, exc)
        return None


def saved_version(store: SearchStore) -> tuple | None:
    """What tells one saved index from the next (another process saved a newer one, on this
    machine or, kept in the database, on another)."""
    path = store.side_file(SUFFIX)
    try:
        stat = path.stat() if path is not None else None
    except OSError:
        stat = None
    shared = store.shared_copy(SUFFIX)
    if stat is None and shared is None:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns) if stat else None, shared


def build_index(store: SearchStore, save: bool = True) -> tuple[TitleIndex, int]:
    """The title index from every stored title, saved beside the database when it is large."""
    started = time.perf_counter()
    changes, _ = store.title_changes_since(0)  # read before the titles: no change is missed
    packed = PackedTitles.build(store.iter_titles(), {"format": FORMAT, "title_changes": changes,
                                                      "copy": uuid.uuid4().hex})
    packed.meta["samples"] = _samples(packed)
    path = store.side_file(SUFFIX)
    if save and path is not None and len(packed) >= SAVE_FROM:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            packed.save(path)
        except OSError as exc:  # a read-only folder: the bot works, it only starts slower
            log.warning("the title index cannot be saved to %s: %s", path, exc)
        else:
            store.keep_shared_copy(SUFFIX, packed.meta["copy"])
    log.info("title index: %d papers in %.2fs", len(packed), time.perf_counter() - started)
    return TitleIndex(packed), changes


def too_far_behind(index: TitleIndex, coming: int = 0) -> bool:
    """Whether so many papers came after the packed titles (with `coming`, those about to be added)
    that building them again is worth it."""
    later = len(index) - len(index.packed) + max(0, coming)
    return later > max(REBUILD_AFTER, len(index.packed) // 10)


def _samples(packed: PackedTitles) -> list[list]:
    if not len(packed):
        return []
    step = max(1, len(packed) // SAMPLES)
    positions = sorted({*range(0, len(packed), step), len(packed) - 1})
    return [[int(packed.rowids[p]), packed.title(p)] for p in positions]


def _unfit(store: SearchStore, packed: PackedTitles) -> str | None:
    meta = packed.meta
    if meta.get("format") != FORMAT or "title_changes" not in meta or "samples" not in meta:
        return "an older format"
    if len(packed) and store.max_rowid() < int(packed.rowids[-1]):
        return "the database holds fewer papers than the index"
    last_change, changed = store.title_changes_since(int(meta["title_changes"]))
    if last_change < int(meta["title_changes"]):
        return "the database is older than the index"
    retitled = {rowid for rowid, _ in changed}
    samples = {rowid: title for rowid, title in meta["samples"] if rowid not in retitled}
    stored = store.titles_of(list(samples))
    if any(rowid in stored and stored[rowid] != title for rowid, title in samples.items()):
        return "its titles differ from the database's"
    return None
