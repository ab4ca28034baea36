"""When each source was last fetched, and how it went: what explains a missing daily list.

One small record per source ("hf", "arxiv:cs.LG"), kept in the store's state: the last attempt,
its error (None when it worked) and the last success. A source left resting after failing to be
reached (SourceUnreachable, not asked) made no attempt: nothing is recorded.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from paperboy.bot.clock import iso, parse_iso
from paperboy.bot.sources import SourceUnreachable
from paperboy.bot.store import StateStore

_ERROR_CHARS = 300


@dataclass(frozen=True)
class FetchRecord:
    source: str
    last_attempt: str | None = None
    last_error: str | None = None  # of the last attempt; None when it worked
    last_success: str | None = None

    def explain(self, name: str) -> str:
        """Why a list from this source may be missing, in a sentence, e.g. "no fetch from Hugging
        Face has succeeded yet; the last attempt (2026-11-29 18:02 UTC) failed: ..."."""
        if self.last_attempt is None:
            return (f"paperboy has not fetched from {name} yet (it does while `paperboy run` runs, "
                    "and `paperboy ingest` does it at once)")
        if self.last_error is None:
            return f"{name} had no list for it when last asked, at {_when(self.last_attempt)}"
        failed = f"the last attempt, at {_when(self.last_attempt)}, failed: {self.last_error}"
        if self.last_success is None:
            return f"no fetch from {name} has succeeded yet; {failed}"
        return f"the last fetch from {name} that worked was at {_when(self.last_success)}; {failed}"


def _key(source: str) -> str:
    return f"fetch:{source}"


def fetch_record(store: StateStore, source: str) -> FetchRecord:
    text = store.get_state(_key(source))
    if not text:
        return FetchRecord(source)
    data = json.loads(text)
    return FetchRecord(source, data.get("last_attempt"), data.get("last_error"), data.get("last_success"))


def record_fetch(store: StateStore, source: str, now: datetime, error: BaseException | None = None) -> FetchRecord:
    """Notes an attempt to fetch `source`, failed with `error` or not."""
    before = fetch_record(store, source)
    if isinstance(error, SourceUnreachable) and not error.asked:
        return before
    at = iso(now)
    message = None if error is None else (str(error) or type(error).__name__)[:_ERROR_CHARS]
    record = FetchRecord(source, at, message, at if error is None else before.last_success)
    store.set_state(_key(source), json.dumps({"last_attempt": record.last_attempt, "last_error": record.last_error,
                                              "last_success": record.last_success}))
    return record


@dataclass(frozen=True)
class NotFetched:
    """A source that could not be reached in an ingest round, and what of the round it left undone."""
    source: str  # as people name it: "Hugging Face", "arXiv", "arXiv OAI-PMH"
    reason: str  # "no network", "connection refused"
    left: str  # "7 days", "2 categories"
    retry_in: float | None  # seconds until its host is asked again
    failure: str  # what failed, and the error: "hf 2026-11-24: hf: no network: could not resolve huggingface.co"


def not_fetched(source: str, failed: str, error: SourceUnreachable, left: int, unit: str, units: str) -> NotFetched:
    return NotFetched(source, error.reason, f"{left} {unit if left == 1 else units}", error.retry_in,
                      f"{failed}: {error}")


def _when(stamp: str) -> str:
    return parse_iso(stamp).strftime("%Y-%m-%d %H:%M UTC")
