"""enqueue_alerts: one outbox entry per (subscription, paper) match, ever."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from paperboy.bot.models import Paper, Target
from paperboy.bot.replies import Card
from paperboy.bot.serialize import reply_from_dict, reply_to_dict
from paperboy.bot.subscriptions.alerts import enqueue_alerts
from paperboy.bot.subscriptions.index import SubscriptionIndex
from paperboy.storage.sql import SQLStore

NOW = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)

DIFFUSION = Paper(key="2503.00001", arxiv_id="2503.00001", title="Video Diffusion Models at Scale",
                  abstract="We train diffusion models on videos.", authors=("Jason Lee", "Ana López"),
                  categories=("cs.CV",))
GRAPHS = Paper(key="2503.00002", arxiv_id="2503.00002", title="Graph Neural Networks for Chemistry",
               abstract="Message passing on molecules.", authors=("Wei Chen",), categories=("cs.LG",))
CONFERENCE = Paper(key="p:0123456789abcdef", title="Diffusion Policies for Robots", venue="CoRL 2024",
                   authors=("Cheng Chi",))


def subscribe(store: SQLStore, query: str, owner: str = "u1", notify: str = "dm", platform: str = "discord"):
    return store.add_subscription(platform, "guild1", owner, "chan9", notify, query, "2025-03-01T00:00:00Z")


def test_one_alert_per_match_with_target_payload_and_key(store):
    dm = subscribe(store, "diffusion -audio", owner="alice", notify="dm")
    mention = subscribe(store, "author:Lee", owner="bob", notify="channel", platform="slack")
    subscribe(store, "graph neural", owner="carol")
    subscribe(store, "quantum", owner="dave")

    added = enqueue_alerts(store, [DIFFUSION, GRAPHS, CONFERENCE], NOW)

    assert added == 4  # alice: DIFFUSION and CONFERENCE; bob: DIFFUSION; carol: GRAPHS
    alerts = {d.dedupe_key: d for d in store.deliveries(kind="alert")}
    assert set(alerts) == {f"alert:{dm.id}:2503.00001", f"alert:{dm.id}:p:0123456789abcdef",
                           f"alert:{mention.id}:2503.00001", "alert:3:2503.00002"}
    first = alerts[f"alert:{dm.id}:2503.00001"]
    assert first.target == Target("discord", "guild1", channel="chan9", user="alice", mode="dm")
    assert first.status == "pending" and first.next_attempt_at == "2025-03-04T09:30:00Z"
    card = reply_from_dict(first.payload)
    assert isinstance(card, Card) and card.paper == DIFFUSION
    assert card.note == f"New paper matching your subscription #{dm.id}: diffusion, not audio"
    assert {k: v for k, v in first.payload.items() if k != "alert"} == reply_to_dict(Card(DIFFUSION, note=card.note))
    assert first.payload["alert"] == {"subscription": dm.id, "description": "diffusion, not audio"}
    assert alerts[f"alert:{mention.id}:2503.00001"].target == Target("slack", "guild1", channel="chan9",
                                                                     user="bob", mode="mention")


def test_the_same_papers_again_enqueue_nothing(store):
    subscribe(store, "diffusion")
    assert enqueue_alerts(store, [DIFFUSION, CONFERENCE], NOW) == 2
    assert enqueue_alerts(store, [DIFFUSION, CONFERENCE], NOW + timedelta(hours=1)) == 0
    assert enqueue_alerts(store, [CONFERENCE, DIFFUSION, GRAPHS], NOW + timedelta(days=1)) == 0
    assert len(store.deliveries(kind="alert")) == 2


def test_a_delivered_alert_is_never_enqueued_again(store):
    subscribe(store, "diffusion")
    enqueue_alerts(store, [DIFFUSION], NOW)
    [delivery] = store.claim_due_deliveries("2025-03-04T09:31:00Z", ["discord"])
    store.mark_delivered(delivery.id, "2025-03-04T09:31:05Z", external_id="m1")
    assert enqueue_alerts(store, [DIFFUSION], NOW + timedelta(days=2)) == 0
    assert [d.status for d in store.deliveries(kind="alert")] == ["sent"]


def test_a_new_subscription_gets_papers_seen_after_it(store):
    subscribe(store, "diffusion")
    enqueue_alerts(store, [DIFFUSION], NOW)
    late = subscribe(store, "video diffusion", owner="zoe")
    assert enqueue_alerts(store, [DIFFUSION], NOW) == 1
    assert store.has_delivery(f"alert:{late.id}:2503.00001")


def test_invalid_stored_queries_do_not_break_the_run(store):
    # Stored before the grammar tightened, say: written straight into the store.
    store.add_subscriptions_bulk([
        ("discord", "guild1", "u1", "chan9", "dm", 'author:"never closed'),
        ("discord", "guild1", "u2", "chan9", "dm", "(diffusion)"),
        ("discord", "guild1", "u3", "chan9", "dm", "-only -exclusions"),
        ("discord", "guild1", "u4", "chan9", "dm", "diffusion"),
    ], "2025-03-01T00:00:00Z")
    assert enqueue_alerts(store, [DIFFUSION], NOW) == 1
    [alert] = store.deliveries(kind="alert")
    assert alert.target.user == "u4"


def test_a_given_index_is_used_instead_of_the_store(store):
    subscribe(store, "graph")
    index = SubscriptionIndex.build(store.all_subscriptions())
    subscribe(store, "diffusion")  # not in the index handed over
    assert enqueue_alerts(store, [DIFFUSION, GRAPHS], NOW, index) == 1
    assert [d.dedupe_key for d in store.deliveries(kind="alert")] == ["alert:1:2503.00002"]


def test_no_papers_or_no_subscriptions_enqueue_nothing(store):
    assert enqueue_alerts(store, [DIFFUSION], NOW) == 0
    subscribe(store, "diffusion")
    assert enqueue_alerts(store, [], NOW) == 0
    assert store.deliveries() == []


def test_a_long_query_is_cut_short_in_the_note(store):
    words = " ".join(f"word{n}" for n in range(40))
    sub = subscribe(store, f"diffusion OR {words.replace(' ', ' OR ')}")
    enqueue_alerts(store, [DIFFUSION], NOW)
    note = store.deliveries(kind="alert")[0].payload["note"]
    assert note.startswith(f"New paper matching your subscription #{sub.id}: diffusion or word0")
    assert note.endswith("…") and len(note) < 220
