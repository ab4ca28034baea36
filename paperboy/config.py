"""Where paperboy keeps its database, and which values of the environment never reach a log."""
from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import platformdirs

from paperboy.adapters import platforms
from paperboy.storage.locations import is_postgres, sqlite_path

T = TypeVar("T")

MIN_SECRET_CHARS = 6  # shorter values are too likely to occur in ordinary text to be replaced


def database_location(cli_value: str | None, env: Mapping[str, str] = os.environ) -> Path | str:
    """--db, else PAPERBOY_DB, else a file in the user's data directory: a postgresql:// URL as
    given, anything else (a path, sqlite:///path) as the SQLite file's path."""
    given = cli_value or env.get("PAPERBOY_DB")
    if not given:
        return Path(platformdirs.user_data_dir("paperboy")) / "paperboy.db"
    if is_postgres(given):
        return given
    return sqlite_path(given).expanduser()


class SettingError(ValueError):
    """An environment variable set to something paperboy cannot use; the message names it."""


def seconds(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    """A duration setting in seconds: `default` when unset, else a number no smaller than `minimum`."""
    value, text = _read(env, name, float, "a number of seconds")
    if value is None:
        return default
    if not value >= minimum:  # also refuses nan
        raise SettingError(f"{name} must be {minimum:g} seconds or more, not {text[:20]!r}")
    return value


def whole_number(env: Mapping[str, str], name: str, default: int, *, minimum: int, maximum: int) -> int:
    """A count setting: `default` when unset, else a whole number from `minimum` to `maximum`."""
    value, text = _read(env, name, int, "a whole number")
    if value is None:
        return default
    if not minimum <= value <= maximum:
        raise SettingError(f"{name} must be from {minimum} to {maximum}, not {text[:20]!r}")
    return value


def _read(env: Mapping[str, str], name: str, convert: Callable[[str], T], kind: str) -> tuple[T | None, str]:
    """A setting's value converted, and its text; (None, "") when unset."""
    text = (env.get(name) or "").strip()
    if not text:
        return None, text
    try:
        return convert(text), text
    except ValueError:
        raise SettingError(f"{name} must be {kind}, not {text[:20]!r}") from None


def secret_names() -> tuple[str, ...]:
    """The variables every registered platform keeps its secrets in."""
    return tuple(name for platform in platforms() for name in platform.secrets)


class RedactSecrets(logging.Filter):
    """Puts <NAME> in place of any secret's value in a log line or its traceback, so an error a
    library quotes (a URL, a request it made) cannot carry a token into the log."""

    def __init__(self, names: Iterable[str], env: Mapping[str, str] = os.environ):
        super().__init__()
        self._secrets = [(env[name], f"<{name}>") for name in names
                         if len((env.get(name) or "").strip()) >= MIN_SECRET_CHARS]
        password = urlsplit(env.get("PAPERBOY_DB") or "").password if is_postgres(env.get("PAPERBOY_DB") or "") else None
        if password and len(password) >= MIN_SECRET_CHARS:  # the database URL's password is a secret too
            self._secrets.append((password, "<PAPERBOY_DB password>"))

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


def redact_logs(handlers: Iterable[logging.Handler], env: Mapping[str, str] = os.environ) -> None:
    """Every line these handlers write goes through RedactSecrets."""
    redact = RedactSecrets(secret_names(), env)
    for handler in handlers:
        handler.addFilter(redact)
