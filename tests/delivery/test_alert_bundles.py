"""A subscription's alerts due together at one place go out as one list; each match still once."""
from __future__ import annotations

import json

from lease_time import SHORT_LEASE, delivery_leases_run_out

from paperboy.adapters.memory.adapter import MemoryAdapter
from paperboy.bot.adapter import DeliveryError
from paperboy.bot.clock import iso
from paperboy.bot.delivery.outbox import DeliveryWorker
from paperboy.bot.delivery.registry import delivery_kinds
from paperboy.bot.models import Target
from paperboy.bot.replies import Card, Notice, PaperList
from paperboy.bot.serialize import reply_to_dict
from paperboy.bot.subscriptions.alerts import enqueue_alerts
from paperboy.bot.subscriptions.bundles import BUNDLE_SIZE
from paperboy.bot.syntax import Syntax
from paperboy.storage import open_store


class SimulatedCrash(BaseException):
    pass


def subscribe(store, query: str, owner: str = "alice", notify: str = "dm"):
    return store.add_subscription("memory", "w1", owner, "c1", notify, query, "2026-11-01T00:00:00Z")


def diffusion_papers(stock, count: int):
    return [stock.paper(f"Diffusion study {n}", abstract="We study diffusion models.") for n in range(count)]


def alert_statuses(store) -> list[str]:
    return [d.status for d in store.deliveries(kind="alert")]


async def test_many_matches_for_one_subscription_arrive_as_one_list(store, stock, clock):
    broad = subscribe(store, "diffusion")
    narrow = subscribe(store, '"diffusion study 2"')
    papers = diffusion_papers(stock, 5)
    assert enqueue_alerts(store, papers, clock.now()) == 6
    store.enqueue_delivery("note:1", "test", Target("memory", "w1", "c1", "alice", "dm"),
                           reply_to_dict(Notice("hello")), iso(clock.now()))
    adapter = MemoryAdapter()

    assert await DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds()).run_once() == 7

    lists = [m.reply for m in adapter.sent if isinstance(m.reply, PaperList)]
    cards = [m.reply for m in adapter.sent if isinstance(m.reply, Card)]
    assert len(adapter.sent) == 3  # the broad subscription's list, the narrow one's card, the notice
    [bundle] = lists
    assert bundle.title == f"5 new papers matching your subscription #{broad.id}: diffusion"
    assert [item.paper.key for item in bundle.items] == [p.key for p in papers]
    assert "Narrow" in bundle.note
    [card] = cards
    assert card.paper.key == papers[2].key and f"#{narrow.id}" in card.note
    assert alert_statuses(store) == ["sent"] * 6
    assert await DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds()).run_once() == 0


async def test_two_matches_stay_two_cards(store, stock, clock):
    subscribe(store, "diffusion")
    enqueue_alerts(store, diffusion_papers(stock, 2), clock.now())
    adapter = MemoryAdapter()
    await DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds()).run_once()
    assert [type(m.reply) for m in adapter.sent] == [Card, Card]


async def test_long_runs_are_split_into_lists_of_ten_in_order(store, stock, clock):
    subscribe(store, "diffusion")
    papers = diffusion_papers(stock, 2 * BUNDLE_SIZE + 3)
    enqueue_alerts(store, papers, clock.now())
    adapter = MemoryAdapter()
    await DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds()).run_once()
    sizes = [len(m.reply.items) for m in adapter.sent]
    assert sizes == [BUNDLE_SIZE, BUNDLE_SIZE, 3]
    sent_keys = [item.paper.key for m in adapter.sent for item in m.reply.items]
    assert sent_keys == [p.key for p in papers]
    assert len(set(adapter.keys_sent())) == 3


async def test_each_subscriber_gets_their_own_list(store, stock, clock):
    subscribe(store, "diffusion", owner="alice")
    subscribe(store, "diffusion", owner="bob")
    enqueue_alerts(store, diffusion_papers(stock, 4), clock.now())
    adapter = MemoryAdapter()
    await DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds()).run_once()
    assert sorted((m.target.user, len(m.reply.items)) for m in adapter.sent) == [("alice", 4), ("bob", 4)]


async def test_a_failed_list_is_retried_whole_and_sent_once(store, stock, clock):
    subscribe(store, "diffusion")
    enqueue_alerts(store, diffusion_papers(stock, 4), clock.now())
    adapter = MemoryAdapter()
    adapter.fail_next()
    worker = DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds(), base_backoff=10)

    await worker.run_once()
    assert adapter.sent == [] and alert_statuses(store) == ["pending"] * 4
    assert len({d.next_attempt_at for d in store.deliveries(kind="alert")}) == 1

    clock.advance(minutes=5)
    await worker.run_once()
    [message] = adapter.sent
    assert len(message.reply.items) == 4 and alert_statuses(store) == ["sent"] * 4


async def test_a_list_to_a_gone_channel_fails_whole(store, stock, clock):
    subscribe(store, "diffusion", notify="channel")
    enqueue_alerts(store, diffusion_papers(stock, 3), clock.now())
    adapter = MemoryAdapter()
    adapter.fail_channel("c1", DeliveryError("channel c1 not found", permanent=True))
    await DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds()).run_once()
    assert alert_statuses(store) == ["failed"] * 3
    assert len(adapter.attempts) == 1


async def test_a_crash_after_sending_a_list_does_not_post_it_twice(db_path, stock_for, clock):
    
    store = open_store(db_path)
    subscribe(store, "diffusion")
    enqueue_alerts(store, diffusion_papers(stock_for(store), 4), clock.now())
    adapter = MemoryAdapter(idempotent=True)
    adapter.crash_after_next_send(SimulatedCrash())
    crashed = False
    try:
        await DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds(), lease_seconds=SHORT_LEASE).run_once()
    except* SimulatedCrash:
        crashed = True
    assert crashed and alert_statuses(store) == ["sending"] * 4
    store.close()

    reopened = open_store(db_path)
    worker = DeliveryWorker(reopened, {"memory": adapter}, clock, delivery_kinds())
    assert await worker.run_once() == 0  # the dead process's lease still holds them
    await delivery_leases_run_out(reopened)
    assert await worker.run_once() == 4
    assert len(adapter.sent) == 1  # the repeat carried the same key, and the platform dropped it
    assert adapter.attempts[0][1] == adapter.attempts[1][1]
    assert alert_statuses(reopened) == ["sent"] * 4
    reopened.close()


async def test_an_unreadable_alert_does_not_hold_back_the_others(store, stock, clock):
    subscription = subscribe(store, "diffusion")
    enqueue_alerts(store, diffusion_papers(stock, 3), clock.now())
    store.enqueue_delivery(f"alert:{subscription.id}:broken", "alert", Target("memory", "w1", "c1", "alice", "dm"),
                           {"kind": "card", "paper": {"title": "no key"},
                            "alert": {"subscription": subscription.id, "description": "diffusion"}}, iso(clock.now()))
    adapter = MemoryAdapter()
    await DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds()).run_once()
    assert [type(m.reply) for m in adapter.sent] == [Card, Card, Card]
    assert sorted(alert_statuses(store)) == ["failed", "sent", "sent", "sent"]


async def test_a_list_puts_the_most_upvoted_then_newest_first(store, stock, clock):
    subscribe(store, "diffusion")
    quiet = stock.paper("Diffusion quiet", abstract="diffusion", upvotes=1, published="2026-11-20")
    popular = stock.paper("Diffusion popular", abstract="diffusion", upvotes=50, published="2026-11-01")
    new = stock.paper("Diffusion new", abstract="diffusion", upvotes=1, published="2026-11-23")
    unvoted = stock.paper("Diffusion unvoted", abstract="diffusion", published="2026-11-23")
    enqueue_alerts(store, [quiet, popular, new, unvoted], clock.now())
    adapter = MemoryAdapter()
    await DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds()).run_once()
    [message] = adapter.sent
    assert [item.paper.key for item in message.reply.items] == [popular.key, new.key, quiet.key, unvoted.key]


async def test_a_list_reads_its_subscription_from_stored_fields_not_from_the_note(store, stock, clock):
    subscription = subscribe(store, "diffusion -audio")
    enqueue_alerts(store, diffusion_papers(stock, 3), clock.now())
    with store._transaction() as tx:  # the note is presentation: rewording it (or a reader's locale) changes nothing
        for delivery in store.deliveries():
            tx.execute("UPDATE deliveries SET payload = ? WHERE id = ?",
                       [json.dumps({**delivery.payload, "note": "reworded #99: x"}), delivery.id])
    adapter = MemoryAdapter(syntax=Syntax("paper", {"subscriptions": "subs"}))
    await DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds()).run_once()
    [message] = adapter.sent
    assert message.reply.title == f"3 new papers matching your subscription #{subscription.id}: diffusion, not audio"
    assert "(/paper subs lists yours)" in message.reply.note  # named as the receiving platform types it


async def test_alerts_queued_without_their_subscription_fields_go_one_by_one(store, stock, clock):
    subscription = subscribe(store, "diffusion")
    for paper in diffusion_papers(stock, 3):  # as an older paperboy queued them: the card and its note only
        store.enqueue_delivery(f"alert:{subscription.id}:{paper.key}", "alert", Target("memory", "w1", "c1", "alice", "dm"),
                               reply_to_dict(Card(paper, note=f"New paper matching your subscription #{subscription.id}: x")),
                               iso(clock.now()))
    adapter = MemoryAdapter()
    await DeliveryWorker(store, {"memory": adapter}, clock, delivery_kinds()).run_once()
    assert [type(m.reply) for m in adapter.sent] == [Card, Card, Card]
    assert alert_statuses(store) == ["sent"] * 3


async def test_a_bundle_cut_off_mid_send_goes_out_again_as_the_same_bundle(db_path, stock_for, clock):
    
    store = open_store(db_path)
    subscribe(store, "diffusion")
    enqueue_alerts(store, diffusion_papers(stock_for(store), 6), clock.now())
    platform = MemoryAdapter(idempotent=True)
    platform.crash_after_next_send(SimulatedCrash())
    crashed = False
    try:
        await DeliveryWorker(store, {"memory": platform}, clock, delivery_kinds(), lease_seconds=SHORT_LEASE).run_once()
    except* SimulatedCrash:
        crashed = True
    assert crashed and [len(m.reply.items) for m in platform.sent] == [6]
    store.close()

    reopened = open_store(db_path)
    later = [stock_for(reopened).paper(f"Diffusion later {n}", abstract="diffusion", arxiv_id=f"2611.0090{n}")
             for n in range(2)]
    assert enqueue_alerts(reopened, later, clock.now()) == 2  # more news meanwhile
    await delivery_leases_run_out(reopened)
    await DeliveryWorker(reopened, {"memory": platform}, clock, delivery_kinds()).run_once()
    first_key = platform.attempts[0][1]
    assert [key for _, key in platform.attempts].count(first_key) == 2  # the same six, under the same key
    assert [type(m.reply).__name__ for m in platform.sent] == ["PaperList", "Card", "Card"]  # no list of 8
    assert alert_statuses(reopened) == ["sent"] * 8
    reopened.close()
