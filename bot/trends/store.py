"""What trend charts ask of a store: papers counted by month, and the most upvoted."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from paperboy.bot.models import Paper, PaperFilter
from paperboy.bot.store import StoreThread


class TrendStore(StoreThread, Protocol):
    """Papers by query and month."""

    def monthly_counts(self, paper_filter: PaperFilter, since_month: str, until_month: str) -> dict[str, int]:
        """How many papers match the filter, by month published ("YYYY-MM" -> count), from
        since_month to until_month inclusive; months without one are left out; withdrawn papers are
        not counted. One query, counted by the engine."""

    def most_upvoted(self, paper_filters: Sequence[PaperFilter], since_month: str, until_month: str,
                     limit: int = 3) -> list[Paper]:
        """The papers matching any of the filters published in those months, most upvoted first
        (then newest: papers without upvotes come last, newest first). One query."""

    def latest_published(self, on_or_before: str) -> str | None:
        """The newest publication date ("YYYY-MM-DD") not after `on_or_before`; None when no paper
        has one."""
