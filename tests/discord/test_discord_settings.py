"""Discord settings from the environment."""
from __future__ import annotations

import pytest

from paperboy.adapters.discord import PLATFORM as DISCORD
from paperboy.adapters.discord.settings import DEFAULT_API_BASE, DiscordSettings, SettingsError


def test_no_token_means_no_adapter(core):
    assert DiscordSettings.from_env({}) is None
    assert DISCORD.from_env(core, {"DISCORD_TOKEN": "  "}) is None


def test_defaults_point_at_discord_and_let_it_choose_shards():
    settings = DiscordSettings.from_env({"DISCORD_TOKEN": "abc.def.ghi"})
    assert settings.api_base == DEFAULT_API_BASE == "https://discord.com/api/v10"
    assert (settings.gateway_url, settings.guild_id, settings.shard_count, settings.shard_ids) == (None,) * 4


def test_every_variable_is_read():
    settings = DiscordSettings.from_env({
        "DISCORD_TOKEN": "abc", "DISCORD_API_BASE": "http://127.0.0.1:9/api/v10/",
        "DISCORD_GATEWAY_URL": "ws://127.0.0.1:9/gateway", "DISCORD_GUILD_ID": "333333333333333333",
        "DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "2, 0-1"})
    assert settings.api_base == "http://127.0.0.1:9/api/v10"
    assert settings.gateway_url == "ws://127.0.0.1:9/gateway"
    assert settings.guild_id == 333333333333333333
    assert settings.shard_count == 4 and settings.shard_ids == (0, 1, 2)


@pytest.mark.parametrize("env, complaint", [
    ({"DISCORD_SHARD_IDS": "0,1"}, "needs DISCORD_SHARD_COUNT"),
    ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "0,2"}, "not below"),
    ({"DISCORD_SHARD_COUNT": "0"}, "1 or more"),
    ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "one"}, "not a shard number"),
    ({"DISCORD_GUILD_ID": "my-server"}, "numeric Discord id"),
    ({"DISCORD_API_BASE": "discord.com/api"}, "http(s) URL"),
    ({"DISCORD_GATEWAY_URL": "https://gateway.discord.gg"}, "ws://"),
])
def test_a_wrong_variable_gets_one_clear_sentence(env, complaint):
    with pytest.raises(SettingsError, match=complaint.replace("(", r"\(").replace(")", r"\)")):
        DiscordSettings.from_env({"DISCORD_TOKEN": "abc", **env})


def test_the_token_is_never_shown(core):
    token = "MTE.secret-token-value.xyz"
    settings = DiscordSettings.from_env({"DISCORD_TOKEN": token})
    adapter = DISCORD.from_env(core, {"DISCORD_TOKEN": token})
    assert token not in repr(settings) and token not in str(settings) and token not in repr(adapter)
