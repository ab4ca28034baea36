"""How much interactive work the core takes on at once: past the bound, "busy" at once.

A storm of interactions (a link shared in a large server) offers more lookups than two cores can
answer. Queued without end, every one of them would wait longer and longer, and the platforms drop
an interaction not acknowledged within 3 s. With a bound, the ones admitted are answered quickly and
the rest hear at once that paperboy is busy, which costs next to nothing to say. Deliveries (daily
posts, alerts) do not pass through here: a storm never holds them up, and they never fill it.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from paperboy.bot.replies import Notice

PENDING_PER_WORKER = 24  # about a tenth of a second of lookups per worker process (bench/RESULTS.md)
BUSY = Notice("paperboy is busy, try again in a few seconds.", ephemeral=True)


class Admission:
    """Counts the interactions the core is working on; `limit` of them at most."""

    def __init__(self, limit: int):
        if limit < 1:
            raise ValueError("admission needs a limit of at least 1")
        self.limit = limit
        self.working = 0
        self.turned_away = 0  # since the start: how often paperboy said it was busy

    @contextmanager
    def slot(self) -> Iterator[bool]:
        """Yields True with a place taken for the block, False when every place is taken."""
        if self.working >= self.limit:
            self.turned_away += 1
            yield False
            return
        self.working += 1
        try:
            yield True
        finally:
            self.working -= 1


def pending_limit(workers: int) -> int:
    """The bound for a bot with `workers` lookup processes (0: lookups on the store's thread)."""
    return PENDING_PER_WORKER * max(1, workers)
