"""Stores: implementations of every store protocol the core declares (bot/store.py, and each
subsystem's store.py), and the only place that speaks SQL. sqlite is the embedded default (one file,
WAL, migrations its versioned schema); postgres shares one PostgreSQL database between processes on
many machines (postgres_schema its schema); sql is what both run alike, one module per part of the
data; locations reads where a database is; transfer copies an installation from one store to
another. Imports nothing of paperboy but paperboy.bot.models and paperboy.bot.text (the full-text
query words)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from paperboy.storage.locations import is_postgres, redacted, sqlite_path

__all__ = ["CannotOpen", "is_postgres", "open_store", "redacted", "sqlite_path"]


class CannotOpen(Exception):
    """The database cannot be opened or created; the message says which and why (never a password)."""


def open_store(location: str | Path, **options: Any) -> Any:
    """The store at `location`: a postgresql:// URL opens PostgreSQL, anything else a SQLite file.
    `options` go to the store's constructor. Raises CannotOpen with the reason."""
    if is_postgres(location):
        import psycopg

        from paperboy.storage.postgres import PostgresStore

        try:
            return PostgresStore(str(location), **options)
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise CannotOpen(f"cannot open database {redacted(location)}: {reason}") from None
    import sqlite3

    from paperboy.storage.sqlite import SQLiteStore

    path = sqlite_path(location)
    try:
        return SQLiteStore(path, **options)
    except sqlite3.DatabaseError as exc:
        raise CannotOpen(f"cannot open database {path}: {exc}") from exc
    except OSError as exc:
        raise CannotOpen(f"cannot create database {path}: {exc.strerror or exc}") from exc
