"""Files derived from a PostgreSQL database (the saved title index), shared by every process on
every machine: each machine keeps its copy in a cache folder, named by the database's id, where
its processes memory-map it (lookup workers share its pages); the database keeps the newest copy
too, in chunks, so that a process on a machine without one fetches it instead of building it.

Why in the database and not only in a cache folder: a new machine (or a container whose cache is
gone) would otherwise build the index at its first start, 25 s at 3 million papers; fetching the
copy is reading a few dozen megabytes. Why not only in the database: memory-mapping needs a file,
and the workers of one machine share one.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import platformdirs

CHUNK = 8 * 2**20


def cache_folder(configured: str | Path | None) -> Path:
    """Where this machine keeps its copies: `configured`, else PAPERBOY_CACHE_DIR, else the user's
    cache folder."""
    return Path(configured or os.environ.get("PAPERBOY_CACHE_DIR") or platformdirs.user_cache_dir("paperboy"))


def kept_copy(conn: Any, name: str) -> str | None:
    row = conn.execute("SELECT copy FROM shared_files WHERE name = %s", [name]).fetchone()
    return None if row is None else row[0]


def fetch(conn: Any, name: str, path: Path) -> str | None:
    """Writes the database's copy of `name` to `path` (whole, or not at all); its id, or None."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.fetching")
    copy = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("wb") as out, conn.cursor() as cursor:
            # One statement: one snapshot, so the chunks are all of one copy.
            for row in cursor.stream("SELECT f.copy, c.data FROM shared_files f JOIN shared_file_chunks c "
                                     "ON c.name = f.name WHERE f.name = %s ORDER BY c.seq", [name]):
                copy = row[0]
                out.write(row[1])
            out.flush()
            os.fsync(out.fileno())
        if copy is not None:
            os.replace(temporary, path)
        return copy
    finally:
        temporary.unlink(missing_ok=True)


def keep(conn: Any, name: str, path: Path, copy: str, written: str) -> None:
    """Stores the file at `path` as the database's copy of `name`, replacing the one before."""
    with conn.transaction(), path.open("rb") as source:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('shared_files:' || %s))", [name])
        conn.execute("DELETE FROM shared_file_chunks WHERE name = %s", [name])
        seq = size = 0
        while data := source.read(CHUNK):
            conn.execute("INSERT INTO shared_file_chunks (name, seq, data) VALUES (%s, %s, %s)", [name, seq, data])
            seq += 1
            size += len(data)
        conn.execute("INSERT INTO shared_files (name, copy, size, written) VALUES (%s, %s, %s, %s) ON CONFLICT (name) "
                     "DO UPDATE SET copy = excluded.copy, size = excluded.size, written = excluded.written",
                     [name, copy, size, written])
