"""Leases run out by the database's clock, which a test's FakeClock does not move: a test that needs
a lease to run out (a process died holding it) gives it a short life and waits for its end, in real
time, as the database tells it."""
from __future__ import annotations

import asyncio
import time

from paperboy.bot.delivery.leader import LEADER

SHORT_LEASE = 2  # seconds: long enough to be seen holding, short enough to wait out
_STEP = 0.05


def delivery_leases_end(store) -> str | None:
    """When the last lease in the outbox ends, or None when nothing is being sent."""
    return max((d.lease_until for d in store.deliveries("sending") if d.lease_until), default=None)


def run_out(store, until: str | None) -> bool:
    return until is None or until <= store.database_now()


async def delivery_leases_run_out(store, timeout: float = 30) -> None:
    """Waits until every delivery lease held now has run out."""
    until = delivery_leases_end(store)
    deadline = time.monotonic() + timeout
    while not run_out(store, until):
        assert time.monotonic() < deadline, f"the leases, held until {until}, never ran out"
        await asyncio.sleep(_STEP)


def wait_for_delivery_leases_to_run_out(store, timeout: float = 30) -> None:
    """delivery_leases_run_out, for a test without an event loop."""
    until = delivery_leases_end(store)
    deadline = time.monotonic() + timeout
    while not run_out(store, until):
        assert time.monotonic() < deadline, f"the leases, held until {until}, never ran out"
        time.sleep(_STEP)


def wait_for_the_leader_lease_to_run_out(store, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while store.lease_holder(LEADER) is not None:
        assert time.monotonic() < deadline, "the leader's lease never ran out"
        time.sleep(_STEP)
