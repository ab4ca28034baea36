"""Where a database is: a postgresql:// URL or a SQLite file, and how its location may be shown."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
SQLITE_SCHEME = "sqlite:///"


def is_postgres(location: str | Path) -> bool:
    return str(location).startswith(POSTGRES_SCHEMES)


def sqlite_path(location: str | Path) -> Path:
    """The file a SQLite location names: a path, or sqlite:///relative.db and sqlite:////absolute.db."""
    text = str(location)
    return Path(text[len(SQLITE_SCHEME):] if text.startswith(SQLITE_SCHEME) else text)


def redacted(location: str | Path) -> str:
    """The location as it may be shown and logged: a URL's password replaced by ***."""
    parts = urlsplit(str(location))
    if not is_postgres(location) or parts.password is None:
        return str(location)
    netloc = f"{parts.username}:***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
