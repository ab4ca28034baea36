"""Starting, stopping and what the adapter leaves behind: no token in the logs, no endpoints changed."""
from __future__ import annotations

import logging

import pytest
from conftest import make_adapter
from discord.gateway import DiscordWebSocket
from discord.http import Route
from test_discord_commands import option, run

from paperboy.bot.adapter import DeliveryError
from paperboy.bot.models import Target
from paperboy.bot.replies import Notice


async def test_the_token_never_reaches_the_logs_even_at_debug_level(core, fake, caplog):
    caplog.set_level(logging.DEBUG)
    adapter = make_adapter(core, fake)
    await adapter.start()
    try:
        await run(fake, "paper", option("query", "2309.12288"))
        await adapter.send(Target("discord", fake.guild_id, fake.channel_id), Notice("hi"), delivery_key="k")
    finally:
        await adapter.stop()
    assert any(r.name.startswith("discord") for r in caplog.records)  # discord.py did log, verbosely
    assert all(fake.token not in r.getMessage() for r in caplog.records)
    assert fake.token not in caplog.text


async def test_endpoints_are_set_only_while_running_and_sends_before_start_are_retried_later(core, fake):
    before = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    adapter = make_adapter(core, fake)
    with pytest.raises(DeliveryError) as early:
        await adapter.send(Target("discord", fake.guild_id, fake.channel_id), Notice("hi"))
    assert not early.value.permanent
    await adapter.start()
    assert Route.BASE == fake.api_base and str(DiscordWebSocket.DEFAULT_GATEWAY) == fake.gateway_url
    await adapter.stop()
    await adapter.stop()  # stopping twice is harmless
    assert (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY) == before
    with pytest.raises(DeliveryError):
        await adapter.send(Target("discord", fake.guild_id, fake.channel_id), Notice("hi"))


async def test_a_gateway_that_never_gets_ready_fails_start_and_cleans_up(core, fake):
    before = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    adapter = make_adapter(core, fake, env={"DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{fake.port}/nowhere"},
                           ready_timeout=0.5)
    from paperboy.adapters.discord.settings import DiscordStartError

    with pytest.raises(DiscordStartError, match="did not become ready"):
        await adapter.start()
    assert (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY) == before
    assert adapter.client.is_closed()


async def test_a_dropped_gateway_is_resumed_and_commands_keep_working(running, fake):
    await fake.drop_gateway(code=4000)
    record = await run(fake, "paper", option("query", "2309.12288"))  # waits for the gateway to be back
    assert record.callback["data"]["embeds"][0]["url"] == "https://arxiv.org/abs/2309.12288"
    assert len(fake.resumes) == 1 and len(fake.identifies) == 1
    assert fake.resumes[0]["token"] == fake.token


async def test_starting_says_nothing_about_voice(core, fake, caplog):
    import discord

    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = True  # as in a new process
    with caplog.at_level(logging.WARNING):
        adapter = make_adapter(core, fake)
        await adapter.start()
        await adapter.stop()
    assert not [r for r in caplog.records if "voice" in r.getMessage().lower()]


async def test_connected_says_whether_the_gateway_is_up_for_health_checks(core, fake):
    adapter = make_adapter(core, fake)
    assert await adapter.connected() is False
    await adapter.start()
    assert await adapter.connected() is True
    await adapter.stop()
    assert await adapter.connected() is False
