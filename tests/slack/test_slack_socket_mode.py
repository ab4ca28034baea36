"""The real slack-bolt app over Socket Mode against the fake Slack: commands, buttons, mentions, unfurls."""
from __future__ import annotations

import json

from fake_slack import BOT_USER
from slack_payloads import app_mention, link_shared, share_click
from slack_steps import ACK_DEADLINE, share_value, slash

from paperboy.adapters.slack.blocks import SHARE_ACTION


async def test_typod_title_answers_with_the_right_card_ephemerally(fake, slack):
    answer = await slash(fake, "the reversel curse llms trained on a is b fail to lern b is a")
    assert answer.header.startswith("The Reversal Curse")
    assert answer.ephemeral
    assert "arxiv.org/abs/2309.12288" in answer.all_text
    share_value(answer)  # the card carries a "Post to channel" button
    assert "Reversal Curse" in answer.body["text"]  # fallback text for notifications


async def test_post_to_channel_shares_the_card_and_removes_the_ephemeral_one(fake, slack):
    answer = await slash(fake, "attention is all you need")
    url = fake.response_url()
    envelope = await fake.send_envelope("interactive", share_click(share_value(answer), response_url=url))
    ack = await fake.ack_for(envelope)
    assert ack.delay < ACK_DEADLINE
    posts = await fake.wait_until(lambda: fake.posts("C0PAPERS"))
    blocks = posts[0]["blocks"]
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["text"] == "Attention Is All You Need"
    assert SHARE_ACTION not in json.dumps(blocks)
    assert "Shared by <@U0ALICE>" in json.dumps(blocks)
    assert posts[0]["text"].startswith("Attention Is All You Need")
    responses = await fake.wait_until(lambda: fake.responses_to(url))
    assert responses == [{"delete_original": True}] or responses[0].get("delete_original") is True


async def test_sharing_where_paperboy_cannot_post_says_how_to_fix_it(fake, slack):
    from fake_slack import Channel

    fake.add_channel(Channel("G0SECRET", "secret", creator="U0ALICE", is_private=True, bot_is_member=False))
    answer = await slash(fake, "attention is all you need", channel="G0SECRET")
    url = fake.response_url()
    await fake.send_envelope("interactive", share_click(share_value(answer), response_url=url, channel="G0SECRET"))
    responses = await fake.wait_until(lambda: fake.responses_to(url))
    assert "/invite @paperboy" in responses[0]["text"]
    assert responses[0].get("replace_original") is False
    assert not fake.posts("G0SECRET")


async def test_id_lookup_of_a_hostile_title_is_escaped(fake, slack):
    answer = await slash(fake, "2401.09999")
    assert answer.header.startswith("&lt;!channel&gt; &lt;@U0BOB&gt; *Bold* Claims &amp; &lt;Angle&gt;")
    assert "<!channel>" not in answer.all_text and "<@U0BOB>" not in answer.all_text
    assert "<!here>" not in answer.all_text and "<@U0ADMIN>" not in answer.all_text


async def test_subscriptions_are_saved_listed_and_removed(fake, slack, store):
    saved = await slash(fake, 'sub diffusion -medical author:"Ho"', user="U0BOB")
    assert saved.ephemeral and "Subscribed (#1)" in saved.all_text
    assert "/paper unsub 1" in saved.all_text  # command names as Slack users type them
    [sub] = store.subscriptions_of("slack", "T0PAPERS", "U0BOB")
    assert (sub.channel, sub.notify) == ("C0PAPERS", "dm")

    listed = await slash(fake, "subs", user="U0BOB")
    assert listed.ephemeral and "#1" in listed.all_text and "diffusion" in listed.all_text

    other = await slash(fake, "unsub 1", user="U0ALICE")
    assert "no subscription #1" in other.all_text
    assert len(store.subscriptions_of("slack", "T0PAPERS", "U0BOB")) == 1

    removed = await slash(fake, "unsub 1", user="U0BOB")
    assert "Unsubscribed #1" in removed.all_text
    assert store.subscriptions_of("slack", "T0PAPERS", "U0BOB") == []
    empty = await slash(fake, "subs", user="U0BOB")
    assert "no subscriptions" in empty.all_text


async def test_invalid_subscription_query_gets_a_clear_error(fake, slack, store):
    answer = await slash(fake, 'sub "unclosed phrase', user="U0BOB")
    assert answer.ephemeral and "⚠️ I couldn't read that subscription" in answer.all_text
    assert store.subscriptions_of("slack", "T0PAPERS", "U0BOB") == []


async def test_channel_creator_configures_the_daily_post(fake, slack, store):
    answer = await slash(fake, "digest config time=09:00 tz=America/New_York top=5", user="U0ALICE")
    assert answer.ephemeral and "Posts on: daily" in answer.all_text
    channel = store.get_channel("slack", "T0PAPERS", "C0PAPERS")
    assert (channel.daily_time, channel.tz, channel.top_n, channel.enabled) == ("09:00", "America/New_York", 5, True)


async def test_workspace_admin_configures_any_channel_and_others_cannot(fake, slack, store):
    refused = await slash(fake, "digest config time=07:30 tz=Europe/Berlin", user="U0BOB")
    assert "Only people who can manage this channel" in refused.all_text
    assert store.get_channel("slack", "T0PAPERS", "C0PAPERS") is None

    allowed = await slash(fake, "digest config time=07:30 tz=Europe/Berlin", user="U0ADMIN")
    assert "Posts on: daily" in allowed.all_text
    assert store.get_channel("slack", "T0PAPERS", "C0PAPERS").tz == "Europe/Berlin"

    off = await slash(fake, "digest off", user="U0BOB")
    assert "Only people who can manage" in off.all_text
    assert store.get_channel("slack", "T0PAPERS", "C0PAPERS").enabled


async def test_rights_are_looked_up_once_per_minute(fake, slack):
    for _ in range(3):
        await slash(fake, "digest off", user="U0BOB")
    assert len(fake.calls_to("users.info")) == 1
    assert len(fake.calls_to("conversations.info")) == 1
    await slash(fake, "reversal curse", user="U0BOB")  # a lookup needs no rights at all
    assert len(fake.calls_to("users.info")) == 1


async def test_slow_answers_come_through_response_url(fake, core):
    from slack_world import make_adapter

    adapter = make_adapter(core, fake, ack_budget=0.0)
    await adapter.start()
    try:
        answer = await slash(fake, "denoising difusion probabilistic modls")
    finally:
        await adapter.stop()
    assert answer.via_response_url
    assert answer.ack.payload in (None, {})
    assert answer.header == "Denoising Diffusion Probabilistic Models"
    assert answer.ephemeral


async def test_help_and_empty_command_list_slack_words(fake, slack):
    for text in ("", "help"):
        answer = await slash(fake, text)
        assert answer.ephemeral
        assert "/paper sub" in answer.all_text and "/paper digest" in answer.all_text
        assert "/subscribe" not in answer.all_text


async def test_ten_thousand_characters_get_a_clear_error_fast(fake, slack):
    answer = await slash(fake, "x" * 10_000)
    assert answer.ephemeral and "characters" in answer.all_text
    assert answer.ack.delay < 1.0


async def test_mention_with_a_link_answers_in_the_thread(fake, slack):
    body = app_mention(f"<@{BOT_USER}> what about <https://arxiv.org/abs/1706.03762v5>?", ts="1700000500.000100")
    envelope = await fake.send_envelope("events_api", body)
    ack = await fake.ack_for(envelope)
    assert ack.delay < ACK_DEADLINE
    [post] = await fake.wait_until(lambda: fake.posts("C0PAPERS"))
    assert post["thread_ts"] == "1700000500.000100"
    assert post["blocks"][0]["text"]["text"] == "Attention Is All You Need"


async def test_mention_with_a_typod_title_inside_a_thread_answers_there(fake, slack):
    body = app_mention(f"<@{BOT_USER}> mamba linear time sequence modelling with selective state spaces",
                       ts="1700000600.000100", thread_ts="1700000550.000100")
    await fake.send_envelope("events_api", body)
    [post] = await fake.wait_until(lambda: fake.posts("C0PAPERS"))
    assert post["thread_ts"] == "1700000550.000100"
    assert post["blocks"][0]["text"]["text"].startswith("Mamba: Linear-Time Sequence Modeling")


async def test_posted_arxiv_link_is_unfurled_as_a_card(fake, slack):
    url = "https://arxiv.org/abs/2309.12288"
    envelope = await fake.send_envelope("events_api", link_shared([url]))
    assert (await fake.ack_for(envelope)).delay < ACK_DEADLINE
    [call] = await fake.wait_until(lambda: fake.calls_to("chat.unfurl"))
    assert call.params["channel"] == "C0PAPERS" and call.params["ts"] == "1700000200.000300"
    blocks = call.params["unfurls"][url]["blocks"]
    assert blocks[0]["text"]["text"].startswith("The Reversal Curse")


async def test_hugging_face_and_alphaxiv_links_unfurl_from_the_composer(fake, slack):
    urls = ["https://huggingface.co/papers/2006.11239", "https://www.alphaxiv.org/abs/2312.00752",
            "https://example.org/not-a-paper"]
    await fake.send_envelope("events_api", link_shared(urls, composer=True))
    [call] = await fake.wait_until(lambda: fake.calls_to("chat.unfurl"))
    assert call.params["source"] == "composer" and call.params["unfurl_id"]
    unfurls = call.params["unfurls"]
    assert set(unfurls) == set(urls[:2])
    assert unfurls[urls[0]]["blocks"][0]["text"]["text"] == "Denoising Diffusion Probabilistic Models"


async def test_a_link_to_an_unknown_paper_is_left_alone(fake, slack):
    await fake.send_envelope("events_api", link_shared(["https://arxiv.org/abs/2611.99999"]))
    await fake.send_envelope("events_api", link_shared(["https://arxiv.org/abs/2309.12288"], message_ts="2.0"))
    [call] = await fake.wait_until(lambda: fake.calls_to("chat.unfurl"))  # only the known one
    assert call.params["ts"] == "2.0"


async def test_a_recycled_socket_mode_connection_is_reopened_and_keeps_working(fake, slack):
    await fake.ask_to_reconnect()
    await fake.wait_until(lambda: fake.socket_connections >= 2 and len(fake._sockets) == 1)
    assert len(fake.calls_to("apps.connections.open")) >= 3  # the start-up check, the first and the new socket
    answer = await slash(fake, "attention is all you need")
    assert answer.header == "Attention Is All You Need"


async def test_a_rate_limited_thread_answer_is_delayed_not_dropped(fake, core):
    from slack_world import make_adapter

    adapter = make_adapter(core, fake, max_retry_wait=0.5)  # Slack's 1 s is more than the client waits
    await adapter.start()
    try:
        fake.fail_next("chat.postMessage", status=429, retry_after=1)
        await fake.send_envelope("events_api", app_mention(f"<@{BOT_USER}> 1706.03762"))
        [post] = await fake.wait_until(lambda: fake.posts("C0PAPERS"), timeout=5)
    finally:
        await adapter.stop()
    attempts = fake.calls_to("chat.postMessage", ok=None)
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 1.0
    assert post["blocks"][0]["text"]["text"] == "Attention Is All You Need"


async def test_when_slack_cannot_say_who_may_configure_the_answer_is_no(fake, slack, store):
    fake.fail_next("users.info", status=500, error="internal_error")
    fake.fail_next("conversations.info", error="fatal_error")
    answer = await slash(fake, "digest config time=09:00", user="U0ALICE")
    assert "Only people who can manage" in answer.all_text
    assert store.get_channel("slack", "T0PAPERS", "C0PAPERS") is None
    retried = await slash(fake, "digest config time=09:00", user="U0ALICE")  # failures are not remembered
    assert "Posts on: daily" in retried.all_text


async def test_connected_says_whether_the_socket_is_up_for_health_checks(fake, slack):
    assert await slack.connected() is True
    await slack.stop()
    assert await slack.connected() is False
