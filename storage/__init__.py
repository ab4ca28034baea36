"""Stores: implementations of the core's Store interface (paperboy.bot.store), and the only place
that speaks SQL. sqlite is the embedded default (one file, WAL, migrations its versioned schema);
postgres shares one PostgreSQL database between processes on many machines (postgres_schema its
schema); sql is what both run alike; locations reads where a database is; transfer copies an
installation from one store to another. Imports nothing of paperboy but paperboy.bot.models and
paperboy.bot.text (the full-text query words)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from paperboy.storage.locations import is_postgres, redacted, sqlite_path

__all__ = ["is_postgres", "open_store", "redacted", "sqlite_path"]


def open_store(location: str | Path, **options: Any) -> Any:
    """The store at `location`: a postgresql:// URL opens PostgreSQL, anything else a SQLite file.
    `options` go to the store's constructor."""
    if is_postgres(location):
        from paperboy.storage.postgres import PostgresStore

        return PostgresStore(str(location), **options)
    from paperboy.storage.sqlite import SQLiteStore

    return SQLiteStore(sqlite_path(location), **options)
