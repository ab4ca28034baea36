"""Papers counted by month for a query, and the most upvoted of them (trend charts)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from paperboy.bot.models import CategoryMatch, FilterItem, Paper, PaperFilter, WordsMatch
from paperboy.storage.sql.base import SQLBase
from paperboy.storage.sql.papers import PAPER_FIELDS, row_to_paper


def month_after(month: str) -> str:
    """"2024-12" -> "2025-01"."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def _surname_condition(item: WordsMatch) -> tuple[str, list[Any]]:
    """The name ends with the word, or its first hyphenated half is the word: compared on the
    stored JSON list of names, lower-cased (a name is followed by its closing quote)."""
    last = item.words[-1]
    return ("(lower(authors) LIKE ? OR lower(authors) LIKE ?)", [f'%{last}"%', f"%{last}-%"])


def _contains_condition(item: WordsMatch) -> tuple[str, list[Any]]:
    pattern = f"%{item.contains}%"
    return "(lower(title) LIKE ? OR lower(abstract) LIKE ?)", [pattern, pattern]


def _row_conditions(item: WordsMatch) -> list[tuple[str, list[Any]]]:
    """What an item asks of the row besides its full-text match."""
    found = [_surname_condition(item)] if item.surname else []
    if item.contains:
        found.append(_contains_condition(item))
    return found


def _category_condition(item: CategoryMatch) -> tuple[str, list[Any]]:
    if item.archive:
        return "(lower(categories) LIKE ? OR lower(categories) LIKE ?)", [f'%"{item.category}.%', f'%"{item.category}"%']
    return "lower(categories) LIKE ?", [f'%"{item.category}"%']


class TrendSQL(SQLBase):
    """Monthly counts, as every engine computes them (full-text matching is the engine's)."""

    def _fulltext_rowids(self, clauses: list[tuple[WordsMatch, ...]]) -> tuple[str, list[Any]]:
        """SQL selecting the rowids of the papers matching every clause (each an OR of items), by
        the engine's full-text index, with its parameters."""
        raise NotImplementedError

    def _item_condition(self, item: FilterItem) -> tuple[str, list[Any]]:
        if isinstance(item, CategoryMatch):
            return _category_condition(item)
        sql, params = self._fulltext_rowids([(item,)])
        extra = _row_conditions(item)
        if not extra:
            return f"+rowid IN ({sql})", params
        return ("(" + " AND ".join([f"+rowid IN ({sql})", *(each for each, _ in extra)]) + ")",
                [*params, *(value for _, more in extra for value in more)])

    def _filter_where(self, paper_filter: PaperFilter) -> tuple[str, list[Any]]:
        """The filter as one SQL condition on papers: the clauses made only of words go to the
        full-text index together, in one lookup; categories, surnames and mixed clauses are
        conditions on the row. The matches are a set the month's papers are checked against (the
        unary + keeps SQLite from looking each match up by rowid instead): the papers of a range of
        months are read from the papers_by_month index alone, so a common word costs no more
        than the months' papers."""
        if not paper_filter.clauses:
            raise ValueError("a paper filter needs at least one clause")
        fulltext: list[tuple[WordsMatch, ...]] = []
        conditions: list[tuple[str, list[Any]]] = []
        for clause in paper_filter.clauses:
            words_only = all(isinstance(item, WordsMatch) for item in clause)
            if words_only and len(clause) == 1:
                fulltext.append(clause)  # type: ignore[arg-type]
                conditions.extend(_row_conditions(clause[0]))  # type: ignore[arg-type]
            elif words_only and not any(_row_conditions(item) for item in clause):  # type: ignore[arg-type]
                fulltext.append(clause)  # type: ignore[arg-type]
            else:
                parts = [self._item_condition(item) for item in clause]
                conditions.append(("(" + " OR ".join(sql for sql, _ in parts) + ")",
                                   [value for _, params in parts for value in params]))
        if fulltext:
            sql, params = self._fulltext_rowids(fulltext)
            conditions.insert(0, (f"+rowid IN ({sql})", params))
        for item in paper_filter.excluded:
            sql, params = self._item_condition(item)
            conditions.append((f"NOT {sql}", params))
        return " AND ".join(sql for sql, _ in conditions), [value for _, params in conditions for value in params]

    def monthly_counts(self, paper_filter: PaperFilter, since_month: str, until_month: str) -> dict[str, int]:
        where, params = self._filter_where(paper_filter)
        rows = self._all(
            "SELECT substr(published, 1, 7) AS month, count(*) FROM papers "
            f"WHERE published >= ? AND published < ? AND withdrawn = 0 AND {where} GROUP BY substr(published, 1, 7)",
            [since_month, month_after(until_month), *params])
        return {row[0]: row[1] for row in rows}

    def most_upvoted(self, paper_filters: Sequence[PaperFilter], since_month: str, until_month: str,
                     limit: int = 3) -> list[Paper]:
        wheres = [self._filter_where(paper_filter) for paper_filter in paper_filters]
        if not wheres:
            return []
        where = " OR ".join(f"({sql})" for sql, _ in wheres)
        # The order is decided on the index alone; only the few papers kept are read whole.
        order = "ORDER BY coalesce(upvotes, -1) DESC, published DESC, rowid DESC"
        rows = self._all(
            f"SELECT {PAPER_FIELDS} FROM papers WHERE rowid IN (SELECT rowid FROM papers "
            f"WHERE published >= ? AND published < ? AND withdrawn = 0 AND ({where}) {order} LIMIT ?) {order}",
            [since_month, month_after(until_month), *(value for _, params in wheres for value in params), limit])
        return [row_to_paper(r) for r in rows]

    def latest_published(self, on_or_before: str) -> str | None:
        row = self._one("SELECT max(published) FROM papers WHERE published <= ?", [on_or_before])
        return row[0] if row else None
