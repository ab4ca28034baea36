"""Log lines: readable text by default, one JSON object per line with PAPERBOY_LOG_FORMAT=json (for log
collectors), with secrets replaced by their variable's name either way."""
from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from paperboy.config import SettingError, redact_logs

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# What every LogRecord has; anything else on a record came from `extra=` and goes out as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonLines(logging.Formatter):
    """{"time", "level", "logger", "message", ...fields given with extra=, "exception"} on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(verbose: bool, env: Mapping[str, str] = os.environ, locations: Iterable[str] = ()) -> None:
    """Logging for the command line: INFO with -v, else WARNING; the format PAPERBOY_LOG_FORMAT says.
    `locations`: the database URLs given on the command line, whose passwords never reach a log."""
    kind = (env.get("PAPERBOY_LOG_FORMAT") or "text").strip().lower()
    if kind not in ("text", "json"):
        raise SettingError(f"PAPERBOY_LOG_FORMAT must be text or json, not {kind[:20]!r}")
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format=TEXT_FORMAT, force=True)
    if kind == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonLines())
    redact_logs(logging.getLogger().handlers, env, locations)
