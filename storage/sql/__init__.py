"""What both stores share: the store methods whose SQL is the same on SQLite and PostgreSQL, one
module per part of the data (papers, names, vectors, daily lists, trends, channels, subscriptions,
reading lists, the outbox, leases, state).

SQL here is written once, with `?` placeholders, in the subset both engines speak: the PostgreSQL
store turns `?` into its own placeholders and `IS NOT x` into `IS DISTINCT FROM x`. Each backend
supplies a transaction (`_transaction`), reads (`_all`, `_one`), its way of waiting out a busy or
lost database (`_retrying`), and the few methods whose SQL has to differ (full-text search, bulk
loading, claiming). Times are computed here, not by the engine, so both store the same text; a
lease's times are the exception, read from the database's clock (each engine's DB_NOW and DB_LATER,
in that same text), so that no host's clock decides whether a lease is live.
"""
from __future__ import annotations

from paperboy.storage.sql.base import CHUNK, SQLBase, Transaction, chunks, ids, key_range, later, marks, write
from paperboy.storage.sql.channels import ChannelSQL
from paperboy.storage.sql.leases import LeaseSQL
from paperboy.storage.sql.lists import ListSQL
from paperboy.storage.sql.names import NameSQL
from paperboy.storage.sql.outbox import OutboxSQL
from paperboy.storage.sql.papers import ON_CONFLICT, PAPER_COLUMNS, PAPER_FIELDS, PaperSQL, row_to_paper
from paperboy.storage.sql.reading import ReadingSQL
from paperboy.storage.sql.state import StateSQL
from paperboy.storage.sql.subscriptions import SubscriptionSQL
from paperboy.storage.sql.trends import TrendSQL
from paperboy.storage.sql.vectors import VectorSQL

__all__ = ["CHUNK", "ON_CONFLICT", "PAPER_COLUMNS", "PAPER_FIELDS", "SQLStore", "Transaction", "chunks", "ids",
           "key_range", "later", "marks", "row_to_paper", "write"]


class SQLStore(PaperSQL, NameSQL, VectorSQL, ListSQL, TrendSQL, ChannelSQL, SubscriptionSQL, ReadingSQL, OutboxSQL,
               LeaseSQL, StateSQL, SQLBase):
    """The shared half of a store; SQLiteStore and PostgresStore supply the rest."""
