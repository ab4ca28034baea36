"""What the search subsystem asks of a store: full-text search, the titles its index follows, the
names papers give themselves, and sentence vectors (the semantic extra)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from paperboy.bot.models import Named, NameSource
from paperboy.bot.store import PaperStore, StateStore, StoreThread


class NameStore(StoreThread, Protocol):
    """The names papers give themselves: mined by the core (naming), kept by the store."""

    def papers_named(self, alias: str, limit: int = 50) -> list[Named]:
        """The papers holding a name (paperboy.bot.search.aliases: `alias` as alias_key makes it),
        strongest kind first, then earliest, at most `limit`; each row also counts the papers
        defining the name the same way and holding it at all. One indexed query."""

    def papers_to_name(self, limit: int, newest_first: bool = False) -> list[NameSource]:
        """Papers whose names are to be mined (stored with a new or changed text, or before names
        were kept), oldest first (or newest first)."""

    def save_names(self, rowids: list[int], names: list[tuple[str, int, str, int, str, str | None]]) -> int:
        """The names mined for these papers, (alias, paper rowid, kind, strength, expansion, dated),
        in place of the ones they had; the papers no longer wait. Returns how many waited."""

    def names_left(self) -> int:
        """How many papers wait for their names."""


class SearchStore(PaperStore, NameStore, Protocol):
    """Searching the stored papers."""

    def fts_search(self, match_expression: str, limit: int = 50,
                   weights: tuple[float, float, float] = (10.0, 1.0, 2.0)) -> list[tuple[int, float]]:
        """(rowid, bm25) best first over title, abstract and authors, weighted in that order. The
        expression must already be safe full-text syntax: callers build it with
        paperboy.bot.search.fts, never from raw user text."""

    def fts_newest(self, match_expression: str, limit: int) -> list[int]:
        """The rowids of the `limit` papers stored last that match, unranked: a sample of how a
        word is used now, cheap however many papers hold it."""

    def fts_count(self, match_expression: str, up_to: int) -> int:
        """How many papers the expression matches, counted up to `up_to` (nothing is ranked, so
        this is cheap however many match)."""

    def fts_counts(self, match_expressions: list[str], up_to: int) -> list[int]:
        """fts_count of each expression, in one call (one statement per hundred): how many papers
        hold each of a paper's words, the rarity its distinctive terms are weighed by."""

    def iter_titles(self) -> Iterator[tuple[int, str]]:
        """(rowid, normalized title) for every paper, in rowid order: what in-memory title indexes
        are built from."""

    def titles_since(self, rowid: int) -> list[tuple[int, str]]:
        """iter_titles for the papers stored after `rowid`."""

    def titles_of(self, rowids: list[int]) -> dict[int, str]:
        """rowid -> normalized title, for those of `rowids` that are stored."""

    def title_changes_since(self, seq: int) -> tuple[int, list[tuple[int, str]]]:
        """Papers whose title changed after change number `seq`, as (rowid, normalized title) in the
        order they changed, with the number of the last change; seq 0 gives every change so far."""

    def shared_copy(self, suffix: str) -> str | None:
        """The id of the copy of side_file(suffix) that the database itself keeps for processes
        on other machines, or None (none kept yet, or a database whose processes share a machine)."""

    def fetch_shared_copy(self, suffix: str) -> str | None:
        """Writes the database's copy to side_file(suffix), replacing the file whole; its id, or
        None when the database keeps none."""

    def keep_shared_copy(self, suffix: str, copy: str) -> None:
        """Keeps side_file(suffix) in the database as the copy `copy`, replacing the one kept
        before (nothing, where the database keeps no copies)."""



class VectorStore(StateStore, Protocol):
    """Sentence vectors of papers, numbered in the order they are written."""

    def papers_without_vectors(self, after_rowid: int, limit: int) -> list[tuple[int, str, str | None]]:
        """Up to `limit` papers after `after_rowid` with no stored vector yet, as (rowid, title,
        abstract), in rowid order."""

    def save_vectors(self, rows: list[tuple[int, bytes]]) -> None:
        """Stores (paper rowid, encoded vector) rows in one transaction, replacing older ones."""

    def vectors_written_after(self, seq: int, limit: int) -> list[tuple[int, int, bytes]]:
        """Up to `limit` stored vectors written after the one numbered `seq`, as (seq, paper rowid,
        vector) in the order written: a paper embedded again comes again, with a new number."""

    def vectors_of(self, rowids: list[int]) -> dict[int, bytes]:
        """The stored vectors of these papers, by rowid (those that have one)."""

    def count_vectors(self) -> int: ...

    def clear_vectors(self) -> None:
        """Forgets every stored vector (another model's vectors cannot be compared with this one's)."""
