"""Daily lists and alerts sent by the real client to the fake Discord: what goes over the wire."""
from __future__ import annotations

import asyncio
import time

import pytest
from conftest import PAPERS, make_adapter

from paperboy.adapters.discord.delivery import DMS_CLOSED_NOTE, nonce_for
from paperboy.adapters.discord.pacer import RequestPacer
from paperboy.bot.adapter import DeliveryError
from paperboy.bot.models import Target
from paperboy.bot.replies import Card, Notice, PaperList, Scored

REVERSAL, RETRO, IRL, HOSTILE = PAPERS
USER = "555555555555555555"


def daily_list(*papers) -> PaperList:
    return PaperList("Trending papers — Tue 24 Nov 2026", tuple(Scored(p, float(p.upvotes or 0)) for p in papers),
                     note="Top 3 of 3 from Hugging Face Daily Papers, by upvotes")


def mentions(body: dict) -> dict:
    """allowed_mentions with user ids as text (Discord takes snowflakes as numbers or strings)."""
    allowed = dict(body["allowed_mentions"])
    if "users" in allowed:
        allowed["users"] = [str(u) for u in allowed["users"]]
    return allowed


def channel_target(fake, mode: str = "channel", channel: str | None = None) -> Target:
    return Target("discord", fake.guild_id, channel or fake.channel_id, mode=mode)


async def test_a_channel_post_pings_nobody_and_carries_an_enforced_nonce(running, fake):
    result = await running.send(channel_target(fake), daily_list(REVERSAL, RETRO, HOSTILE), delivery_key="daily:1:x")
    (call,) = fake.requests("POST", rf"/channels/{fake.channel_id}/messages")
    assert call.body["allowed_mentions"] == {"parse": []}
    assert call.body["nonce"] == nonce_for("daily:1:x", "0") and call.body["enforce_nonce"] is True
    assert len(call.body["nonce"]) <= 25
    (embed,) = call.body["embeds"]
    assert embed["title"] == "Trending papers — Tue 24 Nov 2026"
    assert "@everyone" not in embed["description"] and "\\<@123456789012345678\\>" in embed["description"]
    assert result.external_id == fake.channel_messages(fake.channel_id)[0]["id"]
    assert fake.rejected == []


async def test_sending_the_same_delivery_twice_posts_once(running, fake):
    first = await running.send(channel_target(fake), Card(REVERSAL), delivery_key="alert:7:2309.12288")
    again = await running.send(channel_target(fake), Card(REVERSAL), delivery_key="alert:7:2309.12288")
    assert len(fake.channel_messages(fake.channel_id)) == 1
    assert first.external_id == again.external_id


async def test_a_mention_alert_pings_exactly_its_subscriber(running, fake):
    await running.send(Target("discord", fake.guild_id, fake.channel_id, user=USER, mode="mention"),
                       Card(HOSTILE, note="New paper for your subscription #4: @everyone"), delivery_key="a:1")
    (call,) = fake.requests("POST", r"/channels/\d+/messages")
    assert call.body["content"].startswith(f"<@{USER}> ")
    assert mentions(call.body) == {"parse": [], "users": [USER]}
    assert "@everyone" not in call.body["content"]


async def test_a_dm_alert_opens_the_dm_and_posts_there(running, fake):
    result = await running.send(Target("discord", fake.guild_id, fake.channel_id, user=USER, mode="dm"),
                                Card(REVERSAL, note="New paper for your subscription #1"), delivery_key="a:2")
    (opened,) = fake.requests("POST", r"/users/@me/channels")
    assert opened.body == {"recipient_id": int(USER)} or opened.body == {"recipient_id": USER}
    dm = fake.dm_channels[USER]
    (message,) = fake.channel_messages(dm)
    assert message["allowed_mentions"] == {"parse": []} and result.note is None
    await running.send(Target("discord", "", "", user=USER, mode="dm"), Card(RETRO), delivery_key="a:3")
    assert len(fake.requests("POST", r"/users/@me/channels")) == 1  # the DM channel is remembered
    assert len(fake.channel_messages(dm)) == 2


async def test_closed_dms_fall_back_to_a_mention_in_the_channel_and_say_so(running, fake):
    fake.closed_dms.add(USER)
    result = await running.send(Target("discord", fake.guild_id, fake.channel_id, user=USER, mode="dm"),
                                Card(REVERSAL, note="New paper for your subscription #1"), delivery_key="a:4")
    assert result.note == DMS_CLOSED_NOTE
    (message,) = fake.channel_messages(fake.channel_id)
    assert message["content"].startswith(f"<@{USER}>")
    assert mentions(message) == {"parse": [], "users": [USER]}
    assert fake.channel_messages(fake.dm_channels[USER]) == []


async def test_closed_dms_with_no_channel_to_fall_back_to_fail_for_good(running, fake):
    fake.closed_dms.add(USER)
    with pytest.raises(DeliveryError) as caught:
        await running.send(Target("discord", "", "", user=USER, mode="dm"), Card(REVERSAL), delivery_key="a:5")
    assert caught.value.permanent


async def test_thread_mode_posts_the_list_then_one_thread_per_paper_with_its_card(running, fake):
    result = await running.send(channel_target(fake, "threads"), daily_list(REVERSAL, RETRO, HOSTILE),
                                delivery_key="daily:2:2026-11-24")
    (listing,) = fake.channel_messages(fake.channel_id)
    assert result.external_id == listing["id"] and result.note is None
    assert [t["name"] for t in fake.threads] == [
        '1. The Reversal Curse: LLMs trained on "A is B" fail to learn "B is A"',
        "2. Retro-Search: Exploring Untaken Paths for Deeper and Efficient Reasoning",
        "3. @\u200beveryone <@123456789012345678> **Bold** claims: a [link](http://evil.example) in a title"]
    creates = fake.requests("POST", rf"/channels/{fake.channel_id}/threads")
    assert all(c.body["type"] == 11 and c.body["auto_archive_duration"] == 1440 for c in creates)
    for thread, paper in zip(fake.threads, (REVERSAL, RETRO, HOSTILE), strict=True):
        (card,) = fake.channel_messages(thread["id"])
        assert card["embeds"][0]["url"] == paper.abs_url and card["allowed_mentions"] == {"parse": []}


async def test_a_thread_that_cannot_be_opened_is_noted_without_repeating_the_list(running, fake):
    fake.fail("POST", r"/threads$", times=1, status=403, body={"message": "Missing Permissions", "code": 50013})
    result = await running.send(channel_target(fake, "threads"), daily_list(REVERSAL, RETRO), delivery_key="d:3")
    assert result.note == "1 of 2 paper threads could not be opened"
    assert len(fake.channel_messages(fake.channel_id)) == 1 and len(fake.threads) == 1


async def test_a_missing_channel_or_a_bad_id_is_a_permanent_failure(running, fake):
    fake.missing_channels.add("123456789012345678")
    with pytest.raises(DeliveryError) as gone:
        await running.send(channel_target(fake, channel="123456789012345678"), Notice("hi"), delivery_key="n:1")
    assert gone.value.permanent and "10003" in str(gone.value)
    with pytest.raises(DeliveryError) as bad:
        await running.send(channel_target(fake, channel="general"), Notice("hi"), delivery_key="n:2")
    assert bad.value.permanent


async def test_a_server_error_that_outlasts_the_clients_retries_is_retried_later(running, fake):
    fake.fail("POST", r"/messages$", times=1, status=403, body={"message": "Missing Access", "code": 50001})
    with pytest.raises(DeliveryError) as forbidden:
        await running.send(channel_target(fake), Notice("hi"), delivery_key="n:3")
    assert forbidden.value.permanent
    fake.fail("POST", r"/messages$", times=1, status=400, body={"message": "Bad Request", "code": 0},
              headers={})
    with pytest.raises(DeliveryError) as refused:
        await running.send(channel_target(fake), Notice("hi"), delivery_key="n:4")
    assert refused.value.permanent


async def test_429_with_retry_after_is_waited_out_and_the_post_still_arrives(running, fake):
    fake.rate_limit("POST", r"/channels/\d+/messages", times=3, retry_after=0.1)
    started = time.monotonic()
    await running.send(channel_target(fake), Notice("after the storm"), delivery_key="n:5")
    assert time.monotonic() - started >= 0.3  # three retry_after waits
    statuses = [c.status for c in fake.requests("POST", r"/channels/\d+/messages")]
    assert statuses == [429, 429, 429, 200]
    assert [m["content"] for m in fake.channel_messages(fake.channel_id)] == ["after the storm"]


async def test_a_429_the_client_gives_up_on_becomes_a_retry_with_discords_delay(running, fake):
    fake.rate_limit("POST", r"/channels/\d+/messages", times=5, retry_after=0.01)
    with pytest.raises(DeliveryError) as caught:
        await running.send(channel_target(fake), Notice("x"), delivery_key="n:6")
    assert not caught.value.permanent and caught.value.retry_after == pytest.approx(0.01)
    assert fake.channel_messages(fake.channel_id) == []


async def test_fan_out_stays_inside_discords_global_limit(core, fake):
    fake.guilds.clear()
    guild = fake.add_guild(channels=60)
    fake.global_limit = 50  # the fake answers 429 (global) past 50 requests in any second, as Discord does
    adapter = make_adapter(core, fake, pacer=RequestPacer())  # the production pace
    await adapter.start()
    try:
        channels = fake.channel_ids(guild)
        await asyncio.gather(*(adapter.send(Target("discord", guild, c), Notice(f"hello {c}"), delivery_key=f"f:{c}")
                               for c in channels))
    finally:
        await adapter.stop()
    assert fake.global_limited == 0
    assert all(len(fake.channel_messages(c)) == 1 for c in channels)
    posts = sorted(c.at for c in fake.requests("POST", r"/channels/\d+/messages"))
    assert max(sum(1 for t in posts if start <= t < start + 1.0) for start in posts) <= 50


async def test_without_pacing_the_same_fan_out_would_hit_the_global_limit(core, fake):
    fake.guilds.clear()
    guild = fake.add_guild(channels=60)
    fake.global_limit = 50
    adapter = make_adapter(core, fake, pacer=RequestPacer(rate=10_000))
    await adapter.start()
    try:
        channels = fake.channel_ids(guild)
        await asyncio.gather(*(adapter.send(Target("discord", guild, c), Notice("x"), delivery_key=f"g:{c}")
                               for c in channels), return_exceptions=True)
    finally:
        await adapter.stop()
    assert fake.global_limited > 0  # the check above can fail: it is the pacer that keeps it at zero


async def test_a_list_sent_again_after_an_interruption_opens_no_thread_twice(running, fake):
    """Opening a thread carries no nonce: a resend looks for the threads before opening them."""
    target = channel_target(fake, "threads")
    reply = daily_list(REVERSAL, RETRO, HOSTILE)
    await running.send(target, reply, delivery_key="daily:1:2026-11-24")
    assert len(fake.threads) == 3
    fake.nonce_seconds = 0  # however long ago: Discord forgot the nonces
    await running.send(target, reply, delivery_key="daily:1:2026-11-24", resend=True)
    assert len(fake.threads) == 3  # found, not opened again
    for thread in fake.threads:
        assert len(fake.channel_messages(thread["id"])) == 1  # and no second card in any


async def test_a_thread_opened_but_left_empty_gets_its_card_on_the_resend(running, fake):
    target = channel_target(fake, "threads")
    reply = daily_list(REVERSAL, RETRO)
    await running.send(target, reply, delivery_key="daily:2:2026-11-24")
    empty = fake.threads[1]["id"]
    fake.messages[:] = [m for m in fake.messages if m["channel_id"] != empty]  # the card never got there
    fake.nonce_seconds = 0  # nor did Discord note its nonce
    await running.send(target, reply, delivery_key="daily:2:2026-11-24", resend=True)
    assert len(fake.threads) == 2 and len(fake.channel_messages(empty)) == 1
