"""The outbox knows kinds of posts only through the registry their producers fill: each kind has its
own name in the outbox, a new kind is sent, bundled and cancelled with no change to the outbox or
the commands, and weekly and monthly posts are kinds of their own (older rows migrated)."""
from __future__ import annotations

import ast
import sqlite3
from pathlib import Path

import pytest
from test_daily_scheduler import at

from paperboy.adapters.memory import MemoryAdapter
from paperboy.bot.clock import iso
from paperboy.bot.commands.dispatch import build_core
from paperboy.bot.commands.invocation import Invocation, Place
from paperboy.bot.delivery.outbox import DeliveryWorker
from paperboy.bot.delivery.registry import delivery_kinds
from paperboy.bot.delivery.scheduler import DailyScheduler
from paperboy.bot.kinds import DeliveryKind, DeliveryKinds
from paperboy.bot.models import Delivery, Target
from paperboy.bot.replies import Notice
from paperboy.storage.sqlite import SQLiteStore

REPO = Path(__file__).resolve().parents[2]
TARGET = Target("memory", "w1", "c1")


def test_every_producer_registers_its_kinds():
    kinds = delivery_kinds()
    assert {kind.name: kind.scope for kind in kinds} == {
        "daily": "channel", "weekly": "channel", "monthly": "channel", "alert": "subscription"}
    assert kinds["alert"].bundle is not None and kinds["daily"].failed_for_good is not None
    assert kinds.prefixes("channel", 7) == ["daily:7:", "weekly:7:", "monthly:7:"]


def test_a_kind_is_registered_once():
    kinds = DeliveryKinds(DeliveryKind("watch", "subscription"))
    with pytest.raises(ValueError, match="registered twice"):
        kinds.register(DeliveryKind("watch", "channel"))


@pytest.mark.parametrize("module", ["bot/delivery/outbox.py", "bot/commands/handlers.py"])
def test_the_outbox_and_the_commands_import_no_producer_s_keys(module):
    source = (REPO / module).read_text()
    imported = {node.module for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)}
    if module.endswith("outbox.py"):
        assert not {m for m in imported if m and (m.endswith(".scheduler") or ".subscriptions" in m)}
    for prefix in ('"daily:', '"weekly:', '"monthly:', '"alert:', "'daily:", "'alert:"):
        assert prefix not in source


async def test_weekly_and_monthly_posts_are_kinds_of_their_own(store, stock, clock):
    stock.hf_days("2026-11-01", 30)
    channel = stock.channel(daily_time="09:00", tz="UTC", every="day,week,month", week_day="tue")
    clock.set(at("2026-12-01T09:00"))  # a Tuesday and the 1st
    queued = await DailyScheduler(store, clock).tick()
    assert sorted(store.get_delivery(key).kind for key in queued) == ["daily", "monthly", "weekly"]
    assert {d.dedupe_key for d in store.deliveries(kind="weekly")} == {f"weekly:{channel.id}:2026-12-01"}


async def test_a_new_kind_is_sent_bundled_and_cancelled_through_the_registry(store, clock):
    def together(messages: list[list[Delivery]]) -> list[list[Delivery]]:
        watches = [m[0] for m in messages if len(m) == 1 and m[0].kind == "watch"]
        rest = [m for m in messages if not (len(m) == 1 and m[0].kind == "watch")]
        return ([watches] if watches else []) + rest

    def as_one(message, syntax) -> Notice:
        return Notice(" + ".join(d.payload["text"] for d in message))

    kinds = delivery_kinds()
    watch = kinds.register(DeliveryKind("watch", "subscription", bundle=together, bundle_reply=as_one))
    for n in range(3):
        store.enqueue_delivery(watch.key(5, f"paper{n}"), "watch", TARGET, {"kind": "notice", "text": f"cited {n}"},
                               iso(clock.now()))
    adapter = MemoryAdapter()
    assert await DeliveryWorker(store, {"memory": adapter}, clock, kinds).run_once() == 3
    [message] = adapter.sent
    assert message.reply.text == "cited 0 + cited 1 + cited 2" and message.delivery_key == "watch:5:paper0+2"

    # Unsubscribing cancels what a subscription still has queued, whatever its kind.
    core = build_core(store, clock=clock, kinds=kinds)
    sub = store.add_subscription("memory", "w1", "alice", "c1", "dm", "diffusion", iso(clock.now()))
    store.enqueue_delivery(watch.key(sub.id, "p"), "watch", TARGET, {"kind": "notice", "text": "x"}, iso(clock.now()))
    reply = await core.dispatch(Invocation("unsubscribe", str(sub.id), "alice", Place("memory", "w1", "c1")))
    assert "not yet sent will not be" in reply.text
    assert store.get_delivery(watch.key(sub.id, "p")).status == "cancelled"


def test_older_weekly_and_monthly_rows_become_their_kinds(tmp_path):
    path = tmp_path / "old.db"
    store = SQLiteStore(path)
    for key in ("daily:1:2026-11-30", "weekly:1:2026-11-30", "monthly:1:2026-11"):
        store.enqueue_delivery(key, "daily", TARGET, {"kind": "notice", "text": key}, "2026-11-30T09:00:00Z")
    store.close()
    with sqlite3.connect(path) as conn:  # as a paperboy that stored every digest post as daily left it
        conn.execute("DELETE FROM _migrations WHERE name = '0024_weekly_and_monthly_kinds'")
    upgraded = SQLiteStore(path)
    assert {d.dedupe_key: d.kind for d in upgraded.deliveries()} == {
        "daily:1:2026-11-30": "daily", "weekly:1:2026-11-30": "weekly", "monthly:1:2026-11": "monthly"}
    upgraded.close()
