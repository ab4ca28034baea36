"""Claims are leases: any number of workers, in any number of processes, share one outbox, and a
delivery is only ever with one of them; one that dies or stalls loses it to another in time."""
from __future__ import annotations

import asyncio
import sqlite3

import pytest
from lease_time import SHORT_LEASE, delivery_leases_run_out

from paperboy.adapters.memory.adapter import MemoryAdapter
from paperboy.bot.clock import iso
from paperboy.bot.delivery.outbox import DeliveryWorker
from paperboy.bot.delivery.registry import delivery_kinds
from paperboy.bot.models import Target
from paperboy.bot.replies import Notice
from paperboy.bot.serialize import reply_to_dict
from paperboy.storage import open_store
from paperboy.storage.sqlite import SQLiteStore


def enqueue(store, clock, count: int) -> list[str]:
    keys = [f"daily:{n}:2026-11-24" for n in range(count)]
    for n, key in enumerate(keys):
        store.enqueue_delivery(key, "daily", Target("memory", "w1", f"c{n}"), reply_to_dict(Notice(key)),
                               iso(clock.now()))
    return keys


@pytest.mark.parametrize("backend", ["sqlite"])  # SQLite's lock; PostgreSQL's: tests/storage/test_postgres.py
@pytest.mark.parametrize("moment", ["BEGIN", "WITH"])
def test_two_processes_claiming_at_once_never_take_the_same_delivery(db_path, clock, moment):
    """Process B claims at the moment A's claim runs the statement named (the claim's one statement
    begins WITH its choice of rows): the two never hold one delivery."""
    a, b = SQLiteStore(db_path), SQLiteStore(db_path, busy_timeout=0.1)
    keys = enqueue(a, clock, 5)
    taken_by_b: list = []

    def b_claims(statement: str) -> None:
        if statement.lstrip().upper().startswith(moment) and not taken_by_b:
            a.conn.set_trace_callback(None)
            try:
                taken_by_b.extend(b.claim_due_deliveries(iso(clock.now()), ["memory"], owner="b"))
            except sqlite3.OperationalError:  # A holds the write lock: B waits its turn
                taken_by_b.append(None)

    a.conn.set_trace_callback(b_claims)
    taken_by_a = a.claim_due_deliveries(iso(clock.now()), ["memory"], owner="a")
    a.conn.set_trace_callback(None)
    by_a = {d.dedupe_key for d in taken_by_a}
    by_b = {d.dedupe_key for d in taken_by_b if d is not None}
    assert taken_by_b and not by_a & by_b
    assert by_a | by_b == set(keys)
    owners = {d.dedupe_key: d.lease_owner for d in a.deliveries()}
    assert owners == {**{k: "a" for k in by_a}, **{k: "b" for k in by_b}}
    a.close()
    b.close()


async def test_a_process_starting_beside_a_live_one_does_not_resend_what_it_is_sending(db_path, clock):
    platform = MemoryAdapter()
    gate = platform.hold()
    first = open_store(db_path)
    enqueue(first, clock, 1)
    sending = asyncio.create_task(DeliveryWorker(first, {"memory": platform}, clock, delivery_kinds()).run_once())
    while platform.in_flight == 0:
        await asyncio.sleep(0)
    second = open_store(db_path)  # a second process starts on the same database
    assert await DeliveryWorker(second, {"memory": platform}, clock, delivery_kinds()).run_once() == 0
    gate.set()
    assert await sending == 1
    assert platform.keys_sent() == ["daily:0:2026-11-24"]
    assert await DeliveryWorker(second, {"memory": platform}, clock, delivery_kinds()).run_once() == 0
    first.close()
    second.close()


@pytest.mark.parametrize("backend", ["sqlite"])  # a SQLite lock; a lost PostgreSQL connection: test_postgres.py
async def test_a_store_failure_while_recording_loses_nothing_and_needs_no_restart(db_path, clock):
    platform = MemoryAdapter()
    gate = platform.hold()
    store = SQLiteStore(db_path, busy_timeout=0.05)
    keys = enqueue(store, clock, 3)
    worker = DeliveryWorker(store, {"memory": platform}, clock, delivery_kinds(), lease_seconds=SHORT_LEASE)
    round_ = asyncio.create_task(worker.run_once())
    while platform.in_flight < 3:
        await asyncio.sleep(0)
    blocker = sqlite3.connect(db_path)
    blocker.execute("BEGIN IMMEDIATE")  # another process's long write: recording the sends fails
    gate.set()
    assert await round_ == 3  # every lane ran to its end; none was abandoned
    blocker.rollback()
    blocker.close()
    assert sorted(platform.keys_sent()) == keys
    assert {d.status for d in store.deliveries()} == {"sending"}  # sent, not recorded, still leased
    assert await worker.run_once() == 0  # the lease holds: nothing is sent twice meanwhile
    await delivery_leases_run_out(store)
    assert await worker.run_once() == 3  # the same process takes them up again: no restart needed
    assert {d.status for d in store.deliveries()} == {"sent"}
    assert sorted(platform.keys_sent()) == sorted(keys * 2)  # each repeated once, with its key
    store.close()


async def test_a_long_send_keeps_its_lease(db_path, clock):
    platform = MemoryAdapter()
    gate = platform.hold()
    store = open_store(db_path)
    enqueue(store, clock, 1)
    worker = DeliveryWorker(store, {"memory": platform}, clock, delivery_kinds(), lease_seconds=1.5)
    round_ = asyncio.create_task(worker.run_once())
    while platform.in_flight == 0:
        await asyncio.sleep(0)
    leased = store.deliveries()[0].lease_until
    while store.database_now() < leased:  # past the first lease (the database's clock); the send still runs
        await asyncio.sleep(0.05)
    renewed = store.deliveries()[0].lease_until
    assert renewed > leased and renewed > store.database_now()
    other = open_store(db_path)
    assert await DeliveryWorker(other, {"memory": platform}, clock, delivery_kinds()).run_once() == 0
    gate.set()
    assert await round_ == 1
    assert platform.keys_sent() == ["daily:0:2026-11-24"]
    other.close()
    store.close()


async def test_a_stop_gives_sends_a_moment_then_releases_what_they_had_not_done(db_path, clock):
    platform = MemoryAdapter()
    platform.hold()  # a send that will not finish (a platform that stopped answering)
    store = open_store(db_path)
    enqueue(store, clock, 2)
    stop = asyncio.Event()
    running = asyncio.create_task(DeliveryWorker(store, {"memory": platform}, clock, delivery_kinds()).run(stop, grace=0.2))
    while platform.in_flight < 2:
        await asyncio.sleep(0.001)
    started = asyncio.get_running_loop().time()
    stop.set()
    await asyncio.wait_for(running, 2)
    assert asyncio.get_running_loop().time() - started < 1.0
    released = store.deliveries()
    assert {(d.status, d.lease_owner, d.note) for d in released} == {("pending", None, "released at a stop")}
    other = DeliveryWorker(store, {"memory": MemoryAdapter()}, clock, delivery_kinds())  # the next process need not wait
    assert await other.run_once() == 2
    store.close()
