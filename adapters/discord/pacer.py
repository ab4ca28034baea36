"""Keeps this process's REST requests under Discord's global limit (50 a second) before Discord has
to answer 429: request starts are spaced 1/rate seconds apart on a schedule, and time spent idle
earns no burst, so no second ever holds more than rate + 1 starts."""
from __future__ import annotations

import asyncio
from collections.abc import Callable


class RequestPacer:
    def __init__(self, rate: float = 45.0, *, now: Callable[[], float] | None = None):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.interval = 1.0 / rate
        self._now = now
        self._lock = asyncio.Lock()
        self._next_start = 0.0
        self.waited = 0.0  # total seconds requests were held back, for reports

    def _time(self) -> float:
        return self._now() if self._now else asyncio.get_running_loop().time()

    async def acquire(self) -> None:
        """Returns when one more request may start; callers go through in arrival order."""
        async with self._lock:
            now = self._time()
            if self._next_start < now:
                self._next_start = now  # idle time earns no burst
            delay = self._next_start - now
            if delay > 0:
                self.waited += delay
                await asyncio.sleep(delay)
            # Slots follow the schedule, not the (later) wake-up, so the average pace is exact;
            # a late wake-up can bring two starts closer, never more than rate + 1 in a second.
            self._next_start += self.interval

    def hold(self, seconds: float) -> None:
        """Discord asked to wait (a 429 the client gave up on): no request starts before then."""
        self._next_start = max(self._next_start, self._time() + seconds)
