"""Keeps this process's REST requests under Discord's global rate limit before Discord has to
answer 429: a token bucket (GCRA) of `rate` requests a second with a small burst."""
from __future__ import annotations

import asyncio
from typing import Callable


class RequestPacer:
    def __init__(self, rate: float = 45.0, burst: int = 5, *, now: Callable[[], float] | None = None):
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = burst
        self._interval = 1.0 / rate
        self._tolerance = (burst - 1) * self._interval
        self._now = now
        self._theoretical_arrival = 0.0
        self.waited = 0.0  # total seconds callers were held back, for reports

    def _time(self) -> float:
        return self._now() if self._now else asyncio.get_running_loop().time()

    def reserve(self) -> float:
        """Takes the next slot and returns how long to wait before using it."""
        now = self._time()
        start = max(self._theoretical_arrival, now)
        self._theoretical_arrival = start + self._interval
        return max(0.0, start - self._tolerance - now)

    async def acquire(self) -> None:
        delay = self.reserve()
        if delay > 0:
            self.waited += delay
            await asyncio.sleep(delay)

    def hold(self, seconds: float) -> None:
        """Discord asked everyone to wait (a global 429): no slot before now + seconds."""
        self._theoretical_arrival = max(self._theoretical_arrival, self._time() + seconds + self._tolerance)
