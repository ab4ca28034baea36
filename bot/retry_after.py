"""Retry-After, read one way for every HTTP peer (the paper sources, Discord, Slack)."""
from __future__ import annotations

import email.utils
from datetime import UTC, datetime


def retry_after_seconds(value: object, now: datetime | None = None) -> float | None:
    """A Retry-After value as seconds to wait: delta-seconds or an HTTP date, from a header value
    (a list of values, as some clients give them, counts by its first). None when unusable."""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def retry_after_header(headers: object) -> float | None:
    """retry_after_seconds of the Retry-After header in a mapping of headers, any letter case."""
    if not hasattr(headers, "items"):
        return None
    for name, value in headers.items():
        if isinstance(name, str) and name.lower() == "retry-after":
            return retry_after_seconds(value)
    return None
