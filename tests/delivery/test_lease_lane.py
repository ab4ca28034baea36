"""Leases are renewed on a thread and a database connection of their own (the store's lease lane):
work that holds the store's thread (a long lookup, background embedding) cannot let a live
process's leases run out, its delivery leases nor its leadership."""
from __future__ import annotations

import asyncio
import time

from paperboy.adapters.memory.adapter import MemoryAdapter
from paperboy.bot.clock import iso
from paperboy.bot.delivery.leader import LEADER, Leadership
from paperboy.bot.delivery.outbox import DeliveryWorker
from paperboy.bot.delivery.registry import delivery_kinds
from paperboy.bot.models import Target
from paperboy.bot.replies import Notice
from paperboy.bot.serialize import reply_to_dict
from paperboy.storage import open_store

LEASE = 1.5


async def test_a_store_thread_busy_for_three_leases_lets_no_lease_run_out(db_location, clock):
    store = open_store(db_location)
    keys = [f"daily:{n}:2026-11-24" for n in range(3)]
    store.enqueue_deliveries([(key, "daily", Target("memory", "w1", f"c{n}"), reply_to_dict(Notice(key)))
                              for n, key in enumerate(keys)], iso(clock.now()))
    platform = MemoryAdapter()
    gate = platform.hold()
    worker = DeliveryWorker(store, {"memory": platform}, clock, delivery_kinds(), lease_seconds=LEASE)
    leadership = Leadership(store, worker.name, lease_seconds=LEASE, renew_every=LEASE / 3)
    stop, leading, lost = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def jobs(until: asyncio.Event) -> None:
        leading.set()
        await until.wait()
        if not stop.is_set():
            lost.set()

    leader = asyncio.create_task(leadership.run(stop, jobs))
    await asyncio.wait_for(leading.wait(), 10)
    sending = asyncio.create_task(worker.run_once())
    while platform.in_flight < len(keys):
        await asyncio.sleep(0.01)

    other = open_store(db_location)  # another process, ready to take whatever lease runs out
    rival_platform = MemoryAdapter()  # not held: a post it took over would go out at once
    rival = DeliveryWorker(other, {"memory": rival_platform}, clock, delivery_kinds(), lease_seconds=LEASE)
    rival_leadership = Leadership(other, "rival", lease_seconds=LEASE, renew_every=LEASE / 3)
    started = time.monotonic()
    busy = asyncio.create_task(store.run(time.sleep, 3 * LEASE))  # the store's thread held, as by a long lookup
    tries = 0
    while not busy.done():
        assert await rival.run_once() == 0  # no delivery lease ran out
        assert not await rival_leadership.leases.run(rival_leadership.step)  # nor the leadership
        assert other.lease_holder(LEADER) == worker.name
        tries += 1
        await asyncio.sleep(0.1)
    assert time.monotonic() - started >= 3 * LEASE and tries > 1

    gate.set()
    assert await sending == len(keys)
    assert sorted(platform.keys_sent()) == keys and rival_platform.sent == []  # each sent once
    assert {(d.status, d.attempts) for d in store.deliveries()} == {("sent", 1)}
    assert leadership.leading and not lost.is_set()
    stop.set()
    await asyncio.wait_for(leader, 10)
    other.close()
    store.close()


def test_the_lane_is_the_same_database_on_a_connection_of_its_own(db_location):
    store = open_store(db_location)
    lane = store.lease_lane()
    assert lane is not store and store.lease_lane() is lane and lane.lease_lane() is lane
    assert lane.take_lease(LEADER, "a", 15) and store.lease_holder(LEADER) == "a"
    store.close()  # and the lane with it
