"""Fixtures for the delivery engine: a fake clock and helpers that stock the store (the store and the
database location come from tests/conftest.py, on SQLite and on PostgreSQL)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from paperboy.bot.clock import FakeClock, iso
from paperboy.bot.models import ChannelConfig, Paper
from paperboy.storage.sql import SQLStore

START = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)  # a Tuesday
LONG_AGO = "2020-01-01T00:00:00Z"  # channels set up before anything the tests drive


class Stock:
    """Puts papers, daily lists and channels into a store the way ingest and /digest config do."""

    def __init__(self, store: SQLStore):
        self.store = store
        self._serial = 0

    def paper(self, title: str | None = None, *, upvotes: int | None = None, published: str = "2026-11-23",
              categories: Iterable[str] = ("cs.LG",), abstract: str = "", authors: Iterable[str] = ("A. Author",),
              arxiv_id: str | None = None) -> Paper:
        self._serial += 1
        arxiv_id = arxiv_id or f"2611.{self._serial:05d}"
        paper = Paper(key=arxiv_id, arxiv_id=arxiv_id, title=title or f"Paper number {self._serial}",
                      abstract=abstract or f"An abstract about topic {self._serial}.", authors=tuple(authors),
                      published=published, categories=tuple(categories), upvotes=upvotes, source="test")
        self.store.upsert_papers([paper], iso(START))
        return paper

    def hf_day(self, day: str, upvotes: Iterable[int], titles: Iterable[str] | None = None) -> list[Paper]:
        """A Hugging Face daily list for `day`, stored in the given (not necessarily ranked) order."""
        counts = list(upvotes)
        names = list(titles) if titles is not None else [f"{day} paper {i}" for i in range(len(counts))]
        papers = [self.paper(name, upvotes=count, published=day) for name, count in zip(names, counts, strict=True)]
        self.store.record_daily_list(day, "hf", [(p.key, p.upvotes) for p in papers])
        return papers

    def hf_days(self, first: str, count: int, per_day: int = 3) -> None:
        day = date.fromisoformat(first)
        for n in range(count):
            self.hf_day((day + timedelta(days=n)).isoformat(), [10 + i for i in range(per_day)])

    def channel(self, channel: str = "c1", *, platform: str = "memory", workspace: str = "w1",
                configured_at: str = LONG_AGO, **settings) -> ChannelConfig:
        return self.store.configure_channel(platform, workspace, channel, configured_at, **settings)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def stock(store: SQLStore) -> Stock:
    return Stock(store)


@pytest.fixture
def db_path(db_location: Path | str) -> Path | str:
    """The test's database, reopened with open_store: a SQLite file or a PostgreSQL URL."""
    return db_location


@pytest.fixture
def stock_for():
    """Stock for a store the test opens itself (file databases across restarts)."""
    return Stock
