"""The in-memory adapter behaves as the Adapter protocol says, and misbehaves on request."""
from __future__ import annotations

import pytest

from paperboy.adapters.memory.adapter import MemoryAdapter
from paperboy.bot.adapter import Adapter, DeliveryError
from paperboy.bot.models import Target
from paperboy.bot.replies import Notice

TARGET = Target("memory", "w1", "c1")


async def test_records_sends_and_lifecycle():
    adapter: Adapter = MemoryAdapter()
    await adapter.start()
    first = await adapter.send(TARGET, Notice("one"), delivery_key="k1")
    second = await adapter.send(Target("memory", "w1", "c2"), Notice("two"))
    await adapter.stop()
    assert adapter.started and adapter.stopped
    assert (first.external_id, second.external_id) == ("memory-1", "memory-2")
    assert [m.reply for m in adapter.sent] == [Notice("one"), Notice("two")]
    assert adapter.keys_sent() == ["k1", None]
    assert [m.reply.text for m in adapter.sent_to("c2")] == ["two"]


async def test_fail_next_raises_then_recovers_and_posts_nothing_meanwhile():
    adapter = MemoryAdapter()
    adapter.fail_next(2)
    for _ in range(2):
        with pytest.raises(DeliveryError) as caught:
            await adapter.send(TARGET, Notice("x"), delivery_key="k")
        assert not caught.value.permanent
    assert adapter.sent == []
    await adapter.send(TARGET, Notice("x"), delivery_key="k")
    assert len(adapter.sent) == 1 and len(adapter.attempts) == 3


async def test_crash_after_send_posts_first():
    adapter = MemoryAdapter()
    adapter.crash_after_next_send(KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        await adapter.send(TARGET, Notice("x"), delivery_key="k")
    assert adapter.keys_sent() == ["k"]
    await adapter.send(TARGET, Notice("y"), delivery_key="k2")  # only the next send crashes
    assert adapter.keys_sent() == ["k", "k2"]


async def test_idempotent_platform_drops_a_repeated_key():
    adapter = MemoryAdapter(idempotent=True)
    first = await adapter.send(TARGET, Notice("x"), delivery_key="k")
    again = await adapter.send(TARGET, Notice("x"), delivery_key="k")
    assert first == again and len(adapter.sent) == 1 and len(adapter.attempts) == 2


async def test_a_failing_channel_fails_permanently_by_default():
    adapter = MemoryAdapter()
    adapter.fail_channel("c1")
    with pytest.raises(DeliveryError) as caught:
        await adapter.send(TARGET, Notice("x"))
    assert caught.value.permanent
    await adapter.send(Target("memory", "w1", "c2"), Notice("x"))
    assert len(adapter.sent) == 1
