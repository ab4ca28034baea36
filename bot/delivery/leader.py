"""One leader per database: the process that runs the daily scheduler, the ingest loop and
subscription matching. Every process runs its adapters and a delivery worker; only the leader
makes the paper sources' calls and decides what is due.

The leader holds a lease row it renews every `renew_every` seconds; a process that dies, hangs or
loses the database stops renewing, and another takes the lease over once it expires, within
`lease_seconds`. A process that finds it no longer holds the lease stops its leader's jobs at once.
The lease is timed by the database's clock, and renewed on the store's lease lane (a thread and a
connection of its own): neither a host's clock nor the store's busy thread decides who leads.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from paperboy.bot.delivery.store import LeaseLanes

log = logging.getLogger(__name__)

LEADER = "leader"
LEASE_SECONDS = 15
RENEW_EVERY = 5


class Leadership:
    def __init__(self, store: LeaseLanes, owner: str, *, lease_seconds: float = LEASE_SECONDS,
                 renew_every: float = RENEW_EVERY):
        if renew_every >= lease_seconds:
            raise ValueError("the lease must outlast the time between renewals")
        self.store = store
        self.leases = store.lease_lane()
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.renew_every = renew_every
        self.leading = False

    def step(self) -> bool:
        """Takes the lease or renews it; says whether this process leads now. A store error means
        it cannot know, so it does not lead."""
        try:
            leading = self.leases.take_lease(LEADER, self.owner, self.lease_seconds)
        except Exception:
            log.exception("the leader's lease could not be renewed")
            leading = False
        if leading != self.leading:  # leading is the normal course; losing the lease means a hang or a lost database
            log.log(logging.INFO if leading else logging.WARNING,
                    "%s the leader: scheduler, ingest and subscription matching %s here",
                    "became" if leading else "is no longer", "run" if leading else "stop")
        self.leading = leading
        return leading

    async def run(self, stop: asyncio.Event, jobs: Callable[[asyncio.Event], Awaitable[None]]) -> None:
        """Until `stop`: leads whenever the lease can be had, running `jobs(until)` while leading;
        `until` is set, and the jobs cancelled if they do not end, as soon as the lease is lost."""
        while not stop.is_set():
            if not await self.leases.run(self.step):
                await _wait(stop, self.renew_every)
                continue
            until = asyncio.Event()
            running = asyncio.create_task(jobs(until))
            try:
                while not stop.is_set() and not running.done():
                    await _wait(stop, self.renew_every, running)
                    if not running.done() and (stop.is_set() or not await self.leases.run(self.step)):
                        break
            finally:
                until.set()
                if not running.done():
                    running.cancel()
                await asyncio.gather(running, return_exceptions=True)
                if running.done() and not running.cancelled() and running.exception() is not None:
                    log.error("the leader's jobs failed: %r", running.exception())
            if stop.is_set():
                await self.leases.run(self.release)

    def release(self) -> None:
        """Hands the lease back so the next leader need not wait for it to expire."""
        if self.leading:
            try:
                self.leases.release_lease(LEADER, self.owner)
            except Exception:
                log.exception("releasing the leader's lease failed")
            self.leading = False


async def _wait(stop: asyncio.Event, seconds: float, also: asyncio.Future | None = None) -> None:
    """Real time, not the clock's: a lease must be renewed in time whatever the clock says."""
    waiting = {asyncio.ensure_future(stop.wait())}
    if also is not None:
        waiting.add(also)
    mine = [task for task in waiting if task is not also]
    try:
        await asyncio.wait(waiting, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in mine:
            task.cancel()
        await asyncio.gather(*mine, return_exceptions=True)
