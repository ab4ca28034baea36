"""SlackAdapter.send(): channels, DMs and mentions, error mapping, per-channel pacing, 429 Retry-After."""
from __future__ import annotations

import asyncio
import time
from itertools import pairwise

import pytest
from fake_slack import User
from slack_world import PAPERS, make_adapter

from paperboy.bot.adapter import DeliveryError
from paperboy.bot.delivery.registry import delivery_kinds
from paperboy.bot.models import Target
from paperboy.bot.replies import Card, PaperList, Scored

DIGEST = PaperList("Today's papers", tuple(Scored(p, 1.0) for p in PAPERS[:3]), note="Hugging Face Daily Papers")
ALERT = Card(PAPERS[2], note="New paper matching your subscription #1: diffusion")


def channel(name: str = "C0PAPERS", mode: str = "channel") -> Target:
    return Target("slack", "T0PAPERS", name, mode=mode)


async def test_daily_list_goes_to_the_channel(fake, slack):
    result = await slack.send(channel(), DIGEST, delivery_key="daily:1:2026-11-24")
    [post] = fake.posts("C0PAPERS")
    assert result.external_id.startswith("C0PAPERS:17")  # channel and message ts, from Slack's answer
    assert post["blocks"][0]["text"]["text"] == "Today's papers"
    assert [b["text"]["text"].split("\n")[0] for b in post["blocks"][2:5]] == [
        f"{n}. {p.title}" for n, p in enumerate(PAPERS[:3], 1)]
    assert post["text"].startswith("Today's papers") and post["unfurl_links"] is False


async def test_threads_mode_posts_in_the_channel(fake, slack):
    await slack.send(channel(mode="threads"), DIGEST)
    assert len(fake.posts("C0PAPERS")) == 1


async def test_alert_by_dm_opens_the_conversation_first(fake, slack):
    await slack.send(Target("slack", "T0PAPERS", "C0PAPERS", user="U0BOB", mode="dm"), ALERT)
    [opened] = fake.calls_to("conversations.open")
    assert opened.params["users"] == "U0BOB"
    [post] = fake.posts()
    assert post["channel"] == "D0BOB"
    assert "New paper matching your subscription #1" in post["blocks"][0]["elements"][0]["text"]
    assert post["blocks"][1]["text"]["text"] == "Denoising Diffusion Probabilistic Models"


async def test_alert_in_channel_mentions_the_subscriber(fake, slack):
    await slack.send(Target("slack", "T0PAPERS", "C0PAPERS", user="U0BOB", mode="mention"), ALERT)
    [post] = fake.posts("C0PAPERS")
    assert post["text"].startswith("<@U0BOB> ")
    assert post["blocks"][0]["text"] == {"type": "mrkdwn", "text": "<@U0BOB>"}
    assert "New paper matching your subscription #1" in post["blocks"][1]["elements"][0]["text"]


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived", "account_inactive"])
async def test_errors_that_will_not_go_away_are_permanent(fake, slack, error):
    fake.fail_next("chat.postMessage", error=error)
    with pytest.raises(DeliveryError) as raised:
        await slack.send(channel(), DIGEST)
    assert raised.value.permanent and error in str(raised.value)


async def test_a_dm_to_a_deactivated_user_is_permanent(fake, slack):
    fake.add_user(User("U0GONE", "gone", deleted=True))
    with pytest.raises(DeliveryError) as raised:
        await slack.send(Target("slack", "T0PAPERS", "", user="U0GONE", mode="dm"), ALERT)
    assert raised.value.permanent
    assert not fake.posts()


async def test_a_channel_that_does_not_exist_is_permanent(fake, slack):
    with pytest.raises(DeliveryError) as raised:
        await slack.send(channel("C0NOWHERE"), DIGEST)
    assert raised.value.permanent


async def test_other_failures_are_retried_later(fake, slack):
    fake.fail_next("chat.postMessage", error="internal_error")
    with pytest.raises(DeliveryError) as raised:
        await slack.send(channel(), DIGEST)
    assert not raised.value.permanent and raised.value.retry_after is None
    await slack.send(channel(), DIGEST)
    assert len(fake.posts("C0PAPERS")) == 1


async def test_short_retry_after_is_waited_out_and_the_post_goes_once(fake, slack):
    fake.fail_next("chat.postMessage", status=429, retry_after=1)
    await slack.send(channel(), DIGEST)
    attempts = fake.calls_to("chat.postMessage", ok=None)
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 1.0
    assert len(fake.posts("C0PAPERS")) == 1


async def test_long_retry_after_hands_the_wait_to_the_outbox_and_holds_the_channel(fake, core):
    adapter = make_adapter(core, fake, max_retry_wait=2.0)
    await adapter.start()
    try:
        fake.fail_next("chat.postMessage", status=429, retry_after=30)
        started = time.monotonic()
        with pytest.raises(DeliveryError) as raised:
            await adapter.send(channel(), DIGEST)
        assert time.monotonic() - started < 2.0  # not slept through
        assert raised.value.retry_after == 30 and not raised.value.permanent
        assert fake.posts("C0PAPERS") == []
        assert adapter.pacer.reserve("C0PAPERS") > 25  # the channel waits out Slack's 30 s
        assert adapter.pacer.reserve("C0OTHER") == 0  # other channels do not
    finally:
        await adapter.stop()


async def test_posts_to_one_channel_are_spaced_and_other_channels_are_not_held_up(fake, core):
    adapter = make_adapter(core, fake, channel_interval=0.3)
    await adapter.start()
    try:
        await asyncio.gather(*(adapter.send(channel("C0PAPERS"), DIGEST) for _ in range(4)),
                             adapter.send(channel("C0GENERAL"), DIGEST))
    finally:
        await adapter.stop()
    times = [c.at for c in fake.calls_to("chat.postMessage") if c.params["channel"] == "C0PAPERS"]
    assert len(times) == 4
    # Spaced when sent; measured on arrival, so allow for a little network jitter on loopback.
    assert all(b - a >= 0.2 for a, b in pairwise(times))
    assert times[-1] - times[0] >= 0.85
    [general] = [c.at for c in fake.calls_to("chat.postMessage") if c.params["channel"] == "C0GENERAL"]
    assert general < times[1]  # did not wait behind the busy channel


# ---- no post twice: Slack has no idempotency key --------------------------------------------------

async def test_every_delivery_carries_its_key_and_a_resend_finds_the_earlier_post(fake, slack):
    first = await slack.send(channel(), DIGEST, delivery_key="daily:1:2026-11-24")
    [post] = fake.posts("C0PAPERS")
    assert post["metadata"] == {"event_type": "paperboy_delivery",
                                "event_payload": {"delivery_key": "daily:1:2026-11-24"}}
    again = await slack.send(channel(), DIGEST, delivery_key="daily:1:2026-11-24", resend=True)
    assert len(fake.posts("C0PAPERS")) == 1  # found in the channel's history: not posted again
    assert again.external_id == first.external_id and "not posted again" in again.note
    other = await slack.send(channel(), ALERT, delivery_key="alert:1:2611.00001", resend=True)
    assert len(fake.posts("C0PAPERS")) == 2 and other.note is None  # not there: posted


async def test_a_resent_dm_is_looked_for_in_the_dm(fake, slack):
    dm = Target("slack", "T0PAPERS", "C0PAPERS", user="U0BOB", mode="dm")
    await slack.send(dm, ALERT, delivery_key="alert:1:2611.00001")
    await slack.send(dm, ALERT, delivery_key="alert:1:2611.00001", resend=True)
    assert len(fake.posts("D0BOB")) == 1
    assert [c.params["channel"] for c in fake.calls_to("conversations.history")] == ["D0BOB"]


async def test_a_post_whose_answer_was_lost_is_not_retried_by_the_client_and_not_doubled_by_the_outbox(
        fake, slack, store, clock):
    from paperboy.bot.clock import iso
    from paperboy.bot.delivery.outbox import DeliveryWorker
    from paperboy.bot.serialize import reply_to_dict

    store.enqueue_delivery("daily:1:2026-11-24", "daily", channel(), reply_to_dict(DIGEST), iso(clock.now()))
    fake.drop_connection_after("chat.postMessage")  # posted, then the connection broke before the answer
    worker = DeliveryWorker(store, {"slack": slack}, clock, delivery_kinds(), base_backoff=1)
    await worker.run_once()
    assert len(fake.posts("C0PAPERS")) == 1  # slack_sdk did not try again on its own
    delivery = store.get_delivery("daily:1:2026-11-24")
    assert delivery.status == "pending"  # the outcome is unknown: the outbox will see to it
    clock.advance(seconds=5)
    await worker.run_once()
    assert len(fake.posts("C0PAPERS")) == 1  # the retry found the first post
    assert store.get_delivery("daily:1:2026-11-24").status == "sent"


async def test_a_history_slack_will_not_show_means_posting_again_not_losing(fake, slack):
    fake.fail_next("conversations.history", error="missing_scope")
    await slack.send(channel(), DIGEST, delivery_key="daily:1:2026-11-24", resend=True)
    assert len(fake.posts("C0PAPERS")) == 1
