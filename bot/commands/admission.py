"""How much interactive work the core takes on at once: past the bound, "busy" at once.

A storm of interactions (a link shared in a large server) offers more lookups than two cores can
answer. Queued without end, every one of them would wait longer and longer, and the platforms drop
an interaction not acknowledged within 3 s. With a bound, the ones admitted are answered quickly and
the rest hear at once that paperboy is busy, which costs next to nothing to say. Deliveries (daily
posts, alerts) do not pass through here: a storm never holds them up, and they never fill it.

Three bounds. Lookups waiting to be ranked (Matcher.max_pending, set from pending_limit): the CPU
work a storm piles up; a lookup waiting for the paper sources costs no CPU and does not count. The
event loop's own lag: when the bot's process has no time left to read interactions and send
acknowledgements (a rate beyond what one process can parse and answer), a full answer costs it more
than a busy one, so while the loop runs late every new interaction hears "busy" until it catches up.
And a generous bound on interactions in progress at all, network waits included (Admission.limit).
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from paperboy.bot.replies import Notice

PENDING_PER_WORKER = 24  # about a tenth of a second of lookups per worker process (bench/RESULTS.md)
IN_PROGRESS = 1000  # interactions at once, whatever they wait for
MAX_LAG = 0.5  # seconds the event loop may run late before new interactions hear "busy"
BUSY = Notice("paperboy is busy, try again in a few seconds.", ephemeral=True)


class LoopLag:
    """How late the event loop runs: a timer's overshoot, measured while run() runs."""

    def __init__(self, every: float = 0.05):
        self.every = every
        self.lag = 0.0

    def __call__(self) -> float:
        return self.lag

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            began = loop.time()
            await asyncio.sleep(self.every)
            self.lag = max(0.0, loop.time() - began - self.every)
        self.lag = 0.0


class Admission:
    """Counts the interactions the core is working on; `limit` of them at most, and none while
    `lag()` (the event loop's lateness, LoopLag) exceeds `max_lag`."""

    def __init__(self, limit: int, *, lag: Callable[[], float] | None = None, max_lag: float = MAX_LAG):
        if limit < 1:
            raise ValueError("admission needs a limit of at least 1")
        self.limit = limit
        self.lag = lag
        self.max_lag = max_lag
        self.working = 0
        self.turned_away = 0  # since the start: how often paperboy said it was busy

    @contextmanager
    def slot(self) -> Iterator[bool]:
        """Yields True with a place taken for the block, False when every place is taken."""
        if self.working >= self.limit or (self.lag is not None and self.lag() > self.max_lag):
            self.turned_away += 1
            yield False
            return
        self.working += 1
        try:
            yield True
        finally:
            self.working -= 1


def pending_limit(workers: int) -> int:
    """Lookups waiting to be ranked, at most, with `workers` lookup processes (0: lookups on the
    store's thread): Matcher.max_pending."""
    return PENDING_PER_WORKER * max(1, workers)
