"""Where paperboy keeps its database, and which values of the environment never reach a log."""
from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

from paperboy.adapters import platforms
from paperboy.bot.settings import SettingError, flag, seconds, whole_number
from paperboy.storage.locations import SQLITE_SCHEME, is_postgres, sqlite_path

__all__ = ["SettingError", "database_location", "flag", "redact_logs", "seconds", "secret_names", "whole_number"]

MIN_SECRET_CHARS = 6  # shorter values are too likely to occur in ordinary text to be replaced


DATABASE_FORMS = ("a file path, sqlite:///relative/path.db, sqlite:////absolute/path.db "
                  "or postgresql://user:password@host:5432/name")
_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def database_location(cli_value: str | None, env: Mapping[str, str] = os.environ, *,
                      option: str = "--db") -> Path | str:
    """`cli_value` (given as `option`), else PAPERBOY_DB, else a file in the user's data directory:
    a postgresql:// URL as given, anything else (a path, sqlite:///path) as the SQLite file's path.
    The sqlite:/// form is SQLAlchemy's: three slashes and a relative path, four for an absolute one.
    An empty value or another URL scheme is refused (SettingError), never read as a file name."""
    if cli_value is not None:
        given, named = cli_value.strip(), option
    else:
        given, named = (env.get("PAPERBOY_DB") or "").strip(), "PAPERBOY_DB"
        if not given:
            return Path(platformdirs.user_data_dir("paperboy")) / "paperboy.db"
    if not given:
        raise SettingError(f"{named} is empty: give {DATABASE_FORMS}")
    if is_postgres(given):
        return given
    scheme = _URL_SCHEME.match(given)
    if scheme and not given.startswith(SQLITE_SCHEME):
        name = scheme.group(1)
        if name.lower() == "sqlite":
            raise SettingError(f"{named}: a SQLite URL has three slashes: sqlite:///relative/path.db, "
                               "or four for an absolute path: sqlite:////absolute/path.db")
        raise SettingError(f"unsupported database URL scheme {name[:20]!r} "
                           "(use a file path, sqlite:///..., or postgresql://...)")
    return sqlite_path(given).expanduser()


def secret_names() -> tuple[str, ...]:
    """The variables every registered platform keeps its secrets in."""
    return tuple(name for platform in platforms() for name in platform.secrets)


class RedactSecrets(logging.Filter):
    """Puts <NAME> in place of any secret's value in a log line or its traceback, so an error a
    library quotes (a URL, a request it made) cannot carry a token into the log. The passwords of
    PAPERBOY_DB's URL and of any database URL given on the command line (`locations`) are secrets too."""

    def __init__(self, names: Iterable[str], env: Mapping[str, str] = os.environ, locations: Iterable[str] = ()):
        super().__init__()
        self._secrets = [(env[name], f"<{name}>") for name in names
                         if len((env.get(name) or "").strip()) >= MIN_SECRET_CHARS]
        labelled = [(env.get("PAPERBOY_DB") or "", "<PAPERBOY_DB password>"),
                    *((location, "<database password>") for location in locations)]
        for location, label in labelled:
            password = urlsplit(location).password if is_postgres(location) else None
            if password and len(password) >= MIN_SECRET_CHARS:
                self._secrets.append((password, label))

    def _redacted(self, text: str) -> str:
        for value, label in self._secrets:
            text = text.replace(value, label)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        clean = self._redacted(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redacted(record.exc_text)
        return True


def redact_logs(handlers: Iterable[logging.Handler], env: Mapping[str, str] = os.environ,
                locations: Iterable[str] = ()) -> None:
    """Every line these handlers write goes through RedactSecrets (`locations`: database URLs given
    on the command line)."""
    redact = RedactSecrets(secret_names(), env, locations)
    for handler in handlers:
        handler.addFilter(redact)
