"""DeliveryWorker: every post sent once, failures retried later, nothing lost, crashes survived."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from lease_time import SHORT_LEASE, delivery_leases_run_out

from paperboy.adapters.memory.adapter import MemoryAdapter
from paperboy.bot.adapter import DeliveryError
from paperboy.bot.clock import iso, parse_iso
from paperboy.bot.delivery.outbox import DeliveryWorker
from paperboy.bot.delivery.registry import delivery_kinds
from paperboy.bot.models import Paper, Target
from paperboy.bot.replies import Notice, PaperList, Scored
from paperboy.bot.serialize import reply_to_dict
from paperboy.storage import open_store
from paperboy.storage.sql import later
from paperboy.storage.sqlite import SQLiteStore


class SimulatedCrash(BaseException):
    """The process dying: not an Exception, so nothing in the worker may swallow it."""


def enqueue(store: SQLiteStore, clock, key: str, *, platform: str = "memory", channel: str = "c1",
            reply=None) -> None:
    reply = reply or Notice(f"post {key}")
    assert store.enqueue_delivery(key, "test", Target(platform, "w1", channel), reply_to_dict(reply),
                                  iso(clock.now()))


async def crashes(worker: DeliveryWorker) -> None:
    """Runs one round that must die of SimulatedCrash (alone or inside the round's task group)."""
    crashed = False
    try:
        await worker.run_once()
    except* SimulatedCrash:
        crashed = True
    assert crashed


async def eventually(check, timeout: float = 5.0) -> None:
    """Waits until check() holds: the worker's store work runs on the store's thread."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "timed out waiting"
        await asyncio.sleep(0.001)


def status(store: SQLiteStore, key: str) -> str:
    return store.get_delivery(key).status


async def test_due_deliveries_are_sent_with_their_key_and_recorded(store, clock):
    adapter = MemoryAdapter()
    paper = Paper(key="2611.00001", title="A paper", arxiv_id="2611.00001")
    enqueue(store, clock, "k1", reply=PaperList("Trending papers", (Scored(paper, 3.0),)))
    enqueue(store, clock, "k2", channel="c2")
    worker = DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds())
    assert await worker.run_once() == 2
    assert sorted(adapter.keys_sent()) == ["k1", "k2"]
    assert adapter.sent_to("c1")[0].reply == PaperList("Trending papers", (Scored(paper, 3.0),))
    first = store.get_delivery("k1")
    assert first.status == "sent" and first.external_id in {"memory-1", "memory-2"}
    assert await worker.run_once() == 0  # nothing is sent twice
    assert len(adapter.sent) == 2


async def test_a_failed_send_is_retried_later_and_not_lost(store, clock):
    adapter = MemoryAdapter()
    adapter.fail_next(1)
    enqueue(store, clock, "k1")
    worker = DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds(), base_backoff=5)
    assert await worker.run_once() == 1
    delivery = store.get_delivery("k1")
    assert delivery.status == "pending" and delivery.attempts == 1
    assert "simulated outage" in delivery.last_error
    wait = parse_iso(delivery.next_attempt_at) - clock.now()
    assert timedelta(seconds=5) <= wait <= timedelta(seconds=6)
    assert await worker.run_once() == 0  # not due yet
    assert adapter.sent == []
    clock.advance(seconds=6)
    assert await worker.run_once() == 1
    assert adapter.keys_sent() == ["k1"]
    assert status(store, "k1") == "sent"
    assert store.get_delivery("k1").attempts == 2


async def test_backoff_doubles_and_stops_growing_at_the_maximum(store, clock):
    adapter = MemoryAdapter()
    adapter.fail_next(6)
    enqueue(store, clock, "k1")
    worker = DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds(), base_backoff=5, max_backoff=60)
    waits = []
    for _ in range(6):
        assert await worker.run_once() == 1
        due = parse_iso(store.get_delivery("k1").next_attempt_at)
        waits.append((due - clock.now()).total_seconds())
        clock.set(due)
    for wait, expected in zip(waits, [5, 10, 20, 40, 60, 60], strict=True):
        assert expected <= wait <= min(expected * 1.1 + 1, 61)
    assert await worker.run_once() == 1
    assert status(store, "k1") == "sent"


async def test_retry_after_from_the_platform_is_honoured(store, clock):
    adapter = MemoryAdapter()
    adapter.fail_next(1, DeliveryError("429 Too Many Requests", retry_after=42))
    enqueue(store, clock, "k1")
    worker = DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds())
    await worker.run_once()
    assert parse_iso(store.get_delivery("k1").next_attempt_at) == clock.now() + timedelta(seconds=42)
    clock.advance(seconds=41)
    assert await worker.run_once() == 0
    clock.advance(seconds=1)
    assert await worker.run_once() == 1
    assert adapter.keys_sent() == ["k1"]


async def test_an_unexpected_exception_is_retried_not_dropped(store, clock):
    adapter = MemoryAdapter()
    adapter.fail_next(2, RuntimeError("socket closed"))
    enqueue(store, clock, "k1")
    worker = DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds(), base_backoff=1)
    await worker.run_once()
    assert "RuntimeError: socket closed" in store.get_delivery("k1").last_error
    for _ in range(3):
        clock.advance(seconds=10)
        await worker.run_once()
    assert adapter.keys_sent() == ["k1"]
    assert status(store, "k1") == "sent"


async def test_a_permanent_failure_is_recorded_and_does_not_stop_the_others(store, clock):
    adapter = MemoryAdapter()
    adapter.fail_channel("gone")
    enqueue(store, clock, "k-before")
    enqueue(store, clock, "k-gone", channel="gone")
    enqueue(store, clock, "k-after", channel="c3")
    worker = DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds())
    assert await worker.run_once() == 3
    failed = store.get_delivery("k-gone")
    assert failed.status == "failed" and "channel gone not found" in failed.last_error
    assert sorted(adapter.keys_sent()) == ["k-after", "k-before"]
    clock.advance(days=2)
    assert await worker.run_once() == 0  # never retried
    assert [d.dedupe_key for d in store.deliveries(status="failed")] == ["k-gone"]


async def test_deliveries_for_a_platform_without_an_adapter_wait(store, clock):
    enqueue(store, clock, "k-slack", platform="slack")
    worker = DeliveryWorker(store, {"memory": MemoryAdapter()}, clock, delivery_kinds())
    assert await worker.run_once() == 0
    assert status(store, "k-slack") == "pending"
    slack = MemoryAdapter("slack")
    assert await DeliveryWorker(store, {"slack": slack}, clock, delivery_kinds()).run_once() == 1
    assert slack.keys_sent() == ["k-slack"]


async def test_an_unreadable_payload_is_failed_not_retried_forever(store, clock):
    store.enqueue_delivery("k-bad", "test", Target("memory", "w1", "c1"), {"kind": "card"}, iso(clock.now()))
    enqueue(store, clock, "k-good")
    adapter = MemoryAdapter()
    assert await DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds()).run_once() == 2
    assert status(store, "k-bad") == "failed" and "unreadable payload" in store.get_delivery("k-bad").last_error
    assert adapter.keys_sent() == ["k-good"]


async def test_platforms_send_side_by_side(store, clock):
    discord, slack = MemoryAdapter("discord"), MemoryAdapter("slack")
    gate = discord.hold()
    enqueue(store, clock, "k-discord", platform="discord")
    enqueue(store, clock, "k-slack", platform="slack")
    worker = DeliveryWorker(store, {"discord": discord, "slack": slack}, clock, delivery_kinds())
    round_ = asyncio.create_task(worker.run_once())
    await eventually(lambda: discord.in_flight == 1 and status(store, "k-slack") == "sent")
    # Discord is stuck mid-send, and Slack's post went out anyway.
    assert discord.in_flight == 1 and slack.keys_sent() == ["k-slack"]
    assert status(store, "k-slack") == "sent" and status(store, "k-discord") == "sending"
    gate.set()
    assert await round_ == 2
    assert status(store, "k-discord") == "sent"


async def test_concurrency_is_bounded_per_platform_and_one_channel_keeps_its_order(store, clock):
    adapter = MemoryAdapter()
    gate = adapter.hold()
    for n in range(8):
        enqueue(store, clock, f"spread-{n}", channel=f"c{n}")
    for n in range(4):
        enqueue(store, clock, f"same-{n}", channel="busy")
    worker = DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds(), concurrency=3)
    round_ = asyncio.create_task(worker.run_once())
    await eventually(lambda: adapter.in_flight == 3)
    await asyncio.sleep(0.05)  # and no more than that, however long it waits
    assert adapter.in_flight == 3
    gate.set()
    assert await round_ == 12
    assert adapter.max_in_flight == 3
    assert [m.delivery_key for m in adapter.sent_to("busy")] == [f"same-{n}" for n in range(4)]


# ---- crashes ---------------------------------------------------------------------------------

async def test_crash_after_send_before_recording_resends_at_most_once_with_the_same_key(db_path, clock):
    platform = MemoryAdapter()  # outlives the process, as a chat platform does
    store = open_store(db_path)
    enqueue(store, clock, "daily:1:2026-11-24")
    platform.crash_after_next_send(SimulatedCrash())
    await crashes(DeliveryWorker(store, {"memory": platform}, clock, delivery_kinds(), lease_seconds=SHORT_LEASE))
    assert platform.keys_sent() == ["daily:1:2026-11-24"]
    assert status(store, "daily:1:2026-11-24") == "sending"  # posted, but never recorded
    store.close()

    store = open_store(db_path)  # the restart: a new store and worker on the same file
    worker = DeliveryWorker(store, {"memory": platform}, clock, delivery_kinds())
    assert await worker.run_once() == 0  # the dead process's lease still holds it
    await delivery_leases_run_out(store)
    assert await worker.run_once() == 1
    clock.advance(days=1)
    assert await worker.run_once() == 0
    assert platform.keys_sent() == ["daily:1:2026-11-24"] * 2  # one repeat, with the same key
    delivery = store.get_delivery("daily:1:2026-11-24")
    assert delivery.status == "sent" and delivery.external_id == "memory-2"
    store.close()


async def test_a_crash_mid_batch_loses_nothing_and_repeats_only_the_unrecorded(db_path, clock):
    platform = MemoryAdapter()
    store = open_store(db_path)
    keys = [f"daily:{n}:2026-11-24" for n in range(6)]
    for n, key in enumerate(keys):
        enqueue(store, clock, key, channel=f"c{n}")
    platform.crash_after_next_send(SimulatedCrash())
    await crashes(DeliveryWorker(store, {"memory": platform}, clock, delivery_kinds(), lease_seconds=SHORT_LEASE))
    store.close()  # the store's thread finishes what it was writing when the process stopped

    store = open_store(db_path)
    unrecorded = {d.dedupe_key for d in store.deliveries() if d.status != "sent"}
    assert platform.keys_sent()[0] in unrecorded
    worker = DeliveryWorker(store, {"memory": platform}, clock, delivery_kinds())
    await delivery_leases_run_out(store)
    assert await worker.run_once() == len(unrecorded)
    sent = platform.keys_sent()
    assert sorted(set(sent)) == keys  # every post went out
    repeated = {key for key in keys if sent.count(key) > 1}
    assert all(sent.count(key) <= 2 for key in keys)
    assert repeated <= unrecorded  # only posts whose sending was never recorded can repeat
    assert all(d.status == "sent" for d in store.deliveries())
    store.close()


async def test_a_platform_honouring_the_key_turns_the_crash_resend_into_one_post(db_path, clock):
    platform = MemoryAdapter(idempotent=True)
    store = open_store(db_path)
    enqueue(store, clock, "daily:1:2026-11-24")
    platform.crash_after_next_send(SimulatedCrash())
    await crashes(DeliveryWorker(store, {"memory": platform}, clock, delivery_kinds(), lease_seconds=SHORT_LEASE))
    store.close()
    store = open_store(db_path)
    worker = DeliveryWorker(store, {"memory": platform}, clock, delivery_kinds())
    await delivery_leases_run_out(store)
    await worker.run_once()
    assert [key for _, key in platform.attempts] == ["daily:1:2026-11-24"] * 2  # same key both times
    assert platform.keys_sent() == ["daily:1:2026-11-24"]  # one post
    delivery = store.get_delivery("daily:1:2026-11-24")
    assert delivery.status == "sent" and delivery.external_id == "memory-1"
    store.close()


async def test_crash_before_send_results_in_exactly_one_send(db_path, clock):
    platform = MemoryAdapter()
    store = open_store(db_path)
    enqueue(store, clock, "daily:1:2026-11-24")
    platform.fail_next(1, SimulatedCrash())  # dies on the way in, before anything is posted
    await crashes(DeliveryWorker(store, {"memory": platform}, clock, delivery_kinds(), lease_seconds=SHORT_LEASE))
    assert platform.sent == []
    store.close()
    store = open_store(db_path)
    worker = DeliveryWorker(store, {"memory": platform}, clock, delivery_kinds())
    await delivery_leases_run_out(store)
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    assert platform.keys_sent() == ["daily:1:2026-11-24"]
    store.close()


async def test_a_claim_abandoned_by_a_dead_process_is_sent_once_its_lease_runs_out(db_path, clock):
    store = open_store(db_path)
    enqueue(store, clock, "k1")
    lease = 3
    [claimed] = store.claim_due_deliveries(iso(clock.now()), ["memory"], lease_seconds=lease)
    assert claimed.dedupe_key == "k1"
    store.close()  # died holding the claim
    store = open_store(db_path)
    platform = MemoryAdapter()
    worker = DeliveryWorker(store, {"memory": platform}, clock, delivery_kinds())
    assert await worker.run_once() == 0  # a claimed delivery is not sent twice by a live worker
    while store.database_now() < later(claimed.lease_until, -(lease - 1)):  # late in the lease
        await asyncio.sleep(0.05)
    assert await worker.run_once() == 0  # nor before its lease runs out
    await delivery_leases_run_out(store)
    assert await worker.run_once() == 1
    assert platform.keys_sent() == ["k1"]
    assert store.get_delivery("k1").note == "interrupted while sending"
    store.close()


async def test_run_keeps_retrying_until_sent_and_stops_when_asked(store, clock):
    adapter = MemoryAdapter()
    adapter.fail_next(3)
    enqueue(store, clock, "k1")
    stop = asyncio.Event()
    worker = DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds(), base_backoff=1)
    task = asyncio.create_task(worker.run(stop, interval=2))
    while status(store, "k1") != "sent":
        await asyncio.sleep(0)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert adapter.keys_sent() == ["k1"]
    assert len(adapter.attempts) == 4


# ---- retention ---------------------------------------------------------------------------------

async def test_a_delivery_still_failing_after_twenty_attempts_fails_with_its_last_error(store, clock):
    adapter = MemoryAdapter()
    adapter.fail_next(25, DeliveryError("Slack unreachable: ServerDisconnectedError"))
    enqueue(store, clock, "k1")
    worker = DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds(), base_backoff=1, max_backoff=60)
    while status(store, "k1") == "pending":
        clock.set(parse_iso(store.get_delivery("k1").next_attempt_at))
        await worker.run_once()
    failed = store.get_delivery("k1")
    assert failed.status == "failed" and failed.attempts == 20 and len(adapter.attempts) == 20
    assert failed.last_error.startswith("gave up after 20 attempts") and "ServerDisconnectedError" in failed.last_error
    assert store.stats(iso(clock.now()))["failed_last_day"] == 1
    clock.advance(days=2)
    assert store.stats(iso(clock.now()))["failed_last_day"] == 0


async def test_a_delivery_still_failing_after_seven_days_fails(store, clock):
    adapter = MemoryAdapter()
    adapter.fail_next(10, DeliveryError("429", retry_after=2 * 86400))  # the platform keeps saying "later"
    enqueue(store, clock, "k1")
    worker = DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds())
    while status(store, "k1") == "pending":
        clock.set(parse_iso(store.get_delivery("k1").next_attempt_at))
        await worker.run_once()
    failed = store.get_delivery("k1")
    assert failed.status == "failed" and failed.attempts == 5 and "over 8 days" in failed.last_error


async def test_a_month_after_sending_the_content_goes_and_the_key_stays(store, clock):
    adapter = MemoryAdapter()
    enqueue(store, clock, "alert:1:2611.00001")
    digest = reply_to_dict(PaperList("Trending papers", ()))
    store.enqueue_delivery("daily:1:2026-11-24", "daily", Target("memory", "w1", "c1"),
                           {**digest, "digest": {"list_date": "2026-11-24", "sources": "hf"}}, iso(clock.now()))
    worker = DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds())
    await worker.run_once()
    assert worker.housekeeping() == 0  # a day old: kept
    clock.advance(days=31)
    assert worker.housekeeping() == 2
    assert store.get_delivery("alert:1:2611.00001").payload == {}
    assert store.get_delivery("daily:1:2026-11-24").payload == {"digest": {"list_date": "2026-11-24", "sources": "hf"}}
    assert store.get_delivery("alert:1:2611.00001").status == "sent"
    assert not store.enqueue_delivery("alert:1:2611.00001", "alert", Target("memory", "w1", "c1"), {},
                                      iso(clock.now()))  # still refused as a duplicate
    assert worker.housekeeping() == 0


async def test_stats_show_the_outbox_at_a_glance(store, clock):
    enqueue(store, clock, "k1")
    enqueue(store, clock, "k2", channel="c2")
    before = store.database_now()  # a lease is timed by the database's clock
    store.claim_due_deliveries(iso(clock.now()), ["memory"], limit=1, owner="w", lease_seconds=60)
    after = store.database_now()
    stats = store.stats(iso(clock.now()))
    assert (stats["deliveries_pending"], stats["deliveries_sending"]) == (1, 1)
    assert later(before, 60) <= stats["oldest_lease_until"] <= later(after, 61)  # a second: rounded up
    assert stats["failed_last_day"] == 0 and stats["channels_paused"] == 0


async def test_delivery_log_lines_carry_the_delivery_key_platform_and_channel(store, clock, caplog):
    import json
    import logging

    from paperboy.logs import JsonLines

    adapter = MemoryAdapter()
    adapter.fail_next()
    enqueue(store, clock, "daily:7:2026-11-24", channel="c9")
    with caplog.at_level(logging.WARNING, logger="paperboy.bot.delivery.outbox"):
        await DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds()).run_once()
    [record] = [r for r in caplog.records if "attempt 1 failed" in r.getMessage()]
    entry = json.loads(JsonLines().format(record))
    assert entry["level"] == "WARNING" and entry["logger"] == "paperboy.bot.delivery.outbox"
    assert (entry["delivery_key"], entry["platform"], entry["channel"]) == ("daily:7:2026-11-24", "memory", "c9")
    assert "simulated outage" in entry["message"]
