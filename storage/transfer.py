"""A whole installation copied from one store to another (SQLite to PostgreSQL and back): papers,
daily lists, channels, subscriptions, deliveries with their keys, state, reading lists, and what
is derived from papers but costly to make again (their names and sentence vectors).

Rows keep their ids, so alert keys still name their subscriptions and a paper keeps its place in
the title index. Each batch is one transaction in the target and a row already there is left
alone, so a copy interrupted and run again goes on where it stopped and never doubles a row. Ids
handed out later continue above every id the source ever gave (subscription ids are never reused).
What belongs to running processes (leases, pacing, title-change cursors) is not copied: the
processes of the new installation make their own.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from paperboy.storage.sql import PAPER_COLUMNS, SQLStore

BATCH = 2000


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    order: str  # the primary key: the order rows are copied in
    id_column: str | None = None  # an integer id: a resumed copy starts after the target's highest
    hands_out_ids: bool = True  # the id column's ids are handed out by the table (then they continue)


TABLES = (
    Table("papers", ("rowid", *PAPER_COLUMNS, "matched", "withdrawn"), "rowid", "rowid"),
    Table("daily_lists", ("date", "source", "rank", "paper_key", "upvotes"), "date, source, paper_key"),
    Table("channels", ("id", "platform", "workspace", "channel", "daily_time", "tz", "top_n", "min_upvotes",
                       "filter", "sources", "thread_per_paper", "enabled", "created", "updated", "paused", "every",
                       "week_day", "lag_days"), "id", "id"),
    Table("subscriptions", ("id", "platform", "workspace", "owner", "channel", "notify", "query", "created"),
          "id", "id"),
    Table("deliveries", ("id", "dedupe_key", "kind", "platform", "workspace", "channel", '"user"', "mode", "payload",
                         "status", "attempts", "next_attempt_at", "last_error", "external_id", "note", "created",
                         "sent_at", "lease_owner", "lease_until", "settled_at", "bundle"), "id", "id"),
    Table("state", ("name", "value"), "name"),
    Table("saved_papers", ("platform", "workspace", "owner", "paper_key", "saved_at"),
          "platform, workspace, owner, paper_key"),
    # Derived from papers, but copied as they are (papers keep their rowids): the names mined, and
    # the papers whose names are still to be mined.
    Table("paper_aliases", ("alias", "paper_rowid", "kind", "strength", "expansion", "dated"), "alias, paper_rowid"),
    Table("names_pending", ("paper_rowid",), "paper_rowid", "paper_rowid", hands_out_ids=False),
    # The semantic extra's vectors: hours of computing at a library's size, so copied, keyed by rowid.
    Table("paper_vectors", ("paper_rowid", "vec", "written_seq"), "paper_rowid", "paper_rowid", hands_out_ids=False),
)

Progress = Callable[[str, int, int], None]  # (table, rows copied so far, rows in the source)


class CountMismatch(Exception):
    """The target does not hold what the source holds after the copy."""


def copy_installation(source: SQLStore, target: SQLStore, progress: Progress | None = None,
                      batch: int = BATCH) -> dict[str, int]:
    """Copies every table of `source` into `target`, then checks the counts; returns rows per table.
    Raises CountMismatch when a table's counts differ (the target held rows of its own)."""
    counts = {}
    for table in TABLES:
        total = source._one(f"SELECT count(*) FROM {table.name}")[0]
        counts[table.name] = total
        _copy_table(source, target, table, total, progress or (lambda *_: None), batch)
        if table.id_column and table.hands_out_ids:
            target.ids_continue_after(table.name, table.id_column, source.highest_id_given(table.name, table.id_column))
    differ = [f"{t.name}: {counts[t.name]:,} in the source, {target._one(f'SELECT count(*) FROM {t.name}')[0]:,} "
              "in the target" for t in TABLES if target._one(f"SELECT count(*) FROM {t.name}")[0] != counts[t.name]]
    if differ:
        raise CountMismatch("; ".join(differ))
    return counts


def _copy_table(source: SQLStore, target: SQLStore, table: Table, total: int, progress: Progress,
                batch: int) -> None:
    columns = ", ".join(table.columns)
    insert = (f"INSERT INTO {table.name} ({columns}) VALUES ({', '.join('?' * len(table.columns))}) "
              "ON CONFLICT DO NOTHING")
    if table.id_column:
        # Rows go in id order, a batch per transaction: the target's highest id is how far a copy got.
        after = target._one(f"SELECT coalesce(max({table.id_column}), 0) FROM {table.name}")[0]
        done = source._one(f"SELECT count(*) FROM {table.name} WHERE {table.id_column} <= ?", [after])[0]
        progress(table.name, done, total)
        while rows := source._all(f"SELECT {columns} FROM {table.name} WHERE {table.id_column} > ? "
                                  f"ORDER BY {table.id_column} LIMIT ?", [after, batch]):
            with target._transaction() as tx:
                tx.executemany(insert, [tuple(row) for row in rows])
                if table.name == "papers":  # PostgreSQL's word index is the store's to write
                    target._index_words(tx, [row[1] for row in rows])
            after = rows[-1][0]
            done += len(rows)
            progress(table.name, done, total)
        return
    done = 0  # small tables without an integer id: every row again, those already there left alone
    progress(table.name, done, total)
    while rows := source._all(f"SELECT {columns} FROM {table.name} ORDER BY {table.order} LIMIT ? OFFSET ?",
                              [batch, done]):
        with target._transaction() as tx:
            tx.executemany(insert, [tuple(row) for row in rows])
        done += len(rows)
        progress(table.name, done, total)
