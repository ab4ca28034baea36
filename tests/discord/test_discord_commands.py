"""Slash commands driven end to end: INTERACTION_CREATE from the fake gateway, the real client,
the core, and the callback the client sends back."""
from __future__ import annotations

import re

import pytest
from conftest import PAPERS, START, make_adapter
from fake_discord import FakeDiscord
from named_papers import DESCRIBED_LORA, LORA_AND_A_USER

from paperboy.adapters.discord.schema import command_payloads
from paperboy.bot.clock import iso
from paperboy.bot.models import Paper

EVERYONE = (1 << 10) | (1 << 11) | (1 << 31)  # view channel, send messages, use application commands
MANAGER = EVERYONE | (1 << 4)  # + manage channels
EPHEMERAL = 64
USER = "555555555555555555"
OTHER = "555555555555555556"


def option(name: str, value, kind: int = 3, focused: bool = False) -> dict:
    found = {"type": kind, "name": name, "value": value}
    if focused:
        found["focused"] = True
    return found


async def run(fake: FakeDiscord, command: str, *options: dict, wait_for=None, **where):
    record = await fake.interact(fake.interaction_payload(command, list(options), **where))
    await record.wait_for(wait_for or (lambda r: r.callbacks))
    return record


def message_of(call_body: dict) -> dict:
    """The message data of a callback (type 4) or a follow-up body."""
    return call_body.get("data", call_body)


def text_of(record) -> str:
    data = message_of(record.callback)
    return data.get("content") or ""


# ---- registration ------------------------------------------------------------------------------

async def test_start_syncs_the_commands_generated_from_the_specs(running, fake, core):
    (put,) = fake.requests("PUT", rf"/applications/{fake.app_id}/commands$")
    assert put.body == command_payloads(core.specs)
    assert put.headers["Authorization"] == f"Bot {fake.token}"
    names = [c["name"] for c in put.body]
    assert names == ["paper", "subscribe", "unsubscribe", "subscriptions", "digest", "saved", "help"]
    (identify,) = fake.identifies
    assert identify["intents"] == 1  # guilds only: no privileged intent
    assert identify["shard"] == [0, 1]


async def test_a_restart_with_unchanged_commands_does_not_rewrite_them(core, fake):
    for _ in range(2):
        adapter = make_adapter(core, fake)
        await adapter.start()
        await adapter.stop()
    assert len(fake.requests("GET", r"/commands$")) == 2
    assert len(fake.requests("PUT", r"/commands$")) == 1


async def test_a_development_guild_gets_the_commands_directly(core, fake):
    adapter = make_adapter(core, fake, env={"DISCORD_GUILD_ID": fake.guild_id})
    await adapter.start()
    await adapter.stop()
    (put,) = fake.requests("PUT", r"/commands$")
    assert put.path == f"/applications/{fake.app_id}/guilds/{fake.guild_id}/commands"


# ---- /paper --------------------------------------------------------------------------------------

async def test_paper_answers_with_a_public_card_that_pings_nobody(running, fake):
    record = await run(fake, "paper", option("query", "reversal curse"))
    assert record.callback["type"] == 4
    data = record.callback["data"]
    assert not (data.get("flags") or 0) & EPHEMERAL
    assert data["allowed_mentions"] == {"parse": []}
    (embed,) = data["embeds"]
    assert embed["url"] == "https://arxiv.org/abs/2309.12288" and "Reversal Curse" in embed["title"]
    links, actions = ([b["label"] for b in row["components"]] for row in data["components"])
    assert links == ["arXiv", "PDF", "Hugging Face", "Code"]
    assert actions == ["Save", "BibTeX", "Similar"]
    assert [b["custom_id"] for b in data["components"][1]["components"]] == [
        "pb:save:2309.12288", "pb:bibtex:2309.12288", "pb:similar:2309.12288"]
    assert record.answered_after < 3.0


async def test_paper_with_no_confident_match_answers_only_the_caller(running, fake):
    record = await run(fake, "paper", option("query", "zzqx wvvk"))
    assert record.callback["type"] == 4
    assert record.callback["data"]["flags"] & EPHEMERAL


async def test_a_paper_lookup_that_takes_long_is_deferred_then_followed_up(core, fake):
    adapter = make_adapter(core, fake, lookup_within=0.0)
    await adapter.start()
    try:
        record = await run(fake, "paper", option("query", "reversal curse"), wait_for=lambda r: r.followups)
    finally:
        await adapter.stop()
    assert record.callback["type"] == 5  # deferred: "paperboy is thinking…"
    assert not (record.callback.get("data") or {}).get("flags", 0) & EPHEMERAL
    (follow_up,) = record.followups
    assert follow_up.body["embeds"][0]["url"] == "https://arxiv.org/abs/2309.12288"
    assert follow_up.body["allowed_mentions"] == {"parse": []}
    assert follow_up.query.get("wait") in ("1", "true", "True")
    assert record.deletes == [] and record.answered_after < 3.0


async def test_a_deferred_lookup_that_finds_nothing_sure_turns_private(core, fake):
    adapter = make_adapter(core, fake, lookup_within=0.0)
    await adapter.start()
    try:
        record = await run(fake, "paper", option("query", "zzqx wvvk"), wait_for=lambda r: r.followups)
    finally:
        await adapter.stop()
    assert record.callback["type"] == 5
    assert len(record.deletes) == 1 and record.deletes[0].path.endswith("/messages/@original")
    assert record.deletes[0].at < record.followups[0].at
    assert record.followups[0].body["flags"] & EPHEMERAL


async def test_hostile_and_huge_queries_get_a_private_answer_and_the_bot_keeps_going(running, fake):
    huge = await run(fake, "paper", option("query", "word " * 2000))
    assert huge.callback["data"]["flags"] & EPHEMERAL
    hostile = await run(fake, "paper", option("query", '"unclosed AND (NEAR* -@everyone <@1>'))
    assert hostile.callback["type"] == 4 and hostile.callback["data"]["allowed_mentions"] == {"parse": []}
    again = await run(fake, "paper", option("query", "2309.12288"))
    assert again.callback["data"]["embeds"][0]["url"] == "https://arxiv.org/abs/2309.12288"
    assert fake.rejected == []


async def test_paper_works_in_a_dm_and_in_a_thread(running, fake):
    in_dm = await run(fake, "paper", option("query", "2309.12288"), dm=True)
    assert in_dm.callback["data"]["embeds"][0]["url"] == "https://arxiv.org/abs/2309.12288"
    in_thread = await run(fake, "paper", option("query", "2309.12288"), thread=True)
    assert in_thread.callback["data"]["embeds"][0]["url"] == "https://arxiv.org/abs/2309.12288"


# ---- autocomplete --------------------------------------------------------------------------------

async def test_paper_autocomplete_offers_matching_titles(running, fake):
    record = await run(fake, "paper", option("query", "reversal", focused=True), kind=4)
    assert record.callback["type"] == 8
    choices = record.callback["data"]["choices"]
    assert choices and choices[0]["value"] == "2309.12288"
    assert "Reversal Curse" in choices[0]["name"] and all(len(c["name"]) <= 100 for c in choices)
    assert record.answered_after < 3.0


async def test_time_zone_autocomplete_inside_digest_config(running, fake):
    record = await run(fake, "digest", option("tz", "europe/ber", focused=True), subcommand="config", kind=4,
                       permissions=MANAGER)
    assert {"name": "Europe/Berlin", "value": "Europe/Berlin"} in record.callback["data"]["choices"]


async def test_autocomplete_of_an_option_without_suggestions_answers_empty(running, fake):
    record = await run(fake, "subscribe", option("query", "diff", focused=True), kind=4)
    assert record.callback == {"type": 8, "data": {"choices": []}}


# ---- subscriptions -------------------------------------------------------------------------------

async def test_subscribe_list_autocomplete_and_unsubscribe(running, fake, store):
    subscribed = await run(fake, "subscribe", option("query", 'diffusion -medical author:"Lee"'))
    assert subscribed.callback["data"]["flags"] & EPHEMERAL
    assert "Subscribed (#" in text_of(subscribed)
    (sub,) = store.subscriptions_of("discord", fake.guild_id, USER)
    assert (sub.channel, sub.notify) == (fake.channel_id, "dm")
    await run(fake, "subscribe", option("query", "reversal curse"), option("notify", "channel"))
    await run(fake, "subscribe", option("query", "someone else's"), user_id=OTHER)

    listed = await run(fake, "subscriptions")
    assert listed.callback["data"]["flags"] & EPHEMERAL
    assert f"#{sub.id}" in text_of(listed) and "someone" not in text_of(listed)

    suggested = await run(fake, "unsubscribe", option("id", "", focused=True), kind=4)
    values = [c["value"] for c in suggested.callback["data"]["choices"]]
    mine = [str(s.id) for s in store.subscriptions_of("discord", fake.guild_id, USER)]
    assert values == mine and len(mine) == 2  # only the caller's own

    gone = await run(fake, "unsubscribe", option("id", str(sub.id)))
    assert f"Unsubscribed #{sub.id}" in text_of(gone)
    assert [s.query for s in store.subscriptions_of("discord", fake.guild_id, USER)] == ["reversal curse"]
    others = store.subscriptions_of("discord", fake.guild_id, OTHER)
    not_yours = await run(fake, "unsubscribe", option("id", str(others[0].id)))
    assert not_yours.callback["data"]["flags"] & EPHEMERAL and "no subscription" in text_of(not_yours)
    assert len(store.subscriptions_of("discord", fake.guild_id, OTHER)) == 1


async def test_an_invalid_subscription_query_gets_a_private_explanation(running, fake, store):
    record = await run(fake, "subscribe", option("query", '"unclosed phrase'))
    assert record.callback["data"]["flags"] & EPHEMERAL
    assert text_of(record).startswith("⚠️") and store.subscriptions_of("discord", fake.guild_id, USER) == []


async def test_subscribing_in_a_thread_and_in_a_dm_records_where(running, fake, store):
    await run(fake, "subscribe", option("query", "retro search"), option("notify", "channel"), thread=True)
    (in_thread,) = store.subscriptions_of("discord", fake.guild_id, USER)
    assert in_thread.channel != fake.channel_id and in_thread.notify == "channel"
    await run(fake, "subscribe", option("query", "reasoning"), dm=True)
    (in_dm,) = store.subscriptions_of("discord", "", USER)
    assert in_dm.channel == fake.dm_channels[USER] and in_dm.notify == "dm"


# ---- /digest -------------------------------------------------------------------------------------

async def test_digest_config_needs_manage_channels(running, fake, store):
    denied = await run(fake, "digest", option("time", "09:00"), subcommand="config", permissions=EVERYONE)
    assert denied.callback["data"]["flags"] & EPHEMERAL and "manage this channel" in text_of(denied)
    assert store.get_channel("discord", fake.guild_id, fake.channel_id) is None

    allowed = await run(fake, "digest", option("time", "09:00"), option("tz", "Europe/Berlin"),
                        option("top", 5, kind=4), option("threads", True, kind=5),
                        subcommand="config", permissions=MANAGER)
    assert allowed.callback["data"]["flags"] & EPHEMERAL and "09:00 Europe/Berlin" in text_of(allowed)
    channel = store.get_channel("discord", fake.guild_id, fake.channel_id)
    assert (channel.daily_time, channel.tz, channel.top_n, channel.thread_per_paper, channel.enabled) == \
        ("09:00", "Europe/Berlin", 5, True, True)


async def test_administrators_may_configure_and_off_turns_the_post_off(running, fake, store):
    admin = EVERYONE | (1 << 3)
    await run(fake, "digest", option("time", "07:30"), subcommand="config", permissions=admin)
    assert store.get_channel("discord", fake.guild_id, fake.channel_id).daily_time == "07:30"
    denied = await run(fake, "digest", subcommand="off", permissions=EVERYONE)
    assert "manage this channel" in text_of(denied)
    off = await run(fake, "digest", subcommand="off", permissions=MANAGER)
    assert "off" in text_of(off) and not store.get_channel("discord", fake.guild_id, fake.channel_id).enabled


async def test_a_bad_setting_is_explained_privately(running, fake, store):
    record = await run(fake, "digest", option("tz", "Mars/Olympus"), subcommand="config", permissions=MANAGER)
    assert record.callback["data"]["flags"] & EPHEMERAL and "Unknown time zone" in text_of(record)


async def test_digest_show_answers_with_todays_list_for_everyone(running, fake, store):
    store.record_daily_list("2026-11-24", "hf", [(p.key, p.upvotes) for p in PAPERS])
    record = await run(fake, "digest", subcommand="show", permissions=EVERYONE)
    data = record.callback["data"]
    assert record.callback["type"] == 4 and not data.get("flags", 0) & EPHEMERAL
    (embed,) = data["embeds"]
    assert embed["title"] == "Trending papers — Tue 24 Nov 2026"
    assert re.findall(r"^\*\*(\d+)\.\*\*", embed["description"], re.M) == ["1", "2", "3", "4"]


async def test_a_digest_too_long_for_one_message_continues_in_follow_ups(running, fake, store):
    words = "@everyone **Scaling** [laws](http://x) <@1234567890123456> for " * 6
    papers = [Paper(key=f"2611.{n:05d}", arxiv_id=f"2611.{n:05d}", title=f"{n} {words}", authors=("A", "B"),
                    published="2026-11-24", upvotes=100 - n) for n in range(25)]
    store.upsert_papers(papers, iso(START))
    store.record_daily_list("2026-11-24", "hf", [(p.key, p.upvotes) for p in papers])
    store.configure_channel("discord", fake.guild_id, fake.channel_id, iso(START), top_n=25)
    record = await run(fake, "digest", subcommand="show", wait_for=lambda r: r.callbacks and r.followups)
    bodies = [record.callback["data"]] + [f.body for f in record.followups]
    numbers = [int(n) for body in bodies for embed in body["embeds"]
               for n in re.findall(r"^\*\*(\d+)\.\*\*", embed["description"], re.M)]
    assert numbers == list(range(1, 26)) and fake.rejected == []
    assert all(body["allowed_mentions"] == {"parse": []} for body in bodies)


async def test_help_and_an_unknown_command_answer_privately(running, fake):
    helped = await run(fake, "help")
    assert helped.callback["data"]["flags"] & EPHEMERAL and "/paper" in text_of(helped)
    unknown = await run(fake, "frobnicate")
    assert unknown.callback["data"]["flags"] & EPHEMERAL and "not a paperboy command" in text_of(unknown)


@pytest.mark.parametrize("command", ["paper", "subscribe", "subscriptions", "help"])
async def test_every_answer_arrives_well_inside_three_seconds(running, fake, command):
    options = [option("query", "reversal curse")] if command in ("paper", "subscribe") else []
    record = await run(fake, command, *options)
    assert record.answered_after < 1.0 and fake.rejected == []


async def test_paper_trend_answers_publicly_with_the_chart_attached_to_its_embed(running, fake):
    record = await run(fake, "paper", option("query", 'trend reversal | "reinforcement learning"'),
                       wait_for=lambda r: r.callbacks and (r.callback["type"] == 4 or r.followups))
    call = record.callbacks[0] if record.callback["type"] == 4 else record.followups[0]
    data = call.body.get("data", call.body)
    assert not (data.get("flags") or 0) & EPHEMERAL
    (embed,) = data["embeds"]
    assert embed["title"].startswith("Papers per month")
    [image] = call.body["_files"]
    assert embed["image"]["url"] == f"attachment://{image['filename']}"
    assert image["data"][:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(image["data"][16:20], "big"), int.from_bytes(image["data"][20:24], "big")
    assert width >= 800 and height >= 400
    [attachment] = data["attachments"]
    assert "reversal" in attachment["description"].lower()  # the alt text states the numbers


async def test_paper_by_its_name_answers_the_paper_that_introduced_it(running, fake, store):
    store.upsert_papers(LORA_AND_A_USER, iso(START))
    record = await run(fake, "paper", option("query", "the LoRA paper"))
    data = message_of(record.callback)
    (embed,) = data["embeds"]
    assert embed["title"].startswith("LoRA: Low-Rank Adaptation")
    assert not (data.get("flags") or 0) & EPHEMERAL  # a confident card, shown to the channel


async def test_paper_by_a_description_lists_the_paper_whose_abstract_says_it(running, fake, store):
    store.upsert_papers(LORA_AND_A_USER, iso(START))
    record = await run(fake, "paper", option("query", DESCRIBED_LORA),
                       wait_for=lambda r: (r.callbacks and r.callback["type"] == 4) or r.followups)
    data = message_of(record.callback if record.callback["type"] == 4 else record.followups[-1].body)
    embed = data["embeds"][0]
    assert embed["title"].startswith("No confident match")  # a description gets a list, first the paper
    assert "LoRA: Low-Rank Adaptation" in embed["description"].splitlines()[0]
    assert (data.get("flags") or 0) & EPHEMERAL  # shown to the asker only
